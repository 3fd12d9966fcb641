/// "Did you mean" support: the candidate closest to a misspelt name by
/// Damerau–Levenshtein distance (adjacent swaps count once, so `deploymnet` →
/// `deployment` is one edit), accepted when the distance is small for the length.
public enum Suggest {
    public static func nearest(_ name: String, in candidates: some Sequence<String>) -> String? {
        let a = Array(name.lowercased().unicodeScalars)
        let limit = max(1, min(3, (a.count + 1) / 3))
        var best: (String, Int)?
        for c in candidates where c != name {
            // Only a candidate within `limit` edits can be suggested, and one whose
            // length differs by more is further than that: no table needed.
            let n = c.unicodeScalars.count
            if n > a.count + limit || n + limit < a.count { continue }
            let d = distance(a, Array(c.lowercased().unicodeScalars), limit: limit)
            if best == nil || d < best!.1 || (d == best!.1 && c < best!.0) { best = (c, d) }
        }
        if let (candidate, d) = best, d <= limit { return candidate }
        // A name cut short (`node` for `nodeName`): the shortest candidate it begins.
        guard a.count >= 3 else { return nil }
        let lower = name.lowercased()
        return candidates.filter { $0 != name && $0.lowercased().hasPrefix(lower) }.min { ($0.count, $0) < ($1.count, $1) }
    }

    /// Optimal string alignment distance; with a `limit`, any distance over it may be
    /// reported as `limit + 1` (a row whose every cell is over the limit ends the walk).
    static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], limit: Int = .max) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev2 = [Int](repeating: 0, count: b.count + 1)
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            var rowMin = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    cur[j] = min(cur[j], prev2[j - 2] + 1)
                }
                rowMin = min(rowMin, cur[j])
            }
            // A transposition reaches back two rows: stop only when both are over.
            if rowMin > limit && (prev.min() ?? 0) > limit { return limit + 1 }
            (prev2, prev, cur) = (prev, cur, prev2)
        }
        return prev[b.count]
    }
}
