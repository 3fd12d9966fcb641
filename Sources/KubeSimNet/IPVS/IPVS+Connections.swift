import KubeSimCore

// The IPVS connection table (ip_vs_conn.c) and the packet side of ip_vs_core.c: a client's
// first packet to a virtual service is scheduled to a real server and recorded; its later
// packets, and the real server's replies, find that entry. Entries expire after the
// protocol's state timeout (ip_vs_proto_tcp.c, _udp.c); persistent services keep a
// template per client address that sends the client's new connections to the same server.

/// A connection-table key: protocol, then two addresses and ports (client and virtual for
/// the way in, real server and client for the way out).
struct IPVSConnKey: Hashable {
    var proto: IPProto
    var a: IPv4Address, ap: Int, b: IPv4Address, bp: Int
}

/// ip_vs_proto_tcp.c IP_VS_TCP_S_*: the states, their names and default timeouts, and which
/// count as active connections (tcp_state_active_table).
public enum IPVSTCPState: Int, Sendable, CaseIterable {
    case none, established, synSent, synRecv, finWait, timeWait, close, closeWait, lastAck, listen, synAck

    public var name: String {
        ["NONE", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "SYNACK"][rawValue]
    }
    /// tcp_timeouts[] in seconds (ESTABLISHED and FIN_WAIT as `ipvsadm --set` left them).
    func timeout(_ t: IPVS.Timeouts) -> Int64 {
        switch self {
        case .established: Int64(t.tcp)
        case .finWait: Int64(t.tcpFin)
        default: [2, 900, 120, 60, 120, 120, 10, 60, 30, 120, 120][rawValue]
        }
    }
    var active: Bool { self == .established || self == .synSent || self == .synRecv || self == .synAck }

    /// tcp_states[]: rows syn, fin, ack, rst for the INPUT, OUTPUT and INPUT-ONLY directions;
    /// columns the current state (NO ES SS SR FW TW CL CW LA LI SA).
    static let table: [[IPVSTCPState]] = {
        let code: [Substring: IPVSTCPState] = ["NO": .none, "ES": .established, "SS": .synSent, "SR": .synRecv, "FW": .finWait,
                                               "TW": .timeWait, "CL": .close, "CW": .closeWait, "LA": .lastAck, "LI": .listen, "SA": .synAck]
        return [
            // INPUT: syn, fin, ack, rst
            "SR ES ES SR SR SR SR SR SR SR SR", "CL CW SS TW TW TW CL CW LA LI TW",
            "ES ES SS ES FW TW CL CW CL LI ES", "CL CL CL SR CL CL CL CL LA LI SR",
            // OUTPUT
            "SS ES SS SR SS SS SS SS SS LI SR", "TW FW SS TW FW TW CL TW LA LI TW",
            "ES ES SS ES FW TW CL CW LA ES ES", "CL CL SS CL CL TW CL CL CL CL CL",
            // INPUT-ONLY
            "SR ES ES SR SR SR SR SR SR SR SR", "CL FW SS TW FW TW CL CW LA LI TW",
            "ES ES SS ES FW TW CL CW CL LI ES", "CL CL CL SR CL CL CL CL LA LI CL",
        ].map { $0.split(separator: " ").map { code[$0]! } }
    }()
}

/// One entry of the connection table (struct ip_vs_conn): a connection, or a persistence
/// template (client address masked by the service's netmask, client port 0).
public final class IPVSConnection {
    public let id: UInt64
    public let proto: IPProto
    public let client: IPv4Address
    public internal(set) var clientPort: Int
    public let virtualAddress: IPv4Address
    public internal(set) var virtualPort: Int
    /// The real server and the port packets are sent to.
    public let dest: IPVSRealServer
    public internal(set) var destPort: Int
    public let isTemplate: Bool
    /// Simulated time (ns) at which the entry expires unless a packet renews it.
    public internal(set) var expires: Int64 = 0
    public internal(set) var tcpState: IPVSTCPState = .none
    /// Seconds a packet renews the entry for (cp->timeout).
    var timeout: Int64 = 3
    /// IP_VS_CONN_F_INACTIVE: counted in the server's inactive connections.
    var inactive = true
    /// IP_VS_CONN_F_NOOUTPUT: not masqueraded, so replies do not come back through here.
    var noOutput: Bool
    var onePacket = false
    /// A template turned ASSURED once a connection it controls was answered.
    var assured = false
    var sctpUp = false
    /// The template this connection was scheduled by, and how many a template controls.
    var control: IPVSConnection?
    var nControl = 0

    init(id: UInt64, proto: IPProto, client: IPv4Address, clientPort: Int, virtual: IPv4Address, virtualPort: Int,
         dest: IPVSRealServer, destPort: Int, template: Bool) {
        self.id = id; self.proto = proto; self.client = client; self.clientPort = clientPort
        virtualAddress = virtual; self.virtualPort = virtualPort
        self.dest = dest; self.destPort = destPort; isTemplate = template
        noOutput = dest.forward != .masq
    }

    public var destAddress: IPv4Address { dest.address }

    /// The state column of /proc/net/ip_vs_conn (ip_vs_state_name).
    public var stateName: String {
        if isTemplate { return assured ? "ASSURED" : "NONE" }
        switch proto {
        case .tcp: return tcpState.name
        case .udp: return "UDP"
        case .sctp: return sctpUp ? "ESTABLISHED" : "INIT1"
        default: return "ERR!"
        }
    }

    /// Whole seconds left, as /proc/net/ip_vs_conn prints them.
    public func secondsLeft(now: Int64) -> Int64 { max(0, (expires - now) / IPVS.second) }

    var inKey: IPVSConnKey { IPVSConnKey(proto: proto, a: client, ap: clientPort, b: virtualAddress, bp: virtualPort) }
    var outKey: IPVSConnKey { IPVSConnKey(proto: proto, a: dest.address, ap: destPort, b: client, bp: clientPort) }
}

/// What IPVS does with a packet arriving for a virtual service (ip_vs_in).
public enum IPVSVerdict {
    /// Not IPVS traffic (no service, or a TCP segment other than a SYN with no connection):
    /// the packet goes on as normal.
    case pass
    /// Send it to the connection's real server (DNAT to `dest.address:destPort` for Masq).
    case forward(IPVSConnection)
    /// Silently dropped (its connection's real server was removed).
    case drop
    /// The service has no available real server: ICMP port unreachable (ip_vs_leave).
    case reject
}

extension IPVS {
    static let second: Int64 = 1_000_000_000

    /// A packet from a client (ip_vs_in): its connection, or a new one scheduled; counts it
    /// and moves the connection's state. `oldConntrack`: the packet belongs to a conntrack
    /// entry of an earlier connection (with net.ipv4.vs.conntrack, such a packet is dropped
    /// rather than rescheduled).
    public func inbound(_ p: NFPacket, now: Int64, oldConntrack: Bool = false) -> IPVSVerdict {
        guard p.proto == .tcp || p.proto == .udp || p.proto == .sctp else { return .pass }
        expire(now: now)
        var cp = byIn[IPVSConnKey(proto: p.proto, a: p.src, ap: p.sport, b: p.dst, bp: p.dport)]
        // A SYN on an entry that is closing, or whose server was quiesced: schedule afresh.
        if let c = cp, sysctl.connReuseMode != 0, p.proto == .tcp, p.tcpFlags.contains(.syn) {
            var resched = false
            if sysctl.expireNodestConn && c.dest.weight == 0 {
                resched = true
            } else if c.control == nil,
                      c.tcpState == .timeWait || c.tcpState == .close
                        || (sysctl.connReuseMode & 2 != 0 && c.tcpState == .finWait && c.noOutput) {
                resched = c.nControl == 0 || !oldConntrack
            }
            if resched {
                if c.nControl == 0 { remove(c, at: now) }
                if oldConntrack { return .drop }
                cp = nil
            }
        }
        // The real server was deleted: drop, or with expire_nodest_conn start again.
        if let c = cp, !c.dest.available {
            guard sysctl.expireNodestConn else { return .drop }
            remove(c, at: now)
            if oldConntrack { return .drop }
            cp = nil
        }
        let c: IPVSConnection
        if let cp {
            c = cp
        } else {
            switch scheduleNew(p, now: now) {
            case .pass: return .pass
            case .reject: return .reject
            case .connection(let n): c = n
            }
        }
        if c.dest.available {
            c.dest.stats.countIn(p.length, now: now)
            c.dest.service?.stats.countIn(p.length, now: now)
        }
        transition(c, input: true, flags: p.tcpFlags)
        if c.onePacket { unbind(c, at: now) } else { renew(c, now: now) }
        return .forward(c)
    }

    /// The real server a client's packet goes to (a new connection is scheduled if needed),
    /// or nil when IPVS does not forward it.
    public func schedule(_ p: NFPacket, now: Int64) -> IPVSRealServer? {
        if case .forward(let c) = inbound(p, now: now) { return c.dest }
        return nil
    }

    /// A reply from a masqueraded real server to its client (ip_vs_out, handle_response):
    /// the connection, whose virtual address and port the reply's source becomes again.
    public func outbound(_ p: NFPacket, now: Int64) -> IPVSConnection? {
        guard p.proto == .tcp || p.proto == .udp || p.proto == .sctp else { return nil }
        expire(now: now)
        guard let c = byOut[IPVSConnKey(proto: p.proto, a: p.src, ap: p.sport, b: p.dst, bp: p.dport)],
              c.dest.forward == .masq else { return nil }
        if c.dest.available {
            c.dest.stats.countOut(p.length, now: now)
            c.dest.service?.stats.countOut(p.length, now: now)
        }
        transition(c, input: false, flags: p.tcpFlags)
        renew(c, now: now)
        return c
    }

    /// The live connection a client's packet belongs to, without counting or changing it.
    public func connection(for p: NFPacket, now: Int64) -> IPVSConnection? {
        guard let c = byIn[IPVSConnKey(proto: p.proto, a: p.src, ap: p.sport, b: p.dst, bp: p.dport)], c.expires > now else { return nil }
        return c
    }

    /// Every live entry, connections and templates, oldest first (the kernel lists its hash
    /// table, seeded at random; creation order keeps transcripts stable).
    public func connections(now: Int64) -> [IPVSConnection] {
        expire(now: now)
        return conns.values.sorted { $0.id < $1.id }
    }

    /// ip_vs_service_find: the service, or a persistent port-zero one on the address.
    func findService(_ proto: IPProto, _ addr: IPv4Address, _ port: Int) -> IPVSService? {
        if let s = services[IPVSServiceKey(proto, addr, port)] { return s }
        return portZeroServices > 0 ? services[IPVSServiceKey(proto, addr, 0)] : nil
    }

    enum Scheduled { case pass, reject, connection(IPVSConnection) }

    /// *_conn_schedule and ip_vs_schedule: TCP schedules only on a SYN; no usable real
    /// server (or a port-zero service that is not persistent) rejects.
    func scheduleNew(_ p: NFPacket, now: Int64) -> Scheduled {
        guard let svc = findService(p.proto, p.dst, p.dport) else { return .pass }
        if p.proto == .tcp && !(p.tcpFlags.contains(.syn) && !p.tcpFlags.contains(.rst)) { return .pass }
        let ops = svc.flags.contains(.onePacket) && p.proto == .udp
        if svc.persistent { return schedulePersistent(svc, p, onePacket: ops, now: now) }
        guard svc.key.port == p.dport, let d = svc.pick(p) else { return .reject }
        let c = newConnection(p.proto, p.src, p.sport, p.dst, p.dport, d, d.port != 0 ? d.port : p.dport, template: false, onePacket: ops, now: now)
        countConnection(c, svc, now: now)
        return .connection(c)
    }

    /// ip_vs_sched_persist: the client's template <proto, caddr & mask, 0, vaddr, vport,
    /// daddr, dport> names the server (vport and dport 0 for a port-zero service); without a
    /// valid one the scheduler picks and a template is made. Each new connection restarts
    /// the template's timer.
    private func schedulePersistent(_ svc: IPVSService, _ p: NFPacket, onePacket: Bool, now: Int64) -> Scheduled {
        let snet = IPv4Address(p.src.value & svc.netmask.value)
        let portMatch = p.dport == svc.key.port && svc.key.port != 21   // FTP keeps port 0 templates
        let tkey = IPVSConnKey(proto: p.proto, a: snet, ap: 0, b: p.dst, bp: portMatch ? p.dport : 0)
        var ct = templateIndex[tkey]
        if let t = ct, !checkTemplate(t) { ct = nil }
        if ct == nil {
            guard let d = svc.pick(p) else { return .reject }
            let t = newConnection(p.proto, snet, 0, p.dst, portMatch ? p.dport : 0, d, portMatch ? d.port : 0, template: true, onePacket: false, now: now)
            t.timeout = Int64(svc.timeout)
            ct = t
        }
        let t = ct!
        let dport = p.dport == svc.key.port && t.dest.port != 0 ? t.dest.port : p.dport
        let c = newConnection(p.proto, p.src, p.sport, p.dst, p.dport, t.dest, dport, template: false, onePacket: onePacket, now: now)
        c.control = t
        t.nControl += 1
        renew(t, now: now)
        countConnection(c, svc, now: now)
        return .connection(c)
    }

    /// ip_vs_check_template: a template whose server is gone (or quiesced, with
    /// expire_quiescent_template) is invalidated — its ports become 65535 and it only waits
    /// to expire.
    private func checkTemplate(_ t: IPVSConnection) -> Bool {
        if t.dest.available && !(sysctl.expireQuiescentTemplate && t.dest.weight == 0) { return true }
        if t.virtualPort != 0xFFFF {
            if templateIndex[t.inKey] === t { templateIndex.removeValue(forKey: t.inKey) }
            t.destPort = 0xFFFF; t.virtualPort = 0xFFFF; t.clientPort = 0
        }
        return false
    }

    /// ip_vs_conn_new and ip_vs_bind_dest: a new entry counted on its server (inactive until
    /// its state says otherwise; templates as persistent connections).
    private func newConnection(_ proto: IPProto, _ caddr: IPv4Address, _ cport: Int, _ vaddr: IPv4Address, _ vport: Int,
                               _ d: IPVSRealServer, _ dport: Int, template: Bool, onePacket: Bool, now: Int64) -> IPVSConnection {
        let c = IPVSConnection(id: nextConnID, proto: proto, client: caddr, clientPort: cport, virtual: vaddr, virtualPort: vport,
                               dest: d, destPort: dport, template: template)
        nextConnID += 1
        c.onePacket = onePacket
        if template { d.persistConns += 1 } else { d.inactiveConns += 1 }
        d.refs += 1
        d.idleSince = nil
        if d.upperThreshold != 0 && d.totalConns >= d.upperThreshold { d.overloaded = true }
        guard !onePacket else { return c }   // one-packet entries are never hashed
        conns[c.id] = c
        if template { templateIndex[c.inKey] = c } else { byIn[c.inKey] = c; byOut[c.outKey] = c }
        return c
    }

    /// ip_vs_conn_stats: a connection counted on its server and service.
    private func countConnection(_ c: IPVSConnection, _ svc: IPVSService, now: Int64) {
        c.dest.stats.countConn(now: now)
        svc.stats.countConn(now: now)
    }

    private func renew(_ c: IPVSConnection, now: Int64) {
        c.expires = now + c.timeout * Self.second
        nextExpiry = min(nextExpiry, c.expires)
    }

    /// The protocol's state_transition: TCP's state table (set_tcp_state) with the counters
    /// moved between active and inactive; UDP's single state; SCTP simplified to INIT1 until
    /// the server answers, then ESTABLISHED. A connection answered assures its template.
    private func transition(_ c: IPVSConnection, input: Bool, flags: TCPFlags) {
        switch c.proto {
        case .tcp:
            var off = input ? 0 : 4
            if c.noOutput { if input { off = 8 } else { c.noOutput = false } }
            let idx = flags.contains(.rst) ? 3 : flags.contains(.syn) ? 0 : flags.contains(.fin) ? 1 : flags.contains(.ack) ? 2 : -1
            let new = idx < 0 ? IPVSTCPState.close : IPVSTCPState.table[off + idx][c.tcpState.rawValue]
            if new != c.tcpState {
                setActive(c, new.active)
                if new == .established { assure(c) }
            }
            c.tcpState = new
            c.timeout = new.timeout(timeouts)
        case .udp:
            c.timeout = Int64(timeouts.udp)
            if !input { assure(c) }
        default:
            if !input && !c.sctpUp { c.sctpUp = true; setActive(c, true); assure(c) }
            c.timeout = c.sctpUp ? 900 : 10
        }
    }

    private func setActive(_ c: IPVSConnection, _ active: Bool) {
        if !c.inactive && !active {
            c.dest.activeConns -= 1; c.dest.inactiveConns += 1; c.inactive = true
        } else if c.inactive && active {
            c.dest.activeConns += 1; c.dest.inactiveConns -= 1; c.inactive = false
        }
    }

    /// ip_vs_control_assure_ct.
    private func assure(_ c: IPVSConnection) {
        if let t = c.control, t.isTemplate { t.assured = true }
    }

    /// Expires every entry due by `now`, in time order (ip_vs_conn_expire): a template that
    /// still controls connections is re-armed for another timeout instead.
    public func expire(now: Int64) {
        guard now >= nextExpiry else { return }
        var due = conns.values.filter { $0.expires <= now }.sorted { ($0.expires, $0.id) < ($1.expires, $1.id) }
        var i = 0
        while i < due.count {
            let c = due[i]
            i += 1
            guard conns[c.id] === c else { continue }
            if c.nControl > 0 {
                c.expires += max(1, c.timeout) * Self.second
                if c.expires <= now {
                    let j = due[i...].firstIndex { ($0.expires, $0.id) > (c.expires, c.id) } ?? due.count
                    due.insert(c, at: j)
                }
                continue
            }
            remove(c, at: c.expires)
        }
        purgeTrash(now: now)
        nextExpiry = conns.values.lazy.map(\.expires).min() ?? .max
    }

    /// Unhashes an entry and lets go of its server and template.
    func remove(_ c: IPVSConnection, at time: Int64) {
        conns.removeValue(forKey: c.id)
        if c.isTemplate {
            if templateIndex[c.inKey] === c { templateIndex.removeValue(forKey: c.inKey) }
        } else {
            if byIn[c.inKey] === c { byIn.removeValue(forKey: c.inKey) }
            if byOut[c.outKey] === c { byOut.removeValue(forKey: c.outKey) }
        }
        unbind(c, at: time)
    }

    /// ip_vs_unbind_dest and ip_vs_control_del: counters down, the overload lifted below the
    /// lower threshold (or three quarters of the upper one).
    private func unbind(_ c: IPVSConnection, at time: Int64) {
        let d = c.dest
        if c.isTemplate { d.persistConns -= 1 } else if c.inactive { d.inactiveConns -= 1 } else { d.activeConns -= 1 }
        if d.lowerThreshold != 0 {
            if d.totalConns < d.lowerThreshold { d.overloaded = false }
        } else if d.upperThreshold != 0 {
            if d.totalConns * 4 < d.upperThreshold * 3 { d.overloaded = false }
        } else {
            d.overloaded = false
        }
        d.refs -= 1
        if d.refs == 0 && !d.available { d.idleSince = time }
        if let t = c.control { t.nControl -= 1; c.control = nil }
    }
}
