import KubeSimCore

// A packet meeting nftables' base chains at a hook, interleaved with the iptables tables
// by priority as nf_hook_entries orders them: conntrack at −200 (registered first),
// iptables' raw −300, mangle −150, nat (−100 at PREROUTING/OUTPUT, 100 at INPUT/POSTROUTING)
// and filter 0 (registered at boot, so before our chains of equal priority), and each
// filter-type base chain at its own priority. nat-type chains run inside the nat core's
// hook (nf_nat_inet_fn): only for a connection's first packet, in priority order, until
// one of them (or the iptables nat table) binds the manipulation; later packets get the
// translation from the conntrack entry. Netfilter.run comes here only when a base chain
// exists: an empty ruleset costs one flag test per hook.

extension Netfilter {
    /// What runs at a hook besides our base chains, by priority.
    enum Stage: Sendable { case table(NFTableName), conntrack, nat, confirm }
    static let stages: [[(priority: Int, stage: Stage)]] = NFHook.allCases.map { hook in
        switch hook {
        case .prerouting: [(-300, .table(.raw)), (-200, .conntrack), (-150, .table(.mangle)), (-100, .nat)]
        case .output: [(-300, .table(.raw)), (-200, .conntrack), (-150, .table(.mangle)), (-100, .nat), (0, .table(.filter))]
        case .forward: [(-150, .table(.mangle)), (0, .table(.filter))]
        case .input: [(-150, .table(.mangle)), (0, .table(.filter)), (100, .nat), (Int.max, .confirm)]
        case .postrouting: [(-150, .table(.mangle)), (100, .nat), (Int.max, .confirm)]
        }
    }

    func runInterleaved(_ hook: NFHook, _ p: inout NFPacket, _ ct: inout CTPass, _ res: inout HookResult, now: Int64, record: Bool) {
        let chains = nftables.filterChains[hook.rawValue]
        var k = 0
        for (prio, stage) in Self.stages[hook.rawValue] {
            while k < chains.count && chains[k].priority < prio {
                runBaseChain(chains[k], hook, &p, &ct, &res, now: now, record: record)
                k += 1
                guard res.verdict.accepted else { return }
            }
            switch stage {
            case .table(let t):
                traverse(table(t), hook, &p, &ct, &res, now: now, record: record)
            case .conntrack:
                track(&p, &ct, &res, now: now, record: record)
            case .nat:
                let destination = hook == .prerouting || hook == .output
                if ct.isNew {
                    traverse(nat, hook, &p, &ct, &res, now: now, record: record)
                    for h in nftables.natChains[hook.rawValue] {
                        guard res.verdict.accepted else { return }
                        if let e = ct.entry, destination ? e.dnat : e.snat { break }   // nf_nat_initialized
                        runBaseChain(h, hook, &p, &ct, &res, now: now, record: record)
                    }
                } else {
                    natFromEntry(&p, ct, destination: destination, &res, record: record)
                }
            case .confirm:
                confirm(&ct, p, now: now)
            }
            guard res.verdict.accepted else { return }
        }
        while k < chains.count {
            runBaseChain(chains[k], hook, &p, &ct, &res, now: now, record: record)
            k += 1
            guard res.verdict.accepted else { return }
        }
    }

    enum NFTOutcome { case next, verdict(NFTVerdict), terminal(String) }

    /// One base chain: rules in order; jump pushes a return point, goto does not; return
    /// (or the end of a regular chain) pops; accept ends the base chain, drop the packet;
    /// the policy when the base chain runs out.
    func runBaseChain(_ h: Nftables.Hooked, _ hook: NFHook, _ p: inout NFPacket, _ ct: inout CTPass, _ res: inout HookResult, now: Int64, record: Bool) {
        let base = h.chain, table = h.table
        let natType = base.base?.type == .nat
        let drops = base.base?.policyDrops ?? false
        let label = record ? "\(table.family.rawValue) \(table.name)" : ""
        func decide(_ c: NFTChain, _ rule: Int?, _ action: String, _ trail: [String]) {
            let text = rule.map { NFTView.ruleLine(c.rules[$0 - 1]) } ?? "policy \(drops ? "drop" : "accept")"
            res.decisions.append(RuleDecision(table: natType ? .nat : .filter, chain: c.name, rule: rule, ruleText: text, action: action,
                                              path: trail, nft: label, priority: h.priority))
        }
        if base.rules.isEmpty {
            if drops { res.verdict = .drop; if record { decide(base, nil, "drop", [base.name]) } }
            return
        }
        nftables.frames.removeAll(keepingCapacity: true)
        var trail: [String] = record ? [base.name] : []
        var chain = base
        var i = 0
        walk: while true {
            while i < chain.rules.count {
                res.rulesEvaluated += 1
                switch evalRule(chain, i, table, natType, hook, &p, &ct, &res, now: now) {
                case .next:
                    i += 1
                case .terminal(let action):
                    if record { decide(chain, i + 1, action, trail) }
                    return
                case .verdict(let v):
                    switch v {
                    case .accept:
                        if record { decide(chain, i + 1, "accept", trail) }
                        return
                    case .drop:
                        res.verdict = .drop
                        if record { decide(chain, i + 1, "drop", trail) }
                        return
                    case .return:
                        guard let f = nftables.frames.popLast() else { break walk }
                        chain = f.chain; i = f.next
                        if record { trail.removeLast(trail.count - f.trail) }
                    case .jump(let name), .goto(let name):
                        guard let next = table.chains[name] else { i += 1; continue }
                        if case .jump = v { nftables.frames.append(Nftables.Frame(chain: chain, next: i + 1, trail: trail.count)) }
                        if record { trail.append(name) }
                        chain = next; i = 0
                    }
                }
            }
            // The end of a regular chain returns to the rule after the jump.
            guard let f = nftables.frames.popLast() else { break }
            chain = f.chain; i = f.next
            if record { trail.removeLast(trail.count - f.trail) }
        }
        if drops { res.verdict = .drop }
        if record { decide(base, nil, drops ? "drop" : "accept", [base.name]) }
    }

    /// One rule on the packet: each expression in turn until a match fails (the rule
    /// ends), a verdict is reached, or a terminal statement (reject, dnat, masquerade) acts.
    @inline(__always)
    func evalRule(_ chain: NFTChain, _ i: Int, _ table: NFTTable, _ natType: Bool, _ hook: NFHook, _ p: inout NFPacket, _ ct: inout CTPass,
                  _ res: inout HookResult, now: Int64) -> NFTOutcome {
        let n = chain.rules[i].exprs.count
        var k = 0
        while k < n {
            defer { k += 1 }
            switch chain.rules[i].exprs[k] {
            case .cmp(let s, let neg, let v):
                guard let x = s.value(p), v.matches(x) != neg else { return .next }
            case .anonSet(let s, let neg, let values):
                guard let x = s.value(p) else { return .next }
                if values.contains(where: { $0.matches(x) }) == neg { return .next }
            case .lookup(let sels, let name, let neg):
                guard let set = table.sets[name], let key = NFTSelector.key(sels, p) else { return .next }
                if (set.lookup(key, now: now) != nil) == neg { return .next }
            case .ctState(let states, let neg):
                if (states & (1 << p.ctState.rawValue) != 0) == neg { return .next }
            case .fibLocal(let saddr):
                if !isLocal(saddr ? p.src : p.dst) { return .next }
            case .markAnd(let mask, let value, let neg):
                if ((p.mark & mask) == value) == neg { return .next }
            case .markSet(let op, let v):
                switch op {
                case .or: p.mark |= v
                case .xor: p.mark ^= v
                case .and: p.mark &= v
                case .set: p.mark = v
                }
            case .update(let name, let sels):
                guard let set = table.sets[name], let key = NFTSelector.key(sels, p) else { return .next }
                let expires = set.timeout.map { now + $0 * 1_000_000_000 }
                if set.lookup(key, now: now) != nil || set.count < (set.size ?? Int.max) {
                    set.add(NFTSet.Element(key: key, verdict: nil, comment: nil, expires: expires))
                }
            case .vmap(let sels, let name):
                guard let set = table.sets[name], let key = NFTSelector.key(sels, p), let v = set.lookup(key, now: now)?.verdict else { return .next }
                return .verdict(v)
            case .numgen(let mod, let entries):
                // nft_ng_random_eval: reciprocal_scale(get_random_u32(), modulus).
                let n = UInt32((UInt64(random()) &* UInt64(mod)) >> 32)
                if Int(n) < entries.count, entries[Int(n)].0 == n { return .verdict(entries[Int(n)].1) }
                guard let hit = entries.first(where: { $0.0 == n }) else { return .next }
                return .verdict(hit.1)
            case .counter:
                chain.rules[i].packets &+= 1
                chain.rules[i].bytes &+= UInt64(p.length)
            case .verdict(let v):
                return .verdict(v)
            case .reject:
                res.verdict = .reject("icmp-port-unreachable")
                return .terminal("reject")
            case .dnat(let ip, let port):
                return .terminal(apply(.dnat(to: ip, ports: port.map { PortRange($0, $0) }), natType ? .nat : .filter, hook, &p, &ct, &res, now: now, record: res.record != nil))
            case .masquerade(let fullyRandom):
                return .terminal(apply(.masquerade(ports: nil, random: false, randomFully: fullyRandom), natType ? .nat : .filter, hook, &p, &ct, &res, now: now, record: res.record != nil))
            }
        }
        return .next
    }
}

extension Nftables {
    /// A jump's return point (scratch for the walk: single-threaded, never nested).
    struct Frame {
        let chain: NFTChain
        let next: Int
        let trail: Int
    }
}
