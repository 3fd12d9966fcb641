import Foundation
import Testing
import KubeScript
import KubeSimShell

/// Every `.kscript` file in the repository and every example in the grammar parse
/// with the full command registry; every lesson runs as a test and passes.
@Suite("Repository files")
struct RepoFilesTests {
    static func kscriptFiles() -> [String] {
        let root = Repo.root
        guard let e = FileManager.default.enumerator(atPath: root) else { return [] }
        var files: [String] = []
        while let rel = e.nextObject() as? String {
            if rel.hasPrefix(".") || rel.contains("/.") { continue }
            if rel.hasSuffix(".kscript") { files.append(root + "/" + rel) }
        }
        return files.sorted()
    }

    /// Code blocks in the grammar: lines between `(*```kscript` and "```*)".
    static func grammarExamples() throws -> [(line: Int, text: String)] {
        let text = try String(contentsOfFile: Repo.root + "/grammar/kscript.ebnf", encoding: .utf8)
        var blocks: [(Int, String)] = []
        var current: [String]?
        var start = 0
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed == "(*```kscript" { current = []; start = i + 2; continue }
            if trimmed == "```*)", let c = current {
                blocks.append((start, c.joined(separator: "\n") + "\n"))
                current = nil
                continue
            }
            current?.append(String(line))
        }
        return blocks
    }

    func diagnostics(_ text: String, name: String) -> [String] {
        var out: [String] = []
        let session = SessionFactory.make(output: { _ in }, diagnostics: { out.append($0) })
        _ = session.check(text, name: name)
        return out
    }

    @Test func everyKscriptFileParses() throws {
        let files = Self.kscriptFiles()
        #expect(!files.isEmpty)
        for f in files {
            let text = try String(contentsOfFile: f, encoding: .utf8)
            #expect(diagnostics(text, name: f) == [], "\(f)")
        }
    }

    @Test func everyGrammarExampleParses() throws {
        let examples = try Self.grammarExamples()
        #expect(examples.count >= 5)
        for (line, text) in examples {
            #expect(diagnostics(text, name: "grammar/kscript.ebnf example at line \(line)") == [])
        }
    }

    @Test func everyLessonPasses() throws {
        let (files, missing) = TestRunner.collect([Repo.root + "/lessons"])
        #expect(missing.isEmpty)
        #expect(!files.isEmpty)
        let runner = TestRunner { out, diag in
            SessionFactory.make(output: out, diagnostics: diag)
        }
        for f in files {
            let r = runner.run(file: f)
            #expect(r.passed, "\(f): \(r.messages)")
        }
    }

    /// A lesson's transcript is the same on every run (determinism).
    @Test func lessonTranscriptsAreDeterministic() throws {
        let (files, _) = TestRunner.collect([Repo.root + "/lessons"])
        for f in files {
            let text = try String(contentsOfFile: f, encoding: .utf8)
            func transcript() -> String {
                var out = ""
                let s = SessionFactory.make(output: { out += $0 }, diagnostics: { out += $0 })
                _ = s.run(text, name: f)
                return out
            }
            #expect(transcript() == transcript())
        }
    }
}
