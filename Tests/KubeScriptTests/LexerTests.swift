import Testing
@testable import KubeScript

// MARK: - helpers

/// Every token of `text` in expression mode, up to and including EOF.
private func lex(_ text: String) -> [Token] {
    var lexer = Lexer(file: SourceFile(name: "t.ks", text: text))
    var out: [Token] = []
    while true {
        let t = lexer.next()
        out.append(t)
        if t.kind == .eof { return out }
        if out.count > 1_000 { Issue.record("lexer did not reach EOF"); return out }
    }
}

private func kinds(_ text: String) -> [Token.Kind] { lex(text).map(\.kind) }
private func texts(_ text: String) -> [String] { lex(text).map(\.text) }

/// A compact, comparable picture of string / word parts: `lit(…)`, `expr(…)`, `var(…)`.
private func describe(_ parts: [StringPart], in file: SourceFile) -> [String] {
    parts.map { part in
        switch part {
        case .literal(let s): return "lit(\(s))"
        case .interpolation(let r): return "expr(\(file.slice(r)))"
        case .variable(let name, let r): return "var(\(name)|\(file.slice(r)))"
        }
    }
}

/// Every command-mode word of `text`, up to and including EOF.
private func commandWords(_ text: String, inParens: Bool = false) -> (SourceFile, [Token]) {
    let file = SourceFile(name: "t.ks", text: text)
    var lexer = Lexer(file: file)
    var out: [Token] = []
    while true {
        let t = lexer.nextCommandWord(inParens: inParens)
        out.append(t)
        if t.kind == .eof { return (file, out) }
        if out.count > 1_000 { Issue.record("lexer did not reach EOF"); return (file, out) }
    }
}

@Suite("Lexer: expression mode")
struct LexerExpressionTests {
    @Test func identifiersAndKeywords() {
        let toks = lex("let x = foo_bar1 and not _y")
        #expect(toks.map(\.kind) == [.keyword, .identifier, .punct, .identifier, .keyword, .keyword, .identifier, .eof])
        #expect(toks.map(\.text) == ["let", "x", "=", "foo_bar1", "and", "not", "_y", ""])
        for kw in ["let", "var", "if", "else", "for", "in", "while", "func", "return", "break", "continue",
                   "print", "assert", "expect", "include", "true", "false", "nil", "and", "or", "not"] {
            #expect(kinds(kw) == [.keyword, .eof], "\(kw)")
        }
        // Command names and 'failure'/'error' are plain identifiers.
        #expect(kinds("kubectl failure error") == [.identifier, .identifier, .identifier, .eof])
    }

    @Test func tokenOffsets() {
        let toks = lex("ab  12")
        #expect(toks[0].start == 0 && toks[0].end == 2)
        #expect(toks[1].start == 4 && toks[1].end == 6)
        #expect(toks[2].kind == .eof && toks[2].start == 6)
    }

    @Test func integersAndFloats() {
        let toks = lex("42 3.14 0 007")
        #expect(toks.map(\.kind) == [.int, .float, .int, .int, .eof])
        #expect(toks.map(\.text) == ["42", "3.14", "0", "007", ""])
        // A dot not followed by a digit is member access, not a float.
        #expect(kinds("1.count") == [.int, .punct, .identifier, .eof])
    }

    @Test func stringEscapes() {
        let file = SourceFile(name: "t.ks", text: #""a\tb\n\"q\" \\ \' \$ \u{41}\u{1F600}\0""#)
        var lexer = Lexer(file: file)
        let t = lexer.next()
        #expect(t.kind == .string)
        #expect(t.diagnostic == nil)
        #expect(describe(t.parts, in: file) == ["lit(a\tb\n\"q\" \\ ' $ A\u{1F600}\u{0})"])
        #expect(t.text == file.text)
    }

    @Test func singleQuotedStringsDoNotInterpolate() {
        let file = SourceFile(name: "t.ks", text: "'no ${x} here'")
        var lexer = Lexer(file: file)
        let t = lexer.next()
        #expect(t.kind == .string)
        #expect(describe(t.parts, in: file) == ["lit(no ${x} here)"])
    }

    @Test func singleQuotedStringsAreRawApartFromQuoteAndBackslash() {
        let file = SourceFile(name: "t.ks", text: #"'a\nb \' \\ \$'"#)
        var lexer = Lexer(file: file)
        let t = lexer.next()
        #expect(t.kind == .string)
        #expect(t.diagnostic == nil)
        #expect(describe(t.parts, in: file) == [#"lit(a\nb ' \ \$)"#])
    }

    @Test func emptyString() {
        let toks = lex(#""""#)
        #expect(toks.map(\.kind) == [.string, .eof])
        #expect(toks[0].parts.isEmpty)
    }

    @Test func interpolationParts() {
        let file = SourceFile(name: "t.ks", text: #""hi ${name}-${n + 1}!""#)
        var lexer = Lexer(file: file)
        let t = lexer.next()
        #expect(t.kind == .string)
        #expect(describe(t.parts, in: file) == ["lit(hi )", "expr(name)", "lit(-)", "expr(n + 1)", "lit(!)"])
        #expect(lexer.next().kind == .eof)
    }

    @Test func interpolationWithNestedBracesAndStrings() {
        let file = SourceFile(name: "t.ks", text: #""${m["}"]} ${ {1} }""#)
        var lexer = Lexer(file: file)
        let t = lexer.next()
        #expect(t.diagnostic == nil)
        #expect(describe(t.parts, in: file) == [#"expr(m["}"])"#, "lit( )", "expr( {1} )"])
    }

    @Test func dollarWithoutBraceIsLiteralInStrings() {
        let file = SourceFile(name: "t.ks", text: #""cost $5 and $name""#)
        var lexer = Lexer(file: file)
        #expect(describe(lexer.next().parts, in: file) == ["lit(cost $5 and $name)"])
    }

    @Test func invalidEscapeIsReported() {
        let t = lex(#""a\qb""#)[0]
        #expect(t.kind == .string)
        #expect(t.diagnostic?.text == #"invalid escape sequence '\q' in string"#)
        #expect(t.atEndOfInput == false)
    }

    @Test func unterminatedStringAtEndOfInput() {
        let t = lex(#""abc"#)[0]
        #expect(t.kind == .string)
        #expect(t.diagnostic?.text == "unterminated string literal")
        #expect(t.atEndOfInput == true)
    }

    @Test func unterminatedStringAtNewlineIsNotEndOfInput() {
        let toks = lex("\"abc\nx")
        #expect(toks[0].diagnostic?.text == "unterminated string literal")
        #expect(toks[0].atEndOfInput == false)
        #expect(toks.dropFirst().map(\.kind) == [.newline, .identifier, .eof])
    }

    @Test func unterminatedInterpolation() {
        let t = lex(#""a ${b"#)[0]
        #expect(t.diagnostic?.text == "unterminated '${' interpolation, expected '}'")
        #expect(t.atEndOfInput == true)
    }

    @Test func durations() {
        let toks = lex("500ms 1h30m 1.5s 2h 100µs 1m1.5s 30s")
        #expect(toks.map(\.kind) == [.duration, .duration, .duration, .duration, .duration, .duration, .duration, .eof])
        #expect(toks.map(\.text) == ["500ms", "1h30m", "1.5s", "2h", "100µs", "1m1.5s", "30s", ""])
    }

    @Test func quantities() {
        let toks = lex("1Gi 512Mi 2k 1.5G 64Ki")
        #expect(toks.map(\.kind) == [.quantity, .quantity, .quantity, .quantity, .quantity, .eof])
        #expect(toks.map(\.text) == ["1Gi", "512Mi", "2k", "1.5G", "64Ki", ""])
    }

    @Test func milliIsItsOwnKind() {
        let toks = lex("250m 5m 1.5m")
        #expect(toks.map(\.kind) == [.milli, .milli, .milli, .eof])
        #expect(toks.map(\.text) == ["250m", "5m", "1.5m", ""])
    }

    @Test func badNumberSuffix() {
        let t = lex("5xyz")[0]
        #expect(t.kind == .invalid)
        #expect(t.text == "5xyz")
        #expect(t.diagnostic?.text == "invalid number '5xyz': not a duration (500ms, 1h30m) or quantity (250m, 1Gi)")
    }

    @Test func numberWithUnitStopsAtDashOrDot() {
        #expect(texts("5s-1s") == ["5s", "-", "1s", ""])
        #expect(kinds("2s.seconds") == [.duration, .punct, .identifier, .eof])
    }

    @Test func addresses() {
        let toks = lex("10.0.0.1 10.244.0.0/16 10.96.0.10:53")
        #expect(toks.map(\.kind) == [.ip, .cidr, .endpoint, .eof])
        #expect(toks.map(\.text) == ["10.0.0.1", "10.244.0.0/16", "10.96.0.10:53", ""])
    }

    @Test func invalidAddresses() {
        let ip = lex("300.1.1.1")[0]
        #expect(ip.kind == .invalid)
        #expect(ip.diagnostic?.text == "invalid IPv4 address '300.1.1.1'")
        let cidr = lex("10.0.0.0/40")[0]
        #expect(cidr.kind == .invalid)
        #expect(cidr.diagnostic?.text == "invalid CIDR '10.0.0.0/40'")
        let ep = lex("10.0.0.1:99999")[0]
        #expect(ep.kind == .invalid)
        #expect(ep.diagnostic?.text == "invalid address and port '10.0.0.1:99999'")
    }

    @Test func resourceWords() {
        let toks = lex("pod/test deploy/web-1 svc/my.svc")
        #expect(toks.map(\.kind) == [.word, .word, .word, .eof])
        #expect(toks.map(\.text) == ["pod/test", "deploy/web-1", "svc/my.svc", ""])
    }

    @Test func slashAfterOtherNamesIsDivision() {
        #expect(kinds("x/y") == [.identifier, .punct, .identifier, .eof])
        #expect(texts("a/2") == ["a", "/", "2", ""])
        // A known kind followed by a space is still division.
        #expect(kinds("pod / 2") == [.identifier, .punct, .int, .eof])
        #expect(kinds("pod/2") == [.word, .eof])
    }

    @Test func rangesAreNotAddresses() {
        let toks = lex("1...10")
        #expect(toks.map(\.kind) == [.int, .punct, .int, .eof])
        #expect(toks.map(\.text) == ["1", "...", "10", ""])
        #expect(texts("0..<5") == ["0", "..<", "5", ""])
        #expect(kinds("1.5...2.5") == [.float, .punct, .float, .eof])
        #expect(texts("1.1...1.3") == ["1.1", "...", "1.3", ""])
    }

    @Test func punctuation() {
        let toks = lex("== != <= >= += -= *= /= ... ..< ( ) [ ] { } , : . + - * / % = < >")
        let expected = ["==", "!=", "<=", ">=", "+=", "-=", "*=", "/=", "...", "..<",
                        "(", ")", "[", "]", "{", "}", ",", ":", ".", "+", "-", "*", "/", "%", "=", "<", ">"]
        #expect(toks.dropLast().allSatisfy { $0.kind == .punct })
        #expect(toks.dropLast().map(\.text) == expected)
        // Longest match first.
        #expect(texts("a<=b") == ["a", "<=", "b", ""])
        #expect(texts("x...<y") == ["x", "...", "<", "y", ""])
    }

    @Test func symbolicLogicOperatorsAreNotPunctuation() {
        // `and`, `or`, `not` are the logic operators; `&&` is not a token.
        let toks = lex("a && b")
        #expect(toks.map(\.kind) == [.identifier, .invalid, .invalid, .identifier, .eof])
        #expect(toks[1].diagnostic?.text == "unexpected character '&'")
    }

    @Test func unexpectedCharacter() {
        let toks = lex("a @ b")
        #expect(toks.map(\.kind) == [.identifier, .invalid, .identifier, .eof])
        #expect(toks[1].diagnostic?.text == "unexpected character '@'")
        let uni = lex("→")[0]
        #expect(uni.kind == .invalid)
        #expect(uni.text == "→")
        #expect(uni.end == 3)
    }

    @Test func commentsNewlinesSemicolons() {
        let toks = lex("x # a comment ; with stuff\ny; z # tail")
        #expect(toks.map(\.kind) == [.identifier, .newline, .identifier, .semicolon, .identifier, .eof])
        #expect(toks.map(\.text) == ["x", "\n", "y", ";", "z", ""])
    }

    @Test func lineContinuation() {
        #expect(kinds("a \\\n b") == [.identifier, .identifier, .eof])
        #expect(kinds("a \\\r\n b") == [.identifier, .identifier, .eof])
    }

    @Test func carriageReturnIsWhitespace() {
        #expect(kinds("a\r\nb") == [.identifier, .newline, .identifier, .eof])
    }

    @Test func spaceBefore() {
        let glued = lex("f(x)")
        #expect(glued[1].text == "(" && glued[1].spaceBefore == false)
        let spaced = lex("f (x)")
        #expect(spaced[1].text == "(" && spaced[1].spaceBefore == true)
        #expect(glued[0].spaceBefore == true)  // start of input counts as space
    }

    @Test func selectorRescan() {
        let file = SourceFile(name: "t.ks", text: "app=web,tier!=db)")
        var lexer = Lexer(file: file)
        let t = lexer.rescanSelector(from: 0)
        #expect(t.kind == .word)
        #expect(t.text == "app=web,tier!=db")
        #expect(lexer.next().text == ")")
    }

    @Test func subRangeLexer() {
        let file = SourceFile(name: "t.ks", text: "abc def ghi")
        var lexer = Lexer(file: file, start: 4, end: 7)
        let t = lexer.next()
        #expect(t.kind == .identifier && t.text == "def")
        #expect(lexer.next().kind == .eof)
    }
}

@Suite("Lexer: command mode")
struct LexerCommandTests {
    @Test func flagsAndPlainWords() {
        let (file, words) = commandWords("--replicas=3 -o wide -owide deployment/web app=web")
        #expect(words.map(\.kind) == [.commandWord, .commandWord, .commandWord, .commandWord, .commandWord, .commandWord, .eof])
        #expect(words.dropLast().map { describe($0.parts, in: file) } == [
            ["lit(--replicas=3)"], ["lit(-o)"], ["lit(wide)"], ["lit(-owide)"], ["lit(deployment/web)"], ["lit(app=web)"],
        ])
        #expect(words.allSatisfy { !$0.quoted })
    }

    @Test func quotedWords() {
        let (file, words) = commandWords(#""a b" 'c $d' "x${y}z" pre"mid"post"#)
        #expect(words.count == 5)
        #expect(describe(words[0].parts, in: file) == ["lit(a b)"])
        #expect(words[0].quoted)
        #expect(words[0].text == "\"a b\"")
        #expect(describe(words[1].parts, in: file) == ["lit(c $d)"])
        #expect(words[1].quoted)
        #expect(describe(words[2].parts, in: file) == ["lit(x)", "expr(y)", "lit(z)"])
        #expect(describe(words[3].parts, in: file) == ["lit(premidpost)"])
        // Quotes inside a word only group (--schedule="*/5 * * * *" stays a flag).
        #expect(!words[3].quoted)
        #expect(words[4].kind == .eof)
    }

    @Test func escapesInsideDoubleQuotes() {
        let (file, words) = commandWords(#""tab\there \"q\" \$x""#)
        #expect(describe(words[0].parts, in: file) == ["lit(tab\there \"q\" $x)"])
    }

    @Test func interpolationAndVariables() {
        let (file, words) = commandWords("${n + 1} $name pod-${x}-$y $5 $ end")
        #expect(describe(words[0].parts, in: file) == ["expr(n + 1)"])
        #expect(describe(words[1].parts, in: file) == ["var(name|name)"])
        #expect(describe(words[2].parts, in: file) == ["lit(pod-)", "expr(x)", "lit(-)", "var(y|y)"])
        #expect(describe(words[3].parts, in: file) == ["lit($5)"])
        #expect(describe(words[4].parts, in: file) == ["lit($)"])
        #expect(describe(words[5].parts, in: file) == ["lit(end)"])
        #expect(words[6].kind == .eof)
    }

    @Test func doubleDashAndBackslash() {
        let (file, words) = commandWords(#"pod/test -- wget -qO- http://web a\ b"#)
        #expect(words.dropLast().map { describe($0.parts, in: file) } == [
            ["lit(pod/test)"], ["lit(--)"], ["lit(wget)"], ["lit(-qO-)"], ["lit(http://web)"], ["lit(a b)"],
        ])
    }

    @Test func backslashNewlineContinuesTheCommand() {
        let (file, words) = commandWords("say a \\\n  b\\\nc")
        #expect(words.map(\.kind) == [.commandWord, .commandWord, .commandWord, .commandWord, .eof])
        #expect(words.dropLast().map { describe($0.parts, in: file) } == [["lit(say)"], ["lit(a)"], ["lit(b)"], ["lit(c)"]])
    }

    @Test func closingBraceEndsACommandInABlock() {
        let (_, words) = commandWords("say hi }", inParens: false)
        #expect(words.map(\.text) == ["say", "hi", "}", ""])
        var lexer = Lexer(file: SourceFile(name: "t.ks", text: "say hi }"))
        let inBlock = [lexer.nextCommandWord(inParens: false, inBlock: true),
                       lexer.nextCommandWord(inParens: false, inBlock: true),
                       lexer.nextCommandWord(inParens: false, inBlock: true)]
        #expect(inBlock.map(\.kind) == [.commandWord, .commandWord, .punct])
        #expect(inBlock[2].text == "}")
        // Only at the start of a word: `a}` is one word.
        var glued = Lexer(file: SourceFile(name: "t.ks", text: "a} b"))
        #expect(glued.nextCommandWord(inParens: false, inBlock: true).text == "a}")
    }

    @Test func lineEndsAndComments() {
        let (_, words) = commandWords("a b; c # comment\nd")
        #expect(words.map(\.kind) == [.commandWord, .commandWord, .semicolon, .commandWord, .newline, .commandWord, .eof])
        #expect(words.map(\.text) == ["a", "b", ";", "c", "\n", "d", ""])
    }

    @Test func parenthesisedCommandEndsAtUnbalancedParen() {
        let (_, words) = commandWords("get f(x) pods) + 1", inParens: true)
        #expect(words[0].text == "get")
        #expect(words[1].text == "f(x)")
        #expect(words[2].text == "pods")
        #expect(words[3].kind == .punct && words[3].text == ")")
    }

    @Test func newlinesAreSkippedInsideParens() {
        let (_, words) = commandWords("get\n  pods)", inParens: true)
        #expect(words.map(\.kind) == [.commandWord, .commandWord, .punct, .eof])
    }

    @Test func unterminatedQuoteInCommandWord() {
        let (_, words) = commandWords(#"say "abc"#)
        #expect(words[1].diagnostic?.text == "unterminated string literal")
        #expect(words[1].atEndOfInput)
    }

    @Test func spaceBeforeOnCommandWords() {
        let (_, words) = commandWords("a  b")
        #expect(words[1].spaceBefore)
    }
}

@Suite("Lexer: heredocs")
struct LexerHeredocTests {
    @Test func heredocStartAndBody() throws {
        let text = "apply <<EOF\nkind: Pod\nimage: ${img}\n  indented: true\nEOF\nnext"
        let file = SourceFile(name: "t.ks", text: text)
        var lexer = Lexer(file: file)
        #expect(lexer.nextCommandWord(inParens: false).text == "apply")
        let start = lexer.nextCommandWord(inParens: false)
        #expect(start.kind == .heredocStart)
        #expect(start.text == "EOF")
        #expect(start.diagnostic == nil)
        let spec = try #require(start.heredoc)
        #expect(spec.delimiter == "EOF")
        #expect(spec.stripIndent == false)
        #expect(spec.interpolate == true)
        #expect(lexer.nextCommandWord(inParens: false).kind == .newline)
        let body = lexer.heredocBody(spec)
        #expect(body.kind == .heredocBody)
        #expect(body.diagnostic == nil)
        #expect(describe(body.parts, in: file) == ["lit(kind: Pod\nimage: )", "expr(img)", "lit(\n  indented: true\n)"])
        // After the terminator line the next statement follows.
        let rest = [lexer.next(), lexer.next(), lexer.next()]
        #expect(rest.map(\.kind) == [.newline, .identifier, .eof])
        #expect(rest[1].text == "next")
    }

    @Test func bodyIsVerbatim() {
        let text = "<<END\n  # not a comment; \"quotes\" 'q' \\n \\$x\n\tlast\nEND"
        let file = SourceFile(name: "t.ks", text: text)
        var lexer = Lexer(file: file)
        let start = lexer.nextCommandWord(inParens: false)
        #expect(start.kind == .heredocStart)
        #expect(lexer.nextCommandWord(inParens: false).kind == .newline)
        let body = lexer.heredocBody(start.heredoc!)
        #expect(body.diagnostic == nil)
        // `\$` is the one escape (a literal dollar); everything else is kept as written.
        #expect(describe(body.parts, in: file) == ["lit(  # not a comment; \"quotes\" 'q' \\n $x\n\tlast\n)"])
    }

    @Test func dashStripsTheTerminatorsIndentation() {
        let text = "<<-EOF\n\t  a: 1\n    b:\n      c: 2\n    EOF\n"
        let file = SourceFile(name: "t.ks", text: text)
        var lexer = Lexer(file: file)
        let start = lexer.nextCommandWord(inParens: false)
        #expect(start.heredoc?.stripIndent == true)
        #expect(start.text == "EOF")
        _ = lexer.nextCommandWord(inParens: false)
        let body = lexer.heredocBody(start.heredoc!)
        #expect(body.diagnostic == nil)
        // The terminator is indented by 4: that much goes from every line; deeper lines
        // keep the rest (YAML nesting survives).
        #expect(describe(body.parts, in: file) == ["lit(a: 1\nb:\n  c: 2\n)"])
    }

    @Test func quotedDelimiterDisablesInterpolation() {
        for marker in ["<<'EOF'", "<<\"EOF\""] {
            let text = "\(marker)\nvalue: ${x}\nEOF\n"
            let file = SourceFile(name: "t.ks", text: text)
            var lexer = Lexer(file: file)
            let start = lexer.nextCommandWord(inParens: false)
            #expect(start.kind == .heredocStart)
            #expect(start.diagnostic == nil)
            #expect(start.heredoc?.delimiter == "EOF")
            #expect(start.heredoc?.interpolate == false)
            _ = lexer.nextCommandWord(inParens: false)
            let body = lexer.heredocBody(start.heredoc!)
            #expect(describe(body.parts, in: file) == ["lit(value: ${x}\n)"], "\(marker)")
        }
    }

    @Test func dollarNameIsLiteralInHeredocs() {
        let text = "<<EOF\nexport PATH=$PATH:${dir}\nEOF"
        let file = SourceFile(name: "t.ks", text: text)
        var lexer = Lexer(file: file)
        let start = lexer.nextCommandWord(inParens: false)
        _ = lexer.nextCommandWord(inParens: false)
        let body = lexer.heredocBody(start.heredoc!)
        #expect(describe(body.parts, in: file) == ["lit(export PATH=$PATH:)", "expr(dir)", "lit(\n)"])
    }

    @Test func delimiterWithTrailingCarriageReturn() {
        let text = "<<EOF\r\nline\r\nEOF\r\n"
        let file = SourceFile(name: "t.ks", text: text)
        var lexer = Lexer(file: file)
        let start = lexer.nextCommandWord(inParens: false)
        _ = lexer.nextCommandWord(inParens: false)
        let body = lexer.heredocBody(start.heredoc!)
        #expect(body.diagnostic == nil)
        #expect(describe(body.parts, in: file) == ["lit(line\r\n)"])
    }

    @Test func delimiterMustBeTheWholeLine() {
        let text = "<<EOF\nEOF2\n EOF\nEOF"
        let file = SourceFile(name: "t.ks", text: text)
        var lexer = Lexer(file: file)
        let start = lexer.nextCommandWord(inParens: false)
        _ = lexer.nextCommandWord(inParens: false)
        let body = lexer.heredocBody(start.heredoc!)
        #expect(body.diagnostic == nil)
        #expect(describe(body.parts, in: file) == ["lit(EOF2\n EOF\n)"])
    }

    @Test func unterminatedHeredoc() {
        let text = "<<EOF\nkind: Pod\n"
        let file = SourceFile(name: "t.ks", text: text)
        var lexer = Lexer(file: file)
        let start = lexer.nextCommandWord(inParens: false)
        _ = lexer.nextCommandWord(inParens: false)
        let body = lexer.heredocBody(start.heredoc!)
        #expect(body.diagnostic?.text == "unterminated heredoc, expected a line 'EOF'")
        #expect(body.atEndOfInput)
    }

    @Test func markerWithoutDelimiter() {
        let (_, words) = commandWords("<< x")
        #expect(words[0].kind == .heredocStart)
        #expect(words[0].diagnostic?.text == "expected a delimiter word after '<<'")
    }

    @Test func tripleAngleIsNotAHeredoc() {
        let (_, words) = commandWords("<<<x")
        #expect(words[0].kind == .commandWord)
        #expect(words[0].text == "<<<x")
    }
}

@Suite("SourceFile")
struct SourceFileTests {
    private func lc(_ f: SourceFile, _ offset: Int) -> String {
        let (l, c) = f.lineAndColumn(of: offset)
        return "\(l):\(c)"
    }

    @Test func lineAndColumn() {
        let f = SourceFile(name: "f.ks", text: "ab\ncdé f\n\nx")
        #expect(lc(f, 0) == "1:1")
        #expect(lc(f, 1) == "1:2")
        #expect(lc(f, 3) == "2:1")
        // `é` is two bytes but one column.
        #expect(lc(f, 8) == "2:5")
        #expect(lc(f, 10) == "3:1")
        #expect(lc(f, 11) == "4:1")
        #expect(f.line(2) == "cdé f")
        #expect(f.line(3) == "")
        #expect(f.line(9) == "")
    }

    @Test func crlfLinesDropTheCarriageReturn() {
        let f = SourceFile(name: "f.ks", text: "a\r\nb")
        #expect(f.line(1) == "a")
        #expect(f.line(2) == "b")
    }

    @Test func locationDescriptions() {
        let f = SourceFile(name: "dir/f.ks", text: "let x\n  = 1")
        let loc = SourceLocation(file: f, start: 8, end: 9)
        #expect(loc.description == "dir/f.ks:2:3")
        #expect(loc.shortDescription == "2:3")
        #expect(loc.text == "=")
    }
}
