import KubeSimCore
import KubeSimAPI

/// The HorizontalPodAutoscaler controller (pkg/controller/podautoscaler/horizontal.go
/// and replica_calculator.go): every 15 s (--horizontal-pod-autoscaler-sync-period)
/// it reads each HPA's target, measures its pods' average utilization of each
/// resource (usage over request, from the metrics the kubelets' app model reports),
/// and sets the target's replicas to ceil(current × usage / target) — unless the
/// ratio is within the 0.1 tolerance. Scale-downs take the highest recommendation of
/// the last 300 s (the default stabilization window); scale-ups are limited by the
/// default policies (max of +100% and +4 pods per period); min and max bound the result.
public final class HorizontalPodAutoscalerController {
    let api: APIServer
    let clock: EventQueue
    let hpas: Informer
    let pods: Informer
    let events: EventRecorder
    /// Usage per resource (`cpu` in millicores, `memory` in bytes) of a running pod.
    let metrics: (Pod) -> [String: Int64]?
    var recommendations: [String: [(time: Int64, replicas: Int)]] = [:]
    var timer: EventQueue.Handle?
    let user = "system:serviceaccount:kube-system:horizontal-pod-autoscaler"
    public static let syncPeriod = SimDuration.seconds(15)
    public static let tolerance = 0.1
    public static let downscaleStabilization = SimDuration.seconds(300)

    public init(api: APIServer, clock: EventQueue, hpas: Informer, pods: Informer, events: EventRecorder, metrics: @escaping (Pod) -> [String: Int64]?) {
        self.api = api; self.clock = clock; self.hpas = hpas; self.pods = pods; self.events = events; self.metrics = metrics
        hpas.onChange { [unowned self] e in
            if e.kind == .deleted { self.recommendations[objectKey(e.object.metadata)] = nil }
            if e.kind == .added && self.timer == nil { self.schedule() }
        }
    }

    /// One background timer for every HPA: a periodic check does not keep `settle` busy.
    func schedule() {
        timer = clock.schedule(after: Self.syncPeriod, label: "horizontal-pod-autoscaler", background: true) { [weak self] in
            guard let self else { return }
            let all = self.hpas.list().compactMap(\.horizontalPodAutoscaler)
            for h in all { self.reconcile(h) }
            if all.isEmpty { self.timer = nil } else { self.schedule() }
        }
    }

    func reconcile(_ hpa: HorizontalPodAutoscaler) {
        let ns = hpa.metadata.namespace ?? "default"
        guard let type = ResourceType.lookup(hpa.spec.targetKind), let target = try? api.get(type, namespace: ns, name: hpa.spec.targetName) else { return }
        let current: Int, selector: LabelSelector
        switch target {
        case .deployment(let d): current = d.spec.replicas; selector = d.spec.selector
        case .replicaSet(let r): current = r.spec.replicas; selector = r.spec.selector
        case .statefulSet(let s): current = s.spec.replicas; selector = s.spec.selector
        default: return
        }
        var status = hpa.status
        status.currentReplicas = current
        status.setCondition("AbleToScale", "True", "SucceededGetScale", "the HPA controller was able to get the target's current scale", now: clock.now)
        // Scaling is off while the target has no replicas (the user scaled it to zero).
        guard current > 0 else { write(hpa, status); return }
        let running = pods.list(namespace: ns).compactMap(\.pod).filter {
            selector.matches($0.metadata.labels) && $0.status.phase == "Running" && $0.metadata.deletionTimestamp == nil
        }
        var proposal = 0
        var reasons: [String] = []
        for m in hpa.spec.metrics {
            // GetResourceUtilizationRatio over the ready pods that report metrics.
            var usage: Int64 = 0, request: Int64 = 0, counted = 0
            var missingRequest = false
            for p in running where p.status.isReady {
                guard let u = metrics(p)?[m.resource] else { continue }
                let req = p.spec.containers.reduce(Int64(0)) { sum, c in
                    sum + (c.resources.requests[m.resource].map { m.resource == "cpu" ? $0.milli : $0.value } ?? 0)
                }
                if p.spec.containers.contains(where: { $0.resources.requests[m.resource] == nil }) { missingRequest = true }
                usage += u; request += req; counted += 1
            }
            if missingRequest {
                status.setCondition("ScalingActive", "False", "FailedGetResourceMetric",
                                    "the HPA was unable to compute the replica count: failed to get \(m.resource) utilization: missing request for \(m.resource)", now: clock.now)
                continue
            }
            guard counted > 0 else {
                // No pod has reported usage yet (metrics-server scrapes on its own period):
                // computeStatusForResourceMetric's condition, with the metrics client's error
                // (pkg/controller/podautoscaler/metrics/client.go).
                status.setCondition("ScalingActive", "False", "FailedGetResourceMetric",
                                    "the HPA was unable to compute the replica count: failed to get \(m.resource) utilization: unable to get metrics for resource \(m.resource): no metrics returned from resource metrics API", now: clock.now)
                continue
            }
            guard request > 0 else { continue }
            let utilization = Int(usage * 100 / request)
            status.currentUtilization[m.resource] = utilization
            status.currentAverageValue[m.resource] = m.resource == "cpu" ? Quantity(milli: usage / Int64(counted)) : Quantity(usage / Int64(counted), format: .binarySI)
            let ratio = Double(utilization) / Double(m.averageUtilization)
            let replicas = abs(ratio - 1) <= Self.tolerance ? current : Int((ratio * Double(counted)).rounded(.up))
            // computeReplicasForMetrics: the first metric's proposal, then any larger one
            // (a proposal of 0 — every pod idle — counts, and min replicas lifts it).
            if reasons.isEmpty || replicas > proposal { proposal = replicas; reasons = [replicas > current ? "\(m.resource) resource utilization (percentage of request) above target" : "All metrics below target"] }
        }
        guard !reasons.isEmpty else { write(hpa, status); return }
        let metricNames = hpa.spec.metrics.map { "\($0.resource) resource utilization (percentage of request)" }.joined(separator: ", ")
        status.setCondition("ScalingActive", "True", "ValidMetricFound",
                            "the HPA was able to successfully calculate a replica count from \(metricNames)", now: clock.now)
        let (desired, limited) = normalize(objectKey(hpa.metadata), hpa, current: current, proposal: proposal)
        status.setCondition("ScalingLimited", limited.status, limited.reason, limited.message, now: clock.now)
        if desired == current {
            if limited.reason == "ScaleDownStabilized" {
                status.setCondition("AbleToScale", "True", "ScaleDownStabilized", "recent recommendations were higher than current one, applying the highest recent recommendation", now: clock.now)
            } else {
                status.setCondition("AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size", now: clock.now)
            }
        } else {
            status.setCondition("AbleToScale", "True", "SucceededRescale", "the HPA controller was able to update the target scale to \(desired)", now: clock.now)
        }
        status.desiredReplicas = desired
        if desired != current {
            do {
                try api.modify(type, namespace: ns, name: hpa.spec.targetName, user: user) { o in
                    switch o {
                    case .deployment(var d): d.spec.replicas = desired; o = .deployment(d)
                    case .replicaSet(var r): r.spec.replicas = desired; o = .replicaSet(r)
                    case .statefulSet(var s): s.spec.replicas = desired; o = .statefulSet(s)
                    default: break
                    }
                }
                status.lastScaleTime = clock.now
                events.record(.horizontalPodAutoscaler(hpa), reason: "SuccessfulRescale",
                              message: "New size: \(desired); reason: \(desired > current ? reasons[0] : "All metrics below target")",
                              source: "horizontal-pod-autoscaler", user: user)
            } catch {}
        }
        write(hpa, status)
    }

    /// normalizeDesiredReplicasWithBehaviors with the default behavior, and the
    /// ScalingLimited condition it implies (or ScaleDownStabilized, which the caller
    /// reports as AbleToScale's reason).
    func normalize(_ key: String, _ hpa: HorizontalPodAutoscaler, current: Int, proposal: Int) -> (Int, (status: String, reason: String, message: String)) {
        let now = clock.now
        let downCutoff = now - Self.downscaleStabilization.nanoseconds
        var history = (recommendations[key] ?? []).filter { $0.time > downCutoff }
        var down = proposal
        for r in history { down = max(down, r.replicas) }
        history.append((now, proposal))
        recommendations[key] = history
        var stabilized = current
        if stabilized < proposal { stabilized = proposal }
        if stabilized > down { stabilized = down }
        var limited = (status: "False", reason: "DesiredWithinRange", message: "the desired count is within the acceptable range")
        if stabilized != proposal {
            limited = (status: "False", reason: "ScaleDownStabilized", message: "recent recommendations were higher than current one, applying the highest recent recommendation")
        }
        // Default scale-up policies: 100% or 4 pods per 15 s, whichever allows more.
        let upLimit = max(current * 2, current + 4)
        var desired = stabilized
        if desired > upLimit {
            desired = upLimit
            limited = (status: "True", reason: "ScaleUpLimit", message: "the desired replica count is increasing faster than the maximum scale rate")
        }
        if desired > hpa.spec.maxReplicas {
            desired = hpa.spec.maxReplicas
            limited = (status: "True", reason: "TooManyReplicas", message: "the desired replica count is more than the maximum replica count")
        } else if desired < hpa.spec.minReplicas {
            desired = hpa.spec.minReplicas
            limited = (status: "True", reason: "TooFewReplicas", message: "the desired replica count is less than the minimum replica count")
        }
        return (desired, limited)
    }

    func write(_ hpa: HorizontalPodAutoscaler, _ status: HorizontalPodAutoscalerStatus) {
        guard status != hpa.status else { return }
        var h = hpa
        h.status = status
        var m = h.metadata
        m.resourceVersion = 0
        h.metadata = m
        _ = try? api.update(.horizontalPodAutoscaler(h), user: user)
    }
}
