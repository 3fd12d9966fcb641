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
