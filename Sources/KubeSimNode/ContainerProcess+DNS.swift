import KubeSimCore
import KubeSimNet
import KubeSimControl
import KubeSimAPI

/// Name resolution inside a pod: the files the kubelet writes for it (/etc/resolv.conf
/// pointing at the cluster DNS, /etc/hosts with the pod's own names) and busybox's
/// nslookup and getent.
extension ContainerProcess {
    var podNamespace: String { netns?.pod.metadata.namespace ?? "default" }

    /// The pod's fully qualified hostname: `<hostname>.<subdomain>.<ns>.svc.cluster.local`
    /// when it has a subdomain (pkg/kubelet GeneratePodHostNameAndDomain), else the hostname.
    var fqdn: String {
        guard let pod = netns?.pod, let sub = pod.spec.subdomain, !sub.isEmpty else { return hostname }
        return "\(hostname).\(sub).\(podNamespace).svc.\(ClusterDNS.domain)"
    }

    /// Files the kubelet and runtime provide in every container (read-only views).
    func kubeletFile(_ path: String) -> String? {
        guard let pod = netns?.pod else { return nil }
        switch path {
        case "/etc/resolv.conf":
            // pkg/kubelet/network/dns: ClusterFirst → the cluster's resolver and search list.
            if pod.spec.dnsPolicy == "Default" {
                // The node's own resolv.conf: the node network's gateway.
                let gateway = netns?.network.flatMap { net in netns?.sandbox?.ip.flatMap { IPv4Address(parsing: $0) }.flatMap { net.pod(at: $0)?.node } }
                    .flatMap { n in n.host.routes.first { $0.dst.prefixLength == 0 }?.via }
                return "nameserver \(gateway ?? IPv4Address(192, 168, 56, 1))\n"
            }
            return "search \(ClusterDNS.searchList(namespace: podNamespace).joined(separator: " "))\nnameserver \(ClusterDNS.serviceIP)\noptions ndots:5\n"
        case "/etc/hosts":
            // pkg/kubelet/kubelet_pods.go managedHostsFileContent.
            var s = "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n"
            if let ip = netns?.sandbox?.ip {
                s += fqdn == hostname ? "\(ip)\t\(hostname)\n" : "\(ip)\t\(fqdn)\t\(hostname)\n"
            }
            return s
        case "/etc/hostname":
            return hostname + "\n"
        default:
            return nil
        }
    }

    /// /etc/hosts first, then the cluster DNS through the resolv.conf search list.
    /// Returns the address and the name that answered, or nil.
    func resolveHost(_ host: String) -> (address: IPv4Address, name: String)? {
        if let ip = IPv4Address(parsing: host) { return (ip, host) }
        if let local = localAddress(host), let ip = IPv4Address(parsing: local) { return (ip, host) }
        if host == hostname || host == fqdn, let ip = netns?.sandbox?.ip.flatMap({ IPv4Address(parsing: $0) }) { return (ip, host) }
        guard netns?.pod.spec.dnsPolicy != "Default", let dns = netns?.network?.dns,
              let (name, addrs) = dns.resolve(host, namespace: podNamespace), let first = addrs.first.flatMap({ IPv4Address(parsing: $0) }) else { return nil }
        return (first, name)
    }

    /// busybox nslookup NAME [SERVER]: the server, then the answer (busybox prints the
    /// name that answered after the search list) or `** server can't find`.
    func nslookup(_ args: [String]) -> (Int, String) {
        guard let name = args.first(where: { !$0.hasPrefix("-") }) else {
            return (1, "BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]")
        }
        let server = ClusterDNS.serviceIP
        var out = "Server:\t\t\(server)\nAddress:\t\(server):53\n\n"
        if let ip = IPv4Address(parsing: name) {
            // A reverse lookup: pod and service addresses have PTR records in-cluster;
            // the simulation answers only for the forward names it knows.
            out += "** server can't find \(ip.reversePointerName): NXDOMAIN\n"
            return (1, out.trimmingTrailingNewlines)
        }
        guard let dns = netns?.network?.dns, let (fq, addrs) = dns.resolve(name, namespace: podNamespace) else {
            out += "** server can't find \(name): NXDOMAIN\n"
            return (1, out.trimmingTrailingNewlines)
        }
        out += "Name:\t\(fq)\n" + addrs.map { "Address: \($0)\n" }.joined()
        return (0, out.trimmingTrailingNewlines)
    }

    /// busybox getent hosts NAME: `ADDRESS  NAME` from /etc/hosts or DNS.
    func getent(_ args: [String]) -> (Int, String) {
        guard args.first == "hosts" else { return (2, "getent: unknown database: \(args.first ?? "")") }
        guard let name = args.dropFirst().first else { return (2, "") }
        guard let (ip, answered) = resolveHost(name) else { return (2, "") }
        // glibc/musl print "%-15s %s".
        let a = ip.description
        return (0, a + String(repeating: " ", count: max(0, 15 - a.count)) + " " + answered)
    }
}

extension IPv4Address {
    /// `d.c.b.a.in-addr.arpa`
    var reversePointerName: String {
        description.split(separator: ".").reversed().joined(separator: ".") + ".in-addr.arpa"
    }
}

/// Pods' resolvers ask the cluster DNS through the pod network (PodNetwork.dns).
extension ClusterDNS: ClusterNameResolver {}
