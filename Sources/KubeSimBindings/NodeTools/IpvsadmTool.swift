import KubeScript
import KubeSimNet

extension NodeTool {
    /// `ipvsadm …` (v1.31) on the node's IPVS table (KubeSimNet/IPVS/Ipvsadm.swift): the
    /// listings (`-Ln`, `--stats`, `--rate`, `-Lnc`, `-S`), services (`-A|-E|-D`), real
    /// servers (`-a|-e|-d`), `-C`, `-Z` and `--set`, with ipvsadm's messages and exit codes.
    static let ipvsadm = NodeTool(name: "ipvsadm", subcommands: ["-A", "-C", "-D", "-E", "-L", "-Ln", "-Lnc", "-S", "-Z", "-a", "-d", "-e", "--set"]) { ctx, argv in
        let r = Ipvsadm.run(Array(argv.dropFirst()), on: try kernel(ctx).ipvs, now: ctx.cluster.clock.now)
        if r.status != 0 { throw CommandFailure(r.output, exitCode: r.status) }
        return CommandResult(output: r.output)
    }
}
