import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// Whole-command golden tests of `kubesim run|check|test`: output and exit status.
@Suite("kubesim CLI")
struct CLITests {
    @Test func runPrintsOutputAndExitsZero() throws {
        let s = try Scratch()
        let f = try s.write("ok.kscript", "let x = 6 * 7\nprint \"answer ${x}\"\nassert x == 42\n")
        let r = try Binary.run(["run", f])
        #expect(r.status == 0)
        #expect(r.stdout == "answer 42\n")
        #expect(r.stderr == "")
    }

    @Test func failedAssertionExitsOneAndShowsBothSides() throws {
        let s = try Scratch()
        let f = try s.write("a.kscript", "let n = 2\nassert n == 3, \"three replicas\"\nprint \"after\"\n")
        let r = try Binary.run(["run", f])
        #expect(r.status == 1)
        // The script goes on after a failed assertion.
        #expect(r.stdout == "after\n")
        #expect(r.stderr == "\(f):2:1: error: assert failed: n == 3 (left: 2) — three replicas\nassert n == 3, \"three replicas\"\n^\n")
    }

    @Test func syntaxErrorExitsTwoWithCaret() throws {
        let s = try Scratch()
        let f = try s.write("bad.kscript", "print 1\nlet x = (1 +\n  2\n")
        let r = try Binary.run(["run", f])
        #expect(r.status == 2)
        #expect(r.stdout == "")  // nothing runs when the file does not parse
        #expect(r.stderr == "\(f):4:1: error: expected ')' to close '(' at 2:9\n\n^\n")
    }

    @Test func runtimeErrorExitsTwoAtTheOffendingLine() throws {
        let s = try Scratch()
        let f = try s.write("rt.kscript", "print \"before\"\nlet z = 10 / (5 - 5)\nprint \"never\"\n")
        let r = try Binary.run(["run", f])
        #expect(r.status == 2)
        #expect(r.stdout == "before\n")
        #expect(r.stderr == "\(f):2:9: error: division by zero\nlet z = 10 / (5 - 5)\n        ^\n")
    }

    @Test func unknownCommandSuggestsTheNearestName() throws {
        let s = try Scratch()
        let f = try s.write("u.kscript", "hepl seed\n")
        let r = try Binary.run(["run", f])
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("\(f):1:1: error: unknown command 'hepl' — did you mean 'help'?\nhepl seed\n^"))
    }

    @Test func exitCodeFromScript() throws {
        let s = try Scratch()
        let f = try s.write("e.kscript", "print \"a\"\nexit 3\nprint \"b\"\n")
        let r = try Binary.run(["run", f])
        #expect(r.status == 3)
        #expect(r.stdout == "a\n")
    }

    @Test func stepBudgetStopsARunawayLoop() throws {
        let s = try Scratch()
        let f = try s.write("loop.kscript", "var n = 0\nwhile true {\n  n += 1\n}\n")
        let r = try Binary.run(["run", "--max-steps", "10000", f])
        #expect(r.status == 2)
        #expect(r.stderr.contains("error: step budget exhausted after 10000 steps; raise it with --max-steps"))
    }

    @Test func deepRecursionIsAnErrorNotACrash() throws {
        let s = try Scratch()
        let f = try s.write("rec.kscript", "func down(n) { return down(n + 1) }\ndown(0)\n")
        let r = try Binary.run(["run", f])
        #expect(r.status == 2)
        #expect(r.stderr.contains("rec.kscript:1:23: error: call depth limit of 10000 exceeded"))
    }

    @Test func checkReportsEveryErrorWithoutRunning() throws {
        let s = try Scratch()
        let f = try s.write("c.kscript", "print \"runs?\"\nlet = 3\nseed --bogus\nfor x in { }\n")
        let r = try Binary.run(["check", f])
        #expect(r.status == 2)
        #expect(r.stdout == "")
        let headers = r.stderr.split(separator: "\n").filter { $0.contains(": error: ") }
        #expect(headers == [
            "\(f):2:5: error: expected a name after 'let'",
            "\(f):3:6: error: unknown flag '--bogus' for 'seed'",
            "\(f):4:10: error: expected an expression, found '{'",
        ].map { Substring($0) })
    }

    @Test func checkPassesCleanFile() throws {
        let s = try Scratch()
        let f = try s.write("ok.kscript", "let x = 1\n")
        let r = try Binary.run(["check", f])
        #expect(r.status == 0)
        #expect(r.stdout == "" && r.stderr == "")
    }

    @Test func testCommandPlainTapAndJunit() throws {
        let s = try Scratch()
        try s.write("t/a_pass.kscript", "assert 1 + 1 == 2\n")
        try s.write("t/b_fail.kscript", "assert 2 * 2 == 5\n")
        try s.write("t/c_error.kscript", "let x = (\n")
        try s.write("t/notes.txt", "not a test\n")
        let r = try Binary.run(["test", "t"], directory: s.path)
        #expect(r.status == 1)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "ok    t/a_pass.kscript")
        #expect(lines.contains("FAIL  t/b_fail.kscript  (assertion failed)"))
        #expect(lines.contains("      t/b_fail.kscript:1:1: error: assert failed: 2 * 2 == 5 (left: 4)"))
        #expect(lines.contains("FAIL  t/c_error.kscript  (error)"))
        #expect(lines.dropLast().last == "1 passed, 2 failed")

        let tap = try Binary.run(["test", "t", "--format", "tap"], directory: s.path)
        #expect(tap.status == 1)
        #expect(tap.stdout.hasPrefix("TAP version 13\n1..3\nok 1 - t/a_pass.kscript\nnot ok 2 - t/b_fail.kscript\n  ---\n  outcome: assertion failed\n"))
        #expect(tap.stdout.hasSuffix("# 1 passed, 2 failed\n"))

        let junit = try Binary.run(["test", "t", "--format", "junit", "--output", "report.xml"], directory: s.path)
        #expect(junit.status == 1)
        #expect(junit.stdout.hasSuffix("1 passed, 2 failed\n"))
        let xml = try String(contentsOfFile: s.path + "/report.xml", encoding: .utf8)
        #expect(xml.contains("<testsuites tests=\"3\" failures=\"1\" errors=\"1\">"))
        #expect(xml.contains("<testcase classname=\"kubesim\" name=\"t/a_pass.kscript\"/>"))
        #expect(xml.contains("<failure message=\"t/b_fail.kscript:1:1: error: assert failed: 2 * 2 == 5 (left: 4)\""))
        // It is well-formed XML.
        _ = try XMLDocument(xmlString: xml)
    }

    @Test func testCommandAllPassingExitsZero() throws {
        let s = try Scratch()
        try s.write("l/one.kscript", "assert true\n")
        let r = try Binary.run(["test", "l"], directory: s.path)
        #expect(r.status == 0)
        #expect(r.stdout == "ok    l/one.kscript\n1 passed, 0 failed\n")
    }

    @Test func pipedStdinIsReadWithoutPrompts() throws {
        let r = try Binary.run([], stdin: "1+1\nlet s = \"x\"\ns + \"y\"\nfor i in 1...2 {\n  print i\n}\n")
        #expect(r.status == 0)
        #expect(r.stdout == "2\n\"xy\"\n1\n2\n")
        #expect(!r.stdout.contains("kubesim>"))
    }

    @Test func replEchoesTheValueOfACommandThatPrintsNothing() throws {
        let r = try Binary.run([], stdin: "cluster nodes=1\ntick 1s\nseed 3\n")
        #expect(r.status == 0)
        #expect(r.stdout == "cluster created: 1 node (node1…node1), seed 1\n1.01s\n")
    }

    @Test func pipedErrorsDoNotStopTheSessionButSetTheStatus() throws {
        let r = try Binary.run([], stdin: "print 1\nnosuchvar\nprint 2\n")
        #expect(r.status == 2)
        #expect(r.stdout == "1\n2\n")
        #expect(r.stderr.contains("<repl>:1:1: error: undefined variable 'nosuchvar'"))
    }

    @Test func seedFlagAndSeedCommandAreDeterministic() throws {
        let s = try Scratch()
        let f = try s.write("r.kscript", "print random(1000), random(1000), random(1000)\n")
        let a = try Binary.run(["run", "--seed", "7", f])
        let b = try Binary.run(["run", "--seed", "7", f])
        let c = try Binary.run(["run", "--seed", "8", f])
        #expect(a.stdout == b.stdout)
        #expect(a.stdout != c.stdout)
        let g = try s.write("g.kscript", "seed 7\nprint random(1000), random(1000), random(1000)\n")
        #expect(try Binary.run(["run", g]).stdout == a.stdout)
    }

    @Test func versionAndHelpDocumentExitCodes() throws {
        let v = try Binary.run(["--version"])
        #expect(v.status == 0)
        #expect(v.stdout == "0.1.0\n")
        let h = try Binary.run(["help"])
        #expect(h.status == 0)
        #expect(h.stdout.contains("1  an assertion failed"))
        #expect(h.stdout.contains("2  a syntax or runtime error stopped a script"))
    }

    @Test func missingFileIsAnError() throws {
        let r = try Binary.run(["run", "/nonexistent/x.kscript"])
        #expect(r.status == 2)
        #expect(r.stderr == "error: cannot read '/nonexistent/x.kscript'\n")
    }

    @Test func includeRunsAnotherFileRelativeToTheIncluder() throws {
        let s = try Scratch()
        try s.write("lib/helpers.kscript", "func double(x) { return x * 2 }\nlet base = 21\n")
        let f = try s.write("main.kscript", "include \"lib/helpers.kscript\"\nprint double(base)\n")
        let r = try Binary.run(["run", f])
        #expect(r.status == 0)
        #expect(r.stdout == "42\n")
        let cyc = try s.write("cyc.kscript", "include \"cyc.kscript\"\n")
        let rc = try Binary.run(["run", cyc])
        #expect(rc.status == 2)
        #expect(rc.stderr.contains("error: 'cyc.kscript' includes itself"))
    }
}
