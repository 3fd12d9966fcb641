import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimControl
import KubeSimCluster
import KubeSimManifest

extension ClusterBindings {
    static func get(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        guard let typesWord = inv.positionals.first else {
            throw CommandFailure("You must specify the type of resource to get. Use \"kubectl api-resources\" for a complete list of supported resources.")
        }
        var types: [ResourceType] = []
        // `get all`: the workload kinds, names prefixed with their kind, as kubectl prints.
        let all = typesWord == "all"
        for w in typesWord.split(separator: ",").map(String.init) {
            if w == "all" { types += [.pod, .service, .deployment, .replicaSet]; continue }
            guard let t = ResourceType.lookup(w) else { throw unknownType(w, inv) }
            types.append(t)
        }
        let c = cluster(ctx)
        let allNS = inv.has("all-namespaces")
        let ns = inv.flag("namespace") ?? "default"
        var selector: LabelSelector?
        if let l = inv.flag("selector") {
            do { selector = try LabelSelector.parse(l) } catch let e as LabelSelector.ParseError { throw CommandFailure("error: \(e.message)") }
        }
        let output = inv.flag("output")
        if let o = output, !["wide", "name", "yaml", "json"].contains(o) {
            throw CommandFailure("error: unable to match a printer suitable for the output format \"\(o)\", allowed formats are: json,name,wide,yaml")
        }
        var sections: [String] = []
        var names = Array(inv.positionals.dropFirst())
        var values: [Value] = []
        for type in types {
            var objects: [APIObject]
            if !names.isEmpty {
                objects = []
                for n in names { objects.append(try api { try c.api.get(type, namespace: ns, name: n, user: user(inv)) }) }
            } else {
                objects = try api { try c.api.list(type, namespace: allNS ? nil : ns, selector: selector, user: user(inv)) }
            }
            if let fs = inv.flag("field-selector") { objects = try objects.filter { try fieldSelectorMatches(fs, $0) } }
            values += objects.map { .object(ObjectValue($0, now: c.clock.now)) }
            if objects.isEmpty { continue }
            if output == "yaml" || output == "json" {
                // One object prints alone; several print as a List, as kubectl does.
                let single = objects.count == 1 && !inv.positionals.dropFirst().isEmpty
                if output == "yaml" {
                    sections.append(single ? ManifestEncoder.yaml(objects[0]) : "apiVersion: v1\nitems:\n" + objects.map { indentItem(ManifestEncoder.yaml($0)) }.joined() + "kind: List\nmetadata:\n  resourceVersion: \"\"\n")
                } else {
                    sections.append(single ? ManifestEncoder.json(objects[0]) : "{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n" + objects.map { "        " + ManifestEncoder.json($0).split(separator: "\n").joined(separator: "\n        ") }.joined(separator: ",\n") + "\n    ],\n    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n")
                }
                continue
            }
            if output == "name" {
                sections.append(objects.map { "\(APIErrorNames.qualified(type))/\($0.metadata.name)" }.joined(separator: "\n"))
                continue
            }
            var shown = objects
            if all {
                // Kind-prefixed names (pod/web-…, deployment.apps/web).
                for i in shown.indices {
                    var m = shown[i].metadata
                    m.name = "\(APIErrorNames.qualified(type))/\(m.name)"
                    shown[i].metadata = m
                }
            }
            let t = table(type, shown, now: c.clock.now, wide: output == "wide", allNS: allNS && type.namespaced, labels: inv.has("show-labels"))
            sections.append(Format.table(t.header, t.rows))
        }
        names = []
        if sections.isEmpty {
            let msg = allNS || !(types.first?.namespaced ?? true) ? "No resources found" : "No resources found in \(ns) namespace."
            return CommandResult(output: msg, value: .list([]))
        }
        return CommandResult(output: sections.joined(separator: "\n\n"), value: .list(values))
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
