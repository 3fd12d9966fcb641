#if canImport(Glibc)
import Glibc
#endif
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

    /// NodeResourcesFit's scoring strategy (the scheduler configuration's
    /// `scoringStrategy.type`): spread load (LeastAllocated, the default) or pack it.
    public enum ScoringStrategy: String, Sendable, CaseIterable { case leastAllocated = "LeastAllocated", mostAllocated = "MostAllocated" }
    public var scoringStrategy = ScoringStrategy.leastAllocated

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
            let key = objectKey(p.metadata)
            self.updatePlacement(key, e.kind == .deleted ? nil : p)
            if e.kind != .deleted && p.spec.nodeName == nil && p.spec.schedulerName == "default-scheduler" {
                if !self.unschedulable.contains(key) { self.queue.add(key) }
            } else if e.kind == .deleted {
                // Freed resources: unschedulable pods may fit now.
                self.retryUnschedulable()
            }
        }
        nodes.onChange { [unowned self] e in
            guard let n = e.object.node else { return }
            if let old = self.infos[n.metadata.name] {
                for i in old.images.keys { self.imageNodeCounts[i, default: 1] -= 1 }
                if old.node.metadata.labels["topology.kubernetes.io/zone"] != nil { self.nodesWithZone -= 1 }
            }
            if e.kind == .deleted { if let old = self.infos.removeValue(forKey: n.metadata.name) { self.infosByID[old.id] = nil } }
            else if let info = self.infos[n.metadata.name] { info.node = n }
            else {
                self.nextNodeID += 1
                let info = NodeInfo(node: n, id: self.nextNodeID)
                self.infos[n.metadata.name] = info
                self.infosByID[info.id] = info
            }
            if let info = self.infos[n.metadata.name] {
                for i in info.images.keys { self.imageNodeCounts[i, default: 0] += 1 }
                if n.metadata.labels["topology.kubernetes.io/zone"] != nil { self.nodesWithZone += 1 }
            }
            self.nodeOrderDirty = true
            self.retryUnschedulable()
        }
    }

    /// What each bound (or assumed) pod takes from its node, kept up to date from the
    /// watch so a decision does not recount every pod (upstream's scheduler cache).
    struct Placement: Sendable {
        let node: String; let cpu: Int64; let memory: Int64; let nonZeroCPU: Int64; let nonZeroMemory: Int64
        let namespace: String; let labels: [String: String]; let antiAffinity: [PodAffinityTerm]
        /// The controller (ReplicaSet, StatefulSet) uid, for the default spreading.
        let owner: String
    }
    /// Placed pods per controller and node: the default PodTopologySpread constraints
    /// count a pod's siblings per node without walking every placement.
    var ownerNodeCounts: [String: [Int: Int]] = [:]
    /// Whether any node carries topology.kubernetes.io/zone (the default zone constraint).
    var zonesPresent: Bool { nodesWithZone > 0 }
    var nodesWithZone = 0
    var nextNodeID = 0
    var infosByID: [Int: NodeInfo] = [:]
    /// How many nodes hold each image (ImageLocality's spread factor).
    var imageNodeCounts: [String: Int] = [:]
    var placements: [String: Placement] = [:]
    /// How many placed pods carry required anti-affinity (so pods without constraints
    /// skip the InterPodAffinity pre-filter in O(1)).
    var placementsWithAntiAffinity = 0
    var infos: [String: NodeInfo] = [:]
    /// Node infos in name order (the order the scheduler walks them).
    var nodeOrder: [NodeInfo] = []
    var nodeOrderDirty = false
    /// Where the next search for feasible nodes starts (upstream nextStartNodeIndex).
    var nextStartNodeIndex = 0

    func updatePlacement(_ key: String, _ pod: Pod?) {
        var node: String? = nil
        if let p = pod, p.status.phase != "Succeeded", p.status.phase != "Failed" {
            node = p.spec.nodeName ?? assumed[key]
            if p.spec.nodeName != nil { assumed[key] = nil }
        } else {
            assumed[key] = nil
        }
        if let old = placements[key] {
            if old.node == node { return }
            placements[key] = nil
            if !old.antiAffinity.isEmpty { placementsWithAntiAffinity -= 1 }
            infos[old.node]?.remove(old)
            if !old.owner.isEmpty, let id = infos[old.node]?.id {
                ownerNodeCounts[old.owner]?[id, default: 1] -= 1
                if ownerNodeCounts[old.owner]?[id] == 0 { ownerNodeCounts[old.owner]?[id] = nil }
                if ownerNodeCounts[old.owner]?.isEmpty == true { ownerNodeCounts[old.owner] = nil }
            }
        }
        guard let node, let p = pod, infos[node] != nil else { return }
        let cpu = Self.request(p, "cpu"), mem = Self.request(p, "memory")
        let pl = Placement(node: node, cpu: cpu, memory: mem, nonZeroCPU: max(cpu, Self.defaultMilliCPU), nonZeroMemory: max(mem, Self.defaultMemoryMilli),
                           namespace: p.metadata.namespace ?? "default", labels: p.metadata.labels, antiAffinity: p.spec.affinity.podAntiAffinityRequired,
                           owner: Self.spreadOwner(p) ?? "")
        placements[key] = pl
        if !pl.owner.isEmpty, let id = infos[node]?.id { ownerNodeCounts[pl.owner, default: [:]][id, default: 0] += 1 }
        if !pl.antiAffinity.isEmpty { placementsWithAntiAffinity += 1 }
        infos[node]!.add(pl)
    }

    func retryUnschedulable() {
        let keys = unschedulable.sorted()
        unschedulable.removeAll()
        for k in keys { queue.add(k) }
    }

    /// What a node has left, from the pods placed on it. A class: the scheduler updates
    /// it in place, and filters read it without copying the Node.
    final class NodeInfo {
        var node: Node { didSet { refresh() } }
        var requestedCPU: Int64 = 0
        var requestedMemory: Int64 = 0
        var podCount = 0
        /// Requests with upstream's non-zero defaults (100m CPU, 200Mi), for scoring.
        var nonZeroCPU: Int64 = 0
        var nonZeroMemory: Int64 = 0
        private(set) var allocatableCPU: Int64 = 0
        private(set) var allocatableMemory: Int64 = 0
        private(set) var maxPods: Int64 = 110
        /// Image names (every name a status.images entry lists) and their sizes.
        private(set) var images: [String: Int64] = [:]
        /// The Node's fields the filters read, copied out once: reading `node` from the
        /// class copies the whole struct (a retain per field), per node, per pod.
        private(set) var name = ""
        private(set) var labels: [String: String] = [:]
        private(set) var taints: [Taint] = []
        private(set) var unschedulable = false

        /// A small number standing for the node in the scheduler's own indexes.
        let id: Int
        /// Scratch space for one scoring pass (the pod's siblings on this node).
        var siblings = 0

        init(node: Node, id: Int) {
            self.node = node
            self.id = id
            refresh()
        }

        func refresh() {
            allocatableCPU = node.allocatable["cpu"]?.milli ?? 0
            allocatableMemory = node.allocatable["memory"]?.milli ?? 0
            maxPods = node.allocatable["pods"]?.value ?? 110
            name = node.metadata.name
            labels = node.metadata.labels
            taints = node.taints
            unschedulable = node.unschedulable
            images = [:]
            for i in node.images { for n in i.names where !n.contains("@sha256:") { images[n] = i.sizeBytes } }
        }

        func add(_ p: Placement) {
            requestedCPU += p.cpu; requestedMemory += p.memory; podCount += 1
            nonZeroCPU += p.nonZeroCPU; nonZeroMemory += p.nonZeroMemory
        }
        func remove(_ p: Placement) {
            requestedCPU -= p.cpu; requestedMemory -= p.memory; podCount -= 1
            nonZeroCPU -= p.nonZeroCPU; nonZeroMemory -= p.nonZeroMemory
        }
    }

    /// A pod's requests, computed once per scheduling cycle.
    struct PodInfo {
        let pod: Pod
        let cpu: Int64
        let memory: Int64
        /// PreFilter state for PodTopologySpread: per constraint, pods per domain.
        var spreadCounts: [[String: Int]] = []
        /// PreFilter state for InterPodAffinity: per required term, the domains
        /// (topology values) holding a matching pod.
        var affinityDomains: [Set<String>] = []
        var antiAffinityDomains: [Set<String>] = []
        /// Existing pods' required anti-affinity that this pod would violate: (key, value).
        var existingAntiAffinity: Set<[String]> = []
        /// Some required affinity term matches no pod at all but matches this pod itself.
        var affinitySelfMatch: [Bool] = []
        /// PreScore state: per preferred (anti-)affinity term, matching pods per domain.
        var preferredAffinityCounts: [[String: Int]] = []
        var preferredAntiAffinityCounts: [[String: Int]] = []
        /// The system default spreading (no constraints of its own): siblings per node id.
        var defaultSpread: [Int: Int]?
        /// The pod's images as node status lists them (normalised once per cycle).
        let images: [String]
        /// What the filters need to look at, decided once per pod (most pods need few).
        let needsNodeSelector, needsNodeAffinity, needsSpread, needsPodAffinity: Bool
        init(_ pod: Pod) {
            needsNodeSelector = !pod.spec.nodeSelector.isEmpty
            needsNodeAffinity = !pod.spec.affinity.nodeRequired.isEmpty
            needsSpread = pod.spec.topologySpreadConstraints.contains { $0.whenUnsatisfiable == "DoNotSchedule" }
            needsPodAffinity = !pod.spec.affinity.podAffinityRequired.isEmpty || !pod.spec.affinity.podAntiAffinityRequired.isEmpty
            images = pod.spec.containers.map { ImageReference.normalize($0.image) }
            self.pod = pod
            cpu = Scheduler.request(pod, "cpu")
            memory = Scheduler.request(pod, "memory")
        }
    }

    /// The owner whose pods the default spreading counts (helper.DefaultSelector: the
    /// selectors of the ReplicaSet, ReplicationController or StatefulSet owning the pod).
    static func spreadOwner(_ p: Pod) -> String? {
        guard let ref = p.metadata.controllerRef, ["ReplicaSet", "StatefulSet", "ReplicationController"].contains(ref.kind) else { return nil }
        return ref.uid
    }

    /// PreFilter for PodTopologySpread and InterPodAffinity: counts once per cycle.
    func preFilter(_ pi: inout PodInfo) {
        let p = pi.pod
        if p.spec.topologySpreadConstraints.isEmpty, let owner = Self.spreadOwner(p) {
            pi.defaultSpread = ownerNodeCounts[owner] ?? [:]
        }
        let ns = p.metadata.namespace ?? "default"
        let needSpread = !p.spec.topologySpreadConstraints.isEmpty
        let a = p.spec.affinity
        let hasExistingAnti = placementsWithAntiAffinity > 0
        guard needSpread || !a.podAffinityRequired.isEmpty || !a.podAntiAffinityRequired.isEmpty || hasExistingAnti
            || !a.podAffinityPreferred.isEmpty || !a.podAntiAffinityPreferred.isEmpty else { return }
        func domain(_ node: String, _ key: String) -> String? { infos[node]?.labels[key] }
        for c in p.spec.topologySpreadConstraints {
            var counts: [String: Int] = [:]
            for info in infos.values { if let v = info.labels[c.topologyKey] { counts[v, default: 0] += 0 } }
            for pl in placements.values where pl.namespace == ns && c.labelSelector.matches(pl.labels) {
                if let v = domain(pl.node, c.topologyKey) { counts[v, default: 0] += 1 }
            }
            pi.spreadCounts.append(counts)
        }
        func domains(_ t: PodAffinityTerm) -> Set<String> {
            let namespaces = t.namespaces.isEmpty ? [ns] : t.namespaces
            var out: Set<String> = []
            for pl in placements.values where namespaces.contains(pl.namespace) && t.labelSelector.matches(pl.labels) {
                if let v = domain(pl.node, t.topologyKey) { out.insert(v) }
            }
            return out
        }
        pi.affinityDomains = a.podAffinityRequired.map(domains)
        pi.affinitySelfMatch = a.podAffinityRequired.map { t in
            !placements.values.contains { ($0.namespace == ns) && t.labelSelector.matches($0.labels) } && t.labelSelector.matches(p.metadata.labels)
        }
        pi.antiAffinityDomains = a.podAntiAffinityRequired.map(domains)
        func counts(_ t: PodAffinityTerm) -> [String: Int] {
            let namespaces = t.namespaces.isEmpty ? [ns] : t.namespaces
            var out: [String: Int] = [:]
            for pl in placements.values where namespaces.contains(pl.namespace) && t.labelSelector.matches(pl.labels) {
                if let v = domain(pl.node, t.topologyKey) { out[v, default: 0] += 1 }
            }
            return out
        }
        pi.preferredAffinityCounts = a.podAffinityPreferred.map { counts($0.term) }
        pi.preferredAntiAffinityCounts = a.podAntiAffinityPreferred.map { counts($0.term) }
        for pl in placements.values where !pl.antiAffinity.isEmpty {
            for t in pl.antiAffinity where (t.namespaces.isEmpty ? [pl.namespace] : t.namespaces).contains(ns) && t.labelSelector.matches(p.metadata.labels) {
                if let v = domain(pl.node, t.topologyKey) { pi.existingAntiAffinity.insert([t.topologyKey, v]) }
            }
        }
    }

    static let defaultMilliCPU: Int64 = 100
    static let defaultMemoryMilli: Int64 = 200 * 1024 * 1024 * 1000

    /// numFeasibleNodesToFind: all nodes below 100; otherwise an adaptive percentage
    /// (50% − nodes/125, at least 5%) and at least 100 nodes.
    static func numFeasibleNodesToFind(_ all: Int) -> Int {
        if all < 100 { return all }
        let percentage = max(5, 50 - all / 125)
        return max(100, all * percentage / 100)
    }

    static func request(_ p: Pod, _ resource: String) -> Int64 {
        p.spec.containers.reduce(0) { $0 + ($1.resources.requests[resource]?.milli ?? 0) }
    }

    /// The filter plugins in the default profile's order; each returns nil when the
    /// node passes, else the reason kubectl aggregates.
    enum FilterPlugin: String, CaseIterable {
        case nodeUnschedulable = "NodeUnschedulable", nodeName = "NodeName", taintToleration = "TaintToleration",
             nodeAffinity = "NodeAffinity", nodeResourcesFit = "NodeResourcesFit", podTopologySpread = "PodTopologySpread",
             interPodAffinity = "InterPodAffinity"
    }
    static let filterNames = FilterPlugin.allCases.map(\.rawValue)
    /// The filters in order (allCases would build a new array on every call).
    static let filterOrder = FilterPlugin.allCases

    static func filter(_ pi: PodInfo, _ n: NodeInfo) -> String? {
        for plugin in filterOrder { if let why = runFilter(plugin, pi, n) { return why } }
        return nil
    }

    /// One filter plugin's verdict: nil when the node passes.
    static func runFilter(_ plugin: FilterPlugin, _ pi: PodInfo, _ n: NodeInfo) -> String? {
        switch plugin {
        case .nodeUnschedulable:
            if n.unschedulable,
               !pi.pod.spec.tolerations.contains(where: { $0.tolerates(Taint(key: "node.kubernetes.io/unschedulable", effect: "NoSchedule")) }) {
                return "node(s) were unschedulable"
            }
        case .nodeName:
            if let want = pi.pod.spec.nodeName, want != n.name { return "node(s) didn't match the requested node name" }
        case .taintToleration:
            if n.taints.isEmpty { return nil }
            for t in n.taints where t.effect == "NoSchedule" || t.effect == "NoExecute" {
                if !pi.pod.spec.tolerations.contains(where: { $0.tolerates(t) }) { return "node(s) had untolerated taint {\(t.key): \(t.value ?? "")}" }
            }
        case .nodeAffinity:
            if !pi.needsNodeSelector && !pi.needsNodeAffinity { return nil }
            if pi.needsNodeSelector, !pi.pod.spec.nodeSelector.allSatisfy({ n.labels[$0.key] == $0.value }) {
                return "node(s) didn't match Pod's node affinity/selector"
            }
            let terms = pi.pod.spec.affinity.nodeRequired
            if !terms.isEmpty && !terms.contains(where: { $0.matches(n.labels, nodeName: n.name) }) {
                return "node(s) didn't match Pod's node affinity/selector"
            }
        case .podTopologySpread:
            if !pi.needsSpread { return nil }
            for (i, c) in pi.pod.spec.topologySpreadConstraints.enumerated() where c.whenUnsatisfiable == "DoNotSchedule" && i < pi.spreadCounts.count {
                guard let v = n.labels[c.topologyKey] else {
                    return "node(s) didn't match pod topology spread constraints (missing required label)"
                }
                let counts = pi.spreadCounts[i]
                let minCount = counts.values.min() ?? 0
                let selfMatch = c.labelSelector.matches(pi.pod.metadata.labels) ? 1 : 0
                if (counts[v] ?? 0) + selfMatch - minCount > c.maxSkew { return "node(s) didn't match pod topology spread constraints" }
            }
        case .interPodAffinity:
            // Upstream order: the pod's affinity, its anti-affinity, then existing pods' anti-affinity.
            if !pi.needsPodAffinity && pi.existingAntiAffinity.isEmpty { return nil }
            let labels = n.labels
            for (i, t) in pi.pod.spec.affinity.podAffinityRequired.enumerated() where i < pi.affinityDomains.count {
                if pi.affinitySelfMatch[i] { continue }
                guard let v = labels[t.topologyKey], pi.affinityDomains[i].contains(v) else { return "node(s) didn't match pod affinity rules" }
            }
            for (i, t) in pi.pod.spec.affinity.podAntiAffinityRequired.enumerated() where i < pi.antiAffinityDomains.count {
                if let v = labels[t.topologyKey], pi.antiAffinityDomains[i].contains(v) { return "node(s) didn't match pod anti-affinity rules" }
            }
            for pair in pi.existingAntiAffinity where labels[pair[0]] == pair[1] {
                return "node(s) didn't satisfy existing pods anti-affinity rules"
            }
        case .nodeResourcesFit:
            if Int64(n.podCount + 1) > n.maxPods { return "Too many pods" }
            if pi.cpu > 0 && n.requestedCPU + pi.cpu > n.allocatableCPU { return "Insufficient cpu" }
            if pi.memory > 0 && n.requestedMemory + pi.memory > n.allocatableMemory { return "Insufficient memory" }
        }
        return nil
    }

    /// NodeResourcesFit (LeastAllocated) and NodeResourcesBalancedAllocation, each
    /// 0–100 and weight 1, as the default profile scores them.
    /// (NodeResourcesFit, NodeResourcesBalancedAllocation), each 0–100.
    static func scores(_ pi: PodInfo, _ n: NodeInfo, _ strategy: ScoringStrategy = .leastAllocated) -> (Int, Int) {
        let allocCPU = Double(max(1, n.allocatableCPU)), allocMem = Double(max(1, n.allocatableMemory))
        let podCPU = Double(max(pi.cpu, defaultMilliCPU)), podMem = Double(max(pi.memory, defaultMemoryMilli))
        let cpuFrac = min(1, (Double(n.nonZeroCPU) + podCPU) / allocCPU)
        let memFrac = min(1, (Double(n.nonZeroMemory) + podMem) / allocMem)
        let fit = strategy == .leastAllocated
            ? Int(((1 - cpuFrac) * 100 + (1 - memFrac) * 100) / 2)
            : Int((cpuFrac * 100 + memFrac * 100) / 2)
        let balanced = Int((1 - abs(cpuFrac - memFrac) / 2) * 100)
        return (fit, balanced)
    }

    /// Raw NodeAffinity score: the weights of the preferred terms a node matches.
    static func nodeAffinityRaw(_ p: Pod, _ n: NodeInfo) -> Int {
        p.spec.affinity.nodePreferred.filter { $0.preference.matches(n.labels) }.reduce(0) { $0 + $1.weight }
    }

    /// Raw TaintToleration score: PreferNoSchedule taints the pod does not tolerate.
    static func taintRaw(_ p: Pod, _ n: NodeInfo) -> Int {
        n.taints.filter { taint in taint.effect == "PreferNoSchedule" && !p.spec.tolerations.contains(where: { $0.tolerates(taint) }) }.count
    }

    /// Every score plugin over the feasible nodes, normalised to 0–100 where upstream
    /// normalises, times the default profile's weights (NodeResourcesFit 1,
    /// NodeResourcesBalancedAllocation 1, NodeAffinity 2, TaintToleration 3).
    func totalScores(_ pi: PodInfo, _ nodes: [NodeInfo], _ strategy: ScoringStrategy = .leastAllocated) -> [(NodeInfo, Int)] {
        // Plugins with nothing to score give every node the same value: skip their work.
        let spec = pi.pod.spec
        let affinity = spec.affinity.nodePreferred.isEmpty ? [] : nodes.map { Self.nodeAffinityRaw(pi.pod, $0) }
        let taints = nodes.contains(where: { !$0.taints.isEmpty }) ? nodes.map { Self.taintRaw(pi.pod, $0) } : []
        let podAffinity = spec.affinity.podAffinityPreferred.isEmpty && spec.affinity.podAntiAffinityPreferred.isEmpty ? [] : nodes.map { Self.interPodAffinityRaw(pi, $0) }
        let spreading = spec.topologySpreadConstraints.contains(where: { $0.whenUnsatisfiable == "ScheduleAnyway" }) || pi.defaultSpread != nil
        let spread: [Int]
        if let counts = pi.defaultSpread, !zonesPresent {
            // Default spreading by hostname only: siblings × log(nodes + 2) + (3 − 1).
            let w = log(Double(nodes.count + 2))
            // The pod's siblings sit on few nodes: mark those, then read the mark per
            // feasible node (no hash lookup per node).
            if counts.isEmpty { spread = [] } else {
                for (id, c) in counts { infosByID[id]?.siblings = c }
                spread = nodes.map { Int((Double($0.siblings) * w + 2).rounded()) }
                for id in counts.keys { infosByID[id]?.siblings = 0 }
            }
        } else {
            spread = spreading ? nodes.map { spreadRaw(pi, $0, nodeCount: nodes.count) } : []
        }
        let maxAffinity = affinity.max() ?? 0, maxTaints = taints.max() ?? 0
        let (minPA, maxPA) = (podAffinity.min() ?? 0, podAffinity.max() ?? 0)
        let (minSpread, maxSpread) = (spread.min() ?? 0, spread.max() ?? 0)
        let imageConstant = imageLocalityConstant(pi, totalNodes: infos.count)
        return nodes.enumerated().map { i, n in
            let (fit, balanced) = Self.scores(pi, n, strategy)
            let na = maxAffinity > 0 ? affinity[i] * 100 / maxAffinity : 0
            let tt = maxTaints > 0 ? 100 - taints[i] * 100 / maxTaints : 100
            // (Empty arrays above have max == min, so these never index them.)
            // InterPodAffinity: min–max normalised to 0–100.
            let ipa = maxPA > minPA ? (podAffinity[i] - minPA) * 100 / (maxPA - minPA) : 0
            // PodTopologySpread NormalizeScore: 100 × (max + min − s) / max (all 100 when max is 0).
            let pts = maxSpread > 0 ? 100 * (maxSpread + minSpread - spread[i]) / maxSpread : 100
            let il = imageConstant ?? imageLocalityScore(pi, totalNodes: infos.count) { n.images[$0] }
            return (n, fit + balanced + 2 * na + 3 * tt + 2 * ipa + 2 * pts + il)
        }
    }

    /// Raw InterPodAffinity score: preferred affinity weights where matching pods share
    /// the node's domain, minus preferred anti-affinity weights.
    static func interPodAffinityRaw(_ pi: PodInfo, _ n: NodeInfo) -> Int {
        var s = 0
        for (i, w) in pi.pod.spec.affinity.podAffinityPreferred.enumerated() where i < pi.preferredAffinityCounts.count {
            if let v = n.labels[w.term.topologyKey], (pi.preferredAffinityCounts[i][v] ?? 0) > 0 { s += w.weight }
        }
        for (i, w) in pi.pod.spec.affinity.podAntiAffinityPreferred.enumerated() where i < pi.preferredAntiAffinityCounts.count {
            if let v = n.labels[w.term.topologyKey], (pi.preferredAntiAffinityCounts[i][v] ?? 0) > 0 { s -= w.weight }
        }
        return s
    }

    /// Raw PodTopologySpread score (scoring.go): per constraint with the node's key,
    /// matching pods in its domain × log(domains + 2) + (maxSkew − 1), rounded. The
    /// system defaults, for a pod with no constraints of its own, are hostname maxSkew 3
    /// and zone maxSkew 5, counting the pod's siblings.
    func spreadRaw(_ pi: PodInfo, _ n: NodeInfo, nodeCount: Int) -> Int {
        var s = 0.0
        let labels = n.labels
        if let counts = pi.defaultSpread {
            let weight = log(Double(nodeCount + 2))
            s += Double(counts[n.id] ?? 0) * weight + 2
            if let zone = labels["topology.kubernetes.io/zone"] {
                var zoneCount = 0
                var zones = Set<String>()
                var zoneOf: [Int: String] = [:]
                for info in infos.values { if let z = info.labels["topology.kubernetes.io/zone"] { zones.insert(z); zoneOf[info.id] = z } }
                for (node, c) in counts where zoneOf[node] == zone { zoneCount += c }
                s += Double(zoneCount) * log(Double(zones.count + 2)) + 4
            }
            return Int(s.rounded())
        }
        for (i, c) in pi.pod.spec.topologySpreadConstraints.enumerated() where c.whenUnsatisfiable == "ScheduleAnyway" && i < pi.spreadCounts.count {
            guard let v = labels[c.topologyKey] else { continue }
            let domains = pi.spreadCounts[i].count
            s += Double(pi.spreadCounts[i][v] ?? 0) * log(Double(domains + 2)) + Double(c.maxSkew - 1)
        }
        return Int(s.rounded())
    }

    /// ImageLocality (imagelocality/image_locality.go): the sizes of the pod's images the
    /// node already has, each scaled by the share of nodes that have it, mapped from
    /// [23 MiB, 1000 MiB × containers] onto 0–100. Weight 1.
    func imageLocality(_ pi: PodInfo, _ n: NodeInfo, totalNodes: Int) -> Int {
        if let c = imageLocalityConstant(pi, totalNodes: totalNodes) { return c }
        return imageLocalityScore(pi, totalNodes: totalNodes) { n.images[$0] }
    }

    /// The score when it is the same on every node: no node has any of the images, or
    /// every node has all of them (the hot path of a cluster with pre-pulled images).
    func imageLocalityConstant(_ pi: PodInfo, totalNodes: Int) -> Int? {
        guard totalNodes > 0 else { return 0 }
        let counts = pi.images.map { imageNodeCounts[$0] ?? 0 }
        if counts.allSatisfy({ $0 == 0 }) { return 0 }
        if counts.allSatisfy({ $0 >= totalNodes }), let any = infos.values.first {
            return imageLocalityScore(pi, totalNodes: totalNodes) { any.images[$0] }
        }
        return nil
    }

    func imageLocalityScore(_ pi: PodInfo, totalNodes: Int, size: (String) -> Int64?) -> Int {
        var sum: Int64 = 0
        for name in pi.images {
            if let bytes = size(name) { sum += Int64(Double(bytes) * Double(imageNodeCounts[name] ?? 1) / Double(totalNodes)) }
        }
        let mb: Int64 = 1024 * 1024
        let minThreshold = 23 * mb, maxThreshold = 1000 * mb * Int64(max(1, pi.images.count))
        let clamped = min(max(sum, minThreshold), maxThreshold)
        return Int(100 * (clamped - minThreshold) / (maxThreshold - minThreshold))
    }


    /// `explain pod NAME`: every node, each filter's verdict, each score, the best.
    public func explain(_ pod: Pod) -> String {
        let key = objectKey(pod.metadata)
        // Judge the pod as if it were not placed yet.
        let own = placements[key]
        if let own { infos[own.node]?.remove(own) }
        defer { if let own { infos[own.node]?.add(own) } }
        var unbound = pod
        unbound.spec.nodeName = nil
        var pi = PodInfo(unbound)
        preFilter(&pi)
        var rows: [[String]] = []
        var feasible: [NodeInfo] = []
        let names = infos.keys.sorted()
        for name in names {
            let n = infos[name]!
            var cells = [name]
            var ok = true
            for f in FilterPlugin.allCases {
                if let why = Self.runFilter(f, pi, n) { cells.append(why); ok = false } else { cells.append("ok") }
            }
            if ok { feasible.append(n) }
            rows.append(cells)
        }
        // The same weighted total the scheduler uses to choose.
        let totals = Dictionary(uniqueKeysWithValues: totalScores(pi, feasible, scoringStrategy).map { ($0.0.node.metadata.name, $0.1) })
        var best: (String, Int)?
        for (i, name) in names.enumerated() {
            guard let total = totals[name] else { rows[i] += ["-", "-", "-", "-", "-"]; continue }
            let (fit, balanced) = Self.scores(pi, infos[name]!, scoringStrategy)
            let spreading = pi.defaultSpread != nil || pod.spec.topologySpreadConstraints.contains { $0.whenUnsatisfiable == "ScheduleAnyway" }
            rows[i] += [String(fit), String(balanced), String(imageLocality(pi, infos[name]!, totalNodes: infos.count)),
                        spreading ? String(spreadRaw(pi, infos[name]!, nodeCount: feasible.count)) : "-", String(total)]
            if best == nil || total > best!.1 { best = (name, total) }
        }
        let header = ["NODE"] + Self.filterNames + ["NodeResourcesFit(score)", "NodeResourcesBalancedAllocation", "ImageLocality", "PodTopologySpread(raw)", "TOTAL(weighted, all plugins)"]
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        func line(_ r: [String]) -> String {
            r.enumerated().map { $0.offset == r.count - 1 ? $0.element : $0.element + String(repeating: " ", count: widths[$0.offset] - $0.element.count + 3) }.joined()
        }
        var out = ["filters run in this order; scores are 0–100; TOTAL weighs every score plugin as the default profile does (NodeResourcesFit strategy \(scoringStrategy.rawValue))", line(header)] + rows.map(line)
        out.append(best.map { "best node: \($0.0) (score \($0.1); ties are broken by the seeded random source)" } ?? "no node fits: the pod stays Pending")
        if let n = pod.spec.nodeName { out.append("bound to: \(n)") }
        return out.joined(separator: "\n")
    }

    /// scheduleOne
    func scheduleOne(_ key: String) {
        let (ns, name) = splitKey(key)
        guard let pod = pods.get(namespace: ns, name: name)?.pod, pod.spec.nodeName == nil, assumed[key] == nil else { return }
        var reasons: [String: Int] = [:]
        var feasible: [NodeInfo] = []
        var podInfo = PodInfo(pod)
        preFilter(&podInfo)
        if nodeOrderDirty {
            nodeOrder = infos.keys.sorted().map { infos[$0]! }
            nodeOrderDirty = false
        }
        let all = nodeOrder.count
        let want = Self.numFeasibleNodesToFind(all)
        var processed = 0
        while processed < all && feasible.count < want {
            let info = nodeOrder[(nextStartNodeIndex + processed) % all]
            processed += 1
            if let why = Self.filter(podInfo, info) { reasons[why, default: 0] += 1 } else { feasible.append(info) }
        }
        if all > 0 { nextStartNodeIndex = (nextStartNodeIndex + processed) % all }
        guard !feasible.isEmpty else {
            unschedulable.insert(key)
            // FitError.Error(): "N reason" strings, sorted as strings.
            let detail = reasons.map { "\($0.value) \($0.key)" }.sorted().joined(separator: ", ")
            let message = "0/\(all) nodes are available: \(detail)."
            events.record(.pod(pod), type: "Warning", reason: "FailedScheduling", message: message, source: "default-scheduler")
            _ = try? api.modify(.pod, namespace: ns, name: name, user: "system:kube-scheduler") {
                guard var p = $0.pod else { return }
                p.status.setCondition("PodScheduled", "False", reason: "Unschedulable", message: message, now: clock.now)
                $0 = .pod(p)
            }
            return
        }
        let scored = totalScores(podInfo, feasible, scoringStrategy)
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
            updatePlacement(key, pod)
            events.record(.pod(pod), reason: "Scheduled", message: "Successfully assigned \(ns ?? "default")/\(name) to \(chosen.node.metadata.name)", source: "default-scheduler")
        } catch {
            queue.add(key)
        }
    }
}
