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
    /// `minWidth` is the tabwriter's (kubectl's printers.GetNewTabWriter: 6, counting
    /// the padding); without a header the rows alone set the widths.
    static func table(_ header: [String], _ rows: [[String]], padding: Int = 3, minWidth: Int = 0, headers: Bool = true) -> String {
        var widths = headers ? header.map(\.count) : header.map { _ in 0 }
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        widths = widths.map { max($0, minWidth - padding) }
        func line(_ cells: [String]) -> String {
            var out = ""
            for (i, c) in cells.enumerated() {
                if i == cells.count - 1 { out += c } else { out += c + String(repeating: " ", count: widths[i] - c.count + padding) }
            }
            return out
        }
        return ((headers ? [line(header)] : []) + rows.map(line)).joined(separator: "\n")
    }

    static func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s : s + String(repeating: " ", count: width - s.count) }

    /// STATUS, READY and RESTARTS as kubectl computes them (pkg/printers/internalversion/printers.go printPod).
    static func podColumns(_ p: Pod, now: Int64) -> (status: String, ready: Int, restarts: String) {
        var reason = p.status.reason ?? p.status.phase
        var restarts = 0
        var lastRestart: Int64?
        var ready = 0
        func noteRestart(_ c: ContainerStatus) {
            restarts += c.restartCount
            if case let .terminated(_, _, _, _, finished)? = c.lastState, lastRestart.map({ finished > $0 }) ?? true { lastRestart = finished }
        }
        var initializing = false
        for (i, c) in p.status.initContainerStatuses.enumerated() {
            noteRestart(c)
            switch c.state {
            case .terminated(let code, let r, _, _, _):
                if code == 0 { continue }
                reason = r.isEmpty ? "Init:ExitCode:\(code)" : "Init:" + r
            case .waiting(let r, _) where !r.isEmpty && r != "PodInitializing":
                reason = "Init:" + r
            default:
                reason = "Init:\(i)/\(p.spec.initContainers.count)"
            }
            initializing = true
            break
        }
        if !initializing || p.status.condition("Initialized")?.status == "True" {
            restarts = 0
            var hasRunning = false
            for c in p.status.containerStatuses.reversed() {
                noteRestart(c)
                switch c.state {
                case .waiting(let r, _) where !r.isEmpty: reason = r
                case .terminated(let code, let r, _, _, _): reason = r.isEmpty ? "ExitCode:\(code)" : r
                case .running where c.ready: hasRunning = true; ready += 1
                default: break
                }
            }
            if reason == "Completed" && hasRunning { reason = p.status.isReady ? "Running" : "NotReady" }
        }
        let terminal = p.status.phase == "Succeeded" || p.status.phase == "Failed"
        if p.metadata.deletionTimestamp != nil && p.status.reason == "NodeLost" { reason = "Unknown" }
        else if p.metadata.deletionTimestamp != nil && !terminal { reason = "Terminating" }
        var r = String(restarts)
        if restarts != 0, let last = lastRestart { r += " (\(age(now - last)) ago)" }
        return (reason, ready, r)
    }

    /// kubectl's node STATUS: Ready, NotReady or Unknown, plus SchedulingDisabled.
    static func nodeStatus(_ n: Node) -> String {
        let ready = n.conditions.first { $0.type == "Ready" }?.status
        var s = ready == "True" ? "Ready" : (ready == "Unknown" ? "NotReady" : "NotReady")
        if n.unschedulable { s += ",SchedulingDisabled" }
        return s
    }

    static func podStatus(_ p: Pod) -> String { podColumns(p, now: 0).status }

    static func podRow(_ p: Pod, now: Int64, wide: Bool) -> [String] {
        let cols = podColumns(p, now: now)
        var row = [p.metadata.name, "\(cols.ready)/\(p.spec.containers.count)", cols.status, cols.restarts, age(now - p.metadata.creationTimestamp)]
        if wide { row += [p.status.podIP ?? "<none>", p.spec.nodeName ?? "<none>", "<none>", "<none>"] }
        return row
    }
}

extension Format {
    /// Go's text/tabwriter as kubectl's describers set it up (describe.go tabbedString:
    /// minwidth 0, padding 2, padded with spaces): cells end at tabs; the tab-ended
    /// cells of one column in contiguous lines form a block padded to its widest cell
    /// plus two; a line with fewer cells (one without tabs, an empty one) ends the
    /// block. The last cell of a line is printed as it is.
    static func tabbed(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        var widths = lines.map { [Int](repeating: 0, count: max(0, $0.count - 1)) }
        let columns = lines.map { $0.count - 1 }.max() ?? 0
        for col in 0..<max(0, columns) {
            var start = 0
            while start < lines.count {
                guard lines[start].count - 1 > col else { start += 1; continue }
                var end = start
                while end < lines.count && lines[end].count - 1 > col { end += 1 }
                let w = lines[start..<end].map { $0[col].count }.max()! + 2
                for i in start..<end { widths[i][col] = w }
                start = end
            }
        }
        return zip(lines, widths).map { cells, w in
            cells.enumerated().map { i, c in i < w.count ? pad(c, w[i]) : c }.joined()
        }.joined(separator: "\n")
    }
}
