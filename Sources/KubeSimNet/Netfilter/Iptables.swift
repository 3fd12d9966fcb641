import KubeSimCore

/// The `iptables` command (iptables-nft 1.8.9, as Debian 12 and kubeadm nodes ship it):
/// parses a command line into one operation on a namespace's tables, and answers with
/// iptables' own messages and exit codes (iptables/xshared.c do_parse, nft.c nft_strerror,
/// libxtables xtables.c basic_exit_err). A rejected command changes nothing.
public enum Iptables {
    public static let version = "1.8.9 (nf_tables)"
    static let prog = "iptables v\(version): "
    static let tryHelp = "Try `iptables -h' or 'iptables --help' for more information."

    /// What the command prints and its exit status (1 operation failed, 2 bad parameter,
    /// 3 bad table, 4 kernel refused).
    public struct Outcome: Equatable, Sendable { public let status: Int; public let output: String }

    struct Failure: Error { let status: Int; let text: String }
    static func parameter(_ msg: String) -> Failure { Failure(status: 2, text: prog + msg + "\n" + tryHelp) }
    static func operation(_ msg: String) -> Failure { Failure(status: 1, text: "iptables: \(msg).") }
    static let noChain = operation("No chain/target/match by that name")

    enum Command: Equatable {
        case append(String), insert(String, Int), delete(String), deleteNum(String, Int), replace(String, Int), check(String)
        case list(String?), listRules(String?, Int?), flush(String?), zero(String?), newChain(String), deleteChain(String?)
        case policy(String, String), rename(String, String)
    }

    struct Parsed {
        var table = NFTableName.filter
        var command: Command?
        var rule = Rule()
        var hasRuleSpec = false
        var numeric = false, verbose = false, exact = false, lineNumbers = false
    }

    /// Runs `iptables ARGS…` (argv without the program name) on a namespace.
    public static func run(_ args: [String], on nf: Netfilter) -> Outcome {
        do {
            let p = try parse(args, nf)
            return try execute(p, nf)
        } catch let f as Failure {
            return Outcome(status: f.status, output: f.text)
        } catch {
            return Outcome(status: 1, output: "iptables: \(error)")
        }
    }

    // MARK: - parsing

    /// Short options that can be bundled (`-nvL`, `-vnxL`).
    static let bundleable: Set<Character> = ["n", "v", "x", "L", "S", "F", "Z", "X", "N"]

    static func parse(_ argv: [String], _ nf: Netfilter) throws -> Parsed {
        var args: [String] = []
        for a in argv {
            if a.count > 2, a.hasPrefix("-"), !a.hasPrefix("--"), a.dropFirst().allSatisfy({ bundleable.contains($0) }) {
                args += a.dropFirst().map { "-\($0)" }
            } else {
                args.append(a)
            }
        }
        var p = Parsed()
        var i = 0
        var negate = false
        /// The match whose options follow (`-m NAME` or the protocol's implicit match).
        var currentMatch: String?
        var targetName: String?
        var targetOptions: [(String, String?)] = []

        func value(_ opt: String) throws -> String {
            guard i + 1 < args.count else { throw parameter("option \"\(opt)\" requires an argument") }
            i += 1
            return args[i]
        }
        func optionalNumber() -> Int? {
            if i + 1 < args.count, let n = Int(args[i + 1]) { i += 1; return n }
            return nil
        }
        /// A rule number after -I/-D/-R: 1 or more (xshared.c parse_rulenumber).
        func ruleNumber() throws -> Int? {
            guard let n = optionalNumber() else { return nil }
            guard n >= 1 else { throw parameter("Invalid rule number `\(args[i])'") }
            return n
        }
        func optionalName() -> String? {
            if i + 1 < args.count, !args[i + 1].hasPrefix("-") { i += 1; return args[i] }
            return nil
        }
        func setCommand(_ c: Command, _ opt: String) throws {
            // xshared.c add_command.
            if p.command != nil { throw parameter("Cannot use \(commandFlag(c)) with \(commandFlag(p.command!))") }
            p.command = c
        }

        while i < args.count {
            let a = args[i]
            if a == "!" { negate = true; i += 1; continue }
            let neg = negate
            negate = false
            switch a {
            case "-t", "--table":
                let t = try value(a)
                guard let name = NFTableName(rawValue: t) else {
                    throw Failure(status: 3, text: prog + "table '\(t)' does not exist\nPerhaps iptables or your kernel needs to be upgraded.")
                }
                p.table = name
            case "-A", "--append": try setCommand(.append(try value(a)), a)
            case "-C", "--check": try setCommand(.check(try value(a)), a)
            case "-I", "--insert":
                let c = try value(a)
                try setCommand(.insert(c, try ruleNumber() ?? 1), a)
            case "-D", "--delete":
                let c = try value(a)
                if let n = try ruleNumber() { try setCommand(.deleteNum(c, n), a) } else { try setCommand(.delete(c), a) }
            case "-R", "--replace":
                let c = try value(a)
                guard let n = try ruleNumber() else { throw parameter("-R requires a rule number") }
                try setCommand(.replace(c, n), a)
            case "-L", "--list": try setCommand(.list(optionalName()), a)
            case "-S", "--list-rules":
                let c = optionalName()
                try setCommand(.listRules(c, c == nil ? nil : optionalNumber()), a)
            case "-F", "--flush": try setCommand(.flush(optionalName()), a)
            case "-Z", "--zero": try setCommand(.zero(optionalName()), a)
            case "-N", "--new-chain", "--new": try setCommand(.newChain(try value(a)), a)
            case "-X", "--delete-chain": try setCommand(.deleteChain(optionalName()), a)
            case "-P", "--policy":
                let c = try value(a)
                try setCommand(.policy(c, try value(a)), a)
            case "-E", "--rename-chain":
                let old = try value(a)
                try setCommand(.rename(old, try value(a)), a)
            case "-n", "--numeric": p.numeric = true
            case "-v", "--verbose": p.verbose = true
            case "-x", "--exact": p.exact = true
            case "--line-numbers": p.lineNumbers = true
            case "-w", "--wait": _ = optionalNumber()
            case "-s", "--source", "--src", "-d", "--destination", "--dst":
                let v = try value(a)
                guard let cidr = parseAddress(v) else { throw parameter("host/network `\(v)' not found") }
                if a.hasPrefix("-s") || a == "--source" || a == "--src" { p.rule.src = AddressMatch(cidr, negated: neg) } else { p.rule.dst = AddressMatch(cidr, negated: neg) }
                p.hasRuleSpec = true
            case "-i", "--in-interface", "-o", "--out-interface":
                let v = try value(a)
                guard v.count <= 15 else { throw parameter("interface name `\(v)' must be shorter than IFNAMSIZ (15)") }
                if a == "-i" || a == "--in-interface" { p.rule.inIface = InterfaceMatch(v, negated: neg) } else { p.rule.outIface = InterfaceMatch(v, negated: neg) }
                p.hasRuleSpec = true
            case "-p", "--protocol":
                let v = try value(a)
                if v == "all" || v == "0" { p.rule.proto = nil } else {
                    guard let proto = IPProto(name: v) else { throw parameter("unknown protocol \"\(v)\" specified") }
                    p.rule.proto = proto
                    p.rule.protoNegated = neg
                    currentMatch = proto.name
                }
                p.hasRuleSpec = true
            case "-m", "--match":
                let v = try value(a)
                guard ["tcp", "udp", "icmp", "multiport", "comment", "statistic", "mark", "addrtype", "conntrack", "state", "set", "recent", "physdev", "nfacct"].contains(v) else {
                    throw Failure(status: 2, text: prog + "Couldn't load match `\(v)':No such file or directory\n\n" + tryHelp)
                }
                currentMatch = v
                p.rule.matches.append(try emptyMatch(v))
                p.hasRuleSpec = true
            case "-j", "--jump", "-g", "--goto":
                let v = try value(a)
                if a == "-g" || a == "--goto" { p.rule.target = .goto(v) } else { targetName = v }
                currentMatch = nil
                p.hasRuleSpec = true
            default:
                if a.hasPrefix("-") {
                    if let t = targetName, targetOption(t, a) {
                        let takesValue = !["--random", "--random-fully", "--notrack", "--log-tcp-sequence", "--log-ip-options"].contains(a)
                        targetOptions.append((a, takesValue ? try value(a) : nil))
                    } else if try applyMatchOption(a, neg, &p.rule, currentMatch, value) {
                        // consumed
                    } else if let pn = p.rule.proto?.name, pn != currentMatch, try applyMatchOption(a, neg, &p.rule, pn, value) {
                        // the protocol's implicit match, loaded where its first option appears
                    } else {
                        throw parameter("unknown option \"\(a)\"")
                    }
                } else {
                    throw Failure(status: 2, text: "Bad argument `\(a)'\n" + tryHelp)
                }
            }
            i += 1
        }
        guard let cmd = p.command else { throw parameter("no command specified") }
        // `-m tcp`/`-m udp` need the protocol somewhere on the line (kube-proxy writes `-m tcp -p tcp`).
        for m in p.rule.matches {
            if case .tcp = m, p.rule.proto != .tcp { throw parameter("need -p tcp for -m tcp") }
            if case .udp = m, p.rule.proto != .udp { throw parameter("need -p udp for -m udp") }
            // libxt_statistic: the kernel's nth counter starts at every − packet (so `--packet P`
            // matches the (P+1)th packet); ours counts up to the packet number, so it starts at every − 1.
            if case .nth(let every, _, _) = m { p.rule.nthCount = Int32(clamping: max(0, every - 1)) }
        }
        // xshared.c do_parse: DROP as a target or a policy in the nat table.
        var dropPolicy = false
        if case .policy(_, "DROP") = cmd { dropPolicy = true }
        if p.table == .nat, targetName == "DROP" || dropPolicy {
            throw parameter("\nThe \"nat\" table is not intended for filtering, the use of DROP is therefore inhibited.\n\n")
        }
        if let t = targetName { p.rule.target = try makeTarget(t, targetOptions, p.table, nf, cmd) }
        if case .goto(let c) = p.rule.target, nf.table(p.table).chain(c) == nil {
            throw parameter("Chain '\(c)' does not exist")
        }
        try validate(p)
        return p
    }

    /// Whether a parsed line's jump or goto target and sets still exist (a cached parse is
    /// reused only then; parse() checks them against the namespace).
    static func targetsExist(_ p: Parsed, _ nf: Netfilter) -> Bool {
        switch p.rule.target {
        case .jump(let c), .goto(let c): if nf.table(p.table).chain(c) == nil { return false }
        default: break
        }
        for m in p.rule.matches { if case .set(let s) = m, nf.ipsets[s.name] == nil { return false } }
        return true
    }

    static func commandFlag(_ c: Command) -> String {
        switch c {
        case .append: "-A"; case .insert: "-I"; case .delete, .deleteNum: "-D"; case .replace: "-R"; case .check: "-C"
        case .list: "-L"; case .listRules: "-S"; case .flush: "-F"; case .zero: "-Z"; case .newChain: "-N"
        case .deleteChain: "-X"; case .policy: "-P"; case .rename: "-E"
        }
    }

    /// A rule-changing command needs a rule; a listing one takes none.
    static func validate(_ p: Parsed) throws {
        switch p.command! {
        case .append, .insert, .delete, .replace, .check: break
        default:
            if p.hasRuleSpec { throw parameter("Illegal option `-\(p.rule.target != nil ? "j" : "s")' with this command") }
        }
    }

    static func parseAddress(_ s: String) -> CIDR? {
        if let c = CIDR(parsing: s) { return CIDR(address: c.network, prefixLength: c.prefixLength) }
        if let ip = IPv4Address(parsing: s) { return CIDR(address: ip, prefixLength: 32) }
        if s == "anywhere" { return CIDR(address: IPv4Address(0), prefixLength: 0) }
        return nil
    }

    static func parsePort(_ s: String) throws -> PortRange {
        let names = ["http": 80, "https": 443, "ssh": 22, "domain": 53, "dns": 53]
        func one(_ t: Substring) throws -> Int {
            if let n = Int(t), (0...65535).contains(n) { return n }
            if let n = names[String(t)] { return n }
            throw parameter("invalid port/service `\(t)' specified")
        }
        let parts = s.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        if parts.count == 2 {
            let lo = parts[0].isEmpty ? 0 : try one(parts[0]), hi = parts[1].isEmpty ? 65535 : try one(parts[1])
            return PortRange(min(lo, hi), max(lo, hi))
        }
        return PortRange(try one(parts[0]))
    }

    static func parseMark(_ s: String) throws -> (UInt32, UInt32) {
        func num(_ t: Substring) throws -> UInt32 {
            if t.hasPrefix("0x"), let v = UInt32(t.dropFirst(2), radix: 16) { return v }
            if let v = UInt32(t) { return v }
            throw parameter("Bad MARK value \"\(s)\"")
        }
        let parts = s.split(separator: "/", maxSplits: 1)
        return (try num(parts[0]), parts.count == 2 ? try num(parts[1]) : 0xffff_ffff)
    }

    static func parseStates(_ s: String, _ opt: String) throws -> [CTState] {
        try s.split(separator: ",").map { w in
            guard let st = CTState.allCases.first(where: { $0.name == w.uppercased() }) else { throw parameter("Bad ctstate \"\(w)\"") }
            return st
        }
    }

    static func emptyMatch(_ name: String) throws -> Match {
        switch name {
        case "tcp": .tcp(PortMatch())
        case "udp": .udp(PortMatch())
        case "icmp": .icmp(type: nil, code: nil, negated: false)
        case "multiport": .multiport(which: .ports, ports: [], negated: false)
        case "comment": .comment("")
        case "statistic": .random(threshold: 0, negated: false)
        case "mark": .mark(value: 0, mask: 0xffff_ffff, negated: false)
        case "addrtype": .addrtype(src: nil, srcNegated: false, dst: nil, dstNegated: false, limitIfaceIn: false, limitIfaceOut: false)
        case "conntrack": .conntrack(states: [], negated: false)
        case "state": .state(states: [], negated: false)
        case "set": .set(SetMatch(name: "", fields: [], negated: false))
        case "recent": .recent(RecentMatch(command: .rcheck))
        case "nfacct": .nfacct("")
        default: .physdev(PhysdevMatch())
        }
    }

    /// An option of the current match (or of the protocol's implicit one); false when it is not one.
    static func applyMatchOption(_ opt: String, _ neg: Bool, _ rule: inout Rule, _ current: String?,
                                 _ value: (String) throws -> String) throws -> Bool {
        guard let current else { return false }
        // The protocol's own match, made on first use when no `-m tcp` was written.
        func portMatch(_ change: (inout PortMatch) throws -> Void) throws {
            let tcp = current == "tcp"
            if let k = rule.matches.lastIndex(where: { if case .tcp = $0 { return tcp }; if case .udp = $0 { return !tcp }; return false }) {
                if case .tcp(var pm) = rule.matches[k] { try change(&pm); rule.matches[k] = .tcp(pm) }
                else if case .udp(var pm) = rule.matches[k] { try change(&pm); rule.matches[k] = .udp(pm) }
            } else {
                var pm = PortMatch()
                try change(&pm)
                rule.matches.append(tcp ? .tcp(pm) : .udp(pm))
            }
        }
        func lastMatch(_ change: (inout Match) throws -> Void) rethrows {
            guard var m = rule.matches.popLast() else { return }
            try change(&m)
            rule.matches.append(m)
        }
        switch (current, opt) {
        case ("tcp", "--sport"), ("tcp", "--source-port"), ("udp", "--sport"), ("udp", "--source-port"):
            let r = try parsePort(try value(opt)); try portMatch { $0.sport = r; $0.sportNegated = neg }
        case ("tcp", "--dport"), ("tcp", "--destination-port"), ("udp", "--dport"), ("udp", "--destination-port"):
            let r = try parsePort(try value(opt)); try portMatch { $0.dport = r; $0.dportNegated = neg }
        case ("tcp", "--syn"):
            try portMatch { $0.flags = ([.fin, .syn, .rst, .ack], .syn); $0.flagsNegated = neg }
        case ("tcp", "--tcp-flags"):
            let mask = try flags(try value(opt)), set = try flags(try value(opt))
            try portMatch { $0.flags = (mask, set); $0.flagsNegated = neg }
        case ("icmp", "--icmp-type"):
            let v = try value(opt)
            let named = ["echo-request": 8, "echo-reply": 0, "destination-unreachable": 3, "time-exceeded": 11, "any": -1]
            let parts = v.split(separator: "/")
            guard let type = Int(parts[0]) ?? named[String(parts[0])] else { throw parameter("Invalid ICMP type `\(v)'") }
            let code = parts.count > 1 ? Int(parts[1]) : nil
            if rule.matches.last.map({ if case .icmp = $0 { return true }; return false }) == true {
                lastMatch { $0 = .icmp(type: type < 0 ? nil : type, code: code, negated: neg) }
            } else {
                rule.matches.append(.icmp(type: type < 0 ? nil : type, code: code, negated: neg))
            }
        case ("multiport", "--dports"), ("multiport", "--sports"), ("multiport", "--ports"),
             ("multiport", "--destination-ports"), ("multiport", "--source-ports"):
            let which: MultiportKind = opt == "--ports" ? .ports : ((opt == "--dports" || opt == "--destination-ports") ? .dports : .sports)
            let ports = try value(opt).split(separator: ",").map { try parsePort(String($0)) }
            guard ports.count <= 15 else { throw parameter("too many ports specified") }
            lastMatch { $0 = .multiport(which: which, ports: ports, negated: neg) }
        case ("comment", "--comment"):
            let c = try value(opt)
            guard c.utf8.count <= 255 else { throw parameter("COMMENT must be shorter than 256 characters") }
            lastMatch { $0 = .comment(c) }
        case ("statistic", "--mode"):
            let m = try value(opt)
            guard m == "random" || m == "nth" else { throw parameter("Bad mode \"\(m)\"") }
            if m == "nth" { lastMatch { $0 = .nth(every: 0, packet: 0, negated: false) } }
        case ("statistic", "--probability"):
            let v = try value(opt)
            guard let d = Double(v), d >= 0, d <= 1 else { throw parameter("probability `\(v)' is out of range") }
            lastMatch { $0 = .random(threshold: probabilityThreshold(d), negated: neg) }
        case ("statistic", "--every"), ("statistic", "--packet"):
            let v = try value(opt)
            guard let n = Int(v), n >= 0 else { throw parameter("cannot parse --\(opt) `\(v)'") }
            try lastMatch { m in
                guard case .nth(let every, let packet, let ng) = m else { throw parameter("--\(opt.dropFirst(2)) can only be used with --mode nth") }
                m = opt == "--every" ? .nth(every: n, packet: packet, negated: ng || neg) : .nth(every: every, packet: n, negated: ng || neg)
            }
        case ("mark", "--mark"):
            let (v, m) = try parseMark(try value(opt))
            lastMatch { $0 = .mark(value: v, mask: m, negated: neg) }
        case ("addrtype", "--src-type"), ("addrtype", "--dst-type"):
            let v = try value(opt)
            guard let t = AddressType(rawValue: v.uppercased()) else { throw parameter("addrtype: invalid address type `\(v)'") }
            lastMatch { m in
                guard case .addrtype(var s, var sn, var d, var dn, let li, let lo) = m else { return }
                if opt == "--src-type" { s = t; sn = neg } else { d = t; dn = neg }
                m = .addrtype(src: s, srcNegated: sn, dst: d, dstNegated: dn, limitIfaceIn: li, limitIfaceOut: lo)
            }
        case ("addrtype", "--limit-iface-in"), ("addrtype", "--limit-iface-out"):
            lastMatch { m in
                guard case .addrtype(let s, let sn, let d, let dn, let li, let lo) = m else { return }
                m = .addrtype(src: s, srcNegated: sn, dst: d, dstNegated: dn, limitIfaceIn: li || opt.hasSuffix("in"), limitIfaceOut: lo || opt.hasSuffix("out"))
            }
        case ("conntrack", "--ctstate"):
            let st = try parseStates(try value(opt), opt)
            lastMatch { $0 = .conntrack(states: st, negated: neg) }
        case ("state", "--state"):
            let st = try parseStates(try value(opt), opt)
            lastMatch { $0 = .state(states: st, negated: neg) }
        case ("set", "--match-set"):
            let name = try value(opt), flags = try value(opt)
            let fields = try flags.split(separator: ",").map { f -> Bool in
                guard f == "src" || f == "dst" else { throw parameter("You must specify (the comma separated list of) 'src' or 'dst'.") }
                return f == "src"
            }
            lastMatch { $0 = .set(SetMatch(name: name, fields: fields, negated: neg)) }
        case ("recent", "--set"), ("recent", "--rcheck"), ("recent", "--update"), ("recent", "--remove"),
             ("recent", "--name"), ("recent", "--seconds"), ("recent", "--hitcount"), ("recent", "--rsource"), ("recent", "--rdest"),
             ("recent", "--reap"):
            var v: String? = nil
            if ["--name", "--seconds", "--hitcount"].contains(opt) { v = try value(opt) }
            try lastMatch { m in
                guard case .recent(var r) = m else { return }
                switch opt {
                case "--name": r.name = v!
                case "--seconds": guard let n = Int(v!) else { throw parameter("recent: bad value for option \"--seconds\"") }; r.seconds = n
                case "--hitcount": guard let n = Int(v!) else { throw parameter("recent: bad value for option \"--hitcount\"") }; r.hitcount = n
                case "--rsource": r.source = true
                case "--rdest": r.source = false
                case "--reap": r.reap = true
                default: r.command = RecentMatch.Command(rawValue: opt)!; r.negated = neg
                }
                m = .recent(r)
            }
        case ("nfacct", "--nfacct-name"):
            let name = try value(opt)
            guard !name.isEmpty, name.utf8.count < 32 else { throw parameter("nfacct: name too long or empty") }
            lastMatch { $0 = .nfacct(name) }
        case ("physdev", "--physdev-in"), ("physdev", "--physdev-out"), ("physdev", "--physdev-is-bridged"),
             ("physdev", "--physdev-is-in"), ("physdev", "--physdev-is-out"):
            var v: String? = nil
            if opt == "--physdev-in" || opt == "--physdev-out" { v = try value(opt) }
            lastMatch { m in
                guard case .physdev(var pd) = m else { return }
                switch opt {
                case "--physdev-in": pd.physIn = InterfaceMatch(v!, negated: neg)
                case "--physdev-out": pd.physOut = InterfaceMatch(v!, negated: neg)
                case "--physdev-is-in": pd.isIn = !neg
                case "--physdev-is-out": pd.isOut = !neg
                default: pd.isBridged = !neg
                }
                m = .physdev(pd)
            }
        default:
            return false
        }
        return true
    }

    static func flags(_ s: String) throws -> TCPFlags {
        if s == "ALL" { return .all }
        if s == "NONE" { return [] }
        var f: TCPFlags = []
        for w in s.split(separator: ",") {
            switch w {
            case "FIN": f.insert(.fin); case "SYN": f.insert(.syn); case "RST": f.insert(.rst)
            case "PSH": f.insert(.psh); case "ACK": f.insert(.ack); case "URG": f.insert(.urg)
            default: throw parameter("Unknown TCP flag `\(w)'")
            }
        }
        return f
    }

    /// Options a target takes.
    static func targetOption(_ target: String, _ opt: String) -> Bool {
        switch target {
        case "REJECT": opt == "--reject-with"
        case "DNAT": opt == "--to-destination" || opt == "--random"
        case "SNAT": ["--to-source", "--random", "--random-fully"].contains(opt)
        case "MASQUERADE": ["--to-ports", "--random", "--random-fully"].contains(opt)
        case "REDIRECT": opt == "--to-ports" || opt == "--random"
        case "MARK": ["--set-xmark", "--set-mark", "--or-mark", "--and-mark", "--xor-mark"].contains(opt)
        case "LOG": ["--log-prefix", "--log-level", "--log-tcp-sequence", "--log-ip-options"].contains(opt)
        case "CT": opt == "--notrack"
        case "NFLOG": opt == "--nflog-group" || opt == "--nflog-prefix"
        default: false
        }
    }

    static func makeTarget(_ name: String, _ opts: [(String, String?)], _ table: NFTableName, _ nf: Netfilter, _ cmd: Command) throws -> Target {
        func opt(_ o: String) -> String? { opts.last { $0.0 == o }?.1 }
        func has(_ o: String) -> Bool { opts.contains { $0.0 == o } }
        func natOnly() throws {
            if table != .nat { throw ruleRefused(cmd) }
        }
        switch name {
        case "ACCEPT": return .accept
        case "DROP": return .drop
        case "RETURN": return .return
        case "REJECT":
            let w = opt("--reject-with") ?? "icmp-port-unreachable"
            let known = ["icmp-net-unreachable", "icmp-host-unreachable", "icmp-port-unreachable", "icmp-proto-unreachable",
                         "icmp-net-prohibited", "icmp-host-prohibited", "icmp-admin-prohibited", "tcp-reset"]
            let aliases = ["tcp-rst": "tcp-reset", "net-unreach": "icmp-net-unreachable", "host-unreach": "icmp-host-unreachable", "port-unreach": "icmp-port-unreachable"]
            guard let with = known.contains(w) ? w : aliases[w] else { throw parameter("unknown reject type \"\(w)\"") }
            return .reject(with: with)
        case "DNAT":
            try natOnly()
            guard let to = opt("--to-destination") else { throw parameter("DNAT: option \"--to-destination\" must be specified") }
            let (ip, ports) = try endpoint(to)
            return .dnat(to: ip, ports: ports)
        case "SNAT":
            try natOnly()
            guard let to = opt("--to-source") else { throw parameter("SNAT: option \"--to-source\" must be specified") }
            let (ip, ports) = try endpoint(to)
            return .snat(to: ip, ports: ports, randomFully: has("--random-fully"))
        case "MASQUERADE":
            try natOnly()
            return .masquerade(ports: try opt("--to-ports").map(rangeDash), random: has("--random"), randomFully: has("--random-fully"))
        case "REDIRECT":
            try natOnly()
            return .redirect(ports: try opt("--to-ports").map(rangeDash))
        case "MARK":
            if let v = opt("--set-xmark") { let (a, b) = try parseMark(v); return .mark(value: a, mask: b) }
            if let v = opt("--set-mark") { let (a, b) = try parseMark(v); return .mark(value: a, mask: b | a) }
            if let v = opt("--or-mark") { let (a, _) = try parseMark(v); return .mark(value: a, mask: a) }
            if let v = opt("--and-mark") { let (a, _) = try parseMark(v); return .mark(value: 0, mask: ~a) }
            if let v = opt("--xor-mark") { let (a, _) = try parseMark(v); return .mark(value: a, mask: 0) }
            throw parameter("MARK target: Parameter --set-xmark/--and-mark/--or-mark/--xor-mark is required")
        case "LOG":
            let prefix = opt("--log-prefix") ?? ""
            guard prefix.utf8.count <= 29 else { throw parameter("Maximum prefix length 29 for --log-prefix") }
            let levels = ["emerg": 0, "alert": 1, "crit": 2, "error": 3, "warning": 4, "notice": 5, "info": 6, "debug": 7]
            let lv = opt("--log-level").map { Int($0) ?? levels[$0] ?? -1 } ?? 4
            guard (0...7).contains(lv) else { throw parameter("log-level `\(opt("--log-level") ?? "")' unknown") }
            return .log(prefix: prefix, level: UInt8(lv))
        case "NFLOG":
            let g = opt("--nflog-group") ?? "0"
            guard let n = Int(g), (0...65535).contains(n) else { throw parameter("NFLOG: bad group value \"\(g)\"") }
            return .nflog(group: n)
        case "NOTRACK", "CT":
            guard table == .raw else { throw ruleRefused(cmd) }
            return .notrack
        default:
            guard nf.table(table).chain(name) != nil else { throw parameter("Chain '\(name)' does not exist") }
            if NFTableName.allCases.flatMap(\.builtinChains).contains(where: { $0.name == name }) {
                throw parameter("Chain '\(name)' does not exist")
            }
            return .jump(name)
        }
    }

    /// The kernel refused the rule at commit (a target in a table it is not valid in): nft.c
    /// mnl_append_error's " %s failed (%s): %s" after the program prefix, exit 4.
    static func ruleRefused(_ c: Command) -> Failure {
        let op: String
        switch c { case .insert: op = "RULE_INSERT"; case .replace: op = "RULE_REPLACE"; default: op = "RULE_APPEND" }
        return Failure(status: 4, text: prog + " \(op) failed (Invalid argument): rule in chain \(chainOf(c))")
    }

    static func chainOf(_ c: Command) -> String {
        switch c {
        case .append(let n), .insert(let n, _), .delete(let n), .deleteNum(let n, _), .replace(let n, _), .check(let n): n
        default: ""
        }
    }

    static func endpoint(_ s: String) throws -> (IPv4Address, PortRange?) {
        let parts = s.split(separator: ":", maxSplits: 1)
        guard let ip = IPv4Address(parsing: parts[0]) else { throw parameter("Bad IP address \"\(parts[0])\"") }
        return (ip, parts.count == 2 ? try rangeDash(String(parts[1])) : nil)
    }

    static func rangeDash(_ s: String) throws -> PortRange {
        let parts = s.split(separator: "-", maxSplits: 1)
        guard let lo = Int(parts[0]), (0...65535).contains(lo) else { throw parameter("Port `\(s)' not valid") }
        if parts.count == 2 { guard let hi = Int(parts[1]), hi >= lo, hi <= 65535 else { throw parameter("Port `\(s)' not valid") }; return PortRange(lo, hi) }
        return PortRange(lo)
    }
}
