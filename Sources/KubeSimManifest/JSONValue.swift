import KubeSimCore

/// A manifest as data, before it becomes a typed object: what YAML and JSON share.
/// Objects keep their key order, so what a user wrote prints back in the same order.
import KubeSimAPI

public indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.double(x), .double(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public subscript(key: String) -> JSONValue? {
        guard case .object(let pairs) = self else { return nil }
        return pairs.first { $0.0 == key }?.1
    }

    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    public var int: Int? {
        switch self {
        case .int(let i): return Int(i)
        case .string(let s): return Int(s)
        default: return nil
        }
    }
    public var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var array: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    public var pairs: [(String, JSONValue)]? { if case .object(let p) = self { return p } else { return nil } }

    /// Sets `value` at `path`, creating objects on the way; an index past the end of
    /// an array is ignored.
    mutating func insert(_ value: JSONValue, at path: ArraySlice<PreservedField.Step>) {
        guard let step = path.first else { self = value; return }
        switch (step, self) {
        case (.key(let k), .object(var pairs)):
            if let i = pairs.firstIndex(where: { $0.0 == k }) {
                pairs[i].1.insert(value, at: path.dropFirst())
            } else {
                var child: JSONValue = .object([])
                child.insert(value, at: path.dropFirst())
                pairs.append((k, child))
            }
            self = .object(pairs)
        case (.key, .null):
            self = .object([])
            insert(value, at: path)
        case (.index(let i), .array(var items)) where i < items.count:
            items[i].insert(value, at: path.dropFirst())
            self = .array(items)
        default:
            break
        }
    }

    /// A JSON or YAML scalar as text (for string-typed fields given as numbers).
    public var scalarText: String? {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return b ? "true" : "false"
        default: return nil
        }
    }
}

/// Object builder that drops empty values, as `omitempty` does.
public struct ObjectBuilder {
    public var pairs: [(String, JSONValue)] = []
    public init() {}
    public mutating func add(_ key: String, _ v: JSONValue?) {
        guard let v else { return }
        switch v {
        case .null: return
        case .object(let p) where p.isEmpty: return
        case .array(let a) where a.isEmpty: return
        case .string(let s) where s.isEmpty: return
        default: pairs.append((key, v))
        }
    }
    public mutating func add(_ key: String, _ s: String?) { add(key, s.map { JSONValue.string($0) }) }
    public mutating func add(_ key: String, _ i: Int?) { add(key, i.map { JSONValue.int(Int64($0)) }) }
    public mutating func addAlways(_ key: String, _ v: JSONValue) { pairs.append((key, v)) }
    public var value: JSONValue { .object(pairs) }
}

enum JSONWriter {
    /// Indented JSON as `kubectl get -o json` prints it (4 spaces).
    static func write(_ v: JSONValue, indent: Int = 0) -> String {
        let pad = String(repeating: " ", count: indent)
        let inner = String(repeating: " ", count: indent + 4)
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return quote(s)
        case .array(let a):
            if a.isEmpty { return "[]" }
            return "[\n" + a.map { inner + write($0, indent: indent + 4) }.joined(separator: ",\n") + "\n\(pad)]"
        case .object(let p):
            if p.isEmpty { return "{}" }
            return "{\n" + p.map { inner + quote($0.0) + ": " + write($0.1, indent: indent + 4) }.joined(separator: ",\n") + "\n\(pad)}"
        }
    }

    /// Go's encoding/json also escapes `<`, `>`, `&` and U+2028/2029 (HTML-safe JSON).
    static func quote(_ s: String) -> String {
        let q = Quoting.doubleQuoted(s)
        guard s.unicodeScalars.contains(where: { $0 == "<" || $0 == ">" || $0 == "&" || $0 == "\u{2028}" || $0 == "\u{2029}" }) else { return q }
        var out = ""
        for ch in q.unicodeScalars {
            switch ch {
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// One-line JSON (for preserved fields).
    static func compact(_ v: JSONValue) -> String {
        switch v {
        case .array(let a): return "[" + a.map(compact).joined(separator: ",") + "]"
        case .object(let p): return "{" + p.map { quote($0.0) + ":" + compact($0.1) }.joined(separator: ",") + "}"
        default: return write(v)
        }
    }
}
