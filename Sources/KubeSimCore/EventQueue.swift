/// Discrete-event simulated time, as ns-3 keeps it: an integer clock (nanoseconds) and
/// a queue of events ordered by (time, sequence), so equal-time events run in the order
/// they were scheduled and every run is reproducible. The clock moves only by running
/// events. Cancelling is O(1): the action is dropped and its heap entry skipped later.
public final class EventQueue {
    public struct Handle: Hashable, Sendable {
        let id: UInt64
    }

    private struct Entry {
        let time: Int64
        let seq: UInt64
    }

    /// Current simulated time in nanoseconds since the cluster started.
    public private(set) var now: Int64 = 0
    private var heap: [Entry] = []
    /// Foreground events only (lazily cleaned like `heap`), for the next time of work.
    private var workHeap: [Entry] = []
    private var actions: [UInt64: (label: String, background: Bool, run: () -> Void)] = [:]
    /// Pending events that are work (not background timers such as deadline checks).
    public private(set) var pendingWork = 0
    private var nextSeq: UInt64 = 0
    /// Events run so far (for progress lines and benchmarks).
    public private(set) var executed = 0

    public init() {}

    public var pendingCount: Int { actions.count }
    public var nowDuration: SimDuration { SimDuration(nanoseconds: now) }

    /// Time of the next live event, if any.
    public var nextTime: Int64? {
        while let top = heap.first, actions[top.seq] == nil { Self.pop(&heap) }
        return heap.first?.time
    }

    /// Time of the next event that is work (not a background timer), if any.
    public var nextWorkTime: Int64? {
        while let top = workHeap.first, actions[top.seq] == nil { Self.pop(&workHeap) }
        return workHeap.first?.time
    }

    /// Schedules `action` after `delay` (zero: later in this instant, after what is queued).
    @discardableResult
    public func schedule(after delay: SimDuration, label: String = "", background: Bool = false, _ action: @escaping () -> Void) -> Handle {
        schedule(at: now + max(0, delay.nanoseconds), label: label, background: background, action)
    }

    /// A `background` event (a periodic check, a deadline) does not count as pending
    /// work for `settle`.
    @discardableResult
    public func schedule(at time: Int64, label: String = "", background: Bool = false, _ action: @escaping () -> Void) -> Handle {
        let seq = nextSeq
        nextSeq += 1
        actions[seq] = (label, background, action)
        if !background { pendingWork += 1; Self.push(&workHeap, Entry(time: max(time, now), seq: seq)) }
        Self.push(&heap, Entry(time: max(time, now), seq: seq))
        return Handle(id: seq)
    }

    public func cancel(_ handle: Handle) {
        if let a = actions.removeValue(forKey: handle.id), !a.background { pendingWork -= 1 }
    }
    public func isPending(_ handle: Handle) -> Bool { actions[handle.id] != nil }

    /// Drops every pending event: the simulation is over. Their actions hold the
    /// agents that scheduled them (which hold this queue), so a cluster being torn
    /// down breaks those cycles here.
    public func discardAll() {
        actions.removeAll()
        heap.removeAll()
        workHeap.removeAll()
        pendingWork = 0
    }

    /// Labels of pending events (for "what is still changing").
    public var pendingLabels: [String] { pendingLabels(through: Int64.max) }

    /// Labels of pending work due at or before `time`.
    public func pendingLabels(through time: Int64) -> [String] {
        workHeap.filter { $0.time <= time }.compactMap { actions[$0.seq] }.filter { !$0.background }.map(\.label).filter { !$0.isEmpty }
    }

    /// Runs the next event; false when none is left.
    @discardableResult
    public func runNext() -> Bool {
        while let top = heap.first {
            Self.pop(&heap)
            guard let action = actions.removeValue(forKey: top.seq) else { continue }
            if !action.background { pendingWork -= 1 }
            now = top.time
            executed += 1
            action.run()
            return true
        }
        return false
    }

    /// Runs every event due up to `time`, then sets the clock to `time`.
    /// `shouldStop` is checked between events (Ctrl-C).
    public func run(until time: Int64, shouldStop: () -> Bool = { false }) {
        while let t = nextTime, t <= time {
            if shouldStop() { return }
            runNext()
        }
        if time > now { now = time }
    }

    // MARK: - binary heap on (time, seq)

    private static func less(_ a: Entry, _ b: Entry) -> Bool { a.time < b.time || (a.time == b.time && a.seq < b.seq) }

    private static func push(_ heap: inout [Entry], _ e: Entry) {
        heap.append(e)
        var i = heap.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if less(heap[i], heap[p]) { heap.swapAt(i, p); i = p } else { break }
        }
    }

    private static func pop(_ heap: inout [Entry]) {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        var i = 0
        let n = heap.count
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < n && less(heap[l], heap[m]) { m = l }
            if r < n && less(heap[r], heap[m]) { m = r }
            if m == i { break }
            heap.swapAt(i, m)
            i = m
        }
    }
}
