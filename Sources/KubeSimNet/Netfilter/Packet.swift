import KubeSimCore

/// IP protocol numbers as the kernel and iptables know them (`-p tcp` is 6).
public enum IPProto: UInt8, Sendable {
    case icmp = 1, tcp = 6, udp = 17, sctp = 132
    /// IP in IP (Calico's tunl0) and IPsec ESP (Weave's encryption): no ports.
    case ipip = 4, esp = 50

    public init?(name: String) {
        switch name.lowercased() {
        case "tcp", "6": self = .tcp
        case "udp", "17": self = .udp
        case "icmp", "1": self = .icmp
        case "sctp", "132": self = .sctp
        case "ipencap", "4": self = .ipip
        case "esp", "50": self = .esp
        default: return nil
        }
    }
    /// The name iptables and conntrack print.
    public var name: String {
        switch self { case .icmp: "icmp"; case .tcp: "tcp"; case .udp: "udp"; case .sctp: "sctp"; case .ipip: "ipencap"; case .esp: "esp" }
    }
}

/// TCP header flags (the bits of the flags byte).
public struct TCPFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let fin = TCPFlags(rawValue: 1), syn = TCPFlags(rawValue: 2), rst = TCPFlags(rawValue: 4)
    public static let psh = TCPFlags(rawValue: 8), ack = TCPFlags(rawValue: 16), urg = TCPFlags(rawValue: 32)
    public static let all: TCPFlags = [.fin, .syn, .rst, .psh, .ack, .urg]

    /// The flags of a segment named as the datapath names them ("SYN", "SYN-ACK", "PSH-ACK", "RST-ACK").
    public init(words: String) {
        // The datapath's usual segments ("SYN", "SYN-ACK", "ACK", "PSH-ACK", "FIN-ACK",
        // "RST-ACK", "RST") by first letter and length: no string splitting per hook.
        let u = words.utf8
        if let first = u.first, u.count == 3 || u.count == 7 {
            let ack: TCPFlags = u.count == 7 ? .ack : []
            switch first {
            case UInt8(ascii: "S"): self = TCPFlags.syn.union(ack); return
            case UInt8(ascii: "A") where u.count == 3: self = .ack; return
            case UInt8(ascii: "P"): self = TCPFlags.psh.union(ack); return
            case UInt8(ascii: "F"): self = TCPFlags.fin.union(ack); return
            case UInt8(ascii: "R"): self = TCPFlags.rst.union(ack); return
            default: break
            }
        }
        var f: TCPFlags = []
        for w in words.split(separator: "-") {
            switch w {
            case "SYN": f.insert(.syn)
            case "ACK": f.insert(.ack)
            case "FIN": f.insert(.fin)
            case "RST": f.insert(.rst)
            case "PSH": f.insert(.psh)
            case "URG": f.insert(.urg)
            default: break
            }
        }
        self = f
    }
}

/// The connection-tracking state a packet has when it meets a rule (`-m conntrack --ctstate`).
public enum CTState: UInt8, Sendable, CaseIterable {
    case new, established, related, invalid, untracked, snat, dnat
    public var name: String {
        switch self {
        case .new: "NEW"; case .established: "ESTABLISHED"; case .related: "RELATED"; case .invalid: "INVALID"
        case .untracked: "UNTRACKED"; case .snat: "SNAT"; case .dnat: "DNAT"
        }
    }
}

/// A packet as netfilter sees it at a hook: the L3/L4 headers, the devices it came in and
/// goes out by, its mark and its conntrack state. The datapath builds one per hook pass.
public struct NFPacket: Sendable {
    public var src: IPv4Address
    public var dst: IPv4Address
    public var proto: IPProto
    public var sport: Int
    public var dport: Int
    /// ICMP type and code (8/0 echo request, 0/0 echo reply, 3/x unreachable, 11/0 time exceeded).
    public var icmpType: Int = 0
    public var icmpCode: Int = 0
    /// ICMP echo identifier (the id conntrack keys echo on).
    public var icmpID: Int = 0
    public var tcpFlags: TCPFlags = []
    /// Total length of the IP datagram (the byte counters add it).
    public var length: Int
    /// The netfilter mark (`-m mark`, `-j MARK`).
    public var mark: UInt32 = 0
    public var inDev: String = ""
    public var outDev: String = ""
    /// Bridged by a Linux bridge (br_netfilter): the bridge ports it came in and goes out by.
    public var physIn: String?
    public var physOut: String?
    /// Set by conntrack before the rules run.
    public var ctState: CTState = .new
    /// The flow an ICMP error quotes (for RELATED): protocol, source, destination, ports.
    public var quoted: FlowTuple?

    public init(src: IPv4Address, dst: IPv4Address, proto: IPProto, sport: Int = 0, dport: Int = 0, length: Int = 60) {
        self.src = src; self.dst = dst; self.proto = proto; self.sport = sport; self.dport = dport; self.length = length
    }

    /// An ICMP error (destination unreachable, time exceeded) rather than an echo.
    public var isICMPError: Bool { proto == .icmp && (icmpType == 3 || icmpType == 11 || icmpType == 12) }
    /// Whether the protocol has ports (conntrack keys the rest by addresses alone).
    public var hasPorts: Bool { proto == .tcp || proto == .udp || proto == .sctp }
}
