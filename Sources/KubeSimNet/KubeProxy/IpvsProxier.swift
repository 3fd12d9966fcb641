import KubeSimCore

/// kube-proxy's IPVS mode (pkg/proxy/ipvs/proxier.go; deprecated since Kubernetes 1.35 —
/// kube-proxy says so at start). Every Service address is bound to the dummy device
/// kube-ipvs0, so packets for it are local; IPVS at LOCAL_IN picks a real server with
/// the virtual service's scheduler and sends the packet on. iptables keeps only a few
/// fixed rules that match ipsets (KUBE-CLUSTER-IP, KUBE-LOOP-BACK, KUBE-NODE-PORT-TCP …):
/// the rule count does not grow with Services × endpoints.
public final class IpvsProxier: ServiceProxier {
    public var mode: ProxyMode { .ipvs }
    let nodeName: String
    let nodeIP: IPv4Address
    let clusterCIDR: CIDR?
    public var scheduler: IPVSScheduler
    public var randomFully = true
    var needFullSync = true

    public init(nodeName: String, nodeIP: IPv4Address, clusterCIDR: CIDR?, scheduler: IPVSScheduler = .rr) {
        self.nodeName = nodeName; self.nodeIP = nodeIP; self.clusterCIDR = clusterCIDR; self.scheduler = scheduler
    }

    public static let dummyDevice = "kube-ipvs0"
    static let mark = "0x4000"

    /// ipset.go: name, type, comment.
    static let sets: [(String, IPSet.Kind, String)] = [
        ("KUBE-LOOP-BACK", .hashIPPortIP, "Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose"),
        ("KUBE-CLUSTER-IP", .hashIPPort, "Kubernetes service cluster ip + port for masquerade purpose"),
        ("KUBE-EXTERNAL-IP", .hashIPPort, "Kubernetes service external ip + port for masquerade and filter purpose"),
        ("KUBE-LOAD-BALANCER", .hashIPPort, "Kubernetes service lb portal"),
        ("KUBE-NODE-PORT-TCP", .bitmapPort, "Kubernetes nodeport TCP port for masquerade purpose"),
        ("KUBE-NODE-PORT-UDP", .bitmapPort, "Kubernetes nodeport UDP port for masquerade purpose"),
        ("KUBE-HEALTH-CHECK-NODE-PORT", .bitmapPort, "Kubernetes health check node port"),
        ("KUBE-IPVS-IPS", .hashIP, "IPVS service ip"),
    ]
    /// iptablesJumpChain: (table, from, to, comment).
    static let jumps: [(NFTableName, String, String, String)] = [
        (.nat, "OUTPUT", "KUBE-SERVICES", "kubernetes service portals"),
        (.nat, "PREROUTING", "KUBE-SERVICES", "kubernetes service portals"),
        (.nat, "POSTROUTING", "KUBE-POSTROUTING", "kubernetes postrouting rules"),
        (.filter, "FORWARD", "KUBE-FORWARD", "kubernetes forwarding rules"),
        (.filter, "INPUT", "KUBE-NODE-PORT", "kubernetes health check rules"),
        (.filter, "INPUT", "KUBE-PROXY-FIREWALL", "kube-proxy firewall rules"),
        (.filter, "FORWARD", "KUBE-PROXY-FIREWALL", "kube-proxy firewall rules"),
        (.filter, "INPUT", "KUBE-IPVS-FILTER", "kubernetes ipvs access filter"),
        (.filter, "OUTPUT", "KUBE-IPVS-OUT-FILTER", "kubernetes ipvs access filter"),
    ]
    static let natChains = ["KUBE-SERVICES", "KUBE-POSTROUTING", "KUBE-NODE-PORT", "KUBE-LOAD-BALANCER", "KUBE-MARK-MASQ"]
    static let filterChains = ["KUBE-FORWARD", "KUBE-NODE-PORT", "KUBE-PROXY-FIREWALL", "KUBE-SOURCE-RANGES-FIREWALL", "KUBE-IPVS-FILTER", "KUBE-IPVS-OUT-FILTER"]

    public func sync(services: [ProxyServicePort], endpoints: [String: [ProxyEndpoint]], changed: Set<String>, now: Int64, node: NodeNet) -> ProxySyncResult {
        let nf = node.netfilter
        var result = ProxySyncResult(full: needFullSync)
        // The ipsets, emptied and refilled each sync (upstream diffs its ipset entries).
        for (name, kind, _) in Self.sets {
            if nf.ipsets[name] == nil {
                let s = IPSet(name: name, kind: kind)
                if kind == .bitmapPort { s.range = PortRange(0, 65535) }
                nf.ipsets[name] = s
            }
            nf.ipsets[name]!.flush()
        }
        var bound: [IPv4Address] = []
        var wanted = Set<IPVSServiceKey>()
        let nodeAddresses = [nodeIP]
        for svc in services.sorted(by: { $0.nameString < $1.nameString }) {
            let proto: IPProto = svc.proto == "UDP" ? .udp : (svc.proto == "SCTP" ? .sctp : .tcp)
            let (clusterEPs, localEPs, _, _) = categorizeEndpoints(endpoints[svc.nameString] ?? [], svc)
            let eps = svc.internalPolicyLocal ? localEPs : clusterEPs
            var vips: [IPVSServiceKey] = [IPVSServiceKey(proto, svc.clusterIP, svc.port)]
            nf.ipsets["KUBE-CLUSTER-IP"]!.add(.ipPort(svc.clusterIP, proto, svc.port))
            nf.ipsets["KUBE-IPVS-IPS"]!.add(.ip(svc.clusterIP))
            bound.append(svc.clusterIP)
            for ip in svc.externalIPs {
                vips.append(IPVSServiceKey(proto, ip, svc.port)); bound.append(ip)
                nf.ipsets["KUBE-EXTERNAL-IP"]!.add(.ipPort(ip, proto, svc.port)); nf.ipsets["KUBE-IPVS-IPS"]!.add(.ip(ip))
            }
            for ip in svc.loadBalancerIPs {
                vips.append(IPVSServiceKey(proto, ip, svc.port)); bound.append(ip)
                nf.ipsets["KUBE-LOAD-BALANCER"]!.add(.ipPort(ip, proto, svc.port)); nf.ipsets["KUBE-IPVS-IPS"]!.add(.ip(ip))
            }
            if svc.nodePort != 0 {
                // A virtual server on each node address (--nodeport-addresses: the node's IPs).
                for a in nodeAddresses { vips.append(IPVSServiceKey(proto, a, svc.nodePort)) }
                nf.ipsets[proto == .udp ? "KUBE-NODE-PORT-UDP" : "KUBE-NODE-PORT-TCP"]!.add(.port(svc.nodePort))
            }
            if svc.healthCheckNodePort != 0 { nf.ipsets["KUBE-HEALTH-CHECK-NODE-PORT"]!.add(.port(svc.healthCheckNodePort)) }
            for ep in eps { nf.ipsets["KUBE-LOOP-BACK"]!.add(.ipPortIP(ep.ip, proto, ep.port, ep.ip)) }
            let config = IPVSServiceConfig(scheduler: scheduler, persistence: svc.stickySeconds)
            for key in vips {
                wanted.insert(key)
                let vs: IPVSService
                if let existing = node.ipvs.service(key) {
                    if existing.scheduler != scheduler || (existing.flags.contains(.persistent) ? existing.timeout : nil) != svc.stickySeconds {
                        try? node.ipvs.editService(key, config)
                    }
                    vs = existing
                } else {
                    guard let made = try? node.ipvs.addService(key, config, now: now) else { continue }
                    vs = made
                }
                // syncEndpoint: real servers added (weight 1, Masq) and removed to match.
                let want = Set(eps.map { "\($0.ip):\($0.port)" })
                for d in vs.destinations where !want.contains("\(d.address):\(d.port)") {
                    try? node.ipvs.deleteDestination(from: key, d.address, d.port, now: now)
                }
                let have = Set(vs.destinations.map { "\($0.address):\($0.port)" })
                for ep in eps where !have.contains("\(ep.ip):\(ep.port)") {
                    _ = try? node.ipvs.addDestination(to: key, ep.ip, ep.port, IPVSDestConfig(weight: 1, forward: .masq), now: now)
                }
            }
            result.services += 1
            result.endpoints += eps.count
        }
        // Virtual servers of Services that went.
        for vs in node.ipvs.sortedServices() where !wanted.contains(vs.key) { try? node.ipvs.deleteService(vs.key, now: now) }
        node.host.setDummyAddresses(Self.dummyDevice, bound)

        if needFullSync {
            for (table, from, to, comment) in Self.jumps { nf.ensureJump(table, from: from, ["-m", "comment", "--comment", comment], to: to) }
        }
        let restore = rules(nf)
        let outcome = IptablesRestore.run(restore, on: nf, noflush: true)
        if outcome.status != 0 { result.failure = outcome.output; needFullSync = true } else { needFullSync = false }
        result.rulesWritten = restore.split(separator: "\n").filter { $0.hasPrefix("-A") }.count
        return result
    }

    /// writeIptablesRules: the fixed rules over the ipsets (only sets with members get theirs).
    func rules(_ nf: Netfilter) -> String {
        func has(_ s: String) -> Bool { !(nf.ipsets[s]?.members.isEmpty ?? true) }
        func comment(_ s: String) -> String { "\"" + (Self.sets.first { $0.0 == s }?.2 ?? "") + "\"" }
        var nat = ["*nat"] + Self.natChains.map { ":\($0) - [0:0]" }
        var filter = ["*filter"] + Self.filterChains.map { ":\($0) - [0:0]" }
        nat.append("-A KUBE-SERVICES -s 127.0.0.0/8 -j RETURN")
        // ipsetWithIptablesChain.
        if has("KUBE-LOOP-BACK") { nat.append("-A KUBE-POSTROUTING -m comment --comment \(comment("KUBE-LOOP-BACK")) -m set --match-set KUBE-LOOP-BACK dst,dst,src -j MASQUERADE") }
        if has("KUBE-LOAD-BALANCER") { nat.append("-A KUBE-SERVICES -m comment --comment \(comment("KUBE-LOAD-BALANCER")) -m set --match-set KUBE-LOAD-BALANCER dst,dst -j KUBE-LOAD-BALANCER") }
        if has("KUBE-NODE-PORT-TCP") { nat.append("-A KUBE-NODE-PORT -p tcp -m comment --comment \(comment("KUBE-NODE-PORT-TCP")) -m set --match-set KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ") }
        if has("KUBE-NODE-PORT-UDP") { nat.append("-A KUBE-NODE-PORT -p udp -m comment --comment \(comment("KUBE-NODE-PORT-UDP")) -m set --match-set KUBE-NODE-PORT-UDP dst -j KUBE-MARK-MASQ") }
        if has("KUBE-CLUSTER-IP") {
            let from = clusterCIDR.map { " ! -s \($0)" } ?? ""
            nat.append("-A KUBE-SERVICES -m comment --comment \(comment("KUBE-CLUSTER-IP")) -m set --match-set KUBE-CLUSTER-IP dst,dst\(from) -j KUBE-MARK-MASQ")
        }
        if has("KUBE-EXTERNAL-IP") {
            let base = "-A KUBE-SERVICES -m comment --comment \(comment("KUBE-EXTERNAL-IP")) -m set --match-set KUBE-EXTERNAL-IP dst,dst"
            nat += [base + " -j KUBE-MARK-MASQ", base + " -m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j ACCEPT", base + " -m addrtype --dst-type LOCAL -j ACCEPT"]
        }
        nat.append("-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT")
        nat.append("-A KUBE-LOAD-BALANCER -j KUBE-MARK-MASQ")
        filter.append("-A KUBE-SOURCE-RANGES-FIREWALL -j DROP")
        // acceptIPVSTraffic: the virtual services' own traffic, last in KUBE-SERVICES.
        if has("KUBE-CLUSTER-IP") { nat.append("-A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT") }
        if has("KUBE-LOAD-BALANCER") { nat.append("-A KUBE-SERVICES -m set --match-set KUBE-LOAD-BALANCER dst,dst -j ACCEPT") }
        filter.append("-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding rules\" -m mark --mark \(Self.mark)/\(Self.mark) -j ACCEPT")
        filter.append("-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding conntrack rule\" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
        filter.append("-A KUBE-NODE-PORT -m comment --comment \(comment("KUBE-HEALTH-CHECK-NODE-PORT")) -m set --match-set KUBE-HEALTH-CHECK-NODE-PORT dst -j ACCEPT")
        // Ports on the host are not reachable through Service addresses (issue 72236).
        for s in ["KUBE-LOAD-BALANCER", "KUBE-CLUSTER-IP", "KUBE-EXTERNAL-IP"] { filter.append("-A KUBE-IPVS-FILTER -m set --match-set \(s) dst,dst -j RETURN") }
        filter.append("-A KUBE-IPVS-FILTER -m set --match-set KUBE-HEALTH-CHECK-NODE-PORT dst -j RETURN")
        filter.append("-A KUBE-IPVS-FILTER -m conntrack --ctstate NEW -m set --match-set KUBE-IPVS-IPS dst -j REJECT")
        nat.append("-A KUBE-POSTROUTING -m mark ! --mark \(Self.mark)/\(Self.mark) -j RETURN")
        nat.append("-A KUBE-POSTROUTING -j MARK --xor-mark \(Self.mark)")
        nat.append("-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE" + (randomFully ? " --random-fully" : ""))
        nat.append("-A KUBE-MARK-MASQ -j MARK --or-mark \(Self.mark)")
        return (filter + ["COMMIT"] + nat + ["COMMIT"]).joined(separator: "\n") + "\n"
    }

    /// CleanupLeftovers for IPVS: the virtual servers cleared, kube-ipvs0 removed, the
    /// jumps unlinked, the chains and ipsets deleted.
    public func cleanup(node: NodeNet) {
        let nf = node.netfilter
        node.ipvs.flush()
        node.host.removeDummy(Self.dummyDevice)
        for (table, from, to, comment) in Self.jumps { _ = Iptables.run(["-t", table.rawValue, "-D", from, "-m", "comment", "--comment", comment, "-j", to], on: nf) }
        for c in Self.natChains { _ = Iptables.run(["-t", "nat", "-F", c], on: nf) }
        for c in Self.filterChains { _ = Iptables.run(["-t", "filter", "-F", c], on: nf) }
        for c in Self.natChains { _ = Iptables.run(["-t", "nat", "-X", c], on: nf) }
        for c in Self.filterChains { _ = Iptables.run(["-t", "filter", "-X", c], on: nf) }
        for (name, _, _) in Self.sets { nf.ipsets[name]?.references = 0; nf.ipsets.removeValue(forKey: name) }
        needFullSync = true
    }
}
