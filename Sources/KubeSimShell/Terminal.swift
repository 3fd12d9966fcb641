#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif
import KubeScript

/// Output streams and the Ctrl-C flag, without Foundation.
public enum Terminal {
    /// Set by the SIGINT handler; checked by the interpreter between steps and by the
    /// line editor. A plain C-compatible global: a signal handler may only store to it.
    nonisolated(unsafe) static var interruptFlag: sig_atomic_t = 0

    static var interrupted: Bool { interruptFlag != 0 }
    static func clearInterrupt() { interruptFlag = 0 }

    /// Installs a SIGINT handler that only records the interrupt. Without SA_RESTART,
    /// so a blocking read returns EINTR and the line editor can drop the line.
    static func installInterruptHandler() {
        var action = sigaction()
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = { _ in Terminal.interruptFlag = 1 }
        #else
        action.__sigaction_u.__sa_handler = { _ in Terminal.interruptFlag = 1 }
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
        // A parent may have started us with SIGINT blocked: unblock it, or Ctrl-C
        // could never stop a long `tick`.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    public static func writeOut(_ s: String) {
        var s = s
        s.withUTF8 { buf in _ = fwrite(buf.baseAddress, 1, buf.count, stdout) }
    }

    public static func writeErr(_ s: String) {
        fflush(stdout)
        var s = s
        s.withUTF8 { buf in _ = fwrite(buf.baseAddress, 1, buf.count, stderr) }
    }

    static func flush() { fflush(stdout) }

    static var stdinIsTerminal: Bool { isatty(0) != 0 }
    static var stdoutIsTerminal: Bool { isatty(1) != 0 }
    static var stderrIsTerminal: Bool { isatty(2) != 0 }

    /// Colour only on a terminal, and never with NO_COLOR set (https://no-color.org).
    static func colorEnabled(noColorFlag: Bool, fd: Int32) -> Bool {
        if noColorFlag { return false }
        if let v = FileIO.environment("NO_COLOR"), !v.isEmpty { return false }
        if FileIO.environment("TERM") == "dumb" { return false }
        return isatty(fd) != 0
    }

    /// Makes the line editor handle UTF-8 even when the locale is not a UTF-8 one.
    static func setUpLocale() {
        setlocale(LC_ALL, "")
        if let cs = nl_langinfo(nl_item(CODESET)), String(cString: cs).uppercased().replacingDashes != "UTF8" {
            if setlocale(LC_CTYPE, "C.UTF-8") == nil { _ = setlocale(LC_CTYPE, "en_US.UTF-8") }
        }
    }
}

extension String {
    var replacingDashes: String { String(filter { $0 != "-" }) }
}
