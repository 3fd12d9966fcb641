import KubeScript
import KubeSimNet
import KubeSimControl
import KubeSimNode
import KubeSimNet

extension NodeTool {
    /// `iptables [-t TABLE] COMMAND …` on the node's own netfilter (KubeSimNet/Netfilter/Iptables.swift):
    /// rules a learner adds are rules packets meet.
    static let iptables = NodeTool(name: "iptables", subcommands: ["-A", "-C", "-D", "-F", "-I", "-L", "-N", "-P", "-R", "-S", "-X", "-Z", "-t"]) { ctx, argv in
        let r = Iptables.run(Array(argv.dropFirst()), on: try kernel(ctx).netfilter)
        return try finish(r.status, r.output)
    }
}
