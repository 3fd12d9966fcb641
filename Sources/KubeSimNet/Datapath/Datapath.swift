import KubeSimCore

/// A packet as the datapath sees it: L3/L4 headers and a stack of encapsulations.
public struct Packet {
    /// An outer header: VXLAN (UDP to `port`, with the VNI) or IPIP (protocol 4).
    public struct VXLAN {
        public var src: IPv4Address; public var dst: IPv4Address; public var sport: Int; public var vni: Int
        public var port = PodNetwork.vxlanPort
        public var ipip = false
        /// Calico's VXLAN (vxlan.calico) rather than flannel's (flannel.1).
        public var calico = false
        /// Weave's fastdp (vxlan-6784), and whether ESP wraps it (weave encryption).
        public var weave = false
        public var esp = false
        /// The tunnel device that encapsulated it (and decapsulates it at the far end).
        public var dev: String { ipip ? "tunl0" : (calico ? "vxlan.calico" : (weave ? "vxlan-6784" : "flannel.1")) }
        /// Bytes the encapsulation adds: outer IP + UDP + VXLAN + inner Ethernet, or outer IP.
        public var overhead: Int { ipip ? 20 : 50 + (esp ? PodNetwork.espOverhead : 0) }
    }
    public var src: IPv4Address
    public var dst: IPv4Address
    public var proto: String            // TCP, UDP, ICMP
    public var sport: Int
    public var dport: Int
    public var flags: String            // SYN, echo-request …
    public var ttl = 64
    public var size: Int
    public var df = true
    public var outer: [VXLAN] = []
    /// What tcpdump decodes beyond the headers above (TCP sequence numbers and options,
    /// ICMP ids, the datagram an ICMP error quotes); nil for bulk traversals.
    public var detail: PacketDetail? = nil

    public init(src: IPv4Address, dst: IPv4Address, proto: String, sport: Int, dport: Int, flags: String, ttl: Int = 64, size: Int, df: Bool = true,
                outer: [VXLAN] = [], detail: PacketDetail? = nil) {
        self.src = src; self.dst = dst; self.proto = proto; self.sport = sport; self.dport = dport; self.flags = flags
        self.ttl = ttl; self.size = size; self.df = df; self.outer = outer; self.detail = detail
    }

    public var headers: String {
        guard let outer = outerHeaders else { return innerHeaders }
        return "outer \(outer) | inner \(innerHeaders)"
    }
    /// The pod packet's own headers.
    public var innerHeaders: String {
        let l4 = flags.isEmpty ? proto : "\(proto) \(flags)"
        return proto == "ICMP" ? "\(src) > \(dst) \(l4) ttl=\(ttl) len=\(size)" : "\(src):\(sport) > \(dst):\(dport) \(l4) ttl=\(ttl) len=\(size)"
    }
    /// The tunnel's outer header, when encapsulated.
    public var outerHeaders: String? {
        guard let o = outer.last else { return nil }
        if o.ipip { return "\(o.src) > \(o.dst) IPIP len=\(size + 20)" }
        if o.esp { return "\(o.src) > \(o.dst) ESP len=\(size + o.overhead) [UDP \(o.sport) > \(o.port) VXLAN vni=\(o.vni)]" }
        return "\(o.src):\(o.sport) > \(o.dst):\(o.port) UDP VXLAN vni=\(o.vni) len=\(size + 50)"
    }
}

/// What part of the datapath a hop is.
public enum HopStage: String, Sendable {
    case pod = "pod namespace", veth = "veth pair", hook = "netfilter hook", routing = "routing decision"
    case bridge, encapsulation, decapsulation, underlay, delivery, device
    /// IPVS load balancing: a virtual service's packet sent on to a real server.
    case ipvs = "IPVS"
}

/// One step of a packet's walk: where, what happened, the packet as it was there.
public struct Hop {
    public let node: String
    public let at: String
    public let action: String
    public let stage: HopStage
    /// The packet at this hop (its headers, the tunnel's outer header, the TTL).
    public let packet: Packet
    public var headers: String { packet.headers }
    /// At a netfilter hook: what each table did (the deciding rules, conntrack, NAT).
    public var netfilter: HookResult? = nil
}

/// Where a packet went: every hop, and whether (and why not) it arrived.
public struct Trace {
    /// Whether hops are written down (off for bulk traversals: the fate is the same).
    public var recording = true
    public var hops: [Hop] = []
    public var hopCount = 0
    mutating func hop(_ node: @autoclosure () -> String, _ at: @autoclosure () -> String, _ action: @autoclosure () -> String, _ packet: @autoclosure () -> Packet,
                      _ stage: HopStage, netfilter: @autoclosure () -> HookResult? = nil) {
        hopCount += 1
        if recording { hops.append(Hop(node: node(), at: at(), action: action(), stage: stage, packet: packet(), netfilter: netfilter())) }
    }
    /// Rules evaluated across every hook of the walk.
    public var rulesEvaluated = 0
    /// Set by a hook whose IPVS took the packet (what it did), read by the walker.
    var stolen: String?
    /// The rule (or policy) that dropped or rejected the packet.
    public var decidedBy: RuleDecision?
    /// A REJECT's answer (icmp-port-unreachable, tcp-reset …).
    public var rejected: String?
    public var delivered = false
    public var droppedAt: String?
    public var reason: String?
    /// The address and port the packet carried when it arrived, after every NAT: whoever
    /// has that address, listening on that port, answers — not whoever was dialled.
    public var arrivedAt: (ip: IPv4Address, port: Int)?
    /// The destination namespace's pod, when delivered.
    public var destination: (node: String, pod: String, namespace: String)?
    /// The node whose own stack (its host network namespace) took the packet, when the
    /// destination was one of the node's addresses.
    public var host: String?
    /// The address and port a node's masquerade gave the packet on its way out of the pod
    /// network: where the other end sends its replies.
    public var masqueradedAs: (ip: IPv4Address, port: Int)?
    /// Where the packet arrived: `pod/b on node2`, or `node2 (its own stack)`.
    public var deliveredTo: String {
        if let host { return "\(host) (its own network stack)" }
        return destination.map { "pod/\($0.pod) on \($0.node)" } ?? ""
    }
    /// An ICMP error the sender gets back (fragmentation needed, unreachable).
    public var icmp: String?
    /// The node whose kernel sends that ICMP error (TTL exceeded in its routing, ARP
    /// unanswered on its cni0, the VXLAN MTU on its flannel.1); nil when the sender's own
    /// stack refuses the packet.
    public var icmpNode: String?
    public var finalTTL = 0
    public init() {}
    /// When the packet left (simulated ns); set only while a capture listens (PacketCapture.swift).
    public var start: Int64 = 0

    public var table: String {
        var rows = [["HOP", "NODE", "WHERE", "ACTION", "HEADERS"]]
        for (i, h) in hops.enumerated() { rows.append([String(i + 1), h.node, h.at, h.action, h.headers]) }
        var widths = rows[0].map(\.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        var lines = rows.map { r in r.enumerated().map { $0.offset == r.count - 1 ? $0.element : $0.element + String(repeating: " ", count: widths[$0.offset] - $0.element.count + 2) }.joined() }
        lines.append(delivered ? "delivered to \(deliveredTo)"
                               : "dropped at \(droppedAt ?? "?"): \(reason ?? "")")
        return lines.joined(separator: "\n")
    }
}

extension PodNetwork {
    /// Walks a packet from a pod through the datapath the CNI plugin and flanneld
    /// programmed: pod eth0 → veth → host netfilter hooks → routing (longest prefix) →
    /// cni0 bridge or flannel.1 (VXLAN encapsulation, MTU) → underlay → peer node →
    /// decapsulation → bridge → veth → pod. At every hook the node's netfilter tables run
    /// (the plugin's rules, a learner's, kube-proxy's) with conntrack; their verdicts and
    /// rewrites decide the packet's fate.
    ///
    /// `ttl`, `df` and `detail` are the sender's (traceroute sets the TTL; tcpdump prints
    /// the detail). While a capture listens, every device the packet crosses shows it to
    /// the capture (`tap`, PacketCapture.swift).
    public func walk(from src: IPv4Address, to dst: IPv4Address, proto: String = "TCP", dport: Int = 80, size: Int = 60, sport: Int = 40000, flags: String? = nil, record: Bool = true,
                     ttl: Int = 64, df: Bool = true, detail: PacketDetail? = nil) -> Trace {
        var t = Trace()
        t.recording = record
        var p = Packet(src: src, dst: dst, proto: proto, sport: sport, dport: dport, flags: flags ?? (proto == "TCP" ? "SYN" : proto == "ICMP" ? "echo-request" : ""), size: size)
        p.ttl = ttl
        p.df = df
        p.detail = detail
        guard let (fromNode, nic) = podNIC(at: src) else {
            // A node's own address: the node's stack sends it (ssh NODE ping/curl, replies).
            if let n = hostOwning(src) { return walkFromHost(n, p, record: record) }
            t.droppedAt = "source"; t.reason = "no pod has the address \(src)"
            return t
        }
        let capturing = !wire.captures.isEmpty
        if capturing { wire.depart(&p, &t, mss: nic.mtu - 40) }
        defer { if capturing { wire.arrived(t) } }
        let node = fromNode.name
        guard fromNode.up else { t.droppedAt = "\(node)"; t.reason = "the node is down"; return t }
        // Inside the source pod: its own addresses are local (loopback).
        if dst == nic.ip || dst.value >> 24 == 127 {
            t.hop(node, "pod/\(nic.pod) lo", "local delivery", p, .delivery)
            t.delivered = true; t.destination = (node, nic.pod, nic.namespace); t.finalTTL = p.ttl; t.arrivedAt = (p.dst, p.dport)
            return t
        }
        // The pod's table (PodNIC.namespaceView): its /24 on eth0, the rest via the gateway.
        let mtu = nic.mtu
        if p.size > mtu && p.df {
            t.hop(node, "pod/\(nic.pod) eth0", "refused: \(p.size) > MTU \(mtu), DF set", p, .pod)
            t.droppedAt = "pod/\(nic.pod) eth0"; t.reason = "message too long (MTU \(mtu))"; t.icmp = "frag needed and DF set (mtu \(mtu))"
            return t
        }
        if t.recording, let r = nic.namespaceView.route(to: dst) {
            t.hop(node, "pod/\(nic.pod) eth0", "send (route: \(r.text.trimmingSpace))", p, .pod)
        } else {
            t.hopCount += 1
        }
        t.hop(node, nic.veth, "veth: into the host namespace", p, .veth)
        if nic.cidr.contains(dst) {
            // On the pod's own subnet (its on-link route): the pod ARPs for the address and
            // the cni0 bridge switches the frame between the two veths — no routing, no TTL
            // decrement; br_netfilter still shows bridged IPv4 to iptables' hooks. Without
            // an answer to its ARP request the pod never sends the packet.
            if nic.weave, fromNode.pods[dst.value] == nil, let peer = owner(of: dst), peer !== fromNode, peer.pods[dst.value] != nil || peer.bridgeAddress == dst {
                // Weave: one L2 network over all nodes; the frame goes to the peer by fastdp.
                weaveSend(&p, from: fromNode, to: peer, veth: nic.veth, trace: &t)
                return t
            }
            let bridge = nic.weave ? "weave" : "cni0"
            var ct = CTPass()
            if fromNode.host.owns(dst) {
                // The bridge's own address (the pods' gateway): the frame goes up into the
                // host's stack — bridged in, delivered locally, not routed (TTL unchanged).
                tap(fromNode, nic.veth, .incoming, p, t)
                tap(fromNode, bridge, .incoming, p, t)
                t.hop(node, bridge, "bridge: \(dst) is the bridge's own address → up into the host", p, .bridge)
                guard netfilter(.prerouting, &p, &ct, at: fromNode, in: bridge, physIn: nic.veth, trace: &t) else { return t }
                deliverToHost(&p, &ct, at: fromNode, dev: bridge, trace: &t)
                return t
            }
            guard let dest = fromNode.pods[dst.value] else {
                t.hop(node, bridge, "bridge: no port has \(dst) (ARP unanswered)", p, .bridge)
                t.droppedAt = "pod/\(nic.pod) eth0"; t.reason = "no host \(dst) on the pod's subnet (ARP unanswered)"; t.icmp = "host unreachable"
                return t
            }
            tap(fromNode, nic.veth, .incoming, p, t)
            tap(fromNode, bridge, .incoming, p, t, promiscuousOnly: true)
            guard bridgedHooks(&p, &ct, at: fromNode, bridge: bridge, from: nic.veth, to: dest.veth, trace: &t) else { return t }
            deliver(p, to: dest, at: fromNode, bridge: bridge, trace: &t)
            return t
        }
        tap(fromNode, nic.veth, .incoming, p, t)
        if !nic.calico { tap(fromNode, nic.weave ? "weave" : "cni0", .incoming, p, t) }
        forward(&p, at: fromNode, trace: &t, depth: 0, inDev: nic.calico ? nic.veth : (nic.weave ? "weave" : "cni0"), physIn: nic.calico ? nil : nic.veth)
        return t
    }

    /// A frame the bridge switches between two of its ports: br_netfilter passes bridged
    /// IPv4 through PREROUTING, FORWARD and POSTROUTING with the bridge as the device and
    /// the ports as physdev (kubeadm requires net.bridge.bridge-nf-call-iptables=1).
    func bridgedHooks(_ p: inout Packet, _ ct: inout CTPass, at n: NodeNet, bridge: String, from inPort: String, to outPort: String, trace t: inout Trace) -> Bool {
        netfilter(.prerouting, &p, &ct, at: n, in: bridge, physIn: inPort, trace: &t, bridged: true)
            && netfilter(.forward, &p, &ct, at: n, in: bridge, out: bridge, physIn: inPort, physOut: outPort, trace: &t, bridged: true)
            && netfilter(.postrouting, &p, &ct, at: n, out: bridge, physIn: inPort, physOut: outPort, trace: &t, bridged: true)
    }

    /// The host namespace of `n` handles a packet (routed, bridged or tunnelled) that came
    /// in by `inDev`; `local`: the host itself sends it (an ICMP error, a node's tool),
    /// through OUTPUT, without a TTL decrement.
    func forward(_ p: inout Packet, at n: NodeNet, trace t: inout Trace, depth: Int, local: Bool = false, inDev: String = "eth0", physIn: String? = nil,
                 conntrack: CTPass? = nil) {
        let node = n.name
        guard depth < 8 else { t.droppedAt = node; t.reason = "routing loop"; return }
        var ct = conntrack ?? CTPass()
        if !local {
            if p.outer.isEmpty {
                guard netfilter(.prerouting, &p, &ct, at: n, in: inDev, physIn: physIn, trace: &t) else { return }
            } else {
                guard netfilterOuter(.prerouting, &p, &ct, at: n, in: inDev, trace: &t) else { return }
            }
        }
        // Addressed to this node itself (any of its addresses): INPUT, its own stack.
        if !local, p.outer.isEmpty, n.host.owns(p.dst) {
            deliverToHost(&p, &ct, at: n, dev: n.host.device(owning: p.dst)?.name ?? "eth0", trace: &t)
            return
        }
        // Tunnelled traffic for this host: INPUT, then the tunnel device decapsulates.
        if !local, let o = p.outer.last, n.host.owns(o.dst) {
            guard netfilterOuter(.input, &p, &ct, at: n, in: inDev, trace: &t) else { return }
            p.outer.removeLast()
            tap(n, o.dev, .incoming, p, t)
            t.hop(node, o.dev, o.ipip ? "decapsulate IPIP" : (o.esp ? "ESP: decrypt, then decapsulate VXLAN (VNI \(o.vni), UDP \(o.port))" : "decapsulate VXLAN (VNI \(o.vni), UDP \(o.port))"), p, .decapsulation)
            if o.weave { weaveReceive(&p, at: n, trace: &t); return }
            forward(&p, at: n, trace: &t, depth: depth + 1, inDev: o.dev)
            return
        }
        guard var r = n.host.route(to: p.outer.last?.dst ?? p.dst) else {
            t.droppedAt = "\(node) routing"; t.reason = "no route to host"; return
        }
        if p.outer.isEmpty && !local {
            p.ttl -= 1
            if p.ttl <= 0 { t.droppedAt = "\(node) routing"; t.reason = "TTL exceeded"; t.icmp = "time exceeded in-transit"; t.icmpNode = node; return }
        }
        if local {
            // The node's own packet: routed first, then OUTPUT (re-routed if a rule DNATs it).
            let dst = p.dst
            guard netfilter(.output, &p, &ct, at: n, out: r.dev, trace: &t) else { return }
            if p.dst != dst { guard let again = n.host.route(to: p.dst) else { t.droppedAt = "\(node) routing"; t.reason = "no route to host"; return }; r = again }
        }
        t.hop(node, "routing", r.text.trimmingSpace, p, .routing)
        if r.blackhole {
            t.droppedAt = "\(node) routing"; t.reason = "blackhole route for \(r.dst): no pod on \(node) has \(p.dst) (Calico discards addresses of its own blocks that no pod holds)"
            return
        }
        if !local {
            guard netfilter(.forward, &p, &ct, at: n, in: inDev, out: r.dev, physIn: physIn, trace: &t) else { return }
        }
        guard netfilter(.postrouting, &p, &ct, at: n, out: r.dev, trace: &t) else { return }
        if n.calico && r.dev.hasPrefix("cali") {
            // Calico: the /32 route to the pod's host-side veth; no bridge.
            guard let dest = n.pods[p.dst.value] else {
                t.droppedAt = "\(node) \(r.dev)"; t.reason = "no pod behind \(r.dev)"; return
            }
            deliver(p, to: dest, at: n, bridge: nil, trace: &t)
            return
        }
        switch r.dev {
        case "weave":
            // The node's own packet onto its weave bridge (weave expose): to a local pod's
            // veth, or through the datapath to the peer that has the address.
            if let dest = n.pods[p.dst.value] {
                tap(n, "weave", .outgoing, p, t)
                deliver(p, to: dest, at: n, bridge: "weave", trace: &t)
            } else if let peer = owner(of: p.dst), peer !== n, peer.pods[p.dst.value] != nil || peer.bridgeAddress == p.dst {
                weaveSend(&p, from: n, to: peer, veth: nil, trace: &t, bridged: false)
            } else {
                t.droppedAt = "\(node) weave"; t.reason = "no host \(p.dst) on the weave network (ARP unanswered)"; t.icmp = "host unreachable"; t.icmpNode = node
            }
        case "cni0":
            // The bridge forwards to the veth whose pod owns the address.
            guard let dest = n.pods[p.dst.value] else {
                t.droppedAt = "\(node) cni0"; t.reason = "no host \(p.dst) on cni0 (ARP unanswered)"; t.icmp = "host unreachable"; t.icmpNode = node; return
            }
            tap(n, "cni0", .outgoing, p, t)
            deliver(p, to: dest, at: n, bridge: "cni0", trace: &t)
        case "flannel.1":
            // The neighbour entry (peer VTEP MAC) and the FDB entry (its underlay address).
            guard let via = r.via, let remote = n.host.remote(), let peer = remote.table.entry(for: via),
                  let vtep = n.host.device("flannel.1") else {
                t.droppedAt = "\(node) flannel.1"; t.reason = "no neighbour/FDB entry for \(r.via.map(\.description) ?? "?")"; return
            }
            if p.size > vtep.mtu && p.df {
                t.droppedAt = "\(node) flannel.1"; t.reason = "packet of \(p.size) bytes exceeds the VXLAN MTU \(vtep.mtu) with DF set"
                t.icmp = "frag needed and DF set (mtu \(vtep.mtu))"; t.icmpNode = node
                return
            }
            tap(n, "flannel.1", .outgoing, p, t)
            p.outer.append(Packet.VXLAN(src: n.underlay, dst: peer.underlay, sport: 30000 + Int((p.src.value ^ p.dst.value) % 30000), vni: PodNetwork.vni))
            t.hop(node, "flannel.1", "encapsulate VXLAN VNI \(PodNetwork.vni): \(peer.mac) is at \(peer.underlay)", p, .encapsulation)
            guard tunnelOut(&p, at: n, trace: &t) else { return }
            transmit(&p, from: n, to: peer.underlay, trace: &t, depth: depth)
        case "tunl0", "vxlan.calico":
            // Calico's tunnels: IPIP to the peer's underlay address, or VXLAN (VNI 4096,
            // UDP 4789) to the VTEP whose address the route names.
            guard let dev = n.host.device(r.dev), let via = r.via,
                  let peer = r.dev == "tunl0" ? self.node(withUnderlay: via) : owner(of: via) else {
                t.droppedAt = "\(node) \(r.dev)"; t.reason = "no peer for \(r.via.map(\.description) ?? "?")"; return
            }
            if p.size > dev.mtu && p.df {
                t.droppedAt = "\(node) \(r.dev)"; t.reason = "packet of \(p.size) bytes exceeds the \(r.dev) MTU \(dev.mtu) with DF set"
                t.icmp = "frag needed and DF set (mtu \(dev.mtu))"; t.icmpNode = node
                return
            }
            tap(n, r.dev, .outgoing, p, t)
            if r.dev == "tunl0" {
                p.outer.append(Packet.VXLAN(src: n.underlay, dst: peer.underlay, sport: 0, vni: 0, port: 0, ipip: true))
                t.hop(node, "tunl0", "encapsulate IPIP: to \(peer.underlay) (\(peer.name))", p, .encapsulation)
            } else {
                p.outer.append(Packet.VXLAN(src: n.underlay, dst: peer.underlay, sport: 32768 + Int((p.src.value ^ p.dst.value ^ UInt32(truncatingIfNeeded: p.sport * 31 + p.dport)) % 28232),
                                            vni: CalicoMode.vni, port: CalicoMode.vxlanPort, calico: true))
                t.hop(node, "vxlan.calico", "encapsulate VXLAN VNI \(CalicoMode.vni): \(via) is at \(peer.underlay)", p, .encapsulation)
            }
            guard tunnelOut(&p, at: n, trace: &t) else { return }
            transmit(&p, from: n, to: peer.underlay, trace: &t, depth: depth)
        case "eth0":
            if let o = p.outer.last {
                transmit(&p, from: n, to: o.dst, trace: &t, depth: depth)
            } else if let via = r.via, r.dst.prefixLength > 0 {
                // host-gw: the pod packet itself goes to the peer node's address.
                transmit(&p, from: n, to: via, trace: &t, depth: depth)
            } else if r.via == nil, r.dst.prefixLength > 0, r.dst.contains(p.dst), self.node(withUnderlay: p.dst) != nil {
                // Another node on the link (the node network's on-link route): straight to it.
                transmit(&p, from: n, to: p.dst, trace: &t, depth: depth)
            } else if r.dst.prefixLength == 0, self.node(withUnderlay: p.dst) != nil {
                // A node in another subnet: through the gateway, the router between the segments.
                transmit(&p, from: n, to: p.dst, trace: &t, depth: depth)
            } else if clusterCIDR.contains(p.dst), plugin == .flannel, backend == .hostGW, let e = current.entry(for: p.dst) {
                t.droppedAt = "\(node) routing"
                t.reason = "no route to \(e.cidr) via \(e.underlay): \(e.node) is in another L2 segment, and host-gw can only route to on-link peers (flanneld could not add the route)"
            } else if plugin == .calico, let b = ipam.block(of: p.dst), let peer = nodes[b.node], calicoMode.runsBird,
                      peer.downSince != nil, bgpSessionDown(on: n, with: peer) != nil {
                // The packet takes the default route to the underlay's gateway, which knows no pod addresses.
                t.hop(node, "eth0", "transmit", p, .underlay)
                tap(n, "eth0", .outgoing, p, t)
                t.droppedAt = "\(node) eth0"
                t.reason = "no route to \(b.cidr): bird withdrew it when its BGP session with \(peer.name) (\(peer.underlay)) ended (hold timer expired; \(peer.name) is down), so the packet took the default route and the gateway has no route to pod addresses"
            } else if plugin == .calico, let b = ipam.block(of: p.dst), let peer = nodes[b.node] {
                t.droppedAt = "\(node) routing"
                t.reason = "no route to \(b.cidr) via \(peer.underlay): \(peer.name) is in another subnet and the pool does not encapsulate (bird could not install a BGP route via a gateway that is not on-link; use ipip or vxlan, Always or CrossSubnet)"
            } else {
                t.droppedAt = "\(node) eth0"; t.reason = "\(p.dst) is outside the cluster (no external network is simulated)"
            }
        default:
            t.droppedAt = "\(node) \(r.dev)"; t.reason = "no path through \(r.dev)"
        }
    }

    /// The tunnel's outer packet leaves through the node's own OUTPUT and POSTROUTING
    /// (the kernel's VXLAN/IPIP transmit path is a local send).
    func tunnelOut(_ p: inout Packet, at n: NodeNet, trace t: inout Trace) -> Bool {
        var ct = CTPass()
        return netfilterOuter(.output, &p, &ct, at: n, out: "eth0", trace: &t) && netfilterOuter(.postrouting, &p, &ct, at: n, out: "eth0", trace: &t)
    }

    /// The last hops into a pod: the bridge switches the frame to the pod's veth (or,
    /// with no bridge, Calico's /32 route sends it down the veth), and the pod's eth0
    /// receives it, addresses unchanged.
    func deliver(_ p: Packet, to dest: PodNIC, at n: NodeNet, bridge: String?, trace t: inout Trace) {
        if let bridge {
            t.hop(n.name, bridge, "bridge: to \(dest.veth) (FDB)", p, .bridge)
            tap(n, dest.veth, .outgoing, p, t)
        } else {
            tap(n, dest.veth, .outgoing, p, t)
            t.hop(n.name, dest.veth, "veth: into pod/\(dest.pod)", p, .veth)
        }
        t.hop(n.name, "pod/\(dest.pod) eth0", "deliver", p, .delivery)
        t.delivered = true
        t.destination = (n.name, dest.pod, dest.namespace)
        t.arrivedAt = (p.dst, p.dport)
        t.finalTTL = p.ttl
    }

    /// The node whose host namespace has the address (not loopback): its underlay address,
    /// a bridge's or a tunnel device's.
    func hostOwning(_ ip: IPv4Address) -> NodeNet? {
        if let n = node(withUnderlay: ip) { return n }
        guard ip.value >> 24 != 127 else { return nil }
        if let n = owner(of: ip), n.host.owns(ip) { return n }
        return nodes.values.first { $0.host.owns(ip) }
    }

    /// A packet the node's own stack sends (`ssh NODE ping|curl`, or a reply from the
    /// node): to itself over loopback, else OUTPUT, routing and out (`forward`, local).
    func walkFromHost(_ n: NodeNet, _ packet: Packet, record: Bool) -> Trace {
        var t = Trace()
        t.recording = record
        var p = packet
        let capturing = !wire.captures.isEmpty
        if capturing { wire.depart(&p, &t, mss: 1460) }
        defer { if capturing { wire.arrived(t) } }
        let node = n.name
        guard n.up else { t.droppedAt = node; t.reason = "the node is down"; return t }
        if n.host.owns(p.dst) || p.dst.value >> 24 == 127 {
            t.hop(node, "host lo", "local delivery", p, .device)
            t.delivered = true; t.host = node; t.finalTTL = p.ttl; t.arrivedAt = (p.dst, p.dport)
            return t
        }
        if t.recording, let r = n.host.route(to: p.dst) {
            t.hop(node, "host", "send (route: \(r.text.trimmingSpace))", p, .device)
        } else {
            t.hopCount += 1
        }
        forward(&p, at: n, trace: &t, depth: 0, local: true)
        return t
    }

    /// The packet is for the node itself: the kernel's local table matches the address,
    /// INPUT lets it in, and the node's stack takes it.
    func deliverToHost(_ p: inout Packet, _ ct: inout CTPass, at n: NodeNet, dev: String, trace t: inout Trace) {
        let node = n.name
        t.hop(node, "routing", "local \(p.dst) dev \(dev) table local proto kernel scope host src \(p.dst)", p, .routing)
        guard netfilter(.input, &p, &ct, at: n, in: dev, trace: &t) else { return }
        if let ipvs = t.stolen {
            // IPVS took it at LOCAL_IN: on to the real server through LOCAL_OUT (OUTPUT,
            // routing, POSTROUTING), the conntrack entry still the client's connection.
            t.stolen = nil
            t.hop(node, "IPVS", ipvs, p, .ipvs)
            forward(&p, at: n, trace: &t, depth: 1, local: true, conntrack: ct)
            return
        }
        t.hop(node, "host", "deliver to \(node)'s own stack", p, .device)
        t.delivered = true
        t.host = node
        t.finalTTL = p.ttl
        t.arrivedAt = (p.dst, p.dport)
    }

    /// Out of eth0 onto the underlay, to the node that owns `to` on the same L2 segment.
    func transmit(_ p: inout Packet, from n: NodeNet, to: IPv4Address, trace t: inout Trace, depth: Int) {
        t.hop(n.name, "eth0", "transmit", p, .underlay)
        tap(n, "eth0", .outgoing, p, t)
        guard let peer = node(withUnderlay: to) else {
            t.droppedAt = "underlay"; t.reason = "no machine has the address \(to)"; return
        }
        if peer.segment != n.segment {
            // Another L2 segment: only routed underlay traffic (VXLAN's outer packets) gets
            // there, through the segments' router.
            guard !p.outer.isEmpty || p.dst == to else { t.droppedAt = "underlay"; t.reason = "\(to) is in another L2 segment"; return }
            if p.outer.isEmpty {
                // The router forwards the node-network packet itself: one more routed hop.
                p.ttl -= 1
                if p.ttl <= 0 { t.droppedAt = "underlay router"; t.reason = "TTL exceeded"; t.icmp = "time exceeded in-transit"; return }
            }
            t.hop(n.name, "underlay router", "segment \(n.segment) → segment \(peer.segment)", p, .underlay)
        }
        guard peer.up else { t.droppedAt = "\(peer.name) eth0"; t.reason = "\(peer.name) is down: nothing receives the frame"; return }
        t.hop(peer.name, "eth0", "receive (L2 segment \(peer.segment))", p, .underlay)
        tap(peer, "eth0", .incoming, p, t)
        forward(&p, at: peer, trace: &t, depth: depth + 1)
    }
}

extension String {
    var trimmingSpace: String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
