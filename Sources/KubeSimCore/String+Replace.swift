extension String {
    /// Plain substring replacement (no Foundation), on bytes.
    public func replacingOccurrences(_ target: String, _ with: String) -> String {
        let t = Array(target.utf8)
        guard let first = t.first else { return self }
        var found = false
        var out: [UInt8] = []
        var s = self
        s.withUTF8 { b in
            var i = 0
            while i < b.count {
                if b[i] == first && i + t.count <= b.count && b[i..<(i + t.count)].elementsEqual(t) {
                    if !found { found = true; out.reserveCapacity(b.count + with.utf8.count); out.append(contentsOf: b[0..<i]) }
                    out.append(contentsOf: with.utf8)
                    i += t.count
                } else {
                    if found { out.append(b[i]) }
                    i += 1
                }
            }
        }
        return found ? String(decoding: out, as: UTF8.self) : self
    }
}
