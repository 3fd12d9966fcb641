/// How large a string or list a script may build. A loop that doubles a string runs
/// out of memory long before the step budget notices, and `"x" * 99999999999` asks for
/// 100 GB in one step; so every operation that grows a value checks the size it would
/// reach *before* allocating, and stops the script with a located error instead.
///
/// One limit, in bytes (`--max-value-size`, default 64 MiB): a string's UTF-8 bytes,
/// or a list's elements counted at `listElementBytes` each.
public enum ValueLimits {
    /// The limit in bytes. Set once by the CLI before a session runs.
    nonisolated(unsafe) public static var maxBytes = defaultMaxBytes
    public static let defaultMaxBytes = 64 << 20
    /// What a list element counts for against the limit (a value's stride, about).
    public static let listElementBytes = 16

    static var maxListCount: Int { maxBytes / listElementBytes }

    /// `64 MiB`, `1 KiB`, or a byte count.
    static func describe(_ bytes: Int) -> String {
        if bytes >= 1 << 20 && bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10 && bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }

    /// Throws when a string of `bytes` UTF-8 bytes would pass the limit.
    static func checkString(_ bytes: Int, overflow: Bool = false, _ loc: SourceLocation) throws {
        if overflow || bytes > maxBytes {
            throw RuntimeError(.valueTooLarge("string", limit: describe(maxBytes)), at: loc)
        }
    }

    /// Throws when a list of `count` elements would pass the limit.
    static func checkList(_ count: Int, overflow: Bool = false, _ loc: SourceLocation) throws {
        if overflow || count > maxListCount {
            throw RuntimeError(.valueTooLarge("list", limit: "\(maxListCount) elements"), at: loc)
        }
    }
}
