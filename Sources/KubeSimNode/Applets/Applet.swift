import KubeSimCore

/// A program a container's `sh` runs: busybox's applets (wget, nc, ping, ls, …) and the
/// shell's own builtins (echo, export, exit). Each has its names, what it does when run to
/// completion, and — for servers, `sleep` and `tail -f` — whether an invocation blocks the
/// program. One file per applet (or per family of one-line builtins); the shell looks
/// commands up here, and a name that is not here is `sh: NAME: not found`, as in a
/// busybox image.
struct Applet: Sendable {
    let names: [String]
    /// Runs the command: exit status and its output (stdout and stderr are one stream).
    let run: @Sendable (_ process: ContainerProcess, _ name: String, _ args: [String]) -> (Int, String)
    /// For a command that can block the program: `.some(d)` sleeps for d, `.some(nil)`
    /// blocks for ever (a server, `tail -f`), nil when this invocation runs to completion.
    var blocks: (@Sendable (_ process: ContainerProcess, _ argv: [String]) -> SimDuration??)?

    init(_ names: String..., blocks: (@Sendable (ContainerProcess, [String]) -> SimDuration??)? = nil,
         run: @escaping @Sendable (ContainerProcess, String, [String]) -> (Int, String)) {
        self.names = names; self.run = run; self.blocks = blocks
    }

    static let all: [Applet] = ShellBuiltins.all + FileApplets.all + [wget, nc, httpd, netstat, ping, traceroute, ip, nslookup, getent]

    private static let byName: [String: Applet] = {
        var table: [String: Applet] = [:]
        for a in all { for n in a.names { precondition(table[n] == nil, "two applets named \(n)"); table[n] = a } }
        return table
    }()

    static func named(_ name: String) -> Applet? { byName[name] }

    /// Every command name a container's shell knows, sorted.
    static var names: [String] { byName.keys.sorted() }
}

extension ContainerProcess {
    /// Runs one non-blocking command through the applet table.
    func builtin(_ argv: [String]) -> (Int, String) {
        guard let cmd = argv.first else { return (0, "") }
        guard let applet = Applet.named(cmd) else { return (127, "sh: \(cmd): not found") }
        return applet.run(self, cmd, Array(argv.dropFirst()))
    }

    /// Commands that block: `sleep N` (Some(duration)), servers and `tail -f` (Some(nil)).
    func blocking(_ argv: [String]) -> SimDuration?? {
        guard let cmd = argv.first, let blocks = Applet.named(cmd)?.blocks else { return nil }
        return blocks(self, argv)
    }
}
