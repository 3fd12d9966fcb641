import KubeSimCore

extension Iptables {
    /// Carries out a parsed command; the views print the same tables the packets walk.
    static func execute(_ p: Parsed, _ nf: Netfilter) throws -> Outcome {
        let table = nf.table(p.table)
        func chain(_ n: String) throws -> Chain {
            guard let c = table.chain(n) else { throw noChain }
            return c
        }
        func addRefs(_ r: Rule, _ k: Int) {
            for m in r.matches { if case .set(let s) = m { nf.ipsets[s.name]?.references += k } }
        }
        func checkSets(_ r: Rule) throws {
            for m in r.matches {
                if case .set(let s) = m, nf.ipsets[s.name] == nil { throw Failure(status: 2, text: prog + "Set \(s.name) doesn't exist.\n\n" + tryHelp) }
            }
        }
        switch p.command! {
        case .append(let n):
            let c = try chain(n)
            try checkSets(p.rule)
            c.rules.append(p.rule); addRefs(p.rule, 1)
            table.touched = true
        case .insert(let n, let k):
            let c = try chain(n)
            guard k >= 1, k <= c.rules.count + 1 else { throw operation("Index of insertion too big") }
            try checkSets(p.rule)
            c.rules.insert(p.rule, at: k - 1); addRefs(p.rule, 1)
            table.touched = true
        case .delete(let n):
            let c = try chain(n)
            guard let k = c.rules.firstIndex(where: { $0.sameSpec(p.rule) }) else { throw operation("Bad rule (does a matching rule exist in that chain?)") }
            addRefs(c.rules.remove(at: k), -1)
        case .deleteNum(let n, let k):
            let c = try chain(n)
            guard k >= 1, k <= c.rules.count else { throw operation("Index of deletion too big") }
            addRefs(c.rules.remove(at: k - 1), -1)
        case .replace(let n, let k):
            let c = try chain(n)
            guard k >= 1, k <= c.rules.count else { throw operation("Index of replacement too big") }
            try checkSets(p.rule)
            addRefs(c.rules[k - 1], -1)
            c.rules[k - 1] = p.rule; addRefs(p.rule, 1)
        case .check(let n):
            let c = try chain(n)
            guard c.rules.contains(where: { $0.sameSpec(p.rule) }) else { throw operation("Bad rule (does a matching rule exist in that chain?)") }
        case .list(let n):
            if let n { _ = try chain(n) }
            return Outcome(status: 0, output: IptablesView.list(table, chain: n, numeric: p.numeric, verbose: p.verbose, exact: p.exact, lineNumbers: p.lineNumbers))
        case .listRules(let n, let k):
            if let n {
                let c = try chain(n)
                if let k, k < 0 || k > c.rules.count { throw operation("Index of deletion too big") }
            }
            return Outcome(status: 0, output: IptablesView.rules(table, chain: n, number: k, counters: p.verbose))
        case .flush(let n):
            if let n { let c = try chain(n); c.rules.forEach { addRefs($0, -1) }; c.rules.removeAll() }
            else { for c in table.chains.values { c.rules.forEach { addRefs($0, -1) }; c.rules.removeAll() } }
        case .zero(let n):
            let cs = n == nil ? Array(table.chains.values) : [try chain(n!)]
            for c in cs {
                c.policyPackets = 0; c.policyBytes = 0
                for k in c.rules.indices { c.rules[k].packets = 0; c.rules[k].bytes = 0 }
            }
        case .newChain(let n):
            guard n.utf8.count <= 28 else { throw parameter("chain name `\(n)' too long (must be under 29 chars)") }
            if let c = n.first, c == "-" || c == "!" { throw parameter("chain name not allowed to start with `\(c)'\n") }
            let targets = ["ACCEPT", "DROP", "RETURN", "QUEUE", "REJECT", "DNAT", "SNAT", "MASQUERADE", "REDIRECT", "MARK", "LOG", "NFLOG", "CT", "NOTRACK"]
            guard !targets.contains(n) else { throw parameter("chain name may not clash with target name\n") }
            guard !n.contains(where: \.isWhitespace) else { throw parameter("Invalid chain name `\(n)'") }
            guard table.chain(n) == nil else { throw operation("Chain already exists") }
            table.newChain(n)
            table.touched = true
        case .deleteChain(let n):
            let names = n.map { [$0] } ?? table.chains.values.filter { !$0.builtin }.map(\.name).sorted()
            for name in names {
                let c = try chain(name)
                if c.builtin { throw operation("Invalid argument. Run `dmesg' for more information") }
                if !c.rules.isEmpty || table.references(to: name) > 0 {
                    throw Failure(status: 4, text: prog + " CHAIN_USER_DEL failed (Device or resource busy): chain \(name)")
                }
            }
            for name in names { table.deleteChain(name) }
        case .policy(let n, let t):
            let c = try chain(n)
            guard c.builtin else { throw operation("Bad built-in chain name") }
            switch t {
            case "ACCEPT": c.policy = .accept
            case "DROP": c.policy = .drop
            default: throw operation("Bad policy name. Run `dmesg' for more information")
            }
            table.touched = true
        case .rename(let old, let new):
            let c = try chain(old)
            guard !c.builtin else { throw operation("Invalid argument. Run `dmesg' for more information") }
            guard table.chain(new) == nil else { throw operation("File exists") }
            table.renameChain(old, to: new)
        }
        return Outcome(status: 0, output: "")
    }
}

/// `iptables -L`, `iptables -S` and `iptables-save`: pure functions of the tables
/// (iptables/xshared.c print_header, print_rule_details; nft.c nft_rule_print_save;
/// xtables-save.c __do_output).
public enum IptablesView {
    /// `iptables [-t T] -L [CHAIN] [-n] [-v] [-x] [--line-numbers]`.
    public static func list(_ table: NFTable, chain: String?, numeric: Bool, verbose: Bool, exact: Bool, lineNumbers: Bool) -> String {
        let chains = chain.map { [table.chain($0)!] } ?? table.orderedChains
        var blocks: [String] = []
        for c in chains {
            var lines: [String] = []
            var head = "Chain \(c.name)"
            if let pol = c.policy {
                head += " (policy \(pol.listName)"
                if verbose { head += " \(num(c.policyPackets, exact: exact, table: false))packets, \(num(c.policyBytes, exact: exact, table: false))bytes" }
                head += ")"
            } else {
                head += " (\(table.references(to: c.name)) references)"
            }
            lines.append(head)
            var cols = lineNumbers ? "num  " : ""
            if verbose { cols += exact ? "    pkts      bytes " : " pkts bytes " }
            cols += "target     prot opt "
            if verbose { cols += "in     out     " }
            cols += "source               destination         "
            lines.append(cols)
            for (k, r) in c.rules.enumerated() {
                var s = lineNumbers ? pad("\(k + 1)", 4) + " " : ""
                if verbose { s += num(r.packets, exact: exact, table: true) + num(r.bytes, exact: exact, table: true) }
                s += pad(r.target?.listName ?? "", 9) + " "
                s += (r.protoNegated ? "!" : " ") + pad(r.proto?.name ?? "all", 4) + " "
                s += "-- "
                if verbose {
                    s += " " + pad(iface(r.inIface, numeric), 6) + " "
                    s += pad(iface(r.outIface, numeric), 6) + " "
                }
                s += (r.src?.negated == true ? "!" : " ") + pad(address(r.src, numeric), 19) + " "
                s += (r.dst?.negated == true ? "!" : " ") + pad(address(r.dst, numeric), 19) + " "
                if case .goto = r.target { s += "[goto] " }
                for m in r.matches { s += m.listText }
                if let t = r.target { s += t.listText }
                lines.append(s)
            }
            blocks.append(lines.joined(separator: "\n"))
        }
        return blocks.joined(separator: "\n\n")
    }

    static func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : s + String(repeating: " ", count: w - s.count) }
    static func padLeft(_ s: String, _ w: Int) -> String { s.count >= w ? s : String(repeating: " ", count: w - s.count) + s }

    /// xtables_print_num: K/M/G/T units unless -x; `table` pads to the column.
    static func num(_ n: UInt64, exact: Bool, table: Bool) -> String {
        if exact { return table ? padLeft("\(n)", 8) + " " : "\(n) " }
        if n <= 99999 { return table ? padLeft("\(n)", 5) + " " : "\(n) " }
        var v = (n + 500) / 1000
        for unit in ["K", "M", "G", "T"] {
            if v <= 9999 || unit == "T" { return table ? padLeft("\(v)", 4) + unit + " " : "\(v)\(unit) " }
            v = (v + 500) / 1000
        }
        return "\(v) "
    }

    static func iface(_ m: InterfaceMatch?, _ numeric: Bool) -> String {
        guard let m else { return numeric ? "*" : "any" }
        return (m.negated ? "!" : "") + m.name
    }

    static func address(_ a: AddressMatch?, _ numeric: Bool) -> String {
        guard let a, a.cidr.prefixLength > 0 || a.negated else { return numeric ? "0.0.0.0/0" : "anywhere" }
        if a.cidr.prefixLength == 0 { return numeric ? "0.0.0.0/0" : "anywhere" }
        return a.cidr.prefixLength == 32 ? "\(a.cidr.address)" : "\(a.cidr)"
    }

    /// `iptables [-t T] -S [CHAIN [N]] [-v]`: -P and -N lines, then the rules.
    public static func rules(_ table: NFTable, chain: String?, number: Int?, counters: Bool) -> String {
        let chains = chain.map { [table.chain($0)!] } ?? table.orderedChains
        var heads: [String] = [], body: [String] = []
        for c in chains {
            if number == nil || number == 0 {
                if let pol = c.policy { heads.append("-P \(c.name) \(pol.listName)" + (counters ? " -c \(c.policyPackets) \(c.policyBytes)" : "")) }
                else { heads.append("-N \(c.name)") }
            }
            for (k, r) in c.rules.enumerated() where number == nil || number == k + 1 {
                body.append("-A \(c.name)" + r.saveText(counters: counters))
            }
        }
        return (heads + body).joined(separator: "\n")
    }

    /// The tables iptables-nft-save prints, in its order (nft.h enum nft_table_type:
    /// mangle, security, raw, filter, nat), those that exist.
    public static let saveOrder: [NFTableName] = [.mangle, .raw, .filter, .nat]

    /// `iptables-save [-t T] [-c]`: each table with its chains and rules, between the
    /// "Generated by" and "Completed on" lines (`date` in ctime's format).
    public static func save(_ nf: Netfilter, table: NFTableName?, counters: Bool, date: String) -> String {
        var out: [String] = []
        for name in saveOrder where table == nil || table == name {
            let t = nf.table(name)
            guard table != nil || t.touched || !t.isPristine else { continue }
            out.append("# Generated by iptables-save v\(Iptables.version) on \(date)")
            out.append("*\(name.rawValue)")
            for c in t.orderedChains {
                let pol = c.policy?.listName ?? "-"
                let ctr = counters && c.builtin ? "[\(c.policyPackets):\(c.policyBytes)]" : "[0:0]"
                out.append(":\(c.name) \(pol) \(ctr)")
            }
            for c in t.orderedChains {
                for r in c.rules { out.append((counters ? "[\(r.packets):\(r.bytes)] " : "") + "-A \(c.name)" + r.specText) }
            }
            out.append("COMMIT")
            out.append("# Completed on \(date)")
        }
        return out.joined(separator: "\n")
    }
}

extension Rule {
    /// The save text with `-c PKTS BYTES` before the target (iptables -S -v).
    func saveText(counters: Bool) -> String {
        guard counters else { return specText }
        var r = self
        let t = r.target
        r.target = nil
        return r.specText + " -c \(packets) \(bytes)" + (t?.saveText ?? "")
    }
}

extension Match {
    /// How `iptables -L -n` prints the match (each extension's print function).
    var listText: String {
        func ports(_ name: String, _ r: PortRange?, _ neg: Bool) -> String {
            guard let r else { return "" }
            return r.low == r.high ? " \(name):\(neg ? "!" : "")\(r.low)" : " \(name)s:\(neg ? "!" : "")\(r.low):\(r.high)"
        }
        switch self {
        case .tcp(let pm), .udp(let pm):
            var s = " \(isTCP ? "tcp" : "udp")" + ports("spt", pm.sport, pm.sportNegated) + ports("dpt", pm.dport, pm.dportNegated)
            if let f = pm.flags {
                s += " flags:\(pm.flagsNegated ? "!" : "")0x\(hex2(f.mask.rawValue))/0x\(hex2(f.set.rawValue))"
            }
            return s
        case .icmp(let type, let code, let neg):
            guard let type else { return " icmp any" }
            return " \(neg ? "!" : "")icmptype \(type)" + (code.map { " code \($0)" } ?? "")
        case .multiport(let which, let ports, let neg):
            // libxt_multiport __multiport_print_v1: " multiport dports " then " !" when inverted.
            return " multiport \(which.rawValue) \(neg ? " !" : "")" + ports.map { $0.low == $0.high ? "\($0.low)" : "\($0.low):\($0.high)" }.joined(separator: ",")
        case .comment(let c): return " /* \(c) */"
        case .random(let t, let neg): return " statistic mode random\(neg ? " !" : "") probability \(probabilityText(t))"
        case .nth(let e, let p, let neg): return " statistic mode nth\(neg ? " !" : "") every \(e)" + (p != 0 ? " packet \(p)" : "")
        case .mark(let v, let m, let neg): return " mark match \(neg ? "! " : "")" + (m == 0xffff_ffff ? hex(v) : "\(hex(v))/\(hex(m))")
        case .addrtype(let s, let sn, let d, let dn, let li, let lo):
            var out = " ADDRTYPE match"
            if let s { out += " src-type \(sn ? "!" : "")\(s.rawValue)" }
            if let d { out += " dst-type \(dn ? "!" : "")\(d.rawValue)" }
            if li { out += " limit-in" }
            if lo { out += " limit-out" }
            return out
        case .conntrack(let st, let neg): return (neg ? " !" : "") + " ctstate " + Self.stateList(st)
        case .state(let st, let neg): return (neg ? " !" : "") + " state " + Self.stateList(st)
        case .set(let m): return (m.negated ? " !" : "") + " match-set \(m.name) " + m.fields.map { $0 ? "src" : "dst" }.joined(separator: ",")
        case .recent(let r):
            let verb = ["--set": "SET", "--rcheck": "CHECK", "--update": "UPDATE", "--remove": "REMOVE"][r.command.rawValue]!
            var s = " \(r.negated ? "! " : "")recent: \(verb)"
            if let sec = r.seconds { s += " seconds: \(sec)" }
            if r.reap { s += " reap" }
            if let h = r.hitcount { s += " hit_count: \(h)" }
            return s + " name: \(r.name) side: \(r.source ? "source" : "dest") mask: 255.255.255.255"
        case .nfacct(let name):
            // libxt_nfacct.c nfacct_print.
            return " nfacct-name \(name)"
        case .physdev(let p):
            // libxt_physdev physdev_print: is-in, in, is-out, out, is-bridged.
            var out = " PHYSDEV match"
            if let b = p.isIn { out += "\(b ? "" : " !") --physdev-is-in" }
            if let i = p.physIn { out += "\(i.negated ? " !" : "") --physdev-in \(i.name)" }
            if let b = p.isOut { out += "\(b ? "" : " !") --physdev-is-out" }
            if let o = p.physOut { out += "\(o.negated ? " !" : "") --physdev-out \(o.name)" }
            if let b = p.isBridged { out += "\(b ? "" : " !") --physdev-is-bridged" }
            return out
        }
    }

    func hex2(_ v: UInt8) -> String { let s = String(v, radix: 16, uppercase: true); return s.count == 1 ? "0" + s : s }
}

extension Target {
    /// How `iptables -L` prints the target's options.
    var listText: String {
        func ports(_ r: PortRange) -> String { r.low == r.high ? "\(r.low)" : "\(r.low)-\(r.high)" }
        switch self {
        case .accept, .drop, .return, .jump, .goto: return ""
        case .reject(let w): return " reject-with \(w)"
        case .dnat(let ip, let p): return " to:\(ip)" + (p.map { ":" + ports($0) } ?? "")
        case .snat(let ip, let p, let rf): return " to:\(ip)" + (p.map { ":" + ports($0) } ?? "") + (rf ? " random-fully" : "")
        case .masquerade(let p, let r, let rf): return (p.map { " masq ports: " + ports($0) } ?? "") + (r ? " random" : "") + (rf ? " random-fully" : "")
        case .mark(let v, let m):
            // libxt_MARK.c mark_tg_print.
            if v == 0 { return " MARK and \(hex(~m))" }
            if v == m { return " MARK or \(hex(v))" }
            if m == 0 { return " MARK xor \(hex(v))" }
            if m == 0xffff_ffff { return " MARK set \(hex(v))" }
            return " MARK xset \(hex(v))/\(hex(m))"
        case .redirect(let p): return p.map { " redir ports " + ports($0) } ?? ""
        case .log(let prefix, let level): return " LOG flags 0 level \(level)" + (prefix.isEmpty ? "" : " prefix \"\(prefix)\"")
        case .nflog(let g): return " nflog-group \(g)"
        case .notrack: return " NOTRACK"
        }
    }
}

