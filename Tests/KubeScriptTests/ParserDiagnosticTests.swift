import Testing
@testable import KubeScript

/// The rendered diagnostics of parsing `text` as `t.ks` in a session with the fake commands.
private func rendered(_ text: String) -> [String] {
    Harness().parse(text).diagnostics.map { $0.rendered() }
}

private func summaries(_ text: String) -> [String] {
    Harness().parse(text).summaries
}

@Suite("Parser diagnostics: golden text")
struct ParserGoldenTests {
    @Test func unclosedParenthesis() {
        let program = Harness().parse("let x = (1 + 2")
        #expect(program.diagnostics.map { $0.rendered() } == [
            "t.ks:1:15: error: expected ')' to close '(' at 1:9\nlet x = (1 + 2\n              ^",
        ])
        #expect(program.isIncompleteInput)
    }

    @Test func unclosedBraceAtEndOfFile() {
        let program = Harness().parse("if x {\n  print 1\n")
        #expect(program.diagnostics.map { $0.rendered() } == [
            "t.ks:3:1: error: expected '}' to close '{' at 1:6\n\n^",
        ])
        #expect(program.isIncompleteInput)
    }

    @Test func unclosedFunctionBody() {
        #expect(rendered("func f() {\n  return 1") == [
            "t.ks:2:11: error: expected '}' to close '{' at 1:10\n  return 1\n          ^",
        ])
    }

    @Test func unclosedList() {
        #expect(rendered("let xs = [1, 2") == [
            "t.ks:1:15: error: expected ']' to close '[' at 1:10\nlet xs = [1, 2\n              ^",
        ])
    }

    @Test func expressionExpected() {
        let program = Harness().parse("1 +* 2")
        #expect(program.diagnostics.map { $0.rendered() } == [
            "t.ks:1:4: error: expected an expression, found '*'\n1 +* 2\n   ^",
        ])
        #expect(!program.isIncompleteInput)
    }

    @Test func unknownCommandWithSuggestion() {
        #expect(rendered("deploymnet web") == [
            "t.ks:1:1: error: unknown command 'deploymnet' — did you mean 'deployment'?\ndeploymnet web\n^",
        ])
    }

    @Test func unknownCommandAfterKubectl() {
        #expect(rendered("kubectl deploymnet web") == [
            "t.ks:1:9: error: unknown command 'deploymnet' — did you mean 'deployment'?\nkubectl deploymnet web\n        ^",
        ])
    }

    @Test func unknownCommandSuggestionNeedsOnlyTheRegisteredName() {
        // A registry with only `deployment` registered (no built-ins): the suggestion
        // comes from what is registered.
        let registry = CommandRegistry()
        registry.register(CommandSpec("deployment", summary: "manage deployments") { _, _ in CommandResult() })
        let session = Session(registry: registry, output: { _ in }, diagnostics: { _ in })
        let program = session.parse("deploymnet web --replicas=2", name: "t.ks")
        #expect(program.diagnostics.map(\.message) == ["unknown command 'deploymnet' — did you mean 'deployment'?"])
    }

    @Test func unknownCommandWithoutSuggestion() {
        #expect(summaries("frobnicate now") == ["t.ks:1:1: unknown command 'frobnicate'"])
    }

    @Test func unknownCommandInsideParentheses() {
        #expect(summaries("let r = (deploymnet web)\nprint 1") == [
            "t.ks:1:10: unknown command 'deploymnet' — did you mean 'deployment'?",
        ])
    }

    @Test func unknownFlagWithSuggestion() {
        #expect(rendered("deployment web --replicsa=3") == [
            "t.ks:1:16: error: unknown flag '--replicsa' for 'deployment' — did you mean '--replicas'?\ndeployment web --replicsa=3\n               ^",
        ])
    }

    @Test func unknownSubcommandWithSuggestion() {
        #expect(rendered("rollout stauts deploy/web") == [
            "t.ks:1:9: error: unknown sub-command 'stauts' for 'rollout' — did you mean 'status'?\nrollout stauts deploy/web\n        ^",
        ])
    }

    @Test func unknownSubcommandListsChoices() {
        #expect(summaries("rollout xyz") == [
            "t.ks:1:9: unknown sub-command 'xyz' for 'rollout' (expected one of: status, restart)",
        ])
    }

    @Test func missingSubcommand() {
        #expect(summaries("rollout") == ["t.ks:1:1: 'rollout' needs a sub-command: status, restart"])
    }

    @Test func flagValueProblems() {
        #expect(summaries("get pods -o") == ["t.ks:1:10: flag '-o' needs a value"])
        #expect(summaries("get pods --watch=yes") == ["t.ks:1:10: flag '--watch=yes' does not take a value"])
        #expect(summaries("get pods --watch=false -o wide\nget pods -owide\nget pods --output=json").isEmpty)
    }

    @Test func heredocOnACommandThatTakesNone() {
        #expect(summaries("say <<EOF\nx\nEOF") == ["t.ks:1:5: 'say' does not take a heredoc body"])
    }

    @Test func heredocInsideParentheses() {
        #expect(Harness().parse("let r = (apply <<EOF)").diagnostics.map(\.message) == [
            "a heredoc cannot follow a command inside parentheses on the same line",
        ])
    }

    @Test func assignmentToLet() {
        #expect(rendered("let x = 1\nx = 2") == [
            "t.ks:2:1: error: cannot assign to 'x': it is a 'let' constant; declare it with 'var'\nx = 2\n^",
        ])
    }

    @Test func compoundAssignmentToLetInAFunction() {
        #expect(summaries("func f() {\n  let a = 1\n  a += 2\n}") == [
            "t.ks:3:3: cannot assign to 'a': it is a 'let' constant; declare it with 'var'",
        ])
        #expect(summaries("var y = 1\ny = 2\ny += 3").isEmpty)
    }

    @Test func breakAndContinueOutsideALoop() {
        #expect(rendered("break") == ["t.ks:1:1: error: 'break' outside a loop\nbreak\n^"])
        #expect(rendered("continue") == ["t.ks:1:1: error: 'continue' outside a loop\ncontinue\n^"])
        // A function body inside a loop is not in the loop.
        #expect(summaries("for i in 1...3 {\n  let f = func () {\n    break\n  }\n}") == ["t.ks:3:5: 'break' outside a loop"])
        #expect(summaries("while true {\n  break\n}\nfor i in 1...2 { continue }").isEmpty)
    }

    @Test func returnOutsideAFunction() {
        #expect(rendered("return 1") == ["t.ks:1:1: error: 'return' outside a function\nreturn 1\n^"])
        #expect(summaries("for i in 1...2 {\n  return\n}") == ["t.ks:2:3: 'return' outside a function"])
    }

    @Test func chainedComparison() {
        #expect(rendered("assert 1 < 2 < 3") == [
            "t.ks:1:14: error: comparisons cannot be chained; use 'and'\nassert 1 < 2 < 3\n             ^",
        ])
        #expect(summaries("let a = 1 == 1 == true") == ["t.ks:1:16: comparisons cannot be chained; use 'and'"])
        #expect(summaries("let b = 1 < 2 and 2 < 3").isEmpty)
    }

    @Test func redeclarationInTheSameBlock() {
        #expect(summaries("func f() {\n  var a = 1\n  var a = 2\n}") == [
            "t.ks:3:7: 'a' is already declared in this scope at 2:7",
        ])
        // Top-level names may be redeclared (as a REPL user does); shadowing in a block is fine.
        #expect(summaries("var x = 1\nvar x = 2\nif true {\n  var x = 3\n}").isEmpty)
    }

    @Test func otherMessages() {
        #expect(summaries("let = 3") == ["t.ks:1:5: expected a name after 'let'"])
        #expect(summaries("let x") == ["t.ks:1:6: expected '=' and a value after 'let x'"])
        #expect(summaries("print 1 2") == ["t.ks:1:9: expected a newline or ';' after the statement, found '2'"])
        #expect(summaries("include 42") == ["t.ks:1:9: expected a file name string after 'include', found '42'"])
        #expect(summaries("expect maybe { }") == ["t.ks:1:8: expected 'failure' or 'error \"text\"' after 'expect'"])
        #expect(summaries("1 + 2 = 3") == ["t.ks:1:1: cannot assign to this expression"])
        #expect(summaries("}") == ["t.ks:1:1: expected a statement, found '}' with no open '{'"])
        #expect(summaries("let n = 99999999999999999999") == ["t.ks:1:9: integer literal '99999999999999999999' is too large"])
        #expect(summaries("let s = \"${}\"") == ["t.ks:1:12: expected an expression, found '}'"])
    }

    @Test func elseOnItsOwnLine() {
        let program = Harness().parse("if true {\n}\nelse {\n}")
        #expect(program.summaries.first == "t.ks:3:1: 'else' must follow '}' on the same line")
    }

    @Test func lexerErrorsAreReported() {
        #expect(summaries("let a = 5xyz") == [
            "t.ks:1:9: invalid number '5xyz': not a duration (500ms, 1h30m) or quantity (250m, 1Gi)",
        ])
        #expect(summaries("let a = 1 @ 2").first == "t.ks:1:11: unexpected character '@'")
        #expect(summaries("let ip = 10.0.0.300") == ["t.ks:1:10: invalid IPv4 address '10.0.0.300'"])
    }

    @Test func columnsCountCharactersNotBytes() {
        #expect(rendered("let s = \"é\" +* 1") == [
            "t.ks:1:14: error: expected an expression, found '*'\nlet s = \"é\" +* 1\n             ^",
        ])
    }

    @Test func caretKeepsTabs() {
        #expect(rendered("\tlet x = )") == ["t.ks:1:10: error: expected an expression, found ')'\n\tlet x = )\n\t        ^"])
    }
}

@Suite("Parser: incomplete input")
struct IncompleteInputTests {
    @Test("input that ends too soon is incomplete", arguments: [
        "if x {",
        "(1 +",
        "\"abc",
        "apply <<EOF\nkind: Pod\n",
        "apply <<EOF",
        "[1, 2",
        "let x =",
        "func f(",
        "if x {\n} else",
        "print \"a ${b",
        "x +",
        "for i in 1...3 {\n  if i > 1 {\n    print i\n",
        "let m = [\"a\":",
    ])
    func incomplete(text: String) {
        let program = Harness().parse(text)
        #expect(!program.diagnostics.isEmpty)
        #expect(program.isIncompleteInput)
    }

    @Test("real errors are not incomplete input", arguments: [
        "1 +* 2",
        ")",
        "let = 3",
        "print 1 2",
        "\"abc\nprint 1",
        "}",
        "break",
        "deploymnet web",
        "assert 1 < 2 < 3",
        // The end of a `${…}` is not the end of the input.
        "let s = \"${}\"",
        "let s = \"${1 +}\"",
        "say ${1 +}",
    ])
    func notIncomplete(text: String) {
        let program = Harness().parse(text)
        #expect(!program.diagnostics.isEmpty)
        #expect(!program.isIncompleteInput)
    }

    @Test func unterminatedHeredocGolden() {
        let program = Harness().parse("apply <<EOF\nkind: Pod\n")
        #expect(program.diagnostics.map { $0.rendered() } == [
            "t.ks:1:7: error: unterminated heredoc, expected a line 'EOF'\napply <<EOF\n      ^",
        ])
    }

    @Test func unterminatedStringGolden() {
        #expect(rendered("print \"abc") == ["t.ks:1:7: error: unterminated string literal\nprint \"abc\n      ^"])
    }
}

@Suite("Parser: recovery")
struct ParserRecoveryTests {
    @Test func severalErrorsInOnePass() {
        let text = """
        let a = 1 +* 2
        let b = 3
        let c = ]
        print b
        deploymnet web
        break
        """
        #expect(summaries(text) == [
            "t.ks:1:12: expected an expression, found '*'",
            "t.ks:3:9: expected an expression, found ']'",
            "t.ks:5:1: unknown command 'deploymnet' — did you mean 'deployment'?",
            "t.ks:6:1: 'break' outside a loop",
        ])
    }

    @Test func errorsInsideBlocksAreAllReported() {
        let text = """
        func f() {
          let a = *
          let b = )
          return a
        }
        print f(
        """
        #expect(summaries(text) == [
            "t.ks:2:11: expected an expression, found '*'",
            "t.ks:3:11: expected an expression, found ')'",
            "t.ks:6:9: expected ')' to close '(' at 6:8",
        ])
    }

    /// An error in an `if` condition must not leave the block's `{` half-consumed so that
    /// its `}` is reported again as "no open '{'".
    @Test func errorBeforeAMultiLineBlockIsReportedOnce() {
        let text = "if x == * {\n  print 1\n}\nprint 2"
        #expect(summaries(text) == ["t.ks:1:9: expected an expression, found '*'"])
    }

    @Test func errorBeforeAOneLineBlockIsReportedOnce() {
        let text = "if x == * { print 1 }\nprint 2"
        #expect(summaries(text) == ["t.ks:1:9: expected an expression, found '*'"])
    }

    @Test func sessionRunReportsEveryParseErrorAndRunsNothing() {
        let h = Harness()
        let outcome = h.run("print \"before\"\nlet a = *\nlet b = ]")
        #expect(outcome == .error)
        #expect(h.out == "")
        #expect(h.diags == [
            "t.ks:2:9: error: expected an expression, found '*'\nlet a = *\n        ^",
            "t.ks:3:9: error: expected an expression, found ']'\nlet b = ]\n        ^",
        ])
    }

    @Test func checkReportsWithoutRunning() {
        let h = Harness()
        #expect(h.session.check("say hi\nlet x = *", name: "t.ks") == false)
        #expect(h.out == "")
        #expect(h.diags.count == 1)
        #expect(h.session.check("say hi", name: "t.ks") == true)
        #expect(h.rec.invocations.isEmpty)
    }
}

@Suite("Parser: nesting limits")
struct NestingTests {
    @Test func threeHundredParenthesesGiveADiagnostic() {
        let text = String(repeating: "(", count: 300) + "1" + String(repeating: ")", count: 300)
        let program = Harness().parse(text)
        #expect(program.diagnostics.count == 1)
        #expect(program.diagnostics.first?.message == "expression nested too deeply")
        #expect(program.diagnostics.first?.location.shortDescription == "1:257")
        #expect(!program.isIncompleteInput)
    }

    @Test func deepParenthesesThroughSessionRun() {
        let h = Harness()
        let text = "print " + String(repeating: "(", count: 300) + "1" + String(repeating: ")", count: 300)
        #expect(h.run(text) == .error)
        #expect(h.diags.count == 1)
        #expect(h.diags.first?.hasPrefix("t.ks:1:263: error: expression nested too deeply\n") == true)
    }

    @Test func moderateNestingIsFine() {
        let h = Harness()
        let text = "print " + String(repeating: "(", count: 200) + "1 + 1" + String(repeating: ")", count: 200)
        #expect(h.run(text) == .success)
        #expect(h.out == "2\n")
    }

    @Test func deepListsAndUnaryOperators() {
        let lists = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(Harness().parse("let x = " + lists).diagnostics.first?.message == "expression nested too deeply")
        let nots = "let y = " + String(repeating: "not ", count: 300) + "true"
        #expect(Harness().parse(nots).diagnostics.map(\.message) == ["expression nested too deeply"])
        let minus = "let z = " + String(repeating: "- ", count: 300) + "1"
        #expect(Harness().parse(minus).diagnostics.map(\.message) == ["expression nested too deeply"])
    }

    @Test func deepBlocksGiveADiagnostic() {
        let text = String(repeating: "{", count: 300) + String(repeating: "}", count: 300)
        let program = Harness().parse(text)
        #expect(program.diagnostics.first?.message == "expression nested too deeply")
        #expect(program.diagnostics.first?.location.shortDescription == "1:257")
    }

    @Test func veryDeepNestingDoesNotCrash() {
        let text = String(repeating: "(", count: 100_000) + String(repeating: ")", count: 100_000)
        let program = Harness().parse(text)
        #expect(program.diagnostics.first?.message == "expression nested too deeply")
    }
}
