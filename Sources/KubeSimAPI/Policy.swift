import KubeSimCore

/// A LimitRange item of type Container: defaults and bounds for each container.
public struct LimitRangeItem: Sendable, Equatable {
    public var type = "Container"
    public var defaultLimits: [String: Quantity] = [:]
    public var defaultRequests: [String: Quantity] = [:]
    public var max: [String: Quantity] = [:]
    public var min: [String: Quantity] = [:]
    public init() {}
}

public struct LimitRange: Sendable, Equatable {
    public var metadata: ObjectMeta
    public var limits: [LimitRangeItem]
    public init(metadata: ObjectMeta, limits: [LimitRangeItem]) { self.metadata = metadata; self.limits = limits }
}

public struct ResourceQuota: Sendable, Equatable {
    public var metadata: ObjectMeta
    public var hard: [String: Quantity]
    public var used: [String: Quantity] = [:]
    public init(metadata: ObjectMeta, hard: [String: Quantity]) { self.metadata = metadata; self.hard = hard }
}

/// The admission plugins that need cluster state: LimitRanger (mutating: container
/// defaults; validating: min/max) and ResourceQuota (validating: the namespace's hard
/// limits). Messages as plugin/pkg/admission/limitranger and resourcequota write them.
enum Admission {
    static func limitRanger(_ o: inout APIObject, store: Store) throws {
        guard case .pod(var pod) = o, let ns = pod.metadata.namespace else { return }
        let ranges = store.list(.limitRange, namespace: ns).compactMap(\.limitRange)
        guard !ranges.isEmpty else { return }
        for lr in ranges {
            for item in lr.limits where item.type == "Container" {
                for i in pod.spec.containers.indices {
                    var r = pod.spec.containers[i].resources
                    for (k, v) in item.defaultLimits where r.limits[k] == nil { r.limits[k] = v }
                    for (k, v) in item.defaultRequests where r.requests[k] == nil { r.requests[k] = v }
                    // A request still missing defaults to the limit.
                    for (k, v) in r.limits where r.requests[k] == nil { r.requests[k] = v }
                    pod.spec.containers[i].resources = r
                }
            }
        }
        for lr in ranges {
            for item in lr.limits where item.type == "Container" {
                for c in pod.spec.containers {
                    for k in item.max.keys.sorted() {
                        if let lim = c.resources.limits[k], lim > item.max[k]! {
                            throw APIError(reason: "Forbidden", message: "pods \"\(pod.metadata.name)\" is forbidden: maximum \(k) usage per Container is \(item.max[k]!), but limit is \(lim)")
                        }
                    }
                    for k in item.min.keys.sorted() {
                        if let req = c.resources.requests[k], req < item.min[k]! {
                            throw APIError(reason: "Forbidden", message: "pods \"\(pod.metadata.name)\" is forbidden: minimum \(k) usage per Container is \(item.min[k]!), but request is \(req)")
                        }
                    }
                }
            }
        }
        o = .pod(pod)
    }

    /// What a pod counts against a quota.
    static func usage(_ p: Pod) -> [String: Quantity] {
        var u: [String: Quantity] = ["pods": Quantity(1)]
        for (name, key, limit) in [("requests.cpu", "cpu", false), ("requests.memory", "memory", false), ("limits.cpu", "cpu", true), ("limits.memory", "memory", true)] {
            let total = p.spec.containers.reduce(Int64(0)) { $0 + ((limit ? $1.resources.limits[key] : $1.resources.requests[key])?.milli ?? 0) }
            u[name] = Quantity(milli: total, format: key == "memory" ? .binarySI : .decimalSI)
        }
        u["cpu"] = u["requests.cpu"]
        u["memory"] = u["requests.memory"]
        return u
    }

    static func quotaUsage(_ ns: String, store: Store) -> [String: Quantity] {
        var used: [String: Quantity] = [:]
        for p in store.list(.pod, namespace: ns).compactMap(\.pod) where p.status.phase != "Succeeded" && p.status.phase != "Failed" {
            for (k, v) in usage(p) { used[k] = Quantity(milli: (used[k]?.milli ?? 0) + v.milli, format: v.format) }
        }
        return used
    }

    static func resourceQuota(_ o: APIObject, store: Store) throws {
        guard case .pod(let pod) = o, let ns = pod.metadata.namespace else { return }
        let quotas = store.list(.resourceQuota, namespace: ns).compactMap(\.resourceQuota)
        guard !quotas.isEmpty else { return }
        let req = usage(pod)
        let used = quotaUsage(ns, store: store)
        for q in quotas {
            // A tracked compute resource the pod does not state cannot be counted.
            let missing = q.hard.keys.sorted().filter { $0.contains(".") && req[$0]?.milli == 0 }
            if !missing.isEmpty {
                let names = pod.spec.containers.map(\.name).joined(separator: ",")
                throw APIError(reason: "Forbidden", message: "pods \"\(pod.metadata.name)\" is forbidden: failed quota: \(q.metadata.name): must specify " + missing.map { "\($0) for: \(names)" }.joined(separator: "; "))
            }
            var over: [String] = []
            for k in q.hard.keys.sorted() {
                guard let r = req[k], r.milli > 0 else { continue }
                if (used[k]?.milli ?? 0) + r.milli > q.hard[k]!.milli { over.append(k) }
            }
            if !over.isEmpty {
                func list(_ d: [String: Quantity]) -> String { over.map { "\($0)=\(d[$0] ?? Quantity(0))" }.joined(separator: ",") }
                throw APIError(reason: "Forbidden", message: "pods \"\(pod.metadata.name)\" is forbidden: exceeded quota: \(q.metadata.name), requested: \(list(req)), used: \(list(used)), limited: \(list(q.hard))")
            }
        }
    }
}

extension Admission {
    /// DefaultTolerationSeconds (plugin/pkg/admission/defaulttolerationseconds): every pod
    /// tolerates `not-ready` and `unreachable` NoExecute taints for 300 s unless it says
    /// otherwise, so a failed node's pods are evicted five minutes after it is marked.
    static let defaultTolerations = ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"].map {
        Toleration(key: $0, operator: "Exists", value: nil, effect: "NoExecute", tolerationSeconds: 300)
    }

    static func defaultTolerationSeconds(_ o: inout APIObject) {
        guard case .pod(var p) = o else { return }
        // Most pods have no tolerations: they all share one array.
        if p.spec.tolerations.isEmpty { p.spec.tolerations = Self.defaultTolerations; o = .pod(p); return }
        for key in ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"]
        where !p.spec.tolerations.contains(where: { ($0.key == key || ($0.key ?? "").isEmpty && $0.operator == "Exists") && ($0.effect == nil || $0.effect == "NoExecute" || $0.effect == "") }) {
            p.spec.tolerations.append(Toleration(key: key, operator: "Exists", value: nil, effect: "NoExecute", tolerationSeconds: 300))
        }
        o = .pod(p)
    }
}
