import KubeSimCore

/// kube-proxy's modes (--proxy-mode). iptables is the default; nftables is GA since
/// Kubernetes 1.33; IPVS is deprecated since 1.35; userspace, the lecture's first mode,
/// was removed in 1.26 (kube-proxy v1.25 was its last release).
public enum ProxyMode: String, Sendable, CaseIterable {
    case iptables, nftables, ipvs, userspace
    /// What kube-proxy logs at start for the mode (cmd/kube-proxy/app/server_linux.go).
    public var startLine: String {
        switch self {
        case .iptables: "Using iptables Proxier"
        case .nftables: "Using nftables Proxier"
        case .ipvs: "Using ipvs Proxier"
        case .userspace: "Using userspace Proxier"
        }
    }
    /// kube-proxy's warning for IPVS since 1.35 (server_linux.go, KEP-5495).
    public static let ipvsDeprecation = "The ipvs proxier is now deprecated and may be removed in a future release. Please use 'nftables' instead."
}

/// What one sync did, for kube-proxy's log lines and the benchmarks.
public struct ProxySyncResult: Sendable {
    public var full: Bool
    public var services = 0, endpoints = 0
    /// Rules (iptables mode: filter and nat; nftables: rules the transaction adds), portals
    /// (userspace) written by this sync.
    public var rulesWritten = 0
    public var failure: String?
    public init(full: Bool) { self.full = full }
}

/// One of kube-proxy's proxiers: turns the Service ports and their endpoints into the
/// node's kernel state (rules, portals, virtual servers) and can remove all of it when
/// the mode changes (CleanupLeftovers).
public protocol ServiceProxier: AnyObject {
    var mode: ProxyMode { get }
    /// `changed`: the "ns/name" of Services whose Service or EndpointSlices changed.
    func sync(services: [ProxyServicePort], endpoints: [String: [ProxyEndpoint]], changed: Set<String>, now: Int64, node: NodeNet) -> ProxySyncResult
    func cleanup(node: NodeNet)
}

extension Netfilter {
    /// pkg/util/iptables EnsureChain then EnsureRule: the chain `to` made if missing, and
    /// the jump `from` → `to` (with `args` before `-j`) added — first in `from`, or last —
    /// unless an identical rule is already there. Each mode's jumps from the built-in chains.
    func ensureJump(_ table: NFTableName, from: String, _ args: [String], to: String, prepend: Bool = true) {
        let t = ["-t", table.rawValue]
        if self.table(table).chain(to) == nil { _ = Iptables.run(t + ["-N", to], on: self) }
        let rule = args + ["-j", to]
        if Iptables.run(t + ["-C", from] + rule, on: self).status != 0 {
            _ = Iptables.run(t + (prepend ? ["-I", from, "1"] : ["-A", from]) + rule, on: self)
        }
    }
}

extension IptablesProxier: ServiceProxier {
    public var mode: ProxyMode { .iptables }
    public func sync(services: [ProxyServicePort], endpoints: [String: [ProxyEndpoint]], changed: Set<String>, now: Int64, node: NodeNet) -> ProxySyncResult {
        let r = sync(services: services, endpoints: endpoints, changed: changed, now: now, on: node.netfilter)
        var out = ProxySyncResult(full: r.full)
        out.services = r.services; out.endpoints = r.endpoints
        out.rulesWritten = r.filterRules + r.natRules
        if r.outcome.status != 0 { out.failure = r.outcome.output }
        return out
    }
    public func cleanup(node: NodeNet) { cleanup(node.netfilter) }
}
