import KubeScript
import KubeSimCluster
import KubeSimControl
import KubeSimNode
import KubeSimNet

/// A program on a node that `ssh NODE …` runs: its name, its sub-commands (for TAB
/// completion) and what it does. One file per tool; `ssh` looks tools up here.
struct NodeTool: Sendable {
    let name: String
    let subcommands: [String]
    /// Runs argv (argv[0] is the tool's name) on the node; a non-zero exit throws with the
    /// tool's own message.
    let run: @Sendable (_ node: NodeNet, _ argv: [String], _ cluster: Cluster) throws -> CommandResult

    /// The kernel-facing tools (netfilter, ipsets, conntrack, the kernel log).
    static let all: [NodeTool] = [iptables, iptablesSave, conntrack, ipset, dmesg]

    static func named(_ name: String) -> NodeTool? { all.first { $0.name == name } }

    /// A tool's answer: output on success, a failure carrying the output otherwise.
    static func finish(_ status: Int, _ output: String) throws -> CommandResult {
        if status != 0 { throw CommandFailure(output) }
        return CommandResult(output: output)
    }
}
