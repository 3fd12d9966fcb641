import KubeSimCore

// The packets behind the pod tools: a TCP connection's segments (handshake, request,
// response, close — or a reset), and the ICMP errors a node's kernel sends back. Every
// packet walks the datapath, so traces, TTLs and captures see each one.

extension PodNetwork {
    /// The node's own stack sends a packet (an ICMP error): OUTPUT, routing, out.
    func send(from n: NodeNet, _ packet: Packet) -> Trace {
        var t = Trace()
        t.recording = false
        var p = packet
        let capturing = !wire.captures.isEmpty
        if capturing { wire.depart(&p, &t, mss: mtu - 40) }
        defer { if capturing { wire.arrived(t) } }
        forward(&p, at: n, trace: &t, depth: 0, local: true)
        return t
    }

    /// The source address the node's kernel picks for a packet to `dst`: the route's
    /// `src`, else the first address of the device the route leaves by (so a VXLAN node
    /// answers from its flannel.1 address, 10.244.X.0, and a host-gw node from eth0).
    public func sourceAddress(on n: NodeNet, toward dst: IPv4Address) -> IPv4Address? {
        guard let r = n.host.route(to: dst) else { return nil }
        // A device without an address (Calico's cali… veths): Linux picks the host's
        // primary address — the tunnel's when there is one, else eth0's.
        return r.src ?? n.host.device(r.dev)?.addrs.first?.address ?? n.tunnelAddress ?? n.underlay
    }

    /// The node's kernel answers a packet it could not forward with an ICMP error, back to
    /// the sender (Linux quotes the original datagram, up to 576 bytes in all).
    /// Returns the error's source address and its walk.
    public func icmpError(_ type: String, about probe: Packet, from node: String, mtu: Int = 0) -> (from: IPv4Address, trace: Trace)? {
        guard let n = nodes[node], n.up, let src = sourceAddress(on: n, toward: probe.src) else { return nil }
        var e = Packet(src: src, dst: probe.src, proto: "ICMP", sport: 0, dport: 0, flags: type, size: 28 + min(probe.size, 548))
        e.detail = .error(quoting: probe, mtu: mtu)
        return (src, send(from: n, e))
    }
}

/// One TCP connection between two pods, segment by segment as Linux sends them: SYN with
/// MSS (the route's MTU − 40), SACK, timestamps and window scale 7; the windows Linux
/// advertises; timestamps on every segment; data in MSS-sized segments.
public struct TCPConversation {
    let net: PodNetwork
    public let client: IPv4Address
    public let server: IPv4Address
    public let clientPort: Int
    public let serverPort: Int
    let mss: Int
    /// Next sequence number each side sends.
    var clientNext: UInt32
    var serverNext: UInt32
    /// The last timestamp each side sent (the other echoes it).
    var clientTS: UInt32 = 0
    var serverTS: UInt32 = 0
    /// The client's address and port as the server sees them (after masquerade), once known.
    var serverSees: (ip: IPv4Address, port: Int)?
    /// Where the client's packets arrive (after a DNAT, the backend's address): the server
    /// answers from there, and the client's node translates it back.
    var serverIs: (ip: IPv4Address, port: Int)?

    public init(net: PodNetwork, client: IPv4Address, server: IPv4Address, port: Int) {
        self.net = net
        self.client = client
        self.server = server
        serverPort = port
        clientPort = net.wire.ephemeralPort(client, server, port)
        mss = net.mtu - 40
        clientNext = Wire.mix(client.value, UInt32(clientPort), server.value, UInt32(port), 1)
        serverNext = Wire.mix(server.value, UInt32(port), client.value, UInt32(clientPort), 2)
    }

    /// Linux's first window: the receive space (64 KiB) rounded down to whole segments
    /// (tcp_select_initial_window): 64240 for MSS 1460, 64860 for 1410.
    static func synWindow(mss: Int) -> Int { 65535 / mss * mss }

    enum Kind { case syn, synAck, ack, data, fin, rst }

    @discardableResult
    private mutating func segment(fromClient: Bool, _ kind: Kind, payload: Int = 0, firstLine: String? = nil) -> Trace {
        let d = PacketDetail()
        // The server answers the address it sees: the node's, when the client's node masqueraded it.
        let seen = serverSees ?? (client, clientPort)
        let me = serverIs ?? (server, serverPort)
        let (src, dst, sport, dport) = fromClient ? (client, server, clientPort, serverPort) : (me.ip, seen.ip, me.port, seen.port)
        let ts = Wire.tsval(src, dst, at: net.wire.departure)
        let echoed = fromClient ? serverTS : clientTS
        if fromClient { clientTS = ts } else { serverTS = ts }
        d.seq = fromClient ? clientNext : serverNext
        d.ack = fromClient ? serverNext : clientNext
        d.payload = payload
        d.firstLine = firstLine
        var header = 32
        let flags: String
        switch kind {
        case .syn:
            flags = "SYN"; header = 40
            d.window = Self.synWindow(mss: mss)
            d.options = .syn(mss: mss, tsval: ts, tsecr: 0)
        case .synAck:
            flags = "SYN-ACK"; header = 40
            d.window = Self.synWindow(mss: mss - 12)   // the timestamp option's 12 bytes
            d.options = .syn(mss: mss, tsval: ts, tsecr: echoed)
        case .rst:
            flags = "RST-ACK"; header = 20
            d.seq = 0
        default:
            flags = kind == .ack ? "ACK" : kind == .data ? "PSH-ACK" : "FIN-ACK"
            d.window = fromClient ? 502 : 509   // 64256 >> 7, 65152 >> 7
            d.options = .timestamps(tsval: ts, tsecr: echoed)
        }
        let t = net.walk(from: src, to: dst, proto: "TCP", dport: dport, size: 20 + header + payload, sport: sport, flags: flags, record: false, detail: d)
        if fromClient, let m = t.masqueradedAs { serverSees = m }
        if fromClient, serverIs == nil, let a = t.arrivedAt { serverIs = a }
        let advance = UInt32(payload) + (kind == .syn || kind == .synAck || kind == .fin ? 1 : 0)
        if fromClient { clientNext &+= advance } else { serverNext &+= advance }
        return t
    }

    /// The client's SYN; unanswered, the kernel retransmits it after 1, 3, 7, 15, 31 and 63
    /// seconds (tcp_syn_retries 6) while the tool still waits (`within` seconds).
    public mutating func syn(within seconds: Int = 127) -> Trace {
        let t0 = net.wire.departure
        let t = segment(fromClient: true, .syn)
        guard !t.delivered, t.icmp == nil else { return t }
        clientNext &-= 1
        for after in [1, 3, 7, 15, 31, 63] where after < seconds {
            net.wire.resume(at: t0 + Int64(after) * 1_000_000_000)
            segment(fromClient: true, .syn)
            clientNext &-= 1
        }
        clientNext &+= 1
        return t
    }

    /// The server's SYN-ACK (a socket listens on the port).
    public mutating func synAck() -> Trace { segment(fromClient: false, .synAck) }

    /// Nothing listens: the server's kernel answers the SYN with a reset.
    @discardableResult
    public mutating func refuse() -> Trace { segment(fromClient: false, .rst) }

    /// An HTTP/1.1 exchange on the open connection: the handshake's last ACK, the request,
    /// the response in MSS-sized segments, then the close — the server first when the
    /// client asked for `Connection: close` (busybox wget), else the client (curl).
    public mutating func http(request: String, responseHead: String, responseBytes: Int, serverCloses: Bool) {
        segment(fromClient: true, .ack)
        let requestLine = String(request.split(separator: "\r\n", maxSplits: 1).first ?? "")
        segment(fromClient: true, .data, payload: request.utf8.count, firstLine: requestLine)
        segment(fromClient: false, .ack)
        var left = responseBytes
        var first = true
        let room = mss - 12
        while left > 0 {
            let n = min(left, room)
            segment(fromClient: false, .data, payload: n, firstLine: first ? responseHead : nil)
            first = false
            left -= n
        }
        if !serverCloses { segment(fromClient: true, .ack) }   // the response, read
        close(serverFirst: serverCloses)
    }

    /// `nc -z`: the handshake completes, then the client closes at once.
    public mutating func connectAndClose() {
        segment(fromClient: true, .ack)
        close(serverFirst: false)
    }

    /// One side's FIN; the other acknowledges it (with the data before it) and, having
    /// nothing left to send, closes too; the last ACK.
    mutating func close(serverFirst: Bool) {
        if serverFirst {
            segment(fromClient: false, .fin)
            segment(fromClient: true, .ack)
            segment(fromClient: true, .fin)
            segment(fromClient: false, .ack)
        } else {
            segment(fromClient: true, .fin)
            segment(fromClient: false, .fin)
            segment(fromClient: true, .ack)
        }
    }

    /// The request busybox wget (1.36) or curl (8.5) sends.
    public static func httpRequest(tool: String, hostPort: String, path: String) -> String {
        switch tool {
        case "wget": return "GET \(path) HTTP/1.1\r\nHost: \(hostPort)\r\nUser-Agent: Wget\r\nConnection: close\r\n\r\n"
        // The kubelet's prober (pkg/probe/http/request.go): kube-probe/<major.minor>, Accept */*, Connection: close.
        case let agent where agent.hasPrefix("kube-probe/"): return "GET \(path) HTTP/1.1\r\nHost: \(hostPort)\r\nUser-Agent: \(agent)\r\nAccept: */*\r\nConnection: close\r\n\r\n"
        default: return "GET \(path) HTTP/1.1\r\nHost: \(hostPort)\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n"
        }
    }

    /// The response's status line and its size on the wire: the headers a server sends
    /// (nginx's set for nginx images) and the body.
    public static func httpResponse(status: Int, reason: String, bodyBytes: Int, nginx: Bool, date: String, close: Bool) -> (head: String, bytes: Int) {
        let head = "HTTP/1.1 \(status) \(reason)"
        var h = head + "\r\n"
        if nginx { h += "Server: nginx/1.25.5\r\n" }
        h += "Date: \(date)\r\nContent-Type: text/html\r\nContent-Length: \(bodyBytes)\r\n"
        if nginx { h += "Last-Modified: Tue, 16 Apr 2024 14:29:59 GMT\r\nETag: \"661e8b67-267\"\r\nAccept-Ranges: bytes\r\n" }
        h += "Connection: \(close ? "close" : "keep-alive")\r\n\r\n"
        return (head, h.utf8.count + bodyBytes)
    }
}

extension PodNetwork {
    /// A TCP connection attempt as a connectivity probe makes it (the e2e tests' agnhost
    /// `connect --timeout=1s`): the SYN; if it arrives where a socket listens, the
    /// SYN-ACK back through conntrack; if that arrives, the handshake and the close.
    /// True when the connection was made. Every segment walks the datapath.
    public func probeTCP(from client: IPv4Address, to server: IPv4Address, port: Int) -> Bool {
        var conv = TCPConversation(net: self, client: client, server: server, port: port)
        let syn = conv.syn(within: 1)
        guard syn.delivered, let at = syn.arrivedAt else { return false }
        guard listens(at: at.ip, port: at.port) else { conv.refuse(); return false }
        guard conv.synAck().delivered else { return false }
        conv.connectAndClose()
        return true
    }
}
