/// Every message the language reports, in one place (as swift-syntax keeps its
/// diagnostics): lowercase, no trailing period. Tests compare these texts exactly.
public struct DiagnosticMessage: Sendable, Equatable {
    public let text: String
    public init(_ text: String) { self.text = text }
}

extension DiagnosticMessage {
    // MARK: lexer
    static let unterminatedString = DiagnosticMessage("unterminated string literal")
    static let unterminatedInterpolation = DiagnosticMessage("unterminated '${' interpolation, expected '}'")
    static func unterminatedHeredoc(_ delimiter: String) -> Self { .init("unterminated heredoc, expected a line '\(delimiter)'") }
    static let heredocNeedsDelimiter = DiagnosticMessage("expected a delimiter word after '<<'")
    static func invalidEscape(_ text: String) -> Self { .init("invalid escape sequence '\(text)' in string") }
    static func invalidNumberSuffix(_ text: String) -> Self { .init("invalid number '\(text)': not a duration (500ms, 1h30m) or quantity (250m, 1Gi)") }
    static func invalidAddress(_ text: String) -> Self { .init("invalid IPv4 address '\(text)'") }
    static func invalidCIDR(_ text: String) -> Self { .init("invalid CIDR '\(text)'") }
    static func invalidEndpoint(_ text: String) -> Self { .init("invalid address and port '\(text)'") }
    static func unexpectedCharacter(_ text: String) -> Self { .init("unexpected character '\(text)'") }

    // MARK: parser
    static func expected(_ what: String, after: String) -> Self { .init("expected \(what) after \(after)") }
    static func expected(_ what: String, found: String) -> Self { .init("expected \(what), found \(found)") }
    static func unclosed(_ closer: String, opener: String, at: String) -> Self { .init("expected '\(closer)' to close '\(opener)' at \(at)") }
    static func unexpectedEndOfInput(_ expecting: String) -> Self { .init("unexpected end of input, expected \(expecting)") }
    static func expectedExpression(found: String) -> Self { .init("expected an expression, found \(found)") }
    static func expectedStatementEnd(found: String) -> Self { .init("expected a newline or ';' after the statement, found \(found)") }
    static let invalidAssignmentTarget = DiagnosticMessage("cannot assign to this expression")
    static let nestingTooDeep = DiagnosticMessage("expression nested too deeply")
    static let comparisonChain = DiagnosticMessage("comparisons cannot be chained; use 'and'")
    static let breakOutsideLoop = DiagnosticMessage("'break' outside a loop")
    static let continueOutsideLoop = DiagnosticMessage("'continue' outside a loop")
    static let returnOutsideFunction = DiagnosticMessage("'return' outside a function")
    static func redeclared(_ name: String, at: String) -> Self { .init("'\(name)' is already declared in this scope at \(at)") }
    static func assignToConstant(_ name: String) -> Self { .init("cannot assign to '\(name)': it is a 'let' constant; declare it with 'var'") }
    static func unknownCommand(_ name: String, suggestion: String?) -> Self {
        .init("unknown command '\(name)'" + (suggestion.map { " — did you mean '\($0)'?" } ?? ""))
    }
    static func unknownSubcommand(_ name: String, of command: String, suggestion: String?, choices: [String]) -> Self {
        .init("unknown sub-command '\(name)' for '\(command)'" + (suggestion.map { " — did you mean '\($0)'?" } ?? " (expected one of: \(choices.joined(separator: ", ")))"))
    }
    static func missingSubcommand(_ command: String, choices: [String]) -> Self {
        .init("'\(command)' needs a sub-command: \(choices.joined(separator: ", "))")
    }
    static func unknownFlag(_ flag: String, command: String, suggestion: String?) -> Self {
        .init("unknown flag '\(flag)' for '\(command)'" + (suggestion.map { " — did you mean '\($0)'?" } ?? ""))
    }
    static func flagNeedsValue(_ flag: String) -> Self { .init("flag '\(flag)' needs a value") }
    static func flagTakesNoValue(_ flag: String) -> Self { .init("flag '\(flag)' does not take a value") }
    static let heredocInExpression = DiagnosticMessage("a heredoc cannot follow a command inside parentheses on the same line")
    static func noHeredoc(_ command: String) -> Self { .init("'\(command)' does not take a heredoc body") }
    static func integerLiteralTooLarge(_ text: String) -> Self { .init("integer literal '\(text)' is too large") }
    static let elseOnNewLine = DiagnosticMessage("'else' must follow '}' on the same line")
    static func includeNeedsString(found: String) -> Self { .init("expected a file name string after 'include', found \(found)") }

    // MARK: runtime
    static func undefinedVariable(_ name: String, suggestion: String?) -> Self {
        .init("undefined variable '\(name)'" + (suggestion.map { " — did you mean '\($0)'?" } ?? ""))
    }
    static func typeMismatch(_ op: String, _ left: String, _ right: String) -> Self { .init("cannot apply '\(op)' to \(left) and \(right)") }
    static func unaryTypeMismatch(_ op: String, _ operand: String) -> Self { .init("cannot apply '\(op)' to \(operand)") }
    static let divisionByZero = DiagnosticMessage("division by zero")
    static let integerOverflow = DiagnosticMessage("integer overflow")
    static func notCallable(_ type: String) -> Self { .init("cannot call a value of type \(type)") }
    static func wrongArgumentCount(_ name: String, expected: String, got: Int) -> Self { .init("'\(name)' takes \(expected) argument\(expected == "1" ? "" : "s"), got \(got)") }
    static func noMember(_ name: String, type: String, suggestion: String?) -> Self {
        .init("\(type) has no member '\(name)'" + (suggestion.map { " — did you mean '\($0)'?" } ?? ""))
    }
    static func notIndexable(_ type: String) -> Self { .init("cannot index a value of type \(type)") }
    static func indexOutOfRange(_ index: Int, count: Int) -> Self { .init("index \(index) out of range for a list of \(count) element\(count == 1 ? "" : "s")") }
    static func stringIndexOutOfRange(_ index: Int, count: Int) -> Self { .init("index \(index) out of range for a string of \(count) character\(count == 1 ? "" : "s")") }
    static func valueTooLarge(_ type: String, limit: String) -> Self { .init("\(type) too large (limit \(limit)); raise it with --max-value-size") }
    static func exitCodeOutOfRange(_ code: Int) -> Self { .init("exit: \(code) is out of range: an exit code is 0 to 255") }
    static func badIndexType(_ container: String, _ index: String) -> Self { .init("cannot index \(container) with \(index)") }
    static func notIterable(_ type: String) -> Self { .init("cannot iterate over a value of type \(type)") }
    static func conditionNotBool(_ type: String) -> Self { .init("condition must be a bool, found \(type)") }
    static func stepBudgetExceeded(_ limit: Int) -> Self { .init("step budget exhausted after \(limit) steps; raise it with --max-steps") }
    static func callDepthExceeded(_ limit: Int) -> Self { .init("call depth limit of \(limit) exceeded (runaway recursion?)") }
    static let interrupted = DiagnosticMessage("interrupted")
    static func assertFailed(_ detail: String) -> Self { .init("assert failed: \(detail)") }
    static let expectedFailureButSucceeded = DiagnosticMessage("expected a failure, but the block succeeded")
    static func expectedErrorText(_ text: String, got: String) -> Self { .init("expected an error containing \"\(text)\", got: \(got)") }
    static func expectedErrorButSucceeded(_ text: String) -> Self { .init("expected an error containing \"\(text)\", but the block succeeded") }
    static func includeNotFound(_ path: String) -> Self { .init("cannot read included file '\(path)'") }
    static func includeCycle(_ path: String) -> Self { .init("'\(path)' includes itself") }
    static func commandFailed(_ text: String) -> Self { .init(text) }
    static func rangeTooLarge(_ a: Int, _ b: Int) -> Self { .init("range \(a)...\(b) is too large for a list; iterate it with 'for'") }
    static func commandExitStatus(_ code: Int) -> Self { .init("command exited with status \(code)") }
    static func invalidRange(_ type: String) -> Self { .init("range bounds must be integers, found \(type)") }
    static func keyNotFound(_ key: String) -> Self { .init("key \(key) not in map") }
    static func invalidArgument(_ function: String, _ detail: String) -> Self { .init("\(function): \(detail)") }
}
