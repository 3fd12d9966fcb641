import KubeSimCore

// The table as ipvsadm v1.31 prints it (ipvsadm.c list_all, print_title,
// print_service_entry, print_largenum, list_conn/print_conn, list_timeout), from the data
// above. Lines are joined with "\n", without a final newline, as the other node tools do.

/// ipvsadm's printing format flags (FMT_*).
public struct IPVSListFormat: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let numeric = IPVSListFormat(rawValue: 0x1)
    /// `-S`: the table as ipvsadm commands.
    public static let rule = IPVSListFormat(rawValue: 0x2)
    public static let stats = IPVSListFormat(rawValue: 0x4)
    public static let rate = IPVSListFormat(rawValue: 0x8)
    public static let thresholds = IPVSListFormat(rawValue: 0x10)
    public static let persistentConn = IPVSListFormat(rawValue: 0x20)
    public static let noSort = IPVSListFormat(rawValue: 0x40)
    public static let exact = IPVSListFormat(rawValue: 0x80)
}

/// printf's %-Ns and %Ns.
private func left(_ s: String, _ w: Int) -> String { s.count >= w ? s : s + String(repeating: " ", count: w - s.count) }
private func right(_ s: String, _ w: Int) -> String { s.count >= w ? s : String(repeating: " ", count: w - s.count) + s }

extension IPVS {
    /// The port names of /etc/services (Debian netbase) that ipvsadm prints without -n
    /// (getservbyport) and accepts for a port (getservbyname).
    static let portNames: [(name: String, port: Int, protos: [IPProto])] = [
        ("ssh", 22, [.tcp]), ("domain", 53, [.tcp, .udp]), ("http", 80, [.tcp]), ("https", 443, [.tcp]),
        ("mysql", 3306, [.tcp]), ("postgresql", 5432, [.tcp]), ("http-alt", 8080, [.tcp]),
    ]

    static func portName(_ port: Int, _ proto: IPProto) -> String? {
        portNames.first { $0.port == port && $0.protos.contains(proto) }?.name
    }

    static func port(named name: String, _ proto: IPProto) -> Int? {
        portNames.first { $0.name == name && $0.protos.contains(proto) }?.port
    }

    /// addrport_to_anyname: `10.96.0.10:80`, or with names `10.96.0.10:http` (addresses stay
    /// numeric: a node resolves none of the cluster's addresses back to names).
    static func addrPort(_ a: IPv4Address, _ port: Int, _ proto: IPProto, _ f: IPVSListFormat) -> String {
        "\(a):" + (f.contains(.numeric) ? String(port) : portName(port, proto) ?? String(port))
    }

    /// print_largenum: right-aligned in 9, with K, M, G or T past 8 digits (or, with
    /// --exact, every digit).
    static func largeNumber(_ i: UInt64, _ f: IPVSListFormat) -> String {
        if f.contains(.exact) {
            let s = String(i)
            return right(s, s.count <= 8 ? 9 : s.count + 1)
        }
        switch i {
        case ..<100_000_000: return right(String(i), 9)
        case ..<1_000_000_000: return right(String(i / 1000), 8) + "K"
        case ..<100_000_000_000: return right(String(i / 1_000_000), 8) + "M"
        case ..<100_000_000_000_000: return right(String(i / 1_000_000_000), 8) + "G"
        default: return right(String(i / 1_000_000_000_000), 8) + "T"
        }
    }

    /// `ipvsadm -L` (list_all): the version line, the title and every service.
    public func listing(_ f: IPVSListFormat = [.numeric], now: Int64) -> String {
        expire(now: now)
        var out: [String] = []
        if !f.contains(.rule) { out.append("IP Virtual Server version \(Self.version) (size=\(Self.connectionTableSize))") }
        out += Self.title(f)
        for s in sortedServices(sorted: !f.contains(.noSort)) { out += entry(s, f, now: now) }
        return out.joined(separator: "\n")
    }

    /// `ipvsadm -L -t|-u ADDR:PORT` (list_service): the title and that service.
    public func listing(service key: IPVSServiceKey, _ f: IPVSListFormat = [.numeric], now: Int64) -> String? {
        expire(now: now)
        guard let s = services[key] else { return nil }
        return (Self.title(f) + entry(s, f, now: now)).joined(separator: "\n")
    }

    /// print_title.
    static func title(_ f: IPVSListFormat) -> [String] {
        let head = left("Prot LocalAddress:Port", 33)
        if f.contains(.stats) {
            return [head + ["Conns", "InPkts", "OutPkts", "InBytes", "OutBytes"].map { " " + right($0, 8) }.joined(), "  -> RemoteAddress:Port"]
        } else if f.contains(.rate) {
            return [head + ["CPS", "InPPS", "OutPPS", "InBPS", "OutBPS"].map { " " + right($0, 8) }.joined(), "  -> RemoteAddress:Port"]
        } else if f.contains(.thresholds) {
            return [head + ["Uthreshold", "Lthreshold", "ActiveConn", "InActConn"].map { " " + left($0, 10) }.joined(), "  -> RemoteAddress:Port"]
        } else if f.contains(.persistentConn) {
            return [head + " " + left("Weight", 9) + " " + left("PersistConn", 11) + " " + left("ActiveConn", 10) + " " + left("InActConn", 10),
                    "  -> RemoteAddress:Port"]
        } else if !f.contains(.rule) {
            return ["Prot LocalAddress:Port Scheduler Flags", "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn"]
        }
        return []
    }

    /// print_sched_flags: sh's and the generic scheduler flags, comma-separated.
    static func schedFlags(_ s: IPVSService) -> String {
        var names: [String] = []
        if s.scheduler == .sh {
            if s.flags.contains(.shFallback) { names.append("sh-fallback") }
            if s.flags.contains(.shPort) { names.append("sh-port") }
        } else {
            if s.flags.contains(.sched1) { names.append("flag-1") }
            if s.flags.contains(.sched2) { names.append("flag-2") }
            if s.flags.contains(.sched3) { names.append("flag-3") }
        }
        return names.joined(separator: ",")
    }

    /// print_service_entry: the service line, then its real servers sorted by address and
    /// port (libipvs.c ipvs_cmp_dests, the address difference wrapping as a C int).
    func entry(_ s: IPVSService, _ f: IPVSListFormat, now: Int64) -> [String] {
        let vname = Self.addrPort(s.key.address, s.key.port, s.key.proto, f)
        let hasSchedFlags = !s.flags.intersection(IPVSServiceFlags.schedMask).isEmpty
        let mask = s.netmask.value != UInt32.max ? s.netmask : nil
        let svcName: String
        var line: String
        if f.contains(.rule) {
            let opt = s.key.proto == .tcp ? "-t" : s.key.proto == .udp ? "-u" : "--sctp-service"
            svcName = "\(opt) \(vname)"
            line = "-A \(svcName) -s \(s.scheduler.rawValue)"
            if s.persistent {
                line += " -p \(s.timeout)"
                if let mask { line += " -M \(mask)" }
            }
            if s.flags.contains(.onePacket) { line += " -o" }
            if hasSchedFlags { line += " -b " + Self.schedFlags(s) }
        } else {
            svcName = String(left(Self.protocolName(s.key.proto), 4) + " " + vname).prefix(33).description
            if f.contains(.stats) {
                let st = s.stats
                line = left(svcName, 33) + [st.conns, st.inPkts, st.outPkts, st.inBytes, st.outBytes].map { Self.largeNumber($0, f) }.joined()
            } else if f.contains(.rate) {
                let r = s.stats.rates(now: now)
                line = left(svcName, 33) + [r.cps, r.inPPS, r.outPPS, r.inBPS, r.outBPS].map { Self.largeNumber($0, f) }.joined()
            } else {
                line = "\(svcName) \(s.scheduler.rawValue)"
                if hasSchedFlags { line += " (" + Self.schedFlags(s) + ")" }
                if s.persistent {
                    line += " persistent \(s.timeout)"
                    if let mask { line += " mask \(mask)" }
                }
                if s.flags.contains(.onePacket) { line += " ops" }
            }
        }
        var out = [line]
        var dests = s.destinations
        if !f.contains(.noSort) {
            dests.sort { a, b in
                let r = Int32(truncatingIfNeeded: a.address.value &- b.address.value)
                return r != 0 ? r < 0 : a.port < b.port
            }
        }
        for d in dests {
            var dname = Self.addrPort(d.address, d.port, s.key.proto, f)
            if f.contains(.rule) {
                // print_tunnel_rule: a tunnel is IPIP (the only tunnel type modelled).
                out.append("-a \(svcName) -r \(dname) \(d.forward.option) -w \(d.weight)" + (d.forward == .tunnel ? " --tun-type ipip" : ""))
                continue
            }
            dname = String(dname.prefix(28))
            if f.contains(.stats) {
                let st = d.stats
                out.append("  -> " + left(dname, 28) + [st.conns, st.inPkts, st.outPkts, st.inBytes, st.outBytes].map { Self.largeNumber($0, f) }.joined())
            } else if f.contains(.rate) {
                let r = d.stats.rates(now: now)
                out.append("  -> " + left(dname, 28) + [r.cps, r.inPPS, r.outPPS].map { " " + right(String($0), 8) }.joined()
                           + Self.largeNumber(r.inBPS, f) + Self.largeNumber(r.outBPS, f))
            } else if f.contains(.thresholds) {
                out.append("  -> " + left(dname, 28) + [d.upperThreshold, d.lowerThreshold, d.activeConns, d.inactiveConns].map { " " + left(String($0), 10) }.joined())
            } else if f.contains(.persistentConn) {
                out.append("  -> " + left(dname, 28) + " " + left(String(d.weight), 9) + " " + left(String(d.persistConns), 11)
                           + " " + left(String(d.activeConns), 10) + " " + left(String(d.inactiveConns), 10))
            } else {
                out.append("  -> " + left(dname, 28) + " " + left(d.forward.rawValue, 7) + " " + left(String(d.weight), 6)
                           + " " + left(String(d.activeConns), 10) + " " + left(String(d.inactiveConns), 10))
            }
        }
        return out
    }

    /// `ipvsadm -Lc` (list_conn over /proc/net/ip_vs_conn, print_conn): protocol, time left
    /// as mm:ss, state, client, virtual and real server.
    public func connectionListing(_ f: IPVSListFormat = [.numeric], now: Int64) -> String {
        var out = ["IPVS connection entries"]
        if f.contains(.persistentConn) {
            out.append("pro expire " + left("state", 11) + " " + left("source", 18) + " " + left("virtual", 18) + " "
                       + left("destination", 18) + " " + left("pe name", 16) + " pe_data")
        } else {
            out.append("pro expire " + left("state", 11) + " " + left("source", 18) + " " + left("virtual", 18) + " destination")
        }
        for c in connections(now: now) {
            let left_ = c.secondsLeft(now: now)
            let expire = (left_ / 60 < 10 ? "0" : "") + "\(left_ / 60):" + (left_ % 60 < 10 ? "0" : "") + "\(left_ % 60)"
            out.append(left(Self.protocolName(c.proto), 3) + " " + left(expire, 6) + " " + left(c.stateName, 11) + " "
                       + left(Self.addrPort(c.client, c.clientPort, c.proto, f), 18) + " "
                       + left(Self.addrPort(c.virtualAddress, c.virtualPort, c.proto, f), 18) + " "
                       + Self.addrPort(c.destAddress, c.destPort, c.proto, f))
        }
        return out.joined(separator: "\n")
    }

    /// `ipvsadm -L --timeout` (list_timeout).
    public var timeoutListing: String { "Timeout (tcp tcpfin udp): \(timeouts.tcp) \(timeouts.tcpFin) \(timeouts.udp)" }
}
