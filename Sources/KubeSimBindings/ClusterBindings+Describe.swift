import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimCluster
import KubeSimControl
import KubeSimNode
import KubeSimNet
import KubeSimManifest

extension ClusterBindings {
    static func registerNodeAndMetadataCommands(_ r: CommandRegistry) {
        let resourceCompleter = resourceNameCompleter(r)
        r.register(CommandSpec("describe", summary: "show objects in detail, with their events", usage: "describe TYPE [NAME|PREFIX] [-l SELECTOR] | describe TYPE/NAME",
                               flags: [namespaceFlag, FlagSpec("selector", short: "l", value: "SELECTOR", help: "label selector")],
                               handler: { inv, ctx in try describeMany(inv, ctx) }, completer: resourceCompleter))
        let explain: CommandSpec.Handler = { inv, ctx in
            let (type, name, _) = try target(inv, verb: "explain")
            guard type == .pod else { throw CommandFailure("error: explain works on pods (explain pod NAME)") }
            let c = try cluster(ctx)
            let o = try api { try c.api.get(.pod, namespace: inv.flag("namespace") ?? "default", name: name, user: user(inv)) }
            return CommandResult(output: c.scheduler.explain(o.pod!))
        }
        r.register(CommandSpec("explain", summary: "the documentation of a resource or field, from the Kubernetes OpenAPI schema",
                               usage: "explain RESOURCE[.FIELD…] [--recursive]",
                               flags: [FlagSpec("recursive", help: "every field, nested, without descriptions"),
                                       FlagSpec("api-version", value: "GROUP/VERSION", help: "accepted for kubectl compatibility"),
                                       FlagSpec("output", value: "FORMAT", help: "plaintext (the default)")],
                               handler: { inv, _ in try explainResource(inv) }, completer: { i, _ in i == 0 ? ResourceType.allNames : [] }))
        r.register(CommandSpec("scheduler", summary: "the scheduler's view", usage: "scheduler explain pod NAME",
                               subcommands: [CommandSpec("explain", summary: "a scheduling decision: each node's filter verdicts and scores",
                                                         flags: [namespaceFlag], handler: explain)]))
        r.register(CommandSpec("label", summary: "add, change (--overwrite) or remove (key-) labels", usage: "label TYPE NAME key=value… [key-] [--overwrite] | label TYPE -l SELECTOR|--all key=value…",
                               flags: [namespaceFlag, FlagSpec("overwrite", help: "allow changing an existing label"), selectorFlag, allFlag] + DryRun.flags,
                               handler: { inv, ctx in try setMetadata(inv, ctx, annotations: false) }, completer: resourceCompleter))
        r.register(CommandSpec("annotate", summary: "add, change (--overwrite) or remove (key-) annotations", usage: "annotate TYPE NAME key=value… [key-] [--overwrite] | annotate TYPE -l SELECTOR|--all key=value…",
                               flags: [namespaceFlag, FlagSpec("overwrite", help: "allow changing an existing annotation"), selectorFlag, allFlag] + DryRun.flags,
                               handler: { inv, ctx in try setMetadata(inv, ctx, annotations: true) }, completer: resourceCompleter))
        r.register(CommandSpec("cordon", summary: "mark a node unschedulable", usage: "cordon NODE") { inv, ctx in try cordon(inv, ctx, true) })
        r.register(CommandSpec("uncordon", summary: "mark a node schedulable", usage: "uncordon NODE") { inv, ctx in try cordon(inv, ctx, false) })
        r.register(CommandSpec("taint", summary: "add (key=value:Effect) or remove (key:Effect-) node taints", usage: "taint nodes NODE key=value:Effect… | key:Effect-",
                               flags: [FlagSpec("overwrite", help: "replace a taint with the same key and effect")]) { inv, ctx in try taint(inv, ctx) })
        r.register(CommandSpec("drain", summary: "cordon a node and evict its pods", usage: "drain NODE [--ignore-daemonsets] [--force]",
                               flags: [FlagSpec("ignore-daemonsets", help: "accepted for kubectl compatibility"), FlagSpec("force", help: "also delete pods no controller owns"),
                                       FlagSpec("delete-emptydir-data", help: "accepted for kubectl compatibility")]) { inv, ctx in try drain(inv, ctx) })
    }

    /// kubectl describe: one object by name, else every object whose name starts with
    /// the word, or all of the type (optionally by selector), separated by blank lines.
    static func describeMany(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        let c = try cluster(ctx)
        let ns = inv.flag("namespace") ?? "default"
        guard let first = inv.positionals.first else { throw inv.error("describe: expected TYPE [NAME]") }
        let type: ResourceType
        var name: String?
        if let slash = first.firstIndex(of: "/") {
            guard let t = ResourceType.lookup(String(first[..<slash])) else { throw unknownType(String(first[..<slash]), inv) }
            type = t
            name = String(first[first.index(after: slash)...])
        } else {
            guard let t = ResourceType.lookup(first) else { throw unknownType(first, inv) }
            type = t
            name = inv.positionals.dropFirst().first
        }
        var objects: [APIObject]
        if let n = name, let o = try? c.api.get(type, namespace: ns, name: n, user: user(inv)) {
            objects = [o]
        } else {
            let selector = try inv.flag("selector").map { try LabelSelector.parse($0) }
            objects = try api { try c.api.list(type, namespace: type.namespaced ? ns : nil, selector: selector, user: user(inv)) }
            if let n = name { objects = objects.filter { $0.metadata.name.hasPrefix(n) } }
            objects.sort { $0.metadata.name < $1.metadata.name }
            if objects.isEmpty {
                if let n = name { throw CommandFailure("Error from server (NotFound): \(APIErrorNames.qualified(type)) \"\(n)\" not found") }
                return CommandResult(output: "No resources found in \(ns) namespace.")
            }
        }
        let text = objects.map { describe($0, c) }.joined(separator: "\n\n\n")
        return CommandResult(output: text, warnings: type == .endpoints ? endpointsDeprecation : "")
    }

    /// `Thu, 01 Jan 2026 00:00:02 +0000` (RFC 1123 with numeric zone, as describe prints times).
    static func describeTime(_ ns: Int64) -> String {
        let date = ContainerProcess.date(ns)   // Thu Jan  1 00:00:05 UTC 2026
        let parts = date.split(separator: " ")
        let day = Int(parts[2])!
        return "\(parts[0]), \(day < 10 ? "0" : "")\(day) \(parts[1]) \(parts[5]) \(parts[3]) +0000"
    }

    static func describe(_ o: APIObject, _ c: Cluster) -> String {
        if case .horizontalPodAutoscaler(let h) = o { return (describeHPA(h, c) + eventLines(o, c)).joined(separator: "\n") }
        if case .service(let s) = o { return describeService(s, c) }
        if case .endpoints(let e) = o { return describeEndpoints(e, c) }
        if case .networkPolicy(let np) = o { return describeNetworkPolicy(np) }
        let now = c.clock.now
        var lines: [String] = []
        func field(_ k: String, _ v: String) { lines.append(k.count + 1 >= 18 ? k + ":  " + v : Format.pad(k + ":", 18) + v) }
        let m = o.metadata
        func map(_ k: String, _ d: [String: String]) {
            let items = d.keys.sorted().map { "\($0)=\(d[$0]!)" }
            field(k, items.first ?? "<none>")
            for i in items.dropFirst() { lines.append(String(repeating: " ", count: 18) + i) }
        }
        field("Name", m.name)
        if let n = m.namespace { field("Namespace", n) }
        switch o {
        case .pod(let p):
            field("Priority", "0")
            field("Service Account", p.spec.serviceAccountName)
            field("Node", p.spec.nodeName.map { n in "\(n)/\(p.status.hostIP ?? "")" } ?? "<none>")
            if let st = p.status.startTime { field("Start Time", describeTime(st)) }
            map("Labels", m.labels)
            map("Annotations", m.annotations)
            field("Status", Format.podStatus(p))
            if let r = p.status.reason { field("Reason", r) }
            if let msg = p.status.message { field("Message", msg) }
            field("IP", p.status.podIP ?? "")
            if let ip = p.status.podIP { lines.append("IPs:"); lines.append("  IP:  \(ip)") }
            if let ref = m.controllerRef { field("Controlled By", "\(ref.kind)/\(ref.name)") }
            func containers(_ title: String, _ list: [Container], _ statuses: [ContainerStatus]) {
                guard !list.isEmpty else { return }
                lines.append(title + ":")
                for ctr in list {
                    let st = statuses.first { $0.name == ctr.name }
                    var rows: [(String, String)] = []
                    if let st { rows.append(("Container ID", st.containerID ?? "")) }
                    rows.append(("Image", ctr.image))
                    if let st { rows.append(("Image ID", st.imageID)) }
                    rows.append(("Port", ctr.ports.isEmpty ? "<none>" : ctr.ports.map { "\($0.containerPort)/\($0.protocol)" }.joined(separator: ", ")))
                    rows.append(("Host Port", ctr.ports.isEmpty ? "<none>" : ctr.ports.map { "0/\($0.protocol)" }.joined(separator: ", ")))
                    if !ctr.command.isEmpty { rows.append(("Command", "")); rows += ctr.command.map { ("  ", $0) } }
                    if !ctr.args.isEmpty { rows.append(("Args", "")); rows += ctr.args.map { ("  ", $0) } }
                    func state(_ label: String, _ s: ContainerState) {
                        switch s {
                        case let .waiting(reason, _):
                            rows.append((label, "Waiting")); rows.append(("  Reason", reason))
                        case let .running(started):
                            rows.append((label, "Running")); rows.append(("  Started", describeTime(started)))
                        case let .terminated(code, reason, _, started, finished):
                            rows.append((label, "Terminated")); rows.append(("  Reason", reason)); rows.append(("  Exit Code", String(code)))
                            rows.append(("  Started", describeTime(started))); rows.append(("  Finished", describeTime(finished)))
                        }
                    }
                    if let st {
                        state("State", st.state)
                        if let last = st.lastState { state("Last State", last) }
                        rows.append(("Ready", st.ready ? "True" : "False"))
                        rows.append(("Restart Count", String(st.restartCount)))
                    }
                    for (title, q) in [("Limits", ctr.resources.limits), ("Requests", ctr.resources.requests)] where !q.isEmpty {
                        rows.append((title, ""))
                        rows += q.keys.sorted().map { ("  " + $0, q[$0]!.description) }
                    }
                    for (title, probe) in [("Liveness", ctr.livenessProbe), ("Readiness", ctr.readinessProbe), ("Startup", ctr.startupProbe)] {
                        guard let pr = probe else { continue }
                        let how: String
                        switch pr.handler {
                        case let .httpGet(path, port, scheme): how = "http-get \(scheme.lowercased())://:\(port)\(path)"
                        case .tcpSocket(let port): how = "tcp-socket :\(port)"
                        case .exec(let cmd): how = "exec [\(cmd.joined(separator: " "))]"
                        }
                        rows.append((title, "\(how) delay=\(pr.initialDelaySeconds)s timeout=\(pr.timeoutSeconds)s period=\(pr.periodSeconds)s #success=\(pr.successThreshold) #failure=\(pr.failureThreshold)"))
                    }
                    let envRows: [(String, String)] = ctr.envFrom.map { f in
                        (f.configMap.map { "  \($0)" } ?? f.secret.map { "  \($0)" } ?? "", f.configMap != nil ? "ConfigMap  Optional: \(f.optional)" : "Secret  Optional: \(f.optional)")
                    } + ctr.env.map { e in
                        switch e.valueFrom {
                        case let .configMapKey(name, key, opt)?: return ("  " + e.name, "<set to the key '\(key)' of config map '\(name)'>  Optional: \(opt)")
                        case let .secretKey(name, key, opt)?: return ("  " + e.name, "<set to the key '\(key)' in secret '\(name)'>  Optional: \(opt)")
                        case let .field(path)?: return ("  " + e.name, " (v1:\(path))")
                        case nil: return ("  " + e.name, e.value ?? "")
                        }
                    }
                    if envRows.isEmpty { rows.append(("Environment", "<none>")) } else { rows.append(("Environment", "")); rows += envRows }
                    lines.append("  \(ctr.name):")
                    let width = max(16, (rows.map { $0.0.count }.max() ?? 0) + 2)
                    for (k, v) in rows {
                        if k == "  " { lines.append("      " + v); continue }
                        lines.append("    " + (v.isEmpty ? k + ":" : Format.pad(k + ":", width) + v))
                    }
                    lines.append("    Mounts:")
                    for mnt in ctr.volumeMounts { lines.append("      \(mnt.mountPath) from \(mnt.name) (\(mnt.readOnly ? "ro" : "rw"))") }
                    lines.append("      /var/run/secrets/kubernetes.io/serviceaccount from kube-api-access (ro)")
                }
            }
            containers("Init Containers", p.spec.initContainers, p.status.initContainerStatuses)
            containers("Containers", p.spec.containers, p.status.containerStatuses)
            containers("Ephemeral Containers", p.spec.ephemeralContainers, p.status.ephemeralContainerStatuses)
            lines.append("Conditions:")
            let condWidth = max(18, (p.status.conditions.map(\.type.count).max() ?? 0) + 3)
            lines.append("  " + Format.pad("Type", condWidth) + "Status")
            for cond in p.status.conditions { lines.append("  " + Format.pad(cond.type, condWidth) + cond.status + " ") }
            lines.append("Volumes:")
            for v in p.spec.volumes {
                lines.append("  \(v.name):")
                switch v.source {
                case .emptyDir(let medium):
                    lines.append("    Type:       EmptyDir (a temporary directory that shares a pod's lifetime)")
                    lines.append("    Medium:     \(medium ?? "")")
                case let .configMap(name, _, opt):
                    lines.append("    Type:      ConfigMap (a volume populated by a ConfigMap)"); lines.append("    Name:      \(name)"); lines.append("    Optional:  \(opt)")
                case let .secret(name, _, opt):
                    lines.append("    Type:        Secret (a volume populated by a Secret)"); lines.append("    SecretName:  \(name)"); lines.append("    Optional:    \(opt)")
                case let .persistentVolumeClaim(claim, ro):
                    lines.append("    Type:       PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)")
                    lines.append("    ClaimName:  \(claim)"); lines.append("    ReadOnly:   \(ro)")
                case .hostPath(let path):
                    lines.append("    Type:          HostPath (bare host directory volume)"); lines.append("    Path:          \(path)")
                }
            }
            lines.append("  kube-api-access:")
            lines.append("    Type:                    Projected (a volume that contains injected data from multiple sources)")
            field("QoS Class", p.qosClass)
            map("Node-Selectors", p.spec.nodeSelector)
            let tol = p.spec.tolerations.map { t -> String in
                var s = t.key ?? ""
                if let v = t.value, !v.isEmpty { s += "=" + v }
                if let e = t.effect { s += ":" + e }
                if t.operator == "Exists" { s += " op=Exists" }
                if let secs = t.tolerationSeconds { s += " for \(secs)s" }
                return s
            }
            field("Tolerations", tol.first ?? "<none>")
            for t in tol.dropFirst() { lines.append(String(repeating: " ", count: 18) + t) }
        case .deployment(let d):
            field("CreationTimestamp", ManifestEncoder.timestamp(m.creationTimestamp))
            map("Labels", m.labels)
            map("Annotations", m.annotations)
            field("Selector", d.spec.selector.description)
            field("Replicas", "\(d.spec.replicas) desired | \(d.status.updatedReplicas) updated | \(d.status.replicas) total | \(d.status.availableReplicas) available | \(d.status.unavailableReplicas) unavailable")
            field("StrategyType", d.spec.strategy.type)
            field("MinReadySeconds", String(d.spec.minReadySeconds))
            if d.spec.strategy.type == "RollingUpdate" {
                field("RollingUpdateStrategy", "\(d.spec.strategy.maxUnavailable) max unavailable, \(d.spec.strategy.maxSurge) max surge")
            }
            lines.append("Pod Template:")
            lines.append("  Labels:  " + d.spec.template.labels.keys.sorted().map { "\($0)=\(d.spec.template.labels[$0]!)" }.joined(separator: ","))
            lines.append("  Containers:")
            for ctr in d.spec.template.spec.containers { lines.append("   \(ctr.name):"); lines.append("    Image:  \(ctr.image)") }
            lines.append("Conditions:")
            lines.append("  Type           Status  Reason")
            lines.append("  ----           ------  ------")
            for cond in d.status.conditions { lines.append("  " + Format.pad(cond.type, 15) + Format.pad(cond.status, 8) + cond.reason) }
            let owned = ownedReplicaSets(c, d)
            let new = owned.first { $0.metadata.labels["pod-template-hash"] == d.spec.template.labels["pod-template-hash"] ?? DeploymentHash.of(d) }
            field("OldReplicaSets", owned.filter { $0.metadata.uid != new?.metadata.uid && $0.spec.replicas > 0 }.map { "\($0.metadata.name) (\($0.status.replicas)/\($0.spec.replicas) replicas created)" }.joined(separator: ", ").ifEmpty("<none>"))
            field("NewReplicaSet", new.map { "\($0.metadata.name) (\($0.status.replicas)/\($0.spec.replicas) replicas created)" } ?? "<none>")
        case .replicaSet(let rs):
            field("Selector", rs.spec.selector.description)
            map("Labels", m.labels)
            map("Annotations", m.annotations)
            if let ref = m.controllerRef { field("Controlled By", "\(ref.kind)/\(ref.name)") }
            field("Replicas", "\(rs.status.replicas) current / \(rs.spec.replicas) desired")
            field("Pods Status", "\(rs.status.readyReplicas) Running / 0 Waiting / 0 Succeeded / 0 Failed")
        case .node(let n):
            field("Roles", "<none>")
            map("Labels", m.labels)
            field("CreationTimestamp", ManifestEncoder.timestamp(m.creationTimestamp))
            field("Taints", n.taints.first?.description ?? "<none>")
            for t in n.taints.dropFirst() { lines.append(String(repeating: " ", count: 18) + t.description) }
            field("Unschedulable", n.unschedulable ? "true" : "false")
            lines.append("Conditions:")
            let condRows = n.conditions.map { ["  " + $0.type, $0.status, describeTime($0.lastHeartbeatTime), describeTime($0.lastTransitionTime), $0.reason, $0.message] }
            lines.append(Format.table(["  Type", "Status", "LastHeartbeatTime", "LastTransitionTime", "Reason", "Message"],
                                      [["  ----", "------", "-----------------", "------------------", "------", "-------"]] + condRows, padding: 3))
            lines.append("Addresses:")
            lines.append("  InternalIP:  \(n.internalIP)")
            lines.append("  Hostname:    \(n.metadata.name)")
            for (title, q) in [("Capacity", n.capacity), ("Allocatable", n.allocatable)] {
                lines.append(title + ":")
                let w = (q.keys.map(\.count).max() ?? 0) + 2
                for k in q.keys.sorted() { lines.append("  " + Format.pad(k + ":", w) + q[k]!.description) }
            }
            lines.append("System Info:")
            lines.append("  Kubelet Version:            \(n.kubeletVersion)")
            lines.append("  Container Runtime Version:  containerd://1.7.13")
            field("PodCIDR", n.podCIDR ?? "")
            let pods = c.api.list(.pod).compactMap(\.pod).filter { $0.spec.nodeName == n.metadata.name && $0.status.phase != "Succeeded" && $0.status.phase != "Failed" }
                .sorted { ($0.metadata.namespace ?? "", $0.metadata.name) < ($1.metadata.namespace ?? "", $1.metadata.name) }
            lines.append("Non-terminated Pods:          (\(pods.count) in total)")
            let cpuCap = n.allocatable["cpu"]?.milli ?? 1, memCap = n.allocatable["memory"]?.milli ?? 1
            func share(_ q: Quantity?, _ cap: Int64) -> String { let v = q ?? Quantity(0); return "\(v) (\(v.milli * 100 / max(1, cap))%)" }
            let podRows = pods.map { p -> [String] in
                let req = p.spec.containers.reduce(into: [String: Int64]()) { acc, c in for (k, v) in c.resources.requests { acc[k, default: 0] += v.milli } }
                let lim = p.spec.containers.reduce(into: [String: Int64]()) { acc, c in for (k, v) in c.resources.limits { acc[k, default: 0] += v.milli } }
                func q(_ d: [String: Int64], _ k: String) -> Quantity? { d[k].map { Quantity(milli: $0) } }
                return ["  " + (p.metadata.namespace ?? "default"), p.metadata.name, share(q(req, "cpu"), cpuCap), share(q(lim, "cpu"), cpuCap),
                        share(q(req, "memory"), memCap), share(q(lim, "memory"), memCap), Format.age(now - p.metadata.creationTimestamp)]
            }
            if !pods.isEmpty {
                lines.append(Format.table(["  Namespace", "Name", "CPU Requests", "CPU Limits", "Memory Requests", "Memory Limits", "Age"],
                                          [["  ---------", "----", "------------", "----------", "---------------", "-------------", "---"]] + podRows, padding: 2))
            }
        default:
            map("Labels", m.labels)
        }
        lines += eventLines(o, c)
        return lines.joined(separator: "\n")
    }

    /// The Events section: kubectl's table, or `Events: <none>`.
    static func eventLines(_ o: APIObject, _ c: Cluster) -> [String] {
        let now = c.clock.now
        let m = o.metadata
        var lines: [String] = []
        let events = c.api.list(.event).compactMap(\.event)
            .filter { $0.involvedKind == o.type.kind && $0.involvedName == m.name && ($0.involvedNamespace == m.namespace) }
            .sorted { $0.lastTimestamp < $1.lastTimestamp || ($0.lastTimestamp == $1.lastTimestamp && $0.metadata.resourceVersion < $1.metadata.resourceVersion) }
        if events.isEmpty {
            lines.append("Events:            <none>")
        } else {
            lines.append("Events:")
            // kubectl: "4m33s (x6 over 9m59s)" for repeated events.
            let rows = events.map { e in
                ["  " + e.type, e.reason, Format.age(now - e.lastTimestamp) + (e.count > 1 ? " (x\(e.count) over \(Format.age(now - e.firstTimestamp)))" : ""), e.source, e.message]
            }
            let table = Format.table(["  Type", "Reason", "Age", "From", "Message"], [["  ----", "------", "----", "----", "-------"]] + rows, padding: 2)
            lines.append(table)
        }
        return lines
    }

    static func setMetadata(_ inv: Invocation, _ ctx: CommandContext, annotations: Bool) throws -> CommandResult {
        // `label pods -l app=web k=v` / `label pods --all k=v`: every matching object.
        if inv.has("selector") || inv.has("all") {
            guard let typeWord = inv.positionals.first, let type = ResourceType.lookup(typeWord) else {
                throw unknownType(inv.positionals.first ?? "", inv)
            }
            let rest = Array(inv.positionals.dropFirst())
            var selector: LabelSelector?
            if let l = inv.flag("selector") {
                do { selector = try LabelSelector.parse(l) } catch let e as LabelSelector.ParseError { throw CommandFailure("error: \(e.message)") }
            }
            let c = try cluster(ctx)
            let names = try api { try c.api.list(type, namespace: inv.flag("namespace") ?? "default", selector: selector, user: user(inv)) }.map(\.metadata.name)
            if names.isEmpty { return CommandResult(output: "No resources found") }
            var lines: [String] = []
            for name in names { lines.append(try setMetadata(type, name, rest, inv, ctx, annotations: annotations).output) }
            return CommandResult(output: lines.joined(separator: "\n"))
        }
        let (type, name, rest) = try target(inv, verb: annotations ? "annotate" : "label")
        return try setMetadata(type, name, rest, inv, ctx, annotations: annotations)
    }

    static func setMetadata(_ type: ResourceType, _ name: String, _ rest: [String], _ inv: Invocation, _ ctx: CommandContext, annotations: Bool) throws -> CommandResult {
        guard !rest.isEmpty else { throw CommandFailure("error: at least one \(annotations ? "annotation" : "label") update is required") }
        if !annotations {
            // kubectl checks label values itself (parseLabels in pkg/cmd/label/label.go);
            // keys are the API server's to refuse.
            for item in rest where !item.hasSuffix("-") {
                let kv = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let errs = kv.count == 2 ? Validation.labelValueErrors(String(kv[1])) : []
                if !errs.isEmpty { throw CommandFailure("error: invalid label value: \"\(item)\": \(errs.joined(separator: ";"))") }
            }
        }
        let overwrite = inv.has("overwrite")
        // kubectl label's updateDataChangeMsg: "not labeled" when nothing changed,
        // "unlabeled" when the object's JSON got shorter (without --overwrite);
        // annotate always says "annotated".
        var verb = annotations ? "annotated" : "not labeled"
        func length(_ d: [String: String]) -> Int { d.isEmpty ? 0 : d.reduce(11) { $0 + $1.key.utf8.count + $1.value.utf8.count + 6 } - 1 }
        return try change(type, name, inv, ctx, verb: { verb }) { o in
            var m = o.metadata
            var d = annotations ? m.annotations : m.labels
            let before = d
            for item in rest {
                if item.hasSuffix("-") { d.removeValue(forKey: String(item.dropLast())); continue }
                let kv = item.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2 else { throw CommandFailure("error: invalid \(annotations ? "annotation" : "label") update: \(item)") }
                if let old = d[kv[0]], old != kv[1], !overwrite {
                    throw CommandFailure("error: '\(kv[0])' already has a value (\(old)), and --overwrite is false")
                }
                d[kv[0]] = kv[1]
            }
            if !annotations && d != before { verb = !overwrite && length(d) < length(before) ? "unlabeled" : "labeled" }
            if annotations { m.annotations = d } else { m.labels = d }
            o.metadata = m
        }
    }

    static func cordon(_ inv: Invocation, _ ctx: CommandContext, _ on: Bool) throws -> CommandResult {
        guard inv.positionals.count == 1 else { throw inv.error("\(on ? "cordon" : "uncordon"): expected one node name") }
        let c = try cluster(ctx)
        let name = inv.positionals[0].hasPrefix("node/") ? String(inv.positionals[0].dropFirst(5)) : inv.positionals[0]
        var changed = false
        try api {
            try c.api.modify(.node, namespace: nil, name: name, user: user(inv)) { o in
                guard var n = o.node else { return }
                changed = n.unschedulable != on
                n.unschedulable = on
                o = .node(n)
            }
        }
        return CommandResult(output: "node/\(name) \(changed ? (on ? "cordoned" : "uncordoned") : "already \(on ? "cordoned" : "uncordoned")")")
    }

    static func taint(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        var words = inv.positionals[...]
        if let f = words.first, ["nodes", "node", "no"].contains(f) { words = words.dropFirst() }
        guard var name = words.first else { throw inv.error("taint: expected a node name") }
        if name.hasPrefix("node/") { name = String(name.dropFirst(5)) }
        let specs = words.dropFirst()
        guard !specs.isEmpty else { throw CommandFailure("error: at least one taint update is required") }
        let c = try cluster(ctx)
        var removedAny = false
        try api {
            try c.api.modify(.node, namespace: nil, name: name, user: user(inv)) { o in
                guard var n = o.node else { return }
                for spec in specs {
                    if spec.hasSuffix("-") {
                        let body = spec.dropLast()
                        let parts = body.split(separator: ":", maxSplits: 1).map(String.init)
                        let key = parts[0].split(separator: "=")[0]
                        let before = n.taints.count
                        n.taints.removeAll { $0.key == key && (parts.count < 2 || $0.effect == parts[1]) }
                        if n.taints.count == before { throw CommandFailure("error: taint \"\(body)\" not found") }
                        removedAny = true
                        continue
                    }
                    let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
                    guard parts.count == 2, ["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(parts[1]) else {
                        throw CommandFailure("error: invalid taint spec: \(spec), unknown taint effect; effect must be one of NoSchedule, PreferNoSchedule, NoExecute")
                    }
                    let kv = parts[0].split(separator: "=", maxSplits: 1).map(String.init)
                    let t = Taint(key: kv[0], value: kv.count == 2 ? kv[1] : nil, effect: parts[1])
                    if let i = n.taints.firstIndex(where: { $0.key == t.key && $0.effect == t.effect }) {
                        guard inv.has("overwrite") else {
                            throw CommandFailure("error: node \(name) already has \(t.key) taint(s) with same effect(s) and --overwrite is false")
                        }
                        n.taints[i] = t
                    } else {
                        n.taints.append(t)
                    }
                }
                o = .node(n)
            }
        }
        return CommandResult(output: "node/\(name) \(removedAny ? "untainted" : "tainted")")
    }

    /// cordon, then evict (delete) every pod on the node; controllers recreate them elsewhere.
    static func drain(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        guard inv.positionals.count == 1 else { throw inv.error("drain: expected one node name") }
        let name = inv.positionals[0]
        var out = try cordon(inv, ctx, true).output.split(separator: "\n").map(String.init)
        let c = try cluster(ctx)
        let pods = c.api.list(.pod).compactMap(\.pod).filter { $0.spec.nodeName == name }
        let unmanaged = pods.filter { $0.metadata.controllerRef == nil }
        if !unmanaged.isEmpty && !inv.has("force") {
            throw CommandFailure("error: unable to drain node \"\(name)\" due to error: cannot delete Pods that declare no controller (use --force to override): "
                                 + unmanaged.map { "\($0.metadata.namespace ?? "")/\($0.metadata.name)" }.joined(separator: ", "), output: out.joined(separator: "\n") + "\n")
        }
        for p in pods {
            out.append("evicting pod \(p.metadata.namespace ?? "default")/\(p.metadata.name)")
            try api { try c.api.delete(.pod, namespace: p.metadata.namespace, name: p.metadata.name) }
        }
        for p in pods { out.append("pod/\(p.metadata.name) evicted") }
        out.append("node/\(name) drained")
        return CommandResult(output: out.joined(separator: "\n"))
    }
}

enum DeploymentHash {
    static func of(_ d: Deployment) -> String { DeploymentController.templateHash(d.spec.template) }
}

extension String {
    func ifEmpty(_ s: String) -> String { isEmpty ? s : self }
}
