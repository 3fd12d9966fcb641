import KubeSimCore

/// A change to the store, as a watch delivers it.
public struct WatchEvent: Sendable {
    public enum Kind: String, Sendable { case added = "ADDED", modified = "MODIFIED", deleted = "DELETED" }
    public let kind: Kind
    public let object: APIObject
    public let resourceVersion: Int64
}

/// The cluster's etcd: keys `/registry/<resource>/<namespace>/<name>`, one global
/// increasing revision that becomes each object's resourceVersion, optimistic
/// concurrency (an update naming an old resourceVersion is refused), and watches that
/// replay from a revision. Only the API server calls the writing methods.
public final class Store {
    public enum StoreError: Error, Equatable {
        case alreadyExists(String)
        case notFound(String)
        case conflict(String)
    }

    public private(set) var revision: Int64 = 1
    private var objects: [ResourceType: [String: APIObject]] = [:]
    /// Recent changes in revision order (the watch history), compacted as etcd's
    /// auto-compaction does: only the newest `historyLimit` are kept.
    public private(set) var history: [WatchEvent] = []
    public var historyLimit = 2_000
    /// The oldest revision a watch can still start from.
    public private(set) var compactedRevision: Int64 = 0
    private var watchers: [(type: ResourceType?, handler: (WatchEvent) -> Void)] = []

    /// The Raft group the store's writes go through (etcd's members).
    public var raft: RaftGroup?

    public init() {}

    public static func key(_ type: ResourceType, namespace: String?, name: String) -> String {
        var k = "/registry/"
        k.reserveCapacity(12 + type.resource.utf8.count + (namespace?.utf8.count ?? 0) + name.utf8.count)
        k += type.resource
        k += "/"
        if type.namespaced, let ns = namespace { k += ns; k += "/" }
        k += name
        return k
    }

    public func get(_ key: String, type: ResourceType) -> APIObject? { objects[type]?[key] }

    /// Objects of a type (in a namespace), sorted by key as etcd returns a range.
    public func list(_ type: ResourceType, namespace: String? = nil) -> [APIObject] {
        guard let all = objects[type] else { return [] }
        let prefix = namespace.map { Store.key(type, namespace: $0, name: "") }
        return all.keys.sorted().compactMap { k in
            if let prefix, !k.hasPrefix(prefix) { return nil }
            return all[k]
        }
    }

    /// Every key (for `etcdctl get --prefix`), sorted.
    public var allKeys: [String] { objects.values.flatMap(\.keys).sorted() }

    public func object(forKey key: String) -> APIObject? {
        for (_, m) in objects { if let o = m[key] { return o } }
        return nil
    }

    // Writes are internal to KubeSimAPI: only the API server writes the store.
    @discardableResult
    func create(_ object: APIObject) throws -> APIObject {
        let key = object.key
        if objects[object.type]?[key] != nil { throw StoreError.alreadyExists(key) }
        try raft?.requireCommit()
        var o = object
        revision += 1
        o.metadata.resourceVersion = revision
        objects[o.type, default: [:]][key] = o
        publish(WatchEvent(kind: .added, object: o, resourceVersion: revision))
        return o
    }

    /// Replaces an object. `expectedVersion` (when given) must be the stored one.
    @discardableResult
    func update(_ object: APIObject, expectedVersion: Int64?) throws -> APIObject {
        let key = object.key
        guard let current = objects[object.type]?[key] else { throw StoreError.notFound(key) }
        if let v = expectedVersion, v != 0, v != current.metadata.resourceVersion { throw StoreError.conflict(key) }
        try raft?.requireCommit()
        var o = object
        revision += 1
        o.metadata.resourceVersion = revision
        objects[o.type]![key] = o
        publish(WatchEvent(kind: .modified, object: o, resourceVersion: revision))
        return o
    }

    @discardableResult
    func delete(_ type: ResourceType, key: String) throws -> APIObject {
        guard objects[type]?[key] != nil else { throw StoreError.notFound(key) }
        try raft?.requireCommit()
        guard var o = objects[type]?.removeValue(forKey: key) else { throw StoreError.notFound(key) }
        revision += 1
        o.metadata.resourceVersion = revision
        publish(WatchEvent(kind: .deleted, object: o, resourceVersion: revision))
        return o
    }

    /// Calls `handler` for every later change (of `type`, or all types when nil).
    /// Ends every watch (the cluster is being torn down: a handler holds its informer,
    /// which holds the store).
    public func stopWatches() { watchers.removeAll() }

    public func watch(_ type: ResourceType?, _ handler: @escaping (WatchEvent) -> Void) {
        watchers.append((type, handler))
    }

    /// Changes after `revision` (a watch that starts from a resourceVersion).
    public func changes(since revision: Int64, type: ResourceType? = nil) -> [WatchEvent] {
        history.filter { $0.resourceVersion > revision && (type == nil || $0.object.type == type) }
    }

    private func publish(_ e: WatchEvent) {
        raft?.committed()
        history.append(e)
        if history.count > historyLimit * 2 {
            let drop = history.count - historyLimit
            compactedRevision = history[drop - 1].resourceVersion
            history.removeFirst(drop)
        }
        for w in watchers where w.type == nil || w.type == e.object.type { w.handler(e) }
    }
}
