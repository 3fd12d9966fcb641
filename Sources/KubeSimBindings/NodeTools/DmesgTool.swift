import KubeScript
import KubeSimControl
import KubeSimNode
import KubeSimNet

extension NodeTool {
    /// `dmesg`: the kernel's log — the lines `-j LOG` rules write.
    static let dmesg = NodeTool(name: "dmesg", subcommands: []) { ctx, _ in
        CommandResult(output: try kernel(ctx).netfilter.dmesg.joined(separator: "\n"))
    }
}
