import KubeSimCore
import KubeSimAPI

/// The endpoints controller (pkg/controller/endpoint/endpoints_controller.go): for every
/// Service with a selector, one core/v1 Endpoints of the same name listing the pods it
/// selects. Nothing in the cluster reads it (kube-proxy and CoreDNS read EndpointSlices);
/// it is kept because `kubectl get endpoints` is still what many people type.
///
/// As upstream's syncService:
/// - pods that finished (Succeeded/Failed), have no IP or are terminating are left out
///   (k8s.io/endpointslice/util ShouldPodBeInEndpoints, publishNotReadyAddresses false);
/// - a Ready pod's address goes to `addresses`, any other to `notReadyAddresses`, with
///   `nodeName` and a `targetRef` to the pod; `hostname` when the pod's subdomain names
///   the Service (ShouldSetHostname);
/// - a named targetPort resolves per pod (podutil.FindPort), a pod without it is left
///   out of that port; a headless Service without ports lists its pods without ports;
/// - the subsets are repacked (pkg/api/v1/endpoints RepackSubsets), so pods that share
///   a port set share a subset, addresses sorted by IP;
/// - labels are the Service's plus `endpoints.kubernetes.io/managed-by:
///   endpoint-controller` and, for a headless Service, `service.kubernetes.io/headless`;
///   no ownerReferences (the controller deletes the Endpoints when the Service goes);
/// - `endpoints.kubernetes.io/last-change-trigger-time` from the trigger time tracker:
///   the Service's creation on the first sync, then the earliest pod Ready-condition
///   transition seen since the last sync, or no annotation when none changed;
/// - a Service without a selector, or of type ExternalName, is not touched: its
///   Endpoints is whoever wrote it;
/// - more than 1000 addresses are truncated, with `endpoints.kubernetes.io/over-capacity:
///   truncated`.
public final class EndpointsController {
    let api: APIServer
    let services: Informer
    let pods: Informer
    let endpoints: Informer
    var queue: WorkQueue!
    static let user = "system:serviceaccount:kube-system:endpoint-controller"
    /// maxCapacity.
    public static let maxCapacity = 1000
    /// The Services with a selector, per namespace.
    let selecting: SelectingServices
    /// TriggerTimeTracker state per Service key: the Service trigger time and each pod's
    /// Ready-transition time seen at the last sync (seconds, as metav1.Time keeps them).
    var triggerStates: [String: (service: Int64, pods: [String: Int64])] = [:]

    public init(api: APIServer, clock: EventQueue, services: Informer, pods: Informer, endpoints: Informer) {
        self.api = api
        self.services = services
        self.selecting = SelectingServices(services: services)
        self.pods = pods
        self.endpoints = endpoints
        queue = WorkQueue(name: "endpoint-controller", clock: clock, delay: .milliseconds(1)) { [unowned self] key in
            self.syncService(key)
        }
        services.onChange { [unowned self] e in
            self.selecting.update(e)
            self.queue.add(objectKey(e.object.metadata))
        }
        // Upstream watches Endpoints only for deletions: a deleted one is made again.
        endpoints.onChange { [unowned self] e in
            guard e.kind == .deleted else { return }
            self.queue.add(objectKey(e.object.metadata))
        }
        pods.onChange { [unowned self] e in self.podChanged(e) }
    }

    /// GetServicesToUpdateOnPodChange: the Services that select the pod, and those whose
    /// Endpoints still list it (its labels changed, or it went away).
    func podChanged(_ e: WatchEvent) {
        let meta = e.object.metadata
        let ns = meta.namespace ?? "default"
        for svc in selecting.affected(by: meta, stillListing: { listed(meta.name, in: endpoints.get(namespace: ns, name: $0.metadata.name)?.endpoints) }) {
            queue.add(objectKey(svc.metadata))
        }
    }

    func listed(_ pod: String, in ep: Endpoints?) -> Bool {
        ep?.subsets.contains { s in (s.addresses + s.notReadyAddresses).contains { $0.targetRef?.name == pod } } ?? false
    }

    public func syncService(_ key: String) {
        let (ns, name) = splitKey(key)
        guard let svc = services.get(namespace: ns, name: name)?.service else {
            // The Service is gone: so is its Endpoints.
            if endpoints.get(namespace: ns, name: name) != nil { _ = try? api.delete(.endpoints, namespace: ns, name: name, user: Self.user) }
            triggerStates[key] = nil
            return
        }
        if svc.spec.type == "ExternalName" || svc.spec.selector.isEmpty { return }
        let selected = pods.list(namespace: ns).compactMap(\.pod)
            .filter { p in svc.spec.selector.allSatisfy { p.metadata.labels[$0.key] == $0.value } }
        let triggerTime = computeTriggerTime(key, svc, selected)

        var subsets: [EndpointSubset] = []
        let headless = svc.spec.clusterIP == nil || svc.spec.clusterIP == "None"
        for pod in selected {
            guard pod.status.phase != "Succeeded", pod.status.phase != "Failed", let ip = pod.status.podIP, !ip.isEmpty,
                  pod.metadata.deletionTimestamp == nil else { continue }
            var address = EndpointAddress(ip: ip, nodeName: pod.spec.nodeName ?? "",
                                          targetRef: ObjectReference(kind: "Pod", namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid))
            if let h = pod.spec.hostname, !h.isEmpty, pod.spec.subdomain == svc.metadata.name { address.hostname = h }
            func add(_ ports: [EndpointPort]) {
                // addEndpointSubset: one subset per address and port, repacked below.
                subsets.append(pod.status.isReady ? EndpointSubset(addresses: [address], ports: ports) : EndpointSubset(notReadyAddresses: [address], ports: ports))
            }
            if svc.spec.ports.isEmpty {
                if svc.spec.clusterIP == "None" { add([]) }
            } else {
                for sp in svc.spec.ports {
                    guard let port = EndpointSliceController.targetPort(sp, pod) else { continue }
                    add([EndpointPort(name: sp.name ?? "", port: port, protocol: sp.protocol)])
                }
            }
        }
        subsets = EndpointsRepack.repack(subsets, package: .v1)

        let current = endpoints.get(namespace: ns, name: name)?.endpoints
        if let current, current.subsets == subsets, Self.labelsCorrect(current.metadata.labels, svc.metadata.labels),
           Self.capacityAnnotationCorrect(current) {
            return
        }
        var meta = current?.metadata ?? ObjectMeta(name: name, namespace: ns)
        var labels = svc.metadata.labels
        if headless { labels["service.kubernetes.io/headless"] = "" }
        labels[Endpoints.managedByLabel] = Endpoints.controllerName
        meta.labels = labels
        if let t = triggerTime {
            meta.annotations[Endpoints.lastChangeTriggerTime] = SimTime.stamp(t)   // metav1.Time: RFC 3339, whole seconds
        } else {
            meta.annotations[Endpoints.lastChangeTriggerTime] = nil
        }
        var ep = Endpoints(metadata: meta, subsets: subsets)
        ep.metadata.annotations[Endpoints.overCapacity] = Self.truncate(&ep) ? "truncated" : nil
        if current == nil {
            _ = try? api.create(.endpoints(ep), user: Self.user)
        } else {
            _ = try? api.update(.endpoints(ep), user: Self.user)
        }
    }

    /// labelsCorrectForEndpoints: managed-by set, and the rest (less the headless label)
    /// exactly the Service's labels.
    static func labelsCorrect(_ ep: [String: String], _ svc: [String: String]) -> Bool {
        guard ep[Endpoints.managedByLabel] == Endpoints.controllerName else { return false }
        var rest = ep
        rest[Endpoints.managedByLabel] = nil
        rest["service.kubernetes.io/headless"] = nil
        return rest == svc
    }

    static func capacityAnnotationCorrect(_ ep: Endpoints) -> Bool {
        let n = ep.subsets.reduce(0) { $0 + $1.addresses.count + $1.notReadyAddresses.count }
        return n <= maxCapacity && ep.metadata.annotations[Endpoints.overCapacity] == nil
    }

    /// truncateEndpoints: past maxCapacity, each subset keeps its share (rounded up) of
    /// the ready addresses, or of the not-ready ones when the ready ones fit.
    static func truncate(_ ep: inout Endpoints) -> Bool {
        let ready = ep.subsets.reduce(0) { $0 + $1.addresses.count }
        let notReady = ep.subsets.reduce(0) { $0 + $1.notReadyAddresses.count }
        guard ready + notReady > maxCapacity else { return false }
        let truncateReady = ready > maxCapacity
        let max = truncateReady ? maxCapacity : maxCapacity - ready
        let total = truncateReady ? ready : notReady
        var canBeAdded = max
        for i in ep.subsets.indices {
            let inSubset = truncateReady ? ep.subsets[i].addresses.count : ep.subsets[i].notReadyAddresses.count
            let toBeAdded = min(canBeAdded, Int((Double(inSubset) / Double(total) * Double(max)).rounded(.up)))
            if truncateReady {
                ep.subsets[i].addresses = Array(ep.subsets[i].addresses.prefix(toBeAdded))
                ep.subsets[i].notReadyAddresses = []
                canBeAdded -= ep.subsets[i].addresses.count
            } else {
                ep.subsets[i].notReadyAddresses = Array(ep.subsets[i].notReadyAddresses.prefix(toBeAdded))
                canBeAdded -= ep.subsets[i].notReadyAddresses.count
            }
        }
        return true
    }

    /// TriggerTimeTracker.ComputeEndpointLastChangeTriggerTime (k8s.io/endpointslice/util):
    /// nil is Go's zero time (no annotation).
    func computeTriggerTime(_ key: String, _ svc: Service, _ selected: [Pod]) -> Int64? {
        func seconds(_ ns: Int64) -> Int64 { ns / 1_000_000_000 * 1_000_000_000 }
        let previous = triggerStates[key]
        var minChanged: Int64?
        var podTimes: [String: Int64] = [:]
        for p in selected {
            // getPodTriggerTime: the Ready condition's lastTransitionTime.
            guard let ready = p.status.condition("Ready") else { continue }
            let t = seconds(ready.lastTransitionTime)
            podTimes[p.metadata.name] = t
            if t > (previous?.pods[p.metadata.name] ?? Int64.min) { minChanged = min(minChanged ?? t, t) }
        }
        let serviceTime = seconds(svc.metadata.creationTimestamp)
        if serviceTime > (previous?.service ?? Int64.min) { minChanged = min(minChanged ?? serviceTime, serviceTime) }
        triggerStates[key] = (serviceTime, podTimes)
        guard previous != nil else { return serviceTime }
        return minChanged
    }
}
