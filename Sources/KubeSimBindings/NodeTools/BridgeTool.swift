import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimCluster
import KubeSimControl
import KubeSimNode
import KubeSimNet
import KubeSimManifest

extension NodeTool {
    static let bridge = NodeTool(name: "bridge", subcommands: ["fdb"]) { ctx, argv in
        let node = ctx.node
        let c = ctx.cluster
        guard let net = c.network.node(node), argv.dropFirst().first == "fdb" else { throw CommandFailure("bridge: simulated: bridge fdb") }
        var lines = net.host.fdb.map { "\($0.mac) dev \($0.dev) dst \($0.dst) self permanent" }
        for d in net.host.devices where d.master == "cni0" || d.master == "weave" { lines.append("\(d.mac) dev \(d.name) master \(d.master!) permanent") }
        return CommandResult(output: lines.joined(separator: "\n"))
    }
}
