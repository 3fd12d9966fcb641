import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimCluster
import KubeSimManifest

/// `wait --for=condition=C[=V] | delete | jsonpath='{…}'[=V] TYPE/NAME… [-l SEL] [--all]
/// [--timeout=30s]`, as kubectl/pkg/cmd/wait: simulated time runs until each object
/// meets the condition (`pod/web condition met`) or the timeout passes
/// (`error: timed out waiting for the condition on pods/web`, exit status 1).
extension ClusterBindings {
    static func registerWaitCommand(_ r: CommandRegistry) {
        r.register(CommandSpec("wait", summary: "let simulated time pass until resources meet a condition (or the timeout)",
                               usage: "wait --for=condition=Ready|delete|jsonpath='{.status.phase}'=Running TYPE/NAME… | TYPE NAME… | TYPE -l SELECTOR | TYPE --all [--timeout=30s]",
                               flags: [FlagSpec("for", value: "CONDITION", help: "condition=NAME[=VALUE], delete, create or jsonpath='{PATH}'[=VALUE]"),
                                       FlagSpec("timeout", value: "DURATION", help: "how long to wait (default 30s; 0: check once)"),
                                       FlagSpec("selector", short: "l", value: "SELECTOR", help: "wait for what matches"),
                                       FlagSpec("all", help: "every object of the kind"), namespaceFlag],
                               handler: { inv, ctx in try wait(inv, ctx) }, completer: resourceNameCompleter(r)))
    }

    enum WaitCondition {
        case condition(String, String)
        case delete
        case create
        case jsonpath(JSONPath, String?)
    }

    static func waitCondition(_ text: String) throws -> WaitCondition {
        if text.lowercased() == "delete" { return .delete }
        if text.lowercased() == "create" { return .create }
        if text.hasPrefix("condition=") {
            let body = String(text.dropFirst("condition=".count))
            if let eq = body.firstIndex(of: "=") { return .condition(String(body[..<eq]), String(body[body.index(after: eq)...])) }
            return .condition(body, "true")
        }
        if text.hasPrefix("jsonpath=") {
            // splitJSONPathInput: a single '=' separates the path from the value; '==' does not.
            var parts: [String] = [], current = ""
            let chars = Array(String(text.dropFirst("jsonpath=".count)))
            var i = 0
            while i < chars.count {
                if chars[i] == "=" {
                    if i + 1 < chars.count && chars[i + 1] == "=" { current += "=="; i += 2; continue }
                    parts.append(current); current = ""; i += 1; continue
                }
                current.append(chars[i]); i += 1
            }
            parts.append(current)
            guard (1...2).contains(parts.count) else {
                throw CommandFailure("error: jsonpath wait format must be --for=jsonpath='{.status.readyReplicas}'=3 or --for=jsonpath='{.status.readyReplicas}'")
            }
            let path = try GetPrinter.relaxed(parts[0])
            guard parts.count == 2 else { return .jsonpath(path, nil) }
            let value = String(parts[1].drop { $0 == "'" || $0 == "\"" }.reversed().drop { $0 == "'" || $0 == "\"" }.reversed())
            guard !value.isEmpty else {
                throw CommandFailure("error: jsonpath wait has to have a value after equal sign, like --for=jsonpath='{.status.readyReplicas}'=3")
            }
            return .jsonpath(path, value)
        }
        throw CommandFailure("error: unrecognized condition: \(Quoting.doubleQuoted(text))")
    }

    /// Whether `o` meets the condition (checkCondition, JSONPathWait.isJSONPathConditionMet).
    static func meets(_ o: APIObject?, _ condition: WaitCondition) -> Bool {
        switch condition {
        case .delete: return o == nil
        case .create: return o != nil
        case let .condition(name, value):
            guard let o else { return false }
            let json = ManifestEncoder.encode(o)
            for c in json["status"]?["conditions"]?.array ?? [] where c["type"]?.string?.lowercased() == name.lowercased() {
                guard let status = c["status"]?.string else { continue }
                if let generation = json["metadata"]?["generation"]?.int,
                   let observed = c["observedGeneration"]?.int ?? json["status"]?["observedGeneration"]?.int, observed < generation {
                    return false
                }
                return status.lowercased() == value.lowercased()
            }
            return false
        case let .jsonpath(path, value):
            guard let o else { return false }
            let found = JSONPath.evaluate(path, ManifestEncoder.encode(o).sortedKeys)
            guard let value else { return !found.isEmpty }
            guard found.count == 1 else { return false }
            switch found[0] {
            case .object, .array: return false
            default: return JSONPath.text(found[0]) == value
            }
        }
    }

    static func wait(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        guard let forText = inv.flag("for") else { throw CommandFailure("error: --for must be specified") }
        let condition = try waitCondition(forText)
        var timeout = SimDuration.seconds(30)
        if let t = inv.flag("timeout") {
            guard let d = SimDuration(parsing: t == "0" ? "0s" : t) else { throw CommandFailure("error: invalid argument \"\(t)\" for \"--timeout\" flag: time: invalid duration \"\(t)\"") }
            timeout = d
        }
        let c = try cluster(ctx)
        let ns = inv.flag("namespace") ?? "default"
        // The objects to wait for.
        var targets: [(ResourceType, String)] = []
        if let first = inv.positionals.first, first.contains("/") {
            for word in inv.positionals {
                let parts = word.split(separator: "/", maxSplits: 1).map(String.init)
                guard parts.count == 2, let t = ResourceType.lookup(parts[0]) else { throw unknownType(parts[0], inv) }
                targets.append((t, parts[1]))
            }
        } else if let typeWord = inv.positionals.first {
            guard let t = ResourceType.lookup(typeWord) else { throw unknownType(typeWord, inv) }
            if inv.positionals.count > 1 {
                targets = inv.positionals.dropFirst().map { (t, $0) }
            } else if inv.has("all") || inv.has("selector") {
                var selector: LabelSelector?
                if let l = inv.flag("selector") {
                    do { selector = try LabelSelector.parse(l) } catch let e as LabelSelector.ParseError { throw CommandFailure("error: \(e.message)") }
                }
                targets = try api { try c.api.list(t, namespace: ns, selector: selector, user: user(inv)) }.map { (t, $0.metadata.name) }
            } else {
                throw CommandFailure("error: resource(s) were provided, but no name was specified")
            }
        } else {
            throw CommandFailure("error: You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'")
        }
        func current(_ t: ResourceType, _ name: String) -> APIObject? { try? c.api.get(t, namespace: ns, name: name) }
        var lines: [String] = []
        var visited = 0
        let deadline = c.clock.now + timeout.nanoseconds
        for (t, name) in targets {
            // A missing object is an error, except when waiting for its deletion (or creation).
            if current(t, name) == nil {
                if case .delete = condition { continue }
                if case .create = condition {} else {
                    _ = try api { try c.api.get(t, namespace: ns, name: name, user: user(inv)) }
                }
            }
            visited += 1
            let label = "\(APIErrorNames.qualified(t))/\(name)"
            if timeout == .zero {
                guard meets(current(t, name), condition) else {
                    throw CommandFailure("error: condition not met for \(label)", output: lines.map { $0 + "\n" }.joined())
                }
                lines.append("\(label) condition met")
                continue
            }
            // Run the clock event by event, checking whenever the store changed.
            var revision = c.store.revision
            var met = meets(current(t, name), condition)
            while !met {
                guard let next = c.clock.nextTime, next <= deadline, !ctx.isInterrupted() else { break }
                c.clock.runNext()
                if c.store.revision != revision {
                    revision = c.store.revision
                    met = meets(current(t, name), condition)
                }
            }
            guard met else {
                if !ctx.isInterrupted() { c.clock.run(until: deadline) }
                throw CommandFailure("error: timed out waiting for the condition on \(t.plural)/\(name)", output: lines.map { $0 + "\n" }.joined())
            }
            lines.append("\(label) condition met")
        }
        if visited == 0 {
            if case .delete = condition { return CommandResult(output: "") }
            throw CommandFailure("error: no matching resources found")
        }
        return CommandResult(output: lines.joined(separator: "\n"))
    }
}
