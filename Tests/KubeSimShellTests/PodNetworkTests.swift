import Testing
import KubeScript
import KubeSimShell

/// The pod network (flannel, VXLAN backend): node state as the real tools print it,
/// packets walking it, and the busybox tools in pods that use it.
@Suite("pod network: flannel vxlan")
struct PodNetworkTests {
    func run(_ script: String) -> ScriptRun { runScript(script) }

    static let pods = placePods([("a", "node1"), ("b", "node2")]) + "\n"

    @Test func nodeRoutesAndDevicesAsIprouteShowsThem() {
        let r = run("cluster nodes=3\n" + Self.pods + """
        ssh node1 ip route
        ssh node1 ip neigh
        exec a -- ip route
        ssh node1 cat /etc/cni/net.d/10-flannel.conflist
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("""
        default via 192.168.56.1 dev eth0 
        10.244.0.0/24 dev cni0 proto kernel scope link src 10.244.0.1 
        10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink 
        10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink 
        192.168.56.0/24 dev eth0 proto kernel scope link src 192.168.56.11 
        """))
        #expect(r.out.contains("10.244.1.0 dev flannel.1 lladdr "))
        #expect(r.out.contains("""
        default via 10.244.0.1 dev eth0 
        10.244.0.0/16 via 10.244.0.1 dev eth0 
        10.244.0.0/24 dev eth0 proto kernel scope link src 10.244.0.2 
        """))
        #expect(r.out.contains("\"type\": \"flannel\""))
    }

    @Test func crossNodePacketIsEncapsulatedAndKeepsItsPodSource() {
        let r = run("cluster nodes=2\n" + Self.pods + """
        trace from pod/a to pod/b:80
        let t = (trace from pod/a to pod/b:80)
        assert t.delivered
        assert t.path.contains("node1 flannel.1") and t.path.contains("node2 flannel.1")
        let big = (trace from pod/a to pod/b --proto icmp --size 1500)
        assert not big.delivered
        assert big.reason == "message too long (MTU 1450)"
        exec a -- wget -qO- 10.244.1.2
        logs b --tail=1
        exec a -- ping -c 1 10.244.1.2
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("encapsulate VXLAN VNI 1"))
        #expect(r.out.contains("outer 192.168.56.11:") && r.out.contains("> 192.168.56.12:8472 UDP VXLAN vni=1 len=110 | inner 10.244.0.2:40000 > 10.244.1.2:80 TCP SYN ttl=63 len=60"))
        // No NAT between pods: the server logs the client pod's own address.
        #expect(r.out.contains("10.244.0.2 - - [01/Jan/2026:"))
        #expect(r.out.contains("64 bytes from 10.244.1.2: seq=0 ttl=62"))
    }

    @Test func failuresAnswerAsTheToolsWould() {
        let r = run("cluster nodes=2\n" + Self.pods + """
        expect error "Connection refused" { exec a -- wget -qO- 10.244.1.2:8080 }
        expect error "Host is unreachable" { exec a -- wget -qO- 10.244.0.99 }
        fail node node2
        expect error "download timed out" { exec a -- wget -qO- -T 2 10.244.1.2 }
        let t = (trace from pod/a to 10.244.1.2:80)
        assert t.droppedAt == "node2 eth0"
        expect error "2 packets transmitted, 0 packets received, 100% packet loss" { exec a -- ping -c 2 10.244.1.2 }
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }

    static let threePods = """
    apply <<EOF
    apiVersion: v1
    kind: Pod
    metadata: {name: a}
    spec: {nodeName: node1, containers: [{name: c, image: "busybox:1.36", command: [sleep, "3600"]}]}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: b}
    spec: {nodeName: node2, containers: [{name: web, image: "nginx:1.25"}]}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: c}
    spec: {nodeName: node3, containers: [{name: web, image: "nginx:1.25"}]}
    EOF
    settle

    """

    @Test func hostGWRoutesToPeersAndFailsAcrossSegments() {
        // Two segments: node1 and node3 share 192.168.56.0/24, node2 is on 192.168.57.0/24.
        let r = run("cluster nodes=3 flannel-backend=host-gw segments=2\n" + Self.threePods + """
        ssh node1 ip route
        exec a -- ip addr
        let ok = (trace from pod/a to pod/c:80)
        assert ok.delivered
        assert not ok.path.contains("node1 flannel.1")
        let far = (trace from pod/a to pod/b:80)
        assert not far.delivered
        assert far.droppedAt == "node1 routing"
        print far.reason
        exec a -- wget -qO- ${pod("c").ip}
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("""
        default via 192.168.56.1 dev eth0 
        10.244.0.0/24 dev cni0 proto kernel scope link src 10.244.0.1 
        10.244.2.0/24 via 192.168.56.13 dev eth0 
        192.168.56.0/24 dev eth0 proto kernel scope link src 192.168.56.11 
        """))
        #expect(r.out.contains("mtu 1500"))
        #expect(r.out.contains("node2 is in another L2 segment, and host-gw can only route to on-link peers"))
        #expect(r.out.contains("Welcome to nginx!"))
    }

    @Test func vxlanCrossesSegmentsThroughTheUnderlayRouter() {
        let r = run("cluster nodes=3 segments=2\n" + Self.threePods + """
        let t = (trace from pod/a to pod/b:80)
        assert t.delivered
        assert t.path.contains("node1 underlay router")
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }
}
