import KubeSimCore

// Where the datapath meets each node's netfilter: the packet as netfilter sees it at a
// hook, the hook's verdict and rewrites (NAT), and the hop a trace records for it.

extension Packet {
    /// ICMP type and code of the datapath's ICMP kinds.
    var icmpTypeCode: (Int, Int) {
        switch flags {
        case "echo-request": (8, 0)
        case "echo-reply": (0, 0)
        case "port-unreachable": (3, 3)
        case "host-unreachable": (3, 1)
        case "frag-needed": (3, 4)
        case "time-exceeded": (11, 0)
        default: (8, 0)
        }
    }

    /// The inner packet's headers as netfilter reads them.
    func netfilterView(inDev: String, outDev: String, physIn: String? = nil, physOut: String? = nil) -> NFPacket {
        // "TCP", "UDP", "ICMP" by the first letter (no string comparison per hook).
        let first = proto.utf8.first
        let proto: IPProto = first == UInt8(ascii: "T") ? .tcp : first == UInt8(ascii: "U") ? .udp : .icmp
        var n = NFPacket(src: src, dst: dst, proto: proto, sport: sport, dport: dport, length: size)
        n.inDev = inDev; n.outDev = outDev; n.physIn = physIn; n.physOut = physOut
        if proto == .tcp { n.tcpFlags = TCPFlags(words: flags) }
        if proto == .icmp {
            (n.icmpType, n.icmpCode) = icmpTypeCode
            n.sport = PodNetwork.echoID(self)
            n.dport = 0
            if n.isICMPError, let q = detail?.quoted {
                let qp: IPProto = q.proto == "TCP" ? .tcp : q.proto == "UDP" ? .udp : .icmp
                n.quoted = FlowTuple(proto: qp, src: q.src, dst: q.dst, sport: q.sport, dport: qp == .icmp ? 0 : q.dport)
            }
        }
        return n
    }

    /// The outer (tunnel) packet's headers: VXLAN's UDP, IPIP, or ESP.
    func outerView(inDev: String, outDev: String) -> NFPacket? {
        guard let o = outer.last else { return nil }
        let proto: IPProto = o.ipip ? .ipip : (o.esp ? .esp : .udp)
        var n = NFPacket(src: o.src, dst: o.dst, proto: proto, sport: proto == .udp ? o.sport : 0, dport: proto == .udp ? o.port : 0, length: size + o.overhead)
        n.inDev = inDev; n.outDev = outDev
        return n
    }

    /// Takes netfilter's rewrites (NAT) back into the packet.
    mutating func take(_ n: borrowing NFPacket) {
        src = n.src; dst = n.dst
        if proto == "ICMP" {
            if n.sport != PodNetwork.echoID(self), let d = detail, d.icmpID != 0 { d.icmpID = n.sport } else if detail == nil || detail?.icmpID == 0 { sport = n.sport }
        } else {
            sport = n.sport; dport = n.dport
        }
    }
}

extension PodNetwork {
    /// An echo's identifier: the one ping chose, else (a bare `trace`) the source port.
    static func echoID(_ p: Packet) -> Int { p.detail.map { $0.icmpID != 0 ? $0.icmpID : p.sport } ?? p.sport }

    /// One netfilter hook of node `n`'s kernel on the packet: the tables in priority order,
    /// conntrack, NAT. The packet takes the rewrites; the trace records the hop with the
    /// rules that decided. False when a rule dropped or rejected it (the trace says which).
    @discardableResult
    func netfilter(_ hook: NFHook, _ p: inout Packet, _ ct: inout CTPass, at n: NodeNet, in inDev: String = "", out outDev: String = "",
                   physIn: String? = nil, physOut: String? = nil, trace t: inout Trace, bridged: Bool = false) -> Bool {
        var view = p.netfilterView(inDev: inDev, outDev: outDev, physIn: physIn, physOut: physOut)
        let before = (view.src, view.sport)
        let r = n.netfilter.run(hook, &view, ct: &ct, now: now(), record: t.recording)
        t.rulesEvaluated += r.rulesEvaluated
        p.take(view)
        if let s = r.stolen { t.stolen = s }
        if hook == .postrouting, t.masqueradedAs == nil, p.outer.isEmpty, ct.entry?.snat == true, !ct.reply, (view.src, view.sport) != before {
            t.masqueradedAs = (view.src, view.sport)
        }
        t.hop(n.name, hook.name, r.summary(hook) + (bridged ? ", bridged" : ""), p, .hook, netfilter: r)
        return verdict(r, hook, at: n, trace: &t)
    }

    /// The same for the tunnel's outer packet (the kernel's VXLAN/IPIP socket sends it
    /// through OUTPUT and POSTROUTING; the peer receives it through PREROUTING and INPUT).
    @discardableResult
    func netfilterOuter(_ hook: NFHook, _ p: inout Packet, _ ct: inout CTPass, at n: NodeNet, in inDev: String = "", out outDev: String = "", trace t: inout Trace) -> Bool {
        guard var view = p.outerView(inDev: inDev, outDev: outDev) else { return true }
        let r = n.netfilter.run(hook, &view, ct: &ct, now: now(), record: t.recording)
        t.rulesEvaluated += r.rulesEvaluated
        t.hop(n.name, hook.name, "outer: " + r.summary(hook), p, .hook, netfilter: r)
        return verdict(r, hook, at: n, trace: &t)
    }

    private func verdict(_ r: HookResult, _ hook: NFHook, at n: NodeNet, trace t: inout Trace) -> Bool {
        switch r.verdict {
        case .accept: return true
        case .drop, .reject:
            let d = r.decidingRule
            t.droppedAt = "\(n.name) \(hook.name)"
            let by = d.map { d in
                if let t = d.nft { return d.rule != nil ? "nft table \(t) chain \(d.chain) rule \(d.ruleText)" : "nft table \(t) chain \(d.chain) policy drop" }
                return d.rule != nil ? "\(d.table.rawValue) table rule \(d.ruleText)" : "the \(d.table.rawValue) table's \(d.chain) policy DROP"
            } ?? "netfilter"
            if case .reject(let with) = r.verdict {
                t.reason = "rejected by \(by) (\(with))"
                t.rejected = with
                t.icmpNode = n.name
                if with != "tcp-reset" { t.icmp = with.replacingOccurrences("icmp-", "").replacingOccurrences("-", " ") }
            } else {
                t.reason = "dropped by \(by)"
            }
            t.decidedBy = d
            return false
        }
    }
}
