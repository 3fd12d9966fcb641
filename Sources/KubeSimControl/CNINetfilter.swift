import KubeSimCore
import KubeSimNet

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
    }

    // MARK: - flannel

    /// flanneld with --ip-masq, once it holds its lease: the masquerade chain and the
    /// forward chain (flannel pkg/trafficmngr/iptables/iptables.go masqRules and
    /// forwardRules; appended, in this order, through iptables-restore --noflush).
    func flannelRules(_ n: NodeNet, lease: CIDR) {
        let nf = n.netfilter
        let net = clusterCIDR.description, pod = lease.description
        let masq = "-m comment --comment \"flanneld masq\""
        nf.program("-t nat -N FLANNEL-POSTRTG")
        nf.program("-t nat -A POSTROUTING \(masq) -j FLANNEL-POSTRTG")
        // kube-proxy's mark (trafficmngr.go KubeProxyMark): not masqueraded twice.
        nf.program("-t nat -A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 \(masq) -j RETURN")
        nf.program("-t nat -A FLANNEL-POSTRTG -s \(pod) -d \(net) \(masq) -j RETURN")
        nf.program("-t nat -A FLANNEL-POSTRTG -s \(net) -d \(pod) \(masq) -j RETURN")
        nf.program("-t nat -A FLANNEL-POSTRTG ! -s \(net) -d \(pod) \(masq) -j RETURN")
        nf.program("-t nat -A FLANNEL-POSTRTG -s \(net) ! -d 224.0.0.0/4 \(masq) -j MASQUERADE --random-fully")
        nf.program("-t nat -A FLANNEL-POSTRTG ! -s \(net) -d \(net) \(masq) -j MASQUERADE --random-fully")
        let fwd = "-m comment --comment \"flanneld forward\""
        nf.program("-t filter -N FLANNEL-FWD")
        nf.program("-t filter -A FORWARD \(fwd) -j FLANNEL-FWD")
        nf.program("-t filter -A FLANNEL-FWD -s \(net) \(fwd) -j ACCEPT")
        nf.program("-t filter -A FLANNEL-FWD -d \(net) \(fwd) -j ACCEPT")
    }

    // MARK: - Calico (Felix)

    /// Felix's rule identifier comment. Felix hashes each rule with SHA-224 over its chain,
    /// position and text (felix/iptables/table.go); here a SHA-1 of the same inputs,
    /// base64url, 16 characters — a stable name of the same shape.
    static func felixHash(_ chain: String, _ index: Int, _ rule: String) -> String {
        let hex = SHA1.hex(Array("\(chain)\(index)\(rule)".utf8))
        var bytes: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex { let j = hex.index(i, offsetBy: 2); bytes.append(UInt8(hex[i..<j], radix: 16)!); i = j }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var out = ""
        var k = 0
        while out.count < 16 {
            let b0 = Int(bytes[k]), b1 = Int(bytes[k + 1]), b2 = Int(bytes[k + 2])
            for v in [b0 >> 2, (b0 & 3) << 4 | b1 >> 4, (b1 & 15) << 2 | b2 >> 6, b2 & 63] { out.append(alphabet[v]) }
            k += 3
        }
        return String(out.prefix(16))
    }

    /// Appends Felix rules to a chain, each with its `cali:` identifier first.
    func felix(_ nf: Netfilter, _ table: String, _ chain: String, _ rules: [String]) {
        for r in rules {
            let count = nf.table(NFTableName(rawValue: table)!).chain(chain)?.rules.count ?? 0
            let (pre, post) = r.hasPrefix("-") && (r.hasPrefix("-i ") || r.hasPrefix("-o ") || r.hasPrefix("-p ")) ? splitIface(r) : ("", r)
            nf.program("-t \(table) -A \(chain) \(pre)-m comment --comment \"cali:\(Self.felixHash(chain, count, r))\" \(post)")
        }
    }

    private func splitIface(_ r: String) -> (String, String) {
        // Interface and protocol matches print before `-m comment`; keep them first.
        let w = r.split(separator: " ", maxSplits: 2).map(String.init)
        return ("\(w[0]) \(w[1]) ", w.count > 2 ? w[2] : "")
    }

    /// Felix's static chains (felix/rules/static.go, nat.go): the jumps from the built-in
    /// chains, the forward dispatch to per-workload chains, policy marks (accept 0x10000),
    /// and natOutgoing with the pool ipsets.
    func felixStaticRules(_ n: NodeNet) {
        let nf = n.netfilter
        let masqPools = nf.ensureSet("cali40masq-ipam-pools", .hashNet)
        let allPools = nf.ensureSet("cali40all-ipam-pools", .hashNet)
        masqPools.add(.net(clusterCIDR)); allPools.add(.net(clusterCIDR))
        for c in ["cali-PREROUTING", "cali-OUTPUT", "cali-POSTROUTING", "cali-fip-dnat", "cali-fip-snat", "cali-nat-outgoing"] { nf.program("-t nat -N \(c)") }
        felix(nf, "nat", "PREROUTING", ["-j cali-PREROUTING"])
        felix(nf, "nat", "OUTPUT", ["-j cali-OUTPUT"])
        felix(nf, "nat", "POSTROUTING", ["-j cali-POSTROUTING"])
        felix(nf, "nat", "cali-PREROUTING", ["-j cali-fip-dnat"])
        felix(nf, "nat", "cali-OUTPUT", ["-j cali-fip-dnat"])
        felix(nf, "nat", "cali-POSTROUTING", ["-j cali-fip-snat", "-j cali-nat-outgoing"])
        if calicoMode.encapsulation == .ipip {
            // Host traffic into tunl0 from an address not on tunl0 takes tunl0's.
            felix(nf, "nat", "cali-POSTROUTING", ["-o tunl0 -m addrtype ! --src-type LOCAL --limit-iface-out -m addrtype --src-type LOCAL -j MASQUERADE --random-fully"])
        }
        felix(nf, "nat", "cali-nat-outgoing", ["-m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst -j MASQUERADE --random-fully"])
        for c in ["cali-INPUT", "cali-FORWARD", "cali-OUTPUT", "cali-from-wl-dispatch", "cali-to-wl-dispatch", "cali-from-hep-forward",
                  "cali-to-hep-forward", "cali-cidr-block", "cali-wl-to-host"] { nf.program("-t filter -N \(c)") }
        felix(nf, "filter", "INPUT", ["-j cali-INPUT"])
        felix(nf, "filter", "FORWARD", ["-j cali-FORWARD"])
        nf.program("-t filter -A FORWARD -m comment --comment \"cali:\(Self.felixHash("FORWARD", 1, "accept"))\" -m comment --comment \"Policy explicitly accepted packet.\" -m mark --mark 0x10000/0x10000 -j ACCEPT")
        felix(nf, "filter", "OUTPUT", ["-j cali-OUTPUT"])
        felix(nf, "filter", "cali-FORWARD", ["-j MARK --set-xmark 0x0/0xe0000", "-m mark --mark 0x0/0x10000 -j cali-from-hep-forward",
                                             "-i cali+ -j cali-from-wl-dispatch", "-o cali+ -j cali-to-wl-dispatch",
                                             "-j cali-to-hep-forward", "-j cali-cidr-block"])
        felix(nf, "filter", "cali-INPUT", ["-i cali+ -g cali-wl-to-host", "-m mark --mark 0x10000/0x10000 -j ACCEPT"])
        felix(nf, "filter", "cali-wl-to-host", ["-j cali-from-wl-dispatch"])
        nf.program("-t filter -A cali-wl-to-host -m comment --comment \"cali:\(Self.felixHash("cali-wl-to-host", 1, "accept"))\" -m comment --comment \"Configured DefaultEndpointToHostAction\" -j ACCEPT")
        felixDispatch(n)
    }

    /// The dispatch chains: a goto per local workload's interface, then "Unknown interface"
    /// → DROP (felix/rules/dispatch.go).
    func felixDispatch(_ n: NodeNet) {
        let nf = n.netfilter
        let nics = n.pods.values.filter(\.calico).sorted { $0.veth < $1.veth }
        for (chain, dir, prefix) in [("cali-from-wl-dispatch", "-i", "cali-fw-"), ("cali-to-wl-dispatch", "-o", "cali-tw-")] {
            nf.program("-t filter -F \(chain)")
            for nic in nics { felix(nf, "filter", chain, ["\(dir) \(nic.veth) -g \(prefix)\(nic.veth)"]) }
            nf.program("-t filter -A \(chain) -m comment --comment \"cali:\(Self.felixHash(chain, nics.count, "drop"))\" -m comment --comment \"Unknown interface\" -j DROP")
        }
    }

    /// A workload endpoint's chains (felix/rules/endpoints.go): established flows pass,
    /// invalid ones drop, the namespace's profile marks the packet accepted, else drop.
    func felixWorkload(_ n: NodeNet, _ nic: PodNIC) {
        let nf = n.netfilter
        let ns = nic.namespace
        for (profile, kind) in [("cali-pro-kns.\(ns)", "pro"), ("cali-pri-kns.\(ns)", "pri")] where nf.filter.chain(profile) == nil {
            nf.program("-t filter -N \(profile)")
            felix(nf, "filter", profile, ["-j MARK --set-xmark 0x10000/0x10000", "-m mark --mark 0x10000/0x10000 -j RETURN"])
            _ = kind
        }
        for (chain, profile, encapDrops) in [("cali-fw-\(nic.veth)", "cali-pro-kns.\(ns)", true), ("cali-tw-\(nic.veth)", "cali-pri-kns.\(ns)", false)] {
            nf.program("-t filter -N \(chain)")
            felix(nf, "filter", chain, ["-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "-m conntrack --ctstate INVALID -j DROP",
                                        "-j MARK --set-xmark 0x0/0x10000"])
            if encapDrops {
                nf.program("-t filter -A \(chain) -p udp -m comment --comment \"cali:\(Self.felixHash(chain, 3, "vxlan"))\" -m comment --comment \"Drop VXLAN encapped packets originating in workloads\" -m udp --dport 4789 -j DROP")
                nf.program("-t filter -A \(chain) -p ipencap -m comment --comment \"cali:\(Self.felixHash(chain, 4, "ipip"))\" -m comment --comment \"Drop IPinIP encapped packets originating in workloads\" -j DROP")
            }
            felix(nf, "filter", chain, ["-j \(profile)"])
            let k = nf.filter.chain(chain)!.rules.count
            nf.program("-t filter -A \(chain) -m comment --comment \"cali:\(Self.felixHash(chain, k, "ret"))\" -m comment --comment \"Return if profile accepted\" -m mark --mark 0x10000/0x10000 -j RETURN")
            nf.program("-t filter -A \(chain) -m comment --comment \"cali:\(Self.felixHash(chain, k + 1, "drop"))\" -m comment --comment \"Drop if no profiles matched\" -j DROP")
        }
        felixDispatch(n)
    }

    /// The workload is gone: its chains and dispatch entries go.
    func felixRemoveWorkload(_ n: NodeNet, veth: String) {
        felixDispatch(n)
        for c in ["cali-fw-\(veth)", "cali-tw-\(veth)"] where n.netfilter.filter.chain(c) != nil {
            n.netfilter.program("-t filter -F \(c)")
            n.netfilter.program("-t filter -X \(c)")
        }
    }

    // MARK: - Weave Net

    /// The ipset name weave-npc gives a namespace's default-allow set. weave-npc hashes
    /// the name (npc/ipset shortName: base85 of a SHA-1); here the SHA-1's first bytes in
    /// the same printable alphabet, so a set name keeps its shape and stays stable.
    static func weaveSetName(_ what: String) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~")
        let hex = Array(SHA1.hex(Array(what.utf8)).utf8)
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
        nf.program("-t filter -A WEAVE-NPC-EGRESS-ACCEPT -j MARK --set-xmark 0x40000/0x40000")
        // weave-npc on a new node learns the pods that already run.
        for m in nodes.values.sorted(by: { $0.name < $1.name }) {
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
