import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimCluster
import KubeSimControl
import KubeSimNode
import KubeSimNet
import KubeSimManifest

extension NodeTool {
    static let ip = NodeTool(name: "ip", subcommands: ["addr", "link", "neigh", "route"]) { ctx, argv in
        let node = ctx.node
        let c = ctx.cluster
        guard let net = c.network.node(node) else { throw CommandFailure("ip: no network on \(node)") }
        switch argv.dropFirst().first ?? "" {
        case "addr", "a", "address": return CommandResult(output: net.host.ipAddr)
        case "link", "l": return CommandResult(output: net.host.ipLink)
        case "route", "r", "ro": return CommandResult(output: net.host.ipRoute)
        case "neigh", "n": return CommandResult(output: net.host.neighbours.map { "\($0.ip) dev \($0.dev) lladdr \($0.mac) PERMANENT" }.joined(separator: "\n"))
        default: throw CommandFailure("Object \"\(argv.dropFirst().first ?? "")\" is unknown, try \"ip help\" (simulated: addr, link, route, neigh).")
        }
    }
}
