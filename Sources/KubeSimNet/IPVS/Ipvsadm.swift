import KubeSimCore

/// `ipvsadm` v1.31 on a namespace's IPVS table: ipvsadm.c's option parsing (popt) and
/// checks (parse_options, process_options, generic_opt_check) with their messages, and the
/// kernel's answers as libipvs.c ipvs_strerror words them. Exit status: 0; 2 for ipvsadm's
/// own errors (fail); 255 for popt's and the kernel's (a -1 returned from main); 1 when a
/// listing fails.
public enum Ipvsadm {
    public struct Outcome: Sendable, Equatable {
        public let status: Int
        public let output: String
    }

    static let version = "ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v\(IPVS.version))"
    static let maxTimeout = 86400 * 31
    static let tryHelp = "Try `ipvsadm -h' or 'ipvsadm --help' for more information."

    /// Runs `ipvsadm ARGS…` (argv without the program name).
    public static func run(_ args: [String], on ipvs: IPVS, now: Int64) -> Outcome {
        // main: no argument lists the table (names, not numbers).
        if args.isEmpty { return Outcome(status: 0, output: ipvs.listing([], now: now)) }
        var c = Command(ipvs: ipvs, now: now)
        do {
            return try c.run(args)
        } catch {
            return Outcome(status: error.status, output: error.message)
        }
    }

    struct Exit: Error { let status: Int; let message: String }
    static func fail(_ m: String) -> Exit { Exit(status: 2, message: m) }

    // MARK: - popt

    /// The options ipvsadm gives popt (parse_options options_table): long name, short name,
    /// and whether an argument is none, required or optional (-p).
    enum ArgKind { case none, required, optional }
    static let options: [(long: String, short: Character?, arg: ArgKind)] = [
        ("add-service", "A", .none), ("edit-service", "E", .none), ("delete-service", "D", .none), ("clear", "C", .none),
        ("list", "L", .none), ("list", "l", .none), ("zero", "Z", .none), ("add-server", "a", .none), ("edit-server", "e", .none),
        ("delete-server", "d", .none), ("set", nil, .none), ("help", "h", .none), ("version", "v", .none), ("restore", "R", .none),
        ("save", "S", .none), ("start-daemon", nil, .required), ("stop-daemon", nil, .required), ("tcp-service", "t", .required),
        ("udp-service", "u", .required), ("sctp-service", nil, .required), ("fwmark-service", "f", .required),
        ("scheduler", "s", .required), ("persistent", "p", .optional), ("netmask", "M", .required), ("real-server", "r", .required),
        ("masquerading", "m", .none), ("ipip", "i", .none), ("gatewaying", "g", .none), ("weight", "w", .required),
        ("u-threshold", "x", .required), ("l-threshold", "y", .required), ("numeric", "n", .none), ("connection", "c", .none),
        ("mcast-interface", nil, .required), ("syncid", nil, .required), ("timeout", nil, .none), ("daemon", nil, .none),
        ("stats", nil, .none), ("rate", nil, .none), ("thresholds", nil, .none), ("persistent-conn", nil, .none),
        ("nosort", nil, .none), ("sort", nil, .none), ("exact", "X", .none), ("ipv6", "6", .none), ("ops", "o", .none),
        ("pe", nil, .required), ("sched-flags", "b", .required),
    ]

    /// One option as popt returns it: its name (the short letter, or the long name), its
    /// argument and the argv word it came from (what poptBadOption reports).
    enum Next { case option(String, String?, String), end, error(String, String) }

    struct Popt {
        let args: [String]
        var i = 0
        /// The rest of a bundle of short options (`-Ln`).
        var bundle: [Character] = []
        var bundleWord = ""
        var leftovers: [String] = []
        var optionsDone = false

        mutating func next() -> Next {
            if !bundle.isEmpty { return short() }
            while i < args.count {
                let a = args[i]
                i += 1
                if optionsDone || a == "-" || !a.hasPrefix("-") { leftovers.append(a); continue }
                if a == "--" { optionsDone = true; continue }
                if a.hasPrefix("--") {
                    let body = a.dropFirst(2)
                    let name = body.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
                    let value = body.contains("=") ? String(body[body.index(after: body.firstIndex(of: "=")!)...]) : nil
                    guard let o = Ipvsadm.options.first(where: { $0.long == name }) else { return .error(a, "unknown option") }
                    let code = o.short.map(String.init) ?? o.long
                    switch o.arg {
                    case .none: return value == nil ? .option(code, nil, a) : .error(a, "option does not take an argument")
                    case .required, .optional:
                        if let value { return .option(code, value, a) }
                        return argument(o.arg, code, a)
                    }
                }
                bundle = Array(a.dropFirst())
                bundleWord = a
                return short()
            }
            return .end
        }

        private mutating func short() -> Next {
            let c = bundle.removeFirst()
            guard let o = Ipvsadm.options.first(where: { $0.short == c }) else { bundle = []; return .error(bundleWord, "unknown option") }
            if o.arg == .none { return .option(String(c), nil, bundleWord) }
            if !bundle.isEmpty { let v = String(bundle); bundle = []; return .option(String(c), v, bundleWord) }
            return argument(o.arg, String(c), bundleWord)
        }

        /// The next word as the argument; an optional one is not taken if it starts with '-'.
        private mutating func argument(_ kind: ArgKind, _ code: String, _ word: String) -> Next {
            guard i < args.count else { return kind == .optional ? .option(code, nil, word) : .error(word, "missing argument") }
            if kind == .optional && args[i].hasPrefix("-") { return .option(code, nil, word) }
            i += 1
            return .option(code, args[i - 1], word)
        }
    }

    // MARK: - the checks of process_options

    enum Cmd: Int { case add, edit, del, flush, list, addDest, delDest, editDest, timeout, startDaemon, stopDaemon, restore, save, zero }
    static let cmdNames = ["add-service", "edit-service", "delete-service", "flush", "list", "add-server", "delete-server",
                           "edit-server", "set", "start-daemon", "stop-daemon", "restore", "save", "zero"]
    /// optnames[] up to sched-flags (the tunnel options are not modelled).
    static let optNames = ["numeric", "connection", "service-address", "scheduler", "persistent", "netmask", "real-server",
                           "forwarding-method", "weight", "u-threshold", "l-threshold", "mcast-interface", "timeout", "daemon",
                           "stats", "rate", "thresholds", "persistent-conn", "nosort", "syncid", "exact", "ops", "pe", "sched-flags"]
    enum Opt: Int {
        case numeric, connection, service, scheduler, persistent, netmask, server, forward, weight, uThreshold, lThreshold
        case mcast, timeout, daemon, stats, rate, thresholds, persistentConn, noSort, syncID, exact, ops, pe, schedFlags
    }
    /// commands_v_options[][]: '+' compulsory, 'x' illegal, '1' exclusive, ' ' optional.
    static let legal: [String] = [
        "xx+   xxxxxxxxxxxxxxx   ",  // add-service
        "xx+   xxxxxxxxxxxxxxx   ",  // edit-service
        "xx+xxxxxxxxxxxxxxxxxxxxx",  // delete-service
        "xxxxxxxxxxxxxxxxxxxxxxxx",  // flush
        " 11xxxxxxxxx11       xxx",  // list
        "xx+xxx+    xxxxxxxxxxxxx",  // add-server
        "xx+xxx+xxxxxxxxxxxxxxxxx",  // delete-server
        "xx+xxx+    xxxxxxxxxxxxx",  // edit-server
        "xxxxxxxxxxxxxxxxxxxxxxxx",  // set
        "xxxxxxxxxxx xxxxxxx xxxx",  // start-daemon
        "xxxxxxxxxxxxxxxxxxx xxxx",  // stop-daemon
        "xxxxxxxxxxxxxxxxxxxxxxxx",  // restore
        " xxxxxxxxxxxxxxxxxxxxxxx",  // save
        "xx xxxxxxxxxxxxxxxxxxxxx",  // zero
    ]

    static func genericOptCheck(_ cmd: Cmd, _ options: Set<Opt>) throws(Exit) {
        let row = Array(legal[cmd.rawValue])
        var last = 0, count = 0
        for j in 0..<optNames.count {
            if !options.contains(Opt(rawValue: j)!) {
                if row[j] == "+" { throw fail("You need to supply the '\(optNames[j])' option for the '\(cmdNames[cmd.rawValue])' command") }
            } else {
                if row[j] == "x" { throw fail("Illegal '\(optNames[j])' option with the '\(cmdNames[cmd.rawValue])' command") }
                if row[j] == "1" {
                    count += 1
                    if count == 1 { last = j; continue }
                    throw fail("The option '\(optNames[j])' conflicts with the '\(optNames[last])' option in the '\(cmdNames[cmd.rawValue])' command")
                }
            }
        }
    }

    /// string_to_number: a decimal within [min, max].
    static func number(_ s: String, _ min: Int, _ max: Int) -> Int? {
        guard let n = Int(s), n >= min, n <= max else { return nil }
        return n
    }

    /// parse_service: host[:port], the port a number or a service name; nil when the address
    /// is missing or the port is bad. (Hostnames other than localhost, and IPv6, are not
    /// modelled.)
    static func parseService(_ buf: String, _ proto: IPProto?) -> (IPv4Address, Int?)? {
        guard !buf.allSatisfy(\.isNumber), !buf.hasPrefix("[") else { return nil }
        var host = Substring(buf), portText: Substring?
        if let colon = buf.lastIndex(of: ":") { host = buf[..<colon]; portText = buf[buf.index(after: colon)...] }
        guard let addr = IPv4Address(parsing: host) ?? (host == "localhost" ? IPv4Address(127, 0, 0, 1) : nil) else { return nil }
        guard let portText else { return (addr, nil) }
        if let p = number(String(portText), 0, 65535) { return (addr, p) }
        if let proto, let p = IPVS.port(named: String(portText), proto) { return (addr, p) }
        return nil
    }

    /// parse_timeout: the persistent default (IPVS_SVC_PERSISTENT_TIMEOUT, 360 s) when -p has
    /// no argument.
    static func parseTimeout(_ buf: String?, _ min: Int, _ max: Int) throws(Exit) -> Int {
        guard let buf else { return 360 }
        guard let n = number(buf, min, max) else { throw fail("invalid timeout value `\(buf)' specified") }
        return n
    }

    /// parse_sched_flags.
    static func parseSchedFlags(_ sched: String, _ arg: String) throws(Exit) -> IPVSServiceFlags {
        let sched = sched.isEmpty ? "wlc" : sched
        var flags: IPVSServiceFlags = []
        for flag in arg.split(separator: ",").map(String.init) {
            switch flag {
            case "flag-1": flags.insert(.sched1)
            case "flag-2": flags.insert(.sched2)
            case "flag-3": flags.insert(.sched3)
            case "sh-fallback", "sh-port", "mh-fallback", "mh-port":
                guard sched == String(flag.prefix(2)) else { throw fail("incompatible scheduler flag `\(flag)'") }
                flags.insert(flag.hasSuffix("fallback") ? .sched1 : .sched2)
            default: throw fail("invalid scheduler flag `\(flag)'")
            }
        }
        return flags
    }

    /// ipvs_strerror for the operation that failed.
    static func kernel(_ e: IPVSError, destination: Bool = false) -> Exit {
        let m: String
        switch e {
        case .serviceExists: m = "Service already exists"
        case .noService: m = destination ? "Service not defined" : "No such service"
        case .schedulerNotFound: m = "Scheduler or persistence engine not found"
        case .destinationExists: m = "Destination already exists"
        case .noDestination: m = "No such destination"
        case .notUnicast: m = "Invalid operation.  Possibly wrong module version, address not unicast, ..."
        case .outOfRange: m = "Numerical result out of range"
        }
        return Exit(status: 255, message: m)
    }
}
