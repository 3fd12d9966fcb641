import KubeSimAPI

extension ObjectDecoder {
    /// networking.k8s.io/v1 NetworkPolicy: pod selector, policy types, ingress `from` and
    /// egress `to` rules with their peers and ports.
    mutating func networkPolicy(_ doc: JSONValue) throws -> NetworkPolicy {
        let spec = doc["spec"]
        var s = NetworkPolicySpec()
        s.podSelector = try selector(spec?["podSelector"], path: "spec.podSelector")
        s.policyTypes = (spec?["policyTypes"]?.array ?? []).compactMap(\.scalarText)
        s.ingress = try policyRules(spec?["ingress"], peerKey: "from", path: "spec.ingress")
        s.egress = try policyRules(spec?["egress"], peerKey: "to", path: "spec.egress")
        checkUnknown(spec, known: ["podSelector", "policyTypes", "ingress", "egress"], path: "spec")
        return NetworkPolicy(metadata: try metadata(doc["metadata"], path: "metadata"), spec: s)
    }

    mutating func policyRules(_ v: JSONValue?, peerKey: String, path: String) throws -> [NetworkPolicyRule] {
        var rules: [NetworkPolicyRule] = []
        for (i, r) in (v?.array ?? []).enumerated() {
            var rule = NetworkPolicyRule()
            for (j, p) in (r[peerKey]?.array ?? []).enumerated() {
                let at = "\(path)[\(i)].\(peerKey)[\(j)]"
                var peer = NetworkPolicyPeer()
                if let ps = p["podSelector"] { peer.podSelector = try selector(ps, path: "\(at).podSelector") }
                if let ns = p["namespaceSelector"] { peer.namespaceSelector = try selector(ns, path: "\(at).namespaceSelector") }
                if let b = p["ipBlock"] {
                    peer.ipBlock = IPBlock(cidr: b["cidr"]?.string ?? "", except: (b["except"]?.array ?? []).compactMap(\.string))
                    checkUnknown(b, known: ["cidr", "except"], path: "\(at).ipBlock")
                }
                checkUnknown(p, known: ["podSelector", "namespaceSelector", "ipBlock"], path: at)
                rule.peers.append(peer)
            }
            for (j, p) in (r["ports"]?.array ?? []).enumerated() {
                let at = "\(path)[\(i)].ports[\(j)]"
                var port = NetworkPolicyPort()
                if let proto = p["protocol"]?.string { port.proto = proto }
                switch p["port"] {
                case .int(let n)?: port.port = .number(Int(n))
                case .string(let name)?: port.port = Int(name).map { .number($0) } ?? .name(name)
                case nil, .null?: break
                case let other?: throw fail("\(at).port", "invalid type for \(at).port: got \"\(typeName(other))\", expected \"integer or string\"")
                }
                port.endPort = try int(p["endPort"], path: "\(at).endPort")
                checkUnknown(p, known: ["protocol", "port", "endPort"], path: at)
                rule.ports.append(port)
            }
            checkUnknown(r, known: [peerKey, "ports"], path: "\(path)[\(i)]")
            rules.append(rule)
        }
        return rules
    }
}

extension ManifestEncoder {
    /// A NetworkPolicy's spec as the API server returns it: keys in order, the pod
    /// selector always present (`{}` when empty), a rule with neither peers nor ports `{}`.
    static func networkPolicySpec(_ s: NetworkPolicySpec) -> JSONValue {
        func rules(_ rs: [NetworkPolicyRule], _ peerKey: String) -> JSONValue {
            .array(rs.map { r in
                var x = ObjectBuilder()
                let peers = JSONValue.array(r.peers.map { p in
                    var y = ObjectBuilder()
                    if let b = p.ipBlock {
                        var z = ObjectBuilder()
                        z.add("cidr", b.cidr)
                        z.add("except", .array(b.except.map { .string($0) }))
                        y.addAlways("ipBlock", z.value)
                    }
                    if let n = p.namespaceSelector { y.addAlways("namespaceSelector", selector(n)) }
                    if let ps = p.podSelector { y.addAlways("podSelector", selector(ps)) }
                    return y.value
                })
                let ports = JSONValue.array(r.ports.map { p in
                    var y = ObjectBuilder()
                    if let e = p.endPort { y.addAlways("endPort", .int(Int64(e))) }
                    switch p.port {
                    case .number(let n)?: y.addAlways("port", .int(Int64(n)))
                    case .name(let name)?: y.addAlways("port", .string(name))
                    case nil: break
                    }
                    y.add("protocol", p.proto)
                    return y.value
                })
                if peerKey == "from" { x.add("from", peers); x.add("ports", ports) } else { x.add("ports", ports); x.add("to", peers) }
                return x.value
            })
        }
        var b = ObjectBuilder()
        b.add("egress", rules(s.egress, "to"))
        b.add("ingress", rules(s.ingress, "from"))
        b.addAlways("podSelector", selector(s.podSelector))
        b.add("policyTypes", .array(s.policyTypes.map { .string($0) }))
        return b.value
    }
}
