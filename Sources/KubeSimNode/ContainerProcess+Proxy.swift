import KubeSimCore
import KubeSimNet

extension ContainerProcess {
    /// kube-proxy in userspace mode (pkg/proxy/userspace/proxysocket.go tcpProxySocket):
    /// it accepted the client's connection on its proxy port, picks an endpoint round
    /// robin, dials it from the node — a second connection whose source is the node's
    /// address toward the endpoint — and copies the bytes between the two. The endpoint
    /// sees (and logs) the node, not the client.
    static func relay(_ net: PodNetwork, node: String, portal: UserspacePortal, client: IPv4Address, _ cmd: String, _ args: [String], _ url: URLParts,
                      ip: String, conn: inout TCPConversation?, timeout: Int, advance: ((SimDuration) -> Void)?) -> (Int, String) {
        _ = conn!.synAck()   // accept(): the client's handshake completes with kube-proxy
        let quiet = Self.quiet(args)
        let connecting = quiet ? "" : "Connecting to \(url.hostPort) (\(ip):\(url.port))\n"
        // No endpoint, or none answers (TryConnectEndpoints gives up): kube-proxy closes the
        // accepted connection without a byte.
        func dropped() -> (Int, String) {
            conn?.http(request: TCPConversation.httpRequest(tool: cmd, hostPort: url.hostPort, path: url.path), responseHead: "", responseBytes: 0, serverCloses: true)
            return cmd == "wget" ? (1, connecting + "wget: error getting response: Connection reset by peer") : (52, quiet ? "" : "curl: (52) Empty reply from server")
        }
        guard let (backend, port) = portal.next(client: client, now: net.wire.departure),
              let source = net.hostSource(node, toward: backend) else { return dropped() }
        var leg: TCPConversation? = TCPConversation(net: net, client: source, server: backend, port: port)
        let there = leg!.syn(within: timeout)
        guard there.delivered else {
            advance?(.seconds(Int64(timeout)))
            return dropped()
        }
        let (at, atPort) = there.arrivedAt ?? (backend, port)
        let server = net.listener(at: at, port: atPort) != nil ? (net.worker(at: at) as? PodWorker)?.process(listeningOn: atPort) : nil
        guard let server else { leg!.refuse(); return dropped() }
        _ = leg!.synAck()
        // The endpoint answers the relayed request; the client gets the same answer.
        return respond(server, cmd, args, url, ip: ip, clientIP: source.description, conn: &leg)
    }
}
