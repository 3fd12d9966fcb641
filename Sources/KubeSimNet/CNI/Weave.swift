import KubeSimCore

// Weave Net as a pod network: one flat L2 network (IPALLOC_RANGE, 10.32.0.0/12 by
// default) spanning every node. Each node's weave router joins a mesh of peers (TCP 6783);
// pods hang off the `weave` bridge by `vethwepl…` veths; a frame for a pod on another node
// leaves the bridge for the Open vSwitch `datapath`, whose fast datapath (fastdp) wraps it
// in VXLAN (UDP 6784) — in ESP too when the network is encrypted — to that pod's peer.
// No routing between pods: the whole range is on-link, TTLs do not change. weave-npc
// enforces NetworkPolicy in the WEAVE-NPC chains of FORWARD (the hook point here).

/// Weave's IPAM: the range is split among the peers. The first peer owns all of it; a peer
/// that joins asks for space and the peer with the largest free range donates its upper
/// half (weave ipam/ring.go, space donation). Each peer hands out its lowest free address,
/// never the range's network or broadcast address.
final class WeaveIPAM {
    var range = CIDR(parsing: "10.32.0.0/12")!
    /// Half-open [start, end) owned by a node, sorted by start.
    private(set) var entries: [(start: UInt32, end: UInt32, node: String)] = []
    private var used: [String: Set<UInt32>] = [:]
    private var cursor: [String: UInt32] = [:]

    func join(_ node: String) {
        guard !entries.contains(where: { $0.node == node }) else { return }
        if entries.isEmpty {
            entries = [(range.network.value, range.network.value &+ UInt32(1 << (32 - range.prefixLength)), node)]
            return
        }
        // The largest range whose upper half is free (ties: the lowest address).
        var best: Int?
        for (i, e) in entries.enumerated() where e.end - e.start >= 2 {
            let mid = e.start + (e.end - e.start) / 2
            if (used[e.node] ?? []).contains(where: { $0 >= mid && $0 < e.end }) { continue }
            if best == nil || e.end - e.start > entries[best!].end - entries[best!].start { best = i }
        }
        guard let i = best else { return }
        let e = entries[i]
        let mid = e.start + (e.end - e.start) / 2
        entries[i] = (e.start, mid, e.node)
        entries.insert((mid, e.end, node), at: i + 1)
    }

    func owner(of ip: IPv4Address) -> String? {
        var lo = 0, hi = entries.count
        while lo < hi {
            let m = (lo + hi) / 2
            if entries[m].end <= ip.value { lo = m + 1 } else { hi = m }
        }
        guard lo < entries.count, entries[lo].start <= ip.value else { return nil }
        return entries[lo].node
    }

    func ranges(of node: String) -> [(start: UInt32, end: UInt32)] {
        entries.filter { $0.node == node }.map { ($0.start, $0.end) }
    }

    func allocate(_ node: String) -> IPv4Address? {
        let network = range.network.value, broadcast = range.broadcast.value
        for r in ranges(of: node) {
            var a = max(r.start, cursor[node] ?? r.start)
            if a >= r.end { a = r.start }
            for _ in 0..<(r.end - r.start) {
                if a != network && a != broadcast && !(used[node]?.contains(a) ?? false) {
                    used[node, default: []].insert(a)
                    cursor[node] = a + 1
                    return IPv4Address(a)
                }
                a = a + 1 >= r.end ? r.start : a + 1
            }
        }
        return nil
    }

    func release(_ ip: IPv4Address) {
        guard let node = owner(of: ip) else { return }
        used[node]?.remove(ip.value)
        // The lowest free address comes first again (weave reuses freed space).
        if let c = cursor[node], ip.value < c { cursor[node] = ip.value }
    }

    func inUse(_ node: String) -> Int { used[node]?.count ?? 0 }
}

extension PodNetwork {
    public static let weavePort = 6783
    public static let weaveFastdpPort = 6784
    /// WEAVE_MTU's default, chosen to leave room for fastdp's VXLAN and for encryption.
    public static let weaveMTU = 1376
    /// Bytes ESP adds to an encrypted fastdp packet (ESP header, IV, trailer, ICV).
    public static let espOverhead = 36

    /// A node's weave router joins the mesh: it gets address space, and `weave expose` gives
    /// the bridge the first address of it.
    func weaveJoin(_ n: NodeNet) {
        n.weave = true
        weaveIPAM.range = clusterCIDR
        weaveIPAM.join(n.name)
        weaveOrder.append(n.name)
        n.shortID = weaveOrder.count
        let mtu = Self.weaveMTU
        n.host.add("datapath", .bridge, mtu: mtu, mac: macFor(n.name + "/datapath"), addrs: [])
        if let bridgeIP = weaveIPAM.allocate(n.name) {
            n.bridgeAddress = bridgeIP
            n.host.add("weave", .bridge, mtu: mtu, mac: macFor(n.name + "/weave"), addrs: [CIDR(address: bridgeIP, prefixLength: clusterCIDR.prefixLength)])
            n.host.routes.append(RouteEntry(dst: clusterCIDR, dev: "weave", src: bridgeIP, kernel: true))
        }
        let a = n.host.add("vethwe-datapath", .veth, mtu: mtu, mac: macFor(n.name + "/vethwe-datapath"), addrs: [])
        let b = n.host.add("vethwe-bridge", .veth, mtu: mtu, mac: macFor(n.name + "/vethwe-bridge"), addrs: [])
        a.master = "datapath"; a.peerName = b.name; a.peerIndex = b.index
        b.master = "weave"; b.peerName = a.name; b.peerIndex = a.index
        n.host.add("vxlan-6784", .vxlan(vni: 0, port: Self.weaveFastdpPort), mtu: 65535, mac: macFor(n.name + "/vxlan-6784"), addrs: []).master = "datapath"
        n.nextHostIndex = n.host.nextIndex
        n.host.pluginNeighbours = { [] }
        n.host.pluginFDB = { [] }
    }

    /// CNI ADD (weave-net): a `vethwepl…` veth into the weave bridge; the pod's eth0 has its
    /// address with the whole range's prefix, and a default route via the bridge.
    func weaveAdd(node: String, veth: String, pod: String, namespace: String, ip: IPv4Address) {
        guard let n = nodes[node], let gw = n.bridgeAddress else { return }
        var nic = PodNIC(ip: ip, cidr: CIDR(address: ip, prefixLength: clusterCIDR.prefixLength), clusterCIDR: clusterCIDR, mtu: Self.weaveMTU,
                         veth: "vethwepl" + String(veth.dropFirst(4).prefix(7)), hostIndex: n.nextHostIndex, pod: pod, namespace: namespace)
        nic.weave = true
        nic.gateway = gw
        n.pods[ip.value] = nic
        n.nextHostIndex += 1
        weaveNPCAdd(n, namespace: namespace, ip: ip)
    }

    public func weaveAllocate(node: String) -> IPv4Address? { weaveIPAM.allocate(node) }

    /// fastdp's VNI carries the sending and receiving peers' short IDs.
    func weaveVNI(_ from: NodeNet, _ to: NodeNet) -> Int { (from.shortID << 12) | to.shortID }

    /// A frame on the weave bridge for a pod on another peer: WEAVE-NPC in FORWARD (bridged),
    /// out through vethwe-bridge into the datapath, fastdp VXLAN (and ESP), onto eth0.
    /// `veth`: the sending pod's host end; nil when the node's own stack sends the packet
    /// (it has already been through OUTPUT and POSTROUTING, not bridged).
    func weaveSend(_ p: inout Packet, from n: NodeNet, to peer: NodeNet, veth: String?, trace t: inout Trace, bridged: Bool = true) {
        let node = n.name
        if let veth {
            tap(n, veth, .incoming, p, t)
            tap(n, "weave", .incoming, p, t, promiscuousOnly: true)
        }
        if bridged, let veth {
            var ct = CTPass()
            guard bridgedHooks(&p, &ct, at: n, bridge: "weave", from: veth, to: "vethwe-bridge", trace: &t) else { return }
        }
        t.hop(node, "weave", "bridge: \(p.dst) is not on this node → vethwe-bridge", p, .bridge)
        tap(n, "vethwe-bridge", .outgoing, p, t)
        tap(n, "vethwe-datapath", .incoming, p, t)
        t.hop(node, "datapath", "fastdp: the MAC of \(p.dst) was learned from peer \(peer.name)", p, .device)
        if p.size > Self.weaveMTU && p.df {
            t.droppedAt = "\(node) datapath"; t.reason = "packet of \(p.size) bytes exceeds the weave MTU \(Self.weaveMTU) with DF set"
            t.icmp = "frag needed and DF set (mtu \(Self.weaveMTU))"; t.icmpNode = node
            return
        }
        p.outer.append(Packet.VXLAN(src: n.underlay, dst: peer.underlay, sport: 32768 + Int((p.src.value &* 31 ^ p.dst.value) % 28232),
                                    vni: weaveVNI(n, peer), port: Self.weaveFastdpPort, weave: true, esp: weaveEncrypted))
        tap(n, "vxlan-6784", .outgoing, p, t)
        t.hop(node, "vxlan-6784", "encapsulate VXLAN VNI \(weaveVNI(n, peer)) (peers \(n.shortID)→\(peer.shortID)) to \(peer.underlay)"
              + (weaveEncrypted ? ", then ESP (IPsec, weave encryption)" : ""), p, .encapsulation)
        guard tunnelOut(&p, at: n, trace: &t) else { return }
        transmit(&p, from: n, to: peer.underlay, trace: &t, depth: 0)
    }

    /// The far peer: fastdp decapsulates into the datapath, the frame crosses to the weave
    /// bridge and on to the pod's veth. No routing.
    func weaveReceive(_ p: inout Packet, at n: NodeNet, trace t: inout Trace) {
        let node = n.name
        t.hop(node, "datapath", "fastdp: to vethwe-datapath", p, .device)
        tap(n, "vethwe-datapath", .outgoing, p, t)
        tap(n, "vethwe-bridge", .incoming, p, t)
        guard let dest = n.pods[p.dst.value] else {
            if n.bridgeAddress == p.dst {
                // The bridge's own address (weave expose): up into the node's stack.
                t.hop(node, "weave", "bridge: \(p.dst) is the bridge's own address → up into the host", p, .bridge)
                var ct = CTPass()
                guard netfilter(.prerouting, &p, &ct, at: n, in: "weave", physIn: "vethwe-bridge", trace: &t) else { return }
                deliverToHost(&p, &ct, at: n, dev: "weave", trace: &t)
                return
            }
            t.droppedAt = "\(node) weave"; t.reason = "no pod has \(p.dst) on \(node)"; return
        }
        // Into the weave bridge by vethwe-bridge, switched to the pod's veth (bridged hooks).
        var ct = CTPass()
        guard bridgedHooks(&p, &ct, at: n, bridge: "weave", from: "vethwe-bridge", to: dest.veth, trace: &t) else { return }
        deliver(p, to: dest, at: n, bridge: "weave", trace: &t)
    }

    /// Peer name as weave prints it: the router's MAC and its nickname (the hostname).
    func weavePeerName(_ n: NodeNet) -> String { "\(macFor(n.name + "/weave-peer"))(\(n.name))" }

    /// `weave status peers`: every peer and its connections to the others (the peer that
    /// joined later dialled the earlier ones).
    public func weaveStatusPeers(_ name: String) -> String? {
        guard plugin == .weave, let me = nodes[name], me.up else { return nil }
        let peers = weaveOrder.compactMap { nodes[$0] }
        var out: [String] = []
        for p in peers {
            out.append(weavePeerName(p))
            for q in peers where q !== p && q.up && p.up {
                let outbound = q.shortID < p.shortID
                let addr = outbound ? "\(q.underlay):\(Self.weavePort)" : "\(q.underlay):\(Self.ephemeralPort(q, p))"
                let left = "   \(outbound ? "->" : "<-") \(addr)"
                out.append(left + String(repeating: " ", count: max(1, 29 - left.count)) + weavePeerName(q) + String(repeating: " ", count: max(1, 40 - weavePeerName(q).count)) + "established")
            }
        }
        return out.joined(separator: "\n")
    }

    /// `weave status connections`: this peer's connections, fastdp and the MTU.
    public func weaveStatusConnections(_ name: String) -> String? {
        guard plugin == .weave, let me = nodes[name], me.up else { return nil }
        return weaveOrder.compactMap { nodes[$0] }.filter { $0 !== me }.map { q in
            let outbound = q.shortID < me.shortID
            let addr = outbound ? "\(q.underlay):\(Self.weavePort)" : "\(q.underlay):\(Self.ephemeralPort(q, me))"
            let left = "\(outbound ? "->" : "<-") \(addr)"
            guard q.up else { return left + String(repeating: " ", count: max(1, 25 - left.count)) + "failed      connect: connection refused, retry: 2s" }
            return left + String(repeating: " ", count: max(1, 25 - left.count)) + "established fastdp \(weavePeerName(q)) " + (weaveEncrypted ? "encrypted " : "") + "mtu=\(Self.weaveMTU)"
        }.joined(separator: "\n")
    }

    /// `weave status`: the router's summary.
    public func weaveStatus(_ name: String) -> String? {
        guard plugin == .weave, let me = nodes[name], me.up else { return nil }
        let peers = weaveOrder.compactMap { nodes[$0] }
        let others = peers.filter { $0 !== me }
        let established = others.filter(\.up).count
        let total = 1 << (32 - clusterCIDR.prefixLength)
        let owned = weaveIPAM.ranges(of: name).reduce(0) { $0 + Int($1.end - $1.start) }
        func pad(_ s: String) -> String { String(repeating: " ", count: max(0, 20 - s.count)) + s }
        return """

                Version: 2.8.1 (up to date; next check at 2026/01/01 06:00:00)

                Service: router
               Protocol: weave 1..2
                   Name: \(weavePeerName(me))
             Encryption: \(weaveEncrypted ? "enabled" : "disabled")
          PeerDiscovery: enabled
                Targets: \(others.count)
            Connections: \(others.count) (\(established) established\(others.count > established ? ", \(others.count - established) failed" : ""))
                  Peers: \(peers.count) (with \(peers.count * (peers.count - 1)) established connections)
         TrustedSubnets: none

                Service: ipam
                 Status: ready
                  Range: \(clusterCIDR)
          DefaultSubnet: \(clusterCIDR)
                  Owned: \(owned) of \(total) addresses (\(owned * 100 / max(1, total))%), \(weaveIPAM.inUse(name)) in use
        """
    }

    static func ephemeralPort(_ a: NodeNet, _ b: NodeNet) -> Int {
        32768 + Int((a.underlay.value &* 2654435761 ^ b.underlay.value) % 28232)
    }

    /// `/etc/cni/net.d/10-weave.conflist` as weave-kube installs it.
    public static let weaveConflist = """
        {
            "cniVersion": "0.3.0",
            "name": "weave",
            "plugins": [
                {
                    "name": "weave",
                    "type": "weave-net",
                    "hairpinMode": true
                },
                {
                    "type": "portmap",
                    "capabilities": {"portMappings": true},
                    "snat": true
                }
            ]
        }
        """
}
