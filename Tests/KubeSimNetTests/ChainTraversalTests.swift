import Testing
@testable import KubeSimNet
import KubeSimCore

// Rule order, jump/goto/RETURN, policies and counters, as ipt_do_table walks a chain.

@Suite("Chain traversal")
struct ChainTraversalTests {
    @Test("the first matching rule decides; the decision names it")
    func firstMatchDecides() {
        let nf = Netfilter()
        program(nf, ["-A FORWARD -s 10.244.1.0/24 -j ACCEPT",
                     "-A FORWARD -p tcp --dport 22 -j DROP"])
        var p = tcp("10.244.2.5", "10.244.1.7", dport: 22)
        let rs = walk(nf, &p)
        #expect(verdict(rs) == .drop)
        #expect(rs.count == 2)   // stopped at FORWARD, never reached POSTROUTING
        let d = rs[1].decisions
        #expect(d.count == 1)
        #expect(d.first?.table == .filter)
        #expect(d.first?.chain == "FORWARD")
        #expect(d.first?.rule == 2)
        #expect(d.first?.ruleText == "-A FORWARD -p tcp -m tcp --dport 22 -j DROP")
        #expect(d.first?.action == "DROP")
        #expect(d.first?.path == ["FORWARD"])
        #expect(counters(nf, "FORWARD", 1) == [0, 0])
        #expect(counters(nf, "FORWARD", 2) == [1, 60])

        var q = tcp("10.244.1.7", "10.244.2.5", dport: 22)
        let rq = walk(nf, &q)
        #expect(verdict(rq) == .accept)
        #expect(decided(rq) == ["filter FORWARD#1 ACCEPT"])
        #expect(counters(nf, "FORWARD", 1) == [1, 60])
        #expect(counters(nf, "FORWARD", 2) == [1, 60])
    }

    @Test("the policy decides when no rule matches, and counts the packet")
    func policyDecides() {
        let nf = Netfilter()
        program(nf, ["-P FORWARD DROP", "-A FORWARD -s 10.0.0.0/8 -j ACCEPT"])
        var p = tcp("192.168.1.1", "10.0.0.5", length: 100)
        let rs = walk(nf, &p)
        #expect(verdict(rs) == .drop)
        #expect(decided(rs) == ["filter FORWARD#policy DROP"])
        #expect(rs[1].decisions.first?.ruleText == "-P FORWARD DROP")
        #expect(chain(nf, "FORWARD").policyPackets == 1)
        #expect(chain(nf, "FORWARD").policyBytes == 100)
        #expect(counters(nf, "FORWARD", 1) == [0, 0])

        var q = tcp("10.1.2.3", "10.0.0.5")
        #expect(verdict(walk(nf, &q)) == .accept)
        #expect(chain(nf, "FORWARD").policyPackets == 1)
    }

    @Test("an empty chain with policy DROP drops; with ACCEPT accepts")
    func emptyChainPolicy() {
        let nf = Netfilter()
        program(nf, ["-P INPUT DROP"])
        var p = tcp("10.0.0.1", "10.0.0.2")
        let rs = walk(nf, &p, .delivered)
        #expect(verdict(rs) == .drop)
        #expect(chain(nf, "INPUT").policyPackets == 1)
        var q = tcp("10.0.0.1", "10.0.0.3")
        #expect(verdict(walk(nf, &q, .forwarded)) == .accept)
        #expect(chain(nf, "FORWARD").policyPackets == 1)
    }

    @Test("-j CHAIN: RETURN resumes after the jump; a verdict in the chain ends the walk")
    func jumpAndReturn() {
        let nf = Netfilter()
        program(nf, ["-N CHK",
                     "-A FORWARD -j CHK",
                     "-A FORWARD -p tcp -j ACCEPT",
                     "-A FORWARD -j DROP",
                     "-A CHK -s 10.0.0.1 -j RETURN",
                     "-A CHK -j DROP"])
        var p = tcp("10.0.0.1", "10.0.1.1")
        let rs = walk(nf, &p)
        #expect(verdict(rs) == .accept)
        #expect(decided(rs) == ["filter FORWARD#2 ACCEPT"])
        #expect(rs[1].decisions.first?.path == ["FORWARD"])   // the call stack at the decision
        #expect(counters(nf, "FORWARD", 1) == [1, 60])
        #expect(counters(nf, "CHK", 1) == [1, 60])
        #expect(counters(nf, "CHK", 2) == [0, 0])
        #expect(counters(nf, "FORWARD", 2) == [1, 60])

        var q = tcp("10.0.0.2", "10.0.1.1")
        let rq = walk(nf, &q)
        #expect(verdict(rq) == .drop)
        #expect(decided(rq) == ["filter CHK#2 DROP"])
        #expect(rq[1].decisions.first?.path == ["FORWARD", "CHK"])
        #expect(counters(nf, "CHK", 2) == [1, 60])
        #expect(counters(nf, "FORWARD", 2) == [1, 60])
    }

    @Test("falling off the end of a user chain returns to the caller")
    func fallOffUserChain() {
        let nf = Netfilter()
        program(nf, ["-N EMPTYISH", "-A EMPTYISH -p udp -j DROP",
                     "-A FORWARD -j EMPTYISH", "-A FORWARD -j ACCEPT"])
        var p = tcp("10.0.0.1", "10.0.1.1")
        #expect(decided(walk(nf, &p)) == ["filter FORWARD#2 ACCEPT"])
    }

    @Test("-g CHAIN: falling off the goto'd chain returns to the chain that jumped to its caller")
    func gotoSemantics() {
        let nf = Netfilter()
        program(nf, ["-N OUTER", "-N INNER",
                     "-A FORWARD -j OUTER",
                     "-A FORWARD -j DROP",
                     "-A OUTER -g INNER",
                     "-A OUTER -j ACCEPT",
                     "-A INNER -p udp -j ACCEPT"])
        var p = tcp("10.0.0.1", "10.0.1.1")
        let rs = walk(nf, &p)
        #expect(verdict(rs) == .drop)
        #expect(decided(rs) == ["filter FORWARD#2 DROP"])
        #expect(counters(nf, "OUTER", 1) == [1, 60])
        #expect(counters(nf, "OUTER", 2) == [0, 0])

        var u = udp("10.0.0.1", "10.0.1.1")
        let ru = walk(nf, &u)
        #expect(decided(ru) == ["filter INNER#1 ACCEPT"])
        #expect(ru[1].decisions.first?.path == ["FORWARD", "INNER"])   // -g replaced OUTER on the stack
    }

    @Test("-g from the base chain: falling off the target chain applies the policy")
    func gotoFromBase() {
        let nf = Netfilter()
        program(nf, ["-P FORWARD DROP", "-N G", "-A G -p udp -j ACCEPT",
                     "-A FORWARD -g G", "-A FORWARD -j ACCEPT"])
        var p = tcp("10.0.0.1", "10.0.1.1")
        #expect(decided(walk(nf, &p)) == ["filter FORWARD#policy DROP"])
        #expect(counters(nf, "FORWARD", 2) == [0, 0])
    }

    @Test("RETURN in a base chain ends it with the policy")
    func returnFromBase() {
        let nf = Netfilter()
        program(nf, ["-P INPUT DROP", "-A INPUT -j RETURN", "-A INPUT -j ACCEPT"])
        var p = tcp("10.0.0.1", "10.0.0.2")
        let rs = walk(nf, &p, .delivered)
        #expect(verdict(rs) == .drop)
        #expect(decided(rs) == ["filter INPUT#policy DROP"])
        #expect(counters(nf, "INPUT", 1) == [1, 60])
        #expect(counters(nf, "INPUT", 2) == [0, 0])
        #expect(chain(nf, "INPUT").policyPackets == 1)
    }

    @Test("a rule without a target only counts; the walk goes on")
    func countingRule() {
        let nf = Netfilter()
        program(nf, ["-A FORWARD -p tcp", "-A FORWARD -p tcp --dport 80 -j ACCEPT"])
        var p = tcp("10.0.0.1", "10.0.1.1", length: 1500)
        var q = tcp("10.0.0.1", "10.0.1.1", dport: 443, length: 40)
        #expect(decided(walk(nf, &p)) == ["filter FORWARD#2 ACCEPT"])
        walk(nf, &q)
        #expect(counters(nf, "FORWARD", 1) == [2, 1540])
        #expect(counters(nf, "FORWARD", 2) == [1, 1500])
        #expect(chain(nf, "FORWARD").policyPackets == 1)
        #expect(chain(nf, "FORWARD").policyBytes == 40)
    }

    @Test("-Z zeroes rule and policy counters")
    func zeroCounters() {
        let nf = Netfilter()
        program(nf, ["-A FORWARD -p udp -j ACCEPT"])
        var p = tcp("10.0.0.1", "10.0.1.1")
        var u = udp("10.0.0.1", "10.0.1.1")
        walk(nf, &p); walk(nf, &u)
        #expect(counters(nf, "FORWARD", 1) == [1, 60])
        #expect(chain(nf, "FORWARD").policyPackets == 1)
        program(nf, ["-Z"])
        #expect(counters(nf, "FORWARD", 1) == [0, 0])
        #expect(chain(nf, "FORWARD").policyPackets == 0)
        #expect(chain(nf, "FORWARD").policyBytes == 0)
    }

    @Test("MARK is not terminal; a later table and hook match the mark")
    func markThenMatch() {
        let nf = Netfilter()
        program(nf, ["-t mangle -A PREROUTING -s 10.244.0.0/16 -j MARK --set-mark 0x4000/0x4000",
                     "-t mangle -A PREROUTING -m mark --mark 0x4000/0x4000 -j MARK --or-mark 0x1",
                     "-A FORWARD -m mark --mark 0x4001 -j DROP",
                     "-A FORWARD -j ACCEPT"])
        var p = tcp("10.244.3.3", "8.8.8.8")
        p.mark = 0x10000
        let rs = walk(nf, &p)
        #expect(p.mark == 0x14001)
        #expect(verdict(rs) == .accept)   // 0x14001 & 0xffffffff != 0x4001
        #expect(counters(nf, .mangle, "PREROUTING", 2) == [1, 60])

        var q = tcp("10.244.3.3", "8.8.8.8", sport: 40001)
        let rq = walk(nf, &q)
        #expect(q.mark == 0x4001)
        #expect(decided(rq) == ["mangle PREROUTING#policy ACCEPT", "filter FORWARD#1 DROP"])

        var o = tcp("192.168.0.9", "8.8.8.8")
        walk(nf, &o)
        #expect(o.mark == 0)
    }

    @Test("--and-mark and --xor-mark change the mark as the kernel does")
    func markArithmetic() {
        let nf = Netfilter()
        program(nf, ["-t mangle -A PREROUTING -j MARK --and-mark 0xff00",
                     "-t mangle -A PREROUTING -j MARK --xor-mark 0x0101"])
        var p = tcp("10.0.0.1", "10.0.0.2")
        p.mark = 0x12345
        walk(nf, &p)
        #expect(p.mark == 0x2201)   // (0x12345 & 0xff00) ^ 0x0101
    }

    @Test("tables run in priority order at each hook: raw, mangle, nat, filter")
    func priorityOrder() {
        let nf = Netfilter()
        program(nf, ["-t nat -A OUTPUT -j ACCEPT", "-A OUTPUT -j ACCEPT", "-t mangle -A OUTPUT -j ACCEPT",
                     "-t raw -A OUTPUT -j ACCEPT", "-t nat -A POSTROUTING -j ACCEPT", "-t mangle -A POSTROUTING -j ACCEPT"])
        var p = tcp("10.0.0.1", "10.0.0.2")
        let rs = walk(nf, &p, .sent)
        #expect(rs[0].decisions.map(\.table) == [.raw, .mangle, .nat, .filter])
        #expect(rs[1].decisions.map(\.table) == [.mangle, .nat])
    }

    @Test("a DROP in mangle PREROUTING stops the packet before nat sees it")
    func dropStopsLaterTables() {
        let nf = Netfilter()
        program(nf, ["-t mangle -A PREROUTING -p udp -j DROP", "-t nat -A PREROUTING -j ACCEPT"])
        var u = udp("10.0.0.1", "10.0.0.2")
        let rs = walk(nf, &u)
        #expect(verdict(rs) == .drop)
        #expect(rs.count == 1)
        #expect(counters(nf, .nat, "PREROUTING", 1) == [0, 0])
    }

    @Test("interface matches: exact name, + prefix, negation")
    func interfaces() {
        let nf = Netfilter()
        program(nf, ["-A FORWARD -i cali+ -o eth0 -j ACCEPT", "-A FORWARD ! -i cni0 -j DROP"])
        var a = tcp("10.0.0.1", "8.8.8.8"); a.inDev = "cali12ab"; a.outDev = "eth0"
        var b = tcp("10.0.0.1", "8.8.8.8"); b.inDev = "cali12ab"; b.outDev = "eth1"
        var c = tcp("10.0.0.1", "8.8.8.8"); c.inDev = "cni0"; c.outDev = "eth1"
        #expect(decided(walk(nf, &a)) == ["filter FORWARD#1 ACCEPT"])
        #expect(decided(walk(nf, &b)) == ["filter FORWARD#2 DROP"])
        #expect(verdict(walk(nf, &c)) == .accept)
    }
}
