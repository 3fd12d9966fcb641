import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimCluster
import KubeSimManifest

/// What a learner asks a cluster about itself: `version`, `cluster-info`,
/// `api-resources`, `api-versions` and `config view|current-context|get-contexts` —
/// one kubeadm-style context for the simulated cluster.
extension ClusterBindings {
    static let kustomizeVersion = "v5.7.1"
    static let contextName = "kubernetes-admin@kubernetes"

    static func registerInfoCommands(_ r: CommandRegistry) {
        r.register(CommandSpec("version", summary: "the client and server versions", usage: "version [--client]",
                               flags: [FlagSpec("client", help: "the client version only")]) { inv, _ in
            var lines = ["Client Version: \(KubernetesVersion.gitVersion)", "Kustomize Version: \(kustomizeVersion)"]
            if !inv.has("client") { lines.append("Server Version: \(KubernetesVersion.gitVersion)") }
            return CommandResult(output: lines.joined(separator: "\n"))
        })
        r.register(CommandSpec("cluster-info", summary: "where the control plane and cluster services answer", usage: "cluster-info") { _, ctx in
            let server = apiServerURL(try cluster(ctx))
            var lines = ["Kubernetes control plane is running at \(server)"]
            // Services labelled kubernetes.io/cluster-service=true in kube-system.
            for o in try cluster(ctx).api.list(.service, namespace: "kube-system") where o.metadata.labels["kubernetes.io/cluster-service"] == "true" {
                guard let svc = o.service else { continue }
                let name = o.metadata.labels["kubernetes.io/name"] ?? o.metadata.name
                let port = svc.spec.ports.first.map { ":" + ($0.name ?? String($0.port)) } ?? ""
                lines.append("\(name) is running at \(server)/api/v1/namespaces/kube-system/services/\(o.metadata.name)\(port)/proxy")
            }
            lines += ["", "To further debug and diagnose cluster problems, use 'kubectl cluster-info dump'."]
            return CommandResult(output: lines.joined(separator: "\n"))
        })
        r.register(CommandSpec("api-resources", summary: "the kinds the API server serves", usage: "api-resources [--namespaced=true|false] [-o name|wide] [--api-group=GROUP]",
                               flags: [FlagSpec("namespaced", value: "BOOL", help: "only namespaced (true) or cluster-wide (false) kinds"),
                                       FlagSpec("output", short: "o", value: "FORMAT", help: "name or wide"),
                                       FlagSpec("api-group", value: "GROUP", help: "only this API group (\"\" for core)"),
                                       FlagSpec("no-headers", help: "no header line")]) { inv, _ in
            try apiResources(inv)
        })
        r.register(CommandSpec("api-versions", summary: "the group/versions the API server serves", usage: "api-versions") { _, _ in
            CommandResult(output: Set(ResourceType.all.map(\.apiVersion)).sorted().joined(separator: "\n"))
        })
        r.register(CommandSpec("config", summary: "the kubeconfig: one context for the simulated cluster",
                               usage: "config view [--minify] [--raw] [-o yaml|json|jsonpath=…] | config current-context | config get-contexts [-o name]",
                               subcommands: [
                                CommandSpec("view", summary: "the kubeconfig, secrets redacted",
                                            flags: [FlagSpec("minify", help: "only the current context"), FlagSpec("raw", help: "show the credentials"),
                                                    FlagSpec("output", short: "o", value: "FORMAT", help: "yaml (default), json or jsonpath=…")]) { inv, ctx in
                                    let doc = kubeconfig(try cluster(ctx), raw: inv.has("raw"))
                                    switch inv.flag("output") ?? "yaml" {
                                    case "yaml": return CommandResult(output: String(doc.kubectlYAML.dropLast()))
                                    case "json": return CommandResult(output: String(doc.kubectlJSON.dropLast()))
                                    case let o where o.hasPrefix("jsonpath="):
                                        let t = String(o.dropFirst(9))
                                        do { return CommandResult(output: try JSONPath(t).execute(doc)) } catch let e as JSONPath.ParseError {
                                            throw CommandFailure("error: error parsing jsonpath \(t), \(e.message)")
                                        }
                                    case let o: throw CommandFailure("error: unable to match a printer suitable for the output format \"\(o)\", allowed formats are: json,jsonpath,yaml")
                                    }
                                },
                                CommandSpec("current-context", summary: "the context in use") { _, _ in CommandResult(output: contextName) },
                                CommandSpec("get-contexts", summary: "the contexts",
                                            flags: [FlagSpec("output", short: "o", value: "FORMAT", help: "name")]) { inv, _ in
                                    if inv.flag("output") == "name" { return CommandResult(output: contextName) }
                                    return CommandResult(output: Format.table(["CURRENT", "NAME", "CLUSTER", "AUTHINFO", "NAMESPACE"],
                                                                              [["*", contextName, "kubernetes", "kubernetes-admin", ""]], minWidth: 6))
                                },
                               ]))
    }

    /// https://<control-plane address>:6443, the address the `kubernetes` Service's endpoints name.
    static func apiServerURL(_ c: Cluster) -> String {
        let slice = c.api.list(.endpointSlice, namespace: "default").first { $0.metadata.name == "kubernetes" }?.endpointSlice
        return "https://\(slice?.endpoints.first?.addresses.first ?? "192.168.56.10"):6443"
    }

    static func kubeconfig(_ c: Cluster, raw: Bool) -> JSONValue {
        let secret: JSONValue = .string(raw ? "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==" : "DATA+OMITTED")
        return .object([
            ("apiVersion", .string("v1")),
            ("clusters", .array([.object([("cluster", .object([("certificate-authority-data", secret), ("server", .string(apiServerURL(c)))])),
                                          ("name", .string("kubernetes"))])])),
            ("contexts", .array([.object([("context", .object([("cluster", .string("kubernetes")), ("user", .string("kubernetes-admin"))])),
                                          ("name", .string(contextName))])])),
            ("current-context", .string(contextName)),
            ("kind", .string("Config")),
            ("preferences", .object([])),
            ("users", .array([.object([("name", .string("kubernetes-admin")),
                                       ("user", .object([("client-certificate-data", secret), ("client-key-data", secret)]))])])),
        ])
    }

    /// kubectl api-resources: core kinds first, then by group, each by name.
    static func apiResources(_ inv: Invocation) throws -> CommandResult {
        func group(_ t: ResourceType) -> String { t.apiVersion.contains("/") ? String(t.apiVersion.split(separator: "/")[0]) : "" }
        var types = ResourceType.all.sorted { (group($0), $0.plural) < (group($1), $1.plural) }
        if let n = inv.flag("namespaced") {
            guard let b = Bool(n) else { throw CommandFailure("error: invalid argument \"\(n)\" for \"--namespaced\" flag: strconv.ParseBool: parsing \"\(n)\": invalid syntax") }
            types = types.filter { $0.namespaced == b }
        }
        if let g = inv.flag("api-group") { types = types.filter { group($0) == g } }
        if inv.flag("output") == "name" {
            return CommandResult(output: types.map { group($0).isEmpty ? $0.plural : "\($0.plural).\(group($0))" }.joined(separator: "\n"))
        }
        let wide = inv.flag("output") == "wide"
        let verbs = "[create delete deletecollection get list patch update watch]"
        let rows = types.map { t in
            [t.plural, t.shortNames.joined(separator: ","), t.apiVersion, t.namespaced ? "true" : "false", t.kind] + (wide ? [verbs, ""] : [])
        }
        let header = ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"] + (wide ? ["VERBS", "CATEGORIES"] : [])
        return CommandResult(output: Format.table(header, rows, minWidth: 6, headers: !inv.has("no-headers")))
    }
}
