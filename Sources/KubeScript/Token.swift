import KubeSimCore

/// A piece of a string, heredoc or command word: literal text, an interpolated
/// expression (`${expr}`, kept as its source range and parsed by the parser), or a
/// `$name` reference (command words only).
public enum StringPart: Sendable {
    case literal(String)
    case interpolation(Range<Int>)
    case variable(String, Range<Int>)
}

/// One token. The lexer never throws: a malformed token carries its diagnostic and
/// the parser reports it.
public struct Token: Sendable {
    public enum Kind: Sendable, Equatable {
        case identifier, keyword
        case int, float, string
        /// `500ms`, `1h30m`
        case duration
        /// `1Gi`, `512Mi`, `2k`
        case quantity
        /// `250m`: minutes as a duration, milli-units beside a quantity.
        case milli
        case ip, cidr, endpoint
        /// A kubectl word in an expression: `pod/test`, a selector `app=web`.
        case word
        /// A command-line word (command mode): literal and interpolated parts.
        case commandWord
        /// `<<EOF` in command mode; the body follows the line.
        case heredocStart
        case heredocBody
        case punct
        case newline, semicolon, eof
        case invalid
    }

    public var kind: Kind
    /// Byte range in the source.
    public var start: Int
    public var end: Int
    /// The token text as written (for punctuation and keywords, the symbol itself).
    public var text: String
    /// Decoded parts for strings, command words and heredoc bodies.
    public var parts: [StringPart] = []
    /// Command words only: the word was (partly) quoted, so it is never a flag.
    public var quoted = false
    /// True when whitespace (or a line start) comes right before this token.
    public var spaceBefore = false
    /// Heredoc starts only.
    public var heredoc: HeredocSpec?
    /// Set on malformed tokens.
    public var diagnostic: DiagnosticMessage?
    /// The diagnostic is that input ended too soon (unterminated string or heredoc).
    public var atEndOfInput = false
    /// Where the diagnostic points when not at the token's start (an unclosed `${`
    /// inside a heredoc body).
    public var diagnosticStart: Int?

    init(_ kind: Kind, _ start: Int, _ end: Int, _ text: String) {
        self.kind = kind
        self.start = start
        self.end = end
        self.text = text
    }

    func `is`(_ punct: String) -> Bool { kind == .punct && text == punct }
    func isKeyword(_ word: String) -> Bool { kind == .keyword && text == word }
}

/// Heredoc marker details: `<<EOF`, `<<-EOF` (strip leading tabs/spaces), `<<'EOF'`
/// (no interpolation).
public struct HeredocSpec: Sendable {
    public var delimiter: String
    public var stripIndent: Bool
    public var interpolate: Bool
}
