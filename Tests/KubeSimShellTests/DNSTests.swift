import Testing
import KubeScript
import KubeSimShell

/// EndpointSlices from Services and pods, and the cluster DNS answering from them:
/// StatefulSet pods' stable names once the headless Service exists.
@Suite("endpoint slices and cluster DNS")
struct DNSTests {
    func run(_ script: String) -> ScriptRun { runScript(script) }

    static let statefulSet = """
    cluster nodes=3
    apply <<EOF
    apiVersion: apps/v1
    kind: StatefulSet
    metadata: {name: web}
    spec:
      serviceName: nginx
      replicas: 2
      selector: {matchLabels: {app: nginx}}
      template:
        metadata: {labels: {app: nginx}}
        spec:
          containers: [{name: nginx, image: "nginx:1.25", ports: [{containerPort: 80, name: web}]}]
    EOF
    run client --image=busybox:1.36 -- sleep inf
    settle
    """

    static let headless = """
    apply <<EOF
    apiVersion: v1
    kind: Service
    metadata: {name: nginx, labels: {app: nginx}}
    spec:
      clusterIP: None
      selector: {app: nginx}
      ports: [{port: 80, name: web}]
    EOF
    settle
    """

    @Test func statefulSetPodsGetStableNamesOnceTheHeadlessServiceExists() {
        let r = run(Self.statefulSet + """

        expect error "** server can't find web-0.nginx: NXDOMAIN" { exec client -- nslookup web-0.nginx }
        \(Self.headless)
        let ip0 = pod("web-0").ip
        print "web-0 at " + ip0
        let es = endpointslices(service=nginx)
        assert es.count == 1
        assert es[0].hostnames == ["web-0", "web-1"]
        assert es[0].ready == [ip0, pod("web-1").ip]
        assert es[0].labels["service.kubernetes.io/headless"] == ""
        assert es[0].labels["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io"
        exec client -- nslookup web-0.nginx
        exec web-0 -- hostname -f
        exec web-0 -- cat /etc/hosts
        exec client -- cat /etc/resolv.conf
        exec client -- getent hosts web-1.nginx.default.svc.cluster.local
        exec client -- wget -qO- http://web-0.nginx/ > /dev/null
        logs web-0 --tail=1
        # The name survives the pod: web-1 comes back with another address.
        let old = pod("web-1").ip
        delete pod web-1
        settle
        assert pod("web-1").ip != old
        assert endpointslices(service=nginx)[0].ready == [ip0, pod("web-1").ip]
        print "web-1 now " + pod("web-1").ip
        exec client -- nslookup web-1.nginx.default.svc.cluster.local
        """)
        #expect(r.outcome == .success, "\(r.err)")
        let ip0 = r.out.components(separatedBy: "web-0 at ").last?.prefix { $0 != "\n" } ?? "?"
        #expect(ip0.hasPrefix("10.244."))
        #expect(r.out.contains("""
        Server:\t\t10.96.0.10
        Address:\t10.96.0.10:53

        Name:\tweb-0.nginx.default.svc.cluster.local
        Address: \(ip0)
        """))
        #expect(r.out.contains("\nweb-0.nginx.default.svc.cluster.local\n"))
        #expect(r.out.contains("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n"))
        #expect(r.out.contains("\(ip0)\tweb-0.nginx.default.svc.cluster.local\tweb-0\n"))
        #expect(r.out.contains("search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n"))
        #expect(r.out.contains("web-1.nginx.default.svc.cluster.local\n"))
        // The request reached web-0 from the client pod's own address (no NAT).
        #expect(r.out.contains("10.244.1.2 - - [01/Jan/2026:00:00:"))
        // After the restart the name answers with the new address.
        let newIP = r.out.components(separatedBy: "web-1 now ").last?.prefix { $0 != "\n" } ?? ""
        #expect(!newIP.isEmpty)
        #expect(r.out.contains("Name:\tweb-1.nginx.default.svc.cluster.local\nAddress: \(newIP)"))
    }

    @Test func endpointSliceListsTerminatingPodsUntilTheyAreGone() {
        let r = run(Self.statefulSet + "\n" + Self.headless + """

        let ip1 = pod("web-1").ip
        delete pod web-1
        tick 20ms
        let es = endpointslices(service=nginx)[0]
        assert es.notReady == [ip1]
        get endpointslices -l kubernetes.io/service-name=nginx -o yaml
        """)
        #expect(r.outcome == .success, "\(r.err)")
        // A List: each item's fields sorted as kubectl prints them, two spaces in.
        #expect(r.out.contains("""
            conditions:
              ready: false
              serving: true
              terminating: true
            hostname: web-1
        """))
        #expect(r.out.contains("\nitems:\n- addressType: IPv4\n  apiVersion: discovery.k8s.io/v1\n  endpoints:\n  - addresses:\n"))
    }

    @Test func serviceNamesResolveToTheClusterIP() {
        let r = run("""
        cluster nodes=2
        create deployment api --image=nginx:1.25 --replicas=3
        expose deployment api --port=8080 --target-port=80
        run client --image=busybox:1.36 -- sleep inf
        settle
        let ip = service("api").clusterIP
        exec client -- nslookup api
        exec client -- nslookup kubernetes.default
        exec client -- nslookup 10-244-1-7.default.pod.cluster.local
        expect error "** server can't find nope: NXDOMAIN" { exec client -- nslookup nope }
        expect error "wget: bad address 'nope'" { exec client -- wget -qO- http://nope }
        expect error "curl: (6) Could not resolve host: nope" { exec client -- curl -s http://nope }
        expect error "ping: bad address 'nope.example.com'" { exec client -- ping -c 1 nope.example.com }
        get endpointslices
        print "clusterIP " + ip
        """)
        #expect(r.outcome == .success, "\(r.err)")
        let ip = r.out.components(separatedBy: "clusterIP ").last?.prefix { $0 != "\n" } ?? "?"
        #expect(r.out.contains("Name:\tapi.default.svc.cluster.local\nAddress: \(ip)\n"))
        #expect(r.out.contains("Name:\tkubernetes.default.svc.cluster.local\nAddress: 10.96.0.1\n"))
        #expect(r.out.contains("Name:\t10-244-1-7.default.pod.cluster.local\nAddress: 10.244.1.7\n"))
        // kubectl's columns: the API server's own slice and the Service's, three pods.
        #expect(r.out.contains("NAME         ADDRESSTYPE   PORTS   ENDPOINTS                          AGE\n"))
        #expect(r.out.contains("kubernetes   IPv4          6443    192.168.56.10"))
        let row = r.out.split(separator: "\n").first { $0.hasPrefix("api-") }.map(String.init) ?? ""
        #expect(row.contains("IPv4          80      10.244."), "\(row)")
        #expect(row.split(separator: " ").filter { !$0.isEmpty }[3].split(separator: ",").count == 3, "\(row)")
    }

    @Test func namedTargetPortsPlaceholdersAndOwnerDeletion() {
        let r = run("""
        cluster nodes=1
        apply <<EOF
        apiVersion: v1
        kind: Pod
        metadata: {name: a, labels: {app: x}}
        spec:
          containers: [{name: c, image: "nginx:1.25", ports: [{containerPort: 80, name: http}]}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: b, labels: {app: x}}
        spec:
          containers: [{name: c, image: "agnhost:2.47", args: [netexec, --http-port=8080], ports: [{containerPort: 8080, name: http}]}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: x}
        spec:
          selector: {app: x}
          ports: [{port: 80, targetPort: http}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: empty}
        spec:
          selector: {app: none}
          ports: [{port: 80}]
        EOF
        settle
        let xs = endpointslices(service=x)
        assert xs.count == 2
        assert sorted([xs[0].ports[0], xs[1].ports[0]]) == [80, 8080]
        let e = endpointslices(service=empty)
        assert e.count == 1
        assert e[0].addresses == []
        get endpointslices -l kubernetes.io/service-name=empty
        delete service x
        settle
        assert endpointslices(service=x).count == 0
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("IPv4          <unset>   <unset>"))
    }
}
