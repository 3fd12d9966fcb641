import Yams

/// YAML nodes → JSON values, refusing alias bombs before they expand. Yams shares an
/// anchored node with every alias to it, so composing `&a [*a, *a, …]` eight levels
/// deep is cheap, but writing it out as JSON visits every copy (9^8 nodes). kubectl's
/// YAML reader (go-yaml, `decoder.unmarshal` in decode.go) counts the nodes it decodes
/// and how many of them it reached through an alias, and stops with `document contains
/// excessive aliasing` when aliases account for too large a share (`allowedAliasRatio`);
/// this counts the same way, node by node, so the refusal comes after a few thousand
/// nodes, not after the expansion.
struct YAMLConverter {
    struct ExcessiveAliasing: Error {
        let message = "document contains excessive aliasing"
    }

    var decodeCount = 0
    var aliasCount = 0
    /// How many alias expansions the current node is inside.
    var aliasDepth = 0
    /// Anchors already decoded once: meeting one again means an alias led here.
    var seenAnchors = Set<ObjectIdentifier>()

    // go-yaml's constants (decode.go): up to 400,000 decodes 99% may come from aliases,
    // from 4,000,000 only 10%, in between the share falls linearly.
    static let aliasRatioRangeLow = 400_000
    static let aliasRatioRangeHigh = 4_000_000

    static func allowedAliasRatio(_ decodeCount: Int) -> Double {
        if decodeCount <= aliasRatioRangeLow { return 0.99 }
        if decodeCount >= aliasRatioRangeHigh { return 0.10 }
        return 0.99 - 0.89 * Double(decodeCount - aliasRatioRangeLow) / Double(aliasRatioRangeHigh - aliasRatioRangeLow)
    }

    mutating func convert(_ n: Yams.Node) throws -> JSONValue {
        var viaAlias = false
        if let anchor = n.anchor { viaAlias = !seenAnchors.insert(ObjectIdentifier(anchor)).inserted }
        if viaAlias { aliasDepth += 1 }
        defer { if viaAlias { aliasDepth -= 1 } }
        decodeCount += 1
        if aliasDepth > 0 { aliasCount += 1 }
        if aliasCount > 100 && decodeCount > 1000 && Double(aliasCount) / Double(decodeCount) > Self.allowedAliasRatio(decodeCount) {
            throw ExcessiveAliasing()
        }
        switch n {
        case .scalar(let s):
            if s.style == .plain {
                if s.string == "null" || s.string == "~" || s.string.isEmpty { return .null }
                if s.string == "true" { return .bool(true) }
                if s.string == "false" { return .bool(false) }
                if let i = Int64(s.string) { return .int(i) }
                if let d = Double(s.string), s.string.contains(".") { return .double(d) }
            }
            return .string(s.string)
        case .mapping(let m):
            var pairs: [(String, JSONValue)] = []
            pairs.reserveCapacity(m.count)
            for (key, value) in m { pairs.append((key.string ?? "", try convert(value))) }
            return .object(pairs)
        case .sequence(let seq):
            var items: [JSONValue] = []
            items.reserveCapacity(seq.count)
            for item in seq { items.append(try convert(item)) }
            return .array(items)
        case .alias:
            return .null
        }
    }
}
