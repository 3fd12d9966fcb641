/// About how many bytes an object takes in etcd, where the API server stores it as
/// protobuf: each string costs its bytes plus a tag and a length, each number a few
/// bytes, each nested message a tag and a length. Only what grows with the object is
/// counted (names, labels, annotations, containers and their statuses, kept fields,
/// ConfigMap-like data); the fixed fields add a constant. Linear in the object's size,
/// so checking every write stays cheap.
public enum ObjectSize {
    @inline(__always) static func str(_ s: String) -> Int {
        let n = s.utf8.count
        return n + (n < 128 ? 2 : n < 16384 ? 3 : 5)
    }
    @inline(__always) static func str(_ s: String?) -> Int { s.map(str) ?? 0 }
    static func map(_ m: [String: String]) -> Int { m.reduce(0) { $0 + 4 + str($1.key) + str($1.value) } }
    static func list(_ l: [String]) -> Int { l.reduce(0) { $0 + str($1) } }

    static func meta(_ m: ObjectMeta) -> Int {
        64 + str(m.name) + str(m.namespace) + str(m.uid) + map(m.labels) + map(m.annotations)
            + m.ownerReferences.count * 120 + list(m.finalizers) + m.preserved.reduce(0) { $0 + 8 + str($1.json) }
    }

    static func container(_ c: Container) -> Int {
        var n = 16 + str(c.name) + str(c.image) + str(c.imagePullPolicy) + str(c.terminationMessagePath) + str(c.terminationMessagePolicy)
        n += list(c.command) + list(c.args)
        n += c.ports.reduce(0) { $0 + 12 + str($1.name) + str($1.protocol) }
        n += c.env.reduce(0) { $0 + 4 + str($1.name) + str($1.value) }
        n += c.volumeMounts.reduce(0) { $0 + 4 + str($1.name) + str($1.mountPath) }
        n += (c.resources.requests.count + c.resources.limits.count) * 16
        n += [c.livenessProbe, c.readinessProbe, c.startupProbe].compactMap { $0 }.count * 48
        return n
    }

    static func podSpec(_ s: PodSpec) -> Int {
        64 + s.containers.reduce(0) { $0 + container($1) } + s.initContainers.reduce(0) { $0 + container($1) }
            + str(s.nodeName) + map(s.nodeSelector) + s.tolerations.count * 48 + s.volumes.count * 64
    }

    static func template(_ t: PodTemplateSpec) -> Int {
        16 + map(t.labels) + map(t.annotations) + podSpec(t.spec) + t.preserved.reduce(0) { $0 + 8 + str($1.json) }
    }

    static func status(_ s: ContainerStatus) -> Int {
        32 + str(s.name) + str(s.image) + str(s.imageID) + str(s.containerID)
    }

    /// The estimate for one object.
    public static func encoded(_ o: APIObject) -> Int {
        var n = meta(o.metadata)
        switch o {
        case .pod(let p):
            n += podSpec(p.spec)
            n += p.status.containerStatuses.reduce(0) { $0 + status($1) } + p.status.initContainerStatuses.reduce(0) { $0 + status($1) }
            n += p.status.conditions.count * 48 + str(p.status.message)
        case .endpoints(let e):
            for ss in e.subsets {
                for a in ss.addresses + ss.notReadyAddresses { n += 24 + str(a.ip) + str(a.nodeName) + (a.targetRef.map { 40 + str($0.name) + str($0.uid) + str($0.namespace) } ?? 0) }
                n += ss.ports.count * 32
            }
        default:
            if let t = o.podTemplate { n += template(t) }
        }
        return n
    }
}
