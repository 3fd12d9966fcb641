import Testing
import KubeScript
import KubeSimShell

/// busybox traceroute in pods: probes with TTL 1, 2, … walk the datapath; the node whose
/// routing sees the TTL run out answers from the address its kernel picks for the way
/// back, the destination answers "port unreachable".
@Suite("traceroute in pods")
struct TracerouteTests {
    func run(_ script: String) -> ScriptRun { TcpdumpTests.run(script) }

    @Test func vxlanHopsAreTheGatewayThenTheRemoteFlannelAddress() {
        let r = run("cluster nodes=3\n" + TcpdumpTests.pods + """
        exec a -- traceroute -n 10.244.2.2
        exec a -- traceroute 10.244.2.2
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("""
        traceroute to 10.244.2.2 (10.244.2.2), 30 hops max, 46 byte packets
         1  10.244.0.1  0.124 ms  0.096 ms  0.092 ms
         2  10.244.2.0  0.499 ms  0.384 ms  0.365 ms
         3  10.244.2.2  0.624 ms  0.480 ms  0.456 ms
        """))
        // Without -n busybox prints "name (address)"; nothing has a reverse name here.
        #expect(r.out.contains("""
         1  10.244.0.1 (10.244.0.1)  0.124 ms  0.096 ms  0.092 ms
         2  10.244.2.0 (10.244.2.0)  0.499 ms  0.384 ms  0.365 ms
         3  10.244.2.2 (10.244.2.2)  0.624 ms  0.480 ms  0.456 ms
        """))
    }

    @Test func hostGWHopIsThePeerNodesAddress() {
        let r = run("cluster nodes=3 flannel-backend=host-gw\n" + TcpdumpTests.pods + """
        exec a -- traceroute -n 10.244.2.2
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("""
        traceroute to 10.244.2.2 (10.244.2.2), 30 hops max, 46 byte packets
         1  10.244.0.1  0.124 ms  0.096 ms  0.092 ms
         2  192.168.56.13  0.312 ms  0.240 ms  0.228 ms
         3  10.244.2.2  0.436 ms  0.336 ms  0.320 ms
        """))
    }

    @Test func aPodOnTheSameNodeIsOneBridgedHopAway() {
        let r = run("cluster nodes=3\n" + TcpdumpTests.pods + """
        exec a -- traceroute -n -q 1 10.244.0.3
        exec a -- traceroute -I -n 10.244.2.2
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("""
        traceroute to 10.244.0.3 (10.244.0.3), 30 hops max, 46 byte packets
         1  10.244.0.3  0.218 ms
        """))
        // -I: ICMP echo probes; the destination answers with an echo reply.
        #expect(r.out.contains("""
         3  10.244.2.2  0.624 ms  0.480 ms  0.456 ms
        """))
    }

    @Test func tcpdumpSeesTheProbesAndTheTimeExceededAnswers() {
        let r = run("cluster nodes=3\n" + TcpdumpTests.pods + """
        ssh node1 tcpdump -i flannel.1 -n
        exec a -- traceroute -n -q 1 10.244.2.2
        stop tcpdump
        """)
        #expect(r.outcome == .success, "\(r.err)")
        // TTL 1 ends in node1's routing (before flannel.1); TTL 2 in node3's.
        #expect(r.out.contains("""
        00:00:10.000168 IP 10.244.0.2.55138 > 10.244.2.2.33436: UDP, length 18
        00:00:10.000396 IP 10.244.2.0 > 10.244.0.2: ICMP time exceeded in-transit, length 54
        00:00:10.000552 IP 10.244.0.2.55138 > 10.244.2.2.33437: UDP, length 18
        00:00:10.000876 IP 10.244.2.2 > 10.244.0.2: ICMP 10.244.2.2 udp port 33437 unreachable, length 54
        4 packets captured
        """))
    }

    @Test func unansweredAndUnreachableHops() {
        let r = run("cluster nodes=3\n" + TcpdumpTests.pods + """
        exec a -- traceroute -n 10.244.2.99
        exec a -- traceroute -n 10.244.0.99
        fail node node3
        exec a -- traceroute -n -m 4 10.244.2.2
        """)
        #expect(r.outcome == .success, "\(r.err)")
        // No pod has the address: node3's ARP gives up and its kernel says host unreachable.
        #expect(r.out.contains("""
        traceroute to 10.244.2.99 (10.244.2.99), 30 hops max, 46 byte packets
         1  10.244.0.1  0.124 ms  0.096 ms  0.092 ms
         2  10.244.2.0  0.499 ms  0.384 ms  0.365 ms
         3  10.244.2.0  3000.
        """))
        #expect(r.out.contains(" ms !H  3000."))
        // On the pod's own subnet the pod's own ARP gives up.
        #expect(r.out.contains("""
        traceroute to 10.244.0.99 (10.244.0.99), 30 hops max, 46 byte packets
         1  10.244.0.2  3000.
        """))
        // node3 is down: nobody answers beyond node1.
        #expect(r.out.contains("""
        traceroute to 10.244.2.2 (10.244.2.2), 4 hops max, 46 byte packets
         1  10.244.0.1  0.124 ms  0.096 ms  0.092 ms
         2  *  *  *
         3  *  *  *
         4  *  *  *
        """))
    }

    @Test func badInputAnswersAsBusyboxWould() {
        let r = run("cluster nodes=3\n" + TcpdumpTests.pods + """
        expect error "traceroute: bad address 'nosuch.invalid'" { exec a -- traceroute -n nosuch.invalid }
        expect error "Usage: traceroute [-46IFlnrv]" { exec a -- traceroute }
        expect error "traceroute: number 300 is not in 1..255 range" { exec a -- traceroute -m 300 10.244.2.2 }
        expect error "traceroute: invalid number 'x'" { exec a -- traceroute -q x 10.244.2.2 }
        expect error "traceroute: invalid option -- 'Z'" { exec a -- traceroute -Z 10.244.2.2 }
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }
}
