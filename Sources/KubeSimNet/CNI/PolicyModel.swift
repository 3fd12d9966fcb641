import KubeSimCore

/// A NetworkPolicy as a CNI plugin's policy agent acts on it (Felix's calculation graph,
/// weave-npc's selectors): its selectors already resolved to pod addresses from the API
/// objects the agent watches. The plugin turns it into rules on each node.
public struct EnforcedPolicy: Sendable, Equatable {
    public var namespace: String
    public var name: String
    /// The addresses of the pods the policy selects, and its pod selector as text.
    public var selected: [IPv4Address]
    public var selector: String
    /// nil: the policy does not isolate that direction; empty: it isolates and allows nothing.
    public var ingress: [EnforcedRule]?
    public var egress: [EnforcedRule]?
    public init(namespace: String, name: String, selected: [IPv4Address], selector: String, ingress: [EnforcedRule]?, egress: [EnforcedRule]?) {
        self.namespace = namespace; self.name = name; self.selected = selected; self.selector = selector; self.ingress = ingress; self.egress = egress
    }
}

/// One rule: traffic from (ingress) or to (egress) any of the peers, on any of the ports.
public struct EnforcedRule: Sendable, Equatable {
    /// nil: every peer.
    public var peers: [EnforcedPeer]?
    /// nil: every port of every protocol.
    public var ports: [EnforcedPort]?
    public init(peers: [EnforcedPeer]?, ports: [EnforcedPort]?) { self.peers = peers; self.ports = ports }
}

public enum EnforcedPeer: Sendable, Equatable {
    /// Pods picked by selectors; `selector` names the selection (the ipset it becomes).
    case pods(selector: String, addresses: [IPv4Address])
    case block(CIDR, except: [CIDR])
}

public struct EnforcedPort: Sendable, Equatable {
    public var proto: IPProto
    /// A number (with `endPort`, a range); nil with `named` nil: every port of the protocol.
    public var port: Int?
    public var endPort: Int?
    /// A named port: the name and what it resolves to, (pod address, port) on each
    /// destination pod that has a container port of that name.
    public var named: String?
    public var namedTargets: [(IPv4Address, Int)] = []
    public init(proto: IPProto, port: Int? = nil, endPort: Int? = nil, named: String? = nil, namedTargets: [(IPv4Address, Int)] = []) {
        self.proto = proto; self.port = port; self.endPort = endPort; self.named = named; self.namedTargets = namedTargets
    }
    public static func == (a: EnforcedPort, b: EnforcedPort) -> Bool {
        a.proto == b.proto && a.port == b.port && a.endPort == b.endPort && a.named == b.named
            && a.namedTargets.map(\.0) == b.namedTargets.map(\.0) && a.namedTargets.map(\.1) == b.namedTargets.map(\.1)
    }
}

extension PodNetwork {
    /// The policy agent of node `name` hands the plugin the policies in force: Calico's
    /// Felix and Weave's weave-npc program them; flannel has no policy agent.
    public func enforce(_ policies: [EnforcedPolicy], on name: String) {
        guard let n = nodes[name] else { return }
        switch plugin {
        case .calico: felixPolicies(n, policies)
        case .weave: weaveNPCPolicies(n, policies)
        case .flannel: break
        }
    }

    /// Whether the plugin enforces NetworkPolicy (flannel does not).
    public var enforcesNetworkPolicy: Bool { plugin != .flannel }
}
