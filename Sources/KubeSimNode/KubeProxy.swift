import KubeSimCore
import KubeSimAPI
import KubeSimControl
import KubeSimNet

/// kube-proxy on one node (cmd/kube-proxy, pkg/proxy): watches Services and
/// EndpointSlices and programs the node's kernel — it never touches a packet itself.
/// Changes are batched as upstream's BoundedFrequencyRunner batches them
/// (pkg/util/async/bounded_frequency_runner.go): a token bucket of burstSyncs (2) tokens
/// refilled one per minSyncPeriod (1 s, the --iptables-min-sync-period default) lets a
/// sync run at once while tokens last and makes later ones wait; at least one sync runs
/// per syncPeriod (30 s). Each sync is the mode's proxier's syncProxyRules (iptables,
/// nftables or userspace).
public final class KubeProxy {
    public let nodeName: String
    let clock: EventQueue
    let services: Informer
    let slices: Informer
    let network: PodNetwork
    public private(set) var proxier: any ServiceProxier
    let nodeIP: IPv4Address
    let clusterCIDR: CIDR?
    public static let minSyncPeriod = SimDuration.seconds(1)
    public static let syncPeriod = SimDuration.seconds(30)
    /// Services ("ns/name") whose Service or EndpointSlices changed since the last sync.
    var changed = Set<String>()
    var scheduled: EventQueue.Handle?
    var lastSync: Int64 = .min
    /// The runner's token bucket: tokens, and when they were last counted.
    var tokens = Double(KubeProxy.burstSyncs)
    var tokensAt: Int64 = 0
    public static let burstSyncs = 2
    public private(set) var syncs: [ProxySyncResult] = []
    public var stopped = false

    public init(nodeName: String, nodeIP: IPv4Address, clusterCIDR: CIDR?, mode: ProxyMode = .iptables, clock: EventQueue, services: Informer, slices: Informer, network: PodNetwork) {
        self.nodeName = nodeName; self.clock = clock; self.services = services; self.slices = slices; self.network = network
        self.nodeIP = nodeIP; self.clusterCIDR = clusterCIDR
        proxier = Self.makeProxier(mode, nodeName: nodeName, nodeIP: nodeIP, clusterCIDR: clusterCIDR)
        services.onChange { [weak self] e in self?.queue(e.object.metadata.namespace ?? "default", e.object.metadata.name) }
        slices.onChange { [weak self] e in
            guard let s = e.object.endpointSlice, let svc = s.serviceName else { return }
            self?.queue(s.metadata.namespace ?? "default", svc)
        }
        // OnServiceSynced / OnEndpointSlicesSynced: the first sync, unconditionally.
        scheduled = clock.schedule(after: .zero, label: "kube-proxy \(nodeName): sync") { [weak self] in self?.runSync() }
        periodic()
    }

    static func makeProxier(_ mode: ProxyMode, nodeName: String, nodeIP: IPv4Address, clusterCIDR: CIDR?) -> any ServiceProxier {
        switch mode {
        case .iptables: IptablesProxier(IptablesProxier.Config(nodeName: nodeName, nodeIP: nodeIP, clusterCIDR: clusterCIDR))
        case .userspace: UserspaceProxier(nodeName: nodeName, hostIP: nodeIP)
        case .nftables:
            // --nodeport-addresses defaults to "primary" in nftables mode: the node's own IP.
            NftablesProxier(NftablesProxier.Config(nodeName: nodeName, nodeIP: nodeIP, clusterCIDR: clusterCIDR,
                                                   serviceCIDRs: [ServiceAllocator.serviceCIDR], nodePortAddresses: [nodeIP]))
        case .ipvs: IpvsProxier(nodeName: nodeName, nodeIP: nodeIP, clusterCIDR: clusterCIDR)
        }
    }

    public var mode: ProxyMode { proxier.mode }

    func queue(_ namespace: String, _ name: String) {
        changed.insert("\(namespace)/\(name)")
        guard scheduled == nil, !stopped else { return }
        // Refill (one token per minSyncPeriod, at most burstSyncs), then take one now or
        // wait until the next one is due.
        let period = Double(Self.minSyncPeriod.nanoseconds)
        tokens = min(Double(Self.burstSyncs), tokens + Double(clock.now - tokensAt) / period)
        tokensAt = clock.now
        let at: Int64
        if tokens >= 1 { at = clock.now } else { at = clock.now + Int64(((1 - tokens) * period).rounded(.up)) }
        scheduled = clock.schedule(at: at, label: "kube-proxy \(nodeName): sync") { [weak self] in
            guard let self else { return }
            self.tokens = min(Double(Self.burstSyncs), self.tokens + Double(self.clock.now - self.tokensAt) / period) - 1
            self.tokensAt = self.clock.now
            self.runSync()
        }
    }

    func periodic() {
        clock.schedule(after: Self.syncPeriod, label: "kube-proxy \(nodeName): periodic sync", background: true) { [weak self] in
            guard let self, !self.stopped else { return }
            if self.scheduled == nil { self.runSync() }
            self.periodic()
        }
    }

    func runSync() {
        scheduled = nil
        guard !stopped, let node = network.node(nodeName), node.up else { return }
        let (ports, endpoints) = snapshot()
        let r = proxier.sync(services: ports, endpoints: endpoints, changed: changed, now: clock.now, node: node)
        changed.removeAll()
        lastSync = clock.now
        syncs.append(r)
        if syncs.count > 64 { syncs.removeFirst(syncs.count - 64) }
    }

    /// The Service ports and their endpoints as the proxier's change trackers build them
    /// (pkg/proxy/servicechangetracker.go, endpointslicecache.go): headless and
    /// ExternalName Services are skipped; endpoints come from the slices' ports of the
    /// same name and protocol, de-duplicated and sorted by "IP:port".
    func snapshot() -> ([ProxyServicePort], [String: [ProxyEndpoint]]) {
        var ports: [ProxyServicePort] = []
        var endpoints: [String: [ProxyEndpoint]] = [:]
        for o in services.list() {
            guard let svc = o.service, let cip = svc.spec.clusterIP, cip != "None", let clusterIP = IPv4Address(parsing: cip),
                  svc.spec.type != "ExternalName" else { continue }
            let ns = svc.metadata.namespace ?? "default", name = svc.metadata.name
            let slices = self.slices.byIndex(IndexName.service, "\(ns)/\(name)").compactMap(\.endpointSlice)
            for sp in svc.spec.ports {
                var p = ProxyServicePort(namespace: ns, name: name, portName: sp.name ?? "", proto: sp.protocol, clusterIP: clusterIP, port: sp.port)
                let external = svc.spec.type == "NodePort" || svc.spec.type == "LoadBalancer"
                if external { p.nodePort = sp.nodePort ?? 0 }
                p.loadBalancerIPs = svc.spec.type == "LoadBalancer" ? svc.loadBalancerIngress.compactMap { IPv4Address(parsing: $0) } : []
                if svc.spec.sessionAffinity == "ClientIP" { p.stickySeconds = svc.spec.sessionAffinityTimeout ?? 10800 }
                p.externalIPs = svc.spec.externalIPs.compactMap { IPv4Address(parsing: $0) }
                p.loadBalancerSourceRanges = svc.spec.loadBalancerSourceRanges.compactMap { CIDR(parsing: String($0.filter { $0 != " " })) }
                p.internalPolicyLocal = svc.spec.internalTrafficPolicy == "Local"
                p.externalPolicyLocal = (external || !p.externalIPs.isEmpty) && svc.spec.externalTrafficPolicy == "Local"
                if p.externalPolicyLocal { p.healthCheckNodePort = svc.spec.healthCheckNodePort ?? 0 }
                var eps: [String: ProxyEndpoint] = [:]
                for s in slices {
                    guard let ep = s.ports.first(where: { ($0.name ?? "") == (sp.name ?? "") && $0.protocol == sp.protocol }), let port = ep.port else { continue }
                    for e in s.endpoints {
                        for a in e.addresses {
                            guard let ip = IPv4Address(parsing: a) else { continue }
                            let pe = ProxyEndpoint(ip: ip, port: port, isLocal: e.nodeName == nodeName, ready: e.ready, serving: e.serving, terminating: e.terminating)
                            if eps[pe.string] == nil { eps[pe.string] = pe }
                        }
                    }
                }
                endpoints[p.nameString] = eps.keys.sorted().map { eps[$0]! }
                ports.append(p)
            }
        }
        return (ports, endpoints)
    }
}
