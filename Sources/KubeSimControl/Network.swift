import KubeSimCore
import KubeSimAPI

// The pod network as state on each node — devices, addresses, routes, neighbours and
// FDB entries — programmed by the CNI plugin (flannel, VXLAN backend: cni0 bridge,
// flannel.1 VTEP with VNI 1 on UDP 8472, MTU 1450) and walked by packets.

public final class NetDevice {
    public enum Kind: Equatable { case loopback, ether, bridge, vxlan(vni: Int, port: Int), veth }
    public let name: String
    public let kind: Kind
    public var mtu: Int
    public let mac: String
    public var addrs: [CIDR]
    public let index: Int
    /// The bridge a veth is enslaved to.
    public var master: String?
    /// A veth's other end: its namespace and device.
    public weak var peerNS: NetNamespace?
    public var peerName: String?
    public var peerIndex: Int?
    init(name: String, kind: Kind, mtu: Int, mac: String, addrs: [CIDR], index: Int) {
        self.name = name; self.kind = kind; self.mtu = mtu; self.mac = mac; self.addrs = addrs; self.index = index
    }
}

public struct RouteEntry: Equatable {
    public var dst: CIDR
    public var via: IPv4Address?
    public var dev: String
    public var src: IPv4Address?
    public var kernel = false
    public var onlink = false

    /// `ip route` as iproute2 prints it.
    public var text: String {
        var s = dst.prefixLength == 0 ? "default" : dst.description
        if let v = via { s += " via \(v)" }
        s += " dev \(dev)"
        if kernel { s += " proto kernel scope link" }
        if let src { s += " src \(src)" }
        if onlink { s += " onlink" }
        return s + " "
    }
}

public final class NetNamespace {
    public let name: String
    public private(set) var devices: [NetDevice] = []
    public var routes: [RouteEntry] = []
    /// `ip neigh`: address → (device, lladdr).
    public var neighbours: [(ip: IPv4Address, dev: String, mac: String)] = []
    /// `bridge fdb` on VXLAN devices: VTEP MAC → remote underlay address.
    public var fdb: [(mac: String, dev: String, dst: IPv4Address)] = []
    var nextIndex = 1
    init(name: String) { self.name = name }

    @discardableResult
    func add(_ name: String, _ kind: NetDevice.Kind, mtu: Int, mac: String, addrs: [CIDR]) -> NetDevice {
        let d = NetDevice(name: name, kind: kind, mtu: mtu, mac: mac, addrs: addrs, index: nextIndex)
        nextIndex += 1
        devices.append(d)
        return d
    }

    func remove(_ name: String) { devices.removeAll { $0.name == name } }
    public func device(_ name: String) -> NetDevice? { devices.first { $0.name == name } }

    /// Longest-prefix match (the main table).
    public func route(to ip: IPv4Address) -> RouteEntry? {
        routes.filter { $0.dst.contains(ip) }.max { $0.dst.prefixLength < $1.dst.prefixLength }
    }

    public func owns(_ ip: IPv4Address) -> Bool { devices.contains { d in d.addrs.contains { $0.address == ip } } }

    /// `ip addr` (iproute2 layout).
    public var ipAddr: String {
        devices.map { d -> String in
            var head = "\(d.index): \(d.name)"
            if let p = d.peerIndex { head += "@if\(p)" }
            let flags = d.kind == .loopback ? "<LOOPBACK,UP,LOWER_UP>" : "<BROADCAST,MULTICAST,UP,LOWER_UP>"
            var lines = ["\(head): \(flags) mtu \(d.mtu) qdisc \(d.kind == .loopback ? "noqueue" : "noqueue") \(d.master.map { "master \($0) " } ?? "")state \(d.kind == .loopback ? "UNKNOWN" : "UP") group default qlen 1000"]
            lines.append("    link/\(d.kind == .loopback ? "loopback" : "ether") \(d.mac) brd \(d.kind == .loopback ? "00:00:00:00:00:00" : "ff:ff:ff:ff:ff:ff")")
            for a in d.addrs {
                let brd = a.prefixLength < 31 ? " brd \(a.broadcast)" : ""
                lines.append("    inet \(a)\(brd) scope \(d.kind == .loopback ? "host" : "global") \(d.name)")
                lines.append("       valid_lft forever preferred_lft forever")
            }
            return lines.joined(separator: "\n")
        }.joined(separator: "\n")
    }

    public var ipLink: String {
        devices.map { d -> String in
            var head = "\(d.index): \(d.name)"
            if let p = d.peerIndex { head += "@if\(p)" }
            let flags = d.kind == .loopback ? "<LOOPBACK,UP,LOWER_UP>" : "<BROADCAST,MULTICAST,UP,LOWER_UP>"
            return "\(head): \(flags) mtu \(d.mtu) qdisc noqueue \(d.master.map { "master \($0) " } ?? "")state \(d.kind == .loopback ? "UNKNOWN" : "UP") mode DEFAULT group default qlen 1000\n    link/\(d.kind == .loopback ? "loopback" : "ether") \(d.mac) brd \(d.kind == .loopback ? "00:00:00:00:00:00" : "ff:ff:ff:ff:ff:ff")"
        }.joined(separator: "\n")
    }

    public var ipRoute: String {
        let sorted = routes.sorted { a, b in
            if (a.dst.prefixLength == 0) != (b.dst.prefixLength == 0) { return a.dst.prefixLength == 0 }
            return a.dst.network.value != b.dst.network.value ? a.dst.network.value < b.dst.network.value : a.dst.prefixLength < b.dst.prefixLength
        }
        return sorted.map(\.text).joined(separator: "\n")
    }
}

/// A deterministic locally administered MAC for a device.
func macFor(_ seed: String) -> String {
    var h: UInt64 = 0xcbf29ce484222325
    for b in seed.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
    var bytes = (0..<6).map { UInt8((h >> (UInt64($0) * 8)) & 0xff) }
    bytes[0] = (bytes[0] & 0xfe) | 0x02
    return bytes.map { b in let s = String(b, radix: 16); return s.count == 1 ? "0" + s : s }.joined(separator: ":")
}

/// The bridge plugin's pod MAC: 0a:58 followed by the IPv4 address.
func podMAC(_ ip: IPv4Address) -> String {
    let v = ip.value
    return (["0a", "58"] + [24, 16, 8, 0].map { s -> String in let x = String((v >> UInt32(s)) & 0xff, radix: 16); return x.count == 1 ? "0" + x : x }).joined(separator: ":")
}

/// One node's network: its host namespace, underlay address and L2 segment.
public final class NodeNet {
    public let name: String
    public let host: NetNamespace
    public let underlay: IPv4Address
    public let segment: Int
    public var podCIDR: CIDR?
    public var up = true
    /// Pod namespaces by pod IP.
    public var pods: [UInt32: (ns: NetNamespace, pod: String, namespace: String)] = [:]
    init(name: String, underlay: IPv4Address, segment: Int) {
        self.name = name
        self.underlay = underlay
        self.segment = segment
        host = NetNamespace(name: name)
        host.add("lo", .loopback, mtu: 65536, mac: "00:00:00:00:00:00", addrs: [CIDR(parsing: "127.0.0.1/8")!])
        host.add("eth0", .ether, mtu: 1500, mac: macFor(name + "/eth0"), addrs: [CIDR(address: underlay, prefixLength: 24)])
        let gw = IPv4Address((underlay.value & 0xffff_ff00) | 1)
        host.routes = [RouteEntry(dst: CIDR(parsing: "0.0.0.0/0")!, via: gw, dev: "eth0"),
                       RouteEntry(dst: CIDR(address: IPv4Address(underlay.value & 0xffff_ff00), prefixLength: 24), dev: "eth0", src: underlay, kernel: true)]
    }
}

/// The cluster's pod network with the flannel VXLAN backend: flanneld on every node
/// programs a route, a neighbour and an FDB entry per remote node from the Node
/// objects' podCIDRs; the flannel CNI plugin (delegating to bridge + host-local) wires
/// each pod with a veth pair into cni0.
public final class PodNetwork {
    public private(set) var nodes: [String: NodeNet] = [:]
    /// The kubelet pod worker behind each pod address (the server a packet reaches).
    var workers: [UInt32: Weak<PodWorker>] = [:]
    public static let vni = 1
    public static let vxlanPort = 8472
    public static let mtu = 1450
    public static let clusterCIDR = CIDR(parsing: "10.244.0.0/16")!

    public init() {}

    public func node(_ name: String) -> NodeNet? { nodes[name] }

    /// A node joins (the flannel DaemonSet's pod starts on it).
    public func addNode(_ name: String, underlay: IPv4Address, segment: Int = 1) {
        nodes[name] = NodeNet(name: name, underlay: underlay, segment: segment)
    }

    /// flanneld saw the node's podCIDR: its own flannel.1 and every node's routes follow.
    public func setPodCIDR(_ name: String, _ cidr: CIDR) {
        guard let n = nodes[name], n.podCIDR == nil else { return }
        n.podCIDR = cidr
        n.host.add("flannel.1", .vxlan(vni: Self.vni, port: Self.vxlanPort), mtu: Self.mtu, mac: macFor(name + "/flannel.1"),
                   addrs: [CIDR(address: cidr.network, prefixLength: 32)])
        reprogram()
    }

    /// Every node's view of the others: `<podCIDR> via <subnet>.0 dev flannel.1 onlink`,
    /// a permanent neighbour for that address with the peer VTEP's MAC, and an FDB entry
    /// sending that MAC to the peer's underlay address.
    func reprogram() {
        let ready = nodes.values.filter { $0.podCIDR != nil }
        for n in ready {
            n.host.routes.removeAll { $0.dev == "flannel.1" }
            n.host.neighbours.removeAll { $0.dev == "flannel.1" }
            n.host.fdb.removeAll { $0.dev == "flannel.1" }
            for peer in ready where peer !== n {
                let sub = peer.podCIDR!
                let mac = peer.host.device("flannel.1")!.mac
                n.host.routes.append(RouteEntry(dst: sub, via: sub.network, dev: "flannel.1", onlink: true))
                n.host.neighbours.append((sub.network, "flannel.1", mac))
                n.host.fdb.append((mac, "flannel.1", peer.underlay))
            }
        }
    }

    public func removeNode(_ name: String) {
        nodes.removeValue(forKey: name)
        reprogram()
    }

    /// CNI ADD: the pod's namespace with eth0 (the address from host-local), a veth pair
    /// whose host end joins cni0 (made with the first pod), and the pod's routes.
    public func cniAdd(node: String, sandboxID: String, pod: String, namespace: String, ip: IPv4Address) {
        guard let n = nodes[node], let cidr = n.podCIDR else { return }
        let gw = IPv4Address(cidr.network.value + 1)
        if n.host.device("cni0") == nil {
            n.host.add("cni0", .bridge, mtu: Self.mtu, mac: macFor(node + "/cni0"), addrs: [CIDR(address: gw, prefixLength: cidr.prefixLength)])
            n.host.routes.append(RouteEntry(dst: cidr, dev: "cni0", src: gw, kernel: true))
        }
        let ns = NetNamespace(name: "cni-\(sandboxID.prefix(8))")
        ns.add("lo", .loopback, mtu: 65536, mac: "00:00:00:00:00:00", addrs: [CIDR(parsing: "127.0.0.1/8")!])
        // The veth's host end: "veth" + 8 hex digits (the bridge plugin's random name).
        let vethName = "veth" + String(sandboxID.prefix(8))
        let host = n.host.add(vethName, .veth, mtu: Self.mtu, mac: macFor(node + "/" + vethName), addrs: [])
        host.master = "cni0"
        let eth0 = ns.add("eth0", .veth, mtu: Self.mtu, mac: podMAC(ip), addrs: [CIDR(address: ip, prefixLength: cidr.prefixLength)])
        eth0.peerNS = n.host; eth0.peerName = vethName; eth0.peerIndex = host.index
        host.peerNS = ns; host.peerName = "eth0"; host.peerIndex = eth0.index
        ns.routes = [RouteEntry(dst: CIDR(parsing: "0.0.0.0/0")!, via: gw, dev: "eth0"),
                     RouteEntry(dst: Self.clusterCIDR, via: gw, dev: "eth0"),
                     RouteEntry(dst: cidr, dev: "eth0", src: ip, kernel: true)]
        n.pods[ip.value] = (ns, pod, namespace)
    }

    func attach(worker: PodWorker, ip: IPv4Address) { workers[ip.value] = Weak(worker) }
    public func worker(at ip: IPv4Address) -> PodWorker? { workers[ip.value]?.value }

    /// CNI DEL: the veth pair and the pod's namespace go.
    public func cniDel(node: String, ip: IPv4Address) {
        workers.removeValue(forKey: ip.value)
        guard let n = nodes[node], let p = n.pods.removeValue(forKey: ip.value) else { return }
        if let veth = p.ns.device("eth0")?.peerName { n.host.remove(veth) }
    }

    /// The node and pod namespace an address belongs to.
    public func pod(at ip: IPv4Address) -> (node: NodeNet, ns: NetNamespace, pod: String, namespace: String)? {
        for n in nodes.values { if let p = n.pods[ip.value] { return (n, p.ns, p.pod, p.namespace) } }
        return nil
    }

    /// `/etc/cni/net.d/10-flannel.conflist` as the flannel DaemonSet installs it.
    public static let conflist = """
        {
          "name": "cbr0",
          "cniVersion": "0.3.1",
          "plugins": [
            {
              "type": "flannel",
              "delegate": {
                "hairpinMode": true,
                "isDefaultGateway": true
              }
            },
            {
              "type": "portmap",
              "capabilities": {
                "portMappings": true
              }
            }
          ]
        }
        """
}

final class Weak<T: AnyObject> {
    weak var value: T?
    init(_ v: T) { value = v }
}
