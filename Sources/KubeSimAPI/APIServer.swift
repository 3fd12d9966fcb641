import KubeSimCore

/// An error as the API server returns it and kubectl prints it
/// (`Error from server (NotFound): pods "x" not found`).
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    public let message: String
    public init(reason: String, message: String) { self.reason = reason; self.message = message }
    public var description: String { reason == "Invalid" ? message : (reason.isEmpty ? "Error from server: \(message)" : "Error from server (\(reason)): \(message)") }

    /// `deployments.apps "web"`: the resource with its group, as upstream messages name it.
    static func qualified(_ type: ResourceType) -> String {
        let group = type.apiVersion.contains("/") ? "." + type.apiVersion.split(separator: "/")[0] : ""
        return type.plural + group
    }

    public static func notFound(_ type: ResourceType, _ name: String) -> APIError {
        APIError(reason: "NotFound", message: "\(qualified(type)) \"\(name)\" not found")
    }
    public static func alreadyExists(_ type: ResourceType, _ name: String) -> APIError {
        APIError(reason: "AlreadyExists", message: "\(qualified(type)) \"\(name)\" already exists")
    }
    public static func conflict(_ type: ResourceType, _ name: String) -> APIError {
        APIError(reason: "Conflict", message: "Operation cannot be fulfilled on \(qualified(type)) \"\(name)\": the object has been modified; please apply your changes to the latest version and try again")
    }
    /// kubectl prints validation errors without the "Error from server" prefix.
    public static func invalid(_ type: ResourceType, _ name: String, _ causes: [String]) -> APIError {
        // kubectl prints the causes as an aggregate (k8s.io/apimachinery/pkg/util/errors
        // aggregate.Error): duplicates once, several in brackets.
        var seen = Set<String>(), unique: [String] = []
        for c in causes where seen.insert(c).inserted { unique.append(c) }
        let text = unique.count == 1 ? unique[0] : "[" + unique.joined(separator: ", ") + "]"
        return APIError(reason: "Invalid", message: "The \(type.kind) \"\(name)\" is invalid: \(text)")
    }
}

/// One entry of the audit log: every write, who made it and at what revision.
public struct AuditEntry: Sendable {
    public let time: Int64
    public let user: String
    public let verb: String
    /// The object's type, namespace and name (shared with the object); the etcd key is
    /// made from them when the log is read.
    let type: ResourceType
    let namespace: String?
    let name: String
    public var key: String { Store.key(type, namespace: namespace, name: name) }
    public let resourceVersion: Int64
}

/// The only writer of the store. Every request is defaulted, validated and admitted
/// (the namespace must exist) before it reaches etcd, and audited after.
public final class APIServer {
    public let store: Store
    let clock: EventQueue
    var random: () -> UInt64
    public private(set) var audit: [AuditEntry] = []
    var allocator = ServiceAllocator()

    public init(store: Store, clock: EventQueue, random: @escaping () -> UInt64) {
        self.store = store
        self.clock = clock
        self.random = random
    }

    /// The seeded source for Endpoints uids, apart from the one everything else draws
    /// on: the legacy Endpoints objects (made by the endpoints controller next to every
    /// Service's EndpointSlices) then leave every other object's uid, generated name and
    /// address as the same seed gave them before the kind was simulated.
    public var endpointsRandom: (() -> UInt64)?

    /// A UUID-shaped uid from the seeded random source.
    func newUID(_ type: ResourceType? = nil) -> String {
        // A version-4 UUID from the seeded source: 8-4-4-4-12 lowercase hex digits.
        let source = type == .endpoints ? (endpointsRandom ?? random) : random
        let a = source(), b = source()
        let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: 36) { buf in
            var i = 0
            func put(_ v: UInt64, _ n: Int) {
                var shift = (n - 1) * 4
                while shift >= 0 { buf[i] = hexDigits[Int((v >> UInt64(shift)) & 0xf)]; i += 1; shift -= 4 }
            }
            func dash() { buf[i] = UInt8(ascii: "-"); i += 1 }
            put(a >> 32, 8); dash()
            put((a >> 16) & 0xffff, 4); dash()
            buf[i] = UInt8(ascii: "4"); i += 1; put(a & 0xfff, 3); dash()
            put(0x8000 | (b >> 48) & 0x3fff, 4); dash()
            put(b & 0xffff_ffff_ffff, 12)
            return i
        }
    }

    // MARK: - reads

    /// Denies the request unless RBAC allows it (kubectl's Forbidden text).
    public func authorize(_ user: String, _ verb: String, _ type: ResourceType, namespace: String?, name: String?) throws {
        if user == "kubernetes-admin" || Authorizer.isComponent(user) { return }
        let a = Authorizer.Attributes(user: user, verb: verb, type: type, namespace: namespace ?? "default", name: name)
        if !Authorizer.authorize(a, store: store) { throw Authorizer.forbidden(a, type: type) }
    }

    public func get(_ type: ResourceType, namespace: String?, name: String, user: String) throws -> APIObject {
        try authorize(user, "get", type, namespace: namespace, name: name)
        return try get(type, namespace: namespace, name: name)
    }

    public func list(_ type: ResourceType, namespace: String?, selector: LabelSelector?, user: String) throws -> [APIObject] {
        try authorize(user, "list", type, namespace: namespace, name: nil)
        return list(type, namespace: namespace, selector: selector)
    }

    public func get(_ type: ResourceType, namespace: String?, name: String) throws -> APIObject {
        guard let o = store.get(Store.key(type, namespace: type.namespaced ? namespace : nil, name: name), type: type) else {
            throw APIError.notFound(type, name)
        }
        return o
    }

    public func list(_ type: ResourceType, namespace: String? = nil, selector: LabelSelector? = nil) -> [APIObject] {
        var all = store.list(type, namespace: type.namespaced ? namespace : nil)
        if type == .resourceQuota {
            // status.used as the quota controller keeps it.
            all = all.map { o in
                guard var q = o.resourceQuota, let ns = q.metadata.namespace else { return o }
                let used = Admission.quotaUsage(ns, store: store)
                q.used = q.hard.mapValues { _ in Quantity(0) }.merging(used.filter { q.hard[$0.key] != nil }) { $1 }
                return .resourceQuota(q)
            }
        }
        guard let selector, !selector.isEmpty else { return all }
        return all.filter { selector.matches($0.metadata.labels) }
    }

    // MARK: - writes

    static let immortalNamespaces: Set<String> = ["default", "kube-system", "kube-public"]

    /// etcd's `--max-request-bytes` as the API server's etcd is run (1.5 MiB): a larger
    /// write fails in etcd, and kubectl prints etcd's error.
    public static let etcdMaxRequestBytes = 1_572_864

    static func checkRequestSize(_ o: APIObject) throws {
        if ObjectSize.encoded(o) > etcdMaxRequestBytes {
            throw APIError(reason: "", message: "etcdserver: request is too large")
        }
    }

    /// With `dryRun` (kubectl's `--dry-run=server`), the object is defaulted, admitted
    /// and validated as for real, and returned without being stored.
    @discardableResult
    public func create(_ object: APIObject, user: String = "kubernetes-admin", dryRun: Bool = false) throws -> APIObject {
        var o = object
        var meta = o.metadata
        if meta.name.isEmpty, let prefix = meta.generateName { meta.name = prefix + Names.randomSuffix(random) }
        if o.type.namespaced && (meta.namespace ?? "").isEmpty { meta.namespace = "default" }
        if !o.type.namespaced { meta.namespace = nil }
        try authorize(user, "create", o.type, namespace: meta.namespace, name: nil)
        meta.uid = newUID(o.type)
        meta.creationTimestamp = clock.now
        // Only registries that track spec changes set a generation (workloads, pods,
        // ingresses, network policies); ConfigMaps, RBAC objects, Services… have none.
        meta.generation = Self.tracksGeneration(o.type) ? 1 : 0
        meta.resourceVersion = 0
        o.metadata = meta
        Defaults.apply(&o)
        // Mutating admission, then validation, then validating admission.
        try Admission.limitRanger(&o, store: store)
        Admission.defaultTolerationSeconds(&o)
        try Validation.validate(o)
        try admit(o)
        try Admission.resourceQuota(o, store: store)
        if case .service(var svc) = o {
            // A Service that exists already must not take addresses (the store would refuse it after).
            if store.get(o.key, type: o.type) != nil { throw APIError.alreadyExists(o.type, meta.name) }
            // The registry allocates the ClusterIP and node ports before storing.
            do {
                // An ExternalName Service is a DNS alias: no ClusterIP (alloc.go initIPFamilyFields).
                if svc.spec.type == "ExternalName" { svc.spec.clusterIP = nil }
                else if svc.spec.clusterIP != "None" { svc.spec.clusterIP = try allocator.allocateIP(svc.spec.clusterIP, random: random) }
                if svc.spec.type == "NodePort" || svc.spec.type == "LoadBalancer" {
                    for i in svc.spec.ports.indices { svc.spec.ports[i].nodePort = try allocator.allocatePort(svc.spec.ports[i].nodePort, random: random) }
                }
                // A LoadBalancer with externalTrafficPolicy Local gets a health-check node port
                // (pkg/registry/core/service/storage allocHealthCheckNodePort).
                if svc.spec.type == "LoadBalancer" && svc.spec.externalTrafficPolicy == "Local" {
                    svc.spec.healthCheckNodePort = try allocator.allocatePort(svc.spec.healthCheckNodePort, random: random)
                }
            } catch let why as String {
                allocator.release(svc)
                throw APIError.invalid(.service, meta.name, [why])
            }
            o = .service(svc)
            if dryRun { allocator.release(svc) }
        }
        try Self.checkRequestSize(o)
        if dryRun {
            if store.get(o.key, type: o.type) != nil { throw APIError.alreadyExists(o.type, meta.name) }
            return o
        }
        do {
            let stored = try store.create(o)
            record(user, "create", stored)
            return stored
        } catch Store.StoreError.alreadyExists {
            throw APIError.alreadyExists(o.type, meta.name)
        }
    }

    /// Updates an object's spec (and metadata); bumps `generation` when the spec changed.
    @discardableResult
    public func update(_ object: APIObject, user: String = "kubernetes-admin", dryRun: Bool = false) throws -> APIObject {
        let m = object.metadata
        try authorize(user, "update", object.type, namespace: m.namespace, name: m.name)
        let current = try get(object.type, namespace: m.namespace, name: m.name)
        return try update(object, current: current, user: user, dryRun: dryRun)
    }

    func update(_ object: APIObject, current: APIObject, user: String, dryRun: Bool = false) throws -> APIObject {
        var o = object
        guard o.metadata.resourceVersion == 0 || o.metadata.resourceVersion == current.metadata.resourceVersion else {
            throw APIError.conflict(o.type, o.metadata.name)
        }
        // uid, creation time and generation are the server's (one write to the boxed enum).
        var meta = o.metadata
        let currentMeta = current.metadata
        meta.uid = currentMeta.uid
        meta.creationTimestamp = currentMeta.creationTimestamp
        meta.generation = currentMeta.generation + (Self.tracksGeneration(o.type) && Self.specChanged(current, o) ? 1 : 0)
        o.metadata = meta
        Defaults.apply(&o)
        // An update that changes nothing is not written: no new resourceVersion, no watch
        // event (k8s.io/apiserver/pkg/storage/etcd3/store.go GuaranteedUpdate returns the
        // existing object when the new bytes equal the stored ones).
        if meta.resourceVersion == currentMeta.resourceVersion && o == current { return current }
        // A pod whose spec did not change is a status write (the kubelet's, through the
        // status subresource): upstream validates its metadata and status, not the
        // spec again (pkg/registry/core/pod/strategy.go, podStatusStrategy). The arrays
        // of an unchanged spec share storage, so the comparison is cheap.
        if case .pod(let new) = o, case .pod(let old) = current, new.spec == old.spec {
            var causes: [String] = []
            Validation.validateLabelsAndAnnotations(labels: o.metadata.labels, annotations: o.metadata.annotations, path: "metadata", &causes)
            if !causes.isEmpty { throw APIError.invalid(o.type, o.metadata.name, causes) }
        } else {
            try Validation.validate(o, update: true)
        }
        try Self.checkRequestSize(o)
        if dryRun { return o }
        let stored = try store.update(o, expectedVersion: o.metadata.resourceVersion == 0 ? nil : o.metadata.resourceVersion)
        record(user, "update", stored)
        return stored
    }

    /// Reads, changes and writes back an object, retrying on conflict as clients do.
    @discardableResult
    public func modify(_ type: ResourceType, namespace: String?, name: String, user: String = "kubernetes-admin", dryRun: Bool = false,
                       _ change: (inout APIObject) throws -> Void) throws -> APIObject {
        try authorize(user, "get", type, namespace: namespace, name: name)
        let current = try get(type, namespace: namespace, name: name)
        var o = current
        try change(&o)
        try authorize(user, "update", type, namespace: namespace, name: name)
        return try update(o, current: current, user: user, dryRun: dryRun)
    }

    /// How deleting an owner treats its dependents (`--cascade`).
    public enum Propagation: String, Sendable { case background, foreground, orphan }

    /// Deletes an object. With finalizers (or foreground/orphan propagation, which add
    /// one) the object only gets a deletionTimestamp; whoever owns the finalizer
    /// removes it, and the object goes when the last finalizer does.
    @discardableResult
    public func delete(_ type: ResourceType, namespace: String?, name: String, propagation: Propagation = .background,
                       gracePeriod: Int64? = nil, user: String = "kubernetes-admin", dryRun: Bool = false) throws -> APIObject {
        let key = Store.key(type, namespace: type.namespaced ? (namespace ?? "default") : nil, name: name)
        try authorize(user, "delete", type, namespace: namespace, name: name)
        guard var o = store.get(key, type: type) else { throw APIError.notFound(type, name) }
        // NamespaceLifecycle admission (plugin/namespace/lifecycle/admission.go): the
        // immortal namespaces.
        if type == .namespace && Self.immortalNamespaces.contains(name) {
            throw APIError(reason: "Forbidden", message: "namespaces \"\(name)\" is forbidden: this namespace may not be deleted")
        }
        if dryRun { return o }
        var meta = o.metadata
        switch propagation {
        case .foreground where !meta.finalizers.contains("foregroundDeletion"): meta.finalizers.append("foregroundDeletion")
        case .orphan where !meta.finalizers.contains("orphan"): meta.finalizers.append("orphan")
        default: break
        }
        if type == .namespace && !meta.finalizers.contains("kubernetes") { meta.finalizers.append("kubernetes") }
        // Graceful deletion of pods (pkg/registry/core/pod/strategy.go CheckGracefulDelete,
        // staging/src/k8s.io/apiserver/pkg/registry/rest/delete.go BeforeDelete): a pod on a
        // node gets deletionTimestamp = now + grace and stays, Terminating, until its kubelet
        // has stopped the containers and deletes it with grace 0. An unscheduled or finished
        // pod goes at once. A second delete may only shorten the grace period.
        if case .pod(let pod) = o {
            var grace = gracePeriod ?? pod.spec.terminationGracePeriodSeconds
            if pod.spec.nodeName == nil || pod.status.phase == "Succeeded" || pod.status.phase == "Failed" { grace = 0 }
            if let current = meta.deletionGracePeriodSeconds, let ts = meta.deletionTimestamp {
                guard grace < current else { return o }
                meta.deletionTimestamp = min(ts, clock.now + grace * 1_000_000_000)
            } else if grace > 0 {
                meta.deletionTimestamp = clock.now + grace * 1_000_000_000
            }
            if grace > 0 {
                meta.deletionGracePeriodSeconds = grace
                o.metadata = meta
                let updated = try store.update(o, expectedVersion: nil)
                record(user, "delete", updated)
                return updated
            }
            meta.deletionGracePeriodSeconds = meta.deletionTimestamp == nil ? nil : 0
        }
        if meta.finalizers.isEmpty {
            let deleted = try store.delete(type, key: key)
            if case .service(let svc) = deleted { allocator.release(svc) }
            record(user, "delete", deleted)
            return deleted
        }
        if meta.deletionTimestamp == nil { meta.deletionTimestamp = clock.now }
        o.metadata = meta
        if case .namespace(var n) = o { n.phase = "Terminating"; o = .namespace(n) }
        let updated = try store.update(o, expectedVersion: nil)
        record(user, "delete", updated)
        return updated
    }

    /// Removes a finalizer; an object being deleted goes once none is left.
    public func removeFinalizer(_ type: ResourceType, namespace: String?, name: String, _ finalizer: String, user: String) throws {
        var o = try get(type, namespace: namespace, name: name)
        var meta = o.metadata
        meta.finalizers.removeAll { $0 == finalizer }
        o.metadata = meta
        if meta.deletionTimestamp != nil && meta.finalizers.isEmpty && (meta.deletionGracePeriodSeconds ?? 0) == 0 {
            let deleted = try store.delete(type, key: o.key)
            record(user, "delete", deleted)
        } else {
            let updated = try store.update(o, expectedVersion: nil)
            record(user, "update", updated)
        }
    }

    /// The defaults the server would apply (to compare a manifest with what is stored).
    public static func withDefaults(_ o: APIObject) -> APIObject {
        var x = o
        Defaults.apply(&x)
        return x
    }

    static func tracksGeneration(_ t: ResourceType) -> Bool {
        [.deployment, .replicaSet, .pod, .ingress, .networkPolicy, .job, .cronJob, .daemonSet, .statefulSet].contains(t)
    }

    static func specChanged(_ a: APIObject, _ b: APIObject) -> Bool {
        switch (a, b) {
        case let (.deployment(x), .deployment(y)): return x.spec != y.spec
        case let (.replicaSet(x), .replicaSet(y)): return x.spec != y.spec
        case let (.pod(x), .pod(y)): return x.spec != y.spec
        case let (.job(x), .job(y)): return x.spec != y.spec
        case let (.cronJob(x), .cronJob(y)): return x.spec != y.spec
        case let (.daemonSet(x), .daemonSet(y)): return x.spec != y.spec
        case let (.statefulSet(x), .statefulSet(y)): return x.spec != y.spec
        default: return false
        }
    }

    /// Validating admission: the namespace must exist (NamespaceLifecycle).
    func admit(_ o: APIObject) throws {
        if o.type.namespaced, let ns = o.metadata.namespace, o.type != .event,
           store.get(Store.key(.namespace, namespace: nil, name: ns), type: .namespace) == nil {
            throw APIError(reason: "NotFound", message: "namespaces \"\(ns)\" not found")
        }
    }

    /// The audit log keeps the most recent entries (a rotated log file, in effect).
    public static let auditLimit = 50_000

    func record(_ user: String, _ verb: String, _ o: APIObject) {
        if audit.count >= Self.auditLimit { audit.removeFirst(audit.count - Self.auditLimit / 2) }
        let m = o.metadata
        audit.append(AuditEntry(time: clock.now, user: user, verb: verb, type: o.type, namespace: m.namespace, name: m.name, resourceVersion: m.resourceVersion))
    }
}

/// Generated names (k8s.io/apiserver/pkg/storage/names and apimachinery/pkg/util/rand).
public enum Names {
    /// utilrand's alphabet: no vowels and no look-alike characters.
    public static let alphanums = Array("bcdfghjklmnpqrstvwxz2456789")

    /// `utilrand.String(5)`: the suffix of a generated pod name.
    public static func randomSuffix(_ random: () -> UInt64, length: Int = 5) -> String {
        String((0..<length).map { _ in alphanums[Int(random() % UInt64(alphanums.count))] })
    }

    /// `rand.SafeEncodeString`: each byte of `s` mapped into the alphabet.
    public static func safeEncode(_ s: String) -> String {
        String(s.utf8.map { alphanums[Int($0) % alphanums.count] })
    }

    /// FNV-32a, the hash behind `pod-template-hash` (controller.ComputeHash).
    public static func fnv32a(_ s: String) -> UInt32 {
        var h: UInt32 = 2_166_136_261
        for b in s.utf8 {
            h ^= UInt32(b)
            h = h &* 16_777_619
        }
        return h
    }
}
