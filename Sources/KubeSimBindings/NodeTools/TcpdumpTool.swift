import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimCluster
import KubeSimControl
import KubeSimNode
import KubeSimNet
import KubeSimManifest

extension NodeTool {
    static let tcpdump = NodeTool(name: "tcpdump", subcommands: ["-i"]) { ctx, argv in
        let node = ctx.node
        let c = ctx.cluster
        return try ClusterBindings.tcpdump(node: node, argv: Array(argv.dropFirst()), c)
    }
}
