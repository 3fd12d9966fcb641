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
        let sourceLine = Diagnostic.escapingControls(rawLine, keep: ["\t"])
        var caretPad = ""
        var col = 1
        for ch in rawLine.unicodeScalars {
            if col >= column { break }
            let shown = Diagnostic.escapingControls(String(ch), keep: ["\t"])
            caretPad += ch == "\t" ? "\t" : String(repeating: " ", count: shown.unicodeScalars.count)
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
    /// would act). Newlines and tabs in `keep` stay as they are.
    public static func escapingControls(_ text: String, keep: Set<Unicode.Scalar> = ["\n", "\t"]) -> String {
        guard text.unicodeScalars.contains(where: { isControl($0) && !keep.contains($0) }) else { return text }
        var out = ""
        for s in text.unicodeScalars {
            if isControl(s) && !keep.contains(s) {
                out += "\\u{" + String(s.value, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(s)
            }
        }
        return out
    }

    static func isControl(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 || (s.value >= 0x7F && s.value < 0xA0)
    }
}

/// Several diagnostics from one phase (a parse reports every error it found).
public struct DiagnosticList: Error, Sendable {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public var isIncompleteInput: Bool { diagnostics.first?.isAtEndOfInput == true }
}
