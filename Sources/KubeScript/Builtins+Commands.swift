/// The commands the language itself provides: `help`, `seed`, `exit`, `clear`.
/// (`print` and `include` are statements; see the grammar.)
extension CommandRegistry {
    public func registerLanguageBuiltins() {
        register(CommandSpec("help", summary: "list commands, or show one command's usage and flags",
                             usage: "help [COMMAND [SUB-COMMAND]]",
                             handler: { [unowned self] inv, _ in try self.help(inv) },
                             completer: { [unowned self] index, _ in index == 0 ? self.names : [] }))
        register(CommandSpec("seed", summary: "set the seed of the simulation's random source",
                             usage: "seed N") { inv, ctx in
            guard inv.positionals.count <= 1 else { throw inv.error("seed: expected one number, got \(inv.positionals.count)") }
            guard let text = inv.positionals.first else { return CommandResult(output: "seed \(ctx.seed)", value: .int(Int(truncatingIfNeeded: ctx.seed))) }
            guard let n = UInt64(text) else { throw inv.error("seed: '\(text)' is not a non-negative integer") }
            ctx.seed = n
            ctx.onReseed(n)
            return CommandResult()
        })
        register(CommandSpec("exit", aliases: ["quit"], summary: "end the session (or the script) with an exit code",
                             usage: "exit [CODE]") { inv, ctx in
            guard inv.positionals.count <= 1 else { throw inv.error("exit: expected at most one exit code") }
            let code = inv.positionals.first.map { Int32($0) } ?? 0
            guard let code else { throw inv.error("exit: '\(inv.positionals[0])' is not an exit code") }
            // A process's status is one byte: 256 would reach the shell as 0 (success).
            guard (0...255).contains(code) else { throw inv.error("exit: \(code) is out of range: an exit code is 0 to 255") }
            ctx.exitRequest = code
            return CommandResult()
        })
        register(CommandSpec("clear", summary: "clear the terminal screen", usage: "clear") { inv, ctx in
            guard inv.positionals.isEmpty else { throw inv.error("clear: takes no arguments") }
            return CommandResult(output: ctx.isTerminal ? "\u{1B}[H\u{1B}[2J" : "")
        })
    }

    func help(_ inv: Invocation) throws -> CommandResult {
        guard let name = inv.positionals.first else {
            var lines = ["commands:"]
            let width = names.map(\.count).max() ?? 0
            for n in names { lines.append("  \(n.padding(width))  \(commands[n]!.summary)") }
            lines.append("")
            lines.append("statements: let var if for while func return break continue print assert expect include")
            lines.append("type 'help COMMAND' for a command's usage and flags")
            return CommandResult(output: lines.joined(separator: "\n"))
        }
        guard var spec = lookup(name) else {
            throw CommandFailure("help: unknown command '\(name)'" + (Suggest.nearest(name, in: allNames).map { " — did you mean '\($0)'?" } ?? ""))
        }
        for word in inv.positionals.dropFirst() {
            guard let sub = spec.subcommand(word) else {
                let names = spec.subcommands.map(\.name)
                throw CommandFailure("help: unknown sub-command '\(word)' for '\(spec.fullName)'" + (Suggest.nearest(word, in: names).map { " — did you mean '\($0)'?" } ?? ""))
            }
            spec = sub
        }
        return CommandResult(output: spec.helpText)
    }
}
