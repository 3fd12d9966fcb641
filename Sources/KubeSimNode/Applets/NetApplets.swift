import KubeSimCore
import KubeSimNet

/// busybox's network applets: wget (and curl, as images with it have it), ping,
/// traceroute, netstat, ip, nslookup and getent. Their work is in
/// ContainerProcess+Network.swift, ContainerProcess+DNS.swift and Traceroute.swift.
extension Applet {
    static let wget = Applet("wget", "curl") { p, name, args in p.httpClient(name, args) }
    static let ping = Applet("ping") { p, _, args in p.ping(args) }
    static let traceroute = Applet("traceroute") { p, _, args in p.traceroute(args) }
    static let netstat = Applet("netstat") { p, _, args in p.netstat(args) }
    static let nslookup = Applet("nslookup") { p, _, args in p.nslookup(args) }
    static let getent = Applet("getent") { p, _, args in p.getent(args) }

    /// busybox ip (iproute2's subset): the pod namespace's addresses, routes and links.
    static let ip = Applet("ip") { p, _, args in
        guard let ns = p.netns?.network.flatMap({ net in p.netns?.sandbox?.ip.flatMap { IPv4Address(parsing: $0) }.flatMap { net.pod(at: $0)?.ns } }) else {
            return (1, "ip: network namespace not ready")
        }
        switch args.first ?? "" {
        case "addr", "a", "address": return (0, ns.ipAddr)
        case "route", "r", "ro": return (0, ns.ipRoute)
        case "link", "l": return (0, ns.ipLink)
        default: return (1, "ip: simulated: ip addr | ip route | ip link")
        }
    }

    /// busybox httpd: `-p [IP:]PORT` (80), `-h HOME` (/var/www) served as static files;
    /// `-f` keeps it in the foreground (it blocks the program), without it it daemonises
    /// and the shell goes on.
    static let httpd = Applet("httpd", blocks: { p, argv in
        guard argv.contains("-f") else { return nil }
        _ = p.startHTTPD(argv)
        return .some(nil)
    }) { p, _, args in
        p.startHTTPD(["httpd"] + args)
    }

    /// busybox nc: `-l [-p] PORT` listens (a server: it blocks the program); `-z` and a
    /// plain `nc HOST PORT` (stdin empty) connect through the datapath and close.
    static let nc = Applet("nc", blocks: { p, argv in
        guard argv.contains(where: { $0.hasPrefix("-l") }) else { return nil }
        let port = argv.firstIndex(of: "-p").flatMap { $0 + 1 < argv.count ? Int(argv[$0 + 1]) : nil } ?? argv.last.flatMap { Int($0) } ?? 0
        p.bind([port])
        return .some(nil)
    }) { p, _, args in p.connect(args) }
}

extension ContainerProcess {
    /// Starts busybox httpd's listener and its routes from the files under its home.
    func startHTTPD(_ argv: [String]) -> (Int, String) {
        var port = 80
        if let i = argv.firstIndex(of: "-p"), i + 1 < argv.count { port = Int(argv[i + 1].split(separator: ":").last ?? "") ?? 80 }
        var dir = "/var/www"
        if let i = argv.firstIndex(of: "-h"), i + 1 < argv.count { dir = argv[i + 1] }
        if portInUse(port) {
            // A daemonised httpd reports the failed bind and exits; in the foreground it ends the program.
            if argv.contains("-f") { finish(1, "httpd: bind: Address already in use") }
            return (1, "httpd: bind: Address already in use")
        }
        for (path, _) in listFiles(dir) { routes["/" + path] = .init(status: 200, body: read(dir + "/" + path) ?? "") }
        if let index = read(dir + "/index.html") { routes["/"] = .init(status: 200, body: index) }
        bind([port])
        return (0, "")
    }

    /// nc HOST PORT (with -z: only a check; -v says so; -w SECS bounds the wait).
    func connect(_ args: [String]) -> (Int, String) {
        // Operands: the words that are neither options nor -w's seconds.
        let rest = args.enumerated().filter { i, a in !a.hasPrefix("-") && (i == 0 || args[i - 1] != "-w") }.map(\.element)
        guard rest.count >= 2, let port = Int(rest[1]) else { return (1, "BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: nc [OPTIONS] HOST PORT  - connect") }
        let verbose = args.contains { $0.hasPrefix("-") && $0.contains("v") }
        if let ip = localAddress(rest[0]) {
            if podListener(port) != nil { return (0, verbose ? "\(rest[0]) (\(ip):\(port)) open" : "") }
            return (1, "nc: \(rest[0]) (\(ip):\(port)): Connection refused")
        }
        guard let dst = resolveHost(rest[0])?.address else { return (1, "nc: bad address '\(rest[0])'") }
        guard let net = netns?.network, let src = netns?.sandbox?.ip.flatMap({ IPv4Address(parsing: $0) }) else { return (1, "network unavailable") }
        var conn = TCPConversation(net: net, client: src, server: dst, port: port)
        // -w SECS bounds the wait; without it, the kernel's connect timeout (127 s).
        let wait = min(127, max(1, args.firstIndex(of: "-w").flatMap { $0 + 1 < args.count ? Int(args[$0 + 1]) : nil } ?? 127))
        let t = conn.syn(within: wait)
        guard t.delivered else {
            advance?(.seconds(Int64(wait)))
            return (1, "nc: \(rest[0]) (\(dst):\(port)): Connection timed out")
        }
        // Who answers is whoever holds a listening socket where the SYN arrived, after every NAT.
        let arrived = t.arrivedAt ?? (dst, port)
        let open = net.listens(at: arrived.ip, port: arrived.port)
        if open { _ = conn.synAck(); conn.connectAndClose() } else { conn.refuse() }
        return open ? (0, verbose ? "\(rest[0]) (\(dst):\(port)) open" : "") : (1, "nc: \(rest[0]) (\(dst):\(port)): Connection refused")
    }
}
