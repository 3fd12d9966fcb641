import KubeScript
import KubeSimAPI
import KubeSimCore
import KubeSimCluster
import KubeSimManifest

extension ClusterBindings {
    /// `create service clusterip|nodeport|loadbalancer`, `create configmap`, `create secret generic`.
    static func serviceAndConfigCreateCommands() -> [CommandSpec] {
        let svcFlags = [FlagSpec("tcp", value: "PORT[:TARGET]", help: "port pairs (repeatable, comma-separated)"),
                        FlagSpec("node-port", value: "PORT", help: "the node port (NodePort)"), FlagSpec("clusterip", value: "IP", help: "a fixed ClusterIP or None"), namespaceFlag] + DryRun.flags
        func svc(_ type: String) -> CommandSpec {
            CommandSpec(type.lowercased(), summary: "create a \(type) service", usage: "create service \(type.lowercased()) NAME --tcp=PORT[:TARGET]", flags: svcFlags) { inv, ctx in
                try createService(inv, ctx, type: type)
            }
        }
        let literal = FlagSpec("from-literal", value: "KEY=VALUE", help: "a key and its value (repeatable)")
        return [
            CommandSpec("service", aliases: ["svc"], summary: "create a service", usage: "create service clusterip|nodeport|loadbalancer NAME --tcp=PORT[:TARGET]",
                        subcommands: [svc("ClusterIP"), svc("NodePort"), svc("LoadBalancer")]),
            CommandSpec("quota", aliases: ["resourcequota"], summary: "create a resource quota", usage: "create quota NAME --hard=pods=10,requests.cpu=2,…",
                        flags: [FlagSpec("hard", value: "LIMITS", help: "resource=quantity pairs"), namespaceFlag] + DryRun.flags) { inv, ctx in
                guard inv.positionals.count == 1 else { throw inv.error("create quota: expected exactly one name") }
                var hard: [String: String] = [:]
                for pair in (inv.flag("hard") ?? "").split(separator: ",") {
                    let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                    guard kv.count == 2, let q = Quantity(parsing: kv[1]) else { throw CommandFailure("error: invalid resource quota spec: \(pair)") }
                    hard[kv[0]] = q.description
                }
                return try submit(ClientObject.quota(inv.positionals[0], namespace: inv.flag("namespace"), hard: hard), inv, ctx)
            },
            CommandSpec("configmap", aliases: ["cm"], summary: "create a config map", usage: "create configmap NAME --from-literal=KEY=VALUE…",
                        flags: [literal, namespaceFlag] + DryRun.flags) { inv, ctx in
                guard inv.positionals.count == 1 else { throw inv.error("create configmap: expected exactly one name") }
                return try submit(ClientObject.configMap(inv.positionals[0], namespace: inv.flag("namespace"), data: try literals(inv)), inv, ctx)
            },
            CommandSpec("secret", summary: "create a secret", usage: "create secret generic NAME --from-literal=KEY=VALUE…",
                        subcommands: [CommandSpec("generic", summary: "create an Opaque secret", flags: [literal, namespaceFlag] + DryRun.flags) { inv, ctx in
                            guard inv.positionals.count == 1 else { throw inv.error("create secret generic: expected exactly one name") }
                            return try submit(ClientObject.secret(inv.positionals[0], namespace: inv.flag("namespace"), data: try literals(inv)), inv, ctx)
                        }]),
        ]
    }

    static func literals(_ inv: Invocation) throws -> [String: String] {
        var data: [String: String] = [:]
        for l in inv.flagValues("from-literal") {
            let kv = l.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw CommandFailure("error: invalid literal source \(l), expected key=value") }
            data[kv[0]] = kv[1]
        }
        return data
    }

    static func createService(_ inv: Invocation, _ ctx: CommandContext, type: String) throws -> CommandResult {
        guard inv.positionals.count == 1 else { throw inv.error("create service: expected exactly one name") }
        let name = inv.positionals[0]
        var ports: [JSONValue] = []
        for pair in inv.flagValues("tcp").flatMap({ $0.split(separator: ",").map(String.init) }) {
            let parts = pair.split(separator: ":").map(String.init)
            guard let port = Int(parts[0]) else { throw CommandFailure("error: invalid port '\(pair)'") }
            let target = parts.count > 1 ? parts[1] : parts[0]
            ports.append(ClientObject.servicePort(name: parts.count > 1 ? "\(port)-\(target)" : parts[0], port: port, targetPort: target,
                                                  nodePort: inv.flag("node-port").flatMap { Int($0) }))
        }
        if ports.isEmpty && type != "ExternalName" { throw CommandFailure("error: at least one tcp port specifier must be provided") }
        return try submit(ClientObject.service(name, namespace: inv.flag("namespace"), labels: ["app": name], ports: ports, selector: ["app": name],
                                               clusterIP: inv.flag("clusterip"), type: type), inv, ctx)
    }

    /// `expose deployment NAME --port=P [--target-port=T] [--type=T] [--name=N]`: a
    /// Service selecting the deployment's pods.
    static func expose(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        let (type, name, _) = try target(inv, verb: "expose")
        let c = try cluster(ctx)
        let ns = inv.flag("namespace") ?? "default"
        let o = try api { try c.api.get(type, namespace: ns, name: name, user: user(inv)) }
        let selector: [String: String]
        var defaultPort: Int?
        switch o {
        case .deployment(let d):
            selector = d.spec.selector.matchLabels
            defaultPort = d.spec.template.spec.containers.first?.ports.first?.containerPort
        case .replicaSet(let r):
            selector = r.spec.selector.matchLabels
            defaultPort = r.spec.template.spec.containers.first?.ports.first?.containerPort
        case .pod(let p):
            selector = p.metadata.labels
            defaultPort = p.spec.containers.first?.ports.first?.containerPort
        case .service(let s):
            selector = s.spec.selector
            defaultPort = s.spec.ports.first?.port
        default:
            throw CommandFailure("error: cannot expose a \(type.kind)")
        }
        guard let portText = inv.flag("port") ?? defaultPort.map(String.init), let port = Int(portText) else {
            throw CommandFailure("error: couldn't find port via --port flag or introspection")
        }
        let target = inv.flag("target-port") ?? String(port)
        let body = ClientObject.service(inv.flag("name") ?? name, namespace: inv.flag("namespace"), labels: o.metadata.labels,
                                        ports: [ClientObject.servicePort(name: nil, port: port, targetPort: target, nodePort: nil)],
                                        selector: selector, clusterIP: nil, type: inv.flag("type"))
        return try submit(body, inv, ctx, verb: "exposed")
    }
}
