import KubeSimCore

// The rules each CNI plugin's node agent writes into its node's netfilter, as the
// upstream agents write them (through the same `iptables` command a learner types, the
// way flanneld feeds iptables-restore). Packets then meet these rules; `iptables-save`
// prints them.

extension Netfilter {
    /// Runs one iptables command line written as iptables-restore reads it (double quotes
    /// group words). The plugins' own rules are well-formed; a refusal is a bug here.
    func program(_ line: String) {
        var words: [String] = [], cur = "", quoted = false, any = false
        for c in line {
            if c == "\"" { quoted.toggle(); any = true; continue }
            if c == " " && !quoted { if any { words.append(cur) }; cur = ""; any = false; continue }
            cur.append(c); any = true
        }
        if any { words.append(cur) }
        let r = Iptables.run(words, on: self)
        assert(r.status == 0, "iptables \(line): \(r.output)")
    }

    func ensureSet(_ name: String, _ kind: IPSet.Kind) -> IPSet {
        if let s = ipsets[name] { return s }
        let s = IPSet(name: name, kind: kind)
        ipsets[name] = s
        return s
    }
}

extension PodNetwork {
    /// Wires a node's netfilter to its namespace: local addresses, the address MASQUERADE
    /// takes, the seeded source, the port `--random-fully` draws.
    func attachKernel(_ n: NodeNet) {
        let nf = n.netfilter
        nf.isLocal = { [unowned n] ip in n.host.owns(ip) }
        nf.isLocalOn = { [unowned n] ip, dev in n.host.device(dev)?.addrs.contains { $0.address == ip } ?? false }
        nf.masqueradeSource = { [unowned n] dev, _ in n.host.device(dev)?.addrs.first?.address ?? (dev == "eth0" ? n.underlay : nil) }
        nf.deviceAddress = { [unowned n] dev in n.host.device(dev)?.addrs.first?.address }
        // A deterministic draw from the connection's tuple (nf_nat's random-fully uses
        // get_random_u32; ours must be reproducible).
        nf.drawPort = { t in 1024 + Int(Wire.mix(t.src.value, UInt32(truncatingIfNeeded: t.sport), t.dst.value, UInt32(truncatingIfNeeded: t.dport), 9) % 64512) }
        nf.random = { [unowned self] in self.random() }
        nf.uptime = { [unowned n] now in now - n.joinedAt }
        nf.localIn = { [unowned n] p, ct, res, now in n.ipvsLocalIn(&p, &ct, &res, now) }
        nf.forwardOut = { [unowned n] p, res, now in n.ipvsForwardOut(&p, &res, now) }
    }
}

extension NodeNet {
    /// IPVS at LOCAL_IN (ip_vs_remote_request4 → ip_vs_in → ip_vs_nat_xmit): a packet for a
    /// virtual service is scheduled to a real server (or follows its connection), its
    /// destination rewritten (Masq) and sent on through LOCAL_OUT. kube-proxy sets
    /// net/ipv4/vs/conntrack=1, so the conntrack entry learns the real server as the reply's
    /// source (ip_vs_update_conntrack) — there is no netfilter NAT binding.
    func ipvsLocalIn(_ p: inout NFPacket, _ ct: inout CTPass, _ res: inout HookResult, _ now: Int64) -> Bool {
        guard !ipvs.services.isEmpty else { return false }
        switch ipvs.inbound(p, now: now) {
        case .pass:
            return false
        case .forward(let c):
            let from = "\(p.dst):\(p.dport)"
            p.dst = c.dest.address
            p.dport = c.destPort
            if let e = ct.entry, ct.isNew { e.reply.src = c.dest.address; e.reply.sport = c.destPort }
            let scheduler = ipvs.service(IPVSServiceKey(c.proto, c.virtualAddress, c.virtualPort))?.scheduler.rawValue ?? "rr"
            res.stolen = "IPVS: \(p.proto.name.uppercased()) \(from) → \(c.dest.address):\(c.destPort) (\(scheduler), Masq)"
            return true
        case .drop:
            res.verdict = .drop
            return true
        case .reject:
            res.verdict = .reject("icmp-port-unreachable")
            return true
        }
    }

    /// IPVS at FORWARD (ip_vs_reply4 → ip_vs_out): a real server's answer to a Masq
    /// connection leaves with the virtual address and port as its source.
    func ipvsForwardOut(_ p: inout NFPacket, _ res: inout HookResult, _ now: Int64) {
        guard !ipvs.services.isEmpty, let c = ipvs.outbound(p, now: now) else { return }
        p.src = c.virtualAddress
        p.sport = c.virtualPort
    }
}
