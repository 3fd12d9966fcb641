import Testing
@testable import KubeSimNet
import KubeSimCore

// Each mode's CleanupLeftovers (what kube-proxy runs when it starts in another mode): the
// mode's rules, chains, sockets, virtual servers and devices go; the node's own (here a
// hand-written rule) stay.

@Suite("kube-proxy cleanup")
struct KubeProxyCleanupTests {
    static let svc = ProxyServicePort(namespace: "default", name: "web", portName: "", proto: "TCP", clusterIP: ip("10.96.0.50"), port: 80)
    static let eps = ["default/web": [ProxyEndpoint(ip: ip("10.244.1.2"), port: 80, isLocal: false)]]

    static func node() -> NodeNet {
        let n = NodeNet(name: "node1", underlay: ip("192.168.56.11"), prefix: 24, segment: 1)
        program(n.netfilter, ["-A FORWARD -s 10.1.2.3 -j DROP"])
        return n
    }

    static func kubeChains(_ n: NodeNet) -> [String] {
        (Array(n.netfilter.nat.chains.keys) + Array(n.netfilter.filter.chains.keys)).filter { $0.hasPrefix("KUBE-") }.sorted()
    }

    /// pkg/proxy/iptables/proxier.go cleanupLeftoversForFamily: the jumps unlinked, nat's
    /// KUBE-SERVICES, KUBE-NODEPORTS, KUBE-POSTROUTING and every service chain flushed
    /// and deleted, filter's KUBE-SERVICES, KUBE-EXTERNAL-SERVICES, KUBE-FORWARD and
    /// KUBE-NODEPORTS too; KUBE-MARK-MASQ, the firewall chains and the kubelet's
    /// KUBE-FIREWALL are left as upstream leaves them.
    @Test("iptables: the service chains and jumps removed, as upstream's CleanupLeftovers")
    func iptables() {
        let n = Self.node()
        let p = IptablesProxier(IptablesProxier.Config(nodeName: "node1", nodeIP: ip("192.168.56.11"), clusterCIDR: CIDR(parsing: "10.244.0.0/16")))
        _ = p.sync(services: [Self.svc], endpoints: Self.eps, changed: [], now: 0, node: n)
        #expect(Self.kubeChains(n).contains("KUBE-SERVICES"))
        p.cleanup(node: n)
        #expect(Self.kubeChains(n) == ["KUBE-FIREWALL", "KUBE-MARK-MASQ", "KUBE-PROXY-FIREWALL"])
        #expect(n.netfilter.nat.chain("PREROUTING")!.rules.isEmpty)
        #expect(n.netfilter.filter.chain("FORWARD")!.rules.map { $0.specText } == [" -s 10.1.2.3/32 -j DROP"])
    }

    @Test("userspace: the portal chains, jumps and kube-proxy's sockets go")
    func userspace() {
        let n = Self.node()
        let p = UserspaceProxier(nodeName: "node1", hostIP: ip("192.168.56.11"))
        _ = p.sync(services: [Self.svc], endpoints: Self.eps, changed: [], now: 0, node: n)
        #expect(n.sockets.contains { $0.process == "kube-proxy" })
        p.cleanup(node: n)
        #expect(Self.kubeChains(n) == [])
        #expect(!n.sockets.contains { $0.process == "kube-proxy" })
        #expect(n.portals.isEmpty)
    }

    @Test("IPVS: virtual servers, kube-ipvs0, ipsets and chains go")
    func ipvs() {
        let n = Self.node()
        let p = IpvsProxier(nodeName: "node1", nodeIP: ip("192.168.56.11"), clusterCIDR: CIDR(parsing: "10.244.0.0/16"))
        _ = p.sync(services: [Self.svc], endpoints: Self.eps, changed: [], now: 0, node: n)
        #expect(n.host.owns(ip("10.96.0.50")))
        #expect(!n.ipvs.services.isEmpty)
        p.cleanup(node: n)
        #expect(n.ipvs.services.isEmpty)
        #expect(!n.host.owns(ip("10.96.0.50")))
        #expect(n.host.device("kube-ipvs0") == nil)
        #expect(n.netfilter.ipsets.keys.filter { $0.hasPrefix("KUBE-") }.isEmpty)
        #expect(Self.kubeChains(n) == [])
    }
}
