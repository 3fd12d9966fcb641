import KubeSimCore

/// A parsed file or REPL entry: its statements and every diagnostic found.
public struct Program {
    public let file: SourceFile
    public let statements: [Stmt]
    public let diagnostics: [Diagnostic]
    public var isIncompleteInput: Bool { DiagnosticList(diagnostics).isIncompleteInput }
}

/// Recursive-descent parser. It resolves names to frame slots as it goes, checks
/// command lines against the registry, and recovers from errors (panic mode, as jlox
/// does) so one run reports them all. Grammar: grammar/kscript.ebnf; each parse
/// function names its rule.
public final class Parser {
    var lexer: Lexer
    var token: Token
    let file: SourceFile
    let registry: CommandRegistry
    let globals: GlobalTable
    var diagnostics: [Diagnostic] = []
    /// Open brackets: the closer expected and where the opener was. Inside `(` or `[`,
    /// newlines are not statement ends.
    var brackets: [(closer: String, opener: Token)] = []
    var scopes: [FunctionScope]
    var nesting = 0
    /// Inside `${…}` (parsed with a lexer over just that range).
    var embeddedDepth = 0
    static let maxNesting = 256

    struct ParseError: Error {}

    init(file: SourceFile, registry: CommandRegistry, globals: GlobalTable) {
        self.file = file
        self.registry = registry
        self.globals = globals
        self.lexer = Lexer(file: file)
        self.token = Token(.eof, 0, 0, "")
        self.scopes = [FunctionScope(isTopLevel: true)]
        advance()
    }

    /// Parses a whole file or REPL entry.
    public static func parse(_ file: SourceFile, registry: CommandRegistry, globals: GlobalTable) -> Program {
        let p = Parser(file: file, registry: registry, globals: globals)
        let statements = p.parseProgram()
        return Program(file: file, statements: statements, diagnostics: p.diagnostics)
    }

    // MARK: - tokens

    /// Moves to the next token, skipping newlines inside `(…)`/`[…]` and reporting
    /// malformed tokens.
    func advance() {
        while true {
            token = lexer.next()
            if token.kind == .newline, let top = brackets.last, top.closer != "}" { continue }
            break
        }
        reportTokenDiagnostic()
    }

    func reportTokenDiagnostic() {
        if let d = token.diagnostic {
            report(Diagnostic(d, at: location(token), isAtEndOfInput: token.atEndOfInput))
            token.diagnostic = nil
        }
    }

    func location(_ t: Token) -> SourceLocation { SourceLocation(file: file, start: t.start, end: t.end) }
    func location(from start: Int) -> SourceLocation { SourceLocation(file: file, start: start, end: max(start, lastEnd)) }
    var lastEnd = 0

    func report(_ d: Diagnostic) {
        // One error per place is enough.
        if let last = diagnostics.last, last.location.start == d.location.start { return }
        diagnostics.append(d)
    }

    func error(_ message: DiagnosticMessage, at t: Token) -> ParseError {
        // The end of a `${…}` is not the end of the input.
        report(Diagnostic(message, at: location(t), isAtEndOfInput: t.kind == .eof && embeddedDepth == 0))
        return ParseError()
    }

    func consume() -> Token {
        let t = token
        lastEnd = t.end
        advance()
        return t
    }

    func isPunct(_ p: String) -> Bool { token.kind == .punct && token.text == p }
    func isKeyword(_ k: String) -> Bool { token.kind == .keyword && token.text == k }

    func describe(_ t: Token) -> String {
        switch t.kind {
        case .eof: return "end of input"
        case .newline: return "a newline"
        case .semicolon: return "';'"
        case .string: return "a string"
        case .int, .float, .duration, .quantity, .milli: return "'\(t.text)'"
        default: return "'\(t.text)'"
        }
    }

    /// Expects a closing bracket; names the opener when it is missing.
    func expectCloser(_ closer: String) throws {
        guard let open = brackets.last, open.closer == closer else { throw error(.expected("'\(closer)'", found: describe(token)), at: token) }
        if isPunct(closer) {
            brackets.removeLast()
            _ = consume()
            return
        }
        let openerLoc = location(open.opener).shortDescription
        throw error(.unclosed(closer, opener: open.opener.text, at: openerLoc), at: token)
    }

    func openBracket(_ closer: String) {
        brackets.append((closer, token))
        _ = consume()
    }

    func expectPunct(_ p: String, after: String) throws {
        guard isPunct(p) else {
            if token.kind == .eof { throw error(.unexpectedEndOfInput("'\(p)' after \(after)"), at: token) }
            throw error(.expected("'\(p)'", after: after), at: token)
        }
        _ = consume()
    }

    func expectIdentifier(after: String) throws -> Token {
        guard token.kind == .identifier else {
            if token.kind == .eof { throw error(.unexpectedEndOfInput("a name after \(after)"), at: token) }
            throw error(.expected("a name", after: after), at: token)
        }
        return consume()
    }

    func enterNesting() throws {
        nesting += 1
        if nesting > Parser.maxNesting { throw error(.nestingTooDeep, at: token) }
    }

    // MARK: - program and statements

    /// program = { separator } { statement separator } EOF
    func parseProgram() -> [Stmt] {
        var out: [Stmt] = []
        while token.kind != .eof {
            let before = token.start
            if token.kind == .newline || token.kind == .semicolon { _ = consume(); continue }
            if isPunct("}") {
                report(Diagnostic(.expected("a statement", found: "'}' with no open '{'"), at: location(token)))
                _ = consume()
                continue
            }
            if let s = parseStatementRecovering() { out.append(s) }
            if token.start == before && token.kind != .eof { _ = consume() }  // progress guard
        }
        return out
    }

    /// Parses one statement and its end; on error, skips to the next statement.
    func parseStatementRecovering() -> Stmt? {
        let savedBrackets = brackets.count
        let savedNesting = nesting
        let savedScopeDepth = scopes.count
        let savedBlockDepth = scopes.last!.blocks.count
        do {
            let s = try parseStatement()
            try expectStatementEnd()
            return s
        } catch {
            brackets.removeLast(brackets.count - savedBrackets)
            nesting = savedNesting
            if scopes.count > savedScopeDepth { scopes.removeLast(scopes.count - savedScopeDepth) }
            let scope = scopes.last!
            if scope.blocks.count > savedBlockDepth { scope.blocks.removeLast(scope.blocks.count - savedBlockDepth) }
            synchronize()
            return nil
        }
    }

    func expectStatementEnd() throws {
        switch token.kind {
        case .newline, .semicolon: _ = consume()
        case .eof: break
        default:
            if isPunct("}") { return }
            throw error(.expectedStatementEnd(found: describe(token)), at: token)
        }
    }

    /// Panic-mode recovery: skip to the end of the line (or a `}` that closes the
    /// enclosing block), stepping over brackets opened on the way.
    func synchronize() {
        var depth = 0
        while token.kind != .eof {
            if depth == 0 && (brackets.isEmpty || brackets.last!.closer == "}") {
                if token.kind == .newline || token.kind == .semicolon { _ = consume(); return }
                if isPunct("}") { return }
            }
            if isPunct("{") || isPunct("(") || isPunct("[") { depth += 1 }
            else if isPunct("}") || isPunct(")") || isPunct("]") { depth = max(0, depth - 1) }
            _ = consume()
        }
    }

    func parseStatement() throws -> Stmt {
        let start = token
        switch token.kind {
        case .keyword:
            switch token.text {
            case "let", "var": return try parseDeclaration()
            case "if": return try parseIf()
            case "for": return try parseFor()
            case "while": return try parseWhile()
            case "func": return try parseFuncDecl()
            case "return":
                _ = consume()
                guard scopes.count > 1 else { throw error(.returnOutsideFunction, at: start) }
                if atStatementEnd { return ReturnStmt(nil, location(start)) }
                let v = try parseExpression()
                return ReturnStmt(v, location(from: start.start))
            case "break", "continue":
                _ = consume()
                guard scopes.last!.loopDepth > 0 else {
                    throw error(start.text == "break" ? .breakOutsideLoop : .continueOutsideLoop, at: start)
                }
                return start.text == "break" ? BreakStmt(location(start)) : ContinueStmt(location(start))
            case "print": return try parsePrint()
            case "assert": return try parseAssert()
            case "expect": return try parseExpect()
            case "include": return try parseInclude()
            default: break
            }
        case .identifier:
            if isCommandStart(inParens: false) { return CommandStmt(try parseCommand(inParens: false)) }
        case .punct where token.text == "{":
            return try parseBlock(newScope: true)
        default: break
        }
        return try parseExpressionOrAssignment()
    }

    var atStatementEnd: Bool {
        token.kind == .newline || token.kind == .semicolon || token.kind == .eof || isPunct("}")
    }

    /// block = "{" { statement separator } "}"
    func parseBlock(newScope: Bool, declare: ((FunctionScope) -> Void)? = nil) throws -> BlockStmt {
        guard isPunct("{") else {
            if token.kind == .eof { throw error(.unexpectedEndOfInput("'{'"), at: token) }
            throw error(.expected("'{'", found: describe(token)), at: token)
        }
        try enterNesting()
        defer { nesting -= 1 }
        let open = token
        openBracket("}")
        let scope = scopes.last!
        if newScope { scope.blocks.append([:]) }
        defer { if newScope { scope.blocks.removeLast() } }
        declare?(scope)
        var statements: [Stmt] = []
        while !isPunct("}") {
            let before = token.start
            if token.kind == .eof {
                throw error(.unclosed("}", opener: "{", at: location(open).shortDescription), at: token)
            }
            if token.kind == .newline || token.kind == .semicolon { _ = consume(); continue }
            if let s = parseStatementRecovering() { statements.append(s) }
            if token.start == before && token.kind != .eof && !isPunct("}") { _ = consume() }
        }
        try expectCloser("}")
        return BlockStmt(statements, location(from: open.start))
    }

    /// declaration = ("let" | "var") name [ "=" expression ]
    func parseDeclaration() throws -> Stmt {
        let kw = consume()
        let isConst = kw.text == "let"
        let nameTok = try expectIdentifier(after: "'\(kw.text)'")
        var value: Expr?
        if isPunct("=") {
            _ = consume()
            value = try parseExpression()
        } else if isConst {
            throw error(.expected("'=' and a value", after: "'let \(nameTok.text)'"), at: token)
        }
        // Declared after the value is parsed: `let x = x + 1` reads the outer x.
        let target = try declare(nameTok, constant: isConst)
        return DeclStmt(nameTok.text, target: target, value: value, location(from: kw.start))
    }

    /// if = "if" expression block { "else" "if" expression block } [ "else" block ]
    func parseIf() throws -> Stmt {
        let kw = consume()
        var branches: [(Expr, BlockStmt)] = []
        let cond = try parseExpression()
        branches.append((cond, try parseBlock(newScope: true)))
        var elseBlock: BlockStmt?
        while isKeyword("else") {
            _ = consume()
            if isKeyword("if") {
                _ = consume()
                let c = try parseExpression()
                branches.append((c, try parseBlock(newScope: true)))
            } else {
                elseBlock = try parseBlock(newScope: true)
                break
            }
        }
        return IfStmt(branches, elseBlock: elseBlock, location(from: kw.start))
    }

    /// for = "for" name "in" expression block
    func parseFor() throws -> Stmt {
        let kw = consume()
        let nameTok = try expectIdentifier(after: "'for'")
        guard isKeyword("in") else { throw error(.expected("'in'", after: "'for \(nameTok.text)'"), at: token) }
        _ = consume()
        let seq = try parseExpression()
        let scope = scopes.last!
        scope.blocks.append([:])
        defer { scope.blocks.removeLast() }
        let variable = try declare(nameTok, constant: false)
        scope.loopDepth += 1
        defer { scope.loopDepth -= 1 }
        let body = try parseBlock(newScope: true)
        return ForStmt(variable: variable, sequence: seq, body: body, location(from: kw.start))
    }

    /// while = "while" expression block
    func parseWhile() throws -> Stmt {
        let kw = consume()
        let cond = try parseExpression()
        scopes.last!.loopDepth += 1
        defer { scopes.last!.loopDepth -= 1 }
        let body = try parseBlock(newScope: true)
        return WhileStmt(cond, body, location(from: kw.start))
    }

    /// funcDecl = "func" name "(" [ params ] ")" block
    func parseFuncDecl() throws -> Stmt {
        let kw = consume()
        let nameTok = try expectIdentifier(after: "'func'")
        // Declared before the body so the function can call itself.
        let target = try declare(nameTok, constant: false, allowRedeclare: true)
        let fn = try parseFunctionRest(name: nameTok.text, start: kw.start)
        return FuncDeclStmt(fn, target: target, location(from: kw.start))
    }

    /// The parameter list and body of `func name(…) {…}` or `func (…) {…}`.
    func parseFunctionRest(name: String, start: Int) throws -> FunctionExpr {
        guard isPunct("(") else { throw error(.expected("'('", after: "'func \(name)'"), at: token) }
        openBracket(")")
        var params: [Token] = []
        while !isPunct(")") && token.kind != .eof {
            params.append(try expectIdentifier(after: params.isEmpty ? "'('" : "','"))
            if isPunct(",") { _ = consume() } else { break }
        }
        try expectCloser(")")
        let scope = FunctionScope(isTopLevel: false)
        scopes.append(scope)
        defer { scopes.removeLast() }
        var paramSlots: [Int] = []
        for p in params {
            guard case .local(let s) = try declare(p, constant: false) else { continue }
            paramSlots.append(s)
        }
        let body = try parseBlock(newScope: true)
        let fb = FunctionBody(statements: body.statements, frameSize: scope.frameSize, parameterSlots: paramSlots)
        return FunctionExpr(name: name, parameters: params.map(\.text), body: fb, location(from: start))
    }

    /// print = "print" [ expression { "," expression } ]
    func parsePrint() throws -> Stmt {
        let kw = consume()
        var values: [Expr] = []
        if !atStatementEnd {
            values.append(try parseExpression())
            while isPunct(",") {
                _ = consume()
                values.append(try parseExpression())
            }
        }
        return PrintStmt(values, location(from: kw.start))
    }

    /// assert = "assert" expression [ "," expression ]
    func parseAssert() throws -> Stmt {
        let kw = consume()
        let cond = try parseExpression()
        var message: Expr?
        if isPunct(",") {
            _ = consume()
            message = try parseExpression()
        }
        return AssertStmt(cond, message: message, location(from: kw.start))
    }

    /// expect = "expect" ( "failure" | "error" expression ) block
    func parseExpect() throws -> Stmt {
        let kw = consume()
        var text: Expr?
        if token.kind == .identifier && token.text == "failure" {
            _ = consume()
        } else if token.kind == .identifier && token.text == "error" {
            _ = consume()
            text = try parseExpression()
        } else {
            throw error(.expected("'failure' or 'error \"text\"'", after: "'expect'"), at: token)
        }
        let body = try parseBlock(newScope: true)
        return ExpectStmt(errorText: text, body: body, location(from: kw.start))
    }

    /// include = "include" string
    func parseInclude() throws -> Stmt {
        let kw = consume()
        guard token.kind == .string, token.parts.allSatisfy({ if case .literal = $0 { return true } else { return false } }) else {
            throw error(.includeNeedsString(found: describe(token)), at: token)
        }
        let t = consume()
        let path = t.parts.map { if case .literal(let s) = $0 { return s } else { return "" } }.joined()
        return IncludeStmt(path, location(from: kw.start))
    }

    /// assignment = target ( "=" | "+=" | "-=" | "*=" | "/=" ) expression ; or an expression
    func parseExpressionOrAssignment() throws -> Stmt {
        if isKeyword("else") {
            throw error(.elseOnNewLine, at: token)
        }
        let startTok = token
        let expr = try parseExpression()
        guard token.kind == .punct, ["=", "+=", "-=", "*=", "/="].contains(token.text) else {
            return ExprStmt(expr)
        }
        let opTok = consume()
        var indices: [Expr] = []
        var base: Expr = expr
        while let ix = base as? IndexExpr {
            indices.insert(ix.index, at: 0)
            base = ix.target
        }
        let name: String
        let ref: VarRef
        switch base {
        case let v as LocalExpr: (name, ref) = (v.name, .local(v.slot))
        case let v as OuterExpr: (name, ref) = (v.name, .outer(hops: v.hops, slot: v.slot))
        case let v as GlobalExpr: (name, ref) = (v.name, .global(v.slot))
        case let v as NamedExpr: (name, ref) = (v.name, .named(v.name))
        default: throw error(.invalidAssignmentTarget, at: startTok)
        }
        if isConstant(name, ref) { throw error(.assignToConstant(name), at: startTok) }
        let value = try parseExpression()
        let op: String? = opTok.text == "=" ? nil : String(opTok.text.dropLast())
        return AssignStmt(target: ref, name: name, indices: indices, op: op, value: value, location(from: startTok.start))
    }
}

/// Names declared in one function (or the top level), block by block.
final class FunctionScope {
    struct Local { let slot: Int; let constant: Bool; let location: SourceLocation }
    var blocks: [[String: Local]] = [[:]]
    var frameSize = 0
    var loopDepth = 0
    let isTopLevel: Bool
    init(isTopLevel: Bool) { self.isTopLevel = isTopLevel }
}

extension Parser {
    /// Declares a name in the innermost block and returns where it lives.
    func declare(_ nameTok: Token, constant: Bool, allowRedeclare: Bool = false) throws -> VarRef {
        let scope = scopes.last!
        let name = nameTok.text
        if scope.isTopLevel && scope.blocks.count == 1 {
            // Top-level names are globals; redeclaring one (as a REPL user does) reuses it.
            return .global(globals.declare(name, constant: constant))
        }
        if let existing = scope.blocks[scope.blocks.count - 1][name], !allowRedeclare {
            throw error(.redeclared(name, at: existing.location.shortDescription), at: nameTok)
        }
        let slot: Int
        if scope.isTopLevel {
            slot = globals.anonymousSlot()
        } else {
            slot = scope.frameSize
            scope.frameSize += 1
        }
        scope.blocks[scope.blocks.count - 1][name] = FunctionScope.Local(slot: slot, constant: constant, location: location(nameTok))
        return scope.isTopLevel ? .global(slot) : .local(slot)
    }

    /// Where a name refers to from here (innermost declaration wins).
    func resolve(_ name: String) -> (VarRef, constant: Bool)? {
        for (hops, scope) in scopes.reversed().enumerated() {
            for (bi, block) in scope.blocks.enumerated().reversed() {
                if scope.isTopLevel && bi == 0 {
                    if let s = globals.slots[name] { return (.global(s), globals.constant[name] ?? false) }
                    continue
                }
                if let local = block[name] {
                    if scope.isTopLevel { return (.global(local.slot), local.constant) }
                    return (hops == 0 ? .local(local.slot) : .outer(hops: hops, slot: local.slot), local.constant)
                }
            }
        }
        return nil
    }

    func isConstant(_ name: String, _ ref: VarRef) -> Bool {
        resolve(name)?.constant ?? false
    }

    func isDeclared(_ name: String) -> Bool { resolve(name) != nil }

    func variableExpr(_ name: String, _ loc: SourceLocation) -> Expr {
        switch resolve(name)?.0 {
        case .local(let s)?: return LocalExpr(name, slot: s, loc)
        case .outer(let h, let s)?: return OuterExpr(name, hops: h, slot: s, loc)
        case .global(let s)?: return GlobalExpr(name, slot: s, loc)
        default: return NamedExpr(name, loc)
        }
    }
}
