/// One KubeScript session: a registry, an interpreter and its global scope, fed whole
/// files (`kubesim run`) or REPL entries. Renders every diagnostic in the one format
/// and reports how a run ended, which the CLI turns into an exit code.
public final class Session {
    public enum Outcome: Equatable, Sendable {
        /// Ran to the end (or to `exit 0`) and every assertion held.
        case success
        /// Ran, but at least one assertion failed.
        case assertionFailed
        /// A syntax or runtime error stopped it.
        case error
        /// `exit N` with a non-zero code.
        case exit(Int32)
    }

    public let registry: CommandRegistry
    public let context: CommandContext
    public let interpreter: Interpreter
    /// Where diagnostics go (stderr in the CLI).
    public var diagnosticSink: (String) -> Void
    public var color: Bool
    /// Adds e.g. the simulated time to runtime errors (`[t=12.5s] `); set by bindings.
    public var runtimePrefix: () -> String = { "" }
    /// In a REPL, command failures print as the tool's own message, without location.
    public var interactive = false

    public init(registry: CommandRegistry, seed: UInt64 = 1, maxSteps: Int = 50_000_000, maxCallDepth: Int = 10_000,
                isTerminal: Bool = false, color: Bool = false,
                output: @escaping (String) -> Void, diagnostics: @escaping (String) -> Void) {
        self.registry = registry
        self.context = CommandContext(registry: registry, seed: seed, isTerminal: isTerminal, write: output)
        self.interpreter = Interpreter(registry: registry, context: context, maxSteps: maxSteps, maxCallDepth: maxCallDepth)
        self.diagnosticSink = diagnostics
        self.color = color
        let interp = interpreter
        context.onReseed = { [unowned interp] seed in interp.reseed(seed) }
        interpreter.onAssertionFailure = { [unowned self] d in self.emit(d) }
    }

    /// A session with the language's built-in commands only.
    public static func standalone(seed: UInt64 = 1, output: @escaping (String) -> Void, diagnostics: @escaping (String) -> Void) -> Session {
        let r = CommandRegistry()
        r.registerLanguageBuiltins()
        return Session(registry: r, seed: seed, output: output, diagnostics: diagnostics)
    }

    public func parse(_ text: String, name: String) -> Program {
        Parser.parse(SourceFile(name: name, text: text), registry: registry, globals: interpreter.globalTable)
    }

    /// Parses only, reporting every diagnostic; true when there were none.
    public func check(_ text: String, name: String) -> Bool {
        // Parse and free the tree on the big stack: a very long expression is a deep tree.
        BigStack.run {
            let program = parse(text, name: name)
            for d in program.diagnostics { emit(d) }
            return program.diagnostics.isEmpty
        }
    }

    /// Runs a whole script. Assertion failures are reported as they happen.
    public func run(_ text: String, name: String) -> Outcome {
        BigStack.run {
            let program = parse(text, name: name)
            if !program.diagnostics.isEmpty {
                for d in program.diagnostics { emit(d) }
                return .error
            }
            return execute(program, echo: nil)
        }
    }

    /// The result of one REPL entry.
    public enum EntryResult: Equatable {
        /// The input is not finished (open bracket, block, string, heredoc): read more.
        case incomplete
        case done(Outcome)
    }

    /// Evaluates one REPL entry, echoing each expression statement's value.
    public func evaluate(_ text: String, name: String = "<repl>", echo: @escaping (Value) -> Void) -> EntryResult {
        BigStack.run {
            let program = parse(text, name: name)
            if program.isIncompleteInput { return .incomplete }
            if !program.diagnostics.isEmpty {
                for d in program.diagnostics { emit(d) }
                return .done(.error)
            }
            return .done(execute(program, echo: echo))
        }
    }

    /// Runs a parsed program; called on the big stack.
    func execute(_ program: Program, echo: ((Value) -> Void)?) -> Outcome {
        let failuresBefore = interpreter.assertionFailures.count
        interpreter.resetBudget()
        context.exitRequest = nil
        interpreter.includeStack = [program.file.name]
        do {
            try interpreter.execute(program, echo: echo)
        } catch is ExitSignal {
            // `exit N`: the outcome follows from the code below.
        } catch {
            report(error)
            return .error
        }
        if let code = context.exitRequest {
            if code != 0 { return .exit(code) }
        }
        return interpreter.assertionFailures.count > failuresBefore ? .assertionFailed : .success
    }

    /// Whether any assertion has failed in this session.
    public var hadAssertionFailures: Bool { !interpreter.assertionFailures.isEmpty }

    func report(_ error: Error) {
        switch error {
        case let e as RuntimeError:
            if interactive && e.isFatal && e.message == DiagnosticMessage.interrupted.text {
                diagnosticSink(e.message)
            } else if interactive && e.isCommandFailure || e.location == nil {
                diagnosticSink((color ? "\u{1B}[1;31merror:\u{1B}[0m " : "error: ") + Diagnostic.escapingControls(e.message))
            } else {
                // A tool's own "error: " would repeat the diagnostic's label.
                let message = e.isCommandFailure && e.message.hasPrefix("error: ") ? String(e.message.dropFirst(7)) : e.message
                emit(Diagnostic(.error, message, at: e.location!), prefix: runtimePrefix())
            }
        case let e as ParseFailure:
            for d in e.diagnostics { emit(d) }
        case let e as AssertionFailure:
            emit(e.diagnostic)
        default:
            diagnosticSink("error: \(error)")
        }
    }

    func emit(_ d: Diagnostic, prefix: String = "") {
        diagnosticSink(d.rendered(color: color, prefix: prefix))
    }
}
