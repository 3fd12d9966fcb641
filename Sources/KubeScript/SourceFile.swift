/// One piece of KubeScript text (a file, a REPL entry, an included file) with its name
/// and a table of line starts, so any byte offset maps to `line:col`.
public final class SourceFile: Sendable {
    public let name: String
    public let text: String
    /// The UTF-8 bytes of `text`; the lexer scans these.
    public let bytes: [UInt8]
    /// Byte offset of the first byte of each line.
    let lineStarts: [Int]

    public init(name: String, text: String) {
        self.name = name
        self.text = text
        self.bytes = Array(text.utf8)
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") { starts.append(i + 1) }
        self.lineStarts = starts
    }

    /// 1-based line and column (column counts Unicode scalars, not bytes).
    public func lineAndColumn(of offset: Int) -> (line: Int, column: Int) {
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        let start = lineStarts[lo]
        var column = 1
        var i = start
        let end = min(offset, bytes.count)
        while i < end {
            // Count only bytes that start a scalar (not 10xxxxxx continuation bytes).
            if bytes[i] & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        return (lo + 1, column)
    }

    /// The text of a 1-based line, without its newline.
    public func line(_ number: Int) -> String {
        guard number >= 1 && number <= lineStarts.count else { return "" }
        let start = lineStarts[number - 1]
        var end = number < lineStarts.count ? lineStarts[number] - 1 : bytes.count
        if end > start && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
    }

    public func slice(_ range: Range<Int>) -> String {
        String(decoding: bytes[max(0, range.lowerBound)..<min(bytes.count, range.upperBound)], as: UTF8.self)
    }
}

/// A place in a source file: the file and a byte range.
public struct SourceLocation: Sendable {
    public let file: SourceFile
    public let start: Int
    public let end: Int

    public init(file: SourceFile, start: Int, end: Int) {
        self.file = file
        self.start = start
        self.end = max(start, end)
    }

    public var lineAndColumn: (line: Int, column: Int) { file.lineAndColumn(of: start) }
    public var text: String { file.slice(start..<end) }

    /// `file:line:col`
    public var description: String {
        let (l, c) = lineAndColumn
        return "\(file.name):\(l):\(c)"
    }
    /// `line:col`, used when a message refers to another place in the same file.
    public var shortDescription: String {
        let (l, c) = lineAndColumn
        return "\(l):\(c)"
    }

    public func to(_ other: SourceLocation) -> SourceLocation {
        SourceLocation(file: file, start: start, end: max(end, other.end))
    }
}
