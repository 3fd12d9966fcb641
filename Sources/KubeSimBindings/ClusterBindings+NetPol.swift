import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimCluster
import KubeSimNet
import KubeSimManifest

/// `netpol matrix`: which pods reach which, found by probing every pair through the
/// datapath (real packets meeting the rules the CNI's policy agent wrote — not a policy
/// evaluator), printed as the upstream e2e tests print a truth table
/// (test/e2e/network/netpol/truthtable.go PrettyPrint: rows are sources, columns
/// destinations, `.` reached, `X` blocked).
extension ClusterBindings {
    static func registerNetPolCommands(_ r: CommandRegistry) {
        let matrix = CommandSpec("matrix", summary: "probe every pod pair through the datapath and print the reachability truth table",
                                 usage: "netpol matrix [--port 80] [--protocol tcp] [-n NAMESPACE]… [--expect TABLE | --expect - <<EOF]",
                                 flags: [FlagSpec("port", value: "PORT", help: "the destination port probed (default 80)"),
                                         FlagSpec("protocol", value: "PROTO", help: "tcp (the default)"),
                                         FlagSpec("expect", value: "TABLE", help: "the expected truth table: print the comparison, fail when it differs"),
                                         namespaceFlag],
                                 acceptsHeredoc: true,
                                 handler: { inv, ctx in try netpolMatrix(inv, ctx) })
        r.register(CommandSpec("netpol", summary: "NetworkPolicy tools: the reachability matrix", usage: "netpol matrix …", subcommands: [matrix]))
    }

    static func netpolMatrix(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        let c = try cluster(ctx)
        var port = 80
        if let p = inv.flag("port") {
            guard let n = Int(p), (1...65535).contains(n) else { throw inv.error("netpol matrix: invalid port '\(p)': a port is 1 to 65535") }
            port = n
        }
        let proto = (inv.flag("protocol") ?? "tcp").lowercased()
        guard proto == "tcp" else { throw inv.error("netpol matrix: --protocol \(proto) is not probed: the probe is a TCP connection (--protocol tcp)") }
        let namespaces = inv.flagValues("namespace").flatMap { $0.split(separator: ",").map(String.init) }
        let pods = c.api.list(.pod).compactMap(\.pod).filter { p in
            p.status.phase == "Running" && p.status.podIP != nil && !p.isTerminating
                && (namespaces.isEmpty ? p.metadata.namespace != "kube-system" : namespaces.contains(p.metadata.namespace ?? "default"))
        }.sorted { (($0.metadata.namespace ?? ""), $0.metadata.name) < (($1.metadata.namespace ?? ""), $1.metadata.name) }
        guard !pods.isEmpty else { throw CommandFailure("netpol matrix: no running pods\(namespaces.isEmpty ? "" : " in \(namespaces.joined(separator: ", "))")") }
        let names = pods.map { "\($0.metadata.namespace ?? "default")/\($0.metadata.name)" }
        var reach: [[Bool]] = []
        for from in pods {
            let src = IPv4Address(parsing: from.status.podIP!)!
            reach.append(pods.map { to in c.network.probeTCP(from: src, to: IPv4Address(parsing: to.status.podIP!)!, port: port) })
        }
        let table = ReachabilityMatrix(names: names, reach: reach)
        var out = table.text
        var exit = 0
        if var expected = inv.flag("expect") {
            if expected == "-" {
                guard let h = inv.heredoc else { throw inv.error("netpol matrix: --expect - reads the table from a heredoc (<<EOF … EOF)") }
                expected = h
            }
            let want = try ReachabilityMatrix.parse(expected, names: names, inv)
            let (comparison, wrong) = table.compare(want)
            out = "expected:\n" + want.text + "\nobserved:\n" + table.text + "\ncomparison:\n" + comparison.text
                + "\nreachability: correct:\(names.count * names.count - wrong), incorrect:\(wrong), result=\(wrong == 0)"
            if wrong > 0 { exit = 1 }
        }
        return CommandResult(output: out, exitCode: exit, value: .object(table))
    }
}

/// A truth table of reachability: the value `netpol matrix` gives scripts.
final class ReachabilityMatrix: ScriptObject, @unchecked Sendable {
    let names: [String]
    let reach: [[Bool]]
    init(names: [String], reach: [[Bool]]) { self.names = names; self.reach = reach }

    /// PrettyPrint's layout: a header of `-` and the destinations, a row per source, tabs between.
    var text: String {
        var lines = [(["-"] + names).joined(separator: "\t")]
        for (i, n) in names.enumerated() { lines.append(([n] + reach[i].map { $0 ? "." : "X" }).joined(separator: "\t")) }
        return lines.joined(separator: "\n")
    }

    /// Upstream's Compare: `.` where the two tables agree, `X` where they differ.
    func compare(_ other: ReachabilityMatrix) -> (ReachabilityMatrix, Int) {
        var wrong = 0
        let same = reach.indices.map { i in reach[i].indices.map { j -> Bool in
            let ok = reach[i][j] == other.reach[i][j]
            if !ok { wrong += 1 }
            return ok
        } }
        return (ReachabilityMatrix(names: names, reach: same), wrong)
    }

    /// A table written as PrettyPrint prints it (tabs or spaces between the cells).
    static func parse(_ text: String, names: [String], _ inv: Invocation) throws -> ReachabilityMatrix {
        let rows = text.split(separator: "\n").map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) }.filter { !$0.isEmpty }
        guard let header = rows.first, header.first == "-", Array(header.dropFirst()) == names else {
            throw inv.error("netpol matrix: the expected table's header must be '-' and the pods probed, in order: \(names.joined(separator: " "))")
        }
        var reach: [[Bool]] = []
        for (i, n) in names.enumerated() {
            guard i + 1 < rows.count, rows[i + 1].first == n, rows[i + 1].count == names.count + 1,
                  rows[i + 1].dropFirst().allSatisfy({ $0 == "." || $0 == "X" }) else {
                throw inv.error("netpol matrix: the expected table needs a row for \(n): its name, then '.' (reached) or 'X' (blocked) for each of the \(names.count) pods")
            }
            reach.append(rows[i + 1].dropFirst().map { $0 == "." })
        }
        return ReachabilityMatrix(names: names, reach: reach)
    }

    var typeName: String { "matrix" }
    var description: String { text }
    var memberNames: [String] { ["pods", "table", "blocked", "allowed"] }
    func member(_ name: String) -> Value? {
        switch name {
        case "pods": return .list(names.map { .string($0) })
        case "table": return .string(text)
        case "blocked", "allowed":
            var pairs: [Value] = []
            for i in names.indices { for j in names.indices where reach[i][j] == (name == "allowed") { pairs.append(.string("\(names[i]) -> \(names[j])")) } }
            return .list(pairs)
        default: return nil
        }
    }
    func callMethod(_ name: String, _ args: [Value]) throws -> Value? {
        guard name == "reaches", args.count == 2, case .string(let a) = args[0], case .string(let b) = args[1],
              let i = names.firstIndex(of: a), let j = names.firstIndex(of: b) else { return nil }
        return .bool(reach[i][j])
    }
}

extension ClusterBindings {
    /// `describe networkpolicy` as kubectl prints it (staging/src/k8s.io/kubectl/pkg/
    /// describe/describe.go: describeNetworkPolicy, describeNetworkPolicySpec,
    /// printNetworkPolicySpecIngressFrom / EgressTo).
    static func describeNetworkPolicy(_ np: NetworkPolicy) -> String {
        let m = np.metadata
        var lines = ["Name:\t\(m.name)", "Namespace:\t\(m.namespace ?? "default")",
                     "Created on:\t\(ManifestEncoder.timestamp(m.creationTimestamp).replacingOccurrences("T", " ").replacingOccurrences("Z", "")) +0000 UTC"]
        lines += describeMap("Labels", m.labels, annotations: false)
        lines += describeMap("Annotations", m.annotations, annotations: true)
        let spec = np.spec
        lines.append("Spec:")
        lines.append("  PodSelector:     " + (spec.podSelector.isEmpty ? "<none> (Allowing the specific traffic to all pods in this namespace)" : spec.podSelector.description))
        for (enabled, rules, dir) in [(spec.isolatesIngress, spec.ingress, "ingress"), (spec.isolatesEgress, spec.egress, "egress")] {
            guard enabled else { lines.append("  Not affecting \(dir) traffic"); continue }
            lines.append("  Allowing \(dir) traffic:")
            let indent = "    "
            if rules.isEmpty { lines.append(indent + "<none> (Selected pods are isolated for \(dir) connectivity)"); continue }
            let (peerTitle, anyPeer) = dir == "ingress" ? ("From", "From: <any> (traffic not restricted by source)") : ("To", "To: <any> (traffic not restricted by destination)")
            for (i, r) in rules.enumerated() {
                if r.ports.isEmpty {
                    lines.append(indent + "To Port: <any> (traffic allowed to all ports)")
                } else {
                    for p in r.ports {
                        let port: String
                        switch p.port {
                        case .number(let n)?: port = "\(n)"
                        case .name(let s)?: port = s
                        case nil: port = "<nil>"
                        }
                        lines.append(indent + "To Port: \(port)/\(p.proto)")
                    }
                }
                if r.peers.isEmpty {
                    lines.append(indent + anyPeer)
                } else {
                    for peer in r.peers {
                        lines.append(indent + "\(peerTitle):")
                        func fmt(_ s: LabelSelector) -> String { s.isEmpty ? "<none>" : s.description }
                        if let ns = peer.namespaceSelector, let ps = peer.podSelector {
                            lines.append("  " + indent + "NamespaceSelector: \(fmt(ns))")
                            lines.append("  " + indent + "PodSelector: \(fmt(ps))")
                        } else if let ps = peer.podSelector {
                            lines.append("  " + indent + "PodSelector: \(fmt(ps))")
                        } else if let ns = peer.namespaceSelector {
                            lines.append("  " + indent + "NamespaceSelector: \(fmt(ns))")
                        } else if let b = peer.ipBlock {
                            lines.append("  " + indent + "IPBlock:")
                            lines.append("    " + indent + "CIDR: \(b.cidr)")
                            lines.append("    " + indent + "Except: \(b.except.joined(separator: ", "))")
                        }
                    }
                }
                if i != rules.count - 1 { lines.append(indent + "----------") }
            }
        }
        lines.append("  Policy Types: \(spec.policyTypes.joined(separator: ", "))")
        return Format.tabbed(lines.joined(separator: "\n"))
    }
}
