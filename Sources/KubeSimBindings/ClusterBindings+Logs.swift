import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimCluster
import KubeSimControl
import KubeSimNode
import KubeSimNet
import KubeSimManifest

extension ClusterBindings {
    /// `logs`: one container's log, or — with `--all-containers` or `-l SELECTOR` —
    /// several, one after the other (kubectl's default: `--tail=10` per container with
    /// a selector; `--prefix` names each line's source as `[pod/NAME/CONTAINER]`).
    static func logs(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        let c = try cluster(ctx)
        var pods: [Pod]
        if let sel = inv.flag("selector") {
            let selector: LabelSelector
            do { selector = try LabelSelector.parse(sel) } catch let e as LabelSelector.ParseError { throw CommandFailure("error: \(e.message)") }
            pods = try api { try c.api.list(.pod, namespace: inv.flag("namespace") ?? "default", selector: selector, user: user(inv)) }.compactMap(\.pod)
            if pods.isEmpty { return CommandResult(output: "No resources found in \(inv.flag("namespace") ?? "default") namespace.") }
        } else {
            guard let word = inv.positionals.first else { throw inv.error("logs: expected a pod name") }
            pods = [try resolvePod(word, inv, c)]
        }
        var tail: Int? = inv.has("selector") ? 10 : nil
        if let t = inv.flag("tail") {
            guard let n = Int(t) else { throw CommandFailure("error: invalid argument \"\(t)\" for \"--tail\" flag: strconv.ParseInt: parsing \"\(t)\": invalid syntax") }
            tail = n < 0 ? nil : n
        }
        var since: Int64?
        if let d = inv.flag("since") {
            guard let dur = SimDuration(parsing: d) else { throw CommandFailure("error: invalid argument \"\(d)\" for \"--since\" flag: time: invalid duration \"\(d)\"") }
            since = c.clock.now - dur.nanoseconds
        }
        var sources: [(Pod, String, ContainerProcess?)] = []
        for p in pods {
            let names: [String]
            if inv.has("all-containers") { names = p.spec.initContainers.map(\.name) + p.spec.containers.map(\.name) }
            else { names = [inv.flag("container") ?? p.spec.containers.first?.name ?? ""] }
            for name in names { sources.append((p, name, try logProcess(p, name, inv, c))) }
        }
        let stamps = inv.has("timestamps"), prefix = inv.has("prefix")
        func render(_ p: Pod, _ container: String, _ lines: ArraySlice<(time: Int64, line: String)>) -> [String] {
            lines.filter { entry in since.map { entry.time >= $0 } ?? true }.map {
                (prefix ? "[pod/\(p.metadata.name)/\(container)] " : "")
                    + (stamps ? ManifestTime.micro($0.time).replacingOccurrences("Z", "000Z") + " " : "") + ContainerProcess.render($0)
            }
        }
        var lines: [String] = []
        var counts: [Int] = []
        for (p, name, process) in sources {
            var own = process.map { render(p, name, $0.logs[...]) } ?? []
            if let n = tail { own = Array(own.suffix(n)) }
            lines += own
            counts.append(process?.logCount ?? 0)
        }
        if inv.has("follow") {
            // -f: the lines so far, then each new line as simulated time runs, until
            // every followed container has exited, --request-timeout (default 10 s)
            // has passed, or Ctrl-C.
            var limit = SimDuration.seconds(10)
            if let t = inv.flag("request-timeout") {
                guard let d = SimDuration(parsing: Int(t) != nil ? t + "s" : t) else {
                    throw CommandFailure("error: invalid argument \"\(t)\" for \"--request-timeout\" flag: time: invalid duration \"\(t)\"")
                }
                limit = d
            }
            if !lines.isEmpty { ctx.write(lines.joined(separator: "\n") + "\n") }
            lines = []
            let deadline = c.clock.now + limit.nanoseconds
            while !ctx.isInterrupted(), sources.contains(where: { $0.2.map { !$0.exited } ?? false }),
                  let next = c.clock.nextTime, next <= deadline {
                c.clock.runNext()
                for (k, (p, name, process)) in sources.enumerated() {
                    guard let process, process.logCount > counts[k] else { continue }
                    ctx.write(render(p, name, process.logs[counts[k]...]).map { $0 + "\n" }.joined())
                    counts[k] = process.logCount
                }
            }
            if !ctx.isInterrupted() && sources.contains(where: { $0.2.map { !$0.exited } ?? false }) { c.clock.run(until: deadline) }
            return CommandResult()
        }
        return CommandResult(output: lines.joined(separator: "\n"))
    }

    /// The process whose log `logs` reads: the container's current instance, or with
    /// `--previous` the one before.
    static func logProcess(_ p: Pod, _ container: String, _ inv: Invocation, _ c: Cluster) throws -> ContainerProcess? {
        guard (p.spec.containers + p.spec.initContainers + p.spec.ephemeralContainers).contains(where: { $0.name == container }) else {
            throw CommandFailure("error: container \(container) is not valid for pod \(p.metadata.name)")
        }
        guard let node = p.spec.nodeName, let k = c.kubelets[node], let w = k.worker(pod: p.metadata.uid),
              let s = w.slots.first(where: { $0.spec.name == container }) else {
            throw CommandFailure("Error from server (BadRequest): container \"\(container)\" in pod \"\(p.metadata.name)\" is waiting to start: ContainerCreating")
        }
        let records = k.runtime.containers.values.filter { $0.podUID == w.pod.metadata.uid && $0.name == s.spec.name }.sorted { $0.attempt < $1.attempt }
        let record: ContainerRecord?
        if inv.has("previous") {
            guard records.count >= 2 else {
                throw CommandFailure("Error from server (BadRequest): previous terminated container \"\(s.spec.name)\" in pod \"\(p.metadata.name)\" not found")
            }
            record = records[records.count - 2]
        } else {
            record = records.last
        }
        guard let rec = record, let process = rec.process else {
            if case let .waiting(reason, _) = s.status.state {
                throw CommandFailure("Error from server (BadRequest): container \"\(s.spec.name)\" in pod \"\(p.metadata.name)\" is waiting to start: \(reason)")
            }
            return nil
        }
        return process
    }
}
