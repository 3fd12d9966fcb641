import Testing
@testable import KubeSimNet
import KubeSimCore

// Shared helpers: program a namespace exactly as a user types `iptables …`, and walk
// packets through the hooks in the order the kernel runs them. Expected values in the
// tests are written from the real tools (iptables-nft 1.8.9, conntrack-tools 1.4.7,
// Linux 6.1), never computed by the code under test.

let sec: Int64 = 1_000_000_000

func ip(_ s: String) -> IPv4Address { IPv4Address(parsing: s)! }

/// Splits a command line as a shell would for these tests: blanks separate words,
/// double quotes group them ("flanneld masq").
func words(_ line: String) -> [String] {
    var out: [String] = [], cur = "", quoted = false, inWord = false
    for c in line {
        if c == "\"" { quoted.toggle(); inWord = true; continue }
        if c == " " && !quoted {
            if inWord { out.append(cur); cur = ""; inWord = false }
            continue
        }
        cur.append(c); inWord = true
    }
    if inWord { out.append(cur) }
    return out
}

/// `iptables ARGS` as typed (the leading "iptables" may be written or left out).
@discardableResult
func ipt(_ nf: Netfilter, _ line: String) -> Iptables.Outcome {
    var w = words(line)
    if w.first == "iptables" { w.removeFirst() }
    return Iptables.run(w, on: nf)
}

/// Runs each command and expects it to succeed silently.
func program(_ nf: Netfilter, _ lines: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    for l in lines {
        let o = ipt(nf, l)
        #expect(o == Iptables.Outcome(status: 0, output: ""), "\(l)", sourceLocation: sourceLocation)
    }
}

func tcp(_ src: String, _ dst: String, sport: Int = 40000, dport: Int = 80, flags: String = "SYN", length: Int = 60) -> NFPacket {
    var p = NFPacket(src: ip(src), dst: ip(dst), proto: .tcp, sport: sport, dport: dport, length: length)
    p.tcpFlags = TCPFlags(words: flags)
    return p
}

func udp(_ src: String, _ dst: String, sport: Int = 40000, dport: Int = 53, length: Int = 60) -> NFPacket {
    NFPacket(src: ip(src), dst: ip(dst), proto: .udp, sport: sport, dport: dport, length: length)
}

/// The hooks a packet meets, by path through the node.
enum Path {
    case forwarded, delivered, sent
    var hooks: [NFHook] {
        switch self {
        case .forwarded: [.prerouting, .forward, .postrouting]
        case .delivered: [.prerouting, .input]
        case .sent: [.output, .postrouting]
        }
    }
}

/// Walks one packet through its path with one conntrack pass, stopping at the first
/// hook that does not accept it. Returns each hook's result, in order.
@discardableResult
func walk(_ nf: Netfilter, _ p: inout NFPacket, _ path: Path = .forwarded, now: Int64 = 0) -> [HookResult] {
    var ct = CTPass()
    var results: [HookResult] = []
    for h in path.hooks {
        let r = nf.run(h, &p, ct: &ct, now: now, record: true)
        results.append(r)
        if r.verdict != .accept { break }
    }
    return results
}

/// The verdict of the whole walk (the last hook's).
func verdict(_ rs: [HookResult]) -> NFVerdict { rs.last?.verdict ?? .accept }

/// Every decision of a walk, as "table CHAIN#rule action" ("filter FORWARD#2 DROP",
/// "filter FORWARD#policy DROP").
func decided(_ rs: [HookResult]) -> [String] {
    rs.flatMap(\.decisions).map { "\($0.table.rawValue) \($0.chain)#\($0.rule.map(String.init) ?? "policy") \($0.action)" }
}

func chain(_ nf: Netfilter, _ table: NFTableName, _ name: String) -> Chain { nf.table(table).chain(name)! }
func chain(_ nf: Netfilter, _ name: String) -> Chain { chain(nf, .filter, name) }

/// (packets, bytes) of rule N (1-based) of a chain.
func counters(_ nf: Netfilter, _ table: NFTableName, _ name: String, _ n: Int) -> [UInt64] {
    let r = chain(nf, table, name).rules[n - 1]
    return [r.packets, r.bytes]
}
func counters(_ nf: Netfilter, _ name: String, _ n: Int) -> [UInt64] { counters(nf, .filter, name, n) }
