import KubeSimCore
import KubeSimAPI

/// Objects → manifests, in the field order kubectl prints (apiVersion, kind, metadata,
/// spec, status). Times are RFC 3339 from a fixed epoch plus simulated time, so a
/// transcript never depends on the wall clock.
/// RFC 4648 base64, for Secret data.
public enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ s: String) -> String {
        let b = Array(s.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < b.count {
            let n = min(3, b.count - i)
            let v = (UInt32(b[i]) << 16) | (n > 1 ? UInt32(b[i + 1]) << 8 : 0) | (n > 2 ? UInt32(b[i + 2]) : 0)
            out.append(alphabet[Int((v >> 18) & 63)])
            out.append(alphabet[Int((v >> 12) & 63)])
            out.append(n > 1 ? alphabet[Int((v >> 6) & 63)] : UInt8(ascii: "="))
            out.append(n > 2 ? alphabet[Int(v & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ s: String) -> String? {
        var lookup = [UInt8: UInt32]()
        for (i, c) in alphabet.enumerated() { lookup[c] = UInt32(i) }
        let chars = Array(s.utf8).filter { $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: " ") }
        guard chars.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < chars.count {
            var v: UInt32 = 0
            var pad = 0
            for j in 0..<4 {
                let c = chars[i + j]
                if c == UInt8(ascii: "=") { pad += 1; v <<= 6; continue }
                guard let d = lookup[c], pad == 0 else { return nil }
                v = (v << 6) | d
            }
            out.append(UInt8((v >> 16) & 0xff))
            if pad < 2 { out.append(UInt8((v >> 8) & 0xff)) }
            if pad < 1 { out.append(UInt8(v & 0xff)) }
            i += 4
        }
        return String(decoding: out, as: UTF8.self)
    }
}

public enum ManifestEncoder {
    /// Simulated time 0 is this instant (a fixed, documented epoch).
    public static let epochText = "2026-01-01T00:00:00Z"

    public static func yaml(_ o: APIObject, forExport: Bool = false) -> String { YAMLWriter.write(encode(o, forExport: forExport)) }
    public static func json(_ o: APIObject) -> String { JSONWriter.write(encode(o)) + "\n" }

    /// `2026-01-01T00:00:12Z` for 12 s of simulated time.
    public static func timestamp(_ ns: Int64) -> String {
        var s = ns / 1_000_000_000
        let days = s / 86400
        s %= 86400
        // Days since 2026-01-01 into a date (proleptic Gregorian, good for centuries).
        var y = 2026, d = Int(days)
        func leap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }
        while d >= (leap(y) ? 366 : 365) { d -= leap(y) ? 366 : 365; y += 1 }
        let months = [31, leap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        var m = 0
        while d >= months[m] { d -= months[m]; m += 1 }
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m + 1))-\(two(d + 1))T\(two(Int(s / 3600))):\(two(Int(s % 3600 / 60))):\(two(Int(s % 60)))Z"
    }

    static func labels(_ d: [String: String]) -> JSONValue { .object(d.keys.sorted().map { ($0, .string(d[$0]!)) }) }

    public static func encode(_ o: APIObject, forExport: Bool = false) -> JSONValue {
        var out = encodeModelled(o, forExport: forExport)
        // Fields the model keeps but does not simulate go back where they were.
        for field in o.metadata.preserved {
            guard let value = try? Manifest.parseJSON(field.json) else { continue }
            out.insert(value, at: field.path[...])
        }
        return out
    }

    static func encodeModelled(_ o: APIObject, forExport: Bool) -> JSONValue {
        var b = ObjectBuilder()
        b.add("apiVersion", o.type.apiVersion)
        b.add("kind", o.type.kind)
        b.add("metadata", metadata(o.metadata, forExport: forExport))
        switch o {
        case .pod(let p):
            b.add("spec", podSpec(p.spec))
            if !forExport { b.add("status", podStatus(p.status)) }
        case .replicaSet(let r):
            var s = ObjectBuilder()
            s.addAlways("replicas", .int(Int64(r.spec.replicas)))
            if r.spec.minReadySeconds > 0 { s.add("minReadySeconds", r.spec.minReadySeconds) }
            s.add("selector", selector(r.spec.selector))
            s.add("template", template(r.spec.template))
            b.add("spec", s.value)
            if !forExport {
                var st = ObjectBuilder()
                st.add("availableReplicas", r.status.availableReplicas == 0 ? nil : r.status.availableReplicas)
                st.add("fullyLabeledReplicas", r.status.fullyLabeledReplicas == 0 ? nil : r.status.fullyLabeledReplicas)
                st.add("observedGeneration", Int(r.status.observedGeneration))
                st.add("readyReplicas", r.status.readyReplicas == 0 ? nil : r.status.readyReplicas)
                st.addAlways("replicas", .int(Int64(r.status.replicas)))
                b.add("status", st.value)
            }
        case .deployment(let d):
            var s = ObjectBuilder()
            if d.spec.paused { s.add("paused", .bool(true)) }
            s.add("progressDeadlineSeconds", d.spec.progressDeadlineSeconds)
            s.addAlways("replicas", .int(Int64(d.spec.replicas)))
            s.add("revisionHistoryLimit", d.spec.revisionHistoryLimit)
            s.add("selector", selector(d.spec.selector))
            var strategy = ObjectBuilder()
            if d.spec.strategy.type == "RollingUpdate" {
                strategy.add("rollingUpdate", .object([("maxSurge", intOrPercent(d.spec.strategy.maxSurge)), ("maxUnavailable", intOrPercent(d.spec.strategy.maxUnavailable))]))
            }
            strategy.add("type", d.spec.strategy.type)
            s.add("strategy", strategy.value)
            s.add("template", template(d.spec.template))
            b.add("spec", s.value)
            if !forExport {
                var st = ObjectBuilder()
                st.add("availableReplicas", d.status.availableReplicas == 0 ? nil : d.status.availableReplicas)
                st.add("conditions", .array(d.status.conditions.map { c in
                    .object([("lastTransitionTime", .string(timestamp(c.lastTransitionTime))), ("lastUpdateTime", .string(timestamp(c.lastUpdateTime))),
                             ("message", .string(c.message)), ("reason", .string(c.reason)), ("status", .string(c.status)), ("type", .string(c.type))])
                }))
                st.add("observedGeneration", Int(d.status.observedGeneration))
                st.add("readyReplicas", d.status.readyReplicas == 0 ? nil : d.status.readyReplicas)
                st.add("replicas", d.status.replicas == 0 ? nil : d.status.replicas)
                st.add("unavailableReplicas", d.status.unavailableReplicas == 0 ? nil : d.status.unavailableReplicas)
                st.add("updatedReplicas", d.status.updatedReplicas == 0 ? nil : d.status.updatedReplicas)
                b.add("status", st.value)
            }
        case .node(let n):
            var s = ObjectBuilder()
            s.add("podCIDR", n.podCIDR)
            s.add("taints", .array(n.taints.map { t in
                var x = ObjectBuilder(); x.add("effect", t.effect); x.add("key", t.key); x.add("value", t.value); return x.value
            }))
            if n.unschedulable { s.add("unschedulable", .bool(true)) }
            b.add("spec", s.value)
            if !forExport {
                var st = ObjectBuilder()
                st.add("addresses", .array([.object([("address", .string(n.internalIP)), ("type", .string("InternalIP"))]),
                                            .object([("address", .string(n.metadata.name)), ("type", .string("Hostname"))])]))
                st.add("allocatable", .object(n.allocatable.keys.sorted().map { ($0, .string(n.allocatable[$0]!.description)) }))
                st.add("capacity", .object(n.capacity.keys.sorted().map { ($0, .string(n.capacity[$0]!.description)) }))
                st.add("conditions", .array(n.conditions.map { c in
                    .object([("lastHeartbeatTime", .string(timestamp(c.lastHeartbeatTime))), ("lastTransitionTime", .string(timestamp(c.lastTransitionTime))),
                             ("message", .string(c.message)), ("reason", .string(c.reason)), ("status", .string(c.status)), ("type", .string(c.type))])
                }))
                st.add("images", .array(n.images.map { .object([("names", strings($0.names)), ("sizeBytes", .int($0.sizeBytes))]) }))
                b.add("status", st.value)
            }
        case .namespace(let n):
            if !forExport { b.add("spec", .object([("finalizers", .array([.string("kubernetes")]))])); b.add("status", .object([("phase", .string(n.phase))])) }
        case .role(let r, _):
            b.add("rules", .array(r.rules.map { rule in
                var x = ObjectBuilder()
                x.addAlways("apiGroups", .array(rule.apiGroups.map { .string($0) }))
                x.add("resourceNames", .array(rule.resourceNames.map { .string($0) }))
                x.add("resources", .array(rule.resources.map { .string($0) }))
                x.addAlways("verbs", .array(rule.verbs.map { .string($0) }))
                return x.value
            }))
        case .roleBinding(let rb, _):
            b.add("roleRef", .object([("apiGroup", .string("rbac.authorization.k8s.io")), ("kind", .string(rb.roleKind)), ("name", .string(rb.roleName))]))
            b.add("subjects", .array(rb.subjects.map { s in
                var x = ObjectBuilder()
                if s.kind != "ServiceAccount" { x.add("apiGroup", "rbac.authorization.k8s.io") }
                x.add("kind", s.kind); x.add("name", s.name); x.add("namespace", s.namespace)
                return x.value
            }))
        case .serviceAccount, .stored:
            break
        case .job(let j):
            b.add("spec", jobSpec(j.spec, forExport: forExport))
            if !forExport {
                var st = ObjectBuilder()
                st.add("active", j.status.active == 0 ? nil : j.status.active)
                st.add("completedIndexes", j.status.completedIndexes.isEmpty ? nil : j.status.completedIndexes)
                st.add("completionTime", j.status.completionTime.map(timestamp))
                st.add("conditions", .array(j.status.conditions.map { c in
                    .object([("lastProbeTime", .string(timestamp(c.lastTransitionTime))), ("lastTransitionTime", .string(timestamp(c.lastTransitionTime))),
                             ("message", .string(c.message)), ("reason", .string(c.reason)), ("status", .string(c.status)), ("type", .string(c.type))])
                }))
                st.add("failed", j.status.failed == 0 ? nil : j.status.failed)
                st.addAlways("ready", .int(Int64(j.status.ready)))
                st.add("startTime", j.status.startTime.map(timestamp))
                st.add("succeeded", j.status.succeeded == 0 ? nil : j.status.succeeded)
                b.add("status", st.value)
            }
        case .cronJob(let cj):
            var sp = ObjectBuilder()
            sp.add("concurrencyPolicy", cj.spec.concurrencyPolicy)
            sp.add("failedJobsHistoryLimit", cj.spec.failedJobsHistoryLimit)
            var jt = ObjectBuilder()
            var jm = ObjectBuilder()
            jm.add("annotations", labels(cj.spec.jobAnnotations))
            jm.add("labels", labels(cj.spec.jobLabels))
            jt.addAlways("metadata", jm.value)
            jt.add("spec", jobSpec(cj.spec.jobTemplate, forExport: true))
            sp.add("jobTemplate", jt.value)
            sp.add("schedule", cj.spec.schedule)
            sp.add("startingDeadlineSeconds", cj.spec.startingDeadlineSeconds.map { Int($0) })
            sp.add("successfulJobsHistoryLimit", cj.spec.successfulJobsHistoryLimit)
            sp.addAlways("suspend", .bool(cj.spec.suspend))
            sp.add("timeZone", cj.spec.timeZone)
            b.add("spec", sp.value)
            if !forExport {
                var st = ObjectBuilder()
                st.add("active", .array(cj.status.active.map { n in
                    .object([("apiVersion", .string("batch/v1")), ("kind", .string("Job")), ("name", .string(n)), ("namespace", .string(cj.metadata.namespace ?? "default"))])
                }))
                st.add("lastScheduleTime", cj.status.lastScheduleTime.map(timestamp))
                st.add("lastSuccessfulTime", cj.status.lastSuccessfulTime.map(timestamp))
                b.addAlways("status", st.value)
            }
        case .daemonSet(let d):
            var sp = ObjectBuilder()
            if d.spec.minReadySeconds > 0 { sp.add("minReadySeconds", d.spec.minReadySeconds) }
            sp.add("revisionHistoryLimit", d.spec.revisionHistoryLimit)
            sp.add("selector", selector(d.spec.selector))
            sp.add("template", template(d.spec.template))
            var us = ObjectBuilder()
            if d.spec.updateStrategy == "RollingUpdate" {
                us.add("rollingUpdate", .object([("maxSurge", intOrPercent(d.spec.maxSurge)), ("maxUnavailable", intOrPercent(d.spec.maxUnavailable))]))
            }
            us.add("type", d.spec.updateStrategy)
            sp.add("updateStrategy", us.value)
            b.add("spec", sp.value)
            if !forExport {
                let st = d.status
                b.add("status", .object([("currentNumberScheduled", .int(Int64(st.currentNumberScheduled))), ("desiredNumberScheduled", .int(Int64(st.desiredNumberScheduled))),
                                         ("numberAvailable", .int(Int64(st.numberAvailable))), ("numberMisscheduled", .int(Int64(st.numberMisscheduled))),
                                         ("numberReady", .int(Int64(st.numberReady))), ("observedGeneration", .int(st.observedGeneration)),
                                         ("updatedNumberScheduled", .int(Int64(st.updatedNumberScheduled)))]))
            }
        case .statefulSet(let ss):
            var sp = ObjectBuilder()
            if ss.spec.minReadySeconds > 0 { sp.add("minReadySeconds", ss.spec.minReadySeconds) }
            sp.add("persistentVolumeClaimRetentionPolicy", .object([("whenDeleted", .string("Retain")), ("whenScaled", .string("Retain"))]))
            sp.add("podManagementPolicy", ss.spec.podManagementPolicy)
            sp.addAlways("replicas", .int(Int64(ss.spec.replicas)))
            sp.add("revisionHistoryLimit", ss.spec.revisionHistoryLimit)
            sp.add("selector", selector(ss.spec.selector))
            sp.add("serviceName", ss.spec.serviceName)
            sp.add("template", template(ss.spec.template))
            var us = ObjectBuilder()
            if ss.spec.updateStrategy == "RollingUpdate" { us.add("rollingUpdate", .object([("partition", .int(Int64(ss.spec.partition)))])) }
            us.add("type", ss.spec.updateStrategy)
            sp.add("updateStrategy", us.value)
            sp.add("volumeClaimTemplates", .array(ss.spec.volumeClaimTemplates.map { t in
                var cs = ObjectBuilder()
                cs.add("accessModes", strings(t.accessModes))
                cs.add("resources", .object([("requests", .object([("storage", .string(t.storage))]))]))
                cs.add("storageClassName", t.storageClassName)
                cs.add("volumeMode", "Filesystem")
                return .object([("apiVersion", .string("v1")), ("kind", .string("PersistentVolumeClaim")), ("metadata", .object([("name", .string(t.name))])), ("spec", cs.value)])
            }))
            b.add("spec", sp.value)
            if !forExport {
                let st = ss.status
                var x = ObjectBuilder()
                x.addAlways("availableReplicas", .int(Int64(st.availableReplicas)))
                x.addAlways("collisionCount", .int(0))
                x.add("currentReplicas", st.currentReplicas == 0 ? nil : st.currentReplicas)
                x.add("currentRevision", st.currentRevision.isEmpty ? nil : st.currentRevision)
                x.add("observedGeneration", Int(st.observedGeneration))
                x.add("readyReplicas", st.readyReplicas == 0 ? nil : st.readyReplicas)
                x.addAlways("replicas", .int(Int64(st.replicas)))
                x.add("updateRevision", st.updateRevision.isEmpty ? nil : st.updateRevision)
                x.add("updatedReplicas", st.updatedReplicas == 0 ? nil : st.updatedReplicas)
                b.add("status", x.value)
            }
        case .horizontalPodAutoscaler(let h):
            var s = ObjectBuilder()
            s.addAlways("maxReplicas", .int(Int64(h.spec.maxReplicas)))
            s.add("metrics", .array(h.spec.metrics.map { m in
                .object([("resource", .object([("name", .string(m.resource)),
                                               ("target", .object([("averageUtilization", .int(Int64(m.averageUtilization))), ("type", .string("Utilization"))]))])),
                         ("type", .string("Resource"))])
            }))
            s.addAlways("minReplicas", .int(Int64(h.spec.minReplicas)))
            s.addAlways("scaleTargetRef", .object([("apiVersion", .string(h.spec.targetAPIVersion)), ("kind", .string(h.spec.targetKind)), ("name", .string(h.spec.targetName))]))
            b.add("spec", s.value)
            if !forExport {
                var st = ObjectBuilder()
                st.add("conditions", .array(h.status.conditions.map { c in
                    .object([("lastTransitionTime", .string(timestamp(c.lastTransitionTime))), ("message", .string(c.message)), ("reason", .string(c.reason)),
                             ("status", .string(c.status)), ("type", .string(c.type))])
                }))
                st.add("currentMetrics", .array(h.status.currentUtilization.keys.sorted().map { r in
                    var cur = ObjectBuilder()
                    cur.addAlways("averageUtilization", .int(Int64(h.status.currentUtilization[r]!)))
                    cur.add("averageValue", h.status.currentAverageValue[r]?.description)
                    return .object([("resource", .object([("current", cur.value), ("name", .string(r))])), ("type", .string("Resource"))])
                }))
                st.addAlways("currentReplicas", .int(Int64(h.status.currentReplicas)))
                st.addAlways("desiredReplicas", .int(Int64(h.status.desiredReplicas)))
                st.add("lastScaleTime", h.status.lastScaleTime.map(timestamp))
                b.add("status", st.value)
            }
        case .endpointSlice(let es):
            b.add("addressType", es.addressType)
            // The API returns `null` for a slice without endpoints or ports.
            b.addAlways("endpoints", es.endpoints.isEmpty ? .null : .array(es.endpoints.map { e in
                var x = ObjectBuilder()
                x.add("addresses", strings(e.addresses))
                x.add("conditions", .object([("ready", .bool(e.ready)), ("serving", .bool(e.serving)), ("terminating", .bool(e.terminating))]))
                x.add("hostname", e.hostname)
                x.add("nodeName", e.nodeName)
                if let name = e.targetPod {
                    var r = ObjectBuilder()
                    r.add("kind", "Pod"); r.add("name", name); r.add("namespace", e.targetNamespace); r.add("uid", e.targetUID)
                    x.add("targetRef", r.value)
                }
                return x.value
            }))
            b.addAlways("ports", es.ports.isEmpty ? .null : .array(es.ports.map { p in
                var x = ObjectBuilder()
                if let name = p.name { x.addAlways("name", .string(name)) }
                x.add("port", p.port)
                x.add("protocol", p.protocol)
                return x.value
            }))
            // Kinds without spec/status: the API's fields sorted as kubectl prints them.
            b.pairs.sort { $0.0 < $1.0 }
        case .endpoints(let e):
            b.add("subsets", subsets(e))
        case .networkPolicy(let np):
            b.add("spec", networkPolicySpec(np.spec))
        case .limitRange(let lr):
            func qs(_ d: [String: Quantity]) -> JSONValue { .object(d.keys.sorted().map { ($0, .string(d[$0]!.description)) }) }
            b.add("spec", .object([("limits", .array(lr.limits.map { item in
                var x = ObjectBuilder()
                x.add("default", qs(item.defaultLimits)); x.add("defaultRequest", qs(item.defaultRequests))
                x.add("max", qs(item.max)); x.add("min", qs(item.min)); x.add("type", item.type)
                return x.value
            }))]))
        case .resourceQuota(let q):
            func qs(_ d: [String: Quantity]) -> JSONValue { .object(d.keys.sorted().map { ($0, .string(d[$0]!.description)) }) }
            b.add("spec", .object([("hard", qs(q.hard))]))
            if !forExport { b.add("status", .object([("hard", qs(q.hard)), ("used", qs(q.used))])) }
        case .configMap(let cm):
            b.add("data", labels(cm.data))
        case .secret(let sec):
            b.add("data", .object(sec.data.keys.sorted().map { ($0, .string(Base64.encode(sec.data[$0]!))) }))
            b.add("type", sec.type)
        case .service(let svc):
            var s = ObjectBuilder()
            if let ip = svc.spec.clusterIP { s.add("clusterIP", ip); if !forExport || ip == "None" { s.add("clusterIPs", .array([.string(ip)])) } }
            if forExport, svc.spec.clusterIP != "None" { s.pairs.removeAll { $0.0 == "clusterIP" } }
            if !svc.spec.externalIPs.isEmpty { s.add("externalIPs", .array(svc.spec.externalIPs.map { .string($0) })) }
            s.add("externalTrafficPolicy", svc.spec.externalTrafficPolicy)
            if let h = svc.spec.healthCheckNodePort, !forExport { s.add("healthCheckNodePort", .int(Int64(h))) }
            s.add("internalTrafficPolicy", svc.spec.internalTrafficPolicy)
            s.add("loadBalancerIP", svc.spec.loadBalancerIP)
            if !svc.spec.loadBalancerSourceRanges.isEmpty { s.add("loadBalancerSourceRanges", .array(svc.spec.loadBalancerSourceRanges.map { .string($0) })) }
            s.add("ports", .array(svc.spec.ports.map { p in
                var x = ObjectBuilder()
                x.add("name", p.name)
                if !forExport { x.add("nodePort", p.nodePort) }
                x.addAlways("port", .int(Int64(p.port)))
                x.add("protocol", p.protocol)
                if let t = p.targetPort { x.add("targetPort", Int(t).map { JSONValue.int(Int64($0)) } ?? .string(t)) }
                return x.value
            }))
            s.add("selector", labels(svc.spec.selector))
            s.add("sessionAffinity", svc.spec.sessionAffinity)
            if let t = svc.spec.sessionAffinityTimeout { s.add("sessionAffinityConfig", .object([("clientIP", .object([("timeoutSeconds", .int(Int64(t)))]))])) }
            s.add("type", svc.spec.type)
            b.add("spec", s.value)
            if !forExport {
                b.add("status", .object([("loadBalancer", svc.loadBalancerIngress.isEmpty ? .object([]) : .object([("ingress", .array(svc.loadBalancerIngress.map { .object([("ip", .string($0))]) }))]))]))
            }
        case .event(let e):
            b.add("involvedObject", .object([("kind", .string(e.involvedKind)), ("name", .string(e.involvedName))] + (e.involvedNamespace.map { [("namespace", JSONValue.string($0))] } ?? [])))
            b.add("reason", e.reason)
            b.add("message", e.message)
            b.add("type", e.type)
            b.add("count", e.count)
            b.add("firstTimestamp", timestamp(e.firstTimestamp))
            b.add("lastTimestamp", timestamp(e.lastTimestamp))
            b.add("source", .object([("component", .string(e.source))]))
        }
        return b.value
    }

    static func metadata(_ m: ObjectMeta, forExport: Bool) -> JSONValue {
        var b = ObjectBuilder()
        b.add("annotations", labels(m.annotations))
        if !forExport {
            b.add("creationTimestamp", timestamp(m.creationTimestamp))
            b.add("deletionGracePeriodSeconds", m.deletionGracePeriodSeconds.map { Int($0) })
            b.add("deletionTimestamp", m.deletionTimestamp.map(timestamp))
            b.add("generation", m.generation == 0 ? nil : Int(m.generation))
        }
        b.add("labels", labels(m.labels))
        b.add("name", m.name)
        b.add("namespace", m.namespace)
        if !forExport {
            b.add("ownerReferences", .array(m.ownerReferences.map { r in
                .object([("apiVersion", .string(r.apiVersion)), ("blockOwnerDeletion", .bool(r.blockOwnerDeletion)), ("controller", .bool(r.controller)),
                         ("kind", .string(r.kind)), ("name", .string(r.name)), ("uid", .string(r.uid))])
            }))
            if m.resourceVersion != 0 { b.add("resourceVersion", String(m.resourceVersion)) }
            b.add("uid", m.uid)
        }
        return b.value
    }

    static func selector(_ s: LabelSelector) -> JSONValue {
        var exprs: [JSONValue] = []
        var match: [String: String] = [:]
        for r in s.requirements {
            switch r {
            case let .equals(k, v): match[k] = v
            case let .isIn(k, vs): exprs.append(.object([("key", .string(k)), ("operator", .string("In")), ("values", .array(vs.map { .string($0) }))]))
            case let .notIn(k, vs): exprs.append(.object([("key", .string(k)), ("operator", .string("NotIn")), ("values", .array(vs.map { .string($0) }))]))
            case let .exists(k): exprs.append(.object([("key", .string(k)), ("operator", .string("Exists"))]))
            case let .doesNotExist(k): exprs.append(.object([("key", .string(k)), ("operator", .string("DoesNotExist"))]))
            case let .notEquals(k, v): exprs.append(.object([("key", .string(k)), ("operator", .string("NotIn")), ("values", .array([.string(v)]))]))
            }
        }
        var b = ObjectBuilder()
        b.add("matchExpressions", .array(exprs))
        b.add("matchLabels", labels(match))
        return b.value
    }

    static func intOrPercent(_ v: IntOrPercent) -> JSONValue {
        switch v {
        case .int(let i): return .int(Int64(i))
        case .percent: return .string(v.description)
        }
    }

    static func template(_ t: PodTemplateSpec) -> JSONValue {
        var m = ObjectBuilder()
        m.add("annotations", labels(t.annotations))
        m.add("labels", labels(t.labels))
        var out = JSONValue.object([("metadata", m.value), ("spec", podSpec(t.spec))])
        for field in t.preserved {
            guard let value = try? Manifest.parseJSON(field.json) else { continue }
            out.insert(value, at: field.path[...])
        }
        return out
    }

    static func strings(_ a: [String]) -> JSONValue { .array(a.map { .string($0) }) }

    static let jobGeneratedLabels = ["batch.kubernetes.io/controller-uid", "batch.kubernetes.io/job-name", "controller-uid", "job-name"]

    /// A Job's spec; exported without the generated selector and labels, which carry the
    /// uid of this cluster's object (a real cluster regenerates them).
    static func jobSpec(_ j: JobSpec, forExport: Bool) -> JSONValue {
        var sp = ObjectBuilder()
        sp.add("activeDeadlineSeconds", j.activeDeadlineSeconds.map { Int($0) })
        sp.add("backoffLimit", j.backoffLimit)
        sp.add("completionMode", j.completionMode)
        sp.add("completions", j.completions)
        if j.manualSelector { sp.add("manualSelector", .bool(true)) }
        sp.add("parallelism", j.parallelism)
        var t = j.template
        if forExport && !j.manualSelector {
            for k in jobGeneratedLabels { t.labels.removeValue(forKey: k) }
        } else {
            sp.add("selector", selector(j.selector))
        }
        sp.addAlways("suspend", .bool(j.suspend))
        sp.add("template", template(t))
        sp.add("ttlSecondsAfterFinished", j.ttlSecondsAfterFinished)
        return sp.value
    }

    static func portValue(_ p: String) -> JSONValue { Int(p).map { .int(Int64($0)) } ?? .string(p) }

    static func probe(_ p: Probe?) -> JSONValue? {
        guard let p else { return nil }
        var b = ObjectBuilder()
        switch p.handler {
        case .exec(let cmd): b.add("exec", .object([("command", strings(cmd))]))
        default: break
        }
        b.add("failureThreshold", p.failureThreshold)
        if case let .httpGet(path, port, scheme) = p.handler {
            b.add("httpGet", .object([("path", .string(path)), ("port", portValue(port)), ("scheme", .string(scheme))]))
        }
        if p.initialDelaySeconds > 0 { b.add("initialDelaySeconds", p.initialDelaySeconds) }
        b.add("periodSeconds", p.periodSeconds)
        b.add("successThreshold", p.successThreshold)
        if case let .tcpSocket(port) = p.handler { b.add("tcpSocket", .object([("port", portValue(port))])) }
        b.add("timeoutSeconds", p.timeoutSeconds)
        return b.value
    }

    static func container(_ c: Container) -> JSONValue {
        var x = ObjectBuilder()
        x.add("args", strings(c.args))
        x.add("command", strings(c.command))
        x.add("env", .array(c.env.map { e in
            var y = ObjectBuilder()
            y.add("name", e.name)
            y.add("value", e.value)
            switch e.valueFrom {
            case let .configMapKey(name, key, optional)?:
                y.add("valueFrom", .object([("configMapKeyRef", .object([("key", .string(key)), ("name", .string(name))] + (optional ? [("optional", JSONValue.bool(true))] : [])))]))
            case let .secretKey(name, key, optional)?:
                y.add("valueFrom", .object([("secretKeyRef", .object([("key", .string(key)), ("name", .string(name))] + (optional ? [("optional", JSONValue.bool(true))] : [])))]))
            case let .field(path)?:
                y.add("valueFrom", .object([("fieldRef", .object([("apiVersion", .string("v1")), ("fieldPath", .string(path))]))]))
            case nil: break
            }
            return y.value
        }))
        x.add("envFrom", .array(c.envFrom.map { e in
            var y = ObjectBuilder()
            if let cm = e.configMap { y.add("configMapRef", .object([("name", .string(cm))] + (e.optional ? [("optional", JSONValue.bool(true))] : []))) }
            y.add("prefix", e.prefix)
            if let sec = e.secret { y.add("secretRef", .object([("name", .string(sec))] + (e.optional ? [("optional", JSONValue.bool(true))] : []))) }
            return y.value
        }))
        x.add("image", c.image)
        x.add("imagePullPolicy", c.imagePullPolicy.isEmpty ? nil : c.imagePullPolicy)
        x.add("livenessProbe", probe(c.livenessProbe))
        x.add("name", c.name)
        x.add("ports", .array(c.ports.map { p in
            var y = ObjectBuilder()
            y.addAlways("containerPort", .int(Int64(p.containerPort)))
            y.add("name", p.name)
            y.add("protocol", p.protocol)
            return y.value
        }))
        x.add("readinessProbe", probe(c.readinessProbe))
        var r = ObjectBuilder()
        r.add("limits", .object(c.resources.limits.keys.sorted().map { ($0, .string(c.resources.limits[$0]!.description)) }))
        r.add("requests", .object(c.resources.requests.keys.sorted().map { ($0, .string(c.resources.requests[$0]!.description)) }))
        x.addAlways("resources", r.value)
        x.add("startupProbe", probe(c.startupProbe))
        x.add("terminationMessagePath", c.terminationMessagePath)
        x.add("terminationMessagePolicy", c.terminationMessagePolicy)
        x.add("volumeMounts", .array(c.volumeMounts.map { m in
            var y = ObjectBuilder()
            y.add("mountPath", m.mountPath); y.add("name", m.name)
            if m.readOnly { y.add("readOnly", .bool(true)) }
            y.add("subPath", m.subPath)
            return y.value
        }))
        return x.value
    }

    static func nodeTerm(_ t: NodeSelectorTerm) -> JSONValue {
        func reqs(_ list: [NodeSelectorRequirement]) -> JSONValue {
            .array(list.map { r in
                var y = ObjectBuilder()
                y.add("key", r.key); y.add("operator", r.operator); y.add("values", strings(r.values))
                return y.value
            })
        }
        var b = ObjectBuilder()
        b.add("matchExpressions", reqs(t.matchExpressions))
        b.add("matchFields", reqs(t.matchFields))
        return b.value
    }

    static func podTerm(_ t: PodAffinityTerm) -> JSONValue {
        var y = ObjectBuilder()
        y.add("labelSelector", selector(t.labelSelector))
        y.add("namespaces", strings(t.namespaces))
        y.add("topologyKey", t.topologyKey)
        return y.value
    }

    static func affinity(_ a: Affinity) -> JSONValue? {
        guard !a.isEmpty else { return nil }
        func weighted(_ w: [WeightedPodAffinityTerm]) -> JSONValue { .array(w.map { .object([("podAffinityTerm", podTerm($0.term)), ("weight", .int(Int64($0.weight)))]) }) }
        var b = ObjectBuilder()
        var node = ObjectBuilder()
        node.add("preferredDuringSchedulingIgnoredDuringExecution", .array(a.nodePreferred.map { .object([("preference", nodeTerm($0.preference)), ("weight", .int(Int64($0.weight)))]) }))
        if !a.nodeRequired.isEmpty {
            node.add("requiredDuringSchedulingIgnoredDuringExecution", .object([("nodeSelectorTerms", .array(a.nodeRequired.map(nodeTerm)))]))
        }
        b.add("nodeAffinity", node.value)
        var pa = ObjectBuilder()
        pa.add("preferredDuringSchedulingIgnoredDuringExecution", weighted(a.podAffinityPreferred))
        pa.add("requiredDuringSchedulingIgnoredDuringExecution", .array(a.podAffinityRequired.map(podTerm)))
        b.add("podAffinity", pa.value)
        var anti = ObjectBuilder()
        anti.add("preferredDuringSchedulingIgnoredDuringExecution", weighted(a.podAntiAffinityPreferred))
        anti.add("requiredDuringSchedulingIgnoredDuringExecution", .array(a.podAntiAffinityRequired.map(podTerm)))
        b.add("podAntiAffinity", anti.value)
        return b.value
    }

    static func podSpec(_ s: PodSpec) -> JSONValue {
        var b = ObjectBuilder()
        b.add("activeDeadlineSeconds", s.activeDeadlineSeconds.map { Int($0) })
        b.add("affinity", affinity(s.affinity))
        b.add("containers", .array(s.containers.map(container)))
        b.add("dnsPolicy", s.dnsPolicy)
        b.add("ephemeralContainers", .array(s.ephemeralContainers.map { c in
            var e = container(c)
            if let t = s.ephemeralTargets[c.name], case .object(var pairs) = e {
                pairs.append(("targetContainerName", .string(t)))
                pairs.sort { $0.0 < $1.0 }
                e = .object(pairs)
            }
            return e
        }))
        b.add("hostname", s.hostname)
        b.add("initContainers", .array(s.initContainers.map(container)))
        b.add("nodeName", s.nodeName)
        b.add("nodeSelector", labels(s.nodeSelector))
        b.add("restartPolicy", s.restartPolicy)
        b.add("schedulerName", s.schedulerName)
        b.add("serviceAccountName", s.serviceAccountName)
        b.add("subdomain", s.subdomain)
        b.addAlways("terminationGracePeriodSeconds", .int(s.terminationGracePeriodSeconds))
        b.add("tolerations", .array(s.tolerations.map { t in
            var x = ObjectBuilder()
            x.add("effect", t.effect); x.add("key", t.key); x.add("operator", t.operator)
            x.add("tolerationSeconds", t.tolerationSeconds.map { Int($0) }); x.add("value", t.value)
            return x.value
        }))
        b.add("topologySpreadConstraints", .array(s.topologySpreadConstraints.map { t in
            .object([("labelSelector", selector(t.labelSelector)), ("maxSkew", .int(Int64(t.maxSkew))), ("topologyKey", .string(t.topologyKey)),
                     ("whenUnsatisfiable", .string(t.whenUnsatisfiable))])
        }))
        b.add("volumes", .array(s.volumes.map { v in
            func items(_ i: [KeyToPath]) -> JSONValue { .array(i.map { .object([("key", .string($0.key)), ("path", .string($0.path))]) }) }
            var y = ObjectBuilder()
            switch v.source {
            case .configMap(let name, let i, let optional):
                var c = ObjectBuilder(); c.add("defaultMode", 420); c.add("items", items(i)); c.add("name", name)
                if optional { c.add("optional", .bool(true)) }
                y.add("configMap", c.value)
            case .emptyDir(let medium):
                y.add("emptyDir", .object(medium.map { [("medium", JSONValue.string($0))] } ?? []))
            case .hostPath(let path):
                y.add("hostPath", .object([("path", .string(path)), ("type", .string(""))]))
            default: break
            }
            y.add("name", v.name)
            switch v.source {
            case .persistentVolumeClaim(let claim, let ro):
                y.add("persistentVolumeClaim", .object([("claimName", .string(claim))] + (ro ? [("readOnly", JSONValue.bool(true))] : [])))
            case .secret(let name, let i, let optional):
                var c = ObjectBuilder(); c.add("defaultMode", 420); c.add("items", items(i))
                if optional { c.add("optional", .bool(true)) }
                c.add("secretName", name)
                y.add("secret", c.value)
            default: break
            }
            return y.value
        }))
        return b.value
    }

    static func containerState(_ s: ContainerState) -> JSONValue {
        switch s {
        case let .waiting(reason, message):
            var y = ObjectBuilder(); y.add("message", message); y.add("reason", reason)
            return .object([("waiting", y.value)])
        case let .running(startedAt):
            return .object([("running", .object([("startedAt", .string(timestamp(startedAt)))]))])
        case let .terminated(exitCode, reason, message, startedAt, finishedAt):
            var y = ObjectBuilder()
            y.addAlways("exitCode", .int(Int64(exitCode)))
            y.add("finishedAt", timestamp(finishedAt)); y.add("message", message); y.add("reason", reason); y.add("startedAt", timestamp(startedAt))
            return .object([("terminated", y.value)])
        }
    }

    static func containerStatuses(_ list: [ContainerStatus]) -> JSONValue {
        .array(list.map { c in
            var y = ObjectBuilder()
            y.add("containerID", c.containerID)
            y.add("image", c.image)
            y.add("imageID", c.imageID)
            y.add("lastState", c.lastState.map(containerState) ?? .object([]))
            y.add("name", c.name)
            y.addAlways("ready", .bool(c.ready))
            y.addAlways("restartCount", .int(Int64(c.restartCount)))
            if let s = c.started { y.addAlways("started", .bool(s)) }
            y.add("state", containerState(c.state))
            return y.value
        })
    }

    static func podStatus(_ s: PodStatus) -> JSONValue {
        var b = ObjectBuilder()
        b.add("conditions", .array(s.conditions.map { c in
            var x = ObjectBuilder()
            x.add("lastTransitionTime", timestamp(c.lastTransitionTime)); x.add("message", c.message); x.add("reason", c.reason)
            x.add("status", c.status); x.add("type", c.type)
            return x.value
        }))
        b.add("containerStatuses", containerStatuses(s.containerStatuses))
        b.add("ephemeralContainerStatuses", containerStatuses(s.ephemeralContainerStatuses))
        b.add("hostIP", s.hostIP)
        b.add("initContainerStatuses", containerStatuses(s.initContainerStatuses))
        b.add("message", s.message)
        b.add("phase", s.phase)
        b.add("podIP", s.podIP)
        if let ip = s.podIP { b.add("podIPs", .array([.object([("ip", .string(ip))])])) }
        b.add("qosClass", s.qosClass)
        b.add("reason", s.reason)
        b.add("startTime", s.startTime.map(timestamp))
        return b.value
    }
}
