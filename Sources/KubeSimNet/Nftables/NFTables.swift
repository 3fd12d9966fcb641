import KubeSimCore

// nftables as the kernel holds it for one network namespace (net/netfilter/nf_tables_api.c):
// tables of a family, holding base chains (a type, a hook, a priority and a policy),
// regular chains, rules as expressions and statements, named sets and maps (verdict maps
// too) with their elements. Rules arrive as nft text (knftables hands `nft -f -` a
// transaction), are parsed once (NFTParser.swift) and kept as data: packets read the data
// (NFTables+Evaluate.swift), `nft list` prints it back as nft 1.0.6 does (NFTView.swift).

/// nftables' address families. kube-proxy's IPv4 table is `ip`; the simulator has no IPv6.
public enum NFTFamily: String, Sendable, CaseIterable {
    case ip
}

/// A base chain's type (`type filter|nat`).
public enum NFTChainType: String, Sendable {
    case filter, nat
}

/// A verdict: of a rule, of a map element, of a base chain's policy.
public enum NFTVerdict: Sendable, Equatable {
    case accept, drop, `return`
    case jump(String)
    case goto(String)

    /// As nft prints it ("goto service-…").
    public var text: String {
        switch self {
        case .accept: "accept"
        case .drop: "drop"
        case .return: "return"
        case .jump(let c): "jump \(c)"
        case .goto(let c): "goto \(c)"
        }
    }
}

/// The data types of set keys (nft `describe`: ipv4_addr 32 bits, inet_proto 8, inet_service 16).
public enum NFTDataType: String, Sendable {
    case ipv4Addr = "ipv4_addr", inetProto = "inet_proto", inetService = "inet_service"
    var bits: UInt64 {
        switch self { case .ipv4Addr: 32; case .inetProto: 8; case .inetService: 16 }
    }
}

/// What an expression reads from the packet (payload and meta expressions).
public enum NFTSelector: Sendable, Equatable {
    case ipSaddr, ipDaddr
    /// `meta l4proto`.
    case l4proto
    /// `th dport` / `th sport`: the transport header's ports, whatever the protocol.
    case thDport, thSport
    /// `tcp dport` / `udp dport` / `sctp dport`: the port, and an implied protocol match.
    case dport(IPProto)

    var dataType: NFTDataType {
        switch self {
        case .ipSaddr, .ipDaddr: .ipv4Addr
        case .l4proto: .inetProto
        case .thDport, .thSport, .dport: .inetService
        }
    }

    /// The value the packet carries (nil: the expression cannot be evaluated — no
    /// transport header — and the rule does not match, as NFT_BREAK).
    @inline(__always)
    func value(_ p: NFPacket) -> UInt64? {
        switch self {
        case .ipSaddr: return UInt64(p.src.value)
        case .ipDaddr: return UInt64(p.dst.value)
        case .l4proto: return UInt64(p.proto.rawValue)
        case .thDport: return p.hasPorts ? UInt64(p.dport) : nil
        case .thSport: return p.hasPorts ? UInt64(p.sport) : nil
        case .dport(let proto): return p.proto == proto ? UInt64(p.dport) : nil
        }
    }

    /// The key a concatenation (`ip daddr . meta l4proto . th dport`) builds: each value
    /// shifted in by its type's width.
    @inline(__always)
    static func key(_ sels: [NFTSelector], _ p: NFPacket) -> UInt64? {
        if sels.count == 1 { return sels[0].value(p) }
        var k: UInt64 = 0
        for s in sels {
            guard let v = s.value(p) else { return nil }
            k = (k << s.dataType.bits) | v
        }
        return k
    }
}

/// A constant on the right of a comparison.
public enum NFTValue: Sendable, Equatable {
    case addr(IPv4Address)
    case prefix(CIDR)
    case proto(IPProto)
    case port(Int)

    @inline(__always)
    func matches(_ v: UInt64) -> Bool {
        switch self {
        case .addr(let a): v == UInt64(a.value)
        case .prefix(let c): c.contains(IPv4Address(UInt32(truncatingIfNeeded: v)))
        case .proto(let p): v == UInt64(p.rawValue)
        case .port(let n): v == UInt64(n)
        }
    }
}

/// `meta mark set meta mark | V` (and `^`, `&`), or a plain `meta mark set V`.
public enum NFTMarkOp: String, Sendable {
    case or = "|", xor = "^", and = "&", set = "="
}

/// One expression or statement of a rule, in the order written. Matches stop the rule when
/// they fail (NFT_BREAK); statements act; a verdict ends it.
public enum NFTExpr: Sendable, Equatable {
    /// `ip daddr 10.96.0.1`, `ip saddr != 10.0.0.0/8`, `meta l4proto tcp`, `tcp dport 80`.
    case cmp(NFTSelector, negated: Bool, NFTValue)
    /// An anonymous set of addresses and prefixes: `ip saddr != { 203.0.113.0/25, 1.2.3.4 }`.
    case anonSet(NFTSelector, negated: Bool, [NFTValue])
    /// A named set lookup: `ip daddr @cluster-ips`, `ip saddr @affinity-…`.
    case lookup([NFTSelector], set: String, negated: Bool)
    /// `ct state new` (several states: any of them), as a bitmask of CTState raw values.
    case ctState(UInt8, negated: Bool)
    /// `fib saddr type local` / `fib daddr type local`.
    case fibLocal(saddr: Bool)
    /// `meta mark & MASK == VALUE` (`!=`).
    case markAnd(mask: UInt32, value: UInt32, negated: Bool)
    /// `meta mark set meta mark | VALUE`.
    case markSet(NFTMarkOp, UInt32)
    /// `update @set { ip saddr }`: adds the packet's key, or refreshes its timeout.
    case update(set: String, [NFTSelector])
    /// `… vmap @map`: the verdict the map holds for the key, else the rule ends.
    case vmap([NFTSelector], map: String)
    /// `numgen random mod N vmap { 0 : goto a, 1 : goto b }`.
    case numgen(mod: UInt32, [(UInt32, NFTVerdict)])
    case counter
    case verdict(NFTVerdict)
    /// `reject` (IPv4: an ICMP port unreachable).
    case reject
    /// `dnat to IP[:PORT]`.
    case dnat(IPv4Address, port: Int?)
    case masquerade(fullyRandom: Bool)

    public static func == (a: NFTExpr, b: NFTExpr) -> Bool {
        switch (a, b) {
        case let (.numgen(m1, v1), .numgen(m2, v2)):
            return m1 == m2 && v1.count == v2.count && zip(v1, v2).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case let (.cmp(s1, n1, v1), .cmp(s2, n2, v2)): return s1 == s2 && n1 == n2 && v1 == v2
        case let (.anonSet(s1, n1, v1), .anonSet(s2, n2, v2)): return s1 == s2 && n1 == n2 && v1 == v2
        case let (.lookup(s1, x1, n1), .lookup(s2, x2, n2)): return s1 == s2 && x1 == x2 && n1 == n2
        case let (.ctState(s1, n1), .ctState(s2, n2)): return s1 == s2 && n1 == n2
        case let (.fibLocal(x), .fibLocal(y)): return x == y
        case let (.markAnd(m1, v1, n1), .markAnd(m2, v2, n2)): return m1 == m2 && v1 == v2 && n1 == n2
        case let (.markSet(o1, v1), .markSet(o2, v2)): return o1 == o2 && v1 == v2
        case let (.update(x1, s1), .update(x2, s2)): return x1 == x2 && s1 == s2
        case let (.vmap(s1, m1), .vmap(s2, m2)): return s1 == s2 && m1 == m2
        case (.counter, .counter), (.reject, .reject): return true
        case let (.verdict(x), .verdict(y)): return x == y
        case let (.dnat(i1, p1), .dnat(i2, p2)): return i1 == i2 && p1 == p2
        case let (.masquerade(x), .masquerade(y)): return x == y
        default: return false
        }
    }
}

/// One rule: its expressions, its comment, its handle, the counter's packets and bytes
/// (when it has a `counter` statement), and the text it was added with (what knftables'
/// fake keeps and dumps).
public struct NFTRule: Sendable {
    public var exprs: [NFTExpr]
    public var comment: String?
    public internal(set) var handle = 0
    public internal(set) var packets: UInt64 = 0
    public internal(set) var bytes: UInt64 = 0
    /// The rule as its writer spelled it (nil: added as data).
    public var source: String?
    public init(_ exprs: [NFTExpr], comment: String? = nil, source: String? = nil) {
        self.exprs = exprs; self.comment = comment; self.source = source
    }
}

/// A base chain's registration: `type filter hook prerouting priority -110; policy accept;`.
public struct NFTBaseChain: Sendable, Equatable {
    public var type: NFTChainType
    public var hook: NFHook
    public var priority: Int
    public var policyDrops = false
    public init(type: NFTChainType, hook: NFHook, priority: Int) { self.type = type; self.hook = hook; self.priority = priority }
}

public final class NFTChain {
    public let name: String
    public internal(set) var base: NFTBaseChain?
    public internal(set) var comment: String?
    public internal(set) var rules: [NFTRule] = []
    public let handle: Int
    init(name: String, base: NFTBaseChain?, comment: String?, handle: Int) {
        self.name = name; self.base = base; self.comment = comment; self.handle = handle
    }
}

/// A named set, or a map (verdict map) when `isMap`. Elements keep their insertion order
/// (what the views list; the kernel's hash order is not reproducible) behind a hash index
/// on the packed key.
public final class NFTSet {
    public let name: String
    public let isMap: Bool
    public let keyTypes: [NFTDataType]
    /// `flags dynamic,timeout` as declared.
    public internal(set) var flags: [String]
    /// The default timeout of elements, in seconds.
    public internal(set) var timeout: Int64?
    /// `size` (the kernel sets 65535 when a rule updates a set that declared none: nft_dynset_init).
    public internal(set) var size: Int?
    public internal(set) var comment: String?
    public let handle: Int

    struct Element {
        var key: UInt64
        var verdict: NFTVerdict?
        var comment: String?
        /// Simulated ns at which a timed-out element disappears.
        var expires: Int64?
    }
    var slots: [Element?] = []
    var index: [UInt64: Int] = [:]

    init(name: String, isMap: Bool, keyTypes: [NFTDataType], flags: [String], timeout: Int64?, comment: String?, handle: Int) {
        self.name = name; self.isMap = isMap; self.keyTypes = keyTypes; self.flags = flags
        self.timeout = timeout; self.comment = comment; self.handle = handle
    }

    public var count: Int { index.count }

    /// Adds an element; an element already there takes the new value in place.
    func add(_ e: Element) {
        if let i = index[e.key] { slots[i] = e; return }
        index[e.key] = slots.count
        slots.append(e)
    }

    @discardableResult
    func remove(_ key: UInt64) -> Bool {
        guard let i = index.removeValue(forKey: key) else { return false }
        slots[i] = nil
        if slots.count > 64 && index.count * 2 < slots.count { compact() }
        return true
    }

    func flush() { slots.removeAll(); index.removeAll() }

    private func compact() {
        slots = slots.compactMap { $0 }.map { Optional($0) }
        index.removeAll(keepingCapacity: true)
        for (i, e) in slots.enumerated() { index[e!.key] = i }
    }

    /// The live element for a key (one that timed out is gone).
    @inline(__always)
    func lookup(_ key: UInt64, now: Int64) -> Element? {
        guard let i = index[key], let e = slots[i] else { return nil }
        if let x = e.expires, x <= now { remove(key); return nil }
        return e
    }

    /// Elements in insertion order, timed-out ones left out.
    func elements(now: Int64) -> [Element] {
        slots.compactMap { e in
            guard let e else { return nil }
            if let x = e.expires, x <= now { return nil }
            return e
        }
    }

    /// The key's parts as nft prints them ("172.30.0.41", "tcp", "80").
    func keyParts(_ key: UInt64) -> [String] {
        var k = key
        var parts: [String] = []
        for t in keyTypes.reversed() {
            let v = k & ((1 << t.bits) - 1)
            k >>= t.bits
            switch t {
            case .ipv4Addr: parts.append(IPv4Address(UInt32(v)).description)
            case .inetProto: parts.append(IPProto(rawValue: UInt8(v))?.name ?? String(v))
            case .inetService: parts.append(String(v))
            }
        }
        return parts.reversed()
    }
}

/// One table: its chains and sets (maps among them) in the order they were created,
/// which is the order the kernel lists them.
public final class NFTTable {
    public let family: NFTFamily
    public let name: String
    public internal(set) var comment: String?
    public let handle: Int
    public private(set) var chains: [String: NFTChain] = [:]
    public private(set) var chainOrder: [String] = []
    public private(set) var sets: [String: NFTSet] = [:]
    public private(set) var setOrder: [String] = []
    /// The kernel numbers a table's objects and rules from one counter.
    var nextHandle = 1

    init(family: NFTFamily, name: String, comment: String?, handle: Int) {
        self.family = family; self.name = name; self.comment = comment; self.handle = handle
    }

    func takeHandle() -> Int { defer { nextHandle += 1 }; return nextHandle }

    func addChain(_ name: String, base: NFTBaseChain?, comment: String?) {
        guard chains[name] == nil else { return }
        chains[name] = NFTChain(name: name, base: base, comment: comment, handle: takeHandle())
        chainOrder.append(name)
    }
    func deleteChain(_ name: String) {
        guard chains.removeValue(forKey: name) != nil else { return }
        chainOrder.removeAll { $0 == name }
    }
    func addSet(_ s: NFTSet) {
        guard sets[s.name] == nil else { return }
        sets[s.name] = s
        setOrder.append(s.name)
    }
    func deleteSet(_ name: String) {
        guard sets.removeValue(forKey: name) != nil else { return }
        setOrder.removeAll { $0 == name }
    }
    public var orderedChains: [NFTChain] { chainOrder.compactMap { chains[$0] } }
    public var orderedSets: [NFTSet] { setOrder.compactMap { sets[$0] } }
}

/// The nftables ruleset of one namespace. `hooked` is false until a base chain exists:
/// netfilter's per-hook walk checks that one flag and otherwise runs its iptables path
/// unchanged.
public final class Nftables {
    public private(set) var tables: [NFTTable] = []
    private var nextTableHandle = 1
    /// Any base chain registered (the hooks have something of ours to run).
    public private(set) var hooked = false

    /// One registered base chain, with its table.
    struct Hooked {
        let table: NFTTable
        let chain: NFTChain
        let priority: Int
    }
    /// Per hook: the filter-type base chains by priority, and the nat-type ones (which
    /// run inside the nat core's hook, for a connection's first packet only).
    private(set) var filterChains: [[Hooked]] = Array(repeating: [], count: NFHook.allCases.count)
    private(set) var natChains: [[Hooked]] = Array(repeating: [], count: NFHook.allCases.count)
    /// Scratch for chain jumps during a walk.
    var frames: [Frame] = []

    public init() {}

    public func table(_ family: NFTFamily, _ name: String) -> NFTTable? {
        tables.first { $0.family == family && $0.name == name }
    }

    @discardableResult
    func addTable(_ family: NFTFamily, _ name: String, comment: String?) -> NFTTable {
        if let t = table(family, name) { return t }
        let t = NFTTable(family: family, name: name, comment: comment, handle: nextTableHandle)
        nextTableHandle += 1
        tables.append(t)
        return t
    }

    func deleteTable(_ family: NFTFamily, _ name: String) {
        tables.removeAll { $0.family == family && $0.name == name }
        rehook()
    }

    /// Rebuilds the per-hook lists after base chains came or went (nf_register_net_hook
    /// keeps a hook's entries sorted by priority, a new one after those of equal priority).
    func rehook() {
        var f: [[Hooked]] = Array(repeating: [], count: NFHook.allCases.count)
        var n = f
        for t in tables {
            for c in t.orderedChains {
                guard let b = c.base else { continue }
                let h = Hooked(table: t, chain: c, priority: b.priority)
                if b.type == .nat { n[b.hook.rawValue].append(h) } else { f[b.hook.rawValue].append(h) }
            }
        }
        for i in f.indices {
            f[i] = Self.stableSorted(f[i])
            n[i] = Self.stableSorted(n[i])
        }
        filterChains = f
        natChains = n
        hooked = f.contains { !$0.isEmpty } || n.contains { !$0.isEmpty }
    }

    private static func stableSorted(_ a: [Hooked]) -> [Hooked] {
        a.enumerated().sorted { $0.element.priority != $1.element.priority ? $0.element.priority < $1.element.priority : $0.offset < $1.offset }.map(\.element)
    }

    /// `nft flush ruleset`.
    public func flushRuleset() {
        tables.removeAll()
        rehook()
    }
}
