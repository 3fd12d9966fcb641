import KubeSimCore

/// The netfilter subsystem of one network namespace: the iptables tables, ipsets,
/// connection tracking and the kernel log. Agents (the CNI plugin, kube-proxy, a learner
/// typing `iptables`) write it; packets walk it hook by hook; the tools' views print it.
public final class Netfilter {
    public let raw = NFTable(.raw), mangle = NFTable(.mangle), nat = NFTable(.nat), filter = NFTable(.filter)
    public let conntrack = Conntrack()
    /// The namespace's nftables ruleset (kube-proxy's nftables mode writes `ip kube-proxy`).
    public let nftables = Nftables()
    public var ipsets: [String: IPSet] = [:]
    /// The kernel ring buffer's netfilter lines (`-j LOG`), as `dmesg` prints them.
    public var dmesg: [String] = []
    /// xt_recent's lists: name → source address → hit times.
    var recent: [String: [UInt32: [Int64]]] = [:]
    /// IPVS's LOCAL_IN hook (set when the node has virtual services): true when it took
    /// the packet (HookResult.stolen says where it went).
    public var localIn: ((inout NFPacket, inout CTPass, inout HookResult, Int64) -> Bool)?
    /// IPVS's FORWARD hook: the answers of its connections translated back.
    public var forwardOut: ((inout NFPacket, inout HookResult, Int64) -> Void)?
    /// iptables-restore's parses of the last restore's lines (IptablesRestore.runCached).
    var restoreCache = RestoreCache()
    /// nfacct objects (`nfacct list`): name → packets and bytes counted by `-m nfacct`.
    public var nfacct: [String: (packets: UInt64, bytes: UInt64)] = [:]
    /// The namespace's own addresses (`-m addrtype --dst-type LOCAL`).
    public var isLocal: (IPv4Address) -> Bool = { _ in false }
    /// An address of one device (`--limit-iface-in|out`).
    public var isLocalOn: (IPv4Address, String) -> Bool = { _, _ in false }
    /// The seeded source (`-m statistic --mode random`): 32 random bits.
    public var random: () -> UInt32 = { 0 }
    /// The address MASQUERADE gives a packet leaving by a device toward a destination.
    public var masqueradeSource: (_ outDev: String, _ dst: IPv4Address) -> IPv4Address? = { _, _ in nil }
    /// The address REDIRECT sends to: the incoming device's primary address.
    public var deviceAddress: (_ dev: String) -> IPv4Address? = { _ in nil }
    /// The port `--random-fully` draws for a connection (a deterministic mix of its tuple).
    public var drawPort: (FlowTuple) -> Int = { 1024 + ($0.sport &* 7919) % 64512 }
    /// The kernel's uptime clock for `-j LOG` lines (simulated ns since boot).
    public var uptime: (Int64) -> Int64 = { $0 }
    /// Scratch for chain jumps (single-threaded; a traversal never nests).
    /// A jump's return point: the calling chain and the rule after the jump.
    struct Frame { let chain: Chain; let next: Int }
    private var frames: [Frame] = []

    public init() {}

    public func table(_ n: NFTableName) -> NFTable {
        switch n { case .raw: raw; case .mangle: mangle; case .nat: nat; case .filter: filter }
    }
    public var tables: [NFTable] { [raw, mangle, nat, filter] }

    // MARK: - hooks

    /// One hook on a packet: the tables registered there in priority order, conntrack
    /// between raw and mangle (−200), NAT for a connection's first packet from the nat
    /// table and for the rest from its conntrack entry, confirmation at the last hook.
    public func run(_ hook: NFHook, _ p: inout NFPacket, ct: inout CTPass, now: Int64, record: Bool) -> HookResult {
        var res = HookResult(recording: record)
        if let m = ct.mark { p.mark = m }
        if let st = ct.state { p.ctState = st }
        defer { ct.mark = p.mark; ct.state = p.ctState }
        if nftables.hooked { runInterleaved(hook, &p, &ct, &res, now: now, record: record); return res }
        switch hook {
        case .prerouting, .output:
            traverse(raw, hook, &p, &ct, &res, now: now, record: record)
            guard res.verdict.accepted else { return res }
            track(&p, &ct, &res, now: now, record: record)
            traverse(mangle, hook, &p, &ct, &res, now: now, record: record)
            guard res.verdict.accepted else { return res }
            if ct.isNew {
                traverse(nat, hook, &p, &ct, &res, now: now, record: record)
                guard res.verdict.accepted else { return res }
            } else {
                natFromEntry(&p, ct, destination: true, &res, record: record)
            }
            if hook == .output { traverse(filter, hook, &p, &ct, &res, now: now, record: record) }
        case .forward:
            traverse(mangle, hook, &p, &ct, &res, now: now, record: record)
            guard res.verdict.accepted else { return res }
            traverse(filter, hook, &p, &ct, &res, now: now, record: record)
            // IPVS at FORWARD, priority 99 (ip_vs_reply4): a real server's answer gets the
            // virtual service's address back as its source.
            if res.verdict.accepted, let ipvs = forwardOut { ipvs(&p, &res, now) }
        case .input, .postrouting:
            traverse(mangle, hook, &p, &ct, &res, now: now, record: record)
            guard res.verdict.accepted else { return res }
            if hook == .input {
                traverse(filter, hook, &p, &ct, &res, now: now, record: record)
                guard res.verdict.accepted else { return res }
                // IPVS at LOCAL_IN, priority NF_IP_PRI_NAT_SRC − 2 (net/netfilter/ipvs/ip_vs_core.c
                // ip_vs_remote_request4): a virtual service's packet is scheduled, rewritten and
                // sent on (NF_STOLEN) — no local delivery, the conntrack entry not confirmed here.
                if let ipvs = localIn, ipvs(&p, &ct, &res, now) { return res }
            }
            if ct.isNew {
                traverse(nat, hook, &p, &ct, &res, now: now, record: record)
                guard res.verdict.accepted else { return res }
            } else {
                natFromEntry(&p, ct, destination: false, &res, record: record)
            }
            confirm(&ct, p, now: now)
        }
        return res
    }

    /// Connection tracking at −200: the entry a packet belongs to (and its direction), an
    /// ICMP error related to one, or a new entry for a connection's first packet.
    func track(_ p: inout NFPacket, _ ct: inout CTPass, _ res: inout HookResult, now: Int64, record: Bool) {
        if ct.untracked { p.ctState = .untracked; if record { res.conntrack = "untracked" }; return }
        if ct.entry != nil {
            // Looped back within the namespace (already tracked on the way out).
            return
        }
        if p.isICMPError {
            if let q = p.quoted, let (e, reply) = conntrack.lookup(q.inverted, now: now) {
                p.ctState = .related
                ct.entry = e; ct.reply = reply
                if record { res.conntrack = "related to \(Self.flowText(e.original))" }
            } else {
                p.ctState = .invalid
                if record { res.conntrack = "invalid (an ICMP error about no known connection)" }
            }
            return
        }
        let tuple = FlowTuple(proto: p.proto, src: p.src, dst: p.dst, sport: p.hasPorts || p.proto == .icmp ? p.sport : 0, dport: p.hasPorts ? p.dport : 0)
        var known = conntrack.lookup(tuple, now: now)
        if let (e, reply) = known, Self.reopens(e, reply: reply, p) { conntrack.remove(e); known = nil }
        if let (e, reply) = known {
            conntrack.update(e, reply: reply, flags: p.tcpFlags, now: now)
            ct.entry = e; ct.reply = reply
            p.ctState = (reply || e.seenReply) ? .established : .new
            // A reset as the connection's only reply ends it at once (tcp_packet: "If only
            // reply is a RST, we can consider ourselves not to have an established
            // connection"); this packet is still translated.
            if e.expires <= now { conntrack.remove(e) }
            if record { res.conntrack = reply ? "reply of \(Self.flowText(e.original))" : (e.seenReply ? "established" : "new (unreplied, known)") }
            return
        }
        // Packets that cannot open a connection: an echo reply, a TCP reset or SYN-ACK
        // with no entry (nf_conntrack_proto_tcp.c tcp_new, icmp_new).
        if (p.proto == .icmp && p.icmpType != 8) || (p.proto == .tcp && (p.tcpFlags.contains(.rst) || p.tcpFlags == [.syn, .ack])) {
            p.ctState = .invalid
            if record { res.conntrack = "invalid (no connection)" }
            return
        }
        let e = conntrack.make(tuple)
        if p.proto == .tcp && !p.tcpFlags.contains(.syn) { e.tcpState = .established }   // nf_conntrack_tcp_loose: picked up mid-stream
        ct.entry = e; ct.reply = false; ct.isNew = true
        p.ctState = .new
        if record { res.conntrack = "new" }
    }

    /// A new SYN on a connection that is closing or closed (TIME_WAIT, CLOSE) reopens it:
    /// the old entry is killed and the packet starts a new connection, meeting the nat
    /// table again (nf_conntrack_proto_tcp.c tcp_packet: "RFC 1122 … reopened", nf_ct_kill
    /// and -NF_REPEAT) — a client reusing a port picks an endpoint afresh.
    static func reopens(_ e: ConntrackEntry, reply: Bool, _ p: NFPacket) -> Bool {
        guard !reply, p.proto == .tcp, p.tcpFlags.contains(.syn), !p.tcpFlags.contains(.ack),
              let s = e.tcpState, s == .timeWait || s == .close else { return false }
        return true
    }

    /// The first packet left the last hook: its entry is confirmed (now in the table).
    func confirm(_ ct: inout CTPass, _ p: NFPacket, now: Int64) {
        guard ct.isNew, let e = ct.entry else { return }
        conntrack.update(e, reply: false, flags: p.tcpFlags, now: now)
        conntrack.confirm(e)
        ct.isNew = false
    }

    /// A later packet of a NATed connection gets the entry's translation: destination at
    /// PREROUTING/OUTPUT, source at POSTROUTING/INPUT — each direction the inverse of the other's tuple.
    func natFromEntry(_ p: inout NFPacket, _ ct: CTPass, destination: Bool, _ res: inout HookResult, record: Bool) {
        guard let e = ct.entry, e.snat || e.dnat else { return }
        let target = ct.reply ? e.original.inverted : e.reply.inverted
        let icmpErr = p.isICMPError
        if destination {
            guard p.dst != target.dst || (!icmpErr && p.dport != target.dport && p.proto != .icmp) else { return }
            if icmpErr {
                // A related ICMP error goes to the address the quoted packet came from.
                let to = ct.reply ? e.original.src : e.reply.src
                if p.dst == to { return }
                if record { res.translations.append("conntrack: related ICMP error → \(to)") }
                p.dst = to
                return
            }
            if record { res.translations.append("conntrack: \(ct.reply ? "reply, de-SNAT" : "DNAT") → \(Self.endpoint(target.dst, target.dport, p.proto))") }
            p.dst = target.dst
            if p.proto != .icmp { p.dport = target.dport }
        } else {
            guard !icmpErr, p.src != target.src || (p.proto != .icmp && p.sport != target.sport) || (p.proto == .icmp && p.sport != target.sport) else { return }
            if record { res.translations.append("conntrack: \(ct.reply ? "reply, de-DNAT" : "SNAT") → \(Self.endpoint(target.src, target.sport, p.proto))") }
            p.src = target.src
            p.sport = target.sport
        }
    }

    static func endpoint(_ ip: IPv4Address, _ port: Int, _ proto: IPProto) -> String { proto == .icmp ? "\(ip)" : "\(ip):\(port)" }
    static func flowText(_ t: FlowTuple) -> String {
        t.proto == .icmp ? "icmp \(t.src) → \(t.dst) id \(t.sport)" : "\(t.proto.name) \(t.src):\(t.sport) → \(t.dst):\(t.dport)"
    }

    // MARK: - chains

    /// Walks one table's base chain for the hook: rules in order, jump/goto/RETURN, the
    /// policy at the end; counters incremented on every match.
    func traverse(_ table: NFTable, _ hook: NFHook, _ p: inout NFPacket, _ ct: inout CTPass, _ res: inout HookResult, now: Int64, record: Bool) {
        guard let base = table.base(hook) else { return }
        if base.rules.isEmpty {
            base.policyPackets &+= 1; base.policyBytes &+= UInt64(p.length)
            if base.policyDrops { res.verdict = .drop; if record { res.decisions.append(policyDecision(table, base, [base.name])) } }
            else if record { res.emptyTables.append(table.name) }
            return
        }
        frames.removeAll(keepingCapacity: true)
        var chain = base
        var i = 0
        /// The last RETURN taken (chain, rule), named when the policy then decides.
        var returned: (String, Int)?
        while true {
            let n = chain.rules.count
            var hit = -1
            while i < n {
                res.rulesEvaluated += 1
                if chain.rules[i].matches(&p, self, now: now) { hit = i; break }
                i += 1
            }
            if hit < 0 {
                if let f = frames.popLast() { chain = f.chain; i = f.next; continue }
                break   // fell off the base chain: the policy
            }
            chain.rules[hit].packets &+= 1
            chain.rules[hit].bytes &+= UInt64(p.length)
            guard let target = chain.rules[hit].target else { i = hit + 1; continue }
            switch target {
            case .jump(let name), .goto(let name):
                guard let next = table.chains[name] else { i = hit + 1; continue }
                if case .jump = target { frames.append(Frame(chain: chain, next: hit + 1)) }
                chain = next; i = 0
            case .return:
                if record { returned = (chain.name, hit + 1) }
                if let f = frames.popLast() { chain = f.chain; i = f.next; continue }
                i = Int.max   // RETURN from the base chain: the policy
                break
            case .mark(let v, let m):
                p.mark = (p.mark & ~m) ^ v   // the packet's mark; the connection's needs CONNMARK
                i = hit + 1
            case .log(let prefix, let level):
                log(prefix, level: level, p, now: now)
                i = hit + 1
            case .notrack:
                ct.untracked = true
                i = hit + 1
            case .nflog:
                i = hit + 1
            default:
                let action = apply(target, table.name, hook, &p, &ct, &res, now: now, record: record)
                if record {
                    // The call stack at the decision: the base chain, the chains jumped into, this one.
                    res.decisions.append(RuleDecision(table: table.name, chain: chain.name, rule: hit + 1,
                                                      ruleText: "-A \(chain.name)" + chain.rules[hit].specText, action: action,
                                                      path: frames.map(\.chain.name) + [chain.name]))
                }
                return
            }
            if i == Int.max { break }
        }
        base.policyPackets &+= 1; base.policyBytes &+= UInt64(p.length)
        if base.policyDrops { res.verdict = .drop }
        if record {
            var d = policyDecision(table, base, [base.name])
            if let (c, k) = returned { d.returned = "\(c) rule \(k): RETURN" }
            res.decisions.append(d)
        }
    }

    func policyDecision(_ table: NFTable, _ base: Chain, _ path: [String]) -> RuleDecision {
        let pol = base.policy == .drop ? "DROP" : "ACCEPT"
        return RuleDecision(table: table.name, chain: base.name, rule: nil, ruleText: "-P \(base.name) \(pol)", action: pol, path: path)
    }

    /// A terminal target: the verdict, or the NAT binding it makes (conntrack records it).
    func apply(_ t: Target, _ table: NFTableName, _ hook: NFHook, _ p: inout NFPacket, _ ct: inout CTPass, _ res: inout HookResult, now: Int64, record: Bool) -> String {
        switch t {
        case .accept: return "ACCEPT"
        case .drop: res.verdict = .drop; return "DROP"
        case .reject(let with): res.verdict = .reject(with); return "REJECT --reject-with \(with)"
        case .dnat(let ip, let ports):
            let port = ports?.low ?? p.dport
            guard table == .nat, let e = ct.entry, ct.isNew else { return "DNAT (no new connection)" }
            let from = Self.endpoint(p.dst, p.dport, p.proto)
            p.dst = ip
            if p.proto != .icmp { p.dport = port }
            e.reply.src = ip
            if p.proto != .icmp { e.reply.sport = port }
            e.dnat = true
            let to = Self.endpoint(ip, port, p.proto)
            if record { res.translations.append("DNAT \(from) → \(to)") }
            return "DNAT to \(to)"
        case .redirect(let ports):
            guard table == .nat, let e = ct.entry, ct.isNew else { return "REDIRECT (no new connection)" }
            let ip = hook == .output ? IPv4Address(127, 0, 0, 1) : (deviceAddress(p.inDev) ?? p.dst)
            let port = ports?.low ?? p.dport
            p.dst = ip; p.dport = port
            e.reply.src = ip; e.reply.sport = port; e.dnat = true
            if record { res.translations.append("REDIRECT → \(ip):\(port)") }
            return "REDIRECT to \(ip):\(port)"
        case .snat(let ip, let ports, let rf):
            return sourceNAT(to: ip, ports: ports, randomFully: rf, table, &p, &ct, &res, record: record, now: now, verb: "SNAT")
        case .masquerade(let ports, _, let rf):
            guard let ip = masqueradeSource(p.outDev, p.dst) else { res.verdict = .drop; return "MASQUERADE: no address on \(p.outDev) (dropped)" }
            return sourceNAT(to: ip, ports: ports, randomFully: rf, table, &p, &ct, &res, record: record, now: now, verb: "MASQUERADE")
        default: return t.listName
        }
    }

    /// SNAT/MASQUERADE: the new source, and a source port no other live connection to the
    /// same remote end holds (nf_nat_used_tuple): kept when free, drawn with --random-fully,
    /// then the next free one.
    func sourceNAT(to ip: IPv4Address, ports: PortRange?, randomFully: Bool, _ table: NFTableName, _ p: inout NFPacket, _ ct: inout CTPass,
                   _ res: inout HookResult, record: Bool, now: Int64, verb: String) -> String {
        guard table == .nat, let e = ct.entry, ct.isNew else { return "\(verb) (no new connection)" }
        let from = Self.endpoint(p.src, p.sport, p.proto)
        let range = ports ?? PortRange(1024, 65535)
        var port = p.sport
        if p.proto != .icmp {
            if randomFully { port = drawPort(e.original) }
            if !range.contains(port) { port = range.low + (port % (range.high - range.low + 1)) }
        }
        var reply = FlowTuple(proto: p.proto, src: e.reply.src, dst: ip, sport: e.reply.sport, dport: port)
        if p.proto == .icmp { reply.sport = port; reply.dport = 0 }
        var tries = 0
        while conntrack.taken(reply, now: now), tries < 65536 {
            port = port >= range.high ? range.low : port + 1
            if p.proto == .icmp { reply.sport = port } else { reply.dport = port }
            tries += 1
        }
        e.reply = reply
        e.snat = true
        p.src = ip
        p.sport = port
        let to = Self.endpoint(ip, port, p.proto)
        if record { res.translations.append("\(verb) \(from) → \(to)") }
        return "\(verb) to \(to)"
    }

    /// `-j LOG`: a kernel log line as nf_log_syslog formats it.
    func log(_ prefix: String, level: UInt8, _ p: NFPacket, now: Int64) {
        let t = uptime(now)
        let whole = Int(t / 1_000_000_000), micros = Int(t % 1_000_000_000 / 1000)
        var s = "[\(String(repeating: " ", count: max(0, 5 - String(whole).count)))\(whole).\(String(micros + 1_000_000).dropFirst())] \(prefix)IN=\(p.inDev) OUT=\(p.outDev) "
        s += "SRC=\(p.src) DST=\(p.dst) LEN=\(p.length) TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=\(p.proto.name.uppercased())"
        if p.proto == .icmp { s += " TYPE=\(p.icmpType) CODE=\(p.icmpCode) ID=\(p.sport) SEQ=0" }
        else { s += " SPT=\(p.sport) DPT=\(p.dport)" + (p.proto == .tcp ? " WINDOW=64240 RES=0x00 " + Self.flagWords(p.tcpFlags) + "URGP=0" : " LEN=\(max(8, p.length - 20))") }
        if p.mark != 0 { s += " MARK=0x\(String(p.mark, radix: 16))" }
        dmesg.append(s)
        if dmesg.count > 10_000 { dmesg.removeFirst(dmesg.count - 10_000) }
    }

    static func flagWords(_ f: TCPFlags) -> String {
        var s = ""
        if f.contains(.ack) { s += "ACK " }
        if f.contains(.psh) { s += "PSH " }
        if f.contains(.rst) { s += "RST " }
        if f.contains(.syn) { s += "SYN " }
        if f.contains(.fin) { s += "FIN " }
        return s
    }
}

extension Rule {
    /// Whether the packet matches every part of the rule (the cheap header fields first).
    @inline(__always)
    mutating func matches(_ p: inout NFPacket, _ nf: Netfilter, now: Int64) -> Bool {
        if let a = src, !a.matches(p.src) { return false }
        if let a = dst, !a.matches(p.dst) { return false }
        if let pr = proto, (pr == p.proto) == protoNegated { return false }
        if let i = inIface, !i.matches(p.inDev) { return false }
        if let o = outIface, !o.matches(p.outDev) { return false }
        if matches.isEmpty { return true }
        for k in matches.indices {
            switch matches[k] {
            case .comment: continue
            case .tcp(let pm), .udp(let pm):
                if let r = pm.sport, r.contains(p.sport) == pm.sportNegated { return false }
                if let r = pm.dport, r.contains(p.dport) == pm.dportNegated { return false }
                if let f = pm.flags, (p.tcpFlags.intersection(f.mask) == f.set) == pm.flagsNegated { return false }
            case .icmp(let type, let code, let neg):
                if let type { let hit = p.icmpType == type && (code == nil || p.icmpCode == code); if hit == neg { return false } }
            case .multiport(let which, let ports, let neg):
                let hit = ports.contains { r in
                    switch which { case .sports: r.contains(p.sport); case .dports: r.contains(p.dport); case .ports: r.contains(p.sport) || r.contains(p.dport) }
                }
                if hit == neg { return false }
            case .random(let threshold, let neg):
                if ((nf.random() & 0x7fff_ffff) < threshold) == neg { return false }
            case .nth(let every, let packet, let neg):
                // xt_statistic: a counter per rule, 0…every−1; the rule matches at `packet`.
                nthCount = Int(nthCount) >= every - 1 ? 0 : nthCount + 1
                if (Int(nthCount) == packet) == neg { return false }
            case .mark(let v, let m, let neg):
                if ((p.mark & m) == v) == neg { return false }
            case .addrtype(let s, let sn, let d, let dn, let li, let lo):
                let dev: String? = li ? p.inDev : (lo ? p.outDev : nil)
                if let s, (Self.addressType(p.src, nf, on: dev) == s) == sn { return false }
                if let d, (Self.addressType(p.dst, nf, on: dev) == d) == dn { return false }
            case .conntrack(let states, let neg), .state(let states, let neg):
                if states.contains(p.ctState) == neg { return false }
            case .set(let sm):
                guard let set = nf.ipsets[sm.name] else { return false }
                let useSrc = sm.fields.first ?? true
                let ip = useSrc ? p.src : p.dst
                let port = (sm.fields.count > 1 ? sm.fields[1] : useSrc) ? p.sport : p.dport
                let ip2 = sm.fields.count > 2 ? (sm.fields[2] ? p.src : p.dst) : IPv4Address(0)
                if set.matches(ip: ip, proto: p.proto, port: port, ip2: ip2) == sm.negated { return false }
            case .recent(let r):
                if nf.recentMatch(r, p, now: now) == r.negated { return false }
            case .nfacct(let name):
                nf.nfacct[name, default: (0, 0)].packets &+= 1
                nf.nfacct[name, default: (0, 0)].bytes &+= UInt64(p.length)
            case .physdev(let pd):
                // xt_physdev: bridged means it leaves by a bridge port too.
                if let b = pd.isBridged, (p.physOut != nil) != b { return false }
                if let i = pd.physIn, !i.matches(p.physIn ?? "") { return false }
                if let o = pd.physOut, !o.matches(p.physOut ?? "") { return false }
                if let b = pd.isIn, (p.physIn != nil) != b { return false }
                if let b = pd.isOut, (p.physOut != nil) != b { return false }
            }
        }
        return true
    }

    static func addressType(_ ip: IPv4Address, _ nf: Netfilter, on dev: String?) -> AddressType {
        if ip.value >> 28 == 14 { return .multicast }
        if ip.value == 0xffff_ffff { return .broadcast }
        if let dev { return nf.isLocalOn(ip, dev) ? .local : .unicast }
        return nf.isLocal(ip) ? .local : .unicast
    }
}

extension Netfilter {
    /// xt_recent: `--set` records the address, `--rcheck`/`--update` look it up (within
    /// `--seconds`, at least `--hitcount` times), `--remove` forgets it.
    func recentMatch(_ r: RecentMatch, _ p: NFPacket, now: Int64) -> Bool {
        let key = (r.source ? p.src : p.dst).value
        var list = recent[r.name] ?? [:]
        defer { recent[r.name] = list }
        switch r.command {
        case .set:
            list[key, default: []].append(now)
            return true
        case .remove:
            return list.removeValue(forKey: key) != nil
        case .rcheck, .update:
            guard var hits = list[key] else { return false }
            if let s = r.seconds { hits = hits.filter { now - $0 <= Int64(s) * 1_000_000_000 } }
            if r.reap, r.seconds != nil { list[key] = hits.isEmpty ? nil : hits }
            let hit = hits.count >= (r.hitcount ?? 1) && !hits.isEmpty
            if r.command == .update, hit { list[key]!.append(now) }   // xt_recent: refreshed only on a match
            return hit
        }
    }
}
