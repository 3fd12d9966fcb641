#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif
@preconcurrency import CLibEdit
import KubeScript
import KubeSimBindings

/// The interactive loop. On a terminal it reads with libedit (prompt `kubesim> `,
/// continuation `...> `, history, TAB completion); otherwise it reads lines plainly
/// with no prompts, so `kubesim < file` and pipes work. Whether an entry is complete
/// is the parser's call ("unexpected end of input"), never a character count.
final class REPL {
    let session: Session
    let completer: Completer
    var history: HistoryFile?
    static let prompt = "kubesim> "
    static let continuationPrompt = "...> "
    /// `kubesim> `, or `kubesim[trace 3/18]> ` while a trace is being stepped.
    var currentPrompt: String { ClusterBindings.stepPrompt(session.context).map { "kubesim[\($0)]> " } ?? REPL.prompt }

    /// The completer the C callback reads (libedit's callbacks carry no context).
    nonisolated(unsafe) static var current: REPL?
    nonisolated(unsafe) static var matches: [String] = []

    init(session: Session) {
        self.session = session
        self.completer = Completer(registry: session.registry, names: { [unowned session] in session.interpreter.visibleNames })
        session.interactive = true
        session.interpreter.interruptRequested = { Terminal.interrupted }
        session.context.isInterrupted = { Terminal.interrupted }
    }

    /// Runs until end of input or `exit`; returns the exit code.
    func run() -> Int32 {
        Terminal.installInterruptHandler()
        return Terminal.stdinIsTerminal ? runInteractive() : runPiped()
    }

    // MARK: - terminal

    func runInteractive() -> Int32 {
        Terminal.setUpLocale()
        REPL.current = self
        rl_readline_name = UnsafePointer(strdup("kubesim"))
        rl_catch_signals = 0
        rl_getc_function = { _ in REPL.readChar() }
        rl_attempted_completion_function = { text, start, end in REPL.complete(text, start, end) }
        if let path = HistoryFile.defaultPath() {
            let h = HistoryFile(path: path, limit: 10_000)
            for line in h.load() { add_history(line) }
            history = h
        }
        Terminal.writeOut("KubeSim — type 'help' for commands, Ctrl-D to quit\n")
        Terminal.flush()
        var buffer = ""
        while true {
            Terminal.clearInterrupt()
            guard let raw = readline(buffer.isEmpty ? currentPrompt : REPL.continuationPrompt) else {
                if Terminal.interrupted { buffer = ""; continue }
                // Ctrl-D.
                Terminal.writeOut("\n")
                return 0
            }
            let line = String(cString: raw)
            free(raw)
            if Terminal.interrupted {
                // Ctrl-C on a partial entry drops it.
                buffer = ""
                continue
            }
            if !line.trimmingSpaces.isEmpty {
                add_history(line)
                history?.append(line)
            }
            buffer += buffer.isEmpty ? line : "\n" + line
            if buffer.trimmingSpaces.isEmpty { buffer = ""; continue }
            switch evaluate(buffer) {
            case .incomplete: continue
            case .done:
                buffer = ""
                if let code = session.context.exitRequest { return exitStatus(code, sawError: false) }
            }
        }
    }

    /// libedit's character reader. A read interrupted by Ctrl-C ends the line (which
    /// the loop then drops) instead of being retried. libedit's readline layer stores
    /// what this returns as one wide character, so UTF-8 is decoded here: one call,
    /// one Unicode scalar.
    static func readChar() -> Int32 {
        guard let first = readByte() else { return -1 }
        if first < 0x80 { return Int32(first) }
        if first == 10 && Terminal.interrupted { return 10 }
        let length = first >= 0xF0 ? 4 : first >= 0xE0 ? 3 : first >= 0xC0 ? 2 : 1
        var bytes = [first]
        while bytes.count < length, let b = readByte() {
            if b & 0xC0 != 0x80 { break }
            bytes.append(b)
        }
        guard let scalar = String(decoding: bytes, as: UTF8.self).unicodeScalars.first else { return 0xFFFD }
        return Int32(scalar.value)
    }

    /// One byte from the terminal; a newline when Ctrl-C interrupted the read; nil at EOF.
    static func readByte() -> UInt8? {
        var c: UInt8 = 0
        while true {
            let n = read(0, &c, 1)
            if n == 1 { return c }
            if n < 0 && errno == EINTR {
                if Terminal.interrupted {
                    Terminal.writeOut("^C")
                    Terminal.flush()
                    return 10  // newline: readline returns, the loop sees the interrupt
                }
                continue
            }
            return nil
        }
    }

    static func complete(_ text: UnsafePointer<CChar>?, _ start: Int32, _ end: Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        rl_attempted_completion_over = 1
        guard let repl = current, let lineBuffer = rl_line_buffer else { return nil }
        let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(lineBuffer).assumingMemoryBound(to: UInt8.self), count: Int(end)))
        let prefix = String(decoding: bytes, as: UTF8.self)
        matches = repl.completer.candidates(forLinePrefix: prefix)
        if matches.isEmpty { return nil }
        return rl_completion_matches(text) { _, state in
            let i = Int(state)
            guard i < REPL.matches.count else { return nil }
            return strdup(REPL.matches[i])
        }
    }

    // MARK: - pipes

    /// Lines from a pipe or file, with no prompts. Errors do not stop it (it is still a
    /// REPL); the exit code says whether any error (2) or failed assertion (1) happened.
    func runPiped() -> Int32 {
        var buffer = ""
        var sawError = false
        while let line = readLine(strippingNewline: true) {
            buffer += buffer.isEmpty ? line : "\n" + line
            if buffer.trimmingSpaces.isEmpty { buffer = ""; continue }
            switch evaluate(buffer) {
            case .incomplete: continue
            case .done(let outcome):
                buffer = ""
                if outcome == .error { sawError = true }
                if let code = session.context.exitRequest { return exitStatus(code, sawError: sawError) }
            }
        }
        if !buffer.isEmpty {
            // Input ended inside an entry: report what is missing.
            _ = session.run(buffer, name: REPL.inputName)
            sawError = true
        }
        Terminal.flush()
        if sawError { return 2 }
        return session.hadAssertionFailures ? 1 : 0
    }

    /// The name REPL input has in diagnostics, typed or piped.
    static let inputName = "<repl>"

    /// The status for `exit CODE`: an earlier error or failed assertion is never
    /// turned into success by `exit 0`.
    func exitStatus(_ code: Int32, sawError: Bool) -> Int32 {
        if code != 0 { return code }
        if sawError { return 2 }
        return session.hadAssertionFailures ? 1 : 0
    }

    func evaluate(_ text: String) -> Session.EntryResult {
        Terminal.clearInterrupt()
        let r = session.evaluate(text, name: REPL.inputName) { value in
            Terminal.writeOut(value.description + "\n")
        }
        Terminal.flush()
        return r
    }
}
