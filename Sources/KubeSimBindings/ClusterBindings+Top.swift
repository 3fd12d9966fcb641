import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimCluster
import KubeSimControl
import KubeSimNode
import KubeSimNet
import KubeSimManifest

/// `top pods|nodes`: the simulated usage of the app behaviour model, as metrics-server
/// would report it, in kubectl top's columns.
extension ClusterBindings {
    static func top(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        let c = try cluster(ctx)
        let now = c.clock.now
        func usage(_ p: Pod) -> (cpu: Int64, mem: Int64) { c.usage(of: p).map { ($0.cpu, $0.memory) } ?? (0, 0) }
        func mi(_ b: Int64) -> String { "\(b >> 20)Mi" }
        let headers = !inv.has("no-headers")
        let sortBy = inv.flag("sort-by")
        if let s = sortBy, !["cpu", "memory"].contains(s) { throw CommandFailure("error: --sort-by accepts only cpu or memory") }
        switch inv.positionals.first ?? "" {
        case "pods", "pod", "po":
            let allNS = inv.has("all-namespaces")
            let ns = inv.flag("namespace") ?? "default"
            var selector: LabelSelector?
            if let l = inv.flag("selector") {
                do { selector = try LabelSelector.parse(l) } catch let e as LabelSelector.ParseError { throw CommandFailure("error: \(e.message)") }
            }
            var pods = c.api.list(.pod, namespace: allNS ? nil : ns, selector: selector).compactMap(\.pod).filter { $0.status.phase == "Running" }
                .sorted { ($0.metadata.namespace ?? "", $0.metadata.name) < ($1.metadata.namespace ?? "", $1.metadata.name) }
            if inv.positionals.count > 1 {
                pods = pods.filter { $0.metadata.name == inv.positionals[1] }
                if pods.isEmpty { throw CommandFailure("error: pods \"\(inv.positionals[1])\" not found") }
            }
            if pods.isEmpty { return CommandResult(output: allNS ? "No resources found" : "No resources found in \(ns) namespace.") }
            if let s = sortBy { pods = pods.enumerated().sorted { a, b in
                let x = usage(a.element), y = usage(b.element)
                let (l, r) = s == "cpu" ? (x.cpu, y.cpu) : (x.mem, y.mem)
                return l > r || (l == r && a.offset < b.offset)
            }.map(\.element) }
            let nsCol: (Pod) -> [String] = { allNS ? [$0.metadata.namespace ?? ""] : [] }
            if inv.has("containers") {
                // kubectl top pod --containers: a row per running container.
                var rows: [[String]] = []
                for p in pods {
                    guard let node = p.spec.nodeName, let w = c.kubelets[node]?.worker(pod: p.metadata.uid) else { continue }
                    // A `load` lands on the pod's first container (the app, not its sidecars).
                    for (i, sl) in w.slots.enumerated() {
                        if let pr = sl.current?.process, !pr.exited {
                            rows.append(nsCol(p) + [p.metadata.name, sl.spec.name, "\(pr.app.cpuMilli + (i == 0 ? c.loadShare(of: p) : 0))m", mi(pr.memory(at: now))])
                        }
                    }
                }
                return CommandResult(output: Format.table((allNS ? ["NAMESPACE"] : []) + ["POD", "NAME", "CPU(cores)", "MEMORY(bytes)"], rows, headers: headers))
            }
            let rows = pods.map { p -> [String] in let u = usage(p); return nsCol(p) + [p.metadata.name, "\(u.cpu)m", mi(u.mem)] }
            return CommandResult(output: Format.table((allNS ? ["NAMESPACE"] : []) + ["NAME", "CPU(cores)", "MEMORY(bytes)"], rows, headers: headers))
        case "nodes", "node", "no":
            let pods = c.api.list(.pod).compactMap(\.pod)
            var nodes = c.api.list(.node).compactMap(\.node).sorted { $0.metadata.name < $1.metadata.name }
            if inv.positionals.count > 1 { nodes = nodes.filter { $0.metadata.name == inv.positionals[1] } }
            var measured: [(row: [String], cpu: Int64, mem: Int64)] = nodes.map { n in
                guard c.kubelets[n.metadata.name]?.running ?? false else { return ([n.metadata.name, "<unknown>", "<unknown>", "<unknown>", "<unknown>"], -1, -1) }
                var cpu: Int64 = 60, mem: Int64 = 600 << 20   // the system's own share (kubelet, containerd, OS)
                for p in pods where p.spec.nodeName == n.metadata.name { let u = usage(p); cpu += u.cpu; mem += u.mem }
                let cpuCap = n.allocatable["cpu"].map { $0.milli } ?? 1, memCap = n.allocatable["memory"]?.value ?? 1
                return ([n.metadata.name, "\(cpu)m", "\(cpu * 100 / max(1, cpuCap))%", mi(mem), "\(mem * 100 / max(1, memCap))%"], cpu, mem)
            }
            if let s = sortBy { measured = measured.enumerated().sorted { a, b in
                let (l, r) = s == "cpu" ? (a.element.cpu, b.element.cpu) : (a.element.mem, b.element.mem)
                return l > r || (l == r && a.offset < b.offset)
            }.map(\.element) }
            return CommandResult(output: Format.table(["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"], measured.map(\.row), headers: headers))
        default:
            throw inv.error("top: expected 'pods' or 'nodes'")
        }
    }
}
