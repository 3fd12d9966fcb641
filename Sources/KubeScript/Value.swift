import KubeSimCore

/// A KubeScript value. Lists and maps have value semantics (copy on write); functions
/// and objects are references. `object` is how later modules hand the language their
/// own things (a pod, a trace, a command's result) without the language importing them.
public enum Value: Sendable {
    case `nil`
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case duration(SimDuration)
    case quantity(Quantity)
    case ip(IPv4Address)
    case cidr(CIDR)
    case endpoint(IPEndpoint)
    case list([Value])
    case map(ScriptMap)
    case function(Function)
    case object(any ScriptObject)

    /// The type name used in messages and by `type(x)`.
    public var typeName: String {
        switch self {
        case .nil: return "nil"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "string"
        case .duration: return "duration"
        case .quantity: return "quantity"
        case .ip: return "ip"
        case .cidr: return "cidr"
        case .endpoint: return "endpoint"
        case .list: return "list"
        case .map: return "map"
        case .function: return "function"
        case .object(let o): return o.typeName
        }
    }

    public var isNil: Bool { if case .nil = self { return true } else { return false } }

    /// Text as `print` and interpolation show it: strings bare, everything else as
    /// `description`.
    public var displayText: String {
        switch self {
        case .string(let s): return s
        case .object(let o): return o.displayText
        default: return description
        }
    }
}

extension Value: CustomStringConvertible {
    /// Text as the REPL echoes a value: strings quoted, lists and maps in literal syntax.
    public var description: String {
        switch self {
        case .nil: return "nil"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .float(let d): return Value.formatFloat(d)
        case .string(let s): return Value.quote(s)
        case .duration(let d): return d.description
        case .quantity(let q): return q.description
        case .ip(let ip): return ip.description
        case .cidr(let c): return c.description
        case .endpoint(let e): return e.description
        case .list(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .map(let m):
            if m.isEmpty { return "[:]" }
            return "[" + m.pairs.map { "\($0.0.description): \($0.1.description)" }.joined(separator: ", ") + "]"
        case .function(let f): return "<func \(f.name)>"
        case .object(let o): return o.description
        }
    }

    static func formatFloat(_ d: Double) -> String {
        if d.isFinite && d == d.rounded() && abs(d) < 1e15 { return String(Int(d)) + ".0" }
        return String(d)
    }

    static func quote(_ s: String) -> String { Quoting.doubleQuoted(s) }
}

extension Value: Equatable {
    /// Equality as `==` computes it: numbers compare across int and float; a quantity
    /// equals an int of the same whole units; objects compare by identity or their own rule.
    public static func == (a: Value, b: Value) -> Bool {
        switch (a, b) {
        case (.nil, .nil): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.float(x), .float(y)): return x == y
        case let (.int(x), .float(y)), let (.float(y), .int(x)): return Double(x) == y
        case let (.string(x), .string(y)): return x == y
        case let (.duration(x), .duration(y)): return x == y
        case let (.quantity(x), .quantity(y)): return x == y
        case let (.quantity(q), .int(i)), let (.int(i), .quantity(q)): let (m, o) = Int64(i).multipliedReportingOverflow(by: 1000); return !o && q.milli == m
        case let (.ip(x), .ip(y)): return x == y
        case let (.cidr(x), .cidr(y)): return x == y
        case let (.endpoint(x), .endpoint(y)): return x == y
        case let (.list(x), .list(y)): return x == y
        case let (.map(x), .map(y)): return x == y
        case let (.function(x), .function(y)): return x === y
        case let (.object(x), .object(y)): return x.isEqual(to: y)
        case let (.object(o), .string(s)), let (.string(s), .object(o)): return o.displayText == s
        default: return false
        }
    }
}

extension Value: Hashable {
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .nil: hasher.combine(0)
        case .bool(let b): hasher.combine(b)
        case .int(let i): hasher.combine(Double(i))
        case .float(let d): hasher.combine(d)
        case .string(let s): hasher.combine(s)
        case .duration(let d): hasher.combine(d)
        case .quantity(let q): hasher.combine(Double(q.milli) / 1000)
        case .ip(let ip): hasher.combine(ip)
        case .cidr(let c): hasher.combine(c)
        case .endpoint(let e): hasher.combine(e)
        case .list(let l): hasher.combine(l)
        case .map(let m): hasher.combine(m.count)
        case .function(let f): hasher.combine(ObjectIdentifier(f))
        case .object(let o): hasher.combine(o.displayText)
        }
    }
}

/// Something a module outside the language exposes to scripts: members by name,
/// methods, a text form. A cluster's pods, a trace, a command result conform.
public protocol ScriptObject: AnyObject, Sendable {
    var typeName: String { get }
    /// Shown by the REPL and `print`.
    var description: String { get }
    /// Shown by interpolation and `print`; defaults to `description`.
    var displayText: String { get }
    /// Names offered in "did you mean" and TAB completion.
    var memberNames: [String] { get }
    func member(_ name: String) -> Value?
    func callMethod(_ name: String, _ args: [Value]) throws -> Value?
    func isEqual(to other: any ScriptObject) -> Bool
}

extension ScriptObject {
    public var displayText: String { description }
    public func callMethod(_ name: String, _ args: [Value]) throws -> Value? { nil }
    public func isEqual(to other: any ScriptObject) -> Bool { self === other }
}

/// A map that keeps insertion order (the order keys were first set), so printing and
/// iteration are deterministic.
public struct ScriptMap: Sendable, Equatable {
    private var keyOrder: [Value] = []
    private var storage: [Value: Value] = [:]

    public init() {}
    public init(_ pairs: [(Value, Value)]) { for (k, v) in pairs { self[k] = v } }

    public var count: Int { keyOrder.count }
    public var isEmpty: Bool { keyOrder.isEmpty }
    public var keys: [Value] { keyOrder }
    public var values: [Value] { keyOrder.map { storage[$0]! } }
    public var pairs: [(Value, Value)] { keyOrder.map { ($0, storage[$0]!) } }

    public subscript(key: Value) -> Value? {
        get { storage[key] }
        set {
            if let v = newValue {
                if storage.updateValue(v, forKey: key) == nil { keyOrder.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keyOrder.removeAll { $0 == key }
            }
        }
    }

    public static func == (a: ScriptMap, b: ScriptMap) -> Bool {
        a.count == b.count && a.keyOrder.allSatisfy { b.storage[$0] == a.storage[$0] }
    }
}

/// A function value: a script function (parameters, body, captured frame) or a native
/// one supplied by the host.
public final class Function: @unchecked Sendable {
    public let name: String
    let parameters: [String]
    let body: FunctionBody?
    let captured: Frame?
    public let native: (@Sendable ([Value], CallSite) throws -> Value)?
    /// For natives: the accepted argument counts, for the "takes N arguments" message.
    public let arity: ClosedRange<Int>

    init(name: String, parameters: [String], body: FunctionBody, captured: Frame?) {
        self.name = name
        self.parameters = parameters
        self.body = body
        self.captured = captured
        self.native = nil
        self.arity = parameters.count...parameters.count
    }

    public init(native name: String, arity: ClosedRange<Int>, _ fn: @escaping @Sendable ([Value], CallSite) throws -> Value) {
        self.name = name
        self.parameters = []
        self.body = nil
        self.captured = nil
        self.native = fn
        self.arity = arity
    }
}

/// Where a native function was called from, so its errors point at the call.
public struct CallSite: Sendable {
    public let location: SourceLocation
    public func error(_ message: String) -> RuntimeError { RuntimeError(message, at: location) }
}

/// A runtime error with the source location that caused it.
public struct RuntimeError: Error, Sendable {
    public let message: String
    public let location: SourceLocation?
    /// Not caught by `expect`: the step budget, the call-depth limit, an interrupt.
    public internal(set) var isFatal = false
    /// A command failed as its tool would (the message is the tool's own words).
    public let isCommandFailure: Bool
    public init(_ message: String, at location: SourceLocation?, isCommandFailure: Bool = false) {
        self.message = message
        self.location = location
        self.isCommandFailure = isCommandFailure
    }
    init(_ message: DiagnosticMessage, at location: SourceLocation?) {
        self.init(message.text, at: location)
    }
}
