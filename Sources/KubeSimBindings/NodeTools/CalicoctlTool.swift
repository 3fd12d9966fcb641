import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimCluster
import KubeSimControl
import KubeSimNode
import KubeSimNet
import KubeSimManifest

extension NodeTool {
    static let calicoctl = NodeTool(name: "calicoctl", subcommands: ["ipam", "node"]) { ctx, argv in
        let node = ctx.node
        let c = ctx.cluster
        guard c.network.plugin == .calico else { throw CommandFailure("bash: calicoctl: command not found") }
        let args = Array(argv.dropFirst())
        if args.starts(with: ["node", "status"]) {
            guard let s = c.network.calicoNodeStatus(node) else { throw CommandFailure("Calico process is not running.") }
            return CommandResult(output: String(s.dropLast()))
        }
        if args.starts(with: ["ipam", "show"]) {
            return CommandResult(output: c.network.calicoIPAMBlocks())
        }
        throw CommandFailure("calicoctl: simulated: calicoctl node status, calicoctl ipam show --show-blocks")
    }
}
