import KubeSimCore

/// kube-proxy's iptables mode: syncProxyRules as pkg/proxy/iptables/proxier.go writes it.
/// Each sync renders the filter and nat rules for every Service port into one
/// iptables-restore input (`iptablesData`) and loads it with --noflush, so the node's
/// kernel holds exactly what kube-proxy wrote and packets walk it; chains of Services
/// that did not change are left out of a partial sync, and chains no longer used are
/// flushed and deleted.
public final class IptablesProxier {
    public struct Config: Sendable {
        public var nodeName: String
        public var nodeIP: IPv4Address
        /// --cluster-cidr for detect-local-mode ClusterCIDR (nil: not implemented, no masquerade rule).
        public var clusterCIDR: CIDR?
        public var masqueradeAll = false
        public var masqueradeBit = 14
        public var localhostNodePorts = true
        /// nfacct counters could be created (the kernel has nfnetlink_acct).
        public var nfacct = true
        /// iptables and the kernel support MASQUERADE --random-fully (iptables ≥ 1.6.2, Linux ≥ 3.13).
        public var randomFully = true
        public var conntrackTCPLiberal = false
        public var syncPeriod: SimDuration = .seconds(30)
        public init(nodeName: String, nodeIP: IPv4Address, clusterCIDR: CIDR?) { self.nodeName = nodeName; self.nodeIP = nodeIP; self.clusterCIDR = clusterCIDR }
        var masqueradeMark: String { "0x" + String(1 << masqueradeBit, radix: 16) }
    }

    /// What one sync did, for kube-proxy's log lines and the benchmarks.
    public struct SyncResult: Sendable {
        public var full: Bool
        public var services = 0, endpoints = 0
        public var filterChains = 0, filterRules = 0, natChains = 0, natRules = 0
        public var deletedChains = 0
        public var outcome = Iptables.Outcome(status: 0, output: "")
    }

    public let config: Config
    /// The last restore input written (`iptables-restore` text, as kube-proxy logs it at -v=9).
    public private(set) var iptablesData = ""
    public var needFullSync = true
    var lastFullSync: Int64 = .min
    var lastCleanup: Int64 = .min
    var largeClusterMode = false
    var probabilities: [String] = ["<bad value>"]
    /// proxyutil.FullSyncPeriod.
    static let fullSyncPeriod: Int64 = 3600 * 1_000_000_000
    static let largeClusterEndpointsThreshold = 1000

    public init(_ config: Config) { self.config = config }

    /// Chain names by Service port (and endpoint): hashed once, not on every sync.
    var nameCache: [String: (svc: String, svl: String, ext: String, fw: String)] = [:]
    var sepCache: [String: String] = [:]
    func names(_ p: ProxyServicePort) -> (svc: String, svl: String, ext: String, fw: String) {
        let key = p.nameString + p.protocolLower
        if let n = nameCache[key] { return n }
        let n = (KubeProxyNames.svc(p), KubeProxyNames.svl(p), KubeProxyNames.ext(p), KubeProxyNames.fw(p))
        nameCache[key] = n
        return n
    }
    func sepName(_ p: ProxyServicePort, _ ep: ProxyEndpoint) -> String {
        let key = p.nameString + p.protocolLower + ep.string
        if let n = sepCache[key] { return n }
        let n = KubeProxyNames.sep(p, ep)
        sepCache[key] = n
        return n
    }
    /// The service chains the last sync left in the kernel (what a later sync may delete).
    var ownedChains = Set<String>()

    // pkg/proxy/iptables/proxier.go: the chains kube-proxy owns.
    static let kubeServices = "KUBE-SERVICES", kubeExternalServices = "KUBE-EXTERNAL-SERVICES", kubeNodePorts = "KUBE-NODEPORTS"
    static let kubePostrouting = "KUBE-POSTROUTING", kubeMarkMasq = "KUBE-MARK-MASQ", kubeForward = "KUBE-FORWARD"
    static let kubeProxyFirewall = "KUBE-PROXY-FIREWALL", kubeletFirewall = "KUBE-FIREWALL"

    /// iptablesJumpChains and iptablesKubeletJumpChains: (table, destination, source chain, comment, extra args).
    static let jumpChains: [(NFTableName, String, String, String, [String])] = [
        (.filter, kubeExternalServices, "INPUT", "kubernetes externally-visible service portals", ["-m", "conntrack", "--ctstate", "NEW"]),
        (.filter, kubeExternalServices, "FORWARD", "kubernetes externally-visible service portals", ["-m", "conntrack", "--ctstate", "NEW"]),
        (.filter, kubeNodePorts, "INPUT", "kubernetes health check service ports", []),
        (.filter, kubeServices, "FORWARD", "kubernetes service portals", ["-m", "conntrack", "--ctstate", "NEW"]),
        (.filter, kubeServices, "OUTPUT", "kubernetes service portals", ["-m", "conntrack", "--ctstate", "NEW"]),
        (.filter, kubeForward, "FORWARD", "kubernetes forwarding rules", []),
        (.filter, kubeProxyFirewall, "INPUT", "kubernetes load balancer firewall", ["-m", "conntrack", "--ctstate", "NEW"]),
        (.filter, kubeProxyFirewall, "OUTPUT", "kubernetes load balancer firewall", ["-m", "conntrack", "--ctstate", "NEW"]),
        (.filter, kubeProxyFirewall, "FORWARD", "kubernetes load balancer firewall", ["-m", "conntrack", "--ctstate", "NEW"]),
        (.nat, kubeServices, "OUTPUT", "kubernetes service portals", []),
        (.nat, kubeServices, "PREROUTING", "kubernetes service portals", []),
        (.nat, kubePostrouting, "POSTROUTING", "kubernetes postrouting rules", []),
        (.filter, kubeletFirewall, "INPUT", "", []),
        (.filter, kubeletFirewall, "OUTPUT", "", []),
    ]

    /// computeProbability: "%0.10f" of 1/n, precomputed as upstream does.
    func probability(_ n: Int) -> String {
        while probabilities.count <= n { probabilities.append(Self.format10(1.0 / Double(probabilities.count))) }
        return probabilities[n]
    }

    /// Go's fmt "%0.10f" for 0 < x ≤ 1 (rounded half to even on the exact binary value, as strconv does).
    static func format10(_ x: Double) -> String {
        let scaled = (x * 1e10).rounded(.toNearestOrEven)
        let n = Int64(scaled)
        let whole = n / 10_000_000_000, frac = n % 10_000_000_000
        let f = String(frac)
        return "\(whole)." + String(repeating: "0", count: 10 - f.count) + f
    }

    /// One restore line from its words (LineBuffer.Write joins them with spaces).
    struct Lines {
        var text: [String] = []
        var count: Int { text.count }
        mutating func write(_ words: String...) { text.append(words.joined(separator: " ")) }
        mutating func write(_ words: [String]) { text.append(words.joined(separator: " ")) }
    }

    /// The quoted comment kube-proxy writes for a phrase with spaces (fmt `"%s …"`).
    static func q(_ s: String) -> String { "\"" + s + "\"" }

    /// syncProxyRules. `services` are all Service ports, `endpoints` their endpoints by
    /// ServicePortName string (sorted as the endpoints map keeps them), `changed` the
    /// "ns/name" of Services whose Service or EndpointSlices changed since the last sync.
    @discardableResult
    public func sync(services: [ProxyServicePort], endpoints: [String: [ProxyEndpoint]], changed: Set<String>, now: Int64, on nf: Netfilter) -> SyncResult {
        let doFullSync = needFullSync || lastFullSync == .min || now - lastFullSync > Self.fullSyncPeriod
        var result = SyncResult(full: doFullSync)
        if doFullSync { ensureJumpRules(nf) }

        var filterChains = Lines(), filterRules = Lines(), natChains = Lines(), natRules = Lines()
        for c in [Self.kubeServices, Self.kubeExternalServices, Self.kubeForward, Self.kubeNodePorts, Self.kubeProxyFirewall] { filterChains.write(":\(c) - [0:0]") }
        for c in [Self.kubeServices, Self.kubeNodePorts, Self.kubePostrouting, Self.kubeMarkMasq] { natChains.write(":\(c) - [0:0]") }
        let mark = config.masqueradeMark
        natRules.write("-A", Self.kubePostrouting, "-m", "mark", "!", "--mark", "\(mark)/\(mark)", "-j", "RETURN")
        // Clear the mark to avoid re-masquerading if the packet re-traverses the network stack.
        natRules.write("-A", Self.kubePostrouting, "-j", "MARK", "--xor-mark", mark)
        var masq = ["-A", Self.kubePostrouting, "-m", "comment", "--comment", Self.q("kubernetes service traffic requiring SNAT"), "-j", "MASQUERADE"]
        if config.randomFully { masq.append("--random-fully") }
        natRules.write(masq)
        natRules.write("-A", Self.kubeMarkMasq, "-j", "MARK", "--or-mark", mark)
        if config.localhostNodePorts {
            // The route_localnet hole (issue 90259), closed as kubelet also does.
            filterChains.write(":\(Self.kubeletFirewall) - [0:0]")
            filterRules.write("-A", Self.kubeletFirewall, "-m", "comment", "--comment", Self.q("block incoming localnet connections"),
                              "-d", "127.0.0.0/8", "!", "-s", "127.0.0.0/8", "-m", "conntrack", "!", "--ctstate", "RELATED,ESTABLISHED,DNAT", "-j", "DROP")
        }

        var activeNATChains = Set<String>()
        let sorted = services.sorted { $0.nameString + $0.protocolLower < $1.nameString + $1.protocolLower }
        var totalEndpoints = 0
        for s in sorted { totalEndpoints += endpoints[s.nameString]?.count ?? 0 }
        largeClusterMode = totalEndpoints > Self.largeClusterEndpointsThreshold
        result.services = sorted.count
        result.endpoints = totalEndpoints

        for svc in sorted {
            let proto = svc.protocolLower
            let name = svc.nameString
            let port = String(svc.port)
            let all = endpoints[name] ?? []
            let (clusterEndpoints, localEndpoints, reachable, hasEndpoints) = categorizeEndpoints(all, svc)
            let clusterPolicyChain = names(svc).svc
            let usesClusterPolicyChain = !clusterEndpoints.isEmpty && svc.usesClusterEndpoints
            let localPolicyChain = names(svc).svl
            let usesLocalPolicyChain = !localEndpoints.isEmpty && svc.usesLocalEndpoints
            var internalPolicyChain = clusterPolicyChain, hasInternalEndpoints = hasEndpoints
            if svc.internalPolicyLocal {
                internalPolicyChain = localPolicyChain
                if localEndpoints.isEmpty { hasInternalEndpoints = false }
            }
            let internalTrafficChain = internalPolicyChain
            var externalPolicyChain = clusterPolicyChain, hasExternalEndpoints = hasEndpoints
            if svc.externalPolicyLocal {
                externalPolicyChain = localPolicyChain
                if localEndpoints.isEmpty { hasExternalEndpoints = false }
            }
            let externalTrafficChain = names(svc).ext
            let usesExternalTrafficChain = hasEndpoints && svc.externallyAccessible
            var loadBalancerTrafficChain = externalTrafficChain
            let fwChain = names(svc).fw
            let usesFWChain = hasEndpoints && !svc.loadBalancerIPs.isEmpty && !svc.loadBalancerSourceRanges.isEmpty
            if usesFWChain { loadBalancerTrafficChain = fwChain }

            var internalFilterTarget = "", internalFilterComment = "", externalFilterTarget = "", externalFilterComment = ""
            if !hasEndpoints {
                internalFilterTarget = "REJECT"
                internalFilterComment = Self.q("\(name) has no endpoints")
                externalFilterTarget = "REJECT"
                externalFilterComment = internalFilterComment
            } else {
                if !hasInternalEndpoints {
                    internalFilterTarget = "DROP"
                    internalFilterComment = Self.q("\(name) has no local endpoints")
                }
                if !hasExternalEndpoints {
                    externalFilterTarget = "DROP"
                    externalFilterComment = Self.q("\(name) has no local endpoints")
                }
            }

            // Capture the clusterIP.
            if hasInternalEndpoints {
                natRules.write("-A", Self.kubeServices, "-m", "comment", "--comment", Self.q("\(name) cluster IP"), "-m", proto, "-p", proto,
                               "-d", "\(svc.clusterIP)", "--dport", port, "-j", internalTrafficChain)
            } else {
                filterRules.write("-A", Self.kubeServices, "-m", "comment", "--comment", internalFilterComment, "-m", proto, "-p", proto,
                                  "-d", "\(svc.clusterIP)", "--dport", port, "-j", internalFilterTarget)
            }
            // Capture externalIPs.
            for ext in svc.externalIPs {
                if hasEndpoints {
                    natRules.write("-A", Self.kubeServices, "-m", "comment", "--comment", Self.q("\(name) external IP"), "-m", proto, "-p", proto,
                                   "-d", "\(ext)", "--dport", port, "-j", externalTrafficChain)
                }
                if !hasExternalEndpoints {
                    filterRules.write("-A", Self.kubeExternalServices, "-m", "comment", "--comment", externalFilterComment, "-m", proto, "-p", proto,
                                      "-d", "\(ext)", "--dport", port, "-j", externalFilterTarget)
                }
            }
            // Capture load-balancer ingress.
            for lb in svc.loadBalancerIPs {
                if hasEndpoints {
                    natRules.write("-A", Self.kubeServices, "-m", "comment", "--comment", Self.q("\(name) loadbalancer IP"), "-m", proto, "-p", proto,
                                   "-d", "\(lb)", "--dport", port, "-j", loadBalancerTrafficChain)
                }
                if usesFWChain {
                    filterRules.write("-A", Self.kubeProxyFirewall, "-m", "comment", "--comment", Self.q("\(name) traffic not accepted by \(fwChain)"),
                                      "-m", proto, "-p", proto, "-d", "\(lb)", "--dport", port, "-j", "DROP")
                }
            }
            if !hasExternalEndpoints {
                for lb in svc.loadBalancerIPs {
                    filterRules.write("-A", Self.kubeExternalServices, "-m", "comment", "--comment", externalFilterComment, "-m", proto, "-p", proto,
                                      "-d", "\(lb)", "--dport", port, "-j", externalFilterTarget)
                }
            }
            // Capture nodeports.
            if svc.nodePort != 0 {
                if hasEndpoints {
                    if config.localhostNodePorts && config.nfacct {
                        natRules.write("-A", Self.kubeNodePorts, "-m", "comment", "--comment", name, "-m", proto, "-p", proto, "-d", "127.0.0.0/8",
                                       "--dport", String(svc.nodePort), "-m", "nfacct", "--nfacct-name", "localhost_nps_accepted_pkts", "-j", externalTrafficChain)
                    }
                    natRules.write("-A", Self.kubeNodePorts, "-m", "comment", "--comment", name, "-m", proto, "-p", proto,
                                   "--dport", String(svc.nodePort), "-j", externalTrafficChain)
                }
                if !hasExternalEndpoints {
                    filterRules.write("-A", Self.kubeExternalServices, "-m", "comment", "--comment", externalFilterComment, "-m", "addrtype", "--dst-type", "LOCAL",
                                      "-m", proto, "-p", proto, "--dport", String(svc.nodePort), "-j", externalFilterTarget)
                }
            }
            // Capture healthCheckNodePorts.
            if svc.healthCheckNodePort != 0 {
                filterRules.write("-A", Self.kubeNodePorts, "-m", "comment", "--comment", Self.q("\(name) health check node port"), "-m", "tcp", "-p", "tcp",
                                  "--dport", String(svc.healthCheckNodePort), "-j", "ACCEPT")
            }

            // Unchanged since the last sync: the per-service chains are computed but not written.
            let skip = !doFullSync && !changed.contains(svc.serviceName)
            func chainLine(_ c: String) {
                if !skip { natChains.write(":\(c) - [0:0]") }
                activeNATChains.insert(c)
            }
            // A skipped Service's rules are not even built (upstream writes them to a discarding buffer).
            func rule(_ words: @autoclosure () -> [String]) { if !skip { natRules.write(words()) } }

            // Internal traffic handling.
            if hasInternalEndpoints {
                let args = ["-m", "comment", "--comment", Self.q("\(name) cluster IP"), "-m", proto, "-p", proto, "-d", "\(svc.clusterIP)", "--dport", port]
                if config.masqueradeAll {
                    rule(["-A", internalTrafficChain] + args + ["-j", Self.kubeMarkMasq])
                } else if let cidr = config.clusterCIDR {
                    // Off-cluster traffic to a Service VIP is masqueraded (it may bounce off-node).
                    rule(["-A", internalTrafficChain] + args + ["!", "-s", "\(cidr)", "-j", Self.kubeMarkMasq])
                }
            }
            // External traffic handling.
            if usesExternalTrafficChain {
                chainLine(externalTrafficChain)
                if !svc.externalPolicyLocal {
                    rule(["-A", externalTrafficChain, "-m", "comment", "--comment", Self.q("masquerade traffic for \(name) external destinations"), "-j", Self.kubeMarkMasq])
                } else {
                    if let cidr = config.clusterCIDR {
                        rule(["-A", externalTrafficChain, "-m", "comment", "--comment", Self.q("pod traffic for \(name) external destinations"),
                              "-s", "\(cidr)", "-j", clusterPolicyChain])
                    }
                    rule(["-A", externalTrafficChain, "-m", "comment", "--comment", Self.q("masquerade LOCAL traffic for \(name) external destinations"),
                          "-m", "addrtype", "--src-type", "LOCAL", "-j", Self.kubeMarkMasq])
                    rule(["-A", externalTrafficChain, "-m", "comment", "--comment", Self.q("route LOCAL traffic for \(name) external destinations"),
                          "-m", "addrtype", "--src-type", "LOCAL", "-j", clusterPolicyChain])
                }
                if hasExternalEndpoints { rule(["-A", externalTrafficChain, "-j", externalPolicyChain]) }
            }
            // The firewall chain (loadBalancerSourceRanges).
            if usesFWChain {
                chainLine(fwChain)
                let args = ["-A", fwChain, "-m", "comment", "--comment", Self.q("\(name) loadbalancer IP")]
                var allowFromNode = false
                for cidr in svc.loadBalancerSourceRanges {
                    rule(args + ["-s", "\(cidr)", "-j", externalTrafficChain])
                    if cidr.contains(config.nodeIP) { allowFromNode = true }
                }
                if allowFromNode { for lb in svc.loadBalancerIPs { rule(args + ["-s", "\(lb)", "-j", externalTrafficChain]) } }
                rule(["-A", fwChain, "-m", "comment", "--comment", Self.q("other traffic to \(name) will be dropped by KUBE-PROXY-FIREWALL")])
            }
            if usesClusterPolicyChain {
                chainLine(clusterPolicyChain)
                if !skip { serviceToEndpointRules(svc, clusterPolicyChain, clusterEndpoints) { natRules.write($0) } }
            }
            if usesLocalPolicyChain {
                chainLine(localPolicyChain)
                if !skip { serviceToEndpointRules(svc, localPolicyChain, localEndpoints) { natRules.write($0) } }
            }
            // The per-endpoint chains.
            for ep in reachable {
                let epChain = sepName(svc, ep)
                chainLine(epChain)
                var args = ["-A", epChain]
                if !largeClusterMode { args += ["-m", "comment", "--comment", name] }
                // Traffic that loops back to its originator is SNATed.
                rule(args + ["-s", "\(ep.ip)", "-j", Self.kubeMarkMasq])
                if svc.stickySeconds != nil { args += ["-m", "recent", "--name", epChain, "--set"] }
                rule(args + ["-m", proto, "-p", proto, "-j", "DNAT", "--to-destination", ep.string])
            }
        }

        // Chains no longer in use: a chain line (which flushes) and -X.
        var deleted = 0
        if !largeClusterMode || lastCleanup == .min || now - lastCleanup > config.syncPeriod.nanoseconds {
            // Upstream reads them from iptables-save; the chains this proxier wrote are known,
            // and a full sync also looks at the kernel's (leftovers of an earlier kube-proxy).
            var candidates = ownedChains
            if doFullSync { for c in nf.nat.chains.keys where KubeProxyNames.isServiceChain(c) { candidates.insert(c) } }
            for chain in candidates.subtracting(activeNATChains).sorted() {
                natChains.write(":\(chain) - [0:0]")
                natRules.write("-X", chain)
                deleted += 1
            }
            lastCleanup = now
        }
        // The tail call to the nodeports chain, after every other service portal rule.
        natRules.write("-A", Self.kubeServices, "-m", "comment", "--comment", Self.q("kubernetes service nodeports; NOTE: this must be the last rule in this chain"),
                       "-m", "addrtype", "--dst-type", "LOCAL", "-j", Self.kubeNodePorts)
        // INVALID packets are dropped (issues 74839, 117924) unless conntrack is liberal.
        if !config.conntrackTCPLiberal {
            var r = ["-A", Self.kubeForward, "-m", "conntrack", "--ctstate", "INVALID"]
            if config.nfacct { r += ["-m", "nfacct", "--nfacct-name", "ct_state_invalid_dropped_pkts"] }
            filterRules.write(r + ["-j", "DROP"])
        }
        filterRules.write("-A", Self.kubeForward, "-m", "comment", "--comment", Self.q("kubernetes forwarding rules"), "-m", "mark", "--mark", "\(mark)/\(mark)", "-j", "ACCEPT")
        filterRules.write("-A", Self.kubeForward, "-m", "comment", "--comment", Self.q("kubernetes forwarding conntrack rule"), "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT")

        var data = "*filter\n"
        for l in filterChains.text { data += l; data += "\n" }
        for l in filterRules.text { data += l; data += "\n" }
        data += "COMMIT\n*nat\n"
        for l in natChains.text { data += l; data += "\n" }
        for l in natRules.text { data += l; data += "\n" }
        data += "COMMIT\n"
        iptablesData = data
        result.filterChains = filterChains.count; result.filterRules = filterRules.count
        result.natChains = natChains.count; result.natRules = natRules.count
        result.deletedChains = deleted
        if config.nfacct {
            for counter in ["localhost_nps_accepted_pkts", "ct_state_invalid_dropped_pkts"] where nf.nfacct[counter] == nil { nf.nfacct[counter] = (0, 0) }
        }
        result.outcome = IptablesRestore.run(data, on: nf, noflush: true)
        if result.outcome.status == 0 { ownedChains = activeNATChains }
        if result.outcome.status == 0 {
            needFullSync = false
            if doFullSync { lastFullSync = now }
        } else {
            needFullSync = true
        }
        return result
    }

    /// writeServiceToEndpointRules: session affinity checks first, then the probabilistic
    /// fan-out — rule i of n matches with probability 1/(n−i), the last always.
    func serviceToEndpointRules(_ svc: ProxyServicePort, _ chain: String, _ endpoints: [ProxyEndpoint], _ rule: ([String]) -> Void) {
        let name = svc.nameString
        if let seconds = svc.stickySeconds {
            for ep in endpoints {
                let epChain = sepName(svc, ep)
                var args = ["-A", chain]
                if !largeClusterMode { args += ["-m", "comment", "--comment", Self.q("\(name) -> \(ep.string)")] }
                rule(args + ["-m", "recent", "--name", epChain, "--rcheck", "--seconds", String(seconds), "--reap", "-j", epChain])
            }
        }
        let n = endpoints.count
        for (i, ep) in endpoints.enumerated() {
            var args = ["-A", chain]
            if !largeClusterMode { args += ["-m", "comment", "--comment", Self.q("\(name) -> \(ep.string)")] }
            if i < n - 1 { args += ["-m", "statistic", "--mode", "random", "--probability", probability(n - i)] }
            rule(args + ["-j", sepName(svc, ep)])
        }
    }

    /// On a full sync: the jump rules from the built-in chains into kube-proxy's
    /// (EnsureChain, then EnsureRule Prepend — inserted first unless already there).
    func ensureJumpRules(_ nf: Netfilter) {
        for (table, dst, src, comment, extra) in Self.jumpChains {
            nf.ensureJump(table, from: src, extra + (comment.isEmpty ? [] : ["-m", "comment", "--comment", comment]), to: dst)
        }
    }

    /// CleanupLeftovers: the jump rules unlinked and every kube-proxy chain flushed and
    /// deleted (when the mode changes away from iptables).
    public func cleanup(_ nf: Netfilter) {
        for (table, dst, src, comment, extra) in Self.jumpChains where !comment.isEmpty {
            _ = Iptables.run(["-t", table.rawValue, "-D", src] + extra + ["-m", "comment", "--comment", comment, "-j", dst], on: nf)
        }
        var nat = "*nat\n", natX = ""
        for c in nf.nat.chains.keys.sorted() where [Self.kubeServices, Self.kubeNodePorts, Self.kubePostrouting].contains(c) || KubeProxyNames.isServiceChain(c) {
            nat += ":\(c) - [0:0]\n"; natX += "-X \(c)\n"
        }
        _ = IptablesRestore.run(nat + natX + "COMMIT\n", on: nf, noflush: true)
        var filter = "*filter\n", filterX = ""
        for c in [Self.kubeServices, Self.kubeExternalServices, Self.kubeForward, Self.kubeNodePorts] where nf.filter.chain(c) != nil {
            filter += ":\(c) - [0:0]\n"; filterX += "-X \(c)\n"
        }
        _ = IptablesRestore.run(filter + filterX + "COMMIT\n", on: nf, noflush: true)
        needFullSync = true
    }
}
