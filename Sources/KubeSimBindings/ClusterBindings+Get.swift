import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimControl
import KubeSimNode
import KubeSimNet
import KubeSimCluster
import KubeSimManifest

extension ClusterBindings {
    static func get(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        guard let typesWord = inv.positionals.first else {
            throw CommandFailure("You must specify the type of resource to get. Use \"kubectl api-resources\" for a complete list of supported resources.")
        }
        var types: [ResourceType] = []
        // `get all`: the workload kinds, names prefixed with their kind, as kubectl prints.
        let all = typesWord == "all"
        for w in typesWord.split(separator: ",").map(String.init) {
            if w == "all" { types += [.pod, .service, .deployment, .replicaSet]; continue }
            guard let t = ResourceType.lookup(w) else { throw unknownType(w, inv) }
            types.append(t)
        }
        let c = try cluster(ctx)
        let allNS = inv.has("all-namespaces")
        let ns = inv.flag("namespace") ?? "default"
        var selector: LabelSelector?
        if let l = inv.flag("selector") {
            do { selector = try LabelSelector.parse(l) } catch let e as LabelSelector.ParseError { throw CommandFailure("error: \(e.message)") }
        }
        let output = inv.flag("output")
        if let o = output, !["wide", "name", "yaml", "json"].contains(o) {
            throw CommandFailure("error: unable to match a printer suitable for the output format \"\(o)\", allowed formats are: json,name,wide,yaml")
        }
        var sections: [String] = []
        var names = Array(inv.positionals.dropFirst())
        var values: [Value] = []
        for type in types {
            var objects: [APIObject]
            if !names.isEmpty {
                objects = []
                for n in names { objects.append(try api { try c.api.get(type, namespace: ns, name: n, user: user(inv)) }) }
            } else {
                objects = try api { try c.api.list(type, namespace: allNS ? nil : ns, selector: selector, user: user(inv)) }
            }
            if let fs = inv.flag("field-selector") { objects = try objects.filter { try fieldSelectorMatches(fs, $0) } }
            values += objects.map { .object(ObjectValue($0, now: c.clock.now)) }
            if objects.isEmpty { continue }
            if output == "yaml" || output == "json" {
                // One object prints alone; several print as a List, as kubectl does.
                let single = objects.count == 1 && !inv.positionals.dropFirst().isEmpty
                if output == "yaml" {
                    sections.append(single ? ManifestEncoder.yaml(objects[0]) : "apiVersion: v1\nitems:\n" + objects.map { indentItem(ManifestEncoder.yaml($0)) }.joined() + "kind: List\nmetadata:\n  resourceVersion: \"\"\n")
                } else {
                    sections.append(single ? ManifestEncoder.json(objects[0]) : "{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n" + objects.map { "        " + ManifestEncoder.json($0).split(separator: "\n").joined(separator: "\n        ") }.joined(separator: ",\n") + "\n    ],\n    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n")
                }
                continue
            }
            if output == "name" {
                sections.append(objects.map { "\(APIErrorNames.qualified(type))/\($0.metadata.name)" }.joined(separator: "\n"))
                continue
            }
            var shown = objects
            if all {
                // Kind-prefixed names (pod/web-…, deployment.apps/web).
                for i in shown.indices {
                    var m = shown[i].metadata
                    m.name = "\(APIErrorNames.qualified(type))/\(m.name)"
                    shown[i].metadata = m
                }
            }
            sections.append(table(type, shown, now: c.clock.now, wide: output == "wide", allNS: allNS && type.namespaced, labels: inv.has("show-labels")))
        }
        names = []
        if sections.isEmpty {
            let msg = allNS || !(types.first?.namespaced ?? true) ? "No resources found" : "No resources found in \(ns) namespace."
            return CommandResult(output: msg, value: .list([]))
        }
        return CommandResult(output: sections.joined(separator: "\n\n"), value: .list(values))
    }

    /// `--field-selector` as the API server supports it: `metadata.name`,
    /// `metadata.namespace`, and per kind `spec.nodeName`, `status.phase` (pods),
    /// `involvedObject.name|kind|namespace`, `reason`, `type` (events); `=`, `==`, `!=`, comma-joined.
    static func fieldSelectorMatches(_ selector: String, _ o: APIObject) throws -> Bool {
        for term in selector.split(separator: ",") {
            let neg = term.contains("!=")
            let parts = term.split(separator: neg ? "!" : "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw CommandFailure("error: invalid field selector: \(term)") }
            let field = parts[0]
            let want = String(parts[1].drop { $0 == "=" })
            let m = o.metadata
            let value: String?
            switch (field, o) {
            case ("metadata.name", _): value = m.name
            case ("metadata.namespace", _): value = m.namespace ?? ""
            case ("spec.nodeName", .pod(let p)): value = p.spec.nodeName ?? ""
            case ("status.phase", .pod(let p)): value = p.status.phase
            case ("involvedObject.name", .event(let e)): value = e.involvedName
            case ("involvedObject.kind", .event(let e)): value = e.involvedKind
            case ("involvedObject.namespace", .event(let e)): value = e.involvedNamespace ?? ""
            case ("reason", .event(let e)): value = e.reason
            case ("type", .event(let e)): value = e.type
            default:
                throw CommandFailure("Error from server (BadRequest): Unable to find \"\(o.type.apiVersion.contains("/") ? "" : "/")\(o.type.apiVersion), Resource=\(o.type.plural)\" that match label selector \"\", field selector \"\(selector)\": \"\(field)\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"")
            }
            if (value == want) == neg { return false }
        }
        return true
    }

    static func table(_ type: ResourceType, _ objects: [APIObject], now: Int64, wide: Bool, allNS: Bool, labels: Bool) -> String {
        var header: [String]
        var rows: [[String]]
        switch type {
        case .pod:
            header = ["NAME", "READY", "STATUS", "RESTARTS", "AGE"] + (wide ? ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"] : [])
            rows = objects.compactMap(\.pod).map { Format.podRow($0, now: now, wide: wide) }
        case .deployment:
            header = ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"] + (wide ? ["CONTAINERS", "IMAGES", "SELECTOR"] : [])
            rows = objects.compactMap(\.deployment).map { d in
                var r = [d.metadata.name, "\(d.status.readyReplicas)/\(d.spec.replicas)", String(d.status.updatedReplicas), String(d.status.availableReplicas), Format.age(now - d.metadata.creationTimestamp)]
                if wide { r += [d.spec.template.spec.containers.map(\.name).joined(separator: ","), d.spec.template.spec.containers.map(\.image).joined(separator: ","), d.spec.selector.description] }
                return r
            }
        case .replicaSet:
            header = ["NAME", "DESIRED", "CURRENT", "READY", "AGE"] + (wide ? ["CONTAINERS", "IMAGES", "SELECTOR"] : [])
            rows = objects.compactMap(\.replicaSet).map { rs in
                var r = [rs.metadata.name, String(rs.spec.replicas), String(rs.status.replicas), String(rs.status.readyReplicas), Format.age(now - rs.metadata.creationTimestamp)]
                if wide { r += [rs.spec.template.spec.containers.map(\.name).joined(separator: ","), rs.spec.template.spec.containers.map(\.image).joined(separator: ","), rs.spec.selector.description] }
                return r
            }
        case .node:
            header = ["NAME", "STATUS", "ROLES", "AGE", "VERSION"] + (wide ? ["INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"] : [])
            rows = objects.compactMap(\.node).map { n in
                let status = Format.nodeStatus(n)
                var r = [n.metadata.name, status, "<none>", Format.age(now - n.metadata.creationTimestamp), n.kubeletVersion]
                if wide { r += [n.internalIP, "<none>", "Debian GNU/Linux 12 (bookworm)", "6.1.0-kubesim", "containerd://1.7.13"] }
                return r
            }
        case .namespace:
            header = ["NAME", "STATUS", "AGE"]
            rows = objects.compactMap(\.namespaceObject).map { [$0.metadata.name, $0.phase, Format.age(now - $0.metadata.creationTimestamp)] }
        case .service:
            header = ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"] + (wide ? ["SELECTOR"] : [])
            rows = objects.compactMap(\.service).map { s in
                let ports = s.spec.ports.map { p in "\(p.port)" + (p.nodePort.map { ":\($0)" } ?? "") + "/\(p.protocol)" }.joined(separator: ",")
                let external = s.spec.type == "LoadBalancer" ? (s.loadBalancerIngress.first ?? "<pending>") : "<none>"
                var r = [s.metadata.name, s.spec.type, s.spec.clusterIP ?? "<none>", external, ports.isEmpty ? "<none>" : ports, Format.age(now - s.metadata.creationTimestamp)]
                if wide { r.append(s.spec.selector.isEmpty ? "<none>" : s.spec.selector.keys.sorted().map { "\($0)=\(s.spec.selector[$0]!)" }.joined(separator: ",")) }
                return r
            }
        case .resourceQuota:
            header = ["NAME", "AGE", "REQUEST", "LIMIT"]
            rows = objects.compactMap(\.resourceQuota).map { q in
                let req = q.hard.keys.sorted().filter { !$0.hasPrefix("limits.") }.map { "\($0): \(q.used[$0] ?? Quantity(0))/\(q.hard[$0]!)" }.joined(separator: ", ")
                let lim = q.hard.keys.sorted().filter { $0.hasPrefix("limits.") }.map { "\($0): \(q.used[$0] ?? Quantity(0))/\(q.hard[$0]!)" }.joined(separator: ", ")
                return [q.metadata.name, Format.age(now - q.metadata.creationTimestamp), req, lim]
            }
        case .limitRange:
            header = ["NAME", "CREATED AT"]
            rows = objects.map { [$0.metadata.name, ManifestEncoder.timestamp($0.metadata.creationTimestamp)] }
        case .configMap:
            header = ["NAME", "DATA", "AGE"]
            rows = objects.compactMap(\.configMap).map { [$0.metadata.name, String($0.data.count), Format.age(now - $0.metadata.creationTimestamp)] }
        case .secret:
            header = ["NAME", "TYPE", "DATA", "AGE"]
            rows = objects.compactMap(\.secret).map { [$0.metadata.name, $0.type, String($0.data.count), Format.age(now - $0.metadata.creationTimestamp)] }
        case .networkPolicy:
            header = ["NAME", "POD-SELECTOR", "AGE"]
            rows = objects.map { o in
                let sel = Manifest.kept(o.metadata, ["spec", "podSelector", "matchLabels"])?.pairs?.map { "\($0.0)=\($0.1.scalarText ?? "")" }.sorted().joined(separator: ",")
                return [o.metadata.name, (sel ?? "").isEmpty ? "<none>" : sel!, Format.age(now - o.metadata.creationTimestamp)]
            }
        case .persistentVolumeClaim:
            // Claims a StatefulSet makes are Bound (a local volume per claim); others wait
            // for a provisioner, which comes with the storage work.
            header = ["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "AGE"]
            rows = objects.map { o in
                let cls = Manifest.kept(o.metadata, ["spec", "storageClassName"])?.scalarText ?? "<unset>"
                let phase = Manifest.kept(o.metadata, ["status", "phase"])?.scalarText ?? "Pending"
                let cap = Manifest.kept(o.metadata, ["status", "capacity", "storage"])?.scalarText ?? ""
                let modes = (Manifest.kept(o.metadata, ["status", "accessModes"])?.array ?? []).compactMap(\.scalarText).map { ["ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"][$0] ?? $0 }
                let volume = phase == "Bound" ? "pvc-" + String(o.metadata.uid) : ""
                return [o.metadata.name, phase, volume, cap, modes.joined(separator: ","), cls, "<unset>", Format.age(now - o.metadata.creationTimestamp)]
            }
        case .job:
            header = ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"] + (wide ? ["CONTAINERS", "IMAGES", "SELECTOR"] : [])
            rows = objects.compactMap(\.job).map { j in
                let st = j.status
                let status = st.conditions.last { $0.status == "True" && ["Complete", "Failed", "Suspended"].contains($0.type) }?.type ?? (j.spec.suspend ? "Suspended" : "Running")
                let completions = j.spec.completions.map { "\(st.succeeded)/\($0)" } ?? "\(st.succeeded)/1 of \(j.spec.parallelism ?? 1)"
                let duration = st.startTime.map { Format.age((st.completionTime ?? now) - $0) } ?? ""
                var r = [j.metadata.name, status, completions, duration, Format.age(now - j.metadata.creationTimestamp)]
                if wide { r += [j.spec.template.spec.containers.map(\.name).joined(separator: ","), j.spec.template.spec.containers.map(\.image).joined(separator: ","), j.spec.selector.description] }
                return r
            }
        case .cronJob:
            header = ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"] + (wide ? ["CONTAINERS", "IMAGES", "SELECTOR"] : [])
            rows = objects.compactMap(\.cronJob).map { cj in
                var r = [cj.metadata.name, cj.spec.schedule, cj.spec.timeZone ?? "<none>", cj.spec.suspend ? "True" : "False", String(cj.status.active.count),
                         cj.status.lastScheduleTime.map { Format.age(now - $0) } ?? "<none>", Format.age(now - cj.metadata.creationTimestamp)]
                if wide { r += [cj.spec.jobTemplate.template.spec.containers.map(\.name).joined(separator: ","), cj.spec.jobTemplate.template.spec.containers.map(\.image).joined(separator: ","), "<none>"] }
                return r
            }
        case .daemonSet:
            header = ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"] + (wide ? ["CONTAINERS", "IMAGES", "SELECTOR"] : [])
            rows = objects.compactMap(\.daemonSet).map { d in
                let st = d.status
                let sel = d.spec.template.spec.nodeSelector
                var r = [d.metadata.name, String(st.desiredNumberScheduled), String(st.currentNumberScheduled), String(st.numberReady), String(st.updatedNumberScheduled),
                         String(st.numberAvailable), sel.isEmpty ? "<none>" : sel.keys.sorted().map { "\($0)=\(sel[$0]!)" }.joined(separator: ","), Format.age(now - d.metadata.creationTimestamp)]
                if wide { r += [d.spec.template.spec.containers.map(\.name).joined(separator: ","), d.spec.template.spec.containers.map(\.image).joined(separator: ","), d.spec.selector.description] }
                return r
            }
        case .statefulSet:
            header = ["NAME", "READY", "AGE"] + (wide ? ["CONTAINERS", "IMAGES"] : [])
            rows = objects.compactMap(\.statefulSet).map { ss in
                var r = [ss.metadata.name, "\(ss.status.readyReplicas)/\(ss.spec.replicas)", Format.age(now - ss.metadata.creationTimestamp)]
                if wide { r += [ss.spec.template.spec.containers.map(\.name).joined(separator: ","), ss.spec.template.spec.containers.map(\.image).joined(separator: ",")] }
                return r
            }
        case .endpointSlice:
            // pkg/printers/internalversion/printers.go printEndpointSlice, formatDiscoveryPorts,
            // formatDiscoveryEndpoints, listWithMoreString.
            func firstThree(_ items: [String]) -> String {
                let shown = items.prefix(3).joined(separator: ",")
                if items.count > 3 { return "\(shown) + \(items.count - 3) more..." }
                return shown.isEmpty ? "<unset>" : shown
            }
            header = ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]
            rows = objects.compactMap(\.endpointSlice).map { es in
                [es.metadata.name, es.addressType, firstThree(es.ports.map { $0.port.map(String.init) ?? $0.name ?? "*" }),
                 firstThree(es.endpoints.flatMap(\.addresses)), Format.age(now - es.metadata.creationTimestamp)]
            }
        case .ingressClass:
            header = ["NAME", "CONTROLLER", "PARAMETERS", "AGE"]
            rows = objects.map { o in
                [o.metadata.name, Manifest.kept(o.metadata, ["spec", "controller"])?.scalarText ?? "", "<none>", Format.age(now - o.metadata.creationTimestamp)]
            }
        case .ingress:
            header = ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"]
            rows = objects.map { o in
                let hosts = (Manifest.kept(o.metadata, ["spec", "rules"])?.array ?? []).compactMap { $0["host"]?.scalarText }
                let tls = !(Manifest.kept(o.metadata, ["spec", "tls"])?.array ?? []).isEmpty
                return [o.metadata.name, Manifest.kept(o.metadata, ["spec", "ingressClassName"])?.scalarText ?? "<none>",
                        hosts.isEmpty ? "*" : hosts.joined(separator: ","), "", tls ? "80, 443" : "80", Format.age(now - o.metadata.creationTimestamp)]
            }
        case .lease:
            header = ["NAME", "HOLDER", "AGE"]
            rows = objects.map { o in [o.metadata.name, Manifest.kept(o.metadata, ["spec", "holderIdentity"])?.scalarText ?? "", Format.age(now - o.metadata.creationTimestamp)] }
        case .event:
            header = ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
            rows = objects.compactMap(\.event).sorted { $0.lastTimestamp < $1.lastTimestamp || ($0.lastTimestamp == $1.lastTimestamp && $0.metadata.resourceVersion < $1.metadata.resourceVersion) }.map {
                [Format.age(now - $0.lastTimestamp), $0.type, $0.reason, "\($0.involvedKind.lowercased())/\($0.involvedName)", $0.message]
            }
        default:
            header = ["NAME", "AGE"]
            rows = objects.map { [$0.metadata.name, Format.age(now - $0.metadata.creationTimestamp)] }
        }
        if labels {
            header.append("LABELS")
            for (i, o) in objects.enumerated() where i < rows.count {
                let l = o.metadata.labels
                rows[i].append(l.isEmpty ? "<none>" : l.keys.sorted().map { "\($0)=\(l[$0]!)" }.joined(separator: ","))
            }
        }
        if allNS {
            header.insert("NAMESPACE", at: 0)
            for (i, o) in objects.enumerated() where i < rows.count { rows[i].insert(o.metadata.namespace ?? "", at: 0) }
        }
        return Format.table(header, rows)
    }

    /// A YAML document as an item of `items:` (`- ` then two-space indent).
    static func indentItem(_ doc: String) -> String {
        let lines = doc.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        return lines.enumerated().map { ($0.offset == 0 ? "- " : "  ") + $0.element }.joined(separator: "\n") + "\n"
    }

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
}
