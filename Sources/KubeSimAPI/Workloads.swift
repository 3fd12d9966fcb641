import KubeSimCore

// Workload kinds beyond Deployment (staging/src/k8s.io/api/apps/v1, batch/v1), with the
// upstream defaults (pkg/apis/apps/v1/defaults.go, pkg/apis/batch/v1/defaults.go).

public struct JobCondition: Sendable, Equatable {
    public var type: String
    public var status: String
    public var reason: String
    public var message: String
    public var lastTransitionTime: Int64
    public init(type: String, status: String, reason: String, message: String, lastTransitionTime: Int64) {
        self.type = type; self.status = status; self.reason = reason; self.message = message; self.lastTransitionTime = lastTransitionTime
    }
}

public struct JobSpec: Sendable, Equatable {
    public var parallelism: Int? = 1
    /// nil: a work queue (done when one pod succeeds and none is active).
    public var completions: Int? = 1
    public var backoffLimit = 6
    public var activeDeadlineSeconds: Int64?
    public var completionMode = "NonIndexed"
    public var suspend = false
    public var ttlSecondsAfterFinished: Int?
    public var selector = LabelSelector()
    /// Whether the user wrote the selector (manualSelector); else the controller-uid label.
    public var manualSelector = false
    public var template: PodTemplateSpec
    public init(template: PodTemplateSpec) { self.template = template }
}

public struct JobStatus: Sendable, Equatable {
    public var active = 0
    public var succeeded = 0
    public var failed = 0
    public var ready = 0
    public var startTime: Int64?
    public var completionTime: Int64?
    public var conditions: [JobCondition] = []
    public var completedIndexes = ""
    public init() {}
    public var isFinished: Bool { conditions.contains { ($0.type == "Complete" || $0.type == "Failed") && $0.status == "True" } }
}

public struct Job: Sendable, Equatable {
    public var metadata: ObjectMeta
    public var spec: JobSpec
    public var status = JobStatus()
    public init(metadata: ObjectMeta, spec: JobSpec) { self.metadata = metadata; self.spec = spec }
}

public struct CronJobSpec: Sendable, Equatable {
    public var schedule: String
    public var timeZone: String?
    public var concurrencyPolicy = "Allow"
    public var suspend = false
    public var startingDeadlineSeconds: Int64?
    public var successfulJobsHistoryLimit = 3
    public var failedJobsHistoryLimit = 1
    public var jobLabels: [String: String] = [:]
    public var jobAnnotations: [String: String] = [:]
    public var jobTemplate: JobSpec
    public init(schedule: String, jobTemplate: JobSpec) { self.schedule = schedule; self.jobTemplate = jobTemplate }
}

public struct CronJobStatus: Sendable, Equatable {
    public var active: [String] = []
    public var lastScheduleTime: Int64?
    public var lastSuccessfulTime: Int64?
    public init() {}
}

public struct CronJob: Sendable, Equatable {
    public var metadata: ObjectMeta
    public var spec: CronJobSpec
    public var status = CronJobStatus()
    public init(metadata: ObjectMeta, spec: CronJobSpec) { self.metadata = metadata; self.spec = spec }
}

public struct DaemonSetSpec: Sendable, Equatable {
    public var selector: LabelSelector
    public var template: PodTemplateSpec
    public var updateStrategy = "RollingUpdate"
    public var maxUnavailable: IntOrPercent = .int(1)
    public var maxSurge: IntOrPercent = .int(0)
    public var minReadySeconds = 0
    public var revisionHistoryLimit = 10
    public init(selector: LabelSelector, template: PodTemplateSpec) { self.selector = selector; self.template = template }
}

public struct DaemonSetStatus: Sendable, Equatable {
    public var desiredNumberScheduled = 0
    public var currentNumberScheduled = 0
    public var numberReady = 0
    public var numberAvailable = 0
    public var updatedNumberScheduled = 0
    public var numberMisscheduled = 0
    public var observedGeneration: Int64 = 0
    public init() {}
}

public struct DaemonSet: Sendable, Equatable {
    public var metadata: ObjectMeta
    public var spec: DaemonSetSpec
    public var status = DaemonSetStatus()
    public init(metadata: ObjectMeta, spec: DaemonSetSpec) { self.metadata = metadata; self.spec = spec }
}

/// One `volumeClaimTemplates` entry: a PVC per pod, named `<name>-<set>-<ordinal>`.
public struct ClaimTemplate: Sendable, Equatable {
    public var name: String
    public var storage: String
    public var accessModes: [String]
    public var storageClassName: String?
    public init(name: String, storage: String, accessModes: [String] = ["ReadWriteOnce"], storageClassName: String? = nil) {
        self.name = name; self.storage = storage; self.accessModes = accessModes; self.storageClassName = storageClassName
    }
}

public struct StatefulSetSpec: Sendable, Equatable {
    public var replicas = 1
    public var selector: LabelSelector
    public var serviceName: String
    public var template: PodTemplateSpec
    public var volumeClaimTemplates: [ClaimTemplate] = []
    public var podManagementPolicy = "OrderedReady"
    public var updateStrategy = "RollingUpdate"
    public var partition = 0
    public var minReadySeconds = 0
    public var revisionHistoryLimit = 10
    public init(selector: LabelSelector, serviceName: String, template: PodTemplateSpec) {
        self.selector = selector; self.serviceName = serviceName; self.template = template
    }
}

public struct StatefulSetStatus: Sendable, Equatable {
    public var replicas = 0
    public var readyReplicas = 0
    public var currentReplicas = 0
    public var updatedReplicas = 0
    public var availableReplicas = 0
    public var currentRevision = ""
    public var updateRevision = ""
    public var observedGeneration: Int64 = 0
    public init() {}
}

public struct StatefulSet: Sendable, Equatable {
    public var metadata: ObjectMeta
    public var spec: StatefulSetSpec
    public var status = StatefulSetStatus()
    public init(metadata: ObjectMeta, spec: StatefulSetSpec) { self.metadata = metadata; self.spec = spec }
}

extension ResourceType {
    public static let job = ResourceType(kind: "Job", resource: "jobs", singular: "job", shortNames: [], apiVersion: "batch/v1", namespaced: true)
    public static let cronJob = ResourceType(kind: "CronJob", resource: "cronjobs", singular: "cronjob", shortNames: ["cj"], apiVersion: "batch/v1", namespaced: true)
    public static let daemonSet = ResourceType(kind: "DaemonSet", resource: "daemonsets", singular: "daemonset", shortNames: ["ds"], apiVersion: "apps/v1", namespaced: true)
    public static let statefulSet = ResourceType(kind: "StatefulSet", resource: "statefulsets", singular: "statefulset", shortNames: ["sts"], apiVersion: "apps/v1", namespaced: true)
}

extension APIObject {
    public var job: Job? { if case .job(let j) = self { return j } else { return nil } }
    public var cronJob: CronJob? { if case .cronJob(let j) = self { return j } else { return nil } }
    public var daemonSet: DaemonSet? { if case .daemonSet(let d) = self { return d } else { return nil } }
    public var statefulSet: StatefulSet? { if case .statefulSet(let s) = self { return s } else { return nil } }
}

/// Five-field cron schedules (minute hour day-of-month month day-of-week) on the
/// simulated clock, as robfig/cron parses them for the CronJob controller: `*`, lists,
/// ranges, steps, `@hourly`-style macros. Simulated time 0 is 2026-01-01 00:00 UTC, a Thursday.
public struct CronSchedule: Sendable, Equatable {
    let minutes, hours, days, months, weekdays: Set<Int>
    let dayStar, weekdayStar: Bool

    public init?(_ text: String) {
        var t = text.trimmingCharacters(in: " ")
        let macros = ["@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
                      "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"]
        if let m = macros[t] { t = m }
        let f = t.split(separator: " ").map(String.init)
        guard f.count == 5 else { return nil }
        func parse(_ s: String, _ lo: Int, _ hi: Int, names: [String] = []) -> Set<Int>? {
            var out = Set<Int>()
            for part in s.split(separator: ",", omittingEmptySubsequences: false) {
                var range = String(part), step = 1
                if let slash = range.firstIndex(of: "/") {
                    guard let st = Int(range[range.index(after: slash)...]), st > 0 else { return nil }
                    step = st
                    range = String(range[..<slash])
                }
                func value(_ x: String) -> Int? {
                    if let i = Int(x) { return i }
                    if let i = names.firstIndex(of: x.lowercased()) { return i + lo }
                    return nil
                }
                var a = lo, b = hi
                if range != "*" && range != "?" {
                    let ends = range.split(separator: "-").map(String.init)
                    guard ends.count == 1 || ends.count == 2, let x = value(ends[0]) else { return nil }
                    a = x
                    b = ends.count == 2 ? (value(ends[1]) ?? -1) : (step > 1 ? hi : x)
                }
                guard a >= lo, b <= hi, a <= b else { return nil }
                for v in stride(from: a, through: b, by: step) { out.insert(v) }
            }
            return out
        }
        guard let mi = parse(f[0], 0, 59), let h = parse(f[1], 0, 23), let d = parse(f[2], 1, 31),
              let mo = parse(f[3], 1, 12, names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]),
              var w = parse(f[4], 0, 7, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]) else { return nil }
        if w.contains(7) { w.remove(7); w.insert(0) }
        minutes = mi; hours = h; days = d; months = mo; weekdays = w
        dayStar = f[2] == "*" || f[2] == "?"
        weekdayStar = f[4] == "*" || f[4] == "?"
    }

    /// The first scheduled time strictly after `t` (nanoseconds of simulated time).
    public func next(after t: Int64) -> Int64 {
        let minuteNs: Int64 = 60_000_000_000
        var m = t / minuteNs + 1
        for _ in 0..<(60 * 24 * 366 * 5) {
            let (mon, dom, dow, hour, minute) = Self.calendar(m)
            let dayOK: Bool
            if dayStar || weekdayStar { dayOK = days.contains(dom) && weekdays.contains(dow) }
            else { dayOK = days.contains(dom) || weekdays.contains(dow) }
            if months.contains(mon) && dayOK && hours.contains(hour) && minutes.contains(minute) { return m * minuteNs }
            m += 1
        }
        return Int64.max
    }

    /// (month, day of month, weekday, hour, minute) of minute `m` since 2026-01-01 00:00 (a Thursday).
    static func calendar(_ m: Int64) -> (Int, Int, Int, Int, Int) {
        let minute = Int(m % 60), hour = Int((m / 60) % 24)
        var days = Int(m / 1440)
        let dow = (4 + days) % 7
        var y = 2026
        func leap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }
        while days >= (leap(y) ? 366 : 365) { days -= leap(y) ? 366 : 365; y += 1 }
        let lengths = [31, leap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        var mon = 0
        while days >= lengths[mon] { days -= lengths[mon]; mon += 1 }
        return (mon + 1, days + 1, dow, hour, minute)
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
