import KubeSimCore

/// Block-style YAML as kubectl prints it: sigs.k8s.io/yaml turns the JSON into YAML
/// with go-yaml v2, so scalars take go-yaml's styles (`yaml.v2/encode.go` stringv,
/// `emitterc.go` yaml_emitter_analyze_scalar and yaml_emitter_select_scalar_style):
/// plain when the text reads back as the same string; double-quoted when it would
/// read back as another type (`"80"`, `"yes"`, `"2026-01-01"`, `""`); single-quoted
/// when an indicator forbids plain (`'*/1 * * * *'`, `'a: b'`); literal (`|`, `|-`)
/// with a line break. Plain and single-quoted text folds at a space past column 80.
enum YAMLWriter {
    static let bestWidth = 80

    static func write(_ v: JSONValue) -> String {
        var out = ""
        emit(v, indent: 0, into: &out, inSequence: false)
        return out
    }

    static func emit(_ v: JSONValue, indent: Int, into out: inout String, inSequence: Bool) {
        let pad = String(repeating: " ", count: indent)
        switch v {
        case .object(let pairs):
            if pairs.isEmpty { out += "{}\n"; return }
            for (i, (k, val)) in pairs.enumerated() {
                let prefix = (inSequence && i == 0) ? "" : pad
                out += prefix + scalar(k, indent: indent, column: indent, simpleKey: true) + ":"
                emitValue(val, indent: indent, into: &out)
            }
        case .array(let items):
            if items.isEmpty { out += pad + "[]\n"; return }
            for item in items {
                out += pad + "- "
                switch item {
                case .object(let p) where !p.isEmpty: emit(item, indent: indent + 2, into: &out, inSequence: true)
                case .array(let a) where !a.isEmpty:
                    // go-yaml starts a nested sequence on the dash's line.
                    var inner = ""
                    emit(item, indent: indent + 2, into: &inner, inSequence: false)
                    out += String(inner.dropFirst(indent + 2))
                default: out += inline(item, indent: indent + 2, column: indent + 2) + "\n"
                }
            }
        default:
            out += pad + inline(v, indent: indent, column: indent) + "\n"
        }
    }

    static func emitValue(_ val: JSONValue, indent: Int, into out: inout String) {
        switch val {
        case .object(let p) where !p.isEmpty:
            out += "\n"
            emit(val, indent: indent + 2, into: &out, inSequence: false)
        case .array(let a) where !a.isEmpty:
            out += "\n"
            emit(val, indent: indent, into: &out, inSequence: false)
        default:
            let column = (out.utf8.count - (out.utf8.lastIndex(of: UInt8(ascii: "\n")).map { out.utf8.distance(from: out.utf8.startIndex, to: $0) + 1 } ?? 0)) + 1
            out += " " + inline(val, indent: indent + 2, column: column) + "\n"
        }
    }

    /// A scalar or empty collection on the current line; `column` is where it starts,
    /// `indent` where a folded or literal continuation line starts.
    static func inline(_ v: JSONValue, indent: Int = 0, column: Int = 0) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return scalar(s, indent: indent, column: column, simpleKey: false)
        case .array: return "[]"
        case .object: return "{}"
        }
    }

    static func scalar(_ s: String, indent: Int = 0, column: Int = 0, simpleKey: Bool = false) -> String {
        if s.contains("\n") && !simpleKey { return literal(s, indent: indent) }
        if !resolvesAsString(s) || s.contains("\n") || hasSpecialCharacters(s) { return Quoting.doubleQuoted(s) }
        if plainAllowed(s) { return simpleKey ? s : folded(s, column: column, indent: indent, quote: nil) }
        return simpleKey ? "'" + s.doublingQuotes + "'" : folded(s.doublingQuotes, column: column, indent: indent, quote: "'")
    }

    /// `|` keeps one final line break, `|-` strips it, `|+` keeps several.
    static func literal(_ s: String, indent: Int) -> String {
        var body = s
        var chomp = "-"
        if body.hasSuffix("\n") {
            body.removeLast()
            chomp = body.hasSuffix("\n") || body.isEmpty ? "+" : ""
        }
        let pad = String(repeating: " ", count: indent)
        let lead = body.first == " " ? "2" : ""
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : pad + $0 }
        return "|" + lead + chomp + "\n" + lines.joined(separator: "\n") + (chomp == "+" && s.hasSuffix("\n\n") ? "\n" : "")
    }

    /// go-yaml's line folding: a single space past the best width becomes a line
    /// break and the indentation.
    static func folded(_ s: String, column: Int, indent: Int, quote: String?) -> String {
        var out = quote ?? ""
        var col = column + out.count
        let chars = Array(s)
        var previousSpace = false
        for (i, ch) in chars.enumerated() {
            if ch == " " && !previousSpace && col > bestWidth && i != 0 && i != chars.count - 1 && chars[i + 1] != " " {
                out += "\n" + String(repeating: " ", count: indent)
                col = indent
                previousSpace = true
                continue
            }
            out.append(ch)
            col += 1
            previousSpace = ch == " "
        }
        return out + (quote ?? "")
    }

    static func hasSpecialCharacters(_ s: String) -> Bool {
        s.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || $0.value == 0x7f || $0 == "\u{FEFF}" }
    }

    /// yaml_emitter_analyze_scalar: whether a block-context plain scalar may carry `s`.
    static func plainAllowed(_ s: String) -> Bool {
        let c = Array(s.unicodeScalars)
        guard let first = c.first else { return false }
        if s.hasPrefix("---") || s.hasPrefix("...") { return false }
        if first == " " || c.last == " " || first == "\t" || c.last == "\t" { return false }
        func blankOrEnd(_ i: Int) -> Bool { i >= c.count || c[i] == " " || c[i] == "\t" || c[i] == "\n" }
        for (i, ch) in c.enumerated() {
            if i == 0 {
                switch ch {
                case "#", ",", "[", "]", "{", "}", "&", "*", "!", "|", ">", "'", "\"", "%", "@", "`": return false
                case "?", ":", "-": if blankOrEnd(1) { return false }
                default: break
                }
            } else {
                switch ch {
                case ":": if blankOrEnd(i + 1) { return false }
                case "#": if c[i - 1] == " " || c[i - 1] == "\t" { return false }
                default: break
                }
            }
        }
        return true
    }

    /// yaml.v2 resolve.go: whether a plain scalar with this text reads back as a string
    /// (not null, a bool, a number, a base-60 float or a timestamp).
    static func resolvesAsString(_ s: String) -> Bool {
        let yaml11 = ["", "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
                      "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
                      ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", "<<"]
        if yaml11.contains(s) { return false }
        guard let first = s.unicodeScalars.first, "+-.0123456789".unicodeScalars.contains(first) else { return true }
        let plain = String(s.filter { $0 != "_" })
        if Int64(plain) != nil { return false }
        if plain.hasPrefix("0x") || plain.hasPrefix("-0x") || plain.hasPrefix("+0x") {
            let digits = plain.drop { $0 != "x" }.dropFirst()
            if !digits.isEmpty && digits.allSatisfy(\.isHexDigit) { return false }
        }
        if plain.hasPrefix("0b") || plain.hasPrefix("-0b") || plain.hasPrefix("+0b") {
            let digits = plain.drop { $0 != "b" }.dropFirst()
            if !digits.isEmpty && digits.allSatisfy({ $0 == "0" || $0 == "1" }) { return false }
        }
        if isFloat(plain) { return false }
        if isBase60(s) { return false }
        if isTimestamp(s) { return false }
        return true
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
    static func isFloat(_ s: String) -> Bool {
        var c = Substring(s)
        if c.first == "-" || c.first == "+" { c = c.dropFirst() }
        let mantissaEnd = c.firstIndex { $0 == "e" || $0 == "E" } ?? c.endIndex
        let mantissa = c[..<mantissaEnd]
        let parts = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard !mantissa.isEmpty, parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }) else { return false }
        if parts.count == 2 && parts[0].isEmpty && parts[1].isEmpty { return false }
        if parts.count == 1 && parts[0].isEmpty { return false }
        if mantissaEnd == c.endIndex { return true }
        var e = c[c.index(after: mantissaEnd)...]
        if e.first == "-" || e.first == "+" { e = e.dropFirst() }
        return !e.isEmpty && e.allSatisfy(\.isASCIIDigit)
    }

    /// `[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?`
    static func isBase60(_ s: String) -> Bool {
        var c = Substring(s)
        if c.first == "-" || c.first == "+" { c = c.dropFirst() }
        let main = c.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        if main.count == 2 && !main[1].allSatisfy({ $0.isASCIIDigit || $0 == "_" }) { return false }
        let groups = main[0].split(separator: ":", omittingEmptySubsequences: false)
        guard groups.count >= 2, let head = groups.first, let h = head.first, h.isASCIIDigit,
              head.allSatisfy({ $0.isASCIIDigit || $0 == "_" }) else { return false }
        return groups.dropFirst().allSatisfy { g in
            (1...2).contains(g.count) && g.allSatisfy(\.isASCIIDigit) && (g.count == 1 || g.first! <= "5")
        }
    }

    /// yaml.v2's timestamp forms: `2006-01-02`, `2006-1-2T15:04:05…`, with a time part.
    static func isTimestamp(_ s: String) -> Bool {
        let c = Array(s.utf8)
        guard c.count >= 8, c[0..<4].allSatisfy({ $0 >= 48 && $0 <= 57 }), c[4] == UInt8(ascii: "-") else { return false }
        if c.count == 10 { return c[5...6].allSatisfy({ $0 >= 48 && $0 <= 57 }) && c[7] == UInt8(ascii: "-") && c[8...9].allSatisfy({ $0 >= 48 && $0 <= 57 }) }
        return s.contains("T") || s.contains("t") || s.contains(" ")
    }
}

extension String {
    /// `it's` → `it''s`, for a single-quoted scalar.
    var doublingQuotes: String { split(separator: "'", omittingEmptySubsequences: false).joined(separator: "''") }
}

extension Character {
    var isASCIIDigit: Bool { self >= "0" && self <= "9" }
}

extension JSONValue {
    /// The object with every map's keys sorted, as sigs.k8s.io/yaml prints them (it
    /// goes through a Go map): `apiVersion`, `kind`, `metadata`, `spec`, `status`.
    public var sortedKeys: JSONValue {
        switch self {
        case .object(let pairs): return .object(pairs.map { ($0.0, $0.1.sortedKeys) }.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) })
        case .array(let items): return .array(items.map(\.sortedKeys))
        default: return self
        }
    }

    /// YAML as `kubectl … -o yaml` prints it (keys sorted).
    public var kubectlYAML: String { YAMLWriter.write(sortedKeys) }
    /// JSON as `kubectl … -o json` prints it (keys in the order given: Go's field order).
    public var kubectlJSON: String { JSONWriter.write(self) + "\n" }
}
