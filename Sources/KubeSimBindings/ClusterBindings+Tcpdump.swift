import KubeScript
import KubeSimCore
import KubeSimCluster
import KubeSimControl
import KubeSimNode
import KubeSimNet

/// tcpdump on a node, the way a learner uses it in a second terminal: `ssh NODE tcpdump
/// -i IFACE [-n] [-c N] [EXPRESSION]` starts a capture in the background and prints
/// tcpdump's banner; every packet later sends walk across that device is recorded as it
/// crosses (the datapath walker feeds the capture, PacketCapture.swift); `stop tcpdump
/// [NODE]` is the Ctrl-C: it prints what was captured and tcpdump's counts.
extension ClusterBindings {
    static func registerCaptureCommands(_ r: CommandRegistry) {
        r.register(CommandSpec("stop", summary: "stop a background tool (like Ctrl-C): stop tcpdump [NODE]", usage: "stop tcpdump [NODE]",
                               subcommands: [
                                CommandSpec("tcpdump", summary: "end the captures started with `ssh NODE tcpdump …` (all, or those on NODE) and print what they captured",
                                            usage: "stop tcpdump [NODE]", handler: { inv, ctx in try stopTcpdump(inv, ctx) }),
                               ]))
    }

    static let tcpdumpUsage = """
        Usage: tcpdump [-Dhlnv] [-c count] [-i interface] [ expression ]
        (simulated: -i IFACE (a device of the node, or any), -n/-nn, -c COUNT, -l, -D; expression: [src|dst] host ADDR, [src|dst] net CIDR, [tcp|udp] [src|dst] port N, tcp, udp, icmp, ip, and/&&, or/||, not/!, ( ))
        """

    /// `ssh NODE tcpdump …`. Without -n tcpdump would look names up (addresses in DNS,
    /// ports in /etc/services); the simulated nodes have no reverse DNS for these
    /// addresses, so the lines are printed as with -n either way, ports as numbers.
    static func tcpdump(node: String, argv: [String], _ c: Cluster) throws -> CommandResult {
        guard let net = c.network.node(node) else { throw CommandFailure("tcpdump: no network on \(node)") }
        var interface: String?
        var limit: Int?
        var expression: [String] = []
        var i = 0
        while i < argv.count {
            let a = argv[i]
            i += 1
            if a == "--help" || a == "-h" { return CommandResult(output: "tcpdump version 4.99.4\nlibpcap version 1.10.4 (with TPACKET_V3)\n" + tcpdumpUsage) }
            if a == "--version" { return CommandResult(output: "tcpdump version 4.99.4\nlibpcap version 1.10.4 (with TPACKET_V3)") }
            if a.hasPrefix("--interface=") { interface = String(a.dropFirst(12)); continue }
            guard a.hasPrefix("-"), a.count > 1, expression.isEmpty else { expression.append(a); continue }
            var letters = Array(a.dropFirst())
            while !letters.isEmpty {
                let l = letters.removeFirst()
                switch l {
                case "n", "l", "p", "U": break
                case "D":
                    var names = ["eth0", "any", "lo"]
                    for d in net.host.devices where !names.contains(d.name) { names.append(d.name) }
                    return CommandResult(output: names.enumerated().map { n, name in
                        "\(n + 1).\(name) " + (name == "any" ? "(Pseudo-device that captures on all interfaces) [Up, Running]"
                                                : name == "lo" ? "[Up, Running, Loopback]" : "[Up, Running, Connected]")
                    }.joined(separator: "\n"))
                case "i", "c":
                    let value: String
                    if !letters.isEmpty { value = String(letters); letters = [] } else if i < argv.count { value = argv[i]; i += 1 } else {
                        throw CommandFailure("tcpdump: option requires an argument -- '\(l)'\n" + tcpdumpUsage)
                    }
                    if l == "i" { interface = value } else {
                        guard let n = Int(value), n > 0 else { throw CommandFailure("tcpdump: invalid packet count \(value)") }
                        limit = n
                    }
                case "v", "e", "X", "x", "A", "q", "t", "S", "w", "r":
                    throw CommandFailure("tcpdump: -\(l) is not simulated: the capture prints tcpdump's default one-line decode (as with -n)\n" + tcpdumpUsage)
                default:
                    throw CommandFailure("tcpdump: invalid option -- '\(l)'\n" + tcpdumpUsage)
                }
            }
        }
        // Without -i: the first interface pcap finds, eth0.
        let dev = interface ?? "eth0"
        guard dev == "any" || net.host.device(dev) != nil else {
            throw CommandFailure("tcpdump: \(dev): No such device exists\n(SIOCGIFHWADDR: No such device)")
        }
        let filter: CaptureFilter?
        do {
            filter = try CaptureFilter.parse(expression) { name in c.network.node(name)?.underlay }
        } catch {
            throw CommandFailure("tcpdump: \(error.message)")
        }
        let capture = PacketCapture(node: node, interface: dev, filter: filter, limit: limit, commandLine: (["tcpdump"] + argv).joined(separator: " "))
        let clock = c.clock
        c.network.wire.now = { [weak clock] in clock?.now ?? 0 }
        c.network.wire.start(capture)
        return CommandResult(output: capture.banner, value: .object(CaptureValue(capture)))
    }

    /// `stop tcpdump [NODE]`: each capture's lines, then tcpdump's counts.
    static func stopTcpdump(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        let c = try cluster(ctx)
        let node = inv.positionals.first
        if let node, c.network.node(node) == nil {
            let s = Suggest.nearest(node, in: Array(c.kubelets.keys))
            throw CommandFailure("Error from server (NotFound): nodes \"\(node)\" not found" + (s.map { " — did you mean '\($0)'?" } ?? ""))
        }
        let ended = c.network.wire.stop(node: node)
        guard !ended.isEmpty else {
            throw CommandFailure("stop tcpdump: no capture is running" + (node.map { " on \($0)" } ?? "") + " (start one with `ssh NODE tcpdump -i IFACE`)")
        }
        let blocks = ended.map { cap -> String in
            let heading = ended.count > 1 ? "==> \(cap.node): \(cap.commandLine) <==\n" : ""
            return heading + (cap.lines + [cap.summary]).joined(separator: "\n")
        }
        let values = ended.map { Value.object(CaptureValue($0)) }
        return CommandResult(output: blocks.joined(separator: "\n\n"), value: values.count == 1 ? values[0] : .list(values))
    }
}

/// A capture as scripts see it: `.lines` (what tcpdump printed for each packet, so far),
/// `.count`, `.node`, `.interface`, `.output`.
final class CaptureValue: ScriptObject, @unchecked Sendable {
    let capture: PacketCapture
    init(_ c: PacketCapture) { capture = c }
    var typeName: String { "capture" }
    var description: String { "capture(\(capture.node) \(capture.interface), \(capture.captured) packets)" }
    var memberNames: [String] { ["lines", "count", "node", "interface", "output"] }
    func member(_ name: String) -> Value? {
        switch name {
        case "lines": return .list(capture.lines.map { .string($0) })
        case "count": return .int(capture.captured)
        case "node": return .string(capture.node)
        case "interface": return .string(capture.interface)
        case "output": return .string(capture.lines.joined(separator: "\n"))
        default: return nil
        }
    }
}
