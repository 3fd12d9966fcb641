import Testing
@testable import KubeSimNet
import KubeSimCore

// The IPVS table: schedulers, persistence, the connection table's states, timeouts and
// counters. Expected picks follow the kernel's algorithms worked by hand (net/netfilter/
// ipvs/ip_vs_rr.c, _wrr.c, _lc.c, _wlc.c, _sed.c, _nq.c, _sh.c, _dh.c; Linux 6.x), never the
// code under test; the hash buckets were worked from ip_vs_sh_hashkey / ip_vs_dh_hashkey.

let vip = ip("10.96.0.10")
let rsA = ip("10.244.1.5"), rsB = ip("10.244.2.6"), rsC = ip("10.244.3.7")
let web = IPVSServiceKey(.tcp, vip, 80)

/// `ipvsadm ARGS` as typed (the leading "ipvsadm" may be written or left out).
@discardableResult
func adm(_ ipvs: IPVS, _ line: String, now: Int64 = 0) -> Ipvsadm.Outcome {
    var w = words(line)
    if w.first == "ipvsadm" { w.removeFirst() }
    return Ipvsadm.run(w, on: ipvs, now: now)
}

/// Runs each command and expects it to succeed silently.
func setup(_ ipvs: IPVS, _ lines: [String], now: Int64 = 0, sourceLocation: SourceLocation = #_sourceLocation) {
    for l in lines {
        let r = adm(ipvs, l, now: now)
        #expect(r == Ipvsadm.Outcome(status: 0, output: ""), "\(l)", sourceLocation: sourceLocation)
    }
}

/// A service with real servers added in this order (the kernel keeps them newest first).
func table(_ scheduler: IPVSScheduler, _ servers: [(IPv4Address, Int)], key: IPVSServiceKey = web, config: IPVSServiceConfig? = nil) -> IPVS {
    let ipvs = IPVS()
    try! ipvs.addService(key, config ?? IPVSServiceConfig(scheduler: scheduler))
    for (a, w) in servers { try! ipvs.addDestination(to: key, a, key.port, IPVSDestConfig(weight: w)) }
    return ipvs
}

/// The real servers new connections (SYNs from successive client ports) are given.
func picks(_ ipvs: IPVS, _ n: Int, client: String = "10.244.0.2", firstPort: Int = 40000, now: Int64 = 0) -> [IPv4Address?] {
    (0..<n).map { ipvs.schedule(tcp(client, "10.96.0.10", sport: firstPort + $0), now: now)?.address }
}

@Suite("IPVS schedulers")
struct IPVSSchedulerTests {
    @Test("rr walks the list from its head, newest server first, and steps back when its last pick is deleted")
    func roundRobin() throws {
        let ipvs = table(.rr, [(rsA, 1), (rsB, 1), (rsC, 1)])
        #expect(picks(ipvs, 4) == [rsC, rsB, rsA, rsC])

        let t = table(.rr, [(rsA, 1), (rsB, 1), (rsC, 1)])
        #expect(picks(t, 2) == [rsC, rsB])
        try t.deleteDestination(from: web, rsB, 80)
        #expect(picks(t, 2, firstPort: 41000) == [rsA, rsC])
    }

    @Test("rr and the others skip a quiesced server (weight 0)")
    func quiesced() throws {
        let ipvs = table(.rr, [(rsA, 1), (rsB, 0)])
        #expect(picks(ipvs, 3) == [rsA, rsA, rsA])
        let none = table(.wlc, [(rsA, 0)])
        #expect(none.inbound(tcp("10.244.0.2", "10.96.0.10"), now: 0).isReject)
    }

    @Test("wrr with weights 4, 3, 2: passes at falling current weights, nine picks a cycle")
    func weightedRoundRobin() throws {
        // Added one by one, ip_vs_wrr_dest_changed leaves the current weight at 1 (the first
        // server alone made mw = 4 - (4 - 1) = 1): a pass at weight 1, then 4, 3, 2, 1 …
        let ipvs = table(.wrr, [(rsA, 4), (rsB, 3), (rsC, 2)])
        #expect(picks(ipvs, 9) == [rsC, rsB, rsA, rsA, rsB, rsA, rsC, rsB, rsA])
        #expect(picks(ipvs, 3, firstPort: 41000) == [rsC, rsB, rsA], "the cycle starts again at weight 1")
        // Bound to the full list (ip_vs_wrr_init_svc), it starts at the maximum weight.
        try ipvs.editService(web, IPVSServiceConfig(scheduler: .rr))
        try ipvs.editService(web, IPVSServiceConfig(scheduler: .wrr))
        #expect(picks(ipvs, 9, firstPort: 42000) == [rsA, rsB, rsA, rsC, rsB, rsA, rsC, rsB, rsA])
    }

    @Test("lc: an active connection weighs 256 inactive ones")
    func leastConnection() throws {
        let ipvs = table(.lc, [(rsA, 1), (rsB, 1)])
        #expect(picks(ipvs, 1) == [rsB])
        // The server resets it: CLOSE, an inactive connection (overhead 1).
        #expect(ipvs.outbound(tcp("10.244.2.6", "10.244.0.2", sport: 80, dport: 40000, flags: "RST-ACK"), now: 0) != nil)
        #expect(picks(ipvs, 2, firstPort: 40001) == [rsA, rsB])
        let a = try #require(ipvs.service(web)?.destination(rsA, 80)), b = try #require(ipvs.service(web)?.destination(rsB, 80))
        #expect((a.activeConns, a.inactiveConns, b.activeConns, b.inactiveConns) == (1, 0, 1, 1))
    }

    @Test("wlc compares overhead × weight; ties go to the first in the list")
    func weightedLeastConnection() throws {
        let ipvs = table(.wlc, [(rsA, 1), (rsB, 2)])
        #expect(picks(ipvs, 5) == [rsB, rsA, rsB, rsB, rsA])
        let s = try #require(ipvs.service(web))
        #expect(s.destination(rsB, 80)?.activeConns == 3 && s.destination(rsA, 80)?.activeConns == 2)
    }

    @Test("sed counts the new connection in; nq sends it to an idle server first")
    func sedAndNq() {
        #expect(picks(table(.sed, [(rsA, 1), (rsB, 3)]), 4) == [rsB, rsB, rsB, rsA])
        #expect(picks(table(.nq, [(rsA, 1), (rsB, 3)]), 4) == [rsB, rsA, rsB, rsB])
    }

    @Test("sh hashes the client address into 256 buckets dealt by weight")
    func sourceHashing() throws {
        // hash_32(addr, 8): 10.244.0.2 → 133, .3 → 231, .4 → 72, .5 → 170; with its port
        // 40000 → 41, 40001 → 138.
        #expect(IPVSService.shHash(ip("10.244.0.2"), 0) == 133)
        #expect(IPVSService.shHash(ip("10.244.0.2"), 40001) == 138)
        // Buckets alternate B, A (B added last is first in the list).
        let ipvs = table(.sh, [(rsA, 1), (rsB, 1)])
        for (client, server) in [("10.244.0.2", rsA), ("10.244.0.3", rsA), ("10.244.0.4", rsB), ("10.244.0.5", rsB)] {
            #expect(picks(ipvs, 3, client: client) == [server, server, server], "\(client)")
        }
        // Weights 3 and 1: B B B A B B B A …; bucket 231 (231 % 4 == 3) is A's.
        let weighted = table(.sh, [(rsA, 1), (rsB, 3)])
        #expect(picks(weighted, 1, client: "10.244.0.3") == [rsA])
        #expect(picks(weighted, 1, client: "10.244.0.2") == [rsB])
        // sh-port: the client port joins the hash.
        let port = table(.sh, [(rsA, 1), (rsB, 1)], config: IPVSServiceConfig(scheduler: .sh, schedFlags: .shPort))
        #expect(picks(port, 2, client: "10.244.0.2") == [rsA, rsB])
        // A quiesced server's buckets: nothing, or with sh-fallback the next bucket round.
        let q = table(.sh, [(rsA, 1), (rsB, 0)])
        #expect(q.inbound(tcp("10.244.0.4", "10.96.0.10"), now: 0).isReject)
        let fb = table(.sh, [(rsA, 1), (rsB, 0)], config: IPVSServiceConfig(scheduler: .sh, schedFlags: .shFallback))
        #expect(picks(fb, 1, client: "10.244.0.4") == [rsA])
    }

    @Test("dh hashes the virtual address: every client of a service meets one server")
    func destinationHashing() throws {
        // (addr * 2654435761) & 255: 10.96.0.10 → 234 (B's), 10.96.0.11 → 155 (A's).
        #expect(IPVSService.dhHash(vip) == 234)
        let ipvs = table(.dh, [(rsA, 1), (rsB, 1)])
        #expect(picks(ipvs, 2) + picks(ipvs, 1, client: "10.244.0.9") == [rsB, rsB, rsB])
        let other = IPVSServiceKey(.tcp, ip("10.96.0.11"), 80)
        let t = table(.dh, [(rsA, 1), (rsB, 1)], key: other)
        #expect(t.schedule(tcp("10.244.0.2", "10.96.0.11"), now: 0)?.address == rsA)
    }

    @Test("a scheduler change starts the new one from its initial state")
    func editScheduler() throws {
        let ipvs = table(.rr, [(rsA, 1), (rsB, 1)])
        #expect(picks(ipvs, 1) == [rsB])
        try ipvs.editService(web, IPVSServiceConfig(scheduler: .wrr))
        #expect(picks(ipvs, 2, firstPort: 41000) == [rsB, rsA])
    }
}

extension IPVSVerdict {
    var isReject: Bool { if case .reject = self { true } else { false } }
    var isPass: Bool { if case .pass = self { true } else { false } }
    var isDrop: Bool { if case .drop = self { true } else { false } }
    var connection: IPVSConnection? { if case .forward(let c) = self { c } else { nil } }
}

@Suite("IPVS connections")
struct IPVSConnectionTests {
    static let masq2 = ["-A -t 10.96.0.10:80 -s rr", "-a -t 10.96.0.10:80 -r 10.244.1.5:80 -m", "-a -t 10.96.0.10:80 -r 10.244.2.6:80 -m"]

    func conns(_ ipvs: IPVS, at now: Int64) -> [String] {
        Array(adm(ipvs, "-Lnc", now: now).output.split(separator: "\n").dropFirst(2).map(String.init))
    }

    @Test("a TCP connection: SYN_RECV, ESTABLISHED, FIN_WAIT, TIME_WAIT, with ip_vs_proto_tcp.c's timeouts")
    func tcpLifecycle() throws {
        let ipvs = IPVS()
        setup(ipvs, ["-A -t 10.96.0.10:80 -s rr", "-a -t 10.96.0.10:80 -r 10.244.1.5:80 -m"])
        let a = try #require(ipvs.service(web)?.destination(rsA, 80))
        let c = try #require(ipvs.inbound(tcp("10.244.0.2", "10.96.0.10"), now: 0).connection)
        #expect((c.destAddress, c.destPort) == (rsA, 80))
        #expect(conns(ipvs, at: 0) == ["TCP 01:00  SYN_RECV    10.244.0.2:40000   10.96.0.10:80      10.244.1.5:80"])
        #expect((a.activeConns, a.inactiveConns) == (1, 0), "SYN_RECV counts as active")
        #expect(ipvs.outbound(tcp("10.244.1.5", "10.244.0.2", sport: 80, dport: 40000, flags: "SYN-ACK"), now: 0) === c)
        #expect(ipvs.inbound(tcp("10.244.0.2", "10.96.0.10", flags: "ACK"), now: 0).connection === c)
        #expect(conns(ipvs, at: 0) == ["TCP 15:00  ESTABLISHED 10.244.0.2:40000   10.96.0.10:80      10.244.1.5:80"])
        // The server closes first.
        _ = ipvs.outbound(tcp("10.244.1.5", "10.244.0.2", sport: 80, dport: 40000, flags: "FIN-ACK"), now: 10 * sec)
        #expect(conns(ipvs, at: 10 * sec) == ["TCP 02:00  FIN_WAIT    10.244.0.2:40000   10.96.0.10:80      10.244.1.5:80"])
        #expect((a.activeConns, a.inactiveConns) == (0, 1))
        _ = ipvs.inbound(tcp("10.244.0.2", "10.96.0.10", flags: "FIN-ACK"), now: 10 * sec)
        _ = ipvs.outbound(tcp("10.244.1.5", "10.244.0.2", sport: 80, dport: 40000, flags: "ACK"), now: 10 * sec)
        #expect(conns(ipvs, at: 11 * sec) == ["TCP 01:59  TIME_WAIT   10.244.0.2:40000   10.96.0.10:80      10.244.1.5:80"])
        #expect(conns(ipvs, at: 129 * sec).count == 1)
        #expect(conns(ipvs, at: 130 * sec).isEmpty)
        #expect((a.activeConns, a.inactiveConns) == (0, 0))
    }

    @Test("a SYN on a TIME_WAIT entry is scheduled again (conn_reuse_mode 1)")
    func connectionReuse() throws {
        let ipvs = IPVS()
        setup(ipvs, Self.masq2)
        let first = try #require(ipvs.inbound(tcp("10.244.0.2", "10.96.0.10"), now: 0).connection)
        _ = ipvs.outbound(tcp("10.244.2.6", "10.244.0.2", sport: 80, dport: 40000, flags: "FIN-ACK"), now: 0)
        _ = ipvs.inbound(tcp("10.244.0.2", "10.96.0.10", flags: "FIN-ACK"), now: 0)
        #expect(first.stateName == "TIME_WAIT")
        let again = try #require(ipvs.inbound(tcp("10.244.0.2", "10.96.0.10"), now: sec).connection)
        #expect(again !== first && again.destAddress == rsA, "rr moves on to the next server")
        #expect(ipvs.connections(now: sec).count == 1)
    }

    @Test("UDP: one state, inactive, 300 s; a reply renews it")
    func udp() throws {
        let ipvs = IPVS()
        setup(ipvs, ["-A -u 10.96.0.10:53 -s rr", "-a -u 10.96.0.10:53 -r 10.244.1.5:53 -m"])
        let q = NFPacket(src: ip("10.244.0.2"), dst: vip, proto: .udp, sport: 40000, dport: 53, length: 60)
        #expect(ipvs.inbound(q, now: 0).connection != nil)
        #expect(conns(ipvs, at: 0) == ["UDP 05:00  UDP         10.244.0.2:40000   10.96.0.10:53      10.244.1.5:53"])
        #expect(adm(ipvs, "-Ln", now: 0).output.hasSuffix("  -> 10.244.1.5:53                Masq    1      0          1         "))
        let r = NFPacket(src: rsA, dst: ip("10.244.0.2"), proto: .udp, sport: 53, dport: 40000, length: 90)
        #expect(ipvs.outbound(r, now: 100 * sec) != nil)
        #expect(conns(ipvs, at: 399 * sec).count == 1)
        #expect(conns(ipvs, at: 400 * sec).isEmpty)
        #expect(ipvs.service(IPVSServiceKey(.udp, vip, 53))?.destination(rsA, 53)?.inactiveConns == 0)
    }

    @Test("persistence: a template per client sends its new connections to one server")
    func persistence() throws {
        let ipvs = IPVS()
        setup(ipvs, ["-A -t 10.96.0.10:80 -s rr -p 10800", "-a -t 10.96.0.10:80 -r 10.244.1.5:80 -m", "-a -t 10.96.0.10:80 -r 10.244.2.6:80 -m"])
        #expect(picks(ipvs, 2) == [rsB, rsB])
        #expect(picks(ipvs, 1, client: "10.244.0.3") == [rsA])
        #expect(conns(ipvs, at: 0).prefix(2) == ["TCP 180:00 NONE        10.244.0.2:0       10.96.0.10:80      10.244.2.6:80",
                                                  "TCP 01:00  SYN_RECV    10.244.0.2:40000   10.96.0.10:80      10.244.2.6:80"])
        // An answered connection assures its template.
        _ = ipvs.outbound(tcp("10.244.2.6", "10.244.0.2", sport: 80, dport: 40000, flags: "SYN-ACK"), now: sec)
        _ = ipvs.inbound(tcp("10.244.0.2", "10.96.0.10", flags: "ACK"), now: sec)
        #expect(conns(ipvs, at: sec) == [
            "TCP 179:59 ASSURED     10.244.0.2:0       10.96.0.10:80      10.244.2.6:80",
            "TCP 15:00  ESTABLISHED 10.244.0.2:40000   10.96.0.10:80      10.244.2.6:80",
            "TCP 00:59  SYN_RECV    10.244.0.2:40001   10.96.0.10:80      10.244.2.6:80",
            "TCP 179:59 NONE        10.244.0.3:0       10.96.0.10:80      10.244.1.5:80",
            "TCP 00:59  SYN_RECV    10.244.0.3:40000   10.96.0.10:80      10.244.1.5:80",
        ])
        #expect(adm(ipvs, "-Ln", now: sec).output.split(separator: "\n").suffix(3) == [
            "TCP  10.96.0.10:80 rr persistent 10800",
            "  -> 10.244.1.5:80                Masq    1      1          0         ",
            "  -> 10.244.2.6:80                Masq    1      2          0         ",
        ])
        #expect(adm(ipvs, "-Ln --persistent-conn", now: sec).output.split(separator: "\n") == [
            "IP Virtual Server version 1.2.1 (size=4096)",
            "Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn ",
            "  -> RemoteAddress:Port",
            "TCP  10.96.0.10:80 rr persistent 10800",
            "  -> 10.244.1.5:80                1         1           1          0         ",
            "  -> 10.244.2.6:80                1         1           2          0         ",
        ])
    }

    @Test("a template outlives its timeout while it controls a connection, then the client is scheduled afresh")
    func templateExpiry() throws {
        let ipvs = IPVS()
        setup(ipvs, ["-A -t 10.96.0.10:80 -s rr -p 60", "-a -t 10.96.0.10:80 -r 10.244.1.5:80 -m", "-a -t 10.96.0.10:80 -r 10.244.2.6:80 -m"])
        #expect(picks(ipvs, 1) == [rsB])
        _ = ipvs.outbound(tcp("10.244.2.6", "10.244.0.2", sport: 80, dport: 40000, flags: "SYN-ACK"), now: 0)
        _ = ipvs.inbound(tcp("10.244.0.2", "10.96.0.10", flags: "ACK"), now: 0)
        // Due at 60 s, re-armed until 120 s: the connection it controls is still there.
        #expect(conns(ipvs, at: 100 * sec).first == "TCP 00:20  ASSURED     10.244.0.2:0       10.96.0.10:80      10.244.2.6:80")
        _ = ipvs.outbound(tcp("10.244.2.6", "10.244.0.2", sport: 80, dport: 40000, flags: "RST-ACK"), now: 100 * sec)
        #expect(conns(ipvs, at: 115 * sec) == ["TCP 00:05  ASSURED     10.244.0.2:0       10.96.0.10:80      10.244.2.6:80"])
        #expect(conns(ipvs, at: 125 * sec).isEmpty)
        #expect(ipvs.service(web)?.destination(rsB, 80)?.persistConns == 0)
        #expect(picks(ipvs, 1, firstPort: 40001, now: 125 * sec) == [rsA])
    }

    @Test("a deleted server's connections are dropped, or with expire_nodest_conn rescheduled; re-added it keeps its counters")
    func deletedServer() throws {
        let ipvs = IPVS()
        setup(ipvs, Self.masq2)
        #expect(picks(ipvs, 1) == [rsB])
        setup(ipvs, ["-d -t 10.96.0.10:80 -r 10.244.2.6:80"])
        #expect(ipvs.inbound(tcp("10.244.0.2", "10.96.0.10", flags: "ACK"), now: sec).isDrop)
        #expect(conns(ipvs, at: sec) == ["TCP 00:59  SYN_RECV    10.244.0.2:40000   10.96.0.10:80      10.244.2.6:80"])
        ipvs.sysctl.expireNodestConn = true
        #expect(ipvs.inbound(tcp("10.244.0.2", "10.96.0.10", flags: "ACK"), now: sec).isPass, "expired; a non-SYN is not scheduled")
        #expect(picks(ipvs, 1, now: sec) == [rsA])
        setup(ipvs, ["-a -t 10.96.0.10:80 -r 10.244.2.6:80 -m"], now: 2 * sec)
        #expect(ipvs.service(web)?.destination(rsB, 80)?.stats.conns == 1, "back from the trash with its stats")
        // Unused for IP_VS_DEST_TRASH_PERIOD (120 s), a trashed server is freed: it comes back new.
        setup(ipvs, ["-d -t 10.96.0.10:80 -r 10.244.2.6:80"], now: 3 * sec)
        setup(ipvs, ["-a -t 10.96.0.10:80 -r 10.244.2.6:80 -m"], now: 200 * sec)
        #expect(ipvs.service(web)?.destination(rsB, 80)?.stats.conns == 0)
    }

    @Test("a quiesced server keeps its clients' templates, unless expire_quiescent_template invalidates them")
    func quiescentTemplate() throws {
        let ipvs = IPVS()
        setup(ipvs, ["-A -t 10.96.0.10:80 -s rr -p 300", "-a -t 10.96.0.10:80 -r 10.244.1.5:80 -m", "-a -t 10.96.0.10:80 -r 10.244.2.6:80 -m",
                     "ipvsadm -e -t 10.96.0.10:80 -r 10.244.2.6:80 -m -w 0"])
        #expect(ipvs.service(web)?.destination(rsB, 80)?.weight == 0)
        setup(ipvs, ["-e -t 10.96.0.10:80 -r 10.244.2.6:80 -m -w 1"])
        #expect(picks(ipvs, 1) == [rsB])
        setup(ipvs, ["-e -t 10.96.0.10:80 -r 10.244.2.6:80 -m -w 0"])
        #expect(picks(ipvs, 1, firstPort: 40001) == [rsB], "the template still holds")
        ipvs.sysctl.expireQuiescentTemplate = true
        #expect(picks(ipvs, 1, firstPort: 40002) == [rsA])
        #expect(conns(ipvs, at: 0) == [
            "TCP 05:00  NONE        10.244.0.2:0       10.96.0.10:65535   10.244.2.6:65535",
            "TCP 01:00  SYN_RECV    10.244.0.2:40000   10.96.0.10:80      10.244.2.6:80",
            "TCP 01:00  SYN_RECV    10.244.0.2:40001   10.96.0.10:80      10.244.2.6:80",
            "TCP 05:00  NONE        10.244.0.2:0       10.96.0.10:80      10.244.1.5:80",
            "TCP 01:00  SYN_RECV    10.244.0.2:40002   10.96.0.10:80      10.244.1.5:80",
        ])
    }

    @Test("no usable server rejects; traffic that is not a new connection for a service passes")
    func rejectAndPass() throws {
        let ipvs = IPVS()
        setup(ipvs, ["-A -t 10.96.0.10:80 -s rr"])
        #expect(ipvs.inbound(tcp("10.244.0.2", "10.96.0.10"), now: 0).isReject)
        #expect(ipvs.inbound(tcp("10.244.0.2", "10.96.0.10", flags: "ACK"), now: 0).isPass)
        #expect(ipvs.inbound(tcp("10.244.0.2", "10.96.0.99"), now: 0).isPass)
        // A persistent port-zero service takes every port of its address.
        setup(ipvs, ["-A -t 10.96.0.20:0 -s rr -p", "-a -t 10.96.0.20:0 -r 10.244.1.5:0 -m"])
        let c = try #require(ipvs.inbound(tcp("10.244.0.2", "10.96.0.20", dport: 8443), now: 0).connection)
        #expect(c.destPort == 8443)
        #expect(conns(ipvs, at: 0).first == "TCP 06:00  NONE        10.244.0.2:0       10.96.0.20:0       10.244.1.5:0")
    }

    @Test("an upper threshold overloads a server until its connections fall below three quarters of it")
    func thresholds() throws {
        let ipvs = IPVS()
        setup(ipvs, ["-A -t 10.96.0.10:80 -s rr", "-a -t 10.96.0.10:80 -r 10.244.2.6:80 -m", "-a -t 10.96.0.10:80 -r 10.244.1.5:80 -m -x 1"])
        #expect(picks(ipvs, 3) == [rsA, rsB, rsB])
        #expect(adm(ipvs, "-Ln --thresholds").output.split(separator: "\n").suffix(4) == [
            "  -> RemoteAddress:Port",
            "TCP  10.96.0.10:80 rr",
            "  -> 10.244.1.5:80                1          0          1          0         ",
            "  -> 10.244.2.6:80                0          0          2          0         ",
        ])
        _ = ipvs.outbound(tcp("10.244.1.5", "10.244.0.2", sport: 80, dport: 40000, flags: "RST-ACK"), now: 0)
        #expect(picks(ipvs, 1, firstPort: 41000, now: 11 * sec) == [rsA])
    }
}
