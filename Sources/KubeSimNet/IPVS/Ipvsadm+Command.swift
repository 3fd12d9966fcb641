import KubeSimCore

extension Ipvsadm {
    /// One ipvsadm invocation (struct ipvs_command_entry and process_options).
    struct Command {
        let ipvs: IPVS
        let now: Int64
        var cmd: Cmd?
        var options: Set<Opt> = []
        var format: IPVSListFormat = []
        var proto: IPProto?
        var address = IPv4Address(0)
        var port = 0
        var scheduler = ""
        var persistent = false
        var timeout = 0
        var netmask = IPv4Address(UInt32.max)
        var onePacket = false
        var persistenceEngine = ""
        var schedFlagsArg = ""
        var destAddress = IPv4Address(0)
        var destPort = 0
        /// Direct routing is ipvsadm's default forwarding method.
        var forward = IPVSForward.route
        var weight = 1, upper = 0, lower = 0

        init(ipvs: IPVS, now: Int64) { self.ipvs = ipvs; self.now = now }

        var key: IPVSServiceKey { IPVSServiceKey(proto ?? .tcp, address, port) }

        mutating func set(_ o: Opt) throws(Exit) {
            guard options.insert(o).inserted else { throw fail("multiple '\(optNames[o.rawValue])' options specified") }
        }

        mutating func run(_ args: [String]) throws(Exit) -> Outcome {
            var popt = Popt(args: args)
            // The first option must be the command.
            guard case .option(let first, let arg, _) = popt.next() else { throw Exit(status: 255, message: tryHelp) }
            switch first {
            case "A": cmd = .add
            case "E": cmd = .edit
            case "D": cmd = .del
            case "a": cmd = .addDest
            case "e": cmd = .editDest
            case "d": cmd = .delDest
            case "C": cmd = .flush
            case "L", "l": cmd = .list
            case "Z": cmd = .zero
            case "set": cmd = .timeout
            case "R": cmd = .restore
            case "S": cmd = .save
            case "start-daemon", "stop-daemon":
                cmd = first == "start-daemon" ? .startDaemon : .stopDaemon
                guard arg == "master" || arg == "backup" else {
                    throw fail(first == "start-daemon" ? "illegal start-daemon parameter specified" : "illegal start_daemon specified")
                }
            case "h": return Outcome(status: 0, output: usage)
            case "v": return Outcome(status: 0, output: version)
            default: throw Exit(status: 255, message: tryHelp)
            }
            loop: while true {
                switch popt.next() {
                case .end: break loop
                case .error(let word, let message): throw Exit(status: 255, message: "\(word): \(message)")
                case .option(let code, let arg, let word): try option(code, arg ?? "", hasArg: arg != nil, word: word)
                }
            }
            if cmd == .timeout {
                guard popt.leftovers.count >= 3 else { throw fail("--set option requires 3 timeout values") }
                var t: [Int] = []
                for s in popt.leftovers.prefix(3) { t.append(try parseTimeout(s, 0, maxTimeout)) }
                popt.leftovers.removeFirst(3)
                if let extra = popt.leftovers.first { throw fail("unexpected argument \(extra)") }
                try genericOptCheck(.timeout, options)
                ipvs.setTimeouts(tcp: t[0], tcpFin: t[1], udp: t[2])
                return Outcome(status: 0, output: "")
            }
            if let extra = popt.leftovers.first { throw fail("unexpected argument \(extra)") }
            var schedFlags: IPVSServiceFlags = []
            if !schedFlagsArg.isEmpty { schedFlags = try parseSchedFlags(scheduler, schedFlagsArg) }
            let cmd = cmd!
            try genericOptCheck(cmd, options)
            if cmd == .add || cmd == .edit {
                if port == 0 && !persistent { throw fail("Zero port specified for non-persistent service") }
                if onePacket && proto != .udp { throw fail("One-Packet Scheduling is only for UDP virtual services") }
                if scheduler.isEmpty { scheduler = "wlc" }
            }
            if (cmd == .addDest || cmd == .editDest) && (forward == .tunnel || forward == .route) { destPort = port }
            return try execute(cmd, schedFlags)
        }

        /// One option after the command (the while loop of parse_options).
        mutating func option(_ code: String, _ arg: String, hasArg: Bool, word: String) throws(Exit) {
            switch code {
            case "t", "u", "sctp-service":
                try set(.service)
                proto = code == "t" ? .tcp : code == "u" ? .udp : .sctp
                guard let svc = parseService(arg, proto) else { throw fail("illegal virtual server address[:port] specified") }
                address = svc.0; port = svc.1 ?? 0
            case "f":
                try set(.service)
                guard let n = Int(arg), n > 0, n <= Int(UInt32.max) else { throw fail("invalid fwmark value `\(arg)' specified") }
                throw fail("ipvsadm: firewall-mark services are not simulated")
            case "s": try set(.scheduler); scheduler = String(arg.prefix(15))
            case "p":
                try set(.persistent)
                persistent = true
                timeout = try parseTimeout(hasArg ? arg : nil, 1, maxTimeout)
            case "M":
                try set(.netmask)
                guard let m = IPv4Address(parsing: arg) else { throw fail("illegal virtual server persistent mask specified") }
                netmask = m
            case "r":
                try set(.server)
                guard let rs = parseService(arg, proto) else { throw fail("illegal real server address[:port] specified") }
                destAddress = rs.0
                destPort = rs.1 ?? port   // the virtual port when none is given
            case "i", "g", "m":
                try set(.forward)
                forward = code == "i" ? .tunnel : code == "g" ? .route : .masq
            case "w":
                try set(.weight)
                guard let n = number(arg, 0, 65535) else { throw fail("illegal weight specified") }
                weight = n
            case "x", "y":
                try set(code == "x" ? .uThreshold : .lThreshold)
                guard let n = number(arg, 0, Int(Int32.max)) else { throw fail("illegal \(code == "x" ? "u" : "l")_threshold specified") }
                if code == "x" { upper = n } else { lower = n }
            case "c": try set(.connection)
            case "n": try set(.numeric); format.insert(.numeric)
            case "mcast-interface": try set(.mcast)
            case "syncid":
                try set(.syncID)
                guard number(arg, 0, 255) != nil else { throw fail("illegal syncid specified") }
            case "timeout": try set(.timeout)
            case "daemon": try set(.daemon)
            case "stats": try set(.stats); format.insert(.stats)
            case "rate": try set(.rate); format.insert(.rate)
            case "thresholds": try set(.thresholds); format.insert(.thresholds)
            case "persistent-conn": try set(.persistentConn); format.insert(.persistentConn)
            case "nosort": try set(.noSort); format.insert(.noSort)
            case "sort": break   // the default; accepted for compatibility
            case "X": try set(.exact); format.insert(.exact)
            case "6": throw fail("-6 used before -f\n")
            case "o": try set(.ops); onePacket = true
            case "pe": try set(.pe); persistenceEngine = arg
            case "b": try set(.schedFlags); schedFlagsArg = arg
            default: throw fail("invalid option `\(word)'")
            }
        }

        /// The switch at the end of process_options: the kernel's answer, or a listing.
        func execute(_ cmd: Cmd, _ schedFlags: IPVSServiceFlags) throws(Exit) -> Outcome {
            let config = IPVSServiceConfig(scheduler: IPVSScheduler(rawValue: scheduler) ?? .rr, persistence: persistent ? timeout : nil,
                                           netmask: netmask, onePacket: onePacket, schedFlags: schedFlags)
            let dest = IPVSDestConfig(weight: weight, forward: forward, upperThreshold: upper, lowerThreshold: lower)
            // No module for the scheduler (or any persistence engine: none is modelled).
            let unknownModule = IPVSScheduler(rawValue: scheduler) == nil || !persistenceEngine.isEmpty
            do {
                switch cmd {
                case .list:
                    let o = options
                    if (!o.isDisjoint(with: [.connection, .timeout, .daemon]) && !o.isDisjoint(with: [.stats, .rate, .thresholds]))
                        || (!o.isDisjoint(with: [.timeout, .daemon]) && o.contains(.persistentConn)) {
                        throw fail("options conflicts in the list command")
                    }
                    if o.contains(.connection) { return Outcome(status: 0, output: ipvs.connectionListing(format, now: now)) }
                    if o.contains(.service) {
                        guard let text = ipvs.listing(service: key, format, now: now) else { throw Exit(status: 1, message: "No such service") }
                        return Outcome(status: 0, output: text)
                    }
                    if o.contains(.timeout) { return Outcome(status: 0, output: ipvs.timeoutListing) }
                    if o.contains(.daemon) { return Outcome(status: 0, output: "") }   // no sync daemon runs
                    return Outcome(status: 0, output: ipvs.listing(format, now: now))
                case .save:
                    return Outcome(status: 0, output: ipvs.listing(format.union(.rule), now: now))
                case .restore:
                    return Outcome(status: 0, output: "")   // rules come from stdin, which is empty here
                case .flush:
                    ipvs.flush(now: now)
                case .add:
                    if ipvs.service(key) != nil { throw kernel(.serviceExists) }
                    if unknownModule { throw kernel(.schedulerNotFound) }
                    try ipvs.addService(key, config, now: now)
                case .edit:
                    if ipvs.service(key) == nil { throw kernel(.noService) }
                    if unknownModule { throw kernel(.schedulerNotFound) }
                    try ipvs.editService(key, config)
                case .del:
                    try ipvs.deleteService(key, now: now)
                case .zero:
                    try ipvs.zero(options.contains(.service) ? key : nil, now: now)
                case .addDest:
                    do { try ipvs.addDestination(to: key, destAddress, destPort, dest, now: now) } catch { throw kernel(error, destination: true) }
                case .editDest:
                    do { try ipvs.editDestination(in: key, destAddress, destPort, dest) } catch { throw kernel(error, destination: true) }
                case .delDest:
                    do { try ipvs.deleteDestination(from: key, destAddress, destPort, now: now) } catch { throw kernel(error, destination: true) }
                case .startDaemon, .stopDaemon:
                    throw fail("ipvsadm: the connection synchronization daemon is not simulated")
                case .timeout:
                    break
                }
            } catch let e as IPVSError {
                throw kernel(e)
            } catch let e as Exit {
                throw e
            } catch {
                throw Exit(status: 255, message: "\(error)")
            }
            return Outcome(status: 0, output: "")
        }
    }

    /// usage_exit(…, 0): the version and the help, on stdout.
    static let usage = """
    \(version)
    Usage:
      ipvsadm -A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [--pe persistence_engine] [-b sched-flags]
      ipvsadm -D virtual-service
      ipvsadm -C
      ipvsadm -R
      ipvsadm -S [-n]
      ipvsadm -a|e virtual-service -r server-address [options]
      ipvsadm -d virtual-service -r server-address
      ipvsadm -L|l [virtual-service] [options]
      ipvsadm -Z [virtual-service]
      ipvsadm --set tcp tcpfin udp
      ipvsadm --start-daemon {master|backup} [daemon-options]
      ipvsadm --stop-daemon {master|backup}
      ipvsadm -h

    Commands:
    Either long or short options are allowed.
      --add-service     -A        add virtual service with options
      --edit-service    -E        edit virtual service with options
      --delete-service  -D        delete virtual service
      --clear           -C        clear the whole table
      --restore         -R        restore rules from stdin
      --save            -S        save rules to stdout
      --add-server      -a        add real server with options
      --edit-server     -e        edit real server with options
      --delete-server   -d        delete real server
      --list            -L|-l     list the table
      --zero            -Z        zero counters in a service or all services
      --set tcp tcpfin udp        set connection timeout values
      --start-daemon              start connection sync daemon
      --stop-daemon               stop connection sync daemon
      --help            -h        display this help message

    virtual-service:
      --tcp-service|-t  service-address   service-address is host[:port]
      --udp-service|-u  service-address   service-address is host[:port]
      --sctp-service    service-address   service-address is host[:port]
      --fwmark-service|-f fwmark          fwmark is an integer greater than zero

    Options:
      --ipv6         -6                   fwmark entry uses IPv6
      --scheduler    -s scheduler         one of rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh,
                                          the default scheduler is wlc.
      --pe            engine              alternate persistence engine may be sip,
                                          not set by default.
      --persistent   -p [timeout]         persistent service
      --netmask      -M netmask           persistent granularity mask
      --real-server  -r server-address    server-address is host (and port)
      --gatewaying   -g                   gatewaying (direct routing) (default)
      --ipip         -i                   ipip encapsulation (tunneling)
      --masquerading -m                   masquerading (NAT)
      --tun-type      type                one of ipip|gue|gre,
                                          the default tunnel type is ipip.
      --tun-port      port                tunnel destination port
      --tun-nocsum                        tunnel encapsulation without checksum
      --tun-csum                          tunnel encapsulation with checksum
      --tun-remcsum                       tunnel encapsulation with remote checksum
      --weight       -w weight            capacity of real server
      --u-threshold  -x uthreshold        upper threshold of connections
      --l-threshold  -y lthreshold        lower threshold of connections
      --connection   -c                   output of current IPVS connections
      --timeout                           output of timeout (tcp tcpfin udp)
      --daemon                            output of daemon information
      --stats                             output of statistics information
      --rate                              output of rate information
      --exact                             expand numbers (display exact values)
      --thresholds                        output of thresholds information
      --persistent-conn                   output of persistent connection info
      --tun-info                          output of tunnel information
      --nosort                            disable sorting output of service/server entries
      --sort                              does nothing, for backwards compatibility
      --ops          -o                   one-packet scheduling
      --numeric      -n                   numeric output of addresses and ports
      --sched-flags  -b flags             scheduler flags (comma-separated)
    Daemon Options:
      --syncid sid                        syncid for connection sync (default=255)
      --sync-maxlen length                Max sync message length (default=1472)
      --mcast-interface interface         multicast interface for connection sync
      --mcast-group address               IPv4/IPv6 group (default=224.0.0.81)
      --mcast-port port                   UDP port (default=8848)
      --mcast-ttl ttl                     Multicast TTL (default=1)
    """
}
