import KubeSimCore
import KubeSimAPI

/// The Services with a selector, by namespace, as the endpoint controllers keep them to
/// find the Services a pod change concerns (pkg/controller/util/endpoint
/// GetPodServiceMemberships, GetServicesToUpdateOnPodChange).
final class SelectingServices {
    let services: Informer
    private var names: [String: Set<String>] = [:]
    init(services: Informer) { self.services = services }

    /// Follows a Service event (a Service without a selector is left to its owner).
    func update(_ e: WatchEvent) {
        let m = e.object.metadata
        let ns = m.namespace ?? "default"
        if e.kind == .deleted || (e.object.service?.spec.selector.isEmpty ?? true) {
            names[ns]?.remove(m.name)
        } else {
            names[ns, default: []].insert(m.name)
        }
    }

    /// The Services of the pod's namespace that select it, or that still list it
    /// (its labels changed, or it went away), in name order.
    func affected(by pod: ObjectMeta, stillListing: (Service) -> Bool) -> [Service] {
        let ns = pod.namespace ?? "default"
        // Most pods sit in namespaces without Services that select: nothing to look at.
        guard let selecting = names[ns], !selecting.isEmpty else { return [] }
        return selecting.sorted().compactMap { name in
            guard let svc = services.get(namespace: ns, name: name)?.service, !svc.spec.selector.isEmpty else { return nil }
            let selects = svc.spec.selector.allSatisfy { pod.labels[$0.key] == $0.value }
            return selects || stillListing(svc) ? svc : nil
        }
    }
}
