import KubeSimCore

/// Built-in functions (`str`, `int`, `len`, `type`, …) and the members of the built-in
/// value types (`.count`, `.keys`, `"x".upper()`, `list.join(", ")`).
enum Builtins {
    static func registerFunctions(into i: Interpreter) {
        func add(_ name: String, _ arity: ClosedRange<Int>, _ fn: @escaping @Sendable ([Value], CallSite) throws -> Value) {
            i.builtinFunctions[name] = Function(native: name, arity: arity, fn)
        }
        add("str", 1...1) { a, _ in .string(a[0].displayText) }
        add("len", 1...1) { a, site in
            guard let c = count(a[0]) else { throw site.error("len: a \(a[0].typeName) has no length") }
            return .int(c)
        }
        add("type", 1...1) { a, _ in .string(a[0].typeName) }
        add("int", 1...1) { a, site in
            switch a[0] {
            case .int: return a[0]
            case .float(let d):
                guard d.isFinite, abs(d) < 9.2e18 else { throw site.error("int: \(d) is out of range") }
                return .int(Int(d))
            case .bool(let b): return .int(b ? 1 : 0)
            case .string(let s):
                guard let v = Int(s.trimmingSpaces) else { throw site.error("int: cannot convert \(Value.quote(s)) to an int") }
                return .int(v)
            case .quantity(let q): return .int(Int(q.value))
            case .duration(let d): return .int(Int(d.nanoseconds / 1_000_000_000))
            default: throw site.error("int: cannot convert a \(a[0].typeName) to an int")
            }
        }
        add("float", 1...1) { a, site in
            switch a[0] {
            case .int(let v): return .float(Double(v))
            case .float: return a[0]
            case .string(let s):
                guard let v = Double(s.trimmingSpaces) else { throw site.error("float: cannot convert \(Value.quote(s)) to a float") }
                return .float(v)
            case .duration(let d): return .float(d.seconds)
            case .quantity(let q): return .float(Double(q.milli) / 1000)
            default: throw site.error("float: cannot convert a \(a[0].typeName) to a float")
            }
        }
        add("duration", 1...1) { a, site in
            if case .duration = a[0] { return a[0] }
            if case .int(let s) = a[0] {
                let (ns, o) = Int64(s).multipliedReportingOverflow(by: 1_000_000_000)
                guard !o else { throw site.error("duration: \(s) seconds is out of range") }
                return .duration(SimDuration(nanoseconds: ns))
            }
            guard case .string(let s) = a[0], let d = SimDuration(parsing: s) else {
                throw site.error("duration: cannot convert \(a[0].description) to a duration")
            }
            return .duration(d)
        }
        add("quantity", 1...1) { a, site in
            switch a[0] {
            case .quantity: return a[0]
            case .int(let v):
                guard let q = a[0].asQuantity else { throw site.error("quantity: \(v) is out of range") }
                return .quantity(q)
            case .duration(let d) where d.nanoseconds % 60_000_000_000 == 0:
                // `250m` read as minutes: take it back as milli-units.
                return .quantity(Quantity(milli: d.nanoseconds / 60_000_000_000))
            case .string(let s):
                if let q = Quantity(parsing: s) { return .quantity(q) }
            default: break
            }
            throw site.error("quantity: cannot convert \(a[0].description) to a quantity")
        }
        add("ip", 1...1) { a, site in
            if case .ip = a[0] { return a[0] }
            guard case .string(let s) = a[0], let ip = IPv4Address(parsing: s) else { throw site.error("ip: \(a[0].description) is not an IPv4 address") }
            return .ip(ip)
        }
        add("cidr", 1...1) { a, site in
            if case .cidr = a[0] { return a[0] }
            guard case .string(let s) = a[0], let c = CIDR(parsing: s) else { throw site.error("cidr: \(a[0].description) is not a CIDR") }
            return .cidr(c)
        }
        add("abs", 1...1) { a, site in
            switch a[0] {
            case .int(let v):
                guard v != Int.min else { throw site.error("abs: integer overflow") }
                return .int(abs(v))
            case .float(let v): return .float(abs(v))
            case .duration(let d): return .duration(SimDuration(nanoseconds: abs(d.nanoseconds)))
            default: throw site.error("abs: cannot take the absolute value of a \(a[0].typeName)")
            }
        }
        add("min", 1...Int.max) { a, site in try extreme(a, site, "min", wantLess: true) }
        add("max", 1...Int.max) { a, site in try extreme(a, site, "max", wantLess: false) }
        add("sorted", 1...1) { a, site in
            guard case .list(let l) = a[0] else { throw site.error("sorted: expected a list, found \(a[0].typeName)") }
            return .list(try sortList(l, site))
        }
        add("keys", 1...1) { a, site in
            guard case .map(let m) = a[0] else { throw site.error("keys: expected a map, found \(a[0].typeName)") }
            return .list(m.keys)
        }
        add("random", 1...1) { [unowned i] a, site in
            guard case .int(let n) = a[0], n > 0 else { throw site.error("random: expected a positive int bound") }
            return .int(i.random.nextInt(below: n))
        }
    }

    static func count(_ v: Value) -> Int? {
        switch v {
        case .string(let s): return s.count
        case .list(let l): return l.count
        case .map(let m): return m.count
        case .object(let o):
            if case .int(let c)? = o.member("count") { return c }
            if case .list(let l)? = o.member("items") { return l.count }
            return nil
        default: return nil
        }
    }

    static func extreme(_ a: [Value], _ site: CallSite, _ name: String, wantLess: Bool) throws -> Value {
        var items = a
        if a.count == 1, case .list(let l) = a[0] { items = l }
        guard var best = items.first else { throw site.error("\(name): no values") }
        for v in items.dropFirst() {
            guard let c = Operators.compare(v, best) else { throw site.error("\(name): cannot compare \(v.typeName) and \(best.typeName)") }
            if wantLess ? c < 0 : c > 0 { best = v }
        }
        return best
    }

    static func sortList(_ l: [Value], _ site: CallSite) throws -> [Value] {
        var failure: String?
        let sorted = l.sorted { x, y in
            guard let c = Operators.compare(x, y) else {
                failure = failure ?? "sorted: cannot compare \(x.typeName) and \(y.typeName)"
                return false
            }
            return c < 0
        }
        if let failure { throw site.error(failure) }
        return sorted
    }

    // MARK: - properties

    static func property(_ v: Value, _ name: String) -> Value? {
        switch (v, name) {
        case (.string(let s), "count"): return .int(s.count)
        case (.string(let s), "isEmpty"): return .bool(s.isEmpty)
        case (.string(let s), "lines"): return .list(s.split(separator: "\n", omittingEmptySubsequences: false).dropLast(s.hasSuffix("\n") ? 1 : 0).map { .string(String($0)) })
        case (.list(let l), "count"): return .int(l.count)
        case (.list(let l), "isEmpty"): return .bool(l.isEmpty)
        case (.list(let l), "first"): return l.first ?? .nil
        case (.list(let l), "last"): return l.last ?? .nil
        case (.map(let m), "count"): return .int(m.count)
        case (.map(let m), "isEmpty"): return .bool(m.isEmpty)
        case (.map(let m), "keys"): return .list(m.keys)
        case (.map(let m), "values"): return .list(m.values)
        case (.map(let m), _): return m[.string(name)]
        case (.duration(let d), "seconds"): return .float(d.seconds)
        case (.duration(let d), "milliseconds"): return .int(Int(d.nanoseconds / 1_000_000))
        case (.duration(let d), "nanoseconds"): return .int(Int(d.nanoseconds))
        case (.quantity(let q), "value"): return .int(Int(q.value))
        case (.quantity(let q), "milli"): return .int(Int(q.milli))
        case (.ip(let ip), "octets"): return .list([24, 16, 8, 0].map { .int(Int((ip.value >> UInt32($0)) & 0xff)) })
        case (.cidr(let c), "network"): return .ip(c.network)
        case (.cidr(let c), "broadcast"): return .ip(c.broadcast)
        case (.cidr(let c), "prefix"): return .int(c.prefixLength)
        case (.cidr(let c), "size"): return .int(Int(c.size))
        case (.endpoint(let e), "ip"): return .ip(e.ip)
        case (.endpoint(let e), "port"): return .int(Int(e.port))
        case (.function(let f), "name"): return .string(f.name)
        default: return nil
        }
    }

    static func memberNames(_ v: Value) -> [String] {
        switch v {
        case .string: return ["count", "isEmpty", "lines", "upper", "lower", "trim", "contains", "hasPrefix", "hasSuffix", "split", "replace"]
        case .list: return ["count", "isEmpty", "first", "last", "contains", "join", "sorted", "reversed", "map", "filter", "indexOf"]
        case .map(let m): return ["count", "isEmpty", "keys", "values", "contains", "get"] + m.keys.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
        case .duration: return ["seconds", "milliseconds", "nanoseconds"]
        case .quantity: return ["value", "milli"]
        case .ip: return ["octets"]
        case .cidr: return ["network", "broadcast", "prefix", "size", "contains"]
        case .endpoint: return ["ip", "port"]
        case .object(let o): return o.memberNames
        default: return []
        }
    }

    // MARK: - methods

    static func method(_ v: Value, _ name: String, _ args: [Value], _ i: Interpreter, _ loc: SourceLocation) throws -> Value? {
        func arg(_ n: Int) throws -> Value {
            guard n < args.count else { throw RuntimeError(.wrongArgumentCount(name, expected: "\(n + 1)", got: args.count), at: loc) }
            return args[n]
        }
        func string(_ n: Int) throws -> String {
            guard case .string(let s) = try arg(n) else { throw RuntimeError("\(name): expected a string argument, found \(args[n].typeName)", at: loc) }
            return s
        }
        switch (v, name) {
        case (.string(let s), "upper"): return .string(s.uppercased())
        case (.string(let s), "lower"): return .string(s.lowercased())
        case (.string(let s), "trim"): return .string(s.trimmingSpaces)
        case (.string(let s), "contains"): return .bool(s.contains(try string(0)))
        case (.string(let s), "hasPrefix"): return .bool(s.hasPrefix(try string(0)))
        case (.string(let s), "hasSuffix"): return .bool(s.hasSuffix(try string(0)))
        case (.string(let s), "split"):
            let sep = args.isEmpty ? nil : try string(0)
            if let sep, !sep.isEmpty { return .list(s.components(separatedBy: sep).map { .string($0) }) }
            return .list(s.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map { .string(String($0)) })
        case (.string(let s), "replace"):
            let parts = s.components(separatedBy: try string(0)), with = try string(1)
            let (grow, o1) = (parts.count - 1).multipliedReportingOverflow(by: with.utf8.count)
            try ValueLimits.checkString(s.utf8.count + grow, overflow: o1, loc)
            return .string(parts.joined(separator: with))
        case (.list(let l), "contains"): return .bool(l.contains(try arg(0)))
        case (.list(let l), "indexOf"): return l.firstIndex(of: try arg(0)).map { .int($0) } ?? .nil
        case (.list(let l), "join"):
            let texts = l.map(\.displayText), sep = args.isEmpty ? "" : try string(0)
            var bytes = texts.reduce(0) { $0 + $1.utf8.count }
            let (seps, o1) = max(0, texts.count - 1).multipliedReportingOverflow(by: sep.utf8.count)
            bytes += seps
            try ValueLimits.checkString(bytes, overflow: o1, loc)
            return .string(texts.joined(separator: sep))
        case (.list(let l), "sorted"): return .list(try sortList(l, CallSite(location: loc)))
        case (.list(let l), "reversed"): return .list(l.reversed())
        case (.list(let l), "map"):
            let f = try arg(0)
            return .list(try l.map { try i.call(f, [$0], loc) })
        case (.list(let l), "filter"):
            let f = try arg(0)
            return .list(try l.filter { try i.truthy(i.call(f, [$0], loc), loc) })
        case (.map(let m), "contains"): return .bool(m[try arg(0)] != nil)
        case (.map(let m), "get"): return m[try arg(0)] ?? (args.count > 1 ? args[1] : .nil)
        case (.cidr(let c), "contains"):
            guard case .ip(let ip) = try arg(0) else { throw RuntimeError("contains: expected an ip, found \(args[0].typeName)", at: loc) }
            return .bool(c.contains(ip))
        default: return nil
        }
    }
}

extension String {
    /// The string without leading and trailing whitespace.
    public var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }

    func components(separatedBy separator: String) -> [String] {
        split(separator: separator, omittingEmptySubsequences: false).map(String.init)
    }
}
