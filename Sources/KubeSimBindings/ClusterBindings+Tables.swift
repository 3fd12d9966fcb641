import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimControl
import KubeSimNode
import KubeSimNet
import KubeSimCluster
import KubeSimManifest

extension ClusterBindings {
    /// kubectl's columns for a kind (pkg/printers/internalversion/printers.go): the
    /// header and one row per object, before the flags that add columns.
    static func table(_ type: ResourceType, _ objects: [APIObject], now: Int64, wide: Bool, allNS: Bool, labels: Bool) -> (header: [String], rows: [[String]]) {
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
            // printNetworkPolicy: metav1.FormatLabelSelector of the pod selector.
            rows = objects.compactMap(\.networkPolicy).map { np in
                [np.metadata.name, np.spec.podSelector.isEmpty ? "<none>" : np.spec.podSelector.description, Format.age(now - np.metadata.creationTimestamp)]
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
        case .endpoints:
            // printEndpoints: NAME, ENDPOINTS (formatEndpoints), AGE.
            header = ["NAME", "ENDPOINTS", "AGE"]
            rows = objects.compactMap(\.endpoints).map { [$0.metadata.name, formatEndpoints($0), Format.age(now - $0.metadata.creationTimestamp)] }
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
        case .horizontalPodAutoscaler:
            // printHorizontalPodAutoscaler: TARGETS as "cpu: 45%/80%" (or <unknown>).
            header = ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]
            rows = objects.compactMap(\.horizontalPodAutoscaler).map { h in
                let targets = h.spec.metrics.map { m in "\(m.resource): \(h.status.currentUtilization[m.resource].map { "\($0)%" } ?? "<unknown>")/\(m.averageUtilization)%" }
                return [h.metadata.name, "\(h.spec.targetKind)/\(h.spec.targetName)", targets.isEmpty ? "<none>" : targets.joined(separator: ", "),
                        String(h.spec.minReplicas), String(h.spec.maxReplicas), String(h.status.currentReplicas), Format.age(now - h.metadata.creationTimestamp)]
            }
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
        return (header, rows)
    }
}
