import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimManifest

/// `set image | env | resources | serviceaccount | selector`, as kubectl/pkg/cmd/set:
/// each changes the pod template of a workload (or a Service's selector) and prints
/// `deployment.apps/web image updated`, `env updated`, …
extension ClusterBindings {
    static func setCommand() -> CommandSpec {
        let containers = FlagSpec("containers", short: "c", value: "NAMES", help: "only these containers (default: all)")
        return CommandSpec("set", summary: "change a field of a resource", usage: "set image|env|resources|serviceaccount|selector …", subcommands: [
            CommandSpec("image", summary: "update container images", usage: "set image TYPE/NAME CONTAINER=IMAGE… (or *=IMAGE)",
                        flags: [namespaceFlag] + DryRun.flags) { inv, ctx in try setImage(inv, ctx) },
            CommandSpec("env", summary: "set (KEY=VALUE) or remove (KEY-) environment variables, or --list them",
                        usage: "set env TYPE/NAME KEY=VALUE… KEY-… [-c CONTAINER] [--list]",
                        flags: [containers, FlagSpec("list", help: "print the variables"), FlagSpec("env", short: "e", value: "KEY=VALUE", help: "a variable (repeatable)"), namespaceFlag] + DryRun.flags) { inv, ctx in
                try setEnv(inv, ctx)
            },
            CommandSpec("resources", summary: "set requests and limits",
                        usage: "set resources TYPE/NAME [--limits=cpu=200m,memory=512Mi] [--requests=…] [-c CONTAINER]",
                        flags: [containers, FlagSpec("limits", value: "LIST", help: "resource=quantity pairs"),
                                FlagSpec("requests", value: "LIST", help: "resource=quantity pairs"), namespaceFlag] + DryRun.flags) { inv, ctx in
                try setResources(inv, ctx)
            },
            CommandSpec("serviceaccount", aliases: ["sa"], summary: "set the pods' service account", usage: "set serviceaccount TYPE/NAME ACCOUNT",
                        flags: [namespaceFlag] + DryRun.flags) { inv, ctx in
                let (type, name, rest) = try target(inv, verb: "set serviceaccount")
                guard rest.count == 1 else { throw CommandFailure("error: serviceaccount is required") }
                return try changeTemplate(type, name, inv, ctx, verb: "serviceaccount updated") { $0.spec.serviceAccountName = rest[0] }
            },
            CommandSpec("selector", summary: "set a Service's selector", usage: "set selector service/NAME KEY=VALUE[,KEY=VALUE…]",
                        flags: [namespaceFlag] + DryRun.flags) { inv, ctx in
                let (type, name, rest) = try target(inv, verb: "set selector")
                guard type == .service else { throw CommandFailure("error: set selector here changes Services; a \(type.singular)'s selector is immutable") }
                guard rest.count == 1 else { throw CommandFailure("error: one selector argument is required") }
                var selector: [String: String] = [:]
                for pair in rest[0].split(separator: ",") {
                    let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                    guard kv.count == 2 else { throw CommandFailure("error: invalid selector: \(pair)") }
                    selector[kv[0]] = kv[1]
                }
                return try change(type, name, inv, ctx, verb: { "selector updated" }) { o in
                    guard case .service(var svc) = o else { return }
                    svc.spec.selector = selector
                    o = .service(svc)
                }
            },
        ])
    }

    /// Changes the pod template of a Deployment, DaemonSet, StatefulSet or ReplicaSet.
    static func changeTemplate(_ type: ResourceType, _ name: String, _ inv: Invocation, _ ctx: CommandContext, verb: String,
                               _ body: @escaping (inout PodTemplateSpec) throws -> Void) throws -> CommandResult {
        guard [.deployment, .daemonSet, .statefulSet, .replicaSet].contains(type) else {
            throw CommandFailure("error: \(type.plural) have no pod template to change here; use deployments, daemonsets, statefulsets or replicasets")
        }
        return try change(type, name, inv, ctx, verb: { verb }) { o in
            switch o {
            case .deployment(var d): try body(&d.spec.template); o = .deployment(d)
            case .daemonSet(var d): try body(&d.spec.template); o = .daemonSet(d)
            case .statefulSet(var d): try body(&d.spec.template); o = .statefulSet(d)
            case .replicaSet(var d): try body(&d.spec.template); o = .replicaSet(d)
            default: break
            }
        }
    }

    /// The containers `-c` names (all when not given).
    static func selected(_ t: PodTemplateSpec, _ inv: Invocation) throws -> [Int] {
        guard let names = inv.flag("containers")?.split(separator: ",").map(String.init) else { return Array(t.spec.containers.indices) }
        let found = t.spec.containers.indices.filter { names.contains(t.spec.containers[$0].name) || names.contains("*") }
        guard !found.isEmpty else { throw CommandFailure("error: unable to find container named \(Quoting.doubleQuoted(names.joined(separator: ",")))") }
        return found
    }

    static func setImage(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        let (type, name, rest) = try target(inv, verb: "set image")
        guard !rest.isEmpty else { throw CommandFailure("error: at least one image update is required") }
        return try changeTemplate(type, name, inv, ctx, verb: "image updated") { t in
            for pair in rest {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2 else { throw CommandFailure("error: invalid image update '\(pair)': expected CONTAINER=IMAGE") }
                if kv[0] == "*" {
                    for i in t.spec.containers.indices { t.spec.containers[i].image = kv[1] }
                } else {
                    guard let i = t.spec.containers.firstIndex(where: { $0.name == kv[0] }) else {
                        throw CommandFailure("error: unable to find container named \"\(kv[0])\"")
                    }
                    t.spec.containers[i].image = kv[1]
                }
            }
        }
    }

    static func setEnv(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        let (type, name, rest) = try target(inv, verb: "set env")
        if inv.has("list") {
            let o = try api { try cluster(ctx).api.get(type, namespace: inv.flag("namespace") ?? "default", name: name, user: user(inv)) }
            let template: PodTemplateSpec?
            switch o {
            case .deployment(let d): template = d.spec.template
            case .daemonSet(let d): template = d.spec.template
            case .statefulSet(let d): template = d.spec.template
            case .replicaSet(let d): template = d.spec.template
            default: template = nil
            }
            guard let t = template else { throw CommandFailure("error: \(type.plural) have no pod template") }
            var lines: [String] = []
            for i in try selected(t, inv) {
                let c = t.spec.containers[i]
                lines.append("# \(type.kind) \(name), container \(c.name)")
                for e in c.env {
                    if let v = e.value { lines.append("\(e.name)=\(v)") } else { lines.append("# \(e.name) from a source") }
                }
            }
            return CommandResult(output: lines.joined(separator: "\n"))
        }
        let items = rest + inv.flagValues("env")
        guard !items.isEmpty else { throw CommandFailure("error: at least one environment variable must be provided") }
        var set: [(String, String)] = [], remove: [String] = []
        for item in items {
            if item.hasSuffix("-") && !item.contains("=") { remove.append(String(item.dropLast())); continue }
            let kv = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard kv.count == 2, !kv[0].isEmpty else { throw CommandFailure("error: environment variables must be of the form key=value and can only contain letters, numbers, and underscores") }
            set.append((kv[0], kv[1]))
        }
        return try changeTemplate(type, name, inv, ctx, verb: "env updated") { t in
            for i in try selected(t, inv) {
                var env = t.spec.containers[i].env
                env.removeAll { remove.contains($0.name) }
                for (k, v) in set {
                    if let j = env.firstIndex(where: { $0.name == k }) { env[j] = EnvVar(name: k, value: v) } else { env.append(EnvVar(name: k, value: v)) }
                }
                t.spec.containers[i].env = env
            }
        }
    }

    static func setResources(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        let (type, name, _) = try target(inv, verb: "set resources")
        func parse(_ flag: String) throws -> [String: Quantity] {
            var out: [String: Quantity] = [:]
            for pair in (inv.flag(flag) ?? "").split(separator: ",") {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2, let q = Quantity(parsing: kv[1]) else { throw CommandFailure("error: invalid resource specification: \(pair)") }
                out[kv[0]] = q
            }
            return out
        }
        let limits = try parse("limits"), requests = try parse("requests")
        guard !limits.isEmpty || !requests.isEmpty else { throw CommandFailure("error: you must specify an update to requests or limits (in the form of --requests/--limits)") }
        return try changeTemplate(type, name, inv, ctx, verb: "resource requirements updated") { t in
            for i in try selected(t, inv) {
                t.spec.containers[i].resources.limits.merge(limits) { $1 }
                t.spec.containers[i].resources.requests.merge(requests) { $1 }
            }
        }
    }
}
