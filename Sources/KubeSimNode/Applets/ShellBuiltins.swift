import KubeSimCore

/// sh's builtins and busybox's one-line applets: echo, printf, true/false, exit, sleep
/// and the commands that change nothing this model keeps (cd, mkdir, kill, …),
/// hostname, date, whoami, pwd, env/printenv.
enum ShellBuiltins {
    static let all: [Applet] = [echo, printf, trueFalse, exit, sleep, noEffect, hostname, date, whoami, pwd, env]

    static let echo = Applet("echo") { _, _, args in
        var a = args
        while let f = a.first, f == "-n" || f == "-e" { a.removeFirst() }
        return (0, a.joined(separator: " ").replacingOccurrences("\\n", "\n"))
    }

    static let printf = Applet("printf") { _, _, args in
        guard var f = args.first else { return (0, "") }
        for a in args.dropFirst() { if let r = f.firstRange(of: "%s") { f.replaceSubrange(r, with: a) } else if let r = f.firstRange(of: "%d") { f.replaceSubrange(r, with: a) } }
        return (0, f.replacingOccurrences("\\n", "\n").trimmingTrailingNewlines)
    }

    static let trueFalse = Applet("true", ":", "false") { _, name, _ in (name == "false" ? 1 : 0, "") }

    static let exit = Applet("exit") { p, _, args in
        let code = args.first.flatMap { Int($0) } ?? p.status
        p.finish(code, nil)
        return (code, "")
    }

    /// busybox sleep (coreutils/sleep.c, FEATURE_FANCY_SLEEP): non-negative numbers, each
    /// with an optional s, m, h or d (`1.5`, `2m`, `inf`). In a container's program it
    /// blocks; an exec'd `sleep` lets simulated time pass.
    static let sleep = Applet("sleep", blocks: { _, argv in sleepDuration(argv) }) { p, _, args in
        if let bad = ContainerProcess.invalidSleepArgument(args) { return (1, "sleep: invalid number '\(bad)'") }
        if let advance = p.advance, case .some(.some(let d)) = sleepDuration(["sleep"] + args) { advance(d) }
        return (0, "")
    }

    static func sleepDuration(_ argv: [String]) -> SimDuration?? {
        guard argv.count > 1 else { return nil }
        let t = argv[1]
        if t == "infinity" || t == "inf" { return .some(nil) }
        if let n = Double(t) {
            // Longer than a century (or not finite): as good as forever.
            guard n.isFinite, n >= 0, n < 3.0e9 else { return .some(nil) }
            return .some(SimDuration(nanoseconds: Int64(n * 1e9)))
        }
        if let unit = t.last, let scale = ["s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0][String(unit)], let n = Double(t.dropLast()) {
            guard n.isFinite, n >= 0, n * scale < 3.0e9 else { return .some(nil) }
            return .some(SimDuration(nanoseconds: Int64(n * scale * 1e9)))
        }
        if let d = SimDuration(parsing: t) { return .some(d) }
        return nil
    }

    /// Commands whose effects this model does not keep (signals, directories, limits), and
    /// `tail -f` / `yes`, which block a container's program for ever. `export` sets variables.
    static let noEffect = Applet("tail", "yes", "kill", "trap", "set", "export", "cd", "mkdir", "chmod", "sync", "wait", "ulimit",
                                 blocks: { _, argv in argv[0] == "yes" || (argv[0] == "tail" && argv.contains("-f")) ? .some(nil) : nil }) { p, name, args in
        if name == "export" { for a in args { let kv = a.split(separator: "=", maxSplits: 1); if kv.count == 2 { p.setVar(String(kv[0]), String(kv[1])) } } }
        return (0, "")
    }

    static let hostname = Applet("hostname") { p, _, args in
        (0, args.contains("-f") ? p.fqdn : (args.contains("-i") ? (p.netns?.sandbox?.ip ?? "127.0.0.1") : p.hostname))
    }
    static let date = Applet("date") { p, _, _ in (0, ContainerProcess.date(p.clock.now)) }
    static let whoami = Applet("whoami") { _, _, _ in (0, "root") }
    static let pwd = Applet("pwd") { _, _, _ in (0, "/") }

    static let env = Applet("env", "printenv") { p, name, args in
        let all = p.env
        if name == "printenv", let k = args.first { return all.first { $0.0 == k }.map { (0, $0.1) } ?? (1, "") }
        return (0, all.map { "\($0.0)=\($0.1)" }.joined(separator: "\n"))
    }
}
