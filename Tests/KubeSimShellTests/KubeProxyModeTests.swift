import Testing
import KubeScript
import KubeSimShell

/// kube-proxy's modes as a learner meets them: `cluster proxy=MODE`, the rules each mode
/// writes on the nodes, and requests to a Service reaching its endpoints through them.
@Suite("kube-proxy modes")
struct KubeProxyModeTests {
    static let web = """
        create deployment web --image=nginx --replicas=2
        expose deployment web --port=80
        kubectl run client --image=busybox:1.36 -- sleep 3600
        settle

        """

    /// Userspace mode (kube-proxy ≤ v1.25): REDIRECT for pods, DNAT to the node for its own
    /// traffic, a kube-proxy socket per Service port, round robin, and the endpoint seeing
    /// the node's address rather than the client's.
    @Test func userspaceModeRedirectsToKubeProxyWhichRelaysRoundRobin() {
        let r = runScript("cluster nodes=2 proxy=userspace\n" + Self.web + """
        ssh node2 iptables -t nat -S KUBE-PORTALS-CONTAINER
        ssh node2 iptables -t nat -S KUBE-PORTALS-HOST
        ssh node2 ss -tlnp
        for i in 1...4 {
            exec client -- wget -qO- http://web > /dev/null
        }
        let names = (kubectl get pods -l app=web -o jsonpath={.items[*].metadata.name}).output.split(" ")
        for p in names {
            let hits = (logs ${p}).output.lines.filter(func(l) { return l.contains("\\"GET / HTTP/1.1\\" 200") })
            assert hits.count == 2
            # The endpoint saw kube-proxy's connection from node2 (cni0 or flannel.1), not the client pod.
            assert hits.filter(func(l) { return l.hasPrefix("10.244.1.2 ") }).count == 0
        }
        trace from pod/client to svc/web
        let t = (trace from pod/client to svc/web)
        assert t.delivered and t.destination == "node2 (its own network stack)" and t.relayed.delivered
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("kube-proxy: userspace mode, as kube-proxy v1.25 ran it (the lecture's first mode; removed from Kubernetes in 1.26)\n"))
        #expect(r.out.contains("-A KUBE-PORTALS-CONTAINER -d 10.96.185.71/32 -p tcp -m comment --comment \"default/web\" -m tcp --dport 80 -j REDIRECT --to-ports "), "\(r.out)")
        #expect(r.out.contains("-A KUBE-PORTALS-HOST -d 10.96.185.71/32 -p tcp -m comment --comment \"default/web\" -m tcp --dport 80 -j DNAT --to-destination 192.168.56.12:"), "\(r.out)")
        #expect(r.out.contains("users:((\"kube-proxy\",pid=2304,"), "\(r.out)")
        #expect(r.out.contains("kube-proxy on node2 (user space) accepts on port "), "\(r.out)")
        #expect(r.out.contains("nat: PREROUTING → KUBE-PORTALS-CONTAINER rule 2: REDIRECT to 10.244.1.1:"), "\(r.out)")
    }

    /// nftables mode (GA since 1.33): kube-proxy writes one nftables table, `ip kube-proxy`;
    /// a pod's request to the Service name is DNATed by the endpoint chain its numgen picked,
    /// the iptables tables keep only the CNI plugin's rules, and `nft` lists the table.
    @Test func nftablesModeServesThroughTheKubeProxyTable() {
        let r = runScript("cluster nodes=2 proxy=nftables\n" + Self.web + """
        exec client -- wget -qO- http://web
        ssh node1 nft list table ip kube-proxy
        ssh node2 nft list chain ip kube-proxy services
        let save = (ssh node2 iptables-save -t nat).output
        assert not save.contains("KUBE-SERVICES")
        trace from pod/client to svc/web
        let t = (trace from pod/client to svc/web)
        assert t.delivered
        let bad = (ssh node1 nft list table ip kube-prox)
        print bad.output
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("<title>Welcome to nginx!</title>"), "\(r.out)")
        #expect(r.out.contains("table ip kube-proxy {\n\tcomment \"rules for kube-proxy\"\n\tset cluster-ips {\n\t\ttype ipv4_addr\n\t\tcomment \"Active ClusterIPs\"\n"), "\(r.out)")
        #expect(r.out.contains("\tchain nat-prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n\t\tjump services\n\t}\n"), "\(r.out)")
        #expect(r.out.contains("\t\tip daddr . meta l4proto . th dport vmap @service-ips\n\t\tip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports\n"), "\(r.out)")
        #expect(r.out.contains("\t\tnumgen random mod 2 vmap { 0 : goto endpoint-"), "\(r.out)")
        #expect(r.out.contains("nft ip kube-proxy: nat-prerouting → services → service-"), "\(r.out)")
        #expect(r.out.contains("Error: No such file or directory\nlist table ip kube-prox\n              ^^^^^^^^^"), "\(r.out)")
    }

    @Test func aModeThatDoesNotExistIsRefused() {
        let r = runScript("cluster nodes=1 proxy=ipvsx\n")
        #expect(r.outcome != .success)
        #expect(r.err.contains("cluster: proxy must be iptables, nftables, ipvs or userspace"), "\(r.err)")
    }

    /// IPVS mode: the Service address bound to kube-ipvs0, a virtual server with the
    /// endpoints as Masq real servers (rr), a fixed handful of ipset-matching iptables
    /// rules, and connections spread round robin; kube-proxy warns it is deprecated.
    @Test func ipvsModeSchedulesToRealServers() {
        let r = runScript("cluster nodes=2 proxy=ipvs\n" + Self.web + """
        ssh node2 ipvsadm -Ln
        exec client -- wget -qO- http://web > /dev/null
        exec client -- wget -qO- http://web > /dev/null
        ssh node2 ipvsadm -Ln --stats
        trace from pod/client to svc/web
        let t = (trace from pod/client to svc/web)
        assert t.path.contains("node2 IPVS")
        # No KUBE-SVC or KUBE-SEP chains: the rules do not grow with Services × endpoints.
        assert not (ssh node2 iptables-save -t nat).output.contains("KUBE-SEP-")
        ssh node2 ipset list KUBE-CLUSTER-IP
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("kube-proxy: The ipvs proxier is now deprecated and may be removed in a future release. Please use 'nftables' instead.\n"))
        #expect(r.out.contains("""
        TCP  10.96.185.71:80 rr
          -> 10.244.0.2:80                Masq    1      0          0         
          -> 10.244.1.3:80                Masq    1      0          0         
        """), "\(r.out)")
        // One connection to each real server (round robin).
        #expect(r.out.contains("  -> 10.244.0.2:80                       1        5        5      334     1116\n  -> 10.244.1.3:80                       1        5        5      334     1116"), "\(r.out)")
        #expect(r.out.contains("    node2  routing                        local 10.96.185.71 dev kube-ipvs0 table local proto kernel scope host src 10.96.185.71"), "\(r.out)")
        #expect(r.out.contains("IPVS: TCP 10.96.185.71:80 → 10.244.1.3:80 (rr, Masq)"), "\(r.out)")
        #expect(r.out.contains("10.96.185.71,tcp:80"), "\(r.out)")
    }

    /// The Service fields kube-proxy acts on, from a manifest: externalIPs, ClientIP
    /// affinity with its timeout, internalTrafficPolicy Local, and a LoadBalancer with
    /// externalTrafficPolicy Local (the API server allocates its health-check node port).
    @Test func serviceFieldsReachKubeProxysRules() {
        let r = runScript("cluster nodes=2\n" + """
        create deployment web --image=nginx --replicas=2
        apply <<EOF
        apiVersion: v1
        kind: Service
        metadata: {name: sticky}
        spec:
          selector: {app: web}
          ports: [{port: 80}]
          externalIPs: [192.168.56.200]
          sessionAffinity: ClientIP
          sessionAffinityConfig: {clientIP: {timeoutSeconds: 600}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: local}
        spec:
          selector: {app: web}
          ports: [{port: 80}]
          internalTrafficPolicy: Local
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: lb}
        spec:
          type: LoadBalancer
          externalTrafficPolicy: Local
          selector: {app: web}
          ports: [{port: 80}]
        EOF
        settle
        get svc sticky -o yaml
        assert (kubectl get svc lb -o jsonpath={.spec.healthCheckNodePort}).output != ""
        ssh node1 iptables-save -t nat
        ssh node1 iptables-save -t filter
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("  externalIPs:\n  - 192.168.56.200\n"), "\(r.out)")
        #expect(r.out.contains("  sessionAffinityConfig:\n    clientIP:\n      timeoutSeconds: 600\n"), "\(r.out)")
        #expect(r.out.contains("-m comment --comment \"default/sticky external IP\" -m tcp --dport 80 -j KUBE-EXT-"), "\(r.out)")
        #expect(r.out.contains("-m recent --rcheck --seconds 600 --reap --name KUBE-SEP-"), "\(r.out)")
        // internalTrafficPolicy Local: the ClusterIP jumps to the Service's KUBE-SVL chain.
        #expect(r.out.contains("-m comment --comment \"default/local cluster IP\" -m tcp --dport 80 -j KUBE-SVL-"), "\(r.out)")
        #expect(r.out.contains("health check node port\" -m tcp --dport "), "\(r.out)")
    }

    /// A simulated cloud (`lb-pool`): the service controller ensures a load balancer and
    /// writes its address; kube-proxy's "loadbalancer IP" rules answer it on every node.
    /// Without a pool the Service stays <pending>.
    @Test func aLoadBalancerGetsAnAddressFromThePool() {
        let r = runScript("cluster nodes=2 lb-pool=203.0.113.0/24\n" + """
        create deployment web --image=nginx --replicas=2
        expose deployment web --port=80 --type=LoadBalancer
        apply <<EOF
        apiVersion: v1
        kind: Service
        metadata: {name: pinned}
        spec: {type: LoadBalancer, loadBalancerIP: 203.0.113.77, selector: {app: web}, ports: [{port: 8080, targetPort: 80}]}
        EOF
        kubectl run client --image=busybox:1.36 -- sleep 3600
        settle
        get svc
        assert (kubectl get svc web -o jsonpath={.status.loadBalancer.ingress[0].ip}).output == "203.0.113.1"
        assert (kubectl get svc pinned -o jsonpath={.status.loadBalancer.ingress[0].ip}).output == "203.0.113.77"
        assert (exec client -- wget -qO- http://203.0.113.1).output.contains("Welcome to nginx!")
        assert (exec client -- wget -qO- http://203.0.113.77:8080).output.contains("Welcome to nginx!")
        get events --field-selector involvedObject.name=web
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("web          LoadBalancer   10.96.185.71    203.0.113.1    80:31068/TCP     3s"), "\(r.out)")
        #expect(r.out.contains("Normal   EnsuredLoadBalancer    service/web      Ensured load balancer"), "\(r.out)")
        let none = runScript("cluster nodes=1\ncreate deployment web --image=nginx\nexpose deployment web --port=80 --type=LoadBalancer\nsettle\nget svc web\n")
        #expect(none.out.contains("<pending>"), "\(none.out)")
    }

    /// A client outside the cluster (`ssh external`, on the node network at .250): a
    /// NodePort on any node's address, and a load-balancer address (routed to node1, as an
    /// L2 announcement would) reach the pods through kube-proxy's rules — masqueraded, so
    /// the answer comes back the same way.
    @Test func anExternalClientReachesNodePortsAndTheLoadBalancer() {
        let r = runScript("cluster nodes=2 lb-pool=203.0.113.0/24\n" + """
        create deployment web --image=nginx --replicas=2
        expose deployment web --port=80 --type=LoadBalancer
        settle
        let np = (kubectl get svc web -o jsonpath={.spec.ports[0].nodePort}).output
        assert (ssh external curl -s http://192.168.56.11:${np}/).output.contains("Welcome to nginx!")
        assert (ssh external curl -s http://192.168.56.12:${np}/).output.contains("Welcome to nginx!")
        assert (ssh external curl -s http://203.0.113.1/).output.contains("Welcome to nginx!")
        expect error "bash: ls: command not found" { ssh external ls }
        ssh node1 conntrack -L -p tcp --dport ${np}
        """)
        #expect(r.outcome == .success, "\(r.err)")
        // The external client's connection, DNATed to a pod and masqueraded by node1.
        #expect(r.out.contains("src=192.168.56.250 dst=192.168.56.11 sport="), "\(r.out)")
    }
}
