import KubeSimCore
import KubeSimAPI

/// The ReplicaSet controller (pkg/controller/replicaset/replica_set.go): level-triggered
/// `syncReplicaSet(key)` that claims pods (adopting orphans that match the selector),
/// creates or deletes pods to match `spec.replicas`, and writes status — all through
/// the API server. Expectations stop it acting twice before its own writes come back
/// through the watch.
public final class ReplicaSetController {
    let api: APIServer
    let clock: EventQueue
    let pods: Informer
    let replicaSets: Informer
    var queue: WorkQueue!
    let events: EventRecorder
    /// Outstanding creates/deletes per ReplicaSet key (controller expectations).
    var expectations: [String: (adds: Int, dels: Int, set: Int64)] = [:]
    /// Upstream burstReplicas: at most this many creates or deletes per sync.
    static let burstReplicas = 500

    public init(api: APIServer, clock: EventQueue, pods: Informer, replicaSets: Informer, events: EventRecorder) {
        self.api = api
        self.clock = clock
        self.pods = pods
        self.replicaSets = replicaSets
        self.events = events
        queue = WorkQueue(name: "replicaset-controller", clock: clock, delay: .milliseconds(1)) { [unowned self] key in
            self.syncReplicaSet(key)
        }
        replicaSets.onChange { [unowned self] e in
            if e.kind != .deleted { self.queue.add(objectKey(e.object.metadata)) } else { self.expectations[objectKey(e.object.metadata)] = nil }
        }
        pods.onChange { [unowned self] e in self.podChanged(e) }
        pods.addIndex(IndexName.controller) { [$0.metadata.controllerRef?.uid ?? ""] }
    }

    func podChanged(_ e: WatchEvent) {
        guard let pod = e.object.pod else { return }
        if let ref = pod.metadata.controllerRef, ref.kind == "ReplicaSet" {
            let key = "\(pod.metadata.namespace ?? "")/\(ref.name)"
            if var x = expectations[key] {
                if e.kind == .added { x.adds = max(0, x.adds - 1) }
                if e.kind == .deleted { x.dels = max(0, x.dels - 1) }
                expectations[key] = x
            }
            queue.add(key)
            return
        }
        // An orphan: any ReplicaSet whose selector matches may adopt it.
        if e.kind != .deleted {
            for rs in replicaSets.list(namespace: pod.metadata.namespace).compactMap(\.replicaSet)
            where rs.spec.selector.matches(pod.metadata.labels) {
                queue.add(objectKey(rs.metadata))
            }
        }
    }

    func expectationsSatisfied(_ key: String) -> Bool {
        guard let x = expectations[key] else { return true }
        // Upstream's ExpectationsTimeout is 5 minutes.
        if x.adds <= 0 && x.dels <= 0 || clock.now - x.set > SimDuration.minutes(5).nanoseconds {
            expectations[key] = nil
            return true
        }
        return false
    }

    /// syncReplicaSet
    public func syncReplicaSet(_ key: String) {
        let (ns, name) = splitKey(key)
        guard let rs = replicaSets.get(namespace: ns, name: name)?.replicaSet else { return }
        let needsSync = expectationsSatisfied(key)
        // Claim: our pods, plus matching orphans (adopted), minus ours that no longer match.
        var owned: [Pod] = []
        for pod in pods.byIndex(IndexName.controller, rs.metadata.uid).compactMap(\.pod) where pod.metadata.deletionTimestamp == nil {
            if rs.spec.selector.matches(pod.metadata.labels) { owned.append(pod) } else { release(pod) }
        }
        // Orphans (pods with no controller) in the namespace that match the selector.
        for pod in pods.byIndex(IndexName.controller, "").compactMap(\.pod)
        where pod.metadata.namespace == ns && pod.metadata.deletionTimestamp == nil && rs.metadata.deletionTimestamp == nil
            && rs.spec.selector.matches(pod.metadata.labels) {
            if let adopted = adopt(pod, by: rs) { owned.append(adopted) }
        }
        let active = owned.filter { $0.status.phase != "Succeeded" && $0.status.phase != "Failed" }
        if needsSync && rs.metadata.deletionTimestamp == nil { manageReplicas(active, rs, key) }
        updateStatus(rs, owned: active)
    }

    func adopt(_ pod: Pod, by rs: ReplicaSet) -> Pod? {
        let ref = OwnerReference(apiVersion: "apps/v1", kind: "ReplicaSet", name: rs.metadata.name, uid: rs.metadata.uid)
        return try? api.modify(.pod, namespace: pod.metadata.namespace, name: pod.metadata.name, user: "system:serviceaccount:kube-system:replicaset-controller") {
            var m = $0.metadata
            m.ownerReferences.append(ref)
            $0.metadata = m
        }.pod
    }

    func release(_ pod: Pod) {
        _ = try? api.modify(.pod, namespace: pod.metadata.namespace, name: pod.metadata.name, user: "system:serviceaccount:kube-system:replicaset-controller") {
            var m = $0.metadata
            m.ownerReferences.removeAll { $0.controller && $0.kind == "ReplicaSet" }
            $0.metadata = m
        }
    }

    /// manageReplicas
    func manageReplicas(_ active: [Pod], _ rs: ReplicaSet, _ key: String) {
        let diff = active.count - rs.spec.replicas
        if diff < 0 {
            let n = min(-diff, Self.burstReplicas)
            expectations[key] = (n, 0, clock.now)
            let generateName = rs.metadata.name + "-"   // one string shared by the pods of this burst
            for _ in 0..<n {
                var meta = ObjectMeta(name: "", namespace: rs.metadata.namespace, labels: rs.spec.template.labels)
                meta.generateName = generateName
                meta.annotations = rs.spec.template.annotations
                meta.preserved = rs.spec.template.preserved
                meta.ownerReferences = [OwnerReference(apiVersion: "apps/v1", kind: "ReplicaSet", name: rs.metadata.name, uid: rs.metadata.uid)]
                do {
                    let p = try api.create(.pod(Pod(metadata: meta, spec: rs.spec.template.spec)), user: "system:serviceaccount:kube-system:replicaset-controller")
                    events.record(.replicaSet(rs), reason: "SuccessfulCreate", message: "Created pod: \(p.metadata.name)", source: "replicaset-controller")
                } catch {
                    expectations[key]?.adds -= 1
                    let why = (error as? APIError)?.message ?? "\(error)"
                    events.record(.replicaSet(rs), type: "Warning", reason: "FailedCreate", message: "Error creating: \(why)", source: "replicaset-controller")
                }
            }
        } else if diff > 0 {
            let n = min(diff, Self.burstReplicas)
            let victims = Array(Self.podsToDelete(active).prefix(n))
            expectations[key] = (0, victims.count, clock.now)
            for p in victims {
                do {
                    try api.delete(.pod, namespace: p.metadata.namespace, name: p.metadata.name, user: "system:serviceaccount:kube-system:replicaset-controller")
                    events.record(.replicaSet(rs), reason: "SuccessfulDelete", message: "Deleted pod: \(p.metadata.name)", source: "replicaset-controller")
                } catch {
                    expectations[key]?.dels -= 1
                }
            }
        }
    }

    /// The order upstream deletes in (controller.ActivePods' Less, used by
    /// getPodsToDelete): unassigned before assigned; Pending before Unknown before
    /// Running; not ready before ready; more restarts first; newer before older.
    public static func podsToDelete(_ pods: [Pod]) -> [Pod] {
        func phaseRank(_ p: String) -> Int { p == "Pending" ? 0 : (p == "Unknown" ? 1 : 2) }
        return pods.sorted { a, b in
            let aa = a.spec.nodeName != nil, ba = b.spec.nodeName != nil
            if aa != ba { return !aa }
            let ap = phaseRank(a.status.phase), bp = phaseRank(b.status.phase)
            if ap != bp { return ap < bp }
            if a.status.isReady != b.status.isReady { return !a.status.isReady }
            if a.status.restartCount != b.status.restartCount { return a.status.restartCount > b.status.restartCount }
            if a.metadata.creationTimestamp != b.metadata.creationTimestamp { return a.metadata.creationTimestamp > b.metadata.creationTimestamp }
            return a.metadata.name < b.metadata.name
        }
    }

    func updateStatus(_ rs: ReplicaSet, owned: [Pod]) {
        var s = ReplicaSetStatus()
        s.replicas = owned.count
        s.fullyLabeledReplicas = owned.filter { p in rs.spec.template.labels.allSatisfy { p.metadata.labels[$0.key] == $0.value } }.count
        s.readyReplicas = owned.filter(\.status.isReady).count
        s.availableReplicas = owned.filter { isAvailable($0, minReadySeconds: rs.spec.minReadySeconds) }.count
        s.observedGeneration = rs.metadata.generation
        guard s != rs.status else { return }
        _ = try? api.modify(.replicaSet, namespace: rs.metadata.namespace, name: rs.metadata.name, user: "system:serviceaccount:kube-system:replicaset-controller") {
            guard var r = $0.replicaSet else { return }
            r.status = s
            $0 = .replicaSet(r)
        }
    }

    func isAvailable(_ p: Pod, minReadySeconds: Int) -> Bool {
        guard p.status.isReady, let c = p.status.condition("Ready") else { return false }
        return minReadySeconds == 0 || clock.now - c.lastTransitionTime >= SimDuration.seconds(Int64(minReadySeconds)).nanoseconds
    }
}

/// Writes Events through the API server, merging repeats as client-go's EventCorrelator
/// does: the same reason and message about the same object bumps `count` and
/// `lastTimestamp` of the existing Event instead of creating another.
public final class EventRecorder {
    let api: APIServer
    let clock: EventQueue
    /// The correlator's cache is an LRU of 4096 entries (client-go tools/record
    /// events_cache.go maxLruCacheEntries); a repeat older than that makes a new Event.
    /// What makes two events "the same" for the correlator (getEventKey: source,
    /// involved object, type, reason, message); the parts kept apart, not concatenated.
    struct Key: Hashable {
        let uid: String, name: String, type: String, reason: String, source: String, message: String
    }
    var seen: [Key: (namespace: String, name: String)] = [:]
    /// Keys in insertion order, a ring of `cacheSize` slots; the oldest is dropped first.
    var order: [Key] = []
    var orderNext = 0
    public static let cacheSize = 4096
    /// Simulated time 0 (2026-01-01T00:00:00Z) in Unix nanoseconds.
    static let epochUnixNano: Int64 = 1_767_225_600_000_000_000
    var sequence: UInt64 = 0
    var interned: [String: String] = [:]
    public init(api: APIServer, clock: EventQueue) { self.api = api; self.clock = clock }

    var writers: [String: String] = [:]
    /// `system:serviceaccount:kube-system:<source>`, one string per source.
    func writerName(_ source: String) -> String {
        if let w = writers[source] { return w }
        let w = "system:serviceaccount:kube-system:\(source)"
        writers[source] = w
        return w
    }

    func remember(_ key: Key, _ value: (namespace: String, name: String)) {
        guard seen.updateValue(value, forKey: key) == nil else { return }
        if order.count < Self.cacheSize { order.append(key); return }
        seen.removeValue(forKey: order[orderNext])
        order[orderNext] = key
        orderNext = (orderNext + 1) % Self.cacheSize
    }

    public func record(_ o: APIObject, type: String = "Normal", reason: String, message: String, source: String, user: String? = nil) {
        let meta = o.metadata
        let ns = meta.namespace ?? "default"
        let key = Key(uid: meta.uid, name: meta.name, type: type, reason: reason, source: source, message: message)
        let writer = user ?? writerName(source)
        if let (ens, name) = seen[key],
           (try? api.modify(.event, namespace: ens, name: name, user: writer, { x in
               guard case .event(var e) = x else { return }
               e.count += 1
               e.lastTimestamp = clock.now
               x = .event(e)
           })) != nil {
            return
        }
        // client-go names events `<object>.<UnixNano in hex>` (tools/record/event.go makeEvent);
        // a sequence number keeps two events of one instant apart.
        sequence += 1
        let unixNano = UInt64(Self.epochUnixNano + clock.now) &+ sequence
        let emeta = ObjectMeta(name: meta.name + "." + String(unixNano, radix: 16), namespace: ns)
        // Kubelet messages repeat across pods ("Created container app"): one shared string each.
        var text = message
        if source == "kubelet" {
            if let shared = interned[message] { text = shared } else if interned.count < 50_000 { interned[message] = message }
        }
        let e = Event(metadata: emeta, involvedKind: o.type.kind, involvedName: meta.name, involvedNamespace: meta.namespace,
                      reason: reason, message: text, type: type, source: source, firstTimestamp: clock.now, lastTimestamp: clock.now)
        if let made = try? api.create(.event(e), user: writer) { remember(key, (ns, made.metadata.name)) }
    }
}
