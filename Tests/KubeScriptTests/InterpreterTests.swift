import Testing
@testable import KubeScript
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `text` in a fresh session; returns the outcome, the output and the diagnostics.
private func run(_ text: String, maxSteps: Int = 50_000_000) -> (Session.Outcome, String, [String]) {
    let h = Harness(maxSteps: maxSteps)
    let outcome = h.run(text)
    return (outcome, h.out, h.diags)
}

/// The output of a script that must succeed without diagnostics.
private func output(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> String {
    let (outcome, out, diags) = run(text)
    #expect(outcome == .success, sourceLocation: sourceLocation)
    #expect(diags == [], sourceLocation: sourceLocation)
    return out
}

@Suite("Interpreter: arithmetic and values")
struct ArithmeticTests {
    @Test func precedenceAndAssociativity() {
        #expect(output("print 1 + 2 * 3") == "7\n")
        #expect(output("print (1 + 2) * 3") == "9\n")
        #expect(output("print 2 - 3 - 4") == "-5\n")
        #expect(output("print 100 / 10 / 5") == "2\n")
        #expect(output("print 2 * 3 % 4") == "2\n")
        #expect(output("print -2 * 3") == "-6\n")
        #expect(output("print 1 + 2 == 3 and 2 * 2 == 4") == "true\n")
        #expect(output("print not 1 > 2") == "true\n")
    }

    @Test func integerDivisionAndRemainderTruncate() {
        #expect(output("print 7 / 2, -7 / 2, 7 % 3, -7 % 3") == "3 -3 1 -1\n")
    }

    @Test func floats() {
        #expect(output("print 7.0 / 2") == "3.5\n")
        #expect(output("print 1 + 0.5") == "1.5\n")
        #expect(output("print 2.0") == "2.0\n")
        #expect(output("print 2.5 * 2") == "5.0\n")
        #expect(output("print 10 / 4.0") == "2.5\n")
        #expect(output("print -0.5") == "-0.5\n")
        #expect(output("print 0.1 + 0.2") == "0.30000000000000004\n")
        #expect(output("print 1 / 3.0") == "0.3333333333333333\n")
        #expect(output("print float(3), int(3.9), int(-3.9)") == "3.0 3 -3\n")
        #expect(output("print 1 == 1.0, 2 < 2.5") == "true true\n")
    }

    @Test func integerOverflowIsAnErrorWithLocation() {
        let (outcome, _, diags) = run("let big = 9223372036854775807\nprint big + 1")
        #expect(outcome == .error)
        #expect(diags == ["t.ks:2:7: error: integer overflow\nprint big + 1\n      ^"])
        #expect(run("print 9223372036854775807 * 2").2 == ["t.ks:1:7: error: integer overflow\nprint 9223372036854775807 * 2\n      ^"])
        #expect(run("print -9223372036854775807 - 2").0 == .error)
        #expect(run("print -(-9223372036854775807 - 1)").2.first?.contains("error: integer overflow") == true)
        #expect(output("print -9223372036854775807 - 1") == "-9223372036854775808\n")
    }

    @Test func divisionByZeroIsAnErrorWithLocation() {
        let (outcome, out, diags) = run("let a = 1\nlet b = 0\nprint \"before\"\nprint a / b\nprint \"after\"")
        #expect(outcome == .error)
        #expect(out == "before\n")
        #expect(diags == ["t.ks:4:7: error: division by zero\nprint a / b\n      ^"])
        #expect(run("print 5 % 0").2 == ["t.ks:1:7: error: division by zero\nprint 5 % 0\n      ^"])
        #expect(run("print 1.5 / 0").0 == .error)
        #expect(run("print 1s / 0").0 == .error)
    }

    @Test func typeErrors() {
        #expect(run("print 1 + true").2 == ["t.ks:1:7: error: cannot apply '+' to int and bool\nprint 1 + true\n      ^"])
        #expect(run("print -\"a\"").2.first?.hasPrefix("t.ks:1:7: error: cannot apply '-' to string\n") == true)
        #expect(run("if 1 { print 1 }").2.first?.hasPrefix("t.ks:1:4: error: condition must be a bool, found int\n") == true)
        #expect(run("print [1] < [2]").2.first?.contains("cannot apply '<' to list and list") == true)
    }

    @Test func logicShortCircuits() {
        #expect(output("print false and undefinedThing, true or 1 / 0 == 1") == "false true\n")
        #expect(output("print not true, not not true") == "false true\n")
    }

    @Test func stringsAndInterpolation() {
        let text = """
        let name = "web"
        let n = 3
        print "pod ${name}-${n + 1}"
        print "${"in" + "ner"} ${[1, 2]} ${["a"]} ${1.5} ${true} ${nil}"
        print "a" + 1, "ab" * 3, "x" + [1]
        print "tab\\tq\\"uote"
        print 'single ${name}'
        """
        #expect(output(text) == "pod web-4\ninner [1, 2] [\"a\"] 1.5 true nil\na1 ababab x[1]\ntab\tq\"uote\nsingle ${name}\n")
    }

    @Test func stringMembers() {
        #expect(output(#"print "Web".lower(), "web".upper(), "  x ".trim(), "héllo".count, len("héllo")"#) == "web WEB x 5 5\n")
        #expect(output(#"print "a,b,,c".split(","), "a b  c".split(), "hello".contains("ell"), "hello"[1], "hello"[-1]"#)
                == "[\"a\", \"b\", \"\", \"c\"] [\"a\", \"b\", \"c\"] true e o\n")
        #expect(output(#"print "aXbXc".replace("X", "-"), "pod-1".hasPrefix("pod"), "x.yaml".hasSuffix(".yaml")"#) == "a-b-c true true\n")
    }

    @Test func durationsQuantitiesAndAddresses() {
        #expect(output("print 1h30m + 30m") == "2h0m0s\n")
        #expect(output("print 500ms * 3, 1s - 250ms, 2s / 4, 1m / 30s") == "1.5s 750ms 500ms 2.0\n")
        #expect(output("print 1Gi + 512Mi, 2 * 512Mi, 1Gi / 2") == "1536Mi 1Gi 512Mi\n")
        #expect(output("print quantity(\"250m\") + 250m, 1Gi > 1000Mi, 10.0.0.5 in 10.0.0.0/24") == "500m true true\n")
        #expect(output("let c = 10.244.0.0/16\nprint c.network, c.broadcast, c.size, c.prefix") == "10.244.0.0 10.244.255.255 65536 16\n")
        #expect(output("let e = 10.96.0.10:53\nprint e.ip, e.port, type(e)") == "10.96.0.10 53 endpoint\n")
        #expect(output("print 1500ms, \"${90s}\", duration(\"1h\"), 2s.milliseconds") == "1.5s 1m30s 1h0m0s 2000\n")
    }

    @Test func builtinFunctions() {
        #expect(output("print str(10), type(1), type(1.0), type(\"\"), type([]), type([:]), type(nil)") == "10 int float string list map nil\n")
        #expect(output("print int(\"42\"), abs(-3), min(3, 1, 2), max([4, 9, 2]), sorted([3, 1, 2])") == "42 3 1 9 [1, 2, 3]\n")
        #expect(run("print int(\"x\")").2.first?.contains(#"error: int: cannot convert "x" to an int"#) == true)
        #expect(run("print len(1)").2.first?.contains("error: len: a int has no length") == true)
        #expect(run("print str(1, 2)").2.first?.contains("error: 'str' takes 1 argument, got 2") == true)
    }
}

@Suite("Interpreter: collections")
struct CollectionTests {
    @Test func listsIndexingAndAssignment() {
        let text = """
        var xs = [1, 2, 3]
        xs[0] = 10
        xs += [4]
        xs[-1] *= 2
        print xs, xs.count, xs[-1], xs.first, xs.last
        """
        #expect(output(text) == "[10, 2, 3, 8] 4 8 10 8\n")
    }

    @Test func mapsIndexingAndAssignment() {
        let text = """
        var m = ["a": 1]
        m["b"] = 2
        m["a"] += 5
        print m, m["a"], m.b, m["zz"], m.count, m.keys, m.values
        print "a" in m, "z" in m
        """
        #expect(output(text) == "[\"a\": 6, \"b\": 2] 6 2 nil 2 [\"a\", \"b\"] [6, 2]\ntrue false\n")
        #expect(output("print [:], [:].isEmpty, []") == "[:] true []\n")
    }

    @Test func nestedIndexAssignment() {
        #expect(output("var grid = [[1, 2], [3, 4]]\ngrid[1][0] = 30\nprint grid") == "[[1, 2], [30, 4]]\n")
        #expect(output("var m = [\"a\": [\"x\": 1]]\nm[\"a\"][\"x\"] += 1\nm[\"a\"][\"y\"] = 5\nprint m") == "[\"a\": [\"x\": 2, \"y\": 5]]\n")
    }

    @Test func collectionsHaveValueSemantics() {
        #expect(output("var a = [1]\nvar b = a\nb[0] = 2\nprint a, b") == "[1] [2]\n")
        #expect(output("func f(xs) {\n  xs[0] = 99\n  return xs\n}\nvar a = [1]\nprint f(a), a") == "[99] [1]\n")
    }

    @Test func indexErrors() {
        #expect(run("let xs = [1, 2]\nprint xs[5]").2 == ["t.ks:2:10: error: index 5 out of range for a list of 2 elements\nprint xs[5]\n         ^"])
        #expect(run("var xs = [1]\nxs[3] = 1").2.first?.contains("index 3 out of range for a list of 1 element\n") == true)
        #expect(run("var m = [\"a\": 1]\nm[\"zz\"] += 1").2.first?.contains("error: key \"zz\" not in map") == true)
        #expect(run("let xs = [1]\nprint xs[\"a\"]").2.first?.contains("error: cannot index list with string") == true)
        #expect(run("let n = 3\nprint n[0]").2.first?.contains("error: cannot index a value of type int") == true)
    }

    @Test func membershipWithIn() {
        #expect(output("print 2 in [1, 2, 3], 5 in [1, 2], \"ell\" in \"hello\", 1.0 in [1]") == "true false true true\n")
        #expect(run("print 1 in 2").2.first?.contains("cannot apply 'in' to int and int") == true)
    }

    @Test func notIn() {
        #expect(output("print 5 not in [1, 2], 1 not in [1, 2], \"z\" not in \"abc\"") == "true false true\n")
        #expect(output("let xs = [1]\nassert 2 not in xs") == "")
    }

    @Test func resourceKindNameDeclaredAsAVariableDivides() {
        #expect(output("let pod = 10\nprint pod/2, pod / 5") == "5 2\n")
        #expect(output("print pod/web") == "pod/web\n")
    }

    @Test func milliBesideAQuantityInCompoundAssignment() {
        #expect(output("var cpu = quantity(\"1\")\ncpu += 250m\ncpu -= 500m\nprint cpu") == "750m\n")
    }

    @Test func ranges() {
        #expect(output("print 1...5") == "[1, 2, 3, 4, 5]\n")
        #expect(output("print 1..<4") == "[1, 2, 3]\n")
        #expect(output("print 5...1, 3..<3") == "[] []\n")
        #expect(output("let n = 3\nprint 0..<n, (1...n).count") == "[0, 1, 2] 3\n")
        #expect(run("print 1...2.5").2.first?.contains("range bounds must be integers, found float") == true)
    }

    @Test func listMethods() {
        let text = """
        let xs = [3, 1, 2]
        print xs.sorted(), xs.reversed(), xs.join("-"), xs.indexOf(2), xs.contains(4)
        print xs.map(func (x) { return x * x }), xs.filter(func (x) { return x > 1 })
        """
        #expect(output(text) == "[1, 2, 3] [2, 1, 3] 3-1-2 2 false\n[9, 1, 4] [3, 2]\n")
    }

    @Test func noSuchMemberSuggests() {
        #expect(run("let xs = [1]\nprint xs.cout").2.first?.contains("error: list has no member 'cout' — did you mean 'count'?") == true)
        // A name cut short suggests the shortest member it begins; two letters are too few to guess from.
        #expect(run("let xs = [1]\nprint xs.rev").2.first?.contains("error: list has no member 'rev' — did you mean 'reversed'?") == true)
        let short = run("let xs = [1]\nprint xs.re").2.first ?? ""
        #expect(short.contains("error: list has no member 're'") && !short.contains("did you mean"), "\(short)")
    }
}

@Suite("Interpreter: control flow and functions")
struct ControlFlowTests {
    @Test func forWithBreakAndContinue() {
        let text = """
        var total = 0
        for i in 1...10 {
          if i % 2 == 0 { continue }
          if i > 7 { break }
          total += i
        }
        print total
        """
        #expect(output(text) == "16\n")
    }

    @Test func whileWithBreak() {
        let text = """
        var n = 0
        var steps = 0
        while true {
          n += 3
          steps += 1
          if n >= 10 { break }
        }
        print n, steps
        """
        #expect(output(text) == "12 4\n")
    }

    @Test func whileWithContinue() {
        let text = """
        var i = 0
        var odd = []
        while i < 6 {
          i += 1
          if i % 2 == 0 { continue }
          odd += [i]
        }
        print odd
        """
        #expect(output(text) == "[1, 3, 5]\n")
    }

    @Test func breakLeavesOnlyTheInnerLoop() {
        let text = """
        var pairs = []
        for i in 1...3 {
          for j in 1...3 {
            if j > i { break }
            pairs += ["${i}${j}"]
          }
        }
        print pairs.join(" ")
        """
        #expect(output(text) == "11 21 22 31 32 33\n")
    }

    @Test func iterationOverCollections() {
        let text = """
        var s = ""
        for c in "abc" { s = c + s }
        var keys = []
        for k in ["x": 1, "y": 2] { keys += [k] }
        var sum = 0
        for v in [5, 6, 7] { sum += v }
        for i in 5..<5 { sum += 1000 }
        print s, keys, sum
        """
        #expect(output(text) == "cba [\"x\", \"y\"] 18\n")
        #expect(run("for x in 5 { }").2.first?.contains("error: cannot iterate over a value of type int") == true)
    }

    @Test func ifElseChains() {
        let text = """
        func grade(n) {
          if n >= 90 {
            return "A"
          } else if n >= 80 {
            return "B"
          } else {
            return "C"
          }
        }
        print grade(95), grade(85), grade(10)
        """
        #expect(output(text) == "A B C\n")
    }

    @Test func blockScopesShadow() {
        #expect(output("var x = 1\nif true {\n  var x = 2\n  print x\n}\nprint x") == "2\n1\n")
    }

    @Test func recursion() {
        let text = """
        func fib(n) {
          if n < 2 { return n }
          return fib(n - 1) + fib(n - 2)
        }
        func fact(n) {
          if n <= 1 { return 1 }
          return n * fact(n - 1)
        }
        print fib(15), fact(10)
        """
        #expect(output(text) == "610 3628800\n")
    }

    @Test func mutualRecursionAndHoisting() {
        let text = """
        print isEven(10), isOdd(7)
        func isEven(n) {
          if n == 0 { return true }
          return isOdd(n - 1)
        }
        func isOdd(n) {
          if n == 0 { return false }
          return isEven(n - 1)
        }
        """
        #expect(output(text) == "true true\n")
    }

    @Test func topLevelFunctionCalledBeforeItsDeclaration() {
        #expect(output("print double(21)\nfunc double(x) {\n  return x * 2\n}") == "42\n")
        #expect(output("greet(\"web\")\nfunc greet(name) {\n  print \"hello ${name}\"\n}") == "hello web\n")
    }

    @Test func functionWithoutReturnGivesNil() {
        #expect(output("func f() {\n  let a = 1\n}\nprint f()") == "nil\n")
        #expect(output("func f() {\n  return\n}\nprint f()") == "nil\n")
    }

    @Test func closuresCaptureOuterVariables() {
        let text = """
        func makeCounter() {
          var count = 0
          return func () {
            count += 1
            return count
          }
        }
        let c1 = makeCounter()
        let c2 = makeCounter()
        c1()
        c1()
        print c1(), c2(), c1()
        """
        #expect(output(text) == "3 1 4\n")
    }

    @Test func closuresSeeLaterChangesToGlobals() {
        #expect(output("var base = 10\nlet add = func (x) { return x + base }\nbase = 20\nprint add(1)") == "21\n")
    }

    @Test func closureOverParameter() {
        let text = """
        func adder(n) {
          return func (x) { return x + n }
        }
        let add5 = adder(5)
        let add7 = adder(7)
        print add5(1), add7(1), adder(100)(1)
        """
        #expect(output(text) == "6 8 101\n")
    }

    @Test func nestedClosuresReachTwoLevelsOut() {
        let text = """
        func outer() {
          var a = 1
          func middle() {
            func inner() {
              a += 10
              return a
            }
            return inner()
          }
          middle()
          return middle()
        }
        print outer()
        """
        #expect(output(text) == "21\n")
    }

    @Test func functionCallErrors() {
        #expect(run("func f(a) {\n}\nf(1, 2)").2 == ["t.ks:3:1: error: 'f' takes 1 argument, got 2\nf(1, 2)\n^"])
        #expect(run("let x = 3\nx()").2.first?.contains("error: cannot call a value of type int") == true)
    }

    @Test func undefinedVariableWithSuggestion() {
        let (outcome, _, diags) = run("let replicas = 3\nprint replcas")
        #expect(outcome == .error)
        #expect(diags == ["t.ks:2:7: error: undefined variable 'replcas' — did you mean 'replicas'?\nprint replcas\n      ^"])
        #expect(run("print zzzzzzzz").2 == ["t.ks:1:7: error: undefined variable 'zzzzzzzz'\nprint zzzzzzzz\n      ^"])
    }
}

@Suite("Interpreter: assertions and expect")
struct AssertionTests {
    @Test func assertShowsTheNonLiteralSide() {
        let (outcome, out, diags) = run("let x = 2\nassert x == 3\nprint \"still running\"")
        #expect(outcome == .assertionFailed)
        #expect(out == "still running\n")
        #expect(diags == ["t.ks:2:1: error: assert failed: x == 3 (left: 2)\nassert x == 3\n^"])
    }

    @Test func assertShowsBothSidesWhenNeitherIsLiteral() {
        let (outcome, _, diags) = run("let a = 2\nlet b = 3\nassert a == b")
        #expect(outcome == .assertionFailed)
        #expect(diags == ["t.ks:3:1: error: assert failed: a == b (left: 2, right: 3)\nassert a == b\n^"])
    }

    @Test func assertDetailVariants() {
        #expect(run("let x = 2\nassert x == -5").2.first?.contains("assert failed: x == -5 (left: 2)\n") == true)
        #expect(run("let s = \"a\"\nassert s == \"b\"").2.first?.contains("assert failed: s == \"b\" (left: \"a\")\n") == true)
        #expect(run("assert 1 == 2").2.first?.contains("assert failed: 1 == 2\n") == true)
        #expect(run("let x = 2\nassert x == 3, \"x should be 3\"").2.first?.contains("assert failed: x == 3 (left: 2) — x should be 3\n") == true)
        #expect(run("let xs = [1, 2]\nassert 4 in xs").2.first?.contains("assert failed: 4 in xs (right: [1, 2])\n") == true)
        #expect(run("let ok = false\nassert ok").2.first?.contains("assert failed: ok\n") == true)
        #expect(run("let n = 1\nassert n > 1 and n < 5").2.first?.contains("assert failed: n > 1 and n < 5\n") == true)
    }

    @Test func passingAssertsAreSilent() {
        let (outcome, out, diags) = run("let x = 2\nassert x == 2\nassert x < 3, \"small\"\nassert quantity(\"1\") == 1000m\nassert [1, 2] == [1, 2]")
        #expect(outcome == .success)
        #expect(out == "")
        #expect(diags == [])
    }

    @Test func everyFailedAssertIsReported() {
        let (outcome, _, diags) = run("assert 1 == 2\nassert 2 == 3\nassert 3 == 3")
        #expect(outcome == .assertionFailed)
        #expect(diags.count == 2)
    }

    @Test func nonBoolAssertIsAnError() {
        let (outcome, _, diags) = run("assert 1")
        #expect(outcome == .error)
        #expect(diags.first?.contains("condition must be a bool, found int") == true)
    }

    @Test func expectFailurePassesWhenTheBlockFails() {
        let (outcome, out, diags) = run("expect failure {\n  let x = 1 / 0\n}\nprint \"after\"")
        #expect(outcome == .success)
        #expect(out == "after\n")
        #expect(diags == [])
    }

    @Test func expectFailureCatchesAFailedAssert() {
        let (outcome, _, diags) = run("expect failure {\n  assert 1 == 2\n}")
        #expect(outcome == .success)
        #expect(diags == [])
    }

    @Test func expectFailureRecordsAnAssertionFailureWhenTheBlockSucceeds() {
        let (outcome, out, diags) = run("expect failure {\n  print \"ok\"\n}\nprint \"next\"")
        #expect(outcome == .assertionFailed)
        #expect(out == "ok\nnext\n")
        #expect(diags == ["t.ks:1:1: error: expected a failure, but the block succeeded\nexpect failure {\n^"])
    }

    @Test func expectErrorMatchesText() {
        #expect(run("expect error \"division\" {\n  print 1 / 0\n}").0 == .success)
        let (outcome, _, diags) = run("expect error \"zero\" {\n  assert 1 == 2\n}")
        #expect(outcome == .assertionFailed)
        #expect(diags == ["t.ks:1:1: error: expected an error containing \"zero\", got: assert failed: 1 == 2\nexpect error \"zero\" {\n^"])
        let (outcome2, _, diags2) = run("expect error \"nope\" {\n  let a = 1\n}")
        #expect(outcome2 == .assertionFailed)
        #expect(diags2 == ["t.ks:1:1: error: expected an error containing \"nope\", but the block succeeded\nexpect error \"nope\" {\n^"])
    }

    @Test func expectErrorCatchesErrorsInsideFunctions() {
        let text = """
        func risky(n) {
          return [1, 2][n]
        }
        expect error "out of range" {
          risky(7)
        }
        print risky(1)
        """
        #expect(output(text) == "2\n")
    }

    @Test func nestedExpect() {
        #expect(run("expect failure {\n  expect failure {\n    print 1\n  }\n}").0 == .success)
    }

    @Test func expectDoesNotCatchTheStepBudget() {
        let (outcome, _, diags) = run("expect failure {\n  while true { }\n}", maxSteps: 500)
        #expect(outcome == .error)
        #expect(diags.first?.contains("error: step budget exhausted after 500 steps; raise it with --max-steps") == true)
    }
}

@Suite("Interpreter: limits")
struct LimitTests {
    @Test func stepBudgetStopsAnInfiniteLoop() {
        let h = Harness(maxSteps: 1_000)
        let outcome = h.run("var n = 0\nwhile true {\n  n += 1\n}")
        #expect(outcome == .error)
        #expect(h.diags.count == 1)
        #expect(h.diags.first?.contains("error: step budget exhausted after 1000 steps; raise it with --max-steps\n") == true)
    }

    @Test func stepBudgetStopsInfiniteRecursionWithoutCalls() {
        let h = Harness(maxSteps: 2_000)
        #expect(h.run("for i in 1...1000000000000 { }") == .error)
        #expect(h.diags.first?.contains("step budget exhausted after 2000 steps") == true)
    }

    @Test func stepBudgetIsPerRun() {
        let h = Harness(maxSteps: 1_000)
        for _ in 0..<5 {
            #expect(h.run("for i in 1...300 { }") == .success)
        }
        #expect(h.diags == [])
    }

    @Test func callDepthLimitStopsRunawayRecursion() {
        let h = Harness()
        let outcome = h.run("func f(n) { return f(n + 1) }\nf(0)")
        #expect(outcome == .error)
        #expect(h.diags.count == 1)
        #expect(h.diags.first?.hasPrefix("t.ks:1:20: error: call depth limit of 10000 exceeded") == true)
        // The session is still usable and the depth was unwound.
        #expect(h.run("func g(n) {\n  if n == 0 { return 0 }\n  return 1 + g(n - 1)\n}\nprint g(5000)") == .success)
        #expect(h.out == "5000\n")
    }

    @Test func callDepthLimitIsNotCaughtByExpect() {
        let h = Harness(maxCallDepth: 50)
        #expect(h.run("func f() { return f() }\nexpect failure {\n  f()\n}") == .error)
        #expect(h.diags.first?.contains("call depth limit of 50 exceeded") == true)
    }

    @Test func smallCallDepthLimit() {
        let h = Harness(maxCallDepth: 10)
        #expect(h.run("func d(n) {\n  if n == 0 { return 0 }\n  return d(n - 1)\n}\nprint d(9)") == .success)
        #expect(h.run("print d(10)") == .error)
        #expect(h.diags.first?.contains("call depth limit of 10 exceeded") == true)
    }

    /// Quantity and duration arithmetic must report overflow like int arithmetic does,
    /// not trap the process.
    @Test func quantityOverflowIsAnErrorNotACrash() async {
        await #expect(processExitsWith: .success) {
            let session = Session.standalone(output: { _ in }, diagnostics: { _ in })
            let outcome = session.run("let q = quantity(\"9000T\")\nprint q + q", name: "t.ks")
            exit(outcome == .error ? 0 : 1)
        }
    }

    @Test func durationOverflowIsAnErrorNotACrash() async {
        await #expect(processExitsWith: .success) {
            let session = Session.standalone(output: { _ in }, diagnostics: { _ in })
            let outcome = session.run("print 1h * 9999999999999", name: "t.ks")
            exit(outcome == .error ? 0 : 1)
        }
    }

    @Test func absOfMinimumIntIsAnErrorNotACrash() async {
        await #expect(processExitsWith: .success) {
            let session = Session.standalone(output: { _ in }, diagnostics: { _ in })
            let outcome = session.run("print abs(-9223372036854775807 - 1)", name: "t.ks")
            exit(outcome == .error ? 0 : 1)
        }
    }

    @Test func comparingAQuantityWithAHugeIntDoesNotCrash() async {
        await #expect(processExitsWith: .success) {
            var out = ""
            let session = Session.standalone(output: { out += $0 }, diagnostics: { _ in })
            let outcome = session.run("print 1Gi == 9223372036854775807", name: "t.ks")
            exit(outcome == .success && out == "false\n" ? 0 : 1)
        }
    }

    /// A long flat chain (no nesting in the source) builds a deep tree; running and
    /// freeing it must not overflow the caller's stack.
    @Test func longOperatorChainDoesNotCrash() async {
        await #expect(processExitsWith: .success) {
            var out = ""
            let session = Session.standalone(output: { out += $0 }, diagnostics: { _ in })
            let text = "print " + Array(repeating: "1", count: 200_000).joined(separator: " + ")
            let outcome = session.run(text, name: "t.ks")
            exit(outcome == .success && out == "200000\n" ? 0 : 1)
        }
    }
}

@Suite("Session outcomes")
struct OutcomeTests {
    @Test func outcomes() {
        #expect(Harness().run("print 1") == .success)
        #expect(Harness().run("assert 1 == 2") == .assertionFailed)
        #expect(Harness().run("print 1 / 0") == .error)
        #expect(Harness().run("let x = ") == .error)
        #expect(Harness().run("exit 3") == .exit(3))
        #expect(Harness().run("exit 0") == .success)
        #expect(Harness().run("exit") == .success)
    }

    @Test func exitStopsTheScript() {
        let h = Harness()
        #expect(h.run("print \"a\"\nexit 3\nprint \"b\"") == .exit(3))
        #expect(h.out == "a\n")
    }

    @Test func exitWithAFailedAssertStillReportsTheExitCode() {
        #expect(Harness().run("assert 1 == 2\nexit 5") == .exit(5))
    }

    @Test func exitInsideAFunctionStopsAtOnce() {
        let h = Harness()
        #expect(h.run("func stop() {\n  exit 5\n  print \"unreachable\"\n}\nstop()\nprint \"after\"") == .exit(5))
        #expect(h.out == "")
    }

    @Test func exitInsideALoopStopsAtOnce() {
        let h = Harness()
        #expect(h.run("for i in 1...3 {\n  print i\n  if i == 1 { exit 2 }\n}") == .exit(2))
        #expect(h.out == "1\n")
    }

    @Test func badExitCode() {
        let h = Harness()
        #expect(h.run("exit abc") == .error)
        #expect(h.diags == ["t.ks:1:1: error: exit: 'abc' is not an exit code\nexit abc\n^"])
    }

    @Test func assertionFailuresAreCountedPerRun() {
        let h = Harness()
        #expect(h.run("assert 1 == 2") == .assertionFailed)
        #expect(h.run("assert 1 == 1") == .success)
        #expect(h.session.hadAssertionFailures)
    }

    @Test func globalsPersistAcrossRuns() {
        let h = Harness()
        #expect(h.run("var total = 5\nfunc bump() {\n  total += 1\n}") == .success)
        #expect(h.run("bump()\nbump()\nprint total") == .success)
        #expect(h.out == "7\n")
        #expect(h.session.interpreter.global("total") == .int(7))
    }

    @Test func runtimePrefixIsAddedToRuntimeErrors() {
        let h = Harness()
        h.session.runtimePrefix = { "[t=1.5s] " }
        #expect(h.run("print 1 / 0") == .error)
        #expect(h.diags == ["t.ks:1:7: error: [t=1.5s] division by zero\nprint 1 / 0\n      ^"])
    }
}
