import KubeSimCore
import KubeSimNet
import KubeSimControl
import KubeSimAPI

/// The node agent (pkg/kubelet): registers its Node, renews its Lease, watches the pods
/// bound to its node and runs them through a containerd-like runtime with the CRI verbs
/// — RunPodSandbox, PullImage, CreateContainer, StartContainer — init containers first.
/// It restarts containers with the upstream back-off (10 s doubling to 5 min), runs
/// probes, stops pods gracefully (SIGTERM, grace period, SIGKILL) and reports every
/// change through the API server: pod status, events, node status.
public final class Kubelet {
    public let nodeName: String
    let api: APIServer
    let clock: EventQueue
    let pods: Informer
    let events: EventRecorder
    public let runtime: ContainerRuntime
    public let catalogue: ImageCatalogue
    let storage: ClusterStorage
    /// The pod network the CNI plugin programs (shared by the cluster's nodes).
    public var network: PodNetwork?
    /// The kubelet's log (`journalctl -u kubelet`): simulated time and line. The lines
    /// every pod start writes are kept as their parts and formatted when read.
    public enum JournalLine {
        case text(String)
        case syncLoopAdd(pod: String, namespace: String)
        case sandbox(id: RawID, pod: String, namespace: String, ip: String)
        case started(container: String, pod: String, namespace: String, id: RawID)

        public var text: String {
            switch self {
            case .text(let s): return s
            case let .syncLoopAdd(pod, ns): return "SyncLoop ADD source=\"api\" pods=[\"\(ns)/\(pod)\"]"
            case let .sandbox(id, pod, ns, ip):
                return "RunPodSandbox from runtime service succeeded podSandboxID=\"\(ContainerRuntime.hex(id).prefix(13))\" pod=\"\(ns)/\(pod)\" ip=\"\(ip)\""
            case let .started(c, pod, ns, id):
                return "Started container \(c) in pod \(ns)/\(pod) containerID=\"containerd://\(ContainerRuntime.hex(id).prefix(13))\""
            }
        }
    }
    var journalEntries: [(time: Int64, line: JournalLine)] = []
    public var journal: [(time: Int64, line: String)] { journalEntries.map { ($0.time, $0.line.text) } }
    /// Image ids and names as pod status shows them, one string per image.
    var imageStatusNames: [String: (id: String, name: String)] = [:]
    var workers: [String: PodWorker] = [:]
    var dirty: [String] = []
    var flushScheduled = false
    let podCIDRBase: String
    /// Whether the kubelet process runs and whether it can reach the API server.
    public private(set) var running = true
    public private(set) var partitioned = false
    var leaseTimer: EventQueue.Handle?
    /// Memory of the node and the eviction manager's state (pkg/kubelet/eviction).
    public private(set) var memoryCapacity: Int64 = 8 << 30
    var pressureTimer: EventQueue.Handle?
    var pressureSince: Int64?
    var lastPressureObserved: Int64?
    /// evictionHard memory.available<100Mi; housekeeping every 10 s; the condition stays
    /// for evictionPressureTransitionPeriod (5 min) after the pressure is gone.
    public static let evictionThreshold: Int64 = 100 << 20
    public static let housekeeping = SimDuration.seconds(10)
    public static let pressureTransitionPeriod = SimDuration.minutes(5)
    /// What the OS, kubelet and containerd themselves hold.
    public static let systemMemory: Int64 = 600 << 20
    /// Memory of running processes at their start and how many leak: the eviction
    /// manager's fast path (nothing leaking, far from the threshold) needs no walk.
    var baseMemory: Int64 = 0
    var leaking = 0
    public let user: String
    /// The node's InternalIP (status.hostIP of its pods).
    public private(set) var hostIP: String?
    /// Compiled programs by image and command, shared by every container that runs them.
    var programs: [String: [Instr]] = [:]
    var saFiles: [String: FileStore] = [:]
    var serviceEnvCache: [String: (version: String, env: [(String, String)])] = [:]
    var sharedEnvCache: [String: (version: String, links: Int, env: [(String, String)])] = [:]

    // Upstream timings.
    /// RunPodSandbox including CNI ADD.
    public static let sandboxTime = SimDuration.milliseconds(500)
    /// CreateContainer + StartContainer.
    public static let containerStartTime = SimDuration.milliseconds(100)
    /// Registry bandwidth for pulls (bytes per second) and per-pull overhead.
    public static let pullBandwidth: Int64 = 50 << 20
    public static let pullOverhead = SimDuration.milliseconds(400)
    /// pkg/kubelet/kubelet.go: backOffPeriod 10 s, MaxContainerBackOff 300 s.
    public static let initialBackOff = SimDuration.seconds(10)
    public static let maxBackOff = SimDuration.seconds(300)
    /// PLEG relist period: how soon the kubelet notices a container died.
    public static let plegPeriod = SimDuration.seconds(1)
    /// Lease renew interval: 25% of the 40 s lease duration (pkg/kubelet/nodelease).
    public static let leaseRenewInterval = NodeLifecycleController.kubeletLeaseRenewInterval
    public static let leaseDurationSeconds = 40

    /// Fixed-delay steps of every pod (sandbox creation, container start) wait in FIFOs
    /// with one clock event per instant, as a pod worker's steps queue in the kubelet.
    lazy var sandboxQueue = FIFOTimer(clock: clock, delay: Self.sandboxTime, label: "kubelet \(nodeName): creating pod sandboxes")
    lazy var startQueue = FIFOTimer(clock: clock, delay: Self.containerStartTime, label: "kubelet \(nodeName): starting containers")

    public init(nodeName: String, index: Int, api: APIServer, clock: EventQueue, pods: Informer, events: EventRecorder,
                catalogue: ImageCatalogue, storage: ClusterStorage, random: @escaping () -> UInt64) {
        self.nodeName = nodeName
        self.api = api
        self.clock = clock
        self.pods = pods
        self.events = events
        self.catalogue = catalogue
        self.storage = storage
        self.runtime = ContainerRuntime(random: random)
        self.podCIDRBase = "10.244.\(index)."
        self.user = "system:node:\(nodeName)"
        if let pause = catalogue.lookup("registry.k8s.io/pause:3.9") { runtime.images[pause.reference] = pause }
    }

    /// journald keeps a bounded journal; so does this one.
    public static let journalLimit = 500

    func log(_ s: String) { log(.text(s)) }

    func log(_ line: JournalLine) {
        if journalEntries.count >= Self.journalLimit { journalEntries.removeFirst(Self.journalLimit / 2) }
        journalEntries.append((clock.now, line))
    }

    func imageStatus(_ image: ImageSpec) -> (id: String, name: String) {
        if let s = imageStatusNames[image.reference] { return s }
        let s = (image.repository + "@sha256:" + image.id,
                 image.reference.hasPrefix("docker.io/library/") ? String(image.reference.dropFirst(18)) : image.reference)
        imageStatusNames[image.reference] = s
        return s
    }

    // MARK: - node registration, lease, status

    /// Registers the Node (as the kubelet does at start) and starts renewing its Lease.
    public func register(capacity: [String: Quantity], internalIP: String, labels: [String: String]) throws {
        var meta = ObjectMeta(name: nodeName)
        meta.labels = labels.merging(["kubernetes.io/hostname": nodeName, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"]) { a, _ in a }
        var node = Node(metadata: meta, capacity: capacity, internalIP: internalIP)
        node.conditions = Self.healthyConditions(now: clock.now)
        node.images = runtime.nodeImages.map { NodeImage(names: $0.names, sizeBytes: $0.size) }
        try api.create(.node(node), user: user)
        hostIP = internalIP
        if let m = capacity["memory"]?.value { memoryCapacity = m }
        log("Successfully registered node \(nodeName)")
        renewLease()
    }

    static func healthyConditions(now: Int64) -> [NodeCondition] {
        [NodeCondition(type: "MemoryPressure", status: "False", reason: "KubeletHasSufficientMemory", message: "kubelet has sufficient memory available", lastHeartbeatTime: now, lastTransitionTime: now),
         NodeCondition(type: "DiskPressure", status: "False", reason: "KubeletHasNoDiskPressure", message: "kubelet has no disk pressure", lastHeartbeatTime: now, lastTransitionTime: now),
         NodeCondition(type: "PIDPressure", status: "False", reason: "KubeletHasSufficientPID", message: "kubelet has sufficient PID available", lastHeartbeatTime: now, lastTransitionTime: now),
         NodeCondition(type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status", lastHeartbeatTime: now, lastTransitionTime: now)]
    }

    /// Creates or renews `kube-node-lease/<node>` (renewTime = now), every 10 s.
    func renewLease() {
        leaseTimer = nil
        guard running, !partitioned else { return }
        let now = ManifestTime.micro(clock.now)
        if (try? api.modify(.lease, namespace: "kube-node-lease", name: nodeName, user: user, { o in
            guard case .stored(var s) = o else { return }
            s.setField(["spec", "renewTime"], json: "\"\(now)\"")
            o = .stored(s)
        })) == nil {
            var meta = ObjectMeta(name: nodeName, namespace: "kube-node-lease")
            meta.ownerReferences = [OwnerReference(apiVersion: "v1", kind: "Node", name: nodeName, uid: (try? api.get(.node, namespace: nil, name: nodeName))?.metadata.uid ?? "")]
            var s = StoredObject(type: .lease, metadata: meta)
            s.setField(["spec", "holderIdentity"], json: "\"\(nodeName)\"")
            s.setField(["spec", "leaseDurationSeconds"], json: "\(Self.leaseDurationSeconds)")
            s.setField(["spec", "renewTime"], json: "\"\(now)\"")
            _ = try? api.create(.stored(s), user: user)
        }
        leaseTimer = clock.schedule(after: Self.leaseRenewInterval, label: "kubelet \(self.nodeName) lease", background: true) { [weak self] in self?.renewLease() }
    }

    /// After a partition heals or the kubelet restarts: Ready again, lease renewed.
    func reportReady() {
        _ = try? api.modify(.node, namespace: nil, name: nodeName, user: user) { o in
            guard var n = o.node else { return }
            let now = clock.now
            for (i, c) in Self.healthyConditions(now: now).enumerated() {
                if let j = n.conditions.firstIndex(where: { $0.type == c.type }) {
                    if n.conditions[j].status != c.status { n.conditions[j].lastTransitionTime = now }
                    n.conditions[j].status = c.status; n.conditions[j].reason = c.reason; n.conditions[j].message = c.message
                    n.conditions[j].lastHeartbeatTime = now
                } else { n.conditions.insert(c, at: min(i, n.conditions.count)) }
            }
            o = .node(n)
        }
    }

    func publishImages() {
        let images = runtime.nodeImages.map { NodeImage(names: $0.names, sizeBytes: $0.size) }
        _ = try? api.modify(.node, namespace: nil, name: nodeName, user: user) { o in
            guard var n = o.node, n.images != images else { return }
            n.images = images
            o = .node(n)
        }
    }

    // MARK: - faults

    /// `fail node`: the machine stops — kubelet and every container with it.
    public func fail() {
        guard running else { return }
        running = false
        network?.node(nodeName)?.up = false
        network?.node(nodeName)?.downSince = clock.now
        network?.freeze(nodeName)
        log("Stopping kubelet (node failure)")
        for w in workers.values { w.halt() }
        if let t = leaseTimer { clock.cancel(t) }
    }

    /// `partition node`: the kubelet cannot reach the API server; containers keep running.
    public func partition() {
        partitioned = true
        network?.freeze(nodeName)   // flanneld cannot reach the API server either
        log("Unable to update node status: Post \"https://10.96.0.1:443/api/v1/nodes\": dial tcp 10.96.0.1:443: i/o timeout")
        if let t = leaseTimer { clock.cancel(t) }
    }

    /// `recover node`: the kubelet (re)starts or reaches the API server again; it reports
    /// Ready, renews its lease and reconciles its pods with what the API server says.
    public func recover() {
        let wasDown = !running
        running = true
        partitioned = false
        log(wasDown ? "Starting kubelet" : "Connection to API server restored")
        network?.node(nodeName)?.up = true
        if network?.node(nodeName)?.downSince != nil { network?.node(nodeName)?.joinedAt = clock.now }
        network?.node(nodeName)?.downSince = nil
        network?.thaw(nodeName)
        if wasDown {
            // The machine rebooted: containers are gone; sandboxes are recreated.
            if let net = network?.node(nodeName) {
                for ip in net.podAddresses { network?.cniDel(node: nodeName, ip: ip) }
            }
            for w in workers.values { w.halt() }
            workers.removeAll()
            runtime.sandboxes.removeAll()
            ipsInUse.removeAll()
        }
        reportReady()
        renewLease()
        resync()
        // The status manager's periodic sync puts the kubelet's view back.
        for w in workers.values { statusChanged(w) }
    }

    /// Reconciles with the API server's view of the pods bound here.
    func resync() {
        let mine = Set(pods.byIndex(IndexName.node, nodeName).compactMap { $0.pod?.metadata.uid })
        for (uid, w) in workers where !mine.contains(uid) { w.halt(); w.removeSandbox(); workers.removeValue(forKey: uid) }
        for o in pods.byIndex(IndexName.node, nodeName) { if let p = o.pod { handle(p, deleted: false) } }
    }

    // MARK: - pods

    /// A pod bound to this node changed (the cluster routes each pod event to the
    /// kubelet of its node, as a field-selected watch `spec.nodeName=NODE` would).
    public func podChanged(_ e: WatchEvent) {
        guard let p = e.object.pod else { return }
        handle(p, deleted: e.kind == .deleted)
    }

    func handle(_ p: Pod, deleted: Bool) {
        guard running, !partitioned, p.spec.nodeName == nodeName else { return }
        let uid = p.metadata.uid
        if deleted {
            if let w = workers.removeValue(forKey: uid) { w.halt(); w.removeSandbox() }
            return
        }
        if let w = workers[uid] {
            w.pod = p
            if p.isTerminating { w.terminate() } else { w.syncEphemeral() }
            return
        }
        if p.status.phase == "Succeeded" || p.status.phase == "Failed" {
            if p.isTerminating { _ = try? api.delete(.pod, namespace: p.metadata.namespace, name: p.metadata.name, gracePeriod: 0, user: user) }
            return
        }
        if p.isTerminating {
            // Never started here (or started before a reboot): nothing to stop.
            _ = try? api.delete(.pod, namespace: p.metadata.namespace, name: p.metadata.name, gracePeriod: 0, user: user)
            return
        }
        let w = PodWorker(pod: p, kubelet: self)
        workers[uid] = w
        w.start()
    }

    /// The node's pod range, once the node IPAM controller has set spec.podCIDR.
    var podCIDR: CIDR?
    /// host-local IPAM (containernetworking/plugins ipam/host-local): the gateway is the
    /// range's first address (cni0), pods get the next free address after the last one
    /// handed out, wrapping at the end of the range; freed addresses wait their turn.
    var ipsInUse: Set<UInt32> = []
    var lastReserved: UInt32?
    /// The address allocateIP handed out last (for CNI ADD, without parsing it back).
    var lastAllocated: IPv4Address?

    func allocateIP() -> String? {
        if let net = network, net.plugin == .calico {
            // calico-ipam: an address from one of the node's blocks.
            lastAllocated = net.calicoAllocate(node: nodeName)
            return lastAllocated?.description
        }
        if let net = network, net.plugin == .weave {
            // Weave's IPAM: an address from the space this peer owns.
            lastAllocated = net.weaveAllocate(node: nodeName)
            return lastAllocated?.description
        }
        if podCIDR == nil, let c = (try? api.get(.node, namespace: nil, name: nodeName))?.node?.podCIDR { podCIDR = CIDR(parsing: c) }
        guard let cidr = podCIDR else { return nil }
        let first = cidr.network.value + 2, last = cidr.broadcast.value - 1
        guard first <= last else { return nil }
        var candidate = lastReserved.map { $0 >= last ? first : $0 + 1 } ?? first
        for _ in first...last {
            if !ipsInUse.contains(candidate) {
                ipsInUse.insert(candidate)
                lastReserved = candidate
                lastAllocated = IPv4Address(candidate)
                return lastAllocated!.description
            }
            candidate = candidate >= last ? first : candidate + 1
        }
        return nil
    }

    func releaseIP(_ ip: String) {
        // (Calico's addresses go back to its blocks with CNI DEL.)
        if let a = IPv4Address(parsing: ip) { ipsInUse.remove(a.value) }
    }

    /// Marks a pod's status for writing; writes coalesce within an instant, as the
    /// kubelet's status manager batches them.
    func statusChanged(_ w: PodWorker, evenInRound: Bool = false) {
        if w.startsInFlight > 0 && !evenInRound { w.statusDeferred = true; return }
        if !w.dirty { w.dirty = true; dirty.append(w.uid) }
        guard !flushScheduled else { return }
        flushScheduled = true
        clock.schedule(after: .zero, label: "kubelet \(self.nodeName) status") { [weak self] in self?.flush() }
    }

    func flush() {
        flushScheduled = false
        let list = dirty
        dirty.removeAll()
        for uid in list {
            guard let w = workers[uid] else { continue }
            w.dirty = false
            guard running, !partitioned else { continue }
            let status = w.status()
            let result = Result { try api.modify(.pod, namespace: w.pod.metadata.namespace, name: w.pod.metadata.name, user: user) { o in
                guard var p = o.pod, p.metadata.uid == uid else { return }
                p.status = status
                o = .pod(p)
            } }
            switch result {
            case .success(let updated): if let p = updated.pod { w.pod.metadata = p.metadata }
            case .failure(let e):
                // The status manager retries on its next sync (10 s) unless the pod is gone.
                if let a = e as? APIError, a.reason == "NotFound" { continue }
                clock.schedule(after: .seconds(10), label: "kubelet \(self.nodeName) status retry", background: true) { [weak self, weak w] in
                    guard let self, let w, self.workers[w.uid] === w else { return }
                    self.statusChanged(w)
                }
                continue
            }
            if w.finished { w.deleteFromAPI() }
        }
    }

    public func worker(pod uid: String) -> PodWorker? { workers[uid] }

    /// A ConfigMap or Secret changed: the kubelet refreshes the volumes of its pods that
    /// mount it on its next periodic sync (syncFrequency 1 m), as projected files do.
    public func configChanged(secret: Bool, namespace: String, name: String, data: [String: String]?) {
        for w in workers.values {
            guard w.pod.metadata.namespace == namespace, let sb = w.sandbox else { continue }
            for v in w.pod.spec.volumes {
                let items: [KeyToPath]
                switch v.source {
                case let .configMap(n, i, _) where !secret && n == name: items = i
                case let .secret(n, i, _) where secret && n == name: items = i
                default: continue
                }
                guard let store = sb.volumes[v.name] else { continue }
                clock.schedule(after: Self.configSyncPeriod, label: "kubelet \(self.nodeName): refresh volume \(v.name) of \(w.pod.metadata.name)", background: false) {
                    let d = data ?? [:]
                    if items.isEmpty { store.files = d } else { store.files = [:]; for i in items { if let x = d[i.key] { store.files[i.path] = x } } }
                    for s in w.slots { for p in s.probes { p.dirty = true } }
                }
            }
        }
    }
    public static let configSyncPeriod = SimDuration.seconds(60)

    func claimStore(namespace: String, claim: String) -> FileStore {
        let key = namespace + "/" + claim
        if let s = storage.claims[key] { return s }
        let s = FileStore()
        storage.claims[key] = s
        return s
    }

    /// `kill container POD/C` (SIGKILL) or every container of a pod.
    public func kill(podUID: String, container: String?) -> Bool {
        guard let w = workers[podUID] else { return false }
        var any = false
        for slot in w.slots where container == nil || slot.spec.name == container {
            if let r = slot.current, r.state == .running { w.containerExited(slot, code: 137, reason: "Error", message: nil); any = true }
        }
        return any
    }
}

/// Wall-clock-free timestamps for objects the kubelet writes as kept fields.
public enum ManifestTime {
    /// `2026-01-01T00:00:12.000000Z` (a Lease's MicroTime).
    public static func micro(_ ns: Int64) -> String {
        var b = Array(ContainerProcess.stamp(ns).utf8.dropLast())
        var us = Int((ns % 1_000_000_000) / 1000)
        var digits = [UInt8](repeating: 48, count: 6)
        for i in stride(from: 5, through: 0, by: -1) { digits[i] = UInt8(48 + us % 10); us /= 10 }
        b.append(46)
        b += digits
        b.append(90)
        return String(decoding: b, as: UTF8.self)
    }
}

/// Actions after one fixed delay, in order: a FIFO and one clock event per due instant.
final class FIFOTimer {
    let clock: EventQueue
    let delay: SimDuration
    let label: String
    private var items: [(due: Int64, run: () -> Void)] = []
    private var head = 0
    private var timerDue: Int64 = -1

    init(clock: EventQueue, delay: SimDuration, label: String) { self.clock = clock; self.delay = delay; self.label = label }

    func add(_ run: @escaping () -> Void) {
        let due = clock.now + delay.nanoseconds
        items.append((due, run))
        if timerDue != due {
            timerDue = due
            clock.schedule(at: due, label: label) { [weak self] in self?.drain(through: due) }
        }
    }

    private func drain(through t: Int64) {
        while head < items.count, items[head].due <= t {
            let f = items[head].run
            head += 1
            f()
        }
        if head == items.count { items.removeAll(keepingCapacity: true); head = 0 }
        else if head > 1024 { items.removeFirst(head); head = 0 }
    }
}
