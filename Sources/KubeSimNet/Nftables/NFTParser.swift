import KubeSimCore

/// A syntax error in nft text, with the characters it points at (nft underlines them).
public struct NFTSyntaxError: Error, Sendable {
    public let message: String
    /// Offset and length in the text that was parsed.
    public let offset: Int
    public let length: Int
}

/// nft's words as its scanner cuts them (src/scanner.l, reduced to what rules and list
/// commands use): blanks separate; `{ } , ;` stand alone; a double-quoted string is one
/// word. Each word keeps its offset for error markers.
struct NFTToken: Sendable {
    let text: String
    let offset: Int
    let quoted: Bool
}

func nftTokens(_ s: String) -> [NFTToken] {
    var out: [NFTToken] = []
    let chars = Array(s)
    var i = 0
    while i < chars.count {
        let c = chars[i]
        if c == " " || c == "\t" || c == "\n" { i += 1; continue }
        if c == "{" || c == "}" || c == "," || c == ";" { out.append(NFTToken(text: String(c), offset: i, quoted: false)); i += 1; continue }
        if c == "\"" {
            var j = i + 1, v = ""
            while j < chars.count && chars[j] != "\"" { if chars[j] == "\\" && j + 1 < chars.count { j += 1 }; v.append(chars[j]); j += 1 }
            out.append(NFTToken(text: v, offset: i, quoted: true))
            i = min(j + 1, chars.count)
            continue
        }
        var j = i, w = ""
        while j < chars.count, !" \t\n{},;\"".contains(chars[j]) { w.append(chars[j]); j += 1 }
        out.append(NFTToken(text: w, offset: i, quoted: false))
        i = j
    }
    return out
}

/// Parses nft rule text (`ip daddr . meta l4proto . th dport vmap @service-ips`,
/// `numgen random mod 2 vmap { 0 : goto a , 1 : goto b }`, …) into expressions: the
/// grammar kube-proxy's rules use (src/parser_bison.y's stmt and relational expressions,
/// knftables' spellings `mark set mark or V` and nft's `meta mark set meta mark | V`).
struct NFTParser {
    let toks: [NFTToken]
    var i = 0
    /// The length of the text (where "end of file" points).
    let end: Int

    init(_ text: String) { toks = nftTokens(text); end = text.count }
    init(tokens: [NFTToken], end: Int) { toks = tokens; self.end = end }

    var atEnd: Bool { i >= toks.count }
    var tok: String { i < toks.count ? toks[i].text : "" }

    /// The bison name of what was found: a keyword by itself, else "string" or "number".
    static let keywords: Set<String> = ["ip", "meta", "th", "tcp", "udp", "sctp", "ct", "fib", "numgen", "update", "counter", "reject", "dnat",
                                        "masquerade", "accept", "drop", "return", "jump", "goto", "vmap", "mark", "comment", "saddr", "daddr",
                                        "l4proto", "dport", "sport", "state", "type", "local", "random", "mod", "to", "set", "and", "or", "xor",
                                        "table", "chain", "map", "list", "ruleset", "tables", "chains", "sets", "maps", "flush", "delete",
                                        "add", "insert", "create", "rule", "element", "fully-random", "with"]
    func unexpected() -> NFTSyntaxError {
        guard i < toks.count else { return NFTSyntaxError(message: "syntax error, unexpected newline", offset: end, length: 1) }
        let t = toks[i]
        let what: String
        if t.quoted { what = "quoted string" } else if ["{", "}", ",", ";"].contains(t.text) { what = "'\(t.text)'" }
        else if Self.keywords.contains(t.text) { what = t.text } else if UInt64(t.text) != nil { what = "number" } else { what = "string" }
        return NFTSyntaxError(message: "syntax error, unexpected \(what)", offset: t.offset, length: max(1, t.quoted ? t.text.count + 2 : t.text.count))
    }
    func error(_ message: String) -> NFTSyntaxError {
        guard i < toks.count else { return NFTSyntaxError(message: message, offset: end, length: 1) }
        return NFTSyntaxError(message: message, offset: toks[i].offset, length: max(1, toks[i].text.count))
    }

    mutating func take() -> String { defer { i += 1 }; return tok }
    mutating func expect(_ w: String) throws { guard !atEnd, tok == w else { throw unexpected() }; i += 1 }
    mutating func accept(_ w: String) -> Bool { if !atEnd && tok == w { i += 1; return true }; return false }
    mutating func name() throws -> String {
        guard !atEnd, !toks[i].quoted, !["{", "}", ",", ";"].contains(tok) else { throw unexpected() }
        return take()
    }

    /// A rule: expressions and statements, then an optional `comment "…"`.
    mutating func rule() throws -> (exprs: [NFTExpr], comment: String?) {
        var exprs: [NFTExpr] = []
        var comment: String?
        while !atEnd {
            if tok == "comment" {
                i += 1
                guard !atEnd else { throw unexpected() }
                comment = take()
                guard atEnd else { throw unexpected() }
                break
            }
            exprs.append(try statement())
        }
        guard !exprs.isEmpty else { throw unexpected() }
        return (exprs, comment)
    }

    mutating func statement() throws -> NFTExpr {
        switch tok {
        case "ip", "th", "tcp", "udp", "sctp": return try selectorExpr()
        case "meta":
            if i + 1 < toks.count, toks[i + 1].text == "mark" { i += 2; return try markExpr() }
            return try selectorExpr()
        case "mark": i += 1; return try markExpr()
        case "ct":
            i += 1
            try expect("state")
            let neg = accept("!=")
            var states: UInt8 = 0
            repeat {
                guard let s = CTState.allCases.first(where: { $0.name.lowercased() == tok }) else { throw unexpected() }
                states |= 1 << s.rawValue; i += 1
            } while accept(",")
            return .ctState(states, negated: neg)
        case "fib":
            i += 1
            let which = take()
            guard which == "saddr" || which == "daddr" else { i -= 1; throw unexpected() }
            try expect("type")
            try expect("local")
            return .fibLocal(saddr: which == "saddr")
        case "numgen":
            i += 1
            try expect("random")
            try expect("mod")
            guard let mod = UInt32(tok), mod > 0 else { throw unexpected() }
            i += 1
            try expect("vmap")
            try expect("{")
            var entries: [(UInt32, NFTVerdict)] = []
            repeat {
                guard let n = UInt32(tok) else { throw unexpected() }
                i += 1
                try expect(":")
                entries.append((n, try verdict()))
            } while accept(",")
            try expect("}")
            return .numgen(mod: mod, entries)
        case "update":
            i += 1
            guard tok.hasPrefix("@"), tok.count > 1 else { throw unexpected() }
            let set = String(take().dropFirst())
            try expect("{")
            var sels = [try selector()]
            while accept(".") { sels.append(try selector()) }
            try expect("}")
            return .update(set: set, sels)
        case "counter":
            i += 1
            if accept("packets") { _ = take(); try expect("bytes"); _ = take() }
            return .counter
        case "reject":
            i += 1
            if accept("with") {
                // `with icmp port-unreachable` / `with icmp type port-unreachable`: the default.
                try expect("icmp")
                _ = accept("type")
                try expect("port-unreachable")
            }
            return .reject
        case "dnat":
            i += 1
            _ = accept("ip")
            try expect("to")
            let w = tok
            let parts = w.split(separator: ":", omittingEmptySubsequences: false)
            guard let ip = IPv4Address(parsing: parts[0]), parts.count <= 2 else { throw unexpected() }
            var port: Int?
            if parts.count == 2 { guard let p = Int(parts[1]), (0...65535).contains(p) else { throw unexpected() }; port = p }
            i += 1
            return .dnat(ip, port: port)
        case "masquerade":
            i += 1
            let fr = accept("fully-random")
            return .masquerade(fullyRandom: fr)
        case "accept", "drop", "return", "jump", "goto":
            return .verdict(try verdict())
        default:
            throw unexpected()
        }
    }

    mutating func verdict() throws -> NFTVerdict {
        switch tok {
        case "accept": i += 1; return .accept
        case "drop": i += 1; return .drop
        case "return": i += 1; return .return
        case "jump", "goto":
            let j = take() == "jump"
            let target = try name()
            return j ? .jump(target) : .goto(target)
        default: throw unexpected()
        }
    }

    mutating func selector() throws -> NFTSelector {
        switch tok {
        case "ip":
            i += 1
            switch tok { case "saddr": i += 1; return .ipSaddr; case "daddr": i += 1; return .ipDaddr; default: throw unexpected() }
        case "meta":
            i += 1
            try expect("l4proto")
            return .l4proto
        case "th":
            i += 1
            switch tok { case "dport": i += 1; return .thDport; case "sport": i += 1; return .thSport; default: throw unexpected() }
        case "tcp", "udp", "sctp":
            let p = IPProto(name: take())!
            try expect("dport")
            return .dport(p)
        default: throw unexpected()
        }
    }

    /// A selector (or a concatenation) and what is done with it: a comparison, an
    /// anonymous set, a named set lookup, or a verdict map.
    mutating func selectorExpr() throws -> NFTExpr {
        var sels = [try selector()]
        while accept(".") { sels.append(try selector()) }
        if accept("vmap") {
            guard tok.hasPrefix("@"), tok.count > 1 else { throw unexpected() }
            return .vmap(sels, map: String(take().dropFirst()))
        }
        var neg = false
        if accept("!=") { neg = true } else { _ = accept("==") }
        if tok.hasPrefix("@"), tok.count > 1 { return .lookup(sels, set: String(take().dropFirst()), negated: neg) }
        guard sels.count == 1 else { throw unexpected() }
        let s = sels[0]
        if accept("{") {
            var values: [NFTValue] = []
            repeat { values.append(try value(for: s)) } while accept(",")
            try expect("}")
            return .anonSet(s, negated: neg, values)
        }
        return .cmp(s, negated: neg, try value(for: s))
    }

    mutating func value(for s: NFTSelector) throws -> NFTValue {
        guard !atEnd else { throw unexpected() }
        let w = tok
        switch s.dataType {
        case .ipv4Addr:
            if w.contains("/"), let c = CIDR(parsing: w) { i += 1; return .prefix(c) }
            if let a = IPv4Address(parsing: w) { i += 1; return .addr(a) }
        case .inetProto:
            if let p = IPProto(name: w) { i += 1; return .proto(p) }
        case .inetService:
            if let n = Int(w), (0...65535).contains(n) { i += 1; return .port(n) }
        }
        // What nft says when the name resolver (getaddrinfo, getprotobyname, getservbyname) fails.
        switch s.dataType {
        case .ipv4Addr: throw error("Could not resolve hostname: Name or service not known")
        case .inetProto: throw error("Could not resolve protocol name")
        case .inetService: throw error("Could not resolve service: Servname not supported for ai_socktype")
        }
    }

    static func number(_ w: String) -> UInt32? {
        if w.hasPrefix("0x") { return UInt32(w.dropFirst(2), radix: 16) }
        return UInt32(w)
    }

    /// After `meta mark` / `mark`: `set [meta] mark OP V`, `set V`, `& M == V`, `and M != V`, `[!=] V`.
    mutating func markExpr() throws -> NFTExpr {
        if accept("set") {
            if accept("meta") { try expect("mark") } else if !accept("mark") {
                guard let v = Self.number(tok) else { throw unexpected() }
                i += 1
                return .markSet(.set, v)
            }
            let op: NFTMarkOp
            switch take() {
            case "|", "or": op = .or
            case "^", "xor": op = .xor
            case "&", "and": op = .and
            default: i -= 1; throw unexpected()
            }
            guard let v = Self.number(tok) else { throw unexpected() }
            i += 1
            return .markSet(op, v)
        }
        var mask: UInt32 = 0xffff_ffff
        if accept("&") || accept("and") {
            guard let m = Self.number(tok) else { throw unexpected() }
            mask = m; i += 1
        }
        var neg = false
        if accept("!=") { neg = true } else { _ = accept("==") }
        guard let v = Self.number(tok) else { throw unexpected() }
        i += 1
        return .markAnd(mask: mask, value: v, negated: neg)
    }

    /// A set's or map's type: `ipv4_addr . inet_proto . inet_service : verdict`.
    static func setType(_ s: String) -> (keys: [NFTDataType], isMap: Bool)? {
        let sides = s.split(separator: ":", omittingEmptySubsequences: false)
        guard sides.count <= 2 else { return nil }
        if sides.count == 2 && nftTrimmed(sides[1]) != "verdict" { return nil }
        var keys: [NFTDataType] = []
        for part in sides[0].split(separator: ".") {
            guard let t = NFTDataType(rawValue: nftTrimmed(part)) else { return nil }
            keys.append(t)
        }
        return keys.isEmpty ? nil : (keys, sides.count == 2)
    }

    /// An element's key parts (`["172.30.0.41", "tcp", "80"]`) packed as the set's types.
    static func elementKey(_ parts: [String], _ types: [NFTDataType]) -> UInt64? {
        guard parts.count == types.count else { return nil }
        var k: UInt64 = 0
        for (p, t) in zip(parts, types) {
            let v: UInt64
            switch t {
            case .ipv4Addr: guard let a = IPv4Address(parsing: p) else { return nil }; v = UInt64(a.value)
            case .inetProto: guard let pr = IPProto(name: p) else { return nil }; v = UInt64(pr.rawValue)
            case .inetService: guard let n = UInt16(p) else { return nil }; v = UInt64(n)
            }
            k = (k << t.bits) | v
        }
        return k
    }

    static func verdict(_ s: String) -> NFTVerdict? {
        var p = NFTParser(s)
        guard let v = try? p.verdict(), p.atEnd else { return nil }
        return v
    }
}

/// A string without its leading and trailing blanks.
func nftTrimmed(_ s: some StringProtocol) -> String {
    var t = Substring(s)
    while let f = t.first, f == " " || f == "\t" { t = t.dropFirst() }
    while let l = t.last, l == " " || l == "\t" { t = t.dropLast() }
    return String(t)
}
