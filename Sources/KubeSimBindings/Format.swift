import KubeSimCore
import KubeSimAPI

/// Output as kubectl prints it.
enum Format {
    /// `duration.HumanDuration` (k8s.io/apimachinery/pkg/util/duration), kubectl's AGE.
    static func age(_ ns: Int64) -> String {
        let seconds = Int(ns / 1_000_000_000)
        if seconds < -1 { return "<invalid>" }
        if seconds < 0 { return "0s" }
        if seconds < 120 { return "\(seconds)s" }
        let minutes = seconds / 60
        if minutes < 10 {
            let s = seconds % 60
            return s == 0 ? "\(minutes)m" : "\(minutes)m\(s)s"
        }
        if minutes < 180 { return "\(minutes)m" }
        let hours = seconds / 3600
        if hours < 8 {
            let m = minutes % 60
            return m == 0 ? "\(hours)h" : "\(hours)h\(m)m"
        }
        if hours < 48 { return "\(hours)h" }
        if hours < 24 * 8 {
            let h = hours % 24
            return h == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(h)h"
        }
        if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
        if hours < 24 * 365 * 8 {
            let dy = (hours / 24) % 365
            return dy == 0 ? "\(hours / 24 / 365)y" : "\(hours / 24 / 365)y\(dy)d"
        }
        return "\(hours / 24 / 365)y"
    }

    /// kubectl's table printer: columns padded to the widest cell plus three spaces.
    static func table(_ header: [String], _ rows: [[String]], padding: Int = 3) -> String {
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            var out = ""
            for (i, c) in cells.enumerated() {
                if i == cells.count - 1 { out += c } else { out += c + String(repeating: " ", count: widths[i] - c.count + padding) }
            }
            return out
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    static func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s : s + String(repeating: " ", count: width - s.count) }

    static func podStatus(_ p: Pod) -> String {
        if p.metadata.deletionTimestamp != nil { return "Terminating" }
        if p.status.phase == "Pending" && p.spec.nodeName != nil { return "ContainerCreating" }
        return p.status.phase
    }

    static func podRow(_ p: Pod, now: Int64, wide: Bool) -> [String] {
        let total = p.spec.containers.count
        let ready = p.status.isReady ? total : 0
        var row = [p.metadata.name, "\(ready)/\(total)", podStatus(p), String(p.status.restartCount), age(now - p.metadata.creationTimestamp)]
        if wide { row += [p.status.podIP ?? "<none>", p.spec.nodeName ?? "<none>", "<none>", "<none>"] }
        return row
    }
}
