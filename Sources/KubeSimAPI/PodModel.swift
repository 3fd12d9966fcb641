import KubeSimCore

// The parts of core/v1 Pod the node side acts on: environment, volumes, probes and
// the container statuses the kubelet reports (staging/src/k8s.io/api/core/v1/types.go).

/// `env[]` of a container.
public struct EnvVar: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        case configMapKey(name: String, key: String, optional: Bool)
        case secretKey(name: String, key: String, optional: Bool)
        /// `fieldRef.fieldPath` (metadata.name, status.podIP, spec.nodeName, …).
        case field(String)
    }
    public var name: String
    public var value: String?
    public var valueFrom: Source?
    public init(name: String, value: String? = nil, valueFrom: Source? = nil) { self.name = name; self.value = value; self.valueFrom = valueFrom }
}

/// `envFrom[]`: every key of a ConfigMap or Secret.
public struct EnvFromSource: Sendable, Equatable {
    public var prefix: String?
    public var configMap: String?
    public var secret: String?
    public var optional = false
    public init(prefix: String? = nil, configMap: String? = nil, secret: String? = nil, optional: Bool = false) {
        self.prefix = prefix; self.configMap = configMap; self.secret = secret; self.optional = optional
    }
}

public struct VolumeMount: Sendable, Equatable {
    public var name: String
    public var mountPath: String
    public var readOnly = false
    public var subPath: String?
    public init(name: String, mountPath: String, readOnly: Bool = false, subPath: String? = nil) {
        self.name = name; self.mountPath = mountPath; self.readOnly = readOnly; self.subPath = subPath
    }
}

/// `items[]` of a configMap/secret volume.
public struct KeyToPath: Sendable, Equatable {
    public var key: String
    public var path: String
    public init(key: String, path: String) { self.key = key; self.path = path }
}

public struct Volume: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        case emptyDir(medium: String?)
        case configMap(name: String, items: [KeyToPath], optional: Bool)
        case secret(name: String, items: [KeyToPath], optional: Bool)
        case persistentVolumeClaim(claimName: String, readOnly: Bool)
        case hostPath(path: String)
    }
    public var name: String
    public var source: Source
    public init(name: String, source: Source) { self.name = name; self.source = source }
}

/// A liveness, readiness or startup probe (defaults from pkg/apis/core/v1/defaults.go:
/// timeoutSeconds 1, periodSeconds 10, successThreshold 1, failureThreshold 3).
public struct Probe: Sendable, Equatable {
    public enum Handler: Sendable, Equatable {
        /// Port is a number or a container port's name.
        case httpGet(path: String, port: String, scheme: String)
        case tcpSocket(port: String)
        case exec([String])
    }
    public var handler: Handler
    public var initialDelaySeconds = 0
    public var periodSeconds = 10
    public var timeoutSeconds = 1
    public var successThreshold = 1
    public var failureThreshold = 3
    public init(handler: Handler) { self.handler = handler }
}

/// `state` / `lastState` of a container status.
public enum ContainerState: Sendable, Equatable {
    case waiting(reason: String, message: String?)
    case running(startedAt: Int64)
    case terminated(exitCode: Int, reason: String, message: String?, startedAt: Int64, finishedAt: Int64)

    public var isRunning: Bool { if case .running = self { return true } else { return false } }
    public var terminatedExitCode: Int? { if case .terminated(let c, _, _, _, _) = self { return c } else { return nil } }
}

public struct ContainerStatus: Sendable, Equatable {
    public var name: String
    public var image: String
    public var imageID = ""
    public var containerID: String?
    public var ready = false
    public var started: Bool?
    public var restartCount = 0
    public var state: ContainerState
    public var lastState: ContainerState?
    public init(name: String, image: String, state: ContainerState) { self.name = name; self.image = image; self.state = state }
}

/// One entry of a node's `status.images`.
public struct NodeImage: Sendable, Equatable {
    public var names: [String]
    public var sizeBytes: Int64
    public init(names: [String], sizeBytes: Int64) { self.names = names; self.sizeBytes = sizeBytes }
}

extension Pod {
    /// The QoS class (pkg/apis/core/v1/helper/qos/qos.go): Guaranteed when every
    /// container sets cpu and memory limits equal to requests, BestEffort when none sets
    /// any request or limit, Burstable otherwise.
    public var qosClass: String {
        let all = spec.initContainers + spec.containers
        let anySet = all.contains { !$0.resources.requests.isEmpty || !$0.resources.limits.isEmpty }
        if !anySet { return "BestEffort" }
        let guaranteed = all.allSatisfy { c in
            ["cpu", "memory"].allSatisfy { r in
                guard let l = c.resources.limits[r] else { return false }
                return (c.resources.requests[r] ?? l) == l
            }
        }
        return guaranteed ? "Guaranteed" : "Burstable"
    }

    /// Whether the pod is being deleted (metadata.deletionTimestamp set).
    public var isTerminating: Bool { metadata.deletionTimestamp != nil }
}

extension PodStatus {
    public func containerStatus(_ name: String) -> ContainerStatus? {
        containerStatuses.first { $0.name == name } ?? initContainerStatuses.first { $0.name == name }
    }
}
