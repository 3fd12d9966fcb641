import KubeScript
import KubeSimAPI

/// A cluster object as scripts see it: `pod.phase`, `deployment("web").readyReplicas`.
final class ObjectValue: ScriptObject, @unchecked Sendable {
    let object: APIObject
    let now: Int64
    init(_ object: APIObject, now: Int64) { self.object = object; self.now = now }

    var typeName: String { object.type.singular }
    var description: String { "\(object.type.singular)/\(object.metadata.name)" }

    var memberNames: [String] {
        var names = ["name", "namespace", "labels", "annotations", "uid", "resourceVersion", "kind", "age", "finalizers"]
        switch object {
        case .pod: names += ["phase", "status", "nodeName", "ready", "ip", "hostIP", "restarts", "owner", "image", "reason", "lastReason", "exitCode", "qos", "terminating", "containers"]
        case .replicaSet: names += ["replicas", "readyReplicas", "availableReplicas", "currentReplicas", "revision", "owner", "image"]
        case .deployment: names += ["replicas", "readyReplicas", "availableReplicas", "updatedReplicas", "unavailableReplicas", "image", "revision", "paused", "strategy", "available", "progressing"]
        case .node: names += ["ready", "status", "unschedulable", "taints", "ip", "podCIDR", "conditions", "images"]
        case .service: names += ["type", "clusterIP", "ports", "nodePort", "selector"]
        case .event: names += ["reason", "type", "message", "object", "count", "source"]
        case .endpointSlice: names += ["service", "addressType", "addresses", "ready", "notReady", "hostnames", "ports"]
        case .endpoints: names += ["addresses", "notReady", "ports"]
        case .configMap, .secret: names += ["data"]
        case .job: names += ["active", "succeeded", "failed", "ready", "complete", "status", "completions", "parallelism"]
        case .cronJob: names += ["schedule", "active", "suspend", "lastSchedule"]
        case .daemonSet: names += ["desired", "current", "ready", "updated", "available", "image"]
        case .statefulSet: names += ["replicas", "readyReplicas", "currentReplicas", "updatedReplicas", "image", "revision"]
        default: break
        }
        return names
    }

    func member(_ name: String) -> Value? {
        let m = object.metadata
        func strMap(_ d: [String: String]) -> Value { .map(ScriptMap(d.keys.sorted().map { (.string($0), .string(d[$0]!)) })) }
        switch name {
        case "name": return .string(m.name)
        case "namespace": return m.namespace.map { .string($0) } ?? .nil
        case "labels": return strMap(m.labels)
        case "annotations": return strMap(m.annotations)
        case "uid": return .string(m.uid)
        case "resourceVersion": return .int(Int(m.resourceVersion))
        case "kind": return .string(object.type.kind)
        case "age": return .duration(.nanoseconds(now - m.creationTimestamp))
        case "finalizers": return .list(m.finalizers.map { .string($0) })
        case "owner": return m.controllerRef.map { .string("\($0.kind.lowercased())/\($0.name)") } ?? .nil
        default: break
        }
        switch object {
        case .pod(let p):
            switch name {
            case "phase": return .string(p.status.phase)
            case "status": return .string(Format.podStatus(p))
            case "nodeName": return p.spec.nodeName.map { .string($0) } ?? .nil
            case "ready": return .bool(p.status.isReady)
            case "ip": return p.status.podIP.map { .string($0) } ?? .nil
            case "hostIP": return p.status.hostIP.map { .string($0) } ?? .nil
            case "restarts": return .int(p.status.restartCount)
            case "image": return .string(p.spec.containers.first?.image ?? "")
            case "qos": return .string(p.qosClass)
            case "terminating": return .bool(p.isTerminating)
            case "containers": return .list(p.spec.containers.map { .string($0.name) })
            case "reason":
                // The first container's waiting or terminated reason (CrashLoopBackOff, OOMKilled, …), else the pod's.
                switch p.status.containerStatuses.first?.state {
                case .waiting(let r, _)?: return .string(r)
                case .terminated(_, let r, _, _, _)?: return .string(r)
                default: return p.status.reason.map { .string($0) } ?? .nil
                }
            case "lastReason":
                if case .terminated(_, let r, _, _, _)? = p.status.containerStatuses.first?.lastState { return .string(r) }
                if case .terminated(_, let r, _, _, _)? = p.status.containerStatuses.first?.state { return .string(r) }
                return .nil
            case "exitCode":
                if let c = p.status.containerStatuses.first?.state.terminatedExitCode { return .int(c) }
                if let c = p.status.containerStatuses.first?.lastState?.terminatedExitCode { return .int(c) }
                return .nil
            default: return nil
            }
        case .replicaSet(let r):
            switch name {
            case "replicas": return .int(r.spec.replicas)
            case "currentReplicas": return .int(r.status.replicas)
            case "readyReplicas": return .int(r.status.readyReplicas)
            case "availableReplicas": return .int(r.status.availableReplicas)
            case "revision": return Int(m.annotations["deployment.kubernetes.io/revision"] ?? "").map { .int($0) } ?? .nil
            case "image": return .string(r.spec.template.spec.containers.first?.image ?? "")
            default: return nil
            }
        case .deployment(let d):
            switch name {
            case "replicas": return .int(d.spec.replicas)
            case "readyReplicas": return .int(d.status.readyReplicas)
            case "availableReplicas": return .int(d.status.availableReplicas)
            case "updatedReplicas": return .int(d.status.updatedReplicas)
            case "unavailableReplicas": return .int(d.status.unavailableReplicas)
            case "image": return .string(d.spec.template.spec.containers.first?.image ?? "")
            case "paused": return .bool(d.spec.paused)
            case "strategy": return .string(d.spec.strategy.type)
            case "available": return .bool(d.status.conditions.first { $0.type == "Available" }?.status == "True")
            case "progressing": return d.status.conditions.first { $0.type == "Progressing" }.map { .string($0.reason) } ?? .nil
            default: return nil
            }
        case .node(let n):
            switch name {
            case "ready": return .bool(n.isReady)
            case "status": return .string(Format.nodeStatus(n))
            case "conditions": return .map(ScriptMap(n.conditions.map { (.string($0.type), .string($0.status)) }))
            case "images": return .list(n.images.compactMap { $0.names.last.map { .string($0) } })
            case "unschedulable": return .bool(n.unschedulable)
            case "taints": return .list(n.taints.map { .string($0.description) })
            case "ip": return .string(n.internalIP)
            case "podCIDR": return n.podCIDR.map { .string($0) } ?? .nil
            default: return nil
            }
        case .service(let s):
            switch name {
            case "type": return .string(s.spec.type)
            case "clusterIP": return s.spec.clusterIP.map { .string($0) } ?? .nil
            case "ports": return .list(s.spec.ports.map { .int($0.port) })
            case "nodePort": return s.spec.ports.first?.nodePort.map { .int($0) } ?? .nil
            case "selector": return strMap(s.spec.selector)
            default: return nil
            }
        case .event(let e):
            switch name {
            case "reason": return .string(e.reason)
            case "type": return .string(e.type)
            case "message": return .string(e.message)
            case "object": return .string("\(e.involvedKind.lowercased())/\(e.involvedName)")
            case "count": return .int(e.count)
            case "source": return .string(e.source)
            default: return nil
            }
        case .endpoints(let e):
            switch name {
            case "addresses": return .list(e.subsets.flatMap(\.addresses).map { .string($0.ip) })
            case "notReady": return .list(e.subsets.flatMap(\.notReadyAddresses).map { .string($0.ip) })
            case "ports": return .list(e.subsets.flatMap(\.ports).compactMap(\.port).map { .int($0) })
            default: return nil
            }
        case .endpointSlice(let es):
            switch name {
            case "service": return es.serviceName.map { .string($0) } ?? .nil
            case "addressType": return .string(es.addressType)
            case "addresses": return .list(es.endpoints.flatMap(\.addresses).map { .string($0) })
            case "ready": return .list(es.endpoints.filter(\.ready).flatMap(\.addresses).map { .string($0) })
            case "notReady": return .list(es.endpoints.filter { !$0.ready }.flatMap(\.addresses).map { .string($0) })
            case "hostnames": return .list(es.endpoints.compactMap(\.hostname).map { .string($0) })
            case "ports": return .list(es.ports.compactMap(\.port).map { .int($0) })
            default: return nil
            }
        case .job(let j):
            switch name {
            case "active": return .int(j.status.active)
            case "succeeded": return .int(j.status.succeeded)
            case "failed": return .int(j.status.failed)
            case "ready": return .int(j.status.ready)
            case "complete": return .bool(j.status.conditions.contains { $0.type == "Complete" && $0.status == "True" })
            case "status": return .string(j.status.conditions.last { $0.status == "True" && ["Complete", "Failed"].contains($0.type) }?.type ?? (j.spec.suspend ? "Suspended" : "Running"))
            case "completions": return j.spec.completions.map { .int($0) } ?? .nil
            case "parallelism": return j.spec.parallelism.map { .int($0) } ?? .nil
            default: return nil
            }
        case .cronJob(let cj):
            switch name {
            case "schedule": return .string(cj.spec.schedule)
            case "active": return .int(cj.status.active.count)
            case "suspend": return .bool(cj.spec.suspend)
            case "lastSchedule": return cj.status.lastScheduleTime.map { .duration(.nanoseconds($0)) } ?? .nil
            default: return nil
            }
        case .daemonSet(let d):
            switch name {
            case "desired": return .int(d.status.desiredNumberScheduled)
            case "current": return .int(d.status.currentNumberScheduled)
            case "ready": return .int(d.status.numberReady)
            case "updated": return .int(d.status.updatedNumberScheduled)
            case "available": return .int(d.status.numberAvailable)
            case "image": return .string(d.spec.template.spec.containers.first?.image ?? "")
            default: return nil
            }
        case .statefulSet(let ss):
            switch name {
            case "replicas": return .int(ss.spec.replicas)
            case "readyReplicas": return .int(ss.status.readyReplicas)
            case "currentReplicas": return .int(ss.status.currentReplicas)
            case "updatedReplicas": return .int(ss.status.updatedReplicas)
            case "image": return .string(ss.spec.template.spec.containers.first?.image ?? "")
            case "revision": return .string(ss.status.updateRevision)
            default: return nil
            }
        case .configMap(let cm):
            return name == "data" ? strMap(cm.data) : nil
        case .secret(let sec):
            return name == "data" ? strMap(sec.data) : nil
        default:
            return nil
        }
    }

    func isEqual(to other: any ScriptObject) -> Bool {
        guard let o = other as? ObjectValue else { return false }
        return o.object.key == object.key && o.object.metadata.resourceVersion == object.metadata.resourceVersion
    }
}
