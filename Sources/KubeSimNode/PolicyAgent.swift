import KubeSimCore
import KubeSimAPI
import KubeSimControl
import KubeSimNet

/// The CNI plugin's policy agent on the nodes (Calico's Felix, Weave's weave-npc): it
/// watches NetworkPolicies, Pods and Namespaces, resolves every policy's selectors to pod
/// addresses with the semantics of networking.k8s.io/v1, and hands the result to the
/// plugin, which programs each node's kernel. flannel has no such agent: its policies are
/// stored and change nothing.
///
/// Semantics (k8s.io/api/networking/v1 types.go, the e2e tests in
/// test/e2e/network/netpol): a pod selected by any policy naming a direction is isolated
/// in it; what the selecting policies allow adds up; a rule without peers admits every
/// peer and without ports every port; one peer with both selectors needs both, two peers
/// either; `podSelector` alone means the policy's namespace; named ports resolve on the
/// destination pods.
public final class PolicyAgent {
    let clock: EventQueue
    let policies: Informer
    let pods: Informer
    let namespaces: Informer
    let network: PodNetwork
    /// Felix's calculation graph and weave-npc's handlers act within milliseconds.
    public static let reactionTime = SimDuration.milliseconds(50)
    var scheduled: EventQueue.Handle?
    /// Whether the last sync programmed any policy (none ever: nothing to undo).
    var programmed = false
    public private(set) var syncs = 0

    public init(clock: EventQueue, policies: Informer, pods: Informer, namespaces: Informer, network: PodNetwork) {
        self.clock = clock; self.policies = policies; self.pods = pods; self.namespaces = namespaces; self.network = network
        policies.onChange { [weak self] _ in self?.queue() }
        pods.onChange { [weak self] _ in self?.queueIfEnforcing() }
        namespaces.onChange { [weak self] _ in self?.queueIfEnforcing() }
    }

    func queueIfEnforcing() { if programmed || policies.count > 0 { queue() } }

    func queue() {
        guard scheduled == nil else { return }
        scheduled = clock.schedule(after: Self.reactionTime, label: "network policy agent: sync") { [weak self] in self?.sync() }
    }

    func sync() {
        scheduled = nil
        let compiled = Self.compile(policies: policies.list().compactMap(\.networkPolicy), pods: pods.list().compactMap(\.pod),
                                    namespaces: namespaces.list().compactMap { o -> Namespace? in if case .namespace(let n) = o { return n } else { return nil } })
        for name in network.nodeNames where network.node(name)?.up == true { network.enforce(compiled, on: name) }
        programmed = !compiled.isEmpty
        syncs += 1
    }

    /// Every policy with its selectors resolved against the pods and namespaces.
    public static func compile(policies: [NetworkPolicy], pods: [Pod], namespaces: [Namespace]) -> [EnforcedPolicy] {
        // Pods that have an address on the pod network.
        let live = pods.filter { p in
            p.status.podIP != nil && p.status.phase != "Succeeded" && p.status.phase != "Failed"
        }
        var nsLabels: [String: [String: String]] = [:]
        for n in namespaces { nsLabels[n.metadata.name] = n.metadata.labels }
        func labels(ofNamespace ns: String) -> [String: String] {
            var l = nsLabels[ns] ?? [:]
            l["kubernetes.io/metadata.name"] = ns
            return l
        }
        func ip(_ p: Pod) -> IPv4Address? { p.status.podIP.flatMap(IPv4Address.init(parsing:)) }
        func podsMatching(_ peer: NetworkPolicyPeer, policyNamespace: String) -> [Pod] {
            live.filter { p in
                let ns = p.metadata.namespace ?? "default"
                if let nsSel = peer.namespaceSelector {
                    guard nsSel.matches(labels(ofNamespace: ns)) else { return false }
                } else if ns != policyNamespace {
                    return false
                }
                return peer.podSelector.map { $0.matches(p.metadata.labels) } ?? true
            }
        }
        func describe(_ peer: NetworkPolicyPeer, _ ns: String) -> String {
            var parts: [String] = []
            if let n = peer.namespaceSelector { parts.append("namespaces: \(n.isEmpty ? "all" : n.description)") } else { parts.append("namespace: \(ns)") }
            if let p = peer.podSelector { parts.append("selector: \(p.isEmpty ? "all" : p.description)") }
            return parts.joined(separator: ", ")
        }
        func ports(_ rule: NetworkPolicyRule, destinations: [Pod]) -> [EnforcedPort]? {
            guard !rule.ports.isEmpty else { return nil }
            return rule.ports.map { p in
                let proto = IPProto(name: p.proto) ?? .tcp
                switch p.port {
                case .number(let n)?: return EnforcedPort(proto: proto, port: n, endPort: p.endPort)
                case .name(let name)?:
                    var targets: [(IPv4Address, Int)] = []
                    for d in destinations {
                        guard let a = ip(d) else { continue }
                        for c in d.spec.containers { for cp in c.ports where cp.name == name && cp.protocol == p.proto { targets.append((a, cp.containerPort)) } }
                    }
                    targets.sort { ($0.0, $0.1) < ($1.0, $1.1) }
                    return EnforcedPort(proto: proto, named: name, namedTargets: targets)
                case nil: return EnforcedPort(proto: proto)
                }
            }
        }
        var out: [EnforcedPolicy] = []
        for np in policies.sorted(by: { (($0.metadata.namespace ?? "default"), $0.metadata.name) < (($1.metadata.namespace ?? "default"), $1.metadata.name) }) {
            let ns = np.metadata.namespace ?? "default"
            let selected = live.filter { ($0.metadata.namespace ?? "default") == ns && np.spec.podSelector.matches($0.metadata.labels) }
            func rules(_ rs: [NetworkPolicyRule], ingress: Bool) -> [EnforcedRule] {
                rs.map { r in
                    let peers: [EnforcedPeer]? = r.peers.isEmpty ? nil : r.peers.map { peer in
                        if let b = peer.ipBlock, let cidr = CIDR(parsing: b.cidr) {
                            return .block(cidr, except: b.except.compactMap(CIDR.init(parsing:)))
                        }
                        let matched = podsMatching(peer, policyNamespace: ns)
                        return .pods(selector: describe(peer, ns), addresses: matched.compactMap(ip))
                    }
                    // Named ports resolve where the packet goes: the selected pods for
                    // ingress, the peers (every pod, without peers) for egress.
                    let destinations = ingress ? selected : (r.peers.isEmpty ? live : r.peers.flatMap { $0.ipBlock == nil ? podsMatching($0, policyNamespace: ns) : [] })
                    return EnforcedRule(peers: peers, ports: ports(r, destinations: destinations))
                }
            }
            out.append(EnforcedPolicy(namespace: ns, name: np.metadata.name, selected: selected.compactMap(ip),
                                      selector: np.spec.podSelector.isEmpty ? "all" : np.spec.podSelector.description,
                                      ingress: np.spec.isolatesIngress ? rules(np.spec.ingress, ingress: true) : nil,
                                      egress: np.spec.isolatesEgress ? rules(np.spec.egress, ingress: false) : nil))
        }
        return out
    }
}
