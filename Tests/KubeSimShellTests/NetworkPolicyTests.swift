import Testing
import KubeScript
import KubeSimShell

/// NetworkPolicy enforced by the CNI's policy agent, measured through the datapath with
/// `netpol matrix`. The model is the upstream e2e suite's (test/e2e/network/netpol):
/// namespaces x, y, z labelled ns=NAME, pods a, b, c labelled pod=NAME serving port 80;
/// each expected table is the one upstream's test for the same policy expects.
@Suite("NetworkPolicy: enforcement and the reachability matrix")
struct NetworkPolicyTests {
    static func model(_ cni: String) -> String {
        var s = "cluster nodes=2 cni=\(cni)\n"
        for ns in ["x", "y", "z"] {
            s += "create namespace \(ns)\nlabel namespace \(ns) ns=\(ns)\n"
            for p in ["a", "b", "c"] { s += "run \(p) -n \(ns) --image=nginx:1.25 --labels=pod=\(p)\n" }
        }
        return s + "settle\n"
    }

    static let header = "-\tx/a\tx/b\tx/c\ty/a\ty/b\ty/c\tz/a\tz/b\tz/c"

    /// Rows from nine strings of nine marks each; a pod always reaches itself (upstream's
    /// Reachability.AllowLoopback: "loopback logic follows no policy" — the packet never
    /// leaves the pod's network namespace).
    static func table(_ rows: [String]) -> String {
        let names = ["x/a", "x/b", "x/c", "y/a", "y/b", "y/c", "z/a", "z/b", "z/c"]
        return ([header] + zip(names, rows).enumerated().map { i, nr in
            ([nr.0] + nr.1.enumerated().map { j, c in j == i ? "." : String(c) }).joined(separator: "\t")
        }).joined(separator: "\n")
    }

    static func matrix(_ cni: String, _ policy: String) -> (out: String, err: String) {
        WaitTests.run(model(cni) + "apply -f - <<EOF\n" + policy + "EOF\ntick 1s\nnetpol matrix\n")
    }

    static let allowAll = Array(repeating: ".........", count: 9)

    @Test("no policy: every pod reaches every pod", arguments: ["calico", "weave", "flannel"])
    func noPolicy(cni: String) {
        let r = WaitTests.run(Self.model(cni) + "netpol matrix\n")
        #expect(r.err == "")
        #expect(r.out.hasSuffix(Self.table(Self.allowAll) + "\n"))
    }

    static let denyIngressX = """
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata:
      name: deny-ingress
      namespace: x
    spec:
      podSelector: {}
      policyTypes: ["Ingress"]

    """

    /// "should support a 'default-deny-ingress' policy": nothing reaches x's pods.
    @Test("default deny ingress isolates the namespace's pods", arguments: ["calico", "weave"])
    func defaultDenyIngress(cni: String) {
        let r = Self.matrix(cni, Self.denyIngressX)
        #expect(r.err == "")
        #expect(r.out.hasSuffix(Self.table(Array(repeating: "XXX......", count: 9)) + "\n"))
    }

    /// "should support a 'default-deny-all' policy" for egress: x's pods reach nothing.
    @Test("default deny egress: the namespace's pods reach nothing", arguments: ["calico", "weave"])
    func defaultDenyEgress(cni: String) {
        let r = Self.matrix(cni, """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: deny-egress
          namespace: x
        spec:
          podSelector: {}
          policyTypes: ["Egress"]

        """)
        #expect(r.err == "")
        #expect(r.out.hasSuffix(Self.table(["XXXXXXXXX", "XXXXXXXXX", "XXXXXXXXX"] + Array(repeating: ".........", count: 6)) + "\n"))
    }

    /// "should enforce policy to allow traffic from pods within server namespace based on PodSelector".
    @Test("ingress from a pod selector: only x/b reaches x/a", arguments: ["calico", "weave"])
    func podSelector(cni: String) {
        let r = Self.matrix(cni, """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: allow-x-b
          namespace: x
        spec:
          podSelector:
            matchLabels:
              pod: a
          ingress:
          - from:
            - podSelector:
                matchLabels:
                  pod: b

        """)
        #expect(r.err == "")
        #expect(r.out.hasSuffix(Self.table(["X........", ".........", "X........", "X........", "X........", "X........", "X........", "X........", "X........"]) + "\n"))
    }

    /// "should enforce policy based on NamespaceSelector with MatchExpressions": from y only.
    @Test("ingress from a namespace selector: only y's pods reach x/a", arguments: ["calico", "weave"])
    func namespaceSelector(cni: String) {
        let r = Self.matrix(cni, """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: allow-ns-y
          namespace: x
        spec:
          podSelector:
            matchLabels:
              pod: a
          ingress:
          - from:
            - namespaceSelector:
                matchExpressions:
                - key: ns
                  operator: In
                  values: ["y"]

        """)
        #expect(r.err == "")
        #expect(r.out.hasSuffix(Self.table(["X........", "X........", "X........", ".........", ".........", ".........", "X........", "X........", "X........"]) + "\n"))
    }

    /// "should enforce policy based on PodSelector and NamespaceSelector": both in one peer
    /// (AND) admit y/b only; as two peers (OR) they admit y's pods and every pod b of x.
    @Test("one peer with both selectors is AND, two peers are OR")
    func andVersusOr() {
        let and = Self.matrix("calico", """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: and
          namespace: x
        spec:
          podSelector:
            matchLabels:
              pod: a
          ingress:
          - from:
            - namespaceSelector:
                matchLabels:
                  ns: y
              podSelector:
                matchLabels:
                  pod: b

        """)
        #expect(and.err == "")
        #expect(and.out.hasSuffix(Self.table(["X........", "X........", "X........", "X........", ".........", "X........", "X........", "X........", "X........"]) + "\n"))
        let or = Self.matrix("calico", """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: or
          namespace: x
        spec:
          podSelector:
            matchLabels:
              pod: a
          ingress:
          - from:
            - namespaceSelector:
                matchLabels:
                  ns: y
            - podSelector:
                matchLabels:
                  pod: b

        """)
        #expect(or.err == "")
        #expect(or.out.hasSuffix(Self.table(["X........", ".........", "X........", ".........", ".........", ".........", "X........", "X........", "X........"]) + "\n"))
    }

    /// Policies add up: two policies selecting x/a, one admitting x/b and one y/c.
    @Test("stacked policies are a union")
    func stacked() {
        let r = Self.matrix("calico", """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: from-b
          namespace: x
        spec:
          podSelector:
            matchLabels:
              pod: a
          ingress:
          - from:
            - podSelector:
                matchLabels:
                  pod: b
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: from-y-c
          namespace: x
        spec:
          podSelector:
            matchLabels:
              pod: a
          ingress:
          - from:
            - namespaceSelector:
                matchLabels:
                  ns: y
              podSelector:
                matchLabels:
                  pod: c

        """)
        #expect(r.err == "")
        #expect(r.out.hasSuffix(Self.table(["X........", ".........", "X........", "X........", "X........", ".........", "X........", "X........", "X........"]) + "\n"))
    }

    /// "should allow ingress access on one named port" / a port the server does not match:
    /// ingress to x/a only on port 81 blocks port 80 from everyone.
    @Test("a rule's ports: port 81 only, so port 80 is blocked", arguments: ["calico", "weave"])
    func portsRestrict(cni: String) {
        let r = Self.matrix(cni, """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: only-81
          namespace: x
        spec:
          podSelector:
            matchLabels:
              pod: a
          ingress:
          - ports:
            - port: 81

        """)
        #expect(r.err == "")
        #expect(r.out.hasSuffix(Self.table(Array(repeating: "X........", count: 9)) + "\n"))
    }

    /// "should allow egress access to server in CIDR block" with except: x/a may go
    /// anywhere but y/b's address.
    @Test("egress ipBlock with except")
    func ipBlockExcept() {
        let r = WaitTests.run(Self.model("calico") + """
        let yb = pods(namespace=y, pod=b)[0].ip
        apply -f - <<EOF
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: not-y-b
          namespace: x
        spec:
          podSelector:
            matchLabels:
              pod: a
          policyTypes: ["Egress"]
          egress:
          - to:
            - ipBlock:
                cidr: 0.0.0.0/0
                except:
                - ${yb}/32
        EOF
        tick 1s
        netpol matrix

        """)
        #expect(r.err == "")
        #expect(r.out.hasSuffix(Self.table(["....X...."] + Array(repeating: ".........", count: 8)) + "\n"))
    }

    /// flannel has no policy agent: the policy is stored and nothing changes.
    @Test("flannel stores the policy and enforces nothing")
    func flannelIgnores() {
        let r = Self.matrix("flannel", Self.denyIngressX)
        #expect(r.err == "")
        #expect(r.out.contains("Warning: the cluster's CNI plugin (flannel) does not enforce NetworkPolicy: networkpolicy.networking.k8s.io/deny-ingress is stored but has no effect\nnetworkpolicy.networking.k8s.io/deny-ingress created\n"))
        #expect(r.out.hasSuffix(Self.table(Self.allowAll) + "\n"))
    }

    /// Deleting the policy lifts the isolation.
    @Test("deleting the policy restores reachability")
    func deleted() {
        let r = WaitTests.run(Self.model("calico") + "apply -f - <<EOF\n" + Self.denyIngressX + "EOF\ntick 1s\ndelete networkpolicy deny-ingress -n x\ntick 1s\nnetpol matrix\n")
        #expect(r.err == "")
        #expect(r.out.hasSuffix(Self.table(Self.allowAll) + "\n"))
    }

    /// --expect compares as upstream's Reachability does and fails on a difference.
    @Test("--expect prints the comparison and fails when the tables differ")
    func expect() {
        let expected = Self.table(Self.allowAll)
        let r = WaitTests.run(Self.model("calico") + "apply -f - <<EOF\n" + Self.denyIngressX + "EOF\ntick 1s\nexpect failure {\nnetpol matrix --expect - <<END\n" + expected + "\nEND\n}\n")
        #expect(r.err == "")
        // 24 pairs into x's pods from other pods are blocked where all were expected open.
        #expect(r.out.hasSuffix("\nreachability: correct:57, incorrect:24, result=false\n"))
        #expect(r.out.contains("comparison:\n" + Self.table(Array(repeating: "XXX......", count: 9))))
    }
}

/// The NetworkPolicy object: defaults, validation in the API server's words, YAML as the
/// server returns it, kubectl's describe and columns.
@Suite("NetworkPolicy objects")
struct NetworkPolicyObjectTests {
    static let policy = """
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata:
      name: web
    spec:
      podSelector:
        matchLabels:
          app: web
      ingress:
      - from:
        - podSelector:
            matchLabels:
              app: frontend
        - namespaceSelector:
            matchLabels:
              team: a
          podSelector: {}
        ports:
        - port: 80
        - port: http
      - {}
      egress:
      - to:
        - ipBlock:
            cidr: 10.0.0.0/8
            except: [10.1.0.0/16]
        ports:
        - port: 5432
          endPort: 5440

    """

    @Test("policyTypes and protocols defaulted; -o yaml in the server's field order")
    func yaml() {
        let r = WaitTests.run("cluster nodes=1 cni=calico\napply -f - <<EOF\n" + Self.policy + "EOF\nget netpol web -o yaml\nget netpol\n")
        #expect(r.err == "")
        #expect(r.out.contains("""
        spec:
          egress:
          - ports:
            - endPort: 5440
              port: 5432
              protocol: TCP
            to:
            - ipBlock:
                cidr: 10.0.0.0/8
                except:
                - 10.1.0.0/16
          ingress:
          - from:
            - podSelector:
                matchLabels:
                  app: frontend
            - namespaceSelector:
                matchLabels:
                  team: a
              podSelector: {}
            ports:
            - port: 80
              protocol: TCP
            - port: http
              protocol: TCP
          - {}
          podSelector:
            matchLabels:
              app: web
          policyTypes:
          - Ingress
          - Egress
        NAME   POD-SELECTOR   AGE
        web    app=web        0s

        """))
    }

    /// kubectl describe.go describeNetworkPolicy.
    @Test("describe networkpolicy")
    func describe() {
        let r = WaitTests.run("cluster nodes=1 cni=calico\napply -f - <<EOF\n" + Self.policy + "EOF\ndescribe netpol web\n")
        #expect(r.err == "")
        #expect(r.out.hasSuffix("""
        Name:         web
        Namespace:    default
        Created on:   2026-01-01 00:00:00 +0000 UTC
        Labels:       <none>
        Annotations:  <none>
        Spec:
          PodSelector:     app=web
          Allowing ingress traffic:
            To Port: 80/TCP
            To Port: http/TCP
            From:
              PodSelector: app=frontend
            From:
              NamespaceSelector: team=a
              PodSelector: <none>
            ----------
            To Port: <any> (traffic allowed to all ports)
            From: <any> (traffic not restricted by source)
          Allowing egress traffic:
            To Port: 5432/TCP
            To:
              IPBlock:
                CIDR: 10.0.0.0/8
                Except: 10.1.0.0/16
          Policy Types: Ingress, Egress

        """))
    }

    /// ValidateNetworkPolicySpec's causes, as kubectl prints an Invalid error with several.
    @Test("invalid policies are refused with every cause")
    func invalid() {
        let r = WaitTests.run("""
        cluster nodes=1 cni=calico
        apply -f - <<EOF
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: bad
        spec:
          podSelector: {}
          ingress:
          - from:
            - ipBlock:
                cidr: 10.0.0.0/8
                except: [192.168.0.0/16]
              podSelector: {}
            - {}
            ports:
            - port: 0
            - port: http--x
              endPort: 90
            - protocol: ICMP
          policyTypes: [Ingress, Sideways]
        EOF
        """)
        #expect(r.err.contains("error: [t=10ms] The NetworkPolicy \"bad\" is invalid: [spec.ingress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive, spec.ingress[0].ports[1].endPort: Invalid value: 90: may not be specified when `port` is non-numeric, spec.ingress[0].ports[1].port: Invalid value: \"http--x\": must not contain consecutive hyphens (-), spec.ingress[0].ports[2].protocol: Unsupported value: \"ICMP\": supported values: \"TCP\", \"UDP\", \"SCTP\", spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: \"192.168.0.0/16\": must be a strict subset of `cidr`, spec.ingress[0].from[0]: Forbidden: may not specify both ipBlock and another peer, spec.ingress[0].from[1]: Required value: must specify a peer, spec.policyTypes[1]: Unsupported value: \"Sideways\": supported values: \"Ingress\", \"Egress\"]"))
    }

    /// The namespace strategy labels every namespace with its name.
    @Test("namespaces carry kubernetes.io/metadata.name")
    func namespaceLabel() {
        let r = WaitTests.run("cluster nodes=1\ncreate namespace shop\nget ns shop --show-labels\n")
        #expect(r.out.hasSuffix("NAME   STATUS   AGE   LABELS\nshop   Active   0s    kubernetes.io/metadata.name=shop\n"))
    }
}
