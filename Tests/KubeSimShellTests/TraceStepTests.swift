import Foundation
import Testing
import KubeScript
import KubeSimShell

/// `trace … --step`: Packet Tracer's simulation mode over the same trace `trace` prints
/// (ClusterBindings+Step.swift): `next [N]`, `back [N]`, `show`, the values scripts get,
/// bounds and errors, and the REPL's prompt while a trace is being stepped.
@Suite("trace --step")
struct TraceStepTests {
    /// Two flannel VXLAN nodes, pod a on node1 and pod b (nginx) on node2.
    static let cluster = "cluster nodes=2\n" + placePods([("a", "node1"), ("b", "node2")]) + "\n"

    @Test func stepsHopByHopThroughACrossNodeVXLANTrace() {
        let r = runScript(Self.cluster + """
        trace from pod/a to pod/b:80 --step
        next 6
        show
        next 6
        show
        next 7
        show
        back 6
        show
        """)
        #expect(r.outcome == .success, "\(r.err)")
        let lines = r.out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.prefix(3) == ["cluster created: 2 nodes (node1…node2), seed 1", "pod/a created", "pod/b created"])
        let stepped = lines.dropFirst(3).joined(separator: "\n")
        let expected = """
        Simulation: pod/a → pod/b:80 (10.244.0.2 → 10.244.1.2:80), TCP, 60 bytes, 20 hops
        Step with next [N] and back [N]; show explains the current hop. Other commands run as usual.
        hop 1/20  node1  pod/a eth0  (pod namespace)
          action  send (route: 10.244.0.0/16 via 10.244.0.1 dev eth0)
          packet  10.244.0.2:40000 > 10.244.1.2:80 TCP SYN ttl=64 len=60
        hop 2/20  node1  veth67897060  (veth pair)
          action  veth: into the host namespace
          packet  10.244.0.2:40000 > 10.244.1.2:80 TCP SYN ttl=64 len=60
        hop 3/20  node1  PREROUTING  (netfilter hook)
          action  conntrack: new; raw, mangle: empty (ACCEPT); nat: PREROUTING: policy ACCEPT
          packet  10.244.0.2:40000 > 10.244.1.2:80 TCP SYN ttl=64 len=60
        hop 4/20  node1  routing  (routing decision)
          action  10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink
          packet  10.244.0.2:40000 > 10.244.1.2:80 TCP SYN ttl=63 len=60
        hop 5/20  node1  FORWARD  (netfilter hook)
          action  mangle: empty (ACCEPT); filter: FORWARD → FLANNEL-FWD rule 1: ACCEPT
          packet  10.244.0.2:40000 > 10.244.1.2:80 TCP SYN ttl=63 len=60
        hop 6/20  node1  POSTROUTING  (netfilter hook)
          action  mangle: empty (ACCEPT); nat: POSTROUTING → FLANNEL-POSTRTG rule 2: RETURN, policy ACCEPT
          packet  10.244.0.2:40000 > 10.244.1.2:80 TCP SYN ttl=63 len=60
        hop 7/20  node1  flannel.1  (encapsulation)
          action  encapsulate VXLAN VNI 1: 22:ab:dc:0d:d3:00 is at 192.168.56.12
          outer   192.168.56.11:30256 > 192.168.56.12:8472 UDP VXLAN vni=1 len=110
          inner   10.244.0.2:40000 > 10.244.1.2:80 TCP SYN ttl=63 len=60
        hop 7 of 20 (pod/a → pod/b:80)
          node      node1
          where     flannel.1
          stage     encapsulation: flannel.1, the VXLAN device, wraps the pod packet in an outer UDP/VXLAN packet addressed to the peer node's underlay address; the pod addresses inside stay unchanged (no NAT)
          action    encapsulate VXLAN VNI 1: 22:ab:dc:0d:d3:00 is at 192.168.56.12
          outer     192.168.56.11:30256 > 192.168.56.12:8472 UDP VXLAN vni=1 len=110
          inner     10.244.0.2:40000 > 10.244.1.2:80 TCP SYN ttl=63 len=60
          changed   outer header added: VXLAN (outer IP, UDP, VXLAN header, inner Ethernet), +50 bytes; the pod packet inside is unchanged
          previous  hop 6: node1 POSTROUTING — mangle: empty (ACCEPT); nat: POSTROUTING → FLANNEL-POSTRTG rule 2: RETURN, policy ACCEPT
          next      hop 8: node1 OUTPUT — outer: conntrack: new; raw, mangle: empty (ACCEPT); nat: OUTPUT: policy ACCEPT; filter: OUTPUT: policy ACCEPT
        hop 8/20  node1  OUTPUT  (netfilter hook)
          action  outer: conntrack: new; raw, mangle: empty (ACCEPT); nat: OUTPUT: policy ACCEPT; filter: OUTPUT: policy ACCEPT
          outer   192.168.56.11:30256 > 192.168.56.12:8472 UDP VXLAN vni=1 len=110
          inner   10.244.0.2:40000 > 10.244.1.2:80 TCP SYN ttl=63 len=60
        hop 9/20  node1  POSTROUTING  (netfilter hook)
          action  outer: mangle: empty (ACCEPT); nat: POSTROUTING → KUBE-POSTROUTING rule 1: RETURN, policy ACCEPT
          outer   192.168.56.11:30256 > 192.168.56.12:8472 UDP VXLAN vni=1 len=110
          inner   10.244.0.2:40000 > 10.244.1.2:80 TCP SYN ttl=63 len=60
        hop 10/20  node1  eth0  (underlay)
          action  transmit
          outer   192.168.56.11:30256 > 192.168.56.12:8472 UDP VXLAN vni=1 len=110
          inner   10.244.0.2:40000 > 10.244.1.2:80 TCP SYN ttl=63 len=60
        hop 11/20  node2  eth0  (underlay)
          action  receive (L2 segment 1)
          outer   192.168.56.11:30256 > 192.168.56.12:8472 UDP VXLAN vni=1 len=110
          inner   10.244.0.2:40000 > 10.244.1.2:80 TCP SYN ttl=63 len=60
        hop 12/20  node2  PREROUTING  (netfilter hook)
          action  outer: conntrack: new; raw, mangle: empty (ACCEPT); nat: PREROUTING: policy ACCEPT
          outer   192.168.56.11:30256 > 192.168.56.12:8472 UDP VXLAN vni=1 len=110
          inner   10.244.0.2:40000 > 10.244.1.2:80 TCP SYN ttl=63 len=60
        hop 13/20  node2  INPUT  (netfilter hook)
          action  outer: mangle: empty (ACCEPT); filter: INPUT: policy ACCEPT; nat: empty (ACCEPT)
          outer   192.168.56.11:30256 > 192.168.56.12:8472 UDP VXLAN vni=1 len=110
          inner   10.244.0.2:40000 > 10.244.1.2:80 TCP SYN ttl=63 len=60
        hop 13 of 20 (pod/a → pod/b:80)
          node      node2
          where     INPUT
          stage     netfilter hook: INPUT — after routing, for packets addressed to node2 itself (mangle, filter, then nat for source NAT); here the tunnel packet to the node's own address, before the tunnel device unwraps it
          hooks     PREROUTING [INPUT] FORWARD OUTPUT POSTROUTING
          action    outer: mangle: empty (ACCEPT); filter: INPUT: policy ACCEPT; nat: empty (ACCEPT)
          rule      filter INPUT  -P INPUT ACCEPT  → ACCEPT
          rules     5 evaluated
          outer     192.168.56.11:30256 > 192.168.56.12:8472 UDP VXLAN vni=1 len=110
          inner     10.244.0.2:40000 > 10.244.1.2:80 TCP SYN ttl=63 len=60
          changed   none: the headers are as at the hop before
          previous  hop 12: node2 PREROUTING — outer: conntrack: new; raw, mangle: empty (ACCEPT); nat: PREROUTING: policy ACCEPT
          next      hop 14: node2 flannel.1 — decapsulate VXLAN (VNI 1, UDP 8472)
        hop 14/20  node2  flannel.1  (decapsulation)
          action  decapsulate VXLAN (VNI 1, UDP 8472)
          packet  10.244.0.2:40000 > 10.244.1.2:80 TCP SYN ttl=63 len=60
        hop 15/20  node2  PREROUTING  (netfilter hook)
          action  conntrack: new; raw, mangle: empty (ACCEPT); nat: PREROUTING: policy ACCEPT
          packet  10.244.0.2:40000 > 10.244.1.2:80 TCP SYN ttl=63 len=60
        hop 16/20  node2  routing  (routing decision)
          action  10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1
          packet  10.244.0.2:40000 > 10.244.1.2:80 TCP SYN ttl=62 len=60
        hop 17/20  node2  FORWARD  (netfilter hook)
          action  mangle: empty (ACCEPT); filter: FORWARD → FLANNEL-FWD rule 1: ACCEPT
          packet  10.244.0.2:40000 > 10.244.1.2:80 TCP SYN ttl=62 len=60
        hop 18/20  node2  POSTROUTING  (netfilter hook)
          action  mangle: empty (ACCEPT); nat: POSTROUTING → FLANNEL-POSTRTG rule 3: RETURN, policy ACCEPT
          packet  10.244.0.2:40000 > 10.244.1.2:80 TCP SYN ttl=62 len=60
        hop 19/20  node2  cni0  (bridge)
          action  bridge: to vethc04ae9f0 (FDB)
          packet  10.244.0.2:40000 > 10.244.1.2:80 TCP SYN ttl=62 len=60
        hop 20/20  node2  pod/b eth0  (delivery)
          action  deliver
          packet  10.244.0.2:40000 > 10.244.1.2:80 TCP SYN ttl=62 len=60
        verdict: delivered to pod/b on node2
        hop 20 of 20 (pod/a → pod/b:80)
          node      node2
          where     pod/b eth0
          stage     delivery: the destination pod's eth0 receives the packet, source address unchanged; its TCP/UDP/ICMP stack takes it from here
          action    deliver
          packet    10.244.0.2:40000 > 10.244.1.2:80 TCP SYN ttl=62 len=60
          changed   none: the headers are as at the hop before
          previous  hop 19: node2 cni0 — bridge: to vethc04ae9f0 (FDB)
          next      none: this is the last hop
        verdict: delivered to pod/b on node2
        hop 14/20  node2  flannel.1  (decapsulation)
          action  decapsulate VXLAN (VNI 1, UDP 8472)
          packet  10.244.0.2:40000 > 10.244.1.2:80 TCP SYN ttl=63 len=60
        hop 14 of 20 (pod/a → pod/b:80)
          node      node2
          where     flannel.1
          stage     decapsulation: flannel.1 strips the outer header; the pod packet re-enters node2's stack as if it came in on flannel.1
          action    decapsulate VXLAN (VNI 1, UDP 8472)
          packet    10.244.0.2:40000 > 10.244.1.2:80 TCP SYN ttl=63 len=60
          changed   outer header removed: the inner pod packet, unchanged by the tunnel, goes on
          previous  hop 13: node2 INPUT — outer: mangle: empty (ACCEPT); filter: INPUT: policy ACCEPT; nat: empty (ACCEPT)
          next      hop 15: node2 PREROUTING — conntrack: new; raw, mangle: empty (ACCEPT); nat: PREROUTING: policy ACCEPT
        """
        #expect(stepped == expected + "\n")
        if stepped != expected + "\n" {
            for (i, (got, want)) in zip(stepped.split(separator: "\n"), expected.split(separator: "\n")).enumerated() where got != want {
                Issue.record("line \(i + 1): got '\(got)', want '\(want)'")
                break
            }
        }
    }

    @Test func steppedHopsAreThePlainTracesHops() {
        let r = runScript(Self.cluster + """
        trace from pod/a to pod/b:80
        let t = (trace from pod/a to pod/b:80)
        let s = (trace from pod/a to pod/b:80 --step)
        assert s.index == 1 and s.count == t.hops.count and s.count == 20 and not s.done
        assert s.trace.path == t.path and s.delivered == t.delivered
        assert s.node == "node1" and s.at == "pod/a eth0" and s.stage == "pod namespace" and s.outer == nil
        # Walk to the end one hop at a time, collecting where each hop was.
        var path = [s.node + " " + s.at]
        var h = s
        while not h.done {
            h = (next)
            path = path + [h.node + " " + h.at]
        }
        assert path == t.path
        assert h.index == 20 and h.done and h.verdict == "delivered to pod/b on node2"
        assert h.hop.node == "node2" and h.hop.at == "pod/b eth0" and h.hop.action == "deliver" and h.hop.number == 20
        assert h.hops.count == 20 and h.hops[6] == s.hops[6]
        assert h.hops[6].stage == "encapsulation" and h.hops[6].outer == "192.168.56.11:30256 > 192.168.56.12:8472 UDP VXLAN vni=1 len=110"
        assert h.hops[6].inner == "10.244.0.2:40000 > 10.244.1.2:80 TCP SYN ttl=63 len=60"
        assert h.hops[6].headers == "outer " + h.hops[6].outer + " | inner " + h.hops[6].inner
        let back = (back 13)
        assert back.index == 7 and back.at == "flannel.1" and back.action.contains("encapsulate VXLAN VNI 1")
        let shown = (show)
        assert shown.index == 7 and shown.output.contains("  hooks") == false
        # Forget the three walks' connections, so this one meets the nodes as the first did.
        ssh node1 conntrack -F
        ssh node2 conntrack -F
        trace from pod/a to pod/b:80 --step
        next 19
        """)
        #expect(r.outcome == .success, "\(r.err)")
        // The table `trace` prints and the hops stepping prints are the same rows:
        // node, where, action and headers (outer | inner joined as the table shows them).
        let out = r.out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let header = out.firstIndex(where: { $0.hasPrefix("HOP  NODE") }) else { Issue.record("no trace table"); return }
        let table = out[(header + 1)...].prefix { !$0.hasPrefix("delivered") }.map { row -> [String] in
            row.components(separatedBy: "  ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.dropFirst().map { $0 }
        }
        guard let start = out.lastIndex(where: { $0.hasPrefix("Simulation: ") }) else { Issue.record("no simulation header"); return }
        var stepped: [[String]] = []
        for line in out[(start + 2)...] {
            if line.hasPrefix("hop ") {
                let parts = line.components(separatedBy: "  ")
                stepped.append([parts[1], parts[2]])
            } else if line.hasPrefix("  action  ") {
                stepped[stepped.count - 1].append(String(line.dropFirst(10)))
            } else if line.hasPrefix("  packet  ") {
                stepped[stepped.count - 1].append(String(line.dropFirst(10)))
            } else if line.hasPrefix("  outer   ") {
                stepped[stepped.count - 1].append("outer " + String(line.dropFirst(10)))
            } else if line.hasPrefix("  inner   ") {
                stepped[stepped.count - 1][3] += " | inner " + String(line.dropFirst(10))
            }
        }
        #expect(table.count == 20)
        #expect(stepped == table)
        #expect(out.last(where: { !$0.isEmpty }) == "verdict: delivered to pod/b on node2")
    }

    @Test func nextAndBackStopAtTheEnds() {
        let r = runScript(Self.cluster + """
        trace from pod/a to pod/b:80 --step
        expect error "back: the walk starts here (already at hop 1/20, the first); next [N] steps forward" { back }
        let end = (next 100)
        assert end.index == 20 and end.done
        assert end.output.hasSuffix("hop 20/20  node2  pod/b eth0  (delivery)\\n  action  deliver\\n  packet  10.244.0.2:40000 > 10.244.1.2:80 TCP SYN ttl=62 len=60\\nverdict: delivered to pod/b on node2")
        expect error "next: the walk is over (already at hop 20/20, the last; delivered to pod/b on node2); back [N] steps back, trace … --step starts a new one" { next }
        let first = (back 100)
        assert first.index == 1 and first.output.hasPrefix("hop 1/20  node1  pod/a eth0  (pod namespace)")
        expect error "next: expected a number of hops (1 or more), found '0'" { next 0 }
        expect error "back: expected at most one number, as in 'back 3'" { back 1 2 }
        expect error "show: takes no arguments" { show hop }
        # A second trace --step replaces the first.
        next 3
        trace from a to b --proto icmp --size 1500 --step
        expect error "walk is over" { next }
        expect error "the walk starts here" { back }
        let icmp = (show)
        assert icmp.index == 1 and icmp.count == 1 and icmp.done and not icmp.delivered
        assert icmp.droppedAt == "pod/a eth0" and icmp.reason == "message too long (MTU 1450)"
        print icmp.output
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("""
        Simulation: pod/a → pod/b (10.244.0.2 → 10.244.1.2), ICMP, 1500 bytes, 1 hop
        Step with next [N] and back [N]; show explains the current hop. Other commands run as usual.
        hop 1/1  node1  pod/a eth0  (pod namespace)
          action  refused: 1500 > MTU 1450, DF set
          packet  10.244.0.2 > 10.244.1.2 ICMP echo-request ttl=64 len=1500
        verdict: dropped at pod/a eth0: message too long (MTU 1450)
          the sender's own stack reports it: frag needed and DF set (mtu 1450)
        """))
        #expect(r.out.hasSuffix("""
          next      none: this is the last hop
        verdict: dropped at pod/a eth0: message too long (MTU 1450)
          the sender's own stack reports it: frag needed and DF set (mtu 1450)

        """))
    }

    @Test func showNamesAnAddressTranslation() {
        let r = runScript(Self.cluster + """
        trace from pod/a to node/node2:22 --step
        next 5
        show
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("  changed   source 10.244.0.2:40000 → 192.168.56.11:"), "\(r.out)")
        #expect(r.out.contains("(source NAT: the reply comes back to the new address)"))
    }

    @Test func withoutASessionEachCommandSaysHowToStartOne() {
        for verb in ["next", "back", "show"] {
            let r = runScript(verb + "\n")
            #expect(r.outcome != .success)
            #expect(r.err.contains("\(verb): no trace is being stepped; start one with trace from pod/A to pod/B:PORT --step"), "\(r.err)")
        }
        // A new cluster ends the session: its trace walked the old cluster's network.
        let r = runScript(Self.cluster + """
        trace from pod/a to pod/b:80 --step
        next
        cluster nodes=1
        expect error "next: the trace being stepped was of a cluster that has since been replaced" { next }
        expect error "next: no trace is being stepped" { next }
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }

    @Test func commandsAreRegisteredWithHelpAndCompletion() {
        let s = SessionFactory.make(output: { _ in }, diagnostics: { _ in })
        for name in ["next", "back", "show"] { #expect(s.registry.lookup(name) != nil) }
        #expect(s.registry.lookup("next")?.usage == "next [N]")
        #expect(s.registry.lookup("trace")?.helpText.contains("--step") == true)
        let c = Completer(registry: s.registry, names: { [] })
        #expect(c.candidates(forLinePrefix: "nex") == ["next"])
        #expect(c.candidates(forLinePrefix: "sho") == ["show"])
        #expect(c.candidates(forLinePrefix: "trace from pod/a to pod/b:80 --st") == ["--step"])
        var out = ""
        let h = SessionFactory.make(output: { out += $0 }, diagnostics: { _ in })
        _ = h.run("help next\n", name: "h")
        #expect(out.contains("usage: next [N]"))
    }

    /// The REPL's prompt shows the position while a trace is being stepped.
    @Test func replPromptShowsTheStep() throws {
        try #require(REPLTests.tmuxAvailable, "tmux is installed by scripts/test")
        let history = NSTemporaryDirectory() + "kubesim-hist-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: history) }
        let t = try REPLTests.Tmux(history: history)
        var screen = t.waitFor { $0.contains("kubesim>") }
        usleep(200_000)
        try t.type("cluster nodes=2; run a --image=nginx:1.25; run b --image=nginx:1.25; settle"); try t.send("Enter")
        screen = t.waitFor { $0.contains("pod/b created") && $0.split(separator: "\n").last == "kubesim>" }
        try t.type("trace from pod/a to pod/b:80 --step"); try t.send("Enter")
        screen = t.waitFor { $0.contains("kubesim[trace 1/") }
        #expect(screen.contains("Simulation: pod/a → pod/b:80"))
        #expect(screen.contains("kubesim[trace 1/"))
        try t.type("nex"); try t.send("Tab")
        screen = t.waitFor { $0.contains("]> next") }
        try t.send("Enter")
        screen = t.waitFor { $0.contains("kubesim[trace 2/") }
        #expect(screen.contains("hop 2/"))
        #expect(screen.contains("kubesim[trace 2/"))
        try t.send("C-d")
        _ = t.waitFor(5) { _ in !t.isAlive }
    }
}
