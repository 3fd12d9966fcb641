import KubeSimCore
import KubeSimAPI

/// Cluster DNS: CoreDNS with the `kubernetes` plugin as kubeadm configures it
/// (Corefile `kubernetes cluster.local in-addr.arpa ip6.arpa { pods insecure … }`),
/// answering from what it watches — Services and EndpointSlices — never from the
/// objects' owners. The kubelet points pods at it (`clusterDNS: 10.96.0.10`,
/// `clusterDomain: cluster.local`) through /etc/resolv.conf.
///
/// Records (the Kubernetes DNS specification, github.com/kubernetes/dns
/// docs/specification.md, and CoreDNS plugin/kubernetes):
/// - `<service>.<ns>.svc.cluster.local` A: the ClusterIP; for a headless Service, the
///   address of every ready endpoint;
/// - `<hostname>.<service>.<ns>.svc.cluster.local` A: an endpoint of a headless Service
///   whose pod set `hostname` and `subdomain` (StatefulSet pods: `web-0.nginx…`);
/// - `<a-b-c-d>.<ns>.pod.cluster.local` A: `a.b.c.d` (`pods insecure`);
/// - anything else under cluster.local: NXDOMAIN. Names outside the cluster domain
///   would be forwarded upstream; the simulated world has no upstream, so they are
///   NXDOMAIN as well.
public final class ClusterDNS {
    public static let serviceIP = "10.96.0.10"
    public static let domain = "cluster.local"
    let services: Informer
    let slices: Informer

    public init(services: Informer, slices: Informer) {
        self.services = services
        self.slices = slices
    }

    public enum Answer: Equatable { case addresses([String]), nxdomain }

    /// The A records for a fully qualified name (with or without the final dot).
    public func lookup(_ name: String) -> Answer {
        var labels = name.lowercased().split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if labels.last == "" { labels.removeLast() }
        let zone = Self.domain.split(separator: ".").map(String.init)
        guard labels.count > zone.count, Array(labels.suffix(zone.count)) == zone else { return .nxdomain }
        labels.removeLast(zone.count)
        switch labels.last {
        case "svc":
            labels.removeLast()
            if labels.count == 2 { return serviceRecords(namespace: labels[1], name: labels[0]) }
            if labels.count == 3 { return endpointRecord(namespace: labels[2], service: labels[1], hostname: labels[0]) }
            return .nxdomain
        case "pod":
            // `pods insecure`: the name is the address, dashes for dots.
            guard labels.count == 3, let ip = IPv4Address(parsing: labels[0].replacingOccurrences("-", ".")) else { return .nxdomain }
            return .addresses([ip.description])
        default:
            return .nxdomain
        }
    }

    func service(_ namespace: String, _ name: String) -> Service? { services.get(namespace: namespace, name: name)?.service }

    func readyAddresses(namespace: String, service: String) -> [(address: String, hostname: String?)] {
        slices.byIndex(IndexName.service, "\(namespace)/\(service)").compactMap(\.endpointSlice)
            .sorted { $0.metadata.name < $1.metadata.name }
            .flatMap { es in es.endpoints.filter(\.ready).flatMap { e in e.addresses.map { ($0, e.hostname) } } }
    }

    func serviceRecords(namespace: String, name: String) -> Answer {
        guard let svc = service(namespace, name) else { return .nxdomain }
        if let ip = svc.spec.clusterIP, ip != "None" { return .addresses([ip]) }
        return .addresses(readyAddresses(namespace: namespace, service: name).map(\.address))
    }

    func endpointRecord(namespace: String, service name: String, hostname: String) -> Answer {
        guard let svc = service(namespace, name), svc.spec.clusterIP == "None" else { return .nxdomain }
        let hits = readyAddresses(namespace: namespace, service: name).filter { $0.hostname == hostname }.map(\.address)
        return hits.isEmpty ? .nxdomain : .addresses(hits)
    }

    /// The search list the kubelet writes for a pod with `dnsPolicy: ClusterFirst`.
    public static func searchList(namespace: String) -> [String] {
        ["\(namespace).svc.\(domain)", "svc.\(domain)", domain]
    }

    /// Resolves a name as the pod's stub resolver does with `options ndots:5`: a name
    /// with fewer than five dots tries the search list first, then the name itself; a
    /// name ending in a dot is tried as written. Returns the name that answered.
    public func resolve(_ name: String, namespace: String) -> (name: String, addresses: [String])? {
        let absolute = name.hasSuffix(".")
        var candidates: [String] = []
        if absolute { candidates = [String(name.dropLast())] } else {
            let dots = name.filter { $0 == "." }.count
            let searched = Self.searchList(namespace: namespace).map { "\(name).\($0)" }
            candidates = dots >= 5 ? [name] + searched : searched + [name]
        }
        for c in candidates {
            if case .addresses(let a) = lookup(c), !a.isEmpty { return (c, a) }
        }
        return nil
    }
}
