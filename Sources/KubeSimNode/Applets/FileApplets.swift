/// busybox's file applets over the container's files and mounts: touch, rm, cat, ls,
/// test / [, wc.
enum FileApplets {
    static let all: [Applet] = [touch, rm, cat, ls, test, wc]

    static let touch = Applet("touch") { p, _, args in
        for f in args where p.read(f) == nil { if let e = p.write(f, "", append: false) { return (1, e.replacingOccurrences("sh: can't create", "touch:")) } }
        return (0, "")
    }

    static let rm = Applet("rm") { p, _, args in
        let force = args.contains { $0.hasPrefix("-") && $0.contains("f") }
        for f in args where !f.hasPrefix("-") {
            let (s, path, ro) = p.resolve(f)
            if ro { return (1, "rm: can't remove '\(f)': Read-only file system") }
            let had = s.files.removeValue(forKey: path) != nil
            let prefix = path.hasSuffix("/") ? path : path + "/"
            let children = s.files.keys.filter { $0.hasPrefix(prefix) }
            for k in children { s.files.removeValue(forKey: k) }
            if !had && children.isEmpty && !force { return (1, "rm: can't remove '\(f)': No such file or directory") }
            p.onChange()
        }
        return (0, "")
    }

    static let cat = Applet("cat") { p, _, args in
        var out: [String] = []
        for f in args where !f.hasPrefix("-") {
            guard let text = p.read(f) else { return (1, (out + ["cat: can't open '\(f)': No such file or directory"]).joined(separator: "\n")) }
            out.append(text.trimmingTrailingNewlines)
        }
        return (0, out.joined(separator: "\n"))
    }

    static let ls = Applet("ls") { p, _, args in
        let dir = args.last { !$0.hasPrefix("-") } ?? "/"
        if p.read(dir) != nil { return (0, dir) }
        let names = p.listFiles(dir).map(\.0)
        if names.isEmpty && !p.mounts.contains(where: { $0.0 == dir }) { return (1, "ls: \(dir): No such file or directory") }
        return (0, names.joined(separator: "\n"))
    }

    static let test = Applet("test", "[") { p, name, args in
        var a = args
        if name == "[" && a.last == "]" { a.removeLast() }
        return (ContainerProcess.test(a, read: { p.read($0) }) ? 0 : 1, "")
    }

    static let wc = Applet("wc") { p, _, args in
        if let f = args.last, let text = p.read(f) { return (0, "\(text.split(separator: "\n").count) \(f)") }
        return (1, "wc: \(args.last ?? ""): No such file or directory")
    }
}
