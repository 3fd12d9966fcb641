import KubeSimCore

/// `resources` of a container.
public struct ResourceRequirements: Sendable, Equatable {
    public var requests: [String: Quantity] = [:]
    public var limits: [String: Quantity] = [:]
    public init(requests: [String: Quantity] = [:], limits: [String: Quantity] = [:]) {
        self.requests = requests
        self.limits = limits
    }
}

public struct ContainerPort: Sendable, Equatable {
    public var containerPort: Int
    public var name: String?
    public var `protocol`: String = "TCP"
    public init(containerPort: Int, name: String? = nil) { self.containerPort = containerPort; self.name = name }
}

public struct Container: Sendable, Equatable {
    public var name: String
    public var image: String
    public var ports: [ContainerPort] = []
    public var resources = ResourceRequirements()
    /// Empty until defaulting (Always for `:latest` or no tag, else IfNotPresent).
    public var imagePullPolicy: String = ""
    public var terminationMessagePath = "/dev/termination-log"
    public var terminationMessagePolicy = "File"
    public var command: [String] = []
    public var args: [String] = []
    public var env: [EnvVar] = []
    public var envFrom: [EnvFromSource] = []
    public var volumeMounts: [VolumeMount] = []
    public var livenessProbe: Probe?
    public var readinessProbe: Probe?
    public var startupProbe: Probe?
    public init(name: String, image: String) { self.name = name; self.image = image }
}

public struct Toleration: Sendable, Equatable {
    public var key: String?
    public var `operator`: String = "Equal"
    public var value: String?
    public var effect: String?
    public var tolerationSeconds: Int64?
    public init(key: String?, operator op: String = "Equal", value: String? = nil, effect: String? = nil, tolerationSeconds: Int64? = nil) {
        self.key = key; self.operator = op; self.value = value; self.effect = effect; self.tolerationSeconds = tolerationSeconds
    }

    /// ToleratesTaint (k8s.io/api/core/v1/toleration.go).
    public func tolerates(_ taint: Taint) -> Bool {
        if let effect, !effect.isEmpty, effect != taint.effect { return false }
        if let key, !key.isEmpty, key != taint.key { return false }
        switch `operator` {
        case "Exists": return true
        default: return (key ?? "").isEmpty ? false : (value ?? "") == (taint.value ?? "")
        }
    }
}

public struct Taint: Sendable, Equatable, CustomStringConvertible {
    public var key: String
    public var value: String?
    public var effect: String
    /// When a NoExecute taint was added (set by the node lifecycle controller).
    public var timeAdded: Int64?
    public init(key: String, value: String? = nil, effect: String) { self.key = key; self.value = value; self.effect = effect }
    /// As kubectl prints it: `key=value:Effect`.
    public var description: String { "\(key)\(value.map { "=\($0)" } ?? ""):\(effect)" }
}

public struct PodSpec: Sendable, Equatable {
    public var containers: [Container]
    public var nodeName: String?
    public var nodeSelector: [String: String] = [:]
    public var tolerations: [Toleration] = []
    public var restartPolicy = "Always"
    public var terminationGracePeriodSeconds: Int64 = 30
    public var dnsPolicy = "ClusterFirst"
    public var schedulerName = "default-scheduler"
    public var serviceAccountName = "default"
    public var affinity = Affinity()
    public var topologySpreadConstraints: [TopologySpreadConstraint] = []
    public var initContainers: [Container] = []
    /// Debugging containers added to a running pod (`debug`); never restarted, no
    /// ports, probes or resources. `targetContainerName` per container shares that
    /// container's process namespace.
    public var ephemeralContainers: [Container] = []
    public var ephemeralTargets: [String: String] = [:]
    public var volumes: [Volume] = []
    public var activeDeadlineSeconds: Int64?
    public var hostname: String?
    public var subdomain: String?
    public init(containers: [Container]) { self.containers = containers }
}

public struct PodCondition: Sendable, Equatable {
    public var type: String
    public var status: String
    public var reason: String?
    public var message: String?
    public var lastTransitionTime: Int64
    public init(type: String, status: String, reason: String?, message: String?, lastTransitionTime: Int64) {
        self.type = type; self.status = status; self.reason = reason; self.message = message; self.lastTransitionTime = lastTransitionTime
    }
}

extension ReplicaSetSpec {
    public init(replicas: Int, selector: LabelSelector, template: PodTemplateSpec) {
        self.replicas = replicas
        self.selector = selector
        self.template = template
    }
}


extension DeploymentSpec {
    public init(replicas: Int, selector: LabelSelector, template: PodTemplateSpec) {
        self.replicas = replicas
        self.selector = selector
        self.template = template
    }
}



extension Event {
    public init(metadata: ObjectMeta, involvedKind: String, involvedName: String, involvedNamespace: String?, reason: String,
                message: String, type: String, source: String, firstTimestamp: Int64, lastTimestamp: Int64) {
        self.metadata = metadata; self.involvedKind = involvedKind; self.involvedName = involvedName
        self.involvedNamespace = involvedNamespace; self.reason = reason; self.message = message; self.type = type
        self.source = source; self.firstTimestamp = firstTimestamp; self.lastTimestamp = lastTimestamp
    }
}

public struct PodStatus: Sendable, Equatable {
    public var phase = "Pending"
    public var conditions: [PodCondition] = []
    public var hostIP: String?
    public var podIP: String?
    public var startTime: Int64?
    public var restartCount = 0
    public var containerStatuses: [ContainerStatus] = []
    public var initContainerStatuses: [ContainerStatus] = []
    public var ephemeralContainerStatuses: [ContainerStatus] = []
    public var qosClass: String?
    /// Why the pod is in its phase (`Evicted`, `NodeLost`, `DeadlineExceeded`).
    public var reason: String?
    public var message: String?
    public init() {}

    public func condition(_ type: String) -> PodCondition? { conditions.first { $0.type == type } }
    public var isReady: Bool { condition("Ready")?.status == "True" }

    public mutating func setCondition(_ type: String, _ status: String, reason: String? = nil, message: String? = nil, now: Int64) {
        if let i = conditions.firstIndex(where: { $0.type == type }) {
            if conditions[i].status != status { conditions[i].lastTransitionTime = now }
            conditions[i].status = status
            conditions[i].reason = reason
            conditions[i].message = message
        } else {
            conditions.append(PodCondition(type: type, status: status, reason: reason, message: message, lastTransitionTime: now))
        }
    }
}

/// A Pod. Its fields live in one copy-on-write box: controllers, informers and the
/// scheduler copy pods constantly (every ReplicaSet sync lists its pods), and a copy
/// of the box is one reference count instead of one per string, array and dictionary.
public struct Pod: Sendable, Equatable {
    @usableFromInline final class Storage: @unchecked Sendable {
        @usableFromInline var metadata: ObjectMeta
        @usableFromInline var spec: PodSpec
        @usableFromInline var status: PodStatus
        @usableFromInline init(metadata: ObjectMeta, spec: PodSpec, status: PodStatus) {
            self.metadata = metadata; self.spec = spec; self.status = status
        }
    }
    @usableFromInline var storage: Storage

    public init(metadata: ObjectMeta, spec: PodSpec) {
        storage = Storage(metadata: metadata, spec: spec, status: PodStatus())
    }

    @inlinable mutating func unique() {
        if !isKnownUniquelyReferenced(&storage) {
            storage = Storage(metadata: storage.metadata, spec: storage.spec, status: storage.status)
        }
    }

    public var metadata: ObjectMeta {
        @inlinable _read { yield storage.metadata }
        @inlinable _modify { unique(); yield &storage.metadata }
    }
    public var spec: PodSpec {
        @inlinable _read { yield storage.spec }
        @inlinable _modify { unique(); yield &storage.spec }
    }
    public var status: PodStatus {
        @inlinable _read { yield storage.status }
        @inlinable _modify { unique(); yield &storage.status }
    }

    public static func == (a: Pod, b: Pod) -> Bool {
        a.storage === b.storage
            || (a.storage.metadata == b.storage.metadata && a.storage.spec == b.storage.spec && a.storage.status == b.storage.status)
    }
}

/// `template` of a controller.
public struct PodTemplateSpec: Sendable, Equatable {
    public var labels: [String: String]
    public var annotations: [String: String] = [:]
    public var spec: PodSpec
    /// Fields of the template the model keeps but does not simulate (paths relative to
    /// the template: `spec.securityContext`); they travel to the pods made from it.
    public var preserved: [PreservedField] = []
    public init(labels: [String: String], spec: PodSpec) { self.labels = labels; self.spec = spec }
}

public struct ReplicaSetSpec: Sendable, Equatable {
    public var replicas: Int
    public var minReadySeconds = 0
    public var selector: LabelSelector
    public var template: PodTemplateSpec
}

public struct ReplicaSetStatus: Sendable, Equatable {
    public init() {}
    public var replicas = 0
    public var fullyLabeledReplicas = 0
    public var readyReplicas = 0
    public var availableReplicas = 0
    public var observedGeneration: Int64 = 0
}

public struct ReplicaSet: Sendable, Equatable {
    public var metadata: ObjectMeta
    public var spec: ReplicaSetSpec
    public var status = ReplicaSetStatus()
    public init(metadata: ObjectMeta, spec: ReplicaSetSpec) { self.metadata = metadata; self.spec = spec }
}

/// `intstr.IntOrString`: `1` or `"25%"`.
public enum IntOrPercent: Sendable, Equatable, CustomStringConvertible {
    case int(Int)
    case percent(Int)

    public init?(parsing s: String) {
        if s.hasSuffix("%"), let p = Int(s.dropLast()), p >= 0 { self = .percent(p) }
        else if let i = Int(s), i >= 0 { self = .int(i) }
        else { return nil }
    }

    /// GetScaledValueFromIntOrPercent (k8s.io/apimachinery/pkg/util/intstr).
    public func scaled(total: Int, roundUp: Bool) -> Int {
        switch self {
        case .int(let i): return i
        case .percent(let p):
            let v = p * total
            return roundUp ? (v + 99) / 100 : v / 100
        }
    }

    public var description: String {
        switch self {
        case .int(let i): return String(i)
        case .percent(let p): return "\(p)%"
        }
    }
}

public struct DeploymentStrategy: Sendable, Equatable {
    public init() {}
    public var type = "RollingUpdate"
    public var maxSurge: IntOrPercent = .percent(25)
    public var maxUnavailable: IntOrPercent = .percent(25)
}

public struct DeploymentCondition: Sendable, Equatable {
    public init(type: String, status: String, reason: String, message: String, lastUpdateTime: Int64, lastTransitionTime: Int64) {
        self.type = type; self.status = status; self.reason = reason; self.message = message
        self.lastUpdateTime = lastUpdateTime; self.lastTransitionTime = lastTransitionTime
    }
    public var type: String
    public var status: String
    public var reason: String
    public var message: String
    public var lastUpdateTime: Int64
    public var lastTransitionTime: Int64
}

public struct DeploymentSpec: Sendable, Equatable {
    public var replicas = 1
    public var selector: LabelSelector
    public var template: PodTemplateSpec
    public var strategy = DeploymentStrategy()
    public var minReadySeconds = 0
    public var revisionHistoryLimit = 10
    public var progressDeadlineSeconds = 600
    public var paused = false
}

public struct DeploymentStatus: Sendable, Equatable {
    public var observedGeneration: Int64 = 0
    public var replicas = 0
    public var updatedReplicas = 0
    public var readyReplicas = 0
    public var availableReplicas = 0
    public var unavailableReplicas = 0
    public var conditions: [DeploymentCondition] = []
}

public struct Deployment: Sendable, Equatable {
    public var metadata: ObjectMeta
    public var spec: DeploymentSpec
    public var status = DeploymentStatus()
    public init(metadata: ObjectMeta, spec: DeploymentSpec) { self.metadata = metadata; self.spec = spec }
}

public struct NodeCondition: Sendable, Equatable {
    public init(type: String, status: String, reason: String, message: String, lastHeartbeatTime: Int64, lastTransitionTime: Int64) {
        self.type = type; self.status = status; self.reason = reason; self.message = message
        self.lastHeartbeatTime = lastHeartbeatTime; self.lastTransitionTime = lastTransitionTime
    }
    public var type: String
    public var status: String
    public var reason: String
    public var message: String
    public var lastHeartbeatTime: Int64
    public var lastTransitionTime: Int64
}

public struct Node: Sendable, Equatable {
    public var metadata: ObjectMeta
    public var unschedulable = false
    public var taints: [Taint] = []
    public var podCIDR: String?
    public var capacity: [String: Quantity]
    public var allocatable: [String: Quantity]
    public var conditions: [NodeCondition] = []
    public var internalIP: String
    public var kubeletVersion = KubernetesVersion.gitVersion
    /// Images the node's runtime holds (status.images), largest first as the kubelet reports them.
    public var images: [NodeImage] = []

    public init(metadata: ObjectMeta, capacity: [String: Quantity], internalIP: String) {
        self.metadata = metadata
        self.capacity = capacity
        self.allocatable = capacity
        self.internalIP = internalIP
    }

    public var isReady: Bool { conditions.first { $0.type == "Ready" }?.status == "True" }
}

public struct Namespace: Sendable, Equatable {
    public var metadata: ObjectMeta
    public var phase = "Active"
    public init(metadata: ObjectMeta) { self.metadata = metadata }
}

/// A core/v1 Event, as `kubectl get events` and `describe` show them.
public struct Event: Sendable, Equatable {
    public var metadata: ObjectMeta
    public var involvedKind: String
    public var involvedName: String
    public var involvedNamespace: String?
    public var reason: String
    public var message: String
    public var type: String
    public var source: String
    public var count = 1
    public var firstTimestamp: Int64
    public var lastTimestamp: Int64
}

/// An object of a kind the simulation stores but does not yet act on: its metadata is
/// typed, everything else is kept in `metadata.preserved` exactly as written.
public struct StoredObject: Sendable, Equatable {
    public var type: ResourceType
    public var metadata: ObjectMeta
    public init(type: ResourceType, metadata: ObjectMeta) { self.type = type; self.metadata = metadata }
}

/// Any object the store holds. A closed set keeps the store and watch typed and fast.
public indirect enum APIObject: Sendable, Equatable {
    case pod(Pod)
    case replicaSet(ReplicaSet)
    case deployment(Deployment)
    case node(Node)
    case namespace(Namespace)
    case event(Event)
    case role(Role, cluster: Bool)
    case roleBinding(RoleBinding, cluster: Bool)
    case serviceAccount(ServiceAccount)
    case service(Service)
    case configMap(ConfigMap)
    case secret(Secret)
    case limitRange(LimitRange)
    case resourceQuota(ResourceQuota)
    case job(Job)
    case cronJob(CronJob)
    case daemonSet(DaemonSet)
    case statefulSet(StatefulSet)
    case endpointSlice(EndpointSlice)
    case endpoints(Endpoints)
    case horizontalPodAutoscaler(HorizontalPodAutoscaler)
    case networkPolicy(NetworkPolicy)
    /// A kind kept as written (see ResourceType.stored): metadata plus its fields.
    case stored(StoredObject)

    public var type: ResourceType {
        switch self {
        case .stored(let o): return o.type
        case .job: return .job
        case .cronJob: return .cronJob
        case .daemonSet: return .daemonSet
        case .statefulSet: return .statefulSet
        case .endpointSlice: return .endpointSlice
        case .endpoints: return .endpoints
        case .horizontalPodAutoscaler: return .horizontalPodAutoscaler
        case .networkPolicy: return .networkPolicy
        case .limitRange: return .limitRange
        case .resourceQuota: return .resourceQuota
        case .service: return .service
        case .configMap: return .configMap
        case .secret: return .secret
        case .role(_, let cluster): return cluster ? .clusterRole : .role
        case .roleBinding(_, let cluster): return cluster ? .clusterRoleBinding : .roleBinding
        case .serviceAccount: return .serviceAccount
        case .pod: return .pod
        case .replicaSet: return .replicaSet
        case .deployment: return .deployment
        case .node: return .node
        case .namespace: return .namespace
        case .event: return .event
        }
    }

    public var metadata: ObjectMeta {
        get {
            switch self {
            case .pod(let o): return o.metadata
            case .replicaSet(let o): return o.metadata
            case .deployment(let o): return o.metadata
            case .node(let o): return o.metadata
            case .namespace(let o): return o.metadata
            case .event(let o): return o.metadata
            case .role(let o, _): return o.metadata
            case .roleBinding(let o, _): return o.metadata
            case .serviceAccount(let o): return o.metadata
            case .service(let o): return o.metadata
            case .configMap(let o): return o.metadata
            case .secret(let o): return o.metadata
            case .limitRange(let o): return o.metadata
            case .resourceQuota(let o): return o.metadata
            case .stored(let o): return o.metadata
            case .job(let o): return o.metadata
            case .cronJob(let o): return o.metadata
            case .daemonSet(let o): return o.metadata
            case .statefulSet(let o): return o.metadata
            case .endpointSlice(let o): return o.metadata
            case .endpoints(let o): return o.metadata
            case .horizontalPodAutoscaler(let o): return o.metadata
            case .networkPolicy(let o): return o.metadata
            }
        }
        set {
            switch self {
            case .pod(var o): o.metadata = newValue; self = .pod(o)
            case .replicaSet(var o): o.metadata = newValue; self = .replicaSet(o)
            case .deployment(var o): o.metadata = newValue; self = .deployment(o)
            case .node(var o): o.metadata = newValue; self = .node(o)
            case .namespace(var o): o.metadata = newValue; self = .namespace(o)
            case .event(var o): o.metadata = newValue; self = .event(o)
            case .role(var o, let c): o.metadata = newValue; self = .role(o, cluster: c)
            case .roleBinding(var o, let c): o.metadata = newValue; self = .roleBinding(o, cluster: c)
            case .serviceAccount(var o): o.metadata = newValue; self = .serviceAccount(o)
            case .service(var o): o.metadata = newValue; self = .service(o)
            case .configMap(var o): o.metadata = newValue; self = .configMap(o)
            case .secret(var o): o.metadata = newValue; self = .secret(o)
            case .limitRange(var o): o.metadata = newValue; self = .limitRange(o)
            case .resourceQuota(var o): o.metadata = newValue; self = .resourceQuota(o)
            case .stored(var o): o.metadata = newValue; self = .stored(o)
            case .job(var o): o.metadata = newValue; self = .job(o)
            case .cronJob(var o): o.metadata = newValue; self = .cronJob(o)
            case .daemonSet(var o): o.metadata = newValue; self = .daemonSet(o)
            case .statefulSet(var o): o.metadata = newValue; self = .statefulSet(o)
            case .endpointSlice(var o): o.metadata = newValue; self = .endpointSlice(o)
            case .endpoints(var o): o.metadata = newValue; self = .endpoints(o)
            case .horizontalPodAutoscaler(var o): o.metadata = newValue; self = .horizontalPodAutoscaler(o)
            case .networkPolicy(var o): o.metadata = newValue; self = .networkPolicy(o)
            }
        }
    }

    /// The etcd key: `/registry/<resource>/<namespace>/<name>` (or without a namespace).
    public var key: String { Store.key(type, namespace: metadata.namespace, name: metadata.name) }

    public var pod: Pod? { if case .pod(let p) = self { return p } else { return nil } }
    public var networkPolicy: NetworkPolicy? { if case .networkPolicy(let n) = self { return n } else { return nil } }
    /// A pod's node, without copying the whole Pod out (hot in every pod watch handler).
    public var podNodeName: String? {
        switch self {
        case .pod(let p): return p.spec.nodeName
        default: return nil
        }
    }
    public var replicaSet: ReplicaSet? { if case .replicaSet(let r) = self { return r } else { return nil } }
    public var deployment: Deployment? { if case .deployment(let d) = self { return d } else { return nil } }
    public var node: Node? { if case .node(let n) = self { return n } else { return nil } }
    public var namespaceObject: Namespace? { if case .namespace(let n) = self { return n } else { return nil } }
    public var event: Event? { if case .event(let e) = self { return e } else { return nil } }
    public var service: Service? { if case .service(let s) = self { return s } else { return nil } }
    public var configMap: ConfigMap? { if case .configMap(let c) = self { return c } else { return nil } }
    public var secret: Secret? { if case .secret(let s) = self { return s } else { return nil } }
    public var limitRange: LimitRange? { if case .limitRange(let l) = self { return l } else { return nil } }
    public var resourceQuota: ResourceQuota? { if case .resourceQuota(let q) = self { return q } else { return nil } }
    public var role: Role? { if case .role(let r, _) = self { return r } else { return nil } }
    public var roleBinding: RoleBinding? { if case .roleBinding(let b, _) = self { return b } else { return nil } }
}
