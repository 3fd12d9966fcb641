import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimCluster
import KubeSimManifest

/// `describe service` and `describe endpoints` as kubectl v1.32 prints them
/// (staging/src/k8s.io/kubectl/pkg/describe/describe.go: describeService, the version
/// that reads EndpointSlices, and describeEndpoints), through the same tab-aligned
/// writer (Format.tabbed).
extension ClusterBindings {
    /// The server's warning for any request on v1 Endpoints since v1.33 (kubectl prints
    /// it once, first, as `Warning: …`).
    static let endpointsDeprecation = "Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"

    /// printLabelsMultiline / printAnnotationsMultiline: `Title:\t<none>`, or one entry a
    /// line, the first after the title; labels as `k=v`, annotations as `k: v` (the
    /// last-applied-configuration left out, long or multi-line values on lines of their own).
    static func describeMap(_ title: String, _ d: [String: String], annotations: Bool) -> [String] {
        let keys = d.keys.filter { !annotations || $0 != "kubectl.kubernetes.io/last-applied-configuration" }.sorted()
        guard !keys.isEmpty else { return ["\(title):\t<none>"] }
        var out: [String] = []
        for (i, k) in keys.enumerated() {
            let lead = i == 0 ? "\(title):\t" : "\t"
            guard annotations else { out.append(lead + "\(k)=\(d[k]!)"); continue }
            var value = d[k]!
            if value.hasSuffix("\n") { value.removeLast() }
            if value.count + k.count + 2 > 140 || value.contains("\n") {
                out.append(lead + "\(k):")
                for s in value.split(separator: "\n", omittingEmptySubsequences: false) {
                    out.append("\t  " + (s.count > 138 ? String(s.prefix(135)) + "..." : String(s)))
                }
            } else {
                out.append(lead + "\(k): \(value)")
            }
        }
        return out
    }

    /// DescribeEvents: `Events:\t<none>` joins the block above it; a table stands alone.
    static func describeEvents(_ o: APIObject, _ c: Cluster) -> [String] {
        let lines = eventLines(o, c)
        return lines == ["Events:            <none>"] ? ["Events:\t<none>"] : lines
    }

    static func describeService(_ svc: Service, _ c: Cluster) -> String {
        let m = svc.metadata
        let spec = svc.spec
        func kept(_ field: String) -> JSONValue? { Manifest.kept(m, ["spec", field]) }
        let externalName = spec.type == "ExternalName"
        var lines = ["Name:\t\(m.name)", "Namespace:\t\(m.namespace ?? "default")"]
        lines += describeMap("Labels", m.labels, annotations: false)
        lines += describeMap("Annotations", m.annotations, annotations: true)
        lines.append("Selector:\t" + (spec.selector.isEmpty ? "<none>" : spec.selector.keys.sorted().map { "\($0)=\(spec.selector[$0]!)" }.joined(separator: ",")))
        lines.append("Type:\t\(spec.type)")
        // The registry sets the IP families of every Service but an ExternalName one
        // (pkg/registry/core/service/storage/alloc.go initIPFamilyFields): one IPv4 family.
        if let policy = kept("ipFamilyPolicy")?.scalarText ?? (externalName ? nil : "SingleStack") { lines.append("IP Family Policy:\t\(policy)") }
        let families = kept("ipFamilies")?.array?.compactMap(\.scalarText) ?? (externalName ? [] : ["IPv4"])
        lines.append("IP Families:\t" + (families.isEmpty ? "<none>" : families.joined(separator: ",")))
        lines.append("IP:\t\(spec.clusterIP ?? "")")
        lines.append("IPs:\t" + (spec.clusterIP.map { $0 } ?? "<none>"))
        if let ips = kept("externalIPs")?.array?.compactMap(\.scalarText), !ips.isEmpty { lines.append("External IPs:\t" + ips.joined(separator: ",")) }
        if let ip = spec.loadBalancerIP, !ip.isEmpty { lines.append("Desired LoadBalancer IP:\t\(ip)") }
        if let name = kept("externalName")?.scalarText, !name.isEmpty { lines.append("External Name:\t\(name)") }
        if !svc.loadBalancerIngress.isEmpty {
            // buildIngressString; the server defaults each ingress IP's ipMode to VIP
            // (pkg/apis/core/v1/defaults.go, LoadBalancerIPMode).
            lines.append("LoadBalancer Ingress:\t" + svc.loadBalancerIngress.map { "\($0) (VIP)" }.joined(separator: ", "))
        }
        let slices = c.api.list(.endpointSlice, namespace: m.namespace ?? "default",
                                selector: LabelSelector(matchLabels: [EndpointSlice.serviceNameLabel: m.name])).compactMap(\.endpointSlice)
        for p in spec.ports {
            let name = (p.name ?? "").isEmpty ? "<unset>" : p.name!
            lines.append("Port:\t\(name)\t\(p.port)/\(p.protocol)")
            lines.append("TargetPort:\t\(p.targetPort ?? String(p.port))/\(p.protocol)")
            if let np = p.nodePort, np != 0 { lines.append("NodePort:\t\(name)\t\(np)/\(p.protocol)") }
            lines.append("Endpoints:\t" + formatEndpointSlices(slices, port: p.name ?? ""))
        }
        lines.append("Session Affinity:\t\(spec.sessionAffinity)")
        if let etp = spec.externalTrafficPolicy, !etp.isEmpty { lines.append("External Traffic Policy:\t\(etp)") }
        // SetDefaults_Service: internalTrafficPolicy Cluster unless ExternalName.
        if let itp = kept("internalTrafficPolicy")?.scalarText ?? (externalName ? nil : "Cluster") { lines.append("Internal Traffic Policy:\t\(itp)") }
        if let hc = kept("healthCheckNodePort")?.scalarText, hc != "0" { lines.append("HealthCheck NodePort:\t\(hc)") }
        if let ranges = kept("loadBalancerSourceRanges")?.array?.compactMap(\.scalarText), !ranges.isEmpty {
            lines.append("LoadBalancer Source Ranges:\t" + ranges.joined(separator: ","))
        }
        lines += describeEvents(.service(svc), c)
        return Format.tabbed(lines.joined(separator: "\n"))
    }

    /// formatEndpointSlices (describe/describe.go) for one Service port: the ready
    /// endpoints' `ip:port`, comma-joined, the first three and then `+ N more...`;
    /// `<none>` without slices; an IP alone for a slice without ports (headless).
    static func formatEndpointSlices(_ slices: [EndpointSlice], port name: String?) -> String {
        guard !slices.isEmpty else { return "<none>" }
        var list: [String] = []
        let max = 3
        var more = false
        var count = 0
        for s in slices {
            if s.ports.isEmpty {
                for e in s.endpoints {
                    // `more` is set before readiness is looked at, as upstream does.
                    if list.count == max { more = true }
                    guard e.ready else { continue }
                    if !more { list.append(e.addresses[0]) }
                    count += 1
                }
            } else {
                for p in s.ports where name == nil || (p.name ?? "") == name {
                    for e in s.endpoints {
                        if list.count == max { more = true }
                        guard e.ready else { continue }
                        if !more { list.append("\(e.addresses[0]):\(p.port ?? 0)") }
                        count += 1
                    }
                }
            }
        }
        let joined = list.joined(separator: ",")
        return more ? "\(joined) + \(count - max) more..." : joined
    }

    static func describeEndpoints(_ ep: Endpoints, _ c: Cluster) -> String {
        let m = ep.metadata
        var lines = ["Name:\t\(m.name)", "Namespace:\t\(m.namespace ?? "default")"]
        lines += describeMap("Labels", m.labels, annotations: false)
        lines += describeMap("Annotations", m.annotations, annotations: true)
        lines.append("Subsets:")
        for s in ep.subsets {
            let ready = s.addresses.map(\.ip).joined(separator: ",")
            let notReady = s.notReadyAddresses.map(\.ip).joined(separator: ",")
            lines.append("  Addresses:\t" + (ready.isEmpty ? "<none>" : ready))
            lines.append("  NotReadyAddresses:\t" + (notReady.isEmpty ? "<none>" : notReady))
            if !s.ports.isEmpty {
                lines.append("  Ports:")
                lines.append("    Name\tPort\tProtocol")
                lines.append("    ----\t----\t--------")
                for p in s.ports { lines.append("    \((p.name ?? "").isEmpty ? "<unset>" : p.name!)\t\(p.port ?? 0)\t\(p.protocol)") }
            }
            lines.append("")
        }
        lines += describeEvents(.endpoints(ep), c)
        return Format.tabbed(lines.joined(separator: "\n"))
    }

    /// formatEndpoints (pkg/printers/internalversion/printers.go), the ENDPOINTS column
    /// of `get endpoints`: ready addresses as `ip:port` per port (an IP alone for a
    /// subset without ports), the first three and `+ N more...`; `<none>` without
    /// subsets, and nothing at all when every address is not ready.
    static func formatEndpoints(_ ep: Endpoints) -> String {
        guard !ep.subsets.isEmpty else { return "<none>" }
        var list: [String] = []
        let max = 3
        var more = false
        var count = 0
        for s in ep.subsets {
            let items: [[String]] = s.ports.isEmpty ? [s.addresses.map(\.ip)] : s.ports.map { p in s.addresses.map { "\($0.ip):\(p.port ?? 0)" } }
            for group in items {
                count += group.count
                for item in group {
                    if list.count == max { more = true; break }
                    list.append(item)
                }
            }
        }
        let joined = list.joined(separator: ",")
        return more ? "\(joined) + \(count - max) more..." : joined
    }
}
