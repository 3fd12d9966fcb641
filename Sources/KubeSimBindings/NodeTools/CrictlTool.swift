import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimCluster
import KubeSimControl
import KubeSimNode
import KubeSimNet
import KubeSimManifest

extension NodeTool {
    static let crictl = NodeTool(name: "crictl", subcommands: ["images", "pods", "ps"]) { ctx, argv in
        let k = ctx.kubelet
        let now = ctx.cluster.clock.now
        let sub = argv.dropFirst().first ?? ""
        let all = argv.contains("-a") || argv.contains("--all")
        switch sub {
        case "ps":
            var podNames: [String: String] = [:]
            for sb in k.runtime.sandboxes.values { podNames[sb.podUID] = sb.podName }
            var rows: [[String]] = []
            for id in k.runtime.containerOrder.reversed() {
                guard let r = k.runtime.containers[id] else { continue }
                if !all && r.state != ContainerRecord.State.running { continue }
                let cols: [String] = [String(r.id.prefix(13)), String(r.image.id.prefix(13)), crictlAge(now - r.createdAt), r.state.rawValue, r.name,
                                      String(r.attempt), String(r.sandboxID.prefix(13)), podNames[r.podUID] ?? "unknown"]
                rows.append(cols)
            }
            return CommandResult(output: crictlTable(["CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID", "POD"], rows))
        case "pods":
            let sandboxes = k.runtime.sandboxes.values.sorted { (a: Sandbox, b: Sandbox) -> Bool in
                a.createdAt != b.createdAt ? a.createdAt > b.createdAt : a.podName < b.podName
            }
            let rows: [[String]] = sandboxes.map { (sb: Sandbox) -> [String] in
                [String(sb.id.prefix(13)), crictlAge(now - sb.createdAt), sb.ready ? "Ready" : "NotReady", sb.podName, sb.namespace, "0", "(default)"]
            }
            return CommandResult(output: crictlTable(["POD ID", "CREATED", "STATE", "NAME", "NAMESPACE", "ATTEMPT", "RUNTIME"], rows))
        case "images":
            let images = k.runtime.images.values.sorted { (a: ImageSpec, b: ImageSpec) -> Bool in a.reference < b.reference }
            let rows: [[String]] = images.map { (i: ImageSpec) -> [String] in [i.repository, i.tag, String(i.id.prefix(13)), humanSize(i.sizeBytes)] }
            return CommandResult(output: crictlTable(["IMAGE", "TAG", "IMAGE ID", "SIZE"], rows))
        default:
            throw CommandFailure("crictl: unknown command \"\(sub)\" (simulated: ps [-a], pods, images)")
        }
    }

    /// crictl's CREATED column: "2 minutes ago", "About a minute ago", "Less than a second ago".
    static func crictlAge(_ ns: Int64) -> String {
        let s = ns / 1_000_000_000
        if s < 1 { return "Less than a second ago" }
        if s < 60 { return "\(s) seconds ago" }
        if s < 120 { return "About a minute ago" }
        if s < 3600 { return "\(s / 60) minutes ago" }
        if s < 7200 { return "About an hour ago" }
        return "\(s / 3600) hours ago"
    }

    /// docker/crictl sizes: 70.5MB, 321kB.
    static func humanSize(_ b: Int64) -> String {
        let units = ["B", "kB", "MB", "GB"]
        var v = Double(b), i = 0
        while v >= 1000 && i < units.count - 1 { v /= 1000; i += 1 }
        let r = (v * 10).rounded() / 10
        return (r == r.rounded() ? String(Int(r)) : String(r)) + units[i]
    }

    /// crictl's tabwriter (minwidth 20, padding 3): each column as wide as its widest cell plus 3, at least 20.
    static func crictlTable(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        var widths = header.map { _ in 20 }
        for row in all { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count + 3) } }
        return all.map { row in
            row.enumerated().map { i, cell in i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count) }.joined()
        }.joined(separator: "\n")
    }
}
