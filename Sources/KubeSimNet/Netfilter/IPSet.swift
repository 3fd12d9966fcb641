import KubeSimCore

/// An ipset (the kernel's ip_set): the set types node agents use — hash:ip, hash:net,
/// hash:ip,port and bitmap:port — with members in the order they were added.
public final class IPSet {
    public enum Kind: String, Sendable, CaseIterable {
        case hashIP = "hash:ip", hashNet = "hash:net", hashIPPort = "hash:ip,port", bitmapPort = "bitmap:port"
        /// kube-proxy's IPVS mode: KUBE-LOOP-BACK (endpoint address and port, source address).
        case hashIPPortIP = "hash:ip,port,ip"
        /// The type revision ipset 7.17 reports (kernel 6.1's ip_set_* modules).
        var revision: Int {
            switch self { case .hashIP: 6; case .hashNet: 7; case .hashIPPort: 6; case .bitmapPort: 3; case .hashIPPortIP: 5 }
        }
        var dimensions: Int { self == .hashIPPort ? 2 : (self == .hashIPPortIP ? 3 : 1) }
    }
    /// One member: an address or a prefix, an address with a protocol and port, or a port.
    public enum Member: Hashable, Sendable {
        case ip(IPv4Address)
        case net(CIDR)
        case ipPort(IPv4Address, IPProto, Int)
        case port(Int)
        case ipPortIP(IPv4Address, IPProto, Int, IPv4Address)
        public var text: String {
            switch self {
            case .ip(let a): "\(a)"
            case .net(let c): c.prefixLength == 32 ? "\(c.address)" : "\(c)"
            case .ipPort(let a, let p, let port): "\(a),\(p.name):\(port)"
            case .port(let p): "\(p)"
            case .ipPortIP(let a, let p, let port, let b): "\(a),\(p.name):\(port),\(b)"
            }
        }
    }
    public let name: String
    public let kind: Kind
    public var hashsize = 1024
    public var maxelem = 65536
    /// bitmap:port's range.
    public var range: PortRange?
    public private(set) var members: [Member] = []
    private var index: Set<Member> = []
    /// hash:net: the prefix lengths present, longest first, for lookup.
    private var prefixes: [Int] = []
    /// Rules that name the set (ipset refuses to destroy it).
    public var references = 0

    public init(name: String, kind: Kind) { self.name = name; self.kind = kind }

    public func contains(_ m: Member) -> Bool { index.contains(m) }

    @discardableResult
    public func add(_ m: Member) -> Bool {
        guard index.insert(m).inserted else { return false }
        members.append(m)
        if case .net(let c) = m, !prefixes.contains(c.prefixLength) { prefixes.append(c.prefixLength); prefixes.sort(by: >) }
        return true
    }

    @discardableResult
    public func remove(_ m: Member) -> Bool {
        guard index.remove(m) != nil else { return false }
        members.removeAll { $0 == m }
        return true
    }

    public func flush() { members.removeAll(); index.removeAll(); prefixes.removeAll() }

    /// Whether a packet's fields (as `--match-set NAME src|dst[,…]` picks them) are in the set.
    func matches(ip: IPv4Address, proto: IPProto, port: Int, ip2: IPv4Address = IPv4Address(0)) -> Bool {
        switch kind {
        case .hashIP: return index.contains(.ip(ip))
        case .hashNet:
            for len in prefixes where index.contains(.net(CIDR(address: IPv4Address(ip.value & (len == 0 ? 0 : UInt32.max << UInt32(32 - len))), prefixLength: len))) { return true }
            return false
        case .hashIPPort: return index.contains(.ipPort(ip, proto, port))
        case .bitmapPort: return index.contains(.port(port))
        case .hashIPPortIP: return index.contains(.ipPortIP(ip, proto, port, ip2))
        }
    }

    /// Parses a member as `ipset add` takes it for this set's type.
    public func parseMember(_ s: String) -> Member? {
        switch kind {
        case .hashIP: return IPv4Address(parsing: s).map { .ip($0) }
        case .hashNet:
            if let c = CIDR(parsing: s) { return .net(CIDR(address: c.network, prefixLength: c.prefixLength)) }
            return IPv4Address(parsing: s).map { .net(CIDR(address: $0, prefixLength: 32)) }
        case .hashIPPort:
            let parts = s.split(separator: ",", maxSplits: 1)
            guard parts.count == 2, let ip = IPv4Address(parsing: parts[0]) else { return nil }
            let pp = parts[1].split(separator: ":", maxSplits: 1)
            if pp.count == 2 { guard let proto = IPProto(name: String(pp[0])), let port = Int(pp[1]), (0...65535).contains(port) else { return nil }; return .ipPort(ip, proto, port) }
            guard let port = Int(parts[1]), (0...65535).contains(port) else { return nil }
            return .ipPort(ip, .tcp, port)
        case .bitmapPort:
            guard let p = Int(s), let r = range, r.contains(p) else { return nil }
            return .port(p)
        case .hashIPPortIP:
            let parts = s.split(separator: ",")
            guard parts.count == 3, let ip = IPv4Address(parsing: parts[0]), let ip2 = IPv4Address(parsing: parts[2]) else { return nil }
            let pp = parts[1].split(separator: ":", maxSplits: 1)
            guard pp.count == 2, let proto = IPProto(name: String(pp[0])), let port = Int(pp[1]), (0...65535).contains(port) else { return nil }
            return .ipPortIP(ip, proto, port, ip2)
        }
    }

    /// `ipset list NAME` as ipset 7.17 prints it (lib/print.c and the type's header).
    public func listing() -> String {
        let initval = String(fnv(name), radix: 16)
        var header: String
        switch kind {
        case .bitmapPort: header = "range \(range?.low ?? 0)-\(range?.high ?? 65535)"
        default: header = "family inet hashsize \(hashsize) maxelem \(maxelem) bucketsize 12 initval 0x\(initval)"
        }
        let size = (kind == .bitmapPort ? 8264 : 440) + members.count * (kind == .hashIPPort ? 24 : 16)
        var lines = ["Name: \(name)", "Type: \(kind.rawValue)", "Revision: \(kind.revision)", "Header: \(header)",
                     "Size in memory: \(size)", "References: \(references)", "Number of entries: \(members.count)", "Members:"]
        lines += members.map(\.text)
        return lines.joined(separator: "\n")
    }

    private func fnv(_ s: String) -> UInt32 {
        var h: UInt32 = 2_166_136_261
        for b in s.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        return h
    }
}
