import KubeSimCore

// weave's own rules and weave-npc's (the network policy controller).
extension PodNetwork {

    /// The ipset name weave-npc gives a namespace's default-allow set. weave-npc hashes
    /// the name (npc/ipset shortName: base85 of a SHA-1); here the SHA-1's first bytes in
    /// the same printable alphabet, so a set name keeps its shape and stays stable.
    static func weaveSetName(_ what: String) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~")
        let hex = Array(Digests.sha1Hex(Array(what.utf8)).utf8)
        var out = "weave-"
        for k in 0..<20 { out.append(alphabet[Int(hex[k * 2] &* 7 &+ hex[k * 2 + 1]) % alphabet.count]) }
        return out
    }

    /// weave's own rules (weave prog/weaver, net/iptables: FORWARD, INPUT, the WEAVE nat
    /// chain) and weave-npc's (npc: WEAVE-NPC*, default-allow sets per namespace).
    func weaveRules(_ n: NodeNet) {
        let nf = n.netfilter
        let range = clusterCIDR.description
        _ = nf.ensureSet("weaver-no-masq-local", .hashIP)
        nf.program("-t nat -N WEAVE")
        nf.program("-t nat -A POSTROUTING -j WEAVE")
        nf.program("-t nat -A WEAVE -m set --match-set weaver-no-masq-local dst -m comment --comment \"Prevent SNAT to locally running containers\" -j RETURN")
        nf.program("-t nat -A WEAVE -s \(range) -d 224.0.0.0/4 -j RETURN")
        nf.program("-t nat -A WEAVE ! -s \(range) -d \(range) -j MASQUERADE")
        nf.program("-t nat -A WEAVE -s \(range) ! -d \(range) -j MASQUERADE")
        for c in ["WEAVE-NPC", "WEAVE-NPC-INGRESS", "WEAVE-NPC-DEFAULT", "WEAVE-NPC-EGRESS", "WEAVE-NPC-EGRESS-DEFAULT", "WEAVE-NPC-EGRESS-CUSTOM", "WEAVE-NPC-EGRESS-ACCEPT"] {
            nf.program("-t filter -N \(c)")
        }
        nf.program("-t filter -A INPUT -d 127.0.0.1/32 -p tcp -m tcp --dport 6784 -m addrtype ! --src-type LOCAL -m conntrack ! --ctstate RELATED,ESTABLISHED -m comment --comment \"Block non-local access to Weave Net control port\" -j DROP")
        nf.program("-t filter -A INPUT -i weave -j WEAVE-NPC-EGRESS")
        let note = "-m comment --comment \"NOTE: this must go before '-j KUBE-FORWARD'\""
        nf.program("-t filter -A FORWARD -i weave \(note) -j WEAVE-NPC-EGRESS")
        nf.program("-t filter -A FORWARD -o weave \(note) -j WEAVE-NPC")
        nf.program("-t filter -A FORWARD -o weave -m state --state NEW -j NFLOG --nflog-group 86")
        nf.program("-t filter -A FORWARD -o weave -j DROP")
        nf.program("-t filter -A FORWARD -i weave ! -o weave -j ACCEPT")
        nf.program("-t filter -A FORWARD -o weave -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
        nf.program("-t filter -A WEAVE-NPC -m state --state RELATED,ESTABLISHED -j ACCEPT")
        nf.program("-t filter -A WEAVE-NPC -d 224.0.0.0/4 -j ACCEPT")
        nf.program("-t filter -A WEAVE-NPC -m physdev --physdev-out vethwe-bridge --physdev-is-bridged -j ACCEPT")
        nf.program("-t filter -A WEAVE-NPC -m state --state NEW -j WEAVE-NPC-DEFAULT")
        nf.program("-t filter -A WEAVE-NPC -m state --state NEW -j WEAVE-NPC-INGRESS")
        nf.program("-t filter -A WEAVE-NPC-EGRESS -m state --state RELATED,ESTABLISHED -j ACCEPT")
        nf.program("-t filter -A WEAVE-NPC-EGRESS -m physdev --physdev-in vethwe-bridge --physdev-is-bridged -j RETURN")
        nf.program("-t filter -A WEAVE-NPC-EGRESS -m addrtype --dst-type LOCAL -j RETURN")
        nf.program("-t filter -A WEAVE-NPC-EGRESS -d 224.0.0.0/4 -j RETURN")
        nf.program("-t filter -A WEAVE-NPC-EGRESS -m state --state NEW -j WEAVE-NPC-EGRESS-DEFAULT")
        nf.program("-t filter -A WEAVE-NPC-EGRESS -m state --state NEW -m mark ! --mark 0x40000/0x40000 -j WEAVE-NPC-EGRESS-CUSTOM")
        // What neither a namespace's default-allow set nor a policy marked: logged and dropped
        // (prog/weave-npc/main.go createBaseRules, the egress chain it documents).
        nf.program("-t filter -A WEAVE-NPC-EGRESS -m state --state NEW -m mark ! --mark 0x40000/0x40000 -j NFLOG --nflog-group 86")
        nf.program("-t filter -A WEAVE-NPC-EGRESS -m mark ! --mark 0x40000/0x40000 -j DROP")
        nf.program("-t filter -A WEAVE-NPC-EGRESS-ACCEPT -j MARK --set-xmark 0x40000/0x40000")
        // weave-npc on a new node learns the pods that already run.
        for m in nodes.values.filter({ !$0.external }).sorted(by: { $0.name < $1.name }) {
            for nic in m.pods.values.sorted(by: { $0.ip < $1.ip }) { weaveNPCSets(n, namespace: nic.namespace, ip: nic.ip) }
        }
    }

    private func weaveNPCSets(_ node: NodeNet, namespace: String, ip: IPv4Address) {
        let nf = node.netfilter
        let ingress = Self.weaveSetName("ingress:" + namespace), egress = Self.weaveSetName("egress:" + namespace)
        if nf.ipsets[ingress] == nil {
            _ = nf.ensureSet(ingress, .hashIP); _ = nf.ensureSet(egress, .hashIP)
            nf.program("-t filter -A WEAVE-NPC-DEFAULT -m set --match-set \(ingress) dst -m comment --comment \"DefaultAllow ingress isolation for namespace: \(namespace)\" -j ACCEPT")
            nf.program("-t filter -A WEAVE-NPC-EGRESS-DEFAULT -m set --match-set \(egress) src -m comment --comment \"DefaultAllow egress isolation for namespace: \(namespace)\" -j WEAVE-NPC-EGRESS-ACCEPT")
            nf.program("-t filter -A WEAVE-NPC-EGRESS-DEFAULT -m set --match-set \(egress) src -m comment --comment \"DefaultAllow egress isolation for namespace: \(namespace)\" -j RETURN")
        }
        nf.ipsets[ingress]?.add(.ip(ip)); nf.ipsets[egress]?.add(.ip(ip))
    }

    /// weave-npc sees a pod: its address joins its namespace's default-allow sets (ingress
    /// and egress), made with their rules on the namespace's first pod; weave adds local
    /// pods to the no-masquerade set.
    func weaveNPCAdd(_ n: NodeNet, namespace: String, ip: IPv4Address) {
        for node in nodes.values where node.weave { weaveNPCSets(node, namespace: namespace, ip: ip) }
        n.netfilter.ipsets["weaver-no-masq-local"]?.add(.ip(ip))
    }

    func weaveNPCRemove(_ n: NodeNet?, namespace: String, ip: IPv4Address) {
        for node in nodes.values where node.weave {
            node.netfilter.ipsets[Self.weaveSetName("ingress:" + namespace)]?.remove(.ip(ip))
            node.netfilter.ipsets[Self.weaveSetName("egress:" + namespace)]?.remove(.ip(ip))
        }
        n?.netfilter.ipsets["weaver-no-masq-local"]?.remove(.ip(ip))
    }
}

// weave-npc's NetworkPolicy rules (npc/controller.go, npc/rule.go): a pod selected by an
// isolating policy leaves its namespace's default-allow set for that direction; each
// policy rule becomes, per (peer, port), an ACCEPT in WEAVE-NPC-INGRESS (source set →
// destination set) or a mark-and-return pair in WEAVE-NPC-EGRESS-CUSTOM. Selections are
// ipsets named by a hash (npc/ipset shortName).
extension PodNetwork {
    func weaveNPCPolicies(_ n: NodeNet, _ policies: [EnforcedPolicy]) {
        let nf = n.netfilter
        n.enforcedPolicies = policies
        var isolatedIn = Set<UInt32>(), isolatedOut = Set<UInt32>()
        for p in policies {
            if p.ingress != nil { for a in p.selected { isolatedIn.insert(a.value) } }
            if p.egress != nil { for a in p.selected { isolatedOut.insert(a.value) } }
        }
        // The default-allow sets: every pod of the namespace no policy isolates.
        for m in nodes.values where !m.external {
            for nic in m.pods.values where nic.weave {
                let ingress = Self.weaveSetName("ingress:" + nic.namespace), egress = Self.weaveSetName("egress:" + nic.namespace)
                if isolatedIn.contains(nic.ip.value) { _ = nf.ipsets[ingress]?.remove(.ip(nic.ip)) } else { _ = nf.ipsets[ingress]?.add(.ip(nic.ip)) }
                if isolatedOut.contains(nic.ip.value) { _ = nf.ipsets[egress]?.remove(.ip(nic.ip)) } else { _ = nf.ipsets[egress]?.add(.ip(nic.ip)) }
            }
        }
        nf.program("-t filter -F WEAVE-NPC-INGRESS")
        nf.program("-t filter -F WEAVE-NPC-EGRESS-CUSTOM")
        var keep = Set<String>()
        func podSet(_ key: String, _ addrs: [IPv4Address]) -> String {
            let name = Self.weaveSetName(key)
            let set = nf.ensureSet(name, .hashIP)
            set.flush()
            for a in addrs.sorted() { _ = set.add(.ip(a)) }
            keep.insert(name)
            return name
        }
        for p in policies.sorted(by: { ($0.namespace, $0.name) < ($1.namespace, $1.name) }) {
            let selectedSet = podSet("selected:\(p.namespace):\(p.selector)", p.selected)
            let selectedText = "pods: namespace: \(p.namespace), selector: \(p.selector)"
            for (rules, ingress) in [(p.ingress, true), (p.egress, false)] {
                guard let rules else { continue }
                let side = ingress ? "src" : "dst", flag = ingress ? "-s" : "-d"
                for r in rules {
                    let peers: [(String, String)] = r.peers.map { ps in
                        ps.map { peer -> (String, String) in
                            switch peer {
                            case .pods(let selector, let addrs):
                                return ("-m set --match-set \(podSet("peer:" + selector, addrs)) \(side)", "pods: \(selector)")
                            case .block(let cidr, let except):
                                guard !except.isEmpty else { return ("\(flag) \(cidr)", "cidr: \(cidr)") }
                                let name = Self.weaveSetName("except:\(cidr):" + except.map(\.description).joined(separator: ","))
                                let set = nf.ensureSet(name, .hashNet)
                                set.flush()
                                for e in except { if let m = set.parseMember(e.description) { _ = set.add(m) } }
                                keep.insert(name)
                                return ("\(flag) \(cidr) -m set ! --match-set \(name) \(side)", "cidr: \(cidr) except [\(except.map(\.description).joined(separator: " "))]")
                            }
                        }
                    } ?? [("", "anywhere")]
                    let ports: [String] = r.ports.map { ps in
                        ps.map { port -> String in
                            let proto = port.proto.name
                            if let named = port.named {
                                let name = Self.weaveSetName("named:\(proto):\(named):" + port.namedTargets.map { "\($0.0):\($0.1)" }.joined(separator: ","))
                                let set = nf.ensureSet(name, .hashIPPort)
                                set.flush()
                                for (ip, pt) in port.namedTargets { if let m = set.parseMember("\(ip),\(proto):\(pt)") { _ = set.add(m) } }
                                keep.insert(name)
                                return "-p \(proto) -m set --match-set \(name) dst,dst"
                            }
                            guard let n = port.port else { return "-p \(proto)" }
                            return "-p \(proto) -m \(proto) --dport \(n)" + (port.endPort.map { $0 > n ? ":\($0)" : "" } ?? "")
                        }
                    } ?? [""]
                    for (peerMatch, peerText) in peers {
                        for portMatch in ports {
                            let selMatch = "-m set --match-set \(selectedSet) \(ingress ? "dst" : "src")"
                            let matches = (ingress ? [portMatch, peerMatch, selMatch] : [portMatch, selMatch, peerMatch]).filter { !$0.isEmpty }.joined(separator: " ")
                            let comment = ingress ? "\(peerText) -> \(selectedText) (ingress)" : "\(selectedText) -> \(peerText) (egress)"
                            if ingress {
                                nf.program("-t filter -A WEAVE-NPC-INGRESS \(matches) -m comment --comment \"\(comment)\" -j ACCEPT")
                            } else {
                                nf.program("-t filter -A WEAVE-NPC-EGRESS-CUSTOM \(matches) -m comment --comment \"\(comment)\" -j WEAVE-NPC-EGRESS-ACCEPT")
                                nf.program("-t filter -A WEAVE-NPC-EGRESS-CUSTOM \(matches) -m comment --comment \"\(comment)\" -j RETURN")
                            }
                        }
                    }
                }
            }
        }
        // The sets of policies that are gone (no rule names them any more).
        for s in n.policySets.subtracting(keep) { nf.ipsets[s] = nil }
        n.policySets = keep
    }
}
