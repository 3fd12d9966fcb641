import KubeScript
import KubeSimCore
import KubeSimCluster
import KubeSimControl
import KubeSimNode
import KubeSimNet
import KubeSimNet

/// `trace … --step`: Packet Tracer's simulation mode. The trace is the one `trace`
/// computes (the same datapath walk, recorded once); stepping only moves a cursor over
/// its hops. `next [N]` and `back [N]` move it and print the hops, `show` explains the
/// current one (which netfilter hook, the routing decision, encapsulation), and the
/// session lasts until another `trace … --step` replaces it (other commands run as
/// usual in between). In the REPL the prompt shows the position: `kubesim[trace 3/18]> `.
extension ClusterBindings {
    static let stepStateKey = "trace-step"

    static func registerStepCommands(_ r: CommandRegistry) {
        r.register(CommandSpec("next", summary: "step the packet of `trace … --step` forward one hop (or N) and print each; at the last hop, the verdict",
                               usage: "next [N]", handler: { inv, ctx in try stepNext(inv, ctx) }))
        r.register(CommandSpec("back", summary: "step the packet of `trace … --step` back one hop (or N) and print where it is",
                               usage: "back [N]", handler: { inv, ctx in try stepBack(inv, ctx) }))
        r.register(CommandSpec("show", summary: "explain the current hop of `trace … --step`: node, device, netfilter hook / routing decision / encapsulation, full headers, what changed",
                               usage: "show", handler: { inv, ctx in try stepShow(inv, ctx) }))
    }

    /// What the REPL puts in its prompt while a trace is being stepped (`trace 3/18`).
    public static func stepPrompt(_ ctx: CommandContext) -> String? {
        guard let s = ctx.state[stepStateKey] as? TraceStepper, s.belongs(to: ctx) else { return nil }
        return "trace \(s.number)/\(s.count)"
    }

    /// Called by `trace … --step` with the trace it walked: starts (or replaces) the session.
    static func startStepping(_ t: Trace, from: String, src: IPv4Address, to: String, dst: IPv4Address, proto: String, port: Int, size: Int,
                              _ ctx: CommandContext) -> CommandResult {
        let target = proto == "ICMP" ? to : "\(to):\(port)"
        let addresses = proto == "ICMP" ? "\(src) → \(dst)" : "\(src) → \(dst):\(port)"
        let stepper = TraceStepper(t, title: "\(from) → \(target)", cluster: ctx.state[stateKey] as? Cluster)
        ctx.state[stepStateKey] = stepper
        var lines = ["Simulation: \(from) → \(target) (\(addresses)), \(proto), \(size) bytes, \(t.hops.count) hop\(t.hops.count == 1 ? "" : "s")",
                     "Step with next [N] and back [N]; show explains the current hop. Other commands run as usual."]
        if t.hops.isEmpty {
            lines.append(stepper.verdictLines.joined(separator: "\n"))
        } else {
            lines.append(stepper.stepBlock(0))
            if stepper.done { lines.append(contentsOf: stepper.verdictLines) }
        }
        return CommandResult(output: lines.joined(separator: "\n"), value: .object(StepValue(stepper)))
    }

    static func stepper(_ verb: String, _ ctx: CommandContext) throws -> TraceStepper {
        guard let s = ctx.state[stepStateKey] as? TraceStepper else {
            throw CommandFailure("\(verb): no trace is being stepped; start one with trace from pod/A to pod/B:PORT --step")
        }
        guard s.belongs(to: ctx) else {
            ctx.state[stepStateKey] = nil
            throw CommandFailure("\(verb): the trace being stepped was of a cluster that has since been replaced; start a new one with trace from pod/A to pod/B:PORT --step")
        }
        return s
    }

    static func stepCount(_ verb: String, _ inv: Invocation) throws -> Int {
        let w = inv.positionals
        guard w.count <= 1 else { throw inv.error("\(verb): expected at most one number, as in '\(verb) 3'") }
        guard let word = w.first else { return 1 }
        guard let n = Int(word), n >= 1 else { throw inv.error("\(verb): expected a number of hops (1 or more), found '\(word)'") }
        return n
    }

    /// `next [N]`: forward N hops (fewer when the walk ends first), each printed; the verdict at the end.
    static func stepNext(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        let n = try stepCount("next", inv)
        let s = try stepper("next", ctx)
        guard !s.done else {
            let at = s.count == 0 ? "the packet made no hops" : "already at hop \(s.count)/\(s.count), the last"
            throw CommandFailure("next: the walk is over (\(at); \(s.verdict)); back [N] steps back, trace … --step starts a new one")
        }
        var blocks: [String] = []
        var left = n
        while left > 0 && !s.done {
            left -= 1
            s.index += 1
            blocks.append(s.stepBlock(s.index))
        }
        if s.done { blocks.append(contentsOf: s.verdictLines) }
        return CommandResult(output: blocks.joined(separator: "\n"), value: .object(StepValue(s)))
    }

    /// `back [N]`: back N hops (at most to the first), printing the hop it lands on.
    static func stepBack(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        let n = try stepCount("back", inv)
        let s = try stepper("back", ctx)
        guard s.index > 0 else {
            let at = s.count == 0 ? "the packet made no hops" : "already at hop 1/\(s.count), the first"
            throw CommandFailure("back: the walk starts here (\(at)); next [N] steps forward")
        }
        s.index = max(0, s.index - n)
        return CommandResult(output: s.stepBlock(s.index), value: .object(StepValue(s)))
    }

    /// `show`: the current hop in detail.
    static func stepShow(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        guard inv.positionals.isEmpty else { throw inv.error("show: takes no arguments (it explains the current hop of trace … --step)") }
        let s = try stepper("show", ctx)
        return CommandResult(output: s.detail(), value: .object(StepValue(s)))
    }
}

/// A trace being stepped: the recorded hops and a cursor on one of them.
final class TraceStepper: @unchecked Sendable {
    let trace: Trace
    let title: String
    /// The cluster the trace walked; a new `cluster …` ends the session.
    weak var cluster: Cluster?
    /// The current hop (0-based).
    var index = 0

    init(_ t: Trace, title: String, cluster: Cluster?) {
        trace = t
        self.title = title
        self.cluster = cluster
    }

    var count: Int { trace.hops.count }
    /// The current hop's number (1-based; 0 when the packet made no hop).
    var number: Int { count == 0 ? 0 : index + 1 }
    var done: Bool { index >= count - 1 }

    func belongs(to ctx: CommandContext) -> Bool {
        guard let c = cluster else { return false }
        return (ctx.state[ClusterBindings.stateKey] as? Cluster) === c
    }

    /// The last line of `trace`'s table.
    var verdict: String {
        trace.delivered ? "delivered to \(trace.deliveredTo)"
                        : "dropped at \(trace.droppedAt ?? "?"): \(trace.reason ?? "")"
    }

    var verdictLines: [String] {
        var lines = ["verdict: \(verdict)"]
        if let icmp = trace.icmp {
            lines.append(trace.icmpNode.map { "  \($0) sends the sender ICMP \(icmp)" } ?? "  the sender's own stack reports it: \(icmp)")
        }
        return lines
    }

    /// One hop as `next` prints it: a heading line, the action, then the headers
    /// (outer and inner on their own lines when the packet is encapsulated).
    func stepBlock(_ i: Int) -> String {
        let h = trace.hops[i]
        let stage = HopExplanation(h)
        var lines = ["hop \(i + 1)/\(count)  \(h.node)  \(h.at)  (\(stage.kind))",
                     "  action  \(h.action)"]
        lines += HopHeaders(h).labelled.map { "  \($0.label.padding(toWidth: 6))  \($0.text)" }
        return lines.joined(separator: "\n")
    }

    /// `show`: everything about the current hop.
    func detail() -> String {
        guard count > 0 else {
            return (["\(title): the packet made no hops"] + verdictLines).joined(separator: "\n")
        }
        let h = trace.hops[index]
        let stage = HopExplanation(h)
        let headers = HopHeaders(h)
        func row(_ label: String, _ text: String) -> String { "  \(label.padding(toWidth: 8))  \(text)" }
        var lines = ["hop \(index + 1) of \(count) (\(title))"]
        lines.append(row("node", h.node))
        lines.append(row("where", h.at))
        lines.append(row("stage", "\(stage.kind): \(stage.explanation)"))
        if let hook = stage.hook {
            lines.append(row("hooks", HopExplanation.hooks.map { $0 == hook ? "[\($0)]" : $0 }.joined(separator: " ")))
        }
        lines.append(row("action", h.action))
        if let nf = h.netfilter {
            // What the node's tables did, from the hook's own record (the rules as iptables -S prints them).
            if let c = nf.conntrack { lines.append(row("tracking", c)) }
            for d in nf.decisions {
                lines.append(row("rule", "\(d.tableLabel) \(d.path.joined(separator: " → "))\(d.rule.map { " #\($0)" } ?? "")  \(d.ruleText)  → \(d.action)"))
            }
            for t in nf.translations { lines.append(row("nat", t)) }
            lines.append(row("rules", "\(nf.rulesEvaluated) evaluated"))
        }
        for l in headers.labelled { lines.append(row(l.label, l.text)) }
        let previous = index > 0 ? HopHeaders(trace.hops[index - 1]) : nil
        lines.append(row("changed", headers.changes(since: previous)))
        if index > 0 {
            let p = trace.hops[index - 1]
            lines.append(row("previous", "hop \(index): \(p.node) \(p.at) — \(p.action)"))
        }
        if index + 1 < count {
            let n = trace.hops[index + 1]
            lines.append(row("next", "hop \(index + 2): \(n.node) \(n.at) — \(n.action)"))
        } else {
            lines.append(row("next", "none: this is the last hop"))
            lines += verdictLines
        }
        return lines.joined(separator: "\n")
    }
}

/// A hop's packet as `show` prints it: the tunnel's outer header (when encapsulated)
/// and the pod packet inside, read from the hop's own packet.
struct HopHeaders {
    let packet: Packet
    var outer: String? { packet.outerHeaders }
    var inner: String { packet.innerHeaders }

    init(_ hop: Hop) { packet = hop.packet }

    /// `packet …`, or `outer …` and `inner …`.
    var labelled: [(label: String, text: String)] {
        guard let outer else { return [("packet", inner)] }
        return [("outer", outer), ("inner", inner)]
    }

    var ttl: Int? { packet.ttl }

    /// What this hop did to the headers, compared with the hop before.
    func changes(since previous: HopHeaders?) -> String {
        guard let previous else { return "none: the packet as the pod sends it" }
        var notes: [String] = []
        let (was, now) = (previous.packet, packet)
        if was.outer.isEmpty, let o = now.outer.last {
            let kind = o.ipip ? "IPIP (outer IP, protocol 4)" : "VXLAN (outer IP, UDP, VXLAN header, inner Ethernet)"
            notes.append("outer header added: \(kind), +\(o.overhead) bytes; the pod packet inside is unchanged")
        } else if !was.outer.isEmpty, now.outer.isEmpty {
            notes.append("outer header removed: the inner pod packet, unchanged by the tunnel, goes on")
        } else if was.outerHeaders != now.outerHeaders {
            notes.append("outer header changed")
        }
        if was.ttl != now.ttl {
            notes.append("ttl \(was.ttl) → \(now.ttl) (routed: each router hop decrements it)")
        }
        // Address translation (the hop's netfilter record says which: SNAT, DNAT or conntrack).
        func endpoint(_ ip: IPv4Address, _ port: Int, _ p: Packet) -> String { p.proto == "ICMP" ? "\(ip)" : "\(ip):\(port)" }
        if was.src != now.src || was.sport != now.sport {
            notes.append("source \(endpoint(was.src, was.sport, was)) → \(endpoint(now.src, now.sport, now)) (source NAT: the reply comes back to the new address)")
        }
        if was.dst != now.dst || was.dport != now.dport {
            notes.append("destination \(endpoint(was.dst, was.dport, was)) → \(endpoint(now.dst, now.dport, now)) (destination NAT or conntrack undoing a translation)")
        }
        if notes.isEmpty && was.innerHeaders != now.innerHeaders { notes.append("inner headers changed") }
        return notes.isEmpty ? "none: the headers are as at the hop before" : notes.joined(separator: "; ")
    }
}

/// Which part of the datapath a hop is, derived from what the hop records.
struct HopExplanation {
    static let hooks = NFHook.allCases.map(\.name)
    let kind: String
    let explanation: String
    /// One of the five netfilter hooks, when the hop is one.
    let hook: String?

    /// From what the walker recorded: the hop's stage, its netfilter record, its packet.
    init(_ h: Hop) {
        kind = h.stage.rawValue
        hook = h.stage == .hook ? h.at : nil
        let a = h.action
        let p = h.packet
        switch h.stage {
        case .hook:
            let what: String
            switch h.at {
            case "PREROUTING": what = "every packet entering \(h.node)'s network stack, before the routing decision (raw, mangle, nat; kube-proxy's Service DNAT goes in nat PREROUTING)"
            case "INPUT": what = "after routing, for packets addressed to \(h.node) itself (mangle, filter, then nat for source NAT)"
                + (p.outer.isEmpty ? "" : "; here the tunnel packet to the node's own address, before the tunnel device unwraps it")
            case "FORWARD": what = "after routing, for packets \(h.node) forwards from one interface to another (filter; where NetworkPolicy is enforced)"
            case "OUTPUT": what = "packets \(h.node) itself sends, before they are routed out (raw, mangle, nat, filter)"
            default: what = "every packet leaving \(h.node)'s network stack, after the routing decision (nat; SNAT and masquerade go here)"
            }
            explanation = "\(h.at) — \(what)"
                + (a.hasSuffix(", bridged") ? "; the frame is bridged, not routed, but br_netfilter shows it to iptables" : "")
        case .routing:
            explanation = "the longest-prefix match in \(h.node)'s routing table picks the route \(a)"
        case .ipvs:
            explanation = "IPVS at LOCAL_IN: the Service address is bound to kube-ipvs0, so the packet was local; the virtual service's scheduler picked a real server and the packet goes on to it (destination rewritten, Masq) through \(h.node)'s OUTPUT and POSTROUTING"
        case .underlay:
            switch h.at {
            case "underlay router": explanation = "the router between the nodes' L2 segments forwards the outer packet (\(a))"
            case _ where a == "transmit": explanation = "out of \(h.node)'s physical interface onto the node network"
            default: explanation = "in through \(h.node)'s physical interface from the node network"
            }
        case .encapsulation:
            explanation = p.outer.last?.ipip == true
                ? "\(h.at) wraps the pod packet in an outer IP header (IPIP) addressed to the peer node's underlay address; the pod addresses inside stay unchanged (no NAT)"
                : "\(h.at), the VXLAN device, wraps the pod packet in an outer UDP/VXLAN packet addressed to the peer node's underlay address; the pod addresses inside stay unchanged (no NAT)"
        case .decapsulation:
            explanation = "\(h.at) strips the outer header; the pod packet re-enters \(h.node)'s stack as if it came in on \(h.at)"
        case .bridge:
            explanation = "\(h.at) switches the frame at layer 2 to the port its forwarding database (FDB) names"
        case .veth:
            explanation = "\(h.at) is the host end of a pod's veth pair: what enters one end leaves the other, between the pod's and the host's network namespaces"
        case .pod:
            explanation = a.hasPrefix("refused")
                ? "the sending pod's own stack refuses the packet: it never leaves the pod"
                : "the sending pod's own routing table picks eth0 and its gateway; the packet leaves through the pod's end of its veth pair"
        case .delivery:
            explanation = a == "local delivery"
                ? "the address is the pod's own: the packet loops back inside its namespace"
                : "the destination pod's eth0 receives the packet, source address unchanged; its TCP/UDP/ICMP stack takes it from here"
        case .device:
            explanation = "the packet crosses \(h.at) on \(h.node)"
        }
    }
}

/// A hop as scripts see it: `.number`, `.node`, `.at`, `.action`, `.headers`, and
/// `.outer`/`.inner` (the outer header is nil unless the packet is encapsulated), `.stage`.
final class HopValue: ScriptObject, @unchecked Sendable {
    let hop: Hop
    let number: Int
    init(_ hop: Hop, number: Int) { self.hop = hop; self.number = number }
    var typeName: String { "hop" }
    var description: String { "hop(\(number): \(hop.node) \(hop.at) — \(hop.action))" }
    var memberNames: [String] { ["number", "node", "at", "action", "headers", "outer", "inner", "stage", "rule", "rules", "conntrack", "rulesEvaluated"] }
    func member(_ name: String) -> Value? {
        switch name {
        // At a netfilter hook: the rule that decided (its -S text), every table's decision, conntrack's finding.
        case "rule": return hop.netfilter?.decidingRule.map { .string($0.ruleText) } ?? .nil
        case "rules": return .list((hop.netfilter?.decisions ?? []).map { .string("\($0.tableLabel): \($0.ruleText)") })
        case "conntrack": return hop.netfilter?.conntrack.map { .string($0) } ?? .nil
        case "rulesEvaluated": return .int(hop.netfilter?.rulesEvaluated ?? 0)
        case "number": return .int(number)
        case "node": return .string(hop.node)
        case "at": return .string(hop.at)
        case "action": return .string(hop.action)
        case "headers": return .string(hop.headers)
        case "outer": return HopHeaders(hop).outer.map { .string($0) } ?? .nil
        case "inner": return .string(HopHeaders(hop).inner)
        case "stage": return .string(HopExplanation(hop).kind)
        default: return nil
        }
    }
    func isEqual(to other: any ScriptObject) -> Bool {
        guard let o = other as? HopValue else { return false }
        return o.number == number && o.hop.node == hop.node && o.hop.at == hop.at && o.hop.action == hop.action && o.hop.headers == hop.headers
    }
}

/// Where a stepped trace stands (a snapshot, as `trace --step`, `next`, `back` and
/// `show` leave it): `.index` (1-based), `.count`, `.done`, `.hop`, `.hops`, `.trace`,
/// the verdict (`.delivered`, `.droppedAt`, `.reason`, `.verdict`), and the current
/// hop's `.node`, `.at`, `.action`, `.headers`, `.outer`, `.inner`, `.stage`.
final class StepValue: ScriptObject, @unchecked Sendable {
    let stepper: TraceStepper
    let index: Int
    init(_ s: TraceStepper) { stepper = s; index = s.index }
    var t: Trace { stepper.trace }
    var current: HopValue? { t.hops.isEmpty ? nil : HopValue(t.hops[index], number: index + 1) }
    var typeName: String { "step" }
    var description: String {
        guard let h = current?.hop else { return "step(no hops, \(stepper.verdict))" }
        return "step(hop \(index + 1)/\(t.hops.count): \(h.node) \(h.at)\(index + 1 == t.hops.count ? ", \(stepper.verdict)" : ""))"
    }
    var memberNames: [String] { ["index", "count", "done", "hop", "hops", "trace", "delivered", "droppedAt", "reason", "verdict"] + (current?.memberNames.filter { $0 != "number" } ?? []) }
    func member(_ name: String) -> Value? {
        switch name {
        case "index": return .int(t.hops.isEmpty ? 0 : index + 1)
        case "count": return .int(t.hops.count)
        case "done": return .bool(index >= t.hops.count - 1)
        case "hop": return current.map { .object($0) } ?? .nil
        case "hops": return .list(t.hops.enumerated().map { .object(HopValue($0.element, number: $0.offset + 1)) })
        case "trace": return .object(TraceValue(t))
        case "delivered": return .bool(t.delivered)
        case "droppedAt": return t.droppedAt.map { .string($0) } ?? .nil
        case "reason": return t.reason.map { .string($0) } ?? .nil
        case "verdict": return .string(stepper.verdict)
        case "number": return nil
        default:
            guard let c = current else { return ["node", "at", "action", "headers", "outer", "inner", "stage"].contains(name) ? .nil : nil }
            return c.member(name)
        }
    }
    func isEqual(to other: any ScriptObject) -> Bool {
        guard let o = other as? StepValue else { return false }
        return o.stepper === stepper && o.index == index
    }
}

extension String {
    fileprivate func padding(toWidth width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
