import KubeSimCore
import KubeSimNet
import KubeSimControl
import KubeSimAPI

/// The network side of a container's tools: its pod's namespace (localhost, the pod IP)
/// and the pod network beyond it, for busybox wget, curl, nc and ping.
extension ContainerProcess {
    // MARK: - the pod's own network namespace (loopback)

    /// The address a host names inside this pod's network namespace: localhost and the
    /// pod's own IP are local (the kernel's local table); anything else leaves the pod.
    func localAddress(_ host: String) -> String? {
        if ["localhost", "127.0.0.1", "::1", "0.0.0.0"].contains(host) { return "127.0.0.1" }
        if let ip = netns?.sandbox?.ip, ip == host { return ip }
        return nil
    }

    /// A process of the pod listening on the port: the namespace's socket table (one for
    /// the pod) has the socket, and the process holding it answers.
    func podListener(_ port: Int) -> ContainerProcess? {
        if listening.contains(port) && !exited { return self }
        guard let pod = netns, pod.socketTable.contains(where: { $0.port == port }) else { return nil }
        return pod.process(listeningOn: port)
    }

    /// busybox wget (`-q`, `-O-`, `-T N`) and curl (`-s`, `-f`, `-H`) against a server in the pod.
    func httpClient(_ cmd: String, _ args: [String]) -> (Int, String) {
        guard let url = Self.parseURL(args) else {
            return cmd == "wget" ? (1, "BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR] [-T SEC] URL...") : (2, "curl: try 'curl --help' or 'curl --manual' for more information")
        }
        if let local = localAddress(url.host) {
            var none: TCPConversation? = nil
            return Self.respond(podListener(url.port), cmd, args, url, ip: local, clientIP: "127.0.0.1", conn: &none)
        }
        // Across the pod network: the request walks the datapath, the reply walks back.
        guard let dst = resolveHost(url.host)?.address else {
            return cmd == "wget" ? (1, "wget: bad address '\(url.host)'") : (6, "curl: (6) Could not resolve host: \(url.host)")
        }
        guard let net = netns?.network, let src = netns?.sandbox?.ip.flatMap({ IPv4Address(parsing: $0) }) else { return (1, "network unavailable") }
        return Self.fetch(net, from: src, to: dst, cmd, args, url, advance: advance)
    }

    /// An HTTP URL taken apart: host, port (80 by default), the host:port as written, path.
    public struct URLParts { public let host: String; public let port: Int; public let hostPort: String; public let path: String }

    public static func parseURL(_ args: [String]) -> URLParts? {
        guard let url = args.last(where: { !$0.hasPrefix("-") && ($0.contains("/") || $0.contains(":") || $0.contains(".")) }) ?? args.last(where: { !$0.hasPrefix("-") }) else { return nil }
        var rest = Substring(url)
        if rest.hasPrefix("http://") { rest = rest.dropFirst(7) }
        let hostPort = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(hostPort.count).isEmpty ? "/" : String(rest.dropFirst(hostPort.count))
        let hp = hostPort.split(separator: ":", maxSplits: 1)
        return URLParts(host: String(hp.first ?? ""), port: hp.count == 2 ? Int(hp[1]) ?? 80 : 80, hostPort: String(hostPort), path: path)
    }

    /// wget or curl from `src` (a pod's address, or a node's own) to a server across the
    /// network: the TCP handshake walks the datapath; a pod listening on the port answers,
    /// else the node's own services (sshd, the kubelet), else a reset.
    /// `advance` lets the wait of a connection nobody answers pass (the timeout; ARP's 3 s).
    public static func fetch(_ net: PodNetwork, from src: IPv4Address, to dst: IPv4Address, _ cmd: String, _ args: [String], _ url: URLParts,
                             advance: ((SimDuration) -> Void)? = nil) -> (Int, String) {
        let (host, port, hostPort) = (url.host, url.port, url.hostPort)
        let ip = dst.description
        var conn: TCPConversation? = TCPConversation(net: net, client: src, server: dst, port: port)   // its segments walk the datapath (Conversation.swift)
        let timeout = Self.connectTimeout(cmd, args)
        let there = conn!.syn(within: timeout)
        if !there.delivered {
            advance?(.seconds(Int64(there.icmp == "host unreachable" ? 3 : timeout)))
            if there.icmp == "host unreachable" { return cmd == "wget" ? (1, "wget: can't connect to remote host (\(ip)): Host is unreachable") : (7, "curl: (7) Failed to connect to \(host) port \(port) after 3000 ms: Couldn't connect to server") }
            return cmd == "wget" ? (1, "Connecting to \(hostPort) (\(ip):\(port))\nwget: download timed out") : (28, "curl: (28) Failed to connect to \(host) port \(port) after \(timeout * 1000) ms: Timeout was reached")
        }
        // Who answers is decided by where the SYN arrived after every NAT, not by the address dialled.
        let (at, atPort) = there.arrivedAt ?? (dst, port)
        // kube-proxy's userspace mode: its proxy socket on the node accepted the connection;
        // it relays it over a second connection of its own (ContainerProcess+Proxy.swift).
        if let (node, portal) = net.portal(at: at, port: atPort) {
            return relay(net, node: node, portal: portal, client: src, cmd, args, url, ip: ip, conn: &conn, timeout: timeout, advance: advance)
        }
        // The socket table of the namespace it arrived in decides; the process holding the
        // socket serves the request.
        let socket = net.listener(at: at, port: atPort)
        let podNamespace = net.podSockets(at: at) != nil
        let server = podNamespace && socket != nil ? (net.worker(at: at) as? PodWorker)?.process(listeningOn: atPort) : nil
        if socket != nil {
            let back = conn!.synAck()
            if !back.delivered { return cmd == "wget" ? (1, "wget: download timed out") : (28, "curl: (28) Operation timed out") }
        } else { conn!.refuse() }
        if !podNamespace, socket != nil, let service = net.hostService(at: at, port: atPort) {
            return hostServiceReply(service, cmd, args, url, ip: ip, conn: &conn)
        }
        return respond(server, cmd, args, url, ip: ip, clientIP: src.description, conn: &conn)
    }

    /// A node's own service answers an HTTP request: the kubelet serves HTTPS only (Go's
    /// TLS server answers plain HTTP with a 400), sshd sends its banner.
    static func hostServiceReply(_ service: PodNetwork.HostService, _ cmd: String, _ args: [String], _ url: URLParts, ip: String, conn: inout TCPConversation?) -> (Int, String) {
        let quiet = Self.quiet(args)
        let connecting = quiet ? "" : "Connecting to \(url.hostPort) (\(ip):\(url.port))\n"
        let request = TCPConversation.httpRequest(tool: cmd, hostPort: url.hostPort, path: url.path)
        switch service {
        case .kubelet:
            // net/http server.go: "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"
            let body = "Client sent an HTTP request to an HTTPS server."
            conn?.http(request: request, responseHead: "HTTP/1.0 400 Bad Request\r\n\r\n", responseBytes: 28 + body.utf8.count + 1, serverCloses: true)
            if cmd == "wget" { return (1, connecting + "wget: server returned error: HTTP/1.0 400 Bad Request") }
            if args.contains("-f") { return (22, quiet ? "" : "curl: (22) The requested URL returned error: 400") }
            return (0, body)
        case .sshd:
            let banner = PodNetwork.sshBanner
            conn?.http(request: request, responseHead: banner + "\r\n", responseBytes: banner.utf8.count + 2, serverCloses: true)
            if cmd == "wget" { return (1, connecting + "wget: server returned error: \(banner)") }
            return (1, "curl: (1) Received HTTP/0.9 when not allowed")
        case .kubeletHealthz:
            // The kubelet's healthz endpoint (plain HTTP on 127.0.0.1:10248): "ok".
            conn?.http(request: request, responseHead: "HTTP/1.1 200 OK", responseBytes: 117, serverCloses: false)
            return (0, quiet || cmd == "curl" ? "ok" : connecting + "writing to stdout\nok\nwritten to stdout")
        case .other:
            // A daemon that does not speak HTTP (bird's BGP, weave's router): it closes.
            conn?.connectAndClose()
            return cmd == "wget" ? (1, connecting + "wget: error getting response") : (52, "curl: (52) Empty reply from server")
        }
    }

    /// The answer of `server` (nil: nobody listens, the connection was refused).
    static func respond(_ server: ContainerProcess?, _ cmd: String, _ args: [String], _ url: URLParts, ip: String, clientIP: String, conn: inout TCPConversation?) -> (Int, String) {
        let (host, port, hostPort, path) = (url.host, url.port, url.hostPort, url.path)
        guard let server else {
            return cmd == "wget" ? (1, "Connecting to \(hostPort) (\(ip):\(port))\nwget: can't connect to remote host (\(ip)): Connection refused")
                : (7, "curl: (7) Failed to connect to \(host) port \(port) after 0 ms: Couldn't connect to server")
        }
        let route = server.routes[String(path.split(separator: "?").first ?? "")] ?? server.app.respond(path)
        let query = path.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
        let msg = query.split(separator: "&").first { $0.hasPrefix("msg=") }.map { String($0.dropFirst(4)) } ?? ""
        let body = route.body.replacingOccurrences("$HOSTNAME", server.hostname).replacingOccurrences("{client}", clientIP)
            .replacingOccurrences("{msg}", msg).replacingOccurrences("{now}", Self.stamp(server.clock.now))
        let agent = cmd == "wget" ? "Wget" : "curl/8.5.0"
        server.httpOnTheWire(&conn, cmd, hostPort, path, route.status, body)
        // Bodies are kept without their final newline; the bytes sent include it.
        server.accessLog(from: clientIP, path: path, status: route.status, bytes: body.utf8.count + (body.isEmpty ? 0 : 1), agent: agent)
        let quiet = Self.quiet(args)
        if cmd == "wget" {
            if !(200..<400).contains(route.status) {
                return (1, (quiet ? "" : "Connecting to \(hostPort) (\(ip):\(port))\n") + "wget: server returned error: HTTP/1.1 \(route.status) \(Self.reason(route.status))")
            }
            return (0, quiet ? body : "Connecting to \(hostPort) (\(ip):\(port))\nwriting to stdout\n\(body)\nwritten to stdout")
        }
        if args.contains("-f") && route.status >= 400 { return (22, quiet ? "" : "curl: (22) The requested URL returned error: \(route.status)") }
        return (0, body)
    }

    /// busybox ping: `-c N` echo requests (4 when not given), `-s SIZE`, `-M do`.
    func ping(_ args: [String]) -> (Int, String) {
        guard let host = args.last(where: { !$0.hasPrefix("-") && Int($0) == nil }) else {
            return (1, "BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: ping [OPTIONS] HOST")
        }
        var count = 4, size = 56
        if let i = args.firstIndex(of: "-c"), i + 1 < args.count, let n = Int(args[i + 1]) { count = min(max(n, 1), 1000) }
        if let i = args.firstIndex(of: "-s"), i + 1 < args.count {
            // busybox reads the size as a 16-bit number, and an IP datagram holds 65507 data bytes.
            guard let n = Int(args[i + 1]), (0...65507).contains(n) else { return (1, "ping: invalid number '\(args[i + 1])'") }
            size = n
        }
        guard let dst = resolveHost(host)?.address else { return (1, "ping: bad address '\(host)'") }
        var out = ["PING \(host) (\(dst)): \(size) data bytes"]
        var received = 0
        var ttl = 64
        var rtt = "0.000"
        if let net = netns?.network, let src = netns?.sandbox?.ip.flatMap({ IPv4Address(parsing: $0) }) {
            let (id, t0) = (net.wire.nextPID(), net.wire.departure)   // one echo a second
            for seq in 0..<count {
                if seq > 0 { advance?(.seconds(1)) }   // one echo a second
                if killedWithContainer { break }
                net.wire.resume(at: t0 + Int64(seq) * 1_000_000_000)
                let t = net.walk(from: src, to: dst, proto: "ICMP", dport: 0, size: size + 28, detail: .echo(id: id, seq: seq))
                guard t.delivered else {
                    if let icmp = t.icmp, seq == 0 { out.append("From \(src) icmp_seq=\(seq) \(icmp)") }
                    continue
                }
                // To the address the echo request arrived from (the node's, when masqueraded).
                let back = net.walk(from: dst, to: t.masqueradedAs?.ip ?? src, proto: "ICMP", dport: 0, size: size + 28, flags: "echo-reply", detail: .echo(id: id, seq: seq))
                guard back.delivered else { continue }
                ttl = back.finalTTL
                received += 1
                // Simulated latency: 12 µs per hop of the round trip.
                let micros = (t.hopCount + back.hopCount) * 12
                rtt = "\(micros / 1000).\(String(micros % 1000 + 1000).dropFirst())"
                out.append("\(size + 8) bytes from \(dst): seq=\(seq) ttl=\(ttl) time=\(rtt) ms")
            }
        }
        out.append("")
        out.append("--- \(host) ping statistics ---")
        out.append("\(count) packets transmitted, \(received) packets received, \(count == 0 ? 0 : (count - received) * 100 / count)% packet loss")
        if received > 0 { out.append("round-trip min/avg/max = \(rtt)/\(rtt)/\(rtt) ms") }
        return (received > 0 ? 0 : 1, out.joined(separator: "\n"))
    }

    /// wget's -q or curl's -s (alone or among other letters).
    static func quiet(_ args: [String]) -> Bool { args.contains { $0.hasPrefix("-q") || $0.hasPrefix("-s") } }

    /// The kubelet prober's User-Agent (kube-probe/MAJOR.MINOR of the nodes' version).
    public static let probeAgent = "kube-probe/\(KubernetesVersion.major).\(KubernetesVersion.minor)"

    static func reason(_ status: Int) -> String {
        [200: "OK", 301: "Moved Permanently", 302: "Found", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error", 503: "Service Unavailable"][status] ?? ""
    }

    /// One access-log line for a request this process served (nginx's combined format for
    /// nginx, a short line for other servers).
    func accessLog(from client: String, path: String, status: Int, bytes: Int, agent: String) {
        if imageBox.spec.repository.hasSuffix("/nginx") {
            let d = Self.date(clock.now).split(separator: " ")   // Thu Jan  1 00:00:05 UTC 2026
            let day = d[2].count == 1 ? "0" + d[2] : String(d[2])
            log("\(client) - - [\(day)/\(d[1])/\(d[5]):\(d[3]) +0000] \"GET \(path) HTTP/1.1\" \(status) \(bytes) \"-\" \"\(agent)\" \"-\"")
        } else {
            log("\(Self.stamp(clock.now)) \(client) \"GET \(path) HTTP/1.1\" \(status) \(bytes)")
        }
    }

}

extension ContainerProcess {
    /// busybox netstat [-t] [-u] [-l] [-n] [-p] (-tlnp and friends): the pod's listeners.
    func netstat(_ args: [String]) -> (Int, String) {
        let letters = Set(args.filter { $0.hasPrefix("-") && !$0.hasPrefix("--") }.flatMap { $0.dropFirst() })
        guard letters.isSubset(of: Set("tulnpaew")) else {
            return (1, "netstat: invalid option -- '\(letters.subtracting(Set("tulnpaew")).first!)'\nBusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: netstat [-ral] [-tuwx] [-enWp]")
        }
        let tcp = letters.contains("t") || !letters.contains("u")
        let udp = letters.contains("u") || !letters.contains("t")
        return (0, SocketView.netstat(netns?.socketTable ?? [], tcp: tcp, udp: udp, processes: letters.contains("p")))
    }
}
