import KubeSimCore

/// One direction of a connection as conntrack keys it: protocol, addresses and ports
/// (for ICMP echo: the identifier as `sport`, `dport` 0). Hashable: lookup is one
/// dictionary probe on a struct key.
public struct FlowTuple: Hashable, Sendable {
    public var proto: IPProto
    public var src: IPv4Address
    public var dst: IPv4Address
    public var sport: Int
    public var dport: Int
    public init(proto: IPProto, src: IPv4Address, dst: IPv4Address, sport: Int, dport: Int) {
        self.proto = proto; self.src = src; self.dst = dst; self.sport = sport; self.dport = dport
    }
    /// Two words for the hasher (addresses; ports and protocol): one lookup per hook of every packet.
    public func hash(into h: inout Hasher) {
        h.combine(UInt64(src.value) << 32 | UInt64(dst.value))
        h.combine(UInt64(truncatingIfNeeded: sport) << 32 | UInt64(truncatingIfNeeded: dport) << 8 | UInt64(proto.rawValue))
    }
    /// The tuple the other direction's packets carry (an echo reply keeps the identifier).
    public var inverted: FlowTuple {
        proto == .icmp || proto == .ipip || proto == .esp ? FlowTuple(proto: proto, src: dst, dst: src, sport: sport, dport: 0)
                       : FlowTuple(proto: proto, src: dst, dst: src, sport: dport, dport: sport)
    }
}

/// TCP's conntrack states (nf_conntrack_proto_tcp.c tcp_conntrack_names).
public enum TCPConntrackState: String, Sendable {
    case synSent = "SYN_SENT", synRecv = "SYN_RECV", established = "ESTABLISHED", finWait = "FIN_WAIT"
    case closeWait = "CLOSE_WAIT", lastAck = "LAST_ACK", timeWait = "TIME_WAIT", close = "CLOSE"

    /// nf_conntrack_proto_tcp.c tcp_timeouts[] (seconds).
    var timeout: Int64 {
        switch self {
        case .synSent: 120; case .synRecv: 60; case .established: 432_000; case .finWait: 120
        case .closeWait: 60; case .lastAck: 30; case .timeWait: 120; case .close: 10
        }
    }
}

/// One tracked connection: its original and reply tuples (NAT recorded by rewriting the
/// reply tuple, as nf_nat does), its state, flags, mark and expiry.
public final class ConntrackEntry {
    public let id: UInt32
    public var original: FlowTuple
    public var reply: FlowTuple
    public var tcpState: TCPConntrackState?
    public var seenReply = false
    public var assured = false
    public var mark: UInt32 = 0
    /// Simulated time (ns) at which the entry expires unless a packet renews it.
    public var expires: Int64 = 0
    /// The ICMP types of each direction (8/0 echo: printed as `type=8 code=0` and `type=0 code=0`).
    var icmpType = 8
    /// NAT bindings made (the nat table is consulted once per manipulation).
    public var snat = false
    public var dnat = false
    var finFromOriginal = false, finFromReply = false

    init(id: UInt32, original: FlowTuple) {
        self.id = id; self.original = original; reply = original.inverted
    }

    /// The packet's direction in this entry.
    public func isReply(_ t: FlowTuple) -> Bool { t == reply && t != original }
}

/// The connection-tracking table of one network namespace (nf_conntrack): lookup on
/// either direction's tuple, new entries confirmed when their first packet leaves the
/// hooks, lazy expiry with nf_conntrack's default timeouts, and NAT both ways.
public final class Conntrack {
    var byTuple: [FlowTuple: ConntrackEntry] = [:]
    private var nextID: UInt32 = 1
    private var sincePurge = 0
    public init() {}

    /// nf_conntrack's defaults (seconds): ICMP 30, UDP 30 unreplied / 120 once a stream.
    static let icmpTimeout: Int64 = 30, udpTimeout: Int64 = 30, udpStreamTimeout: Int64 = 120, genericTimeout: Int64 = 600
    static let second: Int64 = 1_000_000_000

    /// Entries in the table (expired ones are dropped on lookup and listing).
    public var count: Int { entries(now: .min).count }

    /// The live entry a tuple belongs to, and whether the tuple is its reply direction.
    @inline(__always)
    public func lookup(_ t: FlowTuple, now: Int64) -> (entry: ConntrackEntry, reply: Bool)? {
        guard let e = byTuple[t] else { return nil }
        if e.expires <= now { remove(e); return nil }
        return (e, e.isReply(t))
    }

    /// A new, unconfirmed entry for a connection's first packet.
    public func make(_ t: FlowTuple) -> ConntrackEntry {
        let e = ConntrackEntry(id: nextID, original: t)
        nextID &+= 1
        if t.proto == .tcp { e.tcpState = .synSent }
        return e
    }

    /// Confirms an entry (its first packet passed every hook): both tuples are indexed.
    public func confirm(_ e: ConntrackEntry) {
        byTuple[e.original] = e
        byTuple[e.reply] = e
        sincePurge += 1
        if sincePurge > 4096 && sincePurge > byTuple.count { purge(now: e.expires - 1) }
    }

    /// Whether a reply tuple is taken by another live connection (nf_nat_used_tuple).
    public func taken(_ reply: FlowTuple, now: Int64) -> Bool {
        guard let e = byTuple[reply] else { return false }
        return e.expires > now
    }

    public func remove(_ e: ConntrackEntry) {
        if byTuple[e.original] === e { byTuple.removeValue(forKey: e.original) }
        if byTuple[e.reply] === e { byTuple.removeValue(forKey: e.reply) }
    }

    /// `conntrack -F`.
    public func flush() -> Int {
        let n = Set(byTuple.values.map(\.id)).count
        byTuple.removeAll()
        return n
    }

    func purge(now: Int64) {
        sincePurge = 0
        for (k, e) in byTuple where e.expires <= now { byTuple.removeValue(forKey: k) }
    }

    /// Every live entry, oldest first (conntrack -L order is the hash table's; ours is
    /// creation order, so transcripts are stable).
    public func entries(now: Int64) -> [ConntrackEntry] {
        var seen = Set<UInt32>()
        var out: [ConntrackEntry] = []
        for e in byTuple.values where e.expires > now && seen.insert(e.id).inserted { out.append(e) }
        return out.sorted { $0.id < $1.id }
    }

    /// A packet of the entry passed: the TCP state machine, seen-reply and assured flags,
    /// and the timeout renewed (nf_conntrack_proto_tcp.c tcp_packet, simplified to the
    /// segments the simulator sends; udp_packet; icmp_packet).
    public func update(_ e: ConntrackEntry, reply: Bool, flags: TCPFlags, now: Int64) {
        if reply && !e.seenReply && flags.contains(.rst) && e.original.proto == .tcp {
            e.tcpState = .close
            e.expires = now   // the only reply is a reset: the entry dies (nf_ct_kill_acct)
            return
        }
        if reply { e.seenReply = true }
        switch e.original.proto {
        case .tcp:
            var s = e.tcpState ?? .synSent
            if flags.contains(.rst) {
                s = .close
            } else if flags.contains(.syn) {
                if reply && flags.contains(.ack) && s == .synSent { s = .synRecv }
            } else if flags.contains(.fin) {
                if reply { e.finFromReply = true } else { e.finFromOriginal = true }
                if s == .established || s == .synRecv { s = .finWait }
                else if s == .closeWait || s == .finWait, e.finFromReply && e.finFromOriginal { s = .lastAck }
            } else if flags.contains(.ack) {
                switch s {
                case .synRecv where !reply: s = .established; e.assured = true
                case .finWait where e.finFromReply != e.finFromOriginal: s = .closeWait
                case .lastAck, .finWait where e.finFromReply && e.finFromOriginal: s = .timeWait
                default: break
                }
            }
            e.tcpState = s
            // Unanswered, a connection is kept at most nf_conntrack_tcp_timeout_unacknowledged (300 s).
            e.expires = now + (e.seenReply ? s.timeout : min(s.timeout, 300)) * Self.second
        case .udp:
            if !reply && e.seenReply { e.assured = true }
            e.expires = now + (e.assured ? Self.udpStreamTimeout : Self.udpTimeout) * Self.second
        case .icmp:
            e.expires = now + Self.icmpTimeout * Self.second
        default:
            // nf_conntrack_proto_generic.c: 600 s.
            e.expires = now + Self.genericTimeout * Self.second
        }
    }

    /// The seconds left, as `conntrack -L` prints them.
    static func secondsLeft(_ e: ConntrackEntry, now: Int64) -> Int64 { max(0, (e.expires - now) / second) }
}

extension Conntrack {
    /// `conntrack -L` as conntrack-tools 1.4.7 prints an entry (src/conntrack.c with
    /// libnetfilter_conntrack's default output): protocol padded to 8, its number, the
    /// seconds left, the TCP state, the original tuple, [UNREPLIED], the reply tuple,
    /// [ASSURED], mark and use.
    public func line(_ e: ConntrackEntry, now: Int64) -> String {
        let p = e.original.proto
        // Protocols without a conntrack helper of their own print as "unknown".
        let name = [.tcp, .udp, .icmp, .sctp].contains(p) ? p.name : "unknown"
        var s = name.padding(8) + " \(p.rawValue) \(Self.secondsLeft(e, now: now)) "
        if let st = e.tcpState { s += st.rawValue + " " }
        s += Self.tupleText(e.original, icmpType: e.icmpType)
        if !e.seenReply { s += " [UNREPLIED]" }
        s += " " + Self.tupleText(e.reply, icmpType: e.icmpType == 8 ? 0 : e.icmpType)
        if e.assured { s += " [ASSURED]" }
        return s + " mark=\(e.mark) use=1"
    }

    static func tupleText(_ t: FlowTuple, icmpType: Int) -> String {
        if t.proto == .icmp { return "src=\(t.src) dst=\(t.dst) type=\(icmpType) code=0 id=\(t.sport)" }
        if t.proto == .ipip || t.proto == .esp { return "src=\(t.src) dst=\(t.dst)" }
        return "src=\(t.src) dst=\(t.dst) sport=\(t.sport) dport=\(t.dport)"
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
