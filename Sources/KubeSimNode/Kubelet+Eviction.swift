import KubeSimCore
import KubeSimNet
import KubeSimControl
import KubeSimAPI

/// The kubelet's eviction manager (pkg/kubelet/eviction): memory.available against the
/// hard threshold, MemoryPressure, and evicting pods ranked as upstream ranks them.
extension Kubelet {
    // MARK: - eviction manager

    /// Running processes and their memory now.
    var runningProcesses: [(PodWorker, ContainerSlot, ContainerProcess)] {
        var out: [(PodWorker, ContainerSlot, ContainerProcess)] = []
        for w in workers.values where !w.halted {
            for s in w.slots { if let p = s.current?.process, !p.exited { out.append((w, s, p)) } }
        }
        return out
    }

    /// memory.available as the eviction manager computes it.
    public func memoryAvailable(at t: Int64) -> Int64 {
        memoryCapacity - Self.systemMemory - runningProcesses.reduce(0) { $0 + $1.2.memory(at: t) }
    }

    /// Plans the next eviction check: memory use grows linearly with leaks, so the time
    /// the threshold is crossed is known; the check runs at the next housekeeping tick.

    func processStarted(_ p: ContainerProcess) {
        baseMemory += p.app.memory
        if p.app.leakPerMinute + p.extraLeakPerMinute > 0 { leaking += 1 }
    }

    func processStopped(_ p: ContainerProcess, leakAdded: Bool = false) {
        baseMemory -= p.app.memory
        if p.app.leakPerMinute + p.extraLeakPerMinute > 0 { leaking -= 1 }
    }

    func replanPressure() {
        guard running else { return }
        if leaking == 0 && pressureSince == nil && pressureTimer == nil && memoryCapacity - Self.systemMemory - baseMemory >= Self.evictionThreshold { return }
        if let t = pressureTimer { clock.cancel(t); pressureTimer = nil }
        let procs = runningProcesses
        let rate = procs.reduce(Int64(0)) { $0 + $1.2.app.leakPerMinute + $1.2.extraLeakPerMinute }
        let available = memoryAvailable(at: clock.now)
        var due: Int64?
        if available < Self.evictionThreshold || pressureSince != nil { due = clock.now }
        else if rate > 0 { due = clock.now + Self.minutesToNs(available - Self.evictionThreshold, perMinute: rate) }
        guard var at = due else { return }
        let period = Self.housekeeping.nanoseconds
        at = ((at + period - 1) / period) * period
        if at <= clock.now { at += period }
        pressureTimer = clock.schedule(at: at, label: "kubelet \(self.nodeName): eviction manager (memory.available)") { [weak self] in
            self?.pressureTimer = nil
            self?.evictionCheck()
        }
    }

    /// How long until `bytes` more are used at `perMinute` (ns, rounded up; no overflow).
    static func minutesToNs(_ bytes: Int64, perMinute: Int64) -> Int64 {
        let (whole, rest) = bytes.quotientAndRemainder(dividingBy: perMinute)
        let minute: Int64 = 60_000_000_000
        guard whole < Int64.max / minute / 2 else { return Int64.max / 2 }
        return whole * minute + (rest * 1_000_000 / perMinute) * 60_000 + 1
    }

    func evictionCheck() {
        guard running else { return }
        let now = clock.now
        let available = memoryAvailable(at: now)
        if available < Self.evictionThreshold {
            lastPressureObserved = now
            if pressureSince == nil { pressureSince = now; setMemoryPressure(true) }
            evictOne(available: available)
        } else if let last = lastPressureObserved, now - last >= Self.pressureTransitionPeriod.nanoseconds {
            pressureSince = nil
            lastPressureObserved = nil
            setMemoryPressure(false)
        }
        if pressureSince != nil || available < Self.evictionThreshold {
            if let t = pressureTimer { clock.cancel(t) }
            pressureTimer = clock.schedule(after: Self.housekeeping, label: "kubelet \(self.nodeName): eviction manager (memory pressure)") { [weak self] in
                self?.pressureTimer = nil
                self?.evictionCheck()
            }
        } else {
            replanPressure()
        }
    }

    func setMemoryPressure(_ on: Bool) {
        log(on ? "Eviction manager: attempting to reclaim resourceName=\"memory\"" : "Node condition MemoryPressure is now False")
        _ = try? api.modify(.node, namespace: nil, name: nodeName, user: user) { o in
            guard var n = o.node, let i = n.conditions.firstIndex(where: { $0.type == "MemoryPressure" }) else { return }
            n.conditions[i].status = on ? "True" : "False"
            n.conditions[i].reason = on ? "KubeletHasInsufficientMemory" : "KubeletHasSufficientMemory"
            n.conditions[i].message = on ? "kubelet has insufficient memory available" : "kubelet has sufficient memory available"
            n.conditions[i].lastTransitionTime = clock.now
            n.conditions[i].lastHeartbeatTime = clock.now
            o = .node(n)
        }
        if let n = try? api.get(.node, namespace: nil, name: nodeName) {
            events.record(n, reason: on ? "NodeHasInsufficientMemory" : "NodeHasSufficientMemory",
                          message: "Node \(nodeName) status is now: \(on ? "NodeHasInsufficientMemory" : "NodeHasSufficientMemory")", source: "kubelet", user: user)
        }
    }

    /// rankMemoryPressure (pkg/kubelet/eviction/helpers.go): pods using more than they
    /// requested first, then by priority (all equal here), then by how far above their
    /// request they are. One pod per housekeeping cycle.
    func evictOne(available: Int64) {
        let now = clock.now
        var usage: [String: (w: PodWorker, used: Int64, request: Int64, top: (String, Int64))] = [:]
        for (w, s, p) in runningProcesses {
            let m = p.memory(at: now)
            var e = usage[w.uid] ?? (w, 0, 0, (s.spec.name, 0))
            e.used += m
            e.request += s.spec.resources.requests["memory"]?.value ?? 0
            if m > e.top.1 { e.top = (s.spec.name, m) }
            usage[w.uid] = e
        }
        let ranked = usage.values.sorted { a, b in
            let ax = a.used > a.request, bx = b.used > b.request
            if ax != bx { return ax }
            let ad = a.used - a.request, bd = b.used - b.request
            return ad != bd ? ad > bd : a.w.pod.metadata.name < b.w.pod.metadata.name
        }
        guard let victim = ranked.first else { return }
        let ki = available / 1024
        let message = "The node was low on resource: memory. Threshold quantity: 100Mi, available: \(ki)Ki. Container \(victim.top.0) was using \(victim.top.1 / 1024)Ki, request is \(victim.request == 0 ? "0" : "\(victim.request / 1024)Ki"), has larger consumption of memory. "
        log("Eviction manager: pods ranked for eviction pod=\"\(victim.w.pod.metadata.namespace ?? "default")/\(victim.w.pod.metadata.name)\"")
        victim.w.evict(message: message)
    }

    func program(_ image: ImageSpec, _ c: Container) -> [Instr] {
        let key = image.reference + "\u{0}" + c.command.joined(separator: "\u{1}") + "\u{0}" + c.args.joined(separator: "\u{1}")
        if let p = programs[key] { return p }
        let p = ShellCompiler.program(image: image, command: c.command, args: c.args)
        if programs.count < 1000 { programs[key] = p }
        return p
    }

    /// The projected service-account volume, one per namespace and account.
    func serviceAccountFiles(_ pod: Pod) -> FileStore {
        let key = (pod.metadata.namespace ?? "default") + "/" + pod.spec.serviceAccountName
        if let s = saFiles[key] { return s }
        let s = FileStore(readOnly: true)
        s.files = ["namespace": pod.metadata.namespace ?? "default", "token": "eyJhbGciOiJSUzI1NiJ9.simulated.\(pod.spec.serviceAccountName)", "ca.crt": "-----BEGIN CERTIFICATE-----\n(simulated cluster CA)\n-----END CERTIFICATE-----"]
        saFiles[key] = s
        return s
    }

    /// PATH first, the service links, HOME last: what every container of a namespace
    /// shares (one array, not a copy per container).
    func sharedEnv(namespace ns: String) -> [(String, String)] {
        let links = serviceEnv(namespace: ns)
        if let c = sharedEnvCache[ns], c.links == links.count, c.version == serviceEnvCache[ns]?.version { return c.env }
        let env = [("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")] + links + [("HOME", "/root")]
        sharedEnvCache[ns] = (serviceEnvCache[ns]?.version ?? "", links.count, env)
        return env
    }

    /// Service links (enableServiceLinks, pkg/kubelet/envvars): every Service of the
    /// namespace that exists when a container starts, plus the API server's; computed
    /// once per namespace and set of Services.
    func serviceEnv(namespace ns: String) -> [(String, String)] {
        var services = api.list(.service, namespace: ns).compactMap { o -> Service? in if case .service(let s) = o { return s } else { return nil } }
        if ns != "default", let k = try? api.get(.service, namespace: "default", name: "kubernetes"), case .service(let s) = k { services.append(s) }
        services.sort { $0.metadata.name < $1.metadata.name }
        let version = services.map { "\($0.metadata.name)@\($0.metadata.resourceVersion)" }.joined(separator: ",")
        if let c = serviceEnvCache[ns], c.version == version { return c.env }
        var env: [(String, String)] = []
        for svc in services {
            guard let ip = svc.spec.clusterIP, ip != "None", let first = svc.spec.ports.first else { continue }
            let prefix = svc.metadata.name.uppercased().replacingOccurrences("-", "_")
            env.append(("\(prefix)_SERVICE_HOST", ip))
            env.append(("\(prefix)_SERVICE_PORT", String(first.port)))
            for port in svc.spec.ports { if let n = port.name, !n.isEmpty { env.append(("\(prefix)_SERVICE_PORT_\(n.uppercased().replacingOccurrences("-", "_"))", String(port.port))) } }
            env.append(("\(prefix)_PORT", "\(first.protocol.lowercased())://\(ip):\(first.port)"))
            for port in svc.spec.ports {
                let p = port.protocol.lowercased(), key = "\(prefix)_PORT_\(port.port)_\(port.protocol.uppercased())"
                env.append((key, "\(p)://\(ip):\(port.port)"))
                env.append((key + "_PROTO", p))
                env.append((key + "_PORT", String(port.port)))
                env.append((key + "_ADDR", ip))
            }
        }
        serviceEnvCache[ns] = (version, env)
        return env
    }

}
