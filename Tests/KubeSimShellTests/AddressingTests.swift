import Testing
import KubeScript
import KubeSimShell

/// Pod addressing: the node IPAM controller's /24 per node and host-local IPAM on each node.
@Suite("pod addressing")
struct AddressingTests {
    func run(_ script: String) -> ScriptRun { runScript(script) }

    @Test func nodesGetConsecutiveSlash24sAndPodsStartAtDotTwo() {
        let r = run("""
        cluster nodes=3
        assert node("node1").podCIDR == "10.244.0.0/24"
        assert node("node2").podCIDR == "10.244.1.0/24"
        assert node("node3").podCIDR == "10.244.2.0/24"
        add node node4
        settle
        assert node("node4").podCIDR == "10.244.3.0/24"
        apply <<EOF
        apiVersion: v1
        kind: Pod
        metadata: {name: a}
        spec: {nodeName: node2, containers: [{name: c, image: "busybox:1.36", command: [sleep, "3600"]}]}
        EOF
        settle
        assert pod("a").ip == "10.244.1.2"
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }

    @Test func hostLocalHandsOutTheNextAddressNotTheFreedOne() {
        // host-local continues after the last reserved address; a freed one waits its turn.
        let r = run("""
        cluster nodes=1
        for n in ["a", "b", "c"] { run $n --image=busybox:1.36 -- sleep 3600 }
        settle
        assert pod("a").ip == "10.244.0.2" and pod("b").ip == "10.244.0.3" and pod("c").ip == "10.244.0.4"
        delete pod b --grace-period=0 --force
        settle
        run d --image=busybox:1.36 -- sleep 3600
        settle
        assert pod("d").ip == "10.244.0.5"
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }
}
