import KubeSimCore
import KubeSimAPI

/// The EndpointSlice controller (pkg/controller/endpointslice): for every Service with a
/// selector, the pods it selects become endpoints in slices labelled
/// `kubernetes.io/service-name`, owned by the Service. Level-triggered `syncService(key)`:
/// it computes the slices the Service should have and writes only the differences.
///
/// As upstream (endpointslice reconciler, pkg/controller/util/endpointslice):
/// - pods without an IP, and pods that have finished (Succeeded/Failed), are left out;
/// - `ready` is the pod's Ready condition, false while terminating; `serving` is the
///   Ready condition; `terminating` is set once the pod has a deletionTimestamp;
/// - a pod whose `spec.hostname` is set and whose `spec.subdomain` names the Service
///   gets `hostname` (what CoreDNS answers `<hostname>.<service>…` with);
/// - a named targetPort resolves per pod, so pods with different numbers for the name
///   land in different slices; at most 100 endpoints per slice (maxEndpointsPerSlice).
public final class EndpointSliceController {
    let api: APIServer
    let clock: EventQueue
    let services: Informer
    let pods: Informer
    let slices: Informer
    var queue: WorkQueue!
    static let user = "system:serviceaccount:kube-system:endpointslice-controller"
    public static let maxEndpointsPerSlice = 100
    /// The Services with a selector, per namespace.
    let selecting: SelectingServices

    public init(api: APIServer, clock: EventQueue, services: Informer, pods: Informer, slices: Informer) {
        self.api = api
        self.clock = clock
        self.services = services
        self.selecting = SelectingServices(services: services)
        self.pods = pods
        self.slices = slices
        // Upstream batches pod changes for a Service (endpointUpdatesBatchPeriod); a short
        // queue delay coalesces a burst of pod updates into one sync here.
        queue = WorkQueue(name: "endpointslice-controller", clock: clock, delay: .milliseconds(1)) { [unowned self] key in
            self.syncService(key)
        }
        slices.addIndex(IndexName.service) { o in
            guard let es = o.endpointSlice, let svc = es.serviceName else { return [] }
            return ["\(es.metadata.namespace ?? "")/\(svc)"]
        }
        services.onChange { [unowned self] e in
            self.selecting.update(e)
            self.queue.add(objectKey(e.object.metadata))
        }
        slices.onChange { [unowned self] e in
            // Someone else changed or removed one of our slices: put it right.
            guard let es = e.object.endpointSlice, es.metadata.labels[EndpointSlice.managedByLabel] == EndpointSlice.controllerName,
                  let svc = es.serviceName else { return }
            self.queue.add("\(es.metadata.namespace ?? "")/\(svc)")
        }
        pods.onChange { [unowned self] e in self.podChanged(e) }
    }

    func podChanged(_ e: WatchEvent) {
        let meta = e.object.metadata
        // A pod that stopped matching still sits in a slice until the sync removes it.
        for svc in selecting.affected(by: meta, stillListing: { listed(meta.name, in: objectKey($0.metadata)) }) { queue.add(objectKey(svc.metadata)) }
    }

    func listed(_ pod: String, in serviceKey: String) -> Bool {
        slices.byIndex(IndexName.service, serviceKey).contains { o in
            o.endpointSlice?.endpoints.contains { $0.targetPod == pod } ?? false
        }
    }

    /// One desired slice: its ports and the endpoints that share them.
    struct Group { var ports: [EndpointPort]; var endpoints: [Endpoint] }

    public func syncService(_ key: String) {
        let (ns, name) = splitKey(key)
        let existing = slices.byIndex(IndexName.service, key).compactMap(\.endpointSlice)
            .filter { $0.metadata.labels[EndpointSlice.managedByLabel] == EndpointSlice.controllerName }
            .sorted { $0.metadata.name < $1.metadata.name }
        guard let svc = services.get(namespace: ns, name: name)?.service, !svc.spec.selector.isEmpty,
              svc.metadata.deletionTimestamp == nil else {
            // No Service, or one without a selector: the slices we made go (the garbage
            // collector would take them with their owner as well).
            for es in existing { _ = try? api.delete(.endpointSlice, namespace: es.metadata.namespace, name: es.metadata.name, user: Self.user) }
            return
        }
        let desired = groups(for: svc)
        var unused = existing
        for group in desired {
            // Reuse a slice with the same ports, as the reconciler does.
            if let i = unused.firstIndex(where: { $0.ports == group.ports }) {
                var es = unused.remove(at: i)
                var labels = Self.labels(for: svc)
                labels.merge(es.metadata.labels.filter { labels[$0.key] == nil && !svc.metadata.labels.keys.contains($0.key) && $0.key.hasPrefix("endpointslice.kubernetes.io/") }) { a, _ in a }
                guard es.endpoints != group.endpoints || es.metadata.labels != labels else { continue }
                es.endpoints = group.endpoints
                var meta = es.metadata
                meta.labels = labels
                es.metadata = meta
                _ = try? api.update(.endpointSlice(es), user: Self.user)
            } else {
                var meta = ObjectMeta(name: "", namespace: svc.metadata.namespace, labels: Self.labels(for: svc))
                meta.generateName = svc.metadata.name + "-"
                meta.ownerReferences = [OwnerReference(apiVersion: "v1", kind: "Service", name: svc.metadata.name, uid: svc.metadata.uid)]
                var es = EndpointSlice(metadata: meta)
                es.ports = group.ports
                es.endpoints = group.endpoints
                _ = try? api.create(.endpointSlice(es), user: Self.user)
            }
        }
        for es in unused { _ = try? api.delete(.endpointSlice, namespace: es.metadata.namespace, name: es.metadata.name, user: Self.user) }
    }

    /// The slice's labels: the Service's own, plus the two the controller sets, plus
    /// `service.kubernetes.io/headless` for a headless Service.
    static func labels(for svc: Service) -> [String: String] {
        var l = svc.metadata.labels
        l[EndpointSlice.serviceNameLabel] = svc.metadata.name
        l[EndpointSlice.managedByLabel] = EndpointSlice.controllerName
        if svc.spec.clusterIP == "None" { l["service.kubernetes.io/headless"] = "" }
        return l
    }

    /// The selected pods, grouped by the ports they resolve to, 100 endpoints a slice.
    func groups(for svc: Service) -> [Group] {
        var byPorts: [[EndpointPort]] = []
        var members: [[Endpoint]] = []
        let selected = pods.list(namespace: svc.metadata.namespace).compactMap(\.pod)
            .filter { p in svc.spec.selector.allSatisfy { p.metadata.labels[$0.key] == $0.value } }
            .sorted { $0.metadata.name < $1.metadata.name }
        for pod in selected {
            guard let ip = pod.status.podIP, pod.status.phase != "Succeeded", pod.status.phase != "Failed" else { continue }
            let ports = svc.spec.ports.map { sp in
                EndpointPort(name: sp.name ?? "", port: Self.targetPort(sp, pod), protocol: sp.protocol)
            }
            let terminating = pod.metadata.deletionTimestamp != nil
            var ep = Endpoint(addresses: [ip], ready: pod.status.isReady && !terminating, serving: pod.status.isReady, terminating: terminating)
            if let h = pod.spec.hostname, !h.isEmpty, pod.spec.subdomain == svc.metadata.name { ep.hostname = h }
            ep.nodeName = pod.spec.nodeName
            ep.targetPod = pod.metadata.name
            ep.targetNamespace = pod.metadata.namespace
            ep.targetUID = pod.metadata.uid
            if let i = byPorts.firstIndex(of: ports) { members[i].append(ep) } else { byPorts.append(ports); members.append([ep]) }
        }
        var out: [Group] = []
        for (ports, eps) in zip(byPorts, members) {
            var start = 0
            while start < eps.count {
                out.append(Group(ports: ports, endpoints: Array(eps[start..<min(eps.count, start + Self.maxEndpointsPerSlice)])))
                start += Self.maxEndpointsPerSlice
            }
        }
        // A Service that selects nothing still has one placeholder slice, without ports
        // or endpoints (reconciler.go: "When no endpoint slices would usually exist, we
        // need to add a placeholder").
        if out.isEmpty { out.append(Group(ports: [], endpoints: [])) }
        return out
    }

    /// The port number behind a Service port for this pod: a number as written, or the
    /// named container port (nil when the pod has no port of that name).
    static func targetPort(_ sp: ServicePort, _ pod: Pod) -> Int? {
        let t = sp.targetPort ?? String(sp.port)
        if let n = Int(t) { return n }
        for c in pod.spec.containers { for p in c.ports where p.name == t && p.protocol == sp.protocol { return p.containerPort } }
        return nil
    }
}
