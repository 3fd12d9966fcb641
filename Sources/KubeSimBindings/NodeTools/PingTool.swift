import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimCluster
import KubeSimControl
import KubeSimNode
import KubeSimNet
import KubeSimManifest

extension NodeTool {
    static let ping = NodeTool(name: "ping", subcommands: []) { ctx, argv in
        let node = ctx.node
        let c = ctx.cluster
        // The node's own stack (HostTools.swift): its routes, its source address.
        guard let r = c.network.hostTool(node, argv, advance: ctx.advance) else { throw CommandFailure("ssh: \(node): no network") }
        try ctx.checkBudget()
        if r.status != 0 { throw CommandFailure(r.output) }
        return CommandResult(output: r.output)
    }
}
