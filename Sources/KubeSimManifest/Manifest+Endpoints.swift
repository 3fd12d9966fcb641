import KubeSimAPI

/// core/v1 Endpoints in and out (k8s.io/api/core/v1 types.go: EndpointSubset,
/// EndpointAddress, EndpointPort; every field omitempty, so an Endpoints without
/// addresses has no `subsets` at all).
extension ObjectDecoder {
    mutating func endpoints(_ doc: JSONValue) throws -> Endpoints {
        var e = Endpoints(metadata: try metadata(doc["metadata"], path: "metadata"))
        for (i, s) in (doc["subsets"]?.array ?? []).enumerated() {
            func addresses(_ key: String) throws -> [EndpointAddress] {
                try (s[key]?.array ?? []).enumerated().map { j, a in
                    guard let ip = a["ip"]?.string else { throw fail("subsets[\(i)].\(key)[\(j)]", "missing required field \"ip\" in io.k8s.api.core.v1.EndpointAddress") }
                    var address = EndpointAddress(ip: ip, hostname: a["hostname"]?.string, nodeName: a["nodeName"]?.string)
                    if let r = a["targetRef"] {
                        address.targetRef = ObjectReference(kind: r["kind"]?.string ?? "", namespace: r["namespace"]?.string, name: r["name"]?.string ?? "", uid: r["uid"]?.string ?? "")
                    }
                    return address
                }
            }
            var subset = EndpointSubset(addresses: try addresses("addresses"), notReadyAddresses: try addresses("notReadyAddresses"))
            for (j, p) in (s["ports"]?.array ?? []).enumerated() {
                let port = try int(p["port"], path: "subsets[\(i)].ports[\(j)].port")
                // SetDefaults_EndpointPort: protocol TCP.
                subset.ports.append(EndpointPort(name: p["name"]?.string, port: port, protocol: p["protocol"]?.string ?? "TCP"))
            }
            e.subsets.append(subset)
        }
        return e
    }
}

extension ManifestEncoder {
    /// `subsets`, as `kubectl get endpoints NAME -o yaml` prints them.
    static func subsets(_ e: Endpoints) -> JSONValue {
        func address(_ a: EndpointAddress) -> JSONValue {
            var x = ObjectBuilder()
            x.add("hostname", a.hostname)
            x.addAlways("ip", .string(a.ip))
            x.add("nodeName", a.nodeName)
            if let r = a.targetRef {
                var t = ObjectBuilder()
                t.add("kind", r.kind); t.add("name", r.name); t.add("namespace", r.namespace); t.add("uid", r.uid)
                x.add("targetRef", t.value)
            }
            return x.value
        }
        return .array(e.subsets.map { s in
            var x = ObjectBuilder()
            x.add("addresses", .array(s.addresses.map(address)))
            x.add("notReadyAddresses", .array(s.notReadyAddresses.map(address)))
            x.add("ports", .array(s.ports.map { p in
                var y = ObjectBuilder()
                y.add("name", p.name)
                y.addAlways("port", .int(Int64(p.port ?? 0)))
                y.add("protocol", p.protocol)
                return y.value
            }))
            return x.value
        })
    }
}
