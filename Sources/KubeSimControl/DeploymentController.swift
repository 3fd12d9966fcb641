import KubeSimCore
import KubeSimAPI

/// The Deployment controller (pkg/controller/deployment): one ReplicaSet per pod
/// template (named `<deployment>-<pod-template-hash>`), RollingUpdate by the upstream
/// arithmetic (rolling.go, util/deployment_util.go), Recreate, revision annotations,
/// history cleanup and status. It writes only through the API server.
public final class DeploymentController {
    let api: APIServer
    let clock: EventQueue
    let deployments: Informer
    let replicaSets: Informer
    let pods: Informer
    let events: EventRecorder
    var queue: WorkQueue!
    static let user = "system:serviceaccount:kube-system:deployment-controller"
    public static let revisionAnnotation = "deployment.kubernetes.io/revision"

    public init(api: APIServer, clock: EventQueue, deployments: Informer, replicaSets: Informer, pods: Informer, events: EventRecorder) {
        self.api = api
        self.clock = clock
        self.deployments = deployments
        self.replicaSets = replicaSets
        self.pods = pods
        self.events = events
        queue = WorkQueue(name: "deployment-controller", clock: clock, delay: .milliseconds(1)) { [unowned self] key in
            self.syncDeployment(key)
        }
        deployments.onChange { [unowned self] e in
            if e.kind != .deleted { self.queue.add(objectKey(e.object.metadata)) }
        }
        // deletePod: a Recreate rollout waits for the old pods to be gone.
        pods.onOwnedChange(kind: "ReplicaSet") { [unowned self] e, ref in
            guard e.kind == .deleted,
                  let rs = self.replicaSets.get(namespace: e.object.metadata.namespace, name: ref.name),
                  let dref = rs.metadata.controllerRef, dref.kind == "Deployment",
                  let d = self.deployments.get(namespace: e.object.metadata.namespace, name: dref.name)?.deployment,
                  d.spec.strategy.type == "Recreate" else { return }
            self.queue.add("\(e.object.metadata.namespace ?? "")/\(dref.name)")
        }
        replicaSets.addIndex(IndexName.controller) { [$0.metadata.controllerRef?.uid ?? ""] }
        replicaSets.onChange { [unowned self] e in
            if let ref = e.object.metadata.controllerRef, ref.kind == "Deployment" {
                self.queue.add("\(e.object.metadata.namespace ?? "")/\(ref.name)")
            }
        }
    }

    /// pod-template-hash: FNV-32a of the template, SafeEncodeString'd (controller.ComputeHash).
    public static func templateHash(_ t: PodTemplateSpec) -> String {
        var text = t.labels.keys.sorted().map { "\($0)=\(t.labels[$0]!)" }.joined(separator: ",")
        for c in t.spec.containers {
            text += "|\(c.name):\(c.image):\(c.ports.map { String($0.containerPort) }.joined(separator: ","))"
            text += ":\(c.resources.requests.keys.sorted().map { "\($0)=\(c.resources.requests[$0]!)" })"
            text += ":\(c.resources.limits.keys.sorted().map { "\($0)=\(c.resources.limits[$0]!)" })"
        }
        text += "|\(t.spec.nodeSelector.keys.sorted().map { "\($0)=\(t.spec.nodeSelector[$0]!)" })"
        // Every other part of the template counts too, as upstream hashes the whole
        // template; appended only when set, so simple templates keep their names.
        func extra(_ c: Container) -> String {
            let parts: [String] = [c.command.isEmpty ? "" : "cmd\(c.command)", c.args.isEmpty ? "" : "args\(c.args)",
                                   c.env.isEmpty ? "" : "env\(c.env)", c.envFrom.isEmpty ? "" : "envFrom\(c.envFrom)",
                                   c.volumeMounts.isEmpty ? "" : "mounts\(c.volumeMounts)",
                                   c.livenessProbe.map { "live\($0)" } ?? "", c.readinessProbe.map { "ready\($0)" } ?? "",
                                   c.startupProbe.map { "startup\($0)" } ?? ""]
            return parts.joined()
        }
        var more = t.spec.containers.map(extra).joined(separator: ";")
        if more.allSatisfy({ $0 == ";" }) { more = "" }
        if !t.spec.initContainers.isEmpty { more += "|init" + t.spec.initContainers.map { "\($0.name):\($0.image):" + extra($0) }.joined(separator: ";") }
        if !t.spec.volumes.isEmpty { more += "|volumes\(t.spec.volumes)" }
        if !t.spec.tolerations.isEmpty { more += "|tolerations\(t.spec.tolerations)" }
        if !t.spec.affinity.isEmpty { more += "|affinity\(t.spec.affinity)" }
        if !t.spec.topologySpreadConstraints.isEmpty { more += "|spread\(t.spec.topologySpreadConstraints)" }
        if t.spec.restartPolicy != "Always" { more += "|restart=\(t.spec.restartPolicy)" }
        if t.spec.terminationGracePeriodSeconds != 30 { more += "|grace=\(t.spec.terminationGracePeriodSeconds)" }
        if !t.annotations.isEmpty { more += "|annotations\(t.annotations.keys.sorted().map { "\($0)=\(t.annotations[$0]!)" })" }
        if !t.preserved.isEmpty { more += "|kept\(t.preserved)" }
        if !more.isEmpty { text += more }
        return Names.safeEncode(String(Names.fnv32a(text)))
    }

    /// MaxSurge and MaxUnavailable resolved (ResolveFenceposts): surge rounds up,
    /// unavailable rounds down, and when both come to 0 unavailable becomes 1.
    public static func resolveFenceposts(_ s: DeploymentStrategy, replicas: Int) -> (surge: Int, unavailable: Int) {
        let surge = s.maxSurge.scaled(total: replicas, roundUp: true)
        var unavailable = s.maxUnavailable.scaled(total: replicas, roundUp: false)
        if surge == 0 && unavailable == 0 { unavailable = 1 }
        return (surge, min(unavailable, replicas))
    }

    func ownedReplicaSets(_ d: Deployment) -> [ReplicaSet] {
        replicaSets.byIndex(IndexName.controller, d.metadata.uid).compactMap(\.replicaSet)
    }

    /// syncDeployment
    public func syncDeployment(_ key: String) {
        let (ns, name) = splitKey(key)
        guard let d = deployments.get(namespace: ns, name: name)?.deployment, d.metadata.deletionTimestamp == nil else { return }
        var all = ownedReplicaSets(d).sorted { $0.metadata.creationTimestamp < $1.metadata.creationTimestamp || ($0.metadata.creationTimestamp == $1.metadata.creationTimestamp && $0.metadata.name < $1.metadata.name) }
        let hash = Self.templateHash(d.spec.template)
        var newRS = all.first { $0.metadata.labels["pod-template-hash"] == hash }
        let oldRSs = all.filter { $0.metadata.labels["pod-template-hash"] != hash }

        if d.spec.paused {
            sync(d, all)
            return
        }
        if d.spec.strategy.type == "Recreate" {
            // Scale every old ReplicaSet to zero, wait until their pods are gone, then
            // bring up the new one.
            var scaled = false
            for rs in oldRSs where rs.spec.replicas != 0 { scale(rs, to: 0, d); scaled = true }
            if scaled { return }
            let oldPods = oldRSs.flatMap { pods.byIndex(IndexName.controller, $0.metadata.uid) }
            if !oldPods.isEmpty { return }
            if newRS == nil { newRS = createNewRS(d, hash: hash, replicas: d.spec.replicas, all: all); if let n = newRS { all.append(n) } }
            if let n = newRS, n.spec.replicas != d.spec.replicas { scale(n, to: d.spec.replicas, d) }
            syncStatus(d, all, newRS)
            return
        }
        // RollingUpdate (rolloutRolling).
        if newRS == nil {
            let initial = Self.newRSNewReplicas(d, all: all, newReplicas: 0)
            newRS = createNewRS(d, hash: hash, replicas: initial, all: all)
            if let n = newRS { all.append(n) }
            syncStatus(d, all, newRS)
            return
        } else if let n = newRS, !oldRSs.isEmpty || n.metadata.annotations[Self.revisionAnnotation] == nil {
            // The current template's ReplicaSet gets the newest revision (a rollback).
            let maxOld = oldRSs.compactMap { Int($0.metadata.annotations[Self.revisionAnnotation] ?? "") }.max() ?? 0
            let rev = Int(n.metadata.annotations[Self.revisionAnnotation] ?? "") ?? 0
            if rev <= maxOld { setRevision(n, maxOld + 1) }
        }
        guard let new = newRS else { return }
        // reconcileNewReplicaSet
        if new.spec.replicas != d.spec.replicas {
            let target = new.spec.replicas > d.spec.replicas ? d.spec.replicas : Self.newRSNewReplicas(d, all: all, newReplicas: new.spec.replicas)
            if target != new.spec.replicas {
                scale(new, to: target, d)
                return
            }
        }
        // reconcileOldReplicaSets
        if reconcileOld(d, all: all, old: oldRSs, new: new) { return }
        cleanupHistory(d, oldRSs)
        syncStatus(d, all, new)
    }

    /// NewRSNewReplicas for RollingUpdate.
    public static func newRSNewReplicas(_ d: Deployment, all: [ReplicaSet], newReplicas: Int) -> Int {
        let (surge, _) = resolveFenceposts(d.spec.strategy, replicas: d.spec.replicas)
        let current = all.reduce(0) { $0 + $1.spec.replicas }
        let maxTotal = d.spec.replicas + surge
        if current >= maxTotal { return newReplicas }
        let up = min(maxTotal - current, d.spec.replicas - newReplicas)
        return newReplicas + max(0, up)
    }

    /// reconcileOldReplicaSets: clean up unhealthy old pods first, then scale old
    /// ReplicaSets down as far as availability allows. True when it scaled.
    func reconcileOld(_ d: Deployment, all: [ReplicaSet], old: [ReplicaSet], new: ReplicaSet) -> Bool {
        let oldCount = old.reduce(0) { $0 + $1.spec.replicas }
        if oldCount == 0 { return false }
        let allCount = all.reduce(0) { $0 + $1.spec.replicas }
        let (_, maxUnavailable) = Self.resolveFenceposts(d.spec.strategy, replicas: d.spec.replicas)
        let minAvailable = d.spec.replicas - maxUnavailable
        let newUnavailable = new.spec.replicas - new.status.availableReplicas
        let maxScaledDown = allCount - minAvailable - newUnavailable
        if maxScaledDown <= 0 { return false }
        var scaledAny = false
        // cleanupUnhealthyReplicas
        var cleaned = 0
        var remaining: [ReplicaSet] = []
        for rs in old.sorted(by: { $0.metadata.creationTimestamp < $1.metadata.creationTimestamp }) {
            var rs = rs
            let unhealthy = rs.spec.replicas - rs.status.availableReplicas
            if cleaned < maxScaledDown && unhealthy > 0 && rs.spec.replicas > 0 {
                let down = min(maxScaledDown - cleaned, unhealthy)
                scale(rs, to: rs.spec.replicas - down, d)
                rs.spec.replicas -= down
                cleaned += down
                scaledAny = true
            }
            remaining.append(rs)
        }
        // scaleDownOldReplicaSetsForRollingUpdate
        let available = all.reduce(0) { $0 + $1.status.availableReplicas }
        if available > minAvailable {
            var toScale = min(available - minAvailable, maxScaledDown - cleaned)
            for rs in remaining where toScale > 0 && rs.spec.replicas > 0 {
                let down = min(rs.spec.replicas, toScale)
                scale(rs, to: rs.spec.replicas - down, d)
                toScale -= down
                scaledAny = true
            }
        }
        return scaledAny
    }

    func createNewRS(_ d: Deployment, hash: String, replicas: Int, all: [ReplicaSet]) -> ReplicaSet? {
        var template = d.spec.template
        template.labels["pod-template-hash"] = hash
        var selector = d.spec.selector
        selector.requirements.append(.equals("pod-template-hash", hash))
        var meta = ObjectMeta(name: "\(d.metadata.name)-\(hash)", namespace: d.metadata.namespace, labels: template.labels)
        meta.ownerReferences = [OwnerReference(apiVersion: "apps/v1", kind: "Deployment", name: d.metadata.name, uid: d.metadata.uid)]
        let maxRev = all.compactMap { Int($0.metadata.annotations[Self.revisionAnnotation] ?? "") }.max() ?? 0
        // Annotations are copied from the Deployment (SetNewReplicaSetAnnotations), so
        // `kubernetes.io/change-cause` shows in `rollout history`.
        for (k, v) in d.metadata.annotations where !k.hasPrefix("deployment.kubernetes.io/") && k != "kubectl.kubernetes.io/last-applied-configuration" {
            meta.annotations[k] = v
        }
        meta.annotations[Self.revisionAnnotation] = String(maxRev + 1)
        meta.annotations["deployment.kubernetes.io/desired-replicas"] = String(d.spec.replicas)
        meta.annotations["deployment.kubernetes.io/max-replicas"] = String(d.spec.replicas + Self.resolveFenceposts(d.spec.strategy, replicas: d.spec.replicas).surge)
        var spec = ReplicaSetSpec(replicas: replicas, selector: selector, template: template)
        spec.minReadySeconds = d.spec.minReadySeconds
        guard let created = try? api.create(.replicaSet(ReplicaSet(metadata: meta, spec: spec)), user: Self.user).replicaSet else { return nil }
        events.record(.deployment(d), reason: "ScalingReplicaSet", message: "Scaled up replica set \(created.metadata.name) from 0 to \(replicas)", source: "deployment-controller")
        return created
    }

    func scale(_ rs: ReplicaSet, to n: Int, _ d: Deployment) {
        let from = rs.spec.replicas
        guard from != n else { return }
        _ = try? api.modify(.replicaSet, namespace: rs.metadata.namespace, name: rs.metadata.name, user: Self.user) {
            guard var r = $0.replicaSet else { return }
            r.spec.replicas = n
            r.metadata.annotations["deployment.kubernetes.io/desired-replicas"] = String(d.spec.replicas)
            $0 = .replicaSet(r)
        }
        events.record(.deployment(d), reason: "ScalingReplicaSet",
                      message: "Scaled \(n > from ? "up" : "down") replica set \(rs.metadata.name) from \(from) to \(n)", source: "deployment-controller")
    }

    func setRevision(_ rs: ReplicaSet, _ rev: Int) {
        _ = try? api.modify(.replicaSet, namespace: rs.metadata.namespace, name: rs.metadata.name, user: Self.user) {
            var m = $0.metadata
            m.annotations[Self.revisionAnnotation] = String(rev)
            $0.metadata = m
        }
    }

    /// Paused: only keep the total scaled (sync).
    func sync(_ d: Deployment, _ all: [ReplicaSet]) {
        let newest = all.last
        syncStatus(d, all, newest)
    }

    /// cleanupDeployment: delete old, empty ReplicaSets beyond revisionHistoryLimit.
    func cleanupHistory(_ d: Deployment, _ old: [ReplicaSet]) {
        let empty = old.filter { $0.spec.replicas == 0 && $0.status.replicas == 0 }
            .sorted { (Int($0.metadata.annotations[Self.revisionAnnotation] ?? "") ?? 0) < (Int($1.metadata.annotations[Self.revisionAnnotation] ?? "") ?? 0) }
        let excess = empty.count - d.spec.revisionHistoryLimit
        guard excess > 0 else { return }
        for rs in empty.prefix(excess) {
            _ = try? api.delete(.replicaSet, namespace: rs.metadata.namespace, name: rs.metadata.name, user: Self.user)
        }
    }

    /// syncRolloutStatus: counts and the Available / Progressing conditions.
    func syncStatus(_ d: Deployment, _ all: [ReplicaSet], _ new: ReplicaSet?) {
        var s = d.status
        s.observedGeneration = d.metadata.generation
        s.replicas = all.reduce(0) { $0 + $1.status.replicas }
        s.updatedReplicas = new?.status.replicas ?? 0
        s.readyReplicas = all.reduce(0) { $0 + $1.status.readyReplicas }
        s.availableReplicas = all.reduce(0) { $0 + $1.status.availableReplicas }
        s.unavailableReplicas = max(0, d.spec.replicas - s.availableReplicas)
        let (_, maxUnavailable) = Self.resolveFenceposts(d.spec.strategy, replicas: d.spec.replicas)
        let available = s.availableReplicas >= d.spec.replicas - maxUnavailable
        setCondition(&s, "Available", available ? "True" : "False",
                     available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                     available ? "Deployment has minimum availability." : "Deployment does not have minimum availability.")
        let complete = s.updatedReplicas == d.spec.replicas && s.replicas == d.spec.replicas && s.availableReplicas == d.spec.replicas
        if let n = new {
            if complete {
                setCondition(&s, "Progressing", "True", "NewReplicaSetAvailable", "ReplicaSet \"\(n.metadata.name)\" has successfully progressed.")
            } else if let p = s.conditions.first(where: { $0.type == "Progressing" }), p.reason == "ProgressDeadlineExceeded" {
                // stays exceeded until progress
            } else {
                let started = s.conditions.first { $0.type == "Progressing" }?.lastTransitionTime ?? clock.now
                if clock.now - started > SimDuration.seconds(Int64(d.spec.progressDeadlineSeconds)).nanoseconds {
                    setCondition(&s, "Progressing", "False", "ProgressDeadlineExceeded", "ReplicaSet \"\(n.metadata.name)\" has timed out progressing.")
                } else {
                    setCondition(&s, "Progressing", "True", "ReplicaSetUpdated", "ReplicaSet \"\(n.metadata.name)\" is progressing.")
                    // Look again at the deadline (a background timer: not work for `settle`).
                    let key = objectKey(d.metadata)
                    clock.schedule(after: .seconds(Int64(d.spec.progressDeadlineSeconds)), label: "deployment \(key) progress deadline", background: true) { [weak self] in
                        self?.queue.add(key)
                    }
                }
            }
        }
        guard s != d.status else { return }
        _ = try? api.modify(.deployment, namespace: d.metadata.namespace, name: d.metadata.name, user: Self.user) {
            guard var x = $0.deployment else { return }
            x.status = s
            $0 = .deployment(x)
        }
    }

    func setCondition(_ s: inout DeploymentStatus, _ type: String, _ status: String, _ reason: String, _ message: String) {
        if let i = s.conditions.firstIndex(where: { $0.type == type }) {
            if s.conditions[i].status != status { s.conditions[i].lastTransitionTime = clock.now }
            if s.conditions[i].reason != reason || s.conditions[i].message != message { s.conditions[i].lastUpdateTime = clock.now }
            s.conditions[i].status = status
            s.conditions[i].reason = reason
            s.conditions[i].message = message
        } else {
            s.conditions.append(DeploymentCondition(type: type, status: status, reason: reason, message: message, lastUpdateTime: clock.now, lastTransitionTime: clock.now))
        }
    }
}
