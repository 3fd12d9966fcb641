import Testing
@testable import KubeSimNet
import KubeSimCore

// nf_conntrack and nf_nat: entries made on a connection's first packet, confirmed when
// it leaves the last hook, NAT bindings applied both ways, and `conntrack -L` lines
// (conntrack-tools 1.4.7 default output; kernel default timeouts).

func lines(_ nf: Netfilter, at now: Int64) -> [String] {
    nf.conntrack.entries(now: now).map { nf.conntrack.line($0, now: now) }
}

@Suite("Conntrack")
struct ConntrackTests {
    @Test("an entry is made at the first hook and confirmed only at the last")
    func confirmedAtLastHook() {
        let nf = Netfilter()
        var p = tcp("10.244.0.2", "10.244.1.3")
        var ct = CTPass()
        _ = nf.run(.prerouting, &p, ct: &ct, now: 0, record: true)
        #expect(ct.entry != nil)
        #expect(ct.isNew)
        #expect(nf.conntrack.entries(now: 0).isEmpty)
        _ = nf.run(.forward, &p, ct: &ct, now: 0, record: true)
        #expect(nf.conntrack.entries(now: 0).isEmpty)
        _ = nf.run(.postrouting, &p, ct: &ct, now: 0, record: true)
        #expect(nf.conntrack.entries(now: 0).count == 1)
        #expect(lines(nf, at: sec) == [
            "tcp      6 119 SYN_SENT src=10.244.0.2 dst=10.244.1.3 sport=40000 dport=80 [UNREPLIED] src=10.244.1.3 dst=10.244.0.2 sport=80 dport=40000 mark=0 use=1",
        ])
    }

    @Test("a dropped first packet leaves no entry")
    func droppedLeavesNothing() {
        let nf = Netfilter()
        program(nf, ["-A FORWARD -p udp -j DROP"])
        var p = udp("10.244.0.2", "8.8.8.8")
        #expect(verdict(walk(nf, &p)) == .drop)
        #expect(nf.conntrack.entries(now: 0).isEmpty)
        var q = udp("10.244.0.2", "8.8.8.8")
        let rs = walk(nf, &q, .sent)
        #expect(verdict(rs) == .accept)
        #expect(q.ctState == .new)
        #expect(nf.conntrack.entries(now: 0).count == 1)
    }

    @Test("Conntrack.count counts the live entries")
    func count() {
        let nf = Netfilter()
        var p = udp("10.244.0.2", "8.8.8.8")
        walk(nf, &p)
        #expect(nf.conntrack.count == 1)
    }

    @Test("DNAT: the request's destination at PREROUTING, the reply's source at POSTROUTING; nat only once")
    func dnatBothWays() {
        let nf = Netfilter()
        program(nf, ["-t nat -A PREROUTING -d 10.96.0.10/32 -p udp --dport 53 -j DNAT --to-destination 10.244.1.3:53"])
        var req = udp("10.244.0.2", "10.96.0.10", sport: 40000, dport: 53)
        let rs = walk(nf, &req, now: 0)
        #expect(req.dst == ip("10.244.1.3"))
        #expect(req.dport == 53)
        #expect(decided(rs) == ["nat PREROUTING#1 DNAT to 10.244.1.3:53"])
        #expect(rs[0].translations == ["DNAT 10.96.0.10:53 → 10.244.1.3:53"])
        #expect(lines(nf, at: sec) == [
            "udp      17 29 src=10.244.0.2 dst=10.96.0.10 sport=40000 dport=53 [UNREPLIED] src=10.244.1.3 dst=10.244.0.2 sport=53 dport=40000 mark=0 use=1",
        ])

        var reply = udp("10.244.1.3", "10.244.0.2", sport: 53, dport: 40000)
        var ct = CTPass()
        _ = nf.run(.prerouting, &reply, ct: &ct, now: sec, record: true)
        #expect(reply.ctState == .established)
        #expect(reply.src == ip("10.244.1.3"))   // not yet: the source is restored at POSTROUTING
        _ = nf.run(.forward, &reply, ct: &ct, now: sec, record: true)
        _ = nf.run(.postrouting, &reply, ct: &ct, now: sec, record: true)
        #expect(reply.src == ip("10.96.0.10"))
        #expect(reply.sport == 53)
        #expect(reply.dst == ip("10.244.0.2"))
        #expect(reply.dport == 40000)
        #expect(lines(nf, at: 2 * sec) == [
            "udp      17 29 src=10.244.0.2 dst=10.96.0.10 sport=40000 dport=53 src=10.244.1.3 dst=10.244.0.2 sport=53 dport=40000 mark=0 use=1",
        ])

        // The next request takes the binding from the entry; the nat rule is not consulted.
        var again = udp("10.244.0.2", "10.96.0.10", sport: 40000, dport: 53)
        let ra = walk(nf, &again, now: 3 * sec)
        #expect(again.dst == ip("10.244.1.3"))
        #expect(again.ctState == .established)
        #expect(decided(ra) == [])
        #expect(counters(nf, .nat, "PREROUTING", 1) == [1, 60])
        #expect(chain(nf, .nat, "POSTROUTING").policyPackets == 1)
    }

    @Test("MASQUERADE: the request's source at POSTROUTING, the reply de-NATed at PREROUTING")
    func masqueradeBothWays() {
        let nf = Netfilter()
        nf.masqueradeSource = { dev, _ in dev == "eth0" ? ip("192.168.1.10") : nil }
        program(nf, ["-t nat -A POSTROUTING -s 10.244.0.0/16 ! -d 10.244.0.0/16 -j MASQUERADE"])
        var req = udp("10.244.0.2", "8.8.8.8", sport: 40000, dport: 53)
        req.outDev = "eth0"
        var ct = CTPass()
        _ = nf.run(.prerouting, &req, ct: &ct, now: 0, record: true)
        _ = nf.run(.forward, &req, ct: &ct, now: 0, record: true)
        #expect(req.src == ip("10.244.0.2"))
        let post = nf.run(.postrouting, &req, ct: &ct, now: 0, record: true)
        #expect(req.src == ip("192.168.1.10"))
        #expect(req.sport == 40000)   // kept: nothing else holds it
        #expect(post.translations == ["MASQUERADE 10.244.0.2:40000 → 192.168.1.10:40000"])
        #expect(lines(nf, at: sec) == [
            "udp      17 29 src=10.244.0.2 dst=8.8.8.8 sport=40000 dport=53 [UNREPLIED] src=8.8.8.8 dst=192.168.1.10 sport=53 dport=40000 mark=0 use=1",
        ])

        var reply = udp("8.8.8.8", "192.168.1.10", sport: 53, dport: 40000)
        var rct = CTPass()
        _ = nf.run(.prerouting, &reply, ct: &rct, now: sec, record: true)
        #expect(reply.dst == ip("10.244.0.2"))
        #expect(reply.dport == 40000)
        #expect(reply.ctState == .established)
        _ = nf.run(.forward, &reply, ct: &rct, now: sec, record: true)
        _ = nf.run(.postrouting, &reply, ct: &rct, now: sec, record: true)
        #expect(reply.src == ip("8.8.8.8"))
        #expect(reply.sport == 53)
        #expect(counters(nf, .nat, "POSTROUTING", 1) == [1, 60])
    }

    @Test("SNAT --random-fully takes the port nf.drawPort draws from the original tuple")
    func snatRandomFully() {
        let nf = Netfilter()
        var asked: [FlowTuple] = []
        nf.drawPort = { asked.append($0); return 50123 }
        program(nf, ["-t nat -A POSTROUTING -s 10.244.0.0/16 -j SNAT --to-source 192.168.1.10 --random-fully"])
        var req = tcp("10.244.0.2", "1.1.1.1", sport: 40000, dport: 443)
        walk(nf, &req)
        #expect(req.src == ip("192.168.1.10"))
        #expect(req.sport == 50123)
        #expect(asked == [FlowTuple(proto: .tcp, src: ip("10.244.0.2"), dst: ip("1.1.1.1"), sport: 40000, dport: 443)])
        #expect(lines(nf, at: sec) == [
            "tcp      6 119 SYN_SENT src=10.244.0.2 dst=1.1.1.1 sport=40000 dport=443 [UNREPLIED] src=1.1.1.1 dst=192.168.1.10 sport=443 dport=50123 mark=0 use=1",
        ])
        var reply = tcp("1.1.1.1", "192.168.1.10", sport: 443, dport: 50123, flags: "SYN-ACK")
        walk(nf, &reply, now: sec)
        #expect(reply.dst == ip("10.244.0.2"))
        #expect(reply.dport == 40000)
    }

    @Test("a source port another connection to the same remote holds is not reused: the next one is taken")
    func portClash() {
        let nf = Netfilter()
        nf.masqueradeSource = { _, _ in ip("192.168.1.10") }
        program(nf, ["-t nat -A POSTROUTING -s 10.244.0.0/16 -j MASQUERADE"])
        var a = udp("10.244.0.2", "8.8.8.8", sport: 40000)
        var b = udp("10.244.0.3", "8.8.8.8", sport: 40000)
        var c = udp("10.244.0.4", "8.8.4.4", sport: 40000)
        walk(nf, &a); walk(nf, &b); walk(nf, &c)
        #expect(a.sport == 40000)
        #expect(b.sport == 40001)
        #expect(c.sport == 40000)   // another remote: no clash
        #expect(lines(nf, at: sec) == [
            "udp      17 29 src=10.244.0.2 dst=8.8.8.8 sport=40000 dport=53 [UNREPLIED] src=8.8.8.8 dst=192.168.1.10 sport=53 dport=40000 mark=0 use=1",
            "udp      17 29 src=10.244.0.3 dst=8.8.8.8 sport=40000 dport=53 [UNREPLIED] src=8.8.8.8 dst=192.168.1.10 sport=53 dport=40001 mark=0 use=1",
            "udp      17 29 src=10.244.0.4 dst=8.8.4.4 sport=40000 dport=53 [UNREPLIED] src=8.8.4.4 dst=192.168.1.10 sport=53 dport=40000 mark=0 use=1",
        ])
        // Each reply finds its own pod.
        var rb = udp("8.8.8.8", "192.168.1.10", sport: 53, dport: 40001)
        walk(nf, &rb, now: sec)
        #expect(rb.dst == ip("10.244.0.3"))
        #expect(rb.dport == 40000)
    }

    @Test("TCP: SYN_SENT → SYN_RECV → ESTABLISHED [ASSURED] → FIN_WAIT → CLOSE_WAIT → LAST_ACK → TIME_WAIT → gone")
    func tcpStates() {
        let nf = Netfilter()
        let c = "10.244.0.2", s = "10.244.1.3"
        func orig(_ f: String, _ t: Int64) { var p = tcp(c, s, flags: f); walk(nf, &p, now: t * sec) }
        func back(_ f: String, _ t: Int64) { var p = tcp(s, c, sport: 80, dport: 40000, flags: f); walk(nf, &p, now: t * sec) }
        let tuples = "src=10.244.0.2 dst=10.244.1.3 sport=40000 dport=80"
        let rtuple = "src=10.244.1.3 dst=10.244.0.2 sport=80 dport=40000"
        orig("SYN", 0)
        #expect(lines(nf, at: sec) == ["tcp      6 119 SYN_SENT \(tuples) [UNREPLIED] \(rtuple) mark=0 use=1"])
        back("SYN-ACK", 1)
        #expect(lines(nf, at: 2 * sec) == ["tcp      6 59 SYN_RECV \(tuples) \(rtuple) mark=0 use=1"])
        orig("ACK", 2)
        #expect(lines(nf, at: 3 * sec) == ["tcp      6 431999 ESTABLISHED \(tuples) \(rtuple) [ASSURED] mark=0 use=1"])
        orig("PSH-ACK", 3)
        back("ACK", 3)
        #expect(lines(nf, at: 4 * sec) == ["tcp      6 431999 ESTABLISHED \(tuples) \(rtuple) [ASSURED] mark=0 use=1"])
        orig("FIN-ACK", 4)
        #expect(lines(nf, at: 5 * sec) == ["tcp      6 119 FIN_WAIT \(tuples) \(rtuple) [ASSURED] mark=0 use=1"])
        back("ACK", 5)
        #expect(lines(nf, at: 6 * sec) == ["tcp      6 59 CLOSE_WAIT \(tuples) \(rtuple) [ASSURED] mark=0 use=1"])
        back("FIN-ACK", 6)
        #expect(lines(nf, at: 7 * sec) == ["tcp      6 29 LAST_ACK \(tuples) \(rtuple) [ASSURED] mark=0 use=1"])
        orig("ACK", 7)
        #expect(lines(nf, at: 10 * sec) == ["tcp      6 117 TIME_WAIT \(tuples) \(rtuple) [ASSURED] mark=0 use=1"])
        #expect(lines(nf, at: 126 * sec) == ["tcp      6 1 TIME_WAIT \(tuples) \(rtuple) [ASSURED] mark=0 use=1"])
        #expect(lines(nf, at: 127 * sec) == [])
    }

    @Test("TCP: a reset on an established connection leaves it in CLOSE for 10 s")
    func tcpReset() {
        let nf = Netfilter()
        var a = tcp("10.0.0.1", "10.0.0.2", flags: "SYN"); walk(nf, &a, now: 0)
        var b = tcp("10.0.0.2", "10.0.0.1", sport: 80, dport: 40000, flags: "SYN-ACK"); walk(nf, &b, now: 0)
        var c = tcp("10.0.0.1", "10.0.0.2", flags: "ACK"); walk(nf, &c, now: 0)
        var d = tcp("10.0.0.2", "10.0.0.1", sport: 80, dport: 40000, flags: "RST-ACK"); walk(nf, &d, now: sec)
        #expect(lines(nf, at: 2 * sec) == [
            "tcp      6 9 CLOSE src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=80 src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40000 [ASSURED] mark=0 use=1",
        ])
    }

    @Test("TCP: a reset as the only reply (connection refused) deletes the entry at once")
    func tcpRefused() {
        // nf_conntrack_proto_tcp.c tcp_packet: "If only reply is a RST … delete the conntrack immediately."
        let nf = Netfilter()
        var a = tcp("10.0.0.1", "10.0.0.2", flags: "SYN"); walk(nf, &a, now: 0)
        var b = tcp("10.0.0.2", "10.0.0.1", sport: 80, dport: 40000, flags: "RST-ACK"); walk(nf, &b, now: sec)
        #expect(b.ctState == .established)
        #expect(lines(nf, at: 2 * sec) == [])
    }

    @Test("TCP: a connection picked up mid-stream is ESTABLISHED with the 300 s unacknowledged timeout")
    func tcpMidStream() {
        // nf_conntrack_tcp_loose=1; tcp_packet caps ESTABLISHED without SEEN_REPLY at timeouts[UNACK] (5 min).
        let nf = Netfilter()
        var a = tcp("10.0.0.1", "10.0.0.2", flags: "PSH-ACK"); walk(nf, &a, now: 0)
        #expect(lines(nf, at: sec) == [
            "tcp      6 299 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=80 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40000 mark=0 use=1",
        ])
    }

    @Test("ICMP echo: keyed on the identifier; the reply is type 0")
    func icmpEcho() {
        let nf = Netfilter()
        var req = NFPacket(src: ip("10.244.0.2"), dst: ip("10.244.1.3"), proto: .icmp, sport: 4242, length: 84)
        req.icmpType = 8; req.icmpID = 4242
        walk(nf, &req)
        #expect(lines(nf, at: sec) == [
            "icmp     1 29 src=10.244.0.2 dst=10.244.1.3 type=8 code=0 id=4242 [UNREPLIED] src=10.244.1.3 dst=10.244.0.2 type=0 code=0 id=4242 mark=0 use=1",
        ])
        var rep = NFPacket(src: ip("10.244.1.3"), dst: ip("10.244.0.2"), proto: .icmp, sport: 4242, length: 84)
        rep.icmpType = 0; rep.icmpID = 4242
        walk(nf, &rep, now: sec)
        #expect(rep.ctState == .established)
        #expect(lines(nf, at: 2 * sec) == [
            "icmp     1 29 src=10.244.0.2 dst=10.244.1.3 type=8 code=0 id=4242 src=10.244.1.3 dst=10.244.0.2 type=0 code=0 id=4242 mark=0 use=1",
        ])
    }

    @Test("an entry expires after its timeout; the next packet is NEW and meets the nat table again")
    func expiry() {
        let nf = Netfilter()
        nf.masqueradeSource = { _, _ in ip("192.168.1.10") }
        program(nf, ["-t nat -A POSTROUTING -j MASQUERADE"])
        var a = udp("10.244.0.2", "8.8.8.8")
        walk(nf, &a, now: 0)
        #expect(nf.conntrack.entries(now: 29 * sec + sec / 2).count == 1)
        #expect(nf.conntrack.entries(now: 30 * sec).isEmpty)
        var b = udp("10.244.0.2", "8.8.8.8")
        walk(nf, &b, now: 31 * sec)
        #expect(b.ctState == .new)
        #expect(counters(nf, .nat, "POSTROUTING", 1) == [2, 120])
    }

    @Test("-j MARK sets the packet's mark, not the connection's (ctmark needs CONNMARK)")
    func nfmarkIsNotCtmark() {
        let nf = Netfilter()
        program(nf, ["-t mangle -A PREROUTING -p udp --dport 53 -j MARK --set-mark 0x4000"])
        var req = udp("10.244.0.2", "8.8.8.8", sport: 40000, dport: 53)
        walk(nf, &req)
        #expect(req.mark == 0x4000)
        #expect(lines(nf, at: sec) == [
            "udp      17 29 src=10.244.0.2 dst=8.8.8.8 sport=40000 dport=53 [UNREPLIED] src=8.8.8.8 dst=10.244.0.2 sport=53 dport=40000 mark=0 use=1",
        ])
        var reply = udp("8.8.8.8", "10.244.0.2", sport: 53, dport: 40000)
        walk(nf, &reply, now: sec)
        #expect(reply.mark == 0)
    }

    @Test("-t raw -j CT --notrack: no entry, state UNTRACKED")
    func notrack() {
        let nf = Netfilter()
        program(nf, ["-t raw -A PREROUTING -p udp --dport 53 -j CT --notrack",
                     "-A FORWARD -m conntrack --ctstate UNTRACKED -j ACCEPT", "-A FORWARD -j DROP"])
        var p = udp("10.0.0.1", "10.0.0.2")
        #expect(verdict(walk(nf, &p)) == .accept)
        #expect(p.ctState == .untracked)
        #expect(nf.conntrack.entries(now: 0).isEmpty)
    }

    @Test("conntrack -F empties the table and says how many went")
    func flush() {
        let nf = Netfilter()
        var a = udp("10.0.0.1", "10.0.0.2"), b = tcp("10.0.0.1", "10.0.0.2")
        walk(nf, &a); walk(nf, &b)
        #expect(nf.conntrack.flush() == 2)
        #expect(nf.conntrack.entries(now: 0).isEmpty)
    }
}
