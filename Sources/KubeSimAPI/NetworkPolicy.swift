import KubeSimCore

/// networking.k8s.io/v1 NetworkPolicy (k8s.io/api/networking/v1/types.go): which pods
/// it selects, the directions it isolates, and the traffic it allows in each. Policies
/// only allow; a pod selected by any policy for a direction is isolated in it, and what
/// the selecting policies allow adds up.
public struct NetworkPolicy: Sendable, Equatable {
    public var metadata: ObjectMeta
    public var spec: NetworkPolicySpec
    public init(metadata: ObjectMeta, spec: NetworkPolicySpec = NetworkPolicySpec()) { self.metadata = metadata; self.spec = spec }
}

public struct NetworkPolicySpec: Sendable, Equatable {
    /// The pods the policy applies to, in its namespace; empty selects them all.
    public var podSelector = LabelSelector()
    /// "Ingress", "Egress"; the API server defaults it (SetDefaults_NetworkPolicy).
    public var policyTypes: [String] = []
    public var ingress: [NetworkPolicyRule] = []
    public var egress: [NetworkPolicyRule] = []
    public init(podSelector: LabelSelector = LabelSelector(), policyTypes: [String] = [], ingress: [NetworkPolicyRule] = [], egress: [NetworkPolicyRule] = []) {
        self.podSelector = podSelector; self.policyTypes = policyTypes; self.ingress = ingress; self.egress = egress
    }

    public var isolatesIngress: Bool { policyTypes.contains("Ingress") }
    public var isolatesEgress: Bool { policyTypes.contains("Egress") }
}

/// One ingress (`from`) or egress (`to`) rule: traffic matching any peer and any port is
/// allowed. No peers: every source or destination; no ports: every port.
public struct NetworkPolicyRule: Sendable, Equatable {
    public var peers: [NetworkPolicyPeer] = []
    public var ports: [NetworkPolicyPort] = []
    public init(peers: [NetworkPolicyPeer] = [], ports: [NetworkPolicyPort] = []) { self.peers = peers; self.ports = ports }
}

/// A peer: pods (by selector, in the policy's namespace unless a namespace selector says
/// which namespaces — both in one peer means both must match), or an IP block.
public struct NetworkPolicyPeer: Sendable, Equatable {
    public var podSelector: LabelSelector?
    public var namespaceSelector: LabelSelector?
    public var ipBlock: IPBlock?
    public init(podSelector: LabelSelector? = nil, namespaceSelector: LabelSelector? = nil, ipBlock: IPBlock? = nil) {
        self.podSelector = podSelector; self.namespaceSelector = namespaceSelector; self.ipBlock = ipBlock
    }
}

public struct IPBlock: Sendable, Equatable {
    public var cidr: String
    public var except: [String] = []
    public init(cidr: String, except: [String] = []) { self.cidr = cidr; self.except = except }
}

/// A port by number (with an optional `endPort` range) or by a container port's name,
/// resolved on each destination pod; no port: every port of the protocol.
public struct NetworkPolicyPort: Sendable, Equatable {
    public enum Port: Sendable, Equatable { case number(Int), name(String) }
    public var proto: String = "TCP"
    public var port: Port?
    public var endPort: Int?
    public init(proto: String = "TCP", port: Port? = nil, endPort: Int? = nil) { self.proto = proto; self.port = port; self.endPort = endPort }
}

extension NetworkPolicy {
    /// SetDefaults_NetworkPolicy (pkg/apis/networking/v1/defaults.go): with no policyTypes,
    /// Ingress always, and Egress when there are egress rules.
    mutating func applyDefaults() {
        guard spec.policyTypes.isEmpty else { return }
        spec.policyTypes = ["Ingress"] + (spec.egress.isEmpty ? [] : ["Egress"])
    }

    /// ValidateNetworkPolicySpec (pkg/apis/networking/validation/validation.go): the
    /// causes, as `field: message`.
    func validate(_ causes: inout [String]) {
        for (dir, rules, peerKey) in [("ingress", spec.ingress, "from"), ("egress", spec.egress, "to")] {
            for (i, r) in rules.enumerated() {
                for (j, p) in r.ports.enumerated() { Self.validate(p, "spec.\(dir)[\(i)].ports[\(j)]", &causes) }
                for (j, p) in r.peers.enumerated() { Self.validate(p, "spec.\(dir)[\(i)].\(peerKey)[\(j)]", &causes) }
            }
        }
        if spec.policyTypes.count > 2 {
            causes.append("spec.policyTypes: Invalid value: &[]networking.PolicyType{\(spec.policyTypes.map { "\"\($0)\"" }.joined(separator: ", "))}: may not specify more than two policyTypes")
            return
        }
        for (i, t) in spec.policyTypes.enumerated() where t != "Ingress" && t != "Egress" {
            causes.append("spec.policyTypes[\(i)]: Unsupported value: \"\(t)\": supported values: \"Ingress\", \"Egress\"")
        }
    }

    static func validate(_ p: NetworkPolicyPort, _ path: String, _ causes: inout [String]) {
        if !["TCP", "UDP", "SCTP"].contains(p.proto) {
            causes.append("\(path).protocol: Unsupported value: \"\(p.proto)\": supported values: \"TCP\", \"UDP\", \"SCTP\"")
        }
        switch p.port {
        case .number(let n)?:
            if !(1...65535).contains(n) { causes.append("\(path).port: Invalid value: \(n): must be between 1 and 65535, inclusive") }
            if let e = p.endPort {
                if e < n { causes.append("\(path).endPort: Invalid value: \(e): must be greater than or equal to `port`") }
                if !(1...65535).contains(e) { causes.append("\(path).endPort: Invalid value: \(e): must be between 1 and 65535, inclusive") }
            }
        case .name(let s)?:
            if let e = p.endPort { causes.append("\(path).endPort: Invalid value: \(e): may not be specified when `port` is non-numeric") }
            for msg in Self.portNameErrors(s) { causes.append("\(path).port: Invalid value: \"\(s)\": \(msg)") }
        case nil:
            if let e = p.endPort { causes.append("\(path).endPort: Invalid value: \(e): may not be specified when `port` is not specified") }
        }
    }

    static func validate(_ peer: NetworkPolicyPeer, _ path: String, _ causes: inout [String]) {
        let count = [peer.podSelector != nil, peer.namespaceSelector != nil, peer.ipBlock != nil].filter { $0 }.count
        if let b = peer.ipBlock {
            if b.cidr.isEmpty {
                causes.append("\(path).ipBlock.cidr: Required value")
            } else if let cidr = CIDR(parsing: b.cidr) {
                for (k, e) in b.except.enumerated() {
                    guard let x = CIDR(parsing: e) else {
                        causes.append("\(path).ipBlock.except[\(k)]: Invalid value: \"\(e)\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)")
                        continue
                    }
                    if !cidr.contains(x.network) || cidr.prefixLength >= x.prefixLength {
                        causes.append("\(path).ipBlock.except[\(k)]: Invalid value: \"\(e)\": must be a strict subset of `cidr`")
                    }
                }
            } else {
                causes.append("\(path).ipBlock.cidr: Invalid value: \"\(b.cidr)\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)")
            }
        }
        if count == 0 {
            causes.append("\(path): Required value: must specify a peer")
        } else if count > 1 && peer.ipBlock != nil {
            causes.append("\(path): Forbidden: may not specify both ipBlock and another peer")
        }
    }

    /// IsValidPortName (k8s.io/apimachinery/pkg/util/validation): an IANA_SVC_NAME.
    static func portNameErrors(_ s: String) -> [String] {
        var errs: [String] = []
        if s.count > 15 { errs.append("must be no more than 15 characters") }
        if s.isEmpty || !s.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }) {
            errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
        }
        if !s.contains(where: { ("a"..."z").contains($0) }) { errs.append("must contain at least one letter (a-z)") }
        if s.contains("--") { errs.append("must not contain consecutive hyphens (-)") }
        if s.hasPrefix("-") || s.hasSuffix("-") { errs.append("must not begin or end with a hyphen (-)") }
        return errs
    }
}
