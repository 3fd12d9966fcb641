import KubeSimCore
import KubeSimNet
import KubeSimControl
import KubeSimAPI

/// Liveness, readiness and startup probes (pkg/kubelet/prober) of a pod's containers.
extension PodWorker {
    // MARK: - probes

    func startProbes(_ slot: ContainerSlot) {
        let c = slot.spec
        if let p = c.startupProbe { slot.probes.append(ProbeRunner(kind: .startup, probe: p)) }
        if let p = c.livenessProbe { slot.probes.append(ProbeRunner(kind: .liveness, probe: p)) }
        if let p = c.readinessProbe { slot.probes.append(ProbeRunner(kind: .readiness, probe: p)) }
        for p in slot.probes { schedule(p, slot, after: .seconds(Int64(p.probe.initialDelaySeconds))) }
    }

    func schedule(_ p: ProbeRunner, _ slot: ContainerSlot, after d: SimDuration) {
        // Work for `settle` while the outcome may still change; a steady probe is a background timer.
        let steady = !p.dirty && p.failures == 0 && p.result != nil && (p.kind != .readiness || slot.status.ready) && (p.kind != .startup || slot.status.started == true)
        p.timer = after(d, "\(p.kind.rawValue.lowercased()) probe \(slot.spec.name)", background: steady) { [unowned self] in self.runProbe(p, slot) }
    }

    func runProbe(_ p: ProbeRunner, _ slot: ContainerSlot) {
        guard let process = slot.current?.process, !process.exited, !terminating else { return }
        defer { if slot.current?.process === process && !process.exited && !slot.stopping { schedule(p, slot, after: .seconds(Int64(p.probe.periodSeconds))) } }
        // Liveness and readiness wait for the startup probe.
        if p.kind != .startup && slot.status.started != true { return }
        if p.kind == .startup && slot.status.started == true { return }
        p.dirty = false
        let (ok, why) = evaluate(p.probe, slot, process)
        if ok {
            p.failures = 0
            p.successes += 1
            if p.successes >= p.probe.successThreshold && p.result != true { p.result = true; probeFlipped(p, slot, true) }
        } else {
            p.successes = 0
            p.failures += 1
            event("Warning", "Unhealthy", "\(p.kind.rawValue) probe failed: \(why)")
            kubelet.log("Probe failed probeType=\"\(p.kind.rawValue)\" pod=\"\(pod.metadata.namespace ?? "default")/\(pod.metadata.name)\" containerName=\"\(slot.spec.name)\" probeResult=\"failure\" output=\"\(why)\"")
            if p.failures >= p.probe.failureThreshold && p.result != false { p.result = false; probeFlipped(p, slot, false) }
            else if p.failures >= p.probe.failureThreshold && p.kind != .readiness { probeFlipped(p, slot, false) }
        }
    }

    func probeFlipped(_ p: ProbeRunner, _ slot: ContainerSlot, _ ok: Bool) {
        switch p.kind {
        case .readiness:
            slot.status.ready = ok
            kubelet.statusChanged(self)
        case .startup:
            if ok {
                slot.status.started = true
                slot.status.ready = slot.spec.readinessProbe == nil
                kubelet.statusChanged(self)
            } else {
                kill(slot, because: "Container \(slot.spec.name) failed startup probe, will be restarted")
            }
        case .liveness:
            if !ok { kill(slot, because: "Container \(slot.spec.name) failed liveness probe, will be restarted") }
        }
    }

    /// Stops one container as a failed probe does: SIGTERM, then SIGKILL at the grace period.
    func kill(_ slot: ContainerSlot, because message: String) {
        guard let process = slot.current?.process, !process.exited, !slot.stopping else { return }
        event("Normal", "Killing", message)
        slot.stopping = true
        for p in slot.probes { if let t = p.timer { clock.cancel(t) } }
        let grace = SimDuration.seconds(pod.spec.terminationGracePeriodSeconds)
        if let t = process.app.shutdownTime, t < grace, !process.app.runsCommand || slot.spec.command.isEmpty && slot.spec.args.isEmpty {
            slot.timers.append(after(t, "stopping container \(slot.spec.name)") { [unowned self] in self.containerExited(slot, code: 0, reason: "Completed", message: nil) })
        } else {
            slot.timers.append(after(grace, "killing container \(slot.spec.name)") { [unowned self] in self.containerExited(slot, code: 137, reason: "Error", message: nil) })
        }
    }

    /// The kubelet's connection to the pod for a probe: from the address its node's kernel
    /// picks toward the pod, the SYN walked through the datapath (`reached`: it arrived).
    func probeConnection(to port: Int, timeout: Int) -> (tcp: TCPConversation, source: IPv4Address, reached: Bool)? {
        guard let net = network, let podIP = sandbox?.ip.flatMap({ IPv4Address(parsing: $0) }),
              let source = net.hostSource(kubelet.nodeName, toward: podIP) else { return nil }
        var tcp = TCPConversation(net: net, client: source, server: podIP, port: port)
        let t = tcp.syn(within: max(1, timeout))
        return (tcp, source, t.delivered)
    }

    func evaluate(_ probe: Probe, _ slot: ContainerSlot, _ process: ContainerProcess) -> (Bool, String) {
        let ip = sandbox?.ip ?? ""
        func port(_ p: String) -> Int { Int(p) ?? slot.spec.ports.first { $0.name == p }?.containerPort ?? 0 }
        switch probe.handler {
        case let .httpGet(path, p, scheme):
            let n = port(p)
            let url = "\(scheme.lowercased())://\(ip):\(n)\(path)"
            let listening = process.listening.contains(n) && podListens(n)   // the process holds a socket of the namespace's table
            // The kubelet connects from its node to the pod's IP (the networking model's
            // third rule): the handshake walks the datapath, tcpdump on cni0 sees it.
            let conn = probeConnection(to: n, timeout: probe.timeoutSeconds)
            if conn?.reached == false { return (false, "Get \"\(url)\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)") }
            var tcp = conn?.tcp
            guard listening else {
                tcp?.refuse()
                return (false, "Get \"\(url)\": dial tcp \(ip):\(n): connect: connection refused")
            }
            let r = process.routes.isEmpty ? AppBehaviour.Route(status: 200, body: "") : (process.routes[path] ?? process.app.respond(path))
            if let source = conn?.source {
                _ = tcp?.synAck()
                let body = r.body.replacingOccurrences("$HOSTNAME", process.hostname).replacingOccurrences("{client}", source.description)
                process.httpOnTheWire(&tcp, ContainerProcess.probeAgent, "\(ip):\(n)", path, r.status, body)
                // nginx logs the kubelet's probes like any request.
                process.accessLog(from: source.description, path: path, status: r.status, bytes: body.utf8.count + (body.isEmpty ? 0 : 1), agent: ContainerProcess.probeAgent)
            }
            if (200..<400).contains(r.status) { return (true, "") }
            return (false, "HTTP probe failed with statuscode: \(r.status)")
        case .tcpSocket(let p):
            let n = port(p)
            let conn = probeConnection(to: n, timeout: probe.timeoutSeconds)
            if conn?.reached == false { return (false, "dial tcp \(ip):\(n): i/o timeout") }
            var tcp = conn?.tcp
            guard podListens(n) else {
                tcp?.refuse()
                return (false, "dial tcp \(ip):\(n): connect: connection refused")
            }
            _ = tcp?.synAck()
            tcp?.connectAndClose()
            return (true, "")
        case .exec(let argv):
            let (status, out) = exec(slot, argv)
            return (status == 0, out.isEmpty ? "command \(argv.map { "\"\($0)\"" }.joined(separator: " ")) exited with \(status)" : out)
        }
    }

}
