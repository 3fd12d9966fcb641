import ArgumentParser
import KubeScript
import KubeSimBindings
import KubeSimCore

/// The `kubesim` command line.
public struct KubeSimCommand: ParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "kubesim",
        abstract: "A Kubernetes cluster and its network, simulated in one process, driven by KubeScript.",
        discussion: """
        With no sub-command, kubesim opens the interactive REPL (plain line reading when
        standard input is not a terminal).

        Exit status of 'run' and 'test':
          0  every script ran to the end and every assertion held
          1  an assertion failed (or, for 'test', a test file failed)
          2  a syntax or runtime error stopped a script
        'exit N' in a script ends it with status N (0 to 255; after a failed
        assertion, 'exit 0' still exits 1). 'check' exits 0 or 2.
        """,
        version: version,
        subcommands: [Repl.self, Run.self, Check.self, Test.self],
        defaultSubcommand: Repl.self
    )

    public init() {}
}

/// Options every sub-command takes.
public struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Seed of the simulation's random source.")
    public var seed: UInt64 = 1

    @Flag(name: .customLong("no-color"), help: "No colour in output (also when NO_COLOR is set).")
    public var noColor = false

    @Option(name: .customLong("max-steps"), help: "Step budget: evaluated nodes before a script is stopped.")
    public var maxSteps: Int = 50_000_000

    @Option(name: .customLong("max-events"), help: "Event budget: simulation events one command (tick, settle, a waiting tool) may run.")
    public var maxEvents: Int = CommandContext.defaultMaxEvents

    @Option(name: .customLong("max-value-size"), help: "Largest string (bytes) or list (16 bytes an element) a script may build, e.g. 256Mi.")
    public var maxValueSize: String = "64Mi"

    public func validate() throws {
        guard maxEvents > 0 else { throw ValidationError("--max-events must be positive") }
        guard maxSteps > 0 else { throw ValidationError("--max-steps must be positive") }
        guard let bytes = GlobalOptions.byteCount(maxValueSize), bytes > 0 else {
            throw ValidationError("--max-value-size: '\(maxValueSize)' is not a size such as 64Mi or 1000000")
        }
        _ = bytes
    }

    /// `64Mi`, `1G`, `1000000` as bytes.
    static func byteCount(_ text: String) -> Int? {
        guard let q = Quantity(parsing: text), q.milli >= 0, q.milli % 1000 == 0 else { return nil }
        return Int(exactly: q.milli / 1000)
    }

    public init() {}
}

/// Builds a session with every command registered.
public enum SessionFactory {
    /// Where bindings modules add their commands.
    public static let registerBindings: [@Sendable (CommandRegistry) -> Void] = [ClusterBindings.register]

    public static func makeRegistry() -> CommandRegistry {
        let r = CommandRegistry()
        r.registerLanguageBuiltins()
        for b in registerBindings { b(r) }
        return r
    }

    public static func make(seed: UInt64 = 1, maxSteps: Int = 50_000_000, isTerminal: Bool = false, color: Bool = false,
                            output: @escaping (String) -> Void, diagnostics: @escaping (String) -> Void) -> Session {
        let session = Session(registry: makeRegistry(), seed: seed, maxSteps: maxSteps,
                              isTerminal: isTerminal, color: color, output: output, diagnostics: diagnostics)
        ClusterBindings.attach(session)
        return session
    }

    static func make(_ options: GlobalOptions, isTerminal: Bool, color: Bool,
                     output: @escaping (String) -> Void, diagnostics: @escaping (String) -> Void) -> Session {
        ValueLimits.maxBytes = GlobalOptions.byteCount(options.maxValueSize) ?? ValueLimits.defaultMaxBytes
        let session = make(seed: options.seed, maxSteps: options.maxSteps, isTerminal: isTerminal, color: color, output: output, diagnostics: diagnostics)
        session.context.maxEvents = options.maxEvents
        return session
    }
}

struct Repl: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "repl", abstract: "Open the interactive REPL (the default).")
    @OptionGroup var options: GlobalOptions

    func run() throws {
        let session = SessionFactory.make(options, isTerminal: Terminal.stdoutIsTerminal,
                                          color: Terminal.colorEnabled(noColorFlag: options.noColor, fd: 2),
                                          output: Terminal.writeOut, diagnostics: { Terminal.writeErr($0 + "\n") })
        let code = REPL(session: session).run()
        Terminal.flush()
        throw ExitCode(code)
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run KubeScript files in order, in one session.",
        discussion: "Exit status: 0 all assertions held, 1 an assertion failed, 2 a syntax or runtime error.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "The .kscript files to run.") var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one file to run") }
    }

    nonisolated(unsafe) static var finished: Session?

    func run() throws {
        let session = SessionFactory.make(options, isTerminal: Terminal.stdoutIsTerminal,
                                          color: Terminal.colorEnabled(noColorFlag: options.noColor, fd: 2),
                                          output: Terminal.writeOut, diagnostics: { Terminal.writeErr($0 + "\n") })
        // The process ends when the scripts do: the session (a cluster of thousands of
        // objects) is kept rather than torn down object by object on the way out.
        Self.finished = session
        Terminal.installInterruptHandler()
        session.interpreter.interruptRequested = { Terminal.interrupted }
        session.context.isInterrupted = { Terminal.interrupted }
        var failed = false
        for file in files {
            guard let text = FileIO.read(file) else {
                Terminal.writeErr("error: cannot read '\(file)'\n")
                throw ExitCode(2)
            }
            switch session.run(text, name: file) {
            case .success: break
            case .assertionFailed: failed = true
            case .error: Terminal.flush(); throw ExitCode(2)
            case .exit(let c): Terminal.flush(); throw ExitCode(c)
            }
            if session.context.exitRequest != nil { break }
        }
        Terminal.flush()
        if failed { throw ExitCode(1) }
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Parse KubeScript files and report every diagnostic without running them (exit 0 or 2).")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "The .kscript files to check.") var files: [String]

    func run() throws {
        let session = SessionFactory.make(options, isTerminal: false,
                                          color: Terminal.colorEnabled(noColorFlag: options.noColor, fd: 2),
                                          output: Terminal.writeOut, diagnostics: { Terminal.writeErr($0 + "\n") })
        var ok = true
        for file in files {
            guard let text = FileIO.read(file) else {
                Terminal.writeErr("error: cannot read '\(file)'\n")
                ok = false
                continue
            }
            if !session.check(text, name: file) { ok = false }
        }
        if !ok { throw ExitCode(2) }
    }
}

struct Test: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run each .kscript file as a test (default: lessons/).",
        discussion: "Prints one line per file and 'N passed, N failed'; exits 1 when any failed.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Directories or files (default: lessons).") var paths: [String] = []
    @Option(help: "Report format: plain, tap or junit.") var format: String = "plain"
    @Option(help: "Write the report to this file instead of standard output.") var output: String?

    func validate() throws {
        guard TestRunner.Format(rawValue: format) != nil else {
            throw ValidationError("unknown format '\(format)' (expected plain, tap or junit)")
        }
    }

    func run() throws {
        let (files, missing) = TestRunner.collect(paths.isEmpty ? ["lessons"] : paths)
        for m in missing { Terminal.writeErr("error: no such file or directory '\(m)'\n") }
        let options = self.options
        let runner = TestRunner { out, diag in
            SessionFactory.make(options, isTerminal: false, color: false, output: out, diagnostics: diag)
        }
        var results: [TestRunner.FileResult] = []
        let fmt = TestRunner.Format(rawValue: format)!
        for f in files {
            let r = runner.run(file: f)
            results.append(r)
            if fmt == .plain || output != nil {
                Terminal.writeOut(TestRunner.plainLine(r) + "\n")
                Terminal.flush()
            }
        }
        let report: String
        switch fmt {
        case .plain: report = ""
        case .tap: report = TestRunner.tap(results)
        case .junit: report = TestRunner.junit(results)
        }
        if let output {
            let text = fmt == .plain ? results.map(TestRunner.plainLine).joined(separator: "\n") + "\n" + TestRunner.summary(results) + "\n" : report
            guard FileIO.write(output, text) else {
                Terminal.writeErr("error: cannot write '\(output)'\n")
                throw ExitCode(2)
            }
        } else if fmt != .plain {
            Terminal.writeOut(report)
        }
        if fmt == .plain || output != nil { Terminal.writeOut(TestRunner.summary(results) + "\n") }
        Terminal.flush()
        if !missing.isEmpty { throw ExitCode(2) }
        if results.contains(where: { !$0.passed }) { throw ExitCode(1) }
    }
}

public enum KubeSimMain {
    public static func main() {
        KubeSimCommand.main()
    }
}
