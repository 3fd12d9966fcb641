/// `diff -u -N` output, as kubectl diff runs it: `---`/`+++` headers and hunks of
/// three lines of context around each change (a longest-common-subsequence diff).
enum UnifiedDiff {
    enum Edit: Equatable { case same(String), removed(String), added(String) }

    static func edits(_ a: [String], _ b: [String]) -> [Edit] {
        let n = a.count, m = b.count
        var lcs = Array(repeating: Array(repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        var out: [Edit] = []
        var i = 0, j = 0
        while i < n || j < m {
            if i < n && j < m && a[i] == b[j] { out.append(.same(a[i])); i += 1; j += 1 }
            else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) { out.append(.added(b[j])); j += 1 }
            else { out.append(.removed(a[i])); i += 1 }
        }
        // diff prints a change's removals before its additions.
        var k = 0
        while k < out.count {
            guard case .same = out[k] else {
                var e = k
                while e < out.count, out[e] != .same(out[e].text) { e += 1 }
                let block = out[k..<e]
                out.replaceSubrange(k..<e, with: block.filter { if case .removed = $0 { return true } else { return false } }
                                    + block.filter { if case .added = $0 { return true } else { return false } })
                k = e
                continue
            }
            k += 1
        }
        return out
    }

    static func text(_ a: [String], _ b: [String], from: String, to: String, stamp: String, context: Int = 3) -> String {
        let e = edits(a, b)
        let changed = e.indices.filter { if case .same = e[$0] { return false } else { return true } }
        guard !changed.isEmpty else { return "" }
        var out = "diff -u -N \(from) \(to)\n--- \(from)\t\(stamp)\n+++ \(to)\t\(stamp)\n"
        // Group changes whose contexts touch into hunks.
        var hunks: [(Int, Int)] = []
        for c in changed {
            let lo = max(0, c - context), hi = min(e.count - 1, c + context)
            if let last = hunks.last, lo <= last.1 + 1 { hunks[hunks.count - 1].1 = hi } else { hunks.append((lo, hi)) }
        }
        for (lo, hi) in hunks {
            var aStart = 0, bStart = 0
            for x in e[..<lo] {
                switch x {
                case .same: aStart += 1; bStart += 1
                case .removed: aStart += 1
                case .added: bStart += 1
                }
            }
            let slice = e[lo...hi]
            let aCount = slice.filter { if case .added = $0 { return false } else { return true } }.count
            let bCount = slice.filter { if case .removed = $0 { return false } else { return true } }.count
            func range(_ start: Int, _ count: Int) -> String {
                let s = count == 0 ? start : start + 1
                return count == 1 ? "\(s)" : "\(s),\(count)"
            }
            out += "@@ -\(range(aStart, aCount)) +\(range(bStart, bCount)) @@\n"
            for x in slice {
                switch x {
                case .same(let t): out += " " + t + "\n"
                case .removed(let t): out += "-" + t + "\n"
                case .added(let t): out += "+" + t + "\n"
                }
            }
        }
        return out
    }
}

extension UnifiedDiff.Edit {
    var text: String {
        switch self {
        case .same(let t), .removed(let t), .added(let t): return t
        }
    }
}
