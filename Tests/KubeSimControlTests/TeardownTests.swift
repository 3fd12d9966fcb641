import Testing
import KubeSimCore
import KubeSimAPI
import KubeSimCluster

/// A cluster that is dropped frees everything it made: the fuzz target for commands
/// makes one per input, and a course grader's process runs many scripts.
@Suite("cluster teardown")
struct TeardownTests {
    struct Weak { let name: String; weak var object: AnyObject? }

    @Test func aDroppedClusterFreesItsParts() {
        var probes: [Weak] = []
        do {
            var o = Cluster.Options()
            o.nodes = 2
            let c = Cluster(o)
            c.settle()
            let parts: [(String, AnyObject)] = [
                ("cluster", c), ("clock", c.clock), ("store", c.store), ("api", c.api), ("network", c.network),
                ("podInformer", c.podInformer), ("scheduler", c.scheduler), ("replicaSetController", c.replicaSetController),
                ("events", c.events), ("dns", c.dns), ("garbageCollector", c.garbageCollector),
                ("nodeLifecycleController", c.nodeLifecycleController), ("endpointSliceController", c.endpointSliceController),
            ] + c.kubelets.map { ("kubelet " + $0.key, $0.value as AnyObject) } + c.kubeProxies.map { ("kube-proxy " + $0.key, $0.value as AnyObject) }
            probes = parts.map { Weak(name: $0.0, object: $0.1) }
        }
        #expect(probes.filter { $0.object != nil }.map(\.name) == [])
    }
}
