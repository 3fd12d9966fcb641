import Testing
@testable import KubeScript

/// Drives a session the way the REPL does: one entry at a time, echoing values.
private final class Repl {
    let h = Harness()
    var echoed: [Value] = []

    @discardableResult
    func enter(_ text: String) -> Session.EntryResult {
        h.session.evaluate(text, echo: { [self] in echoed.append($0) })
    }
}

@Suite("REPL entries")
struct ReplTests {
    @Test("unfinished input asks for more", arguments: [
        "if x {",
        "(1 +",
        "\"abc",
        "apply <<EOF\nkind: Pod",
        "func f(n) {\n  return n",
        "let xs = [1,\n  2,",
    ])
    func incomplete(text: String) {
        let repl = Repl()
        #expect(repl.enter(text) == .incomplete)
        #expect(repl.h.diags == [])
        #expect(repl.h.out == "")
        #expect(repl.echoed.isEmpty)
    }

    @Test func continuationCompletesTheEntry() {
        let repl = Repl()
        #expect(repl.enter("if true {") == .incomplete)
        #expect(repl.enter("if true {\n  print 1") == .incomplete)
        #expect(repl.enter("if true {\n  print 1\n}") == .done(.success))
        #expect(repl.h.out == "1\n")
    }

    @Test func expressionValuesAreEchoed() {
        let repl = Repl()
        #expect(repl.enter("1+1") == .done(.success))
        #expect(repl.echoed == [.int(2)])
        #expect(repl.echoed.map(\.description) == ["2"])
    }

    @Test func stringsEchoQuoted() {
        let repl = Repl()
        #expect(repl.enter("\"a\"") == .done(.success))
        #expect(repl.echoed.map(\.description) == ["\"a\""])
        #expect(repl.enter("[1, \"b\", 2.5, [\"k\": nil]]") == .done(.success))
        #expect(repl.echoed.last?.description == "[1, \"b\", 2.5, [\"k\": nil]]")
        #expect(repl.enter("\"tab\\there\"") == .done(.success))
        #expect(repl.echoed.last?.description == "\"tab\\there\"")
    }

    @Test func statementsAndNilAreNotEchoed() {
        let repl = Repl()
        #expect(repl.enter("let x = 5") == .done(.success))
        #expect(repl.enter("print \"hi\"") == .done(.success))
        #expect(repl.enter("nil") == .done(.success))
        #expect(repl.enter("say hello") == .done(.success))
        #expect(repl.echoed.isEmpty)
        #expect(repl.h.out == "hi\nhello\n")
    }

    @Test func stateCarriesAcrossEntries() {
        let repl = Repl()
        repl.enter("let x = 5")
        repl.enter("func sq(n) {\n  return n * n\n}")
        #expect(repl.enter("x * 2") == .done(.success))
        #expect(repl.enter("sq(x)") == .done(.success))
        #expect(repl.echoed == [.int(10), .int(25)])
    }

    @Test func severalExpressionsOnOneLine() {
        let repl = Repl()
        #expect(repl.enter("1; 2 + 2; \"three\"") == .done(.success))
        #expect(repl.echoed.map(\.description) == ["1", "4", "\"three\""])
    }

    @Test func commandExpressionIsEchoed() {
        let repl = Repl()
        #expect(repl.enter("(say hi)") == .done(.success))
        #expect(repl.echoed.map(\.description) == ["\"hi\""])
        #expect(repl.h.out == "")
    }

    @Test func errorsAreReportedWithTheEntryName() {
        let repl = Repl()
        #expect(repl.enter("1 +* 2") == .done(.error))
        #expect(repl.h.diags == ["<repl>:1:4: error: expected an expression, found '*'\n1 +* 2\n   ^"])
        #expect(repl.enter("1 / 0") == .done(.error))
        #expect(repl.h.diags.last == "<repl>:1:1: error: division by zero\n1 / 0\n^")
        // The session goes on after an error.
        #expect(repl.enter("3") == .done(.success))
        #expect(repl.echoed == [.int(3)])
    }

    @Test func assertionsAndExitInTheRepl() {
        let repl = Repl()
        #expect(repl.enter("assert 1 == 2") == .done(.assertionFailed))
        #expect(repl.enter("assert 1 == 1") == .done(.success))
        #expect(repl.enter("exit 3") == .done(.exit(3)))
    }

    /// A complete entry with a broken `${…}` is an error, not a request for more input.
    @Test func brokenInterpolationIsNotIncomplete() {
        let repl = Repl()
        #expect(repl.enter("print \"${1 +}\"") == .done(.error))
        #expect(repl.h.diags.count == 1)
    }
}
