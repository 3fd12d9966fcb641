import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimCluster
import KubeSimControl
import KubeSimNode
import KubeSimNet
import KubeSimManifest

extension NodeTool {
    static let weave = NodeTool(name: "weave", subcommands: ["status"]) { ctx, argv in
        let node = ctx.node
        let c = ctx.cluster
        guard c.network.plugin == .weave else { throw CommandFailure("bash: weave: command not found") }
        let args = Array(argv.dropFirst())
        let out: String?
        switch (args.first, args.dropFirst().first) {
        case ("status", nil): out = c.network.weaveStatus(node)
        case ("status", "peers"): out = c.network.weaveStatusPeers(node)
        case ("status", "connections"): out = c.network.weaveStatusConnections(node)
        default: throw CommandFailure("weave: simulated: weave status [peers|connections]")
        }
        guard let out else { throw CommandFailure("weave container is not present. Have you launched it?") }
        return CommandResult(output: out)
    }
}
