import Testing
import KubeScript
import KubeSimShell

/// Faults with upstream consequences: etcd quorum, node memory pressure, config refresh.
@Suite("faults: etcd quorum, memory pressure, config updates")
struct FaultTests {
    func run(_ script: String) -> ScriptRun { runScript(script) }

    @Test func losingOneOfThreeEtcdMembersKeepsTheAPIWorking() {
        let r = run("""
        cluster nodes=2 etcd=3
        create deployment web --image=nginx:1.25 --replicas=2
        settle
        let leader = etcd().filter(func(m) { return m.leader })[0].name
        fail etcd $leader
        expect error "etcdserver: leader changed" { create deployment api --image=nginx:1.25 }
        tick 3s
        assert etcd().filter(func(m) { return m.leader }).count == 1
        assert etcd(leader).up == false
        create deployment api --image=nginx:1.25
        settle
        assert deployment("api").readyReplicas == 1
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }

    @Test func losingTwoOfThreeStopsWritesButLosesNothing() {
        let r = run("""
        cluster nodes=2 etcd=3
        create deployment web --image=nginx:1.25 --replicas=2
        settle
        let before = etcd("etcd-3").index
        fail etcd etcd-1
        fail etcd etcd-2
        expect error "Error from server: etcdserver: request timed out" { scale deployment web --replicas=3 }
        tick 1m
        assert deployment("web").replicas == 2
        assert pods(app=web).count == 2
        etcdctl endpoint status
        recover etcd etcd-1
        tick 3s
        assert etcd("etcd-1").index == etcd("etcd-3").index
        assert etcd("etcd-1").index >= before
        scale deployment web --replicas=3
        settle
        assert deployment("web").readyReplicas == 3
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("Failed to get the status of endpoint https://192.168.56.2:2379 (context deadline exceeded)"))
    }

    @Test func endpointStatusTable() {
        let r = run("""
        cluster nodes=1 etcd=3
        etcdctl endpoint status -w table
        etcdctl member list
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("|         ENDPOINT          |        ID        | VERSION | DB SIZE | IS LEADER | IS LEARNER | RAFT TERM | RAFT INDEX | RAFT APPLIED INDEX | ERRORS |"))
        #expect(r.out.contains("|  3.5.12 |"))
        #expect(r.out.contains("started, etcd-2, https://192.168.56.3:2380, https://192.168.56.3:2379, false"))
    }

    @Test func memoryPressureEvictsTheBestEffortHogFirst() {
        // 2Gi node, 600Mi for the system: a BestEffort app leaking 200Mi/min crosses the
        // 100Mi memory.available threshold after ~6.7 minutes and is evicted; the
        // Guaranteed pod stays.
        let r = run("""
        cluster nodes=1 memory=2Gi
        image define shop/hog:v1 listen 8080 memory 100Mi leak 200Mi/min
        run hog --image=shop/hog:v1
        apply <<EOF
        apiVersion: v1
        kind: Pod
        metadata: {name: steady}
        spec:
          containers: [{name: s, image: "nginx:1.25", resources: {limits: {memory: 256Mi, cpu: 100m}}}]
        EOF
        settle
        assert pod("steady").qos == "Guaranteed"
        assert pod("hog").qos == "BestEffort"
        tick 6m
        assert pod("hog").phase == "Running"
        tick 2m
        assert pod("hog").phase == "Failed"
        assert pod("steady").phase == "Running"
        assert node("node1").conditions["MemoryPressure"] == "True"
        assert node("node1").taints.contains("node.kubernetes.io/memory-pressure:NoSchedule")
        describe pod hog
        tick 6m
        assert node("node1").conditions["MemoryPressure"] == "False"
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("Reason:           Evicted"))
        #expect(r.out.contains("The node was low on resource: memory. Threshold quantity: 100Mi"))
    }

    @Test func mountedConfigMapFollowsChangesAfterTheKubeletSync() {
        let r = run("""
        cluster nodes=1
        create configmap settings --from-literal=mode=fast
        apply <<EOF
        apiVersion: v1
        kind: Pod
        metadata: {name: app}
        spec:
          containers:
          - {name: app, image: "busybox:1.36", command: [sleep, "3600"], volumeMounts: [{name: cfg, mountPath: /etc/config}]}
          volumes: [{name: cfg, configMap: {name: settings}}]
        EOF
        settle
        exec app -- cat /etc/config/mode
        apply <<EOF
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings}
        data: {mode: slow}
        EOF
        tick 30s
        exec app -- cat /etc/config/mode
        tick 31s
        exec app -- cat /etc/config/mode
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("fast\nconfigmap/settings configured\nfast\nslow\n"))
    }

    @Test func newNodesGetDaemonPodsAndDeletedNodesLoseTheirPods() {
        let r = run("""
        cluster nodes=2
        apply <<EOF
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: agent}
        spec:
          selector: {matchLabels: {app: agent}}
          template:
            metadata: {labels: {app: agent}}
            spec:
              containers: [{name: a, image: "busybox:1.36", command: [sleep, "3600"]}]
        EOF
        create deployment web --image=nginx:1.25 --replicas=2
        settle
        assert pods(app=agent).count == 2
        add node node3 label=zone=c
        settle
        assert pods(app=agent, node=node3).count == 1
        assert node("node3").labels["zone"] == "c"
        let doomed = pods(app=web)[0]
        delete node ${doomed.nodeName}
        tick 25s
        assert pod(doomed.name) == nil
        settle
        assert pods(app=web, ready=true).count == 2
        expect error "already exists" { add node node3 }
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }

    @Test func nodeMonitorGracePeriodIsConfigurable() {
        let r = run("""
        cluster nodes=2 node-monitor-grace-period=20s
        fail node node2
        tick 19s
        assert node("node2").status == "Ready"
        tick 12s
        assert node("node2").status == "NotReady"
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }
}
