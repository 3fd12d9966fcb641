import KubeSimCore
import KubeSimNet
import KubeSimControl

/// A container's program: busybox `sh` scripts (`touch /tmp/healthy; sleep 30; rm -f
/// /tmp/healthy; sleep 600`), agnhost sub-commands and the built-in servers, compiled to
/// a few instructions the runtime steps through on the simulated clock.
public enum Instr: Sendable, Equatable {
    case run([Word])
    case jump(Int)
    case jumpIfFail(Int)
    case jumpIfOK(Int)
    /// `for VAR in ITEMS`: next item into VAR, or jump to the end.
    case forNext(slot: Int, variable: String, items: [Word], end: Int)
    case forInit(slot: Int)
    /// Built-in server behaviour.
    case listen([Int])
    case setRoute(String, AppBehaviour.Route)
    case log(String)
    /// Several lines at once (an image's startup lines, shared).
    case logs([String])
    case sleep(SimDuration)
    case forever
    case exit(Int, String?)
}

/// A shell word: literal text with `$VAR`, `${VAR}` and `$(cmd)` expanded at run time.
public struct Word: Sendable, Equatable {
    public var text: String
    /// Single-quoted: no expansion.
    public var literal: Bool
    public init(_ text: String, literal: Bool = false) { self.text = text; self.literal = literal }
}

public enum ShellCompiler {
    enum Tok: Equatable { case word(Word), semi, and, or, pipe, newline }

    static func tokenize(_ s: String) -> [Tok] {
        var out: [Tok] = []
        let c = Array(s)
        var i = 0
        while i < c.count {
            let ch = c[i]
            if ch == " " || ch == "\t" { i += 1; continue }
            if ch == "\n" || ch == ";" { out.append(ch == ";" ? .semi : .newline); i += 1; continue }
            if ch == "#" { while i < c.count && c[i] != "\n" { i += 1 }; continue }
            if ch == "&" { if i + 1 < c.count && c[i + 1] == "&" { out.append(.and); i += 2 } else { out.append(.semi); i += 1 }; continue }
            if ch == "|" { if i + 1 < c.count && c[i + 1] == "|" { out.append(.or); i += 2 } else { out.append(.pipe); i += 1 }; continue }
            // `2>&1`, `2>FILE`, `>&2`: a file descriptor glued to a redirection.
            if (ch == "2" || ch == "1") && i + 1 < c.count && c[i + 1] == ">" && (i == 0 || " \t;&|".contains(c[i - 1])) {
                if i + 3 < c.count && c[i + 2] == "&" && c[i + 3].isNumber { out.append(.word(Word("\(ch)>&\(c[i + 3])", literal: true))); i += 4; continue }
                if i + 2 < c.count && c[i + 2] == ">" { out.append(.word(Word("\(ch)>>", literal: true))); i += 3; continue }
                out.append(.word(Word("\(ch)>", literal: true))); i += 2; continue
            }
            if ch == ">" && i + 2 < c.count && c[i + 1] == "&" && c[i + 2].isNumber {
                out.append(.word(Word(">&\(c[i + 2])", literal: true))); i += 3; continue
            }
            if ch == ">" {
                if i + 1 < c.count && c[i + 1] == ">" { out.append(.word(Word(">>", literal: true))); i += 2 } else { out.append(.word(Word(">", literal: true))); i += 1 }
                continue
            }
            var text = ""
            var literal = false
            while i < c.count, !" \t\n;&|>".contains(c[i]) {
                if c[i] == "'" {
                    literal = true
                    i += 1
                    while i < c.count && c[i] != "'" { text.append(c[i]); i += 1 }
                    i += 1
                } else if c[i] == "\"" {
                    i += 1
                    while i < c.count && c[i] != "\"" {
                        if c[i] == "\\" && i + 1 < c.count { i += 1 }
                        text.append(c[i]); i += 1
                    }
                    i += 1
                } else if c[i] == "$" && i + 1 < c.count && c[i + 1] == "(" {
                    var depth = 0
                    while i < c.count {
                        text.append(c[i])
                        if c[i] == "(" { depth += 1 } else if c[i] == ")" { depth -= 1; if depth == 0 { i += 1; break } }
                        i += 1
                    }
                } else {
                    if c[i] == "\\" && i + 1 < c.count { i += 1 }
                    text.append(c[i]); i += 1
                }
            }
            out.append(.word(Word(text, literal: literal)))
        }
        return out
    }

    /// Compiles a script; syntax it does not know becomes commands that fail as sh would.
    public static func compile(_ script: String) -> [Instr] {
        var p = Parser(toks: tokenize(script))
        var code: [Instr] = []
        p.list(into: &code, until: [])
        return code
    }

    struct Parser {
        var toks: [Tok]
        var i = 0
        var slots = 0

        func peekWord() -> String? { if i < toks.count, case .word(let w) = toks[i] { return w.text } else { return nil } }
        mutating func skipSeparators() { while i < toks.count, toks[i] == .semi || toks[i] == .newline { i += 1 } }

        /// Statements up to one of the keywords `until` (not consumed).
        mutating func list(into code: inout [Instr], until stop: Set<String>) {
            while true {
                skipSeparators()
                guard i < toks.count else { return }
                if let w = peekWord(), stop.contains(w) { return }
                andOr(into: &code, stop: stop)
            }
        }

        mutating func andOr(into code: inout [Instr], stop: Set<String>) {
            var patches: [(Int, Bool)] = []
            command(into: &code, stop: stop)
            while i < toks.count, toks[i] == .and || toks[i] == .or || toks[i] == .pipe {
                let op = toks[i]
                i += 1
                while i < toks.count, toks[i] == .newline { i += 1 }
                if op == .pipe { command(into: &code, stop: stop); continue }   // a | b: b's status (output not piped)
                patches.append((code.count, op == .and))
                code.append(.jump(0))
                command(into: &code, stop: stop)
            }
            for (at, isAnd) in patches { code[at] = isAnd ? .jumpIfFail(code.count) : .jumpIfOK(code.count) }
        }

        mutating func expect(_ kw: String) { if peekWord() == kw { i += 1 } }

        mutating func command(into code: inout [Instr], stop: Set<String>) {
            guard let w = peekWord() else { i += 1; return }
            switch w {
            case "while", "until":
                i += 1
                let top = code.count
                list(into: &code, until: ["do"])
                expect("do")
                let test = code.count
                code.append(.jump(0))
                list(into: &code, until: ["done"])
                expect("done")
                code.append(.jump(top))
                code[test] = w == "while" ? .jumpIfFail(code.count) : .jumpIfOK(code.count)
            case "for":
                i += 1
                let variable = peekWord() ?? "_"
                i += 1
                var items: [Word] = []
                if peekWord() == "in" {
                    i += 1
                    while i < toks.count, case .word(let x) = toks[i] { items.append(x); i += 1 }
                }
                skipSeparators()
                expect("do")
                let slot = slots
                slots += 1
                code.append(.forInit(slot: slot))
                let top = code.count
                code.append(.jump(0))
                list(into: &code, until: ["done"])
                expect("done")
                code.append(.jump(top))
                code[top] = .forNext(slot: slot, variable: variable, items: items, end: code.count)
            case "if":
                i += 1
                list(into: &code, until: ["then"])
                expect("then")
                let test = code.count
                code.append(.jump(0))
                list(into: &code, until: ["else", "fi", "elif"])
                if peekWord() == "else" {
                    i += 1
                    let skip = code.count
                    code.append(.jump(0))
                    code[test] = .jumpIfFail(code.count)
                    list(into: &code, until: ["fi"])
                    code[skip] = .jump(code.count)
                } else {
                    code[test] = .jumpIfFail(code.count)
                }
                expect("fi")
            default:
                var words: [Word] = []
                while i < toks.count, case .word(let x) = toks[i] {
                    if words.isEmpty && stop.contains(x.text) { break }
                    words.append(x); i += 1
                }
                if !words.isEmpty { code.append(.run(words)) }
            }
        }
    }

    /// The program a container runs: its command and args against the image.
    public static func program(image: ImageSpec, command: [String], args: [String]) -> [Instr] {
        let app = image.app
        if image.repository.hasSuffix("/agnhost") { return agnhost(command.isEmpty ? args : Array((command + args).dropFirst())) }
        if app.runsCommand {
            let argv = command.isEmpty ? (args.isEmpty ? ["sh"] : args) : command + args
            if ["sh", "/bin/sh", "bash", "/bin/bash", "ash"].contains(argv[0]) {
                if argv.count >= 3 && argv[1] == "-c" { return compile(argv[2]) }
                // sh with no script and no terminal: reads EOF from stdin and exits 0.
                return [.exit(0, nil)]
            }
            return [.run(argv.map { Word($0, literal: true) })]
        }
        var code: [Instr] = []
        for (name, message) in app.requiredEnv {
            code.append(.run([Word("test", literal: true), Word("-n", literal: true), Word("$" + name)]))
            code.append(.jumpIfOK(code.count + 2))
            code.append(.exit(1, message))
        }
        if app.readyAfter > .zero { code.append(.sleep(app.readyAfter)) }
        if !app.startupLogs.isEmpty { code.append(.logs(app.startupLogs)) }
        if !app.listen.isEmpty { code.append(.listen(app.listen)) }
        if let c = app.crashAfter {
            code.append(.sleep(c - app.readyAfter))
            code.append(.exit(app.exitCode, app.crashLog))
        } else if let e = app.exitAfter {
            code.append(.sleep(e - app.readyAfter))
            code.append(.exit(0, nil))
        } else {
            code.append(.forever)
        }
        return code
    }

    /// agnhost sub-commands (test/images/agnhost): netexec, serve-hostname, liveness,
    /// pause, test-webserver.
    static func agnhost(_ args: [String]) -> [Instr] {
        guard let sub = args.first else {
            return [.log("agnhost: a tool for Kubernetes e2e tests"), .log("Usage:\n  agnhost [command]"), .exit(0, nil)]
        }
        func flag(_ name: String, _ dflt: Int) -> Int {
            for (i, a) in args.enumerated() {
                if a.hasPrefix("--\(name)=") { return Int(a.dropFirst(name.count + 3)) ?? dflt }
                if a == "--\(name)", i + 1 < args.count { return Int(args[i + 1]) ?? dflt }
            }
            return dflt
        }
        switch sub {
        case "netexec":
            let port = flag("http-port", 8080)
            return [.log("Started HTTP server on port \(port)"), .setRoute("/healthz", .init(status: 200, body: "")),
                    .setRoute("/hostname", .init(status: 200, body: "$HOSTNAME")), .setRoute("/", .init(status: 200, body: "NOW: {now}")),
                    .setRoute("/clientip", .init(status: 200, body: "{client}")), .setRoute("/echo", .init(status: 200, body: "{msg}")),
                    .listen([port]), .forever]
        case "serve-hostname":
            let port = flag("port", 9376)
            return [.log("Serving on port \(port)."), .setRoute("/", .init(status: 200, body: "$HOSTNAME")), .listen([port]), .forever]
        case "liveness":
            // Serves /healthz 200 for 10 s, then 500 (test/images/agnhost/liveness).
            return [.setRoute("/healthz", .init(status: 200, body: "ok")), .listen([8080]), .sleep(.seconds(10)),
                    .setRoute("/healthz", .init(status: 500, body: "error: 10s")), .forever]
        case "pause":
            return [.log("Paused"), .forever]
        case "test-webserver":
            return [.setRoute("/", .init(status: 200, body: "Hello World!")), .listen([80]), .forever]
        default:
            return [.exit(1, "Error: unknown command \"\(sub)\" for \"agnhost\"\nRun 'agnhost --help' for usage.")]
        }
    }
}
