import KubeSimCore

extension Parser {
    /// expression = or
    func parseExpression() throws -> Expr {
        try enterNesting()
        defer { nesting -= 1 }
        return try parseOr()
    }

    /// or = and { "or" and }
    func parseOr() throws -> Expr {
        var left = try parseAnd()
        while isKeyword("or") {
            _ = consume()
            let right = try parseAnd()
            left = LogicalExpr(isAnd: false, left, right, left.location.to(right.location))
        }
        return left
    }

    /// and = not { "and" not }
    func parseAnd() throws -> Expr {
        var left = try parseNot()
        while isKeyword("and") {
            _ = consume()
            let right = try parseNot()
            left = LogicalExpr(isAnd: true, left, right, left.location.to(right.location))
        }
        return left
    }

    /// not = "not" not | comparison
    func parseNot() throws -> Expr {
        if isKeyword("not") {
            let kw = consume()
            try enterNesting()
            defer { nesting -= 1 }
            let operand = try parseNot()
            return NotExpr(operand, location(kw).to(operand.location))
        }
        return try parseComparison()
    }

    static let comparisonOps: Set<String> = ["==", "!=", "<", "<=", ">", ">="]

    /// comparison = range [ ( "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not" "in" ) range ]
    func parseComparison() throws -> Expr {
        let left = try parseRange()
        var op: String?
        var negated = false
        if token.kind == .punct && Parser.comparisonOps.contains(token.text) { op = token.text }
        else if isKeyword("in") { op = "in" }
        else if isKeyword("not") && nextWordIs("in") {
            // `x not in xs`
            _ = consume()
            op = "in"
            negated = true
        }
        guard let op else { return left }
        _ = consume()
        let right = try parseRange()
        let loc = left.location.to(right.location)
        let expr: Expr = negated ? NotExpr(BinaryExpr(op, left, right, loc), loc) : BinaryExpr(op, left, right, loc)
        if (token.kind == .punct && Parser.comparisonOps.contains(token.text)) || isKeyword("in") {
            throw error(.comparisonChain, at: token)
        }
        return expr
    }

    /// Whether the raw text after the current token is the word `word`.
    func nextWordIs(_ word: String) -> Bool {
        var i = 0
        while lexer.peek(i) == 0x20 || lexer.peek(i) == 0x09 { i += 1 }
        for b in word.utf8 {
            if lexer.peek(i) != b { return false }
            i += 1
        }
        return !Lexer.isIdentPart(lexer.peek(i))
    }

    /// range = additive [ ( "..." | "..<" ) additive ]
    func parseRange() throws -> Expr {
        let left = try parseAdditive()
        guard isPunct("...") || isPunct("..<") else { return left }
        let closed = consume().text == "..."
        let right = try parseAdditive()
        return RangeExpr(left, right, closed: closed, left.location.to(right.location))
    }

    /// additive = multiplicative { ( "+" | "-" ) multiplicative }
    func parseAdditive() throws -> Expr {
        var left = try parseMultiplicative()
        while isPunct("+") || isPunct("-") {
            let op = consume().text
            let right = try parseMultiplicative()
            left = BinaryExpr(op, left, right, left.location.to(right.location))
        }
        return left
    }

    /// multiplicative = unary { ( "*" | "/" | "%" ) unary }
    func parseMultiplicative() throws -> Expr {
        var left = try parseUnary()
        while isPunct("*") || isPunct("/") || isPunct("%") {
            let op = consume().text
            let right = try parseUnary()
            left = BinaryExpr(op, left, right, left.location.to(right.location))
        }
        return left
    }

    /// unary = "-" unary | postfix
    func parseUnary() throws -> Expr {
        if isPunct("-") {
            let op = consume()
            try enterNesting()
            defer { nesting -= 1 }
            let operand = try parseUnary()
            // Fold negative literals so `-5` is a literal (and `assert x == -5` shows one side).
            if let lit = operand as? LiteralExpr {
                switch lit.value {
                case .int(let i): return LiteralExpr(.int(-i), location(op).to(operand.location))
                case .float(let d): return LiteralExpr(.float(-d), location(op).to(operand.location))
                default: break
                }
            }
            return UnaryExpr("-", operand, location(op).to(operand.location))
        }
        return try parsePostfix()
    }

    /// postfix = primary { "(" arguments ")" | "." name | "[" expression "]" }
    func parsePostfix() throws -> Expr {
        var expr = try parsePrimary()
        while true {
            if isPunct("(") && !token.spaceBefore {
                openBracket(")")
                var args: [Expr] = []
                while !isPunct(")") && token.kind != .eof {
                    args.append(try parseArgument())
                    if isPunct(",") { _ = consume() } else { break }
                }
                try expectCloser(")")
                expr = CallExpr(expr, args, location(from: expr.location.start))
            } else if isPunct(".") {
                _ = consume()
                guard token.kind == .identifier || token.kind == .keyword else {
                    throw error(.expected("a member name", after: "'.'"), at: token)
                }
                let name = consume()
                expr = MemberExpr(expr, name.text, nameLocation: location(name), location(from: expr.location.start))
            } else if isPunct("[") && !token.spaceBefore {
                openBracket("]")
                let index = try parseExpression()
                try expectCloser("]")
                expr = IndexExpr(expr, index, location(from: expr.location.start))
            } else {
                return expr
            }
        }
    }

    /// argument = selector-word | expression. `app=web` glued together is a kubectl
    /// label selector, as in `pods(app=web, tier!=db)`.
    func parseArgument() throws -> Expr {
        if token.kind == .identifier {
            if lexer.selectorAhead(from: token.start) {
                token = lexer.rescanSelector(from: token.start)
                let t = consume()
                return LiteralExpr(.string(t.text), location(t))
            }
        }
        return try parseExpression()
    }

    /// primary = literal | name | "(" expression ")" | "(" command ")" | list | map | function
    func parsePrimary() throws -> Expr {
        let t = token
        let loc = location(t)
        switch t.kind {
        case .int:
            _ = consume()
            guard let v = Int(t.text) else { throw error(.integerLiteralTooLarge(t.text), at: t) }
            return LiteralExpr(.int(v), loc)
        case .float:
            _ = consume()
            return LiteralExpr(.float(Double(t.text) ?? 0), loc)
        case .duration:
            _ = consume()
            return LiteralExpr(.duration(SimDuration(parsing: t.text)!), loc)
        case .quantity:
            _ = consume()
            return LiteralExpr(.quantity(Quantity(parsing: t.text)!), loc)
        case .milli:
            _ = consume()
            return MilliLiteralExpr(minutes: SimDuration(parsing: t.text) ?? .zero, quantity: Quantity(parsing: t.text) ?? Quantity(0), loc)
        case .ip:
            _ = consume()
            return LiteralExpr(.ip(IPv4Address(parsing: t.text)!), loc)
        case .cidr:
            _ = consume()
            return LiteralExpr(.cidr(CIDR(parsing: t.text)!), loc)
        case .endpoint:
            _ = consume()
            return LiteralExpr(.endpoint(IPEndpoint(parsing: t.text)!), loc)
        case .word:
            if let slash = t.text.firstIndex(of: "/"), isDeclared(String(t.text[..<slash])) {
                // `ns/2` where `ns` is a variable: division, not a resource word.
                let name = String(t.text[..<slash])
                lexer.position = t.start + name.utf8.count
                token = Token(.identifier, t.start, lexer.position, name)
                _ = consume()
                return variableExpr(name, SourceLocation(file: file, start: t.start, end: t.start + name.utf8.count))
            }
            _ = consume()
            return LiteralExpr(.string(t.text), loc)
        case .string:
            _ = consume()
            return try stringExpr(t.parts, loc)
        case .keyword:
            switch t.text {
            case "true": _ = consume(); return LiteralExpr(.bool(true), loc)
            case "false": _ = consume(); return LiteralExpr(.bool(false), loc)
            case "nil": _ = consume(); return LiteralExpr(.nil, loc)
            case "func":
                _ = consume()
                return try parseFunctionRest(name: "<anonymous>", start: t.start)
            default: break
            }
        case .identifier:
            _ = consume()
            return variableExpr(t.text, loc)
        case .punct:
            if t.text == "(" { return try parseParenthesized() }
            if t.text == "[" { return try parseListOrMap() }
        case .eof:
            throw error(.unexpectedEndOfInput("an expression"), at: t)
        default: break
        }
        throw error(.expectedExpression(found: describe(t)), at: t)
    }

    /// "(" expression ")" | "(" command ")"
    func parseParenthesized() throws -> Expr {
        let open = token
        openBracket(")")
        if token.kind == .identifier && isCommandStart(inParens: true) {
            let command = try parseCommand(inParens: true)
            try expectCloser(")")
            return CommandExpr(command, location(from: open.start))
        }
        let inner = try parseExpression()
        try expectCloser(")")
        return inner
    }

    /// list = "[" [ expression { "," expression } [ "," ] ] "]" ;
    /// map = "[" ":" "]" | "[" expression ":" expression { "," … } [ "," ] "]"
    func parseListOrMap() throws -> Expr {
        let open = token
        openBracket("]")
        if isPunct(":") {
            _ = consume()
            try expectCloser("]")
            return MapExpr([], location(from: open.start))
        }
        if isPunct("]") {
            try expectCloser("]")
            return ListExpr([], location(from: open.start))
        }
        let first = try parseExpression()
        if isPunct(":") {
            _ = consume()
            var entries = [(first, try parseExpression())]
            while isPunct(",") {
                _ = consume()
                if isPunct("]") { break }
                let k = try parseExpression()
                try expectPunct(":", after: "a map key")
                entries.append((k, try parseExpression()))
            }
            try expectCloser("]")
            return MapExpr(entries, location(from: open.start))
        }
        var items = [first]
        while isPunct(",") {
            _ = consume()
            if isPunct("]") { break }
            items.append(try parseExpression())
        }
        try expectCloser("]")
        return ListExpr(items, location(from: open.start))
    }

    /// A string's parts as an expression; each `${…}` is parsed from its source range.
    func stringExpr(_ parts: [StringPart], _ loc: SourceLocation) throws -> Expr {
        var pieces: [StringExpr.Piece] = []
        for p in parts {
            switch p {
            case .literal(let s): pieces.append(.text(s))
            case .interpolation(let r): pieces.append(.expr(try parseEmbedded(r)))
            case .variable(let name, let r): pieces.append(.expr(variableExpr(name, SourceLocation(file: file, start: r.lowerBound, end: r.upperBound))))
            }
        }
        if pieces.isEmpty { return LiteralExpr(.string(""), loc) }
        if pieces.count == 1, case .text(let s) = pieces[0] { return LiteralExpr(.string(s), loc) }
        return StringExpr(pieces, loc)
    }

    /// Parses the expression inside `${…}` with a lexer over just that range.
    func parseEmbedded(_ range: Range<Int>) throws -> Expr {
        let savedLexer = lexer, savedToken = token, savedBrackets = brackets, savedEnd = lastEnd
        embeddedDepth += 1
        defer { lexer = savedLexer; token = savedToken; brackets = savedBrackets; lastEnd = savedEnd; embeddedDepth -= 1 }
        lexer = Lexer(file: file, start: range.lowerBound, end: range.upperBound)
        brackets = [("}", Token(.punct, range.lowerBound - 1, range.lowerBound, "{"))]
        advance()
        if token.kind == .eof { throw error(.expectedExpression(found: "'}'"), at: token) }
        let e = try parseExpression()
        guard token.kind == .eof else { throw error(.expected("'}'", found: describe(token)), at: token) }
        return e
    }
}
