import KubeSimCore

/// The three patch types `kubectl patch` sends, applied to an object's JSON as the
/// API server applies them:
/// - JSON merge patch (RFC 7386, `--type=merge`): objects merge, `null` removes a key,
///   anything else (lists included) replaces;
/// - strategic merge patch (the default, k8s.io/apimachinery/pkg/util/strategicpatch):
///   as a merge patch, but lists with a patch merge key (`containers` by `name`,
///   container `ports` by `containerPort`, …) merge element by element, and
///   `$patch: delete` / `$patch: replace` act on an element or a map;
/// - JSON patch (RFC 6902, `--type=json`): add, remove, replace, move, copy, test.
public enum Patch {
    public struct Failure: Error, Sendable { public let message: String }

    public static func merge(_ target: JSONValue, _ patch: JSONValue) -> JSONValue {
        guard case .object(let p) = patch else { return patch }
        var pairs = target.pairs ?? []
        for (k, v) in p {
            if case .null = v { pairs.removeAll { $0.0 == k }; continue }
            if let i = pairs.firstIndex(where: { $0.0 == k }) { pairs[i].1 = merge(pairs[i].1, v) } else { pairs.append((k, merge(.null, v))) }
        }
        return .object(pairs)
    }

    /// patchMergeKey of the list fields kubectl users patch (from the API types'
    /// `patchStrategy:"merge" patchMergeKey:"…"` tags); `ports` depends on its parent.
    static func mergeKey(_ field: String, parent: String?) -> String? {
        switch field {
        case "containers", "initContainers", "ephemeralContainers", "env", "volumes", "imagePullSecrets":
            return "name"
        case "hostAliases": return "ip"
        case "volumeMounts": return "mountPath"
        case "volumeDevices": return "devicePath"
        case "conditions": return "type"
        case "ports": return parent == "spec" ? "port" : "containerPort"
        case "topologySpreadConstraints": return "topologyKey"
        default: return nil
        }
    }

    public static func strategic(_ target: JSONValue, _ patch: JSONValue, field: String? = nil) -> JSONValue {
        guard case .object(var p) = patch else { return patch }
        if let directive = p.first(where: { $0.0 == "$patch" })?.1.string {
            p.removeAll { $0.0 == "$patch" }
            if directive == "replace" { return .object(p) }
            if directive == "delete" { return .null }
        }
        var pairs = target.pairs ?? []
        for (k, v) in p where !k.hasPrefix("$") {
            if case .null = v { pairs.removeAll { $0.0 == k }; continue }
            let current = pairs.first { $0.0 == k }?.1 ?? .null
            let merged: JSONValue
            if case .array(let items) = v, case .array(let existing) = current, let key = mergeKey(k, parent: field) {
                merged = .array(mergeList(existing, items, key: key, field: k))
            } else if case .array(let items) = v, k == "finalizers", case .array(let existing) = current {
                merged = .array(existing + items.filter { !existing.contains($0) })
            } else {
                merged = strategic(current, v, field: k)
            }
            if case .null = merged { pairs.removeAll { $0.0 == k }; continue }
            if let i = pairs.firstIndex(where: { $0.0 == k }) { pairs[i].1 = merged } else { pairs.append((k, merged)) }
        }
        return .object(pairs)
    }

    static func mergeList(_ existing: [JSONValue], _ patch: [JSONValue], key: String, field: String) -> [JSONValue] {
        var out = existing
        for item in patch {
            guard let id = item[key] else { out.append(item); continue }
            if let i = out.firstIndex(where: { $0[key] == id }) {
                let merged = strategic(out[i], item, field: field)
                if case .null = merged { out.remove(at: i) } else { out[i] = merged }
            } else if item["$patch"]?.string != "delete" {
                out.append(strategic(.null, item, field: field))
            }
        }
        return out
    }

    /// RFC 6902 over RFC 6901 pointers (`/spec/template/spec/containers/0/image`).
    public static func json(_ target: JSONValue, _ operations: JSONValue) throws -> JSONValue {
        guard case .array(let ops) = operations else { throw Failure(message: "json: cannot unmarshal object into Go value of type jsonpatch.Patch") }
        var doc = target
        for op in ops {
            guard let name = op["op"]?.string else { throw Failure(message: "Unexpected kind: <nil>") }
            guard let path = op["path"]?.string else { throw Failure(message: "missing path") }
            do { doc = try apply(name, path, op, to: doc) } catch let f as Failure where f.message == "missing value" {
                throw Failure(message: "\(name) operation does not apply: doc is missing path: \(Quoting.doubleQuoted(path)): missing value")
            }
        }
        return doc
    }

    static func apply(_ name: String, _ path: String, _ op: JSONValue, to target: JSONValue) throws -> JSONValue {
        var doc = target
        do {
            switch name {
            case "add": doc = try set(doc, pointer(path)[...], op["value"] ?? .null, insert: true)
            case "replace":
                _ = try get(doc, pointer(path)[...])
                doc = try set(doc, pointer(path)[...], op["value"] ?? .null, insert: false)
            case "remove": doc = try remove(doc, pointer(path)[...])
            case "move", "copy":
                guard let from = op["from"]?.string else { throw Failure(message: "missing from") }
                let value = try get(doc, pointer(from)[...])
                if name == "move" { doc = try remove(doc, pointer(from)[...]) }
                doc = try set(doc, pointer(path)[...], value, insert: true)
            case "test":
                guard try get(doc, pointer(path)[...]) == (op["value"] ?? .null) else { throw Failure(message: "testing value \(path) failed: test failed") }
            default: throw Failure(message: "Unexpected kind: \(name)")
            }
        }
        return doc
    }

    static func pointer(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
            String($0).replacingAll("~1", "/").replacingAll("~0", "~")
        }
    }

    static func get(_ doc: JSONValue, _ path: ArraySlice<String>) throws -> JSONValue {
        guard let step = path.first else { return doc }
        switch doc {
        case .object:
            guard let v = doc[step] else { throw Failure(message: "missing value") }
            return try get(v, path.dropFirst())
        case .array(let a):
            guard let i = Int(step), i >= 0, i < a.count else { throw Failure(message: "unable to access invalid index: \(step)") }
            return try get(a[i], path.dropFirst())
        default: throw Failure(message: "missing value")
        }
    }

    static func set(_ doc: JSONValue, _ path: ArraySlice<String>, _ value: JSONValue, insert: Bool) throws -> JSONValue {
        guard let step = path.first else { return value }
        switch doc {
        case .object(var pairs):
            if path.count == 1 {
                if let i = pairs.firstIndex(where: { $0.0 == step }) { pairs[i].1 = value } else { pairs.append((step, value)) }
                return .object(pairs)
            }
            guard let i = pairs.firstIndex(where: { $0.0 == step }) else { throw Failure(message: "missing value") }
            pairs[i].1 = try set(pairs[i].1, path.dropFirst(), value, insert: insert)
            return .object(pairs)
        case .array(var a):
            if path.count == 1 {
                if step == "-" && insert { a.append(value); return .array(a) }
                guard let i = Int(step), i >= 0, i <= a.count, insert || i < a.count else { throw Failure(message: "unable to access invalid index: \(step)") }
                if insert { a.insert(value, at: i) } else { a[i] = value }
                return .array(a)
            }
            guard let i = Int(step), i >= 0, i < a.count else { throw Failure(message: "unable to access invalid index: \(step)") }
            a[i] = try set(a[i], path.dropFirst(), value, insert: insert)
            return .array(a)
        default: throw Failure(message: "missing value")
        }
    }

    static func remove(_ doc: JSONValue, _ path: ArraySlice<String>) throws -> JSONValue {
        guard let step = path.first else { return .null }
        switch doc {
        case .object(var pairs):
            guard let i = pairs.firstIndex(where: { $0.0 == step }) else { throw Failure(message: "missing value") }
            if path.count == 1 { pairs.remove(at: i) } else { pairs[i].1 = try remove(pairs[i].1, path.dropFirst()) }
            return .object(pairs)
        case .array(var a):
            guard let i = Int(step), i >= 0, i < a.count else { throw Failure(message: "unable to access invalid index: \(step)") }
            if path.count == 1 { a.remove(at: i) } else { a[i] = try remove(a[i], path.dropFirst()) }
            return .array(a)
        default: throw Failure(message: "missing value")
        }
    }
}

extension String {
    func replacingAll(_ target: String, _ with: String) -> String {
        components(target).joined(separator: with)
    }

    func components(_ separator: String) -> [String] {
        guard !separator.isEmpty else { return [self] }
        var out: [String] = []
        var current = ""
        var rest = Substring(self)
        while !rest.isEmpty {
            if rest.hasPrefix(separator) { out.append(current); current = ""; rest = rest.dropFirst(separator.count); continue }
            current.append(rest.removeFirst())
        }
        out.append(current)
        return out
    }
}

extension Manifest {
    /// A patch or document given as JSON or YAML text.
    public static func value(_ text: String) throws -> JSONValue {
        do { return try parseJSON(text) } catch { throw ManifestError(message: "error: unable to parse \(Quoting.doubleQuoted(text)): yaml: invalid document") }
    }
}
