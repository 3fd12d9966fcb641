/// A message about a place in the source: a lexer or parser error, a runtime error or a
/// failed assertion. Rendering is always `file:line:col: error: message`, then the
/// source line and a caret under the column.
public struct Diagnostic: Error, Sendable {
    public enum Severity: String, Sendable { case error, warning, note }

    public let severity: Severity
    public let message: String
    public let location: SourceLocation
    /// True when the error is that the input ended too soon (an open bracket, block,
    /// string or heredoc): the REPL then asks for a continuation line.
    public let isAtEndOfInput: Bool

    public init(_ severity: Severity = .error, _ message: String, at location: SourceLocation,
                isAtEndOfInput: Bool = false) {
        self.severity = severity
        self.message = message
        self.location = location
        self.isAtEndOfInput = isAtEndOfInput
    }

    public init(_ message: DiagnosticMessage, at location: SourceLocation, isAtEndOfInput: Bool = false) {
        self.init(.error, message.text, at: location, isAtEndOfInput: isAtEndOfInput)
    }

    /// The full text: header, source line, caret. `color` adds ANSI colours.
    public func rendered(color: Bool = false, prefix: String = "") -> String {
        let (line, column) = location.lineAndColumn
        let rawLine = location.file.line(line)
        let sourceLine = Diagnostic.escapingControls(rawLine, keepNewlines: false)
        var caretPad = ""
        var col = 1
        for ch in rawLine.unicodeScalars {
            if col >= column { break }
            if ch == "\t" {
                caretPad.append("\t")
            } else if let shown = Diagnostic.escaped(ch, keepNewlines: false) {
                caretPad += String(repeating: " ", count: shown.utf8.count)
            } else {
                caretPad.append(" ")
            }
            col += 1
        }
        let label: String
        let caret: String
        if color {
            let code = severity == .error ? "\u{1B}[1;31m" : (severity == .warning ? "\u{1B}[1;35m" : "\u{1B}[1;36m")
            label = "\(code)\(severity.rawValue):\u{1B}[0m\u{1B}[1m"
            caret = "\u{1B}[1;32m^\u{1B}[0m"
        } else {
            label = "\(severity.rawValue):"
            caret = "^"
        }
        var out = "\(location.file.name):\(line):\(column): \(label) \(prefix)\(Diagnostic.escapingControls(message))"
        if color { out += "\u{1B}[0m" }
        out += "\n\(sourceLine)\n\(caretPad)\(caret)"
        return out
    }
}

extension Diagnostic {
    /// The text with control characters written as escapes (`\u{0}`, `\u{1B}`), so a
    /// stray byte in the input is shown, not sent to the terminal (where ESC or BEL
    /// would act). Newlines stay when `keepNewlines`; tabs always stay.
    public static func escapingControls(_ text: String, keepNewlines: Bool = true) -> String {
        // Fast path: most text has no control character at all.
        var utf8 = text.utf8.makeIterator()
        var found = false
        var previous: UInt8 = 0
        while let b = utf8.next() {
            if (b < 0x20 && b != 0x09 && !(b == 0x0A && keepNewlines)) || b == 0x7F || (previous == 0xC2 && b >= 0x80 && b < 0xA0) {
                found = true
                break
            }
            previous = b
        }
        guard found else { return text }
        var out = ""
        for s in text.unicodeScalars {
            out += escaped(s, keepNewlines: keepNewlines) ?? String(s)
        }
        return out
    }

    /// `\u{1B}` for a control character; nil for any other scalar.
    @inline(__always)
    static func escaped(_ s: Unicode.Scalar, keepNewlines: Bool) -> String? {
        let v = s.value
        guard (v < 0x20 && v != 0x09 && !(v == 0x0A && keepNewlines)) || (v >= 0x7F && v < 0xA0) else { return nil }
        return "\\u{" + String(v, radix: 16, uppercase: true) + "}"
    }
}

/// Several diagnostics from one phase (a parse reports every error it found).
public struct DiagnosticList: Error, Sendable {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public var isIncompleteInput: Bool { diagnostics.first?.isAtEndOfInput == true }
}
