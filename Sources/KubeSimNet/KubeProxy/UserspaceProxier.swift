import KubeSimCore

/// One Service port's proxy in kube-proxy's userspace mode: the socket kube-proxy listens
/// on for it and the endpoints it relays to, round robin (pkg/proxy/userspace/roundrobin.go
/// LoadBalancerRR: the endpoint list is shuffled whenever it changes, then taken in turn;
/// ClientIP affinity keeps a client on its endpoint for stickyMaxAgeSeconds).
public final class UserspacePortal {
    public let service: String
    public let proxyPort: Int
    public internal(set) var endpoints: [(ip: IPv4Address, port: Int)] = []
    var index = 0
    var stickySeconds: Int?
    var affinity: [UInt32: (endpoint: Int, last: Int64)] = [:]
    init(service: String, proxyPort: Int) { self.service = service; self.proxyPort = proxyPort }

    /// The endpoint the next connection from `client` would go to, without taking a turn.
    public func peek(client: IPv4Address) -> (ip: IPv4Address, port: Int)? {
        guard !endpoints.isEmpty else { return nil }
        if stickySeconds != nil, let a = affinity[client.value], a.endpoint < endpoints.count { return endpoints[a.endpoint] }
        return endpoints[index % endpoints.count]
    }

    /// The endpoint a new connection from `client` is relayed to (nil: none).
    public func next(client: IPv4Address, now: Int64) -> (ip: IPv4Address, port: Int)? {
        guard !endpoints.isEmpty else { return nil }
        if let s = stickySeconds, let a = affinity[client.value], a.endpoint < endpoints.count, now - a.last < Int64(s) * 1_000_000_000 {
            affinity[client.value] = (a.endpoint, now)
            return endpoints[a.endpoint]
        }
        let k = index % endpoints.count
        index = (k + 1) % endpoints.count
        if stickySeconds != nil { affinity[client.value] = (k, now) }
        return endpoints[k]
    }
}

/// kube-proxy's userspace mode (pkg/proxy/userspace/proxier.go, last in Kubernetes v1.25;
/// removed in 1.26). kube-proxy itself proxies: for each Service port it listens on a
/// port of the node, and iptables rules steer ClusterIP traffic there — REDIRECT for
/// traffic from pods (KUBE-PORTALS-CONTAINER, to the incoming interface's address), DNAT
/// to the node's address for the node's own (KUBE-PORTALS-HOST). The accepted connection
/// is relayed by a second connection from the node to an endpoint: one more trip through
/// user space, and the endpoint sees the node's address, not the client's.
public final class UserspaceProxier: ServiceProxier {
    public var mode: ProxyMode { .userspace }
    let nodeName: String
    let hostIP: IPv4Address
    /// The OS-assigned proxy ports, drawn from the ephemeral range (net.ipv4.ip_local_port_range).
    var ports: [String: Int] = [:]
    var needFullSync = true

    public init(nodeName: String, hostIP: IPv4Address) { self.nodeName = nodeName; self.hostIP = hostIP }

    static let containerPortals = "KUBE-PORTALS-CONTAINER", hostPortals = "KUBE-PORTALS-HOST"
    static let containerNodePorts = "KUBE-NODEPORT-CONTAINER", hostNodePorts = "KUBE-NODEPORT-HOST", nonLocalNodePorts = "KUBE-NODEPORT-NON-LOCAL"
    /// iptablesInit: (table, source chain, prepend, args before -j, destination).
    static let jumps: [(NFTableName, String, Bool, [String], String)] = [
        (.nat, "PREROUTING", true, ["-m", "comment", "--comment", "handle ClusterIPs; NOTE: this must be before the NodePort rules"], containerPortals),
        (.nat, "OUTPUT", true, ["-m", "comment", "--comment", "handle ClusterIPs; NOTE: this must be before the NodePort rules"], hostPortals),
        (.nat, "PREROUTING", false, ["-m", "addrtype", "--dst-type", "LOCAL", "-m", "comment", "--comment", "handle service NodePorts; NOTE: this must be the last rule in the chain"], containerNodePorts),
        (.nat, "OUTPUT", false, ["-m", "addrtype", "--dst-type", "LOCAL", "-m", "comment", "--comment", "handle service NodePorts; NOTE: this must be the last rule in the chain"], hostNodePorts),
        (.filter, "INPUT", true, ["-m", "comment", "--comment", "Ensure that non-local NodePort traffic can flow"], nonLocalNodePorts),
    ]

    /// A proxy port for a Service port: the kernel's pick of a free ephemeral port, made
    /// deterministic from the names (32768–60999, skipping ports in use).
    func proxyPort(for key: String, node: NodeNet) -> Int {
        if let p = ports[key] { return p }
        var h: UInt32 = 2_166_136_261
        for b in (nodeName + "/" + key).utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        var p = 32768 + Int(h % 28232)
        let used = Set(node.sockets.map(\.port)).union(ports.values)
        while used.contains(p) { p = p == 60999 ? 32768 : p + 1 }
        ports[key] = p
        return p
    }

    public func sync(services: [ProxyServicePort], endpoints: [String: [ProxyEndpoint]], changed: Set<String>, now: Int64, node: NodeNet) -> ProxySyncResult {
        let nf = node.netfilter
        var result = ProxySyncResult(full: needFullSync)
        if needFullSync {
            for (table, src, prepend, args, dst) in Self.jumps { nf.ensureJump(table, from: src, args, to: dst, prepend: prepend) }
            needFullSync = false
        }
        var containerPortals: [String] = [], hostPortals: [String] = [], containerNodePorts: [String] = [], hostNodePorts: [String] = [], nonLocal: [String] = []
        var active = Set<Int>()
        for svc in services.sorted(by: { $0.nameString < $1.nameString }) {
            let key = svc.nameString + "/" + svc.protocolLower
            let port = proxyPort(for: key, node: node)
            active.insert(port)
            let portal = node.portals[port] ?? UserspacePortal(service: svc.nameString, proxyPort: port)
            let ready = (endpoints[svc.nameString] ?? []).filter(\.ready).map { (ip: $0.ip, port: $0.port) }
            if ready.map({ "\($0.ip):\($0.port)" }) != portal.endpoints.map({ "\($0.ip):\($0.port)" }).sorted() {
                // OnEndpointsUpdate: a changed list is shuffled (util.ShuffleStrings), the turn restarts.
                var shuffled = ready
                if shuffled.count > 1 {
                    for i in stride(from: shuffled.count - 1, to: 0, by: -1) { shuffled.swapAt(i, Int(nf.random() % UInt32(i + 1))) }
                }
                portal.endpoints = shuffled
                portal.index = 0
                portal.affinity = [:]
            }
            portal.stickySeconds = svc.stickySeconds
            if node.portals[port] == nil {
                node.portals[port] = portal
                // The proxy socket: Go's net.Listen("tcp", ":0") binds [::] (IPV6_V6ONLY off).
                node.sockets.append(ListeningSocket(.dualStack, port, proto: svc.proto == "UDP" ? .udp : .tcp, backlog: 4096, process: "kube-proxy", pid: 2304, fd: 9 + active.count))
            }
            let proto = svc.protocolLower
            let common = ["-m", "comment", "--comment", svc.nameString, "-p", proto, "-m", proto, "--dport", String(svc.port), "-d", "\(svc.clusterIP)/32"]
            containerPortals.append((["-A", Self.containerPortals] + common + ["-j", "REDIRECT", "--to-ports", String(port)]).joined(separator: " "))
            hostPortals.append((["-A", Self.hostPortals] + common + ["-j", "DNAT", "--to-destination", "\(hostIP):\(port)"]).joined(separator: " "))
            if svc.nodePort != 0 {
                let np = ["-m", "comment", "--comment", svc.nameString, "-p", proto, "-m", proto, "--dport", String(svc.nodePort)]
                containerNodePorts.append((["-A", Self.containerNodePorts] + np + ["-j", "REDIRECT", "--to-ports", String(port)]).joined(separator: " "))
                hostNodePorts.append((["-A", Self.hostNodePorts] + np + ["-j", "DNAT", "--to-destination", "\(hostIP):\(port)"]).joined(separator: " "))
                nonLocal.append((["-A", Self.nonLocalNodePorts, "-m", "comment", "--comment", svc.nameString, "-p", proto, "-m", proto, "--dport", String(port), "-m", "state", "--state", "NEW", "-j", "ACCEPT"]).joined(separator: " "))
            }
            result.services += 1
            result.endpoints += ready.count
        }
        // Portals of Services that went: their sockets close.
        for port in node.portals.keys where !active.contains(port) {
            node.portals.removeValue(forKey: port)
            node.sockets.removeAll { $0.port == port && $0.process == "kube-proxy" }
        }
        ports = ports.filter { active.contains($0.value) }
        let nat = ["*nat"] + [Self.containerPortals, Self.hostPortals, Self.containerNodePorts, Self.hostNodePorts].map { ":\($0) - [0:0]" }
            + containerPortals + hostPortals + containerNodePorts + hostNodePorts + ["COMMIT"]
        let filter = ["*filter", ":\(Self.nonLocalNodePorts) - [0:0]"] + nonLocal + ["COMMIT"]
        let outcome = IptablesRestore.run((filter + nat).joined(separator: "\n") + "\n", on: nf, noflush: true)
        if outcome.status != 0 { result.failure = outcome.output; needFullSync = true }
        result.rulesWritten = containerPortals.count + hostPortals.count + containerNodePorts.count + hostNodePorts.count + nonLocal.count
        return result
    }

    /// tearDownUserspaceIptables: the jumps unlinked, the chains flushed and deleted, the
    /// proxy sockets closed.
    public func cleanup(node: NodeNet) {
        let nf = node.netfilter
        for (table, src, _, args, dst) in Self.jumps { _ = Iptables.run(["-t", table.rawValue, "-D", src] + args + ["-j", dst], on: nf) }
        for (table, chain) in [(NFTableName.nat, Self.containerPortals), (.nat, Self.hostPortals), (.nat, Self.containerNodePorts), (.nat, Self.hostNodePorts), (.filter, Self.nonLocalNodePorts)] {
            _ = Iptables.run(["-t", table.rawValue, "-F", chain], on: nf)
            _ = Iptables.run(["-t", table.rawValue, "-X", chain], on: nf)
        }
        for port in node.portals.keys { node.sockets.removeAll { $0.port == port && $0.process == "kube-proxy" } }
        node.portals.removeAll()
        ports.removeAll()
        needFullSync = true
    }
}
