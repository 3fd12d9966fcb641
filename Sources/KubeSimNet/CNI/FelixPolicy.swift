import KubeSimCore

// Felix's NetworkPolicy rules (felix/rules/policy.go, endpoints.go): one chain per policy
// and direction (cali-pi-… ingress, cali-po-… egress) whose rules mark an allowed packet
// (0x10000) and return; each local workload's cali-tw-/cali-fw- chain jumps to the
// policies that select it, returns when one accepted, and drops when none did ("Drop if
// no policies passed packet"); a workload no policy selects keeps its namespace profile.
// Selectors become ipsets (cali40s:…) of pod addresses, named ports ipsets of
// (address, port) (cali40n:…).
extension PodNetwork {
    /// Felix's length-limited names (felix/hashutils GetLengthLimitedID): the prefix and a
    /// hash of the id. Felix hashes with SHA-224; here SHA-1 in the same base64url alphabet,
    /// so a name keeps its shape and stays stable.
    static func felixName(_ prefix: String, _ id: String, length: Int) -> String {
        let h = felixHash(id, 0, "") + felixHash(id, 1, "")
        return prefix + String(h.prefix(length - prefix.count))
    }

    static func policyChain(_ p: EnforcedPolicy, ingress: Bool) -> String {
        felixName(ingress ? "cali-pi-_" : "cali-po-_", "default/knp.default.\(p.namespace)/\(p.name)", length: 28)
    }

    /// Programs the node's policy chains, ipsets and workload chains for `policies`.
    func felixPolicies(_ n: NodeNet, _ policies: [EnforcedPolicy]) {
        let nf = n.netfilter
        // Kubernetes policies all have Calico's order 1000: they apply in name order.
        let ordered = policies.sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
        var chains = Set<String>(), sets = Set<String>()
        for p in ordered {
            for (rules, ingress) in [(p.ingress, true), (p.egress, false)] {
                guard let rules else { continue }
                let chain = Self.policyChain(p, ingress: ingress)
                chains.insert(chain)
                if nf.filter.chain(chain) == nil { nf.program("-t filter -N \(chain)") } else { nf.program("-t filter -F \(chain)") }
                for r in rules { felixRule(nf, chain, r, ingress: ingress, sets: &sets) }
            }
        }
        n.enforcedPolicies = ordered
        for nic in n.pods.values where nic.calico { felixEndpointChains(n, nic) }
        // What no policy needs any more goes (after the workload chains stopped jumping to it).
        for c in nf.filter.chains.keys where (c.hasPrefix("cali-pi-") || c.hasPrefix("cali-po-")) && !chains.contains(c) {
            nf.program("-t filter -F \(c)")
            nf.program("-t filter -X \(c)")
        }
        for s in nf.ipsets.keys where (s.hasPrefix("cali40s:") || s.hasPrefix("cali40n:")) && !sets.contains(s) { nf.ipsets[s] = nil }
    }

    /// One rule of a policy: a MARK-accept and a RETURN for every (peer, port) pair.
    private func felixRule(_ nf: Netfilter, _ chain: String, _ r: EnforcedRule, ingress: Bool, sets: inout Set<String>) {
        let side = ingress ? "src" : "dst", flag = ingress ? "-s" : "-d"
        let peers: [String] = r.peers.map { ps in
            ps.map { peer -> String in
                switch peer {
                case .pods(let selector, let addrs):
                    let name = Self.felixName("cali40s:", selector, length: 31)
                    let set = nf.ensureSet(name, .hashIP)
                    set.flush()
                    for a in addrs.sorted() { _ = set.add(.ip(a)) }
                    sets.insert(name)
                    return "-m set --match-set \(name) \(side)"
                case .block(let cidr, let except):
                    guard !except.isEmpty else { return "\(flag) \(cidr)" }
                    let name = Self.felixName("cali40s:", "except:\(cidr):" + except.map(\.description).joined(separator: ","), length: 31)
                    let set = nf.ensureSet(name, .hashNet)
                    set.flush()
                    for e in except { _ = set.add(set.parseMember(e.description)!) }
                    sets.insert(name)
                    return "\(flag) \(cidr) -m set ! --match-set \(name) \(side)"
                }
            }
        } ?? [""]
        let ports: [String] = r.ports.map { ps in
            ps.map { p -> String in
                let proto = p.proto.name
                if let named = p.named {
                    let name = Self.felixName("cali40n:", "\(proto):\(named):" + p.namedTargets.map { "\($0.0):\($0.1)" }.joined(separator: ","), length: 31)
                    let set = nf.ensureSet(name, .hashIPPort)
                    set.flush()
                    for (ip, port) in p.namedTargets { if let m = set.parseMember("\(ip),\(proto):\(port)") { _ = set.add(m) } }
                    sets.insert(name)
                    return "-p \(proto) -m set --match-set \(name) dst,dst"
                }
                guard let port = p.port else { return "-p \(proto)" }
                return "-p \(proto) -m multiport --dports \(port)" + (p.endPort.map { $0 > port ? ":\($0)" : "" } ?? "")
            }
        } ?? [""]
        for peer in peers {
            for port in ports {
                let match = [port, peer].filter { !$0.isEmpty }.joined(separator: " ")
                felix(nf, "filter", chain, [(match.isEmpty ? "" : match + " ") + "-j MARK --set-xmark 0x10000/0x10000"])
                let k = nf.filter.chain(chain)!.rules.count
                nf.program("-t filter -A \(chain) -m comment --comment \"cali:\(Self.felixHash(chain, k, "ret"))\" -m mark --mark 0x10000/0x10000 -j RETURN")
            }
        }
    }

    /// A workload's two chains (felix/rules/endpoints.go): conntrack first, then the
    /// policies selecting it for the direction (if any: accept by one, else drop), then
    /// the namespace profile.
    func felixEndpointChains(_ n: NodeNet, _ nic: PodNIC) {
        let nf = n.netfilter
        let ns = nic.namespace
        for profile in ["cali-pro-kns.\(ns)", "cali-pri-kns.\(ns)"] where nf.filter.chain(profile) == nil {
            nf.program("-t filter -N \(profile)")
            felix(nf, "filter", profile, ["-j MARK --set-xmark 0x10000/0x10000", "-m mark --mark 0x10000/0x10000 -j RETURN"])
        }
        let selecting = n.enforcedPolicies.filter { $0.selected.contains(nic.ip) }
        for (chain, profile, ingress) in [("cali-fw-\(nic.veth)", "cali-pro-kns.\(ns)", false), ("cali-tw-\(nic.veth)", "cali-pri-kns.\(ns)", true)] {
            if nf.filter.chain(chain) == nil { nf.program("-t filter -N \(chain)") } else { nf.program("-t filter -F \(chain)") }
            felix(nf, "filter", chain, ["-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "-m conntrack --ctstate INVALID -j DROP",
                                        "-j MARK --set-xmark 0x0/0x10000"])
            if !ingress {
                nf.program("-t filter -A \(chain) -p udp -m comment --comment \"cali:\(Self.felixHash(chain, 3, "vxlan"))\" -m comment --comment \"Drop VXLAN encapped packets originating in workloads\" -m udp --dport 4789 -j DROP")
                nf.program("-t filter -A \(chain) -p ipencap -m comment --comment \"cali:\(Self.felixHash(chain, 4, "ipip"))\" -m comment --comment \"Drop IPinIP encapped packets originating in workloads\" -j DROP")
            }
            let policies = selecting.filter { ingress ? $0.ingress != nil : $0.egress != nil }
            if !policies.isEmpty {
                var k = nf.filter.chain(chain)!.rules.count
                nf.program("-t filter -A \(chain) -m comment --comment \"cali:\(Self.felixHash(chain, k, "start"))\" -m comment --comment \"Start of policies\" -j MARK --set-xmark 0x0/0x20000")
                for p in policies {
                    k = nf.filter.chain(chain)!.rules.count
                    nf.program("-t filter -A \(chain) -m comment --comment \"cali:\(Self.felixHash(chain, k, "pol"))\" -m mark --mark 0x0/0x20000 -j \(Self.policyChain(p, ingress: ingress))")
                    nf.program("-t filter -A \(chain) -m comment --comment \"cali:\(Self.felixHash(chain, k + 1, "ret"))\" -m comment --comment \"Return if policy accepted\" -m mark --mark 0x10000/0x10000 -j RETURN")
                }
                k = nf.filter.chain(chain)!.rules.count
                nf.program("-t filter -A \(chain) -m comment --comment \"cali:\(Self.felixHash(chain, k, "nopol"))\" -m comment --comment \"Drop if no policies passed packet\" -m mark --mark 0x0/0x20000 -j DROP")
            }
            felix(nf, "filter", chain, ["-j \(profile)"])
            let k = nf.filter.chain(chain)!.rules.count
            nf.program("-t filter -A \(chain) -m comment --comment \"cali:\(Self.felixHash(chain, k, "ret"))\" -m comment --comment \"Return if profile accepted\" -m mark --mark 0x10000/0x10000 -j RETURN")
            nf.program("-t filter -A \(chain) -m comment --comment \"cali:\(Self.felixHash(chain, k + 1, "drop"))\" -m comment --comment \"Drop if no profiles matched\" -j DROP")
        }
    }
}
