import KubeSimCore

/// The `nft` command line on a namespace's ruleset (nft 1.0.6): `list ruleset|tables|
/// table|chains|chain|sets|maps|set|map`, `flush ruleset|table|chain`, `delete table`,
/// `add|insert rule`, `add|delete element`, with `-a` (handles), `-v`, `-h`. Errors read as
/// nft 1.0.6 writes them (checked against it): `Error: …`, the command, and carets under
/// the words at fault (past the end for a missing word, which nft's scanner sees as the
/// newline). `list` of one object fills its cache with that table only, so it offers no
/// "did you mean".
public enum NFTCommand {
    public static let version = "nftables v1.0.6 (Lester Gooch #5)"
    static let families = ["ip", "ip6", "inet", "arp", "bridge", "netdev"]

    public static func run(_ argv: [String], on n: Nftables, now: Int64) -> (status: Int, output: String) {
        var opts = NFTView.Options()
        var words: [String] = []
        var k = 0
        while k < argv.count, argv[k].hasPrefix("-"), words.isEmpty {
            switch argv[k] {
            case "-a", "--handle": opts.handles = true
            case "-n", "--numeric", "-s", "--stateless", "-N", "-S", "--service", "-y", "--numeric-priority": break
            case "-v", "--version": return (0, version)
            case "-h", "--help": return (0, usage)
            case "-j", "--json": return (1, "nft: JSON output is not simulated; use nft list without -j")
            default: return (1, "nft: unrecognized option '\(argv[k])'\n\(usage)")
            }
            k += 1
        }
        words = Array(argv[k...])
        guard !words.isEmpty else { return (0, "") }
        let line = words.joined(separator: " ")
        var c = Cursor(NFTParser(line), line: line)
        do {
            return (0, try c.command(on: n, now: now, opts))
        } catch let e as NFTSyntaxError {
            return (1, "Error: \(e.message)\n\(line)\n" + String(repeating: " ", count: e.offset) + String(repeating: "^", count: e.length))
        } catch {
            return (1, "Error: \(error)")
        }
    }

    static let usage = """
        Usage: nft [ options ] [ cmds... ]

        Options (general):
          -h, --help                      Show this help
          -v, --version                   Show version information

        Options (ruleset list formatting):
          -a, --handle                    Output rule handle.
        """

    struct Cursor {
        var p: NFTParser
        let line: String
        init(_ p: NFTParser, line: String) { self.p = p; self.line = line }

        func fail(_ msg: String, at t: NFTToken) -> NFTSyntaxError { NFTSyntaxError(message: msg, offset: t.offset, length: max(1, t.text.count)) }

        /// `[family] NAME`: the family (ip when left out), the table name's word.
        mutating func tableSpec() throws -> (String, NFTToken) {
            var family = "ip"
            if NFTCommand.families.contains(p.tok) { family = p.take() }
            return (family, try word())
        }

        mutating func familyOnly() throws -> String? {
            if p.atEnd { return nil }
            guard NFTCommand.families.contains(p.tok) else { try end(); return nil }
            return p.take()
        }

        func end() throws {
            guard !p.atEnd else { return }
            let t = p.toks[p.i]
            throw NFTSyntaxError(message: "syntax error, unexpected string, expecting end of file or newline or semicolon", offset: t.offset, length: max(1, t.text.count))
        }

        /// table_not_found, chain_not_found, set_not_found (evaluate.c): ENOENT at the name.
        func table(_ n: Nftables, _ family: String, _ t: NFTToken, verb: String = "list") throws -> NFTTable {
            if let f = NFTFamily(rawValue: family), let tb = n.table(f, t.text) { return tb }
            throw fail((verb == "list" ? "" : "Could not process rule: ") + "No such file or directory", at: t)
        }

        func chain(_ tb: NFTTable, _ t: NFTToken, verb: String = "list") throws -> NFTChain {
            if let c = tb.chains[t.text] { return c }
            throw fail((verb == "list" ? "" : "Could not process rule: ") + "No such file or directory", at: t)
        }

        func set(_ tb: NFTTable, _ t: NFTToken, map: Bool) throws -> NFTSet {
            if let s = tb.sets[t.text], s.isMap == map { return s }
            throw fail("No such file or directory", at: t)
        }

        /// The next word, which must be there (nft: "unexpected newline, expecting string").
        mutating func word() throws -> NFTToken {
            guard !p.atEnd else { throw missing(expectingString: true) }
            let t = p.toks[p.i]
            _ = try p.name()
            return t
        }

        func missing(expectingString: Bool) -> NFTSyntaxError {
            NFTSyntaxError(message: "syntax error, unexpected newline" + (expectingString ? ", expecting string" : ""), offset: line.count, length: 1)
        }

        mutating func command(on n: Nftables, now: Int64, _ o: NFTView.Options) throws -> String {
            let verbTok = p.toks[p.i]
            let verb = p.take()
            let notSimulated = NFTSyntaxError(message: "not simulated: this nft runs list, flush, delete table, add|insert rule and add|delete element",
                                              offset: verbTok.offset, length: verbTok.text.count)
            switch verb {
            case "list":
                guard !p.atEnd else { throw missing(expectingString: false) }
                let what = p.take()
                func tables(_ f: String?) -> [NFTTable] { n.tables.filter { f == nil || $0.family.rawValue == f } }
                switch what {
                case "ruleset":
                    let f = try familyOnly(); try end()
                    return tables(f).map { NFTView.table($0, now: now, o) }.joined()
                case "tables":
                    let f = try familyOnly(); try end()
                    return tables(f).map { "table \($0.family.rawValue) \($0.name)\n" }.joined()
                case "table":
                    let (f, t) = try tableSpec(); try end()
                    return NFTView.table(try table(n, f, t), now: now, o)
                case "chains", "sets", "maps":
                    let f = try familyOnly(); try end()
                    return tables(f).map { tb in
                        let body = what == "chains" ? tb.orderedChains.map { NFTView.chain($0, o, rules: false) }.joined()
                            : tb.orderedSets.filter { $0.isMap == (what == "maps") }.map { NFTView.set($0, now: now, o) }.joined()
                        return NFTView.wrapped(tb, body, o)
                    }.joined()
                case "chain":
                    let (f, t) = try tableSpec()
                    let ct = try word(); try end()
                    let tb = try table(n, f, t)
                    return NFTView.wrapped(tb, NFTView.chain(try chain(tb, ct), o), o)
                case "set", "map":
                    let (f, t) = try tableSpec()
                    let st = try word(); try end()
                    let tb = try table(n, f, t)
                    return NFTView.wrapped(tb, NFTView.set(try set(tb, st, map: what == "map"), now: now, o), o)
                case "counters", "quotas", "limits", "flowtables", "ct", "secmarks", "synproxys":
                    return ""
                default:
                    p.i -= 1
                    throw p.unexpected()
                }
            case "flush":
                guard !p.atEnd else { throw missing(expectingString: false) }
                switch p.take() {
                case "ruleset":
                    _ = try familyOnly(); try end()
                    n.flushRuleset()
                case "table":
                    let (f, t) = try tableSpec(); try end()
                    let tb = try table(n, f, t, verb: "flush")
                    for c in tb.orderedChains { c.rules.removeAll() }
                    for s in tb.orderedSets { s.flush() }
                case "chain":
                    let (f, t) = try tableSpec()
                    let ct = try word(); try end()
                    try chain(try table(n, f, t, verb: "flush"), ct, verb: "flush").rules.removeAll()
                default:
                    p.i -= 1
                    throw p.unexpected()
                }
                return ""
            case "delete", "add", "insert":
                guard !p.atEnd else { throw missing(expectingString: false) }
                switch p.take() {
                case "table" where verb == "delete":
                    let (f, t) = try tableSpec(); try end()
                    let tb = try table(n, f, t, verb: "delete")
                    n.deleteTable(tb.family, tb.name)
                case "rule" where verb != "delete":
                    let (f, t) = try tableSpec()
                    let ct = try word()
                    let tb = try table(n, f, t, verb: verb)
                    let ch = try chain(tb, ct, verb: verb)
                    guard !p.atEnd else { throw missing(expectingString: false) }
                    let body: (exprs: [NFTExpr], comment: String?)
                    do { body = try p.rule() } catch let e as NFTSyntaxError where e.offset >= line.count {
                        throw missing(expectingString: false)
                    }
                    if let (name, set) = unbound(body.exprs, tb) {
                        let at = p.toks.first { $0.text == (set ? "@" : "") + name } ?? ct
                        throw fail((set ? "" : "Could not process rule: ") + "No such file or directory", at: at)
                    }
                    var r = NFTRule(body.exprs, comment: body.comment, source: nil)
                    r.handle = tb.takeHandle()
                    for e in body.exprs { if case .update(let name, _) = e, let set = tb.sets[name], set.size == nil { set.size = 65535 } }
                    if verb == "insert" { ch.rules.insert(r, at: 0) } else { ch.rules.append(r) }
                case "element" where verb != "insert":
                    let (f, t) = try tableSpec()
                    let stTok = try word()
                    let tb = try table(n, f, t, verb: verb)
                    guard let s = tb.sets[stTok.text] else { throw fail("No such file or directory", at: stTok) }
                    try p.expect("{")
                    repeat {
                        var parts: [String] = []
                        let first = p.toks[min(p.i, p.toks.count - 1)]
                        repeat { parts.append(try p.name()) } while p.accept(".")
                        guard let key = NFTParser.elementKey(parts, s.keyTypes) else { throw fail("Could not resolve hostname: Name or service not known", at: first) }
                        if verb == "delete" {
                            guard s.remove(key) else { throw fail("Could not process rule: No such file or directory", at: first) }
                        } else {
                            var v: NFTVerdict?
                            if s.isMap { try p.expect(":"); v = try p.verdict() }
                            s.add(NFTSet.Element(key: key, verdict: v, comment: nil, expires: s.timeout.map { now + $0 * 1_000_000_000 }))
                        }
                    } while p.accept(",")
                    try p.expect("}")
                    try end()
                default:
                    throw notSimulated
                }
                return ""
            case "replace", "create", "rename", "get", "reset", "monitor", "describe", "import", "export", "destroy":
                throw notSimulated
            default:
                // nft reads an unknown first word as the start of something longer.
                throw missing(expectingString: p.atEnd)
            }
        }

        /// A set (true) or chain (false) a rule names that the table lacks.
        func unbound(_ exprs: [NFTExpr], _ t: NFTTable) -> (String, Bool)? {
            for e in exprs {
                switch e {
                case .lookup(_, let s, _), .update(let s, _), .vmap(_, let s): if t.sets[s] == nil { return (s, true) }
                case .verdict(.jump(let c)), .verdict(.goto(let c)): if t.chains[c] == nil { return (c, false) }
                case .numgen(_, let entries):
                    for (_, v) in entries { if case .jump(let c) = v, t.chains[c] == nil { return (c, false) }; if case .goto(let c) = v, t.chains[c] == nil { return (c, false) } }
                default: continue
                }
            }
            return nil
        }
    }
}
