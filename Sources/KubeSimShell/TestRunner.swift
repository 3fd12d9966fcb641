import KubeScript

/// `kubesim test`: runs each `.kscript` file as a test in a fresh session. One line per
/// file, then `N passed, N failed`; TAP 13 or JUnit XML on request.
public struct TestRunner {
    public enum Format: String, CaseIterable, Sendable { case plain, tap, junit }

    public struct FileResult: Sendable {
        public let path: String
        public let outcome: Session.Outcome
        /// Diagnostics and failure messages (no colour).
        public let messages: String
        public var passed: Bool { outcome == .success }
    }

    let makeSession: (_ output: @escaping (String) -> Void, _ diagnostics: @escaping (String) -> Void) -> Session

    public init(makeSession: @escaping (@escaping (String) -> Void, @escaping (String) -> Void) -> Session) {
        self.makeSession = makeSession
    }

    /// `.kscript` files under each path (directories recursively, sorted); a plain file as given.
    public static func collect(_ paths: [String]) -> (files: [String], missing: [String]) {
        var files: [String] = []
        var missing: [String] = []
        func walk(_ dir: String) {
            for name in FileIO.list(dir) {
                let p = dir.hasSuffix("/") ? dir + name : dir + "/" + name
                if FileIO.isDirectory(p) { walk(p) } else if name.hasSuffix(".kscript") { files.append(p) }
            }
        }
        for p in paths {
            if FileIO.isDirectory(p) { walk(p) }
            else if FileIO.exists(p) { files.append(p) }
            else { missing.append(p) }
        }
        return (files, missing)
    }

    public func run(file path: String) -> FileResult {
        var messages: [String] = []
        guard let text = FileIO.read(path) else {
            return FileResult(path: path, outcome: .error, messages: "error: cannot read '\(path)'")
        }
        let session = makeSession({ _ in }, { messages.append($0) })
        var outcome = session.run(text, name: path)
        if case .exit(0) = outcome { outcome = .success }
        return FileResult(path: path, outcome: outcome, messages: messages.joined(separator: "\n"))
    }

    // MARK: - reports

    public static func plainLine(_ r: FileResult) -> String {
        var line = (r.passed ? "ok    " : "FAIL  ") + r.path
        switch r.outcome {
        case .success: break
        case .assertionFailed: line += "  (assertion failed)"
        case .error: line += "  (error)"
        case .exit(let c): line += "  (exit \(c))"
        }
        if !r.passed && !r.messages.isEmpty {
            line += "\n" + r.messages.split(separator: "\n", omittingEmptySubsequences: false).map { "      " + $0 }.joined(separator: "\n")
        }
        return line
    }

    public static func summary(_ results: [FileResult]) -> String {
        let passed = results.filter(\.passed).count
        return "\(passed) passed, \(results.count - passed) failed"
    }

    public static func tap(_ results: [FileResult]) -> String {
        var out = ["TAP version 13", "1..\(results.count)"]
        for (i, r) in results.enumerated() {
            out.append("\(r.passed ? "ok" : "not ok") \(i + 1) - \(r.path)")
            if !r.passed {
                out.append("  ---")
                out.append("  outcome: \(describe(r.outcome))")
                if !r.messages.isEmpty {
                    out.append("  message: |")
                    for l in r.messages.split(separator: "\n", omittingEmptySubsequences: false) { out.append("    " + l) }
                }
                out.append("  ...")
            }
        }
        out.append("# " + summary(results))
        return out.joined(separator: "\n") + "\n"
    }

    public static func junit(_ results: [FileResult]) -> String {
        let failures = results.filter { !$0.passed && $0.outcome != .error }.count
        let errors = results.filter { $0.outcome == .error }.count
        var out = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                   "<testsuites tests=\"\(results.count)\" failures=\"\(failures)\" errors=\"\(errors)\">",
                   "  <testsuite name=\"kubesim\" tests=\"\(results.count)\" failures=\"\(failures)\" errors=\"\(errors)\">"]
        for r in results {
            let name = xmlEscape(r.path)
            if r.passed {
                out.append("    <testcase classname=\"kubesim\" name=\"\(name)\"/>")
            } else {
                let tag = r.outcome == .error ? "error" : "failure"
                let first = r.messages.split(separator: "\n").first.map(String.init) ?? describe(r.outcome)
                out.append("    <testcase classname=\"kubesim\" name=\"\(name)\">")
                out.append("      <\(tag) message=\"\(xmlEscape(first))\" type=\"\(describe(r.outcome))\">\(xmlEscape(r.messages))</\(tag)>")
                out.append("    </testcase>")
            }
        }
        out.append("  </testsuite>")
        out.append("</testsuites>")
        return out.joined(separator: "\n") + "\n"
    }

    static func describe(_ o: Session.Outcome) -> String {
        switch o {
        case .success: return "passed"
        case .assertionFailed: return "assertion failed"
        case .error: return "error"
        case .exit(let c): return "exit \(c)"
        }
    }

    static func xmlEscape(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // Control characters other than tab/newline are not allowed in XML 1.0.
                if ch.value < 0x20 && ch != "\n" && ch != "\t" && ch != "\r" { out += "?" } else { out.unicodeScalars.append(ch) }
            }
        }
        return out
    }
}
