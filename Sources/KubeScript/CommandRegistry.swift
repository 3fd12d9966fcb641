/// A flag a command accepts: `--replicas=3`, `-o wide`, `--all`.
public struct FlagSpec: Sendable {
    public let name: String
    public let short: Character?
    public let takesValue: Bool
    public let valueName: String
    public let help: String
    /// The value a flag written without `=VALUE` takes (`--dry-run` is `--dry-run=unchanged`,
    /// as pflag's NoOptDefVal); nil when the value must follow.
    public let bareValue: String?

    public init(_ name: String, short: Character? = nil, value: String? = nil, bareValue: String? = nil, help: String) {
        self.name = name
        self.short = short
        self.takesValue = value != nil
        self.valueName = value ?? ""
        self.bareValue = bareValue
        self.help = help
    }

    var spelled: String { "--\(name)" }
}

/// A command word and what it accepts. Modules outside the language (the bindings)
/// register these; the parser resolves command lines against them, so unknown commands,
/// sub-commands and flags are reported with the line and a suggestion before anything runs.
public final class CommandSpec: @unchecked Sendable {
    public typealias Handler = (Invocation, CommandContext) throws -> CommandResult

    public let name: String
    public let aliases: [String]
    public let summary: String
    public let usage: String
    public let flags: [FlagSpec]
    public let subcommands: [CommandSpec]
    /// Passes unknown flags through as positionals (e.g. a tool's own flags after `ssh NODE`).
    public let passesUnknownFlags: Bool
    /// Accepts a heredoc body (`apply <<EOF`).
    public let acceptsHeredoc: Bool
    /// Accepts a block form: `cluster {` … `}` on the lines below, passed to the
    /// handler like a heredoc body (one setting per line).
    public let acceptsBlock: Bool
    public let handler: Handler?
    /// Offers completions for the positional at `index` given the words so far.
    public let completer: (@Sendable (_ index: Int, _ words: [String]) -> [String])?
    public weak var parent: CommandSpec?

    public init(_ name: String, aliases: [String] = [], summary: String, usage: String = "",
                flags: [FlagSpec] = [], subcommands: [CommandSpec] = [], passesUnknownFlags: Bool = false,
                acceptsHeredoc: Bool = false,
                acceptsBlock: Bool = false,
                handler: Handler? = nil,
                completer: (@Sendable (Int, [String]) -> [String])? = nil) {
        self.name = name
        self.aliases = aliases
        self.summary = summary
        self.usage = usage.isEmpty ? name : usage
        self.flags = flags
        self.subcommands = subcommands
        self.passesUnknownFlags = passesUnknownFlags
        self.acceptsHeredoc = acceptsHeredoc
        self.acceptsBlock = acceptsBlock
        self.completer = completer
        self.handler = handler
        for s in subcommands { s.parent = self }
    }

    public var fullName: String { parent.map { "\($0.fullName) \(name)" } ?? name }

    public func subcommand(_ word: String) -> CommandSpec? {
        subcommands.first { $0.name == word || $0.aliases.contains(word) }
    }

    /// Flags of this command and of the commands it is a sub-command of.
    public var allFlags: [FlagSpec] { flags + (parent?.allFlags ?? []) }

    /// The help text `help NAME` prints.
    public var helpText: String {
        var lines = ["\(fullName) — \(summary)", "", "usage: \(usage)"]
        if !aliases.isEmpty { lines.append("aliases: \(aliases.joined(separator: ", "))") }
        if !subcommands.isEmpty {
            lines.append("")
            lines.append("sub-commands:")
            let width = subcommands.map(\.name.count).max() ?? 0
            for s in subcommands { lines.append("  \(s.name.padding(width))  \(s.summary)") }
        }
        if !flags.isEmpty {
            lines.append("")
            lines.append("flags:")
            let texts = flags.map { f -> String in
                var t = f.short.map { "-\($0), " } ?? "    "
                t += "--\(f.name)"
                if f.takesValue { t += "=\(f.valueName)" }
                return t
            }
            let width = texts.map(\.count).max() ?? 0
            for (t, f) in zip(texts, flags) { lines.append("  \(t.padding(width))  \(f.help)") }
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}

/// A command line bound against its spec: positionals, flag values (in order), words
/// after `--`, and the heredoc body.
public struct Invocation: Sendable {
    public var path: [String]
    public var positionals: [String] = []
    public var flags: [(name: String, value: String?)] = []
    /// Words after a bare `--`, verbatim (`exec test -- wget -qO- http://web`).
    public var rest: [String]? = nil
    public var heredoc: String? = nil
    public var location: SourceLocation

    /// The last value given for a flag (`--replicas=3` → "3"); "true" for a bare boolean.
    public func flag(_ name: String) -> String? {
        flags.last { $0.name == name }.map { $0.value ?? "true" }
    }
    public func flagValues(_ name: String) -> [String] { flags.filter { $0.name == name }.map { $0.value ?? "true" } }
    public func has(_ name: String) -> Bool { flags.contains { $0.name == name } }

    public func error(_ message: String) -> RuntimeError { RuntimeError(message, at: location) }
}

/// What a command produced: the text it prints and a value for expression use.
/// A non-zero exit code marks a failure (as a shell tool's exit status does).
public final class CommandResult: ScriptObject, @unchecked Sendable {
    public let output: String
    public let exitCode: Int
    public let value: Value
    /// What the tool writes to stderr as warnings (kubectl's "Warning: …" lines): shown
    /// before the output, but not part of `.output` a script captures (as `$(…)` in a shell).
    public let warnings: String

    public init(output: String = "", exitCode: Int = 0, value: Value = .nil, warnings: String = "") {
        self.output = output
        self.exitCode = exitCode
        self.value = value
        self.warnings = warnings
    }

    public var ok: Bool { exitCode == 0 }
    public var typeName: String { "result" }
    public var description: String { output.isEmpty && exitCode == 0 ? value.description : Value.quote(output) }
    public var displayText: String { output.isEmpty && !value.isNil ? value.displayText : output }
    public var memberNames: [String] { ["output", "exitCode", "ok", "lines", "value", "count"] }

    public func member(_ name: String) -> Value? {
        switch name {
        case "output": return .string(output)
        case "exitCode": return .int(exitCode)
        case "ok": return .bool(ok)
        case "lines": return .list(output.split(separator: "\n", omittingEmptySubsequences: false).dropLast(output.hasSuffix("\n") ? 1 : 0).map { .string(String($0)) })
        case "value": return value
        case "count":
            if case .list(let l) = value { return .int(l.count) }
            if case .object(let o) = value { return o.member(name) }
            return nil
        default:
            if case .object(let o) = value { return o.member(name) }
            return nil
        }
    }

    public func callMethod(_ name: String, _ args: [Value]) throws -> Value? {
        if name == "contains", args.count == 1, case .string(let s) = args[0] { return .bool(output.contains(s)) }
        return nil
    }
}

/// A command failed the way the tool it imitates fails: the message is printed as the
/// tool prints it and, in a statement, it stops the script unless `expect` catches it.
public struct CommandFailure: Error, Sendable {
    public let message: String
    public let output: String
    public let exitCode: Int
    public init(_ message: String, output: String = "", exitCode: Int = 1) {
        self.message = message
        self.output = output
        self.exitCode = exitCode
    }
}

/// Every command the parser knows. The language registers its built-ins; bindings
/// modules add the cluster's commands and host functions.
public final class CommandRegistry: @unchecked Sendable {
    public private(set) var commands: [String: CommandSpec] = [:]
    private var primaryNames: [String] = []
    /// Host functions visible to scripts as globals (`pods(...)`, `reachable(...)`).
    public private(set) var functions: [String: Function] = [:]
    /// Flags every command accepts (added by bindings, e.g. `--as`, `-n`).
    public private(set) var globalFlags: [FlagSpec] = []
    /// State a bindings module keeps with the registry it filled (one per session).
    public var hostState: [String: AnyObject] = [:]

    public init() {}

    public func register(_ spec: CommandSpec) {
        if commands[spec.name] == nil { primaryNames.append(spec.name) }
        commands[spec.name] = spec
        for a in spec.aliases { commands[a] = spec }
    }

    public func register(function: Function) { functions[function.name] = function }
    public func register(globalFlag: FlagSpec) { globalFlags.append(globalFlag) }

    public func lookup(_ name: String) -> CommandSpec? { commands[name] }
    /// Names in registration order (aliases excluded), for `help`.
    public var names: [String] { primaryNames }
    public var allNames: [String] { Array(commands.keys) }

    /// Resolves `words` against `spec`: sub-commands, flags, positionals. A word given
    /// as nil is interpolated (unknown until run time) and is taken as a positional.
    /// Errors carry the index of the word they are about.
    /// A quoted word (`"-x"`, `"--"`) is always a positional.
    func bind(_ spec: CommandSpec, words: [String?], quoted: [Bool] = [], location: SourceLocation, startIndex: Int = 0) -> Result<(CommandSpec, Invocation, consumedPath: Int), BindError> {
        func isQuoted(_ i: Int) -> Bool { i < quoted.count && quoted[i] }
        var current = spec
        var index = startIndex
        var path = [spec.name]
        // Sub-commands come first (`rollout status …`).
        while !current.subcommands.isEmpty {
            guard index < words.count, let w = words[index], !isQuoted(index) else {
                if index < words.count { break } // dynamic word: resolved at run time
                if current.handler != nil { break }
                return .failure(BindError(.missingSubcommand(current.fullName, choices: current.subcommands.map(\.name)), wordIndex: nil))
            }
            if let sub = current.subcommand(w) {
                current = sub
                path.append(sub.name)
                index += 1
                continue
            }
            if current.handler != nil { break }
            let names = current.subcommands.map(\.name)
            return .failure(BindError(.unknownSubcommand(w, of: current.fullName, suggestion: Suggest.nearest(w, in: names), choices: names), wordIndex: index))
        }
        var inv = Invocation(path: path, location: location)
        let flags = current.allFlags + globalFlags
        let consumedPath = index - startIndex
        while index < words.count {
            guard let w = words[index] else { inv.positionals.append(""); index += 1; continue }
            if w == "--" && !isQuoted(index) {
                inv.rest = words[(index + 1)...].map { $0 ?? "" }
                break
            }
            if w.count > 1 && w.hasPrefix("-") && !isNumber(w) && !isQuoted(index) {
                let isLong = w.hasPrefix("--")
                let body = isLong ? String(w.dropFirst(2)) : String(w.dropFirst())
                var name = body
                var value: String? = nil
                if let eq = body.firstIndex(of: "=") {
                    name = String(body[..<eq])
                    value = String(body[body.index(after: eq)...])
                }
                var spec: FlagSpec?
                if isLong {
                    spec = flags.first { $0.name == name }
                } else if let first = name.first, let s = flags.first(where: { $0.short == first }) {
                    if name.count == 1 {
                        spec = s
                    } else if s.takesValue && value == nil {
                        // `-owide`: the rest of the word is the value.
                        spec = s
                        value = String(name.dropFirst())
                    }
                    if let s = spec { name = s.name }
                    // `-it`, `-itn ns`: pflag's combined shorthands (parseSingleShortArg) —
                    // boolean flags one letter each; a letter that takes a value takes the
                    // rest of the word, or the next word when it is the last letter.
                    if spec == nil, value == nil, !s.takesValue, let run = Self.shorthandRun(name, flags: flags) {
                        for (f, v) in run.dropLast() { inv.flags.append((f.name, v)) }
                        spec = run.last!.0
                        name = spec!.name
                        value = run.last!.1
                    }
                }
                guard let flag = spec else {
                    if current.passesUnknownFlags { inv.positionals.append(w); index += 1; continue }
                    let candidates = flags.map(\.spelled) + flags.compactMap { $0.short.map { "-\($0)" } }
                    let spelled = isLong ? "--\(name)" : w
                    return .failure(BindError(.unknownFlag(spelled, command: current.fullName, suggestion: Suggest.nearest(isLong ? "--\(name)" : w, in: candidates)), wordIndex: index))
                }
                if flag.takesValue && value == nil, let bare = flag.bareValue {
                    value = bare
                } else if flag.takesValue && value == nil {
                    guard index + 1 < words.count else {
                        return .failure(BindError(.flagNeedsValue(w), wordIndex: index))
                    }
                    value = words[index + 1] ?? ""
                    index += 1
                } else if !flag.takesValue, let v = value, !["true", "false"].contains(v) {
                    return .failure(BindError(.flagTakesNoValue(w), wordIndex: index))
                }
                if !flag.takesValue && value == "false" { index += 1; continue }
                inv.flags.append((flag.name, flag.takesValue ? value : nil))
                index += 1
                continue
            }
            inv.positionals.append(w)
            index += 1
        }
        return .success((current, inv, consumedPath))
    }

    /// The flags of a combined shorthand word (`it` → -i, -t; `itn` → -i, -t, -n with
    /// the next word): nil unless every letter is a known short flag.
    static func shorthandRun(_ letters: String, flags: [FlagSpec]) -> [(FlagSpec, String?)]? {
        var out: [(FlagSpec, String?)] = []
        var rest = Substring(letters)
        while let c = rest.first {
            guard let f = flags.first(where: { $0.short == c }) else { return nil }
            rest = rest.dropFirst()
            if f.takesValue {
                out.append((f, rest.isEmpty ? nil : String(rest)))
                return out
            }
            out.append((f, nil))
        }
        return out
    }

    /// `-1`, `-5s`, `-1.5Gi`: a negative number, duration or quantity is an argument
    /// (the command then says what it thinks of it), never a flag.
    private func isNumber(_ w: String) -> Bool {
        Double(w) != nil || (w.hasPrefix("-") && w.utf8.dropFirst().first.map { $0 >= 0x30 && $0 <= 0x39 } == true)
    }

    struct BindError: Error {
        let message: DiagnosticMessage
        let wordIndex: Int?
        init(_ message: DiagnosticMessage, wordIndex: Int?) { self.message = message; self.wordIndex = wordIndex }
    }
}

/// What a running command may use: where to print, the session's seed, and a place
/// for bindings to keep their state (the cluster) without the language knowing its type.
public final class CommandContext: @unchecked Sendable {
    public let registry: CommandRegistry
    /// Writes text to the session's output (the transcript).
    public var write: (String) -> Void
    public var seed: UInt64
    /// Whether output goes to a terminal (colour, screen clearing, progress lines).
    public var isTerminal: Bool
    /// Named state of host modules (e.g. "cluster").
    public var state: [String: AnyObject] = [:]
    /// Set by `exit`: the session should end with this code.
    public var exitRequest: Int32?
    /// Called by `seed N` so every random source restarts from the new seed.
    public var onReseed: (UInt64) -> Void = { _ in }
    /// Lets long-running commands notice Ctrl-C.
    public var isInterrupted: () -> Bool = { false }
    /// How many simulation events one command (`tick`, `settle`, a waiting tool) may
    /// run before it is stopped with an error: `tick 999999h` ends, it does not hang.
    public var maxEvents = CommandContext.defaultMaxEvents
    public static let defaultMaxEvents = 5_000_000

    public init(registry: CommandRegistry, seed: UInt64 = 1, isTerminal: Bool = false, write: @escaping (String) -> Void) {
        self.registry = registry
        self.seed = seed
        self.isTerminal = isTerminal
        self.write = write
    }
}
