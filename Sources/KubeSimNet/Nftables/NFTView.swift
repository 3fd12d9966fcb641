import KubeSimCore

/// `nft list …` as nft 1.0.6 prints the kernel's objects (src/rule.c table_print,
/// chain_print_declaration, set_print_declaration, do_set_print; src/expression.c
/// set_expr_print with calculate_delim; src/datatype.c time_print): tabs for indentation,
/// a blank line between a table's objects, sets and maps before chains, base chain
/// priorities by name within ±10 of a standard one where the hook allows it.
public enum NFTView {
    /// Options of `nft list`: `-a` shows handles.
    public struct Options: Sendable {
        public var handles = false
        public init(handles: Bool = false) { self.handles = handles }
    }

    // MARK: - expressions

    static func selector(_ s: NFTSelector) -> String {
        switch s {
        case .ipSaddr: "ip saddr"
        case .ipDaddr: "ip daddr"
        case .l4proto: "meta l4proto"
        case .thDport: "th dport"
        case .thSport: "th sport"
        case .dport(let p): "\(p.name) dport"
        }
    }

    static func value(_ v: NFTValue) -> String {
        switch v {
        case .addr(let a): a.description
        case .prefix(let c): c.description
        case .proto(let p): p.name
        case .port(let n): String(n)
        }
    }

    /// The mark datatype prints as 0x%08x.
    static func mark(_ v: UInt32) -> String {
        let h = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - h.count)) + h
    }

    /// ct_state's symbols in the order nft prints a bitmask (invalid, established, related, new, untracked).
    static func states(_ s: UInt8) -> String {
        [CTState.invalid, .established, .related, .new, .untracked].filter { s & (1 << $0.rawValue) != 0 }.map { $0.name.lowercased() }.joined(separator: ",")
    }

    static func expr(_ e: NFTExpr, packets: UInt64, bytes: UInt64) -> String {
        func rel(_ neg: Bool) -> String { neg ? " != " : " " }
        switch e {
        case .cmp(let s, let neg, let v):
            return selector(s) + rel(neg) + value(v)
        case .anonSet(let s, let neg, let vs):
            // nft turns a one-element anonymous set into a plain comparison (evaluate.c,
            // "remove anon sets with exactly one element"); prefixes make an interval set,
            // which lists in address order.
            if vs.count == 1 { return selector(s) + rel(neg) + value(vs[0]) }
            let hasPrefix = vs.contains { if case .prefix = $0 { return true }; return false }
            let ordered = hasPrefix ? vs.sorted { low($0) < low($1) } : vs
            return selector(s) + rel(neg) + "{ " + ordered.map(value).joined(separator: ", ") + " }"
        case .lookup(let sels, let set, let neg):
            return sels.map(selector).joined(separator: " . ") + rel(neg) + "@" + set
        case .ctState(let s, let neg):
            return "ct state" + rel(neg) + states(s)
        case .fibLocal(let saddr):
            return "fib \(saddr ? "saddr" : "daddr") type local"
        case .markAnd(let mask, let v, let neg):
            if mask == 0xffff_ffff { return "meta mark" + rel(neg) + mark(v) }
            return "meta mark & \(mark(mask)) \(neg ? "!=" : "==") \(mark(v))"
        case .markSet(let op, let v):
            return op == .set ? "meta mark set \(mark(v))" : "meta mark set meta mark \(op.rawValue) \(mark(v))"
        case .update(let set, let sels):
            return "update @\(set) { \(sels.map(selector).joined(separator: " . ")) }"
        case .vmap(let sels, let map):
            return sels.map(selector).joined(separator: " . ") + " vmap @" + map
        case .numgen(let mod, let entries):
            return "numgen random mod \(mod) vmap { " + entries.map { "\($0.0) : \($0.1.text)" }.joined(separator: ", ") + " }"
        case .counter:
            return "counter packets \(packets) bytes \(bytes)"
        case .verdict(let v):
            return v.text
        case .reject:
            return "reject"
        case .dnat(let ip, let port):
            return "dnat to \(ip)" + (port.map { ":\($0)" } ?? "")
        case .masquerade(let fr):
            return fr ? "masquerade fully-random" : "masquerade"
        }
    }

    static func low(_ v: NFTValue) -> UInt32 {
        switch v { case .addr(let a): a.value; case .prefix(let c): c.network.value; default: 0 }
    }

    /// A rule's statements as nft lists them (without its comment).
    public static func ruleText(_ exprs: [NFTExpr], packets: UInt64 = 0, bytes: UInt64 = 0) -> String {
        exprs.map { expr($0, packets: packets, bytes: bytes) }.joined(separator: " ")
    }

    /// A rule's line in a chain listing: statements, comment, handle (rule_print).
    public static func ruleLine(_ r: NFTRule, _ o: Options = Options()) -> String {
        ruleText(r.exprs, packets: r.packets, bytes: r.bytes) + (r.comment.map { " comment \"\($0)\"" } ?? "") + (o.handles ? " # handle \(r.handle)" : "")
    }

    // MARK: - objects

    /// prio2str: a standard priority's name (± offset) within reach 10 when the hook
    /// allows that name (nft 1.0.6: dstnat only at prerouting, srcnat only at postrouting),
    /// else the number.
    static func priority(_ prio: Int, hook: NFHook) -> String {
        let std: [(Int, String)] = [(-300, "raw"), (-150, "mangle"), (-100, "dstnat"), (0, "filter"), (50, "security"), (100, "srcnat")]
        for (v, name) in std where abs(prio - v) <= 10 {
            let compatible = switch name {
            case "dstnat": hook == .prerouting
            case "srcnat": hook == .postrouting
            default: true
            }
            guard compatible else { break }
            let off = prio - v
            return name + (off > 0 ? " + \(off)" : off < 0 ? " - \(-off)" : "")
        }
        return String(prio)
    }

    /// time_print: days, hours, minutes, seconds (and milliseconds), each when non-zero.
    static func time(ms: Int64) -> String {
        var m = ms
        let d = m / 86_400_000; m %= 86_400_000
        let h = m / 3_600_000; m %= 3_600_000
        let mi = m / 60_000; m %= 60_000
        let s = m / 1000; m %= 1000
        var out = ""
        if d > 0 { out += "\(d)d" }
        if h > 0 { out += "\(h)h" }
        if mi > 0 { out += "\(mi)m" }
        if s > 0 { out += "\(s)s" }
        if m > 0 { out += "\(m)ms" }
        return out
    }

    /// chain_print: declaration (comment first, then a base chain's type line), rules, `}`.
    public static func chain(_ c: NFTChain, _ o: Options = Options(), rules: Bool = true) -> String {
        var s = "\tchain \(c.name) {" + (o.handles ? " # handle \(c.handle)" : "")
        if let cm = c.comment { s += "\n\t\tcomment \"\(cm)\"" }
        s += "\n"
        if let b = c.base {
            s += "\t\ttype \(b.type.rawValue) hook \(NFTText.hookName(b.hook)) priority \(priority(b.priority, hook: b.hook)); policy \(b.policyDrops ? "drop" : "accept");\n"
        }
        if rules { for r in c.rules { s += "\t\t" + ruleLine(r, o) + "\n" } }
        return s + "\t}\n"
    }

    /// set_print: declaration, then `elements = { … }` (two addresses a line; one
    /// concatenation or map entry a line, continued under the brace).
    public static func set(_ st: NFTSet, now: Int64, _ o: Options = Options(), elements: Bool = true) -> String {
        var s = "\t\(st.isMap ? "map" : "set") \(st.name) {" + (o.handles ? " # handle \(st.handle)" : "") + "\n"
        s += "\t\ttype \(NFTText.typeText(st))\n"
        if let n = st.size { s += "\t\tsize \(n)\n" }
        let shown = st.flags.filter { ["constant", "dynamic", "interval", "timeout"].contains($0) }
        let significant = shown.filter { $0 != "timeout" || st.timeout == nil }
        if !significant.isEmpty {
            s += "\t\tflags " + ["constant", "dynamic", "interval", "timeout"].filter { shown.contains($0) }.joined(separator: ",") + "\n"
        }
        if let t = st.timeout { s += "\t\ttimeout \(time(ms: t * 1000))\n" }
        if let c = st.comment { s += "\t\tcomment \"\(c)\"\n" }
        let elems = elements ? st.elements(now: now) : []
        if !elems.isEmpty {
            s += "\t\telements = { "
            var count = 0
            for (k, e) in elems.enumerated() {
                if k > 0 {
                    // calculate_delim: an address set breaks every second element; concatenations and others every one.
                    if st.keyTypes == [.ipv4Addr] && !st.isMap {
                        s += count < 2 ? ", " : ",\n\t\t\t     "
                        if count >= 2 { count = 0 }
                    } else {
                        s += ",\n\t\t\t     "
                    }
                }
                s += element(st, e, now: now)
                count += 1
            }
            s += " }\n"
        }
        return s + "\t}\n"
    }

    static func element(_ st: NFTSet, _ e: NFTSet.Element, now: Int64) -> String {
        var s = st.keyParts(e.key).joined(separator: " . ")
        if let x = e.expires { s += " expires \(time(ms: max(0, (x - now) / 1_000_000)))" }
        if let c = e.comment { s += " comment \"\(c)\"" }
        if let v = e.verdict { s += " : \(v.text)" }
        return s
    }

    /// table_print: `table ip NAME {`, the comment, then sets and maps, then chains,
    /// separated by blank lines.
    public static func table(_ t: NFTTable, now: Int64, _ o: Options = Options()) -> String {
        var s = "table \(t.family.rawValue) \(t.name) {" + (o.handles ? " # handle \(t.handle)" : "") + "\n"
        if let c = t.comment { s += "\tcomment \"\(c)\"\n" }
        var delim = ""
        for st in t.orderedSets { s += delim + set(st, now: now, o); delim = "\n" }
        for c in t.orderedChains { s += delim + chain(c, o); delim = "\n" }
        return s + "}\n"
    }

    /// `nft list ruleset`: every table, one after another. (Tables iptables-nft would
    /// keep for the iptables rules are not shown: the simulator keeps those apart.)
    public static func ruleset(_ n: Nftables, now: Int64, _ o: Options = Options()) -> String {
        n.tables.map { table($0, now: now, o) }.joined()
    }

    /// `nft list chain|set|map …`: the object inside its table's braces.
    /// (do_list_chain and the like print the table's line without its handle.)
    public static func wrapped(_ t: NFTTable, _ body: String, _ o: Options = Options()) -> String {
        "table \(t.family.rawValue) \(t.name) {\n" + body + "}\n"
    }
}
