import KubeSimCore

// tcpdump on a node: a capture registered on one of the node's devices (or `any`) sees
// every packet the datapath walker carries across that device, at the moment it crosses
// (Datapath.swift calls `tap` at each device hop), and prints it the way tcpdump 4.99
// prints it with -n: `HH:MM:SS.uuuuuu IP src.port > dst.port: …`. Nothing is rendered
// a second time from a trace: the walker hands over the packet itself.
//
// The formats follow tcpdump's printers (the-tcpdump-group/tcpdump): print-tcp.c
// (flags, relative sequence numbers per conversation, options, `length N: HTTP: …`),
// print-udp.c (`UDP, length N`; port 8472 is OTV's, so flannel's VXLAN prints as
// `OTV, flags [I] (0x08), overlay 0, instance 1` and the inner frame on the next line,
// as print-otv.c does; 4789 would print `VXLAN, flags [I] (0x08), vni 1`), print-icmp.c
// and print-sll.c (`-i any`: interface name and In/Out).

/// What tcpdump decodes beyond the addresses: TCP sequence numbers, window and options,
/// the payload's length and first line; ICMP echo ids; the datagram an ICMP error quotes.
public final class PacketDetail {
    public enum TCPOptions: Sendable { case none, syn(mss: Int, tsval: UInt32, tsecr: UInt32), timestamps(tsval: UInt32, tsecr: UInt32) }
    public var seq: UInt32 = 0
    public var ack: UInt32 = 0
    public var window = 0
    public var options = TCPOptions.none
    /// TCP or UDP payload bytes.
    public var payload = 0
    /// The first line of an HTTP request or response starting in this segment.
    public var firstLine: String?
    public var icmpID = 0
    public var icmpSeq = 0
    /// The datagram an ICMP error quotes (its protocol, destination and port).
    public var quoted: (proto: String, src: IPv4Address, sport: Int, dst: IPv4Address, dport: Int)?
    /// Next-hop MTU of a fragmentation-needed error.
    public var mtu = 0

    public init() {}

    /// An ICMP echo request or reply.
    public static func echo(id: Int, seq: Int) -> PacketDetail {
        let d = PacketDetail()
        d.icmpID = id
        d.icmpSeq = seq
        return d
    }

    /// An ICMP error about `p`.
    public static func error(quoting p: Packet, mtu: Int = 0) -> PacketDetail {
        let d = PacketDetail()
        d.quoted = (p.proto, p.src, p.proto == "ICMP" ? PodNetwork.echoID(p) : p.sport, p.dst, p.dport)
        d.mtu = mtu
        return d
    }

    /// An ICMP error about a datagram named by its addresses and ports.
    public static func error(quoting proto: String, from src: IPv4Address, _ sport: Int, to dst: IPv4Address, _ dport: Int) -> PacketDetail {
        let d = PacketDetail()
        d.quoted = (proto, src, sport, dst, dport)
        return d
    }

    /// A UDP datagram's payload length.
    public static func udp(payload: Int) -> PacketDetail {
        let d = PacketDetail()
        d.payload = payload
        return d
    }

    /// What a sender without a conversation (the `trace` command) would have put in the
    /// headers: a SYN with Linux's options, an echo with id 0, a UDP datagram.
    static func synthesized(_ p: Packet, mss: Int, at time: Int64) -> PacketDetail {
        switch p.proto {
        case "TCP":
            let d = PacketDetail()
            d.seq = Wire.mix(p.src.value, UInt32(p.sport), p.dst.value, UInt32(p.dport))
            d.window = TCPConversation.synWindow(mss: mss)
            d.options = .syn(mss: mss, tsval: Wire.tsval(p.src, p.dst, at: time), tsecr: 0)
            d.payload = max(0, p.size - 60)
            return d
        case "ICMP": return echo(id: 0, seq: 0)
        default: return udp(payload: max(0, p.size - 28))
        }
    }
}

/// The wire's side of the datapath: the packet captures listening on nodes' devices, the
/// time packets leave at (simulated; a conversation's packets follow one another, an
/// idle wire starts at the cluster clock), and deterministic ephemeral ports.
public final class Wire {
    public enum Direction: Sendable { case incoming, outgoing }
    /// Simulated time per step of a packet's walk (the same 12 µs busybox ping reports).
    public static let hopLatency: Int64 = 12_000
    /// The cluster clock (set when the first capture starts; nothing else reads wire time).
    public var now: () -> Int64 = { 0 }
    /// When the last packet sent arrived (or was dropped).
    private var cursor: Int64 = 0
    public private(set) var captures: [PacketCapture] = []
    private var connections: UInt32 = 0
    private var processes = 0

    /// When a packet sent now leaves: after the last one, never before the clock.
    public var departure: Int64 { max(now(), cursor) }
    /// The sender waits until `time` (a timer, a retransmission, ping's interval). Wire time
    /// only moves while a capture listens; otherwise packets leave at the cluster clock.
    public func resume(at time: Int64) { if !captures.isEmpty { cursor = max(cursor, time) } }

    func depart(_ p: inout Packet, _ t: inout Trace, mss: Int) {
        t.start = departure
        if p.detail == nil { p.detail = PacketDetail.synthesized(p, mss: mss, at: t.start) }
    }

    func arrived(_ t: Trace) { cursor = max(cursor, t.start + Int64(t.hopCount) * Self.hopLatency) }

    public func start(_ c: PacketCapture) { captures.append(c) }

    /// Ends the captures on `node` (all when nil), returning them in the order they started.
    public func stop(node: String?) -> [PacketCapture] {
        let ended = captures.filter { node == nil || $0.node == node }
        captures.removeAll { node == nil || $0.node == node }
        return ended
    }

    /// The source port a connect() gets: from the local range 32768–60999, even (Linux
    /// keeps odd ports for bind()), different for each connection, the same every run.
    public func ephemeralPort(_ src: IPv4Address, _ dst: IPv4Address, _ dport: Int) -> Int {
        connections &+= 1
        let h = Self.mix(src.value, dst.value, UInt32(dport), connections)
        return 32768 + Int(h % 14116) * 2
    }

    /// A process id for a tool started in a container (ping's ICMP id): small, increasing.
    public func nextPID() -> Int {
        processes += 1
        return 6 + processes
    }

    /// A deterministic 32-bit mix (never Swift's per-process seeded Hasher).
    static func mix(_ words: UInt32...) -> UInt32 {
        var h: UInt32 = 2_166_136_261
        for w in words {
            for shift in stride(from: 0, to: 32, by: 8) { h = (h ^ ((w >> UInt32(shift)) & 0xff)) &* 16_777_619 }
        }
        h ^= h >> 15; h = h &* 0x2c1b_3c6d; h ^= h >> 12
        return h
    }

    /// A TCP timestamp: the host's millisecond clock plus a per-connection offset, as Linux
    /// randomises it (net.ipv4.tcp_timestamps=1).
    static func tsval(_ src: IPv4Address, _ dst: IPv4Address, at time: Int64) -> UInt32 {
        UInt32(truncatingIfNeeded: time / 1_000_000 + Int64(mix(src.value, dst.value) >> 1))
    }

    func record(_ node: String, _ dev: String, _ dir: Direction, _ p: Packet, at time: Int64, promiscuousOnly: Bool) {
        for c in captures where c.node == node && !c.finished {
            if c.interface == dev || (c.interface == "any" && !promiscuousOnly) {
                c.offer(p, dev: dev, dir, at: time)
            }
        }
    }
}

extension PodNetwork {
    /// A packet crosses `dev` on `n`: the captures listening there see it. Bridged frames
    /// between two pods reach the cni0 device only when it is promiscuous (tcpdump -i cni0
    /// makes it so; -i any does not).
    @inline(__always)
    func tap(_ n: NodeNet, _ dev: String, _ dir: Wire.Direction, _ p: Packet, _ t: Trace, promiscuousOnly: Bool = false) {
        guard !wire.captures.isEmpty else { return }
        wire.record(n.name, dev, dir, p, at: t.start + Int64(t.hopCount) * Wire.hopLatency, promiscuousOnly: promiscuousOnly)
    }
}

/// One running `tcpdump -i IFACE [-n] [-c N] [expression]` on a node.
public final class PacketCapture {
    public let node: String
    public let interface: String
    public let filter: CaptureFilter?
    /// `-c N`: tcpdump exits after N packets.
    public let limit: Int?
    /// The command line as typed (for headings when several captures stop at once).
    public let commandLine: String
    public private(set) var lines: [String] = []
    public private(set) var captured = 0
    /// tcpdump's table of TCP conversations: the first sequence numbers it saw, so later
    /// segments print relative to them (print-tcp.c, tcp_seq_hash).
    private var conversations: [ConversationKey: (seq: UInt32, ack: UInt32)] = [:]

    struct ConversationKey: Hashable { let src: UInt32, dst: UInt32, ports: UInt32 }

    public init(node: String, interface: String, filter: CaptureFilter?, limit: Int?, commandLine: String) {
        self.node = node; self.interface = interface; self.filter = filter; self.limit = limit; self.commandLine = commandLine
    }

    public var finished: Bool { limit.map { captured >= $0 } ?? false }

    /// What tcpdump prints on stderr when it starts.
    public var banner: String {
        let link = interface == "any" ? "LINUX_SLL2 (Linux cooked v2)" : "EN10MB (Ethernet)"
        return (interface == "any" ? "tcpdump: data link type LINUX_SLL2\n" : "")
            + "tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\n"
            + "listening on \(interface), link-type \(link), snapshot length 262144 bytes"
    }

    /// What tcpdump prints when it ends (interrupted, or after -c N packets).
    public var summary: String {
        "\(captured) packet\(captured == 1 ? "" : "s") captured\n\(captured) packet\(captured == 1 ? "" : "s") received by filter\n0 packets dropped by kernel"
    }

    func offer(_ p: Packet, dev: String, _ dir: Wire.Direction, at time: Int64) {
        guard filter.map({ $0.matches(p) }) ?? true else { return }
        captured += 1
        var s = Self.timestamp(time) + " "
        if interface == "any" {
            s += (dev.count >= 5 ? dev : dev + String(repeating: " ", count: 5 - dev.count)) + " " + (dir == .incoming ? "In  " : "Out ")
        }
        if let o = p.outer.last {
            if o.esp {
                // print-esp.c: the payload is encrypted; tcpdump sees only the SPI and sequence.
                s += "IP \(o.src) > \(o.dst): ESP(spi=0x\(String(0x1000 + o.vni, radix: 16)),seq=0x1), length \(p.size + o.overhead - 20)"
                lines.append(s)
                return
            }
            if o.weave {
                // print-udp.c has no decoder for fastdp's port 6784: a plain UDP line, the
                // payload being the VXLAN header, the inner Ethernet frame and the packet.
                s += "IP \(o.src).\(o.sport) > \(o.dst).\(o.port): UDP, length \(p.size + 22)"
                lines.append(s)
                return
            }
            if o.ipip {
                // print-ip.c: IP-in-IP prints the outer addresses, then the inner packet on the same line.
                s += "IP \(o.src) > \(o.dst): "
            } else {
                s += "IP \(o.src).\(o.sport) > \(o.dst).\(o.port): "
                s += o.port == 4789 ? "VXLAN, flags [I] (0x08), vni \(o.vni)\n" : "OTV, flags [I] (0x08), overlay 0, instance \(o.vni)\n"
            }
        }
        s += ipLine(p)
        lines.append(s)
    }

    /// `00:00:12.000100`: the simulated time of day, to the microsecond.
    static func timestamp(_ ns: Int64) -> String {
        let us = ns / 1000
        let day = us % 86_400_000_000
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let frac = String(day % 1_000_000 + 1_000_000).dropFirst()
        return "\(two(day / 3_600_000_000)):\(two(day / 60_000_000 % 60)):\(two(day / 1_000_000 % 60)).\(frac)"
    }

    func ipLine(_ p: Packet) -> String {
        let d = p.detail ?? PacketDetail()
        switch p.proto {
        case "TCP": return tcpLine(p, d)
        case "UDP": return "IP \(p.src).\(p.sport) > \(p.dst).\(p.dport): UDP, length \(d.payload)"
        default:
            let length = p.size - 20
            let what: String
            switch p.flags {
            case "echo-request": what = "echo request, id \(d.icmpID), seq \(d.icmpSeq)"
            case "echo-reply": what = "echo reply, id \(d.icmpID), seq \(d.icmpSeq)"
            case "time-exceeded": what = "time exceeded in-transit"
            case "port-unreachable":
                let q = d.quoted
                what = "\(q?.dst.description ?? "?") \((q?.proto ?? "UDP").lowercased()) port \(q?.dport ?? 0) unreachable"
            case "host-unreachable": what = "host \(d.quoted?.dst.description ?? "?") unreachable"
            case "frag-needed": what = "\(d.quoted?.dst.description ?? "?") unreachable - need to frag (mtu \(d.mtu))"
            default: what = p.flags
            }
            return "IP \(p.src) > \(p.dst): ICMP \(what), length \(length)"
        }
    }

    /// print-tcp.c: `Flags [S.], seq …, ack …, win …, options […], length N[: HTTP: …]`.
    func tcpLine(_ p: Packet, _ d: PacketDetail) -> String {
        let f = p.flags
        let syn = f.hasPrefix("SYN"), fin = f.hasPrefix("FIN"), rst = f.hasPrefix("RST"), psh = f.hasPrefix("PSH")
        let hasACK = f == "ACK" || f.hasSuffix("-ACK")
        // tcp_flag_values order: F S R P . (U E W)
        let letters = (fin ? "F" : "") + (syn ? "S" : "") + (rst ? "R" : "") + (psh ? "P" : "") + (hasACK ? "." : "")
        var s = "IP \(p.src).\(p.sport) > \(p.dst).\(p.dport): Flags [\(letters.isEmpty ? "none" : letters)]"
        var seq = d.seq, ack = d.ack
        if hasACK {
            // One entry for both directions, keyed in an arbitrary collating order.
            let rev = p.sport > p.dport || (p.sport == p.dport && p.src.value > p.dst.value)
            let key = rev ? ConversationKey(src: p.dst.value, dst: p.src.value, ports: UInt32(p.dport) << 16 | UInt32(p.sport))
                          : ConversationKey(src: p.src.value, dst: p.dst.value, ports: UInt32(p.sport) << 16 | UInt32(p.dport))
            if let th = conversations[key], !syn {
                if rev { seq &-= th.ack; ack &-= th.seq } else { seq &-= th.seq; ack &-= th.ack }
            } else {
                conversations[key] = rev ? (seq: ack &- 1, ack: seq) : (seq: seq, ack: ack &- 1)
            }
        }
        if d.payload > 0 || syn || fin || rst {
            s += ", seq \(seq)"
            if d.payload > 0 { s += ":\(seq &+ UInt32(d.payload))" }
        }
        if hasACK { s += ", ack \(ack)" }
        s += ", win \(d.window)"
        switch d.options {
        case .none: break
        case let .syn(mss, tsval, tsecr): s += ", options [mss \(mss),sackOK,TS val \(tsval) ecr \(tsecr),nop,wscale 7]"
        case let .timestamps(tsval, tsecr): s += ", options [nop,nop,TS val \(tsval) ecr \(tsecr)]"
        }
        s += ", length \(d.payload)"
        if d.payload > 0 && ([80, 8080].contains(p.sport) || [80, 8080].contains(p.dport)) {
            s += ": " + (d.firstLine.map { "HTTP: " + $0 } ?? "HTTP")
        }
        return s
    }
}

/// A capture filter in pcap-filter(7) syntax, the part a learner uses: `host`, `src`/`dst
/// host`, `net`, `port`, `src`/`dst port`, `tcp`, `udp`, `icmp`, `ip`, with `and`/`&&`,
/// `or`/`||`, `not`/`!` and parentheses. Like BPF it looks at the outermost headers: on
/// eth0 a VXLAN packet is UDP between the nodes' addresses; the pod addresses inside do
/// not match `host`.
public indirect enum CaptureFilter: Sendable {
    public enum Side: Sendable { case either, src, dst }
    case host(IPv4Address, Side)
    case net(CIDR, Side)
    case port(Int, Side, proto: String?)
    case proto(String)
    case not(CaptureFilter)
    case and(CaptureFilter, CaptureFilter)
    case or(CaptureFilter, CaptureFilter)

    public struct ParseError: Error, Sendable { public let message: String }

    public func matches(_ p: Packet) -> Bool {
        let (src, dst, proto, sport, dport): (IPv4Address, IPv4Address, String, Int, Int)
        if let o = p.outer.last { (src, dst, proto, sport, dport) = (o.src, o.dst, o.ipip ? "IPIP" : (o.esp ? "ESP" : "UDP"), o.esp ? 0 : o.sport, o.esp ? 0 : o.port) }
        else { (src, dst, proto, sport, dport) = (p.src, p.dst, p.proto, p.sport, p.dport) }
        func side(_ s: Side, _ test: (IPv4Address) -> Bool) -> Bool {
            switch s { case .either: return test(src) || test(dst); case .src: return test(src); case .dst: return test(dst) }
        }
        switch self {
        case let .host(a, s): return side(s) { $0 == a }
        case let .net(c, s): return side(s) { c.contains($0) }
        case let .port(n, s, pr):
            guard proto == "TCP" || proto == "UDP", pr == nil || pr == proto else { return false }
            switch s { case .either: return sport == n || dport == n; case .src: return sport == n; case .dst: return dport == n }
        case let .proto(pr): return pr == "IP" || pr == proto
        case let .not(f): return !f.matches(p)
        case let .and(a, b): return a.matches(p) && b.matches(p)
        case let .or(a, b): return a.matches(p) || b.matches(p)
        }
    }

    /// Parses the words after tcpdump's options (joined, as tcpdump joins them);
    /// `resolve` turns a host name into an address (the node's /etc/hosts).
    public static func parse(_ words: [String], resolve: (String) -> IPv4Address?) throws(ParseError) -> CaptureFilter? {
        var tokens: [String] = []
        for w in words {
            var cur = ""
            for ch in w {
                if ch == "(" || ch == ")" || ch == "!" && !cur.hasSuffix("!") {
                    if !cur.isEmpty { tokens.append(cur); cur = "" }
                    tokens.append(String(ch))
                } else if ch == " " || ch == "\t" {
                    if !cur.isEmpty { tokens.append(cur); cur = "" }
                } else { cur.append(ch) }
            }
            if !cur.isEmpty { tokens.append(cur) }
        }
        guard !tokens.isEmpty else { return nil }
        var i = 0
        let syntax = ParseError(message: "can't parse filter expression: syntax error")
        func peek() -> String? { i < tokens.count ? tokens[i] : nil }
        func next() -> String? { defer { i += 1 }; return peek() }
        func address(_ w: String) throws(ParseError) -> IPv4Address {
            if let a = IPv4Address(parsing: w) { return a }
            guard w.first?.isLetter ?? false else { throw syntax }
            guard let a = resolve(w) else { throw ParseError(message: "unknown host '\(w)'") }
            return a
        }
        func port(_ w: String?) throws(ParseError) -> Int {
            guard let w else { throw syntax }
            if let n = Int(w), (0...65535).contains(n) { return n }
            let named = ["http": 80, "https": 443, "domain": 53, "ssh": 22, "www": 80, "http-alt": 8080]
            guard let n = named[w] else { throw ParseError(message: w.first?.isLetter ?? false ? "unknown port '\(w)'" : "can't parse filter expression: syntax error") }
            return n
        }
        func primitive() throws(ParseError) -> CaptureFilter {
            guard var w = next() else { throw syntax }
            var proto: String?
            if ["tcp", "udp"].contains(w), let n = peek(), ["port", "src", "dst"].contains(n) { proto = w.uppercased(); w = next()! }
            var side = Side.either
            if w == "src" || w == "dst" {
                side = w == "src" ? .src : .dst
                guard let n = next() else { throw syntax }
                w = n
                if w == "or" || w == "and" {   // `src or dst host X`
                    guard let n = next(), n == (side == .src ? "dst" : "src"), let m = next() else { throw syntax }
                    side = .either; w = m
                }
                if w != "host" && w != "net" && w != "port" { return .host(try address(w), side) }
            }
            switch w {
            case "host": guard let a = next() else { throw syntax }; return .host(try address(a), side)
            case "net":
                guard let a = next() else { throw syntax }
                guard let c = CIDR(parsing: a) ?? IPv4Address(parsing: a).map({ CIDR(address: $0, prefixLength: 32) }) else { throw syntax }
                guard c.address == c.network else { throw ParseError(message: "non-network bits set in \"\(a)\"") }
                return .net(c, side)
            case "port": return .port(try port(next()), side, proto: proto)
            case "tcp", "udp", "icmp", "ip": return .proto(w.uppercased())
            default:
                if IPv4Address(parsing: w) != nil { return .host(IPv4Address(parsing: w)!, side) }
                throw syntax
            }
        }
        func factor() throws(ParseError) -> CaptureFilter {
            if peek() == "not" || peek() == "!" { i += 1; return .not(try factor()) }
            if peek() == "(" {
                i += 1
                let e = try expr()
                guard next() == ")" else { throw syntax }
                return e
            }
            return try primitive()
        }
        func term() throws(ParseError) -> CaptureFilter {
            var f = try factor()
            while peek() == "and" || peek() == "&&" { i += 1; f = .and(f, try factor()) }
            return f
        }
        func expr() throws(ParseError) -> CaptureFilter {
            var f = try term()
            while peek() == "or" || peek() == "||" { i += 1; f = .or(f, try term()) }
            return f
        }
        let f = try expr()
        guard i == tokens.count else { throw syntax }
        return f
    }
}
