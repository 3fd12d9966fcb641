import KubeSimCore
import KubeSimAPI

/// The garbage collector (pkg/controller/garbagecollector) and the namespace
/// controller's deletion. Dependents whose owner is gone are deleted (background
/// cascade); an owner with the `foregroundDeletion` finalizer waits for its
/// dependents to go first; with `orphan`, dependents lose their owner reference and
/// stay. Deleting a namespace deletes everything in it, then the namespace.
public final class GarbageCollector {
    let api: APIServer
    let clock: EventQueue
    let informers: [Informer]
    var queue: WorkQueue!
    static let user = "system:serviceaccount:kube-system:generic-garbage-collector"
    /// The kinds that can own others and the kinds that can be owned, for lookups.
    let byType: [ResourceType: Informer]
    let byKind: [String: Informer]

    public init(api: APIServer, clock: EventQueue, informers: [Informer]) {
        self.api = api
        self.clock = clock
        self.informers = informers
        var m: [ResourceType: Informer] = [:]
        for i in informers { m[i.type] = i }
        byType = m
        byKind = Dictionary(uniqueKeysWithValues: m.map { ($0.key.kind, $0.value) })
        queue = WorkQueue(name: "garbage-collector", clock: clock, delay: .milliseconds(1)) { [unowned self] key in self.process(key) }
        for inf in informers {
            inf.onChange { [unowned self] e in
                let meta = e.object.metadata
                // A deleted or deleting owner: look at its dependents.
                if e.kind == .deleted || meta.deletionTimestamp != nil { self.queue.add("owner|\(e.object.type.kind)|\(meta.uid)|\(meta.namespace ?? "")|\(meta.name)") }
                // A dependent whose owner may already be gone.
                // (Checked when it appears: later owner deletions reach it from the owner's side.)
                if e.kind == .added, !meta.ownerReferences.isEmpty { self.queue.add("dependent|\(e.object.type.kind)|\(meta.namespace ?? "")|\(meta.name)") }
                if e.kind == .deleted {
                    // A dependent went: an owner waiting in foreground deletion may go now.
                    for ref in meta.ownerReferences { self.queue.add("owner|\(ref.kind)|\(ref.uid)|\(meta.namespace ?? "")|\(ref.name)") }
                    // The last object of a terminating namespace went: the namespace may go now.
                    if let ns = meta.namespace, let n = self.byType[.namespace]?.get(namespace: nil, name: ns), n.metadata.deletionTimestamp != nil {
                        self.queue.add("owner|Namespace|\(n.metadata.uid)||\(ns)")
                    }
                }
            }
        }
    }

    func informer(_ kind: String) -> Informer? { byKind[kind] }

    func dependents(of uid: String) -> [APIObject] {
        informers.flatMap { $0.list() }.filter { o in o.metadata.ownerReferences.contains { $0.uid == uid } }
    }

    func process(_ key: String) {
        let parts = key.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        if parts[0] == "owner" { processOwner(kind: parts[1], uid: parts[2], namespace: parts[3].isEmpty ? nil : parts[3], name: parts[4]) }
        else { processDependent(kind: parts[1], namespace: parts[2].isEmpty ? nil : parts[2], name: parts[3]) }
    }

    func processOwner(kind: String, uid: String, namespace: String?, name: String) {
        let current = informer(kind)?.get(namespace: namespace, name: name)
        let owner = current?.metadata.uid == uid ? current : nil
        let deps = dependents(of: uid)
        guard let owner else {
            // Gone: background cascade.
            for d in deps { _ = try? api.delete(d.type, namespace: d.metadata.namespace, name: d.metadata.name, user: Self.user) }
            return
        }
        let fin = owner.metadata.finalizers
        if fin.contains("orphan") {
            for d in deps {
                _ = try? api.modify(d.type, namespace: d.metadata.namespace, name: d.metadata.name, user: Self.user) {
                    var m = $0.metadata
                    m.ownerReferences.removeAll { $0.uid == uid }
                    $0.metadata = m
                }
            }
            try? api.removeFinalizer(owner.type, namespace: namespace, name: name, "orphan", user: Self.user)
        } else if fin.contains("foregroundDeletion") {
            if deps.isEmpty {
                try? api.removeFinalizer(owner.type, namespace: namespace, name: name, "foregroundDeletion", user: Self.user)
            } else {
                for d in deps where d.metadata.deletionTimestamp == nil {
                    _ = try? api.delete(d.type, namespace: d.metadata.namespace, name: d.metadata.name, propagation: .foreground, user: Self.user)
                }
            }
        } else if owner.type == .namespace, fin.contains("kubernetes") {
            // Namespace deletion: everything in it, then the namespace.
            let contents = informers.filter { $0.type.namespaced }.flatMap { $0.list(namespace: name) }
            if contents.isEmpty {
                try? api.removeFinalizer(.namespace, namespace: nil, name: name, "kubernetes", user: "system:serviceaccount:kube-system:namespace-controller")
            } else {
                for o in contents where o.metadata.deletionTimestamp == nil {
                    _ = try? api.delete(o.type, namespace: name, name: o.metadata.name, user: "system:serviceaccount:kube-system:namespace-controller")
                }
            }
        }
    }

    func processDependent(kind: String, namespace: String?, name: String) {
        guard let o = informer(kind)?.get(namespace: namespace, name: name) else { return }
        for ref in o.metadata.ownerReferences {
            guard let ownerInformer = informer(ref.kind) else { continue }
            let owner = ownerInformer.get(namespace: ownerInformer.type.namespaced ? namespace : nil, name: ref.name)
            if owner == nil || owner!.metadata.uid != ref.uid {
                // The owner is gone: only the API server can tell for sure (the cache may lag).
                if (try? api.get(ownerInformer.type, namespace: namespace, name: ref.name))?.metadata.uid == ref.uid { continue }
                _ = try? api.delete(o.type, namespace: namespace, name: name, user: Self.user)
                return
            }
            // An owner waiting in foreground deletion: check again when we change.
            if owner!.metadata.finalizers.contains("foregroundDeletion") { queue.add("owner|\(ref.kind)|\(ref.uid)|\(namespace ?? "")|\(ref.name)") }
        }
    }
}
