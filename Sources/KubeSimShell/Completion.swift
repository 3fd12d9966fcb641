import KubeScript

/// TAB completion from the same registry the parser uses: command words at the start
/// of a line (or after `kubectl`), then sub-commands, flags and the command's own
/// positional completer; elsewhere keywords, variables and functions.
public struct Completer {
    let registry: CommandRegistry
    let names: () -> [String]

    static let keywords = ["let", "var", "if", "else", "for", "in", "while", "func", "return", "break",
                           "continue", "print", "assert", "expect", "include", "true", "false", "nil",
                           "and", "or", "not"]

    public init(registry: CommandRegistry, names: @escaping () -> [String]) {
        self.registry = registry
        self.names = names
    }

    /// Candidates for the word that ends at the end of `prefix` (the line up to the cursor).
    public func candidates(forLinePrefix prefix: String) -> [String] {
        let wordStart = prefix.lastIndex(where: { $0 == " " || $0 == "\t" || $0 == "(" || $0 == ";" || $0 == "{" }).map { prefix.index(after: $0) } ?? prefix.startIndex
        let word = String(prefix[wordStart...])
        let before = prefix[..<wordStart]
        // Words of the current statement before the one being completed.
        let statement = before.split(whereSeparator: { $0 == ";" || $0 == "{" || $0 == "(" }).last.map(String.init) ?? ""
        var words = statement.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        if before.last == ";" || before.last == "{" || before.last == "(" { words = [] }
        if words.first == "kubectl" { words.removeFirst() }
        let options: [String]
        if words.isEmpty {
            options = registry.names + registry.commands.values.flatMap(\.aliases) + Completer.keywords + names()
        } else if let spec = registry.lookup(words[0]) {
            options = commandOptions(spec, words: Array(words.dropFirst()), word: word)
        } else {
            options = Completer.keywords + names()
        }
        return Array(Set(options.filter { $0.hasPrefix(word) })).sorted()
    }

    func commandOptions(_ spec: CommandSpec, words: [String], word: String) -> [String] {
        var spec = spec
        var rest = words[...]
        while let w = rest.first, let sub = spec.subcommand(w) {
            spec = sub
            rest = rest.dropFirst()
        }
        if word.hasPrefix("-") {
            let flags = spec.allFlags + registry.globalFlags
            return flags.map { "--\($0.name)" + ($0.takesValue ? "=" : "") } + flags.compactMap { $0.short.map { "-\($0)" } }
        }
        if rest.isEmpty && !spec.subcommands.isEmpty { return spec.subcommands.map(\.name) }
        let positionals = rest.filter { !$0.hasPrefix("-") }
        return spec.completer?(positionals.count, Array(positionals)) ?? []
    }
}
