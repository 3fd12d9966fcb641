import KubeSimCore

/// Turns source bytes into tokens on demand. It never throws: a malformed token
/// carries a diagnostic for the parser to report. Two modes, chosen by the parser:
/// `next()` lexes expressions and statements; `nextCommandWord(inParens:)` lexes the
/// shell-like words of a command line (`--replicas=3`, `deployment/web`, `${expr}`).
public struct Lexer {
    public let file: SourceFile
    let bytes: [UInt8]
    public var position: Int
    /// Byte offset where lexing stops (an interpolation sub-range ends before the file does).
    let limit: Int

    /// Resource kinds that may start a `kind/name` word inside an expression
    /// (`reachable(pod/test, svc/web)`); anything else before `/` is division.
    static let resourceKinds: Set<String> = [
        "pod", "pods", "po", "svc", "service", "services", "deployment", "deployments", "deploy",
        "replicaset", "replicasets", "rs", "statefulset", "statefulsets", "sts", "daemonset",
        "daemonsets", "ds", "job", "jobs", "cronjob", "cronjobs", "cj", "node", "nodes", "no",
        "namespace", "namespaces", "ns", "configmap", "configmaps", "cm", "secret", "secrets",
        "ingress", "ingresses", "ing", "networkpolicy", "networkpolicies", "netpol",
        "endpoints", "ep", "endpointslice", "endpointslices", "pvc", "persistentvolumeclaim",
        "serviceaccount", "sa", "role", "clusterrole", "rolebinding", "clusterrolebinding",
        "lease", "leases", "event", "events", "ev",
    ]

    static let keywords: Set<String> = [
        "let", "var", "if", "else", "for", "in", "while", "func", "return", "break", "continue",
        "print", "assert", "expect", "include", "true", "false", "nil", "and", "or", "not",
    ]

    public init(file: SourceFile, start: Int = 0, end: Int? = nil) {
        self.file = file
        self.bytes = file.bytes
        self.position = start
        self.limit = end ?? file.bytes.count
    }

    // MARK: - byte helpers

    @inline(__always) func peek(_ offset: Int = 0) -> UInt8 {
        let i = position + offset
        return i < limit ? bytes[i] : 0
    }
    var atEnd: Bool { position >= limit }

    @inline(__always) static func isIdentStart(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || b == 0x5F
    }
    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    @inline(__always) static func isIdentPart(_ b: UInt8) -> Bool { isIdentStart(b) || isDigit(b) }

    func text(_ start: Int, _ end: Int) -> String { String(decoding: bytes[start..<end], as: UTF8.self) }

    /// Skips spaces, tabs, carriage returns, comments and backslash-newline
    /// continuations. Returns whether anything was skipped.
    @discardableResult
    mutating func skipTrivia() -> Bool {
        let begin = position
        while !atEnd {
            let b = peek()
            if b == 0x20 || b == 0x09 || b == 0x0D {
                position += 1
            } else if b == UInt8(ascii: "\\") && (peek(1) == 0x0A || (peek(1) == 0x0D && peek(2) == 0x0A)) {
                position += peek(1) == 0x0A ? 2 : 3
            } else if b == UInt8(ascii: "#") {
                while !atEnd && peek() != 0x0A { position += 1 }
            } else {
                break
            }
        }
        return position > begin
    }

    // MARK: - expression mode

    public mutating func next() -> Token {
        let hadSpace = skipTrivia() || position == 0 || (position > 0 && bytes[position - 1] == 0x0A)
        var token = lexOne()
        token.spaceBefore = hadSpace
        return token
    }

    mutating func lexOne() -> Token {
        let start = position
        guard !atEnd else { return Token(.eof, limit, limit, "") }
        let b = peek()
        if b == 0x0A {
            position += 1
            return Token(.newline, start, position, "\n")
        }
        if b == UInt8(ascii: ";") {
            position += 1
            return Token(.semicolon, start, position, ";")
        }
        if Lexer.isIdentStart(b) { return lexIdentifier() }
        if Lexer.isDigit(b) { return lexNumber() }
        if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") { return lexString() }
        return lexPunct()
    }

    mutating func lexIdentifier() -> Token {
        let start = position
        while !atEnd && Lexer.isIdentPart(peek()) { position += 1 }
        // `kind/name` words, and `-` inside them (`pod/web-1`).
        let name = text(start, position)
        if peek() == UInt8(ascii: "/") && Lexer.resourceKinds.contains(name) && isWordByte(peek(1)) && peek(1) != UInt8(ascii: "/") {
            position += 1
            while !atEnd && (isWordByte(peek()) || peek() == UInt8(ascii: ":")) { position += 1 }
            return Token(.word, start, position, text(start, position))
        }
        return Token(Lexer.keywords.contains(name) ? .keyword : .identifier, start, position, name)
    }

    @inline(__always) func isWordByte(_ b: UInt8) -> Bool {
        Lexer.isIdentPart(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
    }

    /// Whether the bytes from `start` form a label key glued to `=`/`!=` (not `==`):
    /// `job-name=pi`, `app.kubernetes.io/name=web`.
    public func selectorAhead(from start: Int) -> Bool {
        var i = start
        while i < bytes.count, isWordByte(bytes[i]) || bytes[i] == UInt8(ascii: "/") { i += 1 }
        guard i > start, i < bytes.count else { return false }
        let next = bytes[i], next2 = i + 1 < bytes.count ? bytes[i + 1] : 0
        return (next == UInt8(ascii: "=") && next2 != UInt8(ascii: "=")) || (next == UInt8(ascii: "!") && next2 == UInt8(ascii: "="))
    }

    /// Re-lexes from `start` as a kubectl selector word (`app=web,tier!=db`); the
    /// parser asks for this in call arguments when an identifier is glued to `=`/`!=`.
    public mutating func rescanSelector(from start: Int) -> Token {
        position = start
        while !atEnd {
            let c = peek()
            if isWordByte(c) || c == UInt8(ascii: "=") || c == UInt8(ascii: "!") || c == UInt8(ascii: "/")
                || (c == UInt8(ascii: ",") && Lexer.isIdentStart(peek(1))) {
                position += 1
            } else {
                break
            }
        }
        return Token(.word, start, position, text(start, position))
    }

    mutating func lexNumber() -> Token {
        let start = position
        while Lexer.isDigit(peek()) { position += 1 }
        // Dotted quad: IP, CIDR or ip:port.
        if peek() == UInt8(ascii: "."), Lexer.isDigit(peek(1)), looksLikeIP() {
            while Lexer.isDigit(peek()) || peek() == UInt8(ascii: ".") { position += 1 }
            let ipText = text(start, position)
            guard IPv4Address(parsing: ipText) != nil else {
                var t = Token(.invalid, start, position, ipText)
                t.diagnostic = .invalidAddress(ipText)
                return t
            }
            if peek() == UInt8(ascii: "/") && Lexer.isDigit(peek(1)) {
                position += 1
                while Lexer.isDigit(peek()) { position += 1 }
                let s = text(start, position)
                var t = Token(CIDR(parsing: s) == nil ? .invalid : .cidr, start, position, s)
                if t.kind == .invalid { t.diagnostic = .invalidCIDR(s) }
                return t
            }
            if peek() == UInt8(ascii: ":") && Lexer.isDigit(peek(1)) {
                position += 1
                while Lexer.isDigit(peek()) { position += 1 }
                let s = text(start, position)
                var t = Token(IPEndpoint(parsing: s) == nil ? .invalid : .endpoint, start, position, s)
                if t.kind == .invalid { t.diagnostic = .invalidEndpoint(s) }
                return t
            }
            return Token(.ip, start, position, ipText)
        }
        var isFloat = false
        if peek() == UInt8(ascii: "."), Lexer.isDigit(peek(1)) {
            isFloat = true
            position += 1
            while Lexer.isDigit(peek()) { position += 1 }
        }
        guard Lexer.isIdentStart(peek()) || peek() == 0xC2 /* µ */ else {
            return Token(isFloat ? .float : .int, start, position, text(start, position))
        }
        // A unit or suffix follows: duration (`1h30m`, `500ms`) or quantity (`1Gi`).
        while isWordByte(peek()) || peek() == 0xC2 || peek() == 0xB5 {
            if peek() == UInt8(ascii: "-") || peek() == UInt8(ascii: ".") {
                // `1.5s` has its dot already; a dot or dash after a unit ends the token
                // unless a digit follows a dot (`1m1.5s`).
                if peek() == UInt8(ascii: ".") && Lexer.isDigit(peek(1)) { position += 1; continue }
                break
            }
            position += 1
        }
        let s = text(start, position)
        if s.hasSuffix("m"), s.dropLast().allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), s.dropLast().first?.isNumber == true {
            return Token(.milli, start, position, s)
        }
        if SimDuration(parsing: s) != nil { return Token(.duration, start, position, s) }
        if Quantity(parsing: s) != nil { return Token(.quantity, start, position, s) }
        var t = Token(.invalid, start, position, s)
        t.diagnostic = .invalidNumberSuffix(s)
        return t
    }

    func looksLikeIP() -> Bool {
        var i = position, dots = 0
        while i < limit && (Lexer.isDigit(bytes[i]) || bytes[i] == UInt8(ascii: ".")) {
            if bytes[i] == UInt8(ascii: ".") {
                // `1...10` is a range, not an address.
                if i + 1 < limit && bytes[i + 1] == UInt8(ascii: ".") { return false }
                dots += 1
            }
            i += 1
        }
        return dots == 3
    }

    static let punctuation3 = ["...", "..<"]
    static let punctuation2 = ["==", "!=", "<=", ">=", "+=", "-=", "*=", "/="]
    static let punctuation1: Set<UInt8> = Set("()[]{},:.+-*/%=<>".utf8)

    mutating func lexPunct() -> Token {
        let start = position
        for p in Lexer.punctuation3 where matches(p) {
            position += 3
            return Token(.punct, start, position, p)
        }
        for p in Lexer.punctuation2 where matches(p) {
            position += 2
            return Token(.punct, start, position, p)
        }
        let b = peek()
        if Lexer.punctuation1.contains(b) {
            position += 1
            return Token(.punct, start, position, String(UnicodeScalar(b)))
        }
        // Skip one whole UTF-8 scalar.
        position += 1
        while !atEnd && peek() & 0xC0 == 0x80 { position += 1 }
        let s = text(start, position)
        var t = Token(.invalid, start, position, s)
        t.diagnostic = .unexpectedCharacter(s)
        return t
    }

    func matches(_ p: String) -> Bool {
        var i = 0
        for b in p.utf8 {
            if peek(i) != b { return false }
            i += 1
        }
        return true
    }

    // MARK: - strings

    /// `"…"` with escapes and `${expr}`; `'…'` with no interpolation.
    mutating func lexString() -> Token {
        let start = position
        let quote = peek()
        position += 1
        var parts: [StringPart] = []
        var literal: [UInt8] = []
        var token = Token(.string, start, start, "")
        func flush() {
            if !literal.isEmpty { parts.append(.literal(String(decoding: literal, as: UTF8.self))); literal = [] }
        }
        while true {
            if atEnd || peek() == 0x0A {
                token.diagnostic = .unterminatedString
                token.atEndOfInput = atEnd
                break
            }
            let b = peek()
            if b == quote { position += 1; break }
            if b == UInt8(ascii: "\\") && quote == UInt8(ascii: "'") {
                // Single quotes are raw, as in a shell, apart from \' and \\.
                if peek(1) == quote || peek(1) == b { literal.append(peek(1)); position += 2 } else { literal.append(b); position += 1 }
                continue
            }
            if b == UInt8(ascii: "\\") {
                if let (decoded, length) = decodeEscape(quote: quote) {
                    literal.append(contentsOf: decoded)
                    position += length
                } else {
                    let bad = text(position, min(limit, position + 2))
                    token.diagnostic = token.diagnostic ?? .invalidEscape(bad)
                    position += min(2, limit - position)
                }
                continue
            }
            if quote == UInt8(ascii: "\"") && b == UInt8(ascii: "$") && peek(1) == UInt8(ascii: "{") {
                flush()
                if let range = scanInterpolation() {
                    parts.append(.interpolation(range))
                } else {
                    token.diagnostic = .unterminatedInterpolation
                    token.atEndOfInput = true
                    break
                }
                continue
            }
            literal.append(b)
            position += 1
        }
        flush()
        token.end = position
        token.text = text(start, position)
        token.parts = parts
        return token
    }

    /// Decodes `\n \t \r \0 \\ \" \' \$ \u{…}` at the cursor; nil for an unknown escape.
    func decodeEscape(quote: UInt8) -> ([UInt8], Int)? {
        let c = peek(1)
        switch c {
        case UInt8(ascii: "n"): return ([0x0A], 2)
        case UInt8(ascii: "t"): return ([0x09], 2)
        case UInt8(ascii: "r"): return ([0x0D], 2)
        case UInt8(ascii: "0"): return ([0x00], 2)
        case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "$"): return ([c], 2)
        case UInt8(ascii: "u"):
            guard peek(2) == UInt8(ascii: "{") else { return nil }
            var i = 3
            var hex = ""
            while peek(i) != UInt8(ascii: "}") && i < 12 && peek(i) != 0 {
                hex.append(Character(UnicodeScalar(peek(i))))
                i += 1
            }
            guard peek(i) == UInt8(ascii: "}"), let v = UInt32(hex, radix: 16), let scalar = UnicodeScalar(v) else { return nil }
            return (Array(String(Character(scalar)).utf8), i + 1)
        default: return nil
        }
    }

    /// At `${`: finds the matching `}` (nested braces and strings allowed) and returns
    /// the byte range of the expression inside; nil when input ends first.
    mutating func scanInterpolation() -> Range<Int>? {
        position += 2
        let exprStart = position
        var depth = 0
        while !atEnd {
            let b = peek()
            if b == UInt8(ascii: "{") { depth += 1 }
            else if b == UInt8(ascii: "}") {
                if depth == 0 {
                    let range = exprStart..<position
                    position += 1
                    return range
                }
                depth -= 1
            } else if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") {
                let q = b
                position += 1
                while !atEnd && peek() != q && peek() != 0x0A {
                    if peek() == UInt8(ascii: "\\") { position += 1 }
                    position += 1
                }
                // A backslash as the last byte steps past the end: never beyond it.
                if atEnd { position = limit; return nil }
            }
            position += 1
        }
        return nil
    }

    // MARK: - command mode

    /// The next shell-like word of a command line. Words end at whitespace, `;`, a
    /// newline, a comment and (inside a parenthesised command) an unbalanced `)`.
    /// Quotes group text; `${expr}` and `$name` interpolate; `<<EOF` starts a heredoc.
    /// Inside a block (`inBlock`), a `}` at the start of a word closes the block, so
    /// one-liners like `for i in 1...3 { help seed }` work.
    public mutating func nextCommandWord(inParens: Bool, inBlock: Bool = false) -> Token {
        while true {
            let skipped = skipTrivia()
            if inParens && peek() == 0x0A { position += 1; continue }
            if inBlock && !inParens && peek() == UInt8(ascii: "}") {
                position += 1
                return Token(.punct, position - 1, position, "}")
            }
            var t = lexCommandWord(inParens: inParens)
            t.spaceBefore = skipped
            return t
        }
    }

    mutating func lexCommandWord(inParens: Bool) -> Token {
        let start = position
        guard !atEnd else { return Token(.eof, limit, limit, "") }
        let b = peek()
        if b == 0x0A { position += 1; return Token(.newline, start, position, "\n") }
        if b == UInt8(ascii: ";") { position += 1; return Token(.semicolon, start, position, ";") }
        if inParens && b == UInt8(ascii: ")") { position += 1; return Token(.punct, start, position, ")") }
        if b == UInt8(ascii: "<") && peek(1) == UInt8(ascii: "<") && peek(2) != UInt8(ascii: "<") {
            return lexHeredocStart()
        }
        var token = Token(.commandWord, start, start, "")
        var parts: [StringPart] = []
        var literal: [UInt8] = []
        var parenDepth = 0
        func flush() {
            if !literal.isEmpty { parts.append(.literal(String(decoding: literal, as: UTF8.self))); literal = [] }
        }
        loop: while !atEnd {
            let c = peek()
            switch c {
            case 0x20, 0x09, 0x0D, 0x0A, UInt8(ascii: ";"):
                break loop
            case UInt8(ascii: "("):
                parenDepth += 1
                literal.append(c); position += 1
            case UInt8(ascii: ")"):
                if inParens && parenDepth == 0 { break loop }
                parenDepth -= 1
                literal.append(c); position += 1
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                // A word that starts quoted is a positional even if it looks like a flag
                // ("--"); quotes inside a word (--schedule="*/5 * * * *") only group.
                if literal.isEmpty && parts.isEmpty { token.quoted = true }
                let q = c
                position += 1
                while true {
                    if atEnd || peek() == 0x0A {
                        token.diagnostic = .unterminatedString
                        token.atEndOfInput = atEnd
                        break
                    }
                    let d = peek()
                    if d == q { position += 1; break }
                    if d == UInt8(ascii: "\\") && q == UInt8(ascii: "\"") {
                        if let (decoded, length) = decodeEscape(quote: q) {
                            literal.append(contentsOf: decoded); position += length
                        } else {
                            literal.append(d); position += 1
                        }
                        continue
                    }
                    if q == UInt8(ascii: "\"") && d == UInt8(ascii: "$") {
                        if let part = lexDollar(&token) { flush(); parts.append(part); continue }
                        if token.diagnostic != nil { break }
                    }
                    literal.append(d); position += 1
                }
            case UInt8(ascii: "\\"):
                // Backslash escapes the next character, as in a shell; before a
                // newline it continues the command on the next line (ending this word).
                if peek(1) == 0x0A { position += 2; break loop }
                if peek(1) == 0x0D && peek(2) == 0x0A { position += 3; break loop }
                if peek(1) != 0 { literal.append(peek(1)); position += 2 } else { position += 1 }
            case UInt8(ascii: "$"):
                if let part = lexDollar(&token) { flush(); parts.append(part); continue }
                // An unclosed `${` has consumed the rest of the input: the word ends there.
                if token.diagnostic != nil { break loop }
                literal.append(c); position += 1
            default:
                literal.append(c); position += 1
            }
        }
        flush()
        token.end = position
        token.text = text(start, position)
        token.parts = parts
        return token
    }

    /// At `$`: `${expr}` or `$name`; nil when the dollar is literal.
    mutating func lexDollar(_ token: inout Token) -> StringPart? {
        if peek(1) == UInt8(ascii: "{") {
            if let range = scanInterpolation() { return .interpolation(range) }
            token.diagnostic = .unterminatedInterpolation
            token.atEndOfInput = true
            return nil
        }
        guard Lexer.isIdentStart(peek(1)) else { return nil }
        let nameStart = position + 1
        position += 1
        while Lexer.isIdentPart(peek()) { position += 1 }
        return .variable(text(nameStart, position), nameStart..<position)
    }

    mutating func lexHeredocStart() -> Token {
        let start = position
        position += 2
        var strip = false
        if peek() == UInt8(ascii: "-") { strip = true; position += 1 }
        var interpolate = true
        var quote: UInt8 = 0
        if peek() == UInt8(ascii: "'") || peek() == UInt8(ascii: "\"") {
            quote = peek(); interpolate = false; position += 1
        }
        let nameStart = position
        while Lexer.isIdentPart(peek()) || peek() == UInt8(ascii: "-") { position += 1 }
        let name = text(nameStart, position)
        var token = Token(.heredocStart, start, position, name)
        if quote != 0 {
            if peek() == quote { position += 1 } else { token.diagnostic = .unterminatedString }
        }
        token.end = position
        if name.isEmpty { token.diagnostic = .heredocNeedsDelimiter }
        token.heredoc = HeredocSpec(delimiter: name, stripIndent: strip, interpolate: interpolate)
        return token
    }

    /// Reads a heredoc body: the lines after the command line up to one that is the
    /// delimiter alone (indented, with `<<-`: then the terminator line's indentation is
    /// removed from every line, so nested YAML keeps its shape). Kept verbatim apart
    /// from `${expr}` interpolation (not `$name`: YAML and shell snippets use `$VAR`)
    /// when the delimiter was not quoted; `\$` is a literal dollar.
    public mutating func heredocBody(_ spec: HeredocSpec) -> Token {
        let start = position
        var token = Token(.heredocBody, start, start, "")
        var parts: [StringPart] = []
        var literal: [UInt8] = []
        // `<<-`: how far the terminator line is indented (found by looking ahead).
        var indent = 0
        if spec.stripIndent {
            var p = position
            while p < limit {
                var e = p
                while e < limit && bytes[e] != 0x0A { e += 1 }
                var c = p
                while c < e && (bytes[c] == 0x20 || bytes[c] == 0x09) { c += 1 }
                var t = e
                while t > c && (bytes[t - 1] == 0x0D || bytes[t - 1] == 0x20) { t -= 1 }
                if text(c, t) == spec.delimiter { indent = c - p; break }
                p = e + 1
            }
        }
        func flush() {
            if !literal.isEmpty { parts.append(.literal(String(decoding: literal, as: UTF8.self))); literal = [] }
        }
        while true {
            if atEnd {
                if token.diagnostic != nil { break }
                token.diagnostic = .unterminatedHeredoc(spec.delimiter)
                token.atEndOfInput = true
                break
            }
            // One line.
            let lineStart = position
            var lineEnd = lineStart
            while lineEnd < limit && bytes[lineEnd] != 0x0A { lineEnd += 1 }
            var content = lineStart
            var blank = lineStart
            while blank < lineEnd && (bytes[blank] == 0x20 || bytes[blank] == 0x09) { blank += 1 }
            if spec.stripIndent { while content < lineEnd && content - lineStart < indent && (bytes[content] == 0x20 || bytes[content] == 0x09) { content += 1 } }
            var trimmedEnd = lineEnd
            while trimmedEnd > blank && (bytes[trimmedEnd - 1] == 0x0D || bytes[trimmedEnd - 1] == 0x20) { trimmedEnd -= 1 }
            if text(spec.stripIndent ? blank : content, trimmedEnd) == spec.delimiter {
                position = lineEnd
                break
            }
            position = content
            while position < lineEnd {
                let c = peek()
                if spec.interpolate && c == UInt8(ascii: "$") && (peek(1) == UInt8(ascii: "{")) {
                    // A body line's `${` must close on that line.
                    let dollar = position
                    var line = Lexer(file: file, start: dollar, end: lineEnd)
                    var lineToken = token
                    if let part = line.lexDollar(&lineToken) {
                        position = line.position
                        flush(); parts.append(part); continue
                    }
                    if token.diagnostic == nil {
                        token.diagnostic = .unterminatedInterpolation
                        token.diagnosticStart = dollar
                    }
                    literal.append(c); position += 1; continue
                }
                if spec.interpolate && c == UInt8(ascii: "\\") && peek(1) == UInt8(ascii: "$") {
                    literal.append(UInt8(ascii: "$")); position += 2; continue
                }
                literal.append(c)
                position += 1
            }
            if position < limit { literal.append(0x0A); position += 1 }
        }
        flush()
        token.end = position
        token.text = text(start, position)
        token.parts = parts
        return token
    }
}
