import KubeSimCore
import KubeSimAPI

/// A component's watch on one resource type: a local cache the watch keeps up to date
/// after a small simulated latency, and handlers that (as upstream's event handlers)
/// only enqueue keys. Components read their cache, never the store.
public final class Informer {
    public let type: ResourceType
    public private(set) var cache: [String: APIObject] = [:]
    private var handlers: [(WatchEvent) -> Void] = []
    /// Indexes (client-go's Indexer): index name → value → keys.
    private var indexFunctions: [String: (APIObject) -> [String]] = [:]
    private var indexes: [String: [String: Set<String>]] = [:]

    public init(type: ResourceType, store: Store, clock: EventQueue, latency: SimDuration) {
        self.type = type
        for o in store.list(type) { cache[o.key] = o }
        let label = "watch \(type.plural)"
        // A watch stream delivers in order: events wait in a FIFO and one timer per
        // delivery instant hands over everything due then (not one timer per event).
        store.watch(type) { [unowned self] event in
            let due = clock.now + latency.nanoseconds
            self.pending.append((due, event))
            if self.timerDue != due {
                self.timerDue = due
                clock.schedule(at: due, label: label) { self.drain(through: due) }
            }
        }
    }

    private var pending: [(due: Int64, event: WatchEvent)] = []
    private var pendingHead = 0
    private var timerDue: Int64 = -1

    private func drain(through t: Int64) {
        while pendingHead < pending.count, pending[pendingHead].due <= t {
            let e = pending[pendingHead].event
            pendingHead += 1
            deliver(e)
        }
        if pendingHead == pending.count { pending.removeAll(keepingCapacity: true); pendingHead = 0 }
        else if pendingHead > 4096 { pending.removeFirst(pendingHead); pendingHead = 0 }
    }

    public func onChange(_ handler: @escaping (WatchEvent) -> Void) { handlers.append(handler) }

    /// Drops every handler and queued event: the cluster is being torn down (a
    /// handler holds its controller or kubelet, which holds this informer).
    public func stop() {
        handlers.removeAll()
        ownerHandlers.removeAll()
        pending.removeAll()
        pendingHead = 0
    }

    /// Handlers for objects owned by a controller of a kind (pods of Jobs, …): the
    /// owner reference is looked up once per event, not once per controller.
    private var ownerHandlers: [String: [(WatchEvent, OwnerReference) -> Void]] = [:]
    public func onOwnedChange(kind: String, _ handler: @escaping (WatchEvent, OwnerReference) -> Void) {
        if ownerHandlers.isEmpty {
            onChange { [unowned self] e in
                guard let ref = e.object.metadata.controllerRef, let hs = self.ownerHandlers[ref.kind] else { return }
                for h in hs { h(e, ref) }
            }
        }
        ownerHandlers[kind, default: []].append(handler)
    }

    /// Adds an index; `values` gives the index values of an object.
    public func addIndex(_ name: String, _ values: @escaping (APIObject) -> [String]) {
        indexFunctions[name] = values
        var idx: [String: Set<String>] = [:]
        for (k, o) in cache { for v in values(o) { idx[v, default: []].insert(k) } }
        indexes[name] = idx
    }

    /// Objects whose index `name` has `value`, sorted by key.
    public func byIndex(_ name: String, _ value: String) -> [APIObject] {
        guard let keys = indexes[name]?[value] else { return [] }
        return keys.sorted().compactMap { cache[$0] }
    }

    func deliver(_ e: WatchEvent) {
        let key = e.object.key
        let old = cache[key]
        if e.kind == .deleted {
            cache[key] = nil
        } else {
            // A late event must not overwrite a newer object.
            if let cur = old, cur.metadata.resourceVersion > e.object.metadata.resourceVersion { return }
            cache[key] = e.object
        }
        for (name, fn) in indexFunctions {
            let before = old.map(fn) ?? []
            let after = e.kind == .deleted ? [] : fn(e.object)
            if before == after { continue }
            for v in before { indexes[name]![v]?.remove(key) }
            for v in after { indexes[name]![v, default: []].insert(key) }
        }
        for h in handlers { h(e) }
    }

    public func get(namespace: String?, name: String) -> APIObject? {
        cache[Store.key(type, namespace: namespace, name: name)]
    }

    public var count: Int { cache.count }

    /// Cached objects, sorted by key (deterministic iteration).
    public func list(namespace: String? = nil) -> [APIObject] {
        let prefix = namespace.map { Store.key(type, namespace: $0, name: "") }
        return cache.keys.sorted().compactMap { k in
            if let prefix, !k.hasPrefix(prefix) { return nil }
            return cache[k]
        }
    }
}

/// Index names the controllers share.
public enum IndexName {
    /// The uid of an object's controller (ownerReference with controller=true).
    public static let controller = "controller-uid"
    /// Pods by `spec.nodeName`.
    public static let node = "spec.nodeName"
    /// EndpointSlices by `<namespace>/<kubernetes.io/service-name>`.
    public static let service = "service-name"
}

/// A de-duplicating work queue on the simulated clock: `add(key)` schedules one
/// `sync(key)` after `delay`; adding a key already waiting does nothing, as in
/// client-go's workqueue.
public final class WorkQueue {
    let clock: EventQueue
    let delay: SimDuration
    let name: String
    private var waiting: Set<String> = []
    let sync: (String) -> Void

    public init(name: String, clock: EventQueue, delay: SimDuration, sync: @escaping (String) -> Void) {
        self.name = name
        self.clock = clock
        self.delay = delay
        self.sync = sync
    }

    public func add(_ key: String) {
        guard !waiting.contains(key) else { return }
        waiting.insert(key)
        clock.schedule(after: delay, label: "\(self.name) sync \(key)") { [unowned self] in
            self.waiting.remove(key)
            self.sync(key)
        }
    }

    public var isEmpty: Bool { waiting.isEmpty }
}

/// `namespace/name`, the key controllers queue.
public func objectKey(_ meta: ObjectMeta) -> String { "\(meta.namespace ?? "")/\(meta.name)" }

func splitKey(_ key: String) -> (String?, String) {
    let parts = key.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
    if parts.count == 2 { return (parts[0].isEmpty ? nil : String(parts[0]), String(parts[1])) }
    return (nil, key)
}
