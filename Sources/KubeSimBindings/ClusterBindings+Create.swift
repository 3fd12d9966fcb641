import KubeScript
import KubeSimAPI

/// `create deployment|job|cronjob` and `run`: flags into the object kubectl's
/// generators build (ClientObject), then `submit` sends or prints it.
extension ClusterBindings {
    static func createDeployment(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        guard inv.positionals.count == 1 else { throw inv.error("create deployment: expected exactly one name") }
        let images = inv.flagValues("image")
        guard !images.isEmpty else { throw CommandFailure("error: required flag(s) \"image\" not set") }
        let name = inv.positionals[0]
        var replicas = 1
        if let r = inv.flag("replicas") {
            guard let n = Int(r) else { throw CommandFailure("error: invalid argument \"\(r)\" for \"-r, --replicas\" flag: strconv.ParseInt: parsing \"\(r)\": invalid syntax") }
            replicas = n
        }
        var port: Int?
        if let p = inv.flag("port") {
            guard let n = Int(p) else { throw inv.error("create deployment: invalid port '\(p)'") }
            port = n
        }
        return try submit(ClientObject.deployment(name, namespace: inv.flag("namespace"), images: images, replicas: replicas, port: port), inv, ctx)
    }

    /// kubectl create job|cronjob: one container named like the job, restartPolicy
    /// Never (job) or OnFailure (cronjob), the words after `--` as its command.
    static func createJob(_ inv: Invocation, _ ctx: CommandContext, cron: Bool) throws -> CommandResult {
        guard inv.positionals.count == 1 else { throw inv.error("create \(cron ? "cronjob" : "job"): expected exactly one name") }
        guard let image = inv.flag("image") else { throw CommandFailure("error: required flag(s) \"image\" not set") }
        let name = inv.positionals[0]
        let command = inv.rest ?? []
        if cron {
            guard let schedule = inv.flag("schedule") else { throw CommandFailure("error: required flag(s) \"schedule\" not set") }
            return try submit(ClientObject.cronJob(name, namespace: inv.flag("namespace"), image: image, schedule: schedule, command: command,
                                                   restartPolicy: inv.flag("restart") ?? "OnFailure"), inv, ctx)
        }
        return try submit(ClientObject.job(name, namespace: inv.flag("namespace"), image: image, command: command), inv, ctx)
    }

    /// `run NAME --image=IMAGE`: a pod labelled run=NAME, as kubectl run builds it.
    static func run(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        guard inv.positionals.count >= 1 else { throw CommandFailure("error: NAME is required for run") }
        guard let image = inv.flag("image") else { throw CommandFailure("error: required flag(s) \"image\" not set") }
        let name = inv.positionals[0]
        var container = ClientObject.Container(name: name, image: image)
        if let p = inv.flag("port") {
            guard let port = Int(p) else { throw inv.error("run: invalid port '\(p)'") }
            container.ports = [port]
        }
        if let words = inv.rest, !words.isEmpty { if inv.has("command") { container.command = words } else { container.args = words } }
        for (k, v) in inv.flags where k == "env" {
            let kv = (v ?? "").split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw CommandFailure("error: invalid env: \(v ?? "")") }
            container.env.append((kv[0], kv[1]))
        }
        if let p = inv.flag("image-pull-policy") {
            guard ["Always", "IfNotPresent", "Never"].contains(p) else { throw CommandFailure("error: invalid image pull policy: \(p)") }
            container.imagePullPolicy = p
        }
        let restart = inv.flag("restart") ?? "Always"
        guard ["Always", "OnFailure", "Never"].contains(restart) else { throw CommandFailure("error: invalid restart policy: \(restart)") }
        var labels = ["run": name]
        if let l = inv.flag("labels") {
            labels = [:]
            for kv in l.split(separator: ",") {
                let parts = kv.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw CommandFailure("error: invalid label spec: \(kv)") }
                labels[parts[0]] = parts[1]
            }
        }
        return try submit(ClientObject.pod(name, namespace: inv.flag("namespace"), labels: labels, container: container, restartPolicy: restart), inv, ctx)
    }
}
