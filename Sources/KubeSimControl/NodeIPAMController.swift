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
    let user = "system:serviceaccount:kube-system:node-controller"

    public init(api: APIServer, nodes: Informer, clusterCIDR: CIDR = CIDR(parsing: "10.244.0.0/16")!, maskSize: Int = 24) {
        self.api = api
        self.nodes = nodes
        self.clusterCIDR = clusterCIDR
        self.maskSize = maskSize
        nodes.onChange { [unowned self] e in
            guard let n = e.object.node else { return }
            let name = n.metadata.name
            if e.kind == .deleted { self.used.removeValue(forKey: name); return }
            if let c = n.podCIDR, let cidr = CIDR(parsing: c) {
                self.used[name] = (cidr.network.value - self.clusterCIDR.network.value) >> UInt32(32 - self.maskSize)
                return
            }
            self.allocate(name)
        }
    }

    func allocate(_ name: String) {
        let count = UInt32(1) << UInt32(maskSize - clusterCIDR.prefixLength)
        let taken = Set(used.values)
        // With the range exhausted the node keeps no podCIDR (upstream: CIDRNotAvailable),
        // and its kubelet cannot give pods addresses.
        guard let index = (0..<count).first(where: { !taken.contains($0) }) else { return }
        used[name] = index
        let subnet = CIDR(address: IPv4Address(clusterCIDR.network.value + (index << UInt32(32 - maskSize))), prefixLength: maskSize)
        _ = try? api.modify(.node, namespace: nil, name: name, user: user) { o in
            guard var n = o.node, n.podCIDR == nil else { return }
            n.podCIDR = subnet.description
            o = .node(n)
        }
    }
}
