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
struct ObjectBuilder {
    var pairs: [(String, JSONValue)] = []
    mutating func add(_ key: String, _ v: JSONValue?) {
        guard let v else { return }
        switch v {
        case .null: return
        case .object(let p) where p.isEmpty: return
        case .array(let a) where a.isEmpty: return
        case .string(let s) where s.isEmpty: return
        default: pairs.append((key, v))
        }
    }
    mutating func add(_ key: String, _ s: String?) { add(key, s.map { JSONValue.string($0) }) }
    mutating func add(_ key: String, _ i: Int?) { add(key, i.map { JSONValue.int(Int64($0)) }) }
    mutating func addAlways(_ key: String, _ v: JSONValue) { pairs.append((key, v)) }
    var value: JSONValue { .object(pairs) }
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

    static func quote(_ s: String) -> String { Quoting.doubleQuoted(s) }

    /// One-line JSON (for preserved fields).
    static func compact(_ v: JSONValue) -> String {
        switch v {
        case .array(let a): return "[" + a.map(compact).joined(separator: ",") + "]"
        case .object(let p): return "{" + p.map { quote($0.0) + ":" + compact($0.1) }.joined(separator: ",") + "}"
        default: return write(v)
        }
    }
}

enum YAMLWriter {
    /// Block-style YAML as kubectl prints it: two-space indent, sequences of mappings
    /// as `- key: value`, strings quoted only when they would not read back as strings.
    static func write(_ v: JSONValue) -> String {
        var out = ""
        emit(v, indent: 0, into: &out, inSequence: false)
        return out
    }

    static func emit(_ v: JSONValue, indent: Int, into out: inout String, inSequence: Bool) {
        let pad = String(repeating: " ", count: indent)
        switch v {
        case .object(let pairs):
            if pairs.isEmpty { out += "{}\n"; return }
            for (i, (k, val)) in pairs.enumerated() {
                let prefix = (inSequence && i == 0) ? "" : pad
                out += prefix + scalar(k) + ":"
                emitValue(val, indent: indent, into: &out)
            }
        case .array(let items):
            if items.isEmpty { out += pad + "[]\n"; return }
            for item in items {
                out += pad + "- "
                switch item {
                case .object(let p) where !p.isEmpty: emit(item, indent: indent + 2, into: &out, inSequence: true)
                default: out += inline(item) + "\n"
                }
            }
        default:
            out += pad + inline(v) + "\n"
        }
    }

    static func emitValue(_ val: JSONValue, indent: Int, into out: inout String) {
        switch val {
        case .object(let p) where !p.isEmpty:
            out += "\n"
            emit(val, indent: indent + 2, into: &out, inSequence: false)
        case .array(let a) where !a.isEmpty:
            out += "\n"
            emit(val, indent: indent, into: &out, inSequence: false)
        default:
            out += " " + inline(val) + "\n"
        }
    }

    static func inline(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return scalar(s)
        case .array: return "[]"
        case .object: return "{}"
        }
    }

    /// A string as a plain scalar when that reads back as the same string, else quoted.
    static func scalar(_ s: String) -> String {
        let special: Set<Character> = [":", "#", "{", "}", "[", "]", ",", "&", "*", "!", "|", ">", "'", "\"", "%", "@", "`"]
        let reserved = ["", "true", "false", "yes", "no", "on", "off", "null", "~", "y", "n"]
        // YAML 1.1 would read `2026-01-01…` as a timestamp: go-yaml quotes these, so kubectl does.
        let chars = Array(s.utf8)
        let looksLikeDate = chars.count >= 10 && chars[0..<4].allSatisfy { $0 >= 48 && $0 <= 57 } && chars[4] == UInt8(ascii: "-")
        let needsQuote = reserved.contains(s.lowercased()) || Int(s) != nil || Double(s) != nil || looksLikeDate
            || s.first == " " || s.last == " " || s.first == "-" || s.first == "?"
            || s.contains(": ") || s.contains(" #") || s.contains("\n") || s.first.map { special.contains($0) } == true
        return needsQuote ? JSONWriter.quote(s) : s
    }
}
