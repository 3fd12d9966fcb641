import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimCluster
import KubeSimControl
import KubeSimNode
import KubeSimNet
import KubeSimManifest

extension NodeTool {
    static let cat = NodeTool(name: "cat", subcommands: ["/etc/cni/net.d/"]) { ctx, argv in
        let node = ctx.node
        let c = ctx.cluster
        let plugin = c.network.plugin
        let file = "/etc/cni/net.d/10-\(plugin.rawValue).conflist"
        guard argv.count >= 2, argv[1] == file || argv[1] == "/etc/cni/net.d/*" else { throw CommandFailure("cat: \(argv.dropFirst().first ?? ""): No such file or directory") }
        switch plugin {
        case .calico: return CommandResult(output: PodNetwork.calicoConflist(node: node, mtu: c.network.mtu))
        case .weave: return CommandResult(output: PodNetwork.weaveConflist)
        case .flannel: return CommandResult(output: PodNetwork.conflist)
        }
    }
}
