import KubeSimCore

/// Defaulting as the upstream API types do it (pkg/apis/core/v1/defaults.go,
/// pkg/apis/apps/v1/defaults.go): a Deployment gets RollingUpdate 25%/25%,
/// revisionHistoryLimit 10, progressDeadlineSeconds 600; a Pod gets restartPolicy
/// Always and terminationGracePeriodSeconds 30 (set in the Swift initialisers), and
/// a container's requests default to its limits.
enum Defaults {
    static func apply(_ o: inout APIObject) {
        switch o {
        case .pod(var p):
            defaultPodSpec(&p.spec)
            o = .pod(p)
        case .replicaSet(var r):
            defaultPodSpec(&r.spec.template.spec)
            if r.spec.selector.isEmpty { r.spec.selector = LabelSelector(matchLabels: r.spec.template.labels) }
            if r.metadata.labels.isEmpty { r.metadata.labels = r.spec.template.labels }
            o = .replicaSet(r)
        case .deployment(var d):
            defaultPodSpec(&d.spec.template.spec)
            if d.spec.selector.isEmpty { d.spec.selector = LabelSelector(matchLabels: d.spec.template.labels) }
            if d.metadata.labels.isEmpty { d.metadata.labels = d.spec.template.labels }
            o = .deployment(d)
        case .job(var j):
            defaultJob(&j.spec, uid: j.metadata.uid, name: j.metadata.name)
            o = .job(j)
        case .cronJob(var c):
            defaultPodSpec(&c.spec.jobTemplate.template.spec)
            o = .cronJob(c)
        case .daemonSet(var d):
            defaultPodSpec(&d.spec.template.spec)
            if d.spec.selector.isEmpty { d.spec.selector = LabelSelector(matchLabels: d.spec.template.labels) }
            // DaemonSet pods tolerate the node-condition taints (pkg/controller/daemon/util).
            for (key, effect) in [("node.kubernetes.io/not-ready", "NoExecute"), ("node.kubernetes.io/unreachable", "NoExecute"),
                                  ("node.kubernetes.io/disk-pressure", "NoSchedule"), ("node.kubernetes.io/memory-pressure", "NoSchedule"),
                                  ("node.kubernetes.io/pid-pressure", "NoSchedule"), ("node.kubernetes.io/unschedulable", "NoSchedule")]
            where !d.spec.template.spec.tolerations.contains(where: { $0.key == key && $0.effect == effect }) {
                d.spec.template.spec.tolerations.append(Toleration(key: key, operator: "Exists", value: nil, effect: effect, tolerationSeconds: nil))
            }
            o = .daemonSet(d)
        case .statefulSet(var st):
            defaultPodSpec(&st.spec.template.spec)
            if st.spec.selector.isEmpty { st.spec.selector = LabelSelector(matchLabels: st.spec.template.labels) }
            o = .statefulSet(st)
        case .service(var s):
            // pkg/apis/core/v1/defaults.go: protocol TCP, targetPort = port.
            for i in s.spec.ports.indices where s.spec.ports[i].targetPort == nil {
                s.spec.ports[i].targetPort = String(s.spec.ports[i].port)
            }
            if (s.spec.type == "NodePort" || s.spec.type == "LoadBalancer") && s.spec.externalTrafficPolicy == nil {
                s.spec.externalTrafficPolicy = "Cluster"
            }
            // SetDefaults_Service: ClientIP affinity's timeout, 10800 s (3 hours).
            if s.spec.sessionAffinity == "ClientIP" && s.spec.sessionAffinityTimeout == nil { s.spec.sessionAffinityTimeout = 10800 }
            o = .service(s)
        case .endpoints(var e):
            // The registry canonicalizes every Endpoints it stores (pkg/registry/core/
            // endpoint/strategy.go Canonicalize → pkg/api/endpoints RepackSubsets), so
            // subsets, addresses and ports always read back in upstream's order.
            e.subsets = EndpointsRepack.repack(e.subsets, package: .core)
            o = .endpoints(e)
        case .namespace(var n) where n.metadata.labels["kubernetes.io/metadata.name"] != n.metadata.name:
            // pkg/registry/core/namespace/strategy.go PrepareForCreate/Update: every
            // namespace carries its name as a label (what namespaceSelectors match).
            n.metadata.labels["kubernetes.io/metadata.name"] = n.metadata.name
            o = .namespace(n)
        case .networkPolicy(var np):
            guard np.spec.policyTypes.isEmpty else { break }
            np.applyDefaults()
            o = .networkPolicy(np)
        default:
            break
        }
    }

    /// pkg/registry/batch/job/strategy.go generateSelector: the Job's pods carry its uid
    /// and name as labels, and the selector is the uid (unless manualSelector).
    static func defaultJob(_ spec: inout JobSpec, uid: String, name: String) {
        defaultPodSpec(&spec.template.spec)
        if spec.completions == nil && spec.parallelism == nil { spec.parallelism = 1 }
        if spec.parallelism == nil { spec.parallelism = 1 }
        guard !spec.manualSelector, !uid.isEmpty else { return }
        if spec.selector.isEmpty { spec.selector = LabelSelector(matchLabels: ["batch.kubernetes.io/controller-uid": uid]) }
        for (k, v) in ["batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name, "controller-uid": uid, "job-name": name] {
            spec.template.labels[k] = v
        }
    }

    static func defaultPodSpec(_ spec: inout PodSpec) {
        func defaultContainer(_ c: inout Container) {
            for (k, v) in c.resources.limits where c.resources.requests[k] == nil { c.resources.requests[k] = v }
            // imagePullPolicy: Always for :latest or no tag, else IfNotPresent (SetDefaults_Container).
            if c.imagePullPolicy.isEmpty {
                let tag = c.image.split(separator: "/").last.flatMap { $0.contains(":") ? $0.split(separator: ":").last : nil }
                c.imagePullPolicy = (tag == nil || tag == "latest") ? "Always" : "IfNotPresent"
            }
        }
        // Only touch what needs defaulting: writing through `&containers[i]` copies the
        // array even when nothing changes.
        func needs(_ c: Container) -> Bool { c.imagePullPolicy.isEmpty || c.resources.limits.keys.contains { c.resources.requests[$0] == nil } }
        for i in spec.containers.indices where needs(spec.containers[i]) { defaultContainer(&spec.containers[i]) }
        for i in spec.initContainers.indices where needs(spec.initContainers[i]) { defaultContainer(&spec.initContainers[i]) }
    }
}

/// Validation with the field paths and words of upstream (pkg/apis/*/validation).
public enum Validation {
    static let dns1123Label = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    static let dns1123Subdomain = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"

    /// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters (checked on bytes: hot path).
    static func isDNS1123Label(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { isDNS1123Label($0[...]) }
    }

    static func isDNS1123Label(_ b: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        guard !b.isEmpty, b.count <= 63 else { return false }
        for c in b where !((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 45) { return false }
        return b.first! != 45 && b.last! != 45
    }

    /// Dot-separated DNS-1123 labels, at most 253 characters.
    static func isDNS1123Subdomain(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { buf in
            guard !buf.isEmpty, buf.count <= 253 else { return false }
            var start = 0
            for i in 0...buf.count where i == buf.count || buf[i] == 46 {
                if !isDNS1123Label(buf[start..<i]) { return false }
                start = i + 1
            }
            return true
        }
    }

    /// `update`: the name is immutable and was checked at create
    /// (ValidateObjectMetaUpdate compares it, it does not re-validate its format).
    public static func validate(_ o: APIObject, update: Bool = false) throws {
        var causes: [String] = []
        let name = o.metadata.name
        if update {
            // nothing: names cannot change
        } else if name.isEmpty {
            causes.append("metadata.name: Required value: name or generateName is required")
        } else if [ResourceType.role, .clusterRole, .roleBinding, .clusterRoleBinding].contains(o.type) {
            // RBAC names are path segments (ValidatePathSegmentName): `system:…` is fine.
            if name == "." || name == ".." || name.contains("/") || name.contains("%") {
                causes.append("metadata.name: Invalid value: \"\(name)\": may not contain '/' or '%'")
            }
        } else if o.type == .namespace {
            if !isDNS1123Label(name) { causes.append("metadata.name: Invalid value: \"\(name)\": \(dns1123Label)") }
        } else if !isDNS1123Subdomain(name) {
            causes.append("metadata.name: Invalid value: \"\(name)\": \(dns1123Subdomain)")
        }
        validateLabelsAndAnnotations(labels: o.metadata.labels, annotations: o.metadata.annotations, path: "metadata", &causes)
        if let t = o.podTemplate {
            validateLabelsAndAnnotations(labels: t.labels, annotations: t.annotations, path: "\(o.podTemplatePath).metadata", &causes)
        }
        switch o {
        case .resourceQuota(let q):
            validateQuota(q, &causes)
        case .networkPolicy(let np):
            np.validate(&causes)
        case .pod(let p):
            validatePodSpec(p.spec, path: "spec", &causes)
        case .replicaSet(let r):
            if r.spec.replicas < 0 { causes.append("spec.replicas: Invalid value: \(r.spec.replicas): must be greater than or equal to 0") }
            validateSelector(r.spec.selector, template: r.spec.template, &causes)
            validatePodSpec(r.spec.template.spec, path: "spec.template.spec", &causes)
        case .job(let j):
            validateSelector(j.spec.selector, template: j.spec.template, &causes)
            validatePodSpec(j.spec.template.spec, path: "spec.template.spec", &causes)
            if !["OnFailure", "Never"].contains(j.spec.template.spec.restartPolicy) {
                causes.append("spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\"")
            }
            if let c = j.spec.completions, c < 0 { causes.append("spec.completions: Invalid value: \(c): must be greater than or equal to 0") }
            if j.spec.backoffLimit < 0 { causes.append("spec.backoffLimit: Invalid value: \(j.spec.backoffLimit): must be greater than or equal to 0") }
            if j.spec.completionMode == "Indexed" && j.spec.completions == nil { causes.append("spec.completions: Required value: when completion mode is Indexed") }
        case .cronJob(let c):
            if CronSchedule(c.spec.schedule) == nil {
                causes.append("spec.schedule: Invalid value: \"\(c.spec.schedule)\": \(Self.cronError(c.spec.schedule))")
            }
            if !["Allow", "Forbid", "Replace"].contains(c.spec.concurrencyPolicy) {
                causes.append("spec.concurrencyPolicy: Unsupported value: \"\(c.spec.concurrencyPolicy)\": supported values: \"Allow\", \"Forbid\", \"Replace\"")
            }
            validatePodSpec(c.spec.jobTemplate.template.spec, path: "spec.jobTemplate.spec.template.spec", &causes)
            if !["OnFailure", "Never"].contains(c.spec.jobTemplate.template.spec.restartPolicy) {
                causes.append("spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\"")
            }
        case .daemonSet(let d):
            validateSelector(d.spec.selector, template: d.spec.template, &causes)
            validatePodSpec(d.spec.template.spec, path: "spec.template.spec", &causes)
        case .statefulSet(let st):
            if st.spec.replicas < 0 { causes.append("spec.replicas: Invalid value: \(st.spec.replicas): must be greater than or equal to 0") }
            validateSelector(st.spec.selector, template: st.spec.template, &causes)
            validatePodSpec(st.spec.template.spec, path: "spec.template.spec", &causes)
        case .deployment(let d):
            if d.spec.replicas < 0 { causes.append("spec.replicas: Invalid value: \(d.spec.replicas): must be greater than or equal to 0") }
            validateSelector(d.spec.selector, template: d.spec.template, &causes)
            validatePodSpec(d.spec.template.spec, path: "spec.template.spec", &causes)
            if d.spec.strategy.type == "RollingUpdate",
               d.spec.strategy.maxSurge.scaled(total: 100, roundUp: true) == 0 && d.spec.strategy.maxUnavailable.scaled(total: 100, roundUp: false) == 0,
               case .int = d.spec.strategy.maxSurge, case .int = d.spec.strategy.maxUnavailable {
                causes.append("spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0")
            }
            if case .percent(let p) = d.spec.strategy.maxUnavailable, p > 100 {
                causes.append("spec.strategy.rollingUpdate.maxUnavailable: Invalid value: \"\(p)%\": must not be greater than 100%")
            }
        case .service(let s):
            if !["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"].contains(s.spec.type) {
                causes.append("spec.type: Unsupported value: \"\(s.spec.type)\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"")
            }
            // ValidateService: a headless Service may have no ports (its pods' addresses are
            // published as they are, pkg/apis/core/validation).
            if s.spec.ports.isEmpty && s.spec.type != "ExternalName" && s.spec.clusterIP != "None" { causes.append("spec.ports: Required value") }
            for (i, p) in s.spec.ports.enumerated() where !(1...65535).contains(p.port) {
                causes.append("spec.ports[\(i)].port: Invalid value: \(p.port): must be between 1 and 65535, inclusive")
            }
            if s.spec.ports.count > 1 {
                for (i, p) in s.spec.ports.enumerated() where (p.name ?? "").isEmpty { causes.append("spec.ports[\(i)].name: Required value") }
            }
        default:
            break
        }
        if !causes.isEmpty { throw APIError.invalid(o.type, name, causes) }
    }

    /// robfig/cron's parse errors, as the API server reports them.
    static func cronError(_ s: String) -> String {
        let n = s.split(separator: " ").count
        if n != 5 && !s.hasPrefix("@") { return "expected exactly 5 fields, found \(n): [\(s)]" }
        return "unparseable schedule"
    }

    static func validateSelector(_ selector: LabelSelector, template: PodTemplateSpec, _ causes: inout [String]) {
        if selector.isEmpty {
            causes.append("spec.selector: Required value")
        } else if !selector.matches(template.labels) {
            let labels = template.labels.keys.sorted().map { "\"\($0)\":\"\(template.labels[$0]!)\"" }.joined(separator: ", ")
            causes.append("spec.template.metadata.labels: Invalid value: map[string]string{\(labels)}: `selector` does not match template `labels`")
        }
    }

    static func validatePodSpec(_ spec: PodSpec, path: String, _ causes: inout [String]) {
        if spec.containers.isEmpty { causes.append("\(path).containers: Required value") }
        var seen = Set<String>()
        for (i, c) in spec.containers.enumerated() {
            if c.name.isEmpty { causes.append("\(path).containers[\(i)].name: Required value") }
            else if !isDNS1123Label(c.name) { causes.append("\(path).containers[\(i)].name: Invalid value: \"\(c.name)\": \(dns1123Label)") }
            else if !seen.insert(c.name).inserted { causes.append("\(path).containers[\(i)].name: Duplicate value: \"\(c.name)\"") }
            if c.image.isEmpty { causes.append("\(path).containers[\(i)].image: Required value") }
            validatePorts(c, path: "\(path).containers[\(i)]", &causes)
        }
        if !["Always", "OnFailure", "Never"].contains(spec.restartPolicy) {
            causes.append("\(path).restartPolicy: Unsupported value: \"\(spec.restartPolicy)\": supported values: \"Always\", \"OnFailure\", \"Never\"")
        }
    }
}
