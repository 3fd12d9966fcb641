import KubeSimCore

// Felix, Calico's node agent: the iptables chains and ipsets it programs.
extension PodNetwork {

    /// Felix's rule identifier comment. Felix hashes each rule with SHA-224 over its chain,
    /// position and text (felix/iptables/table.go); here a SHA-1 of the same inputs,
    /// base64url, 16 characters — a stable name of the same shape.
    static func felixHash(_ chain: String, _ index: Int, _ rule: String) -> String {
        let hex = Digests.sha1Hex(Array("\(chain)\(index)\(rule)".utf8))
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
            // -s/-d/-i/-o/-p print before the matches whatever the order: the comment is the first match.
            nf.program("-t \(table) -A \(chain) -m comment --comment \"cali:\(Self.felixHash(chain, count, r))\" \(r)")
        }
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
        felixEndpointChains(n, nic)
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
}
