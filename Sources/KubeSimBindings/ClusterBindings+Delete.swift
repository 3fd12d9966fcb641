import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimCluster
import KubeSimManifest

extension ClusterBindings {
    /// `delete TYPE NAME…`, `delete TYPE/NAME`, `delete TYPE -l SELECTOR`, `delete -f FILE`,
    /// with `--cascade=background|foreground|orphan`.
    static func delete(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        let c = try cluster(ctx)
        let ns = inv.flag("namespace") ?? "default"
        var propagation = APIServer.Propagation.background
        if let cascade = inv.flag("cascade") {
            switch cascade {
            case "background", "true": propagation = .background
            case "foreground": propagation = .foreground
            case "orphan", "false": propagation = .orphan
            default: throw CommandFailure("error: invalid cascade value (\(cascade)). Must be \"background\", \"foreground\", or \"orphan\"")
            }
        }
        var targets: [(ResourceType, String, String?)] = []
        if inv.has("filename") {
            for (name, text) in try manifestSources(inv) {
                do {
                    for o in try Manifest.decode(text, source: name).objects { targets.append((o.type, o.metadata.name, o.metadata.namespace ?? ns)) }
                } catch let e as ManifestError { throw CommandFailure(e.message) }
            }
        } else if inv.has("selector") || inv.has("all") {
            guard let typeWord = inv.positionals.first, let type = ResourceType.lookup(typeWord) else {
                throw CommandFailure("error: resource(s) were provided, but no name was specified")
            }
            var selector = LabelSelector()
            if let sel = inv.flag("selector") {
                do { selector = try LabelSelector.parse(sel) } catch let e as LabelSelector.ParseError { throw CommandFailure("error: \(e.message)") }
            }
            targets = try api { try c.api.list(type, namespace: ns, selector: selector, user: user(inv)) }.map { (type, $0.metadata.name, $0.metadata.namespace) }
            if targets.isEmpty { return CommandResult(output: "No resources found") }
        } else if let first = inv.positionals.first, first.contains("/") {
            for word in inv.positionals {
                let parts = word.split(separator: "/", maxSplits: 1).map(String.init)
                guard parts.count == 2, let type = ResourceType.lookup(parts[0]) else { throw unknownType(parts[0], inv) }
                targets.append((type, parts[1], ns))
            }
        } else {
            guard let typeWord = inv.positionals.first else { throw CommandFailure("error: You must provide one or more resources by argument or filename.") }
            guard let type = ResourceType.lookup(typeWord) else { throw unknownType(typeWord, inv) }
            guard inv.positionals.count >= 2 else { throw CommandFailure("error: resource(s) were provided, but no name was specified") }
            targets = inv.positionals.dropFirst().map { (type, $0, ns) }
        }
        // kubectl: --grace-period=0 needs --force (then 0 means now); --now is 1 second.
        var grace: Int64?
        if let g = inv.flag("grace-period") {
            guard let v = Int64(g), v >= -1 else { throw CommandFailure("error: invalid argument \"\(g)\" for \"--grace-period\" flag") }
            if v >= 0 { grace = v }
        }
        if inv.has("now") { grace = 1 }
        let force = inv.has("force")
        if grace == 0 && !force { grace = 1 }
        if force && grace == nil { grace = 0 }
        let dryRun = try DryRun(inv)
        let names = inv.flag("output") == "name"
        if let o = inv.flag("output"), o != "name" { throw CommandFailure("error: unexpected -o output mode: \(o), the flag 'output' must be one of yaml|wide|name|json") }
        var lines: [String] = []
        if force && grace == 0 {
            lines.append("Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.")
        }
        for (type, name, namespace) in targets {
            if dryRun == .client {
                _ = try api { try c.api.get(type, namespace: namespace, name: name, user: user(inv)) }
            } else {
                try api { try c.api.delete(type, namespace: namespace, name: name, propagation: propagation, gracePeriod: type == .pod ? grace : nil,
                                           user: user(inv), dryRun: dryRun == .server) }
            }
            lines.append(names ? "\(APIErrorNames.qualified(type))/\(name)"
                               : "\(APIErrorNames.qualified(type)) \"\(name)\" \(force && grace == 0 ? "force deleted" : "deleted")\(dryRun.suffix)")
        }
        return CommandResult(output: lines.joined(separator: "\n"))
    }
}
