import KubeSimCore

/// `-s`/`-d`: an address prefix, possibly negated (`! -s 10.244.0.0/16`).
/// Kept in 6 bytes — the mask is derived from the prefix length on each match (rules
/// are many: ≤ 200 bytes each is the budget).
public struct AddressMatch: Sendable, Equatable {
    let network: UInt32
    let prefix: UInt8
    public let negated: Bool
    public init(_ cidr: CIDR, negated: Bool = false) {
        self.negated = negated
        network = cidr.network.value; prefix = UInt8(cidr.prefixLength)
    }
    public var cidr: CIDR { CIDR(address: IPv4Address(network), prefixLength: Int(prefix)) }
    @inline(__always) var mask: UInt32 { prefix == 0 ? 0 : UInt32.max << UInt32(32 - prefix) }
    @inline(__always) func matches(_ ip: IPv4Address) -> Bool { (ip.value & mask == network) != negated }
}

/// `-i`/`-o`: a device name, or a prefix written with `+` (`cali+`), possibly negated.
public struct InterfaceMatch: Sendable, Equatable {
    public var name: String
    public var negated: Bool
    public init(_ text: String, negated: Bool = false) { name = text; self.negated = negated }
    func matches(_ dev: String) -> Bool {
        let hit = name.hasSuffix("+") ? dev.hasPrefix(name.dropLast()) : dev == name
        return hit != negated
    }
}

/// A port or a range (`80`, `30000:32767`), in 4 bytes.
public struct PortRange: Sendable, Equatable {
    let lo: UInt16, hi: UInt16
    public init(_ low: Int, _ high: Int) { lo = UInt16(clamping: low); hi = UInt16(clamping: high) }
    public init(_ port: Int) { lo = UInt16(clamping: port); hi = lo }
    public var low: Int { Int(lo) }
    public var high: Int { Int(hi) }
    func contains(_ p: Int) -> Bool { p >= Int(lo) && p <= Int(hi) }
    /// As iptables prints it: `80` or `1024:65535`.
    public var text: String { low == high ? "\(low)" : "\(low):\(high)" }
}

/// The ports of `-m tcp`/`-m udp` (and the implicit match `-p tcp --dport`), `--tcp-flags`.
public struct PortMatch: Sendable, Equatable {
    public var sport: PortRange?
    public var sportNegated = false
    public var dport: PortRange?
    public var dportNegated = false
    /// `--tcp-flags MASK COMP` (`--syn` is FIN,SYN,RST,ACK SYN).
    public var flags: (mask: TCPFlags, set: TCPFlags)?
    public var flagsNegated = false
    public init() {}
    public static func == (a: Self, b: Self) -> Bool {
        a.sport == b.sport && a.sportNegated == b.sportNegated && a.dport == b.dport && a.dportNegated == b.dportNegated
            && a.flags?.mask == b.flags?.mask && a.flags?.set == b.flags?.set && a.flagsNegated == b.flagsNegated
    }
}

/// The address types of `-m addrtype` (only the ones a node's rules use).
public enum AddressType: String, Sendable { case local = "LOCAL", unicast = "UNICAST", broadcast = "BROADCAST", multicast = "MULTICAST" }

/// An ipset reference: the set's name and which packet fields are looked up (`src`, `dst,dst`).
public struct SetMatch: Sendable, Equatable {
    public var name: String
    public var fields: [Bool]        // true: src, false: dst — one per dimension of the set
    public var negated: Bool
}

/// `-m recent`: a per-source list with timestamps (xt_recent).
public struct RecentMatch: Sendable, Equatable {
    public enum Command: String, Sendable { case set = "--set", rcheck = "--rcheck", update = "--update", remove = "--remove" }
    public var command: Command
    public var name = "DEFAULT"
    public var seconds: Int?
    public var hitcount: Int?
    /// `--reap` (with --seconds): entries older than the window are purged as they are checked.
    public var reap = false
    public var source = true
    public var negated = false
}

/// `-m physdev`: the bridge ports of bridged traffic (br_netfilter).
public struct PhysdevMatch: Sendable, Equatable {
    public var physIn: InterfaceMatch?
    public var physOut: InterfaceMatch?
    public var isBridged: Bool?        // true: --physdev-is-bridged, false: ! --physdev-is-bridged
    public var isIn: Bool?
    public var isOut: Bool?
}

/// Which ports `-m multiport` looks at.
public enum MultiportKind: String, Sendable { case sports, dports, ports }

/// One `-m …` match, in the order it was written (iptables-save prints them so). The
/// large, rare payloads are boxed (`indirect`) so that a match stays small.
public enum Match: Sendable, Equatable {
    case tcp(PortMatch)
    case udp(PortMatch)
    case icmp(type: Int?, code: Int?, negated: Bool)
    /// `-m multiport --dports|--sports|--ports LIST`.
    case multiport(which: MultiportKind, ports: [PortRange], negated: Bool)
    case comment(String)
    /// `-m statistic --mode random --probability P`: stored as the kernel stores it, P × 2^31.
    case random(threshold: UInt32, negated: Bool)
    case nth(every: Int, packet: Int, negated: Bool)
    case mark(value: UInt32, mask: UInt32, negated: Bool)
    case addrtype(src: AddressType?, srcNegated: Bool, dst: AddressType?, dstNegated: Bool, limitIfaceIn: Bool, limitIfaceOut: Bool)
    case conntrack(states: [CTState], negated: Bool)
    case state(states: [CTState], negated: Bool)
    indirect case set(SetMatch)
    indirect case recent(RecentMatch)
    indirect case physdev(PhysdevMatch)
    /// `-m nfacct --nfacct-name NAME`: always matches, counting into the named nfacct object.
    case nfacct(String)
}

/// What a rule does when it matches (`-j`/`-g`).
public enum Target: Sendable, Equatable {
    case accept, drop, `return`
    case jump(String)
    case goto(String)
    case reject(with: String)
    case dnat(to: IPv4Address, ports: PortRange?)
    case snat(to: IPv4Address, ports: PortRange?, randomFully: Bool)
    case masquerade(ports: PortRange?, random: Bool, randomFully: Bool)
    /// `-j MARK --set-xmark VALUE/MASK`: mark = (mark & ~mask) ^ value.
    case mark(value: UInt32, mask: UInt32)
    case redirect(ports: PortRange?)
    case log(prefix: String, level: UInt8)
    /// `-j NFLOG --nflog-group N`: a copy to a userspace listener (weave-npc's blocked-connection log).
    case nflog(group: Int)
    case notrack

    /// Whether the verdict ends the packet's walk through the table.
    var terminal: Bool {
        switch self {
        case .mark, .log, .nflog, .notrack: false
        default: true
        }
    }
}

/// One rule: the packet matches (addresses, interfaces, protocol, then the `-m` list in
/// order), the target, and the packet and byte counters real packets increment.
public struct Rule: Sendable {
    // Field order keeps the padding small (80 bytes a rule in a chain's array).
    public var src: AddressMatch?
    public var dst: AddressMatch?
    /// `-i`/`-o`, boxed together: most rules name no interface.
    final class Interfaces: @unchecked Sendable {
        var inIface: InterfaceMatch?
        var outIface: InterfaceMatch?
        init(_ i: InterfaceMatch?, _ o: InterfaceMatch?) { inIface = i; outIface = o }
    }
    var interfaces: Interfaces?
    public var inIface: InterfaceMatch? {
        get { interfaces?.inIface }
        set { interfaces = (newValue == nil && interfaces?.outIface == nil) ? nil : Interfaces(newValue, interfaces?.outIface) }
    }
    public var outIface: InterfaceMatch? {
        get { interfaces?.outIface }
        set { interfaces = (newValue == nil && interfaces?.inIface == nil) ? nil : Interfaces(interfaces?.inIface, newValue) }
    }
    public var matches: [Match] = []
    public var target: Target?
    public var packets: UInt64 = 0
    public var bytes: UInt64 = 0
    /// xt_statistic's nth counter (per rule, as the kernel keeps it).
    var nthCount: Int32 = 0
    public var proto: IPProto?
    public var protoNegated = false

    public init(target: Target? = nil) { self.target = target }

    /// The rule's `-m comment`, if any.
    public var comment: String? {
        for m in matches { if case .comment(let c) = m { return c } }
        return nil
    }

    /// Two rules are the same rule for `-D`/`-C` when everything but the counters is equal.
    public func sameSpec(_ o: Rule) -> Bool {
        src == o.src && dst == o.dst && inIface == o.inIface && outIface == o.outIface && proto == o.proto
            && protoNegated == o.protoNegated && matches == o.matches && target == o.target
    }
}

extension Rule {
    /// The rule's body as `iptables-save` and `iptables -S` print it, after `-A CHAIN`:
    /// `-s`, `-d`, `-i`, `-o`, `-p`, the matches in order, then the target
    /// (iptables/iptables-xml.c and nft-ipv4.c print_ipv4_addresses/save order).
    public var specText: String {
        var s = ""
        if let a = src { s += (a.negated ? " !" : "") + " -s \(a.cidr)" }
        if let a = dst { s += (a.negated ? " !" : "") + " -d \(a.cidr)" }
        if let i = inIface { s += (i.negated ? " !" : "") + " -i \(i.name)" }
        if let o = outIface { s += (o.negated ? " !" : "") + " -o \(o.name)" }
        if let p = proto { s += (protoNegated ? " !" : "") + " -p \(p.name)" }
        for m in matches { s += m.saveText }
        if let t = target { s += t.saveText }
        return s
    }
}

/// xtables_save_string (libxtables/xtables.c): bare when only `[_-0-9a-zA-Z]`, else in
/// double quotes with `"`, `\` and `'` escaped.
func saveString(_ v: String) -> String {
    let plain = !v.isEmpty && v.unicodeScalars.allSatisfy { c in
        c == "_" || c == "-" || (c >= "0" && c <= "9") || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z")
    }
    if plain { return v }
    var out = "\""
    for c in v { if c == "\"" || c == "\\" || c == "'" { out.append("\\") }; out.append(c) }
    return out + "\""
}

func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }

/// The probability iptables prints: the stored threshold over 2^31, to 11 decimals
/// (libxt_statistic.c: `printf(" --probability %.11f", 1.0 * info->u.random.probability / 0x80000000)`).
public func probabilityText(_ threshold: UInt32) -> String {
    let scaled = (Double(threshold) / 2147483648.0 * 1e11).rounded()
    let whole = Int(scaled / 1e11)
    let frac = Int(scaled) - whole * 100_000_000_000
    let digits = String(frac)
    return "\(whole)." + String(repeating: "0", count: max(0, 11 - digits.count)) + digits
}

/// The threshold the kernel keeps for `--probability P` (libxt_statistic.c: lround(P × 2^31)).
public func probabilityThreshold(_ p: Double) -> UInt32 { UInt32((p * 2147483648.0).rounded()) }

extension Match {
    /// ` -m NAME --option …` as iptables-save prints it.
    public var saveText: String {
        func neg(_ n: Bool) -> String { n ? " !" : "" }
        switch self {
        case .tcp(let pm), .udp(let pm):
            var s = " -m \(isTCP ? "tcp" : "udp")"
            if let p = pm.sport { s += neg(pm.sportNegated) + " --sport \(p.text)" }
            if let p = pm.dport { s += neg(pm.dportNegated) + " --dport \(p.text)" }
            if let f = pm.flags { s += neg(pm.flagsNegated) + " --tcp-flags \(Self.flagNames(f.mask)) \(Self.flagNames(f.set))" }
            return s
        case .icmp(let type, let code, let n):
            guard let type else { return " -m icmp" }
            return " -m icmp" + neg(n) + " --icmp-type \(type)" + (code.map { "/\($0)" } ?? "")
        case .multiport(let which, let ports, let n):
            return " -m multiport" + neg(n) + " --\(which.rawValue) " + ports.map { $0.low == $0.high ? "\($0.low)" : "\($0.low):\($0.high)" }.joined(separator: ",")
        case .comment(let c):
            return " -m comment --comment " + saveString(c)
        case .random(let t, let n):
            return " -m statistic --mode random" + neg(n) + " --probability " + probabilityText(t)
        case .nth(let every, let packet, let n):
            return " -m statistic --mode nth" + neg(n) + " --every \(every) --packet \(packet)"
        case .mark(let v, let m, let n):
            return " -m mark" + neg(n) + " --mark " + (m == 0xffff_ffff ? hex(v) : "\(hex(v))/\(hex(m))")
        case .addrtype(let s, let sn, let d, let dn, let li, let lo):
            var out = " -m addrtype"
            if let s { out += neg(sn) + " --src-type \(s.rawValue)" }
            if let d { out += neg(dn) + " --dst-type \(d.rawValue)" }
            if li { out += " --limit-iface-in" }
            if lo { out += " --limit-iface-out" }
            return out
        case .conntrack(let st, let n):
            return " -m conntrack" + neg(n) + " --ctstate " + Self.stateList(st)
        case .state(let st, let n):
            return " -m state" + neg(n) + " --state " + Self.stateList(st)
        case .set(let m):
            return " -m set" + neg(m.negated) + " --match-set \(m.name) " + m.fields.map { $0 ? "src" : "dst" }.joined(separator: ",")
        case .recent(let r):
            // libxt_recent.c recent_save: command, --seconds, --hitcount, --name, --mask, side.
            var out = " -m recent" + neg(r.negated) + " " + r.command.rawValue
            if let s = r.seconds { out += " --seconds \(s)" }
            if r.reap { out += " --reap" }
            if let h = r.hitcount { out += " --hitcount \(h)" }
            return out + " --name \(r.name) --mask 255.255.255.255 " + (r.source ? "--rsource" : "--rdest")
        case .nfacct(let name):
            // libxt_nfacct.c nfacct_save.
            return " -m nfacct --nfacct-name \(name)"
        case .physdev(let p):
            // libxt_physdev physdev_save: is-in, in, is-out, out, is-bridged.
            var out = " -m physdev"
            if let b = p.isIn { out += neg(!b) + " --physdev-is-in" }
            if let i = p.physIn { out += neg(i.negated) + " --physdev-in \(i.name)" }
            if let b = p.isOut { out += neg(!b) + " --physdev-is-out" }
            if let o = p.physOut { out += neg(o.negated) + " --physdev-out \(o.name)" }
            if let b = p.isBridged { out += neg(!b) + " --physdev-is-bridged" }
            return out
        }
    }

    var isTCP: Bool { if case .tcp = self { return true }; return false }

    /// The conntrack states in the order libxt_conntrack prints them.
    static func stateList(_ s: [CTState]) -> String {
        let order: [CTState] = [.invalid, .new, .related, .established, .untracked, .snat, .dnat]
        return order.filter { s.contains($0) }.map(\.name).joined(separator: ",")
    }

    /// `--tcp-flags` names in libxt_tcp's order (FIN,SYN,RST,PSH,ACK,URG; NONE). libxt_tcp
    /// print_tcpf names each bit, so ALL prints as FIN,SYN,RST,PSH,ACK,URG.
    static func flagNames(_ f: TCPFlags) -> String {
        if f.isEmpty { return "NONE" }
        let names: [(TCPFlags, String)] = [(.fin, "FIN"), (.syn, "SYN"), (.rst, "RST"), (.psh, "PSH"), (.ack, "ACK"), (.urg, "URG")]
        return names.filter { f.contains($0.0) }.map(\.1).joined(separator: ",")
    }
}

extension Target {
    /// ` -j TARGET --option …` as iptables-save prints it.
    public var saveText: String {
        switch self {
        case .accept: return " -j ACCEPT"
        case .drop: return " -j DROP"
        case .return: return " -j RETURN"
        case .jump(let c): return " -j \(c)"
        case .goto(let c): return " -g \(c)"
        case .reject(let w): return " -j REJECT --reject-with \(w)"
        case .dnat(let ip, let ports):
            return " -j DNAT --to-destination \(ip)" + (ports.map { ":" + ($0.low == $0.high ? "\($0.low)" : "\($0.low)-\($0.high)") } ?? "")
        case .snat(let ip, let ports, let rf):
            return " -j SNAT --to-source \(ip)" + (ports.map { ":" + ($0.low == $0.high ? "\($0.low)" : "\($0.low)-\($0.high)") } ?? "") + (rf ? " --random-fully" : "")
        case .masquerade(let ports, let random, let rf):
            return " -j MASQUERADE" + (ports.map { " --to-ports " + ($0.low == $0.high ? "\($0.low)" : "\($0.low)-\($0.high)") } ?? "")
                + (random ? " --random" : "") + (rf ? " --random-fully" : "")
        case .mark(let v, let m): return " -j MARK --set-xmark \(hex(v))/\(hex(m))"
        case .redirect(let ports):
            return " -j REDIRECT" + (ports.map { " --to-ports " + ($0.low == $0.high ? "\($0.low)" : "\($0.low)-\($0.high)") } ?? "")
        case .log(let prefix, let level):
            return " -j LOG" + (prefix.isEmpty ? "" : " --log-prefix " + saveString(prefix)) + (level == 4 ? "" : " --log-level \(level)")
        case .nflog(let g): return " -j NFLOG --nflog-group \(g)"
        case .notrack: return " -j CT --notrack"
        }
    }

    /// The name `iptables -L` shows in its target column.
    public var listName: String {
        switch self {
        case .accept: "ACCEPT"; case .drop: "DROP"; case .return: "RETURN"
        case .jump(let c), .goto(let c): c
        case .reject: "REJECT"; case .dnat: "DNAT"; case .snat: "SNAT"; case .masquerade: "MASQUERADE"
        case .mark: "MARK"; case .redirect: "REDIRECT"; case .log: "LOG"; case .nflog: "NFLOG"; case .notrack: "CT"
        }
    }
}
