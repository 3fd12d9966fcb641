import KubeSimCore

public struct ConfigMap: Sendable, Equatable {
    public var metadata: ObjectMeta
    public var data: [String: String]
    public init(metadata: ObjectMeta, data: [String: String]) { self.metadata = metadata; self.data = data }
}

/// A Secret keeps its values decoded here; manifests carry them base64-encoded.
public struct Secret: Sendable, Equatable {
    public var metadata: ObjectMeta
    public var type: String
    public var data: [String: String]
    public init(metadata: ObjectMeta, type: String = "Opaque", data: [String: String]) { self.metadata = metadata; self.type = type; self.data = data }
}

public struct ServicePort: Sendable, Equatable {
    public var name: String?
    public var `protocol` = "TCP"
    public var port: Int
    public var targetPort: String?
    public var nodePort: Int?
    public init(name: String? = nil, port: Int, targetPort: String? = nil, nodePort: Int? = nil) {
        self.name = name; self.port = port; self.targetPort = targetPort; self.nodePort = nodePort
    }
}

public struct ServiceSpec: Sendable, Equatable {
    public var type = "ClusterIP"
    public var selector: [String: String] = [:]
    public var ports: [ServicePort] = []
    public var clusterIP: String?
    public var sessionAffinity = "None"
    public var externalTrafficPolicy: String?
    public var loadBalancerIP: String?
    /// Addresses outside the cluster that route to a node and are answered for the Service.
    public var externalIPs: [String] = []
    /// Cluster (default) or Local: whether in-cluster clients reach only their node's endpoints.
    public var internalTrafficPolicy: String?
    /// sessionAffinityConfig.clientIP.timeoutSeconds (defaulted to 10800 for ClientIP).
    public var sessionAffinityTimeout: Int?
    public var loadBalancerSourceRanges: [String] = []
    /// Allocated by the API server for a LoadBalancer with externalTrafficPolicy Local.
    public var healthCheckNodePort: Int?
    public init() {}
}

public struct Service: Sendable, Equatable {
    public var metadata: ObjectMeta
    public var spec: ServiceSpec
    public var loadBalancerIngress: [String] = []
    public init(metadata: ObjectMeta, spec: ServiceSpec) { self.metadata = metadata; self.spec = spec }
}

/// ClusterIP and NodePort allocation as the API server's registry does it
/// (pkg/registry/core/service/ipallocator and portallocator): the first address of
/// the service CIDR (10.96.0.0/12) goes to the `kubernetes` Service; others are
/// random free addresses; node ports are random free ports in 30000–32767.
public struct ServiceAllocator: Sendable {
    public static let serviceCIDR = CIDR(parsing: "10.96.0.0/12")!
    public static let nodePortRange = 30000...32767
    var usedIPs: Set<UInt32> = []
    var usedPorts: Set<Int> = []

    public init() {}

    mutating func allocateIP(_ requested: String?, random: () -> UInt64) throws -> String {
        let cidr = Self.serviceCIDR
        if let r = requested, r != "None", !r.isEmpty {
            guard let ip = IPv4Address(parsing: r), cidr.contains(ip) else {
                throw "spec.clusterIPs: Invalid value: []string{\"\(r)\"}: failed to allocate IP \(r): the provided IP (\(r)) is not in the valid range. The range of valid IPs is \(cidr)"
            }
            guard usedIPs.insert(ip.value).inserted else {
                throw "spec.clusterIPs: Invalid value: []string{\"\(r)\"}: failed to allocate IP \(r): provided IP is already allocated"
            }
            return r
        }
        let size = UInt32(cidr.size) - 2   // network and broadcast are not used
        var offset = UInt32(random() % UInt64(size))
        for _ in 0..<size {
            let v = cidr.network.value + 1 + offset
            if usedIPs.insert(v).inserted { return IPv4Address(v).description }
            offset = (offset + 1) % size
        }
        throw "failed to allocate a serviceIP: range is full"
    }

    mutating func allocatePort(_ requested: Int?, random: () -> UInt64) throws -> Int {
        if let p = requested {
            guard Self.nodePortRange.contains(p) else {
                throw "spec.ports[0].nodePort: Invalid value: \(p): provided port is not in the valid range. The range of valid ports is 30000-32767"
            }
            guard usedPorts.insert(p).inserted else { throw "spec.ports[0].nodePort: Invalid value: \(p): provided port is already allocated" }
            return p
        }
        let n = Self.nodePortRange.count
        var offset = Int(random() % UInt64(n))
        for _ in 0..<n {
            let p = Self.nodePortRange.lowerBound + offset
            if usedPorts.insert(p).inserted { return p }
            offset = (offset + 1) % n
        }
        throw "failed to allocate a nodePort: range is full"
    }

    mutating func release(_ s: Service) {
        if let ip = s.spec.clusterIP.flatMap({ IPv4Address(parsing: $0) }) { usedIPs.remove(ip.value) }
        for p in s.spec.ports { if let np = p.nodePort { usedPorts.remove(np) } }
        if let h = s.spec.healthCheckNodePort { usedPorts.remove(h) }
    }
}

extension String: @retroactive Error {}
