import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimCluster
import KubeSimManifest

/// `autoscale` (kubectl's autoscaling/v1 generator) and `load`, the simulated traffic
/// that gives the HorizontalPodAutoscaler something to do.
extension ClusterBindings {
    static func registerAutoscaleCommands(_ r: CommandRegistry) {
        r.register(CommandSpec("autoscale", summary: "create a HorizontalPodAutoscaler for a deployment, replica set or stateful set",
                               usage: "autoscale TYPE/NAME --max=N [--min=N] [--cpu-percent=P] [--name=NAME]",
                               flags: [FlagSpec("max", value: "N", help: "the most replicas"), FlagSpec("min", value: "N", help: "the fewest replicas (default 1)"),
                                       FlagSpec("cpu-percent", value: "P", help: "target average CPU utilization (default 80)"),
                                       FlagSpec("name", value: "NAME", help: "the HPA's name (default: the target's)"), namespaceFlag] + DryRun.flags,
                               handler: { inv, ctx in try autoscale(inv, ctx) }, completer: resourceNameCompleter(r)))
        r.register(CommandSpec("load", summary: "simulated traffic: extra CPU demand spread over a workload's running pods",
                               usage: "load TYPE/NAME cpu=QUANTITY   (cpu=0 ends it)", flags: [namespaceFlag],
                               handler: { inv, ctx in try load(inv, ctx) }, completer: resourceNameCompleter(r)))
    }

    static func autoscale(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        let (type, name, _) = try target(inv, verb: "autoscale")
        guard [.deployment, .replicaSet, .statefulSet].contains(type) else {
            throw CommandFailure("error: cannot autoscale a \(type.kind): only deployments, replica sets and stateful sets")
        }
        guard let maxText = inv.flag("max") else { throw CommandFailure("error: --max=MAXPODS is required and must be at least 1, max: -1") }
        guard let max = Int(maxText), max >= 1 else { throw CommandFailure("error: --max=MAXPODS is required and must be at least 1, max: \(maxText)") }
        let min = try inv.flag("min").map { t -> Int in
            guard let n = Int(t) else { throw CommandFailure("error: invalid argument \"\(t)\" for \"--min\" flag") }
            return n
        }
        if let min, min > max { throw CommandFailure("error: --max=MAXPODS must be larger or equal to --min=MINPODS, max: \(max), min: \(min)") }
        let cpu = try inv.flag("cpu-percent").map { t -> Int in
            guard let n = Int(t) else { throw CommandFailure("error: invalid argument \"\(t)\" for \"--cpu-percent\" flag") }
            return n
        }
        // The object must exist (kubectl reads it to find its scale subresource).
        let dryRun = try DryRun(inv)
        _ = try api { try cluster(ctx).api.get(type, namespace: inv.flag("namespace") ?? "default", name: name, user: user(inv)) }
        let body = ClientObject.horizontalPodAutoscaler(inv.flag("name") ?? name, namespace: inv.flag("namespace"), targetKind: type.kind,
                                                        targetAPIVersion: type.apiVersion, targetName: name, min: min, max: max, cpuPercent: cpu)
        return try submit(body, inv, ctx, verb: dryRun == .none ? "autoscaled" : "created")
    }

    static func load(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        let (type, name, rest) = try target(inv, verb: "load")
        guard rest.count == 1, rest[0].hasPrefix("cpu="), let q = Quantity(parsing: String(rest[0].dropFirst(4))) else {
            throw CommandFailure("error: load: expected cpu=QUANTITY (for example cpu=2 or cpu=500m)")
        }
        let c = try cluster(ctx)
        let ns = inv.flag("namespace") ?? "default"
        let o = try api { try c.api.get(type, namespace: ns, name: name, user: user(inv)) }
        guard let selector = o.deployment?.spec.selector ?? o.replicaSet?.spec.selector ?? o.statefulSet?.spec.selector ?? o.daemonSet?.spec.selector else {
            throw CommandFailure("error: load: \(type.plural) have no pods of their own; use a deployment, replica set, stateful set or daemon set")
        }
        c.loads.removeAll { $0.namespace == ns && $0.selector == selector }
        if q.milli > 0 { c.loads.append((ns, selector, q.milli)) }
        return CommandResult(output: q.milli > 0 ? "\(APIErrorNames.qualified(type))/\(name): \(q) of CPU demand spread over its pods" : "\(APIErrorNames.qualified(type))/\(name): load removed")
    }
}

extension ClientObject {
    /// kubectl autoscale's object: autoscaling/v1, as kubectl v1.32 builds it.
    static func horizontalPodAutoscaler(_ name: String, namespace: String?, targetKind: String, targetAPIVersion: String, targetName: String,
                                        min: Int?, max: Int, cpuPercent: Int?) -> JSONValue {
        var spec = ObjectBuilder()
        spec.addAlways("scaleTargetRef", .object([("kind", .string(targetKind)), ("name", .string(targetName)), ("apiVersion", .string(targetAPIVersion))]))
        spec.add("minReplicas", min)
        spec.addAlways("maxReplicas", .int(Int64(max)))
        spec.add("targetCPUUtilizationPercentage", cpuPercent)
        return object("HorizontalPodAutoscaler", "autoscaling/v1", meta(name, namespace: namespace),
                      [("spec", spec.value), ("status", .object([("currentReplicas", .int(0)), ("desiredReplicas", .int(0))]))])
    }
}

extension ClusterBindings {
    /// describeHorizontalPodAutoscalerV2 (pkg/describe/describe.go): one tabwriter block
    /// (padding 2), so the long metric line sets the width of every field above Conditions.
    static func describeHPA(_ h: HorizontalPodAutoscaler, _ c: Cluster) -> [String] {
        var cells: [(String, String)] = []
        func labels(_ title: String, _ d: [String: String]) {
            let items = d.keys.sorted().map { "\($0)=\(d[$0]!)" }
            cells.append((title + ":", items.first ?? "<none>"))
            for i in items.dropFirst() { cells.append(("", i)) }
        }
        cells.append(("Name:", h.metadata.name))
        cells.append(("Namespace:", h.metadata.namespace ?? "default"))
        labels("Labels", h.metadata.labels)
        labels("Annotations", h.metadata.annotations)
        cells.append(("CreationTimestamp:", describeTime(h.metadata.creationTimestamp)))
        cells.append(("Reference:", "\(h.spec.targetKind)/\(h.spec.targetName)"))
        cells.append(("Metrics:", "( current / target )"))
        for m in h.spec.metrics {
            let current = h.status.currentUtilization[m.resource].map { "\($0)% (\(h.status.currentAverageValue[m.resource]?.description ?? "0"))" } ?? "<unknown>"
            cells.append(("  resource \(m.resource) on pods  (as a percentage of request):", "\(current) / \(m.averageUtilization)%"))
        }
        cells.append(("Min replicas:", String(h.spec.minReplicas)))
        cells.append(("Max replicas:", String(h.spec.maxReplicas)))
        cells.append(("\(h.spec.targetKind) pods:", "\(h.status.currentReplicas) current / \(h.status.desiredReplicas) desired"))
        let width = cells.map(\.0.count).max()! + 2
        var lines = cells.map { Format.pad($0.0, width) + $0.1 }
        if !h.status.conditions.isEmpty {
            // A block of its own in the tabwriter: its columns align among themselves.
            lines.append("Conditions:")
            let rows = h.status.conditions.map { ["  " + $0.type, $0.status, $0.reason, $0.message] }
            lines.append(Format.table(["  Type", "Status", "Reason", "Message"], [["  ----", "------", "------", "-------"]] + rows, padding: 2))
        }
        return lines
    }
}
