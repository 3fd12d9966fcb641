import KubeSimCore
import KubeSimAPI
import KubeSimControl
import KubeSimNode
import KubeSimNet

/// One simulated cluster: the clock, etcd, the API server, the controller manager,
/// the scheduler and a kubelet per node, wired as Kubernetes wires them — every
/// component watches the API server and writes back through it.
public final class Cluster {
    public let clock = EventQueue()
    public let store = Store()
    public let api: APIServer
    public let podInformer, rsInformer, deploymentInformer, nodeInformer, namespaceInformer, leaseInformer: Informer
    public let nodeLifecycleController: NodeLifecycleController
    public let nodeIPAMController: NodeIPAMController
    var configInformer, secretInformer: Informer!
    public let jobInformer, cronJobInformer, daemonSetInformer, statefulSetInformer: Informer
    public let jobController: JobController
    public let cronJobController: CronJobController
    public private(set) var hpaInformer: Informer!
    public private(set) var hpaController: HorizontalPodAutoscalerController!
    public private(set) var networkPolicyInformer: Informer!
    /// The CNI's policy agent (Felix, weave-npc); nil with flannel, which has none.
    public private(set) var policyAgent: PolicyAgent?
    /// Extra CPU demand on a workload (the `load` command, a flash sale): millicores
    /// spread evenly over the running pods the selector matches in the namespace.
    public var loads: [(namespace: String, selector: LabelSelector, cpuMilli: Int64)] = []
    public let daemonSetController: DaemonSetController
    public let statefulSetController: StatefulSetController
    public let serviceInformer, endpointSliceInformer: Informer
    public let endpointSliceController: EndpointSliceController
    public let endpointsInformer: Informer
    /// The legacy Endpoints, one per Service with a selector (kube-controller-manager's
    /// endpoint controller); nothing in the cluster reads them.
    public let endpointsController: EndpointsController
    /// CoreDNS (the cluster DNS at 10.96.0.10), watching Services and EndpointSlices.
    public let dns: ClusterDNS
    public let garbageCollector: GarbageCollector
    public let events: EventRecorder
    public let replicaSetController: ReplicaSetController
    public let deploymentController: DeploymentController
    public let scheduler: Scheduler
    public var kubelets: [String: Kubelet] { kubeletRouter.kubelets }
    public let catalogue = ImageCatalogue()
    public let network = PodNetwork()
    /// kube-proxy on each node, programming that node's kernel from Services and EndpointSlices.
    public var kubeProxies: [String: KubeProxy] { proxyRegistry.proxies }
    /// The cloud controller manager's service controller (with `lb-pool`).
    public let serviceLBController: ServiceLBController?
    final class ProxyRegistry { var proxies: [String: KubeProxy] = [:] }
    let proxyRegistry = ProxyRegistry()
    public let storage = ClusterStorage()
    let random: () -> UInt64
    var preloadedImages: [String] = []
    let kubeletRouter: KubeletRouter
    /// Watch latency: how long a change takes to reach a component's cache.
    public static let watchLatency = SimDuration.milliseconds(5)
    /// The control-plane host's underlay address (the API server's advertise address).
    public static let controlPlaneAddress = "192.168.56.10"
    /// `settle` is done when no work is due within this long (longer than the kubelet's
    /// 5-minute maximum restart back-off, so a crash loop never looks settled).
    public static let quietPeriod = SimDuration.seconds(301)
    /// The bound `settle` stops at.
    public var settleLimit = SimDuration.minutes(10)

    public struct Options {
        public var nodes = 3
        public var seed: UInt64 = 1
        public var cpu = Quantity(4)
        public var memory = Quantity(parsing: "8Gi")!
        public var scoring = Scheduler.ScoringStrategy.leastAllocated
        /// etcd members (1, 3 or 5).
        public var etcd = 1
        /// flannel's backend, and how many L2 segments the nodes are spread over.
        public var flannelBackend = PodNetwork.Backend.vxlan
        public var segments = 1
        /// The CNI plugin, and Calico's pool encapsulation.
        public var cni = PodNetwork.Plugin.flannel
        public var calicoMode = CalicoMode()
        /// Weave Net's encryption (fastdp over IPsec ESP).
        public var weaveEncrypted = false
        /// The cluster (pod) CIDR; nil: 10.244.0.0/16, or 10.128.0.0/9 beyond 256 nodes.
        public var podCIDR: CIDR?
        /// The node network (`cluster node-network=10.0.0.0/24`): the control-plane host at
        /// .10, node N at .(10+N), the gateway at .1; with segments, segment S is the S-th
        /// subnet of that size. nil: 192.168.56.0/24 (a /16 past 244 nodes).
        public var nodeNetwork: CIDR?
        /// The node lifecycle controller's --node-monitor-grace-period (upstream 50 s).
        public var nodeMonitorGracePeriod = SimDuration.seconds(50)
        /// kube-proxy's --proxy-mode on every node.
        public var proxyMode = ProxyMode.iptables
        /// A simulated cloud's load-balancer address pool (`cluster lb-pool=CIDR`); nil: no
        /// cloud controller, LoadBalancer Services stay <pending>.
        public var lbPool: CIDR?
        /// Images every node's runtime already holds (a pre-baked node image).
        public var preloadedImages: [String] = []
        public init() {}
    }

    /// The agents hold each other through the clock's pending actions and the store's
    /// watches: dropping those frees the whole cluster with its last reference.
    deinit {
        clock.discardAll()
        store.stopWatches()
        let informers: [Informer?] = [podInformer, rsInformer, deploymentInformer, nodeInformer, namespaceInformer, leaseInformer,
                                      configInformer, secretInformer, jobInformer, cronJobInformer, daemonSetInformer, statefulSetInformer,
                                      hpaInformer, serviceInformer, endpointSliceInformer, endpointsInformer, networkPolicyInformer]
        for i in informers { i?.stop() }
    }

    public init(_ options: Options) {
        // One random source for the whole cluster (a box so closures share it).
        let box = RandomBox(SeededRandom(seed: options.seed))
        let next: () -> UInt64 = { box.next() }
        random = next
        store.raft = RaftGroup(size: options.etcd, clock: clock, random: next)
        api = APIServer(store: store, clock: clock, random: next)
        let endpointsBox = RandomBox(SeededRandom(seed: options.seed ^ 0x656e_6470_6f69_6e74))   // "endpoint"
        api.endpointsRandom = { endpointsBox.next() }
        podInformer = Informer(type: .pod, store: store, clock: clock, latency: Self.watchLatency)
        rsInformer = Informer(type: .replicaSet, store: store, clock: clock, latency: Self.watchLatency)
        deploymentInformer = Informer(type: .deployment, store: store, clock: clock, latency: Self.watchLatency)
        nodeInformer = Informer(type: .node, store: store, clock: clock, latency: Self.watchLatency)
        namespaceInformer = Informer(type: .namespace, store: store, clock: clock, latency: Self.watchLatency)
        leaseInformer = Informer(type: .lease, store: store, clock: clock, latency: Self.watchLatency)
        events = EventRecorder(api: api, clock: clock)
        replicaSetController = ReplicaSetController(api: api, clock: clock, pods: podInformer, replicaSets: rsInformer, events: events)
        deploymentController = DeploymentController(api: api, clock: clock, deployments: deploymentInformer, replicaSets: rsInformer, pods: podInformer, events: events)
        scheduler = Scheduler(api: api, clock: clock, pods: podInformer, nodes: nodeInformer, events: events, random: next)
        scheduler.scoringStrategy = options.scoring
        kubeletRouter = KubeletRouter()
        let router = kubeletRouter
        podInformer.addIndex(IndexName.node) { [$0.podNodeName ?? ""] }
        configInformer = Informer(type: .configMap, store: store, clock: clock, latency: Self.watchLatency)
        secretInformer = Informer(type: .secret, store: store, clock: clock, latency: Self.watchLatency)
        for informer in [configInformer!, secretInformer!] {
            informer.onChange { [router = kubeletRouter] e in
                guard e.kind != .added else { return }
                let m = e.object.metadata
                let data: [String: String]? = e.kind == .deleted ? nil : (e.object.configMap?.data ?? e.object.secret?.data)
                for k in router.kubelets.values { k.configChanged(secret: e.object.type == .secret, namespace: m.namespace ?? "default", name: m.name, data: data) }
            }
        }
        podInformer.onChange { e in
            if let node = e.object.podNodeName { router.kubelets[node]?.podChanged(e) }
        }
        jobInformer = Informer(type: .job, store: store, clock: clock, latency: Self.watchLatency)
        cronJobInformer = Informer(type: .cronJob, store: store, clock: clock, latency: Self.watchLatency)
        daemonSetInformer = Informer(type: .daemonSet, store: store, clock: clock, latency: Self.watchLatency)
        statefulSetInformer = Informer(type: .statefulSet, store: store, clock: clock, latency: Self.watchLatency)
        jobInformer.addIndex(IndexName.controller) { [$0.metadata.controllerRef?.uid ?? ""] }
        jobController = JobController(api: api, clock: clock, jobs: jobInformer, pods: podInformer, events: events)
        cronJobController = CronJobController(api: api, clock: clock, cronJobs: cronJobInformer, jobs: jobInformer, events: events)
        daemonSetController = DaemonSetController(api: api, clock: clock, daemonSets: daemonSetInformer, pods: podInformer, nodes: nodeInformer, events: events)
        statefulSetController = StatefulSetController(api: api, clock: clock, statefulSets: statefulSetInformer, pods: podInformer, events: events)
        serviceInformer = Informer(type: .service, store: store, clock: clock, latency: Self.watchLatency)
        endpointSliceInformer = Informer(type: .endpointSlice, store: store, clock: clock, latency: Self.watchLatency)
        endpointSliceController = EndpointSliceController(api: api, clock: clock, services: serviceInformer, pods: podInformer, slices: endpointSliceInformer)
        endpointsInformer = Informer(type: .endpoints, store: store, clock: clock, latency: Self.watchLatency)
        endpointsController = EndpointsController(api: api, clock: clock, services: serviceInformer, pods: podInformer, endpoints: endpointsInformer)
        dns = ClusterDNS(services: serviceInformer, slices: endpointSliceInformer)
        if let pool = options.lbPool {
            serviceLBController = ServiceLBController(api: api, clock: clock, services: serviceInformer, events: events, pool: pool)
        } else {
            serviceLBController = nil
        }
        network.dns = dns
        // Weave's IPALLOC_RANGE defaults to 10.32.0.0/12; the others use the cluster CIDR.
        let podCIDR = options.podCIDR ?? CIDR(parsing: options.cni == .weave ? "10.32.0.0/12" : (options.nodes > 256 ? "10.128.0.0/9" : "10.244.0.0/16"))!
        network.clusterCIDR = podCIDR
        network.backend = options.flannelBackend
        network.plugin = options.cni
        network.calicoMode = options.calicoMode
        network.weaveEncrypted = options.weaveEncrypted
        let simClock = clock
        network.now = { simClock.now }
        network.random = { UInt32(truncatingIfNeeded: next() >> 32) }
        segments = max(1, options.segments)
        proxyMode = options.proxyMode
        lbPool = options.lbPool
        nodeIPAMController = NodeIPAMController(api: api, nodes: nodeInformer, clusterCIDR: podCIDR)
        // flanneld on each node: programs the VXLAN routes from the Nodes' podCIDRs.
        let net = network
        let proxies = proxyRegistry
        nodeInformer.onChange { e in
            guard let n = e.object.node else { return }
            if e.kind == .deleted {
                net.removeNode(n.metadata.name)
                proxies.proxies.removeValue(forKey: n.metadata.name)?.stopped = true
                return
            }
            if let c = n.podCIDR, let cidr = CIDR(parsing: c) { net.setPodCIDR(n.metadata.name, cidr) }
        }
        nodeLifecycleController = NodeLifecycleController(api: api, clock: clock, nodes: nodeInformer, leases: leaseInformer, pods: podInformer, events: events)
        nodeLifecycleController.gracePeriod = options.nodeMonitorGracePeriod
        garbageCollector = GarbageCollector(api: api, clock: clock, informers: [deploymentInformer, rsInformer, podInformer, namespaceInformer, jobInformer, cronJobInformer, daemonSetInformer, statefulSetInformer, endpointSliceInformer])
        for ns in ["default", "kube-node-lease", "kube-public", "kube-system"] {
            _ = try? api.create(.namespace(Namespace(metadata: ObjectMeta(name: ns))), user: "system:apiserver")
        }
        // The API server's own Service: the first address of the service CIDR.
        var kube = ServiceSpec()
        kube.clusterIP = "10.96.0.1"
        kube.ports = [ServicePort(name: "https", port: 443, targetPort: "6443")]
        var kubeMeta = ObjectMeta(name: "kubernetes", namespace: "default", labels: ["component": "apiserver", "provider": "kubernetes"])
        kubeMeta.namespace = "default"
        _ = try? api.create(.service(Service(metadata: kubeMeta, spec: kube)), user: "system:apiserver")
        // The API server publishes its own address behind that Service (the lease endpoint
        // reconciler, pkg/controlplane/reconcilers): the control-plane host 192.168.56.10.
        var apiSlice = EndpointSlice(metadata: ObjectMeta(name: "kubernetes", namespace: "default", labels: [EndpointSlice.serviceNameLabel: "kubernetes"]))
        let controlPlane = IPv4Address((options.nodeNetwork?.network ?? IPv4Address(192, 168, 56, 0)).value + 10).description
        apiSlice.endpoints = [Endpoint(addresses: [controlPlane], ready: true, serving: true, terminating: false)]
        apiSlice.ports = [EndpointPort(name: "https", port: 6443)]
        _ = try? api.create(.endpointSlice(apiSlice), user: "system:apiserver")
        // …and in the legacy Endpoints of the same name, which the endpoints controller
        // leaves alone (the Service has no selector); the reconciler marks it skip-mirror
        // (pkg/controlplane/reconcilers/endpointsadapter.go).
        let apiEndpoints = Endpoints(metadata: ObjectMeta(name: "kubernetes", namespace: "default", labels: [Endpoints.skipMirrorLabel: "true"]),
                                     subsets: [EndpointSubset(addresses: [EndpointAddress(ip: controlPlane)], ports: [EndpointPort(name: "https", port: 6443)])])
        _ = try? api.create(.endpoints(apiEndpoints), user: "system:apiserver")
        preloadedImages = options.preloadedImages
        hpaInformer = Informer(type: .horizontalPodAutoscaler, store: store, clock: clock, latency: Self.watchLatency)
        hpaController = HorizontalPodAutoscalerController(api: api, clock: clock, hpas: hpaInformer, pods: podInformer, events: events) { [unowned self] p in
            self.usage(of: p).map { ["cpu": $0.cpu, "memory": $0.memory] }
        }
        networkPolicyInformer = Informer(type: .networkPolicy, store: store, clock: clock, latency: Self.watchLatency)
        if network.enforcesNetworkPolicy {
            policyAgent = PolicyAgent(clock: clock, policies: networkPolicyInformer, pods: podInformer, namespaces: namespaceInformer, network: network)
        }
        if let n = options.nodeNetwork {
            nodeNetwork = n.network
            underlayPrefix = n.prefixLength
        } else {
            underlayPrefix = options.nodes + 10 <= 254 ? 24 : 16
        }
        for i in 1...max(1, options.nodes) {
            let name = i == 1 && options.nodes == 1 ? "node1" : "node\(i)"
            addNode(name, index: i, cpu: options.cpu, memory: options.memory)
        }
        nodeCount = max(1, options.nodes)
        defaultCPU = options.cpu
        defaultMemory = options.memory
        _ = settle()
    }

    /// Node addresses on the underlay: 192.168.56.11, .12, … (a /24 for up to 244 nodes;
    /// bigger clusters count on into 192.168.57.x… on a /16).
    static func underlayAddress(_ index: Int) -> IPv4Address {
        IPv4Address(IPv4Address(192, 168, 56, 0).value + UInt32(10 + index))
    }
    var underlayPrefix = 24
    /// The first segment's network address (`node-network`).
    var nodeNetwork = IPv4Address(192, 168, 56, 0)
    /// kube-proxy's mode on every node (cluster proxy=MODE).
    public internal(set) var proxyMode = ProxyMode.iptables
    var segments = 1

    /// The client machine outside the cluster on the node network (`ssh external …`), made
    /// on first use at the first segment's .250. With a load-balancer pool, the pool is
    /// routed to node1, which answers for it as MetalLB's L2 mode announces an address
    /// from one node; kube-proxy's "loadbalancer IP" rules on that node take it from there.
    public func externalHost() -> NodeNet {
        if let n = network.node("external") { return n }
        var routes: [RouteEntry] = []
        if let pool = lbPool, let first = network.node("node1") { routes.append(RouteEntry(dst: pool, via: first.underlay, dev: "eth0")) }
        return network.addExternalHost("external", underlay: IPv4Address(nodeNetwork.value &+ 250), prefix: underlayPrefix, segment: 1, routes: routes)
    }
    public internal(set) var lbPool: CIDR?

    /// Whether the node network has an address for one more node (node N is at
    /// .(10+N), below the subnet's broadcast address).
    public var nodeNetworkHasRoom: Bool { nodeCount + 1 + 10 <= (1 << (32 - underlayPrefix)) - 2 }
    public var nodeNetworkDescription: String { "\(nodeNetwork)/\(underlayPrefix)" }

    /// Adds a node to a running cluster (`add node`): a new machine whose kubelet registers.
    public func joinNode(_ name: String, cpu: Quantity, memory: Quantity, labels: [String: String]) -> Kubelet {
        nodeCount += 1
        return addNode(name, index: nodeCount, cpu: cpu, memory: memory, labels: labels)
    }
    var nodeCount = 0
    public private(set) var defaultCPU = Quantity(4)
    public private(set) var defaultMemory = Quantity(8 << 30)

    @discardableResult
    public func addNode(_ name: String, index: Int, cpu: Quantity, memory: Quantity, labels: [String: String] = [:]) -> Kubelet {
        let k = Kubelet(nodeName: name, index: index, api: api, clock: clock, pods: podInformer, events: events, catalogue: catalogue, storage: storage, random: random)
        k.network = network
        // Nodes take turns over the segments: node1 in segment 1, node2 in 2, …
        let segment = (index - 1) % segments + 1
        // Segment S: the S-th subnet of the node network's size, counted from its first.
        let subnet = nodeNetwork.value &+ UInt32(segment - 1) &* (UInt32(1) << UInt32(32 - underlayPrefix))
        let underlay = IPv4Address(subnet &+ UInt32(10 + index))
        network.addNode(name, underlay: underlay, prefix: underlayPrefix, segment: segment)
        proxyRegistry.proxies[name] = KubeProxy(nodeName: name, nodeIP: underlay, clusterCIDR: network.clusterCIDR, mode: proxyMode, clock: clock,
                                      services: serviceInformer, slices: endpointSliceInformer, network: network)
        kubeletRouter.kubelets[name] = k
        for ref in preloadedImages { if let i = catalogue.lookup(ref) { k.runtime.images[i.reference] = i } }
        try? k.register(capacity: ["cpu": cpu, "memory": memory, "pods": Quantity(110), "ephemeral-storage": Quantity(parsing: "100Gi")!],
                        internalIP: underlay.description, labels: labels)
        return k
    }

    /// Advances simulated time by `d`, running every event due. Stops early, with the
    /// clock at the last event run, after `maxEvents` events (then `eventBudgetExhausted`
    /// is set) or when `interrupted` says so.
    public func tick(_ d: SimDuration, interrupted: () -> Bool = { false }, maxEvents: Int = .max, progress: (() -> Void)? = nil) {
        let (end, overflow) = clock.now.addingReportingOverflow(d.nanoseconds)
        var n = 0
        clock.run(until: overflow ? .max : end) {
            n += 1
            if n & 0x7FF == 0 { progress?() }
            if n > maxEvents { eventBudgetExhausted = true; return true }
            return interrupted()
        }
    }

    /// Set when a `tick` or `settle` stopped at its event budget; the bindings report it
    /// (and clear it) after the command.
    public var eventBudgetExhausted = false

    /// Runs until no component has work pending, at most `settleLimit`. Returns what is
    /// still changing when the bound was hit (empty when settled).
    @discardableResult
    public func settle(interrupted: () -> Bool = { false }, maxEvents: Int = .max, progress: (() -> Void)? = nil) -> [String] {
        let (deadline, overflow) = clock.now.addingReportingOverflow(settleLimit.nanoseconds)
        var n = 0
        while clock.pendingWork > 0, let t = clock.nextTime, overflow || t <= deadline {
            if interrupted() { break }
            if n >= maxEvents { eventBudgetExhausted = true; break }
            // Quiet: nothing but timers for a while (a container sleeping for an hour, a
            // memory leak that will matter in 20 minutes) — as settled as it gets.
            if let w = clock.nextWorkTime, w > clock.now + Self.quietPeriod.nanoseconds { return [] }
            clock.runNext()
            n += 1
            if n & 0x7FF == 0 { progress?() }
        }
        if clock.pendingWork == 0 { return [] }
        return Array(Set(clock.pendingLabels(through: deadline + Self.quietPeriod.nanoseconds))).sorted()
    }

    public var now: SimDuration { clock.nowDuration }
    public var etcd: RaftGroup { store.raft! }

    /// Pods bound and running (for progress lines), counted from the store.
    public var podCounts: (total: Int, bound: Int, running: Int) {
        let pods = store.list(.pod).compactMap(\.pod)
        return (pods.count, pods.filter { $0.spec.nodeName != nil }.count, pods.filter { $0.status.phase == "Running" }.count)
    }
}

/// Routes pod events to the kubelet of the pod's node.
final class KubeletRouter {
    var kubelets: [String: Kubelet] = [:]
}

/// Shares one SeededRandom between the components' closures.
final class RandomBox {
    var rng: SeededRandom
    init(_ rng: SeededRandom) { self.rng = rng }
    func next() -> UInt64 { rng.next() }
}

extension Cluster {
    /// What a running pod uses now (metrics-server's view): each running container's
    /// app model (its CPU, its memory with any leak), plus its share of any `load`.
    public func usage(of p: Pod) -> (cpu: Int64, memory: Int64)? {
        guard let node = p.spec.nodeName, let w = kubelets[node]?.worker(pod: p.metadata.uid) else { return nil }
        var cpu: Int64 = 0, mem: Int64 = 0
        for s in w.slots { if let pr = s.current?.process, !pr.exited { cpu += pr.app.cpuMilli; mem += pr.memory(at: clock.now) } }
        cpu += loadShare(of: p)
        return (cpu, mem)
    }

    /// The pod's share of the `load` demands whose selector matches it.
    public func loadShare(of p: Pod) -> Int64 {
        var extra: Int64 = 0
        for l in loads where l.namespace == (p.metadata.namespace ?? "default") && l.selector.matches(p.metadata.labels) {
            let sharing = api.list(.pod, namespace: l.namespace, selector: l.selector).compactMap(\.pod)
                .filter { $0.status.phase == "Running" && $0.metadata.deletionTimestamp == nil }.count
            extra += l.cpuMilli / Int64(max(1, sharing))
        }
        return extra
    }
}
