extension Parser {
    /// Whether the identifier at `token` starts a command line rather than an
    /// expression. Decided from the raw text after the word: a declared variable is an
    /// expression; `x = …`, `x(…)`, `x.y`, `x[…]` and operators are expressions; a
    /// registered command followed by words, flags or nothing is a command; an unknown
    /// word followed by another word is an (unknown) command, so it gets a suggestion.
    func isCommandStart(inParens: Bool) -> Bool {
        let name = token.text
        if name == "kubectl" { return true }
        if isDeclared(name) { return false }
        if hyphenatedCommand() != nil { return true }
        let known = registry.lookup(name) != nil
        var i = 0
        var sawSpace = false
        while lexer.peek(i) == 0x20 || lexer.peek(i) == 0x09 { i += 1; sawSpace = true }
        let c = lexer.peek(i), d = lexer.peek(i + 1)
        // Assignments: `x = 1`, `x += 1` (even when x is also a command name).
        if c == UInt8(ascii: "=") && d != UInt8(ascii: "=") { return false }
        if d == UInt8(ascii: "=") && (c == UInt8(ascii: "+") || c == UInt8(ascii: "-") || c == UInt8(ascii: "*") || c == UInt8(ascii: "/")) { return false }
        switch c {
        case 0, 0x0A, 0x0D, UInt8(ascii: ";"), UInt8(ascii: "#"), UInt8(ascii: "}"):
            return known
        case UInt8(ascii: ")"):
            return known && inParens
        case UInt8(ascii: "-"):
            // `get -o wide`, `deploymnet --replicas=2`, `tick -5s` (a command with a
            // negative argument, which it then refuses); but `x - 1` and, for a word
            // that is no command, `x -1` are arithmetic.
            return sawSpace && d != 0x20 && d != 0x09 && (!Lexer.isDigit(d) || known)
        case UInt8(ascii: "<"):
            return known && d == UInt8(ascii: "<")
        case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "$"):
            return sawSpace
        default:
            guard sawSpace else { return false }
            if Lexer.isIdentStart(c) {
                // `a and b`, `x in xs`, `not` are operators.
                var j = i
                var word = ""
                while Lexer.isIdentPart(lexer.peek(j)) { word.append(Character(UnicodeScalar(lexer.peek(j)))); j += 1 }
                return !["and", "or", "in", "not"].contains(word)
            }
            return known || Lexer.isDigit(c)
        }
    }

    /// A registered command whose name has hyphens (`cluster-info`, `api-resources`):
    /// the identifier and the `-word` parts right after it, and how many bytes follow
    /// the identifier. `x-1` and `a - b` stay arithmetic.
    func hyphenatedCommand() -> (name: String, length: Int)? {
        guard lexer.peek(0) == UInt8(ascii: "-"), Lexer.isIdentStart(lexer.peek(1)) else { return nil }
        var i = 0
        var name = token.text
        while lexer.peek(i) == UInt8(ascii: "-") || Lexer.isIdentPart(lexer.peek(i)) {
            name.append(Character(UnicodeScalar(lexer.peek(i))))
            i += 1
        }
        return registry.lookup(name) != nil ? (name, i) : nil
    }

    /// command = [ "kubectl" ] name { word } [ heredoc ]
    /// Words are lexed shell-style up to the end of the line (or the closing `)` of a
    /// parenthesised command); the spec is checked here so typos are reported before
    /// anything runs.
    func parseCommand(inParens: Bool) throws -> CommandNode {
        let first = token
        lastEnd = first.end
        var nameTok = first
        var nameText = first.text
        if first.text == "kubectl" {
            let w = lexer.nextCommandWord(inParens: inParens)
            guard w.kind == .commandWord, w.parts.count == 1, case .literal(let n) = w.parts[0], !w.quoted else {
                token = w
                throw error(.expected("a command", after: "'kubectl'"), at: w)
            }
            nameTok = w
            nameText = n
        } else if let h = hyphenatedCommand() {
            lexer.position += h.length
            nameText = h.name
        }
        guard let spec = registry.lookup(nameText) else {
            let suggestion = Suggest.nearest(nameText, in: registry.allNames)
            report(Diagnostic(.unknownCommand(nameText, suggestion: suggestion), at: location(nameTok)))
            skipCommandLine(inParens: inParens)
            throw ParseError()
        }
        var words: [WordNode] = []
        var heredocSpec: HeredocSpec?
        var heredocToken: Token?
        var heredocNode: WordNode?
        let inBlock = brackets.contains { $0.closer == "}" }
        var t = lexer.nextCommandWord(inParens: inParens, inBlock: inBlock)
        while true {
            if let d = t.diagnostic {
                report(Diagnostic(d, at: location(t), isAtEndOfInput: t.atEndOfInput))
                if t.atEndOfInput { token = Token(.eof, t.end, t.end, ""); throw ParseError() }
            }
            switch t.kind {
            case .commandWord where spec.acceptsBlock && !inParens && t.text == "{" && !t.quoted:
                // Block form: `cluster {` then one setting per line up to a line `}`.
                let open = t
                let next = lexer.nextCommandWord(inParens: false, inBlock: false)
                guard next.kind == .newline else {
                    throw error(.expected("a newline", after: "'{' of a '\(nameText)' block"), at: next)
                }
                let body = lexer.heredocBody(HeredocSpec(delimiter: "}", stripIndent: true, interpolate: true))
                if body.diagnostic != nil {
                    report(Diagnostic(.unclosed("}", opener: "{", at: location(open).shortDescription), at: location(open), isAtEndOfInput: body.atEndOfInput))
                    token = Token(.eof, body.end, body.end, "")
                    throw ParseError()
                }
                heredocNode = try wordNode(body)
                lastEnd = body.end
                t = Token(.newline, body.end, body.end, "\n")
                break
            case .commandWord:
                words.append(try wordNode(t))
                lastEnd = t.end
                t = lexer.nextCommandWord(inParens: inParens, inBlock: inBlock)
                continue
            case .heredocStart:
                guard spec.acceptsHeredoc || spec.subcommands.contains(where: \.acceptsHeredoc) else {
                    report(Diagnostic(.noHeredoc(nameText), at: location(t)))
                    skipCommandLine(inParens: inParens)
                    throw ParseError()
                }
                heredocSpec = t.heredoc
                heredocToken = t
                lastEnd = t.end
                t = lexer.nextCommandWord(inParens: inParens, inBlock: inBlock)
                continue
            default:
                break
            }
            break
        }
        if let spec = heredocSpec, let ht = heredocToken {
            guard t.kind == .newline || (t.kind == .eof) else {
                if inParens { throw error(.heredocInExpression, at: t) }
                throw error(.expected("the end of the line", after: "the heredoc marker"), at: t)
            }
            if t.kind == .eof {
                token = t
                report(Diagnostic(.unterminatedHeredoc(spec.delimiter), at: location(ht), isAtEndOfInput: true))
                throw ParseError()
            }
            let body = lexer.heredocBody(spec)
            if let d = body.diagnostic {
                if let at = body.diagnosticStart {
                    // An unclosed `${` on a body line: the heredoc itself is whole, so
                    // parsing goes on after its terminator line.
                    report(Diagnostic(d, at: SourceLocation(file: file, start: at, end: at + 2)))
                    token = Token(.newline, body.end, body.end, "\n")
                    throw ParseError()
                }
                report(Diagnostic(d, at: location(ht), isAtEndOfInput: body.atEndOfInput))
                token = Token(.eof, body.end, body.end, "")
                throw ParseError()
            }
            heredocNode = try wordNode(body)
            lastEnd = body.end
            // The line after the terminator starts the next statement.
            t = Token(.newline, body.end, body.end, "\n")
        }
        token = t
        let node = CommandNode(spec: spec, path: [spec.name], words: words, heredoc: heredocNode,
                               location: SourceLocation(file: file, start: first.start, end: lastEnd))
        checkCommand(node, nameLocation: location(nameTok))
        return node
    }

    /// Turns a lexed command word into literal and interpolated pieces.
    func wordNode(_ t: Token) throws -> WordNode {
        var pieces: [WordNode.Piece] = []
        for p in t.parts {
            switch p {
            case .literal(let s): pieces.append(.text(s))
            case .interpolation(let r): pieces.append(.expr(try parseEmbedded(r)))
            case .variable(let name, let r):
                pieces.append(.expr(variableExpr(name, SourceLocation(file: file, start: r.lowerBound - 1, end: r.upperBound))))
            }
        }
        if pieces.isEmpty { pieces = [.text("")] }
        return WordNode(pieces: pieces, location: location(t), quoted: t.quoted)
    }

    /// Binds the literal words against the spec now, so unknown sub-commands and flags
    /// are reported with the others (`kubesim check` sees them without running).
    func checkCommand(_ node: CommandNode, nameLocation: SourceLocation) {
        let words: [String?] = node.words.map(\.literal)
        if case .failure(let e) = registry.bind(node.spec, words: words, quoted: node.words.map(\.quoted), location: node.location) {
            let loc = e.wordIndex.map { node.words[$0].location } ?? nameLocation
            report(Diagnostic(e.message, at: loc))
        }
    }

    /// Skips the rest of a command line after an error (so its words are not
    /// re-read as statements); leaves `token` at the line end.
    func skipCommandLine(inParens: Bool) {
        while true {
            let t = lexer.nextCommandWord(inParens: inParens, inBlock: brackets.contains { $0.closer == "}" })
            if t.kind == .newline || t.kind == .semicolon || t.kind == .eof || (inParens && t.kind == .punct) {
                token = t
                return
            }
        }
    }
}
