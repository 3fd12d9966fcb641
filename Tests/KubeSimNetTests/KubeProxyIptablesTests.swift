import Testing
@testable import KubeSimNet
import KubeSimCore

// kube-proxy's iptables mode against upstream's own expectations:
// pkg/proxy/iptables/proxier_test.go TestOverallIPTablesRules, with its FakeProxier
// (node "test-node" at 192.168.0.2, cluster CIDR 10.0.0.0/8, mark 0x4000, nfacct
// counters available, no --random-fully in the fake iptables). Expected text copied
// from upstream; both sides go through upstream's sortIPTablesRules normalisation.

/// upstream's sortIPTablesRules: tables by name; chains KUBE-NODEPORTS, KUBE-SERVICES,
/// then other KUBE-* chains, then the rest, alphabetically; each chain's rules after the
/// chain lines, with KUBE-NODEPORTS and KUBE-SERVICES stable-sorted by the service name
/// in their comments (the "must be the last rule" rule last).
func sortIPTablesRules(_ data: String) -> String {
    var out: [String] = []
    var blocks: [(name: String, lines: [String])] = []
    for line in data.split(separator: "\n").map(String.init) {
        if line.hasPrefix("*") { blocks.append((String(line.dropFirst()), [])) } else if line != "COMMIT" { blocks[blocks.count - 1].lines.append(line) }
    }
    func serviceName(_ rule: String) -> String? {
        guard let r = rule.range(of: "--comment ") else { return nil }
        var c = rule[r.upperBound...]
        if c.hasPrefix("\"") { c = c.dropFirst() }
        return String(c.prefix { $0 != " " && $0 != ":" && $0 != "\"" })
    }
    for (name, lines) in blocks.sorted(by: { $0.name < $1.name }) {
        var chains: [String] = []
        var rules: [String: [String]] = [:]
        for l in lines {
            if l.hasPrefix(":") { chains.append(String(l.dropFirst().prefix { $0 != " " })) } else {
                let chain = String(l.split(separator: " ")[1])
                rules[chain, default: []].append(l)
            }
        }
        func rank(_ c: String) -> Int { c == "KUBE-NODEPORTS" ? 0 : c == "KUBE-SERVICES" ? 1 : c.hasPrefix("KUBE-") ? 2 : 3 }
        chains.sort { rank($0) != rank($1) ? rank($0) < rank($1) : $0 < $1 }
        out.append("*" + name)
        for c in chains { out.append(":\(c) - [0:0]") }
        for c in chains {
            var rs = rules[c] ?? []
            if c == "KUBE-NODEPORTS" || c == "KUBE-SERVICES" {
                let last = rs.filter { $0.contains("must be the last rule") }
                rs = rs.filter { !$0.contains("must be the last rule") }
                rs = rs.enumerated().sorted { a, b in
                    let (x, y) = (serviceName(a.element) ?? "", serviceName(b.element) ?? "")
                    return x != y ? x < y : a.offset < b.offset
                }.map(\.element) + last
            }
            out += rs
        }
        out.append("COMMIT")
    }
    return out.joined(separator: "\n") + "\n"
}

@Suite("kube-proxy iptables mode")
struct KubeProxyIptablesTests {
    static func fakeProxier() -> IptablesProxier {
        var c = IptablesProxier.Config(nodeName: "test-node", nodeIP: ip("192.168.0.2"), clusterCIDR: CIDR(parsing: "10.0.0.0/8"))
        c.randomFully = false
        return IptablesProxier(c)
    }

    static func port(_ ns: String, _ name: String, _ clusterIP: String, _ configure: (inout ProxyServicePort) -> Void = { _ in }) -> ProxyServicePort {
        var p = ProxyServicePort(namespace: ns, name: name, portName: "p80", proto: "TCP", clusterIP: ip(clusterIP), port: 80)
        configure(&p)
        return p
    }

    /// TestOverallIPTablesRules' services and endpoint slices.
    static let services: [ProxyServicePort] = [
        port("ns1", "svc1", "172.30.0.41"),
        port("ns2", "svc2", "172.30.0.42") {
            $0.nodePort = 3001; $0.loadBalancerIPs = [ip("1.2.3.4")]; $0.externalIPs = [ip("192.168.99.22")]
            $0.externalPolicyLocal = true; $0.healthCheckNodePort = 30000
        },
        port("ns3", "svc3", "172.30.0.43") { $0.nodePort = 3003 },
        port("ns4", "svc4", "172.30.0.44") { $0.externalIPs = [ip("192.168.99.33")] },
        port("ns5", "svc5", "172.30.0.45") {
            $0.nodePort = 3002; $0.loadBalancerIPs = [ip("5.6.7.8")]
            $0.loadBalancerSourceRanges = [CIDR(parsing: "203.0.113.0/25")!]
            $0.stickySeconds = 10800
        },
        port("ns6", "svc6", "172.30.0.46"),
    ]
    static let endpoints: [String: [ProxyEndpoint]] = [
        "ns1/svc1:p80": [ProxyEndpoint(ip: ip("10.180.0.1"), port: 80, isLocal: false)],
        "ns2/svc2:p80": [ProxyEndpoint(ip: ip("10.180.0.2"), port: 80, isLocal: false)],
        "ns3/svc3:p80": [ProxyEndpoint(ip: ip("10.180.0.3"), port: 80, isLocal: false)],
        "ns4/svc4:p80": [ProxyEndpoint(ip: ip("10.180.0.4"), port: 80, isLocal: false), ProxyEndpoint(ip: ip("10.180.0.5"), port: 80, isLocal: true)],
        "ns5/svc5:p80": [ProxyEndpoint(ip: ip("10.180.0.3"), port: 80, isLocal: false)],
    ]

    static let expected = """
        *filter
        :KUBE-NODEPORTS - [0:0]
        :KUBE-SERVICES - [0:0]
        :KUBE-EXTERNAL-SERVICES - [0:0]
        :KUBE-FIREWALL - [0:0]
        :KUBE-FORWARD - [0:0]
        :KUBE-PROXY-FIREWALL - [0:0]
        -A KUBE-NODEPORTS -m comment --comment "ns2/svc2:p80 health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT
        -A KUBE-SERVICES -m comment --comment "ns6/svc6:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.46 --dport 80 -j REJECT
        -A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j DROP
        -A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j DROP
        -A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 3001 -j DROP
        -A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
        -A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP
        -A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
        -A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
        -A KUBE-PROXY-FIREWALL -m comment --comment "ns5/svc5:p80 traffic not accepted by KUBE-FW-NUKIZ6OKUXPJNT4C" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j DROP
        COMMIT
        *nat
        :KUBE-NODEPORTS - [0:0]
        :KUBE-SERVICES - [0:0]
        :KUBE-EXT-4SW47YFZTEDKD3PK - [0:0]
        :KUBE-EXT-GNZBNJ2PO5MGZ6GT - [0:0]
        :KUBE-EXT-NUKIZ6OKUXPJNT4C - [0:0]
        :KUBE-EXT-X27LE4BHSL4DOUIK - [0:0]
        :KUBE-FW-NUKIZ6OKUXPJNT4C - [0:0]
        :KUBE-MARK-MASQ - [0:0]
        :KUBE-POSTROUTING - [0:0]
        :KUBE-SEP-C6EBXVWJJZMIWKLZ - [0:0]
        :KUBE-SEP-I77PXRDZVX7PMWMN - [0:0]
        :KUBE-SEP-OYPFS5VJICHGATKP - [0:0]
        :KUBE-SEP-RS4RBKLTHTF2IUXJ - [0:0]
        :KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]
        :KUBE-SEP-UKSFD7AGPMPPLUHC - [0:0]
        :KUBE-SVC-4SW47YFZTEDKD3PK - [0:0]
        :KUBE-SVC-GNZBNJ2PO5MGZ6GT - [0:0]
        :KUBE-SVC-NUKIZ6OKUXPJNT4C - [0:0]
        :KUBE-SVC-X27LE4BHSL4DOUIK - [0:0]
        :KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
        -A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3001 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
        -A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
        -A KUBE-NODEPORTS -m comment --comment ns3/svc3:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3003 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-X27LE4BHSL4DOUIK
        -A KUBE-NODEPORTS -m comment --comment ns3/svc3:p80 -m tcp -p tcp --dport 3003 -j KUBE-EXT-X27LE4BHSL4DOUIK
        -A KUBE-NODEPORTS -m comment --comment ns5/svc5:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3002 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-NUKIZ6OKUXPJNT4C
        -A KUBE-NODEPORTS -m comment --comment ns5/svc5:p80 -m tcp -p tcp --dport 3002 -j KUBE-EXT-NUKIZ6OKUXPJNT4C
        -A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
        -A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 80 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
        -A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 external IP" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
        -A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 loadbalancer IP" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
        -A KUBE-SERVICES -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK
        -A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 -j KUBE-SVC-4SW47YFZTEDKD3PK
        -A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 external IP" -m tcp -p tcp -d 192.168.99.33 --dport 80 -j KUBE-EXT-4SW47YFZTEDKD3PK
        -A KUBE-SERVICES -m comment --comment "ns5/svc5:p80 cluster IP" -m tcp -p tcp -d 172.30.0.45 --dport 80 -j KUBE-SVC-NUKIZ6OKUXPJNT4C
        -A KUBE-SERVICES -m comment --comment "ns5/svc5:p80 loadbalancer IP" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j KUBE-FW-NUKIZ6OKUXPJNT4C
        -A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
        -A KUBE-EXT-4SW47YFZTEDKD3PK -m comment --comment "masquerade traffic for ns4/svc4:p80 external destinations" -j KUBE-MARK-MASQ
        -A KUBE-EXT-4SW47YFZTEDKD3PK -j KUBE-SVC-4SW47YFZTEDKD3PK
        -A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "pod traffic for ns2/svc2:p80 external destinations" -s 10.0.0.0/8 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
        -A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "masquerade LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
        -A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "route LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
        -A KUBE-EXT-NUKIZ6OKUXPJNT4C -m comment --comment "masquerade traffic for ns5/svc5:p80 external destinations" -j KUBE-MARK-MASQ
        -A KUBE-EXT-NUKIZ6OKUXPJNT4C -j KUBE-SVC-NUKIZ6OKUXPJNT4C
        -A KUBE-EXT-X27LE4BHSL4DOUIK -m comment --comment "masquerade traffic for ns3/svc3:p80 external destinations" -j KUBE-MARK-MASQ
        -A KUBE-EXT-X27LE4BHSL4DOUIK -j KUBE-SVC-X27LE4BHSL4DOUIK
        -A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 loadbalancer IP" -s 203.0.113.0/25 -j KUBE-EXT-NUKIZ6OKUXPJNT4C
        -A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "other traffic to ns5/svc5:p80 will be dropped by KUBE-PROXY-FIREWALL"
        -A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
        -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
        -A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
        -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
        -A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -s 10.180.0.5 -j KUBE-MARK-MASQ
        -A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.5:80
        -A KUBE-SEP-I77PXRDZVX7PMWMN -m comment --comment ns5/svc5:p80 -s 10.180.0.3 -j KUBE-MARK-MASQ
        -A KUBE-SEP-I77PXRDZVX7PMWMN -m comment --comment ns5/svc5:p80 -m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --set -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80
        -A KUBE-SEP-OYPFS5VJICHGATKP -m comment --comment ns3/svc3:p80 -s 10.180.0.3 -j KUBE-MARK-MASQ
        -A KUBE-SEP-OYPFS5VJICHGATKP -m comment --comment ns3/svc3:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80
        -A KUBE-SEP-RS4RBKLTHTF2IUXJ -m comment --comment ns2/svc2:p80 -s 10.180.0.2 -j KUBE-MARK-MASQ
        -A KUBE-SEP-RS4RBKLTHTF2IUXJ -m comment --comment ns2/svc2:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.2:80
        -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
        -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
        -A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -s 10.180.0.4 -j KUBE-MARK-MASQ
        -A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.4:80
        -A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
        -A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.4:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-UKSFD7AGPMPPLUHC
        -A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.5:80" -j KUBE-SEP-C6EBXVWJJZMIWKLZ
        -A KUBE-SVC-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
        -A KUBE-SVC-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 -> 10.180.0.2:80" -j KUBE-SEP-RS4RBKLTHTF2IUXJ
        -A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 cluster IP" -m tcp -p tcp -d 172.30.0.45 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
        -A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --rcheck --seconds 10800 --reap -j KUBE-SEP-I77PXRDZVX7PMWMN
        -A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -j KUBE-SEP-I77PXRDZVX7PMWMN
        -A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
        -A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.180.0.3:80" -j KUBE-SEP-OYPFS5VJICHGATKP
        -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
        -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ
        COMMIT

        """

    @Test("TestOverallIPTablesRules: the restore input matches upstream's expected rules")
    func overallRules() {
        let nf = Netfilter()
        let p = Self.fakeProxier()
        let r = p.sync(services: Self.services, endpoints: Self.endpoints, changed: [], now: 0, on: nf)
        #expect(r.outcome.status == 0, "\(r.outcome.output)")
        let got = sortIPTablesRules(p.iptablesData)
        #expect(got == Self.expected)
        if got != Self.expected {
            let a = got.split(separator: "\n"), b = Self.expected.split(separator: "\n")
            for (k, (x, y)) in zip(a, b).enumerated() where x != y { Issue.record("line \(k + 1):\n got: \(x)\nwant: \(y)"); break }
        }
    }

    @Test("chain names: base32 of sha256, 16 characters")
    func chainNames() {
        #expect(KubeProxyNames.svc(Self.services[0]) == "KUBE-SVC-XPGD46QRK7WJZT7O")
        #expect(KubeProxyNames.sep(Self.services[0], ProxyEndpoint(ip: ip("10.180.0.1"), port: 80, isLocal: false)) == "KUBE-SEP-SXIVWICOYRO3J4NJ")
    }

    @Test("probabilities as %0.10f of 1/(n-i)")
    func probabilities() {
        let p = Self.fakeProxier()
        #expect(p.probability(2) == "0.5000000000")
        #expect(p.probability(3) == "0.3333333333")
        #expect(p.probability(7) == "0.1428571429")
    }

    @Test("a packet to a ClusterIP is DNATed to the endpoint by the rules kube-proxy wrote")
    func clusterIPIsDNATed() {
        let nf = Netfilter()
        Self.fakeProxier().sync(services: Self.services, endpoints: Self.endpoints, changed: [], now: 0, on: nf)
        var p = tcp("10.0.0.5", "172.30.0.41", sport: 40000, dport: 80)
        walk(nf, &p, .forwarded)
        #expect(p.dst == ip("10.180.0.1"))
        #expect(p.dport == 80)
        #expect(lines(nf, at: sec) == [
            "tcp      6 119 SYN_SENT src=10.0.0.5 dst=172.30.0.41 sport=40000 dport=80 [UNREPLIED] src=10.180.0.1 dst=10.0.0.5 sport=80 dport=40000 mark=0 use=1",
        ])
    }

    @Test("a Service without endpoints is rejected in filter, before any NAT")
    func noEndpointsRejects() {
        let nf = Netfilter()
        Self.fakeProxier().sync(services: Self.services, endpoints: Self.endpoints, changed: [], now: 0, on: nf)
        var p = tcp("10.0.0.5", "172.30.0.46", sport: 40000, dport: 80)
        let rs = walk(nf, &p, .forwarded)
        #expect(decided(rs).last == "filter KUBE-SERVICES#1 REJECT --reject-with icmp-port-unreachable")
        #expect(p.dst == ip("172.30.0.46"))
    }

    @Test("three endpoints split close to a third each (statistic random, seeded)")
    func threeEndpointsSplit() {
        let nf = Netfilter()
        var state: UInt64 = 42
        nf.random = { state = state &* 6364136223846793005 &+ 1442695040888963407; return UInt32(truncatingIfNeeded: state >> 33) }
        let svc = Self.port("default", "web", "10.96.0.50")
        let eps = (1...3).map { ProxyEndpoint(ip: ip("10.244.\($0).2"), port: 80, isLocal: false) }
        Self.fakeProxier().sync(services: [svc], endpoints: ["default/web:p80": eps], changed: [], now: 0, on: nf)
        var hits: [UInt32: Int] = [:]
        for k in 0..<3000 {
            var p = tcp("10.0.0.5", "10.96.0.50", sport: 20000 + k, dport: 80)
            walk(nf, &p, .forwarded)
            hits[p.dst.value, default: 0] += 1
        }
        #expect(hits.count == 3)
        for (_, n) in hits { #expect(abs(n - 1000) < 100, "\(hits)") }
    }

    @Test("a partial sync rewrites only the changed Service's chains; a chain no longer used is deleted")
    func partialSyncAndStaleChains() {
        let nf = Netfilter()
        let p = Self.fakeProxier()
        p.sync(services: Self.services, endpoints: Self.endpoints, changed: [], now: 0, on: nf)
        var eps = Self.endpoints
        eps["ns1/svc1:p80"] = [ProxyEndpoint(ip: ip("10.180.0.9"), port: 80, isLocal: false)]
        let r = p.sync(services: Self.services, endpoints: eps, changed: ["ns1/svc1"], now: sec, on: nf)
        #expect(!r.full)
        #expect(r.outcome.status == 0, "\(r.outcome.output)")
        // svc4's chains were left out of the input but stay in the kernel.
        #expect(!p.iptablesData.contains(":KUBE-SVC-4SW47YFZTEDKD3PK"))
        #expect(nf.nat.chain("KUBE-SVC-4SW47YFZTEDKD3PK")?.rules.count == 3)
        // The old endpoint's chain is flushed and deleted; the new one DNATs.
        #expect(p.iptablesData.contains("-X KUBE-SEP-SXIVWICOYRO3J4NJ\n"))
        #expect(nf.nat.chain("KUBE-SEP-SXIVWICOYRO3J4NJ") == nil)
        var pkt = tcp("10.0.0.5", "172.30.0.41", sport: 40001, dport: 80)
        walk(nf, &pkt, .forwarded, now: sec)
        #expect(pkt.dst == ip("10.180.0.9"))
    }

    @Test("the jump rules from the built-in chains, as iptables-save prints them")
    func jumpRules() {
        let nf = Netfilter()
        Self.fakeProxier().sync(services: [], endpoints: [:], changed: [], now: 0, on: nf)
        let save = IptablesView.save(nf, table: .nat, counters: false, date: "")
        #expect(save.contains("-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n"), "\(save)")
        #expect(save.contains("-A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING\n"), "\(save)")
        #expect(save.contains("-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE\n"), "\(save)")
        let filter = IptablesView.save(nf, table: .filter, counters: false, date: "")
        #expect(filter.contains("-A FORWARD -m conntrack --ctstate NEW -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n"), "\(filter)")
    }

    @Test("a SYN on a connection in TIME_WAIT reopens it: nat picks an endpoint afresh; a retransmitted SYN does not")
    func timeWaitReopens() {
        let nf = Netfilter()
        var state: UInt64 = 7
        nf.random = { state = state &* 6364136223846793005 &+ 1442695040888963407; return UInt32(truncatingIfNeeded: state >> 33) }
        let svc = Self.port("default", "web", "10.96.0.50")
        let eps = (1...3).map { ProxyEndpoint(ip: ip("10.244.\($0).2"), port: 80, isLocal: false) }
        Self.fakeProxier().sync(services: [svc], endpoints: ["default/web:p80": eps], changed: [], now: 0, on: nf)
        let chain = KubeProxyNames.svc(svc)
        func picks() -> UInt64 { (2...4).map { counters(nf, .nat, chain, $0)[0] }.reduce(0, +) }
        var first = tcp("10.0.0.5", "10.96.0.50", sport: 33000, dport: 80)
        walk(nf, &first, .forwarded)
        var again = tcp("10.0.0.5", "10.96.0.50", sport: 33000, dport: 80)
        walk(nf, &again, .forwarded, now: sec)
        #expect(picks() == 1, "a retransmitted SYN follows the entry")
        #expect(again.dst == first.dst)
        nf.conntrack.entries(now: sec).first!.tcpState = .timeWait
        var reopened = tcp("10.0.0.5", "10.96.0.50", sport: 33000, dport: 80)
        walk(nf, &reopened, .forwarded, now: 2 * sec)
        #expect(picks() == 2, "the reopened connection met the statistic rules again")
        #expect(nf.conntrack.entries(now: 2 * sec).count == 1)
    }
}
