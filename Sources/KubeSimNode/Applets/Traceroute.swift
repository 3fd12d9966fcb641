import KubeSimCore
import KubeSimNet
import KubeSimControl

/// busybox traceroute (networking/traceroute.c, 1.36) inside a pod, and the wire side of
/// wget and curl. Probes walk the datapath with TTL 1, 2, …: the node whose routing
/// decrements the TTL to zero answers "time exceeded" from the address its kernel picks
/// for the way back (the cni0 gateway on the pod's own node; the remote flannel.1
/// address, 10.244.X.0, for VXLAN; the node's eth0 address for host-gw), and the
/// destination answers the UDP probe with "port unreachable".
extension ContainerProcess {
    static let tracerouteUsage = "BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: traceroute [-46IFlnrv] [-f 1ST_TTL] [-m MAXTTL] [-q PROBES] [-p PORT]\n\t[-t TOS] [-w WAIT_SEC] [-s SRC_IP] [-i IFACE]\n\t[-z PAUSE_MSEC] HOST [BYTES]"

    func traceroute(_ args: [String]) -> (Int, String) {
        var numeric = false, icmp = false, df = false, showTTL = false
        var firstTTL = 1, maxTTL = 30, probes = 3, port = 33434, wait = 5
        var words: [String] = []
        var i = 0
        func number(_ w: String?, _ range: ClosedRange<Int>) -> Result<Int, String> {
            guard let w, let n = Int(w), n >= 0 else { return .failure("traceroute: invalid number '\(w ?? "")'") }
            guard range.contains(n) else { return .failure("traceroute: number \(n) is not in \(range.lowerBound)..\(range.upperBound) range") }
            return .success(n)
        }
        while i < args.count {
            let a = args[i]
            i += 1
            guard a.hasPrefix("-"), a.count > 1 else { words.append(a); continue }
            var letters = Array(a.dropFirst())
            while !letters.isEmpty {
                let l = letters.removeFirst()
                switch l {
                case "n": numeric = true
                case "I": icmp = true
                case "F": df = true
                case "l": showTTL = true
                case "4", "r", "v", "d": break
                case "f", "m", "q", "p", "w", "t", "z", "s", "i":
                    let value: String?
                    if !letters.isEmpty { value = String(letters); letters = [] } else if i < args.count { value = args[i]; i += 1 } else { value = nil }
                    guard value != nil else { return (1, "traceroute: option requires an argument -- '\(l)'\n" + Self.tracerouteUsage) }
                    let r: Result<Int, String>
                    switch l {
                    case "f": r = number(value, 1...255); if case let .success(n) = r { firstTTL = n }
                    case "m": r = number(value, 1...255); if case let .success(n) = r { maxTTL = n }
                    case "q": r = number(value, 1...Int(Int32.max)); if case let .success(n) = r { probes = n }
                    case "p": r = number(value, 0...65535); if case let .success(n) = r { port = n }
                    case "w": r = number(value, 1...86400); if case let .success(n) = r { wait = n }
                    default: r = .success(0)
                    }
                    if case let .failure(msg) = r { return (1, msg) }
                case "6": return (1, "traceroute: bad address '\(words.first ?? "")'")
                default: return (1, "traceroute: invalid option -- '\(l)'\n" + Self.tracerouteUsage)
                }
            }
        }
        guard let host = words.first else { return (1, Self.tracerouteUsage) }
        guard firstTTL <= maxTTL else { return (1, "traceroute: number \(firstTTL) is not in 1..\(maxTTL) range") }
        var packlen = 20 + 8 + 18   // IP + UDP (or ICMP) header + busybox's outdata_t
        if words.count > 1 {
            switch number(words[1], packlen...32 * 1024) {
            case let .success(n): packlen = n
            case let .failure(msg): return (1, msg)
            }
        }
        guard let dst = resolveHost(host)?.address else { return (1, "traceroute: bad address '\(host)'") }
        guard let net = netns?.network, let src = netns?.sandbox?.ip.flatMap({ IPv4Address(parsing: $0) }) else {
            return (1, "traceroute: can't find interface")
        }
        var out = "traceroute to \(host) (\(dst)), \(maxTTL) hops max, \(packlen) byte packets"
        let ident = net.wire.nextPID()
        // The UDP socket is connect()ed once: one source port for every probe.
        let sport = net.wire.ephemeralPort(src, dst, port)
        var seq = 0
        for ttl in firstTTL...maxTTL {
            var line = ttl < 10 ? " \(ttl)" : "\(ttl)"
            var last: IPv4Address?
            var gotThere = false, unreachable = 0
            for probe in 0..<probes {
                seq += 1
                let t1 = net.wire.departure
                let probePacket: PacketDetail = icmp ? .echo(id: ident, seq: seq) : .udp(payload: packlen - 28)
                let dport = icmp ? 0 : (port + seq) & 0xffff
                let sent = net.walk(from: src, to: dst, proto: icmp ? "ICMP" : "UDP", dport: dport, size: packlen, sport: icmp ? 0 : sport, record: false,
                                    ttl: ttl, df: df, detail: probePacket)
                var probeCopy = Packet(src: src, dst: dst, proto: icmp ? "ICMP" : "UDP", sport: sport, dport: dport, flags: icmp ? "echo-request" : "", size: packlen)
                probeCopy.detail = probePacket
                // The answer: who sent it, its walk back, and what it says.
                var answer: (from: IPv4Address, back: Trace, mark: String, extra: Int)?
                if sent.delivered {
                    let replyTo = sent.masqueradedAs?.ip ?? src
                    let reply = icmp
                        ? net.walk(from: dst, to: replyTo, proto: "ICMP", dport: 0, size: packlen, flags: "echo-reply", record: false, detail: .echo(id: ident, seq: seq))
                        : net.walk(from: dst, to: replyTo, proto: "ICMP", dport: 0, size: 28 + min(packlen, 548), flags: "port-unreachable", record: false,
                                   detail: .error(quoting: probeCopy))
                    answer = (dst, reply, reply.finalTTL <= 1 ? " !" : "", 0)
                    gotThere = true
                } else if let kind = sent.icmp {
                    if kind.hasPrefix("time exceeded"), let node = sent.icmpNode, let e = net.icmpError("time-exceeded", about: probeCopy, from: node) {
                        answer = (e.from, e.trace, "", 0)
                    } else if kind == "host unreachable" {
                        // ARP gave up after three requests a second apart.
                        if let node = sent.icmpNode, let e = net.icmpError("host-unreachable", about: probeCopy, from: node) {
                            answer = (e.from, e.trace, " !H", 3_000_000)
                        } else {
                            answer = (src, Trace(), " !H", 3_000_000)
                        }
                        unreachable += 1
                    } else if kind.hasPrefix("frag needed") {
                        let mtu = Int(kind.split(separator: " ").last?.dropLast() ?? "") ?? 0
                        guard let node = sent.icmpNode else { return (1, out + "\n" + line + "traceroute: sendto: Message too long") }
                        if let e = net.icmpError("frag-needed", about: probeCopy, from: node, mtu: mtu) { answer = (e.from, e.trace, " !F-\(mtu)", 0) }
                        unreachable += 1
                    }
                }
                guard let a = answer, a.back.delivered || a.from == src else {
                    line += "  *"
                    advance?(.seconds(Int64(wait)))   // the probe's wait (-w) passes
                    net.wire.resume(at: t1 + Int64(wait) * 1_000_000_000)
                    continue
                }
                if probe == 0 || last != a.from {
                    line += numeric ? "  \(a.from)" : "  \(a.from) (\(a.from))"
                    last = a.from
                }
                // Simulated round trip: 12 µs per step there and back; the first probe to
                // a hop also fills the route and neighbour caches on the way.
                let base = (sent.hopCount + a.back.hopCount) * 12
                let micros = a.extra + base + (probe == 0 ? base * 3 / 10 : probe == 2 ? -(base / 20) : 0)
                line += "  \(micros / 1000).\(String(micros % 1000 + 1000).dropFirst()) ms"
                if showTTL { line += " (\(a.back.finalTTL))" }
                line += a.mark
            }
            out += "\n" + line
            if gotThere || (unreachable > 0 && unreachable >= probes - 1) { break }
        }
        return (0, out)
    }

    /// How long a client waits for its connection: wget's `-T SEC`, curl's
    /// `--connect-timeout SEC` or `-m SEC`; else until the kernel gives up (127 s).
    /// (A wait longer than the kernel's own connect timeout ends with the kernel's.)
    static func connectTimeout(_ cmd: String, _ args: [String]) -> Int {
        let flags = cmd == "wget" ? ["-T"] : ["--connect-timeout", "-m", "--max-time"]
        func seconds(_ n: Double) -> Int { n.isFinite && n > 0 ? Int(min(n, 127).rounded(.up)) : 127 }
        for (i, a) in args.enumerated() {
            if flags.contains(a), i + 1 < args.count, let n = Double(args[i + 1]) { return seconds(n) }
            if cmd == "wget", a.hasPrefix("-T"), let n = Double(a.dropFirst(2)) { return seconds(n) }
            if let eq = a.firstIndex(of: "="), flags.contains(String(a[..<eq])), let n = Double(a[a.index(after: eq)...]) { return seconds(n) }
        }
        return 127
    }

    /// The request and response of an HTTP exchange with a pod on the connection the
    /// client opened, segment by segment.
    /// (`self` is the server.)
    func httpOnTheWire(_ conn: inout TCPConversation?, _ cmd: String, _ hostPort: String, _ path: String, _ status: Int, _ body: String) {
        guard conn != nil else { return }
        let d = Self.date(clock.now).split(separator: " ")   // Thu Jan  1 00:00:05 UTC 2026
        let day = d[2].count == 1 ? "0" + d[2] : String(d[2])
        let date = "\(d[0]), \(day) \(d[1]) \(d[5]) \(d[3]) GMT"
        let response = TCPConversation.httpResponse(status: status, reason: Self.reason(status), bodyBytes: body.utf8.count + (body.isEmpty ? 0 : 1),
                                                    nginx: imageBox.spec.repository.hasSuffix("/nginx"), date: date, close: cmd != "curl")
        conn!.http(request: TCPConversation.httpRequest(tool: cmd, hostPort: hostPort, path: path), responseHead: response.head,
                   responseBytes: response.bytes, serverCloses: cmd != "curl")
    }
}
