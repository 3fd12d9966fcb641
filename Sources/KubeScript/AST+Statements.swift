/// Where a variable lives, as the parser resolved it.
enum VarRef {
    case local(Int)
    case outer(hops: Int, slot: Int)
    case global(Int)
    case named(String)
}

final class ExprStmt: Stmt {
    let expr: Expr
    init(_ expr: Expr) { self.expr = expr; super.init(expr.location) }
    override func exec(_ i: Interpreter) throws -> Flow {
        _ = try expr.eval(i)
        return .normal
    }
}

/// `let x = e`, `var x = e`, `var x`.
final class DeclStmt: Stmt {
    let name: String, target: VarRef, value: Expr?
    init(_ name: String, target: VarRef, value: Expr?, _ loc: SourceLocation) {
        self.name = name; self.target = target; self.value = value; super.init(loc)
    }
    override func exec(_ i: Interpreter) throws -> Flow {
        try i.step(location)
        i.store(try value?.eval(i) ?? .nil, target)
        return .normal
    }
}

/// `x = e`, `x += e`, `m["k"] = e`, `xs[0] -= 1`.
final class AssignStmt: Stmt {
    let target: VarRef, name: String, indices: [Expr], op: String?, value: Expr
    init(target: VarRef, name: String, indices: [Expr], op: String?, value: Expr, _ loc: SourceLocation) {
        self.target = target; self.name = name; self.indices = indices; self.op = op; self.value = value; super.init(loc)
    }
    override func exec(_ i: Interpreter) throws -> Flow {
        try i.step(location)
        var rhs = try value.eval(i)
        if indices.isEmpty {
            if let op {
                let old = try i.load(target, location)
                // `q += 250m` adds milli-units to a quantity, as `q + 250m` does.
                if case .quantity = old, let m = value as? MilliLiteralExpr { rhs = .quantity(m.quantity) }
                i.store(try Operators.binary(op, old, rhs, location), target)
            } else {
                i.store(rhs, target)
            }
            return .normal
        }
        var base = try i.load(target, location)
        let keys = try indices.map { try $0.eval(i) }
        try Operators.assign(into: &base, path: keys[...], pathLocations: indices.map(\.location)[...], value: rhs, op: op, location)
        i.store(base, target)
        return .normal
    }
}

final class BlockStmt: Stmt {
    let statements: [Stmt]
    init(_ statements: [Stmt], _ loc: SourceLocation) { self.statements = statements; super.init(loc) }
    override func exec(_ i: Interpreter) throws -> Flow {
        for s in statements {
            let f = try s.exec(i)
            if case .normal = f { continue }
            return f
        }
        return .normal
    }
}

final class IfStmt: Stmt {
    let branches: [(Expr, BlockStmt)], elseBlock: BlockStmt?
    init(_ branches: [(Expr, BlockStmt)], elseBlock: BlockStmt?, _ loc: SourceLocation) {
        self.branches = branches; self.elseBlock = elseBlock; super.init(loc)
    }
    override func exec(_ i: Interpreter) throws -> Flow {
        try i.step(location)
        for (cond, block) in branches where try i.truthy(cond.eval(i), cond.location) {
            return try block.exec(i)
        }
        return try elseBlock?.exec(i) ?? .normal
    }
}

final class WhileStmt: Stmt {
    let condition: Expr, body: BlockStmt
    init(_ condition: Expr, _ body: BlockStmt, _ loc: SourceLocation) { self.condition = condition; self.body = body; super.init(loc) }
    override func exec(_ i: Interpreter) throws -> Flow {
        while true {
            try i.step(location)
            guard try i.truthy(condition.eval(i), condition.location) else { return .normal }
            switch try body.exec(i) {
            case .breakLoop: return .normal
            case .returned: return .returned
            case .normal, .continueLoop: continue
            }
        }
    }
}

final class ForStmt: Stmt {
    let variable: VarRef, sequence: Expr, body: BlockStmt
    init(variable: VarRef, sequence: Expr, body: BlockStmt, _ loc: SourceLocation) {
        self.variable = variable; self.sequence = sequence; self.body = body; super.init(loc)
    }
    override func exec(_ i: Interpreter) throws -> Flow {
        try i.step(location)
        if let range = sequence as? RangeExpr {
            // Count without building a list.
            let (lo, hi) = try range.bounds(i)
            if lo > hi { return .normal }
            var n = lo
            while true {
                i.store(.int(n), variable)
                switch try body.exec(i) {
                case .breakLoop: return .normal
                case .returned: return .returned
                case .normal, .continueLoop: break
                }
                if n == hi { return .normal }
                n += 1
                try i.step(location)
            }
        }
        let items: [Value]
        switch try sequence.eval(i) {
        case .list(let l): items = l
        case .map(let m): items = m.keys
        case .string(let s): items = s.map { .string(String($0)) }
        case .object(let o):
            guard case .list(let l)? = o.member("items") else { throw RuntimeError(.notIterable(o.typeName), at: sequence.location) }
            items = l
        case let other: throw RuntimeError(.notIterable(other.typeName), at: sequence.location)
        }
        for item in items {
            try i.step(location)
            i.store(item, variable)
            switch try body.exec(i) {
            case .breakLoop: return .normal
            case .returned: return .returned
            case .normal, .continueLoop: continue
            }
        }
        return .normal
    }
}

final class ReturnStmt: Stmt {
    let value: Expr?
    init(_ value: Expr?, _ loc: SourceLocation) { self.value = value; super.init(loc) }
    override func exec(_ i: Interpreter) throws -> Flow {
        try i.step(location)
        i.returnValue = try value?.eval(i) ?? .nil
        return .returned
    }
}

final class BreakStmt: Stmt {
    override func exec(_ i: Interpreter) throws -> Flow { try i.step(location); return .breakLoop }
}

final class ContinueStmt: Stmt {
    override func exec(_ i: Interpreter) throws -> Flow { try i.step(location); return .continueLoop }
}

/// `func name(params) { … }`: binds a closure to the name.
final class FuncDeclStmt: Stmt {
    let function: FunctionExpr, target: VarRef
    init(_ function: FunctionExpr, target: VarRef, _ loc: SourceLocation) { self.function = function; self.target = target; super.init(loc) }
    override func exec(_ i: Interpreter) throws -> Flow {
        i.store(try function.eval(i), target)
        return .normal
    }
}

final class PrintStmt: Stmt {
    let values: [Expr]
    init(_ values: [Expr], _ loc: SourceLocation) { self.values = values; super.init(loc) }
    override func exec(_ i: Interpreter) throws -> Flow {
        try i.step(location)
        let parts = try values.map { try $0.eval(i).displayText }
        i.write(parts.joined(separator: " ") + "\n")
        return .normal
    }
}

/// `assert cond [, "message"]`. A failure is reported with both sides of a comparison
/// and the script goes on; inside `expect failure { … }` it counts as the failure.
final class AssertStmt: Stmt {
    let condition: Expr, message: Expr?
    init(_ condition: Expr, message: Expr?, _ loc: SourceLocation) { self.condition = condition; self.message = message; super.init(loc) }
    override func exec(_ i: Interpreter) throws -> Flow {
        try i.step(location)
        try i.runAssert(self)
        return .normal
    }
}

/// `expect failure { … }` and `expect error "text" { … }`.
final class ExpectStmt: Stmt {
    let errorText: Expr?, body: BlockStmt
    init(errorText: Expr?, body: BlockStmt, _ loc: SourceLocation) { self.errorText = errorText; self.body = body; super.init(loc) }
    override func exec(_ i: Interpreter) throws -> Flow {
        try i.step(location)
        return try i.runExpect(self)
    }
}

/// `include "file.kscript"`: parses and runs another file in the same global scope.
final class IncludeStmt: Stmt {
    let path: String
    init(_ path: String, _ loc: SourceLocation) { self.path = path; super.init(loc) }
    override func exec(_ i: Interpreter) throws -> Flow {
        try i.step(location)
        try i.include(path, location)
        return .normal
    }
}

/// A command line as a statement: its output is printed.
final class CommandStmt: Stmt {
    let command: CommandNode
    init(_ command: CommandNode) { self.command = command; super.init(command.location) }
    override func exec(_ i: Interpreter) throws -> Flow {
        try i.step(location)
        let result = try i.runCommand(command, asExpression: false)
        i.lastCommandResult = result
        return .normal
    }
}

/// One word of a command line after parsing: literal text and interpolated pieces.
struct WordNode {
    enum Piece { case text(String), expr(Expr) }
    let pieces: [Piece]
    let location: SourceLocation
    let quoted: Bool
    /// The text when the word has no interpolation (checked against the spec at parse time).
    var literal: String? {
        var s = ""
        for p in pieces {
            guard case .text(let t) = p else { return nil }
            s += t
        }
        return s
    }
}

/// A parsed command: the spec it resolved to (after sub-verbs), its words and heredoc.
final class CommandNode {
    let spec: CommandSpec
    let path: [String]
    let words: [WordNode]
    let heredoc: WordNode?
    let location: SourceLocation
    init(spec: CommandSpec, path: [String], words: [WordNode], heredoc: WordNode?, location: SourceLocation) {
        self.spec = spec; self.path = path; self.words = words; self.heredoc = heredoc; self.location = location
    }
}
