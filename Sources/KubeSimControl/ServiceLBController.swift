import KubeSimCore
import KubeSimAPI

/// The cloud controller manager's service controller (k8s.io/cloud-provider
/// controllers/service), with a simulated cloud whose load balancers take addresses from a
/// pool (`cluster lb-pool=203.0.113.0/24`). For each LoadBalancer Service it "ensures" a
/// load balancer and writes its address into `status.loadBalancer.ingress` — the
/// requested `spec.loadBalancerIP` when it is in the pool and free, else the next free
/// address. Without a pool no cloud is configured and the Service stays `<pending>`,
/// as on a bare-metal cluster. The cloud's load balancer forwards to the node ports;
/// in the nodes' kernels kube-proxy also answers the address directly (its
/// "loadbalancer IP" rules), which is the path a packet takes here.
public final class ServiceLBController {
    let api: APIServer
    let services: Informer
    let events: EventRecorder
    public let pool: CIDR
    var assigned: [String: UInt32] = [:]   // "ns/name" → address
    let queue: WorkQueue
    static let user = "system:serviceaccount:kube-system:service-controller"
    static let source = "service-controller"

    public init(api: APIServer, clock: EventQueue, services: Informer, events: EventRecorder, pool: CIDR) {
        self.api = api; self.services = services; self.events = events; self.pool = pool
        var sync: (String) -> Void = { _ in }
        queue = WorkQueue(name: "service-controller", clock: clock, delay: .milliseconds(20)) { sync($0) }
        sync = { [unowned self] key in self.sync(key) }
        services.onChange { [unowned self] e in
            guard let s = e.object.service else { return }
            let key = "\(s.metadata.namespace ?? "default")/\(s.metadata.name)"
            if e.kind == .deleted || s.spec.type != "LoadBalancer" {
                if self.assigned.removeValue(forKey: key) != nil, e.kind != .deleted {
                    self.events.record(e.object, reason: "DeletingLoadBalancer", message: "Deleting load balancer", source: Self.source, user: Self.user)
                }
                return
            }
            self.queue.add(key)
        }
    }

    func sync(_ key: String) {
        let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, let o = services.get(namespace: parts[0], name: parts[1]), let svc = o.service, svc.spec.type == "LoadBalancer" else { return }
        if let a = assigned[key], svc.loadBalancerIngress == [IPv4Address(a).description] { return }
        events.record(o, reason: "EnsuringLoadBalancer", message: "Ensuring load balancer", source: Self.source, user: Self.user)
        guard let address = pick(key, requested: svc.spec.loadBalancerIP) else {
            events.record(o, type: "Warning", reason: "SyncLoadBalancerFailed",
                          message: "Error syncing load balancer: failed to ensure load balancer: no free address in the pool \(pool)", source: Self.source, user: Self.user)
            return
        }
        assigned[key] = address.value
        _ = try? api.modify(.service, namespace: parts[0], name: parts[1], user: Self.user) { x in
            guard var s = x.service else { return }
            s.loadBalancerIngress = [address.description]
            x = .service(s)
        }
        events.record(o, reason: "EnsuredLoadBalancer", message: "Ensured load balancer", source: Self.source, user: Self.user)
    }

    /// The requested address when it is in the pool and free, else the lowest free one
    /// (the pool's network and broadcast addresses are not handed out).
    func pick(_ key: String, requested: String?) -> IPv4Address? {
        if let a = assigned[key] { return IPv4Address(a) }
        let taken = Set(assigned.values)
        if let r = requested.flatMap({ IPv4Address(parsing: $0) }), pool.contains(r), !taken.contains(r.value) { return r }
        let first = pool.network.value + 1, last = pool.network.value + UInt32(pool.size) - 2
        guard first <= last else { return nil }
        for v in first...last where !taken.contains(v) { return IPv4Address(v) }
        return nil
    }
}
