import KubeSimCore

/// What kube-proxy knows of one Service port (pkg/proxy/serviceport.go
/// BaseServicePortInfo), built by the node agent from the Service object.
public struct ProxyServicePort: Sendable, Equatable {
    public var namespace: String
    public var name: String
    /// The port's name ("" for a Service's single unnamed port).
    public var portName: String
    /// "TCP", "UDP" or "SCTP".
    public var proto: String
    public var clusterIP: IPv4Address
    public var port: Int
    public var nodePort = 0
    public var externalIPs: [IPv4Address] = []
    public var loadBalancerIPs: [IPv4Address] = []
    public var loadBalancerSourceRanges: [CIDR] = []
    /// sessionAffinity ClientIP: its timeout in seconds (nil: no affinity).
    public var stickySeconds: Int?
    /// externalTrafficPolicy Local (only for an externally accessible Service).
    public var externalPolicyLocal = false
    /// internalTrafficPolicy Local.
    public var internalPolicyLocal = false
    /// Only for externalTrafficPolicy Local (apiservice.NeedsHealthCheck).
    public var healthCheckNodePort = 0

    public init(namespace: String, name: String, portName: String, proto: String, clusterIP: IPv4Address, port: Int) {
        self.namespace = namespace; self.name = name; self.portName = portName; self.proto = proto; self.clusterIP = clusterIP; self.port = port
    }

    /// ServicePortName.String(): "ns/name:port", or "ns/name" for an unnamed port.
    public var nameString: String { portName.isEmpty ? "\(namespace)/\(name)" : "\(namespace)/\(name):\(portName)" }
    /// "ns/name": what partial syncs track changes by.
    public var serviceName: String { "\(namespace)/\(name)" }
    public var protocolLower: String { proto.lowercased() }

    var externallyAccessible: Bool { nodePort != 0 || !loadBalancerIPs.isEmpty || !externalIPs.isEmpty }
    /// Cluster endpoints are used for internal traffic under policy Cluster, and for any
    /// external traffic (short-circuiting needs them even under policy Local).
    var usesClusterEndpoints: Bool { !internalPolicyLocal || externallyAccessible }
    var usesLocalEndpoints: Bool { internalPolicyLocal || (externalPolicyLocal && externallyAccessible) }
}

/// One endpoint of a Service port as kube-proxy keeps it (pkg/proxy/endpoint.go).
public struct ProxyEndpoint: Sendable, Equatable {
    public var ip: IPv4Address
    public var port: Int
    public var isLocal: Bool
    public var ready: Bool
    public var serving: Bool
    public var terminating: Bool
    public init(ip: IPv4Address, port: Int, isLocal: Bool, ready: Bool = true, serving: Bool = true, terminating: Bool = false) {
        self.ip = ip; self.port = port; self.isLocal = isLocal; self.ready = ready; self.serving = serving; self.terminating = terminating
    }
    /// "IP:port", as Endpoint.String() (and the KUBE-SEP hash input).
    public var string: String { "\(ip):\(port)" }
}

/// pkg/proxy/topology.go CategorizeEndpoints (no topology hints): the endpoints Cluster
/// and Local traffic policy use, every one this node can reach, and whether the Service
/// has any usable endpoint anywhere. Ready endpoints first; serving-terminating ones only
/// when none is ready. Lists keep the sorted order the endpoints map has.
func categorizeEndpoints(_ endpoints: [ProxyEndpoint], _ svc: ProxyServicePort) -> (cluster: [ProxyEndpoint], local: [ProxyEndpoint], reachable: [ProxyEndpoint], hasAny: Bool) {
    var cluster: [ProxyEndpoint] = [], local: [ProxyEndpoint] = [], hasAny = false
    if svc.usesClusterEndpoints {
        cluster = endpoints.filter(\.ready)
        if cluster.isEmpty { cluster = endpoints.filter { $0.serving && $0.terminating } }
        if !cluster.isEmpty { hasAny = true }
    }
    guard svc.usesLocalEndpoints else { return (cluster, [], cluster, hasAny) }
    var localReady = false, localServingTerminating = false
    for ep in endpoints {
        if ep.ready {
            hasAny = true
            if ep.isLocal { localReady = true }
        } else if ep.serving && ep.terminating {
            hasAny = true
            if ep.isLocal { localServingTerminating = true }
        }
    }
    if localReady {
        local = endpoints.filter { $0.isLocal && $0.ready }
    } else if localServingTerminating {
        local = endpoints.filter { $0.isLocal && $0.serving && $0.terminating }
    }
    guard svc.usesClusterEndpoints else { return ([], local, local, hasAny) }
    // Both lists merged (upstream through a map; here in the endpoints' sorted order).
    var seen = Set<String>(), reachable: [ProxyEndpoint] = []
    for ep in endpoints where (cluster.contains(ep) || local.contains(ep)) && seen.insert(ep.string).inserted { reachable.append(ep) }
    return (cluster, local, reachable, hasAny)
}

/// Chain names as kube-proxy derives them (pkg/proxy/iptables/proxier.go portProtoHash,
/// servicePortEndpointChainName): the prefix and the first 16 characters of
/// base32(sha256(…)). The nftables proxier names its chains differently.
public enum KubeProxyNames {
    public static func hash(_ s: String) -> String { String(Digests.base32(Digests.sha256(Array(s.utf8))).prefix(16)) }
    public static func svc(_ p: ProxyServicePort) -> String { "KUBE-SVC-" + hash(p.nameString + p.protocolLower) }
    public static func svl(_ p: ProxyServicePort) -> String { "KUBE-SVL-" + hash(p.nameString + p.protocolLower) }
    public static func ext(_ p: ProxyServicePort) -> String { "KUBE-EXT-" + hash(p.nameString + p.protocolLower) }
    public static func fw(_ p: ProxyServicePort) -> String { "KUBE-FW-" + hash(p.nameString + p.protocolLower) }
    public static func sep(_ p: ProxyServicePort, _ ep: ProxyEndpoint) -> String { "KUBE-SEP-" + hash(p.nameString + p.protocolLower + ep.string) }
    static let servicePrefixes = ["KUBE-SVC-", "KUBE-SVL-", "KUBE-SEP-", "KUBE-FW-", "KUBE-EXT-"]
    static func isServiceChain(_ n: String) -> Bool { servicePrefixes.contains { n.hasPrefix($0) } }
}
