/// kubectl's JSONPath dialect (staging/src/k8s.io/client-go/util/jsonpath): a
/// template of text and `{…}` actions — paths (`.items[*].metadata.name`, `..name`,
/// `[0]`, `[-1]`, `[1:3]`, `['key']`, `[?(@.type=="Ready")]`), `range … end` and
/// quoted strings (`{"\n"}`). Missing keys give nothing (kubectl's
/// `--allow-missing-template-keys` is on); an action's results print separated by
/// spaces, strings raw and objects as compact JSON.
public struct JSONPath: Sendable {
    indirect enum Node: Sendable {
        case text(String)
        case path([Step])
        case range([Step], [Node])
    }

    enum Step: Sendable {
        case root, current
        case field(String)          // "*" is every value
        case recursive(String)      // ..name ("*" every descendant)
        case index(Int)
        case slice(Int?, Int?, Int?)
        case all                    // [*]
        case keys([String])         // ['a','b']
        case filter(Filter)
    }

    struct Filter: Sendable {
        var left: [Step]
        var op: String?             // nil: the left path exists
        var right: Operand?
    }

    enum Operand: Sendable {
        case path([Step])
        case string(String)
        case number(Double)
        /// `true` / `false` (client-go jsonpath's BoolNode).
        case bool(Bool)
    }

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let message: String
        /// client-go finds some mistakes (a stray `{end}`) only when it runs the template.
        public var executing = false
        public var description: String { message }
    }

    let nodes: [Node]
    public let template: String

    public init(_ template: String) throws {
        self.template = template
        var p = Parser(Array(template.unicodeScalars))
        nodes = try p.template()
    }

    /// The values one path of the template finds in `data` (custom columns, --sort-by).
    public static func evaluate(_ path: JSONPath, _ data: JSONValue) -> [JSONValue] {
        var out: [JSONValue] = []
        for node in path.nodes { if case .path(let steps) = node { out += evaluate(steps, root: data, current: data) } }
        return out
    }

    /// The text the template makes of `data`.
    public func execute(_ data: JSONValue) -> String {
        var out = ""
        run(nodes, root: data, current: data, into: &out)
        return out
    }

    func run(_ nodes: [Node], root: JSONValue, current: JSONValue, into out: inout String) {
        for node in nodes {
            switch node {
            case .text(let t): out += t
            case .path(let steps):
                let results = Self.evaluate(steps, root: root, current: current)
                out += results.map(Self.text).joined(separator: " ")
            case .range(let steps, let body):
                // Each result in turn (`range .items[*]`; `range .items` is one array).
                for value in Self.evaluate(steps, root: root, current: current) {
                    run(body, root: root, current: value, into: &out)
                }
            }
        }
    }

    /// Strings raw, scalars as Go's fmt prints them, objects and arrays as compact JSON.
    public static func text(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return d == d.rounded() && abs(d) < 1e21 ? String(Int64(d)) : String(d)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "<nil>"
        case .array, .object: return JSONWriter.compact(v.sortedKeys)
        }
    }

    static func evaluate(_ steps: [Step], root: JSONValue, current: JSONValue) -> [JSONValue] {
        var values = [current]
        for step in steps {
            var next: [JSONValue] = []
            for v in values {
                switch step {
                case .root: next.append(root)
                case .current: next.append(current)
                case .field(let name):
                    if name == "*" {
                        if case .object(let pairs) = v { next += pairs.map(\.1) } else if case .array(let a) = v { next += a }
                    } else if let x = v[name] {
                        next.append(x)
                    }
                case .keys(let names):
                    for n in names { if let x = v[n] { next.append(x) } }
                case .recursive(let name):
                    collect(v, name, into: &next)
                case .index(let i):
                    guard case .array(let a) = v else { continue }
                    let j = i < 0 ? a.count + i : i
                    if j >= 0 && j < a.count { next.append(a[j]) }
                case .slice(let start, let end, let stride):
                    guard case .array(let a) = v else { continue }
                    func clamp(_ x: Int) -> Int { min(max(x < 0 ? a.count + x : x, 0), a.count) }
                    let s = clamp(start ?? 0), e = clamp(end ?? a.count), st = max(stride ?? 1, 1)
                    if s < e { next += Swift.stride(from: s, to: e, by: st).map { a[$0] } }
                case .all:
                    if case .array(let a) = v { next += a } else if case .object(let pairs) = v { next += pairs.map(\.1) }
                case .filter(let f):
                    guard case .array(let a) = v else { continue }
                    next += a.filter { matches(f, root: root, element: $0) }
                }
            }
            values = next
        }
        return values
    }

    static func collect(_ v: JSONValue, _ name: String, into out: inout [JSONValue]) {
        switch v {
        case .object(let pairs):
            for (k, x) in pairs where name == "*" || k == name { out.append(x) }
            for (_, x) in pairs { collect(x, name, into: &out) }
        case .array(let items):
            for x in items { collect(x, name, into: &out) }
        default: break
        }
    }

    static func matches(_ f: Filter, root: JSONValue, element: JSONValue) -> Bool {
        let left = evaluate(f.left, root: root, current: element)
        guard let op = f.op, let right = f.right else { return !left.isEmpty }
        guard let l = left.first else { return false }
        let r: JSONValue
        switch right {
        case .path(let steps): guard let x = evaluate(steps, root: root, current: element).first else { return false }; r = x
        case .string(let s): r = .string(s)
        case .number(let d): r = .double(d)
        case .bool(let b): r = .bool(b)
        }
        func number(_ v: JSONValue) -> Double? {
            switch v {
            case .int(let i): return Double(i)
            case .double(let d): return d
            default: return nil
            }
        }
        if let a = number(l), let b = number(r) {
            switch op {
            case "==": return a == b
            case "!=": return a != b
            case "<": return a < b
            case "<=": return a <= b
            case ">": return a > b
            case ">=": return a >= b
            default: return false
            }
        }
        let a = text(l), b = text(r)
        switch op {
        case "==": return a == b
        case "!=": return a != b
        case "<": return a < b
        case "<=": return a <= b
        case ">": return a > b
        case ">=": return a >= b
        default: return false
        }
    }
}
