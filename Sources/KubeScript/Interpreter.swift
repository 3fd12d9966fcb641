import KubeSimCore

/// Runs parsed KubeScript: a tree walk over resolved nodes. Variables live in frames
/// (slots resolved by the parser); every node evaluated counts a step, so a runaway
/// loop ends with a clear error instead of a hang, and Ctrl-C is noticed between steps.
public final class Interpreter: @unchecked Sendable {
    public let registry: CommandRegistry
    public let context: CommandContext
    public let globalTable: GlobalTable
    var globals: Frame
    var frame: Frame
    var returnValue: Value = .nil

    var steps = 0
    public var maxSteps: Int
    var depth = 0
    public var maxCallDepth: Int
    /// Inside `expect`, a failed assertion throws instead of being recorded.
    var expectDepth = 0
    /// Files being included (for cycle detection and relative paths).
    var includeStack: [String] = []
    /// Failed assertions so far (the script goes on after each).
    public private(set) var assertionFailures: [Diagnostic] = []
    /// Called with each failed assertion as it happens.
    public var onAssertionFailure: (Diagnostic) -> Void = { _ in }
    /// The result of the last command statement (the REPL echoes nothing more for it).
    var lastCommandResult: CommandResult?
    /// Reads an included file; nil when it cannot be read.
    public var readFile: (String) -> String? = { FileIO.read($0) }
    /// Returns true when the user asked to stop (Ctrl-C).
    public var interruptRequested: () -> Bool = { false }
    var random: SeededRandom

    public init(registry: CommandRegistry, context: CommandContext, maxSteps: Int = 50_000_000, maxCallDepth: Int = 10_000) {
        self.registry = registry
        self.context = context
        self.globalTable = GlobalTable()
        self.globals = Frame(size: 0, parent: nil)
        self.frame = globals
        self.maxSteps = maxSteps
        self.maxCallDepth = maxCallDepth
        self.random = SeededRandom(seed: context.seed)
        Builtins.registerFunctions(into: self)
    }

    /// Host and built-in functions, looked up when a name is not a variable.
    var builtinFunctions: [String: Function] = [:]

    public func reseed(_ seed: UInt64) {
        context.seed = seed
        random = SeededRandom(seed: seed)
    }

    // MARK: - steps and limits

    @inline(__always) func step(_ loc: SourceLocation) throws {
        steps &+= 1
        if steps & 0x3FF == 0 || steps > maxSteps { try checkLimits(loc) }
    }

    func checkLimits(_ loc: SourceLocation) throws {
        if steps > maxSteps { throw RuntimeError.fatal(.stepBudgetExceeded(maxSteps), at: loc) }
        if interruptRequested() { throw RuntimeError.fatal(.interrupted, at: loc) }
    }

    /// Starts a new top-level run: the step budget counts from here.
    public func resetBudget() { steps = 0 }

    // MARK: - variables

    @inline(__always) func load(_ ref: VarRef, _ loc: SourceLocation) throws -> Value {
        switch ref {
        case .local(let s): return frame.slots[s]
        case .outer(let h, let s): return frame.ancestor(h).slots[s]
        case .global(let s): return globals.slots[s]
        case .named(let n): return try lookup(n, loc)
        }
    }

    @inline(__always) func store(_ value: Value, _ ref: VarRef) {
        switch ref {
        case .local(let s): frame.slots[s] = value
        case .outer(let h, let s): frame.ancestor(h).slots[s] = value
        case .global(let s): globals.slots[s] = value
        case .named(let n):
            let s = globalTable.declare(n, constant: false)
            globals.ensureSize(globalTable.count)
            globals.slots[s] = value
        }
    }

    func lookup(_ name: String, _ loc: SourceLocation) throws -> Value {
        if let s = globalTable.slots[name], s < globals.slots.count { return globals.slots[s] }
        if let f = registry.functions[name] ?? builtinFunctions[name] { return .function(f) }
        let candidates = Array(globalTable.slots.keys) + Array(registry.functions.keys) + Array(builtinFunctions.keys)
        throw RuntimeError(.undefinedVariable(name, suggestion: Suggest.nearest(name, in: candidates)), at: loc)
    }

    /// Names a script can refer to (for TAB completion).
    public var visibleNames: [String] {
        Array(Set(globalTable.slots.keys).union(registry.functions.keys).union(builtinFunctions.keys)).sorted()
    }

    /// The value of a global variable, for hosts and tests.
    public func global(_ name: String) -> Value? {
        guard let s = globalTable.slots[name], s < globals.slots.count else { return nil }
        return globals.slots[s]
    }

    func truthy(_ v: Value, _ loc: SourceLocation) throws -> Bool {
        switch v {
        case .bool(let b): return b
        case .object(let o) where o is CommandResult: return (o as! CommandResult).ok
        default: throw RuntimeError(.conditionNotBool(v.typeName), at: loc)
        }
    }

    func write(_ text: String) { context.write(text) }

    // MARK: - calls

    func call(_ callee: Value, _ args: [Value], _ loc: SourceLocation) throws -> Value {
        guard case .function(let f) = callee else { throw RuntimeError(.notCallable(callee.typeName), at: loc) }
        guard f.arity.contains(args.count) else {
            let expected = f.arity.lowerBound == f.arity.upperBound ? "\(f.arity.lowerBound)" :
                (f.arity.upperBound == Int.max ? "at least \(f.arity.lowerBound)" : "\(f.arity.lowerBound) to \(f.arity.upperBound)")
            throw RuntimeError(.wrongArgumentCount(f.name, expected: expected, got: args.count), at: loc)
        }
        if let native = f.native { return try native(args, CallSite(location: loc)) }
        let body = f.body!
        depth += 1
        defer { depth -= 1 }
        if depth > maxCallDepth { throw RuntimeError.fatal(.callDepthExceeded(maxCallDepth), at: loc) }
        let callFrame = Frame(size: body.frameSize, parent: f.captured)
        for (slot, value) in zip(body.parameterSlots, args) { callFrame.slots[slot] = value }
        let saved = frame
        frame = callFrame
        defer { frame = saved }
        for s in body.statements {
            switch try s.exec(self) {
            case .normal: continue
            case .returned:
                let v = returnValue
                returnValue = .nil
                return v
            case .breakLoop, .continueLoop: return .nil
            }
        }
        return .nil
    }

    /// Calls a script or native function from host code (e.g. a callback).
    public func callFunction(_ f: Value, _ args: [Value], at loc: SourceLocation) throws -> Value {
        try call(f, args, loc)
    }

    func member(_ target: Value, _ name: String, _ loc: SourceLocation) throws -> Value {
        if let v = Builtins.property(target, name) { return v }
        if case .object(let o) = target, let v = o.member(name) { return v }
        throw RuntimeError(.noMember(name, type: target.typeName, suggestion: Suggest.nearest(name, in: Builtins.memberNames(target))), at: loc)
    }

    func callMethod(_ target: Value, _ name: String, _ args: [Value], _ nameLoc: SourceLocation, _ loc: SourceLocation) throws -> Value {
        if let v = try Builtins.method(target, name, args, self, loc) { return v }
        if case .object(let o) = target {
            if let v = try o.callMethod(name, args) { return v }
            if let f = o.member(name), case .function = f { return try call(f, args, loc) }
        }
        if case .map(let m) = target, let f = m[.string(name)], case .function = f { return try call(f, args, loc) }
        throw RuntimeError(.noMember(name, type: target.typeName, suggestion: Suggest.nearest(name, in: Builtins.memberNames(target))), at: nameLoc)
    }

    // MARK: - assertions and expectations

    func runAssert(_ a: AssertStmt) throws {
        var detail = a.condition.location.text
        let ok: Bool
        if let b = a.condition as? BinaryExpr, ["==", "!=", "<", "<=", ">", ">=", "in"].contains(b.op) {
            let l = try b.left.eval(self)
            let r = try b.right.eval(self)
            var lq = l, rq = r
            if case .quantity = l, let m = b.right as? MilliLiteralExpr { rq = .quantity(m.quantity) }
            if case .quantity = r, let m = b.left as? MilliLiteralExpr { lq = .quantity(m.quantity) }
            guard case .bool(let v) = try Operators.binary(b.op, lq, rq, b.location) else { return }
            ok = v
            if !ok {
                var sides: [String] = []
                if !b.left.isLiteral { sides.append("left: \(l.description)") }
                if !b.right.isLiteral { sides.append("right: \(r.description)") }
                if !sides.isEmpty { detail += " (\(sides.joined(separator: ", ")))" }
            }
        } else {
            ok = try truthy(a.condition.eval(self), a.condition.location)
        }
        if ok { return }
        if let m = a.message { detail += " — " + (try m.eval(self)).displayText }
        let d = Diagnostic(.assertFailed(detail), at: a.location)
        if expectDepth > 0 { throw AssertionFailure(diagnostic: d) }
        recordAssertionFailure(d)
    }

    func recordAssertionFailure(_ d: Diagnostic) {
        assertionFailures.append(d)
        onAssertionFailure(d)
    }

    func runExpect(_ e: ExpectStmt) throws -> Flow {
        let wanted = try e.errorText.map { try $0.eval(self).displayText }
        expectDepth += 1
        let savedFrame = frame
        var failure: String?
        do {
            let flow = try e.body.exec(self)
            expectDepth -= 1
            if case .normal = flow {} else { return flow }
        } catch let err as RuntimeError where !err.isFatal {
            expectDepth -= 1
            frame = savedFrame
            failure = err.message
        } catch let err as AssertionFailure {
            expectDepth -= 1
            frame = savedFrame
            failure = err.diagnostic.message
        } catch {
            expectDepth -= 1
            frame = savedFrame
            throw error
        }
        guard let failure else {
            let msg: DiagnosticMessage = wanted.map { .expectedErrorButSucceeded($0) } ?? .expectedFailureButSucceeded
            let d = Diagnostic(msg, at: e.location)
            if expectDepth > 0 { throw AssertionFailure(diagnostic: d) }
            recordAssertionFailure(d)
            return .normal
        }
        if let wanted, !failure.contains(wanted) {
            let d = Diagnostic(.expectedErrorText(wanted, got: failure), at: e.location)
            if expectDepth > 0 { throw AssertionFailure(diagnostic: d) }
            recordAssertionFailure(d)
        }
        return .normal
    }

    // MARK: - commands

    /// Evaluates a command node's words, binds them against the spec and runs it.
    /// As a statement its output is printed and a failure is an error; as an
    /// expression the result (with `.ok`, `.output`, `.exitCode`) is returned either way.
    func runCommand(_ node: CommandNode, asExpression: Bool) throws -> CommandResult {
        var words: [String?] = []
        words.reserveCapacity(node.words.count)
        for w in node.words { words.append(try evalWord(w)) }
        let bound: (CommandSpec, Invocation, consumedPath: Int)
        switch registry.bind(node.spec, words: words, quoted: node.words.map(\.quoted), location: node.location) {
        case .success(let b): bound = b
        case .failure(let e):
            let loc = e.wordIndex.map { node.words[$0].location } ?? node.location
            throw RuntimeError(e.message, at: loc)
        }
        var inv = bound.1
        inv.path = node.path + Array(bound.1.path.dropFirst())
        inv.heredoc = try node.heredoc.map { try evalWord($0) }
        guard let handler = bound.0.handler else {
            throw RuntimeError(.missingSubcommand(bound.0.fullName, choices: bound.0.subcommands.map(\.name)), at: node.location)
        }
        let result: CommandResult
        do {
            result = try handler(inv, context)
        } catch let f as CommandFailure {
            if asExpression { return CommandResult(output: f.output + f.message + (f.message.isEmpty || f.message.hasSuffix("\n") ? "" : "\n"), exitCode: f.exitCode) }
            if !f.output.isEmpty { write(f.output) }
            throw RuntimeError(f.message, at: node.location, isCommandFailure: true)
        } catch var e as RuntimeError {
            if e.location == nil { e = RuntimeError(e.message, at: node.location) }
            throw e
        }
        // `exit` ends the run at once, from inside any loop or function.
        if context.exitRequest != nil { throw ExitSignal() }
        // Ctrl-C during a long command (tick, settle) stops the script right after it.
        if interruptRequested() { throw RuntimeError.fatal(.interrupted, at: node.location) }
        if !asExpression {
            if !result.warnings.isEmpty { write(result.warnings.hasSuffix("\n") ? result.warnings : result.warnings + "\n") }
            if !result.output.isEmpty { write(result.output.hasSuffix("\n") ? result.output : result.output + "\n") }
            if result.exitCode != 0 {
                throw RuntimeError(DiagnosticMessage.commandExitStatus(result.exitCode).text, at: node.location, isCommandFailure: true)
            }
        }
        return result
    }

    func evalWord(_ w: WordNode) throws -> String {
        if w.pieces.count == 1, case .text(let t) = w.pieces[0] { return t }
        var s = ""
        for p in w.pieces {
            switch p {
            case .text(let t): s += t
            case .expr(let e): s += try e.eval(self).displayText
            }
        }
        return s
    }

    // MARK: - include

    func include(_ path: String, _ loc: SourceLocation) throws {
        let resolved = FileIO.resolve(path, relativeTo: loc.file.name)
        if includeStack.contains(resolved) { throw RuntimeError(.includeCycle(path), at: loc) }
        guard let text = readFile(resolved) else { throw RuntimeError(.includeNotFound(path), at: loc) }
        let file = SourceFile(name: resolved, text: text)
        let program = Parser.parse(file, registry: registry, globals: globalTable)
        if !program.diagnostics.isEmpty { throw ParseFailure(diagnostics: program.diagnostics) }
        includeStack.append(resolved)
        defer { includeStack.removeLast() }
        let savedFrame = frame
        frame = globals
        defer { frame = savedFrame }
        try execute(program)
    }

    // MARK: - top level

    /// Runs a parsed program at the top level. With `echo`, each expression statement's
    /// value (unless nil) goes to `echo` — the REPL prints it.
    public func execute(_ program: Program, echo: ((Value) -> Void)? = nil) throws {
        globals.ensureSize(globalTable.count)
        frame = globals
        // Functions declared at the top level are defined first, so a lesson may call
        // helpers it declares further down.
        for s in program.statements {
            if let f = s as? FuncDeclStmt { _ = try f.exec(self) }
        }
        for s in program.statements {
            if s is FuncDeclStmt { continue }
            if let echo, let e = s as? ExprStmt {
                let v = try e.expr.eval(self)
                if !v.isNil { echo(v) }
                continue
            }
            if let echo, let c = s as? CommandStmt {
                // In the REPL a command that printed nothing shows its value
                // (`tick 1s` → the new simulated time).
                lastCommandResult = nil
                _ = try c.exec(self)
                if let r = lastCommandResult, r.output.isEmpty, !r.value.isNil { echo(r.value) }
                continue
            }
            switch try s.exec(self) {
            case .normal: break
            case .returned, .breakLoop, .continueLoop: return
            }
        }
    }
}

extension RuntimeError {
    /// Errors that `expect` must not catch: the step budget, the call depth, Ctrl-C.
    static func fatal(_ message: DiagnosticMessage, at loc: SourceLocation) -> RuntimeError {
        var e = RuntimeError(message, at: loc)
        e.isFatal = true
        return e
    }
}

/// Unwinds the whole run after `exit N` (not caught by `expect`).
struct ExitSignal: Error {}

/// A failed assertion inside `expect`: caught by the `expect` around it.
struct AssertionFailure: Error {
    let diagnostic: Diagnostic
}

/// Parse errors in an included file.
public struct ParseFailure: Error, Sendable {
    public let diagnostics: [Diagnostic]
}
