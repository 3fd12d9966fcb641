import KubeScript
import KubeSimAPI
import KubeSimCluster
import KubeSimManifest

extension ClusterBindings {
    /// `create role|clusterrole|rolebinding|clusterrolebinding|serviceaccount` as kubectl has them.
    static func rbacCreateCommands() -> [CommandSpec] {
        let ruleFlags = [FlagSpec("verb", value: "VERBS", help: "verbs the rule allows (comma-separated, repeatable)"),
                         FlagSpec("resource", value: "RESOURCES", help: "resources (pods, deployments.apps, …)"),
                         FlagSpec("resource-name", value: "NAMES", help: "only these object names"), namespaceFlag] + DryRun.flags
        let subjectFlags = [FlagSpec("user", value: "USER", help: "a user subject"), FlagSpec("group", value: "GROUP", help: "a group subject"),
                            FlagSpec("serviceaccount", value: "NS:NAME", help: "a service account subject"), namespaceFlag] + DryRun.flags
        return [
            CommandSpec("role", summary: "create a role with one rule", usage: "create role NAME --verb=VERBS --resource=RESOURCES [--resource-name=NAMES]",
                        flags: ruleFlags) { inv, ctx in try createRole(inv, ctx, cluster: false) },
            CommandSpec("clusterrole", summary: "create a cluster role with one rule", usage: "create clusterrole NAME --verb=VERBS --resource=RESOURCES",
                        flags: ruleFlags) { inv, ctx in try createRole(inv, ctx, cluster: true) },
            CommandSpec("rolebinding", summary: "bind a role or cluster role in a namespace",
                        usage: "create rolebinding NAME --role=ROLE|--clusterrole=ROLE [--user=U] [--group=G] [--serviceaccount=NS:NAME]",
                        flags: subjectFlags + [FlagSpec("role", value: "ROLE", help: "the Role"), FlagSpec("clusterrole", value: "ROLE", help: "the ClusterRole")]) { inv, ctx in
                try createBinding(inv, ctx, cluster: false)
            },
            CommandSpec("clusterrolebinding", summary: "bind a cluster role cluster-wide",
                        usage: "create clusterrolebinding NAME --clusterrole=ROLE [--user=U] [--group=G] [--serviceaccount=NS:NAME]",
                        flags: subjectFlags + [FlagSpec("clusterrole", value: "ROLE", help: "the ClusterRole")]) { inv, ctx in
                try createBinding(inv, ctx, cluster: true)
            },
            CommandSpec("serviceaccount", aliases: ["sa"], summary: "create a service account", usage: "create serviceaccount NAME",
                        flags: [namespaceFlag] + DryRun.flags) { inv, ctx in
                guard inv.positionals.count == 1 else { throw inv.error("create serviceaccount: expected exactly one name") }
                return try submit(ClientObject.serviceAccount(inv.positionals[0], namespace: inv.flag("namespace")), inv, ctx)
            },
        ]
    }

    static func createRole(_ inv: Invocation, _ ctx: CommandContext, cluster isCluster: Bool) throws -> CommandResult {
        guard inv.positionals.count == 1 else { throw inv.error("create \(isCluster ? "clusterrole" : "role"): expected exactly one name") }
        let verbs = inv.flagValues("verb").flatMap { $0.split(separator: ",").map(String.init) }
        guard !verbs.isEmpty else { throw CommandFailure("error: at least one verb must be specified") }
        let valid = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "*"]
        for v in verbs where !valid.contains(v) { throw CommandFailure("error: invalid verb: '\(v)'") }
        var resources: [(group: String, resource: String)] = []
        for r in inv.flagValues("resource").flatMap({ $0.split(separator: ",").map(String.init) }) {
            let parts = r.split(separator: ".", maxSplits: 1).map(String.init)
            if parts[0] == "*" { resources.append((parts.count > 1 ? parts[1] : "*", "*")); continue }
            guard let t = ResourceType.lookup(parts[0]) else {
                throw CommandFailure("error: the server doesn't have a resource type \"\(parts[0])\"")
            }
            let g = t.apiVersion.contains("/") ? String(t.apiVersion.split(separator: "/")[0]) : ""
            if !resources.contains(where: { $0 == (g, t.plural) }) { resources.append((g, t.plural)) }
        }
        guard !resources.isEmpty else { throw CommandFailure("error: at least one resource must be specified") }
        let names = inv.flagValues("resource-name").flatMap { $0.split(separator: ",").map(String.init) }
        return try submit(ClientObject.role(inv.positionals[0], namespace: inv.flag("namespace"), cluster: isCluster, verbs: verbs,
                                            resources: resources, resourceNames: names), inv, ctx)
    }

    static func createBinding(_ inv: Invocation, _ ctx: CommandContext, cluster isCluster: Bool) throws -> CommandResult {
        guard inv.positionals.count == 1 else { throw inv.error("create \(isCluster ? "clusterrolebinding" : "rolebinding"): expected exactly one name") }
        let roleKind: String, roleName: String
        if let r = inv.flag("clusterrole") { (roleKind, roleName) = ("ClusterRole", r) }
        else if !isCluster, let r = inv.flag("role") { (roleKind, roleName) = ("Role", r) }
        else { throw CommandFailure("error: exactly one of clusterrole or role must be specified") }
        var serviceAccounts: [(String, String)] = []
        for sa in inv.flagValues("serviceaccount") {
            let parts = sa.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw CommandFailure("error: serviceaccount must be <namespace>:<name>") }
            serviceAccounts.append((parts[0], parts[1]))
        }
        return try submit(ClientObject.binding(inv.positionals[0], namespace: inv.flag("namespace"), cluster: isCluster, roleKind: roleKind, role: roleName,
                                               users: inv.flagValues("user"), groups: inv.flagValues("group"), serviceAccounts: serviceAccounts), inv, ctx)
    }

    /// `auth can-i VERB RESOURCE[/NAME]`: "yes" (exit 0) or "no" (exit 1), as kubectl.
    static func canI(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        guard inv.positionals.count == 2 else { throw inv.error("auth can-i: expected VERB RESOURCE (for example: auth can-i list pods --as jane)") }
        let verb = inv.positionals[0]
        let parts = inv.positionals[1].split(separator: "/", maxSplits: 1).map(String.init)
        guard let type = ResourceType.lookup(parts[0]) else {
            return CommandResult(output: "Warning: the server doesn't have a resource type '\(parts[0])'\nno", exitCode: 1, value: .bool(false))
        }
        let c = try cluster(ctx)
        let a = Authorizer.Attributes(user: user(inv), verb: verb, type: type, namespace: inv.flag("namespace") ?? "default", name: parts.count > 1 ? parts[1] : nil)
        let ok = Authorizer.authorize(a, store: c.store)
        return CommandResult(output: ok ? "yes" : "no", exitCode: ok ? 0 : 1, value: .bool(ok))
    }
}
