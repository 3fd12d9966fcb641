import KubeScript
import KubeSimNet

extension NodeTool {
    /// The flags `ss` and `netstat` take, bundled or apart (`-tlnp`).
    static func socketFlags(_ argv: [String], tool: String, allowed: String) throws -> (tcp: Bool, udp: Bool, processes: Bool) {
        let letters = Set(argv.dropFirst().filter { $0.hasPrefix("-") && !$0.hasPrefix("--") }.flatMap { $0.dropFirst() })
        if let bad = letters.subtracting(Set(allowed)).first {
            throw CommandFailure(tool == "ss" ? "ss: invalid option -- '\(bad)'" : "netstat: invalid option -- '\(bad)'")
        }
        let tcp = letters.contains("t") || !letters.contains("u")
        let udp = letters.contains("u") || !letters.contains("t")
        return (tcp, udp, letters.contains("p"))
    }

    /// `ss [-tulnpa]`: the node's listening sockets (iproute2's layout).
    static let ss = NodeTool(name: "ss", subcommands: ["-tlnp", "-ulnp"]) { ctx, argv in
        let f = try socketFlags(argv, tool: "ss", allowed: "tulnpaeH")
        return CommandResult(output: SocketView.ss(try kernel(ctx).sockets, tcp: f.tcp, udp: f.udp, processes: f.processes))
    }

    /// `netstat [-tulnp]` (net-tools): the same table in netstat's layout.
    static let netstat = NodeTool(name: "netstat", subcommands: ["-tlnp"]) { ctx, argv in
        let f = try socketFlags(argv, tool: "netstat", allowed: "tulnpaew")
        return CommandResult(output: SocketView.netstat(try kernel(ctx).sockets, tcp: f.tcp, udp: f.udp, processes: f.processes))
    }
}
