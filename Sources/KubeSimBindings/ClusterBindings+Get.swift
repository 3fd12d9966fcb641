import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimControl
import KubeSimNode
import KubeSimNet
import KubeSimCluster
import KubeSimManifest

extension ClusterBindings {
    /// `get TYPE[,TYPE…] [NAME…]` or `get TYPE/NAME…`, printed as kubectl prints:
    /// one table per kind (kind-prefixed names when several kinds are asked for),
    /// or `-o yaml|json|name|jsonpath=…|custom-columns=…`.
    static func get(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        guard let typesWord = inv.positionals.first else {
            throw CommandFailure("You must specify the type of resource to get. Use \"kubectl api-resources\" for a complete list of supported resources.")
        }
        // kubectl checks its arguments before it talks to the server.
        let allNS = inv.has("all-namespaces")
        let ns = inv.flag("namespace") ?? "default"
        var selector: LabelSelector?
        if let l = inv.flag("selector") {
            do { selector = try LabelSelector.parse(l) } catch let e as LabelSelector.ParseError { throw CommandFailure("error: \(e.message)") }
        }
        let printer = try GetPrinter(inv)
        // What was asked for: kinds with their names (none: list them).
        var requests: [(type: ResourceType, names: [String])] = []
        var all = false
        if typesWord.contains("/") {
            for word in inv.positionals {
                let parts = word.split(separator: "/", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw CommandFailure("error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'") }
                guard let t = ResourceType.lookup(parts[0]) else { throw unknownType(parts[0], inv) }
                if let k = requests.firstIndex(where: { $0.type == t }) { requests[k].names.append(parts[1]) } else { requests.append((t, [parts[1]])) }
            }
        } else {
            let names = Array(inv.positionals.dropFirst())
            for w in typesWord.split(separator: ",").map(String.init) {
                // `get all`: the workload kinds, names prefixed with their kind.
                if w == "all" { all = true; requests += [ResourceType.pod, .service, .deployment, .replicaSet].map { ($0, names) }; continue }
                guard let t = ResourceType.lookup(w) else { throw unknownType(w, inv) }
                requests.append((t, names))
            }
        }
        if inv.has("watch") || inv.has("watch-only") {
            guard requests.count == 1 else {
                throw CommandFailure("error: you may only specify a single resource type")
            }
            return try watchGet(inv, ctx, type: requests[0].type, names: requests[0].names, selector: selector, printer: printer, allNS: allNS)
        }
        let c = try cluster(ctx)
        var groups: [(type: ResourceType, objects: [APIObject])] = []
        for (type, names) in requests {
            var objects: [APIObject]
            if !names.isEmpty {
                objects = []
                for n in names { objects.append(try api { try c.api.get(type, namespace: ns, name: n, user: user(inv)) }) }
            } else {
                objects = try api { try c.api.list(type, namespace: allNS ? nil : ns, selector: selector, user: user(inv)) }
            }
            if let fs = inv.flag("field-selector") { objects = try objects.filter { try fieldSelectorMatches(fs, $0) } }
            if let path = printer.sortBy { objects = try sortObjects(objects, by: path) }
            groups.append((type, objects))
        }
        // The server warns on every v1 Endpoints request since v1.33; kubectl prints it
        // once, before the tables (its warning writer de-duplicates).
        let warning = requests.contains { $0.type == .endpoints } ? endpointsDeprecation + "\n" : ""
        let values: [Value] = groups.flatMap { $0.objects.map { .object(ObjectValue($0, now: c.clock.now)) } }
        if groups.allSatisfy({ $0.objects.isEmpty }) {
            let msg = allNS || !(requests.first?.type.namespaced ?? true) ? "No resources found" : "No resources found in \(ns) namespace."
            return CommandResult(output: msg, value: .list([]), warnings: warning)
        }
        // One object asked for by name prints alone; anything else as a List.
        let single = requests.count == 1 && requests[0].names.count == 1
        let output = printer.print(groups, single: single, now: c.clock.now, allNS: allNS,
                                   showKind: all || requests.count > 1 || inv.has("show-kind"))
        return CommandResult(output: output, value: .list(values), warnings: warning)
    }

    /// `--field-selector` as the API server supports it: `metadata.name`,
    /// `metadata.namespace`, and per kind `spec.nodeName`, `status.phase` (pods),
    /// `involvedObject.name|kind|namespace`, `reason`, `type` (events); `=`, `==`, `!=`, comma-joined.
    static func fieldSelectorMatches(_ selector: String, _ o: APIObject) throws -> Bool {
        for term in selector.split(separator: ",") {
            let neg = term.contains("!=")
            let parts = term.split(separator: neg ? "!" : "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw CommandFailure("error: invalid field selector: \(term)") }
            let field = parts[0]
            let want = String(parts[1].drop { $0 == "=" })
            let m = o.metadata
            let value: String?
            switch (field, o) {
            case ("metadata.name", _): value = m.name
            case ("metadata.namespace", _): value = m.namespace ?? ""
            case ("spec.nodeName", .pod(let p)): value = p.spec.nodeName ?? ""
            case ("status.phase", .pod(let p)): value = p.status.phase
            case ("involvedObject.name", .event(let e)): value = e.involvedName
            case ("involvedObject.kind", .event(let e)): value = e.involvedKind
            case ("involvedObject.namespace", .event(let e)): value = e.involvedNamespace ?? ""
            case ("reason", .event(let e)): value = e.reason
            case ("type", .event(let e)): value = e.type
            default:
                throw CommandFailure("Error from server (BadRequest): Unable to find \"\(o.type.apiVersion.contains("/") ? "" : "/")\(o.type.apiVersion), Resource=\(o.type.plural)\" that match label selector \"\", field selector \"\(selector)\": \"\(field)\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"")
            }
            if (value == want) == neg { return false }
        }
        return true
    }

    /// A YAML document as an item of `items:` (`- ` then two-space indent).
    static func indentItem(_ doc: String) -> String {
        let lines = doc.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        return lines.enumerated().map { ($0.offset == 0 ? "- " : "  ") + $0.element }.joined(separator: "\n") + "\n"
    }
}
