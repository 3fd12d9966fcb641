import Testing
import KubeScript
import KubeSimShell

/// Calico as the pod network: /26 IPAM blocks per node, cali… veths with /32 host
/// routes, bird's BGP mesh, and the pool's encapsulation (none, IPIP, VXLAN; Always or
/// CrossSubnet) as `ip route`, traces and tcpdump show them.
@Suite("pod network: calico")
struct CalicoTests {
    func run(_ script: String) -> ScriptRun { runScript(script) }

    /// Pod a on node1, b on node2, c on node3. Each node's first block comes from a start
    /// point hashed from its hostname: node1 10.244.197.0/26, node2 10.244.11.64/26,
    /// node3 10.244.158.128/26.
    static let pods = placePods([("a", "node1"), ("b", "node2"), ("c", "node3")]) + "\n"

    @Test func bgpWithoutEncapsulation() {
        let r = run("cluster nodes=3 cni=calico\n" + Self.pods + """
        assert pod("a").ip == "10.244.197.0"
        assert pod("b").ip == "10.244.11.64"
        ssh node1 ip route
        exec a -- ip route
        exec a -- ip addr
        let t = (trace from pod/a to pod/b:80)
        assert t.delivered
        assert t.path.contains("node1 eth0") and not t.path.contains("tunl0")
        trace from pod/a to pod/b:80
        let big = (trace from pod/a to pod/b --proto icmp --size 1500)
        assert big.delivered
        let too = (trace from pod/a to pod/b --proto icmp --size 1501)
        assert too.reason == "message too long (MTU 1500)"
        ssh node1 calicoctl node status
        ssh node1 ls /etc/cni/net.d
        ssh node1 cat /etc/cni/net.d/10-calico.conflist
        exec a -- wget -qO- http://10.244.11.64 > /dev/null
        logs b --tail=1
        """)
        #expect(r.outcome == .success, "\(r.err)")
        // veth names: "cali" + 11 hex digits of SHA-1("default.a").
        #expect(r.out.contains("""
        default via 192.168.56.1 dev eth0 
        10.244.11.64/26 via 192.168.56.12 dev eth0 proto bird 
        10.244.158.128/26 via 192.168.56.13 dev eth0 proto bird 
        blackhole 10.244.197.0/26 proto bird 
        10.244.197.0 dev caliacd53aa4120 scope link 
        192.168.56.0/24 dev eth0 proto kernel scope link src 192.168.56.11 
        """))
        #expect(r.out.contains("default via 169.254.1.1 dev eth0 \n169.254.1.1 dev eth0 scope link \n"))
        #expect(r.out.contains("2: eth0@if5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000"))
        #expect(r.out.contains("    inet 10.244.197.0/32 scope global eth0\n"))
        // The packet is routed twice (TTL 64 → 62) and never bridged.
        #expect(r.out.contains("node1  routing          10.244.11.64/26 via 192.168.56.12 dev eth0 proto bird"))
        #expect(r.out.contains("node2  routing          10.244.11.64 dev califf6fc35a693 scope link"))
        #expect(r.out.contains(#/pod\/b eth0 +deliver +10\.244\.197\.0:40000 > 10\.244\.11\.64:80 TCP SYN ttl=62 len=60\n/#))
        #expect(r.out.contains("""
        Calico process is running.

        IPv4 BGP status
        +---------------+-------------------+-------+----------+-------------+
        | PEER ADDRESS  |     PEER TYPE     | STATE |  SINCE   |    INFO     |
        +---------------+-------------------+-------+----------+-------------+
        | 192.168.56.12 | node-to-node mesh | up    | 00:00:00 | Established |
        | 192.168.56.13 | node-to-node mesh | up    | 00:00:00 | Established |
        +---------------+-------------------+-------+----------+-------------+

        IPv6 BGP status
        No IPv6 peers found.
        """))
        #expect(r.out.contains("10-calico.conflist\ncalico-kubeconfig\n"))
        #expect(r.out.contains("\"type\": \"calico-ipam\"") && r.out.contains("\"nodename\": \"node1\"") && r.out.contains("\"mtu\": 1500"))
        // No NAT: nginx logs the client pod's own address.
        #expect(r.out.contains("10.244.197.0 - - [01/Jan/2026:00:00:"))
    }

    @Test func ipipAlwaysEncapsulatesThroughTunl0() {
        let r = run("cluster nodes=3 cni=calico calico-mode=ipip\n" + Self.pods + """
        ssh node1 ip route
        ssh node1 ip addr
        ssh node2 tcpdump -i eth0 -n
        exec a -- ping -c 1 ${pod("b").ip}
        stop tcpdump
        let t = (trace from pod/a to pod/b --proto icmp --size 1480)
        assert t.delivered
        let big = (trace from pod/a to pod/b --proto icmp --size 1481)
        assert big.reason == "message too long (MTU 1480)"
        trace from pod/a to pod/b:80
        """)
        #expect(r.outcome == .success, "\(r.err)")
        // The tunnel address is the first of the node's block; pods follow it.
        #expect(r.out.contains("""
        default via 192.168.56.1 dev eth0 
        10.244.11.64/26 via 192.168.56.12 dev tunl0 proto bird onlink 
        10.244.158.128/26 via 192.168.56.13 dev tunl0 proto bird onlink 
        blackhole 10.244.197.0/26 proto bird 
        10.244.197.1 dev caliacd53aa4120 scope link 
        """))
        #expect(r.out.contains("3: tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1480 qdisc noqueue state UNKNOWN group default qlen 1000\n    link/ipip 0.0.0.0 brd 0.0.0.0\n    inet 10.244.197.0/32 scope global tunl0\n"))
        #expect(r.out.contains(" IP 192.168.56.11 > 192.168.56.12: IP 10.244.197.1 > 10.244.11.65: ICMP echo request, id "))
        #expect(r.out.contains(" IP 192.168.56.12 > 192.168.56.11: IP 10.244.11.65 > 10.244.197.1: ICMP echo reply, id "))
        #expect(r.out.contains(#/tunl0 +encapsulate IPIP: to 192\.168\.56\.12 \(node2\) +outer 192\.168\.56\.11 > 192\.168\.56\.12 IPIP len=80 \| inner 10\.244\.197\.1:40000 > 10\.244\.11\.65:80 TCP SYN ttl=63 len=60\n/#))
        // The outer IPIP packet is node1's own send: OUTPUT and POSTROUTING, then eth0.
        #expect(r.out.contains(#/\n8 +node1 +OUTPUT +outer: conntrack: .*\n9 +node1 +POSTROUTING +outer: .*\n10 +node1 +eth0 +transmit /#))
        #expect(r.out.contains("node2  tunl0            decapsulate IPIP"))
    }

    @Test func vxlanAlwaysEncapsulatesThroughVxlanCalico() {
        let r = run("cluster nodes=3 cni=calico calico-mode=vxlan\n" + Self.pods + """
        ssh node1 ip route
        ssh node1 ip neigh
        ssh node1 bridge fdb
        ssh node2 tcpdump -i eth0 -n
        exec a -- ping -c 1 ${pod("b").ip}
        stop tcpdump
        let big = (trace from pod/a to pod/b --proto icmp --size 1451)
        assert big.reason == "message too long (MTU 1450)"
        ssh node1 cat /etc/cni/net.d/10-calico.conflist
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("""
        10.244.11.64/26 via 10.244.11.64 dev vxlan.calico proto 80 onlink 
        10.244.158.128/26 via 10.244.158.128 dev vxlan.calico proto 80 onlink 
        blackhole 10.244.197.0/26 proto 80 
        """))
        #expect(r.out.contains("10.244.11.64 dev vxlan.calico lladdr "))
        #expect(r.out.contains(" dev vxlan.calico dst 192.168.56.12 self permanent"))
        #expect(r.out.contains(" > 192.168.56.12.4789: VXLAN, flags [I] (0x08), vni 4096\nIP 10.244.197.1 > 10.244.11.65: ICMP echo request, id "))
        #expect(r.out.contains("\"mtu\": 1450"))
    }

    @Test func crossSubnetEncapsulatesOnlyBetweenSubnets() {
        // segments=2: node1 and node3 on 192.168.56.0/24, node2 on 192.168.57.0/24.
        // Same-subnet routes come from bird with IPIP, from Felix with VXLAN (no BGP there).
        for (mode, dev, origin) in [("ipip-crosssubnet", "tunl0", "bird"), ("vxlan-crosssubnet", "vxlan.calico", "80")] {
            let r = run("cluster nodes=3 cni=calico segments=2 calico-mode=\(mode)\n" + Self.pods + """
            ssh node1 ip route
            let far = (trace from pod/a to pod/b:80)
            assert far.delivered
            assert far.path.contains("node1 \(dev)") and far.path.contains("node1 underlay router")
            let near = (trace from pod/a to pod/c:80)
            assert near.delivered
            assert not near.path.contains("node1 \(dev)")
            """)
            #expect(r.outcome == .success, "\(mode): \(r.err)")
            #expect(r.out.contains("10.244.158.128/26 via 192.168.56.13 dev eth0 proto \(origin) \n"), "\(mode)")
            #expect(r.out.contains("10.244.11.64/26 via ") && r.out.contains(" dev \(dev) "), "\(mode)")
        }
    }

    @Test func bgpAloneCannotReachAnotherSubnet() {
        let r = run("cluster nodes=3 cni=calico segments=2\n" + Self.pods + """
        ssh node1 ip route
        let t = (trace from pod/a to pod/b:80)
        assert not t.delivered
        print t.reason
        assert (trace from pod/a to pod/c:80).delivered
        expect error "download timed out" { exec a -- wget -T 2 -qO- http://${pod("b").ip} }
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(!r.out.contains("10.244.11.64/26 via 192.168.57.12 dev"))
        #expect(r.out.contains("no route to 10.244.11.64/26 via 192.168.57.12: node2 is in another subnet and the pool does not encapsulate"))
    }

    @Test func blocksFillAndAddressesComeBack() {
        let r = run("""
        cluster nodes=1 cni=calico
        create deployment web --image=nginx:1.25 --replicas=65
        settle
        ssh node1 calicoctl ipam show --show-blocks
        ssh node1 ip route
        assert pods(app=web, phase=Running).count == 65
        scale deployment web --replicas=0
        settle
        ssh node1 calicoctl ipam show --show-blocks
        """)
        #expect(r.outcome == .success, "\(r.err)")
        // 65 pods: the first /26 is full, a second block is claimed (the next one).
        #expect(r.out.contains("""
        +----------+------------------+-----------+------------+--------------+
        | GROUPING | CIDR             | IPS TOTAL | IPS IN USE | IPS FREE     |
        +----------+------------------+-----------+------------+--------------+
        | IP Pool  | 10.244.0.0/16    | 65536     | 65 (0%)    | 65471 (100%) |
        | Block    | 10.244.197.0/26  | 64        | 64 (100%)  | 0 (0%)       |
        | Block    | 10.244.197.64/26 | 64        | 1 (2%)     | 63 (98%)     |
        +----------+------------------+-----------+------------+--------------+
        """))
        #expect(r.out.contains("blackhole 10.244.197.0/26 proto bird \n") && r.out.contains("blackhole 10.244.197.64/26 proto bird \n"))
        // Scaled to zero: every address is back; the blocks stay affine to the node.
        #expect(r.out.contains("| IP Pool  | 10.244.0.0/16    | 65536     | 0 (0%)     | 65536 (100%) |\n| Block    | 10.244.197.0/26  | 64        | 0 (0%)     | 64 (100%)    |"))
    }

    /// node2 stops at 1m45s. bird on node1 hears nothing more and keeps the session (and
    /// node2's route) until the hold timer runs out: 240 s after node2's last keepalive,
    /// sent at 80 s (every 80 s since the session came up at 0 s), so at 5m20s.
    @Test func aStoppedPeerTimesOutAndItsRoutesAreWithdrawn() {
        let r = run("cluster nodes=3 cni=calico\n" + Self.pods + """
        tick 100s
        fail node node2
        tick 3m
        ssh node1 calicoctl node status
        ssh node1 ip route
        let before = (trace from pod/a to pod/b:80)
        assert not before.delivered and before.droppedAt == "node2 eth0" and before.reason == "node2 is down: nothing receives the frame"
        tick 40s
        ssh node1 calicoctl node status
        ssh node1 ip route
        let after = (trace from pod/a to pod/b:80)
        assert not after.delivered and after.droppedAt == "node1 eth0"
        assert after.reason.contains("bird withdrew it when its BGP session with node2 (192.168.56.12) ended (hold timer expired")
        assert (trace from pod/a to pod/c:80).delivered
        expect error "download timed out" { exec a -- wget -T 2 -qO- ${pod("b").ip} }
        recover node node2
        tick 5s
        ssh node1 calicoctl node status
        ssh node1 ip route
        """)
        #expect(r.outcome == .success, "\(r.err)")
        let statuses = r.out.components(separatedBy: "Calico process is running.").dropFirst().map { $0 }
        #expect(statuses.count == 3)
        guard statuses.count == 3 else { return }
        // At 4m45s the session still stands; the route to node2's block with it.
        #expect(statuses[0].contains("| 192.168.56.12 | node-to-node mesh | up    | 00:00:00 | Established |"), "\(statuses[0])")
        #expect(statuses[0].contains("10.244.11.64/26 via 192.168.56.12 dev eth0 proto bird \n"))
        // At 5m22s: hold timer expired at 5m20s, the route is gone, node3's stays.
        #expect(statuses[1].contains("| 192.168.56.12 | node-to-node mesh | start | 00:05:20 | Active BGP Error: Hold timer expired |"), "\(statuses[1])")
        #expect(statuses[1].contains("| 192.168.56.13 | node-to-node mesh | up    | 00:00:00 | Established                          |"))
        #expect(!statuses[1].contains("10.244.11.64/26"))
        #expect(statuses[1].contains("10.244.158.128/26 via 192.168.56.13 dev eth0 proto bird \n"))
        // wget -T 2 waited two seconds; node2 back at 5m24s: a new session since its restart, the route again.
        #expect(statuses[2].contains("| 192.168.56.12 | node-to-node mesh | up    | 00:05:24 | Established |"), "\(statuses[2])")
        #expect(statuses[2].contains("10.244.11.64/26 via 192.168.56.12 dev eth0 proto bird \n"))
    }

    /// VXLAN pools run without bird: no BGP sessions, and Felix keeps a stopped node's
    /// route (it comes from the datastore, where the node's block still is).
    @Test func vxlanRunsNoBirdAndKeepsRoutesOfAStoppedNode() {
        let r = run("cluster nodes=3 cni=calico calico-mode=vxlan\n" + Self.pods + """
        ssh node1 calicoctl node status
        fail node node2
        tick 10m
        ssh node1 ip route
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("Calico process is running.\n\nNone of the BGP backend processes (BIRD or GoBGP) are running.\n"))
        #expect(r.out.contains("10.244.11.64/26 via 10.244.11.64 dev vxlan.calico proto 80 onlink \n"))
    }

    @Test func badOptionsAreRefused() {
        let r = run("""
        expect error "calico-mode must be bgp, ipip, ipip-crosssubnet, vxlan or vxlan-crosssubnet" { cluster nodes=1 cni=calico calico-mode=gre }
        expect error "cni must be flannel, calico or weave" { cluster nodes=1 cni=cilium }
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }

    @Test func flannelClustersHaveNoCalicoctl() {
        let r = run("""
        cluster nodes=1
        expect error "calicoctl: command not found" { ssh node1 calicoctl node status }
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }
}
