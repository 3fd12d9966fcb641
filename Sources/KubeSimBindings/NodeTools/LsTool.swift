import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimCluster
import KubeSimControl
import KubeSimNode
import KubeSimNet
import KubeSimManifest

extension NodeTool {
    static let ls = NodeTool(name: "ls", subcommands: ["/etc/cni/net.d/"]) { ctx, argv in
        let c = ctx.cluster
        guard argv.dropFirst().first == "/etc/cni/net.d" else { throw CommandFailure("ls: cannot access '\(argv.dropFirst().first ?? "")': No such file or directory") }
        switch c.network.plugin {
        case .calico: return CommandResult(output: "10-calico.conflist\ncalico-kubeconfig")
        case .weave: return CommandResult(output: "10-weave.conflist")
        case .flannel: return CommandResult(output: "10-flannel.conflist")
        }
    }
}
