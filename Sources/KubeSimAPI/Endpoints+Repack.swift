import Crypto

/// RepackSubsets and SortSubsets as upstream writes them (pkg/api/endpoints/util.go on
/// the API server's internal types, pkg/api/v1/endpoints/util.go on v1 for the
/// endpoints controller): every (address, port) pair expanded, addresses that offer the
/// same set of ports grouped into one subset (an address not ready on any port is not
/// ready), then addresses sorted by IP bytes then target UID, and ports and subsets
/// sorted by the MD5 of their `hashutil.DeepHashObject` form — go-spew's `%#v`
/// (k8s.io/utils/dump.ForHash), which names the Go types, hence `package`.
public enum EndpointsRepack {
    /// The Go package the hashed types live in: `core` when the API server
    /// canonicalizes (pkg/apis/core), `v1` in the endpoints controller (k8s.io/api/core/v1).
    public enum GoPackage: String, Sendable { case core, v1 }

    public static func repack(_ subsets: [EndpointSubset], package pkg: GoPackage) -> [EndpointSubset] {
        // Addresses de-duplicated by IP + target UID (addressKey), keeping the first seen.
        struct AddressKey: Hashable { let ip: String; let uid: String? }
        var addresses: [AddressKey: EndpointAddress] = [:]
        // Per port, each address's readiness; a port of -1 stands for "no ports".
        struct PortKey: Hashable { let name: String; let port: Int; let proto: String }
        var portOrder: [PortKey] = []
        var byPort: [PortKey: [AddressKey: Bool]] = [:]
        func map(_ a: EndpointAddress, _ p: PortKey, ready: Bool) {
            let k = AddressKey(ip: a.ip, uid: a.targetRef?.uid)
            if addresses[k] == nil { addresses[k] = a }
            if byPort[p] == nil { byPort[p] = [:]; portOrder.append(p) }
            // "not ready always trumps ready"
            if let was = byPort[p]![k], !was { return }
            byPort[p]![k] = ready
        }
        for s in subsets {
            let ports = s.ports.isEmpty ? [PortKey(name: "", port: -1, proto: "")]
                : s.ports.map { PortKey(name: $0.name ?? "", port: $0.port ?? 0, proto: $0.protocol) }
            for p in ports {
                for a in s.addresses { map(a, p, ready: true) }
                for a in s.notReadyAddresses { map(a, p, ready: false) }
            }
        }
        // Ports whose address sets (with readiness) are equal share a subset.
        struct Group { var set: [AddressKey: Bool]; var ports: [EndpointPort] }
        var groups: [Group] = []
        for p in portOrder {
            let set = byPort[p]!
            let i = groups.firstIndex { $0.set == set } ?? { groups.append(Group(set: set, ports: [])); return groups.count - 1 }()
            if p.port > 0 { groups[i].ports.append(EndpointPort(name: p.name, port: p.port, protocol: p.proto)) }
        }
        let final = groups.map { g in
            EndpointSubset(addresses: g.set.filter { $0.value }.keys.map { addresses[$0]! },
                           notReadyAddresses: g.set.filter { !$0.value }.keys.map { addresses[$0]! },
                           ports: g.ports)
        }
        return sort(final, package: pkg)
    }

    /// SortSubsets.
    public static func sort(_ subsets: [EndpointSubset], package pkg: GoPackage) -> [EndpointSubset] {
        let sorted = subsets.map { s in
            EndpointSubset(addresses: s.addresses.sorted(by: lessAddress), notReadyAddresses: s.notReadyAddresses.sorted(by: lessAddress),
                           ports: s.ports.map { ($0, md5(spew(port: $0, pkg, top: true))) }.sorted { $0.1.lexicographicallyPrecedes($1.1) }.map(\.0))
        }
        return sorted.map { ($0, md5(spew(subset: $0, pkg))) }.sorted { $0.1.lexicographicallyPrecedes($1.1) }.map(\.0)
    }

    /// LessEndpointAddress: IP compared as bytes (so 10.244.1.10 sorts before
    /// 10.244.1.2), then target UID, an address without a target first.
    public static func lessAddress(_ a: EndpointAddress, _ b: EndpointAddress) -> Bool {
        if a.ip != b.ip { return Array(a.ip.utf8).lexicographicallyPrecedes(Array(b.ip.utf8)) }
        guard let bt = b.targetRef else { return false }
        guard let at = a.targetRef else { return true }
        return Array(at.uid.utf8).lexicographicallyPrecedes(Array(bt.uid.utf8))
    }

    static func md5(_ s: String) -> [UInt8] { Array(Insecure.MD5.hash(data: Array(s.utf8))) }

    // go-spew's `%#v` (format.go): a value's type in parentheses unless it is an element
    // of a slice or the target of a pointer just printed; struct fields as `Name:value`
    // separated by spaces; a nil pointer or slice as `<nil>`; strings unquoted.

    static func spew(port p: EndpointPort, _ pkg: GoPackage, top: Bool) -> String {
        (top ? "(\(pkg.rawValue).EndpointPort)" : "")
            + "{Name:(string)\(p.name ?? "") Port:(int32)\(p.port ?? 0) Protocol:(\(pkg.rawValue).Protocol)\(p.protocol) AppProtocol:(*string)<nil>}"
    }

    static func spew(address a: EndpointAddress, _ pkg: GoPackage) -> String {
        var s = "{IP:(string)\(a.ip) Hostname:(string)\(a.hostname ?? "") NodeName:(*string)\(a.nodeName ?? "<nil>") TargetRef:(*\(pkg.rawValue).ObjectReference)"
        if let r = a.targetRef {
            s += "{Kind:(string)\(r.kind) Namespace:(string)\(r.namespace ?? "") Name:(string)\(r.name) UID:(types.UID)\(r.uid) APIVersion:(string) ResourceVersion:(string) FieldPath:(string)}"
        } else {
            s += "<nil>"
        }
        return s + "}"
    }

    static func spew(subset s: EndpointSubset, _ pkg: GoPackage) -> String {
        let p = pkg.rawValue
        // RepackSubsets builds its slices with append: an empty one is nil.
        func list(_ items: [String]) -> String { items.isEmpty ? "<nil>" : "[" + items.joined(separator: " ") + "]" }
        return "(\(p).EndpointSubset){Addresses:([]\(p).EndpointAddress)\(list(s.addresses.map { spew(address: $0, pkg) }))"
            + " NotReadyAddresses:([]\(p).EndpointAddress)\(list(s.notReadyAddresses.map { spew(address: $0, pkg) }))"
            + " Ports:([]\(p).EndpointPort)\(list(s.ports.map { spew(port: $0, pkg, top: false) }))}"
    }
}
