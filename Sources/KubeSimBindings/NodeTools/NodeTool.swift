import KubeScript
import KubeSimCore
import KubeSimCluster
import KubeSimNode
import KubeSimNet

/// Where a node tool runs: the node, its kubelet and network, the cluster, and how a tool
/// that waits lets simulated time pass (interruptible by Ctrl-C).
struct NodeToolContext {
    let node: String
    let cluster: Cluster
    let kubelet: Kubelet
    /// The node's network (nil before the CNI plugin wired it).
    var net: NodeNet? { cluster.network.node(node) }
    /// Lets simulated time pass while the tool waits (ping's interval, a timeout).
    let advance: (SimDuration) -> Void
    /// After waiting: a clear error when the wait ran out of the event budget.
    let checkBudget: () throws -> Void
}

/// A program on a node that `ssh NODE …` runs: its name, its sub-commands (for TAB
/// completion) and what it does. One file per tool; `ssh` looks tools up here.
struct NodeTool: Sendable {
    let name: String
    let subcommands: [String]
    /// Runs argv (argv[0] is the tool's name) on the node; a non-zero exit throws with the
    /// tool's own message.
    let run: @Sendable (_ ctx: NodeToolContext, _ argv: [String]) throws -> CommandResult

    static let all: [NodeTool] = [bridge, calicoctl, cat, conntrack, crictl, curl, dmesg, ip, ipset, iptables, iptablesSave, ipvsadm,
                                  journalctl, ls, netstat, nft, ping, ss, tcpdump, weave]

    static func named(_ name: String) -> NodeTool? { all.first { $0.name == name } }

    /// A tool's answer: output on success, a failure carrying the output otherwise.
    static func finish(_ status: Int, _ output: String) throws -> CommandResult {
        if status != 0 { throw CommandFailure(output) }
        return CommandResult(output: output)
    }

    /// The node's network, which the kernel-facing tools need.
    static func kernel(_ ctx: NodeToolContext) throws -> NodeNet {
        guard let n = ctx.net else { throw CommandFailure("ssh: \(ctx.node): no network") }
        return n
    }
}
