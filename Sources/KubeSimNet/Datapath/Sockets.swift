import KubeSimCore

/// A listening socket in a network namespace: what answers a connection that arrives at
/// an address and port (after every NAT). The node's daemons and the pods' processes
/// hold them; `ss` and `netstat` print them.
public struct ListeningSocket: Sendable, Equatable {
    public enum Proto: String, Sendable { case tcp, udp }
    public enum Bind: Sendable, Equatable {
        /// 0.0.0.0: every IPv4 address.
        case anyIPv4
        /// `[::]` with IPV6_V6ONLY off (Go's default): every address, shown as `*`.
        case dualStack
        case address(IPv4Address)
    }
    public var proto: Proto
    public var bind: Bind
    public var port: Int
    /// The listen() backlog (ss's Send-Q for a listener).
    public var backlog: Int
    public var process: String
    public var pid: Int
    public var fd: Int
    public init(_ bind: Bind, _ port: Int, proto: Proto = .tcp, backlog: Int, process: String, pid: Int, fd: Int) {
        self.proto = proto; self.bind = bind; self.port = port; self.backlog = backlog; self.process = process; self.pid = pid; self.fd = fd
    }

    /// Whether a connection to the address and port reaches this socket.
    public func accepts(_ ip: IPv4Address, _ port: Int, _ proto: Proto = .tcp) -> Bool {
        guard proto == self.proto, port == self.port else { return false }
        switch bind {
        case .anyIPv4, .dualStack: return true
        case .address(let a): return a == ip || (a.value >> 24 == 127 && ip.value >> 24 == 127)
        }
    }
}

/// `ss` (iproute2 6.1) and `netstat` (net-tools 2.10; busybox prints the same layout) over a socket table.
public enum SocketView {
    static func padLeft(_ s: String, _ w: Int) -> String { s.count >= w ? s : String(repeating: " ", count: w - s.count) + s }
    static func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : s + String(repeating: " ", count: w - s.count) }

    /// `ss -tlnp`-style listing: listeners of the chosen protocols; `-p` adds the process.
    /// Columns as ss lays them out: the addresses right-aligned so the colons line up.
    public static func ss(_ sockets: [ListeningSocket], tcp: Bool, udp: Bool, processes: Bool) -> String {
        let rows = sockets.filter { ($0.proto == .tcp && tcp) || ($0.proto == .udp && udp) }
        let netid = tcp && udp
        func local(_ s: ListeningSocket) -> String {
            switch s.bind { case .anyIPv4: "0.0.0.0"; case .dualStack: "*"; case .address(let a): "\(a)" }
        }
        func peer(_ s: ListeningSocket) -> String { s.bind == .dualStack ? "*" : "0.0.0.0" }
        let addrW = max(13, rows.map { local($0).count }.max() ?? 0)
        let portW = max(4, rows.map { "\($0.port)".count }.max() ?? 0)
        let peerW = max(12, rows.map { peer($0).count }.max() ?? 0)
        var lines = [(netid ? "Netid " : "") + "State  Recv-Q Send-Q " + padLeft("Local Address", addrW) + ":" + pad("Port", portW) + " " + padLeft("Peer Address", peerW) + ":" + "Port" + (processes ? "Process" : "")]
        for s in rows {
            var l = (netid ? pad(s.proto.rawValue, 5) + " " : "") + pad(s.proto == .tcp ? "LISTEN" : "UNCONN", 6) + " " + pad("0", 6) + " " + pad(s.proto == .tcp ? "\(s.backlog)" : "0", 6) + " "
            l += padLeft(local(s), addrW) + ":" + pad("\(s.port)", portW) + " " + padLeft(peer(s), peerW) + ":" + pad("*", 4)
            if processes { l += " users:((\"\(s.process)\",pid=\(s.pid),fd=\(s.fd)))" }
            lines.append(processes ? l : String(l.reversed().drop { $0 == " " }.reversed()))
        }
        return lines.joined(separator: "\n")
    }

    /// `netstat -tlnp`-style listing (net-tools: "%-5s %6ld %6ld %-23s %-23s %-11s %s").
    public static func netstat(_ sockets: [ListeningSocket], tcp: Bool, udp: Bool, processes: Bool) -> String {
        let rows = sockets.filter { ($0.proto == .tcp && tcp) || ($0.proto == .udp && udp) }
        var lines = ["Active Internet connections (only servers)",
                     "Proto Recv-Q Send-Q " + pad("Local Address", 23) + " " + pad("Foreign Address", 23) + " State       " + (processes ? "PID/Program name" : "")]
        for s in rows {
            let v6 = s.bind == .dualStack
            let proto = s.proto.rawValue + (v6 ? "6" : "")
            let local: String
            switch s.bind { case .anyIPv4: local = "0.0.0.0:\(s.port)"; case .dualStack: local = ":::\(s.port)"; case .address(let a): local = "\(a):\(s.port)" }
            let foreign = v6 ? ":::*" : "0.0.0.0:*"
            var l = pad(proto, 5) + " " + padLeft("0", 6) + " " + padLeft("0", 6) + " " + pad(local, 23) + " " + pad(foreign, 23) + " " + pad(s.proto == .tcp ? "LISTEN" : "", 11)
            l += " " + (processes ? "\(s.pid)/\(s.process)" : "")
            lines.append(String(l.reversed().drop { $0 == " " }.reversed()))
        }
        return lines.joined(separator: "\n")
    }
}
