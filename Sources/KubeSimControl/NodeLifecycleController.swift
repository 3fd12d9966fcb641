import KubeSimCore
import KubeSimAPI

/// The node lifecycle controller (pkg/controller/nodelifecycle/node_lifecycle_controller.go)
/// with the taint-based eviction it drives (pkg/controller/tainteviction):
/// - every node-monitor-period (5 s) it checks when each node's kubelet last renewed
///   its Lease; after node-monitor-grace-period (50 s) without one, the node's
///   conditions become Unknown ("Kubelet stopped posting node status."), its pods are
///   marked not ready and the node gets the `node.kubernetes.io/unreachable` taints;
/// - a NoExecute taint evicts each pod on the node after the toleration it has for it
///   (300 s from the DefaultTolerationSeconds admission plugin), at once if none;
/// - when the kubelet reports Ready again the taints go.
/// The pod garbage collector's part is here too: pods bound to a deleted Node are
/// force-deleted (pkg/controller/podgc, orphaned pods).
public final class NodeLifecycleController {
    /// How often a kubelet renews its node Lease (the kubelet's nodeLeaseRenewInterval, 10 s):
    /// the controller counts a lease overdue after this plus its monitor period.
    public static let kubeletLeaseRenewInterval = SimDuration.seconds(10)
    let api: APIServer
    let clock: EventQueue
    let nodes: Informer
    let pods: Informer
    let events: EventRecorder
    public var monitorPeriod = SimDuration.seconds(5)
    public var gracePeriod = SimDuration.seconds(50)
    /// When each node was last seen alive (its Lease changed), in the controller's clock.
    var probeTime: [String: Int64] = [:]
    /// Nodes that carry a NoExecute taint (the only ones whose pods need looking at).
    var noExecuteNodes: Set<String> = []
    /// Pending evictions per pod uid.
    var evictions: [String: EventQueue.Handle] = [:]
    /// The uids of those pending evictions by node: a node update without NoExecute taints
    /// cancels its node's (if any) without walking the node's pods.
    var evictionsOnNode: [String: Set<String>] = [:]
    var monitorTimer: EventQueue.Handle?
    let user = "system:serviceaccount:kube-system:node-controller"

    public static let unreachable = "node.kubernetes.io/unreachable"
    public static let notReady = "node.kubernetes.io/not-ready"

    public init(api: APIServer, clock: EventQueue, nodes: Informer, leases: Informer, pods: Informer, events: EventRecorder) {
        self.api = api
        self.clock = clock
        self.nodes = nodes
        self.pods = pods
        self.events = events
        leases.onChange { [unowned self] e in
            guard e.kind != .deleted, e.object.metadata.namespace == "kube-node-lease" else { return }
            self.probeTime[e.object.metadata.name] = self.clock.now
            self.marked.remove(e.object.metadata.name)
        }
        nodes.onChange { [unowned self] e in
            let name = e.object.metadata.name
            if e.kind == .deleted { self.nodeDeleted(name); return }
            if e.kind == .added { self.probeTime[name] = self.probeTime[name] ?? self.clock.now }
            if let n = e.object.node {
                if n.taints.contains(where: { $0.effect == "NoExecute" }) { self.noExecuteNodes.insert(name) } else { self.noExecuteNodes.remove(name) }
                self.reconcileTaints(n)
            }
        }
        pods.onChange { [unowned self] e in
            // A pod bound to a node that carries a NoExecute taint is evicted by its tolerations.
            guard !self.noExecuteNodes.isEmpty, e.kind != .deleted, let p = e.object.pod, let nodeName = p.spec.nodeName,
                  self.noExecuteNodes.contains(nodeName), !p.isTerminating,
                  self.evictions[p.metadata.uid] == nil, let n = self.nodes.get(namespace: nil, name: nodeName)?.node else { return }
            let taints = n.taints.filter { $0.effect == "NoExecute" }
            if !taints.isEmpty { self.planEviction(p, taints: taints, node: n) }
        }
        scheduleMonitor()
    }

    /// Nodes already marked Unknown (their lease expired), so the monitor skips them.
    var marked: Set<String> = []

    func scheduleMonitor(overdue: Bool = false) {
        // Work for `settle` while a node is overdue but not yet marked: the controller will act.
        monitorTimer = clock.schedule(after: monitorPeriod, label: "node-lifecycle-controller: node lease overdue", background: !overdue) { [weak self] in
            self?.monitor()
        }
    }

    /// monitorNodeHealth: every node whose kubelet went quiet for the grace period.
    func monitor() {
        let now = clock.now
        let overdueAfter = (Self.kubeletLeaseRenewInterval + monitorPeriod).nanoseconds
        var overdue = false
        var expired: [String] = []
        for (name, last) in probeTime where !marked.contains(name) {
            let quiet = now - last
            if quiet > gracePeriod.nanoseconds { expired.append(name) } else if quiet > overdueAfter { overdue = true }
        }
        for name in expired.sorted() {
            guard let n = nodes.get(namespace: nil, name: name)?.node else { continue }
            if n.conditions.first(where: { $0.type == "Ready" })?.status != "Unknown" { markUnknown(n) }
            marked.insert(name)
        }
        scheduleMonitor(overdue: overdue)
    }

    func markUnknown(_ n: Node) {
        let now = clock.now
        let name = n.metadata.name
        _ = try? api.modify(.node, namespace: nil, name: name, user: user) { o in
            guard var node = o.node else { return }
            for i in node.conditions.indices {
                if node.conditions[i].status != "Unknown" { node.conditions[i].lastTransitionTime = now }
                node.conditions[i].status = "Unknown"
                node.conditions[i].reason = "NodeStatusUnknown"
                node.conditions[i].message = "Kubelet stopped posting node status."
            }
            // TaintNodesByCondition and the NoExecute taint for eviction.
            for effect in ["NoSchedule", "NoExecute"] where !node.taints.contains(where: { $0.key == Self.unreachable && $0.effect == effect }) {
                var t = Taint(key: Self.unreachable, value: nil, effect: effect)
                t.timeAdded = now
                node.taints.append(t)
            }
            o = .node(node)
        }
        events.record(.node(n), reason: "NodeNotReady", message: "Node \(name) status is now: NodeNotReady", source: "node-controller", user: user)
        // MarkPodsNotReady (pkg/controller/util/node/controller_utils.go).
        for o in pods.byIndex(IndexName.node, name) {
            guard let p = o.pod else { continue }
            _ = try? api.modify(.pod, namespace: p.metadata.namespace, name: p.metadata.name, user: user) { x in
                guard var pod = x.pod else { return }
                pod.status.setCondition("Ready", "False", now: now)
                pod.status.setCondition("ContainersReady", "False", now: now)
                for i in pod.status.containerStatuses.indices { pod.status.containerStatuses[i].ready = false }
                x = .pod(pod)
            }
            events.record(.pod(p), type: "Warning", reason: "NodeNotReady", message: "Node is not ready", source: "node-controller", user: user)
        }
    }

    /// Taints follow the Ready condition the kubelet reports; evictions follow NoExecute taints.
    func reconcileTaints(_ n: Node) {
        // TaintNodesByCondition: MemoryPressure=True → node.kubernetes.io/memory-pressure:NoSchedule.
        let pressure = n.conditions.first { $0.type == "MemoryPressure" }?.status == "True"
        let tainted = n.taints.contains { $0.key == "node.kubernetes.io/memory-pressure" }
        if pressure != tainted {
            _ = try? api.modify(.node, namespace: nil, name: n.metadata.name, user: user) { o in
                guard var node = o.node else { return }
                node.taints.removeAll { $0.key == "node.kubernetes.io/memory-pressure" }
                if pressure { node.taints.append(Taint(key: "node.kubernetes.io/memory-pressure", value: nil, effect: "NoSchedule")) }
                o = .node(node)
            }
        }
        let ready = n.conditions.first { $0.type == "Ready" }?.status == "True"
        if ready && n.taints.contains(where: { $0.key == Self.unreachable || $0.key == Self.notReady }) {
            _ = try? api.modify(.node, namespace: nil, name: n.metadata.name, user: user) { o in
                guard var node = o.node else { return }
                node.taints.removeAll { $0.key == Self.unreachable || $0.key == Self.notReady }
                o = .node(node)
            }
            events.record(.node(n), reason: "NodeReady", message: "Node \(n.metadata.name) status is now: NodeReady", source: "node-controller", user: user)
            probeTime[n.metadata.name] = clock.now
            marked.remove(n.metadata.name)
        }
        let noExecute = n.taints.filter { $0.effect == "NoExecute" }
        if noExecute.isEmpty {
            // The taints went: every pending eviction of the node's pods is cancelled.
            for uid in evictionsOnNode.removeValue(forKey: n.metadata.name) ?? [] {
                if let h = evictions.removeValue(forKey: uid) { clock.cancel(h) }
            }
            return
        }
        for o in pods.byIndex(IndexName.node, n.metadata.name) {
            guard let p = o.pod, !p.isTerminating, evictions[p.metadata.uid] == nil else { continue }
            planEviction(p, taints: noExecute, node: n)
        }
    }

    /// The smallest tolerationSeconds among tolerations of every taint; a taint not
    /// tolerated evicts at once; tolerations without seconds keep the pod forever.
    func planEviction(_ p: Pod, taints: [Taint], node: Node) {
        var delay: Int64? = nil
        var forever = true
        for t in taints {
            let matching = p.spec.tolerations.filter { $0.tolerates(t) }
            if matching.isEmpty { delay = 0; forever = false; break }
            let secs = matching.compactMap(\.tolerationSeconds)
            if secs.count == matching.count, let m = secs.min() {
                forever = false
                let since = (t.timeAdded ?? clock.now)
                let due = max(0, since + m * 1_000_000_000 - clock.now)
                delay = min(delay ?? due, due)
            }
        }
        guard !forever, let d = delay else { return }
        let ns = p.metadata.namespace ?? "default", name = p.metadata.name, uid = p.metadata.uid, nodeName = node.metadata.name
        evictionsOnNode[nodeName, default: []].insert(uid)
        evictions[uid] = clock.schedule(after: SimDuration(nanoseconds: d), label: "taint-eviction-controller: evict \(ns)/\(name)") { [weak self] in
            guard let self else { return }
            self.evictions.removeValue(forKey: uid)
            self.evictionsOnNode[nodeName]?.remove(uid)
            guard let cur = self.pods.get(namespace: ns, name: name)?.pod, cur.metadata.uid == uid, !cur.isTerminating else { return }
            self.events.record(.pod(cur), reason: "TaintManagerEviction", message: "Marking for deletion Pod \(ns)/\(name)", source: "taint-eviction-controller", user: self.user)
            _ = try? self.api.modify(.pod, namespace: ns, name: name, user: self.user) { x in
                guard var pod = x.pod else { return }
                pod.status.setCondition("DisruptionTarget", "True", reason: "DeletionByTaintManager", message: "Taint manager: deleting due to NoExecute taint", now: self.clock.now)
                x = .pod(pod)
            }
            _ = try? self.api.delete(.pod, namespace: ns, name: name, user: self.user)
        }
    }

    /// Pod GC: pods bound to a Node that no longer exists are deleted at once (grace 0).
    func nodeDeleted(_ name: String) {
        noExecuteNodes.remove(name)
        probeTime.removeValue(forKey: name)
        marked.remove(name)
        clock.schedule(after: .seconds(20), label: "pod-garbage-collector: orphaned pods of \(name)") { [weak self] in
            guard let self, self.nodes.get(namespace: nil, name: name) == nil else { return }
            for o in self.pods.byIndex(IndexName.node, name) {
                guard let p = o.pod else { continue }
                _ = try? self.api.delete(.pod, namespace: p.metadata.namespace, name: p.metadata.name, gracePeriod: 0, user: "system:serviceaccount:kube-system:pod-garbage-collector")
            }
        }
    }
}

