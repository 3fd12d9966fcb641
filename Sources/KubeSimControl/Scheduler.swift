import KubeSimCore
import KubeSimAPI

/// The scheduler (pkg/scheduler): a queue of pods with no `spec.nodeName`, filter
/// plugins then score plugins under their upstream names, the best node bound through
/// the API server (the `binding` subresource), ties broken by the seeded random.
/// A pod that fits nowhere gets `PodScheduled=False` with kubectl's message.
public final class Scheduler {
    let api: APIServer
    let clock: EventQueue
    let pods: Informer
    let nodes: Informer
    let events: EventRecorder
    let random: () -> UInt64
    var queue: WorkQueue!
    /// Pods that fitted nowhere; retried when a node or pod changes.
    var unschedulable: Set<String> = []
    /// Pods bound but not yet seen bound through the watch (upstream's assumed pods):
    /// counted on their node so back-to-back decisions see each other.
    var assumed: [String: String] = [:]
    public private(set) var bound = 0

    public init(api: APIServer, clock: EventQueue, pods: Informer, nodes: Informer, events: EventRecorder, random: @escaping () -> UInt64) {
        self.api = api
        self.clock = clock
        self.pods = pods
        self.nodes = nodes
        self.events = events
        self.random = random
        queue = WorkQueue(name: "scheduler", clock: clock, delay: .milliseconds(1)) { [unowned self] key in self.scheduleOne(key) }
        pods.onChange { [unowned self] e in
            guard let p = e.object.pod else { return }
            if e.kind != .deleted && p.spec.nodeName == nil && p.spec.schedulerName == "default-scheduler" {
                if !self.unschedulable.contains(objectKey(p.metadata)) { self.queue.add(objectKey(p.metadata)) }
            } else if e.kind == .deleted || p.spec.nodeName != nil {
                // Freed or moved resources: unschedulable pods may fit now.
                if e.kind == .deleted { self.retryUnschedulable() }
            }
        }
        nodes.onChange { [unowned self] _ in self.retryUnschedulable() }
    }

    func retryUnschedulable() {
        let keys = unschedulable.sorted()
        unschedulable.removeAll()
        for k in keys { queue.add(k) }
    }

    /// What a node has left, from the pods bound to it.
    struct NodeInfo: Sendable {
        let node: Node
        var requestedCPU: Int64 = 0
        var requestedMemory: Int64 = 0
        var podCount = 0
        /// Requests with upstream's non-zero defaults (100m CPU, 200Mi), for scoring.
        var nonZeroCPU: Int64 = 0
        var nonZeroMemory: Int64 = 0
    }

    static let defaultMilliCPU: Int64 = 100
    static let defaultMemoryMilli: Int64 = 200 * 1024 * 1024 * 1000

    func nodeInfos() -> [NodeInfo] {
        var infos: [String: NodeInfo] = [:]
        for n in nodes.list().compactMap(\.node) { infos[n.metadata.name] = NodeInfo(node: n) }
        for p in pods.list().compactMap(\.pod) {
            let key = objectKey(p.metadata)
            if p.spec.nodeName != nil { assumed[key] = nil }
            guard let n = p.spec.nodeName ?? assumed[key], infos[n] != nil, p.status.phase != "Succeeded", p.status.phase != "Failed" else { continue }
            infos[n]!.requestedCPU += Self.request(p, "cpu")
            infos[n]!.requestedMemory += Self.request(p, "memory")
            infos[n]!.podCount += 1
            infos[n]!.nonZeroCPU += Swift.max(Self.request(p, "cpu"), Self.defaultMilliCPU)
            infos[n]!.nonZeroMemory += Swift.max(Self.request(p, "memory"), Self.defaultMemoryMilli)
        }
        return infos.keys.sorted().map { infos[$0]! }
    }

    static func request(_ p: Pod, _ resource: String) -> Int64 {
        p.spec.containers.reduce(0) { $0 + ($1.resources.requests[resource]?.milli ?? 0) }
    }

    /// A filter's verdict: nil when the node passes, else the reason kubectl aggregates.
    typealias Filter = (name: String, run: @Sendable (Pod, NodeInfo) -> String?)

    static let filters: [Filter] = [
        ("NodeUnschedulable", { p, n in
            guard n.node.unschedulable else { return nil }
            let tolerated = p.spec.tolerations.contains { $0.tolerates(Taint(key: "node.kubernetes.io/unschedulable", effect: "NoSchedule")) }
            return tolerated ? nil : "node(s) were unschedulable"
        }),
        ("NodeName", { p, n in
            guard let want = p.spec.nodeName, want != n.node.metadata.name else { return nil }
            return "node(s) didn't match the requested node name"
        }),
        ("TaintToleration", { p, n in
            for t in n.node.taints where t.effect == "NoSchedule" || t.effect == "NoExecute" {
                if !p.spec.tolerations.contains(where: { $0.tolerates(t) }) {
                    return "node(s) had untolerated taint {\(t.key): \(t.value ?? "")}"
                }
            }
            return nil
        }),
        ("NodeAffinity", { p, n in
            p.spec.nodeSelector.allSatisfy { n.node.metadata.labels[$0.key] == $0.value } ? nil : "node(s) didn't match Pod's node affinity/selector"
        }),
        ("NodeResourcesFit", { p, n in
            let cpu = request(p, "cpu"), mem = request(p, "memory")
            let allocCPU = n.node.allocatable["cpu"]?.milli ?? 0, allocMem = n.node.allocatable["memory"]?.milli ?? 0
            let maxPods = n.node.allocatable["pods"]?.value ?? 110
            if n.podCount + 1 > maxPods { return "Too many pods" }
            if cpu > 0 && n.requestedCPU + cpu > allocCPU { return "Insufficient cpu" }
            if mem > 0 && n.requestedMemory + mem > allocMem { return "Insufficient memory" }
            return nil
        }),
    ]

    /// NodeResourcesFit (LeastAllocated) and NodeResourcesBalancedAllocation, each
    /// 0–100 and weight 1, as the default profile scores them.
    static func score(_ p: Pod, _ n: NodeInfo) -> Int {
        let allocCPU = Double(n.node.allocatable["cpu"]?.milli ?? 1), allocMem = Double(n.node.allocatable["memory"]?.milli ?? 1)
        // Non-zero defaults for pods without requests (100m CPU, 200Mi), as upstream scoring does.
        let podCPU = Double(max(request(p, "cpu"), defaultMilliCPU)), podMem = Double(max(request(p, "memory"), defaultMemoryMilli))
        let cpuFrac = min(1, (Double(n.nonZeroCPU) + podCPU) / allocCPU)
        let memFrac = min(1, (Double(n.nonZeroMemory) + podMem) / allocMem)
        let least = Int(((1 - cpuFrac) * 100 + (1 - memFrac) * 100) / 2)
        let balanced = Int((1 - abs(cpuFrac - memFrac) / 2) * 100)
        return least + balanced
    }

    /// scheduleOne
    func scheduleOne(_ key: String) {
        let (ns, name) = splitKey(key)
        guard let pod = pods.get(namespace: ns, name: name)?.pod, pod.spec.nodeName == nil, assumed[key] == nil else { return }
        let infos = nodeInfos()
        var reasons: [String: Int] = [:]
        var feasible: [NodeInfo] = []
        for info in infos {
            if let why = Self.filters.lazy.compactMap({ $0.run(pod, info) }).first { reasons[why, default: 0] += 1 } else { feasible.append(info) }
        }
        guard !feasible.isEmpty else {
            unschedulable.insert(key)
            let detail = reasons.keys.sorted().map { "\(reasons[$0]!) \($0)" }.joined(separator: ", ")
            let message = "0/\(infos.count) nodes are available: \(detail)."
            events.record(.pod(pod), type: "Warning", reason: "FailedScheduling", message: message, source: "default-scheduler")
            _ = try? api.modify(.pod, namespace: ns, name: name, user: "system:kube-scheduler") {
                guard var p = $0.pod else { return }
                p.status.setCondition("PodScheduled", "False", reason: "Unschedulable", message: message, now: clock.now)
                $0 = .pod(p)
            }
            return
        }
        let scored = feasible.map { ($0, Self.score(pod, $0)) }
        let best = scored.map(\.1).max()!
        let winners = scored.filter { $0.1 == best }
        let chosen = winners[Int(random() % UInt64(winners.count))].0
        do {
            try api.modify(.pod, namespace: ns, name: name, user: "system:kube-scheduler") {
                guard var p = $0.pod else { return }
                p.spec.nodeName = chosen.node.metadata.name
                p.status.setCondition("PodScheduled", "True", now: clock.now)
                $0 = .pod(p)
            }
            bound += 1
            assumed[key] = chosen.node.metadata.name
            events.record(.pod(pod), reason: "Scheduled", message: "Successfully assigned \(ns ?? "default")/\(name) to \(chosen.node.metadata.name)", source: "default-scheduler")
        } catch {
            queue.add(key)
        }
    }
}
