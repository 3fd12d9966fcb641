import KubeSimCore

// The pod network as state on each node — devices, addresses, routes, neighbours and
// FDB entries — programmed by the CNI plugin (flannel, VXLAN backend: cni0 bridge,
// flannel.1 VTEP with VNI 1 on UDP 8472, MTU 1450) and walked by packets.

public final class NetDevice {
    public enum Kind: Equatable { case loopback, ether, bridge, vxlan(vni: Int, port: Int), veth, ipip, dummy }
    public let name: String
    public let kind: Kind
    public var mtu: Int
    public let mac: String
    public internal(set) var addrs: [CIDR]
    public let index: Int
    /// The bridge a veth is enslaved to.
    public var master: String?
    /// A veth's other end: its namespace and device.
    public weak var peerNS: NetNamespace?
    public var peerName: String?
    public var peerIndex: Int?
    init(name: String, kind: Kind, mtu: Int, mac: String, addrs: [CIDR], index: Int) {
        self.name = name; self.kind = kind; self.mtu = mtu; self.mac = mac; self.addrs = addrs; self.index = index
    }
}

public struct RouteEntry: Equatable {
    public var dst: CIDR
    public var via: IPv4Address?
    public var dev: String
    public var src: IPv4Address?
    public var kernel = false
    public var onlink = false
    /// `proto bird` (Calico's BGP daemon), `proto 80` (Felix). An enum, not a string:
    /// route entries are copied on every hop of every packet.
    public enum Origin: String, Sendable { case bird, felix = "80" }
    public var proto: Origin?
    /// `scope link` on a route the kernel did not make (Calico's per-pod routes).
    public var scopeLink = false
    /// A blackhole route (Calico's own IPAM blocks): matching packets are discarded.
    public var blackhole = false

    public init(dst: CIDR, via: IPv4Address? = nil, dev: String, src: IPv4Address? = nil, kernel: Bool = false, onlink: Bool = false,
                proto: Origin? = nil, scopeLink: Bool = false, blackhole: Bool = false) {
        self.dst = dst; self.via = via; self.dev = dev; self.src = src; self.kernel = kernel; self.onlink = onlink
        self.proto = proto; self.scopeLink = scopeLink; self.blackhole = blackhole
    }

    /// `ip route` as iproute2 prints it: type, destination, gateway, device, protocol,
    /// scope, preferred source, flags.
    public var text: String {
        if blackhole { return "blackhole \(dst)\(proto.map { " proto \($0.rawValue)" } ?? "") " }
        var s = dst.prefixLength == 0 ? "default" : (dst.prefixLength == 32 ? dst.address.description : dst.description)
        if let v = via { s += " via \(v)" }
        s += " dev \(dev)"
        if kernel { s += " proto kernel scope link" }
        if let proto { s += " proto \(proto.rawValue)" }
        if scopeLink && !kernel { s += " scope link" }
        if let src { s += " src \(src)" }
        if onlink { s += " onlink" }
        return s + " "
    }
}

public final class NetNamespace {
    public let name: String
    private var ownDevices: [NetDevice] = []
    /// Devices made on demand (a node's veths: one per pod, kept as compact records).
    var generatedDevices: () -> [NetDevice] = { [] }
    public var devices: [NetDevice] { ownDevices + generatedDevices() }
    public var routes: [RouteEntry] = []
    /// What flanneld programmed for the other nodes (one shared snapshot, not a copy per node).
    var remote: () -> (table: RemoteTable, own: CIDR?)? = { nil }
    /// `ip neigh`: the peer VTEPs' addresses and MACs.
    public var neighbours: [(ip: IPv4Address, dev: String, mac: String)] {
        if let f = pluginNeighbours { return f() }
        guard let r = remote(), backend == .vxlan else { return [] }
        return r.table.entries.filter { $0.cidr != r.own }.map { ($0.cidr.network, "flannel.1", $0.mac) }
    }
    /// `bridge fdb` on flannel.1: VTEP MAC → remote underlay address.
    public var fdb: [(mac: String, dev: String, dst: IPv4Address)] {
        if let f = pluginFDB { return f() }
        guard let r = remote(), backend == .vxlan else { return [] }
        return r.table.entries.filter { $0.cidr != r.own }.map { ($0.mac, "flannel.1", $0.underlay) }
    }
    var nextIndex = 1
    var backend = PodNetwork.Backend.vxlan
    var segment = 1
    /// Routes another plugin programs (Calico: per-pod routes, blackholes for its own
    /// blocks, BGP or tunnel routes to the others'), looked up per address and listed.
    var pluginRoute: ((IPv4Address) -> RouteEntry?)?
    var pluginRoutes: (() -> [RouteEntry])?
    var pluginNeighbours: (() -> [(ip: IPv4Address, dev: String, mac: String)])?
    var pluginFDB: (() -> [(mac: String, dev: String, dst: IPv4Address)])?
    init(name: String) { self.name = name }

    /// The route flanneld programs for a peer, or nil when the kernel refuses it (host-gw
    /// to a gateway that is not on this node's L2 segment).
    func remoteRoute(_ e: (cidr: CIDR, node: String, mac: String, underlay: IPv4Address, segment: Int)) -> RouteEntry? {
        switch backend {
        case .vxlan: return RouteEntry(dst: e.cidr, via: e.cidr.network, dev: "flannel.1", onlink: true)
        case .hostGW: return e.segment == segment ? RouteEntry(dst: e.cidr, via: e.underlay, dev: "eth0") : nil
        }
    }

    @discardableResult
    func add(_ name: String, _ kind: NetDevice.Kind, mtu: Int, mac: String, addrs: [CIDR]) -> NetDevice {
        let d = NetDevice(name: name, kind: kind, mtu: mtu, mac: mac, addrs: addrs, index: nextIndex)
        nextIndex += 1
        ownDevices.append(d)
        ownedAddresses += addrs.map(\.address.value)
        return d
    }

    public func device(_ name: String) -> NetDevice? { ownDevices.first { $0.name == name } ?? generatedDevices().first { $0.name == name } }

    /// Remote subnets as routes: `<podCIDR> via <subnet>.0 dev flannel.1 onlink`.
    var remoteRoutes: [RouteEntry] {
        guard let r = remote() else { return [] }
        return r.table.entries.filter { $0.cidr != r.own }.compactMap { remoteRoute($0) }
    }

    /// Longest-prefix match over the main table (the node's own routes and flanneld's).
    public func route(to ip: IPv4Address) -> RouteEntry? {
        // Longest prefix over the node's own routes (a loop: no array per lookup, on every hop).
        var best: RouteEntry?
        for r in routes where r.dst.contains(ip) && r.dst.prefixLength > (best?.dst.prefixLength ?? -1) { best = r }
        if let r = remote(), let e = r.table.entry(for: ip), e.cidr != r.own, e.cidr.prefixLength > (best?.dst.prefixLength ?? -1),
           let route = remoteRoute(e) {
            best = route
        }
        if let f = pluginRoute, let r = f(ip), r.dst.prefixLength > (best?.dst.prefixLength ?? -1) { best = r }
        return best
    }

    /// Every address of the namespace's own devices (a device's addresses are set when it
    /// is made), checked on every hop of every packet.
    private var ownedAddresses: [UInt32] = []
    /// Addresses bound to dummy devices (kube-ipvs0 holds every Service address in IPVS mode).
    private var dummyAddresses: Set<UInt32> = []
    public func owns(_ ip: IPv4Address) -> Bool { ownedAddresses.contains(ip.value) || (!dummyAddresses.isEmpty && dummyAddresses.contains(ip.value)) }

    /// `ip addr replace` on a dummy device: its /32 addresses become exactly these.
    public func setDummyAddresses(_ name: String, _ addrs: [IPv4Address]) {
        let d = device(name) ?? add(name, .dummy, mtu: 1500, mac: macFor(self.name + "/" + name), addrs: [])
        for a in d.addrs { dummyAddresses.remove(a.address.value) }
        d.addrs = addrs.map { CIDR(address: $0, prefixLength: 32) }
        for a in addrs { dummyAddresses.insert(a.value) }
    }
    /// A dummy device removed (`ip link del kube-ipvs0`).
    public func removeDummy(_ name: String) {
        guard let k = ownDevices.firstIndex(where: { $0.name == name && $0.kind == .dummy }) else { return }
        for a in ownDevices[k].addrs { dummyAddresses.remove(a.address.value) }
        ownDevices.remove(at: k)
    }
    /// The device that has the address.
    func device(owning ip: IPv4Address) -> NetDevice? { ownDevices.first { d in d.addrs.contains { $0.address == ip } } }

    /// `ip addr` (iproute2 layout).
    public var ipAddr: String {
        devices.map { d -> String in
            var head = "\(d.index): \(d.name)"
            if let p = d.peerIndex { head += "@if\(p)" }
            var lines: [String]
            if d.kind == .ipip {
                // The IPIP tunnel device: no link-layer address.
                lines = ["\(head)@NONE: <NOARP,UP,LOWER_UP> mtu \(d.mtu) qdisc noqueue state UNKNOWN group default qlen 1000", "    link/ipip 0.0.0.0 brd 0.0.0.0"]
            } else if d.kind == .dummy {
                // A dummy device kube-proxy never brings up (kube-ipvs0): NOARP, DOWN, no queue.
                lines = ["\(head): <BROADCAST,NOARP> mtu \(d.mtu) qdisc noop state DOWN group default ", "    link/ether \(d.mac) brd ff:ff:ff:ff:ff:ff"]
            } else {
                let flags = d.kind == .loopback ? "<LOOPBACK,UP,LOWER_UP>" : "<BROADCAST,MULTICAST,UP,LOWER_UP>"
                lines = ["\(head): \(flags) mtu \(d.mtu) qdisc \(d.kind == .loopback ? "noqueue" : "noqueue") \(d.master.map { "master \($0) " } ?? "")state \(d.kind == .loopback ? "UNKNOWN" : "UP") group default qlen 1000"]
                lines.append("    link/\(d.kind == .loopback ? "loopback" : "ether") \(d.mac) brd \(d.kind == .loopback ? "00:00:00:00:00:00" : "ff:ff:ff:ff:ff:ff")")
            }
            for a in d.addrs {
                let brd = a.prefixLength < 31 && d.kind != .loopback ? " brd \(a.broadcast)" : ""
                lines.append("    inet \(a)\(brd) scope \(d.kind == .loopback ? "host" : "global") \(d.name)")
                lines.append("       valid_lft forever preferred_lft forever")
            }
            return lines.joined(separator: "\n")
        }.joined(separator: "\n")
    }

    public var ipLink: String {
        devices.map { d -> String in
            var head = "\(d.index): \(d.name)"
            if let p = d.peerIndex { head += "@if\(p)" }
            if d.kind == .ipip {
                return "\(head)@NONE: <NOARP,UP,LOWER_UP> mtu \(d.mtu) qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n    link/ipip 0.0.0.0 brd 0.0.0.0"
            }
            let flags = d.kind == .loopback ? "<LOOPBACK,UP,LOWER_UP>" : "<BROADCAST,MULTICAST,UP,LOWER_UP>"
            return "\(head): \(flags) mtu \(d.mtu) qdisc noqueue \(d.master.map { "master \($0) " } ?? "")state \(d.kind == .loopback ? "UNKNOWN" : "UP") mode DEFAULT group default qlen 1000\n    link/\(d.kind == .loopback ? "loopback" : "ether") \(d.mac) brd \(d.kind == .loopback ? "00:00:00:00:00:00" : "ff:ff:ff:ff:ff:ff")"
        }.joined(separator: "\n")
    }

    /// The whole main table, in `ip route`'s order (default first, then by destination):
    /// the node's own routes, flanneld's and the other plugins'.
    public var routeTable: [RouteEntry] {
        (routes + remoteRoutes + (pluginRoutes?() ?? [])).sorted { a, b in
            if (a.dst.prefixLength == 0) != (b.dst.prefixLength == 0) { return a.dst.prefixLength == 0 }
            return a.dst.network.value != b.dst.network.value ? a.dst.network.value < b.dst.network.value : a.dst.prefixLength < b.dst.prefixLength
        }
    }

    public var ipRoute: String { routeTable.map(\.text).joined(separator: "\n") }
}

/// A deterministic locally administered MAC for a device.
func macFor(_ seed: String) -> String {
    var h: UInt64 = 0xcbf29ce484222325
    for b in seed.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
    var bytes = (0..<6).map { UInt8((h >> (UInt64($0) * 8)) & 0xff) }
    bytes[0] = (bytes[0] & 0xfe) | 0x02
    return bytes.map { b in let s = String(b, radix: 16); return s.count == 1 ? "0" + s : s }.joined(separator: ":")
}

/// The bridge plugin's pod MAC: 0a:58 followed by the IPv4 address.
func podMAC(_ ip: IPv4Address) -> String {
    let v = ip.value
    return (["0a", "58"] + [24, 16, 8, 0].map { s -> String in let x = String((v >> UInt32(s)) & 0xff, radix: 16); return x.count == 1 ? "0" + x : x }).joined(separator: ":")
}

/// flanneld's view of the other nodes: subnet, VTEP MAC and underlay address of each.
public final class RemoteTable {
    public let entries: [(cidr: CIDR, node: String, mac: String, underlay: IPv4Address, segment: Int)]
    let byNetwork: [UInt32: Int]
    init(_ entries: [(cidr: CIDR, node: String, mac: String, underlay: IPv4Address, segment: Int)]) {
        self.entries = entries.sorted { $0.cidr.network.value < $1.cidr.network.value }
        var d: [UInt32: Int] = [:]
        for (i, e) in self.entries.enumerated() { d[e.cidr.network.value] = i }
        byNetwork = d
    }
    func entry(for ip: IPv4Address) -> (cidr: CIDR, node: String, mac: String, underlay: IPv4Address, segment: Int)? {
        // Node subnets are /24s of the cluster CIDR.
        byNetwork[ip.value & 0xffff_ff00].map { entries[$0] }
    }
}

/// A pod's network interface as a compact record; its namespace is built when asked.
struct PodNIC {
    let ip: IPv4Address
    let cidr: CIDR
    let clusterCIDR: CIDR
    let mtu: Int
    let veth: String
    let hostIndex: Int
    let pod: String
    let namespace: String
    /// Wired by Calico: a /32 on eth0 and a default route to the link-local 169.254.1.1,
    /// which the host end answers by proxy ARP.
    var calico = false
    /// Wired by Weave: the whole range on-link, the default route via the weave bridge.
    var weave = false
    var gateway: IPv4Address?
    /// The pod namespace's socket table: what its processes listen on, which the runtime
    /// binds and closes (PodNetwork.bindSockets). A connection arriving here is answered
    /// only by one of these.
    var sockets: [ListeningSocket] = []

    var namespaceView: NetNamespace {
        let ns = NetNamespace(name: "cni")
        ns.add("lo", .loopback, mtu: 65536, mac: "00:00:00:00:00:00", addrs: [CIDR(address: IPv4Address(127, 0, 0, 1), prefixLength: 8)])
        if calico {
            let eth0 = ns.add("eth0", .veth, mtu: mtu, mac: macFor(pod + "/" + namespace + "/eth0"), addrs: [CIDR(address: ip, prefixLength: 32)])
            eth0.peerName = veth
            eth0.peerIndex = hostIndex
            let gw = PodNetwork.calicoGateway
            ns.routes = [RouteEntry(dst: CIDR(address: IPv4Address(0), prefixLength: 0), via: gw, dev: "eth0"),
                         RouteEntry(dst: CIDR(address: gw, prefixLength: 32), dev: "eth0", scopeLink: true)]
            return ns
        }
        let eth0 = ns.add("eth0", .veth, mtu: mtu, mac: podMAC(ip), addrs: [CIDR(address: ip, prefixLength: cidr.prefixLength)])
        eth0.peerName = veth
        eth0.peerIndex = hostIndex
        if weave, let gw = gateway {
            ns.routes = [RouteEntry(dst: CIDR(address: IPv4Address(0), prefixLength: 0), via: gw, dev: "eth0"),
                         RouteEntry(dst: CIDR(address: cidr.network, prefixLength: cidr.prefixLength), dev: "eth0", src: ip, kernel: true)]
            return ns
        }
        let gw = IPv4Address(cidr.network.value + 1)
        ns.routes = [RouteEntry(dst: CIDR(address: IPv4Address(0), prefixLength: 0), via: gw, dev: "eth0"),
                     RouteEntry(dst: clusterCIDR, via: gw, dev: "eth0"),
                     RouteEntry(dst: cidr, dev: "eth0", src: ip, kernel: true)]
        return ns
    }
}

/// One node's network: its host namespace, underlay address and L2 segment.
public final class NodeNet {
    public let name: String
    public let host: NetNamespace
    public let underlay: IPv4Address
    public let segment: Int
    public var podCIDR: CIDR?
    public var up = true
    /// The remote table this node's flanneld last programmed, when it cannot follow
    /// changes (node down or cut off); nil: it follows the current one.
    var frozen: RemoteTable?
    /// Pod interfaces by pod IP.
    var pods: [UInt32: PodNIC] = [:]
    /// The NetworkPolicies the node's policy agent last programmed (Felix, weave-npc).
    public internal(set) var enforcedPolicies: [EnforcedPolicy] = []
    /// The ipsets weave-npc made for those policies.
    var policySets: Set<String> = []
    /// Whether a pod's interface (CNI ADD done) has the address.
    public func hasPod(at ip: IPv4Address) -> Bool { pods[ip.value] != nil }
    /// Every pod address wired on the node.
    public var podAddresses: [IPv4Address] { pods.keys.sorted().map(IPv4Address.init) }
    var nextHostIndex = 5
    public var podCount: Int { pods.count }
    /// Calico's tunnel address (tunl0 or vxlan.calico), from the node's first block.
    public var tunnelAddress: IPv4Address?
    /// When the node joined (its BGP sessions came up) and when it went down.
    public var joinedAt: Int64 = 0
    public var downSince: Int64?
    var calico = false
    /// What listens in the node's own namespace (sshd, the kubelet, the plugin's daemons):
    /// a connection that arrives here is answered only by one of these.
    public var sockets: [ListeningSocket] = [
        ListeningSocket(.anyIPv4, 22, backlog: 128, process: "sshd", pid: 612, fd: 3),
        ListeningSocket(.address(IPv4Address(127, 0, 0, 1)), 10248, backlog: 4096, process: "kubelet", pid: 1042, fd: 16),
        ListeningSocket(.dualStack, 10250, backlog: 4096, process: "kubelet", pid: 1042, fd: 20),
    ]
    /// Not a cluster node: a client machine on the node network (`ssh external …`), with no
    /// kubelet, CNI plugin or kube-proxy.
    public internal(set) var external = false
    /// kube-proxy's userspace-mode proxies on this node, by the port each listens on.
    public var portals: [Int: UserspacePortal] = [:]
    /// The node's netfilter: iptables tables, ipsets and conntrack, written by the CNI
    /// plugin's agent (and kube-proxy, and a learner's `iptables`), walked by packets.
    public let netfilter = Netfilter()
    /// The node's IPVS table (KubeSimNet/IPVS): virtual services, real servers and the IPVS
    /// connection table, written by kube-proxy's IPVS proxier and `ipvsadm`.
    public let ipvs = IPVS()
    /// Weave: the weave bridge's address (`weave expose`) and the peer's short ID.
    var weave = false
    public var bridgeAddress: IPv4Address?
    var shortID = 0
    init(name: String, underlay: IPv4Address, prefix: Int, segment: Int) {
        self.name = name
        self.underlay = underlay
        self.segment = segment
        host = NetNamespace(name: name)
        host.add("lo", .loopback, mtu: 65536, mac: "00:00:00:00:00:00", addrs: [CIDR(parsing: "127.0.0.1/8")!])
        let net = CIDR(address: underlay, prefixLength: prefix)
        host.add("eth0", .ether, mtu: 1500, mac: macFor(name + "/eth0"), addrs: [net])
        let gw = IPv4Address(net.network.value | 1)
        host.routes = [RouteEntry(dst: CIDR(parsing: "0.0.0.0/0")!, via: gw, dev: "eth0"),
                       RouteEntry(dst: CIDR(address: net.network, prefixLength: prefix), dev: "eth0", src: underlay, kernel: true)]
        host.generatedDevices = { [unowned self] in
            self.pods.values.sorted { $0.hostIndex < $1.hostIndex }.map { nic in
                // Calico's host ends all have the MAC ee:ee:ee:ee:ee:ee and no bridge.
                let d = NetDevice(name: nic.veth, kind: .veth, mtu: nic.mtu, mac: nic.calico ? "ee:ee:ee:ee:ee:ee" : macFor(name + "/" + nic.veth), addrs: [], index: nic.hostIndex)
                d.master = nic.calico ? nil : (nic.weave ? "weave" : "cni0"); d.peerName = "eth0"; d.peerIndex = 2
                return d
            }
        }
    }
}

/// The cluster's pod network with the flannel VXLAN backend: flanneld on every node
/// programs a route, a neighbour and an FDB entry per remote node from the Node
/// objects' podCIDRs; the flannel CNI plugin (delegating to bridge + host-local) wires
/// each pod with a veth pair into cni0.
public final class PodNetwork {
    public private(set) var nodes: [String: NodeNet] = [:]
    /// The kubelet pod worker behind each pod address (the server a packet reaches).
    var workers: [UInt32: Weak<AnyObject>] = [:]
    /// Packet captures (`tcpdump`), the wire's clock and ephemeral ports (PacketCapture.swift).
    public let wire = Wire()
    public static let vni = 1
    public static let vxlanPort = 8472
    /// flannel's backends: VXLAN (flannel.1, MTU 1450) or host-gw (plain routes to each
    /// peer's underlay address; needs every node on one L2 segment; MTU 1500).
    public enum Backend: String, Sendable { case vxlan, hostGW = "host-gw" }
    public var backend = Backend.vxlan
    /// The cluster DNS pods' resolv.conf points at (CoreDNS, served from the API's Services).
    public var dns: (any ClusterNameResolver)?
    /// The CNI plugin the cluster runs (`cluster cni=flannel|calico`).
    public enum Plugin: String, Sendable { case flannel, calico, weave }
    public var plugin = Plugin.flannel
    /// Calico's IP pool settings (Calico.swift).
    public var calicoMode = CalicoMode()
    let ipam = CalicoIPAM()
    var calicoSnapshot: CalicoTable?
    /// Weave Net: its IPAM ring, the peers in joining order, and whether fastdp encrypts.
    let weaveIPAM = WeaveIPAM()
    var weaveOrder: [String] = []
    public var weaveEncrypted = false
    /// The simulated clock's time, for BGP session ages.
    public var now: () -> Int64 = { 0 }
    /// The cluster's seeded source (netfilter's `-m statistic --mode random`).
    public var random: () -> UInt32 = { 0 }
    public var mtu: Int {
        if plugin == .calico { return calicoMode.mtu }
        if plugin == .weave { return Self.weaveMTU }
        return backend == .vxlan ? 1450 : 1500
    }
    /// flannel's Network (the cluster CIDR): 10.244.0.0/16 by default; clusters of more
    /// than 256 nodes need a bigger one (`cluster pod-cidr=10.128.0.0/9`).
    public var clusterCIDR = CIDR(parsing: "10.244.0.0/16")!

    public init() {}

    public func node(_ name: String) -> NodeNet? { nodes[name] }
    /// The nodes' names, sorted.
    public var nodeNames: [String] { nodes.keys.sorted() }

    /// A node joins (the flannel DaemonSet's pod starts on it).
    var underlayIndex: [UInt32: String] = [:]

    public func addNode(_ name: String, underlay: IPv4Address, prefix: Int = 24, segment: Int = 1) {
        let n = NodeNet(name: name, underlay: underlay, prefix: prefix, segment: segment)
        n.joinedAt = now()
        nodes[name] = n
        underlayIndex[underlay.value] = name
        calicoSnapshot = nil
        attachKernel(n)
        if plugin == .calico {
            calicoJoin(n); felixStaticRules(n)
            // calico-node's daemons: bird's BGP listener, Felix's health port.
            if calicoMode.runsBird { n.sockets.append(ListeningSocket(.anyIPv4, 179, backlog: 8, process: "bird", pid: 301, fd: 7)) }
            n.sockets.append(ListeningSocket(.address(IPv4Address(127, 0, 0, 1)), 9099, backlog: 4096, process: "calico-node", pid: 287, fd: 9))
        }
        if plugin == .weave {
            weaveJoin(n); weaveRules(n)
            // weaver's mesh port and control port, weave-npc's metrics.
            n.sockets += [ListeningSocket(.dualStack, Self.weavePort, backlog: 4096, process: "weaver", pid: 2218, fd: 9),
                          ListeningSocket(.address(IPv4Address(127, 0, 0, 1)), Self.weaveFastdpPort, backlog: 4096, process: "weaver", pid: 2218, fd: 12),
                          ListeningSocket(.dualStack, 6781, backlog: 4096, process: "weave-npc", pid: 2310, fd: 7)]
        }
    }

    /// A machine on the node network that is not part of the cluster: its eth0 on the
    /// node network, the gateway as default route, and `routes` besides (the load-balancer
    /// pool's route to the node announcing it). No CNI agent ever programs it.
    @discardableResult
    public func addExternalHost(_ name: String, underlay: IPv4Address, prefix: Int, segment: Int, routes: [RouteEntry]) -> NodeNet {
        if let n = nodes[name] { return n }
        let n = NodeNet(name: name, underlay: underlay, prefix: prefix, segment: segment)
        n.external = true
        n.joinedAt = now()
        n.host.routes += routes
        nodes[name] = n
        underlayIndex[underlay.value] = name
        attachKernel(n)
        return n
    }

    /// The remote table as flanneld on an up-to-date node has it (rebuilt after changes).
    private var currentTable: RemoteTable?
    var current: RemoteTable {
        if let t = currentTable { return t }
        let t = RemoteTable(nodes.values.compactMap { n in
            n.podCIDR.map { (cidr: $0, node: n.name, mac: n.host.device("flannel.1")?.mac ?? "", underlay: n.underlay, segment: n.segment) }
        })
        currentTable = t
        return t
    }

    /// flanneld saw the node's podCIDR: its flannel.1 exists, and every node that follows
    /// the API learns the new subnet (one shared table).
    public func setPodCIDR(_ name: String, _ cidr: CIDR) {
        // Calico ignores the Node's podCIDR: its own IPAM hands out blocks.
        guard plugin == .flannel, let n = nodes[name], n.podCIDR == nil else { return }
        n.podCIDR = cidr
        if backend == .vxlan {
            n.host.add("flannel.1", .vxlan(vni: Self.vni, port: Self.vxlanPort), mtu: mtu, mac: macFor(name + "/flannel.1"),
                       addrs: [CIDR(address: cidr.network, prefixLength: 32)])
        }
        n.host.remote = { [unowned self, unowned n] in (n.frozen ?? self.current, n.podCIDR) }
        n.host.backend = backend
        n.host.segment = n.segment
        currentTable = nil
        flannelRules(n, lease: cidr)
    }

    /// A node whose flanneld cannot follow the API keeps the table it had.
    public func freeze(_ name: String) { if let n = nodes[name], n.frozen == nil { n.frozen = current } }
    public func thaw(_ name: String) { nodes[name]?.frozen = nil }

    public func removeNode(_ name: String) {
        if let n = nodes.removeValue(forKey: name) { underlayIndex.removeValue(forKey: n.underlay.value) }
        currentTable = nil
        calicoSnapshot = nil
    }

    /// The kubelet attaches a pod's worker to its address once the sandbox has it.
    public func attach(worker: any PodServer, ip: IPv4Address) { workers[ip.value] = Weak(worker) }
    /// The pod behind an address: its worker, whose processes hold the sockets of its table.
    public func worker(at ip: IPv4Address) -> (any PodServer)? { workers[ip.value]?.value as? any PodServer }

    /// The runtime writes a pod namespace's socket table as its processes bind and exit.
    public func bindSockets(_ sockets: [ListeningSocket], at ip: IPv4Address) {
        guard let n = owner(of: ip), n.pods[ip.value] != nil else { return }
        n.pods[ip.value]!.sockets = sockets
    }

    /// A pod namespace's socket table (nil: no pod has the address).
    public func podSockets(at ip: IPv4Address) -> [ListeningSocket]? { podNIC(at: ip)?.1.sockets }

    /// CNI ADD: the pod's eth0 with the address from host-local, a veth pair whose host
    /// end joins cni0 (made with the first pod), and the pod's routes.
    public func cniAdd(node: String, veth: String, pod: String, namespace: String, ip: IPv4Address) {
        if plugin == .calico { return calicoAdd(node: node, pod: pod, namespace: namespace, ip: ip) }
        if plugin == .weave { return weaveAdd(node: node, veth: veth, pod: pod, namespace: namespace, ip: ip) }
        guard let n = nodes[node], let cidr = n.podCIDR else { return }
        let gw = IPv4Address(cidr.network.value + 1)
        if n.host.device("cni0") == nil {
            n.host.add("cni0", .bridge, mtu: mtu, mac: macFor(node + "/cni0"), addrs: [CIDR(address: gw, prefixLength: cidr.prefixLength)])
            n.host.routes.append(RouteEntry(dst: cidr, dev: "cni0", src: gw, kernel: true))
            n.nextHostIndex = n.host.nextIndex
        }
        n.pods[ip.value] = PodNIC(ip: ip, cidr: cidr, clusterCIDR: clusterCIDR, mtu: mtu, veth: veth, hostIndex: n.nextHostIndex, pod: pod, namespace: namespace)
        n.nextHostIndex += 1
    }

    /// CNI DEL: the veth pair and the pod's namespace go.
    public func cniDel(node: String, ip: IPv4Address) {
        workers.removeValue(forKey: ip.value)
        let nic = nodes[node]?.pods.removeValue(forKey: ip.value)
        if let nic, let n = nodes[node] {
            if nic.calico { felixRemoveWorkload(n, veth: nic.veth) }
            if nic.weave { weaveNPCRemove(n, namespace: nic.namespace, ip: ip) }
        }
        if plugin == .calico { ipam.release(ip) }
        if plugin == .weave { weaveIPAM.release(ip) }
    }

    /// The node and pod namespace an address belongs to.
    public func pod(at ip: IPv4Address) -> (node: NodeNet, ns: NetNamespace, pod: String, namespace: String)? {
        guard let (n, p) = podNIC(at: ip) else { return nil }
        return (n, p.namespaceView, p.pod, p.namespace)
    }

    /// The node whose pod range holds an address: its flannel subnet, or its Calico block.
    func owner(of ip: IPv4Address) -> NodeNet? {
        guard clusterCIDR.contains(ip) else { return nil }
        if plugin == .calico { return ipam.block(of: ip).flatMap { nodes[$0.node] } }
        if plugin == .weave { return weaveIPAM.owner(of: ip).flatMap { nodes[$0] } }
        return current.entry(for: ip).flatMap { nodes[$0.node] }
    }

    func podNIC(at ip: IPv4Address) -> (NodeNet, PodNIC)? {
        guard let n = owner(of: ip), let p = n.pods[ip.value] else { return nil }
        return (n, p)
    }

    /// The machine with an underlay address.
    func node(withUnderlay ip: IPv4Address) -> NodeNet? {
        if let name = underlayIndex[ip.value], let n = nodes[name] { return n }
        return nil
    }

    func nic(at ip: IPv4Address, on n: NodeNet) -> PodNIC? { n.pods[ip.value] }

    /// `/etc/cni/net.d/10-flannel.conflist` as the flannel DaemonSet installs it.
    public static let conflist = """
        {
          "name": "cbr0",
          "cniVersion": "0.3.1",
          "plugins": [
            {
              "type": "flannel",
              "delegate": {
                "hairpinMode": true,
                "isDefaultGateway": true
              }
            },
            {
              "type": "portmap",
              "capabilities": {
                "portMappings": true
              }
            }
          ]
        }
        """
}

/// What the datapath needs of the pod behind an address (the kubelet's pod worker).
/// The runtime's side of a pod namespace: the processes holding its sockets, which
/// serve what a connection asks once the namespace's socket table has accepted it.
public protocol PodServer: AnyObject {}

/// The cluster DNS as pods' resolvers ask it (CoreDNS: Services, headless endpoints, pods).
public protocol ClusterNameResolver: AnyObject {
    func resolve(_ name: String, namespace: String) -> (name: String, addresses: [String])?
}

final class Weak<T: AnyObject> {
    weak var value: T?
    init(_ v: T) { value = v }
}
