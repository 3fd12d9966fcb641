import KubeScript
import KubeSimNet
import KubeSimControl
import KubeSimNode
import KubeSimNet

extension NodeTool {
    /// `iptables-save [-t TABLE] [-c]`: every table that exists, as iptables-nft-save prints it.
    static let iptablesSave = NodeTool(name: "iptables-save", subcommands: ["-c", "-t"]) { ctx, argv in
        let node = try kernel(ctx)
        var table: NFTableName?
        var counters = false
        var i = 1
        while i < argv.count {
            switch argv[i] {
            case "-c", "--counters": counters = true
            case "-t", "--table":
                guard i + 1 < argv.count else { throw CommandFailure("iptables-save v\(Iptables.version): option \"\(argv[i])\" requires an argument\nTry `iptables-save -h' for more information.") }
                i += 1
                guard let t = NFTableName(rawValue: argv[i]) else {
                    throw CommandFailure("iptables-save v\(Iptables.version): table '\(argv[i])' does not exist\nPerhaps iptables or your kernel needs to be upgraded.")
                }
                table = t
            default:
                throw CommandFailure("iptables-save v\(Iptables.version): unknown option \"\(argv[i])\"\nTry `iptables-save -h' for more information.")
            }
            i += 1
        }
        return CommandResult(output: IptablesView.save(node.netfilter, table: table, counters: counters, date: ctime(ctx.cluster.clock.now)))
    }

    /// C's ctime(): `Thu Jan  1 00:00:05 2026` (the day padded to two).
    static func ctime(_ ns: Int64) -> String {
        let d = ContainerProcess.date(ns).split(separator: " ", omittingEmptySubsequences: true)   // Thu Jan 1 00:00:05 UTC 2026
        let day = d[2].count == 1 ? " " + d[2] : String(d[2])
        return "\(d[0]) \(d[1]) \(day) \(d[3]) \(d[5])"
    }
}
