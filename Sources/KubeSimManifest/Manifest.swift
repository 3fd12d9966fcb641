import Yams
import KubeSimCore
import KubeSimAPI

/// A manifest problem, in kubectl's words.
public struct ManifestError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Manifests: YAML or JSON text → typed objects (multi-document files, `List` kinds),
/// and objects → manifests a real cluster accepts. Fields the model does not know are
/// reported as warnings, as `kubectl apply` warns of unknown fields.
public enum Manifest {
    public struct Decoded: Sendable {
        public var objects: [APIObject]
        /// Warnings for each object (parallel to `objects`), printed as it is applied.
        public var warnings: [[String]]
    }

    /// Parses YAML (JSON is YAML too). `source` names the file in messages.
    public static func decode(_ text: String, source: String) throws -> Decoded {
        let documents: [JSONValue]
        do {
            // Alias bombs are refused before Yams composes (and hashes) anything.
            try AliasPrecheck.check(text)
            // The parser directly: a lazy document sequence would end quietly at an error.
            let parser = try Yams.Parser(yaml: text)
            var docs: [JSONValue] = []
            while let node = try parser.nextRoot() {
                var converter = YAMLConverter()
                docs.append(try converter.convert(node))
            }
            documents = docs
        } catch let e as YamlError {
            throw ManifestError(message: "error: error parsing \(source): error converting YAML to JSON: yaml: \(describe(e))")
        } catch let e as YAMLConverter.ExcessiveAliasing {
            throw ManifestError(message: "error: error parsing \(source): error converting YAML to JSON: yaml: \(e.message)")
        }
        var out = Decoded(objects: [], warnings: [])
        for doc in documents {
            if case .null = doc { continue }
            if doc["kind"]?.string == "List", let items = doc["items"]?.array {
                for item in items { try decodeOne(item, source: source, into: &out) }
            } else {
                try decodeOne(doc, source: source, into: &out)
            }
        }
        return out
    }

    /// One object from its JSON form (what kubectl's generators build), for commands
    /// that make an object from flags and send it as `apply` would.
    public static func object(_ doc: JSONValue, source: String) throws -> APIObject {
        var out = Decoded(objects: [], warnings: [])
        try decodeOne(doc, source: source, into: &out)
        guard let o = out.objects.first else { throw ManifestError(message: "error: no objects passed to create") }
        return o
    }

    /// A kept field's value by key path (`["spec", "podSelector"]`), for printing columns
    /// of kinds stored as written.
    public static func kept(_ meta: ObjectMeta, _ path: [String]) -> JSONValue? {
        for field in meta.preserved {
            let keys = field.path.compactMap { if case .key(let k) = $0 { return k } else { return nil } }
            guard keys.count == field.path.count, keys.count <= path.count, Array(path.prefix(keys.count)) == keys,
                  var v = try? parseJSON(field.json) else { continue }
            for k in path.dropFirst(keys.count) {
                guard let next = v[k] else { return nil }
                v = next
            }
            return v
        }
        return nil
    }

    /// Parses one JSON (or YAML) value.
    static func parseJSON(_ text: String) throws -> JSONValue {
        let parser = try Yams.Parser(yaml: text)
        guard let node = try parser.nextRoot() else { return .null }
        var converter = YAMLConverter()
        return try converter.convert(node)
    }

    static func describe(_ e: YamlError) -> String {
        switch e {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            return "line \(mark.line): \(problem)" + (context.map { " (\($0.text))" } ?? "")
        default:
            return "\(e)"
        }
    }

    static func decodeOne(_ doc: JSONValue, source: String, into out: inout Decoded) throws {
        guard case .object = doc else { throw ManifestError(message: "error: error validating \"\(source)\": error validating data: expected an object") }
        guard let kind = doc["kind"]?.string, !kind.isEmpty else {
            throw ManifestError(message: "error: error validating \"\(source)\": error validating data: kind not set")
        }
        guard let apiVersion = doc["apiVersion"]?.string, !apiVersion.isEmpty else {
            throw ManifestError(message: "error: error validating \"\(source)\": error validating data: apiVersion not set")
        }
        var d = ObjectDecoder(source: source)
        let object: APIObject
        switch (kind, apiVersion) {
        case ("Deployment", "apps/v1"): object = .deployment(try d.deployment(doc))
        case ("ReplicaSet", "apps/v1"): object = .replicaSet(try d.replicaSet(doc))
        case ("Pod", "v1"): object = .pod(try d.pod(doc))
        case ("Job", "batch/v1"):
            object = .job(Job(metadata: try d.metadata(doc["metadata"], path: "metadata"), spec: try d.jobSpec(doc["spec"], path: "spec")))
        case ("CronJob", "batch/v1"): object = .cronJob(try d.cronJob(doc))
        case ("DaemonSet", "apps/v1"): object = .daemonSet(try d.daemonSet(doc))
        case ("StatefulSet", "apps/v1"): object = .statefulSet(try d.statefulSet(doc))
        case ("Namespace", "v1"): object = .namespace(Namespace(metadata: try d.metadata(doc["metadata"], path: "metadata")))
        case ("EndpointSlice", "discovery.k8s.io/v1"):
            var es = EndpointSlice(metadata: try d.metadata(doc["metadata"], path: "metadata"))
            es.addressType = doc["addressType"]?.string ?? ""
            for e in doc["endpoints"]?.array ?? [] {
                let c = e["conditions"]
                var ep = Endpoint(addresses: (e["addresses"]?.array ?? []).compactMap(\.string),
                                  ready: c?["ready"]?.bool ?? true, serving: c?["serving"]?.bool ?? c?["ready"]?.bool ?? true,
                                  terminating: c?["terminating"]?.bool ?? false)
                ep.hostname = e["hostname"]?.string
                ep.nodeName = e["nodeName"]?.string
                if let r = e["targetRef"], r["kind"]?.string == "Pod" {
                    ep.targetPod = r["name"]?.string; ep.targetNamespace = r["namespace"]?.string; ep.targetUID = r["uid"]?.string
                }
                es.endpoints.append(ep)
            }
            for p in doc["ports"]?.array ?? [] {
                es.ports.append(EndpointPort(name: p["name"]?.string, port: p["port"]?.int.map { Int($0) }, protocol: p["protocol"]?.string ?? "TCP"))
            }
            object = .endpointSlice(es)
        case ("Endpoints", "v1"): object = .endpoints(try d.endpoints(doc))
        case ("NetworkPolicy", "networking.k8s.io/v1"): object = .networkPolicy(try d.networkPolicy(doc))
        case ("ConfigMap", "v1"):
            object = .configMap(ConfigMap(metadata: try d.metadata(doc["metadata"], path: "metadata"), data: try d.strings(doc["data"], path: "data")))
        case ("Secret", "v1"):
            var data: [String: String] = [:]
            for (k, v) in try d.strings(doc["data"], path: "data") {
                guard let decoded = Base64.decode(v) else { throw ManifestError(message: "error: error validating \"\(source)\": Secret data[\(k)]: illegal base64 data") }
                data[k] = decoded
            }
            for (k, v) in try d.strings(doc["stringData"], path: "stringData") { data[k] = v }
            object = .secret(Secret(metadata: try d.metadata(doc["metadata"], path: "metadata"), type: doc["type"]?.string ?? "Opaque", data: data))
        case ("LimitRange", "v1"):
            var items: [LimitRangeItem] = []
            for (i, l) in (doc["spec"]?["limits"]?.array ?? []).enumerated() {
                var item = LimitRangeItem()
                if let t = l["type"]?.string { item.type = t }
                item.defaultLimits = try d.quantities(l["default"], path: "spec.limits[\(i)].default")
                item.defaultRequests = try d.quantities(l["defaultRequest"], path: "spec.limits[\(i)].defaultRequest")
                item.max = try d.quantities(l["max"], path: "spec.limits[\(i)].max")
                item.min = try d.quantities(l["min"], path: "spec.limits[\(i)].min")
                items.append(item)
            }
            object = .limitRange(LimitRange(metadata: try d.metadata(doc["metadata"], path: "metadata"), limits: items))
        case ("ResourceQuota", "v1"):
            object = .resourceQuota(ResourceQuota(metadata: try d.metadata(doc["metadata"], path: "metadata"), hard: try d.quantities(doc["spec"]?["hard"], path: "spec.hard")))
        case _ where ResourceType.stored.contains(where: { $0.kind == kind && $0.apiVersion == apiVersion }):
            let type = ResourceType.stored.first { $0.kind == kind && $0.apiVersion == apiVersion }!
            object = .stored(StoredObject(type: type, metadata: try d.metadata(doc["metadata"], path: "metadata")))
            // Everything but the metadata is kept as written.
            let fields = Set((doc.pairs ?? []).map(\.0)).subtracting(["apiVersion", "kind", "metadata", "status"])
            d.checkUnknown(doc, known: ["apiVersion", "kind", "metadata"], path: "", unmodelled: fields, ignored: ["status"])
            var o = object
            var meta = o.metadata
            meta.preserved = d.preserved
            o.metadata = meta
            out.objects.append(o)
            out.warnings.append(d.warnings)
            return
        case ("HorizontalPodAutoscaler", "autoscaling/v1"), ("HorizontalPodAutoscaler", "autoscaling/v2"):
            object = .horizontalPodAutoscaler(try d.horizontalPodAutoscaler(doc, v1: apiVersion == "autoscaling/v1"))
        case ("Service", "v1"):
            object = .service(try d.service(doc))
        case ("ServiceAccount", "v1"): object = .serviceAccount(ServiceAccount(metadata: try d.metadata(doc["metadata"], path: "metadata")))
        case ("Role", "rbac.authorization.k8s.io/v1"), ("ClusterRole", "rbac.authorization.k8s.io/v1"):
            object = .role(Role(metadata: try d.metadata(doc["metadata"], path: "metadata"), rules: try d.rules(doc["rules"])), cluster: kind == "ClusterRole")
        case ("RoleBinding", "rbac.authorization.k8s.io/v1"), ("ClusterRoleBinding", "rbac.authorization.k8s.io/v1"):
            object = .roleBinding(try d.binding(doc), cluster: kind == "ClusterRoleBinding")
        default:
            throw ManifestError(message: "error: resource mapping not found for name: \"\(doc["metadata"]?["name"]?.string ?? "")\" namespace: \"\(doc["metadata"]?["namespace"]?.string ?? "")\" from \"\(source)\": no matches for kind \"\(kind)\" in version \"\(apiVersion)\"")
        }
        d.checkUnknown(doc, known: Set(["apiVersion", "kind", "metadata", "spec", "rules", "roleRef", "subjects", "data", "stringData", "type"]
                       + (kind == "EndpointSlice" ? ["addressType", "endpoints", "ports"] : []) + (kind == "Endpoints" ? ["subsets"] : [])), path: "",
                       unmodelled: ["secrets", "automountServiceAccountToken", "aggregationRule", "binaryData", "immutable", "imagePullSecrets"], ignored: ["status"])
        var o = object
        var meta = o.metadata
        // Kept fields under the pod template travel with the template (to its pods, and
        // into the pod-template-hash); the rest stay with the object.
        let prefix: [PreservedField.Step] = o.type == .cronJob ? [.key("spec"), .key("jobTemplate"), .key("spec"), .key("template")] : [.key("spec"), .key("template")]
        let inTemplate: ([PreservedField.Step]) -> Bool = { $0.count > prefix.count && Array($0.prefix(prefix.count)) == prefix }
        meta.preserved = d.preserved.filter { !inTemplate($0.path) }
        let templateFields = d.preserved.filter { inTemplate($0.path) }.map { PreservedField(path: Array($0.path.dropFirst(prefix.count)), json: $0.json) }
        o.metadata = meta
        switch o {
        case .deployment(var x): x.spec.template.preserved = templateFields; o = .deployment(x)
        case .replicaSet(var x): x.spec.template.preserved = templateFields; o = .replicaSet(x)
        case .job(var x): x.spec.template.preserved = templateFields; o = .job(x)
        case .cronJob(var x): x.spec.jobTemplate.template.preserved = templateFields; o = .cronJob(x)
        case .daemonSet(var x): x.spec.template.preserved = templateFields; o = .daemonSet(x)
        case .statefulSet(var x): x.spec.template.preserved = templateFields; o = .statefulSet(x)
        default: break
        }
        out.objects.append(o)
        out.warnings.append(d.warnings)
    }
}

/// Reads typed objects from manifest data, with field paths in messages.
struct ObjectDecoder {
    let source: String
    var warnings: [String] = []

    func fail(_ path: String, _ why: String) -> ManifestError {
        ManifestError(message: "error: error validating \"\(source)\": error validating data: ValidationError(\(path)): \(why)")
    }

    /// Fields Kubernetes has that the simulation does not model: kept and re-emitted.
    var preserved: [PreservedField] = []

    /// Reports fields outside `known`: those in `unmodelled` (real Kubernetes fields the
    /// simulation does not act on) are kept with a note; anything else is an unknown
    /// field, which the API server drops with a warning; `ignored` are server-set.
    mutating func checkUnknown(_ v: JSONValue?, known: Set<String>, path: String, unmodelled: Set<String> = [], ignored: Set<String> = []) {
        guard let pairs = v?.pairs else { return }
        for (k, value) in pairs where !known.contains(k) && !ignored.contains(k) {
            let full = path.isEmpty ? k : path + "." + k
            if unmodelled.contains(k) {
                warnings.append("Warning: field \"\(full)\" is kept but not simulated")
                preserved.append(PreservedField(path: Self.steps(full), json: JSONWriter.compact(value)))
            } else {
                warnings.append("Warning: unknown field \"\(full)\"")
            }
        }
    }

    /// `spec.containers[0].env` → [key spec, key containers, index 0, key env].
    static func steps(_ path: String) -> [PreservedField.Step] {
        var out: [PreservedField.Step] = []
        for part in path.split(separator: ".") {
            var name = Substring(part)
            var indices: [Int] = []
            while name.hasSuffix("]"), let open = name.lastIndex(of: "[") {
                if let i = Int(name[name.index(after: open)..<name.index(before: name.endIndex)]) { indices.insert(i, at: 0) }
                name = name[..<open]
            }
            out.append(.key(String(name)))
            out += indices.map { .index($0) }
        }
        return out
    }

    func strings(_ v: JSONValue?, path: String) throws -> [String: String] {
        guard let v else { return [:] }
        guard let pairs = v.pairs else { throw fail(path, "invalid type for \(path): got \"\(typeName(v))\", expected \"map\"") }
        var out: [String: String] = [:]
        for (k, x) in pairs {
            guard let s = x.scalarText else { throw fail("\(path).\(k)", "invalid type: expected \"string\"") }
            out[k] = s
        }
        return out
    }

    func typeName(_ v: JSONValue) -> String {
        switch v {
        case .string: return "string"
        case .int, .double: return "integer"
        case .bool: return "boolean"
        case .array: return "array"
        case .object: return "map"
        case .null: return "null"
        }
    }

    func int(_ v: JSONValue?, path: String) throws -> Int? {
        guard let v else { return nil }
        if case .null = v { return nil }
        guard case .int(let i) = v else { throw fail(path, "invalid type for \(path): got \"\(typeName(v))\", expected \"integer\"") }
        return Int(i)
    }

    mutating func metadata(_ v: JSONValue?, path: String) throws -> ObjectMeta {
        var m = ObjectMeta(name: v?["name"]?.string ?? "")
        m.namespace = v?["namespace"]?.string
        m.generateName = v?["generateName"]?.string
        m.labels = try strings(v?["labels"], path: "\(path).labels")
        m.annotations = try strings(v?["annotations"], path: "\(path).annotations")
        checkUnknown(v, known: ["name", "namespace", "generateName", "labels", "annotations"], path: path,
                     ignored: ["uid", "resourceVersion", "creationTimestamp", "generation", "ownerReferences", "finalizers", "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"])
        return m
    }

    mutating func selector(_ v: JSONValue?, path: String) throws -> LabelSelector {
        guard let v else { return LabelSelector() }
        var reqs = LabelSelector(matchLabels: try strings(v["matchLabels"], path: "\(path).matchLabels")).requirements
        for (i, e) in (v["matchExpressions"]?.array ?? []).enumerated() {
            guard let key = e["key"]?.string, let op = e["operator"]?.string else { throw fail("\(path).matchExpressions[\(i)]", "missing required field \"key\" or \"operator\"") }
            let values = (e["values"]?.array ?? []).compactMap(\.scalarText)
            switch op {
            case "In": reqs.append(.isIn(key, values))
            case "NotIn": reqs.append(.notIn(key, values))
            case "Exists": reqs.append(.exists(key))
            case "DoesNotExist": reqs.append(.doesNotExist(key))
            default: throw fail("\(path).matchExpressions[\(i)].operator", "Unsupported value: \"\(op)\": supported values: \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\"")
            }
        }
        checkUnknown(v, known: ["matchLabels", "matchExpressions"], path: path)
        return LabelSelector(reqs)
    }

    mutating func container(_ v: JSONValue, path: String) throws -> Container {
        var c = Container(name: v["name"]?.string ?? "", image: v["image"]?.string ?? "")
        for (i, p) in (v["ports"]?.array ?? []).enumerated() {
            guard let port = try int(p["containerPort"], path: "\(path).ports[\(i)].containerPort") else {
                throw fail("\(path).ports[\(i)]", "missing required field \"containerPort\"")
            }
            var cp = ContainerPort(containerPort: port, name: p["name"]?.string)
            if let proto = p["protocol"]?.string { cp.protocol = proto }
            c.ports.append(cp)
        }
        if let r = v["resources"] {
            for (section, isLimit) in [("requests", false), ("limits", true)] {
                for (k, q) in try strings(r[section], path: "\(path).resources.\(section)") {
                    guard let quantity = Quantity(parsing: q) else {
                        throw ManifestError(message: "error: error parsing \(source): quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' (\(path).resources.\(section).\(k): \"\(q)\")")
                    }
                    if isLimit { c.resources.limits[k] = quantity } else { c.resources.requests[k] = quantity }
                }
            }
        }
        if let p = v["imagePullPolicy"]?.string {
            guard ["Always", "IfNotPresent", "Never"].contains(p) else {
                throw fail("\(path).imagePullPolicy", "Unsupported value: \"\(p)\": supported values: \"Always\", \"IfNotPresent\", \"Never\"")
            }
            c.imagePullPolicy = p
        }
        c.command = try stringList(v["command"], path: "\(path).command")
        c.args = try stringList(v["args"], path: "\(path).args")
        for (i, e) in (v["env"]?.array ?? []).enumerated() {
            let p = "\(path).env[\(i)]"
            guard let name = e["name"]?.string else { throw fail(p, "missing required field \"name\" in io.k8s.api.core.v1.EnvVar") }
            var ev = EnvVar(name: name, value: e["value"]?.scalarText)
            if let from = e["valueFrom"] {
                if let r = from["configMapKeyRef"] {
                    ev.valueFrom = .configMapKey(name: r["name"]?.string ?? "", key: r["key"]?.string ?? "", optional: r["optional"]?.bool ?? false)
                } else if let r = from["secretKeyRef"] {
                    ev.valueFrom = .secretKey(name: r["name"]?.string ?? "", key: r["key"]?.string ?? "", optional: r["optional"]?.bool ?? false)
                } else if let r = from["fieldRef"], let f = r["fieldPath"]?.string {
                    ev.valueFrom = .field(f)
                } else {
                    throw fail("\(p).valueFrom", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`")
                }
            }
            c.env.append(ev)
        }
        for e in v["envFrom"]?.array ?? [] {
            c.envFrom.append(EnvFromSource(prefix: e["prefix"]?.string, configMap: e["configMapRef"]?["name"]?.string, secret: e["secretRef"]?["name"]?.string,
                                           optional: (e["configMapRef"]?["optional"] ?? e["secretRef"]?["optional"])?.bool ?? false))
        }
        for (i, m) in (v["volumeMounts"]?.array ?? []).enumerated() {
            guard let name = m["name"]?.string, let mp = m["mountPath"]?.string else {
                throw fail("\(path).volumeMounts[\(i)]", "missing required field \"name\" or \"mountPath\" in io.k8s.api.core.v1.VolumeMount")
            }
            c.volumeMounts.append(VolumeMount(name: name, mountPath: mp, readOnly: m["readOnly"]?.bool ?? false, subPath: m["subPath"]?.string))
        }
        c.livenessProbe = try probe(v["livenessProbe"], path: "\(path).livenessProbe")
        c.readinessProbe = try probe(v["readinessProbe"], path: "\(path).readinessProbe")
        c.startupProbe = try probe(v["startupProbe"], path: "\(path).startupProbe")
        checkUnknown(v, known: ["name", "image", "ports", "resources", "imagePullPolicy", "terminationMessagePath", "terminationMessagePolicy",
                                "command", "args", "env", "envFrom", "volumeMounts", "livenessProbe", "readinessProbe", "startupProbe"], path: path,
                     unmodelled: ["volumeDevices", "securityContext", "workingDir", "lifecycle", "stdin", "stdinOnce", "tty", "resizePolicy", "restartPolicy"])
        return c
    }

    func stringList(_ v: JSONValue?, path: String) throws -> [String] {
        guard let v else { return [] }
        guard let a = v.array else { throw fail(path, "invalid type for \(path): got \"\(typeName(v))\", expected \"array\"") }
        return try a.enumerated().map { i, x in
            guard let s = x.scalarText else { throw fail("\(path)[\(i)]", "invalid type: expected \"string\"") }
            return s
        }
    }

    /// A probe: exactly one handler, thresholds defaulted as upstream.
    func probe(_ v: JSONValue?, path: String) throws -> Probe? {
        guard let v else { return nil }
        var handlers: [Probe.Handler] = []
        if let h = v["httpGet"] {
            guard let port = h["port"]?.scalarText else { throw fail("\(path).httpGet", "missing required field \"port\" in io.k8s.api.core.v1.HTTPGetAction") }
            handlers.append(.httpGet(path: h["path"]?.string ?? "/", port: port, scheme: h["scheme"]?.string ?? "HTTP"))
        }
        if let h = v["tcpSocket"] {
            guard let port = h["port"]?.scalarText else { throw fail("\(path).tcpSocket", "missing required field \"port\" in io.k8s.api.core.v1.TCPSocketAction") }
            handlers.append(.tcpSocket(port: port))
        }
        if let h = v["exec"] { handlers.append(.exec(try stringList(h["command"], path: "\(path).exec.command"))) }
        guard handlers.count == 1 else {
            let msg = handlers.isEmpty ? "must specify a handler type" : "may not specify more than 1 handler type"
            throw ManifestError(message: "The request is invalid: \(path): \(handlers.isEmpty ? "Required value" : "Forbidden"): \(msg)")
        }
        var p = Probe(handler: handlers[0])
        func field(_ k: String, _ dflt: Int, min lo: Int) throws -> Int {
            guard let x = try int(v[k], path: "\(path).\(k)") else { return dflt }
            guard x >= lo else { throw ManifestError(message: "The request is invalid: \(path).\(k): Invalid value: \(x): must be greater than or equal to \(lo)") }
            return x
        }
        p.initialDelaySeconds = try field("initialDelaySeconds", 0, min: 0)
        p.periodSeconds = try field("periodSeconds", 10, min: 1)
        p.timeoutSeconds = try field("timeoutSeconds", 1, min: 1)
        p.successThreshold = try field("successThreshold", 1, min: 1)
        p.failureThreshold = try field("failureThreshold", 3, min: 1)
        return p
    }

    mutating func volume(_ v: JSONValue, path: String) throws -> Volume {
        guard let name = v["name"]?.string else { throw fail(path, "missing required field \"name\" in io.k8s.api.core.v1.Volume") }
        func items(_ x: JSONValue?) -> [KeyToPath] {
            (x?.array ?? []).compactMap { i in i["key"]?.string.map { KeyToPath(key: $0, path: i["path"]?.string ?? $0) } }
        }
        if let e = v["emptyDir"] { return Volume(name: name, source: .emptyDir(medium: e["medium"]?.string)) }
        if let c = v["configMap"] {
            return Volume(name: name, source: .configMap(name: c["name"]?.string ?? "", items: items(c["items"]), optional: c["optional"]?.bool ?? false))
        }
        if let c = v["secret"] {
            return Volume(name: name, source: .secret(name: c["secretName"]?.string ?? "", items: items(c["items"]), optional: c["optional"]?.bool ?? false))
        }
        if let c = v["persistentVolumeClaim"], let claim = c["claimName"]?.string {
            return Volume(name: name, source: .persistentVolumeClaim(claimName: claim, readOnly: c["readOnly"]?.bool ?? false))
        }
        if let c = v["hostPath"], let p = c["path"]?.string { return Volume(name: name, source: .hostPath(path: p)) }
        let kinds = (v.pairs ?? []).map(\.0).filter { $0 != "name" }
        throw ManifestError(message: "The request is invalid: \(path): \(kinds.isEmpty ? "Required value: must specify a volume type" : "Unsupported value: volume type \"\(kinds[0])\" is not simulated; use emptyDir, configMap, secret, persistentVolumeClaim or hostPath")")
    }

    mutating func podSpec(_ v: JSONValue?, path: String) throws -> PodSpec {
        guard let v else { throw fail(path, "missing required field \"containers\"") }
        guard let list = v["containers"]?.array else { throw fail(path, "missing required field \"containers\" in io.k8s.api.core.v1.PodSpec") }
        var spec = PodSpec(containers: try list.enumerated().map { try container($0.element, path: "\(path).containers[\($0.offset)]") })
        spec.nodeName = v["nodeName"]?.string
        spec.nodeSelector = try strings(v["nodeSelector"], path: "\(path).nodeSelector")
        if let r = v["restartPolicy"]?.string { spec.restartPolicy = r }
        if let g = try int(v["terminationGracePeriodSeconds"], path: "\(path).terminationGracePeriodSeconds") { spec.terminationGracePeriodSeconds = Int64(g) }
        if let s = v["schedulerName"]?.string { spec.schedulerName = s }
        if let s = v["serviceAccountName"]?.string { spec.serviceAccountName = s }
        for t in v["tolerations"]?.array ?? [] {
            spec.tolerations.append(Toleration(key: t["key"]?.string, operator: t["operator"]?.string ?? "Equal", value: t["value"]?.scalarText,
                                               effect: t["effect"]?.string, tolerationSeconds: (t["tolerationSeconds"]?.int).map(Int64.init)))
        }
        if let a = v["affinity"] { spec.affinity = try affinity(a, path: "\(path).affinity") }
        for (i, t) in (v["topologySpreadConstraints"]?.array ?? []).enumerated() {
            let p = "\(path).topologySpreadConstraints[\(i)]"
            guard let skew = try int(t["maxSkew"], path: "\(p).maxSkew"), let key = t["topologyKey"]?.string else {
                throw fail(p, "missing required field \"maxSkew\" or \"topologyKey\"")
            }
            spec.topologySpreadConstraints.append(TopologySpreadConstraint(maxSkew: skew, topologyKey: key, whenUnsatisfiable: t["whenUnsatisfiable"]?.string ?? "DoNotSchedule",
                                                                           labelSelector: try selector(t["labelSelector"], path: "\(p).labelSelector")))
        }
        if let p = v["dnsPolicy"]?.string { spec.dnsPolicy = p }
        spec.initContainers = try (v["initContainers"]?.array ?? []).enumerated().map { try container($0.element, path: "\(path).initContainers[\($0.offset)]") }
        spec.volumes = try (v["volumes"]?.array ?? []).enumerated().map { try volume($0.element, path: "\(path).volumes[\($0.offset)]") }
        spec.activeDeadlineSeconds = try int(v["activeDeadlineSeconds"], path: "\(path).activeDeadlineSeconds").map(Int64.init)
        spec.hostname = v["hostname"]?.string
        spec.subdomain = v["subdomain"]?.string
        checkUnknown(v, known: ["containers", "nodeName", "nodeSelector", "restartPolicy", "terminationGracePeriodSeconds", "schedulerName",
                                "serviceAccountName", "tolerations", "affinity", "topologySpreadConstraints", "dnsPolicy",
                                "initContainers", "volumes", "activeDeadlineSeconds", "hostname", "subdomain"], path: path,
                     unmodelled: ["securityContext", "hostNetwork", "hostPID", "hostIPC", "priorityClassName", "priority",
                                  "serviceAccount", "automountServiceAccountToken", "imagePullSecrets", "dnsConfig",
                                  "hostAliases", "enableServiceLinks", "shareProcessNamespace", "runtimeClassName",
                                  "preemptionPolicy", "overhead", "readinessGates", "ephemeralContainers", "os", "setHostnameAsFQDN"])
        return spec
    }

    mutating func template(_ v: JSONValue?, path: String) throws -> PodTemplateSpec {
        let meta = try metadata(v?["metadata"], path: "\(path).metadata")
        var t = PodTemplateSpec(labels: meta.labels, spec: try podSpec(v?["spec"], path: "\(path).spec"))
        t.annotations = meta.annotations
        return t
    }

    mutating func affinity(_ v: JSONValue, path: String) throws -> Affinity {
        var a = Affinity()
        func terms(_ v: JSONValue?) -> [NodeSelectorTerm] {
            (v?.array ?? []).map { t in
                NodeSelectorTerm(matchExpressions: (t["matchExpressions"]?.array ?? []).map {
                    NodeSelectorRequirement(key: $0["key"]?.string ?? "", operator: $0["operator"]?.string ?? "In", values: ($0["values"]?.array ?? []).compactMap(\.scalarText))
                }, matchFields: (t["matchFields"]?.array ?? []).map {
                    NodeSelectorRequirement(key: $0["key"]?.string ?? "", operator: $0["operator"]?.string ?? "In", values: ($0["values"]?.array ?? []).compactMap(\.scalarText))
                })
            }
        }
        if let na = v["nodeAffinity"] {
            a.nodeRequired = terms(na["requiredDuringSchedulingIgnoredDuringExecution"]?["nodeSelectorTerms"])
            a.nodePreferred = (na["preferredDuringSchedulingIgnoredDuringExecution"]?.array ?? []).map {
                PreferredSchedulingTerm(weight: $0["weight"]?.int ?? 1, preference: terms(.array([$0["preference"] ?? .null])).first ?? NodeSelectorTerm(matchExpressions: []))
            }
        }
        if let pa = v["podAffinity"] {
            a.podAffinityRequired = try podTerms(pa["requiredDuringSchedulingIgnoredDuringExecution"], "\(path).podAffinity.requiredDuringSchedulingIgnoredDuringExecution")
            a.podAffinityPreferred = try weighted(pa["preferredDuringSchedulingIgnoredDuringExecution"], "\(path).podAffinity.preferredDuringSchedulingIgnoredDuringExecution")
        }
        if let pa = v["podAntiAffinity"] {
            a.podAntiAffinityRequired = try podTerms(pa["requiredDuringSchedulingIgnoredDuringExecution"], "\(path).podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution")
            a.podAntiAffinityPreferred = try weighted(pa["preferredDuringSchedulingIgnoredDuringExecution"], "\(path).podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution")
        }
        return a
    }

    mutating func podTerms(_ v: JSONValue?, _ p: String) throws -> [PodAffinityTerm] {
        try (v?.array ?? []).enumerated().map { i, t in
            guard let key = t["topologyKey"]?.string else { throw fail("\(p)[\(i)]", "missing required field \"topologyKey\"") }
            var term = PodAffinityTerm(labelSelector: try selector(t["labelSelector"], path: "\(p)[\(i)].labelSelector"), topologyKey: key)
            term.namespaces = (t["namespaces"]?.array ?? []).compactMap(\.string)
            return term
        }
    }
    mutating func weighted(_ v: JSONValue?, _ p: String) throws -> [WeightedPodAffinityTerm] {
        try (v?.array ?? []).enumerated().map { i, w in
            WeightedPodAffinityTerm(weight: w["weight"]?.int ?? 1, term: try podTerms(.array([w["podAffinityTerm"] ?? .null]), "\(p)[\(i)].podAffinityTerm").first!)
        }
    }

    func quantities(_ v: JSONValue?, path: String) throws -> [String: Quantity] {
        var out: [String: Quantity] = [:]
        for (k, text) in try strings(v, path: path) {
            guard let q = Quantity(parsing: text) else {
                throw ManifestError(message: "error: error parsing \(source): quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' (\(path).\(k): \"\(text)\")")
            }
            out[k] = q
        }
        return out
    }

    func rules(_ v: JSONValue?) throws -> [PolicyRule] {
        try (v?.array ?? []).enumerated().map { i, r in
            let verbs = (r["verbs"]?.array ?? []).compactMap(\.string)
            if verbs.isEmpty { throw fail("rules[\(i)]", "missing required field \"verbs\" in io.k8s.api.rbac.v1.PolicyRule") }
            return PolicyRule(apiGroups: (r["apiGroups"]?.array ?? []).compactMap(\.string), resources: (r["resources"]?.array ?? []).compactMap(\.string),
                              verbs: verbs, resourceNames: (r["resourceNames"]?.array ?? []).compactMap(\.string))
        }
    }

    mutating func binding(_ doc: JSONValue) throws -> RoleBinding {
        guard let ref = doc["roleRef"], let kind = ref["kind"]?.string, let name = ref["name"]?.string else {
            throw fail("", "missing required field \"roleRef\" in io.k8s.api.rbac.v1.RoleBinding")
        }
        let subjects = (doc["subjects"]?.array ?? []).map { Subject(kind: $0["kind"]?.string ?? "", name: $0["name"]?.string ?? "", namespace: $0["namespace"]?.string) }
        return RoleBinding(metadata: try metadata(doc["metadata"], path: "metadata"), roleKind: kind, roleName: name, subjects: subjects)
    }

    mutating func service(_ doc: JSONValue) throws -> Service {
        let spec = doc["spec"]
        var s = ServiceSpec()
        if let t = spec?["type"]?.string { s.type = t }
        s.selector = try strings(spec?["selector"], path: "spec.selector")
        s.clusterIP = spec?["clusterIP"]?.string
        if let a = spec?["sessionAffinity"]?.string { s.sessionAffinity = a }
        s.externalTrafficPolicy = spec?["externalTrafficPolicy"]?.string
        s.loadBalancerIP = spec?["loadBalancerIP"]?.string
        s.externalIPs = (spec?["externalIPs"]?.array ?? []).compactMap(\.string)
        s.internalTrafficPolicy = spec?["internalTrafficPolicy"]?.string
        s.sessionAffinityTimeout = try int(spec?["sessionAffinityConfig"]?["clientIP"]?["timeoutSeconds"], path: "spec.sessionAffinityConfig.clientIP.timeoutSeconds")
        s.loadBalancerSourceRanges = (spec?["loadBalancerSourceRanges"]?.array ?? []).compactMap(\.string)
        s.healthCheckNodePort = try int(spec?["healthCheckNodePort"], path: "spec.healthCheckNodePort")
        for (i, p) in (spec?["ports"]?.array ?? []).enumerated() {
            guard let port = try int(p["port"], path: "spec.ports[\(i)].port") else { throw fail("spec.ports[\(i)]", "missing required field \"port\" in io.k8s.api.core.v1.ServicePort") }
            var sp = ServicePort(name: p["name"]?.string, port: port, targetPort: p["targetPort"]?.scalarText, nodePort: try int(p["nodePort"], path: "spec.ports[\(i)].nodePort"))
            if let proto = p["protocol"]?.string { sp.protocol = proto }
            s.ports.append(sp)
        }
        checkUnknown(spec, known: ["type", "selector", "ports", "clusterIP", "sessionAffinity", "externalTrafficPolicy", "loadBalancerIP", "externalIPs",
                                   "internalTrafficPolicy", "sessionAffinityConfig", "loadBalancerSourceRanges", "healthCheckNodePort"], path: "spec",
                     unmodelled: ["externalName", "publishNotReadyAddresses", "allocateLoadBalancerNodePorts", "loadBalancerClass"],
                     ignored: ["clusterIPs", "ipFamilies", "ipFamilyPolicy"])
        return Service(metadata: try metadata(doc["metadata"], path: "metadata"), spec: s)
    }

    mutating func pod(_ doc: JSONValue) throws -> Pod {
        Pod(metadata: try metadata(doc["metadata"], path: "metadata"), spec: try podSpec(doc["spec"], path: "spec"))
    }

    mutating func replicaSet(_ doc: JSONValue) throws -> ReplicaSet {
        let spec = doc["spec"]
        var s = ReplicaSetSpec(replicas: try int(spec?["replicas"], path: "spec.replicas") ?? 1,
                               selector: try selector(spec?["selector"], path: "spec.selector"),
                               template: try template(spec?["template"], path: "spec.template"))
        s.minReadySeconds = try int(spec?["minReadySeconds"], path: "spec.minReadySeconds") ?? 0
        checkUnknown(spec, known: ["replicas", "selector", "template", "minReadySeconds"], path: "spec")
        return ReplicaSet(metadata: try metadata(doc["metadata"], path: "metadata"), spec: s)
    }

    mutating func jobSpec(_ spec: JSONValue?, path: String) throws -> JobSpec {
        var j = JobSpec(template: try template(spec?["template"], path: "\(path).template"))
        if let v = spec?["parallelism"] { j.parallelism = try int(v, path: "\(path).parallelism") }
        if let v = spec?["completions"] { j.completions = try int(v, path: "\(path).completions") }
        if spec?["completions"] == nil && spec?["parallelism"] != nil { j.completions = nil }
        if spec?["completions"] == nil && spec?["parallelism"] == nil { j.completions = 1 }
        j.backoffLimit = try int(spec?["backoffLimit"], path: "\(path).backoffLimit") ?? 6
        j.activeDeadlineSeconds = try int(spec?["activeDeadlineSeconds"], path: "\(path).activeDeadlineSeconds").map(Int64.init)
        if let m = spec?["completionMode"]?.string {
            guard ["NonIndexed", "Indexed"].contains(m) else { throw fail("\(path).completionMode", "Unsupported value: \"\(m)\": supported values: \"NonIndexed\", \"Indexed\"") }
            j.completionMode = m
        }
        j.suspend = spec?["suspend"]?.bool ?? false
        j.ttlSecondsAfterFinished = try int(spec?["ttlSecondsAfterFinished"], path: "\(path).ttlSecondsAfterFinished")
        j.manualSelector = spec?["manualSelector"]?.bool ?? false
        if j.manualSelector { j.selector = try selector(spec?["selector"], path: "\(path).selector") }
        checkUnknown(spec, known: ["parallelism", "completions", "backoffLimit", "activeDeadlineSeconds", "completionMode", "suspend", "ttlSecondsAfterFinished",
                                   "manualSelector", "selector", "template"], path: path,
                     unmodelled: ["podFailurePolicy", "backoffLimitPerIndex", "maxFailedIndexes", "podReplacementPolicy", "successPolicy", "managedBy"])
        return j
    }

    mutating func cronJob(_ doc: JSONValue) throws -> CronJob {
        let spec = doc["spec"]
        guard let schedule = spec?["schedule"]?.string else { throw fail("spec", "missing required field \"schedule\" in io.k8s.api.batch.v1.CronJobSpec") }
        let jt = spec?["jobTemplate"]
        var s = CronJobSpec(schedule: schedule, jobTemplate: try jobSpec(jt?["spec"], path: "spec.jobTemplate.spec"))
        let jm = try metadata(jt?["metadata"], path: "spec.jobTemplate.metadata")
        s.jobLabels = jm.labels
        s.jobAnnotations = jm.annotations
        s.timeZone = spec?["timeZone"]?.string
        if let p = spec?["concurrencyPolicy"]?.string { s.concurrencyPolicy = p }
        s.suspend = spec?["suspend"]?.bool ?? false
        s.startingDeadlineSeconds = try int(spec?["startingDeadlineSeconds"], path: "spec.startingDeadlineSeconds").map(Int64.init)
        s.successfulJobsHistoryLimit = try int(spec?["successfulJobsHistoryLimit"], path: "spec.successfulJobsHistoryLimit") ?? 3
        s.failedJobsHistoryLimit = try int(spec?["failedJobsHistoryLimit"], path: "spec.failedJobsHistoryLimit") ?? 1
        checkUnknown(spec, known: ["schedule", "jobTemplate", "timeZone", "concurrencyPolicy", "suspend", "startingDeadlineSeconds",
                                   "successfulJobsHistoryLimit", "failedJobsHistoryLimit"], path: "spec")
        return CronJob(metadata: try metadata(doc["metadata"], path: "metadata"), spec: s)
    }

    mutating func daemonSet(_ doc: JSONValue) throws -> DaemonSet {
        let spec = doc["spec"]
        var s = DaemonSetSpec(selector: try selector(spec?["selector"], path: "spec.selector"), template: try template(spec?["template"], path: "spec.template"))
        if let us = spec?["updateStrategy"] {
            if let t = us["type"]?.string {
                guard ["RollingUpdate", "OnDelete"].contains(t) else { throw fail("spec.updateStrategy.type", "Unsupported value: \"\(t)\": supported values: \"OnDelete\", \"RollingUpdate\"") }
                s.updateStrategy = t
            }
            if let v = us["rollingUpdate"]?["maxUnavailable"]?.scalarText, let x = IntOrPercent(parsing: v) { s.maxUnavailable = x }
            if let v = us["rollingUpdate"]?["maxSurge"]?.scalarText, let x = IntOrPercent(parsing: v) { s.maxSurge = x }
        }
        s.minReadySeconds = try int(spec?["minReadySeconds"], path: "spec.minReadySeconds") ?? 0
        s.revisionHistoryLimit = try int(spec?["revisionHistoryLimit"], path: "spec.revisionHistoryLimit") ?? 10
        checkUnknown(spec, known: ["selector", "template", "updateStrategy", "minReadySeconds", "revisionHistoryLimit"], path: "spec")
        return DaemonSet(metadata: try metadata(doc["metadata"], path: "metadata"), spec: s)
    }

    mutating func statefulSet(_ doc: JSONValue) throws -> StatefulSet {
        let spec = doc["spec"]
        var s = StatefulSetSpec(selector: try selector(spec?["selector"], path: "spec.selector"), serviceName: spec?["serviceName"]?.string ?? "",
                                template: try template(spec?["template"], path: "spec.template"))
        s.replicas = try int(spec?["replicas"], path: "spec.replicas") ?? 1
        if let p = spec?["podManagementPolicy"]?.string {
            guard ["OrderedReady", "Parallel"].contains(p) else { throw fail("spec.podManagementPolicy", "Unsupported value: \"\(p)\": supported values: \"OrderedReady\", \"Parallel\"") }
            s.podManagementPolicy = p
        }
        if let us = spec?["updateStrategy"] {
            if let t = us["type"]?.string { s.updateStrategy = t }
            s.partition = try int(us["rollingUpdate"]?["partition"], path: "spec.updateStrategy.rollingUpdate.partition") ?? 0
        }
        for (i, t) in (spec?["volumeClaimTemplates"]?.array ?? []).enumerated() {
            guard let name = t["metadata"]?["name"]?.string else { throw fail("spec.volumeClaimTemplates[\(i)].metadata", "missing required field \"name\"") }
            let storage = t["spec"]?["resources"]?["requests"]?["storage"]?.scalarText ?? "1Gi"
            let modes = (t["spec"]?["accessModes"]?.array ?? []).compactMap(\.string)
            s.volumeClaimTemplates.append(ClaimTemplate(name: name, storage: storage, accessModes: modes.isEmpty ? ["ReadWriteOnce"] : modes,
                                                        storageClassName: t["spec"]?["storageClassName"]?.string))
        }
        s.minReadySeconds = try int(spec?["minReadySeconds"], path: "spec.minReadySeconds") ?? 0
        s.revisionHistoryLimit = try int(spec?["revisionHistoryLimit"], path: "spec.revisionHistoryLimit") ?? 10
        checkUnknown(spec, known: ["selector", "template", "serviceName", "replicas", "podManagementPolicy", "updateStrategy", "volumeClaimTemplates",
                                   "minReadySeconds", "revisionHistoryLimit"], path: "spec", unmodelled: ["persistentVolumeClaimRetentionPolicy", "ordinals"])
        return StatefulSet(metadata: try metadata(doc["metadata"], path: "metadata"), spec: s)
    }

    mutating func deployment(_ doc: JSONValue) throws -> Deployment {
        let spec = doc["spec"]
        var s = DeploymentSpec(replicas: try int(spec?["replicas"], path: "spec.replicas") ?? 1,
                               selector: try selector(spec?["selector"], path: "spec.selector"),
                               template: try template(spec?["template"], path: "spec.template"))
        if let st = spec?["strategy"] {
            if let t = st["type"]?.string {
                guard ["RollingUpdate", "Recreate"].contains(t) else {
                    throw fail("spec.strategy.type", "Unsupported value: \"\(t)\": supported values: \"Recreate\", \"RollingUpdate\"")
                }
                s.strategy.type = t
            }
            if let ru = st["rollingUpdate"] {
                if let v = ru["maxSurge"]?.scalarText {
                    guard let x = IntOrPercent(parsing: v) else { throw fail("spec.strategy.rollingUpdate.maxSurge", "invalid value \"\(v)\"") }
                    s.strategy.maxSurge = x
                }
                if let v = ru["maxUnavailable"]?.scalarText {
                    guard let x = IntOrPercent(parsing: v) else { throw fail("spec.strategy.rollingUpdate.maxUnavailable", "invalid value \"\(v)\"") }
                    s.strategy.maxUnavailable = x
                }
            }
        }
        s.minReadySeconds = try int(spec?["minReadySeconds"], path: "spec.minReadySeconds") ?? 0
        s.revisionHistoryLimit = try int(spec?["revisionHistoryLimit"], path: "spec.revisionHistoryLimit") ?? 10
        s.progressDeadlineSeconds = try int(spec?["progressDeadlineSeconds"], path: "spec.progressDeadlineSeconds") ?? 600
        s.paused = spec?["paused"]?.bool ?? false
        checkUnknown(spec, known: ["replicas", "selector", "template", "strategy", "minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds", "paused"], path: "spec")
        return Deployment(metadata: try metadata(doc["metadata"], path: "metadata"), spec: s)
    }
}
