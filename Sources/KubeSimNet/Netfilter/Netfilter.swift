import KubeSimCore

/// The five netfilter hooks of the IPv4 stack.
public enum NFHook: Int, Sendable, CaseIterable {
    case prerouting, input, forward, output, postrouting
    public var name: String {
        switch self {
        case .prerouting: "PREROUTING"; case .input: "INPUT"; case .forward: "FORWARD"
        case .output: "OUTPUT"; case .postrouting: "POSTROUTING"
        }
    }
}

/// The iptables tables, with the priority each registers at a hook
/// (include/uapi/linux/netfilter_ipv4.h: NF_IP_PRI_RAW −300, MANGLE −150, NAT_DST −100,
/// FILTER 0, NAT_SRC 100) and the built-in chains each has.
public enum NFTableName: String, Sendable, CaseIterable {
    case raw, mangle, nat, filter

    public var builtinChains: [NFHook] {
        switch self {
        case .raw: [.prerouting, .output]
        case .mangle: [.prerouting, .input, .forward, .output, .postrouting]
        case .nat: [.prerouting, .input, .output, .postrouting]
        case .filter: [.input, .forward, .output]
        }
    }

    public func priority(at hook: NFHook) -> Int {
        switch self {
        case .raw: -300
        case .mangle: -150
        case .nat: (hook == .prerouting || hook == .output) ? -100 : 100
        case .filter: 0
        }
    }
}

/// A chain: built-in (with a policy and its counters) or user-defined.
public final class Chain {
    public let name: String
    public var rules: [Rule] = []
    /// ACCEPT or DROP for a built-in chain; nil for a user chain.
    public var policy: Target? { didSet { policyDrops = policy == .drop } }
    /// The policy is DROP (read on every hook of every packet: no enum comparison there).
    private(set) var policyDrops = false
    public var policyPackets: UInt64 = 0
    public var policyBytes: UInt64 = 0
    init(name: String, policy: Target?) { self.name = name; self.policy = policy; policyDrops = policy == .drop }
    public var builtin: Bool { policy != nil }
}

/// One iptables table of a namespace: its chains by name.
public final class NFTable {
    public let name: NFTableName
    public private(set) var chains: [String: Chain] = [:]
    /// The built-in chains by hook (the walk's lookup, no string hashing per packet).
    private var builtin: [Chain?] = Array(repeating: nil, count: NFHook.allCases.count)
    init(_ name: NFTableName) {
        self.name = name
        for h in name.builtinChains {
            let c = Chain(name: h.name, policy: .accept)
            chains[h.name] = c
            builtin[h.rawValue] = c
        }
    }
    /// The table's base chain at a hook, if it registers there.
    @inline(__always) func base(_ hook: NFHook) -> Chain? { builtin[hook.rawValue] }
    public func chain(_ n: String) -> Chain? { chains[n] }

    /// Built-in chains in hook order, then user chains by name (the order iptables-save lists them).
    public var orderedChains: [Chain] {
        name.builtinChains.compactMap { chains[$0.name] } + chains.values.filter { !$0.builtin }.sorted { $0.name < $1.name }
    }

    @discardableResult
    public func newChain(_ n: String) -> Chain {
        if let c = chains[n] { return c }
        let c = Chain(name: n, policy: nil)
        chains[n] = c
        return c
    }
    func deleteChain(_ n: String) { chains.removeValue(forKey: n) }
    /// `-E OLD NEW`: the chain and every jump to it take the new name.
    func renameChain(_ old: String, to new: String) {
        guard let c = chains.removeValue(forKey: old) else { return }
        let renamed = Chain(name: new, policy: nil)
        renamed.rules = c.rules
        chains[new] = renamed
        for ch in chains.values {
            for k in ch.rules.indices {
                if ch.rules[k].target == .jump(old) { ch.rules[k].target = .jump(new) }
                if ch.rules[k].target == .goto(old) { ch.rules[k].target = .goto(new) }
            }
        }
    }
    /// A command wrote to the table (iptables-nft creates a table on first write).
    public var touched = false

    /// How many rules jump or go to a chain (`iptables -L`'s "N references").
    public func references(to n: String) -> Int {
        var k = 0
        for c in chains.values { for r in c.rules { if r.target == .jump(n) || r.target == .goto(n) { k += 1 } } }
        return k
    }

    /// Whether the table holds anything beyond empty built-in chains with ACCEPT policies.
    public var isPristine: Bool { chains.values.allSatisfy { $0.builtin && $0.rules.isEmpty && $0.policy == .accept } }
}

/// What decided a packet's fate in one table at a hook: the rule (chain and 1-based
/// number) or the base chain's policy, with the rule's `iptables -S` text.
public struct RuleDecision: Sendable {
    public let table: NFTableName
    public let chain: String
    /// nil: the base chain's policy decided.
    public let rule: Int?
    public let ruleText: String
    /// The verdict or action the rule or policy took ("ACCEPT", "DNAT to 10.244.1.3:80", …).
    public let action: String
    /// The chains the packet passed through, base chain first (jumps).
    public let path: [String]
    /// When the policy decided after a user chain returned: that RETURN ("FLANNEL-POSTRTG rule 2: RETURN").
    public var returned: String?
    /// An nftables base chain decided: its table ("ip kube-proxy"); nil for the iptables tables.
    public var nft: String? = nil
    /// The nftables base chain's priority (where its decision stands among the tables').
    public var priority = 0
    /// What names the table in traces: "nat", "filter", or "nft ip kube-proxy".
    public var tableLabel: String { nft.map { "nft " + $0 } ?? table.rawValue }
}

/// The verdict of one hook.
public enum NFVerdict: Sendable, Equatable {
    /// Whether the packet goes on (a check without comparing payloads, per hook).
    public var accepted: Bool { if case .accept = self { true } else { false } }
    case accept
    case drop
    /// REJECT: the packet is dropped and the kernel answers with `with` (icmp-port-unreachable, tcp-reset …).
    case reject(String)
}

/// The outcome of one hook pass: verdict, the rules evaluated, what each table decided,
/// and what conntrack did.
public struct HookResult: @unchecked Sendable {
    public var verdict: NFVerdict = .accept
    public var rulesEvaluated = 0
    /// What is written down for a trace (nil for bulk walks: the fate is the same).
    public final class Record {
        public var decisions: [RuleDecision] = []
        public var emptyTables: [NFTableName] = []
        public var conntrack: String?
        public var translations: [String] = []
    }
    var record: Record?
    /// IPVS took the packet at LOCAL_IN and sent it to a real server (what it did, for the trace).
    public var stolen: String?
    init(recording: Bool) { record = recording ? Record() : nil }
    public init() { record = Record() }

    /// What each table decided (the rule, or the policy), in priority order.
    public var decisions: [RuleDecision] {
        get { record?.decisions ?? [] }
        set { record?.decisions = newValue }
    }
    /// Tables whose base chain for the hook is empty with an ACCEPT policy (nothing to decide).
    public var emptyTables: [NFTableName] {
        get { record?.emptyTables ?? [] }
        set { record?.emptyTables = newValue }
    }
    /// conntrack at this hook: "new", "established", "reply of …", "related to …", "invalid", "untracked".
    public var conntrack: String? {
        get { record?.conntrack }
        set { record?.conntrack = newValue }
    }
    /// Address translations done here ("DNAT 10.96.0.10:53 → 10.244.1.3:53", "MASQUERADE … → …").
    public var translations: [String] {
        get { record?.translations ?? [] }
        set { record?.translations = newValue }
    }
}

/// The per-packet connection-tracking state carried from hook to hook inside one namespace.
public struct CTPass {
    public var entry: ConntrackEntry?
    public var reply = false
    /// The entry is new (unconfirmed): the nat table is consulted.
    public var isNew = false
    public var untracked = false
    /// The packet's netfilter mark, carried from hook to hook inside the namespace
    /// (kube-proxy marks in PREROUTING and masquerades by the mark in POSTROUTING).
    public var mark: UInt32?
    /// The state conntrack gave the packet at PREROUTING/OUTPUT, seen by the later hooks' rules.
    public var state: CTState?
    public init() {}
}

extension HookResult {
    /// One line for a trace hop: conntrack's finding, then each table in priority order —
    /// the rule that decided (chain path, number, action) or its policy; empty chains together.
    public func summary(_ hook: NFHook) -> String {
        var parts: [String] = []
        if let c = conntrack { parts.append("conntrack: \(c)") }
        let order = NFTableName.allCases.sorted { $0.priority(at: hook) < $1.priority(at: hook) }
        var empty: [String] = []
        // nftables base chains stand among the tables by priority, after a table of equal
        // priority (registered first).
        let nft = decisions.contains { $0.nft != nil } ? decisions.filter { $0.nft != nil } : []
        var k = 0
        func nftBelow(_ prio: Int) {
            while k < nft.count && nft[k].priority < prio {
                if !empty.isEmpty { parts.append(empty.joined(separator: ", ") + ": empty (ACCEPT)"); empty = [] }
                let d = nft[k]
                parts.append(d.rule.map { "\(d.tableLabel): \(d.path.joined(separator: " → ")) rule \($0): \(d.action)" } ?? "\(d.tableLabel): \(d.chain): policy \(d.action)")
                k += 1
            }
        }
        for t in order {
            nftBelow(t.priority(at: hook))
            if emptyTables.contains(t) { empty.append(t.rawValue); continue }
            if !empty.isEmpty, decisions.contains(where: { $0.table == t && $0.nft == nil }) { parts.append(empty.joined(separator: ", ") + ": empty (ACCEPT)"); empty = [] }
            for d in decisions where d.table == t && d.nft == nil {
                if let r = d.rule {
                    parts.append("\(t.rawValue): \(d.path.joined(separator: " → ")) rule \(r): \(d.action)")
                } else if let ret = d.returned {
                    parts.append("\(t.rawValue): \(d.path.first ?? d.chain) → \(ret), policy \(d.action)")
                } else {
                    parts.append("\(t.rawValue): \(d.path.joined(separator: " → ")): policy \(d.action)")
                }
            }
        }
        nftBelow(Int.max)
        if !empty.isEmpty { parts.append(empty.joined(separator: ", ") + ": empty (ACCEPT)") }
        // A known connection's translation comes from its conntrack entry, not from a rule.
        parts += translations.filter { $0.hasPrefix("conntrack:") }.map { "NAT from " + $0 }
        if parts.isEmpty { parts.append("not tracked") }
        return parts.joined(separator: "; ")
    }

    /// The rule that decided the verdict (the last decision), if a rule did.
    public var decidingRule: RuleDecision? { decisions.last }
}
