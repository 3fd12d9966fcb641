import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimManifest

/// How `get` prints what it found (kubectl's get printers): tables per kind, or one
/// document — the object asked for by name, else a List — as YAML, JSON, names,
/// JSONPath or custom columns. `--sort-by`, `--no-headers`, `-L` and `--show-kind`
/// shape the tables.
struct GetPrinter {
    enum Format {
        case table(wide: Bool), name, yaml, json
        case jsonpath(JSONPath)
        case customColumns([(header: String, path: JSONPath)])
    }

    let format: Format
    let noHeaders: Bool
    let labelColumns: [String]
    let showLabels: Bool
    let sortBy: JSONPath?

    static let allowed = "custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml"

    static let flags = [
        FlagSpec("output", short: "o", value: "FORMAT", help: "wide, name, yaml, json, jsonpath=TEMPLATE, jsonpath-file=FILE, custom-columns=SPEC, custom-columns-file=FILE"),
        FlagSpec("sort-by", value: "JSONPATH", help: "sort by a field ({.metadata.name} or .status.startTime)"),
        FlagSpec("no-headers", help: "print tables without their header"),
        FlagSpec("label-columns", short: "L", value: "KEYS", help: "a column for each label key (comma-separated, repeatable)"),
        FlagSpec("show-kind", help: "prefix names with their kind"),
    ]

    init(_ inv: Invocation) throws {
        noHeaders = inv.has("no-headers")
        showLabels = inv.has("show-labels")
        labelColumns = inv.flagValues("label-columns").flatMap { $0.split(separator: ",").map(String.init) }
        sortBy = try inv.flag("sort-by").map { try Self.relaxed($0) }
        let o = inv.flag("output") ?? ""
        let (name, arg) = o.firstIndex(of: "=").map { (String(o[..<$0]), String(o[o.index(after: $0)...])) } ?? (o, nil)
        switch name {
        case "": format = .table(wide: false)
        case "wide": format = .table(wide: true)
        case "name": format = .name
        case "yaml": format = .yaml
        case "json": format = .json
        case "jsonpath", "jsonpath-file":
            guard var template = arg else { throw CommandFailure("error: template format specified but no template given") }
            if name == "jsonpath-file" {
                guard let text = FileIO.read(FileIO.resolve(template, relativeTo: inv.location.file.name)) ?? FileIO.read(template) else {
                    throw CommandFailure("error: open \(template): no such file or directory")
                }
                template = text
            }
            do { format = .jsonpath(try JSONPath(template)) } catch let e as JSONPath.ParseError {
                if e.executing { throw CommandFailure("error: error executing jsonpath \(Quoting.doubleQuoted(template)): Error executing template: \(e.message).") }
                throw CommandFailure("error: error parsing jsonpath \(template), \(e.message)")
            }
        case "custom-columns", "custom-columns-file":
            guard let spec = arg, !spec.isEmpty else { throw CommandFailure("error: custom-columns format specified but no custom columns given") }
            var columns: [(String, JSONPath)] = []
            if name == "custom-columns-file" {
                // A header line and a line of paths, split at white space.
                guard let text = FileIO.read(FileIO.resolve(spec, relativeTo: inv.location.file.name)) ?? FileIO.read(spec) else {
                    throw CommandFailure("error: open \(spec): no such file or directory")
                }
                let lines = text.split(separator: "\n").map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) }
                guard lines.count == 2, lines[0].count == lines[1].count else {
                    throw CommandFailure("error: expected 2 lines of equal numbers of columns in \(spec)")
                }
                for (h, p) in zip(lines[0], lines[1]) { columns.append((h, try Self.relaxed(p))) }
            } else {
                for part in spec.split(separator: ",", omittingEmptySubsequences: false) {
                    let hp = part.split(separator: ":", maxSplits: 1).map(String.init)
                    guard hp.count == 2 else {
                        throw CommandFailure("error: unexpected custom-columns spec: \(part), expected <header>:<json-path-expr>")
                    }
                    columns.append((hp[0], try Self.relaxed(hp[1])))
                }
            }
            format = .customColumns(columns)
        default:
            throw CommandFailure("error: unable to match a printer suitable for the output format \"\(o)\", allowed formats are: \(Self.allowed)")
        }
    }

    /// kubectl's RelaxedJSONPathExpression: `a.b`, `.a.b`, `{a.b}` and `{.a.b}` all mean `{.a.b}`.
    static func relaxed(_ path: String) throws -> JSONPath {
        var p = Substring(path)
        if p.hasPrefix("{") && p.hasSuffix("}") { p = p.dropFirst().dropLast() }
        if p.hasPrefix(".") { p = p.dropFirst() }
        guard !p.isEmpty, !p.contains("{"), !p.contains("}") else {
            throw CommandFailure("error: unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'")
        }
        do { return try JSONPath("{.\(p)}") } catch let e as JSONPath.ParseError {
            throw CommandFailure("error: error parsing jsonpath {.\(p)}, \(e.message)")
        }
    }

    func print(_ groups: [(type: ResourceType, objects: [APIObject])], single: Bool, now: Int64, allNS: Bool, showKind: Bool) -> String {
        let objects = groups.flatMap(\.objects)
        func document() -> JSONValue {
            single && objects.count == 1 ? ManifestEncoder.encode(objects[0]).sortedKeys : ObjectPrinter.list(objects.map { ManifestEncoder.encode($0).sortedKeys })
        }
        switch format {
        case .name:
            return objects.map { "\(APIErrorNames.qualified($0.type))/\($0.metadata.name)" }.joined(separator: "\n")
        case .yaml:
            if single && objects.count == 1 { return ManifestEncoder.yaml(objects[0]) }
            return "apiVersion: v1\nitems:\n" + objects.map { ClusterBindings.indentItem(ManifestEncoder.yaml($0)) }.joined()
                + "kind: List\nmetadata:\n  resourceVersion: \"\"\n"
        case .json:
            if single && objects.count == 1 { return ManifestEncoder.json(objects[0]) }
            return "{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n" + objects.map { "        " + ManifestEncoder.json($0).split(separator: "\n").joined(separator: "\n        ") }.joined(separator: ",\n")
                + "\n    ],\n    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n"
        case .jsonpath(let path):
            return path.execute(document())
        case .customColumns(let columns):
            let rows = objects.map { o -> [String] in
                let json = ManifestEncoder.encode(o).sortedKeys
                return columns.map { col in
                    let values = JSONPath.evaluate(col.path, json)
                    return values.isEmpty ? "<none>" : values.map(Self.goValue).joined(separator: ",")
                }
            }
            return KubeSimBindings.Format.table(columns.map(\.header), rows, minWidth: 6, headers: !noHeaders)
        case .table(let wide):
            var sections: [String] = []
            for (type, objects) in groups where !objects.isEmpty {
                var shown = objects
                if showKind {
                    // Kind-prefixed names (pod/web-…, deployment.apps/web).
                    for i in shown.indices {
                        var m = shown[i].metadata
                        m.name = "\(APIErrorNames.qualified(type))/\(m.name)"
                        shown[i].metadata = m
                    }
                }
                var t = ClusterBindings.table(type, shown, now: now, wide: wide, allNS: allNS && type.namespaced, labels: false)
                // decorateTable: a column per -L key, then LABELS.
                for key in labelColumns {
                    t.header.append(String(key.split(separator: "/").last ?? Substring(key)).uppercased())
                    for (i, o) in objects.enumerated() where i < t.rows.count { t.rows[i].append(o.metadata.labels[key] ?? "") }
                }
                if showLabels {
                    t.header.append("LABELS")
                    for (i, o) in objects.enumerated() where i < t.rows.count {
                        let l = o.metadata.labels
                        t.rows[i].append(l.isEmpty ? "<none>" : l.keys.sorted().map { "\($0)=\(l[$0]!)" }.joined(separator: ","))
                    }
                }
                sections.append(KubeSimBindings.Format.table(t.header, t.rows, minWidth: 6, headers: !noHeaders))
            }
            return sections.joined(separator: "\n\n")
        }
    }

    /// A value as Go's `%v` prints it (custom columns): `map[k:v]`, `[a b]`.
    static func goValue(_ v: JSONValue) -> String {
        switch v {
        case .object(let pairs): return "map[" + pairs.sorted { $0.0 < $1.0 }.map { "\($0.0):\(goValue($0.1))" }.joined(separator: " ") + "]"
        case .array(let items): return "[" + items.map(goValue).joined(separator: " ") + "]"
        default: return JSONPath.text(v)
        }
    }
}

extension ClusterBindings {
    /// `--sort-by`: kubectl's sorter (kubectl/pkg/cmd/get/sorter.go) — numbers by
    /// value, strings in natural order (`web-2` before `web-10`), objects without the
    /// field first.
    static func sortObjects(_ objects: [APIObject], by path: JSONPath) throws -> [APIObject] {
        let keyed = objects.map { ($0, JSONPath.evaluate(path, ManifestEncoder.encode($0).sortedKeys).first) }
        if !objects.isEmpty && keyed.allSatisfy({ $0.1 == nil }) {
            throw CommandFailure("error: couldn't find any field with path \"\(path.template)\" in the list of objects")
        }
        func less(_ a: JSONValue?, _ b: JSONValue?) -> Bool {
            guard let a else { return b != nil }
            guard let b else { return false }
            switch (a, b) {
            case let (.int(x), .int(y)): return x < y
            case let (.double(x), .double(y)): return x < y
            case let (.int(x), .double(y)): return Double(x) < y
            case let (.double(x), .int(y)): return x < Double(y)
            case let (.bool(x), .bool(y)): return !x && y
            default: return naturalLess(JSONPath.text(a), JSONPath.text(b))
            }
        }
        return keyed.enumerated().sorted { l, r in
            less(l.element.1, r.element.1) || (!less(r.element.1, l.element.1) && l.offset < r.offset)
        }.map(\.element.0)
    }

    /// sortorder.NaturalLess: digit runs compare as numbers.
    static func naturalLess(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var i = 0, j = 0
        func digit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
        while i < x.count && j < y.count {
            if digit(x[i]) && digit(y[j]) {
                var si = i, sj = j
                while si < x.count && x[si] == 48 { si += 1 }
                while sj < y.count && y[sj] == 48 { sj += 1 }
                var ei = si, ej = sj
                while ei < x.count && digit(x[ei]) { ei += 1 }
                while ej < y.count && digit(y[ej]) { ej += 1 }
                if ei - si != ej - sj { return ei - si < ej - sj }
                for k in 0..<(ei - si) where x[si + k] != y[sj + k] { return x[si + k] < y[sj + k] }
                if ei - i != ej - j { return ei - i < ej - j }
                i = ei; j = ej
                continue
            }
            if x[i] != y[j] { return x[i] < y[j] }
            i += 1; j += 1
        }
        return x.count - i < y.count - j
    }
}
