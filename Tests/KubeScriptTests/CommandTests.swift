import Testing
@testable import KubeScript

@Suite("Commands: statements and expressions")
struct CommandStatementTests {
    @Test func statementOutputIsPrinted() {
        let h = Harness()
        #expect(h.run("say hello world") == .success)
        #expect(h.out == "hello world\n")
        #expect(h.rec.lastInvocation?.positionals == ["hello", "world"])
        #expect(h.rec.lastInvocation?.path == ["say"])
        #expect(h.diags == [])
    }

    @Test func severalCommandsSemicolonsAndComments() {
        let h = Harness()
        #expect(h.run("say a; say b # a comment\nsay c") == .success)
        #expect(h.out == "a\nb\nc\n")
        #expect(h.rec.invocations.map(\.positionals) == [["a"], ["b"], ["c"]])
    }

    @Test func commandInsideLoopAndFunction() {
        let h = Harness()
        let text = """
        func hello(name) {
          say hello $name
        }
        for i in 1...3 {
          say item-$i
        }
        hello("web")
        """
        #expect(h.run(text) == .success)
        #expect(h.out == "item-1\nitem-2\nitem-3\nhello web\n")
    }

    /// `isCommandStart` accepts a command followed by `}`; a command on a one-line
    /// block must not swallow the block's closing brace as a word.
    @Test func commandInAOneLineBlock() {
        let h = Harness()
        #expect(h.run("if true { say hi }") == .success)
        #expect(h.out == "hi\n")
    }

    @Test func commandAsExpressionReturnsAResult() {
        let h = Harness()
        #expect(h.run("let r = (say hi there)\nprint r.ok, r.exitCode, r.output\nprint r\nprint r.lines, r.contains(\"there\")") == .success)
        // The command's own output is not printed in expression form.
        #expect(h.out == "true 0 hi there\nhi there\n[\"hi there\"] true\n")
        #expect(h.run("print (say hi).output.upper()") == .success)
        #expect(h.out.hasSuffix("HI\n"))
    }

    @Test func commandResultValue() {
        let h = Harness()
        #expect(h.run("let n = (numbers)\nprint n.count, n.value, n.ok\nprint n") == .success)
        #expect(h.out == "3 [1, 2, 3] true\n[1, 2, 3]\n")
    }

    @Test func failureIsAnErrorInStatementForm() {
        let h = Harness()
        #expect(h.run("say before\nfail\nprint \"after\"") == .error)
        #expect(h.out == "before\npartial\n")
        #expect(h.diags == ["t.ks:2:1: error: fail: it broke\nfail\n^"])
    }

    @Test func failureIsAValueInExpressionForm() {
        let h = Harness()
        #expect(h.run("let r = (fail)\nprint r.ok, r.exitCode\nprint r.output") == .success)
        #expect(h.out == "false 2\npartial\nfail: it broke\n\n")
        #expect(h.diags == [])
    }

    @Test func resultIsTruthyByExitStatus() {
        let h = Harness()
        #expect(h.run("if (fail) { print \"yes\" } else { print \"no\" }\nif (say x) { print \"ok\" }") == .success)
        #expect(h.out == "no\nok\n")
    }

    @Test func expectCatchesACommandFailure() {
        let h = Harness()
        #expect(h.run("expect error \"it broke\" {\n  fail\n}\nprint \"after\"") == .success)
        #expect(h.out == "partial\nafter\n")
        #expect(h.diags == [])
    }

    @Test func nonZeroExitCodeWithoutThrowing() {
        let h = Harness()
        #expect(h.run("warn") == .error)
        #expect(h.out == "warning\n")
        #expect(h.diags == ["t.ks:1:1: error: command exited with status 4\nwarn\n^"])
        let h2 = Harness()
        #expect(h2.run("let r = (warn)\nprint r.ok, r.exitCode, r.output") == .success)
        #expect(h2.out == "false 4 warning\n")
    }

    @Test func interactiveFailuresPrintTheToolsMessageOnly() {
        let h = Harness()
        h.session.interactive = true
        #expect(h.session.evaluate("fail", echo: { _ in }) == .done(.error))
        #expect(h.diags == ["error: fail: it broke"])
    }

    @Test func variableNamedLikeACommandIsAVariable() {
        let h = Harness()
        #expect(h.run("let say = 5\nprint say + 1") == .success)
        #expect(h.out == "6\n")
        let h2 = Harness()
        #expect(h2.run("get = 3\nget += 1\nprint get") == .success)
        #expect(h2.out == "4\n")
        #expect(h2.rec.invocations.isEmpty)
    }
}

@Suite("Commands: words, interpolation and heredocs")
struct CommandWordTests {
    @Test func interpolationInWords() {
        let h = Harness()
        let text = """
        let name = "web"
        let n = 2
        say pod-${name} $n "${n + 1} replicas" '$name' "$name" ${[1, 2]}
        """
        #expect(h.run(text) == .success)
        #expect(h.rec.lastInvocation?.positionals == ["pod-web", "2", "3 replicas", "$name", "web", "[1, 2]"])
        #expect(h.out == "pod-web 2 3 replicas $name web [1, 2]\n")
    }

    @Test func interpolationInAParenthesisedCommand() {
        let h = Harness()
        #expect(h.run("let n = 2\nlet r = (say ${n * 10} $n)\nprint r.output") == .success)
        #expect(h.out == "20 2\n")
    }

    @Test func interpolationOfLocals() {
        let h = Harness()
        #expect(h.run("func f(x) {\n  let y = x + 1\n  say $x ${y}\n}\nf(1)\nf(5)") == .success)
        #expect(h.out == "1 2\n5 6\n")
    }

    @Test func undefinedVariableInAWord() {
        let h = Harness()
        #expect(h.run("say $nope") == .error)
        #expect(h.diags == ["t.ks:1:5: error: undefined variable 'nope'\nsay $nope\n    ^"])
    }

    @Test func quotedFlagLikeWordIsAPositional() {
        let h = Harness()
        #expect(h.run("say \"-x\" hi") == .success)
        #expect(h.out == "-x hi\n")
        #expect(h.diags == [])
    }

    @Test func heredocBodyIsPassedToTheHandler() {
        let h = Harness()
        let text = """
        let img = "nginx"
        apply <<EOF
        kind: Pod
        image: ${img}
        EOF
        print "done"
        """
        #expect(h.run(text) == .success)
        #expect(h.rec.lastInvocation?.heredoc == "kind: Pod\nimage: nginx\n")
        #expect(h.out == "applied\ndone\n")
    }

    @Test func indentedHeredocInABlock() {
        let h = Harness()
        let text = "if true {\n    apply <<-EOF\n    a: 1\n      b: 2\n    EOF\n}\nprint \"end\""
        #expect(h.run(text) == .success)
        #expect(h.rec.lastInvocation?.heredoc == "a: 1\n  b: 2\n")
        #expect(h.out == "applied\nend\n")
    }

    @Test func quotedHeredocIsNotInterpolated() {
        let h = Harness()
        #expect(h.run("let img = \"x\"\napply <<'EOF'\nimage: ${img}\nEOF") == .success)
        #expect(h.rec.lastInvocation?.heredoc == "image: ${img}\n")
    }

    @Test func heredocIsEvaluatedEachTime() {
        let h = Harness()
        #expect(h.run("func deploy(n) {\n  apply <<EOF\nreplicas: ${n}\nEOF\n}\ndeploy(1)\ndeploy(3)") == .success)
        #expect(h.rec.invocations.map(\.heredoc) == ["replicas: 1\n", "replicas: 3\n"])
    }

    @Test func noHeredocMeansNil() {
        let h = Harness()
        #expect(h.run("apply") == .success)
        #expect(h.rec.lastInvocation?.heredoc == nil)
    }
}

@Suite("Commands: flags, sub-commands and kubectl")
struct CommandFlagTests {
    @Test func longFlagWithEquals() {
        let h = Harness()
        #expect(h.run("scale deployment/web --replicas=3") == .success)
        #expect(h.rec.lastInvocation?.flag("replicas") == "3")
        #expect(h.rec.lastInvocation?.positionals == ["deployment/web"])
        #expect(h.out == "scaled deployment/web to 3\n")
    }

    @Test("every spelling of -o wide binds the same flag", arguments: [
        "get pods -o wide", "get pods -owide", "get pods --output=wide", "get pods --output wide", "get -o wide pods",
    ])
    func shortFlagSpellings(line: String) {
        let h = Harness()
        #expect(h.run(line) == .success)
        #expect(h.rec.lastInvocation?.flag("output") == "wide")
        #expect(h.rec.lastInvocation?.positionals == ["pods"])
        #expect(h.out == "get pods output=wide\n")
    }

    @Test func booleanFlags() {
        let h = Harness()
        #expect(h.run("get pods --watch") == .success)
        #expect(h.rec.lastInvocation?.has("watch") == true)
        #expect(h.rec.lastInvocation?.flag("watch") == "true")
        #expect(h.run("get pods --watch=false") == .success)
        #expect(h.rec.lastInvocation?.has("watch") == false)
        #expect(h.run("get pods --watch=true") == .success)
        #expect(h.rec.lastInvocation?.has("watch") == true)
    }

    @Test func repeatedFlagLastWins() {
        let h = Harness()
        #expect(h.run("get pods -o json -o yaml") == .success)
        #expect(h.rec.lastInvocation?.flag("output") == "yaml")
        #expect(h.rec.lastInvocation?.flagValues("output") == ["json", "yaml"])
    }

    @Test func interpolatedFlagValues() {
        let h = Harness()
        #expect(h.run("let fmt = \"json\"\nget pods -o ${fmt}\nget pods --output=$fmt") == .success)
        #expect(h.rec.invocations.map { $0.flag("output") } == ["json", "json"])
    }

    @Test func negativeNumberIsAPositionalNotAFlag() {
        let h = Harness()
        #expect(h.run("get pods -1") == .success)
        #expect(h.rec.lastInvocation?.positionals == ["pods", "-1"])
    }

    @Test func doubleDashPassesTheRestVerbatim() {
        let h = Harness()
        #expect(h.run("exec pod/test -- wget -qO- http://web --timeout=1") == .success)
        #expect(h.rec.lastInvocation?.positionals == ["pod/test"])
        #expect(h.rec.lastInvocation?.rest == ["wget", "-qO-", "http://web", "--timeout=1"])
        #expect(h.out == "exec pod/test -- wget -qO- http://web --timeout=1\n")
    }

    @Test func kubectlPrefix() {
        let h = Harness()
        #expect(h.run("kubectl get pods -o wide") == .success)
        #expect(h.rec.lastInvocation?.path == ["get"])
        #expect(h.rec.lastInvocation?.flag("output") == "wide")
        #expect(h.out == "get pods output=wide\n")
        #expect(h.run("let r = (kubectl get svc)\nprint r.output") == .success)
        #expect(h.out.hasSuffix("get svc output=-\n"))
    }

    @Test func subcommands() {
        let h = Harness()
        #expect(h.run("rollout status deploy/web") == .success)
        #expect(h.rec.lastInvocation?.path == ["rollout", "status"])
        #expect(h.rec.lastInvocation?.positionals == ["deploy/web"])
        #expect(h.out == "rollout status deploy/web\n")
    }

    @Test func subcommandChosenAtRunTime() {
        let h = Harness()
        #expect(h.run("let sub = \"restart\"\nrollout ${sub} deploy/web") == .success)
        #expect(h.rec.lastInvocation?.path == ["rollout", "restart"])
        #expect(h.out == "rollout restart deploy/web\n")
        let h2 = Harness()
        #expect(h2.run("let sub = \"bogus\"\nrollout ${sub} x") == .error)
        #expect(h2.diags == [
            "t.ks:2:9: error: unknown sub-command 'bogus' for 'rollout' (expected one of: status, restart)\nrollout ${sub} x\n        ^",
        ])
    }

    @Test func flagErrorsFoundAtRunTime() {
        let h = Harness()
        #expect(h.run("let f = \"--bogus\"\nget pods ${f}") == .error)
        #expect(h.diags.first?.hasPrefix("t.ks:2:10: error: unknown flag '--bogus' for 'get'\n") == true)
    }
}

@Suite("Commands: built-ins")
struct BuiltinCommandTests {
    @Test func helpListsCommands() {
        let h = Harness(builtinsOnly: true)
        #expect(h.run("help") == .success)
        #expect(h.out == """
        commands:
          help   list commands, or show one command's usage and flags
          seed   set the seed of the simulation's random source
          exit   end the session (or the script) with an exit code
          clear  clear the terminal screen

        statements: let var if for while func return break continue print assert expect include
        type 'help COMMAND' for a command's usage and flags

        """)
    }

    @Test func helpListsRegisteredCommandsInOrder() {
        let h = Harness()
        #expect(h.run("help") == .success)
        let lines = h.out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "commands:")
        #expect(lines.contains("  help        list commands, or show one command's usage and flags"))
        #expect(lines.contains("  rollout     manage rollouts"))
        #expect(lines.contains("  deployment  manage deployments"))
        #expect(!lines.contains { $0.hasPrefix("  quit") })
    }

    @Test func helpForOneCommand() {
        let h = Harness(builtinsOnly: true)
        #expect(h.run("help seed") == .success)
        #expect(h.out == "seed — set the seed of the simulation's random source\n\nusage: seed N\n")
        let h2 = Harness(builtinsOnly: true)
        #expect(h2.run("help exit") == .success)
        #expect(h2.out == "exit — end the session (or the script) with an exit code\n\nusage: exit [CODE]\naliases: quit\n")
    }

    @Test func helpShowsFlags() {
        let h = Harness()
        #expect(h.run("help get") == .success)
        #expect(h.out == """
        get — show resources

        usage: get KIND [NAME]

        flags:
          -o, --output=FORMAT  output format
              --watch          watch for changes

        """)
    }

    @Test func helpShowsSubcommands() {
        let h = Harness()
        #expect(h.run("help rollout") == .success)
        #expect(h.out == """
        rollout — manage rollouts

        usage: rollout

        sub-commands:
          status   show rollout status
          restart  restart a rollout

        """)
        let h2 = Harness()
        #expect(h2.run("help rollout status") == .success)
        #expect(h2.out.hasPrefix("rollout status — show rollout status\n"))
    }

    @Test func helpForAnUnknownCommand() {
        let h = Harness(builtinsOnly: true)
        #expect(h.run("help sede") == .error)
        #expect(h.diags == ["t.ks:1:1: error: help: unknown command 'sede' — did you mean 'seed'?\nhelp sede\n^"])
        let h2 = Harness()
        #expect(h2.run("help rollout statsu") == .error)
        #expect(h2.diags.first?.contains("error: help: unknown sub-command 'statsu' for 'rollout' — did you mean 'status'?\n") == true)
    }

    @Test func helpAsAnExpression() {
        let h = Harness(builtinsOnly: true)
        #expect(h.run("let r = (help seed)\nprint r.ok, r.lines.count") == .success)
        #expect(h.out == "true 3\n")
    }

    @Test func seedMakesRandomDeterministic() throws {
        let script = "seed 42\nprint random(100), random(100), random(100), random(1000000)"
        let a = Harness(), b = Harness()
        #expect(a.run(script) == .success)
        #expect(b.run(script) == .success)
        #expect(a.out == b.out)
        let numbers = a.out.dropLast().split(separator: " ").compactMap { Int($0) }
        #expect(numbers.count == 4)
        #expect(numbers.prefix(3).allSatisfy { (0..<100).contains($0) })
        #expect((0..<1_000_000).contains(try #require(numbers.last)))
        // A session created with seed 42 draws the same numbers as `seed 42`.
        let c = Harness(seed: 42)
        #expect(c.run("print random(100), random(100), random(100), random(1000000)") == .success)
        #expect(c.out == a.out)
        // Another seed gives another sequence.
        let d = Harness()
        #expect(d.run("seed 7\nprint random(100), random(100), random(100), random(1000000)") == .success)
        #expect(d.out != a.out)
    }

    @Test func reseedingRestartsTheSequence() {
        let h = Harness()
        #expect(h.run("seed 5\nlet a = [random(1000000), random(1000000)]\nseed 5\nlet b = [random(1000000), random(1000000)]\nprint a == b\nseed") == .success)
        #expect(h.out == "true\nseed 5\n")
    }

    @Test func seedErrors() {
        let h = Harness()
        #expect(h.run("seed abc") == .error)
        #expect(h.diags == ["t.ks:1:1: error: seed: 'abc' is not a non-negative integer\nseed abc\n^"])
        let h2 = Harness()
        #expect(h2.run("seed 1 2") == .error)
        #expect(h2.diags.first?.contains("error: seed: expected one number, got 2\n") == true)
        let h3 = Harness()
        #expect(h3.run("print random(0)") == .error)
        #expect(h3.diags.first?.contains("error: random: expected a positive int bound\n") == true)
    }

    @Test func exitAndItsAlias() {
        #expect(Harness().run("exit 3") == .exit(3))
        #expect(Harness().run("quit 4") == .exit(4))
        #expect(Harness().run("kubectl exit 6") == .exit(6))
        let h = Harness()
        #expect(h.run("exit 1 2") == .error)
        #expect(h.diags.first?.contains("error: exit: expected at most one exit code\n") == true)
    }

    @Test func clearPrintsNothingWhenNotATerminal() {
        let h = Harness()
        #expect(h.run("clear\nsay x") == .success)
        #expect(h.out == "x\n")
        let h2 = Harness()
        #expect(h2.run("clear now") == .error)
        #expect(h2.diags.first?.contains("error: clear: takes no arguments\n") == true)
    }
}
