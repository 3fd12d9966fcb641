import KubeSimCore

/// `iptables-restore` (iptables-nft 1.8.9, iptables/xtables-restore.c): loads rules in
/// iptables-save's format, one table per `*table` … `COMMIT` block, each block applied
/// whole or not at all. kube-proxy writes its rules this way (pkg/proxy/iptables/proxier.go
/// syncProxyRules → RestoreAll with --noflush --counters): a `:CHAIN - [0:0]` line makes
/// the chain, or flushes it when it exists, and `-X CHAIN` deletes one; with --noflush
/// the chains a block does not name are left alone (the CNI plugin's, a learner's).
public enum IptablesRestore {
    static let prog = "iptables-restore v\(Iptables.version): "
    static let tryHelp = "Try `iptables-restore -h' or 'iptables-restore --help' for more information."

    /// Runs the input on a namespace. Without `noflush` each named table is flushed first
    /// (every chain emptied, user chains deleted), as a plain `iptables-restore` does.
    public static func run(_ input: String, on nf: Netfilter, noflush: Bool) -> Iptables.Outcome {
        var table: NFTable?
        var saved: NFTable.State?
        var lineNo = 0
        func fail(_ message: String) -> Iptables.Outcome {
            if let table, let saved { table.restoreState(saved) }   // the block is not applied
            return Iptables.Outcome(status: 1, output: prog + message + "\nError occurred at line: \(lineNo)\n" + tryHelp)
        }
        // Lines split on the bytes (not Characters: restore inputs run to a million lines).
        for rawBytes in input.utf8.split(separator: 10, omittingEmptySubsequences: false) {
            lineNo += 1
            let raw = Substring(rawBytes)
            let line = raw.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("*") {
                guard table == nil else { return fail("no command specified") }
                guard let name = NFTableName(rawValue: String(line.dropFirst()).trimmingSpace) else {
                    return fail("table '\(line.dropFirst())' does not exist")
                }
                let t = nf.table(name)
                table = t
                saved = t.saveState()
                if !noflush { t.flushAll() }
                continue
            }
            if line.hasPrefix("COMMIT") {
                guard let t = table else { return fail("COMMIT without a table") }
                t.touched = true
                table = nil
                saved = nil
                continue
            }
            guard let t = table else { return fail("no table specified") }
            if line.hasPrefix(":") {
                // `:NAME POLICY [packets:bytes]`.
                let parts = line.dropFirst().split(separator: " ")
                guard parts.count >= 2 else { return fail("Bad chain line") }
                let name = String(parts[0]), policy = String(parts[1])
                if let c = t.chain(name), c.builtin {
                    if policy != "-" {
                        guard policy == "ACCEPT" || policy == "DROP" else { return fail("Can't set policy `\(policy)' on `\(name)' line \(lineNo): Bad policy name") }
                        c.policy = policy == "ACCEPT" ? .accept : .drop
                    }
                } else {
                    guard policy == "-" else { return fail("Can't set policy `\(policy)' on `\(name)' line \(lineNo): Bad built-in chain name") }
                    guard name.utf8.count <= 28 else { return fail("chain name `\(name)' too long (must be under 29 chars)") }
                    if let c = t.chain(name) { c.rules.removeAll() } else { t.newChain(name) }
                }
                continue
            }
            // A command line, as iptables would take it, in this block's table. A line seen in
            // the previous restore is not parsed again (kube-proxy rewrites KUBE-SERVICES and
            // the changed Services' chains with mostly the same lines on every sync).
            let outcome = runCached(line, table: t.name, nf)
            if outcome.status != 0 {
                let first = outcome.output.split(separator: "\n").first.map(String.init) ?? outcome.output
                return fail(first.hasPrefix(Iptables.prog) ? String(first.dropFirst(Iptables.prog.count)) : first)
            }
        }
        if table != nil { return fail("COMMIT expected") }
        // The cache keeps what this restore used (the next sync writes mostly the same lines).
        if !nf.restoreCache.next.isEmpty { nf.restoreCache.parsed = nf.restoreCache.next; nf.restoreCache.next = [:] }
        return Iptables.Outcome(status: 0, output: "")
    }

    /// Parses a rule line (or takes the parse from the cache) and carries it out.
    static func runCached(_ line: Substring, table: NFTableName, _ nf: Netfilter) -> Iptables.Outcome {
        let key = table.rawValue + " " + line
        do {
            var parsed: Iptables.Parsed
            if let hit = nf.restoreCache.parsed[key], Iptables.targetsExist(hit, nf) {
                parsed = hit
            } else {
                parsed = try Iptables.parse(["-t", table.rawValue] + words(line), nf)
            }
            nf.restoreCache.next[key] = parsed
            return try Iptables.execute(parsed, nf)
        } catch let f as Iptables.Failure {
            return Iptables.Outcome(status: f.status, output: f.text)
        } catch {
            return Iptables.Outcome(status: 1, output: "iptables: \(error)")
        }
    }

    /// A line split as xtables-restore's tokenizer splits it: blanks separate words, double
    /// quotes group them (kube-proxy quotes its comments) and are removed.
    static func words(_ line: Substring) -> [String] {
        var out: [String] = [], quoted = false, inWord = false
        var cur: [UInt8] = []
        cur.reserveCapacity(64)
        for b in line.utf8 {
            if b == 34 { quoted.toggle(); inWord = true; continue }                 // "
            if (b == 32 || b == 9) && !quoted {                                     // blank, tab
                if inWord { out.append(String(decoding: cur, as: UTF8.self)); cur.removeAll(keepingCapacity: true); inWord = false }
                continue
            }
            cur.append(b); inWord = true
        }
        if inWord { out.append(String(decoding: cur, as: UTF8.self)) }
        return out
    }
}

extension NFTable {
    /// Every chain's rules, policy and counters: what a failed restore block puts back.
    struct State { let chains: [(name: String, rules: [Rule], policy: Target?)] }

    func saveState() -> State { State(chains: chains.values.map { ($0.name, $0.rules, $0.policy) }) }

    func restoreState(_ s: State) {
        let keep = Set(s.chains.map(\.name))
        for name in chains.keys where !keep.contains(name) { deleteChain(name) }
        for c in s.chains {
            let chain = self.chain(c.name) ?? newChain(c.name)
            chain.rules = c.rules
            if chain.builtin { chain.policy = c.policy }
        }
    }

    /// iptables-restore without --noflush: every chain emptied, user chains deleted.
    func flushAll() {
        for c in chains.values { c.rules.removeAll() }
        for c in chains.values where !c.builtin { deleteChain(c.name) }
    }
}

/// Parsed restore lines of the last restore, by table and line text.
struct RestoreCache {
    var parsed: [String: Iptables.Parsed] = [:]
    var next: [String: Iptables.Parsed] = [:]
}
