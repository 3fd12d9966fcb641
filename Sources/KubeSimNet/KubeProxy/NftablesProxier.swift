import KubeSimCore

/// kube-proxy's nftables mode (GA since Kubernetes 1.33): syncProxyRules as
/// pkg/proxy/nftables/proxier.go writes it. One table, `ip kube-proxy`: base chains at
/// −110 (filter, before DNAT), −100 (nat), 0 (filter) and 100 (nat); verdict maps from
/// (address, protocol, port) to each Service's chain, so a packet meets a hash lookup
/// rather than a rule per Service; `numgen random mod N` picks an endpoint. Each sync is
/// one knftables transaction played into the node's nftables. Element storages (upstream's
/// nftElementStorage) remember what the maps hold, so a partial sync adds and deletes only
/// the elements that changed and rewrites only the chains of Services that changed;
/// chains no longer used are flushed and deleted a second later.
public final class NftablesProxier: ServiceProxier {
    public struct Config: Sendable {
        public var nodeName: String
        public var nodeIP: IPv4Address
        /// --cluster-cidr for the local traffic detector (nil: not implemented, no masquerade rule).
        public var clusterCIDR: CIDR?
        /// The ServiceCIDRs (cluster-ips-check drops traffic to unallocated addresses in them).
        public var serviceCIDRs: [CIDR]
        /// --nodeport-addresses as this node's addresses (nil: every local address).
        public var nodePortAddresses: [IPv4Address]?
        public var masqueradeAll = false
        /// The mark as kube-proxy writes it: NewProxier's fmt.Sprintf("%#08x", 1<<masqueradeBit).
        public var masqueradeMark: String
        public init(nodeName: String, nodeIP: IPv4Address, clusterCIDR: CIDR?, serviceCIDRs: [CIDR], nodePortAddresses: [IPv4Address]?, masqueradeBit: Int = 14) {
            self.nodeName = nodeName; self.nodeIP = nodeIP; self.clusterCIDR = clusterCIDR
            self.serviceCIDRs = serviceCIDRs; self.nodePortAddresses = nodePortAddresses
            let h = String(1 << masqueradeBit, radix: 16)
            masqueradeMark = "0x" + String(repeating: "0", count: max(0, 6 - h.count)) + h
        }
    }

    public var mode: ProxyMode { .nftables }
    public let config: Config
    /// The last sync's transaction (what kube-proxy logs at -v=9).
    public private(set) var lastTransaction = NFTTransaction(table: NftablesProxier.table)
    var needFullSync = true
    var lastFullSync: Int64 = .min
    /// The base chains were deleted and recreated once (so their properties can change).
    var flushed = false
    /// Chains flushed as no longer used, with when (deleted once a second has passed).
    var staleChains: [String: Int64] = [:]
    var clusterIPs = ElementStorage(clusterIPsSet, isMap: false), serviceIPs = ElementStorage(serviceIPsMap, isMap: true)
    var firewallIPs = ElementStorage(firewallIPsMap, isMap: true), noEndpointServices = ElementStorage(noEndpointServicesMap, isMap: true)
    var noEndpointNodePorts = ElementStorage(noEndpointNodePortsMap, isMap: true), serviceNodePorts = ElementStorage(serviceNodePortsMap, isMap: true)
    static let fullSyncPeriod: Int64 = 3600 * 1_000_000_000

    public init(_ config: Config) { self.config = config }

    // pkg/proxy/nftables/proxier.go: the table, chains, sets and maps kube-proxy owns.
    public static let table = "kube-proxy"
    static let servicesChain = "services", serviceIPsMap = "service-ips", serviceNodePortsMap = "service-nodeports"
    static let nodePortIPsSet = "nodeport-ips", clusterIPsSet = "cluster-ips"
    static let serviceEndpointsCheckChain = "service-endpoints-check", nodePortEndpointsCheckChain = "nodeport-endpoints-check"
    static let noEndpointServicesMap = "no-endpoint-services", noEndpointNodePortsMap = "no-endpoint-nodeports", rejectChain = "reject-chain"
    static let clusterIPsCheckChain = "cluster-ips-check", firewallIPsMap = "firewall-ips", firewallCheckChain = "firewall-check"
    static let markMasqChain = "mark-for-masquerade", masqueradingChain = "masquerading"

    /// nftablesBaseChains: filter chains before DNAT see the Service's own address.
    static let baseChains: [(String, NFTBaseChain)] = [
        ("filter-prerouting-pre-dnat", NFTBaseChain(type: .filter, hook: .prerouting, priority: -110)),
        ("filter-output-pre-dnat", NFTBaseChain(type: .filter, hook: .output, priority: -110)),
        ("filter-input", NFTBaseChain(type: .filter, hook: .input, priority: 0)),
        ("filter-forward", NFTBaseChain(type: .filter, hook: .forward, priority: 0)),
        ("filter-output", NFTBaseChain(type: .filter, hook: .output, priority: 0)),
        ("nat-prerouting", NFTBaseChain(type: .nat, hook: .prerouting, priority: -100)),
        ("nat-output", NFTBaseChain(type: .nat, hook: .output, priority: -100)),
        ("nat-postrouting", NFTBaseChain(type: .nat, hook: .postrouting, priority: 100)),
    ]
    /// nftablesJumpChains: (destination, source, extra match).
    static let jumpChains: [(String, String, String)] = [
        (nodePortEndpointsCheckChain, "filter-input", "ct state new"),
        (serviceEndpointsCheckChain, "filter-input", "ct state new"),
        (serviceEndpointsCheckChain, "filter-forward", "ct state new"),
        (serviceEndpointsCheckChain, "filter-output", "ct state new"),
        (firewallCheckChain, "filter-prerouting-pre-dnat", "ct state new"),
        (firewallCheckChain, "filter-output-pre-dnat", "ct state new"),
        (servicesChain, "nat-output", ""),
        (servicesChain, "nat-prerouting", ""),
        (masqueradingChain, "nat-postrouting", ""),
        (clusterIPsCheckChain, "filter-forward", "ct state new"),
        (clusterIPsCheckChain, "filter-output", "ct state new"),
    ]

    /// nftElementStorage: what a set or map holds, so a sync writes only the differences.
    struct ElementStorage {
        let name: String
        let isMap: Bool
        var elements: [String: String] = [:]
        var leftover: Set<String> = []
        init(_ name: String, isMap: Bool) { self.name = name; self.isMap = isMap }

        mutating func reset(_ tx: inout NFTTransaction) {
            elements.removeAll()
            tx.add(.flushSet(name, isMap: isMap))
            leftover.removeAll()
        }
        mutating func ensure(_ tx: inout NFTTransaction, _ key: [String], _ value: String? = nil, comment: String? = nil) {
            let k = key.joined(separator: " . "), v = value ?? ""
            if let old = elements[k] {
                if old != v {
                    tx.add(.deleteElement(name, isMap: isMap, key: key))
                    tx.add(.addElement(name, isMap: isMap, key: key, value: value, comment: comment))
                    elements[k] = v
                }
                leftover.remove(k)
            } else {
                tx.add(.addElement(name, isMap: isMap, key: key, value: value, comment: comment))
                elements[k] = v
            }
        }
        mutating func cleanupLeftovers(_ tx: inout NFTTransaction) {
            for k in leftover.sorted() {
                tx.add(.deleteElement(name, isMap: isMap, key: k.split(separator: " . ").map(String.init)))
                elements.removeValue(forKey: k)
            }
            leftover = Set(elements.keys)
        }
    }

    /// ensureChain: add and flush a chain once per transaction (only noted as in use when
    /// its Service is unchanged in a partial sync).
    static func ensureChain(_ chain: String, _ tx: inout NFTTransaction, _ created: inout Set<String>, skip: Bool = false) {
        guard created.insert(chain).inserted, !skip else { return }
        tx.add(.addChain(chain, base: nil, comment: nil))
        tx.add(.flushChain(chain))
    }

    /// setupNFTables (a full sync): the table, base chains, jump rules, masquerading, the
    /// sets and maps and the rules dispatching through them; the element storages reset.
    func setup(_ tx: inout NFTTransaction) {
        tx.add(.addTable(comment: "rules for kube-proxy"))
        if !flushed {
            for (name, _) in Self.baseChains { tx.add(.addChain(name, base: nil, comment: nil)); tx.add(.deleteChain(name)) }
            flushed = true
        }
        for (name, base) in Self.baseChains { tx.add(.addChain(name, base: base, comment: nil)); tx.add(.flushChain(name)) }
        var created = Set<String>()
        for (dst, src, extra) in Self.jumpChains {
            Self.ensureChain(dst, &tx, &created)
            tx.add(.addRule(chain: src, rule: (extra.isEmpty ? "" : extra + " ") + "jump \(dst)", comment: nil))
        }
        for c in [Self.servicesChain, Self.clusterIPsCheckChain, Self.masqueradingChain, Self.markMasqChain] { Self.ensureChain(c, &tx, &created) }
        let mark = config.masqueradeMark
        tx.add(.addRule(chain: Self.markMasqChain, rule: "mark set mark or \(mark)", comment: nil))
        tx.add(.addRule(chain: Self.masqueradingChain, rule: "mark and \(mark) == 0 return", comment: nil))
        tx.add(.addRule(chain: Self.masqueradingChain, rule: "mark set mark xor \(mark)", comment: nil))
        tx.add(.addRule(chain: Self.masqueradingChain, rule: "masquerade fully-random", comment: nil))

        tx.add(.addSet(Self.clusterIPsSet, isMap: false, type: "ipv4_addr", flags: [], timeout: nil, comment: "Active ClusterIPs"))
        tx.add(.addRule(chain: Self.clusterIPsCheckChain, rule: "ip daddr @\(Self.clusterIPsSet) reject", comment: "Reject traffic to invalid ports of ClusterIPs"))
        if !config.serviceCIDRs.isEmpty {
            tx.add(.addRule(chain: Self.clusterIPsCheckChain, rule: "ip daddr { \(config.serviceCIDRs.map(\.description).joined(separator: ",")) } drop",
                            comment: "Drop traffic to unallocated ClusterIPs"))
        }
        // nodeport-ips: add, then delete or refill (add+delete avoids an error when absent).
        tx.add(.addSet(Self.nodePortIPsSet, isMap: false, type: "ipv4_addr", flags: [], timeout: nil, comment: "IPs that accept NodePort traffic"))
        if let ips = config.nodePortAddresses {
            tx.add(.flushSet(Self.nodePortIPsSet, isMap: false))
            for ip in ips where ip.value >> 24 != 127 { tx.add(.addElement(Self.nodePortIPsSet, isMap: false, key: [ip.description], value: nil, comment: nil)) }
        } else {
            tx.add(.deleteSet(Self.nodePortIPsSet, isMap: false))
        }
        let vmapType = "ipv4_addr . inet_proto . inet_service : verdict", portType = "inet_proto . inet_service : verdict"
        tx.add(.addSet(Self.noEndpointServicesMap, isMap: true, type: vmapType, flags: [], timeout: nil, comment: "vmap to drop or reject packets to services with no endpoints"))
        tx.add(.addSet(Self.noEndpointNodePortsMap, isMap: true, type: portType, flags: [], timeout: nil, comment: "vmap to drop or reject packets to service nodeports with no endpoints"))
        tx.add(.addChain(Self.rejectChain, base: nil, comment: "helper for @no-endpoint-services / @no-endpoint-nodeports"))
        tx.add(.flushChain(Self.rejectChain))
        tx.add(.addRule(chain: Self.rejectChain, rule: "reject", comment: nil))
        tx.add(.addRule(chain: Self.serviceEndpointsCheckChain, rule: "ip daddr . meta l4proto . th dport vmap @\(Self.noEndpointServicesMap)", comment: nil))
        let nodePortMatch = config.nodePortAddresses == nil ? "ip daddr != 127.0.0.0/8" : "ip daddr @\(Self.nodePortIPsSet)"
        tx.add(.addRule(chain: Self.nodePortEndpointsCheckChain, rule: "\(nodePortMatch) meta l4proto . th dport vmap @\(Self.noEndpointNodePortsMap)", comment: nil))
        tx.add(.addSet(Self.firewallIPsMap, isMap: true, type: vmapType, flags: [], timeout: nil, comment: "destinations that are subject to LoadBalancerSourceRanges"))
        Self.ensureChain(Self.firewallCheckChain, &tx, &created)
        tx.add(.addRule(chain: Self.firewallCheckChain, rule: "ip daddr . meta l4proto . th dport vmap @\(Self.firewallIPsMap)", comment: nil))
        tx.add(.addSet(Self.serviceIPsMap, isMap: true, type: vmapType, flags: [], timeout: nil, comment: "ClusterIP, ExternalIP and LoadBalancer IP traffic"))
        tx.add(.addSet(Self.serviceNodePortsMap, isMap: true, type: portType, flags: [], timeout: nil, comment: "NodePort traffic"))
        tx.add(.addRule(chain: Self.servicesChain, rule: "ip daddr . meta l4proto . th dport vmap @\(Self.serviceIPsMap)", comment: nil))
        let nodePortDispatch = config.nodePortAddresses == nil ? "fib daddr type local ip daddr != 127.0.0.0/8" : "ip daddr @\(Self.nodePortIPsSet)"
        tx.add(.addRule(chain: Self.servicesChain, rule: "\(nodePortDispatch) meta l4proto . th dport vmap @\(Self.serviceNodePortsMap)", comment: nil))
        clusterIPs.reset(&tx); serviceIPs.reset(&tx); firewallIPs.reset(&tx)
        noEndpointServices.reset(&tx); noEndpointNodePorts.reset(&tx); serviceNodePorts.reset(&tx)
    }

    public func sync(services: [ProxyServicePort], endpoints: [String: [ProxyEndpoint]], changed: Set<String>, now: Int64, node: NodeNet) -> ProxySyncResult {
        sync(services: services, endpoints: endpoints, changed: changed, now: now, on: node.netfilter.nftables)
    }

    /// syncProxyRules.
    @discardableResult
    public func sync(services: [ProxyServicePort], endpoints: [String: [ProxyEndpoint]], changed: Set<String>, now: Int64, on nft: Nftables) -> ProxySyncResult {
        let doFullSync = needFullSync || lastFullSync == .min || now - lastFullSync > Self.fullSyncPeriod
        var result = ProxySyncResult(full: doFullSync)
        // Chains stale for more than a second are deleted first, in a transaction of their own.
        let due = staleChains.filter { $0.value < now - 1_000_000_000 }.keys.sorted()
        if !due.isEmpty {
            var tx = NFTTransaction(table: Self.table)
            for c in due { tx.add(.deleteChain(c)); staleChains.removeValue(forKey: c) }
            _ = nft.apply(tx)
        }
        var tx = NFTTransaction(table: Self.table)
        if doFullSync { setup(&tx) }
        var active = Set<String>(), activeAffinity = Set<String>()
        let sorted = services.sorted { $0.nameString + $0.protocolLower < $1.nameString + $1.protocolLower }
        let mm = Self.markMasqChain
        for svc in sorted {
            let proto = svc.protocolLower, name = svc.nameString, port = String(svc.port)
            let all = endpoints[name] ?? []
            result.services += 1
            result.endpoints += all.count
            let (clusterEndpoints, localEndpoints, reachable, hasEndpoints) = categorizeEndpoints(all, svc)
            let skip = !doFullSync && !changed.contains(svc.serviceName)
            let base = NFTNames.base(svc)
            for ep in reachable {
                Self.ensureChain("endpoint-" + NFTNames.endpointBase(svc, ep), &tx, &active, skip: skip)
                if svc.stickySeconds != nil { activeAffinity.insert("affinity-" + NFTNames.endpointBase(svc, ep)) }
            }
            let clusterPolicyChain = "service-" + base, localPolicyChain = "local-" + base
            let usesClusterPolicyChain = !clusterEndpoints.isEmpty && svc.usesClusterEndpoints
            if usesClusterPolicyChain { Self.ensureChain(clusterPolicyChain, &tx, &active, skip: skip) }
            let usesLocalPolicyChain = !localEndpoints.isEmpty && svc.usesLocalEndpoints
            if usesLocalPolicyChain { Self.ensureChain(localPolicyChain, &tx, &active, skip: skip) }
            var internalTrafficChain = clusterPolicyChain, hasInternalEndpoints = hasEndpoints
            if svc.internalPolicyLocal {
                internalTrafficChain = localPolicyChain
                if localEndpoints.isEmpty { hasInternalEndpoints = false }
            }
            var externalPolicyChain = clusterPolicyChain, hasExternalEndpoints = hasEndpoints
            if svc.externalPolicyLocal {
                externalPolicyChain = localPolicyChain
                if localEndpoints.isEmpty { hasExternalEndpoints = false }
            }
            let externalTrafficChain = "external-" + base
            let usesExternalTrafficChain = hasEndpoints && svc.externallyAccessible
            if usesExternalTrafficChain { Self.ensureChain(externalTrafficChain, &tx, &active, skip: skip) }
            var internalVerdict = "", externalVerdict = ""
            if !hasEndpoints {
                internalVerdict = "goto \(Self.rejectChain)"; externalVerdict = internalVerdict
            } else {
                if !hasInternalEndpoints { internalVerdict = "drop" }
                if !hasExternalEndpoints { externalVerdict = "drop" }
            }
            // Capture the clusterIP.
            let cip = svc.clusterIP.description
            clusterIPs.ensure(&tx, [cip])
            if hasInternalEndpoints {
                serviceIPs.ensure(&tx, [cip, proto, port], "goto \(internalTrafficChain)")
            } else {
                noEndpointServices.ensure(&tx, [cip, proto, port], internalVerdict, comment: name)
            }
            // Capture externalIPs.
            for ext in svc.externalIPs {
                if hasEndpoints { serviceIPs.ensure(&tx, [ext.description, proto, port], "goto \(externalTrafficChain)") }
                if !hasExternalEndpoints { noEndpointServices.ensure(&tx, [ext.description, proto, port], externalVerdict, comment: name) }
            }
            let usesFWChain = !svc.loadBalancerIPs.isEmpty && !svc.loadBalancerSourceRanges.isEmpty
            let fwChain = "firewall-" + base
            if usesFWChain { Self.ensureChain(fwChain, &tx, &active, skip: skip) }
            // Capture load-balancer ingress.
            for lb in svc.loadBalancerIPs {
                if hasEndpoints { serviceIPs.ensure(&tx, [lb.description, proto, port], "goto \(externalTrafficChain)") }
                if usesFWChain { firewallIPs.ensure(&tx, [lb.description, proto, port], "goto \(fwChain)") }
            }
            if !hasExternalEndpoints {
                for lb in svc.loadBalancerIPs { noEndpointServices.ensure(&tx, [lb.description, proto, port], externalVerdict, comment: name) }
            }
            // Capture nodeports (not subject to loadBalancerSourceRanges).
            if svc.nodePort != 0 {
                if hasEndpoints { serviceNodePorts.ensure(&tx, [proto, String(svc.nodePort)], "goto \(externalTrafficChain)") }
                if !hasExternalEndpoints { noEndpointNodePorts.ensure(&tx, [proto, String(svc.nodePort)], externalVerdict, comment: name) }
            }
            if skip { continue }
            func rule(_ chain: String, _ text: String, _ comment: String? = nil) { tx.add(.addRule(chain: chain, rule: text, comment: comment)) }
            // Internal traffic: off-cluster traffic to a Service address is masqueraded.
            if hasInternalEndpoints {
                if config.masqueradeAll {
                    rule(internalTrafficChain, "ip daddr \(cip) \(proto) dport \(port) jump \(mm)")
                } else if let cidr = config.clusterCIDR {
                    rule(internalTrafficChain, "ip daddr \(cip) ip saddr != \(cidr) jump \(mm)")
                }
            }
            // External traffic: masquerade unless policy Local; pods and the node itself short-circuit to the cluster chain.
            if usesExternalTrafficChain {
                if !svc.externalPolicyLocal {
                    rule(externalTrafficChain, "jump \(mm)")
                } else {
                    if let cidr = config.clusterCIDR { rule(externalTrafficChain, "ip saddr \(cidr) goto \(clusterPolicyChain)", "short-circuit pod traffic") }
                    rule(externalTrafficChain, "fib saddr type local jump \(mm)", "masquerade local traffic")
                    rule(externalTrafficChain, "fib saddr type local goto \(clusterPolicyChain)", "short-circuit local traffic")
                }
                if hasExternalEndpoints { rule(externalTrafficChain, "goto \(externalPolicyChain)") }
            }
            if usesFWChain {
                var sources = svc.loadBalancerSourceRanges.map(\.description)
                if svc.loadBalancerSourceRanges.contains(where: { $0.contains(config.nodeIP) }) { sources += svc.loadBalancerIPs.map(\.description) }
                rule(fwChain, "ip saddr != { \(sources.joined(separator: " , ")) } drop")
            }
            if let seconds = svc.stickySeconds {
                for ep in reachable {
                    tx.add(.addSet("affinity-" + NFTNames.endpointBase(svc, ep), isMap: false, type: "ipv4_addr", flags: ["dynamic", "timeout"], timeout: Int64(seconds), comment: nil))
                }
            }
            if usesClusterPolicyChain { serviceToEndpointRules(svc, clusterPolicyChain, clusterEndpoints, rule) }
            if usesLocalPolicyChain { serviceToEndpointRules(svc, localPolicyChain, localEndpoints, rule) }
            for ep in reachable {
                let chain = "endpoint-" + NFTNames.endpointBase(svc, ep)
                rule(chain, "ip saddr \(ep.ip) jump \(mm)")
                if svc.stickySeconds != nil { rule(chain, "update @affinity-\(NFTNames.endpointBase(svc, ep)) { ip saddr }") }
                rule(chain, "meta l4proto \(proto) dnat to \(ep.string)")
            }
        }
        // Chains no longer used are flushed now and deleted later (a map element may still
        // point at one until the kernel notices); stale affinity sets go at once.
        if let t = nft.table(.ip, Self.table) {
            for c in t.chainOrder where c.contains("/") {
                if !active.contains(c) { tx.add(.flushChain(c)); staleChains[c] = now } else { staleChains.removeValue(forKey: c) }
            }
            for s in t.setOrder where s.hasPrefix("affinity-") && !activeAffinity.contains(s) { tx.add(.deleteSet(s, isMap: false)) }
        }
        clusterIPs.cleanupLeftovers(&tx); serviceIPs.cleanupLeftovers(&tx); firewallIPs.cleanupLeftovers(&tx)
        noEndpointServices.cleanupLeftovers(&tx); noEndpointNodePorts.cleanupLeftovers(&tx); serviceNodePorts.cleanupLeftovers(&tx)
        lastTransaction = tx
        result.rulesWritten = tx.rulesAdded
        if let err = nft.apply(tx) {
            result.failure = err
            needFullSync = true
            staleChains.removeAll()
        } else {
            needFullSync = false
            if doFullSync { lastFullSync = now }
        }
        return result
    }

    /// writeServiceToEndpointRules: affinity first, then one numgen vmap over the endpoints.
    func serviceToEndpointRules(_ svc: ProxyServicePort, _ chain: String, _ endpoints: [ProxyEndpoint], _ rule: (String, String, String?) -> Void) {
        if svc.stickySeconds != nil {
            for ep in endpoints {
                let b = NFTNames.endpointBase(svc, ep)
                rule(chain, "ip saddr @affinity-\(b) goto endpoint-\(b)", nil)
            }
        }
        let elements = endpoints.enumerated().map { "\($0.offset) : goto endpoint-\(NFTNames.endpointBase(svc, $0.element))" }
        rule(chain, "numgen random mod \(endpoints.count) vmap { \(elements.joined(separator: " , ")) }", nil)
    }

    /// CleanupLeftovers: the table deleted (a mode switch).
    public func cleanup(node: NodeNet) {
        let nft = node.netfilter.nftables
        if nft.table(.ip, Self.table) != nil {
            var tx = NFTTransaction(table: Self.table)
            tx.add(.deleteTable)
            nft.apply(tx)
        }
        needFullSync = true; flushed = false; staleChains.removeAll()
        for s in [\NftablesProxier.clusterIPs, \.serviceIPs, \.firewallIPs, \.noEndpointServices, \.noEndpointNodePorts, \.serviceNodePorts] {
            self[keyPath: s].elements.removeAll(); self[keyPath: s].leftover.removeAll()
        }
    }
}

/// Chain names as the nftables proxier derives them (servicePortChainNameBase,
/// servicePortEndpointChainNameBase, hashAndTruncate): the first 8 characters of
/// base32(sha256(name)), a dash, the name "ns/svc/proto/port[__ip/port]", truncated to 240.
public enum NFTNames {
    public static func hashAndTruncate(_ name: String) -> String {
        let full = String(Digests.base32(Digests.sha256(Array(name.utf8))).prefix(8)) + "-" + name
        return full.utf8.count > 240 ? String(full.prefix(237)) + "..." : full
    }
    public static func base(_ p: ProxyServicePort) -> String {
        hashAndTruncate("\(p.namespace)/\(p.name)/\(p.protocolLower)/\(p.portName)")
    }
    public static func endpointBase(_ p: ProxyServicePort, _ ep: ProxyEndpoint) -> String {
        hashAndTruncate("\(p.namespace)/\(p.name)/\(p.protocolLower)/\(p.portName)__\(ep.ip)/\(ep.port)")
    }
}
