import KubeSimCore

/// discovery.k8s.io/v1 EndpointSlice: the addresses behind a Service, written by the
/// EndpointSlice controller and read by kube-proxy and CoreDNS.
public struct EndpointSlice: Sendable, Equatable {
    public var metadata: ObjectMeta
    public var addressType = "IPv4"
    public var endpoints: [Endpoint] = []
    public var ports: [EndpointPort] = []
    public init(metadata: ObjectMeta) { self.metadata = metadata }

    /// The Service this slice belongs to (label `kubernetes.io/service-name`).
    public var serviceName: String? { metadata.labels[EndpointSlice.serviceNameLabel] }
    public static let serviceNameLabel = "kubernetes.io/service-name"
    public static let managedByLabel = "endpointslice.kubernetes.io/managed-by"
    public static let controllerName = "endpointslice-controller.k8s.io"
}

public struct Endpoint: Sendable, Equatable {
    public var addresses: [String]
    public var ready: Bool
    public var serving: Bool
    public var terminating: Bool
    /// Set for pods with `spec.hostname` whose `spec.subdomain` names the Service:
    /// CoreDNS answers `<hostname>.<service>.<namespace>.svc.cluster.local` with it.
    public var hostname: String?
    public var nodeName: String?
    public var targetPod: String?
    public var targetNamespace: String?
    public var targetUID: String?
    public init(addresses: [String], ready: Bool, serving: Bool, terminating: Bool) {
        self.addresses = addresses; self.ready = ready; self.serving = serving; self.terminating = terminating
    }
}

public struct EndpointPort: Sendable, Equatable {
    public var name: String?
    public var port: Int?
    public var `protocol` = "TCP"
    public init(name: String?, port: Int?, protocol: String = "TCP") { self.name = name; self.port = port; self.protocol = `protocol` }
}

extension APIObject {
    public var endpointSlice: EndpointSlice? { if case .endpointSlice(let s) = self { return s } else { return nil } }
}
