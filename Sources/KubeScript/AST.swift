import KubeSimCore

/// Base of every expression node. Nodes are classes so that evaluation is one virtual
/// call per node; each evaluation counts one step against the budget.
public class Expr {
    public let location: SourceLocation
    init(_ location: SourceLocation) { self.location = location }
    func eval(_ i: Interpreter) throws -> Value { fatalError("abstract") }
    /// Whether this node is a literal (an assert failure then shows only the other side).
    var isLiteral: Bool { false }
}

/// Base of every statement node. `exec` returns how control leaves the statement.
public class Stmt {
    public let location: SourceLocation
    init(_ location: SourceLocation) { self.location = location }
    func exec(_ i: Interpreter) throws -> Flow { fatalError("abstract") }
}

/// How a statement finished; a `return` leaves its value in `Interpreter.returnValue`.
enum Flow { case normal, breakLoop, continueLoop, returned }

// MARK: - literals and names

final class LiteralExpr: Expr {
    let value: Value
    init(_ value: Value, _ loc: SourceLocation) { self.value = value; super.init(loc) }
    override func eval(_ i: Interpreter) throws -> Value { try i.step(location); return value }
    override var isLiteral: Bool { true }
}

/// `250m`: a duration of minutes, unless the other operand of a binary operator is a
/// quantity, where it means 250 milli-units (as `cpu: 250m`).
final class MilliLiteralExpr: Expr {
    let minutes: SimDuration
    let quantity: Quantity
    init(minutes: SimDuration, quantity: Quantity, _ loc: SourceLocation) {
        self.minutes = minutes; self.quantity = quantity; super.init(loc)
    }
    override func eval(_ i: Interpreter) throws -> Value { try i.step(location); return .duration(minutes) }
    override var isLiteral: Bool { true }
}

final class StringExpr: Expr {
    enum Piece { case text(String), expr(Expr) }
    let pieces: [Piece]
    init(_ pieces: [Piece], _ loc: SourceLocation) { self.pieces = pieces; super.init(loc) }
    override func eval(_ i: Interpreter) throws -> Value {
        try i.step(location)
        var out = ""
        for p in pieces {
            let piece: String
            switch p {
            case .text(let s): piece = s
            case .expr(let e): piece = try e.eval(i).displayText
            }
            try ValueLimits.checkString(out.utf8.count + piece.utf8.count, location)
            out += piece
        }
        return .string(out)
    }
    override var isLiteral: Bool { pieces.allSatisfy { if case .text = $0 { return true } else { return false } } }
}

final class LocalExpr: Expr {
    let name: String, slot: Int
    init(_ name: String, slot: Int, _ loc: SourceLocation) { self.name = name; self.slot = slot; super.init(loc) }
    override func eval(_ i: Interpreter) throws -> Value { try i.step(location); return i.frame.slots[slot] }
}

final class OuterExpr: Expr {
    let name: String, hops: Int, slot: Int
    init(_ name: String, hops: Int, slot: Int, _ loc: SourceLocation) { self.name = name; self.hops = hops; self.slot = slot; super.init(loc) }
    override func eval(_ i: Interpreter) throws -> Value { try i.step(location); return i.frame.ancestor(hops).slots[slot] }
}

final class GlobalExpr: Expr {
    let name: String, slot: Int
    init(_ name: String, slot: Int, _ loc: SourceLocation) { self.name = name; self.slot = slot; super.init(loc) }
    override func eval(_ i: Interpreter) throws -> Value { try i.step(location); return i.globals.slots[slot] }
}

/// A name not declared when parsed: a later top-level declaration or a host function,
/// looked up by name when evaluated.
final class NamedExpr: Expr {
    let name: String
    init(_ name: String, _ loc: SourceLocation) { self.name = name; super.init(loc) }
    override func eval(_ i: Interpreter) throws -> Value { try i.step(location); return try i.lookup(name, location) }
}

// MARK: - operators

final class UnaryExpr: Expr {
    let op: String, operand: Expr
    init(_ op: String, _ operand: Expr, _ loc: SourceLocation) { self.op = op; self.operand = operand; super.init(loc) }
    override func eval(_ i: Interpreter) throws -> Value {
        try i.step(location)
        let v = try operand.eval(i)
        return try Operators.unary(op, v, location)
    }
}

final class BinaryExpr: Expr {
    let op: String, left: Expr, right: Expr
    init(_ op: String, _ left: Expr, _ right: Expr, _ loc: SourceLocation) {
        self.op = op; self.left = left; self.right = right; super.init(loc)
    }
    override func eval(_ i: Interpreter) throws -> Value {
        try i.step(location)
        var l = try left.eval(i)
        var r = try right.eval(i)
        // `250m` beside a quantity means milli-units.
        if case .quantity = l, let m = right as? MilliLiteralExpr { r = .quantity(m.quantity) }
        if case .quantity = r, let m = left as? MilliLiteralExpr { l = .quantity(m.quantity) }
        return try Operators.binary(op, l, r, location)
    }
}

final class LogicalExpr: Expr {
    let isAnd: Bool, left: Expr, right: Expr
    init(isAnd: Bool, _ left: Expr, _ right: Expr, _ loc: SourceLocation) {
        self.isAnd = isAnd; self.left = left; self.right = right; super.init(loc)
    }
    override func eval(_ i: Interpreter) throws -> Value {
        try i.step(location)
        let l = try i.truthy(left.eval(i), left.location)
        if isAnd ? !l : l { return .bool(l) }
        return .bool(try i.truthy(right.eval(i), right.location))
    }
}

final class NotExpr: Expr {
    let operand: Expr
    init(_ operand: Expr, _ loc: SourceLocation) { self.operand = operand; super.init(loc) }
    override func eval(_ i: Interpreter) throws -> Value {
        try i.step(location)
        return .bool(!(try i.truthy(operand.eval(i), operand.location)))
    }
}

/// `a...b` (closed) or `a..<b` (half open). Outside a `for`, it makes a list.
final class RangeExpr: Expr {
    let lower: Expr, upper: Expr, closed: Bool
    init(_ lower: Expr, _ upper: Expr, closed: Bool, _ loc: SourceLocation) {
        self.lower = lower; self.upper = upper; self.closed = closed; super.init(loc)
    }
    func bounds(_ i: Interpreter) throws -> (Int, Int) {
        let lo = try lower.eval(i), hi = try upper.eval(i)
        guard case .int(let a) = lo else { throw RuntimeError(.invalidRange(lo.typeName), at: lower.location) }
        guard case .int(let b) = hi else { throw RuntimeError(.invalidRange(hi.typeName), at: upper.location) }
        return (a, closed ? b : b - 1)
    }
    override func eval(_ i: Interpreter) throws -> Value {
        try i.step(location)
        let (a, b) = try bounds(i)
        guard a <= b else { return .list([]) }
        guard b - a < 10_000_000 else { throw RuntimeError(.rangeTooLarge(a, b), at: location) }
        return .list((a...b).map { .int($0) })
    }
}

// MARK: - collections, calls, members

final class ListExpr: Expr {
    let items: [Expr]
    init(_ items: [Expr], _ loc: SourceLocation) { self.items = items; super.init(loc) }
    override func eval(_ i: Interpreter) throws -> Value {
        try i.step(location)
        var out: [Value] = []
        out.reserveCapacity(items.count)
        for e in items { out.append(try e.eval(i)) }
        return .list(out)
    }
}

final class MapExpr: Expr {
    let entries: [(Expr, Expr)]
    init(_ entries: [(Expr, Expr)], _ loc: SourceLocation) { self.entries = entries; super.init(loc) }
    override func eval(_ i: Interpreter) throws -> Value {
        try i.step(location)
        var m = ScriptMap()
        for (k, v) in entries { m[try k.eval(i)] = try v.eval(i) }
        return .map(m)
    }
}

final class CallExpr: Expr {
    let callee: Expr, arguments: [Expr]
    init(_ callee: Expr, _ arguments: [Expr], _ loc: SourceLocation) { self.callee = callee; self.arguments = arguments; super.init(loc) }
    override func eval(_ i: Interpreter) throws -> Value {
        try i.step(location)
        if let member = callee as? MemberExpr {
            let target = try member.target.eval(i)
            let args = try arguments.map { try $0.eval(i) }
            return try i.callMethod(target, member.name, args, member.nameLocation, location)
        }
        let f = try callee.eval(i)
        var args: [Value] = []
        args.reserveCapacity(arguments.count)
        for a in arguments { args.append(try a.eval(i)) }
        return try i.call(f, args, location)
    }
}

final class MemberExpr: Expr {
    let target: Expr, name: String, nameLocation: SourceLocation
    init(_ target: Expr, _ name: String, nameLocation: SourceLocation, _ loc: SourceLocation) {
        self.target = target; self.name = name; self.nameLocation = nameLocation; super.init(loc)
    }
    override func eval(_ i: Interpreter) throws -> Value {
        try i.step(location)
        return try i.member(try target.eval(i), name, nameLocation)
    }
}

final class IndexExpr: Expr {
    let target: Expr, index: Expr
    init(_ target: Expr, _ index: Expr, _ loc: SourceLocation) { self.target = target; self.index = index; super.init(loc) }
    override func eval(_ i: Interpreter) throws -> Value {
        try i.step(location)
        return try Operators.index(try target.eval(i), try index.eval(i), index.location)
    }
}

/// `func (a, b) { … }`: makes a closure over the current frame.
final class FunctionExpr: Expr {
    let name: String, parameters: [String], body: FunctionBody
    init(name: String, parameters: [String], body: FunctionBody, _ loc: SourceLocation) {
        self.name = name; self.parameters = parameters; self.body = body; super.init(loc)
    }
    override func eval(_ i: Interpreter) throws -> Value {
        try i.step(location)
        return .function(Function(name: name, parameters: parameters, body: body, captured: i.frame === i.globals ? nil : i.frame))
    }
}

/// `(get pods -o wide)`: a command run for its result value instead of its output.
final class CommandExpr: Expr {
    let command: CommandNode
    init(_ command: CommandNode, _ loc: SourceLocation) { self.command = command; super.init(loc) }
    override func eval(_ i: Interpreter) throws -> Value {
        try i.step(location)
        return .object(try i.runCommand(command, asExpression: true))
    }
}
