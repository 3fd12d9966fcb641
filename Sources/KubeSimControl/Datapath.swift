import KubeSimCore

/// A packet as the datapath sees it: L3/L4 headers and a stack of encapsulations.
public struct Packet {
    public struct VXLAN { public var src: IPv4Address; public var dst: IPv4Address; public var sport: Int; public var vni: Int }
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

    public var headers: String {
        let l4 = proto == "ICMP" ? "ICMP \(flags)" : "\(proto) \(flags)"
        let inner = proto == "ICMP" ? "\(src) > \(dst) \(l4) ttl=\(ttl) len=\(size)" : "\(src):\(sport) > \(dst):\(dport) \(l4) ttl=\(ttl) len=\(size)"
        guard let o = outer.last else { return inner }
        return "outer \(o.src):\(o.sport) > \(o.dst):\(PodNetwork.vxlanPort) UDP VXLAN vni=\(o.vni) len=\(size + 50) | inner \(inner)"
    }
}

/// One step of a packet's walk.
public struct Hop {
    public let node: String
    public let at: String
    public let action: String
    public let headers: String
}

/// Where a packet went: every hop, and whether (and why not) it arrived.
public struct Trace {
    public var hops: [Hop] = []
    public var delivered = false
    public var droppedAt: String?
    public var reason: String?
    /// The destination namespace's pod, when delivered.
    public var destination: (node: String, pod: String, namespace: String)?
    /// An ICMP error the sender gets back (fragmentation needed, unreachable).
    public var icmp: String?
    public var finalTTL = 0

    public var table: String {
        var rows = [["HOP", "NODE", "WHERE", "ACTION", "HEADERS"]]
        for (i, h) in hops.enumerated() { rows.append([String(i + 1), h.node, h.at, h.action, h.headers]) }
        var widths = rows[0].map(\.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        var lines = rows.map { r in r.enumerated().map { $0.offset == r.count - 1 ? $0.element : $0.element + String(repeating: " ", count: widths[$0.offset] - $0.element.count + 2) }.joined() }
        lines.append(delivered ? "delivered to \(destination.map { "pod/\($0.pod) on \($0.node)" } ?? "")"
                               : "dropped at \(droppedAt ?? "?"): \(reason ?? "")")
        return lines.joined(separator: "\n")
    }
}

extension PodNetwork {
    /// Walks a packet from a pod through the datapath the CNI plugin and flanneld
    /// programmed: pod eth0 → veth → host netfilter hooks → routing (longest prefix) →
    /// cni0 bridge or flannel.1 (VXLAN encapsulation, MTU) → underlay → peer node →
    /// decapsulation → bridge → veth → pod. The netfilter chains are empty until
    /// kube-proxy and network policy fill them; they are traversed and shown.
    public func walk(from src: IPv4Address, to dst: IPv4Address, proto: String = "TCP", dport: Int = 80, size: Int = 60, sport: Int = 40000, flags: String? = nil) -> Trace {
        var t = Trace()
        guard let from = pod(at: src) else {
            t.droppedAt = "source"; t.reason = "no pod has the address \(src)"
            return t
        }
        var p = Packet(src: src, dst: dst, proto: proto, sport: sport, dport: dport, flags: flags ?? (proto == "TCP" ? "SYN" : proto == "ICMP" ? "echo-request" : ""), size: size)
        let node = from.node.name
        guard from.node.up else { t.droppedAt = "\(node)"; t.reason = "the node is down"; return t }
        // Inside the source pod: its own addresses are local (loopback).
        if from.ns.owns(dst) || dst.value >> 24 == 127 {
            t.hops.append(Hop(node: node, at: "pod/\(from.pod) lo", action: "local delivery", headers: p.headers))
            t.delivered = true; t.destination = (node, from.pod, from.namespace); t.finalTTL = p.ttl
            return t
        }
        guard let r = from.ns.route(to: dst), let dev = from.ns.device(r.dev) else {
            t.droppedAt = "pod/\(from.pod)"; t.reason = "connect: Network is unreachable"
            return t
        }
        if p.size > dev.mtu && p.df {
            t.hops.append(Hop(node: node, at: "pod/\(from.pod) eth0", action: "refused: \(p.size) > MTU \(dev.mtu), DF set", headers: p.headers))
            t.droppedAt = "pod/\(from.pod) eth0"; t.reason = "message too long (MTU \(dev.mtu))"; t.icmp = "frag needed and DF set (mtu \(dev.mtu))"
            return t
        }
        t.hops.append(Hop(node: node, at: "pod/\(from.pod) eth0", action: "send (route: \(r.text.trimmingSpace))", headers: p.headers))
        t.hops.append(Hop(node: node, at: dev.peerName ?? "veth", action: "veth: into the host namespace", headers: p.headers))
        forward(&p, at: from.node, trace: &t, depth: 0)
        return t
    }

    /// The host namespace of `n` handles a packet (routed, bridged or tunnelled).
    func forward(_ p: inout Packet, at n: NodeNet, trace t: inout Trace, depth: Int) {
        let node = n.name
        guard depth < 8 else { t.droppedAt = node; t.reason = "routing loop"; return }
        t.hops.append(Hop(node: node, at: "PREROUTING", action: "raw, mangle, nat: no rules (accept)", headers: p.headers))
        // Tunnelled traffic for this host: INPUT, then flannel.1 decapsulates.
        if let o = p.outer.last, n.host.owns(o.dst) {
            t.hops.append(Hop(node: node, at: "INPUT", action: "mangle, filter: no rules (accept)", headers: p.headers))
            p.outer.removeLast()
            t.hops.append(Hop(node: node, at: "flannel.1", action: "decapsulate VXLAN (VNI \(o.vni), UDP \(PodNetwork.vxlanPort))", headers: p.headers))
            forward(&p, at: n, trace: &t, depth: depth + 1)
            return
        }
        guard let r = n.host.route(to: p.outer.last?.dst ?? p.dst) else {
            t.droppedAt = "\(node) routing"; t.reason = "no route to host"; return
        }
        if p.outer.isEmpty {
            p.ttl -= 1
            if p.ttl <= 0 { t.droppedAt = "\(node) routing"; t.reason = "TTL exceeded"; t.icmp = "time exceeded in-transit"; return }
        }
        t.hops.append(Hop(node: node, at: "routing", action: r.text.trimmingSpace, headers: p.headers))
        t.hops.append(Hop(node: node, at: "FORWARD", action: "filter: no rules (accept)", headers: p.headers))
        t.hops.append(Hop(node: node, at: "POSTROUTING", action: "nat: no rules (accept)", headers: p.headers))
        switch r.dev {
        case "cni0":
            // The bridge forwards to the veth whose pod owns the address.
            guard let dest = n.pods[p.dst.value] else {
                t.droppedAt = "\(node) cni0"; t.reason = "no host \(p.dst) on cni0 (ARP unanswered)"; t.icmp = "host unreachable"; return
            }
            t.hops.append(Hop(node: node, at: "cni0", action: "bridge: to \(dest.veth) (FDB)", headers: p.headers))
            t.hops.append(Hop(node: node, at: "pod/\(dest.pod) eth0", action: "deliver", headers: p.headers))
            t.delivered = true
            t.destination = (node, dest.pod, dest.namespace)
            t.finalTTL = p.ttl
        case "flannel.1":
            // The neighbour entry (peer VTEP MAC) and the FDB entry (its underlay address).
            guard let via = r.via, let remote = n.host.remote(), let peer = remote.table.entry(for: via),
                  let vtep = n.host.device("flannel.1") else {
                t.droppedAt = "\(node) flannel.1"; t.reason = "no neighbour/FDB entry for \(r.via.map(\.description) ?? "?")"; return
            }
            if p.size > vtep.mtu && p.df {
                t.droppedAt = "\(node) flannel.1"; t.reason = "packet of \(p.size) bytes exceeds the VXLAN MTU \(vtep.mtu) with DF set"
                t.icmp = "frag needed and DF set (mtu \(vtep.mtu))"
                return
            }
            p.outer.append(Packet.VXLAN(src: n.underlay, dst: peer.underlay, sport: 30000 + Int((p.src.value ^ p.dst.value) % 30000), vni: PodNetwork.vni))
            t.hops.append(Hop(node: node, at: "flannel.1", action: "encapsulate VXLAN VNI \(PodNetwork.vni): \(peer.mac) is at \(peer.underlay)", headers: p.headers))
            transmit(&p, from: n, to: peer.underlay, trace: &t, depth: depth)
        case "eth0":
            if let o = p.outer.last {
                transmit(&p, from: n, to: o.dst, trace: &t, depth: depth)
            } else {
                t.droppedAt = "\(node) eth0"; t.reason = "\(p.dst) is outside the cluster (no external network is simulated)"
            }
        default:
            t.droppedAt = "\(node) \(r.dev)"; t.reason = "no path through \(r.dev)"
        }
    }

    /// Out of eth0 onto the underlay, to the node that owns `to` on the same L2 segment.
    func transmit(_ p: inout Packet, from n: NodeNet, to: IPv4Address, trace t: inout Trace, depth: Int) {
        t.hops.append(Hop(node: n.name, at: "eth0", action: "transmit", headers: p.headers))
        guard let peer = node(withUnderlay: to) else {
            t.droppedAt = "underlay"; t.reason = "no machine has the address \(to)"; return
        }
        guard peer.segment == n.segment else {
            t.droppedAt = "underlay"; t.reason = "\(to) is in another L2 segment"; return
        }
        guard peer.up else { t.droppedAt = "\(peer.name) eth0"; t.reason = "\(peer.name) is down: nothing receives the frame"; return }
        t.hops.append(Hop(node: peer.name, at: "eth0", action: "receive (L2 segment \(peer.segment))", headers: p.headers))
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
