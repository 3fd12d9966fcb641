import KubeSimCore
import KubeSimAPI

/// The node agent, in the reduced form the control-plane work needs: it registers its
/// Node through the API server, watches only pods bound to its node, and reports each
/// one Running and Ready after a start-up time, with a pod IP from the node's range.
/// (Container runtime, probes, restarts and graceful termination come with the nodes
/// issue and replace the fixed start-up time.)
public final class Kubelet {
    public let nodeName: String
    let api: APIServer
    let clock: EventQueue
    let pods: Informer
    /// Time from binding to Running/Ready (image pull and container start).
    public var startupTime: SimDuration = .seconds(2)
    var starting: Set<String> = []
    var nextIP = 2
    let podCIDRBase: String

    public init(nodeName: String, index: Int, api: APIServer, clock: EventQueue, pods: Informer) {
        self.nodeName = nodeName
        self.api = api
        self.clock = clock
        self.pods = pods
        self.podCIDRBase = "10.244.\(index)."
    }

    /// A pod bound to this node changed (the cluster routes each pod event to the
    /// kubelet of its node, as a field-selected watch `spec.nodeName=NODE` would).
    public func podChanged(_ e: WatchEvent) {
        guard e.kind != .deleted, let p = e.object.pod, p.spec.nodeName == nodeName,
              p.status.phase == "Pending", !starting.contains(p.metadata.uid) else { return }
        starting.insert(p.metadata.uid)
        clock.schedule(after: startupTime, label: "kubelet \(nodeName) start \(p.metadata.name)") { [unowned self] in
            self.start(p)
        }
    }

    /// Registers the Node (as the kubelet does at start).
    public func register(capacity: [String: Quantity], internalIP: String, labels: [String: String]) throws {
        var meta = ObjectMeta(name: nodeName)
        meta.labels = labels.merging(["kubernetes.io/hostname": nodeName, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"]) { a, _ in a }
        var node = Node(metadata: meta, capacity: capacity, internalIP: internalIP)
        node.podCIDR = podCIDRBase + "0/24"
        node.conditions = [NodeCondition(type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status",
                                         lastHeartbeatTime: clock.now, lastTransitionTime: clock.now)]
        try api.create(.node(node), user: "system:node:\(nodeName)")
    }

    func start(_ p: Pod) {
        starting.remove(p.metadata.uid)
        guard let current = pods.get(namespace: p.metadata.namespace, name: p.metadata.name)?.pod,
              current.metadata.uid == p.metadata.uid, current.spec.nodeName == nodeName else { return }
        let ip = podCIDRBase + String(nextIP)
        nextIP = nextIP >= 254 ? 2 : nextIP + 1
        let hostIP = (try? api.get(.node, namespace: nil, name: nodeName).node?.internalIP) ?? nil
        _ = try? api.modify(.pod, namespace: p.metadata.namespace, name: p.metadata.name, user: "system:node:\(nodeName)") {
            guard var x = $0.pod else { return }
            x.status.phase = "Running"
            x.status.podIP = ip
            x.status.hostIP = hostIP
            x.status.startTime = clock.now
            x.status.setCondition("Initialized", "True", now: clock.now)
            x.status.setCondition("ContainersReady", "True", now: clock.now)
            x.status.setCondition("Ready", "True", now: clock.now)
            $0 = .pod(x)
        }
    }
}
