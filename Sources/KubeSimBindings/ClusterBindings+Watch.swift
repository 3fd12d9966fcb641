import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimCluster
import KubeSimManifest

/// `get TYPE -w` / `--watch-only`: the list (unless watch-only), then a row for every
/// change the API server's watch delivers as simulated time runs, each printed when
/// it happens. Columns keep the widths they have grown to (kubectl's tabwriter
/// remembers widths across flushes). It stops at `--request-timeout`, at Ctrl-C, or —
/// with no timeout, which on a real cluster means forever — once the cluster has
/// settled (at most `settle`'s 10 minutes).
extension ClusterBindings {
    static let watchFlags = [
        FlagSpec("watch", short: "w", help: "after the list, print each change as simulated time runs"),
        FlagSpec("watch-only", help: "print changes only, without the list first"),
        FlagSpec("request-timeout", value: "DURATION", help: "how long a watch runs (default: until the cluster settles)"),
    ]

    static func watchGet(_ inv: Invocation, _ ctx: CommandContext, type: ResourceType, names: [String], selector: LabelSelector?,
                         printer: GetPrinter, allNS: Bool) throws -> CommandResult {
        let c = try cluster(ctx)
        let ns = inv.flag("namespace") ?? "default"
        var deadline: Int64?
        if let t = inv.flag("request-timeout"), t != "0" {
            guard let d = SimDuration(parsing: Int(t) != nil ? t + "s" : t) else {
                throw CommandFailure("error: invalid argument \"\(t)\" for \"--request-timeout\" flag: time: invalid duration \"\(t)\"")
            }
            deadline = c.clock.now + d.nanoseconds
        }
        func matches(_ o: APIObject) -> Bool {
            (allNS || !type.namespaced || o.metadata.namespace == ns) && (names.isEmpty || names.contains(o.metadata.name))
                && (selector.map { $0.matches(o.metadata.labels) } ?? true)
        }
        var widths: [Int] = []
        var headerPrinted = false
        func emit(_ objects: [APIObject]) {
            guard !objects.isEmpty else { return }
            guard case .table(let wide) = printer.format else {
                ctx.write(printer.print([(type, objects)], single: names.count == 1, now: c.clock.now, allNS: allNS, showKind: inv.has("show-kind")) + "\n")
                return
            }
            let t = table(type, objects, now: c.clock.now, wide: wide, allNS: allNS && type.namespaced, labels: printer.showLabels)
            var lines: [[String]] = t.rows
            if !headerPrinted && !printer.noHeaders { lines.insert(t.header, at: 0) }
            headerPrinted = true
            // One flush: the header goes out with the first rows, aligned with them.
            for row in lines {
                if widths.count < row.count { widths += Array(repeating: 0, count: row.count - widths.count) }
                for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count + 3, 6) }
            }
            for row in lines {
                var line = ""
                for (i, cell) in row.enumerated() {
                    line += i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
                }
                ctx.write(line + "\n")
            }
        }
        if !inv.has("watch-only") {
            var objects = c.api.list(type, namespace: allNS ? nil : ns, selector: selector).filter(matches)
            if let path = printer.sortBy { objects = try sortObjects(objects, by: path) }
            emit(objects)
        }
        var revision = c.store.revision
        let cap = c.clock.now + c.settleLimit.nanoseconds
        while !ctx.isInterrupted() {
            let limit = deadline ?? cap
            guard let next = c.clock.nextTime, next <= limit else { break }
            if deadline == nil {
                // No timeout: stop once nothing but background timers is left.
                if c.clock.pendingWork == 0 { break }
                if let w = c.clock.nextWorkTime, w > c.clock.now + Cluster.quietPeriod.nanoseconds { break }
            }
            c.clock.runNext()
            guard c.store.revision != revision else { continue }
            for e in c.store.changes(since: revision, type: type) where matches(e.object) { emit([e.object]) }
            revision = c.store.revision
        }
        if let deadline, !ctx.isInterrupted() { c.clock.run(until: deadline) }
        return CommandResult(output: "")
    }
}
