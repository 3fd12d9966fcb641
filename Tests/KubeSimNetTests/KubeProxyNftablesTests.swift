import Testing
@testable import KubeSimNet
import KubeSimCore

// kube-proxy's nftables mode against upstream's own expectations:
// pkg/proxy/nftables/proxier_test.go TestOverallNFTablesRules with its NewFakeProxier
// (node "test-node" at 192.168.0.2, pod CIDR 10.0.0.0/8 for the local detector, service
// CIDR 172.30.0.0/16, --nodeport-addresses 192.168.0.2/32, mark "0x4000"), the same
// Services and EndpointSlices as TestOverallIPTablesRules. Expected text copied from
// upstream; both sides go through upstream's sortNFTablesTransaction
// (pkg/proxy/nftables/helpers_test.go).

/// helpers_test.go sortNFTablesTransaction: blank and `#` lines dropped; lines sorted by
/// object type (table, chain, rule, set, map, element), then by object name (the fifth
/// word), rules keeping their order, other lines by their whole text.
func sortNFTablesTransaction(_ tx: String) -> String {
    let order = ["table": 10, "chain": 9, "rule": 8, "set": 7, "map": 6, "element": 5]
    let lines = tx.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty && !$0.hasPrefix("#") }
    let sorted = lines.enumerated().sorted { a, b in
        let wi = a.element.split(separator: " ", omittingEmptySubsequences: false), wj = b.element.split(separator: " ", omittingEmptySubsequences: false)
        guard wi.count >= 5, wj.count >= 5 else { return a.offset < b.offset }
        if wi[1] != wj[1] { return (order[String(wi[1])] ?? 0) > (order[String(wj[1])] ?? 0) }
        if wi[4] != wj[4] { return wi[4].utf8.lexicographicallyPrecedes(wj[4].utf8) }
        if wi[1] == "rule" || a.element == b.element { return a.offset < b.offset }
        return a.element.utf8.lexicographicallyPrecedes(b.element.utf8)
    }
    return sorted.map(\.element).joined(separator: "\n")
}

@Suite("kube-proxy nftables mode")
struct KubeProxyNftablesTests {
    static func fakeProxier() -> NftablesProxier {
        var c = NftablesProxier.Config(nodeName: "test-node", nodeIP: ip("192.168.0.2"), clusterCIDR: CIDR(parsing: "10.0.0.0/8"),
                                       serviceCIDRs: [CIDR(parsing: "172.30.0.0/16")!], nodePortAddresses: [ip("192.168.0.2")])
        c.masqueradeMark = "0x4000"
        return NftablesProxier(c)
    }

    /// A namespace with kube-proxy's rules for the given Services, and the seeded source.
    static func programmed(_ services: [ProxyServicePort] = KubeProxyIptablesTests.services,
                           _ endpoints: [String: [ProxyEndpoint]] = KubeProxyIptablesTests.endpoints, seed: UInt64 = 42) -> (Netfilter, NftablesProxier) {
        let nf = Netfilter()
        var state = seed
        nf.random = { state = state &* 6364136223846793005 &+ 1442695040888963407; return UInt32(truncatingIfNeeded: state >> 32) }
        nf.isLocal = { $0 == ip("192.168.0.2") }
        let p = fakeProxier()
        let r = p.sync(services: services, endpoints: endpoints, changed: [], now: 0, on: nf.nftables)
        #expect(r.failure == nil, "\(r.failure ?? "")")
        return (nf, p)
    }

    static let baseRules = """
        add table ip kube-proxy { comment "rules for kube-proxy" ; }

        add set ip kube-proxy cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }
        add set ip kube-proxy nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }

        add map ip kube-proxy firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }
        add map ip kube-proxy no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }
        add map ip kube-proxy no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }
        add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }
        add map ip kube-proxy service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }

        add chain ip kube-proxy cluster-ips-check
        add chain ip kube-proxy filter-prerouting-pre-dnat { type filter hook prerouting priority -110 ; }
        add chain ip kube-proxy filter-output-pre-dnat { type filter hook output priority -110 ; }
        add chain ip kube-proxy filter-forward { type filter hook forward priority 0 ; }
        add chain ip kube-proxy filter-input { type filter hook input priority 0 ; }
        add chain ip kube-proxy filter-output { type filter hook output priority 0 ; }
        add chain ip kube-proxy firewall-check
        add chain ip kube-proxy mark-for-masquerade
        add chain ip kube-proxy masquerading
        add chain ip kube-proxy nat-output { type nat hook output priority -100 ; }
        add chain ip kube-proxy nat-postrouting { type nat hook postrouting priority 100 ; }
        add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority -100 ; }
        add chain ip kube-proxy nodeport-endpoints-check
        add chain ip kube-proxy reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }
        add chain ip kube-proxy services
        add chain ip kube-proxy service-endpoints-check

        add rule ip kube-proxy cluster-ips-check ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"
        add rule ip kube-proxy cluster-ips-check ip daddr { 172.30.0.0/16 } drop comment "Drop traffic to unallocated ClusterIPs"
        add rule ip kube-proxy filter-prerouting-pre-dnat ct state new jump firewall-check
        add rule ip kube-proxy filter-forward ct state new jump service-endpoints-check
        add rule ip kube-proxy filter-forward ct state new jump cluster-ips-check
        add rule ip kube-proxy filter-input ct state new jump nodeport-endpoints-check
        add rule ip kube-proxy filter-input ct state new jump service-endpoints-check
        add rule ip kube-proxy filter-output ct state new jump service-endpoints-check
        add rule ip kube-proxy filter-output-pre-dnat ct state new jump firewall-check
        add rule ip kube-proxy filter-output ct state new jump cluster-ips-check
        add rule ip kube-proxy firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips
        add rule ip kube-proxy mark-for-masquerade mark set mark or 0x4000
        add rule ip kube-proxy masquerading mark and 0x4000 == 0 return
        add rule ip kube-proxy masquerading mark set mark xor 0x4000
        add rule ip kube-proxy masquerading masquerade fully-random
        add rule ip kube-proxy nat-output jump services
        add rule ip kube-proxy nat-postrouting jump masquerading
        add rule ip kube-proxy nat-prerouting jump services
        add rule ip kube-proxy nodeport-endpoints-check ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports
        add rule ip kube-proxy reject-chain reject
        add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips
        add rule ip kube-proxy services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports

        add element ip kube-proxy nodeport-ips { 192.168.0.2 }
        add rule ip kube-proxy service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services

        """

    static let expected = baseRules + """
        # svc1
        add chain ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80
        add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 ip daddr 172.30.0.41 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
        add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 }

        add chain ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80
        add rule ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 ip saddr 10.180.0.1 jump mark-for-masquerade
        add rule ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 meta l4proto tcp dnat to 10.180.0.1:80

        add element ip kube-proxy cluster-ips { 172.30.0.41 }
        add element ip kube-proxy service-ips { 172.30.0.41 . tcp . 80 : goto service-ULMVA6XW-ns1/svc1/tcp/p80 }

        # svc2
        add chain ip kube-proxy service-42NFTM6N-ns2/svc2/tcp/p80
        add rule ip kube-proxy service-42NFTM6N-ns2/svc2/tcp/p80 ip daddr 172.30.0.42 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
        add rule ip kube-proxy service-42NFTM6N-ns2/svc2/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 }
        add chain ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80
        add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 ip saddr 10.0.0.0/8 goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit pod traffic"
        add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"
        add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 fib saddr type local goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit local traffic"
        add chain ip kube-proxy endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80
        add rule ip kube-proxy endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 ip saddr 10.180.0.2 jump mark-for-masquerade
        add rule ip kube-proxy endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 meta l4proto tcp dnat to 10.180.0.2:80

        add element ip kube-proxy cluster-ips { 172.30.0.42 }
        add element ip kube-proxy service-ips { 172.30.0.42 . tcp . 80 : goto service-42NFTM6N-ns2/svc2/tcp/p80 }
        add element ip kube-proxy service-ips { 192.168.99.22 . tcp . 80 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }
        add element ip kube-proxy service-ips { 1.2.3.4 . tcp . 80 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }
        add element ip kube-proxy service-nodeports { tcp . 3001 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }

        add element ip kube-proxy no-endpoint-nodeports { tcp . 3001 comment "ns2/svc2:p80" : drop }
        add element ip kube-proxy no-endpoint-services { 1.2.3.4 . tcp . 80 comment "ns2/svc2:p80" : drop }
        add element ip kube-proxy no-endpoint-services { 192.168.99.22 . tcp . 80 comment "ns2/svc2:p80" : drop }

        # svc3
        add chain ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80
        add rule ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80 ip daddr 172.30.0.43 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
        add rule ip kube-proxy service-4AT6LBPK-ns3/svc3/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 }
        add chain ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80
        add rule ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80 jump mark-for-masquerade
        add rule ip kube-proxy external-4AT6LBPK-ns3/svc3/tcp/p80 goto service-4AT6LBPK-ns3/svc3/tcp/p80
        add chain ip kube-proxy endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80
        add rule ip kube-proxy endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 ip saddr 10.180.0.3 jump mark-for-masquerade
        add rule ip kube-proxy endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 meta l4proto tcp dnat to 10.180.0.3:80

        add element ip kube-proxy cluster-ips { 172.30.0.43 }
        add element ip kube-proxy service-ips { 172.30.0.43 . tcp . 80 : goto service-4AT6LBPK-ns3/svc3/tcp/p80 }
        add element ip kube-proxy service-nodeports { tcp . 3003 : goto external-4AT6LBPK-ns3/svc3/tcp/p80 }

        # svc4
        add chain ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80
        add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 ip daddr 172.30.0.44 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
        add rule ip kube-proxy service-LAUZTJTB-ns4/svc4/tcp/p80 numgen random mod 2 vmap { 0 : goto endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 , 1 : goto endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 }
        add chain ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80
        add rule ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80 jump mark-for-masquerade
        add rule ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80 goto service-LAUZTJTB-ns4/svc4/tcp/p80
        add chain ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80
        add rule ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 ip saddr 10.180.0.5 jump mark-for-masquerade
        add rule ip kube-proxy endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 meta l4proto tcp dnat to 10.180.0.5:80
        add chain ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80
        add rule ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 ip saddr 10.180.0.4 jump mark-for-masquerade
        add rule ip kube-proxy endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 meta l4proto tcp dnat to 10.180.0.4:80

        add element ip kube-proxy cluster-ips { 172.30.0.44 }
        add element ip kube-proxy service-ips { 172.30.0.44 . tcp . 80 : goto service-LAUZTJTB-ns4/svc4/tcp/p80 }
        add element ip kube-proxy service-ips { 192.168.99.33 . tcp . 80 : goto external-LAUZTJTB-ns4/svc4/tcp/p80 }

        # svc5
        add set ip kube-proxy affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 { type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; }
        add chain ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80
        add rule ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80 ip daddr 172.30.0.45 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
        add rule ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80 ip saddr @affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 goto endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80
        add rule ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80 numgen random mod 1 vmap { 0 : goto endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 }
        add chain ip kube-proxy external-HVFWP5L3-ns5/svc5/tcp/p80
        add rule ip kube-proxy external-HVFWP5L3-ns5/svc5/tcp/p80 jump mark-for-masquerade
        add rule ip kube-proxy external-HVFWP5L3-ns5/svc5/tcp/p80 goto service-HVFWP5L3-ns5/svc5/tcp/p80

        add chain ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80
        add rule ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 ip saddr 10.180.0.3 jump mark-for-masquerade
        add rule ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 update @affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 { ip saddr }
        add rule ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 meta l4proto tcp dnat to 10.180.0.3:80

        add chain ip kube-proxy firewall-HVFWP5L3-ns5/svc5/tcp/p80
        add rule ip kube-proxy firewall-HVFWP5L3-ns5/svc5/tcp/p80 ip saddr != { 203.0.113.0/25 } drop

        add element ip kube-proxy cluster-ips { 172.30.0.45 }
        add element ip kube-proxy service-ips { 172.30.0.45 . tcp . 80 : goto service-HVFWP5L3-ns5/svc5/tcp/p80 }
        add element ip kube-proxy service-ips { 5.6.7.8 . tcp . 80 : goto external-HVFWP5L3-ns5/svc5/tcp/p80 }
        add element ip kube-proxy service-nodeports { tcp . 3002 : goto external-HVFWP5L3-ns5/svc5/tcp/p80 }
        add element ip kube-proxy firewall-ips { 5.6.7.8 . tcp . 80 : goto firewall-HVFWP5L3-ns5/svc5/tcp/p80 }

        # svc6
        add element ip kube-proxy cluster-ips { 172.30.0.46 }
        add element ip kube-proxy no-endpoint-services { 172.30.0.46 . tcp . 80 comment "ns6/svc6:p80" : goto reject-chain }

        """

    @Test("TestOverallNFTablesRules: the table matches upstream's expected transaction, line for line")
    func overallRules() {
        let (nf, _) = Self.programmed()
        let got = sortNFTablesTransaction(nf.nftables.dump(.ip, "kube-proxy"))
        let want = sortNFTablesTransaction(Self.expected)
        #expect(got == want)
        if got != want {
            let a = got.split(separator: "\n"), b = want.split(separator: "\n")
            for (k, (x, y)) in zip(a, b).enumerated() where x != y { Issue.record("line \(k + 1):\n got: \(x)\nwant: \(y)"); break }
            if a.count != b.count { Issue.record("\(a.count) lines, want \(b.count)") }
        }
    }

    @Test("chain names: upstream's hashAndTruncate, 8 characters of base32(sha256) and the name")
    func chainNames() {
        let svc1 = KubeProxyIptablesTests.services[0]
        #expect(NFTNames.base(svc1) == "ULMVA6XW-ns1/svc1/tcp/p80")
        #expect(NFTNames.endpointBase(svc1, ProxyEndpoint(ip: ip("10.180.0.1"), port: 80, isLocal: false)) == "5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80")
        // Names past 240 characters keep 237 and end in "..." (hashAndTruncate).
        let long = NFTNames.hashAndTruncate(String(repeating: "a", count: 300))
        #expect(long.utf8.count == 240 && long.hasSuffix("..."))
    }

    @Test("a ClusterIP's first packet is DNATed through the service-ips vmap, the service chain's numgen and the endpoint chain")
    func clusterIPThroughTheVmap() {
        let (nf, _) = Self.programmed()
        var p = tcp("10.0.0.5", "172.30.0.41", sport: 40000, dport: 80)
        let rs = walk(nf, &p, .forwarded)
        #expect(verdict(rs) == .accept)
        #expect(p.dst == ip("10.180.0.1") && p.dport == 80)
        let dnat = rs.flatMap(\.decisions).first { $0.action.hasPrefix("DNAT") }
        #expect(dnat?.nft == "ip kube-proxy")
        #expect(dnat?.path == ["nat-prerouting", "services", "service-ULMVA6XW-ns1/svc1/tcp/p80", "endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80"])
        #expect(dnat?.ruleText == "meta l4proto tcp dnat to 10.180.0.1:80")
        #expect(rs[0].summary(.prerouting).contains("nft ip kube-proxy: nat-prerouting → services → service-ULMVA6XW-ns1/svc1/tcp/p80 → endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 rule 2: DNAT to 10.180.0.1:80"), "\(rs[0].summary(.prerouting))")
        #expect(lines(nf, at: sec) == [
            "tcp      6 119 SYN_SENT src=10.0.0.5 dst=172.30.0.41 sport=40000 dport=80 [UNREPLIED] src=10.180.0.1 dst=10.0.0.5 sport=80 dport=40000 mark=0 use=1",
        ])
        // The connection's next packet follows its conntrack entry: nat-prerouting is not consulted again.
        var next = tcp("10.0.0.5", "172.30.0.41", sport: 40000, dport: 80, flags: "ACK")
        let rs2 = walk(nf, &next, .forwarded, now: sec)
        #expect(next.dst == ip("10.180.0.1"))
        #expect(!rs2.flatMap(\.decisions).contains { $0.chain.hasPrefix("nat-") || $0.path.first == "nat-prerouting" })
    }

    @Test("no endpoints: rejected by reject-chain through no-endpoint-services; a wrong port rejected, an unallocated address dropped")
    func noEndpointsRejected() {
        let (nf, _) = Self.programmed()
        // TestNoEndpointsReject and TestClusterIPGeneral: REJECT, REJECT, DROP.
        var p = tcp("10.0.0.5", "172.30.0.46", sport: 40000, dport: 80)
        let rs = walk(nf, &p, .forwarded)
        #expect(verdict(rs) == .reject("icmp-port-unreachable"))
        #expect(rs.last?.decidingRule?.path == ["filter-forward", "service-endpoints-check", "reject-chain"])
        #expect(rs.last?.decidingRule?.ruleText == "reject")
        var wrongPort = tcp("10.0.0.5", "172.30.0.41", sport: 40001, dport: 443)
        let rs2 = walk(nf, &wrongPort, .forwarded)
        #expect(verdict(rs2) == .reject("icmp-port-unreachable"))
        #expect(rs2.last?.decidingRule?.ruleText == "ip daddr @cluster-ips reject comment \"Reject traffic to invalid ports of ClusterIPs\"")
        var unallocated = tcp("10.0.0.5", "172.30.0.50", sport: 40002, dport: 80)
        let rs3 = walk(nf, &unallocated, .forwarded)
        #expect(verdict(rs3) == .drop)
        #expect(rs3.last?.decidingRule?.ruleText == "ip daddr 172.30.0.0/16 drop comment \"Drop traffic to unallocated ClusterIPs\"")
        // An external-policy-Local Service without local endpoints drops its external IP's traffic.
        var ext = tcp("203.0.113.2", "192.168.99.22", sport: 40003, dport: 80)
        #expect(verdict(walk(nf, &ext, .forwarded)) == .drop)
    }

    @Test("three endpoints split close to a third each (numgen random mod 3, seeded)")
    func threeEndpointsSplit() {
        let svc = KubeProxyIptablesTests.port("default", "web", "172.30.0.50")
        let eps = (1...3).map { ProxyEndpoint(ip: ip("10.244.\($0).2"), port: 80, isLocal: false) }
        let (nf, _) = Self.programmed([svc], ["default/web:p80": eps])
        var hits: [UInt32: Int] = [:]
        for k in 0..<3000 {
            var p = tcp("10.0.0.5", "172.30.0.50", sport: 20000 + k, dport: 80)
            walk(nf, &p, .forwarded)
            hits[p.dst.value, default: 0] += 1
        }
        #expect(hits.count == 3)
        for (_, n) in hits { #expect(abs(n - 1000) < 100, "\(hits)") }
    }

    @Test("ClientIP affinity: a client's new connections stay on its endpoint (update @affinity-…) until the timeout")
    func affinity() {
        var svc = KubeProxyIptablesTests.port("default", "web", "172.30.0.50")
        svc.stickySeconds = 10800
        let eps = (1...3).map { ProxyEndpoint(ip: ip("10.244.\($0).2"), port: 80, isLocal: false) }
        let (nf, _) = Self.programmed([svc], ["default/web:p80": eps])
        var first = tcp("10.0.0.5", "172.30.0.50", sport: 30000, dport: 80)
        walk(nf, &first, .forwarded)
        for k in 1...20 {
            var p = tcp("10.0.0.5", "172.30.0.50", sport: 30000 + k, dport: 80)
            walk(nf, &p, .forwarded, now: Int64(k) * sec)
            #expect(p.dst == first.dst)
        }
        // The client is in exactly one endpoint's affinity set, with the set's timeout.
        let t = nf.nftables.table(.ip, "kube-proxy")!
        let sets = t.orderedSets.filter { $0.name.hasPrefix("affinity-") }
        #expect(sets.count == 3)
        #expect(sets.filter { $0.lookup(UInt64(ip("10.0.0.5").value), now: 20 * sec) != nil }.count == 1)
        #expect(sets.allSatisfy { $0.size == 65535 && $0.timeout == 10800 })
        // Other clients spread over all three; after 3 h without a connection the entry is gone.
        var seen = Set<UInt32>()
        for c in 0..<60 {
            var p = tcp("10.0.1.\(c + 1)", "172.30.0.50", sport: 30000, dport: 80)
            walk(nf, &p, .forwarded, now: 30 * sec)
            seen.insert(p.dst.value)
        }
        #expect(seen.count == 3)
        #expect(sets.allSatisfy { $0.lookup(UInt64(ip("10.0.0.5").value), now: (20 + 10800) * sec) == nil })
    }

    @Test("a partial sync rewrites only the changed Service's chains and elements; the old endpoint chain is flushed, then deleted a second later")
    func partialSync() {
        let (nf, p) = Self.programmed()
        var eps = KubeProxyIptablesTests.endpoints
        eps["ns1/svc1:p80"] = [ProxyEndpoint(ip: ip("10.180.0.9"), port: 80, isLocal: false)]
        let r = p.sync(services: KubeProxyIptablesTests.services, endpoints: eps, changed: ["ns1/svc1"], now: sec / 2, on: nf.nftables)
        #expect(!r.full && r.failure == nil)
        let tx = p.lastTransaction.text
        #expect(!tx.contains("svc4") && !tx.contains("add table") && !tx.contains("service-ips"), "\(tx)")
        #expect(tx.contains("add chain ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80\nflush chain ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80\n"), "\(tx)")
        #expect(tx.contains("flush chain ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80\n"), "\(tx)")
        let t = nf.nftables.table(.ip, "kube-proxy")!
        #expect(t.chains["endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80"]?.rules.isEmpty == true)
        #expect(t.chains["service-LAUZTJTB-ns4/svc4/tcp/p80"]?.rules.count == 2)
        var pkt = tcp("10.0.0.5", "172.30.0.41", sport: 40001, dport: 80)
        walk(nf, &pkt, .forwarded, now: sec)
        #expect(pkt.dst == ip("10.180.0.9"))
        // Not yet a second stale: kept (and noted stale again); more than a second later: deleted.
        p.sync(services: KubeProxyIptablesTests.services, endpoints: eps, changed: [], now: sec, on: nf.nftables)
        #expect(t.chains["endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80"] != nil)
        p.sync(services: KubeProxyIptablesTests.services, endpoints: eps, changed: [], now: 5 * sec / 2, on: nf.nftables)
        #expect(t.chains["endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80"] == nil)
        // A Service deleted: its elements deleted, its chains stale.
        let fewer = Array(KubeProxyIptablesTests.services.dropFirst())
        p.sync(services: fewer, endpoints: eps, changed: ["ns1/svc1"], now: 3 * sec, on: nf.nftables)
        #expect(p.lastTransaction.text.contains("delete element ip kube-proxy service-ips { 172.30.0.41 . tcp . 80 }\n"), "\(p.lastTransaction.text)")
        #expect(p.lastTransaction.text.contains("delete element ip kube-proxy cluster-ips { 172.30.0.41 }\n"))
    }

    @Test("nftables chains run among the iptables tables by priority: iptables' nat DNAT binds first; filter at 0 sees the DNATed address")
    func interleavedWithIptables() {
        let (nf, _) = Self.programmed()
        program(nf, ["-A FORWARD -d 10.180.0.1 -j DROP"])
        var p = tcp("10.0.0.5", "172.30.0.41", sport: 40000, dport: 80)
        let rs = walk(nf, &p, .forwarded)
        #expect(verdict(rs) == .drop)
        #expect(decided(rs).last == "filter FORWARD#1 DROP")
        // The iptables nat table (registered first at −100) makes the DNAT: nft's nat chain is not consulted.
        program(nf, ["-t nat -A PREROUTING -d 172.30.0.42 -p tcp --dport 80 -j DNAT --to-destination 10.99.0.1:8080"])
        var q = tcp("10.0.0.5", "172.30.0.42", sport: 40001, dport: 80)
        let rs2 = walk(nf, &q, .forwarded)
        #expect(q.dst == ip("10.99.0.1") && q.dport == 8080)
        #expect(!rs2.flatMap(\.decisions).contains { $0.nft != nil && $0.path.first == "nat-prerouting" })
    }

    @Test("an empty ruleset leaves netfilter's iptables path alone; cleanup deletes the table")
    func emptyAndCleanup() {
        let nf = Netfilter()
        #expect(!nf.nftables.hooked)
        let (programmed, p) = Self.programmed()
        #expect(programmed.nftables.hooked)
        var tx = NFTTransaction(table: "kube-proxy")
        tx.add(.deleteTable)
        #expect(programmed.nftables.apply(tx) == nil)
        #expect(!programmed.nftables.hooked && programmed.nftables.tables.isEmpty)
        _ = p
    }

    @Test("the masquerade mark as NewProxier writes it: %#08x")
    func markFormat() {
        let c = NftablesProxier.Config(nodeName: "n", nodeIP: ip("10.0.0.1"), clusterCIDR: nil, serviceCIDRs: [], nodePortAddresses: nil)
        #expect(c.masqueradeMark == "0x004000")
    }
}
