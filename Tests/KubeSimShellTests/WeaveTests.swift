import Testing
import KubeScript
import KubeSimShell

/// Weave Net as the pod network: one L2 network over every node, IPAM space split among
/// the peers, fastdp VXLAN (UDP 6784) between them, ESP when encrypted, MTU 1376.
@Suite("pod network: weave")
struct WeaveTests {
    func run(_ script: String) -> ScriptRun { runScript(script) }

    static let pods = placePods([("a", "node1"), ("b", "node2"), ("c", "node1")]) + "\n"

    @Test func oneL2NetworkWithSpaceSplitAmongPeers() {
        let r = run("cluster nodes=3 cni=weave\n" + Self.pods + """
        assert pod("a").ip == "10.32.0.2"
        assert pod("b").ip == "10.40.0.1"
        ssh node1 ip route
        exec a -- ip route
        exec a -- ip addr
        ssh node1 weave status peers
        ssh node1 weave status connections
        ssh node1 weave status
        ssh node1 cat /etc/cni/net.d/10-weave.conflist
        let far = (trace from pod/a to pod/b:80)
        assert far.delivered
        assert far.path.contains("node1 vxlan-6784") and far.path.contains("node2 vxlan-6784")
        let near = (trace from pod/a to pod/c:80)
        assert near.delivered and not near.path.contains("node1 datapath")
        trace from pod/a to pod/b:80
        let big = (trace from pod/a to pod/b --proto icmp --size 1377)
        assert big.reason == "message too long (MTU 1376)"
        exec a -- traceroute -n ${pod("b").ip}
        exec a -- ping -c 1 ${pod("b").ip}
        """)
        #expect(r.outcome == .success, "\(r.err)")
        // The weave bridge has the range's first address on node1 (10.32.0.1); node2 was
        // given the upper half (10.40.0.0/13) and its bridge 10.40.0.0.
        #expect(r.out.contains("default via 192.168.56.1 dev eth0 \n10.32.0.0/12 dev weave proto kernel scope link src 10.32.0.1 \n192.168.56.0/24 dev eth0 proto kernel scope link src 192.168.56.11 \n"))
        #expect(r.out.contains("default via 10.32.0.1 dev eth0 \n10.32.0.0/12 dev eth0 proto kernel scope link src 10.32.0.2 \n"))
        #expect(r.out.contains("mtu 1376") && r.out.contains("    inet 10.32.0.2/12 brd 10.47.255.255 scope global eth0\n"))
        #expect(r.out.contains("(node1)\n   <- 192.168.56.12:"))
        #expect(r.out.contains("(node2)\n   -> 192.168.56.11:6783     "))
        #expect(r.out.contains("established fastdp ") && r.out.contains(" mtu=1376"))
        #expect(r.out.contains("     Encryption: disabled\n") && r.out.contains("          Range: 10.32.0.0/12\n"))
        #expect(r.out.contains("Owned: 262144 of 1048576 addresses (25%), 3 in use"))
        #expect(r.out.contains("\"type\": \"weave-net\""))
        #expect(r.out.contains("vxlan-6784       encapsulate VXLAN VNI 4098 (peers 1→2) to 192.168.56.12"))
        #expect(r.out.contains("node2  weave            bridge: to vethwepl"))
        // L2 all the way: one hop, TTL untouched.
        #expect(r.out.contains("traceroute to 10.40.0.1 (10.40.0.1), 30 hops max, 46 byte packets\n 1  10.40.0.1  "))
        #expect(r.out.contains("64 bytes from 10.40.0.1: seq=0 ttl=64 "))
    }

    @Test func fastdpOnTheWireAndEncryption() {
        let plain = run("cluster nodes=2 cni=weave\n" + Self.pods + """
        ssh node2 tcpdump -i eth0 -n
        exec a -- ping -c 1 ${pod("b").ip}
        stop tcpdump
        """)
        #expect(plain.outcome == .success, "\(plain.err)")
        // tcpdump has no decoder for port 6784: one UDP line per packet.
        #expect(plain.out.contains(" IP 192.168.56.11.") && plain.out.contains(" > 192.168.56.12.6784: UDP, length 106\n"))
        let secret = run("cluster nodes=2 cni=weave weave-encryption=on\n" + Self.pods + """
        ssh node2 tcpdump -i eth0 -n
        exec a -- ping -c 1 ${pod("b").ip}
        stop tcpdump
        trace from pod/a to pod/b:80
        ssh node1 weave status connections
        """)
        #expect(secret.outcome == .success, "\(secret.err)")
        #expect(secret.out.contains(" IP 192.168.56.11 > 192.168.56.12: ESP(spi=0x"))
        #expect(secret.out.contains("then ESP (IPsec, weave encryption)"))
        #expect(secret.out.contains("ESP: decrypt, then decapsulate VXLAN (VNI 4098, UDP 6784)"))
        #expect(secret.out.contains(" encrypted mtu=1376"))
    }

    @Test func badWeaveInput() {
        let r = run("""
        expect error "weave-encryption must be on or off" { cluster nodes=1 cni=weave weave-encryption=maybe }
        cluster nodes=1 cni=weave
        expect error "weave: simulated: weave status [peers|connections]" { ssh node1 weave launch }
        cluster nodes=1
        expect error "weave: command not found" { ssh node1 weave status }
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }
}
