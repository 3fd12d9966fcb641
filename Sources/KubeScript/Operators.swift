import KubeSimCore

/// The meaning of each operator on each pair of value types. Mixed int/float promote to
/// float; an int beside a quantity is whole units; `+` joins strings, lists and maps.
enum Operators {
    static func unary(_ op: String, _ v: Value, _ loc: SourceLocation) throws -> Value {
        switch (op, v) {
        case ("-", .int(let i)):
            guard i != Int.min else { throw RuntimeError(.integerOverflow, at: loc) }
            return .int(-i)
        case ("-", .float(let d)): return .float(-d)
        case ("-", .duration(let d)): return .duration(.zero - d)
        case ("-", .quantity(let q)): return .quantity(Quantity(milli: -q.milli, format: q.format))
        default: throw RuntimeError(.unaryTypeMismatch(op, v.typeName), at: loc)
        }
    }

    static func binary(_ op: String, _ l: Value, _ r: Value, _ loc: SourceLocation) throws -> Value {
        // Fast path: the common int case.
        if case .int(let a) = l, case .int(let b) = r {
            switch op {
            case "+":
                let (v, o) = a.addingReportingOverflow(b)
                if o { throw RuntimeError(.integerOverflow, at: loc) }
                return .int(v)
            case "-":
                let (v, o) = a.subtractingReportingOverflow(b)
                if o { throw RuntimeError(.integerOverflow, at: loc) }
                return .int(v)
            case "*":
                let (v, o) = a.multipliedReportingOverflow(by: b)
                if o { throw RuntimeError(.integerOverflow, at: loc) }
                return .int(v)
            case "/":
                guard b != 0 else { throw RuntimeError(.divisionByZero, at: loc) }
                let (v, o) = a.dividedReportingOverflow(by: b)
                if o { throw RuntimeError(.integerOverflow, at: loc) }
                return .int(v)
            case "%":
                guard b != 0 else { throw RuntimeError(.divisionByZero, at: loc) }
                let (v, o) = a.remainderReportingOverflow(dividingBy: b)
                if o { throw RuntimeError(.integerOverflow, at: loc) }
                return .int(v)
            case "<": return .bool(a < b)
            case "<=": return .bool(a <= b)
            case ">": return .bool(a > b)
            case ">=": return .bool(a >= b)
            case "==": return .bool(a == b)
            case "!=": return .bool(a != b)
            default: break
            }
        }
        switch op {
        case "==": return .bool(l == r)
        case "!=": return .bool(l != r)
        case "<", "<=", ">", ">=":
            guard let c = compare(l, r) else { throw RuntimeError(.typeMismatch(op, l.typeName, r.typeName), at: loc) }
            switch op {
            case "<": return .bool(c < 0)
            case "<=": return .bool(c <= 0)
            case ">": return .bool(c > 0)
            default: return .bool(c >= 0)
            }
        case "in": return try contains(r, l, loc)
        default: break
        }
        if let v = try arithmetic(op, l, r, loc) { return v }
        throw RuntimeError(.typeMismatch(op, l.typeName, r.typeName), at: loc)
    }

    static func arithmetic(_ op: String, _ l: Value, _ r: Value, _ loc: SourceLocation) throws -> Value? {
        switch (l, r) {
        case (.float, .float), (.int, .float), (.float, .int):
            let a = l.asDouble!, b = r.asDouble!
            switch op {
            case "+": return .float(a + b)
            case "-": return .float(a - b)
            case "*": return .float(a * b)
            case "/":
                guard b != 0 else { throw RuntimeError(.divisionByZero, at: loc) }
                return .float(a / b)
            case "%":
                guard b != 0 else { throw RuntimeError(.divisionByZero, at: loc) }
                return .float(a.truncatingRemainder(dividingBy: b))
            default: return nil
            }
        case let (.string(a), .string(b)) where op == "+":
            try ValueLimits.checkString(a.utf8.count + b.utf8.count, loc)
            return .string(a + b)
        case let (.string(a), _) where op == "+":
            let b = r.displayText
            try ValueLimits.checkString(a.utf8.count + b.utf8.count, loc)
            return .string(a + b)
        case let (_, .string(b)) where op == "+":
            let a = l.displayText
            try ValueLimits.checkString(a.utf8.count + b.utf8.count, loc)
            return .string(a + b)
        case let (.string(a), .int(n)) where op == "*":
            guard n >= 0 else { return nil }
            let (bytes, overflow) = a.utf8.count.multipliedReportingOverflow(by: n)
            try ValueLimits.checkString(bytes, overflow: overflow, loc)
            return .string(String(repeating: a, count: n))
        case let (.list(a), .list(b)) where op == "+":
            try ValueLimits.checkList(a.count + b.count, loc)
            return .list(a + b)
        case let (.map(a), .map(b)) where op == "+":
            try ValueLimits.checkList(a.count + b.count, loc)
            var m = a
            for (k, v) in b.pairs { m[k] = v }
            return .map(m)
        case let (.duration(a), .duration(b)):
            switch op {
            case "+": return .duration(SimDuration(nanoseconds: try checked(a.nanoseconds.addingReportingOverflow(b.nanoseconds), loc)))
            case "-": return .duration(SimDuration(nanoseconds: try checked(a.nanoseconds.subtractingReportingOverflow(b.nanoseconds), loc)))
            case "/":
                guard b.nanoseconds != 0 else { throw RuntimeError(.divisionByZero, at: loc) }
                return .float(Double(a.nanoseconds) / Double(b.nanoseconds))
            default: return nil
            }
        case let (.duration(d), .int(n)), let (.int(n), .duration(d)):
            if op == "*" { return .duration(SimDuration(nanoseconds: try checked(d.nanoseconds.multipliedReportingOverflow(by: Int64(n)), loc))) }
            if op == "/", case .duration = l {
                guard n != 0 else { throw RuntimeError(.divisionByZero, at: loc) }
                return .duration(SimDuration(nanoseconds: try checked(d.nanoseconds.dividedReportingOverflow(by: Int64(n)), loc)))
            }
            return nil
        case let (.duration(d), .float(x)), let (.float(x), .duration(d)):
            guard op == "*" else { return nil }
            let product = (Double(d.nanoseconds) * x).rounded()
            guard product.isFinite, abs(product) < 9.2e18 else { throw RuntimeError(.integerOverflow, at: loc) }
            return .duration(SimDuration(nanoseconds: Int64(product)))
        case (.quantity, .quantity), (.quantity, .int), (.int, .quantity):
            guard let a = l.asQuantity, let b = r.asQuantity else { throw RuntimeError(.integerOverflow, at: loc) }
            let format: Quantity.Format = a.format == .binarySI || b.format == .binarySI ? .binarySI : .decimalSI
            switch op {
            case "+": return .quantity(Quantity(milli: try checked(a.milli.addingReportingOverflow(b.milli), loc), format: format))
            case "-": return .quantity(Quantity(milli: try checked(a.milli.subtractingReportingOverflow(b.milli), loc), format: format))
            case "*":
                if case .int(let n) = r { return .quantity(Quantity(milli: try checked(a.milli.multipliedReportingOverflow(by: Int64(n)), loc), format: a.format)) }
                if case .int(let n) = l { return .quantity(Quantity(milli: try checked(b.milli.multipliedReportingOverflow(by: Int64(n)), loc), format: b.format)) }
                return nil
            case "/":
                if case .int(let n) = r {
                    guard n != 0 else { throw RuntimeError(.divisionByZero, at: loc) }
                    return .quantity(Quantity(milli: try checked(a.milli.dividedReportingOverflow(by: Int64(n)), loc), format: a.format))
                }
                guard b.milli != 0 else { throw RuntimeError(.divisionByZero, at: loc) }
                return .float(Double(a.milli) / Double(b.milli))
            default: return nil
            }
        default: return nil
        }
    }

    static func checked(_ r: (partialValue: Int64, overflow: Bool), _ loc: SourceLocation) throws -> Int64 {
        if r.overflow { throw RuntimeError(.integerOverflow, at: loc) }
        return r.partialValue
    }

    /// -1, 0, 1, or nil when the two values have no order.
    static func compare(_ l: Value, _ r: Value) -> Int? {
        func cmp<T: Comparable>(_ a: T, _ b: T) -> Int { a < b ? -1 : (a == b ? 0 : 1) }
        switch (l, r) {
        case let (.int(a), .int(b)): return cmp(a, b)
        case (.int, .float), (.float, .int), (.float, .float): return cmp(l.asDouble!, r.asDouble!)
        case let (.string(a), .string(b)): return cmp(a, b)
        case let (.duration(a), .duration(b)): return cmp(a, b)
        case (.quantity, .quantity), (.quantity, .int), (.int, .quantity):
            guard let a = l.asQuantity, let b = r.asQuantity else {
                // An int too large to be a quantity is larger than any quantity.
                if case .int(let i) = l { return i < 0 ? -1 : 1 }
                if case .int(let i) = r { return i < 0 ? 1 : -1 }
                return nil
            }
            return cmp(a, b)
        case let (.ip(a), .ip(b)): return cmp(a, b)
        default: return nil
        }
    }

    static func contains(_ container: Value, _ item: Value, _ loc: SourceLocation) throws -> Value {
        switch (container, item) {
        case let (.list(l), _): return .bool(l.contains(item))
        case let (.map(m), _): return .bool(m[item] != nil)
        case let (.string(s), .string(sub)): return .bool(s.contains(sub))
        case let (.cidr(c), .ip(ip)): return .bool(c.contains(ip))
        case let (.object(o), .string(sub)): return .bool(o.displayText.contains(sub))
        default: throw RuntimeError(.typeMismatch("in", item.typeName, container.typeName), at: loc)
        }
    }

    static func index(_ target: Value, _ key: Value, _ loc: SourceLocation) throws -> Value {
        switch (target, key) {
        case let (.list(l), .int(i)):
            let j = i < 0 ? l.count + i : i
            guard j >= 0 && j < l.count else { throw RuntimeError(.indexOutOfRange(i, count: l.count), at: loc) }
            return l[j]
        case let (.string(s), .int(i)):
            let chars = Array(s)
            let j = i < 0 ? chars.count + i : i
            guard j >= 0 && j < chars.count else { throw RuntimeError(.stringIndexOutOfRange(i, count: chars.count), at: loc) }
            return .string(String(chars[j]))
        case let (.map(m), _): return m[key] ?? .nil
        case let (.object(o), .string(name)): return o.member(name) ?? .nil
        case let (.object(o), .int(i)):
            if case .list(let l)? = o.member("items") { return try index(.list(l), key, loc) }
            throw RuntimeError(.notIndexable(target.typeName), at: loc)
        case (.list, _), (.string, _): throw RuntimeError(.badIndexType(target.typeName, key.typeName), at: loc)
        default: throw RuntimeError(.notIndexable(target.typeName), at: loc)
        }
    }

    /// `base[k1][k2] op= value`: rewrites the nested element in place.
    static func assign(into base: inout Value, path: ArraySlice<Value>, pathLocations: ArraySlice<SourceLocation>,
                       value: Value, op: String?, _ loc: SourceLocation) throws {
        guard let key = path.first, let keyLoc = pathLocations.first else {
            base = try op.map { try binary($0, base, value, loc) } ?? value
            return
        }
        switch (base, key) {
        case (.list(var l), .int(let i)):
            let j = i < 0 ? l.count + i : i
            guard j >= 0 && j < l.count else { throw RuntimeError(.indexOutOfRange(i, count: l.count), at: keyLoc) }
            base = .nil  // keep the array uniquely referenced while it changes
            try assign(into: &l[j], path: path.dropFirst(), pathLocations: pathLocations.dropFirst(), value: value, op: op, loc)
            base = .list(l)
        case (.map(var m), _):
            var element = m[key] ?? .nil
            if path.count == 1, op != nil, element.isNil { throw RuntimeError(.keyNotFound(key.description), at: keyLoc) }
            base = .nil
            try assign(into: &element, path: path.dropFirst(), pathLocations: pathLocations.dropFirst(), value: value, op: op, loc)
            m[key] = element
            base = .map(m)
        case (.list, _): throw RuntimeError(.badIndexType("list", key.typeName), at: keyLoc)
        default: throw RuntimeError(.notIndexable(base.typeName), at: keyLoc)
        }
    }
}

extension Value {
    var asDouble: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .float(let d): return d
        default: return nil
        }
    }
    var asQuantity: Quantity? {
        switch self {
        case .quantity(let q): return q
        case .int(let i):
            let (m, o) = Int64(i).multipliedReportingOverflow(by: 1000)
            return o ? nil : Quantity(milli: m)
        default: return nil
        }
    }
}
