import KubeScript
import KubeSimCore
import KubeSimNet
import KubeSimControl
import KubeSimNode
import KubeSimNet

extension NodeTool {
    static let conntrackVersion = "conntrack v1.4.7 (conntrack-tools): "

    /// `conntrack -L|-C|-D|-F [filters]` (conntrack-tools 1.4.7, src/conntrack.c): the
    /// node's connection-tracking table, filtered by protocol, addresses, ports, state
    /// and NAT; the summary conntrack prints on stderr follows the entries.
    static let conntrack = NodeTool(name: "conntrack", subcommands: ["-C", "-D", "-F", "-L"]) { ctx, argv in
        let now = ctx.cluster.clock.now
        let ct = try kernel(ctx).netfilter.conntrack
        var command: String?
        var proto: IPProto?
        var filters: [(ConntrackEntry) -> Bool] = []
        var i = 1
        func value(_ opt: String) throws -> String {
            guard i + 1 < argv.count else { throw CommandFailure(conntrackVersion + "option `\(opt)' requires an argument\nTry `conntrack -h' or 'conntrack --help' for more information.") }
            i += 1
            return argv[i]
        }
        func address(_ opt: String) throws -> IPv4Address {
            let v = try value(opt)
            guard let ip = IPv4Address(parsing: v) else { throw CommandFailure(conntrackVersion + "Bad parameter `\(v)'\nTry `conntrack -h' or 'conntrack --help' for more information.") }
            return ip
        }
        func port(_ opt: String) throws -> Int {
            let v = try value(opt)
            guard proto != nil else { throw CommandFailure(conntrackVersion + "missing protocol: you must specify -p PROTO\nTry `conntrack -h' or 'conntrack --help' for more information.") }
            guard let p = Int(v), (0...65535).contains(p) else { throw CommandFailure(conntrackVersion + "Bad parameter `\(v)'") }
            return p
        }
        while i < argv.count {
            let a = argv[i]
            switch a {
            case "-L", "--dump", "-C", "--count", "-D", "--delete", "-F", "--flush":
                let c = String(a.dropFirst(a.hasPrefix("--") ? 2 : 1).prefix(1)).uppercased()
                let normalized = ["D": "L", "C": "C", "F": "F"][c] == nil ? c : (a == "--dump" ? "L" : (a == "--delete" ? "D" : c))
                if let command, command != normalized { throw CommandFailure(conntrackVersion + "Invalid parameters\nTry `conntrack -h' or 'conntrack --help' for more information.") }
                command = normalized
            case "-p", "--proto":
                let v = try value(a)
                guard let p = IPProto(name: v) else { throw CommandFailure(conntrackVersion + "proto `\(v)' not found\nTry `conntrack -h' or 'conntrack --help' for more information.") }
                proto = p
                filters.append { $0.original.proto == p }
            case "-s", "--src", "--orig-src": let ip = try address(a); filters.append { $0.original.src == ip }
            case "-d", "--dst", "--orig-dst": let ip = try address(a); filters.append { $0.original.dst == ip }
            case "-r", "--reply-src": let ip = try address(a); filters.append { $0.reply.src == ip }
            case "-q", "--reply-dst": let ip = try address(a); filters.append { $0.reply.dst == ip }
            case "--sport", "--orig-port-src": let p = try port(a); filters.append { $0.original.sport == p }
            case "--dport", "--orig-port-dst": let p = try port(a); filters.append { $0.original.dport == p }
            case "--reply-port-src": let p = try port(a); filters.append { $0.reply.sport == p }
            case "--reply-port-dst": let p = try port(a); filters.append { $0.reply.dport == p }
            case "--state":
                let v = try value(a)
                guard let st = TCPConntrackState(rawValue: v.uppercased()) else { throw CommandFailure(conntrackVersion + "unknown state `\(v)'") }
                filters.append { $0.tcpState == st }
            case "-n", "--src-nat": filters.append(\.snat)
            case "-g", "--dst-nat": filters.append(\.dnat)
            case "-f", "--family":
                let v = try value(a)
                guard v == "ipv4" else { return CommandResult(output: conntrackVersion + "0 flow entries have been shown.") }
            default:
                throw CommandFailure(conntrackVersion + "unknown option `\(a)'\nTry `conntrack -h' or 'conntrack --help' for more information.")
            }
            i += 1
        }
        let picked = ct.entries(now: now).filter { e in filters.allSatisfy { $0(e) } }
        switch command ?? "" {
        case "L":
            return CommandResult(output: (picked.map { ct.line($0, now: now) } + [conntrackVersion + "\(picked.count) flow entries have been shown."]).joined(separator: "\n"))
        case "C":
            return CommandResult(output: "\(picked.count)")
        case "D":
            let lines = picked.map { ct.line($0, now: now) }
            for e in picked { ct.remove(e) }
            let out = (lines + [conntrackVersion + "\(picked.count) flow entries have been deleted."]).joined(separator: "\n")
            return try finish(picked.isEmpty ? 1 : 0, out)
        case "F":
            _ = ct.flush()
            return CommandResult(output: conntrackVersion + "connection tracking table has been emptied.")
        default:
            throw CommandFailure(conntrackVersion + "no command specified\nTry `conntrack -h' or 'conntrack --help' for more information.")
        }
    }
}
