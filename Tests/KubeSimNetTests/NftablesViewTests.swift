import Testing
@testable import KubeSimNet
import KubeSimCore

// `nft list …` and the nft command's errors against nft 1.0.6 (Debian bookworm's
// nftables 1.0.6-2+deb12u2, Linux 6.x): the expected text below is what the real nft
// printed after `nft -f` of the same transaction kube-proxy wrote here (its
// lastTransaction.text), in a scratch network namespace.

@Suite("nft views and command")
struct NftablesViewTests {
    /// ClusterIP svc1 with ClientIP affinity and two endpoints, svc6 without endpoints
    /// (one element per map: the kernel lists a hashed map's elements in hash order).
    static func programmed() -> Netfilter {
        var svc1 = KubeProxyIptablesTests.port("ns1", "svc1", "172.30.0.41")
        svc1.stickySeconds = 10800
        let eps: [String: [ProxyEndpoint]] = ["ns1/svc1:p80": [ProxyEndpoint(ip: ip("10.180.0.1"), port: 80, isLocal: false),
                                                               ProxyEndpoint(ip: ip("10.180.0.2"), port: 80, isLocal: false)]]
        return KubeProxyNftablesTests.programmed([svc1, KubeProxyIptablesTests.services[5]], eps).0
    }

    static let listTable = """
        table ip kube-proxy {
        \tcomment "rules for kube-proxy"
        \tset cluster-ips {
        \t\ttype ipv4_addr
        \t\tcomment "Active ClusterIPs"
        \t\telements = { 172.30.0.41, 172.30.0.46 }
        \t}

        \tset nodeport-ips {
        \t\ttype ipv4_addr
        \t\tcomment "IPs that accept NodePort traffic"
        \t\telements = { 192.168.0.2 }
        \t}

        \tmap no-endpoint-services {
        \t\ttype ipv4_addr . inet_proto . inet_service : verdict
        \t\tcomment "vmap to drop or reject packets to services with no endpoints"
        \t\telements = { 172.30.0.46 . tcp . 80 comment "ns6/svc6:p80" : goto reject-chain }
        \t}

        \tmap no-endpoint-nodeports {
        \t\ttype inet_proto . inet_service : verdict
        \t\tcomment "vmap to drop or reject packets to service nodeports with no endpoints"
        \t}

        \tmap firewall-ips {
        \t\ttype ipv4_addr . inet_proto . inet_service : verdict
        \t\tcomment "destinations that are subject to LoadBalancerSourceRanges"
        \t}

        \tmap service-ips {
        \t\ttype ipv4_addr . inet_proto . inet_service : verdict
        \t\tcomment "ClusterIP, ExternalIP and LoadBalancer IP traffic"
        \t\telements = { 172.30.0.41 . tcp . 80 : goto service-ULMVA6XW-ns1/svc1/tcp/p80 }
        \t}

        \tmap service-nodeports {
        \t\ttype inet_proto . inet_service : verdict
        \t\tcomment "NodePort traffic"
        \t}

        \tset affinity-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 {
        \t\ttype ipv4_addr
        \t\tsize 65535
        \t\tflags dynamic,timeout
        \t\ttimeout 3h
        \t}

        \tset affinity-2ZNDXFAB-ns1/svc1/tcp/p80__10.180.0.2/80 {
        \t\ttype ipv4_addr
        \t\tsize 65535
        \t\tflags dynamic,timeout
        \t\ttimeout 3h
        \t}

        \tchain filter-prerouting-pre-dnat {
        \t\ttype filter hook prerouting priority dstnat - 10; policy accept;
        \t\tct state new jump firewall-check
        \t}

        \tchain filter-output-pre-dnat {
        \t\ttype filter hook output priority -110; policy accept;
        \t\tct state new jump firewall-check
        \t}

        \tchain filter-input {
        \t\ttype filter hook input priority filter; policy accept;
        \t\tct state new jump nodeport-endpoints-check
        \t\tct state new jump service-endpoints-check
        \t}

        \tchain filter-forward {
        \t\ttype filter hook forward priority filter; policy accept;
        \t\tct state new jump service-endpoints-check
        \t\tct state new jump cluster-ips-check
        \t}

        \tchain filter-output {
        \t\ttype filter hook output priority filter; policy accept;
        \t\tct state new jump service-endpoints-check
        \t\tct state new jump cluster-ips-check
        \t}

        \tchain nat-prerouting {
        \t\ttype nat hook prerouting priority dstnat; policy accept;
        \t\tjump services
        \t}

        \tchain nat-output {
        \t\ttype nat hook output priority -100; policy accept;
        \t\tjump services
        \t}

        \tchain nat-postrouting {
        \t\ttype nat hook postrouting priority srcnat; policy accept;
        \t\tjump masquerading
        \t}

        \tchain nodeport-endpoints-check {
        \t\tip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports
        \t}

        \tchain service-endpoints-check {
        \t\tip daddr . meta l4proto . th dport vmap @no-endpoint-services
        \t}

        \tchain firewall-check {
        \t\tip daddr . meta l4proto . th dport vmap @firewall-ips
        \t}

        \tchain services {
        \t\tip daddr . meta l4proto . th dport vmap @service-ips
        \t\tip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports
        \t}

        \tchain masquerading {
        \t\tmeta mark & 0x00004000 == 0x00000000 return
        \t\tmeta mark set meta mark ^ 0x00004000
        \t\tmasquerade fully-random
        \t}

        \tchain cluster-ips-check {
        \t\tip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"
        \t\tip daddr 172.30.0.0/16 drop comment "Drop traffic to unallocated ClusterIPs"
        \t}

        \tchain mark-for-masquerade {
        \t\tmeta mark set meta mark | 0x00004000
        \t}

        \tchain reject-chain {
        \t\tcomment "helper for @no-endpoint-services / @no-endpoint-nodeports"
        \t\treject
        \t}

        \tchain endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 {
        \t\tip saddr 10.180.0.1 jump mark-for-masquerade
        \t\tupdate @affinity-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 { ip saddr }
        \t\tmeta l4proto tcp dnat to 10.180.0.1:80
        \t}

        \tchain endpoint-2ZNDXFAB-ns1/svc1/tcp/p80__10.180.0.2/80 {
        \t\tip saddr 10.180.0.2 jump mark-for-masquerade
        \t\tupdate @affinity-2ZNDXFAB-ns1/svc1/tcp/p80__10.180.0.2/80 { ip saddr }
        \t\tmeta l4proto tcp dnat to 10.180.0.2:80
        \t}

        \tchain service-ULMVA6XW-ns1/svc1/tcp/p80 {
        \t\tip daddr 172.30.0.41 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
        \t\tip saddr @affinity-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 goto endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80
        \t\tip saddr @affinity-2ZNDXFAB-ns1/svc1/tcp/p80__10.180.0.2/80 goto endpoint-2ZNDXFAB-ns1/svc1/tcp/p80__10.180.0.2/80
        \t\tnumgen random mod 2 vmap { 0 : goto endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80, 1 : goto endpoint-2ZNDXFAB-ns1/svc1/tcp/p80__10.180.0.2/80 }
        \t}
        }

        """

    @Test("nft list table ip kube-proxy: nft 1.0.6's layout, byte for byte")
    func listTable() {
        let nf = Self.programmed()
        let r = NFTCommand.run(["list", "table", "ip", "kube-proxy"], on: nf.nftables, now: 0)
        #expect(r.status == 0)
        #expect(r.output == Self.listTable)
        if r.output != Self.listTable {
            let a = r.output.split(separator: "\n"), b = Self.listTable.split(separator: "\n")
            for (k, (x, y)) in zip(a, b).enumerated() where x != y { Issue.record("line \(k + 1):\n got: \(x)\nwant: \(y)"); break }
        }
        // `list ruleset` is every table; `list table kube-proxy` takes family ip.
        #expect(NFTCommand.run(["list", "ruleset"], on: nf.nftables, now: 0).output == Self.listTable)
        #expect(NFTCommand.run(["list", "table", "kube-proxy"], on: nf.nftables, now: 0).output == Self.listTable)
        #expect(NFTCommand.run(["list", "tables"], on: nf.nftables, now: 0).output == "table ip kube-proxy\n")
        #expect(NFTCommand.run(["list", "tables", "ip6"], on: nf.nftables, now: 0) == (0, ""))
    }

    @Test("nft list chain, map, set, chains; -a shows handles as the kernel numbers them")
    func listObjects() {
        let nf = Self.programmed()
        func run(_ s: String) -> String { NFTCommand.run(s.split(separator: " ").map(String.init), on: nf.nftables, now: 0).output }
        #expect(run("list chain ip kube-proxy services") == """
            table ip kube-proxy {
            \tchain services {
            \t\tip daddr . meta l4proto . th dport vmap @service-ips
            \t\tip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports
            \t}
            }

            """)
        #expect(run("-a list chain ip kube-proxy services") == """
            table ip kube-proxy {
            \tchain services { # handle 26
            \t\tip daddr . meta l4proto . th dport vmap @service-ips # handle 53
            \t\tip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports # handle 54
            \t}
            }

            """)
        #expect(run("list map ip kube-proxy service-ips") == """
            table ip kube-proxy {
            \tmap service-ips {
            \t\ttype ipv4_addr . inet_proto . inet_service : verdict
            \t\tcomment "ClusterIP, ExternalIP and LoadBalancer IP traffic"
            \t\telements = { 172.30.0.41 . tcp . 80 : goto service-ULMVA6XW-ns1/svc1/tcp/p80 }
            \t}
            }

            """)
        let chains = run("list chains")
        #expect(chains.hasPrefix("table ip kube-proxy {\n\tchain filter-prerouting-pre-dnat {\n\t\ttype filter hook prerouting priority dstnat - 10; policy accept;\n\t}\n\tchain filter-output-pre-dnat {\n"), "\(chains)")
        #expect(chains.contains("\tchain reject-chain {\n\t\tcomment \"helper for @no-endpoint-services / @no-endpoint-nodeports\"\n\t}\n\tchain endpoint-"), "\(chains)")
    }

    @Test("nft's errors: the message, the command, carets under the word (or past the end)")
    func errors() {
        let nf = Self.programmed()
        func run(_ s: String) -> (Int, String) { NFTCommand.run(s.split(separator: " ").map(String.init), on: nf.nftables, now: 0) }
        #expect(run("list table ip kube-prox") == (1, "Error: No such file or directory\nlist table ip kube-prox\n              ^^^^^^^^^"))
        #expect(run("list chain ip kube-proxy svx") == (1, "Error: No such file or directory\nlist chain ip kube-proxy svx\n                         ^^^"))
        #expect(run("list map ip kube-proxy cluster-ips") == (1, "Error: No such file or directory\nlist map ip kube-proxy cluster-ips\n                       ^^^^^^^^^^^"))
        #expect(run("list set ip kube-proxy service-ips") == (1, "Error: No such file or directory\nlist set ip kube-proxy service-ips\n                       ^^^^^^^^^^^"))
        #expect(run("list table inet kube-proxy") == (1, "Error: No such file or directory\nlist table inet kube-proxy\n                ^^^^^^^^^^"))
        #expect(run("list foo") == (1, "Error: syntax error, unexpected string\nlist foo\n     ^^^"))
        #expect(run("list") == (1, "Error: syntax error, unexpected newline\nlist\n    ^"))
        #expect(run("list table") == (1, "Error: syntax error, unexpected newline, expecting string\nlist table\n          ^"))
        #expect(run("list table ip") == (1, "Error: syntax error, unexpected newline, expecting string\nlist table ip\n             ^"))
        #expect(run("list chain ip kube-proxy") == (1, "Error: syntax error, unexpected newline, expecting string\nlist chain ip kube-proxy\n                        ^"))
        #expect(run("list ruleset extra") == (1, "Error: syntax error, unexpected string, expecting end of file or newline or semicolon\nlist ruleset extra\n             ^^^^^"))
        #expect(run("flush foo") == (1, "Error: syntax error, unexpected string\nflush foo\n      ^^^"))
        #expect(run("foo") == (1, "Error: syntax error, unexpected newline, expecting string\nfoo\n   ^"))
        #expect(run("delete table ip nosuch") == (1, "Error: Could not process rule: No such file or directory\ndelete table ip nosuch\n                ^^^^^^"))
        #expect(run("add rule ip kube-proxy nochain drop") == (1, "Error: Could not process rule: No such file or directory\nadd rule ip kube-proxy nochain drop\n                       ^^^^^^^"))
        #expect(run("add rule ip kube-proxy services ip saddr @nosuch drop") == (1, "Error: No such file or directory\nadd rule ip kube-proxy services ip saddr @nosuch drop\n                                         ^^^^^^^"))
        #expect(run("add rule ip kube-proxy services jump nochain") == (1, "Error: Could not process rule: No such file or directory\nadd rule ip kube-proxy services jump nochain\n                                     ^^^^^^^"))
        #expect(run("add rule ip kube-proxy services ip daddr 1.2.3.999 drop") == (1, "Error: Could not resolve hostname: Name or service not known\nadd rule ip kube-proxy services ip daddr 1.2.3.999 drop\n                                         ^^^^^^^^^"))
        #expect(run("add rule ip kube-proxy services meta l4proto foo drop") == (1, "Error: Could not resolve protocol name\nadd rule ip kube-proxy services meta l4proto foo drop\n                                             ^^^"))
        #expect(run("add rule ip kube-proxy services") == (1, "Error: syntax error, unexpected newline\nadd rule ip kube-proxy services\n                               ^"))
        #expect(run("-v").1 == "nftables v1.0.6 (Lester Gooch #5)")
    }

    @Test("a rule added with nft is a rule packets meet: listed as nft prints it")
    func addRule() {
        let nf = Self.programmed()
        let r = NFTCommand.run(["insert", "rule", "ip", "kube-proxy", "filter-forward", "ip", "saddr", "10.0.0.66", "counter", "drop"], on: nf.nftables, now: 0)
        #expect(r.status == 0, "\(r.output)")
        var p = tcp("10.0.0.66", "172.30.0.41", sport: 40000, dport: 80)
        let rs = walk(nf, &p, .forwarded)
        #expect(verdict(rs) == .drop)
        #expect(rs.last?.decidingRule?.ruleText == "ip saddr 10.0.0.66 counter packets 1 bytes 60 drop")
        let listed = NFTCommand.run(["list", "chain", "ip", "kube-proxy", "filter-forward"], on: nf.nftables, now: 0).output
        #expect(listed.contains("\t\tip saddr 10.0.0.66 counter packets 1 bytes 60 drop\n\t\tct state new jump service-endpoints-check\n"), "\(listed)")
    }
}
