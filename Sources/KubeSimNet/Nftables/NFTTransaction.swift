import KubeSimCore

/// A transaction on one table as knftables builds it (sigs.k8s.io/knftables
/// transaction.go, objects.go): operations on the table, its chains, rules, sets, maps
/// and elements, with objects named and rules written as nft text. `text` is what
/// knftables feeds `nft -f -` (and what kube-proxy logs at -v=9); `Nftables.apply` plays
/// it into the kernel model.
public struct NFTTransaction: Sendable {
    public let family: NFTFamily
    public let table: String

    public enum Op: Sendable {
        case addTable(comment: String?)
        case deleteTable
        case addChain(String, base: NFTBaseChain?, comment: String?)
        case flushChain(String)
        case deleteChain(String)
        case addRule(chain: String, rule: String, comment: String?)
        case addSet(String, isMap: Bool, type: String, flags: [String], timeout: Int64?, comment: String?)
        case flushSet(String, isMap: Bool)
        case deleteSet(String, isMap: Bool)
        case addElement(String, isMap: Bool, key: [String], value: String?, comment: String?)
        case deleteElement(String, isMap: Bool, key: [String])
    }
    public private(set) var ops: [Op] = []

    public init(family: NFTFamily = .ip, table: String) { self.family = family; self.table = table }

    public mutating func add(_ op: Op) { ops.append(op) }
    public var isEmpty: Bool { ops.isEmpty }
    /// Rules the transaction adds.
    public var rulesAdded: Int { ops.reduce(0) { if case .addRule = $1 { return $0 + 1 }; return $0 } }

    /// The transaction as knftables writes it for nft (one operation a line).
    public var text: String {
        var s = ""
        for op in ops { s += NFTText.operation(op, family: family, table: table); s += "\n" }
        return s
    }
}

/// knftables' text forms (objects.go writeOperation).
enum NFTText {
    /// Go's %q for the ASCII comments kube-proxy writes.
    static func quote(_ s: String) -> String {
        var out = "\""
        for c in s {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.append(c)
            }
        }
        return out + "\""
    }

    static func operation(_ op: NFTTransaction.Op, family: NFTFamily, table: String) -> String {
        let t = "\(family.rawValue) \(table)"
        switch op {
        case .addTable(let comment):
            return "add table \(t)" + (comment.map { " { comment \(quote($0)) ; }" } ?? "")
        case .deleteTable:
            return "delete table \(t)"
        case .addChain(let name, let base, let comment):
            return "add chain \(t) \(name)" + chainProps(base, comment)
        case .flushChain(let name): return "flush chain \(t) \(name)"
        case .deleteChain(let name): return "delete chain \(t) \(name)"
        case .addRule(let chain, let rule, let comment):
            return "add rule \(t) \(chain) \(rule)" + (comment.map { " comment \(quote($0))" } ?? "")
        case .addSet(let name, let isMap, let type, let flags, let timeout, let comment):
            return "add \(isMap ? "map" : "set") \(t) \(name)" + setProps(type: type, flags: flags, timeout: timeout, size: nil, comment: comment)
        case .flushSet(let name, let isMap): return "flush \(isMap ? "map" : "set") \(t) \(name)"
        case .deleteSet(let name, let isMap): return "delete \(isMap ? "map" : "set") \(t) \(name)"
        case .addElement(let set, _, let key, let value, let comment):
            return "add element \(t) \(set) { \(key.joined(separator: " . "))" + (comment.map { " comment \(quote($0))" } ?? "")
                + (value.map { " : \($0)" } ?? "") + " }"
        case .deleteElement(let set, _, let key):
            return "delete element \(t) \(set) { \(key.joined(separator: " . ")) }"
        }
    }

    static func chainProps(_ base: NFTBaseChain?, _ comment: String?) -> String {
        guard base != nil || comment != nil else { return "" }
        var s = " {"
        if let b = base {
            s += " type \(b.type.rawValue) hook \(NFTText.hookName(b.hook)) priority \(b.priority) ;"
            if b.policyDrops { s += " policy drop ;" }
        }
        if let c = comment { s += " comment \(quote(c)) ;" }
        return s + " }"
    }

    static func setProps(type: String, flags: [String], timeout: Int64?, size: Int?, comment: String?) -> String {
        var s = " { type \(type) ;"
        if !flags.isEmpty { s += " flags \(flags.joined(separator: ",")) ;" }
        if let t = timeout { s += " timeout \(t)s ;" }
        if let n = size { s += " size \(n) ;" }
        if let c = comment { s += " comment \(quote(c)) ;" }
        return s + " }"
    }

    static func hookName(_ h: NFHook) -> String { h.name.lowercased() }

    static func typeText(_ s: NFTSet) -> String {
        s.keyTypes.map(\.rawValue).joined(separator: " . ") + (s.isMap ? " : verdict" : "")
    }
}

extension Nftables {
    /// Plays a transaction into the ruleset. Rules are parsed first, so a syntax error
    /// changes nothing; a missing object stops the transaction at that operation (the
    /// kernel would roll the whole batch back; kube-proxy's transactions are well-formed).
    /// Returns nft's error message, or nil.
    @discardableResult
    public func apply(_ tx: NFTTransaction) -> String? {
        var parsed: [Int: (exprs: [NFTExpr], comment: String?)] = [:]
        for (k, op) in tx.ops.enumerated() {
            guard case .addRule(_, let text, let comment) = op else { continue }
            var p = NFTParser(text)
            do {
                let r = try p.rule()
                parsed[k] = (r.exprs, comment ?? r.comment)
            } catch let e as NFTSyntaxError {
                return "Error: \(e.message)\n\(NFTText.operation(op, family: tx.family, table: tx.table))"
            } catch { return "Error: \(error)" }
        }
        var rehookNeeded = false
        defer { if rehookNeeded { rehook() } }
        let enoent = "Error: No such file or directory"
        for (k, op) in tx.ops.enumerated() {
            let line = "\n" + NFTText.operation(op, family: tx.family, table: tx.table)
            if case .addTable(let comment) = op { addTable(tx.family, tx.table, comment: comment); continue }
            guard let t = table(tx.family, tx.table) else { return enoent + line }
            switch op {
            case .addTable: break
            case .deleteTable:
                deleteTable(tx.family, tx.table)
            case .addChain(let name, let base, let comment):
                if t.chains[name] == nil && base != nil { rehookNeeded = true }
                t.addChain(name, base: base, comment: comment)
            case .flushChain(let name):
                guard let c = t.chains[name] else { return enoent + line }
                c.rules.removeAll()
            case .deleteChain(let name):
                guard let c = t.chains[name] else { return enoent + line }
                if c.base != nil { rehookNeeded = true }
                t.deleteChain(name)
            case .addRule(let chain, let text, _):
                guard let c = t.chains[chain], let (exprs, comment) = parsed[k] else { return enoent + line }
                if Self.unboundReference(exprs, in: t) != nil { return "Error: Could not process rule: No such file or directory" + line }
                var r = NFTRule(exprs, comment: comment, source: text)
                r.handle = t.takeHandle()
                for e in exprs { if case .update(let s, _) = e, let set = t.sets[s], set.size == nil { set.size = 65535 } }
                c.rules.append(r)
            case .addSet(let name, let isMap, let type, let flags, let timeout, let comment):
                guard t.sets[name] == nil else { continue }
                guard let (keys, typeIsMap) = NFTParser.setType(type), typeIsMap == isMap else { return "Error: unknown datatype \(type)" + line }
                t.addSet(NFTSet(name: name, isMap: isMap, keyTypes: keys, flags: flags, timeout: timeout, comment: comment, handle: t.takeHandle()))
            case .flushSet(let name, _):
                guard let s = t.sets[name] else { return enoent + line }
                s.flush()
            case .deleteSet(let name, _):
                guard t.sets[name] != nil else { return enoent + line }
                t.deleteSet(name)
            case .addElement(let name, _, let keyParts, let value, let comment):
                guard let s = t.sets[name] else { return enoent + line }
                guard let key = NFTParser.elementKey(keyParts, s.keyTypes) else { return "Error: syntax error in element key" + line }
                var verdict: NFTVerdict?
                if s.isMap {
                    guard let v = value.flatMap(NFTParser.verdict) else { return "Error: syntax error in element value" + line }
                    verdict = v
                }
                s.add(NFTSet.Element(key: key, verdict: verdict, comment: comment, expires: nil))
            case .deleteElement(let name, _, let keyParts):
                guard let s = t.sets[name], let key = NFTParser.elementKey(keyParts, s.keyTypes), s.remove(key) else { return enoent + line }
            }
        }
        return nil
    }

    /// A set, map or chain the rule names that the table does not have (rules bind to them).
    static func unboundReference(_ exprs: [NFTExpr], in t: NFTTable) -> String? {
        func chainOK(_ v: NFTVerdict) -> Bool {
            switch v { case .jump(let c), .goto(let c): t.chains[c] != nil; default: true }
        }
        for e in exprs {
            switch e {
            case .lookup(_, let s, _), .update(let s, _), .vmap(_, let s): if t.sets[s] == nil { return s }
            case .verdict(let v): if !chainOK(v) { return "" }
            case .numgen(_, let entries): if entries.contains(where: { !chainOK($0.1) }) { return "" }
            default: continue
            }
        }
        return nil
    }

    /// The table as knftables' fake dumps it (fake.go Dump): the table, every chain, set
    /// and map added (each kind sorted by name), then the rules chain by chain, then the
    /// elements set by set and map by map. A rule is written as it was added.
    public func dump(_ family: NFTFamily = .ip, _ name: String, now: Int64 = 0) -> String {
        guard let t = table(family, name) else { return "" }
        let tx = "\(family.rawValue) \(name)"
        var out = "add table \(tx)" + (t.comment.map { " { comment \(NFTText.quote($0)) ; }" } ?? "") + "\n"
        let chains = t.chains.values.sorted { Self.goLess($0.name, $1.name) }
        let sets = t.sets.values.filter { !$0.isMap }.sorted { Self.goLess($0.name, $1.name) }
        let maps = t.sets.values.filter(\.isMap).sorted { Self.goLess($0.name, $1.name) }
        for c in chains { out += "add chain \(tx) \(c.name)" + NFTText.chainProps(c.base, c.comment) + "\n" }
        for s in sets + maps {
            out += "add \(s.isMap ? "map" : "set") \(tx) \(s.name)" + NFTText.setProps(type: NFTText.typeText(s), flags: s.flags, timeout: s.timeout, size: nil, comment: s.comment) + "\n"
        }
        for c in chains {
            for r in c.rules {
                out += "add rule \(tx) \(c.name) \(r.source ?? NFTView.ruleText(r.exprs))" + (r.comment.map { " comment \(NFTText.quote($0))" } ?? "") + "\n"
            }
        }
        for s in sets + maps {
            for e in s.elements(now: now) {
                out += "add element \(tx) \(s.name) { \(s.keyParts(e.key).joined(separator: " . "))" + (e.comment.map { " comment \(NFTText.quote($0))" } ?? "")
                    + (e.verdict.map { " : \($0.text)" } ?? "") + " }\n"
            }
        }
        return out
    }

    /// Go's string order (bytewise), as sort.Strings orders names.
    static func goLess(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
}
