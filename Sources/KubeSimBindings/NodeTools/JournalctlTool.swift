import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimCluster
import KubeSimControl
import KubeSimNode
import KubeSimNet
import KubeSimManifest

extension NodeTool {
    static let journalctl = NodeTool(name: "journalctl", subcommands: ["-u"]) { ctx, argv in
        let node = ctx.node
        let k = ctx.kubelet
        guard argv.contains("kubelet") || argv.contains("kubelet.service") else {
            throw CommandFailure("journalctl: simulated units: -u kubelet")
        }
        var entries = k.journal[...]
        if let i = argv.firstIndex(of: "-n"), i + 1 < argv.count, let n = Int(argv[i + 1]) { entries = entries.suffix(n) }
        let lines = entries.map { e -> String in
            // journald prefix, then klog's header: I0101 00:05:00.416000    1042 kubelet.go] …
            let micro = ManifestTime.micro(e.time)                          // 2026-01-01T00:05:00.416000Z
            let month = String(micro.dropFirst(5).prefix(2)), day = String(micro.dropFirst(8).prefix(2))
            let clock = String(micro.dropFirst(11).prefix(15))
            let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
            return "\(months[(Int(month) ?? 1) - 1]) \(day) \(clock.prefix(8)) \(node) kubelet[1042]: I\(month)\(day) \(clock)    1042 kubelet.go] \(e.line)"
        }
        return CommandResult(output: lines.isEmpty ? "-- No entries --" : lines.joined(separator: "\n"))
    }
}
