import Foundation
import Testing

/// The first lesson's transcript, golden: what a learner sees.
@Suite("Lesson transcripts")
struct GoldenLessonTests {
    @Test func basicsLessonTranscript() throws {
        let r = try Binary.run(["run", "lessons/00-kubescript-basics.kscript"], directory: Repo.root)
        #expect(r.status == 0)
        #expect(r.stderr == "")
        #expect(r.stdout == """
        replicas=3 grace=30s limit=512Mi
        [10s, 20s, 40s, 1m20s, 2m40s, 5m0s, 5m0s]
        seed — set the seed of the simulation's random source

        usage: seed N

        """)
    }
}

/// Every lesson with a reviewed `.transcript` beside it prints exactly that: a change in
/// what a learner sees shows up here (update the transcript after reviewing the diff).
@Suite("Lesson transcripts (files)")
struct LessonTranscriptFileTests {
    static var lessons: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: Repo.root + "/lessons")) ?? [])
            .filter { $0.hasSuffix(".kscript") && FileManager.default.fileExists(atPath: Repo.root + "/lessons/" + $0.dropLast(8) + ".transcript") }
            .sorted()
    }

    @Test func thereAreTranscripts() {
        #expect(Self.lessons.count >= 5)
    }

    @Test(arguments: lessons)
    func lessonMatchesItsTranscript(_ lesson: String) throws {
        let expected = try String(contentsOfFile: Repo.root + "/lessons/" + lesson.dropLast(8) + ".transcript", encoding: .utf8)
        let r = try Binary.run(["run", "lessons/" + lesson], directory: Repo.root)
        #expect(r.status == 0)
        #expect(r.stdout + r.stderr == expected)
    }
}
