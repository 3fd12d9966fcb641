import Testing
@testable import KubeSimNet
import KubeSimCore

// The `-m` matches and the REJECT and LOG targets, each as the kernel module evaluates it.

@Suite("Matches")
struct MatchTests {
    @Test("-m conntrack --ctstate: NEW until a reply is seen, ESTABLISHED for the reply and after")
    func ctstate() {
        let nf = Netfilter()
        program(nf, ["-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
                     "-A FORWARD -m conntrack --ctstate NEW -j ACCEPT",
                     "-A FORWARD -j DROP"])
        var syn = tcp("10.244.0.2", "10.244.1.3", flags: "SYN")
        #expect(decided(walk(nf, &syn, now: 0)) == ["filter FORWARD#2 ACCEPT"])
        #expect(syn.ctState == .new)
        // A retransmitted SYN before any reply is still NEW.
        var again = tcp("10.244.0.2", "10.244.1.3", flags: "SYN")
        #expect(decided(walk(nf, &again, now: sec)) == ["filter FORWARD#2 ACCEPT"])
        var synack = tcp("10.244.1.3", "10.244.0.2", sport: 80, dport: 40000, flags: "SYN-ACK")
        #expect(decided(walk(nf, &synack, now: 2 * sec)) == ["filter FORWARD#1 ACCEPT"])
        #expect(synack.ctState == .established)
        var ack = tcp("10.244.0.2", "10.244.1.3", flags: "ACK")
        #expect(decided(walk(nf, &ack, now: 3 * sec)) == ["filter FORWARD#1 ACCEPT"])
        #expect(ack.ctState == .established)
    }

    @Test("-m state is the same test as -m conntrack --ctstate")
    func stateAlias() {
        let nf = Netfilter()
        program(nf, ["-A INPUT -m state --state NEW -j DROP"])
        var p = udp("10.0.0.1", "10.0.0.2")
        #expect(decided(walk(nf, &p, .delivered)) == ["filter INPUT#1 DROP"])
    }

    @Test("a SYN-ACK or an echo reply with no connection is INVALID")
    func invalid() {
        let nf = Netfilter()
        program(nf, ["-A FORWARD -m conntrack --ctstate INVALID -j DROP"])
        var p = tcp("10.0.0.1", "10.0.0.2", flags: "SYN-ACK")
        #expect(decided(walk(nf, &p)) == ["filter FORWARD#1 DROP"])
        var e = NFPacket(src: ip("10.0.0.1"), dst: ip("10.0.0.2"), proto: .icmp, sport: 7)
        e.icmpType = 0
        #expect(decided(walk(nf, &e)) == ["filter FORWARD#1 DROP"])
        #expect(nf.conntrack.entries(now: 0).isEmpty)
    }

    @Test("-m statistic --mode random compares 31 random bits with P × 2^31")
    func statisticRandom() {
        let nf = Netfilter()
        program(nf, ["-A FORWARD -m statistic --mode random --probability 0.5 -j DROP"])
        var draws: [UInt32] = [0x3fff_ffff, 0x4000_0000, 0xbfff_ffff, 0xc000_0000, 0]
        nf.random = { draws.removeFirst() }
        var got: [NFVerdict] = []
        for k in 0..<5 {
            var p = tcp("10.0.0.1", "10.0.0.2", sport: 1000 + k)
            got.append(verdict(walk(nf, &p)))
        }
        // 0xbfffffff & 0x7fffffff = 0x3fffffff < 0x40000000; 0xc0000000 → 0x40000000 is not.
        #expect(got == [.drop, .accept, .drop, .accept, .drop])
    }

    @Test("probability text and threshold as libxt_statistic stores and prints them")
    func probability() {
        #expect(probabilityText(probabilityThreshold(1.0 / 3)) == "0.33333333349")
        #expect(probabilityText(probabilityThreshold(0.5)) == "0.50000000000")
        #expect(probabilityText(probabilityThreshold(0.2)) == "0.20000000019")
        #expect(probabilityText(probabilityThreshold(0.25)) == "0.25000000000")
        #expect(probabilityText(probabilityThreshold(1.0)) == "1.00000000000")
        #expect(probabilityThreshold(1.0 / 3) == 715_827_883)
        #expect(probabilityThreshold(0.5) == 0x4000_0000)
    }

    @Test("-m statistic --mode nth --every 3 --packet 0 matches the 1st, 4th, 7th packet")
    func nthPacketZero() {
        let nf = Netfilter()
        program(nf, ["-A FORWARD -m statistic --mode nth --every 3 --packet 0 -j DROP"])
        var hits: [Int] = []
        for k in 1...7 {
            var p = udp("10.0.0.1", "10.0.0.2", sport: 2000 + k)
            if verdict(walk(nf, &p)) == .drop { hits.append(k) }
        }
        #expect(hits == [1, 4, 7])
    }

    @Test("-m statistic --mode nth --every 3 --packet 2 matches the 3rd and 6th packet")
    func nthPacketTwo() {
        let nf = Netfilter()
        program(nf, ["-A FORWARD -m statistic --mode nth --every 3 --packet 2 -j DROP"])
        var hits: [Int] = []
        for k in 1...7 {
            var p = udp("10.0.0.1", "10.0.0.2", sport: 2000 + k)
            if verdict(walk(nf, &p)) == .drop { hits.append(k) }
        }
        #expect(hits == [3, 6])
    }

    @Test("-m set with hash:ip, hash:net, hash:ip,port and bitmap:port")
    func ipsets() {
        let nf = Netfilter()
        let hip = IPSet(name: "hip", kind: .hashIP)
        hip.add(hip.parseMember("10.0.0.5")!)
        let hnet = IPSet(name: "hnet", kind: .hashNet)
        hnet.add(hnet.parseMember("192.168.0.0/16")!)
        hnet.add(hnet.parseMember("172.16.5.5")!)
        let hipp = IPSet(name: "hipp", kind: .hashIPPort)
        hipp.add(hipp.parseMember("10.96.0.10,udp:53")!)
        let bmp = IPSet(name: "bmp", kind: .bitmapPort)
        bmp.range = PortRange(0, 1023)
        bmp.add(bmp.parseMember("22")!)
        for s in [hip, hnet, hipp, bmp] { nf.ipsets[s.name] = s }
        program(nf, ["-A FORWARD -m set --match-set hip src -j DROP",
                     "-A FORWARD -m set --match-set hnet dst -j DROP",
                     "-A FORWARD -m set --match-set hipp dst,dst -j DROP",
                     "-A FORWARD -m set --match-set bmp dst -j DROP",
                     "-A FORWARD -m set ! --match-set hnet src -j ACCEPT"])
        #expect(hip.references == 1)
        #expect(hnet.references == 2)
        func rule(_ p: NFPacket) -> [String] { var p = p; return decided(walk(nf, &p)) }
        #expect(rule(tcp("10.0.0.5", "1.1.1.1")) == ["filter FORWARD#1 DROP"])
        #expect(rule(tcp("10.0.0.6", "192.168.77.1")) == ["filter FORWARD#2 DROP"])
        #expect(rule(tcp("10.0.0.6", "172.16.5.5", sport: 1)) == ["filter FORWARD#2 DROP"])
        #expect(rule(udp("10.0.0.6", "10.96.0.10", dport: 53)) == ["filter FORWARD#3 DROP"])
        // hash:ip,port keys on the protocol too: tcp/53 is not udp:53.
        #expect(rule(tcp("10.0.0.6", "10.96.0.10", dport: 53)) == ["filter FORWARD#5 ACCEPT"])
        #expect(rule(tcp("10.0.0.6", "1.1.1.1", dport: 22)) == ["filter FORWARD#4 DROP"])
        // Source inside hnet: the negated match fails; the policy accepts.
        #expect(rule(tcp("192.168.1.1", "1.1.1.1", sport: 5, dport: 443)) == ["filter FORWARD#policy ACCEPT"])
    }

    @Test("ipset members parse per type")
    func ipsetMembers() {
        let net = IPSet(name: "n", kind: .hashNet)
        #expect(net.parseMember("10.1.2.3/24") == .net(CIDR(address: ip("10.1.2.0"), prefixLength: 24)))
        #expect(net.parseMember("10.1.2.3")?.text == "10.1.2.3")
        let ipp = IPSet(name: "p", kind: .hashIPPort)
        #expect(ipp.parseMember("10.0.0.1,tcp:80")?.text == "10.0.0.1,tcp:80")
        #expect(ipp.parseMember("10.0.0.1,80")?.text == "10.0.0.1,tcp:80")
        #expect(ipp.parseMember("10.0.0.1,tcp:70000") == nil)
        let bm = IPSet(name: "b", kind: .bitmapPort)
        bm.range = PortRange(1000, 2000)
        #expect(bm.parseMember("999") == nil)
        #expect(bm.parseMember("1500") == .port(1500))
    }

    @Test("-m addrtype --dst-type LOCAL asks the namespace for its own addresses")
    func addrtype() {
        let nf = Netfilter()
        nf.isLocal = { $0 == ip("192.168.1.10") || $0 == ip("127.0.0.1") }
        program(nf, ["-t nat -A PREROUTING -m addrtype --dst-type LOCAL -j ACCEPT",
                     "-t nat -A PREROUTING -m addrtype ! --dst-type LOCAL -j RETURN"])
        var a = tcp("10.0.0.1", "192.168.1.10")
        var b = tcp("10.0.0.1", "192.168.1.11")
        var m = udp("10.0.0.1", "224.0.0.251")
        #expect(decided(walk(nf, &a, .delivered)) == ["nat PREROUTING#1 ACCEPT"])
        #expect(decided(walk(nf, &b))[0] == "nat PREROUTING#policy ACCEPT")
        #expect(counters(nf, .nat, "PREROUTING", 2) == [1, 60])
        walk(nf, &m)
        #expect(counters(nf, .nat, "PREROUTING", 2) == [2, 120])
    }

    @Test("-m multiport --dports takes ports and ranges")
    func multiport() {
        let nf = Netfilter()
        program(nf, ["-A INPUT -p tcp -m multiport --dports 80,443,8000:8080 -j ACCEPT",
                     "-A INPUT -p udp -m multiport --sports 53,123 -j ACCEPT",
                     "-A INPUT -j DROP"])
        func v(_ p: NFPacket) -> NFVerdict { var p = p; return verdict(walk(nf, &p, .delivered)) }
        #expect(v(tcp("10.0.0.1", "10.0.0.2", dport: 443)) == .accept)
        #expect(v(tcp("10.0.0.1", "10.0.0.2", dport: 8005)) == .accept)
        #expect(v(tcp("10.0.0.1", "10.0.0.2", dport: 22)) == .drop)
        #expect(v(udp("10.0.0.3", "10.0.0.2", sport: 123, dport: 5000)) == .accept)
        #expect(v(udp("10.0.0.3", "10.0.0.2", sport: 124, dport: 53)) == .drop)
    }

    @Test("-m physdev --physdev-is-bridged: packets a bridge forwards between its ports")
    func physdevBridged() {
        let nf = Netfilter()
        program(nf, ["-A FORWARD -m physdev --physdev-is-bridged -j ACCEPT", "-A FORWARD -j DROP"])
        var br = tcp("10.244.0.2", "10.244.0.3"); br.physIn = "veth1"; br.physOut = "veth2"
        var routed = tcp("10.244.0.2", "8.8.8.8")
        #expect(verdict(walk(nf, &br)) == .accept)
        #expect(verdict(walk(nf, &routed)) == .drop)
    }

    @Test("--physdev-is-bridged needs an outgoing bridge port (xt_physdev tests physoutdev)")
    func physdevArrivedOnly() {
        // Came in by a bridge port but is routed (or delivered), not bridged: no physoutdev.
        let nf = Netfilter()
        program(nf, ["-A INPUT -m physdev --physdev-is-bridged -j DROP"])
        var p = tcp("10.244.0.2", "10.244.0.1"); p.physIn = "veth1"
        #expect(verdict(walk(nf, &p, .delivered)) == .accept)
    }

    @Test("-m physdev --physdev-in matches the bridge port")
    func physdevIn() {
        let nf = Netfilter()
        program(nf, ["-A FORWARD -m physdev --physdev-in veth+ -j DROP"])
        var a = tcp("10.244.0.2", "10.244.0.3"); a.physIn = "veth9"; a.physOut = "veth2"
        var b = tcp("10.244.0.2", "10.244.0.3"); b.physIn = "eth0"; b.physOut = "veth2"
        #expect(verdict(walk(nf, &a)) == .drop)
        #expect(verdict(walk(nf, &b)) == .accept)
    }

    @Test("-m recent --set then --rcheck --seconds --hitcount")
    func recentRcheck() {
        let nf = Netfilter()
        program(nf, ["-A INPUT -p tcp --dport 22 -m recent --rcheck --seconds 60 --hitcount 3 --name SSH -j DROP",
                     "-A INPUT -p tcp --dport 22 -m recent --set --name SSH -j ACCEPT"])
        var got: [NFVerdict] = []
        for k in 0..<4 {
            var p = tcp("203.0.113.9", "10.0.0.2", sport: 50000 + k, dport: 22)
            got.append(verdict(walk(nf, &p, .delivered, now: Int64(k) * sec)))
        }
        #expect(got == [.accept, .accept, .accept, .drop])
        // Another source has its own list.
        var other = tcp("203.0.113.10", "10.0.0.2", dport: 22)
        #expect(verdict(walk(nf, &other, .delivered, now: 5 * sec)) == .accept)
        // 60 s after the hits, they no longer count.
        var later = tcp("203.0.113.9", "10.0.0.2", sport: 60000, dport: 22)
        #expect(verdict(walk(nf, &later, .delivered, now: 70 * sec)) == .accept)
    }

    @Test("-m recent --update refreshes only when it matched (xt_recent recent_mt)")
    func recentUpdateOnlyOnMatch() {
        let nf = Netfilter()
        program(nf, ["-A INPUT -p tcp --dport 22 -m recent --set --name T",
                     "-A INPUT -m recent --update --hitcount 2 --name T -j DROP"])
        var a = tcp("203.0.113.9", "10.0.0.2", dport: 22)
        #expect(verdict(walk(nf, &a, .delivered, now: 0)) == .accept)   // one stamp; --update misses
        var b = tcp("203.0.113.9", "10.0.0.2", sport: 40001, dport: 80)
        #expect(verdict(walk(nf, &b, .delivered, now: sec)) == .accept) // still one stamp
        var c = tcp("203.0.113.9", "10.0.0.2", sport: 40002, dport: 22)
        #expect(verdict(walk(nf, &c, .delivered, now: 2 * sec)) == .drop) // --set made two
    }

    @Test("REJECT answers with the configured error; the default is icmp-port-unreachable")
    func reject() {
        let nf = Netfilter()
        program(nf, ["-A INPUT -p tcp --dport 23 -j REJECT --reject-with tcp-reset",
                     "-A INPUT -p udp -j REJECT"])
        var t = tcp("10.0.0.1", "10.0.0.2", dport: 23)
        var u = udp("10.0.0.1", "10.0.0.2")
        let rt = walk(nf, &t, .delivered)
        #expect(verdict(rt) == .reject("tcp-reset"))
        #expect(rt.last?.decisions.first?.action == "REJECT --reject-with tcp-reset")
        #expect(verdict(walk(nf, &u, .delivered)) == .reject("icmp-port-unreachable"))
    }

    @Test("LOG writes a kernel line and the walk goes on")
    func logLine() {
        let nf = Netfilter()
        program(nf, ["-A OUTPUT -p tcp --dport 80 -j LOG --log-prefix \"OUT: \"",
                     "-A OUTPUT -p udp -j LOG --log-prefix \"U: \"",
                     "-A OUTPUT -j DROP"])
        var p = tcp("10.0.0.1", "10.0.0.2", sport: 40000, dport: 80)
        p.outDev = "eth0"
        let rs = walk(nf, &p, .sent, now: 12 * sec + 500_000_000)
        #expect(verdict(rs) == .drop)
        var u = udp("10.0.0.1", "10.0.0.3", sport: 5353, dport: 53, length: 48)
        u.outDev = "eth0"
        walk(nf, &u, .sent, now: 1234 * sec + 250_000_000)
        #expect(nf.dmesg == [
            "[   12.500000] OUT: IN= OUT=eth0 SRC=10.0.0.1 DST=10.0.0.2 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=TCP SPT=40000 DPT=80 WINDOW=64240 RES=0x00 SYN URGP=0",
            "[ 1234.250000] U: IN= OUT=eth0 SRC=10.0.0.1 DST=10.0.0.3 LEN=48 TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=UDP SPT=5353 DPT=53 LEN=28",
        ])
    }

    @Test("LOG's timestamp keeps every microsecond of the uptime")
    func logMicroseconds() {
        let nf = Netfilter()
        program(nf, ["-A OUTPUT -j LOG"])
        var p = udp("10.0.0.1", "10.0.0.2", length: 28)
        walk(nf, &p, .sent, now: 12 * sec + 1_000)
        #expect(nf.dmesg.first?.hasPrefix("[   12.000001] IN= OUT= SRC=10.0.0.1 ") == true)
    }
}
