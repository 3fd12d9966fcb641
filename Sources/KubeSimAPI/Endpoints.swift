import KubeSimCore

/// core/v1 Endpoints: the legacy, one-object-per-Service list of a Service's addresses,
/// written by the endpoints controller (pkg/controller/endpoint) for Services with a
/// selector, by the API server for `kubernetes`, and by hand for Services without a
/// selector. Deprecated since v1.33 in favour of EndpointSlice (Discovery.swift), which
/// is what kube-proxy and CoreDNS read.
public struct Endpoints: Sendable, Equatable {
    public var metadata: ObjectMeta
    public var subsets: [EndpointSubset] = []
    public init(metadata: ObjectMeta, subsets: [EndpointSubset] = []) { self.metadata = metadata; self.subsets = subsets }

    /// `endpoints.kubernetes.io/last-change-trigger-time` (k8s.io/api/core/v1
    /// EndpointsLastChangeTriggerTime): when the change that this version reflects happened.
    public static let lastChangeTriggerTime = "endpoints.kubernetes.io/last-change-trigger-time"
    /// `endpoints.kubernetes.io/over-capacity`: set to `truncated` past 1000 addresses.
    public static let overCapacity = "endpoints.kubernetes.io/over-capacity"
    /// The label the endpoints controller marks its objects with since v1.33
    /// (pkg/controller/endpoint LabelManagedBy, ControllerName).
    public static let managedByLabel = "endpoints.kubernetes.io/managed-by"
    public static let controllerName = "endpoint-controller"
    /// Set by the API server's endpoints reconciler on `kubernetes` so the EndpointSlice
    /// mirroring controller leaves it alone (discovery/v1 LabelSkipMirror).
    public static let skipMirrorLabel = "endpointslice.kubernetes.io/skip-mirror"
}

/// A group of addresses that all serve the same ports.
public struct EndpointSubset: Sendable, Equatable {
    public var addresses: [EndpointAddress] = []
    public var notReadyAddresses: [EndpointAddress] = []
    /// core/v1 EndpointPort has the same fields as discovery's (name, port, protocol);
    /// a nil or empty name is the unnamed port.
    public var ports: [EndpointPort] = []
    public init(addresses: [EndpointAddress] = [], notReadyAddresses: [EndpointAddress] = [], ports: [EndpointPort] = []) {
        self.addresses = addresses; self.notReadyAddresses = notReadyAddresses; self.ports = ports
    }
}

public struct EndpointAddress: Sendable, Equatable {
    public var ip: String
    public var hostname: String?
    public var nodeName: String?
    public var targetRef: ObjectReference?
    public init(ip: String, hostname: String? = nil, nodeName: String? = nil, targetRef: ObjectReference? = nil) {
        self.ip = ip; self.hostname = hostname; self.nodeName = nodeName; self.targetRef = targetRef
    }
}

/// core/v1 ObjectReference, as an address's `targetRef` (the endpoints controller sets
/// kind, namespace, name and uid).
public struct ObjectReference: Sendable, Equatable {
    public var kind: String
    public var namespace: String?
    public var name: String
    public var uid: String
    public init(kind: String, namespace: String?, name: String, uid: String) { self.kind = kind; self.namespace = namespace; self.name = name; self.uid = uid }
}

extension APIObject {
    public var endpoints: Endpoints? { if case .endpoints(let e) = self { return e } else { return nil } }
}
