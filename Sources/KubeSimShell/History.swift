import KubeScript

/// The REPL's history file: one entry per line, loaded at start and appended after
/// every entry (so a crash or a kill loses nothing), kept to the last `limit` entries.
struct HistoryFile {
    let path: String
    let limit: Int

    static func defaultPath() -> String? {
        if let p = FileIO.environment("KUBESIM_HISTORY"), !p.isEmpty { return p }
        guard let home = FileIO.environment("HOME"), !home.isEmpty else { return nil }
        return home + "/.kubesim_history"
    }

    /// The stored entries, oldest first; trims the file when it has grown past the cap.
    func load() -> [String] {
        guard let text = FileIO.read(path) else { return [] }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        if lines.count > limit {
            lines = Array(lines.suffix(limit))
            FileIO.write(path, lines.joined(separator: "\n") + "\n")
        }
        return lines
    }

    func append(_ line: String) {
        guard !line.isEmpty, !line.contains("\n") else { return }
        FileIO.write(path, line + "\n", append: true)
    }
}
