import Testing
@testable import KubeScript

/// Collects what a session writes: output chunks, rendered diagnostics, and the
/// invocations the fake commands received.
final class Recorder: @unchecked Sendable {
    var output: [String] = []
    var diagnostics: [String] = []
    var invocations: [Invocation] = []
    var text: String { output.joined() }
    var lastInvocation: Invocation? { invocations.last }
}

/// Fake commands used across the tests. Each records its invocation.
///
/// - `say WORDS… [--upper]`: prints the words joined by spaces.
/// - `get KIND [NAME] [-o FORMAT] [--watch]`: prints `get <positionals> output=<format or ->`.
/// - `scale TARGET --replicas=N`: prints `scaled <target> to <N>`.
/// - `deployment NAME [--replicas=N] [--image=IMAGE]`: prints `deployment <name>`.
/// - `rollout status|restart TARGET`: prints `rollout <sub> <target>`.
/// - `apply <<EOF … EOF`: prints `applied`.
/// - `exec TARGET -- CMD…`: prints `exec <target> -- <rest>`.
/// - `fail`: throws `CommandFailure("fail: it broke", output: "partial\n", exitCode: 2)`.
/// - `warn`: returns output `warning` with exit code 4 (no throw).
/// - `numbers`: returns no output and the value `[1, 2, 3]`.
func registerFakeCommands(_ r: CommandRegistry, _ rec: Recorder) {
    r.register(CommandSpec("say", summary: "print words", usage: "say WORDS...",
                           flags: [FlagSpec("upper", help: "upper-case the words")]) { inv, _ in
        rec.invocations.append(inv)
        let text = inv.positionals.joined(separator: " ")
        return CommandResult(output: inv.has("upper") ? text.uppercased() : text)
    })
    r.register(CommandSpec("get", summary: "show resources", usage: "get KIND [NAME]",
                           flags: [FlagSpec("output", short: "o", value: "FORMAT", help: "output format"),
                                   FlagSpec("watch", help: "watch for changes")]) { inv, _ in
        rec.invocations.append(inv)
        return CommandResult(output: "get \(inv.positionals.joined(separator: " ")) output=\(inv.flag("output") ?? "-")")
    })
    r.register(CommandSpec("scale", summary: "scale a workload", usage: "scale TARGET --replicas=N",
                           flags: [FlagSpec("replicas", value: "N", help: "number of replicas")]) { inv, _ in
        rec.invocations.append(inv)
        return CommandResult(output: "scaled \(inv.positionals.joined(separator: " ")) to \(inv.flag("replicas") ?? "?")")
    })
    r.register(CommandSpec("deployment", summary: "manage deployments", usage: "deployment NAME",
                           flags: [FlagSpec("replicas", value: "N", help: "number of replicas"),
                                   FlagSpec("image", value: "IMAGE", help: "container image")]) { inv, _ in
        rec.invocations.append(inv)
        return CommandResult(output: "deployment \(inv.positionals.joined(separator: " "))")
    })
    let status = CommandSpec("status", summary: "show rollout status") { inv, _ in
        rec.invocations.append(inv)
        return CommandResult(output: "rollout status \(inv.positionals.joined(separator: " "))")
    }
    let restart = CommandSpec("restart", summary: "restart a rollout") { inv, _ in
        rec.invocations.append(inv)
        return CommandResult(output: "rollout restart \(inv.positionals.joined(separator: " "))")
    }
    r.register(CommandSpec("rollout", summary: "manage rollouts", subcommands: [status, restart]))
    r.register(CommandSpec("apply", summary: "apply a manifest", usage: "apply <<EOF", acceptsHeredoc: true) { inv, _ in
        rec.invocations.append(inv)
        return CommandResult(output: "applied")
    })
    r.register(CommandSpec("exec", summary: "run a command in a pod", usage: "exec TARGET -- CMD...") { inv, _ in
        rec.invocations.append(inv)
        return CommandResult(output: "exec \(inv.positionals.joined(separator: " ")) -- \((inv.rest ?? []).joined(separator: " "))")
    })
    r.register(CommandSpec("fail", summary: "always fails") { inv, _ in
        rec.invocations.append(inv)
        throw CommandFailure("fail: it broke", output: "partial\n", exitCode: 2)
    })
    r.register(CommandSpec("warn", summary: "exits non-zero without throwing") { inv, _ in
        rec.invocations.append(inv)
        return CommandResult(output: "warning", exitCode: 4)
    })
    r.register(CommandSpec("numbers", summary: "returns a value") { inv, _ in
        rec.invocations.append(inv)
        return CommandResult(value: .list([.int(1), .int(2), .int(3)]))
    })
}

/// A session with the language built-ins and (unless `builtinsOnly`) the fake commands,
/// capturing output and diagnostics.
final class Harness {
    let rec = Recorder()
    let session: Session

    init(seed: UInt64 = 1, maxSteps: Int = 50_000_000, maxCallDepth: Int = 10_000, builtinsOnly: Bool = false) {
        let registry = CommandRegistry()
        registry.registerLanguageBuiltins()
        if !builtinsOnly { registerFakeCommands(registry, rec) }
        let rec = self.rec
        session = Session(registry: registry, seed: seed, maxSteps: maxSteps, maxCallDepth: maxCallDepth,
                          output: { rec.output.append($0) }, diagnostics: { rec.diagnostics.append($0) })
    }

    @discardableResult
    func run(_ text: String, name: String = "t.ks") -> Session.Outcome { session.run(text, name: name) }

    func parse(_ text: String, name: String = "t.ks") -> Program { session.parse(text, name: name) }

    var out: String { rec.text }
    var diags: [String] { rec.diagnostics }
}

extension Program {
    /// `file:line:col: message` per diagnostic: compact for tests that check several.
    var summaries: [String] { diagnostics.map { "\($0.location.description): \($0.message)" } }
}
