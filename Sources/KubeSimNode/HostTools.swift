import KubeSimCore
import KubeSimNet

// The tools a learner runs on a node's own stack (`ssh NODE ping|curl`): ping is the
// node's (HostStack.swift); curl speaks HTTP with the app behaviour model.

extension PodNetwork {
    /// `ssh NODE ping|curl …`: nil when `argv` is not one of these tools.
    /// `advance` lets simulated time pass while the tool waits (ping's interval, timeouts).
    public func hostTool(_ node: String, _ argv: [String], advance: ((SimDuration) -> Void)? = nil) -> (status: Int, output: String)? {
        guard let n = nodes[node], let cmd = argv.first else { return nil }
        let args = Array(argv.dropFirst())
        switch cmd {
        case "ping": return hostPing(n, args, advance: advance)
        case "curl":
            guard let url = ContainerProcess.parseURL(args) else { return (2, "curl: try 'curl --help' or 'curl --manual' for more information") }
            guard let dst = hostResolve(url.host) else { return (6, "curl: (6) Could not resolve host: \(url.host)") }
            if n.host.owns(dst) || dst.value >> 24 == 127 {
                // The node's own services over loopback.
                var none: TCPConversation? = nil
                if let service = hostService(on: n, at: dst.value >> 24 == 127 ? dst : n.underlay, port: url.port) {
                    return ContainerProcess.hostServiceReply(service, "curl", args, url, ip: dst.description, conn: &none)
                }
                return (7, "curl: (7) Failed to connect to \(url.host) port \(url.port) after 0 ms: Couldn't connect to server")
            }
            guard let src = sourceAddress(on: n, toward: dst) else { return (7, "curl: (7) Failed to connect to \(url.host) port \(url.port) after 0 ms: Couldn't connect to server") }
            return ContainerProcess.fetch(self, from: src, to: dst, "curl", args, url, advance: advance)
        default: return nil
        }
    }

}
