import Testing
@testable import KubeSimNet
import KubeSimCore

// NAT on the other paths through a node: a local process's connection (OUTPUT DNAT, the
// reply's source restored at INPUT), REDIRECT to the incoming device, and ICMP errors
// RELATED to a connection and sent on to the pod behind MASQUERADE.

@Suite("NAT paths")
struct NATPathTests {
    @Test("OUTPUT DNAT for a local process; the reply's source is restored at INPUT")
    func localDNAT() {
        let nf = Netfilter()
        program(nf, ["-t nat -A OUTPUT -d 10.96.0.10/32 -p tcp --dport 80 -j DNAT --to-destination 10.244.1.3:8080"])
        var req = tcp("192.168.1.10", "10.96.0.10", sport: 45000, dport: 80)
        let rs = walk(nf, &req, .sent)
        #expect(decided(rs) == ["nat OUTPUT#1 DNAT to 10.244.1.3:8080"])
        #expect(req.dst == ip("10.244.1.3"))
        #expect(req.dport == 8080)
        #expect(lines(nf, at: sec) == [
            "tcp      6 119 SYN_SENT src=192.168.1.10 dst=10.96.0.10 sport=45000 dport=80 [UNREPLIED] src=10.244.1.3 dst=192.168.1.10 sport=8080 dport=45000 mark=0 use=1",
        ])
        var reply = tcp("10.244.1.3", "192.168.1.10", sport: 8080, dport: 45000, flags: "SYN-ACK")
        var ct = CTPass()
        _ = nf.run(.prerouting, &reply, ct: &ct, now: sec, record: true)
        #expect(reply.src == ip("10.244.1.3"))
        _ = nf.run(.input, &reply, ct: &ct, now: sec, record: true)
        #expect(reply.src == ip("10.96.0.10"))
        #expect(reply.sport == 80)
        #expect(counters(nf, .nat, "OUTPUT", 1) == [1, 60])
    }

    @Test("REDIRECT sends to the incoming device's address and the given port")
    func redirect() {
        let nf = Netfilter()
        nf.deviceAddress = { $0 == "cni0" ? ip("10.244.0.1") : nil }
        program(nf, ["-t nat -A PREROUTING -i cni0 -p tcp --dport 80 -j REDIRECT --to-ports 15001"])
        var p = tcp("10.244.0.2", "1.2.3.4", sport: 40000, dport: 80)
        p.inDev = "cni0"
        walk(nf, &p, .delivered)
        #expect(p.dst == ip("10.244.0.1"))
        #expect(p.dport == 15001)
        #expect(lines(nf, at: sec) == [
            "tcp      6 119 SYN_SENT src=10.244.0.2 dst=1.2.3.4 sport=40000 dport=80 [UNREPLIED] src=10.244.0.1 dst=10.244.0.2 sport=15001 dport=40000 mark=0 use=1",
        ])
        var back = tcp("10.244.0.1", "10.244.0.2", sport: 15001, dport: 40000, flags: "SYN-ACK")
        walk(nf, &back, .sent, now: sec)
        #expect(back.src == ip("1.2.3.4"))
        #expect(back.sport == 80)
    }

    @Test("an ICMP error quoting a connection is RELATED")
    func relatedICMP() {
        let nf = Netfilter()
        program(nf, ["-A FORWARD -m conntrack --ctstate RELATED -j ACCEPT",
                     "-A FORWARD -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT",
                     "-A FORWARD -j DROP"])
        var q = udp("10.244.0.2", "10.244.1.3", sport: 40000, dport: 5000)
        walk(nf, &q)
        var err = NFPacket(src: ip("10.244.1.3"), dst: ip("10.244.0.2"), proto: .icmp, length: 88)
        err.icmpType = 3; err.icmpCode = 3
        err.quoted = FlowTuple(proto: .udp, src: ip("10.244.0.2"), dst: ip("10.244.1.3"), sport: 40000, dport: 5000)
        let rs = walk(nf, &err)
        #expect(err.ctState == .related)
        #expect(decided(rs) == ["filter FORWARD#1 ACCEPT"])

        // An error about no known connection is INVALID and falls to the DROP.
        var stray = NFPacket(src: ip("10.244.1.3"), dst: ip("10.244.0.2"), proto: .icmp, length: 88)
        stray.icmpType = 3; stray.icmpCode = 3
        stray.quoted = FlowTuple(proto: .udp, src: ip("10.244.0.2"), dst: ip("10.244.1.3"), sport: 40001, dport: 5000)
        #expect(decided(walk(nf, &stray)) == ["filter FORWARD#3 DROP"])
        #expect(stray.ctState == .invalid)
    }

    @Test("an ICMP error to the node's masqueraded address goes on to the pod")
    func relatedThroughMasquerade() {
        let nf = Netfilter()
        nf.masqueradeSource = { _, _ in ip("192.168.1.10") }
        program(nf, ["-t nat -A POSTROUTING -s 10.244.0.0/16 -j MASQUERADE"])
        var q = udp("10.244.0.2", "8.8.8.8", sport: 40000, dport: 53)
        walk(nf, &q)
        var err = NFPacket(src: ip("8.8.8.8"), dst: ip("192.168.1.10"), proto: .icmp, length: 88)
        err.icmpType = 3; err.icmpCode = 3
        err.quoted = FlowTuple(proto: .udp, src: ip("192.168.1.10"), dst: ip("8.8.8.8"), sport: 40000, dport: 53)
        walk(nf, &err, now: sec)
        #expect(err.ctState == .related)
        #expect(err.dst == ip("10.244.0.2"))
        #expect(err.src == ip("8.8.8.8"))
    }
}
