import KubeScript
import KubeSimNet

extension NodeTool {
    /// `nft …` (nftables 1.0.6) on the node's own nftables (KubeSimNet/Nftables/NFTCommand.swift):
    /// `nft list ruleset`, `nft list table ip kube-proxy`, `nft list chain|set|map ip
    /// kube-proxy NAME`, `-a` for handles; a rule a learner adds is a rule packets meet.
    static let nft = NodeTool(name: "nft", subcommands: ["-a", "add", "delete", "flush", "list"]) { ctx, argv in
        let r = NFTCommand.run(Array(argv.dropFirst()), on: try kernel(ctx).netfilter.nftables, now: ctx.cluster.clock.now)
        return try finish(r.status, r.output)
    }
}
