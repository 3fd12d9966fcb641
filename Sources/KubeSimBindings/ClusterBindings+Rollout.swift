import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimControl
import KubeSimNode
import KubeSimNet
import KubeSimCluster
import KubeSimManifest

extension ClusterBindings {
    // MARK: - rollout

    static func deploymentTarget(_ inv: Invocation, _ ctx: CommandContext, _ verb: String) throws -> (Cluster, String, String) {
        let (type, name, _) = try target(inv, verb: "rollout \(verb)")
        guard type == .deployment else { throw CommandFailure("error: no rollout \(verb) for \(type.plural) here; use deployment/NAME") }
        return (try cluster(ctx), name, inv.flag("namespace") ?? "default")
    }

    /// kubectl's DeploymentStatusViewer messages; runs the clock until the rollout is
    /// done (or the timeout, default 10 simulated minutes).
    static func rolloutStatus(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        let (c, name, ns) = try deploymentTarget(inv, ctx, "status")
        var limit = SimDuration.minutes(10)
        if let t = inv.flag("timeout") {
            guard let d = SimDuration(parsing: t) else { throw inv.error("rollout status: invalid timeout '\(t)'") }
            limit = d
        }
        let deadline = c.clock.now + limit.nanoseconds
        var lines: [String] = []
        while true {
            let d = try api { try c.api.get(.deployment, namespace: ns, name: name) }.deployment!
            let (msg, done, failed) = statusMessage(d)
            if lines.last != msg { lines.append(msg) }
            if failed { throw CommandFailure(msg, output: lines.dropLast().map { $0 + "\n" }.joined()) }
            if done { break }
            guard c.clock.now < deadline, c.clock.nextTime != nil, !ctx.isInterrupted() else {
                throw CommandFailure("error: timed out waiting for the condition", output: lines.map { $0 + "\n" }.joined())
            }
            c.clock.runNext()
        }
        return CommandResult(output: lines.joined(separator: "\n"))
    }

    static func statusMessage(_ d: Deployment) -> (String, done: Bool, failed: Bool) {
        let name = d.metadata.name
        guard d.metadata.generation <= d.status.observedGeneration else {
            return ("Waiting for deployment spec update to be observed...", false, false)
        }
        if d.status.conditions.first(where: { $0.type == "Progressing" })?.reason == "ProgressDeadlineExceeded" {
            return ("error: deployment \"\(name)\" exceeded its progress deadline", false, true)
        }
        if d.status.updatedReplicas < d.spec.replicas {
            return ("Waiting for deployment \"\(name)\" rollout to finish: \(d.status.updatedReplicas) out of \(d.spec.replicas) new replicas have been updated...", false, false)
        }
        if d.status.replicas > d.status.updatedReplicas {
            return ("Waiting for deployment \"\(name)\" rollout to finish: \(d.status.replicas - d.status.updatedReplicas) old replicas are pending termination...", false, false)
        }
        if d.status.availableReplicas < d.status.updatedReplicas {
            return ("Waiting for deployment \"\(name)\" rollout to finish: \(d.status.availableReplicas) of \(d.status.updatedReplicas) updated replicas are available...", false, false)
        }
        return ("deployment \"\(name)\" successfully rolled out", true, false)
    }

    static func ownedReplicaSets(_ c: Cluster, _ d: Deployment) -> [ReplicaSet] {
        c.api.list(.replicaSet, namespace: d.metadata.namespace).compactMap(\.replicaSet)
            .filter { $0.metadata.controllerRef?.uid == d.metadata.uid }
            .sorted { revision($0) < revision($1) }
    }

    static func revision(_ rs: ReplicaSet) -> Int { Int(rs.metadata.annotations[DeploymentController.revisionAnnotation] ?? "") ?? 0 }

    static func rolloutHistory(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        let (c, name, ns) = try deploymentTarget(inv, ctx, "history")
        let d = try api { try c.api.get(.deployment, namespace: ns, name: name) }.deployment!
        if let r = inv.flag("revision"), r != "0" {
            guard let n = Int(r), n > 0 else { throw CommandFailure("error: invalid argument \"\(r)\" for \"--revision\" flag: strconv.ParseInt: parsing \"\(r)\": invalid syntax") }
            guard let rs = ownedReplicaSets(c, d).first(where: { revision($0) == n }) else {
                throw CommandFailure("error: unable to find the specified revision")
            }
            return CommandResult(output: "deployment.apps/\(name) with revision #\(n)\n" + describePodTemplate(rs.spec.template))
        }
        let rows = ownedReplicaSets(c, d).map { [String(revision($0)), $0.metadata.annotations["kubernetes.io/change-cause"] ?? "<none>"] }
        return CommandResult(output: "deployment.apps/\(name) \n" + Format.table(["REVISION", "CHANGE-CAUSE"], rows, padding: 2))
    }

    static func rolloutUndo(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        let (c, name, ns) = try deploymentTarget(inv, ctx, "undo")
        let d = try api { try c.api.get(.deployment, namespace: ns, name: name) }.deployment!
        let history = ownedReplicaSets(c, d)
        let target: ReplicaSet?
        if let r = inv.flag("to-revision"), let n = Int(r), n != 0 {
            target = history.first { revision($0) == n }
            if target == nil { throw CommandFailure("error: unable to find specified revision \(n) in history") }
        } else {
            // The revision before the current one.
            target = history.count >= 2 ? history[history.count - 2] : nil
            if target == nil { throw CommandFailure("error: no rollout history found for deployment \"\(name)\"") }
        }
        var template = target!.spec.template
        template.labels["pod-template-hash"] = nil
        if template == d.spec.template {
            return CommandResult(output: "deployment.apps/\(name) skipped rollback (current template already matches revision \(revision(target!)))")
        }
        try api {
            try c.api.modify(.deployment, namespace: ns, name: name, user: user(inv)) { o in
                guard var x = o.deployment else { return }
                x.spec.template = template
                o = .deployment(x)
            }
        }
        return CommandResult(output: "deployment.apps/\(name) rolled back")
    }

    static func setPaused(_ inv: Invocation, _ ctx: CommandContext, _ paused: Bool) throws -> CommandResult {
        let (c, name, ns) = try deploymentTarget(inv, ctx, paused ? "pause" : "resume")
        let d = try api { try c.api.get(.deployment, namespace: ns, name: name) }.deployment!
        if d.spec.paused == paused {
            throw CommandFailure("error: deployments.apps \"\(name)\" is \(paused ? "already paused" : "not paused")")
        }
        try api {
            try c.api.modify(.deployment, namespace: ns, name: name, user: user(inv)) { o in
                guard var x = o.deployment else { return }
                x.spec.paused = paused
                o = .deployment(x)
            }
        }
        return CommandResult(output: "deployment.apps/\(name) \(paused ? "paused" : "resumed")")
    }

    static func rolloutRestart(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        let (c, name, ns) = try deploymentTarget(inv, ctx, "restart")
        try api {
            try c.api.modify(.deployment, namespace: ns, name: name, user: user(inv)) { o in
                guard var x = o.deployment else { return }
                x.spec.template.annotations["kubectl.kubernetes.io/restartedAt"] = ManifestEncoder.timestamp(c.clock.now)
                o = .deployment(x)
            }
        }
        return CommandResult(output: "deployment.apps/\(name) restarted")
    }

    // MARK: - etcd

    static func etcdGet(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        guard inv.positionals.count == 1 else { throw inv.error("etcdctl get: expected one key") }
        let c = try cluster(ctx)
        let key = inv.positionals[0]
        let keys = inv.has("prefix") ? c.store.allKeys.filter { $0.hasPrefix(key) } : c.store.allKeys.filter { $0 == key }
        // etcdctl prints each key on its own line, then the value (or, with
        // --keys-only, an empty line).
        var out = ""
        for k in keys {
            out += k + "\n"
            if inv.has("keys-only") { out += "\n"; continue }
            // The value as YAML (real etcd holds protobuf; YAML is what a learner can read).
            if let o = c.store.object(forKey: k) { out += ManifestEncoder.yaml(o) }
        }
        return CommandResult(output: out, value: .list(keys.map { .string($0) }))
    }

    // MARK: - queries

    /// `pods(app=web, phase=Running)`: label selectors, plus field filters for
    /// `phase`, `node`/`nodeName`, `namespace` and `ready` (and `service` for
    /// endpointslices: `endpointslices(service=web)`; `reason`, `type`, `object`, `source`
    /// for events: `events(reason=Killing)`).
    static func query(_ type: ResourceType, _ args: [Value], _ site: CallSite, _ ctx: CommandContext) throws -> Value {
        let c = try cluster(ctx, site)
        var labelParts: [String] = []
        var fields: [(String, String, Bool)] = []
        var namespace: String? = "default"
        for a in args {
            guard case .string(let s) = a else { throw site.error("\(type.plural): expected selectors such as app=web, found \(a.typeName)") }
            for part in s.split(separator: ",").map(String.init) {
                let negated = part.contains("!=")
                let kv = part.split(separator: negated ? "!=" : "=", maxSplits: 1).map(String.init)
                if kv.count == 2, ["phase", "node", "nodeName", "ready", "status"].contains(kv[0]) || (type == .endpointSlice && kv[0] == "service")
                    || (type == .event && ["reason", "type", "object", "source"].contains(kv[0])) {
                    fields.append((kv[0], kv[1], negated))
                } else if kv.count == 2, kv[0] == "namespace" {
                    namespace = kv[1] == "*" ? nil : kv[1]
                } else {
                    labelParts.append(part)
                }
            }
        }
        let selector: LabelSelector
        do { selector = try LabelSelector.parse(labelParts.joined(separator: ",")) } catch let e as LabelSelector.ParseError { throw site.error("\(type.plural): \(e.message)") }
        var objects = c.api.list(type, namespace: type.namespaced ? namespace : nil, selector: selector)
        for (field, want, negated) in fields {
            objects = objects.filter { o in
                let v = ObjectValue(o, now: c.clock.now).member(field == "node" ? "nodeName" : field)
                return (v?.displayText == want) != negated
            }
        }
        return .list(objects.map { .object(ObjectValue($0, now: c.clock.now)) })
    }

    /// kubectl's describe.DescribePodTemplate through a PrefixWriter (no tabwriter:
    /// the tabs stay), as `rollout history --revision=N` prints it.
    static func describePodTemplate(_ t: PodTemplateSpec) -> String {
        var out = "Pod Template:\n"
        func multiline(_ title: String, _ d: [String: String]) {
            out += title + ":\t"
            if d.isEmpty { out += "<none>\n"; return }
            for (i, k) in d.keys.sorted().enumerated() { out += (i == 0 ? "" : "\t") + "\(k)=\(d[k]!)\n" }
        }
        multiline("  Labels", t.labels)
        if !t.annotations.isEmpty { multiline("  Annotations", t.annotations) }
        if t.spec.serviceAccountName != "default" && !t.spec.serviceAccountName.isEmpty { out += "  Service Account:\t\(t.spec.serviceAccountName)\n" }
        func containers(_ label: String, _ list: [Container]) {
            out += "  \(label):\n"
            for ctr in list {
                out += "   \(ctr.name):\n"
                out += "    Image:\t\(ctr.image)\n"
                let ports = ctr.ports.map { "\($0.containerPort)/\($0.protocol)" }.joined(separator: ", ")
                out += (ctr.ports.count > 1 ? "    Ports:\t" : "    Port:\t") + (ports.isEmpty ? "<none>" : ports) + "\n"
                let hostPorts = ctr.ports.map { "0/\($0.protocol)" }.joined(separator: ", ")
                out += (ctr.ports.count > 1 ? "    Host Ports:\t" : "    Host Port:\t") + (hostPorts.isEmpty ? "<none>" : hostPorts) + "\n"
                if !ctr.command.isEmpty { out += "    Command:\n" + ctr.command.map { "      \($0)\n" }.joined() }
                if !ctr.args.isEmpty { out += "    Args:\n" + ctr.args.map { "      \($0)\n" }.joined() }
                for (title, q) in [("Limits", ctr.resources.limits), ("Requests", ctr.resources.requests)] where !q.isEmpty {
                    out += "    \(title):\n" + q.keys.sorted().map { "      \($0):\t\(q[$0]!)\n" }.joined()
                }
                out += "    Environment:" + (ctr.env.isEmpty ? "\t<none>" : "") + "\n"
                for e in ctr.env { out += "      \(e.name):\t\(e.value ?? "")\n" }
                out += "    Mounts:" + (ctr.volumeMounts.isEmpty ? "\t<none>" : "") + "\n"
                for m in ctr.volumeMounts { out += "      \(m.mountPath) from \(m.name) (\(m.readOnly ? "ro" : "rw"))\n" }
            }
        }
        if !t.spec.initContainers.isEmpty { containers("Init Containers", t.spec.initContainers) }
        containers("Containers", t.spec.containers)
        if t.spec.volumes.isEmpty { out += "  Volumes:\t<none>\n" } else { out += "  Volumes:\n" + t.spec.volumes.map { "   \($0.name):\n" }.joined() }
        multiline("  Node-Selectors", t.spec.nodeSelector)
        out += "  Tolerations:\t" + (t.spec.tolerations.isEmpty ? "<none>" : t.spec.tolerations.map { "\($0.key ?? ""):\($0.effect ?? "")" }.joined(separator: "\n\t")) + "\n"
        return out
    }
}
