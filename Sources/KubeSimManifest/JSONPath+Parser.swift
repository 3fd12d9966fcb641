extension JSONPath {
    /// The template grammar (client-go jsonpath/parser.go):
    ///   template -> (text | '{' action '}')*
    ///   action   -> 'range' path | 'end' | '"' string '"' | path
    ///   path     -> ('$' | '@' | '.' name | '..' name | '[' selector ']')*
    ///   selector -> '*' | int | int? ':' int? (':' int)? | quoted (',' quoted)* | '?(' path (op operand)? ')'
    struct Parser {
        let c: [Unicode.Scalar]
        var i = 0

        init(_ c: [Unicode.Scalar]) { self.c = c }

        var atEnd: Bool { i >= c.count }
        func peek(_ k: Int = 0) -> Unicode.Scalar? { i + k < c.count ? c[i + k] : nil }
        func rest(hasPrefix p: String) -> Bool {
            let ps = Array(p.unicodeScalars)
            return i + ps.count <= c.count && Array(c[i..<(i + ps.count)]) == ps
        }
        func fail(_ m: String) -> ParseError { ParseError(message: m) }
        mutating func skipSpaces() { while peek() == " " { i += 1 } }

        mutating func template() throws -> [Node] {
            var stack: [(steps: [Step], nodes: [Node])] = [([], [])]
            var text = ""
            while !atEnd {
                if peek() != "{" { text.unicodeScalars.append(c[i]); i += 1; continue }
                if !text.isEmpty { stack[stack.count - 1].nodes.append(.text(text)); text = "" }
                i += 1
                skipSpaces()
                if rest(hasPrefix: "range ") {
                    i += 6
                    skipSpaces()
                    let steps = try path()
                    try closeAction()
                    stack.append((steps, []))
                } else if rest(hasPrefix: "end") && (peek(3) == "}" || peek(3) == " ") {
                    i += 3
                    try closeAction()
                    guard stack.count > 1 else { throw ParseError(message: "not in range, nothing to end", executing: true) }
                    let r = stack.removeLast()
                    stack[stack.count - 1].nodes.append(.range(r.steps, r.nodes))
                } else if peek() == "\"" {
                    let s = try quoted()
                    try closeAction()
                    stack[stack.count - 1].nodes.append(.text(s))
                } else {
                    let steps = try path()
                    try closeAction()
                    if !steps.isEmpty { stack[stack.count - 1].nodes.append(.path(steps)) }
                }
            }
            if !text.isEmpty { stack[stack.count - 1].nodes.append(.text(text)) }
            // An unclosed range runs to the end of the template, as client-go's does.
            while stack.count > 1 {
                let r = stack.removeLast()
                stack[stack.count - 1].nodes.append(.range(r.steps, r.nodes))
            }
            return stack[0].nodes
        }

        mutating func closeAction() throws {
            skipSpaces()
            guard peek() == "}" else {
                if atEnd { throw fail("unclosed action") }
                throw fail("unrecognized character in action: U+\(hex(c[i].value)) '\(Character(c[i]))'")
            }
            i += 1
        }

        func hex(_ v: UInt32) -> String {
            let h = String(v, radix: 16, uppercase: true)
            return String(repeating: "0", count: max(0, 4 - h.count)) + h
        }

        /// A double-quoted string with Go's escapes (strconv.Unquote).
        mutating func quoted() throws -> String {
            i += 1
            var out = ""
            while true {
                guard let ch = peek() else { throw fail("unterminated quoted string") }
                i += 1
                if ch == "\"" { return out }
                if ch == "\\", let e = peek() {
                    i += 1
                    switch e {
                    case "n": out += "\n"
                    case "t": out += "\t"
                    case "r": out += "\r"
                    case "\\": out += "\\"
                    case "\"": out += "\""
                    default: out.unicodeScalars.append("\\"); out.unicodeScalars.append(e)
                    }
                    continue
                }
                out.unicodeScalars.append(ch)
            }
        }

        static let nameStops: Set<Unicode.Scalar> = [".", "[", "]", "}", " ", ")", "(", "=", "!", "<", ">", ",", "\""]

        mutating func name() -> String {
            var out = ""
            while let ch = peek(), !Self.nameStops.contains(ch) {
                if ch == "\\", let next = peek(1) { out.unicodeScalars.append(next); i += 2; continue }
                out.unicodeScalars.append(ch)
                i += 1
            }
            return out
        }

        mutating func path() throws -> [Step] {
            var steps: [Step] = []
            while let ch = peek() {
                switch ch {
                case "$": steps.append(.root); i += 1
                case "@": steps.append(.current); i += 1
                case ".":
                    if peek(1) == "." {
                        i += 2
                        steps.append(.recursive(name()))
                    } else {
                        i += 1
                        if peek() == "[" || peek() == "}" || peek() == " " || atEnd { continue }
                        steps.append(.field(name()))
                    }
                case "[":
                    steps.append(try selector())
                default:
                    if Self.nameStops.contains(ch) { return steps }
                    steps.append(.field(name()))
                }
            }
            return steps
        }

        mutating func selector() throws -> Step {
            i += 1
            // The text up to the matching ']' (quotes and parentheses nest).
            var depth = 0
            var quote: Unicode.Scalar?
            let start = i
            while true {
                guard let ch = peek() else { throw fail("unterminated array") }
                if let q = quote { if ch == q { quote = nil } } else if ch == "'" || ch == "\"" { quote = ch }
                else if ch == "(" { depth += 1 } else if ch == ")" { depth -= 1 } else if ch == "]" && depth == 0 { break }
                i += 1
            }
            let body = String(String.UnicodeScalarView(c[start..<i])).trimmingSpaces
            i += 1
            if body == "*" { return .all }
            if body.hasPrefix("?(") && body.hasSuffix(")") {
                return .filter(try filter(String(body.dropFirst(2).dropLast())))
            }
            if body.first == "'" || body.first == "\"" {
                return .keys(body.split(separator: ",").map { String($0).trimmingSpaces }.map { String($0.dropFirst().dropLast()) })
            }
            if body.contains(",") {
                // A union of indexes; kubectl names the first element it cannot read.
                for part in body.split(separator: ",").map({ String($0).trimmingSpaces }) where Int(part) == nil {
                    throw fail("invalid array index \(part)")
                }
            }
            if body.contains(":") {
                let parts = body.split(separator: ":", omittingEmptySubsequences: false).map { String($0).trimmingSpaces }
                guard parts.count <= 3, parts.allSatisfy({ $0.isEmpty || Int($0) != nil }) else { throw fail("invalid array index \(body)") }
                return .slice(Int(parts[0]), parts.count > 1 ? Int(parts[1]) : nil, parts.count > 2 ? Int(parts[2]) : nil)
            }
            guard let n = Int(body) else { throw fail("invalid array index \(body)") }
            return .index(n)
        }

        /// `@.status.phase=="Running"`, `@.x`, `@.n > 3`.
        func filter(_ text: String) throws -> Filter {
            var p = Parser(Array(text.unicodeScalars))
            p.skipSpaces()
            let left = try p.path()
            p.skipSpaces()
            if p.atEnd { return Filter(left: left, op: nil, right: nil) }
            var op = ""
            while let ch = p.peek(), "=!<>".unicodeScalars.contains(ch) { op.unicodeScalars.append(ch); p.i += 1 }
            guard ["==", "!=", "<", "<=", ">", ">="].contains(op) else { throw fail("unrecognized filter operator \(op)") }
            p.skipSpaces()
            let right: Operand
            if let q = p.peek(), q == "'" || q == "\"" {
                let rest = String(String.UnicodeScalarView(p.c[(p.i + 1)...]))
                guard let end = rest.unicodeScalars.firstIndex(of: q) else { throw fail("unterminated quoted string") }
                right = .string(String(rest.unicodeScalars[..<end]))
            } else if p.peek() == "@" || p.peek() == "$" {
                right = .path(try p.path())
            } else {
                let rest = String(String.UnicodeScalarView(p.c[p.i...])).trimmingSpaces
                if rest == "true" || rest == "false" { return Filter(left: left, op: op, right: .bool(rest == "true")) }
                guard let d = Double(rest) else { throw fail("parse filter \(text): invalid operand \(rest)") }
                right = .number(d)
            }
            return Filter(left: left, op: op, right: right)
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
