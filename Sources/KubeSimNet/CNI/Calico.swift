import KubeSimCore

// Calico as a pod network: calico-ipam hands each node /26 blocks of the pool, the CNI
// plugin wires every pod with a `cali…` veth and a /32 host route (no bridge; the host
// answers the pod's gateway 169.254.1.1 by proxy ARP), bird's BGP full mesh tells every
// node each block's node, and Felix programs the routes: plain (no encapsulation),
// through tunl0 (IPIP) or through vxlan.calico (VXLAN), Always or only across subnets.

/// The IP pool's encapsulation (IPPool spec.ipipMode / spec.vxlanMode).
public struct CalicoMode: Sendable, Equatable {
    public enum Encapsulation: String, Sendable { case none, ipip, vxlan }
    public var encapsulation = Encapsulation.none
    /// `CrossSubnet`: encapsulate only to nodes in another subnet (L2 segment).
    public var crossSubnet = false
    public init(encapsulation: Encapsulation = .none, crossSubnet: Bool = false) {
        self.encapsulation = encapsulation; self.crossSubnet = crossSubnet
    }

    /// `cluster calico-mode=…`: bgp, ipip, ipip-crosssubnet, vxlan, vxlan-crosssubnet.
    public init?(parsing s: String) {
        switch s.lowercased() {
        case "bgp", "none": self.init()
        case "ipip", "ipip-always": self.init(encapsulation: .ipip)
        case "ipip-crosssubnet": self.init(encapsulation: .ipip, crossSubnet: true)
        case "vxlan", "vxlan-always": self.init(encapsulation: .vxlan)
        case "vxlan-crosssubnet": self.init(encapsulation: .vxlan, crossSubnet: true)
        default: return nil
        }
    }

    /// Felix's MTU for the pods' interfaces: the underlay's 1500 less the encapsulation.
    public var mtu: Int {
        switch encapsulation {
        case .none: return 1500
        case .ipip: return 1480
        case .vxlan: return 1450
        }
    }
    public var tunnelDevice: String? {
        switch encapsulation {
        case .none: return nil
        case .ipip: return "tunl0"
        case .vxlan: return "vxlan.calico"
        }
    }
    public static let vni = 4096
    public static let vxlanPort = 4789
    /// VXLAN pools run without BGP (calico_backend: vxlan): Felix programs every route
    /// from the datastore and bird does not run. IPIP and plain routing need bird.
    public var runsBird: Bool { encapsulation != .vxlan }
    /// Who programs the routes to other nodes' blocks and the blackholes for a node's own.
    var routeOrigin: RouteEntry.Origin { runsBird ? .bird : .felix }
    /// bird's defaults, which Calico's bird.cfg template leaves alone: hold time 240 s,
    /// keepalives every third of it (BIRD 1.6 doc, "hold time", "keepalive time").
    public static let bgpHoldTime: Int64 = 240_000_000_000
    public static let bgpKeepaliveTime: Int64 = 80_000_000_000
}

/// calico-ipam: /26 blocks of the pool, each affine to one node, claimed when a node needs
/// addresses. A node looks for an unclaimed block starting at a point chosen by its
/// hostname (libcalico-go ipam randomBlockGenerator, seeded by the hostname), then takes
/// the first free address of its blocks.
final class CalicoIPAM {
    static let blockPrefix = 26
    static let blockMask: UInt32 = 0xffff_ffc0
    struct Block {
        let cidr: CIDR
        let node: String
        var used: UInt64 = 0
    }
    var pool = CIDR(parsing: "10.244.0.0/16")!
    private(set) var blocks: [UInt32: Block] = [:]
    private(set) var nodeBlocks: [String: [UInt32]] = [:]
    /// Bumped when a block is claimed (the routes to blocks change).
    private(set) var version = 0

    func block(of ip: IPv4Address) -> Block? { blocks[ip.value & Self.blockMask] }
    func blocks(of node: String) -> [Block] { (nodeBlocks[node] ?? []).compactMap { blocks[$0] } }

    /// A new block for the node, or nil when the pool has none left.
    func claim(_ node: String) -> UInt32? {
        let count = UInt32(1) << UInt32(Self.blockPrefix - pool.prefixLength)
        var h: UInt64 = 0xcbf29ce484222325
        for b in node.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        let start = UInt32(h % UInt64(count))
        for i in 0..<count {
            let key = pool.network.value + ((start + i) % count) << 6
            if blocks[key] == nil {
                blocks[key] = Block(cidr: CIDR(address: IPv4Address(key), prefixLength: Self.blockPrefix), node: node)
                nodeBlocks[node, default: []].append(key)
                version += 1
                return key
            }
        }
        return nil
    }

    /// The first free address of the node's blocks (claiming a block when all are full).
    func allocate(_ node: String) -> IPv4Address? {
        for key in nodeBlocks[node] ?? [] {
            guard let b = blocks[key], b.used != .max else { continue }
            let bit = (~b.used).trailingZeroBitCount
            blocks[key]!.used |= 1 << UInt64(bit)
            return IPv4Address(key + UInt32(bit))
        }
        guard let key = claim(node) else { return nil }
        blocks[key]!.used = 1
        return IPv4Address(key)
    }

    func release(_ ip: IPv4Address) {
        let key = ip.value & Self.blockMask
        blocks[key]?.used &= ~(1 << UInt64(ip.value - key))
    }
}

extension PodNetwork {
    /// The pods' default gateway: a link-local address the host end answers by proxy ARP.
    public static let calicoGateway = IPv4Address(169, 254, 1, 1)

    /// calico-node starts on a node: with encapsulation, its tunnel device and address (the
    /// first address of the node's first block), and the node's routes as Felix and bird
    /// program them.
    func calicoJoin(_ n: NodeNet) {
        n.calico = true
        ipam.pool = clusterCIDR
        if let dev = calicoMode.tunnelDevice, let addr = ipam.allocate(n.name) {
            n.tunnelAddress = addr
            if calicoMode.encapsulation == .ipip {
                n.host.add(dev, .ipip, mtu: calicoMode.mtu, mac: "", addrs: [CIDR(address: addr, prefixLength: 32)])
            } else {
                n.host.add(dev, .vxlan(vni: CalicoMode.vni, port: CalicoMode.vxlanPort), mtu: calicoMode.mtu, mac: macFor(n.name + "/vxlan.calico"),
                           addrs: [CIDR(address: addr, prefixLength: 32)])
            }
        }
        n.host.pluginRoute = { [unowned self, unowned n] ip in self.calicoRoute(on: n, to: ip) }
        n.host.pluginRoutes = { [unowned self, unowned n] in self.calicoRoutes(on: n) }
        if calicoMode.encapsulation == .vxlan {
            // Felix: an ARP entry and an FDB entry per remote VTEP.
            n.host.pluginNeighbours = { [unowned self, unowned n] in
                self.calicoPeers(of: n).compactMap { p in p.tunnelAddress.map { ($0, "vxlan.calico", p.host.device("vxlan.calico")?.mac ?? "") } }
            }
            n.host.pluginFDB = { [unowned self, unowned n] in
                self.calicoPeers(of: n).compactMap { p in p.host.device("vxlan.calico").map { ($0.mac, "vxlan.calico", p.underlay) } }
            }
        } else {
            n.host.pluginNeighbours = { [] }
            n.host.pluginFDB = { [] }
        }
    }

    func calicoPeers(of n: NodeNet) -> [NodeNet] {
        calicoTable.peers.filter { $0 !== n }
    }

    /// What bird learns over the full mesh: every node (by underlay address) and every
    /// node's blocks. One shared snapshot, rebuilt when a node joins or leaves or a block
    /// is claimed; each node's routes are read from it.
    final class CalicoTable {
        let peers: [NodeNet]
        let blocks: [(block: CalicoIPAM.Block, node: NodeNet)]
        let version: Int
        init(peers: [NodeNet], blocks: [(block: CalicoIPAM.Block, node: NodeNet)], version: Int) {
            self.peers = peers
            self.blocks = blocks
            self.version = version
        }
    }

    var calicoTable: CalicoTable {
        if let t = calicoSnapshot, t.version == ipam.version { return t }
        let peers = nodes.values.filter { !$0.external }.sorted { $0.underlay.value < $1.underlay.value }
        // In `ip route`'s order (by destination), so that a node's table needs little sorting.
        let blocks = peers.flatMap { p in ipam.blocks(of: p.name).map { (block: $0, node: p) } }.sorted { $0.block.cidr.network.value < $1.block.cidr.network.value }
        let t = CalicoTable(peers: peers, blocks: blocks, version: ipam.version)
        calicoSnapshot = t
        return t
    }

    /// calico-ipam for a pod on the node.
    public func calicoAllocate(node: String) -> IPv4Address? { ipam.allocate(node) }

    /// CNI ADD (the calico plugin): a veth named `cali` + 11 hex digits of the SHA-1 of
    /// `<namespace>.<pod>` (libcalico-go VethNameForWorkload), the pod's /32 on eth0.
    func calicoAdd(node: String, pod: String, namespace: String, ip: IPv4Address) {
        guard let n = nodes[node] else { return }
        let veth = "cali" + String(Digests.sha1Hex(Array("\(namespace).\(pod)".utf8)).prefix(11))
        var nic = PodNIC(ip: ip, cidr: CIDR(address: ip, prefixLength: 32), clusterCIDR: clusterCIDR, mtu: mtu, veth: veth,
                         hostIndex: n.nextHostIndex, pod: pod, namespace: namespace)
        nic.calico = true
        n.pods[ip.value] = nic
        n.nextHostIndex += 1
        felixWorkload(n, nic)
    }

    /// Whether traffic from `a` to `b` is encapsulated (Always, or CrossSubnet between
    /// nodes of different subnets).
    func calicoEncapsulates(_ a: NodeNet, _ b: NodeNet) -> Bool {
        calicoMode.encapsulation != .none && (!calicoMode.crossSubnet || a.segment != b.segment)
    }

    /// When node `n`'s bird gave up its BGP session with `peer`, a machine that stopped:
    /// nothing tells bird at once (no TCP reset from a machine that is off), so the session
    /// lasts until the hold timer runs out — 240 s after the last keepalive `peer` sent
    /// (one every 80 s since the session came up). bird then sends a Notification and
    /// withdraws the peer's routes (no graceful restart on hold-timer expiry:
    /// bird proto/bgp/bgp.c, bgp_hold_timeout → bgp_error). nil while the session is up.
    func bgpSessionDown(on n: NodeNet, with peer: NodeNet) -> Int64? {
        guard let stopped = peer.downSince else { return nil }
        let established = max(n.joinedAt, peer.joinedAt)
        let lastKeepalive = established + max(0, stopped - established) / CalicoMode.bgpKeepaliveTime * CalicoMode.bgpKeepaliveTime
        let expiry = lastKeepalive + CalicoMode.bgpHoldTime
        return now() >= expiry ? expiry : nil
    }

    /// The route to another node's block, as bird (BGP, IPIP) or Felix (VXLAN) programs it;
    /// nil when none can be installed (a plain BGP route to a peer in another subnet: its
    /// address is not on-link) or bird has withdrawn it (the BGP session with a stopped
    /// peer timed out; Felix's VXLAN routes come from the datastore and stay).
    func calicoBlockRoute(on n: NodeNet, _ b: CalicoIPAM.Block) -> RouteEntry? {
        guard let peer = nodes[b.node] else { return nil }
        return calicoBlockRoute(on: n, b, of: peer)
    }

    func calicoBlockRoute(on n: NodeNet, _ b: CalicoIPAM.Block, of peer: NodeNet) -> RouteEntry? {
        if calicoMode.runsBird, peer.downSince != nil, bgpSessionDown(on: n, with: peer) != nil { return nil }
        if calicoEncapsulates(n, peer) {
            if calicoMode.encapsulation == .ipip {
                return RouteEntry(dst: b.cidr, via: peer.underlay, dev: "tunl0", onlink: true, proto: .bird)
            }
            guard let vtep = peer.tunnelAddress else { return nil }
            return RouteEntry(dst: b.cidr, via: vtep, dev: "vxlan.calico", onlink: true, proto: .felix)
        }
        guard peer.segment == n.segment else { return nil }
        return RouteEntry(dst: b.cidr, via: peer.underlay, dev: "eth0", proto: calicoMode.routeOrigin)
    }

    func calicoRoute(on n: NodeNet, to ip: IPv4Address) -> RouteEntry? {
        guard let b = ipam.block(of: ip) else { return nil }
        if b.node == n.name {
            if let nic = n.pods[ip.value] { return RouteEntry(dst: CIDR(address: ip, prefixLength: 32), dev: nic.veth, scopeLink: true) }
            return RouteEntry(dst: b.cidr, dev: "blackhole", proto: calicoMode.routeOrigin, blackhole: true)
        }
        return calicoBlockRoute(on: n, b)
    }

    /// `ip route`: a /32 per local pod, a blackhole per own block, a route per other block.
    func calicoRoutes(on n: NodeNet) -> [RouteEntry] {
        var out = n.pods.values.sorted { $0.ip.value < $1.ip.value }.map {
            RouteEntry(dst: CIDR(address: $0.ip, prefixLength: 32), dev: $0.veth, scopeLink: true)
        }
        for b in ipam.blocks(of: n.name) { out.append(RouteEntry(dst: b.cidr, dev: "blackhole", proto: calicoMode.routeOrigin, blackhole: true)) }
        for (b, p) in calicoTable.blocks where p !== n {
            if let r = calicoBlockRoute(on: n, b, of: p) { out.append(r) }
        }
        return out
    }

    /// `calicoctl node status`: bird's BGP sessions with every other node (full mesh).
    public func calicoNodeStatus(_ name: String) -> String? {
        guard plugin == .calico, let n = nodes[name], n.up else { return nil }
        func clock(_ ns: Int64) -> String {
            let s = ns / 1_000_000_000 % 86_400
            func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
            return "\(two(s / 3600)):\(two(s / 60 % 60)):\(two(s % 60))"
        }
        // calicoctl/commands/node/status.go: without a bird process (VXLAN), no peer table.
        guard calicoMode.runsBird else { return "Calico process is running.\n\nNone of the BGP backend processes (BIRD or GoBGP) are running.\n\n" }
        let rows = calicoPeers(of: n).map { p -> [String] in
            // Until the hold timer runs out, bird still counts a stopped peer's session as up.
            if let down = bgpSessionDown(on: n, with: p) {
                return [p.underlay.description, "node-to-node mesh", "start", clock(down), "Active BGP Error: Hold timer expired"]
            }
            return [p.underlay.description, "node-to-node mesh", "up", clock(max(n.joinedAt, p.joinedAt)), "Established"]
        }
        var out = "Calico process is running.\n\nIPv4 BGP status\n"
        if rows.isEmpty {
            out += "No IPv4 peers found.\n"
        } else {
            let header = ["PEER ADDRESS", "PEER TYPE", "STATE", "SINCE", "INFO"]
            var widths = header.map(\.count)
            for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
            let rule = "+" + widths.map { String(repeating: "-", count: $0 + 2) + "+" }.joined()
            func centred(_ s: String, _ w: Int) -> String {
                let left = (w - s.count) / 2
                return String(repeating: " ", count: left) + s + String(repeating: " ", count: w - s.count - left)
            }
            out += rule + "\n|" + header.enumerated().map { " " + centred($0.element, widths[$0.offset]) + " |" }.joined() + "\n" + rule + "\n"
            for r in rows {
                out += "|" + r.enumerated().map { " " + $0.element + String(repeating: " ", count: widths[$0.offset] - $0.element.count) + " |" }.joined() + "\n"
            }
            out += rule + "\n"
        }
        out += "\nIPv6 BGP status\nNo IPv6 peers found.\n"
        return out
    }

    /// `calicoctl ipam show --show-blocks`: the pool and every block with its use.
    public func calicoIPAMBlocks() -> String {
        var rows: [[String]] = [["GROUPING", "CIDR", "IPS TOTAL", "IPS IN USE", "IPS FREE"]]
        let used = ipam.blocks.values.reduce(0) { $0 + $1.used.nonzeroBitCount }
        let total = 1 << (32 - clusterCIDR.prefixLength)
        func pct(_ a: Int, _ t: Int) -> String { "\(a) (\(t == 0 ? 0 : (a * 100 + t / 2) / t)%)" }
        rows.append(["IP Pool", clusterCIDR.description, String(total), pct(used, total), pct(total - used, total)])
        for b in ipam.blocks.values.sorted(by: { $0.cidr.network.value < $1.cidr.network.value }) {
            let u = b.used.nonzeroBitCount
            rows.append(["Block", b.cidr.description, "64", pct(u, 64), pct(64 - u, 64)])
        }
        var widths = rows[0].map(\.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        let rule = "+" + widths.map { String(repeating: "-", count: $0 + 2) + "+" }.joined()
        var out = rule + "\n"
        for (i, r) in rows.enumerated() {
            out += "|" + r.enumerated().map { " " + $0.element + String(repeating: " ", count: widths[$0.offset] - $0.element.count) + " |" }.joined() + "\n"
            if i == 0 { out += rule + "\n" }
        }
        return out + rule
    }

    /// `/etc/cni/net.d/10-calico.conflist` as calico-node's install-cni writes it.
    public static func calicoConflist(node: String, mtu: Int) -> String {
        """
        {
          "name": "k8s-pod-network",
          "cniVersion": "0.3.1",
          "plugins": [
            {
              "type": "calico",
              "log_level": "info",
              "log_file_path": "/var/log/calico/cni/cni.log",
              "datastore_type": "kubernetes",
              "nodename": "\(node)",
              "mtu": \(mtu),
              "ipam": {
                  "type": "calico-ipam"
              },
              "policy": {
                  "type": "k8s"
              },
              "kubernetes": {
                  "kubeconfig": "/etc/cni/net.d/calico-kubeconfig"
              }
            },
            {
              "type": "portmap",
              "snat": true,
              "capabilities": {"portMappings": true}
            },
            {
              "type": "bandwidth",
              "capabilities": {"bandwidth": true}
            }
          ]
        }
        """
    }
}
