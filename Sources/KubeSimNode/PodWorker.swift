import KubeSimCore
import KubeSimNet
import KubeSimControl
import KubeSimAPI

/// A probe of one container (pkg/kubelet/prober/worker.go): runs every periodSeconds
/// after initialDelaySeconds; a result flips after successThreshold successes or
/// failureThreshold failures in a row.
final class ProbeRunner {
    enum Kind: String { case liveness = "Liveness", readiness = "Readiness", startup = "Startup" }
    let kind: Kind
    let probe: Probe
    var successes = 0
    var failures = 0
    var result: Bool?
    var timer: EventQueue.Handle?
    /// Something the probe looks at changed since it last ran.
    var dirty = true
    init(kind: Kind, probe: Probe) { self.kind = kind; self.probe = probe }
}

/// One container of a pod as the kubelet tracks it across restarts.
public final class ContainerSlot {
    /// The container's spec, read from the pod (not copied into every slot).
    public var spec: Container {
        isEphemeral ? worker.pod.spec.ephemeralContainers[index] : isInit ? worker.pod.spec.initContainers[index] : worker.pod.spec.containers[index]
    }
    unowned let worker: PodWorker
    let index: Int
    public let isInit: Bool
    /// An ephemeral (debug) container: started when added, never restarted, not
    /// counted for the pod's readiness or phase.
    public let isEphemeral: Bool
    /// One of the pod's app containers (neither init nor ephemeral).
    public var isApp: Bool { !isInit && !isEphemeral }
    public var status: ContainerStatus
    public var current: ContainerRecord?
    /// flowcontrol.Backoff entry: current duration and when it was last raised.
    var backoff: (duration: SimDuration, lastUpdate: Int64)?
    var pullBackoff: (duration: SimDuration, lastUpdate: Int64)?
    var timers: [EventQueue.Handle] = []
    var probes: [ProbeRunner] = []
    var stopping = false
    /// When a leaking container reaches its memory limit.
    var oomTimer: EventQueue.Handle?
    /// CreateContainer/StartContainer queued.
    var starting = false
    /// Started by the pod's sync round in progress (PodWorker.startsInFlight).
    var inRound = false
    var done: Bool { if case .terminated(let c, _, _, _, _) = status.state { return isInit && c == 0 } else { return false } }
    init(worker: PodWorker, index: Int, isInit: Bool, isEphemeral: Bool = false) {
        self.worker = worker
        self.index = index
        self.isInit = isInit
        self.isEphemeral = isEphemeral
        let spec = isEphemeral ? worker.pod.spec.ephemeralContainers[index] : isInit ? worker.pod.spec.initContainers[index] : worker.pod.spec.containers[index]
        status = ContainerStatus(name: spec.name, image: spec.image, state: .waiting(reason: isInit ? "PodInitializing" : "ContainerCreating", message: nil))
        status.started = false
    }
}

/// The kubelet's per-pod worker: sandbox, images, containers, probes, termination.
public final class PodWorker {
    public internal(set) var pod: Pod
    unowned let kubelet: Kubelet
    let uid: String
    public private(set) var sandbox: Sandbox?
    var network: PodNetwork? { kubelet.network }
    public private(set) var slots: [ContainerSlot] = []
    var dirty = false
    var terminating = false
    var finished = false
    var halted = false
    var startTime: Int64
    var timers: [EventQueue.Handle] = []
    var volumeBackoff = SimDuration.milliseconds(500)
    /// Set when the eviction manager evicted the pod (status reason Evicted).
    var evicted: String?
    /// Containers of the sync round in progress that have not started (or failed to)
    /// yet. The kubelet's SyncPod (pkg/kubelet/kuberuntime/kuberuntime_manager.go)
    /// starts a pod's containers one after another, each pulling its image, and the
    /// pod's status is generated before that sync and after it: a status change during
    /// the round is written when the round ends, so a pod of N containers costs a few
    /// status writes, not N.
    var startsInFlight = 0
    /// A status change waits for the round to end.
    var statusDeferred = false
    /// Containers are being killed together (eviction): their sockets are written once.
    var socketsSuspended = false

    var clock: EventQueue { kubelet.clock }
    var podRef: String { "\(pod.metadata.name)_\(pod.metadata.namespace ?? "default")(\(uid))" }

    init(pod: Pod, kubelet: Kubelet) {
        self.pod = pod
        self.kubelet = kubelet
        self.uid = pod.metadata.uid
        self.startTime = kubelet.clock.now
        slots = []
        slots = pod.spec.initContainers.indices.map { ContainerSlot(worker: self, index: $0, isInit: true) }
            + pod.spec.containers.indices.map { ContainerSlot(worker: self, index: $0, isInit: false) }
        if !pod.spec.initContainers.isEmpty {
            for s in slots where s.isApp { s.status.state = .waiting(reason: "PodInitializing", message: nil) }
        }
        slots += pod.spec.ephemeralContainers.indices.map { ContainerSlot(worker: self, index: $0, isInit: false, isEphemeral: true) }
    }

    /// Starts the ephemeral containers added to the pod since (the kubelet sees them
    /// in a pod update, as it does after the ephemeralcontainers subresource is written).
    func syncEphemeral() {
        let known = slots.filter(\.isEphemeral).count
        guard pod.spec.ephemeralContainers.count > known, sandbox != nil, !terminating, !halted else { return }
        for i in known..<pod.spec.ephemeralContainers.count {
            let slot = ContainerSlot(worker: self, index: i, isInit: false, isEphemeral: true)
            slots.append(slot)
            startContainer(slot)
        }
        kubelet.statusChanged(self)
    }

    func event(_ type: String = "Normal", _ reason: String, _ message: String) {
        kubelet.events.record(.pod(pod), type: type, reason: reason, message: message, source: "kubelet", user: kubelet.user)
    }

    /// `pod NS/NAME: ` — the start of every label this worker's timers carry.
    var labelPrefix: String { "pod \(pod.metadata.namespace ?? "default")/\(pod.metadata.name): " }

    func after(_ d: SimDuration, _ label: String, background: Bool = false, _ f: @escaping () -> Void) -> EventQueue.Handle {
        clock.schedule(after: d, label: labelPrefix + label, background: background) { [weak self] in
            guard let self, !self.halted else { return }
            f()
        }
    }

    func start() {
        kubelet.log(.syncLoopAdd(pod: pod.metadata.name, namespace: pod.metadata.namespace ?? "default"))
        kubelet.statusChanged(self)
        kubelet.sandboxQueue.add { [weak self] in
            guard let self, !self.halted else { return }
            self.createSandbox()
        }
    }

    // MARK: - sandbox and volumes

    func createSandbox() {
        timers.removeAll()
        guard !terminating else { return }
        // Volumes first: a missing ConfigMap or Secret keeps the pod in ContainerCreating
        // and the kubelet retries (pkg/kubelet/volumemanager).
        var stores: [String: FileStore] = [:]
        for v in pod.spec.volumes {
            switch v.source {
            case .emptyDir, .hostPath:
                stores[v.name] = FileStore()
            case let .configMap(name, items, optional), let .secret(name, items, optional):
                let isSecret: Bool = { if case .secret = v.source { return true } else { return false } }()
                let data: [String: String]? = isSecret
                    ? (try? kubelet.api.get(.secret, namespace: pod.metadata.namespace, name: name))?.secretData
                    : (try? kubelet.api.get(.configMap, namespace: pod.metadata.namespace, name: name))?.configMapData
                guard let data else {
                    if optional { stores[v.name] = FileStore(readOnly: true); continue }
                    event("Warning", "FailedMount", "MountVolume.SetUp failed for volume \"\(v.name)\" : \(isSecret ? "secret" : "configmap") \"\(name)\" not found")
                    timers.append(after(volumeBackoff, "waiting for volume \(v.name)") { [unowned self] in self.createSandbox() })
                    volumeBackoff = SimDuration(nanoseconds: min(volumeBackoff.nanoseconds * 2, SimDuration.seconds(122).nanoseconds))
                    return
                }
                let store = FileStore(readOnly: true)
                if items.isEmpty { store.files = data } else { for i in items { if let x = data[i.key] { store.files[i.path] = x } } }
                stores[v.name] = store
            case .persistentVolumeClaim(let claim, _):
                stores[v.name] = kubelet.claimStore(namespace: pod.metadata.namespace ?? "default", claim: claim)
            }
        }
        // CNI ADD: an address from the node's range (host-local IPAM).
        guard let ip = kubelet.allocateIP() else {
            event("Warning", "FailedCreatePodSandBox", "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox: \(kubelet.network?.plugin == .calico ? "plugin type=\"calico\" failed (add): failed to request IPv4 addresses: Assigned 0 out of 1 requested IPv4 addresses; No more free affine blocks and strict affinity enabled" : "plugin type=\"flannel\" failed (add): failed to allocate for range 0: no IP addresses available in range set")")
            timers.append(after(.seconds(5), "retrying pod sandbox") { [unowned self] in self.createSandbox() })
            return
        }
        let sb = Sandbox(id: kubelet.runtime.newRawID(), podUID: uid, podName: pod.metadata.name, namespace: pod.metadata.namespace ?? "default", createdAt: clock.now)
        sb.volumes = stores
        sb.ip = ip
        if let net = kubelet.network, let a = kubelet.lastAllocated {
            // The bridge plugin's veth name: "veth" and 8 hex digits.
            let hex = String(sb.rawID.a >> 32, radix: 16)
            net.cniAdd(node: kubelet.nodeName, veth: "veth" + String(repeating: "0", count: 8 - hex.count) + hex, pod: pod.metadata.name, namespace: pod.metadata.namespace ?? "default", ip: a)
            if net.node(kubelet.nodeName)?.hasPod(at: a) == true { net.attach(worker: self, ip: a) }
        }
        sandbox = sb
        syncSockets()
        kubelet.runtime.sandboxes[uid] = sb
        kubelet.log(.sandbox(id: sb.rawID, pod: pod.metadata.name, namespace: pod.metadata.namespace ?? "default", ip: sb.ip ?? ""))
        startNext()
    }

    /// Init containers one at a time, in order; then every app container.
    func startNext() {
        guard !terminating else { return }
        if let next = slots.first(where: { $0.isInit && !$0.done }) {
            if next.current == nil && next.timers.isEmpty && !next.starting { startInRound([next]) }
            return
        }
        startInRound(slots.filter { !$0.isInit && $0.current == nil && $0.timers.isEmpty && !$0.starting })   // ephemeral ones too
    }

    // MARK: - images

    func startContainer(_ slot: ContainerSlot) {
        let ref = slot.spec.image
        let present = kubelet.runtime.hasImage(ref)
        let policy = slot.spec.imagePullPolicy
        if policy == "Never" && present == nil {
            setWaiting(slot, "ErrImageNeverPull", "Container image \"\(ref)\" is not present with pull policy of Never")
            event("Warning", "ErrImageNeverPull", "Container image \"\(ref)\" is not present with pull policy of Never")
            event("Warning", "Failed", "Error: ErrImageNeverPull")
            return
        }
        if let image = present, policy != "Always" {
            event("Normal", "Pulled", "Container image \"\(ref)\" already present on machine")
            create(slot, image)
            return
        }
        let requested = clock.now
        let begin = max(requested, kubelet.runtime.pullBusyUntil)
        let found = kubelet.catalogue.lookup(ref)
        let key = ImageCatalogue.normalize(ref)
        // Pulls are serial; a pull queued behind one of the same image finds its layers
        // already there and only checks the manifest.
        let layersComing = kubelet.runtime.pulling[key].map { $0 <= begin } ?? false
        let duration: SimDuration
        if let image = found {
            let transfer = image.sizeBytes * 1000 / Kubelet.pullBandwidth * 1_000_000   // whole milliseconds
            duration = present != nil || layersComing ? Kubelet.pullOverhead : SimDuration(nanoseconds: Kubelet.pullOverhead.nanoseconds + transfer)
        } else {
            duration = .seconds(1)
        }
        kubelet.runtime.pullBusyUntil = begin + duration.nanoseconds
        if found != nil { kubelet.runtime.pulling[key] = begin + duration.nanoseconds }
        kubelet.statusChanged(self, evenInRound: true)
        slot.timers.append(after(SimDuration(nanoseconds: begin - requested), "pulling \(ref)") { [unowned self] in
            self.event("Normal", "Pulling", "Pulling image \"\(ref)\"")
            self.kubelet.log("Pulling image \"\(ref)\"")
        })
        slot.timers.append(after(SimDuration(nanoseconds: begin - requested + duration.nanoseconds), "pulling \(ref)") { [unowned self] in
            slot.timers.removeAll()
            guard let image = found else { self.pullFailed(slot, ref); return }
            self.kubelet.runtime.images[image.reference] = image
            self.kubelet.publishImages()
            let took = SimDuration(nanoseconds: duration.nanoseconds), waited = SimDuration(nanoseconds: self.clock.now - requested)
            self.event("Normal", "Pulled", "Successfully pulled image \"\(ref)\" in \(took) (\(waited) including waiting). Image size: \(image.sizeBytes) bytes.")
            slot.pullBackoff = nil
            self.create(slot, image)
        })
    }

    func pullFailed(_ slot: ContainerSlot, _ ref: String) {
        let full = ImageCatalogue.normalize(ref)
        let why = "rpc error: code = NotFound desc = failed to pull and unpack image \"\(full)\": failed to resolve reference \"\(full)\": \(full): not found"
        event("Warning", "Failed", "Failed to pull image \"\(ref)\": \(why)")
        event("Warning", "Failed", "Error: ErrImagePull")
        setWaiting(slot, "ErrImagePull", why)
        // The next sync finds the pull in back-off: ImagePullBackOff, and a retry later.
        let b = Self.nextBackoff(slot.pullBackoff, now: clock.now)
        slot.pullBackoff = b
        slot.timers.append(after(Kubelet.plegPeriod, "image pull back-off") { [unowned self] in
            self.event("Normal", "BackOff", "Back-off pulling image \"\(ref)\"")
            self.event("Warning", "Failed", "Error: ImagePullBackOff")
            self.setWaiting(slot, "ImagePullBackOff", "Back-off pulling image \"\(ref)\"")
        })
        slot.timers.append(after(b.duration, "image pull back-off \(b.duration)") { [unowned self] in
            slot.timers.removeAll()
            self.startContainer(slot)
        })
    }

    /// flowcontrol.Backoff.Next: initial 10 s, doubled up to 5 min, reset after 2×max idle.
    static func nextBackoff(_ b: (duration: SimDuration, lastUpdate: Int64)?, now: Int64) -> (duration: SimDuration, lastUpdate: Int64) {
        if let b, now - b.lastUpdate <= 2 * Kubelet.maxBackOff.nanoseconds {
            return (SimDuration(nanoseconds: min(b.duration.nanoseconds * 2, Kubelet.maxBackOff.nanoseconds)), now)
        }
        return (Kubelet.initialBackOff, now)
    }

    func setWaiting(_ slot: ContainerSlot, _ reason: String, _ message: String?) {
        slot.status.state = .waiting(reason: reason, message: message)
        slot.status.ready = false
        endRound(slot)
        kubelet.statusChanged(self)
    }

    // MARK: - containers

    /// The container's environment as the kubelet builds it (pkg/kubelet/kubelet_pods.go
    /// makeEnvironmentVariables): envFrom, then env, with references resolved.
    func environment(_ c: Container) -> Result<[(String, String)], String> {
        var env: [(String, String)] = []
        if c.envFrom.isEmpty && c.env.isEmpty { return .success(env) }
        func set(_ k: String, _ v: String) { if let i = env.firstIndex(where: { $0.0 == k }) { env[i].1 = v } else { env.append((k, v)) } }
        let ns = pod.metadata.namespace
        for from in c.envFrom {
            let data: [String: String]?
            if let cm = from.configMap { data = (try? kubelet.api.get(.configMap, namespace: ns, name: cm))?.configMapData
                if data == nil && !from.optional { return .failure("configmap \"\(cm)\" not found") } }
            else if let sec = from.secret { data = (try? kubelet.api.get(.secret, namespace: ns, name: sec))?.secretData
                if data == nil && !from.optional { return .failure("secret \"\(sec)\" not found") } }
            else { data = nil }
            for (k, v) in (data ?? [:]).sorted(by: { $0.key < $1.key }) { set((from.prefix ?? "") + k, v) }
        }
        for e in c.env {
            if let v = e.value { set(e.name, Self.expandRefs(v, env + kubelet.sharedEnv(namespace: ns ?? "default"))); continue }
            switch e.valueFrom {
            case let .configMapKey(name, key, optional)?:
                guard let data = (try? kubelet.api.get(.configMap, namespace: ns, name: name))?.configMapData else {
                    if optional { continue }; return .failure("configmap \"\(name)\" not found")
                }
                guard let v = data[key] else { if optional { continue }; return .failure("couldn't find key \(key) in ConfigMap \(ns ?? "default")/\(name)") }
                set(e.name, v)
            case let .secretKey(name, key, optional)?:
                guard let data = (try? kubelet.api.get(.secret, namespace: ns, name: name))?.secretData else {
                    if optional { continue }; return .failure("secret \"\(name)\" not found")
                }
                guard let v = data[key] else { if optional { continue }; return .failure("couldn't find key \(key) in Secret \(ns ?? "default")/\(name)") }
                set(e.name, v)
            case .field(let path)?:
                switch path {
                case "metadata.name": set(e.name, pod.metadata.name)
                case "metadata.namespace": set(e.name, ns ?? "default")
                case "metadata.uid": set(e.name, uid)
                case "spec.nodeName": set(e.name, kubelet.nodeName)
                case "spec.serviceAccountName": set(e.name, pod.spec.serviceAccountName)
                case "status.podIP": set(e.name, sandbox?.ip ?? "")
                case "status.hostIP": set(e.name, (try? kubelet.api.get(.node, namespace: nil, name: kubelet.nodeName))?.node?.internalIP ?? "")
                default:
                    if path.hasPrefix("metadata.labels['"), let k = path.split(separator: "'").dropFirst().first { set(e.name, pod.metadata.labels[String(k)] ?? "") }
                }
            case nil: set(e.name, "")
            }
        }
        return .success(env)
    }

    /// `$(VAR)` references to earlier variables, as Kubernetes expands them in env values.
    static func expandRefs(_ v: String, _ env: [(String, String)]) -> String {
        guard v.contains("$(") else { return v }
        var out = v
        for (k, x) in env { out = out.replacingOccurrences("$(\(k))", x) }
        return out
    }

    func create(_ slot: ContainerSlot, _ image: ImageSpec) {
        guard !terminating, let sb = sandbox else { endRound(slot); return }
        let env: [(String, String)]
        switch environment(slot.spec) {
        case .success(let e): env = e
        case .failure(let why):
            setWaiting(slot, "CreateContainerConfigError", why)
            event("Warning", "Failed", "Error: \(why)")
            slot.timers.append(after(.seconds(10), "waiting for config") { [unowned self] in slot.timers.removeAll(); self.startContainer(slot) })
            return
        }
        slot.starting = true
        kubelet.startQueue.add { [weak self, weak slot] in
            guard let self, let slot, !self.halted else { return }
            slot.starting = false
            self.run(slot, image, env: env, sandbox: sb)
        }
    }

    func run(_ slot: ContainerSlot, _ image: ImageSpec, env: [(String, String)], sandbox sb: Sandbox) {
        guard !terminating else { endRound(slot); return }
        let rt = kubelet.runtime
        // Two containers of a pod share the network namespace: a port already bound fails.
        let imageBox = rt.box(image)
        let record = ContainerRecord(id: rt.newRawID(), name: slot.spec.name, image: imageBox, podUID: uid, sandboxID: sb.rawID, attempt: slot.status.restartCount, createdAt: clock.now)
        rt.add(record)
        // containerd keeps the previous (exited) instance for `logs --previous`; older go.
        rt.prune(podUID: uid, name: slot.spec.name, keep: 2)
        event("Normal", "Created", "Created container \(slot.spec.name)")
        var mounts: [(String, FileStore, Bool)] = []
        for m in slot.spec.volumeMounts { if let store = sb.volumes[m.name] { mounts.append((m.mountPath, store, m.readOnly)) } }
        mounts.append(("/var/run/secrets/kubernetes.io/serviceaccount", kubelet.serviceAccountFiles(pod), true))
        let code = kubelet.program(image, slot.spec)
        let process = ContainerProcess(image: imageBox, code: code, env: (kubelet.sharedEnv(namespace: pod.metadata.namespace ?? "default"), env), hostname: pod.spec.hostname ?? pod.metadata.name, clock: clock,
                                       root: nil, mounts: mounts)
        process.owner = self
        process.slot = slot
        process.netns = self
        record.process = process
        record.state = .running
        slot.current = record
        event("Normal", "Started", "Started container \(slot.spec.name)")
        kubelet.log(.started(container: slot.spec.name, pod: pod.metadata.name, namespace: pod.metadata.namespace ?? "default", id: record.rawID))
        if let last = slot.current.flatMap({ _ in slot.status.state }), case .terminated = last { slot.status.lastState = last }
        slot.status.state = .running(startedAt: clock.now)
        slot.status.containerID = "containerd://" + record.id
        (slot.status.imageID, slot.status.image) = kubelet.imageStatus(image)
        slot.status.started = slot.spec.startupProbe == nil
        slot.status.ready = slot.isApp && slot.spec.readinessProbe == nil && slot.spec.startupProbe == nil
        kubelet.processStarted(process)
        scheduleOOM(slot, process)
        startProbes(slot)
        kubelet.replanPressure()
        endRound(slot)
        kubelet.statusChanged(self)
        process.start()
    }


    /// A leaking app reaches its memory limit at a computable time: OOMKilled then.
    func scheduleOOM(_ slot: ContainerSlot, _ process: ContainerProcess) {
        guard let limit = slot.spec.resources.limits["memory"]?.value else { return }
        let rate = process.app.leakPerMinute + process.extraLeakPerMinute
        let base = process.memory(at: clock.now)
        if base > limit {
            slot.oomTimer = after(.milliseconds(10), "OOM") { [unowned self] in self.oomKill(slot) }
            return
        }
        guard rate > 0 else { return }
        let ns = Kubelet.minutesToNs(limit - base, perMinute: rate)
        slot.oomTimer = after(SimDuration(nanoseconds: ns), "container \(slot.spec.name) memory reaches its limit") { [unowned self] in self.oomKill(slot) }
    }

    func oomKill(_ slot: ContainerSlot) {
        guard let p = slot.current?.process, !p.exited else { return }
        kubelet.log("OOM killed container \(slot.spec.name) in pod \(pod.metadata.name): memory limit \(slot.spec.resources.limits["memory"]?.description ?? "")")
        containerExited(slot, code: 137, reason: "OOMKilled", message: nil)
    }

    /// A `leak RATE` fault on a running app: re-plans its OOM time.
    public func addLeak(container: String?, perMinute: Int64) -> Bool {
        var any = false
        for slot in slots where container == nil || slot.spec.name == container {
            guard let p = slot.current?.process, !p.exited else { continue }
            if p.app.leakPerMinute + p.extraLeakPerMinute == 0 && perMinute > 0 { kubelet.leaking += 1 }
            p.extraLeakPerMinute += perMinute
            if let t = slot.oomTimer { clock.cancel(t); slot.oomTimer = nil }
            scheduleOOM(slot, p)
            any = true
        }
        kubelet.replanPressure()
        return any
    }

    /// A `crash` fault: the app exits with the code now.
    public func crash(container: String?, code: Int) -> Bool {
        var any = false
        for slot in slots where container == nil || slot.spec.name == container {
            guard let p = slot.current?.process, !p.exited else { continue }
            p.log("panic: simulated crash")
            containerExited(slot, code: code, reason: "Error", message: nil)
            any = true
        }
        return any
    }

    func containerExited(_ slot: ContainerSlot, code: Int, reason: String, message: String?) {
        guard let record = slot.current, record.state == .running else { return }
        if let p = record.process { kubelet.processStopped(p) }
        record.process?.stop()
        // Its sockets close with it: the table changes only if it had any.
        if record.process?.listening.isEmpty == false { syncSockets() }
        record.state = .exited
        record.exitCode = code
        record.finishedAt = clock.now
        for p in slot.probes { if let t = p.timer { clock.cancel(t) } }
        slot.probes.removeAll()
        for t in slot.timers { clock.cancel(t) }
        slot.timers.removeAll()
        if let t = slot.oomTimer { clock.cancel(t); slot.oomTimer = nil }
        let startedAt: Int64 = { if case .running(let s) = slot.status.state { return s } else { return record.createdAt } }()
        slot.status.state = .terminated(exitCode: code, reason: reason, message: message, startedAt: startedAt, finishedAt: clock.now)
        slot.status.ready = false
        slot.status.started = false
        slot.stopping = false
        kubelet.log("Container \(slot.spec.name) in pod \(pod.metadata.namespace ?? "default")/\(pod.metadata.name) exited with code \(code) (\(reason))")
        kubelet.statusChanged(self)
        if evicted != nil { return }
        if terminating { finishIfStopped(); return }
        let restart: Bool
        switch pod.spec.restartPolicy {
        case "Never": restart = false
        case "OnFailure": restart = code != 0
        default: restart = true
        }
        if slot.isEphemeral { return }   // never restarted
        if slot.isInit {
            if code == 0 { startNext(); return }
            // A failed init container is retried unless restartPolicy is Never.
            if pod.spec.restartPolicy == "Never" { return }
        } else if !restart {
            return
        }
        slot.timers.append(after(Kubelet.plegPeriod, "restarting container \(slot.spec.name)") { [unowned self] in self.restartCheck(slot) })
    }

    /// pkg/kubelet/kuberuntime/kuberuntime_manager.go doBackOff: a container that died
    /// within its current back-off waits (CrashLoopBackOff); otherwise it restarts and
    /// the back-off grows.
    func restartCheck(_ slot: ContainerSlot) {
        slot.timers.removeAll()
        guard !terminating, let finishedAt = slot.current?.finishedAt else { return }
        if let b = slot.backoff, clock.now - finishedAt < b.duration.nanoseconds {
            let msg = "back-off \(b.duration) restarting failed container=\(slot.spec.name) pod=\(podRef)"
            slot.status.lastState = slot.status.state
            slot.status.state = .waiting(reason: "CrashLoopBackOff", message: msg)
            event("Warning", "BackOff", "Back-off restarting failed container \(slot.spec.name) in pod \(podRef)")
            kubelet.log("Error syncing pod, skipping: failed to \"StartContainer\" for \"\(slot.spec.name)\" with CrashLoopBackOff: \"\(msg)\"")
            kubelet.statusChanged(self)
            slot.timers.append(clock.schedule(at: finishedAt + b.duration.nanoseconds, label: "pod \(self.pod.metadata.name): CrashLoopBackOff \(slot.spec.name)") { [weak self, unowned slot] in
                guard let self, !self.halted else { return }
                self.restartCheck(slot)
            })
            return
        }
        slot.backoff = Self.nextBackoff(slot.backoff, now: clock.now)
        if case .terminated = slot.status.state { slot.status.lastState = slot.status.state }
        slot.status.restartCount += 1
        slot.current = nil
        startContainer(slot)
    }

    /// Whether the pod namespace's socket table has a listener on the port.
    public func podListens(_ port: Int) -> Bool { socketTable.contains { $0.port == port } }

    // MARK: - termination

    /// The eviction manager's hard eviction: containers killed at once (grace 0), the
    /// pod Failed with reason Evicted; its controller makes a replacement.
    func evict(message: String) {
        event("Warning", "Evicted", message)
        evicted = message
        terminating = true
        abandonRound()
        for t in timers { clock.cancel(t) }
        // Every socket closes with the sandbox: one table write, not one per container.
        socketsSuspended = true
        for slot in slots {
            for t in slot.timers { clock.cancel(t) }
            slot.timers.removeAll()
            if let p = slot.current?.process, !p.exited { containerExited(slot, code: 137, reason: "Error", message: nil) }
        }
        socketsSuspended = false
        syncSockets()
        removeSandbox()
        kubelet.statusChanged(self)
        kubelet.replanPressure()
    }

    /// Graceful termination (pkg/kubelet/kuberuntime killContainer): SIGTERM to every
    /// container, SIGKILL to those still running when the grace period ends, then the
    /// sandbox goes and the kubelet deletes the pod with grace 0.
    func terminate() {
        guard !terminating else { return }
        terminating = true
        abandonRound()
        for t in timers { clock.cancel(t) }
        timers.removeAll()
        let deadline = pod.metadata.deletionTimestamp ?? clock.now
        for slot in slots {
            for t in slot.timers { clock.cancel(t) }
            slot.timers.removeAll()
            for p in slot.probes { if let t = p.timer { clock.cancel(t) } }
            guard let process = slot.current?.process, !process.exited else { continue }
            event("Normal", "Killing", "Stopping container \(slot.spec.name)")
            let handlesTerm = process.app.shutdownTime.map { _ in !process.app.runsCommand } ?? false
            let exitAt = handlesTerm ? min(clock.now + process.app.shutdownTime!.nanoseconds, deadline) : deadline
            let graceful = handlesTerm && exitAt < deadline
            slot.timers.append(clock.schedule(at: exitAt, label: "pod \(self.pod.metadata.name): stopping container \(slot.spec.name)") { [weak self, unowned slot] in
                guard let self, !self.halted else { return }
                self.containerExited(slot, code: graceful ? 0 : 137, reason: graceful ? "Completed" : "Error", message: nil)
            })
        }
        finishIfStopped()
    }

    func finishIfStopped() {
        guard terminating, !finished else { return }
        guard !slots.contains(where: { $0.current?.process.map { !$0.exited } ?? false }) else { return }
        finished = true
        removeSandbox()
        kubelet.statusChanged(self)
    }

    func removeSandbox() {
        guard let sb = sandbox else { return }
        kubelet.runtime.prune(podUID: uid, name: nil, keep: 0)
        if let ip = sb.ip {
            kubelet.releaseIP(ip)
            if let a = IPv4Address(parsing: ip) { kubelet.network?.cniDel(node: kubelet.nodeName, ip: a) }
        }
        kubelet.runtime.sandboxes.removeValue(forKey: uid)
        sandbox = nil
    }

    func deleteFromAPI() {
        kubelet.log("SyncLoop DELETE pods=[\"\(pod.metadata.namespace ?? "default")/\(pod.metadata.name)\"]")
        _ = try? kubelet.api.delete(.pod, namespace: pod.metadata.namespace, name: pod.metadata.name, gracePeriod: 0, user: kubelet.user)
    }

    /// The machine stopped: every process and timer ends, nothing is reported.
    func halt() {
        halted = true
        abandonRound(report: false)
        for t in timers { clock.cancel(t) }
        for slot in slots {
            for t in slot.timers { clock.cancel(t) }
            for p in slot.probes { if let t = p.timer { clock.cancel(t) } }
            if let r = slot.current, r.state == .running {
                if let p = r.process { kubelet.processStopped(p) }
                r.state = .exited; r.exitCode = 255; r.finishedAt = clock.now
            }
            slot.current?.process?.stop()
        }
    }

    // MARK: - status

    /// The pod status the kubelet reports (pkg/kubelet/kubelet_pods.go generateAPIPodStatus).
    func status() -> PodStatus {
        var s = pod.status
        let now = clock.now
        s.hostIP = kubelet.hostIP
        s.podIP = sandbox?.ip ?? (finished ? nil : s.podIP)
        if s.startTime == nil { s.startTime = startTime }
        s.qosClass = pod.qosClass
        s.initContainerStatuses = slots.filter(\.isInit).map(\.status)
        s.containerStatuses = slots.filter(\.isApp).map(\.status)
        s.ephemeralContainerStatuses = slots.filter(\.isEphemeral).map(\.status)
        s.restartCount = s.containerStatuses.reduce(0) { $0 + $1.restartCount }
        let initDone = slots.allSatisfy { !$0.isInit || $0.done }
        s.phase = phase(initDone: initDone)
        if let why = evicted {
            s.phase = "Failed"
            s.reason = "Evicted"
            s.message = why
        }
        let ready = slots.filter(\.isApp).allSatisfy(\.status.ready)
        let notReady = slots.filter { $0.isApp && !$0.status.ready }.map(\.spec.name)
        var conds: [PodCondition] = []
        func cond(_ type: String, _ ok: Bool, _ reason: String?, _ message: String?) {
            var c = s.condition(type) ?? PodCondition(type: type, status: "", reason: nil, message: nil, lastTransitionTime: now)
            let status = ok ? "True" : "False"
            if c.status != status { c.lastTransitionTime = now }
            c.status = status
            c.reason = ok ? nil : reason
            c.message = ok ? nil : message
            conds.append(c)
        }
        let done = s.phase == "Succeeded" || s.phase == "Failed"
        cond("PodReadyToStartContainers", sandbox != nil, nil, nil)
        let pendingInit = slots.filter { $0.isInit && !$0.done }.map(\.spec.name)
        cond("Initialized", initDone, "ContainersNotInitialized", "containers with incomplete status: [\(pendingInit.joined(separator: " "))]")
        let reason = done ? "PodCompleted" : "ContainersNotReady"
        cond("Ready", ready && !done, reason, done ? nil : "containers with unready status: [\(notReady.joined(separator: " "))]")
        cond("ContainersReady", ready && !done, reason, done ? nil : "containers with unready status: [\(notReady.joined(separator: " "))]")
        if let sched = s.condition("PodScheduled") { conds.append(sched) }
        s.conditions = conds
        return s
    }

    /// getPhase (pkg/kubelet/kubelet_pods.go).
    func phase(initDone: Bool) -> String {
        if !initDone {
            let failedInit = slots.contains { $0.isInit && ($0.status.state.terminatedExitCode.map { $0 != 0 } ?? false) }
            return failedInit && pod.spec.restartPolicy == "Never" ? "Failed" : "Pending"
        }
        var running = 0, waiting = 0, stopped = 0, succeeded = 0
        for slot in slots where slot.isApp {
            switch slot.status.state {
            case .running: running += 1
            case .terminated(let code, _, _, _, _): stopped += 1; if code == 0 { succeeded += 1 }
            case .waiting: if slot.status.lastState != nil { stopped += 1 } else { waiting += 1 }
            }
        }
        if waiting > 0 { return "Pending" }
        if running > 0 { return "Running" }
        if stopped > 0 {
            if pod.spec.restartPolicy == "Always" { return "Running" }
            if stopped == succeeded { return "Succeeded" }
            if pod.spec.restartPolicy == "Never" { return "Failed" }
            return "Running"
        }
        return "Pending"
    }
}

extension APIObject {
    var configMapData: [String: String]? { if case .configMap(let c) = self { return c.data } else { return nil } }
    var secretData: [String: String]? { if case .secret(let s) = self { return s.data } else { return nil } }
}

/// The datapath asks the pod behind an address whether it listens (PodNetwork.worker(at:)).
extension PodWorker: PodServer {}
