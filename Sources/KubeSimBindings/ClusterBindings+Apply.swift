import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimCluster
import KubeSimManifest

extension ClusterBindings {
    static func registerManifestCommands(_ r: CommandRegistry) {
        let fileFlag = FlagSpec("filename", short: "f", value: "FILE", help: "manifest files or directories (comma-separated, repeatable)")
        r.register(CommandSpec("apply", summary: "create or update resources from manifests (files, directories or a heredoc)",
                               usage: "apply -f FILE[,FILE…] | apply -f DIR | apply <<EOF … EOF",
                               flags: [fileFlag, namespaceFlag] + DryRun.flags, acceptsHeredoc: true) { inv, ctx in try apply(inv, ctx, createOnly: false) })
        r.register(CommandSpec("export", summary: "write the cluster's objects as manifests a real cluster accepts",
                               usage: "export [-n NS] [FILE]", flags: [namespaceFlag]) { inv, ctx in try export(inv, ctx) })
    }

    /// Manifest sources: each `-f` (comma-separated; a directory means its .yaml,
    /// .yml and .json files) and the heredoc. Relative paths are tried beside the
    /// script first, then from the working directory.
    static func manifestSources(_ inv: Invocation) throws -> [(name: String, text: String)] {
        var out: [(String, String)] = []
        var stdinRead = false
        for value in inv.flagValues("filename") {
            for path in value.split(separator: ",").map(String.init) {
                // `-f -`: standard input, which a script gives as the heredoc
                // (`apply -f - <<EOF`, as typed in a shell).
                if path == "-" {
                    guard let h = inv.heredoc, !stdinRead else { throw CommandFailure("error: no objects passed to apply") }
                    out.append(("STDIN", h))
                    stdinRead = true
                    continue
                }
                var candidates = [path]
                if !path.hasPrefix("/") { candidates.insert(FileIO.resolve(path, relativeTo: inv.location.file.name), at: 0) }
                guard let found = candidates.first(where: { FileIO.exists($0) }) else {
                    throw CommandFailure("error: the path \"\(path)\" does not exist")
                }
                if FileIO.isDirectory(found) {
                    for name in FileIO.list(found) where name.hasSuffix(".yaml") || name.hasSuffix(".yml") || name.hasSuffix(".json") {
                        let p = found + "/" + name
                        guard let t = FileIO.read(p) else { throw CommandFailure("error: cannot read \"\(p)\"") }
                        out.append((path.hasSuffix("/") ? path + name : path + "/" + name, t))
                    }
                } else {
                    guard let t = FileIO.read(found) else { throw CommandFailure("error: cannot read \"\(path)\"") }
                    out.append((path, t))
                }
            }
        }
        if let h = inv.heredoc, !stdinRead { out.append(("STDIN", h)) }
        if out.isEmpty { throw CommandFailure("error: must specify one of -f and -k") }
        return out
    }

    static func apply(_ inv: Invocation, _ ctx: CommandContext, createOnly: Bool) throws -> CommandResult {
        let c = try cluster(ctx)
        // Decode everything first: a bad manifest changes nothing.
        var objects: [APIObject] = []
        var warnings: [[String]] = []
        var lines: [String] = []
        for (name, text) in try manifestSources(inv) {
            let decoded: Manifest.Decoded
            do { decoded = try Manifest.decode(text, source: name) } catch let e as ManifestError { throw CommandFailure(e.message) }
            warnings += decoded.warnings
            objects += decoded.objects
        }
        if objects.isEmpty { throw CommandFailure("error: no objects passed to apply") }
        let dryRun = try DryRun(inv)
        let printer = try ObjectPrinter(inv)
        var results: [JSONValue] = []
        let defaultNS = inv.flag("namespace") ?? "default"
        for (index, var o) in objects.enumerated() {
            lines += warnings[index]
            if o.type.namespaced && o.metadata.namespace == nil {
                var m = o.metadata
                m.namespace = defaultNS
                o.metadata = m
            }
            let label = "\(APIErrorNames.qualified(o.type))/\(o.metadata.name)"
            let who = user(inv)
            if o.type == .networkPolicy && !c.network.enforcesNetworkPolicy {
                // Not kubectl's: the API server stores any policy; KubeSim says what the
                // seed warns about — with a CNI that has no policy agent it does nothing.
                lines.append("Warning: the cluster's CNI plugin (\(c.network.plugin.rawValue)) does not enforce NetworkPolicy: \(label) is stored but has no effect")
            }
            if let existing = try? c.api.get(o.type, namespace: o.metadata.namespace, name: o.metadata.name) {
                let merged = mergeForApply(existing, o)
                if merged == existing {
                    lines.append("\(label) unchanged\(dryRun.suffix)")
                    results.append(ManifestEncoder.encode(existing).sortedKeys)
                } else {
                    let stored = dryRun == .client ? merged : try api { try c.api.update(merged, user: who, dryRun: dryRun == .server) }
                    lines.append("\(label) configured\(dryRun.suffix)")
                    results.append(ManifestEncoder.encode(stored).sortedKeys)
                }
            } else {
                let stored = dryRun == .client ? o : try api { try c.api.create(o, user: who, dryRun: dryRun == .server) }
                lines.append("\(label) created\(dryRun.suffix)")
                results.append(ManifestEncoder.encode(stored).sortedKeys)
            }
        }
        switch printer.format {
        case .message: return CommandResult(output: lines.joined(separator: "\n"))
        case .name: return CommandResult(output: results.map(ObjectPrinter.name).joined(separator: "\n"))
        case .yaml, .json, .jsonpath:
            // Several objects print as one List, as kubectl apply -o does.
            let shown = results.count == 1 ? results[0] : ObjectPrinter.list(results)
            return CommandResult(output: printer.print(shown, verb: "", dryRun: dryRun))
        }
    }

    /// What `apply` changes on an existing object: labels, annotations and the spec
    /// the manifest gives; status and server-set fields stay.
    static func mergeForApply(_ existing: APIObject, _ applied: APIObject) -> APIObject {
        var out = existing
        var m = existing.metadata
        m.labels = applied.metadata.labels
        m.annotations = applied.metadata.annotations
        m.preserved = applied.metadata.preserved
        switch (existing, applied) {
        case (.deployment(var d), .deployment(let a)):
            d.spec = a.spec
            d.metadata = m
            out = .deployment(d)
        case (.replicaSet(var r), .replicaSet(let a)):
            r.spec = a.spec
            r.metadata = m
            out = .replicaSet(r)
        case (.networkPolicy(var n), .networkPolicy(let a)):
            n.spec = a.spec
            n.metadata = m
            out = .networkPolicy(n)
        case (.pod(var p), .pod(let a)):
            // A pod's spec is immutable apart from images; keep the binding.
            for i in p.spec.containers.indices where i < a.spec.containers.count { p.spec.containers[i].image = a.spec.containers[i].image }
            p.metadata = m
            out = .pod(p)
        case (.service(var s), .service(let a)):
            // ClusterIP and node ports stay as allocated unless the manifest names them.
            let ip = s.spec.clusterIP
            let nodePorts = s.spec.ports.map(\.nodePort)
            s.spec = a.spec
            if a.spec.clusterIP == nil { s.spec.clusterIP = ip }
            for i in s.spec.ports.indices where s.spec.ports[i].nodePort == nil && i < nodePorts.count { s.spec.ports[i].nodePort = nodePorts[i] }
            s.metadata = m
            out = .service(s)
        case (.endpoints(var e), .endpoints(let a)):
            e.subsets = a.subsets
            e.metadata = m
            out = .endpoints(e)
        case (.configMap(var c), .configMap(let a)):
            c.data = a.data
            c.metadata = m
            out = .configMap(c)
        case (.secret(var c), .secret(let a)):
            c.data = a.data
            c.type = a.type
            c.metadata = m
            out = .secret(c)
        case (.role(var r, let cl), .role(let a, _)):
            r.rules = a.rules
            r.metadata = m
            out = .role(r, cluster: cl)
        case (.roleBinding(var r, let cl), .roleBinding(let a, _)):
            r.subjects = a.subjects
            r.metadata = m
            out = .roleBinding(r, cluster: cl)
        default:
            out.metadata = m
        }
        // Defaults the server applied are not in the manifest: compare after defaulting.
        return APIServer.withDefaults(out)
    }

    static func export(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        let c = try cluster(ctx)
        let ns = inv.flag("namespace")
        var docs: [String] = []
        // Top-level objects only: what controllers create comes back from these.
        for type in [ResourceType.namespace, .serviceAccount, .configMap, .secret, .role, .clusterRole, .roleBinding, .clusterRoleBinding,
                     .limitRange, .resourceQuota, .endpoints, .networkPolicy] + ResourceType.stored + [.service, .deployment, .replicaSet, .pod] {
            for o in c.api.list(type, namespace: ns) {
                if o.metadata.controllerRef != nil { continue }
                if type == .namespace && ["default", "kube-system", "kube-public", "kube-node-lease"].contains(o.metadata.name) { continue }
                if (type == .service || type == .endpoints) && o.metadata.name == "kubernetes" && o.metadata.namespace == "default" { continue }
                // The endpoints controller's own come back from their Services.
                if type == .endpoints && o.metadata.labels[Endpoints.managedByLabel] == Endpoints.controllerName { continue }
                docs.append(ManifestEncoder.yaml(o, forExport: true))
            }
        }
        let text = docs.map { "---\n" + $0 }.joined()
        if let file = inv.positionals.first {
            guard FileIO.write(file, text) else { throw CommandFailure("error: cannot write \"\(file)\"") }
            return CommandResult(output: "exported \(docs.count) object\(docs.count == 1 ? "" : "s") to \(file)")
        }
        return CommandResult(output: text)
    }
}
