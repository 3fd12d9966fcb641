import Foundation
import Testing

/// The REPL as a person uses it: through a pseudo-terminal (tmux), typing keys and
/// reading the screen.
@Suite("REPL in a terminal", .serialized)
struct REPLTests {
    /// One tmux server per test run, on its own socket.
    final class Tmux {
        let socket = "kubesim-test-\(UUID().uuidString.prefix(8))"
        let session = "repl"
        let history: String

        init(history: String, locale: String = "C.UTF-8", editor: String? = nil) throws {
            self.history = history
            try tmux(["new-session", "-d", "-s", session, "-x", "100", "-y", "40",
                      "env KUBESIM_HISTORY='\(history)' NO_COLOR=1 TERM=xterm LANG=\(locale) LC_ALL=\(locale) \(editor.map { "EDITOR='\($0)' " } ?? "")'\(Binary.path)'"])
        }

        /// Runs tmux on this test's socket and returns what it printed. Uses
        /// posix_spawn and waitpid directly: the tmux server that `new-session` forks
        /// keeps the client's descriptors, which confuses pipe-reading helpers.
        @discardableResult
        func tmux(_ args: [String]) throws -> String {
            let path = NSTemporaryDirectory() + "kubesim-tmux-\(UUID().uuidString)"
            defer { unlink(path) }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
            let argv = ["tmux", "-L", socket] + args
            var cargs = argv.map { strdup($0) } + [nil]
            defer { for a in cargs { free(a) } }
            // Test worker threads block signals, and a child inherits the mask: give
            // tmux (and the REPL it starts) a clean one, with default dispositions.
            var attr = posix_spawnattr_t()
            posix_spawnattr_init(&attr)
            defer { posix_spawnattr_destroy(&attr) }
            var none = sigset_t(), all = sigset_t()
            sigemptyset(&none)
            sigfillset(&all)
            posix_spawnattr_setsigmask(&attr, &none)
            posix_spawnattr_setsigdefault(&attr, &all)
            posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
            var pid: pid_t = 0
            let rc = posix_spawnp(&pid, "tmux", &actions, &attr, &cargs, environ)
            guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EINVAL) }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            return String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
        }

        func send(_ keys: String...) throws { try tmux(["send-keys", "-t", session] + keys) }
        /// Types text literally (no key-name interpretation).
        func type(_ text: String) throws { try tmux(["send-keys", "-t", session, "-l", text]) }

        var screen: String { (try? tmux(["capture-pane", "-t", session, "-p"])) ?? "" }

        /// Waits until the screen satisfies `predicate` (up to `timeout` seconds).
        @discardableResult
        func waitFor(_ timeout: Double = 10, _ predicate: (String) -> Bool) -> String {
            let deadline = Date().addingTimeInterval(timeout)
            var s = screen
            while !predicate(s) && Date() < deadline {
                usleep(50_000)
                s = screen
            }
            return s
        }

        func waitForLine(_ line: String, timeout: Double = 10) -> String {
            waitFor(timeout) { $0.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces) == line } }
        }

        var isAlive: Bool {
            ((try? tmux(["list-panes", "-t", session, "-F", "#{pane_dead}"])) ?? "").hasPrefix("0")
        }

        deinit { _ = try? tmux(["kill-server"]) }
    }

    static let tmuxAvailable = FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux")

    @Test func expressionsContinuationCompletionInterruptAndHistory() throws {
        try #require(Self.tmuxAvailable, "tmux is installed by scripts/test")
        let history = NSTemporaryDirectory() + "kubesim-hist-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: history) }
        let t = try Tmux(history: history)
        var screen = t.waitFor { $0.contains("kubesim>") }
        #expect(screen.contains("kubesim>"))
        usleep(200_000)  // let the line editor take the terminal

        // An expression's value is printed.
        try t.type("1+1"); try t.send("Enter")
        screen = t.waitForLine("2")
        #expect(screen.contains("kubesim> 1+1\n2\n"))

        // An open bracket asks for more with the continuation prompt.
        try t.type("let total = (40 +"); try t.send("Enter")
        screen = t.waitFor { $0.contains("...>") }
        #expect(screen.contains("...>"))
        try t.type("2)"); try t.send("Enter")
        try t.type("total"); try t.send("Enter")
        screen = t.waitForLine("42")
        #expect(screen.contains("\n42\n"))

        // TAB completes a command word from the registry.
        try t.type("hel"); try t.send("Tab")
        screen = t.waitFor { $0.contains("kubesim> help") }
        #expect(screen.contains("kubesim> help"))
        try t.type(" seed"); try t.send("Enter")
        screen = t.waitFor { $0.contains("usage: seed N") }
        #expect(screen.contains("usage: seed N"))

        // Ctrl-C during a running loop stops it and keeps the state.
        try t.type("var n = 0; while true { n += 1 }"); try t.send("Enter")
        usleep(300_000)
        try t.send("C-c")
        screen = t.waitForLine("interrupted")
        #expect(screen.contains("interrupted"))
        try t.type("n > 0"); try t.send("Enter")
        screen = t.waitForLine("true")
        #expect(screen.contains("\ntrue\n"))

        // Ctrl-C on a partial line drops it.
        try t.type("this is dropped"); try t.send("C-c")
        try t.type("7 * 6"); try t.send("Enter")
        screen = t.waitFor { $0.components(separatedBy: "\n42\n").count > 2 }
        #expect(!screen.contains("undefined variable"))

        // Ctrl-D exits.
        try t.send("C-d")
        _ = t.waitFor(5) { _ in !t.isAlive }

        // History was written as we went, and Up recalls it in a new process.
        let saved = try String(contentsOfFile: history, encoding: .utf8)
        #expect(saved.hasPrefix("1+1\nlet total = (40 +\n2)\ntotal\n"))
        #expect(saved.hasSuffix("7 * 6\n"))
        let t2 = try Tmux(history: history)
        _ = t2.waitFor { $0.contains("kubesim>") }
        usleep(200_000)
        try t2.send("Up")
        screen = t2.waitFor { $0.contains("kubesim> 7 * 6") }
        #expect(screen.contains("kubesim> 7 * 6"))
    }

    @Test func errorsKeepTheSessionAlive() throws {
        try #require(Self.tmuxAvailable, "tmux is installed by scripts/test")
        let history = NSTemporaryDirectory() + "kubesim-hist-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: history) }
        let t = try Tmux(history: history)
        _ = t.waitFor { $0.contains("kubesim>") }
        usleep(200_000)
        try t.type("let x = 1 / 0"); try t.send("Enter")
        var screen = t.waitFor { $0.contains("division by zero") }
        #expect(screen.contains("<repl>:1:9: error: division by zero"))
        try t.type("deploymnet web"); try t.send("Enter")
        screen = t.waitFor { $0.contains("unknown command") }
        #expect(screen.contains("error: unknown command 'deploymnet'"))
        try t.type("\"still here\""); try t.send("Enter")
        screen = t.waitForLine("\"still here\"")
        #expect(screen.contains("\n\"still here\"\n"))
        #expect(t.isAlive)
    }

    /// kubectl edit: the object's YAML in $EDITOR, written back when it changed.
    @Test func editRunsTheEditor() throws {
        try #require(Self.tmuxAvailable, "tmux is installed by scripts/test")
        let history = NSTemporaryDirectory() + "kubesim-hist-\(UUID().uuidString)"
        let editor = NSTemporaryDirectory() + "kubesim-editor-\(UUID().uuidString).sh"
        defer { try? FileManager.default.removeItem(atPath: history); try? FileManager.default.removeItem(atPath: editor) }
        try "#!/bin/sh\nsed -i 's/replicas: 1$/replicas: 2/' \"$1\"\n".write(toFile: editor, atomically: true, encoding: .utf8)
        chmod(editor, 0o755)
        let t = try Tmux(history: history, editor: editor)
        _ = t.waitFor { $0.contains("kubesim>") }
        usleep(200_000)
        try t.type("cluster nodes=1"); try t.send("Enter")
        _ = t.waitFor { $0.contains("cluster created") }
        try t.type("create deployment web --image=nginx"); try t.send("Enter")
        _ = t.waitFor { $0.contains("deployment.apps/web created") }
        try t.type("edit deployment web"); try t.send("Enter")
        var screen = t.waitFor { $0.contains("edited") }
        #expect(screen.contains("deployment.apps/web edited"))
        try t.type("get deploy web -o jsonpath='{.spec.replicas}'"); try t.send("Enter")
        screen = t.waitForLine("2")
        #expect(screen.contains("\n2\n"))
        try t.type("edit deployment web"); try t.send("Enter")
        screen = t.waitFor { $0.contains("Edit cancelled") }
        #expect(screen.contains("Edit cancelled, no changes made."))
    }

    @Test func editsUTF8EvenInTheCLocale() throws {
        try #require(Self.tmuxAvailable, "tmux is installed by scripts/test")
        let history = NSTemporaryDirectory() + "kubesim-hist-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: history) }
        let t = try Tmux(history: history, locale: "C")
        _ = t.waitFor { $0.contains("kubesim>") }
        usleep(200_000)
        // Two cursor moves left and a backspace must treat ✓ and ï as one character each.
        try t.type("\"naïve ✓\"")
        try t.send("Left", "Left", "BSpace", "Enter")
        let screen = t.waitForLine("\"naïve✓\"")
        #expect(screen.contains("\n\"naïve✓\"\n"))
    }
}
