import Testing
import KubeScript
import KubeSimShell

/// Packet captures on nodes: `ssh NODE tcpdump …` listens on a device, the datapath walker
/// shows it every packet crossing that device, `stop tcpdump` prints the lines as tcpdump
/// 4.99 prints them with -n.
@Suite("tcpdump on nodes")
struct TcpdumpTests {
    /// Pods a and b on node1, c on node3; the clock at exactly 10 s, so timestamps are fixed.
    static let pods = placePods([("a", "node1"), ("b", "node1"), ("c", "node3")]) + """
    tick ${10s - now()}

    """

    /// Veth names come from the seeded random source; the goldens do not depend on them.
    static func run(_ script: String) -> ScriptRun {
        let r = runScript(script)
        return (r.outcome, r.out.replacing(#/veth[0-9a-f]{8}/#, with: "vethXXXXXXXX"), r.err)
    }

    @Test func vxlanOnEth0ShowsTheOuterAndInnerHeadersOfATCPConversation() {
        let r = Self.run("cluster nodes=3\n" + Self.pods + """
        ssh node1 tcpdump -i eth0 -n
        exec a -- wget -qO- 10.244.2.2
        stop tcpdump
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("""
        tcpdump: verbose output suppressed, use -v[v]... for full protocol decode
        listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes
        """))
        #expect(r.out.contains("""
        00:00:10.000120 IP 192.168.56.11.30512 > 192.168.56.13.8472: OTV, flags [I] (0x08), overlay 0, instance 1
        IP 10.244.0.2.34210 > 10.244.2.2.80: Flags [S], seq 3215689559, win 64860, options [mss 1410,sackOK,TS val 1683210121 ecr 0,nop,wscale 7], length 0
        00:00:10.000372 IP 192.168.56.13.30512 > 192.168.56.11.8472: OTV, flags [I] (0x08), overlay 0, instance 1
        IP 10.244.2.2.80 > 10.244.0.2.34210: Flags [S.], seq 603825964, ack 3215689560, win 64308, options [mss 1410,sackOK,TS val 885099898 ecr 1683210121,nop,wscale 7], length 0
        00:00:10.000600 IP 192.168.56.11.30512 > 192.168.56.13.8472: OTV, flags [I] (0x08), overlay 0, instance 1
        IP 10.244.0.2.34210 > 10.244.2.2.80: Flags [.], ack 1, win 502, options [nop,nop,TS val 1683210121 ecr 885099898], length 0
        00:00:10.000840 IP 192.168.56.11.30512 > 192.168.56.13.8472: OTV, flags [I] (0x08), overlay 0, instance 1
        IP 10.244.0.2.34210 > 10.244.2.2.80: Flags [P.], seq 1:74, ack 1, win 502, options [nop,nop,TS val 1683210121 ecr 885099898], length 73: HTTP: GET / HTTP/1.1
        00:00:10.001092 IP 192.168.56.13.30512 > 192.168.56.11.8472: OTV, flags [I] (0x08), overlay 0, instance 1
        IP 10.244.2.2.80 > 10.244.0.2.34210: Flags [.], ack 74, win 509, options [nop,nop,TS val 885099898 ecr 1683210121], length 0
        00:00:10.001332 IP 192.168.56.13.30512 > 192.168.56.11.8472: OTV, flags [I] (0x08), overlay 0, instance 1
        IP 10.244.2.2.80 > 10.244.0.2.34210: Flags [P.], seq 1:849, ack 74, win 509, options [nop,nop,TS val 885099899 ecr 1683210121], length 848: HTTP: HTTP/1.1 200 OK
        00:00:10.001572 IP 192.168.56.13.30512 > 192.168.56.11.8472: OTV, flags [I] (0x08), overlay 0, instance 1
        IP 10.244.2.2.80 > 10.244.0.2.34210: Flags [F.], seq 849, ack 74, win 509, options [nop,nop,TS val 885099899 ecr 1683210121], length 0
        00:00:10.001800 IP 192.168.56.11.30512 > 192.168.56.13.8472: OTV, flags [I] (0x08), overlay 0, instance 1
        IP 10.244.0.2.34210 > 10.244.2.2.80: Flags [.], ack 850, win 502, options [nop,nop,TS val 1683210122 ecr 885099899], length 0
        00:00:10.002040 IP 192.168.56.11.30512 > 192.168.56.13.8472: OTV, flags [I] (0x08), overlay 0, instance 1
        IP 10.244.0.2.34210 > 10.244.2.2.80: Flags [F.], seq 74, ack 850, win 502, options [nop,nop,TS val 1683210122 ecr 885099899], length 0
        00:00:10.002292 IP 192.168.56.13.30512 > 192.168.56.11.8472: OTV, flags [I] (0x08), overlay 0, instance 1
        IP 10.244.2.2.80 > 10.244.0.2.34210: Flags [.], ack 75, win 509, options [nop,nop,TS val 885099900 ecr 1683210122], length 0
        10 packets captured
        10 packets received by filter
        0 packets dropped by kernel
        """))
    }

    @Test func anyShowsEachDeviceTheSYNCrossesOnTheReceivingNode() {
        let r = Self.run("cluster nodes=3\n" + Self.pods + """
        ssh node3 tcpdump -i any -n -c 4
        exec a -- wget -qO- 10.244.2.2
        stop tcpdump
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("""
        tcpdump: data link type LINUX_SLL2
        tcpdump: verbose output suppressed, use -v[v]... for full protocol decode
        listening on any, link-type LINUX_SLL2 (Linux cooked v2), snapshot length 262144 bytes
        """))
        #expect(r.out.contains("""
        00:00:10.000132 eth0  In  IP 192.168.56.11.30512 > 192.168.56.13.8472: OTV, flags [I] (0x08), overlay 0, instance 1
        IP 10.244.0.2.34210 > 10.244.2.2.80: Flags [S], seq 3215689559, win 64860, options [mss 1410,sackOK,TS val 1683210121 ecr 0,nop,wscale 7], length 0
        00:00:10.000156 flannel.1 In  IP 10.244.0.2.34210 > 10.244.2.2.80: Flags [S], seq 3215689559, win 64860, options [mss 1410,sackOK,TS val 1683210121 ecr 0,nop,wscale 7], length 0
        00:00:10.000216 cni0  Out IP 10.244.0.2.34210 > 10.244.2.2.80: Flags [S], seq 3215689559, win 64860, options [mss 1410,sackOK,TS val 1683210121 ecr 0,nop,wscale 7], length 0
        00:00:10.000228 vethXXXXXXXX Out IP 10.244.0.2.34210 > 10.244.2.2.80: Flags [S], seq 3215689559, win 64860, options [mss 1410,sackOK,TS val 1683210121 ecr 0,nop,wscale 7], length 0
        4 packets captured
        4 packets received by filter
        0 packets dropped by kernel
        """))
    }

    @Test func hostGWCarriesThePodPacketItselfOnEth0() {
        let r = Self.run("cluster nodes=3 flannel-backend=host-gw\n" + Self.pods + """
        ssh node1 tcpdump -i eth0 -n
        ssh node3 tcpdump -i any -n -c 3
        exec a -- wget -qO- 10.244.2.2
        stop tcpdump node1
        stop tcpdump node3
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("""
        00:00:10.000084 IP 10.244.0.2.34210 > 10.244.2.2.80: Flags [S], seq 3215689559, win 64240, options [mss 1460,sackOK,TS val 1683210121 ecr 0,nop,wscale 7], length 0
        00:00:10.000264 IP 10.244.2.2.80 > 10.244.0.2.34210: Flags [S.], seq 603825964, ack 3215689560, win 65160, options [mss 1460,sackOK,TS val 885099898 ecr 1683210121,nop,wscale 7], length 0
        00:00:10.000420 IP 10.244.0.2.34210 > 10.244.2.2.80: Flags [.], ack 1, win 502, options [nop,nop,TS val 1683210121 ecr 885099898], length 0
        00:00:10.000588 IP 10.244.0.2.34210 > 10.244.2.2.80: Flags [P.], seq 1:74, ack 1, win 502, options [nop,nop,TS val 1683210121 ecr 885099898], length 73: HTTP: GET / HTTP/1.1
        00:00:10.000768 IP 10.244.2.2.80 > 10.244.0.2.34210: Flags [.], ack 74, win 509, options [nop,nop,TS val 885099898 ecr 1683210121], length 0
        00:00:10.000936 IP 10.244.2.2.80 > 10.244.0.2.34210: Flags [P.], seq 1:849, ack 74, win 509, options [nop,nop,TS val 885099898 ecr 1683210121], length 848: HTTP: HTTP/1.1 200 OK
        00:00:10.001104 IP 10.244.2.2.80 > 10.244.0.2.34210: Flags [F.], seq 849, ack 74, win 509, options [nop,nop,TS val 885099899 ecr 1683210121], length 0
        00:00:10.001260 IP 10.244.0.2.34210 > 10.244.2.2.80: Flags [.], ack 850, win 502, options [nop,nop,TS val 1683210122 ecr 885099899], length 0
        00:00:10.001428 IP 10.244.0.2.34210 > 10.244.2.2.80: Flags [F.], seq 74, ack 850, win 502, options [nop,nop,TS val 1683210122 ecr 885099899], length 0
        00:00:10.001608 IP 10.244.2.2.80 > 10.244.0.2.34210: Flags [.], ack 75, win 509, options [nop,nop,TS val 885099899 ecr 1683210122], length 0
        10 packets captured
        """))
        #expect(r.out.contains("""
        00:00:10.000096 eth0  In  IP 10.244.0.2.34210 > 10.244.2.2.80: Flags [S], seq 3215689559, win 64240, options [mss 1460,sackOK,TS val 1683210121 ecr 0,nop,wscale 7], length 0
        00:00:10.000144 cni0  Out IP 10.244.0.2.34210 > 10.244.2.2.80: Flags [S], seq 3215689559, win 64240, options [mss 1460,sackOK,TS val 1683210121 ecr 0,nop,wscale 7], length 0
        00:00:10.000156 vethXXXXXXXX Out IP 10.244.0.2.34210 > 10.244.2.2.80: Flags [S], seq 3215689559, win 64240, options [mss 1460,sackOK,TS val 1683210121 ecr 0,nop,wscale 7], length 0
        3 packets captured
        """))
        #expect(!r.out.contains("OTV"))
    }

    @Test func hostFilterLooksAtTheOutermostHeaders() {
        // On eth0 a VXLAN packet is UDP between the nodes: a pod address matches nothing
        // there, the node address does; inside, on flannel.1, the pod address matches.
        let r = Self.run("cluster nodes=3\n" + Self.pods + """
        let outer = (ssh node1 tcpdump -i eth0 -n host 10.244.2.2).value
        let node = (ssh node1 tcpdump -i eth0 -n src host node1 and udp port 8472).value
        ssh node1 tcpdump -i flannel.1 -n "host 10.244.2.2 and (icmp or tcp)"
        exec a -- ping -c 2 10.244.2.2
        assert outer.count == 0 and node.count == 2 and len(node.lines) == 2
        assert node.lines[0].contains("IP 192.168.56.11.30512 > 192.168.56.13.8472: OTV")
        stop tcpdump
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("""
        ==> node1: tcpdump -i flannel.1 -n host 10.244.2.2 and (icmp or tcp) <==
        00:00:10.000072 IP 10.244.0.2 > 10.244.2.2: ICMP echo request, id 7, seq 0, length 64
        00:00:10.000396 IP 10.244.2.2 > 10.244.0.2: ICMP echo reply, id 7, seq 0, length 64
        00:00:11.000072 IP 10.244.0.2 > 10.244.2.2: ICMP echo request, id 7, seq 1, length 64
        00:00:11.000396 IP 10.244.2.2 > 10.244.0.2: ICMP echo reply, id 7, seq 1, length 64
        4 packets captured
        """))
    }

    @Test func bridgedTrafficBetweenPodsOnOneNode() {
        // Same subnet: bridged by cni0, no routing (TTL 64 arrives); tcpdump -i cni0 puts
        // the bridge in promiscuous mode and sees it, -i any sees only the two veths.
        let r = Self.run("cluster nodes=3\n" + Self.pods + """
        ssh node1 tcpdump -i cni0 -n
        ssh node1 tcpdump -i any -n
        exec a -- ping -c 1 10.244.0.3
        stop tcpdump
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("64 bytes from 10.244.0.3: seq=0 ttl=64"))
        #expect(r.out.contains("""
        ==> node1: tcpdump -i cni0 -n <==
        00:00:10.000024 IP 10.244.0.2 > 10.244.0.3: ICMP echo request, id 7, seq 0, length 64
        00:00:10.000108 IP 10.244.0.3 > 10.244.0.2: ICMP echo reply, id 7, seq 0, length 64
        2 packets captured
        """))
        #expect(r.out.contains("""
        ==> node1: tcpdump -i any -n <==
        00:00:10.000024 vethXXXXXXXX In  IP 10.244.0.2 > 10.244.0.3: ICMP echo request, id 7, seq 0, length 64
        00:00:10.000072 vethXXXXXXXX Out IP 10.244.0.2 > 10.244.0.3: ICMP echo request, id 7, seq 0, length 64
        00:00:10.000108 vethXXXXXXXX In  IP 10.244.0.3 > 10.244.0.2: ICMP echo reply, id 7, seq 0, length 64
        00:00:10.000156 vethXXXXXXXX Out IP 10.244.0.3 > 10.244.0.2: ICMP echo reply, id 7, seq 0, length 64
        4 packets captured
        """))
    }

    @Test func refusedAndTimedOutConnections() {
        let r = Self.run("cluster nodes=3\n" + Self.pods + """
        ssh node3 tcpdump -i cni0 -n
        ssh node1 tcpdump -i eth0 -n
        expect error "Connection refused" { exec a -- wget -qO- 10.244.2.2:8080 }
        stop tcpdump node3
        fail node node3
        expect error "download timed out" { exec a -- wget -qO- -T 4 10.244.2.2 }
        stop tcpdump node1
        """)
        #expect(r.outcome == .success, "\(r.err)")
        // Nothing listens on 8080: the kernel answers the SYN with a reset.
        #expect(r.out.contains("""
        00:00:10.000216 IP 10.244.0.2.39016 > 10.244.2.2.8080: Flags [S], seq 258245358, win 64860, options [mss 1410,sackOK,TS val 1683210121 ecr 0,nop,wscale 7], length 0
        00:00:10.000264 IP 10.244.2.2.8080 > 10.244.0.2.39016: Flags [R.], seq 0, ack 258245359, win 0, length 0
        2 packets captured
        """))
        // node3 is down: the SYN leaves node1 and is retransmitted after 1 and 3 seconds
        // (wget -T 4 gives up before the next one, at 7 s).
        #expect(r.out.contains("""
        00:00:10.000600 IP 192.168.56.11.30512 > 192.168.56.13.8472: OTV, flags [I] (0x08), overlay 0, instance 1
        IP 10.244.0.2.40288 > 10.244.2.2.80: Flags [S], seq 2529984045, win 64860, options [mss 1410,sackOK,TS val 1683210121 ecr 0,nop,wscale 7], length 0
        00:00:11.000600 IP 192.168.56.11.30512 > 192.168.56.13.8472: OTV, flags [I] (0x08), overlay 0, instance 1
        IP 10.244.0.2.40288 > 10.244.2.2.80: Flags [S], seq 2529984045, win 64860, options [mss 1410,sackOK,TS val 1683211121 ecr 0,nop,wscale 7], length 0
        00:00:13.000600 IP 192.168.56.11.30512 > 192.168.56.13.8472: OTV, flags [I] (0x08), overlay 0, instance 1
        IP 10.244.0.2.40288 > 10.244.2.2.80: Flags [S], seq 2529984045, win 64860, options [mss 1410,sackOK,TS val 1683213121 ecr 0,nop,wscale 7], length 0
        5 packets captured
        """))
    }

    @Test func traceWalksAreCapturedToo() {
        let r = Self.run("cluster nodes=3\n" + Self.pods + """
        exec a -- ping -c 3 10.244.2.2
        ssh node3 tcpdump -i flannel.1 -n
        trace from pod/a to pod/c:80
        stop tcpdump
        help stop
        """)
        #expect(r.outcome == .success, "\(r.err)")
        // ping -c 3 takes two seconds of cluster time (one echo a second): the capture
        // starts at 12 s; the capture's clock is the cluster's.
        #expect(r.out.contains("00:00:12.000156 IP 10.244.0.2.40000 > 10.244.2.2.80: Flags [S], seq "))
        #expect(r.out.contains("usage: stop tcpdump [NODE]"))
        #expect(r.out.contains("1 packet captured\n1 packet received by filter\n0 packets dropped by kernel"))
    }

    @Test func badInputAnswersAsTcpdumpWould() {
        let r = Self.run("cluster nodes=3\n" + Self.pods + """
        expect error "tcpdump: eth9: No such device exists\\n(SIOCGIFHWADDR: No such device)" { ssh node1 tcpdump -i eth9 }
        expect error "ssh: Could not resolve hostname node9: Name or service not known" { ssh node9 tcpdump -i eth0 }
        expect error "tcpdump: can't parse filter expression: syntax error" { ssh node1 tcpdump -i eth0 host }
        expect error "tcpdump: can't parse filter expression: syntax error" { ssh node1 tcpdump -i eth0 "(tcp" }
        expect error "tcpdump: unknown host 'nosuch'" { ssh node1 tcpdump -i eth0 host nosuch }
        expect error "tcpdump: invalid option -- 'Z'" { ssh node1 tcpdump -Z }
        expect error "tcpdump: option requires an argument -- 'i'" { ssh node1 tcpdump -i }
        expect error "stop tcpdump: no capture is running" { stop tcpdump }
        expect error "nodes \\"node9\\" not found" { stop tcpdump node9 }
        ssh node1 tcpdump -D
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("""
        1.eth0 [Up, Running, Connected]
        2.any (Pseudo-device that captures on all interfaces) [Up, Running]
        3.lo [Up, Running, Loopback]
        4.flannel.1 [Up, Running, Connected]
        5.cni0 [Up, Running, Connected]
        6.vethXXXXXXXX [Up, Running, Connected]
        7.vethXXXXXXXX [Up, Running, Connected]
        """))
    }
}
