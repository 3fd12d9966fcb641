import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimCluster
import KubeSimControl
import KubeSimNode
import KubeSimNet

/// `trace`: a packet's walk through the datapath the agents programmed, and its value.
/// Stepping through one (`--step`) is in ClusterBindings+Step.swift.
extension ClusterBindings {
    /// `trace from pod/a to pod/b:8080 [--proto tcp|udp|icmp] [--size N]`: the packet's
    /// walk through the datapath, one row per hop; the value has .delivered, .hops,
    /// .droppedAt and .reason. Either end may be a node (`node/node1`: its own stack, the
    /// source address its kernel picks) or, as the destination, an address.
    static func trace(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        let w = inv.positionals
        guard w.count == 4, w[0] == "from", w[2] == "to" else { throw inv.error("trace: expected 'from pod/A to pod/B[:PORT]', a node (node/NAME) or an address") }
        let c = try cluster(ctx)
        var target = w[3]
        var port = 80
        var portWord: String?
        if let colon = target.lastIndex(of: ":"), !target.hasPrefix("node") || Int(target[target.index(after: colon)...]) != nil {
            portWord = String(target[target.index(after: colon)...])
            target = String(target[..<colon])
        }
        if let pw = portWord, let p = Int(pw) {
            guard (1...65535).contains(p) else { throw inv.error("trace: invalid port \(p) in '\(w[3])': a port is 1 to 65535") }
            port = p
        }
        let dst: IPv4Address
        var dstName = target
        let typeWord = target.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
        if target.contains("/"), ResourceType.lookup(typeWord) == .service {
            // A Service: its ClusterIP and port — what a client dials; kube-proxy's rules
            // on the first node the packet crosses pick the endpoint.
            let name = String(target.drop { $0 != "/" }.dropFirst())
            let ns = inv.flag("namespace") ?? "default"
            let svc = try api { try c.api.get(.service, namespace: ns, name: name, user: user(inv)) }.service!
            guard let cip = svc.spec.clusterIP, let ip = IPv4Address(parsing: cip) else {
                throw CommandFailure("error: service \(name) has no cluster IP (headless: trace to one of its pods)")
            }
            if let pw = portWord {
                if Int(pw) == nil {
                    guard let sp = svc.spec.ports.first(where: { $0.name == pw }) else { throw CommandFailure("error: service \(name) has no port named \(pw)") }
                    port = sp.port
                }
            } else if let first = svc.spec.ports.first {
                port = first.port
            }
            dst = ip
            dstName = "svc/\(name)"
        } else if let pw = portWord, Int(pw) == nil {
            throw inv.error("trace: invalid port '\(pw)' in '\(w[3])': a port is 1 to 65535 (a named port only for a Service)")
        } else if let ip = IPv4Address(parsing: target) { dst = ip } else if target.hasPrefix("node/") || target.hasPrefix("nodes/") {
            let name = try resolveNodeName(String(target.drop { $0 != "/" }.dropFirst()), inv, c)
            guard let ip = c.network.node(name)?.underlay else { throw CommandFailure("error: node \(name) has no network") }
            dst = ip
            dstName = "node/\(name)"
        } else {
            let p = try resolvePod(target, inv, c)
            guard let ip = p.status.podIP.flatMap({ IPv4Address(parsing: $0) }) else { throw CommandFailure("error: pod \(p.metadata.name) has no IP yet") }
            dst = ip
            dstName = "pod/\(p.metadata.name)"
        }
        let src: IPv4Address
        let srcName: String
        if w[1].hasPrefix("node/") || w[1].hasPrefix("nodes/") {
            let name = try resolveNodeName(String(w[1].drop { $0 != "/" }.dropFirst()), inv, c)
            guard let ip = c.network.hostSource(name, toward: dst) else { throw CommandFailure("error: node \(name) has no route to \(dst)") }
            src = ip
            srcName = "node/\(name)"
        } else {
            let srcPod = try resolvePod(w[1], inv, c)
            guard let ip = srcPod.status.podIP.flatMap({ IPv4Address(parsing: $0) }) else { throw CommandFailure("error: pod \(srcPod.metadata.name) has no IP yet") }
            src = ip
            srcName = "pod/\(srcPod.metadata.name)"
        }
        let proto = (inv.flag("proto") ?? "tcp").uppercased()
        guard ["TCP", "UDP", "ICMP"].contains(proto) else { throw inv.error("trace: --proto must be tcp, udp or icmp") }
        var size = proto == "ICMP" ? 84 : 60
        if let s = inv.flag("size") {
            guard let n = Int(s), (28...65535).contains(n) else { throw inv.error("trace: --size must be an IP packet size from 28 to 65535 bytes, found '\(s)'") }
            size = n
        }
        let t = c.network.walk(from: src, to: dst, proto: proto, dport: port, size: size)
        if inv.has("step") {   // ClusterBindings+Step.swift
            return startStepping(t, from: srcName, src: src, to: dstName, dst: dst, proto: proto, port: port, size: size, ctx)
        }
        // kube-proxy's userspace mode: the packet ends at kube-proxy's socket on the node;
        // the request goes on in a second connection kube-proxy makes to an endpoint.
        if t.delivered, let (ip, port) = t.arrivedAt, let (node, portal) = c.network.portal(at: ip, port: port),
           let (backend, bport) = portal.peek(client: src), let from = c.network.hostSource(node, toward: backend) {
            let leg = c.network.walk(from: from, to: backend, proto: proto, dport: bport, size: size)
            let note = "kube-proxy on \(node) (user space) accepts on port \(port) for \(portal.service), picks \(backend):\(bport) (round robin) and connects from \(from):"
            return CommandResult(output: t.table + "\n" + note + "\n" + leg.table, value: .object(TraceValue(t, relayed: (note, leg))))
        }
        guard inv.has("reply") else { return CommandResult(output: t.table, value: .object(TraceValue(t))) }
        // The answer's walk back: from the address the packet reached, to the address the
        // far end saw (the node's, when masqueraded; conntrack turns it back into the pod's).
        guard t.delivered else {
            return CommandResult(output: t.table + "\nreply: none (the packet did not arrive)", value: .object(TraceValue(t)))
        }
        let seen = t.masqueradedAs ?? (src, 40000)
        // The answer comes from where the packet arrived after every NAT (a DNAT's backend).
        let (from, fromPort) = t.arrivedAt ?? (dst, port)
        let listening = c.network.listens(at: from, port: fromPort)
        let back: Trace
        let what: String
        switch proto {
        case "ICMP":
            what = "echo reply"
            back = c.network.walk(from: from, to: seen.ip, proto: "ICMP", dport: 0, size: size, flags: "echo-reply")
        case "TCP":
            what = listening ? "SYN-ACK" : "RST-ACK: nothing listens on port \(port)"
            back = c.network.walk(from: from, to: seen.ip, proto: "TCP", dport: seen.port, size: listening ? 60 : 40, sport: fromPort, flags: listening ? "SYN-ACK" : "RST-ACK")
        default:
            what = listening ? "a datagram back" : "ICMP port unreachable: nothing listens on port \(port)"
            back = listening
                ? c.network.walk(from: from, to: seen.ip, proto: "UDP", dport: seen.port, size: size, sport: fromPort, flags: "")
                : c.network.walk(from: from, to: seen.ip, proto: "ICMP", dport: 0, size: 56, flags: "port-unreachable",
                                 // The error quotes the datagram as it arrived (RELATED to its connection in conntrack).
                                 detail: .error(quoting: "UDP", from: seen.ip, seen.port, to: from, fromPort))
        }
        return CommandResult(output: t.table + "\nreply (\(what)):\n" + back.table,
                             value: .object(TraceValue(t, reply: back)))
    }
}

/// A trace as scripts see it: `.delivered`, `.hops`, `.droppedAt`, `.reason`.
final class TraceValue: ScriptObject, @unchecked Sendable {
    let t: Trace
    /// The answer's walk back (`trace … --reply`).
    let reply: Trace?
    /// kube-proxy's userspace mode: the second connection it makes from the node to the
    /// endpoint, and what it said about it.
    let relayed: (note: String, trace: Trace)?
    init(_ t: Trace, reply: Trace? = nil, relayed: (note: String, trace: Trace)? = nil) { self.t = t; self.reply = reply; self.relayed = relayed }
    var typeName: String { "trace" }
    var description: String { t.delivered ? "trace(delivered, \(t.hops.count) hops)" : "trace(dropped at \(t.droppedAt ?? "?"))" }
    var memberNames: [String] { ["delivered", "hops", "droppedAt", "reason", "path", "destination", "masqueradedAs", "rulesEvaluated", "verdict", "decidedBy"] + (reply == nil ? [] : ["reply"]) + (relayed == nil ? [] : ["relayed"]) }
    func member(_ name: String) -> Value? {
        switch name {
        case "rulesEvaluated": return .int(t.rulesEvaluated)
        // "delivered", "dropped" or "rejected" (and with what), and the rule that did it.
        case "verdict": return .string(t.delivered ? "delivered" : (t.rejected.map { "rejected (\($0))" } ?? "dropped"))
        case "decidedBy": return t.decidedBy.map { .string($0.ruleText) } ?? .nil
        case "reply": return reply.map { .object(TraceValue($0)) } ?? .nil
        case "relayed": return relayed.map { .object(TraceValue($0.trace)) } ?? .nil
        case "delivered": return .bool(t.delivered)
        case "destination": return t.delivered ? .string(t.deliveredTo) : .nil
        // "192.168.56.11:40000" when a node masqueraded the packet (it left the pod network).
        case "masqueradedAs": return t.masqueradedAs.map { .string("\($0.ip):\($0.port)") } ?? .nil
        // The hops as values (`t.hops[4].rule`, `.stage`, `.conntrack`); `t.hops.count` is their number.
        case "hops": return .list(t.hops.enumerated().map { .object(HopValue($0.element, number: $0.offset + 1)) })
        case "droppedAt": return t.droppedAt.map { .string($0) } ?? .nil
        case "reason": return t.reason.map { .string($0) } ?? .nil
        case "path": return .list(t.hops.map { .string("\($0.node) \($0.at)") })
        default: return nil
        }
    }
    func isEqual(to other: any ScriptObject) -> Bool { other === self }
}
