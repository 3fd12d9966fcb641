import KubeSimCore

/// `metadata` of every object (k8s.io/apimachinery/pkg/apis/meta/v1 ObjectMeta).
///
/// The fields live in one copy-on-write box: every component reads `object.metadata`
/// constantly, and copying the box is one reference count instead of one per string,
/// dictionary and array.
public struct ObjectMeta: Sendable, Equatable {
    @usableFromInline final class Storage: @unchecked Sendable {
        @usableFromInline var name: String
        @usableFromInline var namespace: String? = nil
        @usableFromInline var uid: String = ""
        @usableFromInline var resourceVersion: Int64 = 0
        @usableFromInline var generation: Int64 = 0
        @usableFromInline var creationTimestamp: Int64 = 0
        @usableFromInline var deletionTimestamp: Int64? = nil
        @usableFromInline var deletionGracePeriodSeconds: Int64? = nil
        @usableFromInline var labels: [String: String] = [:]
        @usableFromInline var annotations: [String: String] = [:]
        @usableFromInline var ownerReferences: [OwnerReference] = []
        @usableFromInline var finalizers: [String] = []
        @usableFromInline var generateName: String? = nil
        @usableFromInline var preserved: [PreservedField] = []
        @usableFromInline init(name: String) { self.name = name }
        @usableFromInline func copy() -> Storage {
            let c = Storage(name: name)
            c.namespace = namespace
            c.uid = uid
            c.resourceVersion = resourceVersion
            c.generation = generation
            c.creationTimestamp = creationTimestamp
            c.deletionTimestamp = deletionTimestamp
            c.deletionGracePeriodSeconds = deletionGracePeriodSeconds
            c.labels = labels
            c.annotations = annotations
            c.ownerReferences = ownerReferences
            c.finalizers = finalizers
            c.generateName = generateName
            c.preserved = preserved
            return c
        }
    }
    @usableFromInline var storage: Storage

    public init(name: String, namespace: String? = nil, labels: [String: String] = [:]) {
        storage = Storage(name: name)
        storage.namespace = namespace
        storage.labels = labels
    }

    @inlinable mutating func unique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    public var name: String {
        @inlinable _read { yield storage.name }
        @inlinable _modify { unique(); yield &storage.name }
    }
    public var namespace: String? {
        @inlinable _read { yield storage.namespace }
        @inlinable _modify { unique(); yield &storage.namespace }
    }
    public var uid: String {
        @inlinable _read { yield storage.uid }
        @inlinable _modify { unique(); yield &storage.uid }
    }
    public var resourceVersion: Int64 {
        @inlinable _read { yield storage.resourceVersion }
        @inlinable _modify { unique(); yield &storage.resourceVersion }
    }
    public var generation: Int64 {
        @inlinable _read { yield storage.generation }
        @inlinable _modify { unique(); yield &storage.generation }
    }
    /// Simulated time of creation (nanoseconds).
    public var creationTimestamp: Int64 {
        @inlinable _read { yield storage.creationTimestamp }
        @inlinable _modify { unique(); yield &storage.creationTimestamp }
    }
    public var deletionTimestamp: Int64? {
        @inlinable _read { yield storage.deletionTimestamp }
        @inlinable _modify { unique(); yield &storage.deletionTimestamp }
    }
    /// Seconds the object has to terminate (pods being deleted gracefully).
    public var deletionGracePeriodSeconds: Int64? {
        @inlinable _read { yield storage.deletionGracePeriodSeconds }
        @inlinable _modify { unique(); yield &storage.deletionGracePeriodSeconds }
    }
    public var labels: [String: String] {
        @inlinable _read { yield storage.labels }
        @inlinable _modify { unique(); yield &storage.labels }
    }
    public var annotations: [String: String] {
        @inlinable _read { yield storage.annotations }
        @inlinable _modify { unique(); yield &storage.annotations }
    }
    public var ownerReferences: [OwnerReference] {
        @inlinable _read { yield storage.ownerReferences }
        @inlinable _modify { unique(); yield &storage.ownerReferences }
    }
    public var finalizers: [String] {
        @inlinable _read { yield storage.finalizers }
        @inlinable _modify { unique(); yield &storage.finalizers }
    }
    public var generateName: String? {
        @inlinable _read { yield storage.generateName }
        @inlinable _modify { unique(); yield &storage.generateName }
    }
    /// Fields of the manifest the model does not simulate, kept for output.
    public var preserved: [PreservedField] {
        @inlinable _read { yield storage.preserved }
        @inlinable _modify { unique(); yield &storage.preserved }
    }

    public static func == (a: ObjectMeta, b: ObjectMeta) -> Bool {
        if a.storage === b.storage { return true }
        let x = a.storage, y = b.storage
        return x.name == y.name && x.namespace == y.namespace && x.uid == y.uid && x.resourceVersion == y.resourceVersion && x.generation == y.generation && x.creationTimestamp == y.creationTimestamp && x.deletionTimestamp == y.deletionTimestamp
            && x.deletionGracePeriodSeconds == y.deletionGracePeriodSeconds && x.labels == y.labels && x.annotations == y.annotations && x.ownerReferences == y.ownerReferences && x.finalizers == y.finalizers && x.generateName == y.generateName && x.preserved == y.preserved
    }

    public var controllerRef: OwnerReference? { ownerReferences.first { $0.controller } }
}

public struct OwnerReference: Sendable, Equatable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool
    public var blockOwnerDeletion: Bool

    public init(apiVersion: String, kind: String, name: String, uid: String, controller: Bool = true, blockOwnerDeletion: Bool = true) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }
}

/// A kind the API server serves: its names as kubectl knows them.
/// A class (one shared instance per kind), so passing one around costs a retain, not
/// five string copies: objects ask for their type on every hot path.
public final class ResourceType: Sendable, Hashable {
    public let kind: String
    /// Plural resource name, as in the etcd key `/registry/<resource>/…`.
    public let resource: String
    public let singular: String
    public let shortNames: [String]
    public let apiVersion: String
    public let namespaced: Bool

    public init(kind: String, resource: String, singular: String, shortNames: [String], apiVersion: String, namespaced: Bool) {
        self.kind = kind; self.resource = resource; self.singular = singular; self.shortNames = shortNames
        self.apiVersion = apiVersion; self.namespaced = namespaced
    }

    public static func == (a: ResourceType, b: ResourceType) -> Bool { a === b || (a.kind == b.kind && a.apiVersion == b.apiVersion) }
    public func hash(into h: inout Hasher) { h.combine(kind) }

    public static let pod = ResourceType(kind: "Pod", resource: "pods", singular: "pod", shortNames: ["po"], apiVersion: "v1", namespaced: true)
    public static let replicaSet = ResourceType(kind: "ReplicaSet", resource: "replicasets", singular: "replicaset", shortNames: ["rs"], apiVersion: "apps/v1", namespaced: true)
    public static let deployment = ResourceType(kind: "Deployment", resource: "deployments", singular: "deployment", shortNames: ["deploy"], apiVersion: "apps/v1", namespaced: true)
    public static let node = ResourceType(kind: "Node", resource: "minions", singular: "node", shortNames: ["no"], apiVersion: "v1", namespaced: false)
    public static let namespace = ResourceType(kind: "Namespace", resource: "namespaces", singular: "namespace", shortNames: ["ns"], apiVersion: "v1", namespaced: false)
    public static let event = ResourceType(kind: "Event", resource: "events", singular: "event", shortNames: ["ev"], apiVersion: "v1", namespaced: true)

    public static let role = ResourceType(kind: "Role", resource: "roles", singular: "role", shortNames: [], apiVersion: "rbac.authorization.k8s.io/v1", namespaced: true)
    public static let clusterRole = ResourceType(kind: "ClusterRole", resource: "clusterroles", singular: "clusterrole", shortNames: [], apiVersion: "rbac.authorization.k8s.io/v1", namespaced: false)
    public static let roleBinding = ResourceType(kind: "RoleBinding", resource: "rolebindings", singular: "rolebinding", shortNames: [], apiVersion: "rbac.authorization.k8s.io/v1", namespaced: true)
    public static let clusterRoleBinding = ResourceType(kind: "ClusterRoleBinding", resource: "clusterrolebindings", singular: "clusterrolebinding", shortNames: [], apiVersion: "rbac.authorization.k8s.io/v1", namespaced: false)
    public static let serviceAccount = ResourceType(kind: "ServiceAccount", resource: "serviceaccounts", singular: "serviceaccount", shortNames: ["sa"], apiVersion: "v1", namespaced: true)

    public static let service = ResourceType(kind: "Service", resource: "services", singular: "service", shortNames: ["svc"], apiVersion: "v1", namespaced: true)
    public static let configMap = ResourceType(kind: "ConfigMap", resource: "configmaps", singular: "configmap", shortNames: ["cm"], apiVersion: "v1", namespaced: true)
    public static let secret = ResourceType(kind: "Secret", resource: "secrets", singular: "secret", shortNames: [], apiVersion: "v1", namespaced: true)

    public static let limitRange = ResourceType(kind: "LimitRange", resource: "limitranges", singular: "limitrange", shortNames: ["limits"], apiVersion: "v1", namespaced: true)
    public static let resourceQuota = ResourceType(kind: "ResourceQuota", resource: "resourcequotas", singular: "resourcequota", shortNames: ["quota"], apiVersion: "v1", namespaced: true)

    public static let endpoints = ResourceType(kind: "Endpoints", resource: "services/endpoints", singular: "endpoints", shortNames: ["ep"], apiVersion: "v1", namespaced: true)
    public static let endpointSlice = ResourceType(kind: "EndpointSlice", resource: "endpointslices", singular: "endpointslice", shortNames: [], apiVersion: "discovery.k8s.io/v1", namespaced: true)
    public static let ingress = ResourceType(kind: "Ingress", resource: "ingress", singular: "ingress", shortNames: ["ing"], apiVersion: "networking.k8s.io/v1", namespaced: true)
    public static let ingressClass = ResourceType(kind: "IngressClass", resource: "ingressclasses", singular: "ingressclass", shortNames: [], apiVersion: "networking.k8s.io/v1", namespaced: false)
    public static let networkPolicy = ResourceType(kind: "NetworkPolicy", resource: "networkpolicies", singular: "networkpolicy", shortNames: ["netpol"], apiVersion: "networking.k8s.io/v1", namespaced: true)
    public static let persistentVolumeClaim = ResourceType(kind: "PersistentVolumeClaim", resource: "persistentvolumeclaims", singular: "persistentvolumeclaim", shortNames: ["pvc"], apiVersion: "v1", namespaced: true)
    public static let lease = ResourceType(kind: "Lease", resource: "leases", singular: "lease", shortNames: [], apiVersion: "coordination.k8s.io/v1", namespaced: true)

    /// Kinds the store keeps whole (their content as written) until a controller that
    /// acts on them exists.
    public static let stored: [ResourceType] = [.ingress, .ingressClass, .persistentVolumeClaim, .lease]

    public static let all: [ResourceType] = [.job, .cronJob, .daemonSet, .statefulSet, .limitRange, .resourceQuota, .endpoints, .endpointSlice, .ingress, .ingressClass, .networkPolicy, .persistentVolumeClaim, .lease, .pod, .replicaSet, .deployment, .node, .namespace, .event,
                                            .role, .clusterRole, .roleBinding, .clusterRoleBinding, .serviceAccount,
                                            .service, .configMap, .secret, .horizontalPodAutoscaler]

    /// The plural kubectl prints and accepts (`nodes`, although etcd keeps them under
    /// `minions`; Endpoints under `services/endpoints`, Ingresses under `ingress`).
    public var plural: String {
        switch self {
        case .node: return "nodes"
        case .endpoints: return "endpoints"
        case .ingress: return "ingresses"
        default: return resource
        }
    }

    /// Resolves what a user typed (`po`, `pods`, `Deployment`, `deploy`).
    public static func lookup(_ word: String) -> ResourceType? {
        let w = word.lowercased()
        return all.first { $0.plural == w || $0.singular == w || $0.shortNames.contains(w) || $0.kind.lowercased() == w }
    }

    public static var allNames: [String] { all.flatMap { [$0.plural, $0.singular] + $0.shortNames } }
}

/// A manifest field the model does not simulate (a probe, env, volumes…), kept as
/// written so `get -o yaml` and `export` give it back: its path and its value as JSON.
public struct PreservedField: Sendable, Equatable {
    public enum Step: Sendable, Equatable { case key(String), index(Int) }
    public var path: [Step]
    public var json: String
    public init(path: [Step], json: String) { self.path = path; self.json = json }
}
