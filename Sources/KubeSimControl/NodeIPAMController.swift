import KubeSimCore
import KubeSimAPI

/// The node IPAM controller's range allocator (pkg/controller/nodeipam, kube-controller-manager
/// `--allocate-node-cidrs --cluster-cidr=10.244.0.0/16 --node-cidr-mask-size=24`): every
/// Node without `spec.podCIDR` gets the first free /24 of the cluster CIDR, in the order the
/// nodes register; a deleted node's range is free again.
public final class NodeIPAMController {
    let api: APIServer
    let nodes: Informer
    public let clusterCIDR: CIDR
    public let maskSize: Int
    var used: [String: UInt32] = [:]   // node → subnet index
    var taken: Set<UInt32> = []
    /// Where the search for a free subnet starts (the range allocator's next candidate).
    var cursor: UInt32 = 0
    let user = "system:serviceaccount:kube-system:node-controller"

    public init(api: APIServer, nodes: Informer, clusterCIDR: CIDR = CIDR(parsing: "10.244.0.0/16")!, maskSize: Int = 24) {
        self.api = api
        self.nodes = nodes
        self.clusterCIDR = clusterCIDR
        self.maskSize = maskSize
        nodes.onChange { [unowned self] e in
            guard let n = e.object.node else { return }
            let name = n.metadata.name
            if e.kind == .deleted {
                if let i = self.used.removeValue(forKey: name) { self.taken.remove(i) }
                return
            }
            if let c = n.podCIDR, let cidr = CIDR(parsing: c) {
                let i = (cidr.network.value - self.clusterCIDR.network.value) >> UInt32(32 - self.maskSize)
                self.used[name] = i
                self.taken.insert(i)
                return
            }
            self.allocate(name)
        }
    }

    func allocate(_ name: String) {
        let count = UInt32(1) << UInt32(maskSize - clusterCIDR.prefixLength)
        guard used[name] == nil else { return }
        // The first free subnet at or after the cursor, wrapping (range allocator). With the
        // range exhausted the node keeps no podCIDR (upstream: CIDRNotAvailable), and its
        // kubelet cannot give pods addresses.
        var index: UInt32?
        var i = cursor
        for _ in 0..<count {
            if !taken.contains(i) { index = i; break }
            i = i + 1 == count ? 0 : i + 1
        }
        guard let index else { return }
        cursor = index + 1 == count ? 0 : index + 1
        used[name] = index
        taken.insert(index)
        let subnet = CIDR(address: IPv4Address(clusterCIDR.network.value + (index << UInt32(32 - maskSize))), prefixLength: maskSize)
        _ = try? api.modify(.node, namespace: nil, name: name, user: user) { o in
            guard var n = o.node, n.podCIDR == nil else { return }
            n.podCIDR = subnet.description
            o = .node(n)
        }
    }
}
