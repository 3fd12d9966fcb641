#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import KubeScript
import KubeSimCluster

/// The live line a long `tick` or `settle` shows on a terminal: simulated time, pods
/// bound and running, events per second. It is drawn on stderr, redrawn in place and
/// erased when the command ends, so it never reaches a transcript. Wall time is used
/// only for this display and its rate.
final class ProgressLine {
    let cluster: Cluster
    let enabled: Bool
    var lastDraw: Double = 0
    var lastEvents = 0
    var drawn = false
    let start: Double

    init(cluster: Cluster, ctx: CommandContext) {
        self.cluster = cluster
        self.enabled = ctx.isTerminal && isatty(2) != 0
        self.start = ProgressLine.wall()
        self.lastDraw = start
        self.lastEvents = cluster.clock.executed
    }

    static func wall() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    func update() {
        guard enabled else { return }
        let now = ProgressLine.wall()
        // Only after a quarter second, then at most ten times a second.
        guard now - start > 0.25, now - lastDraw > 0.1 else { return }
        let rate = Double(cluster.clock.executed - lastEvents) / (now - lastDraw)
        lastDraw = now
        lastEvents = cluster.clock.executed
        let c = cluster.podCounts
        let line = "[t=\(cluster.now)] pods \(c.total), bound \(c.bound), running \(c.running), \(Int(rate)) events/s"
        fputs("\r\u{1B}[K" + line, stderr)
        fflush(stderr)
        drawn = true
    }

    func finish() {
        if drawn { fputs("\r\u{1B}[K", stderr); fflush(stderr) }
    }
}
