import KubeSimCore
import KubeSimAPI

/// What the workload controllers share: a pod from a template, owned by its controller.
enum PodFactory {
    static func pod(from t: PodTemplateSpec, owner: APIObject, name: String? = nil, generateName: String? = nil) -> Pod {
        let m = owner.metadata
        var meta = ObjectMeta(name: name ?? "", namespace: m.namespace, labels: t.labels)
        meta.generateName = generateName
        meta.annotations = t.annotations
        meta.preserved = t.preserved
        meta.ownerReferences = [OwnerReference(apiVersion: owner.type.apiVersion, kind: owner.type.kind, name: m.name, uid: m.uid)]
        return Pod(metadata: meta, spec: t.spec)
    }

    static func isActive(_ p: Pod) -> Bool { p.status.phase != "Succeeded" && p.status.phase != "Failed" && !p.isTerminating }
}

/// The Job controller (pkg/controller/job/job_controller.go): keeps
/// min(parallelism, completions − succeeded) pods running, counts successes and
/// failures (container restarts count as failures under OnFailure), stops at
/// backoffLimit or activeDeadlineSeconds, names Indexed pods by completion index and
/// re-creates failed pods after the pod-failure back-off (10 s doubling, 6 min cap).
public final class JobController {
    let api: APIServer
    let clock: EventQueue
    let jobs: Informer
    let pods: Informer
    let events: EventRecorder
    var queue: WorkQueue!
    var deadlines: [String: EventQueue.Handle] = [:]
    let user = "system:serviceaccount:kube-system:job-controller"
    public static let podFailureBackOff = SimDuration.seconds(10)
    public static let maxPodFailureBackOff = SimDuration.minutes(6)

    public init(api: APIServer, clock: EventQueue, jobs: Informer, pods: Informer, events: EventRecorder) {
        self.api = api; self.clock = clock; self.jobs = jobs; self.pods = pods; self.events = events
        queue = WorkQueue(name: "job-controller", clock: clock, delay: .milliseconds(1)) { [unowned self] key in self.sync(key) }
        jobs.onChange { [unowned self] e in if e.kind != .deleted { self.queue.add(objectKey(e.object.metadata)) } }
        pods.onOwnedChange(kind: "Job") { [unowned self] e, ref in
            let m = e.object.metadata
            // A pod whose Job is gone keeps nothing to count: release it.
            if e.kind != .deleted, m.finalizers.contains(Self.trackingFinalizer),
               self.jobs.get(namespace: m.namespace, name: ref.name)?.metadata.uid != ref.uid {
                self.release([m])
            }
            self.queue.add("\(m.namespace ?? "")/\(ref.name)")
        }
    }

    /// Pods of a Job carry this finalizer until the controller has counted them in the
    /// Job's status (pkg/controller/job: JobTrackingFinalizer, trackJobStatusAndRemoveFinalizers),
    /// so a finished pod that is deleted is still counted, once.
    public static let trackingFinalizer = "batch.kubernetes.io/job-tracking"

    func release(_ pods: [ObjectMeta]) {
        for m in pods { try? api.removeFinalizer(.pod, namespace: m.namespace, name: m.name, Self.trackingFinalizer, user: user) }
    }

    /// A pod that counts as failed: phase Failed, or deleted before it succeeded
    /// (podReplacementPolicy TerminatingOrFailed, the default).
    static func isFailed(_ p: Pod) -> Bool { p.status.phase == "Failed" || (p.isTerminating && p.status.phase != "Succeeded") }

    func sync(_ key: String) {
        let (ns, name) = splitKey(key)
        guard let job = jobs.get(namespace: ns, name: name)?.job else { return }
        let owned = pods.byIndex(IndexName.controller, job.metadata.uid).compactMap(\.pod)
        if job.metadata.isBeingDeleted {
            release(owned.filter { $0.metadata.finalizers.contains(Self.trackingFinalizer) }.map(\.metadata))
            return
        }
        var status = job.status
        let now = clock.now
        if status.startTime == nil && !job.spec.suspend { status.startTime = now }
        let active = owned.filter(PodFactory.isActive)
        // Count each finished pod once: the ones still carrying the tracking finalizer.
        let tracked = owned.filter { $0.metadata.finalizers.contains(Self.trackingFinalizer) }
        let newlySucceeded = tracked.filter { $0.status.phase == "Succeeded" }
        let newlyFailed = tracked.filter(Self.isFailed)
        let failedPods = owned.filter { $0.status.phase == "Failed" }
        let restarts = job.spec.template.spec.restartPolicy == "OnFailure" ? active.reduce(0) { $0 + $1.status.restartCount } : 0
        status.active = active.count
        status.ready = active.filter(\.status.isReady).count
        status.succeeded += newlySucceeded.count
        status.failed += newlyFailed.count
        let indexed = job.spec.completionMode == "Indexed"
        var doneIndexes = Set(Self.parseRanges(status.completedIndexes))
        if indexed { for p in newlySucceeded { if let i = Self.index(p) { doneIndexes.insert(i) } } ; status.completedIndexes = Self.ranges(doneIndexes.sorted()) }
        let counted = (newlySucceeded + newlyFailed).map(\.metadata)
        if !counted.isEmpty {
            // The counts must be in the Job before the pods let go of their finalizers.
            guard writeStatus(job, status) else { return }
            release(counted)
        }
        if status.isFinished { return write(job, status) }

        // Failure: backoffLimit or activeDeadlineSeconds.
        var failure: (String, String)?
        if status.failed + restarts > job.spec.backoffLimit {
            failure = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
        } else if let d = job.spec.activeDeadlineSeconds, let start = status.startTime {
            let due = start + d * 1_000_000_000
            if now >= due { failure = ("DeadlineExceeded", "Job was active longer than specified deadline") }
            else if deadlines[key] == nil {
                deadlines[key] = clock.schedule(at: due, label: "job-controller: \(key) active deadline") { [weak self] in
                    self?.deadlines[key] = nil
                    self?.queue.add(key)
                }
            }
        }
        if let (reason, message) = failure {
            for p in active { _ = try? api.delete(.pod, namespace: p.metadata.namespace, name: p.metadata.name, user: user) }
            status.active = 0
            status.conditions.append(JobCondition(type: "FailureTarget", status: "True", reason: reason, message: message, lastTransitionTime: now))
            status.conditions.append(JobCondition(type: "Failed", status: "True", reason: reason, message: message, lastTransitionTime: now))
            events.record(.job(job), type: "Warning", reason: reason, message: message, source: "job-controller", user: user)
            return write(job, status)
        }

        // Success.
        let completions = job.spec.completions
        let complete: Bool = {
            if let c = completions { return indexed ? doneIndexes.count >= c : status.succeeded >= c }
            return status.succeeded > 0 && active.isEmpty
        }()
        if complete {
            status.conditions.append(JobCondition(type: "SuccessCriteriaMet", status: "True", reason: "CompletionsReached", message: "Reached expected number of succeeded pods", lastTransitionTime: now))
            status.conditions.append(JobCondition(type: "Complete", status: "True", reason: "CompletionsReached", message: "Reached expected number of succeeded pods", lastTransitionTime: now))
            status.completionTime = now
            events.record(.job(job), reason: "Completed", message: "Job completed", source: "job-controller", user: user)
            return write(job, status)
        }

        // How many should run.
        if !job.spec.suspend {
            let parallelism = job.spec.parallelism ?? 1
            var want: Int
            if let c = completions { want = min(parallelism, c - (indexed ? doneIndexes.count : status.succeeded)) }
            else { want = status.succeeded > 0 ? 0 : parallelism }
            want = max(0, want)
            // Pod failure back-off: a replacement waits 10 s × 2^(failures−1).
            if want > active.count, !failedPods.isEmpty {
                let lastFailure = failedPods.compactMap { p in p.status.containerStatuses.compactMap { s -> Int64? in
                    if case let .terminated(_, _, _, _, f) = s.state { return f } else { return nil } }.max() }.max() ?? now
                let shift = min(failedPods.count - 1, 10)
                let delay = min(Self.podFailureBackOff.nanoseconds << shift, Self.maxPodFailureBackOff.nanoseconds)
                if now < lastFailure + delay {
                    clock.schedule(at: lastFailure + delay, label: "job-controller: \(key) pod failure back-off") { [weak self] in self?.queue.add(key) }
                    return write(job, status)
                }
            }
            var running = Set(active.compactMap(Self.index))
            var toCreate = want - active.count
            var nextIndex = 0
            while toCreate > 0 {
                var p = PodFactory.pod(from: job.spec.template, owner: .job(job), generateName: job.metadata.name + "-")
                p.metadata.finalizers = [Self.trackingFinalizer]
                if indexed {
                    while doneIndexes.contains(nextIndex) || running.contains(nextIndex) { nextIndex += 1 }
                    guard nextIndex < (completions ?? 0) else { break }
                    p.metadata.generateName = "\(job.metadata.name)-\(nextIndex)-"
                    p.metadata.annotations["batch.kubernetes.io/job-completion-index"] = String(nextIndex)
                    p.metadata.labels["batch.kubernetes.io/job-completion-index"] = String(nextIndex)
                    p.spec.hostname = "\(job.metadata.name)-\(nextIndex)"
                    for i in p.spec.containers.indices { p.spec.containers[i].env.append(EnvVar(name: "JOB_COMPLETION_INDEX", value: String(nextIndex))) }
                    running.insert(nextIndex)
                }
                if let made = try? api.create(.pod(p), user: user) {
                    events.record(.job(job), reason: "SuccessfulCreate", message: "Created pod: \(made.metadata.name)", source: "job-controller", user: user)
                }
                toCreate -= 1
            }
            status.active = max(status.active, want)
        }
        write(job, status)
    }

    /// Writes the status; false when the write failed (the Job is gone or etcd is down).
    @discardableResult
    func writeStatus(_ job: Job, _ status: JobStatus) -> Bool {
        guard status != job.status else { return true }
        return (try? api.modify(.job, namespace: job.metadata.namespace, name: job.metadata.name, user: user) { o in
            guard var j = o.job else { return }
            j.status = status
            o = .job(j)
        }) != nil
    }

    func write(_ job: Job, _ status: JobStatus) {
        guard status != job.status else { return }
        writeStatus(job, status)
        if status.isFinished, let ttl = job.spec.ttlSecondsAfterFinished {
            let ns = job.metadata.namespace, name = job.metadata.name
            clock.schedule(after: .seconds(Int64(ttl)), label: "ttl-after-finished-controller: job \(name)") { [weak self] in
                _ = try? self?.api.delete(.job, namespace: ns, name: name, user: "system:serviceaccount:kube-system:ttl-after-finished-controller")
            }
        }
    }

    static func index(_ p: Pod) -> Int? { p.metadata.annotations["batch.kubernetes.io/job-completion-index"].flatMap { Int($0) } }

    /// The indexes in `0-2,5`.
    static func parseRanges(_ s: String) -> [Int] {
        s.split(separator: ",").flatMap { part -> [Int] in
            let ends = part.split(separator: "-").compactMap { Int($0) }
            if ends.count == 2, ends[0] <= ends[1] { return Array(ends[0]...ends[1]) }
            return ends.count == 1 ? [ends[0]] : []
        }
    }

    /// `0-2,5` as status.completedIndexes writes them.
    static func ranges(_ xs: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        while i < xs.count {
            var j = i
            while j + 1 < xs.count && xs[j + 1] == xs[j] + 1 { j += 1 }
            parts.append(j == i ? "\(xs[i])" : "\(xs[i])-\(xs[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }
}

/// The CronJob controller (pkg/controller/cronjob/cronjob_controllerv2.go): at each
/// scheduled time creates a Job named `<cronjob>-<scheduled time in Unix minutes>`,
/// honours concurrencyPolicy (Allow, Forbid, Replace), suspend and
/// startingDeadlineSeconds, and keeps successful/failed job history to its limits.
public final class CronJobController {
    let api: APIServer
    let clock: EventQueue
    let cronJobs: Informer
    let jobs: Informer
    let events: EventRecorder
    var timers: [String: EventQueue.Handle] = [:]
    var queue: WorkQueue!
    let user = "system:serviceaccount:kube-system:cronjob-controller"
    /// Simulated time 0 (2026-01-01T00:00:00Z) in Unix minutes.
    public static let epochMinutes: Int64 = 1_767_225_600 / 60

    public init(api: APIServer, clock: EventQueue, cronJobs: Informer, jobs: Informer, events: EventRecorder) {
        self.api = api; self.clock = clock; self.cronJobs = cronJobs; self.jobs = jobs; self.events = events
        queue = WorkQueue(name: "cronjob-controller", clock: clock, delay: .milliseconds(1)) { [unowned self] key in self.sync(key, fire: nil) }
        cronJobs.onChange { [unowned self] e in
            let key = objectKey(e.object.metadata)
            if e.kind == .deleted { if let t = self.timers.removeValue(forKey: key) { self.clock.cancel(t) }; return }
            self.queue.add(key)
        }
        jobs.onOwnedChange(kind: "CronJob") { [unowned self] e, ref in self.queue.add("\(e.object.metadata.namespace ?? "")/\(ref.name)") }
    }

    func sync(_ key: String, fire scheduled: Int64?) {
        let (ns, name) = splitKey(key)
        guard let cj = cronJobs.get(namespace: ns, name: name)?.cronJob, let schedule = CronSchedule(cj.spec.schedule) else { return }
        let owned = jobs.byIndex(IndexName.controller, cj.metadata.uid).compactMap(\.job).sorted { $0.metadata.creationTimestamp < $1.metadata.creationTimestamp }
        var status = cj.status
        status.active = owned.filter { !$0.status.isFinished }.map(\.metadata.name)
        if let last = owned.filter({ $0.status.conditions.contains { $0.type == "Complete" && $0.status == "True" } }).compactMap(\.status.completionTime).max() {
            status.lastSuccessfulTime = last
        }
        if let t = scheduled, !cj.spec.suspend {
            let late = clock.now - t
            if let d = cj.spec.startingDeadlineSeconds, late > d * 1_000_000_000 {
                events.record(.cronJob(cj), type: "Warning", reason: "MissSchedule", message: "Missed scheduled time to start a job: \(t)", source: "cronjob-controller", user: user)
            } else {
                let active = owned.filter { !$0.status.isFinished }
                var create = true
                switch cj.spec.concurrencyPolicy {
                case "Forbid" where !active.isEmpty:
                    create = false
                    events.record(.cronJob(cj), reason: "JobAlreadyActive", message: "Not starting job because prior execution is running and concurrency policy is Forbid", source: "cronjob-controller", user: user)
                case "Replace":
                    for j in active {
                        _ = try? api.delete(.job, namespace: j.metadata.namespace, name: j.metadata.name, propagation: .background, user: user)
                        events.record(.cronJob(cj), reason: "SuccessfulDelete", message: "Deleted job \(j.metadata.name)", source: "cronjob-controller", user: user)
                    }
                default: break
                }
                if create {
                    let jobName = "\(cj.metadata.name)-\(Self.epochMinutes + t / 60_000_000_000)"
                    var meta = ObjectMeta(name: jobName, namespace: cj.metadata.namespace, labels: cj.spec.jobLabels)
                    meta.annotations = cj.spec.jobAnnotations
                    meta.annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"] = ManifestTimeRFC3339.format(t)
                    meta.ownerReferences = [OwnerReference(apiVersion: "batch/v1", kind: "CronJob", name: cj.metadata.name, uid: cj.metadata.uid)]
                    if (try? api.create(.job(Job(metadata: meta, spec: cj.spec.jobTemplate)), user: user)) != nil {
                        events.record(.cronJob(cj), reason: "SuccessfulCreate", message: "Created job \(jobName)", source: "cronjob-controller", user: user)
                        status.active.append(jobName)
                    }
                }
                status.lastScheduleTime = t
            }
        }
        // History limits: the oldest finished jobs beyond the limits go.
        for (succeeded, limit) in [(true, cj.spec.successfulJobsHistoryLimit), (false, cj.spec.failedJobsHistoryLimit)] {
            let finished = owned.filter { j in j.status.conditions.contains { $0.type == (succeeded ? "Complete" : "Failed") && $0.status == "True" } }
            for j in finished.dropLast(max(0, limit)) {
                _ = try? api.delete(.job, namespace: j.metadata.namespace, name: j.metadata.name, propagation: .background, user: user)
                events.record(.cronJob(cj), reason: "SuccessfulDelete", message: "Deleted job \(j.metadata.name)", source: "cronjob-controller", user: user)
            }
        }
        if status != cj.status {
            _ = try? api.modify(.cronJob, namespace: ns, name: name, user: user) { o in
                guard var c = o.cronJob else { return }
                c.status = status
                o = .cronJob(c)
            }
        }
        // The next run: a timer at the next scheduled time (background: a schedule never ends).
        // The next run, recomputed on every sync (a changed schedule takes effect at once).
        do {
            if let t = timers[key] { clock.cancel(t) }
            let base = max(clock.now, status.lastScheduleTime ?? cj.metadata.creationTimestamp)
            let next = schedule.next(after: base == clock.now ? clock.now : base)
            guard next != Int64.max else { return }
            timers[key] = clock.schedule(at: next, label: "cronjob-controller: \(key) next run", background: true) { [weak self] in
                self?.timers[key] = nil
                self?.sync(key, fire: next)
            }
        }
    }
}

/// RFC 3339 times for annotations the controllers write.
enum ManifestTimeRFC3339 {
    static func format(_ ns: Int64) -> String { SimTime.stamp(ns) }
}

/// The DaemonSet controller (pkg/controller/daemon/daemon_controller.go): one pod on
/// every node whose labels, taints and affinity admit it, placed through the default
/// scheduler by a required node affinity on the node's name (matchFields
/// metadata.name); new nodes get one; RollingUpdate replaces at most maxUnavailable
/// pods at a time.
public final class DaemonSetController {
    let api: APIServer
    let clock: EventQueue
    let daemonSets: Informer
    let pods: Informer
    let nodes: Informer
    let events: EventRecorder
    var queue: WorkQueue!
    let user = "system:serviceaccount:kube-system:daemon-set-controller"

    public init(api: APIServer, clock: EventQueue, daemonSets: Informer, pods: Informer, nodes: Informer, events: EventRecorder) {
        self.api = api; self.clock = clock; self.daemonSets = daemonSets; self.pods = pods; self.nodes = nodes; self.events = events
        queue = WorkQueue(name: "daemonset-controller", clock: clock, delay: .milliseconds(1)) { [unowned self] key in self.sync(key) }
        daemonSets.onChange { [unowned self] e in if e.kind != .deleted { self.queue.add(objectKey(e.object.metadata)) } }
        pods.onOwnedChange(kind: "DaemonSet") { [unowned self] e, ref in self.queue.add("\(e.object.metadata.namespace ?? "")/\(ref.name)") }
        nodes.onChange { [unowned self] _ in for o in self.daemonSets.list() { self.queue.add(objectKey(o.metadata)) } }
    }

    /// nodeShouldRunDaemonPod: the pod's nodeSelector, required node affinity and
    /// NoSchedule/NoExecute taints.
    /// A pod already on the node only has to tolerate its NoExecute taints (upstream's
    /// shouldContinueRunning); a new one also its NoSchedule taints.
    static func shouldRun(_ t: PodTemplateSpec, on n: Node, existing: Bool = false) -> Bool {
        if !t.spec.nodeSelector.allSatisfy({ n.metadata.labels[$0.key] == $0.value }) { return false }
        if !t.spec.affinity.nodeRequired.isEmpty && !t.spec.affinity.nodeRequired.contains(where: { $0.matches(n.metadata.labels, nodeName: n.metadata.name) }) { return false }
        for taint in n.taints where (taint.effect == "NoSchedule" && !existing) || taint.effect == "NoExecute" {
            if !t.spec.tolerations.contains(where: { $0.tolerates(taint) }) { return false }
        }
        return true
    }

    func sync(_ key: String) {
        let (ns, name) = splitKey(key)
        guard let ds = daemonSets.get(namespace: ns, name: name)?.daemonSet, !ds.metadata.isBeingDeleted else { return }
        let hash = DeploymentController.templateHash(ds.spec.template)
        let owned = pods.byIndex(IndexName.controller, ds.metadata.uid).compactMap(\.pod).filter { !$0.isTerminating }
        var byNode: [String: [Pod]] = [:]
        for p in owned {
            let target = p.spec.nodeName ?? p.spec.affinity.nodeRequired.first?.matchFields.first?.values.first ?? ""
            byNode[target, default: []].append(p)
        }
        let allNodes = nodes.list().compactMap(\.node).sorted { $0.metadata.name < $1.metadata.name }
        var status = DaemonSetStatus()
        status.observedGeneration = ds.metadata.generation
        let maxUnavailable = max(1, ds.spec.maxUnavailable.scaled(total: allNodes.count, roundUp: false))
        var unavailable = owned.filter { !$0.status.isReady }.count
        for n in allNodes {
            let nodeName = n.metadata.name
            var here = byNode[nodeName] ?? []
            // A failed daemon pod (evicted, say) is deleted and made again.
            for p in here where p.status.phase == "Failed" {
                _ = try? api.delete(.pod, namespace: p.metadata.namespace, name: p.metadata.name, user: user)
                events.record(.daemonSet(ds), type: "Warning", reason: "FailedDaemonPod", message: "Found failed daemon pod \(p.metadata.namespace ?? "default")/\(p.metadata.name) on node \(nodeName), will try to kill it", source: "daemonset-controller", user: user)
            }
            here.removeAll { $0.status.phase == "Failed" }
            if Self.shouldRun(ds.spec.template, on: n, existing: !here.isEmpty) {
                status.desiredNumberScheduled += 1
                if here.isEmpty {
                    var t = ds.spec.template
                    t.labels["controller-revision-hash"] = hash
                    var p = PodFactory.pod(from: t, owner: .daemonSet(ds), generateName: ds.metadata.name + "-")
                    // pkg/controller/daemon/util ReplaceDaemonSetPodNodeNameNodeAffinity.
                    p.spec.affinity.nodeRequired = [NodeSelectorTerm(matchExpressions: [], matchFields: [NodeSelectorRequirement(key: "metadata.name", operator: "In", values: [nodeName])])]
                    if let made = try? api.create(.pod(p), user: user) {
                        events.record(.daemonSet(ds), reason: "SuccessfulCreate", message: "Created pod: \(made.metadata.name)", source: "daemonset-controller", user: user)
                    }
                    continue
                }
                status.currentNumberScheduled += 1
                if here.contains(where: { $0.status.isReady }) { status.numberReady += 1; status.numberAvailable += 1 }
                if here.contains(where: { $0.metadata.labels["controller-revision-hash"] == hash }) { status.updatedNumberScheduled += 1 }
                // RollingUpdate: replace an old pod while the unavailable budget allows.
                if ds.spec.updateStrategy == "RollingUpdate", let old = here.first(where: { $0.metadata.labels["controller-revision-hash"] != hash }) {
                    if !old.status.isReady || unavailable < maxUnavailable {
                        if old.status.isReady { unavailable += 1 }
                        _ = try? api.delete(.pod, namespace: old.metadata.namespace, name: old.metadata.name, user: user)
                        events.record(.daemonSet(ds), reason: "SuccessfulDelete", message: "Deleted pod: \(old.metadata.name)", source: "daemonset-controller", user: user)
                    }
                }
            } else if !here.isEmpty {
                status.numberMisscheduled += 1
                for p in here {
                    _ = try? api.delete(.pod, namespace: p.metadata.namespace, name: p.metadata.name, user: user)
                    events.record(.daemonSet(ds), reason: "SuccessfulDelete", message: "Deleted pod: \(p.metadata.name)", source: "daemonset-controller", user: user)
                }
            }
        }
        if status != ds.status {
            _ = try? api.modify(.daemonSet, namespace: ns, name: name, user: user) { o in
                guard var d = o.daemonSet else { return }
                d.status = status
                o = .daemonSet(d)
            }
        }
    }
}

/// The StatefulSet controller (pkg/controller/statefulset): pods `<set>-0…<set>-(n−1)`
/// with stable hostnames under the governing Service, a PersistentVolumeClaim per pod
/// from volumeClaimTemplates (kept when pods go), OrderedReady (one at a time, each
/// waiting for the previous to be Running and Ready; scale-down from the highest
/// ordinal) or Parallel, and rolling updates from the highest ordinal down to the partition.
public final class StatefulSetController {
    let api: APIServer
    let clock: EventQueue
    let sets: Informer
    let pods: Informer
    let events: EventRecorder
    var queue: WorkQueue!
    let user = "system:serviceaccount:kube-system:statefulset-controller"

    public init(api: APIServer, clock: EventQueue, statefulSets: Informer, pods: Informer, events: EventRecorder) {
        self.api = api; self.clock = clock; self.sets = statefulSets; self.pods = pods; self.events = events
        queue = WorkQueue(name: "statefulset-controller", clock: clock, delay: .milliseconds(1)) { [unowned self] key in self.sync(key) }
        statefulSets.onChange { [unowned self] e in if e.kind != .deleted { self.queue.add(objectKey(e.object.metadata)) } }
        pods.onOwnedChange(kind: "StatefulSet") { [unowned self] e, ref in self.queue.add("\(e.object.metadata.namespace ?? "")/\(ref.name)") }
    }

    static func ordinal(_ p: Pod, _ set: String) -> Int? {
        guard p.metadata.name.hasPrefix(set + "-") else { return nil }
        return Int(p.metadata.name.dropFirst(set.count + 1))
    }

    func sync(_ key: String) {
        let (ns, name) = splitKey(key)
        guard let ss = sets.get(namespace: ns, name: name)?.statefulSet, !ss.metadata.isBeingDeleted else { return }
        let revision = "\(name)-\(DeploymentController.templateHash(ss.spec.template))"
        var byOrdinal: [Int: Pod] = [:]
        for p in pods.byIndex(IndexName.controller, ss.metadata.uid).compactMap(\.pod) { if let i = Self.ordinal(p, name) { byOrdinal[i] = p } }
        let ordered = ss.spec.podManagementPolicy == "OrderedReady"
        var status = StatefulSetStatus()
        status.observedGeneration = ss.metadata.generation
        status.updateRevision = revision
        status.currentRevision = ss.status.currentRevision.isEmpty ? revision : ss.status.currentRevision
        var blocked = false
        for i in 0..<ss.spec.replicas {
            if let p = byOrdinal[i] {
                status.replicas += 1
                if p.status.isReady { status.readyReplicas += 1; status.availableReplicas += 1 }
                if p.metadata.labels["controller-revision-hash"] == revision { status.updatedReplicas += 1 } else { status.currentReplicas += 1 }
                // A failed pod is deleted and made again.
                if p.status.phase == "Failed" && !p.isTerminating {
                    _ = try? api.delete(.pod, namespace: ns, name: p.metadata.name, gracePeriod: 0, user: user)
                    blocked = ordered
                }
                if ordered && !(p.status.phase == "Running" && p.status.isReady) { blocked = true }
                continue
            }
            if blocked { break }
            createPod(ss, ordinal: i, revision: revision)
            if ordered { blocked = true }
        }
        // Scale down: highest ordinal first, one at a time when ordered.
        let extra = byOrdinal.keys.filter { $0 >= ss.spec.replicas }.sorted(by: >)
        if !blocked || !ordered {
            for i in extra {
                guard let p = byOrdinal[i] else { continue }
                if !p.isTerminating {
                    _ = try? api.delete(.pod, namespace: ns, name: p.metadata.name, user: user)
                    events.record(.statefulSet(ss), reason: "SuccessfulDelete", message: "delete Pod \(p.metadata.name) in StatefulSet \(name) successful", source: "statefulset-controller", user: user)
                }
                if ordered { break }
            }
        }
        // Rolling update: from the highest ordinal down to the partition, one at a time.
        if ss.spec.updateStrategy == "RollingUpdate" && extra.isEmpty && status.readyReplicas == ss.spec.replicas {
            for i in stride(from: ss.spec.replicas - 1, through: ss.spec.partition, by: -1) {
                guard let p = byOrdinal[i], p.metadata.labels["controller-revision-hash"] != revision else { continue }
                if !p.isTerminating {
                    _ = try? api.delete(.pod, namespace: ns, name: p.metadata.name, user: user)
                    events.record(.statefulSet(ss), reason: "SuccessfulDelete", message: "delete Pod \(p.metadata.name) in StatefulSet \(name) successful", source: "statefulset-controller", user: user)
                }
                break
            }
        }
        if status.updatedReplicas == ss.spec.replicas { status.currentRevision = revision; status.currentReplicas = status.updatedReplicas }
        if status != ss.status {
            _ = try? api.modify(.statefulSet, namespace: ns, name: name, user: user) { o in
                guard var s = o.statefulSet else { return }
                s.status = status
                o = .statefulSet(s)
            }
        }
    }

    func createPod(_ ss: StatefulSet, ordinal i: Int, revision: String) {
        let name = "\(ss.metadata.name)-\(i)"
        var t = ss.spec.template
        t.labels["controller-revision-hash"] = revision
        t.labels["statefulset.kubernetes.io/pod-name"] = name
        t.labels["apps.kubernetes.io/pod-index"] = String(i)
        var p = PodFactory.pod(from: t, owner: .statefulSet(ss), name: name)
        p.spec.hostname = name
        p.spec.subdomain = ss.spec.serviceName
        // One claim per pod and template, made before the pod and kept after it.
        for ct in ss.spec.volumeClaimTemplates {
            let claim = "\(ct.name)-\(name)"
            if (try? api.get(.persistentVolumeClaim, namespace: ss.metadata.namespace, name: claim)) == nil {
                var meta = ObjectMeta(name: claim, namespace: ss.metadata.namespace, labels: ss.spec.selector.matchLabelsOnly)
                meta.labels["statefulset.kubernetes.io/pod-name"] = name   // not upstream: helps `get pvc -l`
                var pvc = StoredObject(type: .persistentVolumeClaim, metadata: meta)
                pvc.setField(["spec"], json: "{\"accessModes\":[\(ct.accessModes.map { "\"\($0)\"" }.joined(separator: ","))],\"resources\":{\"requests\":{\"storage\":\"\(ct.storage)\"}},\"volumeMode\":\"Filesystem\"}")
                pvc.setField(["status"], json: "{\"accessModes\":[\(ct.accessModes.map { "\"\($0)\"" }.joined(separator: ","))],\"capacity\":{\"storage\":\"\(ct.storage)\"},\"phase\":\"Bound\"}")
                if (try? api.create(.stored(pvc), user: user)) != nil {
                    events.record(.statefulSet(ss), reason: "SuccessfulCreate", message: "create Claim \(claim) Pod \(name) in StatefulSet \(ss.metadata.name) success", source: "statefulset-controller", user: user)
                }
            }
            p.spec.volumes.removeAll { $0.name == ct.name }
            p.spec.volumes.append(Volume(name: ct.name, source: .persistentVolumeClaim(claimName: claim, readOnly: false)))
        }
        if (try? api.create(.pod(p), user: user)) != nil {
            events.record(.statefulSet(ss), reason: "SuccessfulCreate", message: "create Pod \(name) in StatefulSet \(ss.metadata.name) successful", source: "statefulset-controller", user: user)
        }
    }
}

extension ObjectMeta {
    var isBeingDeleted: Bool { deletionTimestamp != nil }
}

extension LabelSelector {
    /// The `matchLabels` part, for labels copied onto owned objects.
    var matchLabelsOnly: [String: String] {
        var out: [String: String] = [:]
        for r in requirements { if case let .equals(k, v) = r { out[k] = v } }
        return out
    }
}
