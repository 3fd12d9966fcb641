import KubeSimCore

/// etcd as a Raft group (a simplified raft, go.etcd.io/raft): members elect a leader for
/// a term; the leader appends every write to its log and commits it once a majority
/// holds it. With a majority down there is no leader and no commit: writes fail with
/// the error the API server passes on, nothing acknowledged is lost, and members that
/// come back catch up from the leader's log.
public final class RaftGroup {
    public final class Member {
        public let name: String
        public let id: String
        public let endpoint: String
        public internal(set) var up = true
        public internal(set) var term: Int64 = 1
        /// Last log index this member holds (appended) and has applied.
        public internal(set) var index: Int64 = 0
        public internal(set) var applied: Int64 = 0
        init(name: String, id: String, endpoint: String) { self.name = name; self.id = id; self.endpoint = endpoint }
    }

    public let members: [Member]
    public private(set) var leader: Member?
    public private(set) var term: Int64 = 1
    /// The committed index (the last write a majority holds).
    public private(set) var commitIndex: Int64 = 0
    let clock: EventQueue
    let random: () -> UInt64
    var electionTimer: EventQueue.Handle?
    /// etcd defaults: heartbeat 100 ms, election timeout 1000 ms (randomised up to 2×).
    public static let electionTimeout = SimDuration.milliseconds(1000)
    public static let version = "3.5.12"

    public init(size: Int, clock: EventQueue, random: @escaping () -> UInt64) {
        self.clock = clock
        self.random = random
        members = (1...max(1, size)).map { i in
            var h: UInt64 = 0x8e9e05c52164694d &* UInt64(i) &+ 0x9e3779b97f4a7c15
            h ^= h >> 29
            let hex = String(h, radix: 16)
            return Member(name: "etcd-\(i)", id: String(repeating: "0", count: 16 - hex.count) + hex, endpoint: "https://192.168.56.\(i + 1):2379")
        }
        leader = members.first
    }

    public var quorum: Int { members.count / 2 + 1 }
    public var alive: [Member] { members.filter(\.up) }
    public var hasQuorum: Bool { alive.count >= quorum }

    public func member(_ name: String) -> Member? { members.first { $0.name == name } }

    /// Before a write: a leader with a majority behind it, or the API server's error.
    func requireCommit() throws {
        guard leader != nil, hasQuorum else {
            throw APIError(reason: "", message: leader == nil && hasQuorum ? "etcdserver: leader changed" : "etcdserver: request timed out")
        }
    }

    /// After a write: appended on every member that is up, committed (majority).
    func committed() {
        commitIndex += 1
        for m in members where m.up { m.index = commitIndex; m.applied = commitIndex; m.term = term }
    }

    /// `fail etcd NAME`.
    public func fail(_ name: String) -> Bool {
        guard let m = member(name), m.up else { return false }
        m.up = false
        if leader === m {
            leader = nil
            scheduleElection()
        }
        return true
    }

    /// `recover etcd NAME`: it restarts, catches up from the leader's log, and an
    /// election follows if the group had none.
    public func recover(_ name: String) -> Bool {
        guard let m = member(name), !m.up else { return false }
        m.up = true
        if leader != nil {
            m.index = commitIndex
            m.applied = commitIndex
            m.term = term
        } else {
            scheduleElection()
        }
        return true
    }

    /// A candidate with the most complete log wins the votes of a majority after a
    /// randomised election timeout; without a majority, nobody wins and it tries again.
    func scheduleElection() {
        if let t = electionTimer { clock.cancel(t) }
        let jitter = Int64(random() % UInt64(Self.electionTimeout.nanoseconds))
        electionTimer = clock.schedule(after: SimDuration(nanoseconds: Self.electionTimeout.nanoseconds + jitter), label: "etcd leader election", background: !hasQuorum) { [weak self] in
            guard let self else { return }
            self.electionTimer = nil
            self.term += 1
            let candidates = self.alive.sorted { $0.index != $1.index ? $0.index > $1.index : $0.name < $1.name }
            if self.hasQuorum, let winner = candidates.first {
                self.leader = winner
                for m in self.alive { m.term = self.term; m.index = max(m.index, winner.index); m.applied = m.index }
                self.commitIndex = winner.index
            } else {
                for m in self.alive { m.term = self.term }
                self.scheduleElection()
            }
        }
    }
}
