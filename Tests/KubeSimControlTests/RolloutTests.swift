import Testing
import KubeSimCore
import KubeSimAPI
import KubeSimControl
import KubeSimNode
import KubeSimNet
import KubeSimCluster

func webDeployment(replicas: Int, image: String = "nginx:1.25", surge: IntOrPercent = .int(1), unavailable: IntOrPercent = .int(0)) -> Deployment {
    let template = PodTemplateSpec(labels: ["app": "web"], spec: PodSpec(containers: [Container(name: "nginx", image: image)]))
    var spec = DeploymentSpec(replicas: replicas, selector: LabelSelector(matchLabels: ["app": "web"]), template: template)
    spec.strategy.maxSurge = surge
    spec.strategy.maxUnavailable = unavailable
    return Deployment(metadata: ObjectMeta(name: "web", namespace: "default"), spec: spec)
}

@Suite("Deployment rollout")
struct RolloutTests {
    @Test func rollingUpdateStepsAsUpstream() throws {
        var o = Cluster.Options()
        o.nodes = 3
        let c = Cluster(o)
        try c.api.create(.deployment(webDeployment(replicas: 3)))
        #expect(c.settle() == [])
        #expect(c.api.list(.pod).count == 3)
        #expect(c.api.list(.pod).allSatisfy { $0.pod!.status.phase == "Running" && $0.pod!.spec.nodeName != nil })

        // Record (old, new) desired replicas every time a ReplicaSet's spec changes.
        let oldName = c.api.list(.replicaSet).first!.metadata.name
        var steps: [[Int]] = [[3, 0]]  // the state before the update
        var sizes: [String: Int] = [oldName: 3]
        c.store.watch(.replicaSet) { e in
            guard let rs = e.object.replicaSet, e.kind != .deleted else { return }
            let before = sizes
            sizes[rs.metadata.name] = rs.spec.replicas
            if sizes != before {
                let new = sizes.keys.first { $0 != oldName }.map { sizes[$0]! } ?? 0
                steps.append([sizes[oldName] ?? 0, new])
            }
        }
        try c.api.modify(.deployment, namespace: "default", name: "web") {
            var d = $0.deployment!
            d.spec.template.spec.containers[0].image = "nginx:1.26"
            $0 = .deployment(d)
        }
        #expect(c.settle() == [])
        #expect(steps == [[3, 0], [3, 1], [2, 1], [2, 2], [1, 2], [1, 3], [0, 3]])
        let d = try c.api.get(.deployment, namespace: "default", name: "web").deployment!
        #expect(d.status.updatedReplicas == 3 && d.status.availableReplicas == 3)
        let rss = c.api.list(.replicaSet).compactMap(\.replicaSet)
        #expect(rss.map { $0.metadata.annotations[DeploymentController.revisionAnnotation] }.sorted { ($0 ?? "") < ($1 ?? "") } == ["1", "2"])
    }

    @Test func fencepostsRoundAsUpstream() {
        var s = DeploymentStrategy()
        #expect(DeploymentController.resolveFenceposts(s, replicas: 10) == (3, 2))  // 25%: surge up, unavailable down
        s.maxSurge = .int(0); s.maxUnavailable = .int(0)
        #expect(DeploymentController.resolveFenceposts(s, replicas: 3) == (0, 1))
        s.maxSurge = .percent(0); s.maxUnavailable = .percent(10)
        #expect(DeploymentController.resolveFenceposts(s, replicas: 5) == (0, 1))  // 0.5 rounds down to 0, then 1
    }

    @Test func replicaSetNamesAndPodNamesFollowUpstreamShape() throws {
        let c = Cluster(Cluster.Options())
        try c.api.create(.deployment(webDeployment(replicas: 2)))
        c.settle()
        let rs = c.api.list(.replicaSet).first!.replicaSet!
        let hash = rs.metadata.labels["pod-template-hash"]!
        #expect(rs.metadata.name == "web-\(hash)")
        #expect(hash.allSatisfy { Names.alphanums.contains($0) })
        for p in c.api.list(.pod).compactMap(\.pod) {
            #expect(p.metadata.name.hasPrefix("web-\(hash)-"))
            let suffix = p.metadata.name.dropFirst("web-\(hash)-".count)
            #expect(suffix.count == 5 && suffix.allSatisfy { Names.alphanums.contains($0) })
            #expect(p.metadata.controllerRef?.name == rs.metadata.name)
        }
    }

    @Test func sameSeedSameNames() throws {
        func names(_ seed: UInt64) throws -> [String] {
            var o = Cluster.Options(); o.seed = seed
            let c = Cluster(o)
            try c.api.create(.deployment(webDeployment(replicas: 3)))
            c.settle()
            return c.api.list(.pod).map(\.metadata.name).sorted() + c.api.list(.pod).compactMap { $0.pod?.spec.nodeName }
        }
        #expect(try names(7) == names(7))
        #expect(try names(7) != names(8))
    }

    @Test func scaleDownDeletesUnassignedAndNotReadyFirst() {
        var a = Pod(metadata: ObjectMeta(name: "a"), spec: PodSpec(containers: []))
        a.spec.nodeName = "n1"; a.status.phase = "Running"
        a.status.setCondition("Ready", "True", now: 0)
        var b = a; b.metadata.name = "b"; b.status.conditions = []
        var c = a; c.metadata.name = "c"; c.spec.nodeName = nil; c.status.phase = "Pending"
        var d = a; d.metadata.name = "d"; d.status.phase = "Pending"
        let order = ReplicaSetController.podsToDelete([a, b, c, d]).map(\.metadata.name)
        #expect(order == ["c", "d", "b", "a"])
    }

    @Test func selectorMismatchIsRejectedWithKubectlText() throws {
        let c = Cluster(Cluster.Options())
        var d = webDeployment(replicas: 1)
        d.spec.selector = LabelSelector(matchLabels: ["app": "other"])
        #expect(throws: APIError.self) { try c.api.create(.deployment(d)) }
        do { try c.api.create(.deployment(d)) } catch let e as APIError {
            #expect(e.description == "The Deployment \"web\" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`")
        }
        #expect(c.api.list(.deployment).isEmpty)
    }

    @Test func unschedulablePodGetsKubectlMessage() throws {
        var o = Cluster.Options(); o.nodes = 3
        let c = Cluster(o)
        var d = webDeployment(replicas: 1)
        d.spec.template.spec.containers[0].resources.requests["cpu"] = Quantity(64)
        try c.api.create(.deployment(d))
        c.settle()
        let pod = c.api.list(.pod).first!.pod!
        #expect(pod.spec.nodeName == nil)
        #expect(pod.status.condition("PodScheduled")?.message == "0/3 nodes are available: 3 Insufficient cpu.")
    }

    @Test func storeRefusesStaleUpdates() throws {
        let c = Cluster(Cluster.Options())
        try c.api.create(.deployment(webDeployment(replicas: 1)))
        let first = try c.api.get(.deployment, namespace: "default", name: "web")
        var changed = first
        changed.metadata.labels["tier"] = "front"
        try c.api.update(changed)
        #expect(throws: APIError.conflict(.deployment, "web")) { try c.api.update(first) }
    }

    /// etcd3's GuaranteedUpdate: writing back an unchanged object stores nothing — the
    /// resourceVersion stays, no watch event is published.
    @Test func anUnchangedUpdateIsNotWritten() throws {
        let c = Cluster(Cluster.Options())
        try c.api.create(.deployment(webDeployment(replicas: 1)))
        var events = 0
        c.store.watch(.deployment) { _ in events += 1 }
        let first = try c.api.get(.deployment, namespace: "default", name: "web")
        let same = try c.api.update(first)
        #expect(same.metadata.resourceVersion == first.metadata.resourceVersion)
        try c.api.modify(.deployment, namespace: "default", name: "web") { _ in }
        #expect(events == 0)
        #expect(try c.api.get(.deployment, namespace: "default", name: "web").metadata.resourceVersion == first.metadata.resourceVersion)
        try c.api.modify(.deployment, namespace: "default", name: "web") { o in o.metadata.labels["tier"] = "front" }
        #expect(events == 1)
    }
}

@Suite("Deployment strategies and history")
struct DeploymentStrategyTests {
    @Test func recreateScalesOldToZeroBeforeTheNewComesUp() throws {
        var o = Cluster.Options(); o.nodes = 2
        let c = Cluster(o)
        var d = webDeployment(replicas: 3)
        d.spec.strategy.type = "Recreate"
        try c.api.create(.deployment(d))
        c.settle()
        var overlap = false
        c.store.watch(.pod) { _ in
            let pods = c.store.list(.pod).compactMap(\.pod)
            let images = Set(pods.map { $0.spec.containers[0].image })
            if images.count > 1 { overlap = true }
        }
        try c.api.modify(.deployment, namespace: "default", name: "web") {
            var x = $0.deployment!
            x.spec.template.spec.containers[0].image = "nginx:1.26"
            $0 = .deployment(x)
        }
        c.settle()
        #expect(!overlap)  // never old and new pods at once
        let pods = c.api.list(.pod).compactMap(\.pod)
        #expect(pods.count == 3 && pods.allSatisfy { $0.spec.containers[0].image == "nginx:1.26" && $0.status.phase == "Running" })
    }

    @Test func revisionHistoryLimitDeletesTheOldestEmptyReplicaSets() throws {
        let c = Cluster(Cluster.Options())
        var d = webDeployment(replicas: 1)
        d.spec.revisionHistoryLimit = 2
        try c.api.create(.deployment(d))
        c.settle()
        for v in ["1.24", "1.26", "1.27", "alpine"] {
            try c.api.modify(.deployment, namespace: "default", name: "web") {
                var x = $0.deployment!
                x.spec.template.spec.containers[0].image = "nginx:\(v)"
                $0 = .deployment(x)
            }
            c.settle()
        }
        let revisions = c.api.list(.replicaSet).compactMap(\.replicaSet)
            .compactMap { Int($0.metadata.annotations[DeploymentController.revisionAnnotation] ?? "") }.sorted()
        // The current revision (5) and two old ones.
        #expect(revisions == [3, 4, 5])
    }

    @Test func progressDeadlineExceededWhenPodsCannotRun() throws {
        let c = Cluster(Cluster.Options())
        var d = webDeployment(replicas: 2)
        d.spec.progressDeadlineSeconds = 60
        d.spec.template.spec.containers[0].resources.requests["cpu"] = Quantity(100)  // fits nowhere
        try c.api.create(.deployment(d))
        c.tick(.seconds(90))
        let x = try c.api.get(.deployment, namespace: "default", name: "web").deployment!
        let p = x.status.conditions.first { $0.type == "Progressing" }
        #expect(p?.status == "False")
        #expect(p?.reason == "ProgressDeadlineExceeded")
        #expect(p?.message == "ReplicaSet \"\(c.api.list(.replicaSet)[0].metadata.name)\" has timed out progressing.")
    }
}
