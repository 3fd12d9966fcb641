import KubeSimCore

// The IPVS table of one network namespace (Linux net/netfilter/ipvs/): virtual services
// keyed by protocol, address and port, their real servers and schedulers, and the
// connection table (IPVS+Connections.swift) that keeps a connection's later packets on
// the real server its first packet was given. kube-proxy's IPVS proxier programs it; the
// views in IPVS+Views.swift print it as ipvsadm v1.31 does; Ipvsadm.swift is the command.
// IPv4 only; firewall-mark services and the connection sync daemon are not modelled.

/// A scheduler module (net/netfilter/ipvs/ip_vs_<name>.c).
public enum IPVSScheduler: String, Sendable, CaseIterable {
    case rr, wrr, lc, wlc, dh, sh, sed, nq
}

/// How a real server is reached (IP_VS_CONN_F_FWD_MASK): ipvsadm's -m, -g and -i. kube-proxy
/// uses masquerading (NAT).
public enum IPVSForward: String, Sendable {
    case masq = "Masq", local = "Local", tunnel = "Tunnel", route = "Route"
    /// The switch `ipvsadm -S` writes (ipvsadm.c fwd_switch).
    var option: String { switch self { case .masq: "-m"; case .tunnel: "-i"; case .local, .route: "-g" } }
}

/// A virtual service's flags (include/uapi/linux/ip_vs.h IP_VS_SVC_F_*).
public struct IPVSServiceFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let persistent = IPVSServiceFlags(rawValue: 0x1)
    public static let onePacket = IPVSServiceFlags(rawValue: 0x4)
    public static let sched1 = IPVSServiceFlags(rawValue: 0x8), sched2 = IPVSServiceFlags(rawValue: 0x10), sched3 = IPVSServiceFlags(rawValue: 0x20)
    /// sh's flags are the generic scheduler flags 1 and 2 (IP_VS_SVC_F_SCHED_SH_FALLBACK/_PORT).
    public static let shFallback = sched1, shPort = sched2
    static let schedMask: IPVSServiceFlags = [.sched1, .sched2, .sched3]
}

/// What identifies a virtual service: protocol (TCP, UDP or SCTP), address and port.
public struct IPVSServiceKey: Hashable, Sendable, CustomStringConvertible {
    public var proto: IPProto
    public var address: IPv4Address
    public var port: Int
    public init(_ proto: IPProto, _ address: IPv4Address, _ port: Int) {
        self.proto = proto; self.address = address; self.port = port
    }
    public var description: String { "\(IPVS.protocolName(proto)) \(address):\(port)" }

    /// libipvs.c ipvs_cmp_services: protocol, then address, then port, each compared as a C
    /// `int` difference — the address difference wraps, as ipvsadm's sort does.
    static func ipvsadmOrder(_ a: IPVSServiceKey, _ b: IPVSServiceKey) -> Bool {
        if a.proto != b.proto { return a.proto.rawValue < b.proto.rawValue }
        let r = Int32(truncatingIfNeeded: a.address.value &- b.address.value)
        if r != 0 { return r < 0 }
        return a.port < b.port
    }
}

/// A virtual service's settings, as `ipvsadm -A|-E` or the proxier give them.
public struct IPVSServiceConfig: Sendable, Equatable {
    public var scheduler: IPVSScheduler
    /// Persistence (ClientIP session affinity) timeout in seconds; nil: not persistent.
    public var persistence: Int?
    /// Persistence granularity (`-M`): client addresses are masked with it.
    public var netmask: IPv4Address
    /// One-packet scheduling (`-o`, UDP only): every datagram is scheduled on its own.
    public var onePacket: Bool
    /// Scheduler flags 1–3 (`-b`; sh-fallback and sh-port for sh).
    public var schedFlags: IPVSServiceFlags
    public init(scheduler: IPVSScheduler = .rr, persistence: Int? = nil, netmask: IPv4Address = IPv4Address(UInt32.max),
                onePacket: Bool = false, schedFlags: IPVSServiceFlags = []) {
        self.scheduler = scheduler; self.persistence = persistence; self.netmask = netmask
        self.onePacket = onePacket; self.schedFlags = schedFlags.intersection(IPVSServiceFlags.schedMask)
    }
}

/// A real server's settings, as `ipvsadm -a|-e` or the proxier give them.
public struct IPVSDestConfig: Sendable, Equatable {
    public var weight: Int
    public var forward: IPVSForward
    /// Connection thresholds (`-x`, `-y`; 0: none): above the upper one the server is
    /// overloaded and gets no new connections until it drops below the lower one.
    public var upperThreshold: Int
    public var lowerThreshold: Int
    public init(weight: Int = 1, forward: IPVSForward = .masq, upperThreshold: Int = 0, lowerThreshold: Int = 0) {
        self.weight = weight; self.forward = forward; self.upperThreshold = upperThreshold; self.lowerThreshold = lowerThreshold
    }
}

/// What the kernel answers a table change with (ip_vs_ctl.c); ipvsadm turns the errno into
/// its message with libipvs.c ipvs_strerror, which depends on the operation.
public enum IPVSError: Error, Equatable, Sendable {
    /// EEXIST on adding a service.
    case serviceExists
    /// ESRCH: the service named is not in the table.
    case noService
    /// ENOENT on adding or editing a service: no such scheduler module.
    case schedulerNotFound
    /// EEXIST on adding a real server.
    case destinationExists
    /// ENOENT on editing or deleting a real server.
    case noDestination
    /// EINVAL: a real server address that is not unicast (ip_vs_new_dest).
    case notUnicast
    /// ERANGE: a negative weight, or a lower threshold above the upper one.
    case outOfRange
}

/// A service's or real server's counters and the rate estimator (ip_vs_est.c): every two
/// seconds each rate moves a quarter of the way to the last interval's, in fixed point.
public final class IPVSStats {
    public internal(set) var conns: UInt64 = 0, inPkts: UInt64 = 0, outPkts: UInt64 = 0, inBytes: UInt64 = 0, outBytes: UInt64 = 0
    private var last: [UInt64] = [0, 0, 0, 0, 0]
    /// cps, inpps, outpps (scaled by 2^10) and inbps, outbps (scaled by 2^5).
    private var est: [Int64] = [0, 0, 0, 0, 0]
    /// Estimator ticks done: the timer runs at every multiple of two seconds.
    private var tick: Int64
    static let period: Int64 = 2_000_000_000

    init(now: Int64) { tick = now / Self.period }

    /// Runs the estimation timer for every tick up to `now` (estimation_timer).
    func advance(to now: Int64) {
        let target = now / Self.period
        var k = tick
        while k < target {
            k += 1
            let cur = [conns, inPkts, outPkts, inBytes, outBytes]
            var moving = false
            for i in 0..<5 {
                let rate = Int64(truncatingIfNeeded: cur[i] &- last[i]) << (i < 3 ? 9 : 4)
                last[i] = cur[i]
                est[i] += (rate - est[i]) >> 2
                if rate != 0 || est[i] != 0 { moving = true }
            }
            if !moving { break }   // nothing changes until the next packet
        }
        tick = max(tick, target)
    }

    func countIn(_ bytes: Int, now: Int64) { advance(to: now); inPkts &+= 1; inBytes &+= UInt64(max(0, bytes)) }
    func countOut(_ bytes: Int, now: Int64) { advance(to: now); outPkts &+= 1; outBytes &+= UInt64(max(0, bytes)) }
    func countConn(now: Int64) { advance(to: now); conns &+= 1 }

    /// `ipvsadm -Z` (ip_vs_zero_stats): counters and rates start again from zero.
    func zero(now: Int64) {
        advance(to: now)
        conns = 0; inPkts = 0; outPkts = 0; inBytes = 0; outBytes = 0
        last = [0, 0, 0, 0, 0]; est = [0, 0, 0, 0, 0]
    }

    /// The decoded rates at `now` (ip_vs_read_estimator): connections, packets in and out
    /// per second, bytes in and out per second.
    public func rates(now: Int64) -> (cps: UInt64, inPPS: UInt64, outPPS: UInt64, inBPS: UInt64, outBPS: UInt64) {
        advance(to: now)
        func d(_ v: Int64, _ round: Int64, _ shift: Int64) -> UInt64 { UInt64(max(0, (v + round) >> shift)) }
        return (d(est[0], 0x1FF, 10), d(est[1], 0x1FF, 10), d(est[2], 0x1FF, 10), d(est[3], 0xF, 5), d(est[4], 0xF, 5))
    }
}

/// A real server (struct ip_vs_dest): address, port, weight, forwarding method, thresholds,
/// connection counters and stats. A deleted one waits in the trash while connections still
/// use it, and comes back with its counters if it is added again.
public final class IPVSRealServer {
    public let address: IPv4Address
    public let port: Int
    public internal(set) var weight: Int
    public internal(set) var forward: IPVSForward
    public internal(set) var upperThreshold: Int
    public internal(set) var lowerThreshold: Int
    /// Connections counted active (TCP ESTABLISHED and the states before it) and inactive
    /// (every other TCP state, every UDP connection), and persistence templates.
    public internal(set) var activeConns = 0
    public internal(set) var inactiveConns = 0
    public internal(set) var persistConns = 0
    /// In its service's list (IP_VS_DEST_F_AVAILABLE).
    public internal(set) var available = true
    /// Over its upper threshold (IP_VS_DEST_F_OVERLOAD).
    public internal(set) var overloaded = false
    public let stats: IPVSStats
    /// The service it belongs to (kept while it waits in the trash).
    let serviceKey: IPVSServiceKey
    weak var service: IPVSService?
    /// Connections and templates pointing at it.
    var refs = 0
    /// In the trash: since when nothing has used it.
    var idleSince: Int64?

    init(_ address: IPv4Address, _ port: Int, _ c: IPVSDestConfig, service: IPVSService, now: Int64) {
        self.address = address; self.port = port
        weight = c.weight; forward = c.forward; upperThreshold = c.upperThreshold; lowerThreshold = c.lowerThreshold
        stats = IPVSStats(now: now)
        serviceKey = service.key
        self.service = service
    }

    /// ip_vs_dest_conn_overhead: an active connection weighs 256 inactive ones.
    var overhead: Int { (activeConns << 8) + inactiveConns }
    var totalConns: Int { activeConns + inactiveConns }
}

/// A virtual service (struct ip_vs_service) and its real servers, in the kernel's list
/// order: a new real server goes to the head (list_add_rcu), which is the order the
/// schedulers walk.
public final class IPVSService {
    public let key: IPVSServiceKey
    public internal(set) var scheduler: IPVSScheduler
    public internal(set) var flags: IPVSServiceFlags
    /// Persistence timeout in seconds (meaningful when persistent).
    public internal(set) var timeout: Int
    public internal(set) var netmask: IPv4Address
    public internal(set) var destinations: [IPVSRealServer] = []
    public let stats: IPVSStats
    /// The scheduler's private data (svc->sched_data), IPVS+Schedulers.swift.
    var sched = SchedulerState()

    init(key: IPVSServiceKey, config c: IPVSServiceConfig, now: Int64) {
        self.key = key
        scheduler = c.scheduler
        flags = []; timeout = 0; netmask = c.netmask
        stats = IPVSStats(now: now)
        apply(c)
    }

    func apply(_ c: IPVSServiceConfig) {
        var f = c.schedFlags
        if c.persistence != nil { f.insert(.persistent) }
        if c.onePacket { f.insert(.onePacket) }
        flags = f
        timeout = c.persistence ?? 0
        netmask = c.netmask
    }

    public var persistent: Bool { flags.contains(.persistent) }
    public var config: IPVSServiceConfig {
        IPVSServiceConfig(scheduler: scheduler, persistence: persistent ? timeout : nil, netmask: netmask,
                          onePacket: flags.contains(.onePacket), schedFlags: flags)
    }
    public func destination(_ address: IPv4Address, _ port: Int) -> IPVSRealServer? {
        destinations.first { $0.address == address && $0.port == port }
    }
}

/// The IPVS state of one network namespace (struct netns_ipvs).
public final class IPVS {
    /// IP_VS_VERSION_CODE and the connection hash table size (CONFIG_IP_VS_TAB_BITS 12).
    public static let version = "1.2.1"
    public static let connectionTableSize = 4096
    /// ip_vs_proto_tcp.c / _udp.c defaults for the timeouts `ipvsadm --set` changes (seconds).
    public struct Timeouts: Sendable, Equatable {
        public var tcp = 900, tcpFin = 120, udp = 300
        public init() {}
    }
    /// The /proc/sys/net/ipv4/vs settings the model reads (kernel defaults; kube-proxy sets
    /// expire_nodest_conn and expire_quiescent_template to 1).
    public struct Sysctl: Sendable, Equatable {
        public var expireNodestConn = false
        public var expireQuiescentTemplate = false
        public var connReuseMode = 1
        public init() {}
    }

    public private(set) var services: [IPVSServiceKey: IPVSService] = [:]
    /// Services in the order they were added (`--nosort`).
    var order: [IPVSServiceKey] = []
    var trash: [IPVSRealServer] = []
    public var timeouts = Timeouts()
    public var sysctl = Sysctl()
    /// Services whose port is 0 (persistent catch-all services), for the lookup fallback.
    var portZeroServices = 0

    // The connection table (IPVS+Connections.swift).
    var conns: [UInt64: IPVSConnection] = [:]
    var byIn: [IPVSConnKey: IPVSConnection] = [:]
    var byOut: [IPVSConnKey: IPVSConnection] = [:]
    var templateIndex: [IPVSConnKey: IPVSConnection] = [:]
    var nextConnID: UInt64 = 1
    var nextExpiry: Int64 = .max

    public init() {}

    static func protocolName(_ p: IPProto) -> String {
        switch p { case .tcp: "TCP"; case .udp: "UDP"; case .sctp: "SCTP"; default: "?" }
    }

    public func service(_ key: IPVSServiceKey) -> IPVSService? { services[key] }

    /// Services in ipvsadm's listing order (or the order they were added).
    public func sortedServices(sorted: Bool = true) -> [IPVSService] {
        let keys = sorted ? order.sorted(by: IPVSServiceKey.ipvsadmOrder) : order
        return keys.compactMap { services[$0] }
    }

    // MARK: - services (ip_vs_ctl.c)

    /// `ipvsadm -A` (ip_vs_add_service).
    @discardableResult
    public func addService(_ key: IPVSServiceKey, _ config: IPVSServiceConfig = IPVSServiceConfig(), now: Int64 = 0) throws(IPVSError) -> IPVSService {
        guard services[key] == nil else { throw .serviceExists }
        let s = IPVSService(key: key, config: config, now: now)
        services[key] = s
        order.append(key)
        if key.port == 0 { portZeroServices += 1 }
        s.initScheduler()
        return s
    }

    /// `ipvsadm -E` (ip_vs_edit_service): flags, timeout and mask are replaced; a new
    /// scheduler starts from its initial state.
    public func editService(_ key: IPVSServiceKey, _ config: IPVSServiceConfig) throws(IPVSError) {
        guard let s = services[key] else { throw .noService }
        s.apply(config)
        if s.scheduler != config.scheduler {
            s.scheduler = config.scheduler
            s.initScheduler()
        }
    }

    /// `ipvsadm -D` (ip_vs_del_service): its real servers go to the trash; connections
    /// already made keep their entries until they expire.
    public func deleteService(_ key: IPVSServiceKey, now: Int64 = 0) throws(IPVSError) {
        guard let s = services[key] else { throw .noService }
        for d in s.destinations { retire(d, now: now) }
        s.destinations.removeAll()
        services.removeValue(forKey: key)
        order.removeAll { $0 == key }
        if key.port == 0 { portZeroServices -= 1 }
    }

    /// `ipvsadm -C` (ip_vs_flush).
    public func flush(now: Int64 = 0) {
        for k in order { try? deleteService(k, now: now) }
    }

    /// `ipvsadm -Z [service]` (ip_vs_zero_service, ip_vs_zero_all).
    public func zero(_ key: IPVSServiceKey? = nil, now: Int64 = 0) throws(IPVSError) {
        let targets: [IPVSService]
        if let key {
            guard let s = services[key] else { throw .noService }
            targets = [s]
        } else {
            targets = order.compactMap { services[$0] }
        }
        for s in targets {
            for d in s.destinations { d.stats.zero(now: now) }
            s.stats.zero(now: now)
        }
    }

    /// `ipvsadm --set tcp tcpfin udp` (ip_vs_set_timeout): 0 leaves a value as it is.
    public func setTimeouts(tcp: Int, tcpFin: Int, udp: Int) {
        if tcp > 0 { timeouts.tcp = tcp }
        if tcpFin > 0 { timeouts.tcpFin = tcpFin }
        if udp > 0 { timeouts.udp = udp }
    }

    // MARK: - real servers

    /// `ipvsadm -a` (ip_vs_add_dest): a server deleted from this service that is still in the
    /// trash comes back with its counters and stats; otherwise the address must be unicast.
    @discardableResult
    public func addDestination(to key: IPVSServiceKey, _ address: IPv4Address, _ port: Int,
                               _ config: IPVSDestConfig = IPVSDestConfig(), now: Int64 = 0) throws(IPVSError) -> IPVSRealServer {
        guard let s = services[key] else { throw .noService }
        try Self.check(config)
        guard s.destination(address, port) == nil else { throw .destinationExists }
        purgeTrash(now: now)
        let d: IPVSRealServer
        if let i = trash.firstIndex(where: { $0.serviceKey == key && $0.address == address && $0.port == port }) {
            d = trash.remove(at: i)
            d.idleSince = nil
            if d.service !== s { d.stats.zero(now: now); d.service = s }
        } else {
            // inet_addr_type: 0.0.0.0/8 and 255.255.255.255 are broadcast, 224.0.0.0/4 multicast.
            let v = address.value
            guard v >> 24 != 0, v != UInt32.max, v >> 28 != 0xE else { throw .notUnicast }
            d = IPVSRealServer(address, port, config, service: s, now: now)
        }
        update(d, config)
        d.available = true
        s.destinations.insert(d, at: 0)
        s.destinationAdded(d)
        return d
    }

    /// `ipvsadm -e` (ip_vs_edit_dest).
    public func editDestination(in key: IPVSServiceKey, _ address: IPv4Address, _ port: Int, _ config: IPVSDestConfig) throws(IPVSError) {
        guard let s = services[key] else { throw .noService }
        try Self.check(config)
        guard let d = s.destination(address, port) else { throw .noDestination }
        update(d, config)
        s.destinationUpdated(d)
    }

    /// `ipvsadm -d` (ip_vs_del_dest): unlinked from the service and put in the trash.
    public func deleteDestination(from key: IPVSServiceKey, _ address: IPv4Address, _ port: Int, now: Int64 = 0) throws(IPVSError) {
        guard let s = services[key] else { throw .noService }
        guard let i = s.destinations.firstIndex(where: { $0.address == address && $0.port == port }) else { throw .noDestination }
        let d = s.destinations[i]
        s.destinationRemoving(at: i)
        s.destinations.remove(at: i)
        s.destinationRemoved(d)
        retire(d, now: now)
    }

    static func check(_ c: IPVSDestConfig) throws(IPVSError) {
        if c.weight < 0 || c.lowerThreshold > c.upperThreshold { throw .outOfRange }
    }

    /// __ip_vs_update_dest: weight, method and thresholds; raising (or clearing) the upper
    /// threshold lifts the overload.
    private func update(_ d: IPVSRealServer, _ c: IPVSDestConfig) {
        d.weight = c.weight
        d.forward = c.forward
        if c.upperThreshold == 0 || c.upperThreshold > d.upperThreshold { d.overloaded = false }
        d.upperThreshold = c.upperThreshold
        d.lowerThreshold = c.lowerThreshold
    }

    /// __ip_vs_unlink_dest and __ip_vs_del_dest: no longer available, kept in the trash.
    private func retire(_ d: IPVSRealServer, now: Int64) {
        d.available = false
        if d.refs == 0 { d.idleSince = now }
        trash.append(d)
    }

    /// ip_vs_dest_trash_expire: a trashed server nothing has used for IP_VS_DEST_TRASH_PERIOD
    /// (120 s) is freed.
    func purgeTrash(now: Int64) {
        trash.removeAll { d in d.refs == 0 && (d.idleSince.map { now - $0 >= 120 * IPVS.second } ?? false) }
    }
}
