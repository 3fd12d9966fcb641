import KubeSimManifest

/// The objects kubectl's generators build on the client — what `create …`, `run` and
/// `expose` send, and what `--dry-run=client` prints — in Go's field order (the JSON
/// printer keeps it; the YAML printer sorts keys). Go's `omitempty` drops empty
/// fields, but a struct-valued field is never empty: hence `creationTimestamp: null`,
/// `strategy: {}`, `resources: {}` and `status: {}`, as kubectl prints them.
/// Upstream: staging/src/k8s.io/kubectl/pkg/cmd/create/*.go, run/run.go, expose/expose.go
/// (via polymorphichelpers and the generators in pkg/generate/versioned).
enum ClientObject {
    typealias Pairs = [(String, JSONValue)]

    static func sorted(_ d: [String: String]) -> JSONValue { .object(d.keys.sorted().map { ($0, .string(d[$0]!)) }) }
    static func strings(_ a: [String]) -> JSONValue { .array(a.map { .string($0) }) }

    /// ObjectMeta: name, namespace (only when `-n` was given), creationTimestamp, labels.
    static func meta(_ name: String?, namespace: String? = nil, labels: [String: String] = [:]) -> JSONValue {
        var b = ObjectBuilder()
        b.add("name", name)
        b.add("namespace", namespace)
        b.addAlways("creationTimestamp", .null)
        if !labels.isEmpty { b.addAlways("labels", sorted(labels)) }
        return b.value
    }

    static func object(_ kind: String, _ apiVersion: String, _ meta: JSONValue, _ rest: Pairs) -> JSONValue {
        .object([("kind", .string(kind)), ("apiVersion", .string(apiVersion)), ("metadata", meta)] + rest)
    }

    /// A container as kubectl's generators fill it.
    struct Container {
        var name: String
        var image: String
        var command: [String] = []
        var args: [String] = []
        var ports: [Int] = []
        var env: [(String, String)] = []
        var imagePullPolicy: String?

        var json: JSONValue {
            var b = ObjectBuilder()
            b.add("name", name)
            b.add("image", image)
            b.add("command", strings(command))
            b.add("args", strings(args))
            b.add("ports", .array(ports.map { .object([("containerPort", .int(Int64($0)))]) }))
            b.add("env", .array(env.map { .object([("name", .string($0.0)), ("value", .string($0.1))]) }))
            b.addAlways("resources", .object([]))
            b.add("imagePullPolicy", imagePullPolicy)
            return b.value
        }
    }

    static func podSpec(_ containers: [Container], restartPolicy: String?, dnsPolicy: String? = nil) -> JSONValue {
        var b = ObjectBuilder()
        b.addAlways("containers", .array(containers.map(\.json)))
        b.add("restartPolicy", restartPolicy)
        b.add("dnsPolicy", dnsPolicy)
        return b.value
    }

    /// `create deployment NAME --image=I… [--replicas=N] [--port=P]`: label app=NAME,
    /// one container per image, named after the image.
    static func deployment(_ name: String, namespace: String?, images: [String], replicas: Int, port: Int?) -> JSONValue {
        let labels = ["app": name]
        let containers: [Container] = images.map { image in
            // The image's base name without tag or digest (kubectl does not make
            // repeated names unique; the server rejects them).
            var base = String(image.split(separator: "/").last ?? Substring(name))
            base = String(base.split(separator: "@")[0].split(separator: ":")[0])
            var c = Container(name: base, image: image)
            if let port { c.ports = [port] }
            return c
        }
        let template: JSONValue = .object([("metadata", meta(nil, labels: labels)), ("spec", podSpec(containers, restartPolicy: nil))])
        let spec: JSONValue = .object([("replicas", .int(Int64(replicas))), ("selector", .object([("matchLabels", sorted(labels))])),
                                       ("template", template), ("strategy", .object([]))])
        return object("Deployment", "apps/v1", meta(name, namespace: namespace, labels: labels), [("spec", spec), ("status", .object([]))])
    }

    /// `run NAME --image=I`: a pod labelled run=NAME (or `--labels`), dnsPolicy ClusterFirst.
    static func pod(_ name: String, namespace: String?, labels: [String: String], container: Container, restartPolicy: String) -> JSONValue {
        object("Pod", "v1", meta(name, namespace: namespace, labels: labels),
               [("spec", podSpec([container], restartPolicy: restartPolicy, dnsPolicy: "ClusterFirst")), ("status", .object([]))])
    }

    static func namespace(_ name: String) -> JSONValue {
        object("Namespace", "v1", meta(name), [("spec", .object([])), ("status", .object([]))])
    }

    static func jobSpec(_ name: String, image: String, command: [String], restartPolicy: String) -> JSONValue {
        .object([("template", .object([("metadata", meta(nil)),
                                       ("spec", podSpec([Container(name: name, image: image, command: command)], restartPolicy: restartPolicy))]))])
    }

    static func job(_ name: String, namespace: String?, image: String, command: [String]) -> JSONValue {
        object("Job", "batch/v1", meta(name, namespace: namespace),
               [("spec", jobSpec(name, image: image, command: command, restartPolicy: "Never")), ("status", .object([]))])
    }

    static func cronJob(_ name: String, namespace: String?, image: String, schedule: String, command: [String], restartPolicy: String) -> JSONValue {
        let jobTemplate: JSONValue = .object([("metadata", meta(name, namespace: namespace)),
                                              ("spec", jobSpec(name, image: image, command: command, restartPolicy: restartPolicy))])
        return object("CronJob", "batch/v1", meta(name, namespace: namespace),
                      [("spec", .object([("schedule", .string(schedule)), ("jobTemplate", jobTemplate)])), ("status", .object([]))])
    }

    /// A Service port: name, protocol, port, targetPort (a number when it is one), nodePort.
    static func servicePort(name: String?, port: Int, targetPort: String, nodePort: Int?) -> JSONValue {
        var b = ObjectBuilder()
        b.add("name", name)
        b.add("protocol", "TCP")
        b.addAlways("port", .int(Int64(port)))
        b.addAlways("targetPort", Int(targetPort).map { .int(Int64($0)) } ?? .string(targetPort))
        b.add("nodePort", nodePort)
        return b.value
    }

    static func service(_ name: String, namespace: String?, labels: [String: String], ports: [JSONValue], selector: [String: String],
                        clusterIP: String?, type: String?) -> JSONValue {
        var spec = ObjectBuilder()
        spec.add("ports", .array(ports))
        if !selector.isEmpty { spec.addAlways("selector", sorted(selector)) }
        spec.add("clusterIP", clusterIP)
        spec.add("type", type)
        return object("Service", "v1", meta(name, namespace: namespace, labels: labels),
                      [("spec", spec.value), ("status", .object([("loadBalancer", .object([]))]))])
    }

    static func serviceAccount(_ name: String, namespace: String?) -> JSONValue {
        object("ServiceAccount", "v1", meta(name, namespace: namespace), [])
    }

    static func configMap(_ name: String, namespace: String?, data: [String: String]) -> JSONValue {
        object("ConfigMap", "v1", meta(name, namespace: namespace), data.isEmpty ? [] : [("data", sorted(data))])
    }

    static func secret(_ name: String, namespace: String?, data: [String: String]) -> JSONValue {
        object("Secret", "v1", meta(name, namespace: namespace), data.isEmpty ? [] : [("data", sorted(data.mapValues(Base64.encode)))])
    }

    static func quota(_ name: String, namespace: String?, hard: [String: String]) -> JSONValue {
        object("ResourceQuota", "v1", meta(name, namespace: namespace), [("spec", .object([("hard", sorted(hard))])), ("status", .object([]))])
    }

    /// One rule per API group (groups sorted, as kubectl's create role does).
    static func role(_ name: String, namespace: String?, cluster: Bool, verbs: [String], resources: [(group: String, resource: String)],
                     resourceNames: [String]) -> JSONValue {
        var groups: [String] = []
        for r in resources where !groups.contains(r.group) { groups.append(r.group) }
        let rules: [JSONValue] = groups.sorted().map { g in
            var b = ObjectBuilder()
            b.addAlways("verbs", strings(verbs))
            b.addAlways("apiGroups", strings([g]))
            b.addAlways("resources", strings(resources.filter { $0.group == g }.map(\.resource)))
            b.add("resourceNames", strings(resourceNames))
            return b.value
        }
        return object(cluster ? "ClusterRole" : "Role", "rbac.authorization.k8s.io/v1", meta(name, namespace: cluster ? nil : namespace),
                      [("rules", .array(rules))])
    }

    /// Subjects in kubectl's order: users, groups, service accounts.
    static func binding(_ name: String, namespace: String?, cluster: Bool, roleKind: String, role: String,
                        users: [String], groups: [String], serviceAccounts: [(String, String)]) -> JSONValue {
        let rbac = "rbac.authorization.k8s.io"
        var subjects: [JSONValue] = users.map { .object([("kind", .string("User")), ("apiGroup", .string(rbac)), ("name", .string($0))]) }
        subjects += groups.map { .object([("kind", .string("Group")), ("apiGroup", .string(rbac)), ("name", .string($0))]) }
        subjects += serviceAccounts.map { .object([("kind", .string("ServiceAccount")), ("name", .string($0.1)), ("namespace", .string($0.0))]) }
        var rest: Pairs = []
        if !subjects.isEmpty { rest.append(("subjects", .array(subjects))) }
        rest.append(("roleRef", .object([("apiGroup", .string(rbac)), ("kind", .string(roleKind)), ("name", .string(role))])))
        return object(cluster ? "ClusterRoleBinding" : "RoleBinding", "rbac.authorization.k8s.io/v1", meta(name, namespace: cluster ? nil : namespace), rest)
    }
}
