import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimCluster
import KubeSimControl
import KubeSimNode
import KubeSimNet
import KubeSimManifest
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Changing an object from its JSON: `patch` (strategic merge, merge or JSON patch),
/// `replace -f`, `diff -f` and `edit`. Each works on the object as `get -o json`
/// shows it, and writes back the spec, labels and annotations as `apply` does.
extension ClusterBindings {
    static func registerPatchCommands(_ r: CommandRegistry) {
        let fileFlag = FlagSpec("filename", short: "f", value: "FILE", help: "manifest files or directories")
        r.register(CommandSpec("patch", summary: "change fields of a resource with a strategic merge, merge or JSON patch",
                               usage: "patch TYPE NAME -p PATCH [--type=strategic|merge|json] | patch TYPE/NAME --patch-file=FILE",
                               flags: [FlagSpec("patch", short: "p", value: "PATCH", help: "the patch, JSON or YAML"),
                                       FlagSpec("patch-file", value: "FILE", help: "a file holding the patch"),
                                       FlagSpec("type", value: "TYPE", help: "strategic (default), merge or json"), namespaceFlag] + DryRun.flags,
                               handler: { inv, ctx in try patch(inv, ctx) }, completer: resourceNameCompleter(r)))
        r.register(CommandSpec("replace", summary: "replace resources with the manifests' versions (they must exist)",
                               usage: "replace -f FILE", flags: [fileFlag, namespaceFlag] + DryRun.flags, acceptsHeredoc: true) { inv, ctx in
            try replace(inv, ctx)
        })
        r.register(CommandSpec("diff", summary: "what apply -f would change, as a unified diff (exit status 1 when there are differences)",
                               usage: "diff -f FILE", flags: [fileFlag, namespaceFlag], acceptsHeredoc: true) { inv, ctx in
            try diff(inv, ctx)
        })
        r.register(CommandSpec("edit", summary: "edit a resource in $EDITOR (the REPL only; scripts use patch or apply)",
                               usage: "edit TYPE NAME | edit TYPE/NAME", flags: [namespaceFlag],
                               handler: { inv, ctx in try edit(inv, ctx) }, completer: resourceNameCompleter(r)))
    }

    /// The object's JSON with the patch applied (as the API server applies each type).
    static func patched(_ json: JSONValue, _ patch: JSONValue, type: String) throws -> JSONValue {
        switch type {
        case "strategic": return Patch.strategic(json, patch)
        case "merge": return Patch.merge(json, patch)
        case "json":
            do { return try Patch.json(json, patch) } catch let f as Patch.Failure {
                throw CommandFailure("The request is invalid: the server rejected our request due to an error in our request: \(f.message)")
            }
        default: throw CommandFailure("error: --type must be one of [json merge strategic], not \"\(type)\"")
        }
    }

    /// Writes `edited` (an object's JSON) back over `current`: the spec, labels and
    /// annotations it gives, as apply merges them.
    static func writeBack(_ edited: JSONValue, over current: APIObject, _ inv: Invocation, _ ctx: CommandContext, dryRun: DryRun) throws -> APIObject {
        var o: APIObject
        do { o = try Manifest.object(edited, source: "STDIN") } catch let e as ManifestError { throw CommandFailure(e.message) }
        guard o.type == current.type, o.metadata.name == current.metadata.name else {
            throw CommandFailure("error: the kind and name of an object cannot be changed")
        }
        let merged = mergeForApply(current, o)
        if dryRun == .client { return merged }
        return try api { try cluster(ctx).api.update(merged, user: user(inv), dryRun: dryRun == .server) }
    }

    static func patch(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        let (type, name, _) = try target(inv, verb: "patch")
        var text = inv.flag("patch")
        if let f = inv.flag("patch-file") {
            guard let t = FileIO.read(FileIO.resolve(f, relativeTo: inv.location.file.name)) ?? FileIO.read(f) else {
                throw CommandFailure("error: open \(f): no such file or directory")
            }
            text = t
        }
        guard let text, !text.isEmpty else { throw CommandFailure("error: must specify --patch or --patch-file containing the contents of the patch") }
        let body: JSONValue
        do { body = try Manifest.value(text) } catch let e as ManifestError { throw CommandFailure(e.message) }
        let dryRun = try DryRun(inv)
        let printer = try ObjectPrinter(inv)
        let c = try cluster(ctx)
        let current = try api { try c.api.get(type, namespace: inv.flag("namespace") ?? "default", name: name, user: user(inv)) }
        let json = ManifestEncoder.encode(current).sortedKeys
        let after = try patched(json, body, type: inv.flag("type") ?? "strategic").sortedKeys
        if after == json {
            return CommandResult(output: printer.print(json, verb: "patched (no change)", dryRun: dryRun))
        }
        let stored = try writeBack(after, over: current, inv, ctx, dryRun: dryRun)
        return CommandResult(output: printer.print(ManifestEncoder.encode(stored).sortedKeys, verb: "patched", dryRun: dryRun))
    }

    static func replace(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        let c = try cluster(ctx)
        let dryRun = try DryRun(inv)
        let printer = try ObjectPrinter(inv)
        var lines: [String] = []
        for (name, text) in try manifestSources(inv) {
            let decoded: Manifest.Decoded
            do { decoded = try Manifest.decode(text, source: name) } catch let e as ManifestError { throw CommandFailure(e.message) }
            for var o in decoded.objects {
                if o.type.namespaced && o.metadata.namespace == nil {
                    var m = o.metadata
                    m.namespace = inv.flag("namespace") ?? "default"
                    o.metadata = m
                }
                let current = try api { try c.api.get(o.type, namespace: o.metadata.namespace, name: o.metadata.name, user: user(inv)) }
                let merged = mergeForApply(current, o)
                let stored = dryRun == .client ? merged : try api { try c.api.update(merged, user: user(inv), dryRun: dryRun == .server) }
                lines.append(printer.print(ManifestEncoder.encode(stored).sortedKeys, verb: "replaced", dryRun: dryRun))
            }
        }
        return CommandResult(output: lines.joined(separator: "\n"))
    }

    /// kubectl diff: the live object against what the server would store after
    /// applying the manifest (a server dry run), as `diff -u -N` prints them.
    static func diff(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        let c = try cluster(ctx)
        var out = ""
        for (name, text) in try manifestSources(inv) {
            let decoded: Manifest.Decoded
            do { decoded = try Manifest.decode(text, source: name) } catch let e as ManifestError { throw CommandFailure(e.message) }
            for var o in decoded.objects {
                if o.type.namespaced && o.metadata.namespace == nil {
                    var m = o.metadata
                    m.namespace = inv.flag("namespace") ?? "default"
                    o.metadata = m
                }
                let live = try? c.api.get(o.type, namespace: o.metadata.namespace, name: o.metadata.name)
                let merged: APIObject
                if let live {
                    merged = try api { try c.api.update(mergeForApply(live, o), user: user(inv), dryRun: true) }
                } else {
                    merged = try api { try c.api.create(o, user: user(inv), dryRun: true) }
                }
                let group = o.type.apiVersion.contains("/") ? o.type.apiVersion.replacingOccurrences("/", ".") : "v1"
                let file = "\(group).\(o.type.kind).\(o.metadata.namespace.map { $0 + "." } ?? "")\(o.metadata.name)"
                func text(_ x: APIObject?) -> [String] {
                    guard let x else { return [] }
                    return ManifestEncoder.yaml(x).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
                }
                let stamp = ManifestEncoder.timestamp(c.clock.now).replacingOccurrences("T", " ").replacingOccurrences("Z", ".000000000 +0000")
                out += UnifiedDiff.text(text(live), text(merged), from: "/tmp/LIVE-0/\(file)", to: "/tmp/MERGED-0/\(file)", stamp: stamp)
            }
        }
        if out.isEmpty { return CommandResult(output: "") }
        return CommandResult(output: String(out.dropLast()), exitCode: 1)
    }

    /// `edit`: the object's YAML in `$EDITOR` (then `vi`), written back when changed.
    static func edit(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        guard ctx.isTerminal else {
            throw CommandFailure("error: edit needs an interactive terminal to run $EDITOR; in a script use patch, replace -f or apply -f")
        }
        let (type, name, _) = try target(inv, verb: "edit")
        let c = try cluster(ctx)
        let current = try api { try c.api.get(type, namespace: inv.flag("namespace") ?? "default", name: name, user: user(inv)) }
        let header = """
        # Please edit the object below. Lines beginning with a '#' will be ignored,
        # and an empty file will abort the edit. If an error occurs while saving this file will be
        # reopened with the relevant failures.
        #

        """
        let original = ManifestEncoder.yaml(current)
        let path = "/tmp/kubectl-edit-\(getpid())-\(name).yaml"
        guard FileIO.write(path, header + original) else { throw CommandFailure("error: cannot write \(path)") }
        defer { unlink(path) }
        let editor = getenv("KUBE_EDITOR").map { String(cString: $0) } ?? getenv("EDITOR").map { String(cString: $0) } ?? "vi"
        guard system("\(editor) '\(path)'") == 0 else { throw CommandFailure("error: there was a problem with the editor \"\(editor)\"") }
        let edited = (FileIO.read(path) ?? "").split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("#") }.joined(separator: "\n")
        if edited.allSatisfy({ $0 == " " || $0 == "\n" }) { return CommandResult(output: "Edit cancelled, no changes made.") }
        let value: JSONValue
        do { value = try Manifest.value(edited) } catch let e as ManifestError { throw CommandFailure(e.message) }
        if value.sortedKeys == ManifestEncoder.encode(current).sortedKeys || edited.trimmingNewlines == original.trimmingNewlines {
            return CommandResult(output: "Edit cancelled, no changes made.")
        }
        _ = try writeBack(value, over: current, inv, ctx, dryRun: .none)
        return CommandResult(output: "\(APIErrorNames.qualified(type))/\(name) edited")
    }
}

extension String {
    var trimmingNewlines: String {
        var s = Substring(self)
        while s.first == "\n" { s = s.dropFirst() }
        while s.last == "\n" { s = s.dropLast() }
        return String(s)
    }
}
