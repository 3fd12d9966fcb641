import Testing
import KubeScript
import KubeSimShell

/// The legacy Endpoints object, `get endpoints`, `describe endpoints` and `describe
/// service`. Each expected text is kubectl v1.32's layout written out by hand from
/// upstream (pkg/printers/internalversion/printers.go printEndpoints/formatEndpoints;
/// staging/src/k8s.io/kubectl/pkg/describe/describe.go describeService,
/// describeEndpoints, formatEndpointSlices; text/tabwriter with padding 2), filled with
/// this cluster's names and addresses (as `get pods -o wide` shows them). The orders
/// of ports that upstream sorts by the MD5 of go-spew's `%#v` were worked out with
/// go-spew 1.1.1 itself, not with the code under test.
@Suite("legacy Endpoints and kubectl's views of Services")
struct EndpointsTests {
    static let warning = "Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"

    /// Two nginx pods, web-59f484d9b5-7nl2s (10.244.0.2 on node1) and
    /// web-59f484d9b5-sxg9h (10.244.1.2 on node2), behind `web` (10.96.185.71).
    static let web = """
    cluster nodes=2
    create deployment web --image=nginx:1.25 --replicas=2 --port=80
    expose deployment web --port=80
    settle
    """

    /// What `command` printed after `script` ran.
    static func output(_ script: String, _ command: String) -> String {
        let r = runScript(script + "\nprint \"@@@\"\n" + command)
        guard let marker = r.out.range(of: "@@@\n") else { return r.out + r.err }
        return String(r.out[marker.upperBound...])
    }

    /// YAML without the two fields the store assigns (uid, resourceVersion).
    static func yaml(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("  uid: ") && !$0.hasPrefix("  resourceVersion: ") }.joined(separator: "\n")
    }

    @Test func getEndpointsListsReadyPodsAndTheAPIServer() {
        #expect(Self.output(Self.web, "get ep") == """
        \(Self.warning)
        NAME         ENDPOINTS                     AGE
        kubernetes   192.168.56.10:6443            2s
        web          10.244.0.2:80,10.244.1.2:80   2s

        """)
    }

    @Test func getServicesAndEndpointsPrintsOneWarningThenATablePerKind() {
        #expect(Self.output(Self.web, "get svc,ep") == """
        \(Self.warning)
        NAME                 TYPE        CLUSTER-IP     EXTERNAL-IP   PORT(S)   AGE
        service/kubernetes   ClusterIP   10.96.0.1      <none>        443/TCP   2s
        service/web          ClusterIP   10.96.185.71   <none>        80/TCP    2s

        NAME                   ENDPOINTS                     AGE
        endpoints/kubernetes   192.168.56.10:6443            2s
        endpoints/web          10.244.0.2:80,10.244.1.2:80   2s

        """)
    }

    @Test func endpointsAsYAML() {
        // The controller's labels (the Service's plus managed-by), the trigger time of
        // the pods' readiness, addresses sorted by IP with their node and pod, no
        // ownerReferences.
        #expect(Self.yaml(Self.output(Self.web, "get ep web -o yaml")) == """
        \(Self.warning)
        apiVersion: v1
        kind: Endpoints
        metadata:
          annotations:
            endpoints.kubernetes.io/last-change-trigger-time: "2026-01-01T00:00:02Z"
          creationTimestamp: "2026-01-01T00:00:00Z"
          labels:
            app: web
            endpoints.kubernetes.io/managed-by: endpoint-controller
          name: web
          namespace: default
        subsets:
        - addresses:
          - ip: 10.244.0.2
            nodeName: node1
            targetRef:
              kind: Pod
              name: web-59f484d9b5-7nl2s
              namespace: default
              uid: 04d3ccc0-075d-48b7-be91-35ca4e788b00
          - ip: 10.244.1.2
            nodeName: node2
            targetRef:
              kind: Pod
              name: web-59f484d9b5-sxg9h
              namespace: default
              uid: 36f9b39f-485a-4169-a278-2163e5935579
          ports:
          - port: 80
            protocol: TCP

        """)
    }

    @Test func theKubernetesServiceEndpointsIsTheAPIServer() {
        #expect(Self.yaml(Self.output("cluster nodes=1", "get endpoints kubernetes -o yaml")) == """
        \(Self.warning)
        apiVersion: v1
        kind: Endpoints
        metadata:
          creationTimestamp: "2026-01-01T00:00:00Z"
          labels:
            endpointslice.kubernetes.io/skip-mirror: "true"
          name: kubernetes
          namespace: default
        subsets:
        - addresses:
          - ip: 192.168.56.10
          ports:
          - name: https
            port: 6443
            protocol: TCP

        """)
    }

    @Test func moreThanThreeAddressesAreCounted() {
        let script = """
        cluster nodes=2
        create deployment web --image=nginx:1.25 --replicas=5 --port=80
        expose deployment web --port=80
        create service clusterip empty --tcp=80:8080
        settle
        """
        // Pods at 10.244.0.2-4 (node1) and 10.244.1.2-3 (node2); addresses sort by IP.
        // A Service that selects nothing has an Endpoints without subsets: <none>.
        #expect(Self.output(script, "get endpoints") == """
        \(Self.warning)
        NAME         ENDPOINTS                                               AGE
        empty        <none>                                                  3s
        kubernetes   192.168.56.10:6443                                      4s
        web          10.244.0.2:80,10.244.0.3:80,10.244.0.4:80 + 2 more...   3s

        """)
    }

    @Test func describeServiceAsKubectlPrintsIt() {
        #expect(Self.output(Self.web, "describe svc web") == """
        Name:                     web
        Namespace:                default
        Labels:                   app=web
        Annotations:              <none>
        Selector:                 app=web
        Type:                     ClusterIP
        IP Family Policy:         SingleStack
        IP Families:              IPv4
        IP:                       10.96.185.71
        IPs:                      10.96.185.71
        Port:                     <unset>  80/TCP
        TargetPort:               80/TCP
        Endpoints:                10.244.0.2:80,10.244.1.2:80
        Session Affinity:         None
        Internal Traffic Policy:  Cluster
        Events:                   <none>

        """)
    }

    @Test func describeNodePortServiceWithNamedPorts() {
        let script = """
        cluster nodes=2
        create deployment web --image=nginx:1.25 --replicas=2 --port=80
        apply <<EOF
        apiVersion: v1
        kind: Service
        metadata:
          name: web
          annotations:
            team: payments
        spec:
          type: NodePort
          selector: {app: web}
          ports:
          - {name: http, port: 80, targetPort: 80, nodePort: 30080}
          - {name: https, port: 443, targetPort: 80, nodePort: 30443}
        EOF
        settle
        """
        #expect(Self.output(script, "describe service web") == """
        Name:                     web
        Namespace:                default
        Labels:                   <none>
        Annotations:              team: payments
        Selector:                 app=web
        Type:                     NodePort
        IP Family Policy:         SingleStack
        IP Families:              IPv4
        IP:                       10.96.185.71
        IPs:                      10.96.185.71
        Port:                     http  80/TCP
        TargetPort:               80/TCP
        NodePort:                 http  30080/TCP
        Endpoints:                10.244.0.2:80,10.244.1.2:80
        Port:                     https  443/TCP
        TargetPort:               80/TCP
        NodePort:                 https  30443/TCP
        Endpoints:                10.244.0.2:80,10.244.1.2:80
        Session Affinity:         None
        External Traffic Policy:  Cluster
        Internal Traffic Policy:  Cluster
        Events:                   <none>

        """)
        // Both ports reach the same pods: one subset, its ports ordered by the hash
        // (http:80 before https:80), each port's addresses in turn.
        #expect(Self.output(script, "get ep web") == """
        \(Self.warning)
        NAME   ENDPOINTS                                               AGE
        web    10.244.0.2:80,10.244.1.2:80,10.244.0.2:80 + 1 more...   2s

        """)
    }

    @Test func describeEndpointsAsKubectlPrintsIt() {
        #expect(Self.output(Self.web, "describe ep web") == """
        \(Self.warning)
        Name:         web
        Namespace:    default
        Labels:       app=web
                      endpoints.kubernetes.io/managed-by=endpoint-controller
        Annotations:  endpoints.kubernetes.io/last-change-trigger-time: 2026-01-01T00:00:02Z
        Subsets:
          Addresses:          10.244.0.2,10.244.1.2
          NotReadyAddresses:  <none>
          Ports:
            Name     Port  Protocol
            ----     ----  --------
            <unset>  80    TCP

        Events:  <none>

        """)
    }

    /// Pods whose readiness probe does not pass yet are listed as not ready, and the
    /// ENDPOINTS column shows nothing for them (the Endpoints has a subset, so not
    /// `<none>`); a headless Service without ports lists bare addresses.
    static let api = """
    cluster nodes=2
    image define shop/api:v2 listen 8080 ready-after 30s
    apply <<EOF
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: api}
    spec:
      replicas: 2
      selector: {matchLabels: {app: api}}
      template:
        metadata: {labels: {app: api}}
        spec:
          containers:
          - name: api
            image: shop/api:v2
            ports: [{containerPort: 8080}]
            readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 5}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: api}
    spec:
      selector: {app: api}
      ports: [{port: 80, targetPort: 8080}]
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: api-headless}
    spec:
      clusterIP: None
      selector: {app: api}
    EOF
    tick 10s
    """

    @Test func podsNotReadyYetAreNotReadyAddresses() {
        #expect(Self.output(Self.api, "get ep") == """
        \(Self.warning)
        NAME           ENDPOINTS            AGE
        api                                 9s
        api-headless                        9s
        kubernetes     192.168.56.10:6443   10s

        """)
        #expect(Self.output(Self.api, "describe endpoints api") == """
        \(Self.warning)
        Name:         api
        Namespace:    default
        Labels:       endpoints.kubernetes.io/managed-by=endpoint-controller
        Annotations:  <none>
        Subsets:
          Addresses:          <none>
          NotReadyAddresses:  10.244.0.2,10.244.1.2
          Ports:
            Name     Port  Protocol
            ----     ----  --------
            <unset>  8080  TCP

        Events:  <none>

        """)
        #expect(Self.output(Self.api + "\nsettle", "get ep") == """
        \(Self.warning)
        NAME           ENDPOINTS                         AGE
        api            10.244.0.2:8080,10.244.1.2:8080   31s
        api-headless   10.244.0.2,10.244.1.2             31s
        kubernetes     192.168.56.10:6443                31s

        """)
    }

    @Test func headlessServiceWithoutPorts() {
        let yaml = Self.yaml(Self.output(Self.api + "\nsettle", "get ep api-headless -o yaml"))
        #expect(yaml.contains("""
          labels:
            endpoints.kubernetes.io/managed-by: endpoint-controller
            service.kubernetes.io/headless: ""
        """))
        #expect(!yaml.contains("ports:"))
        #expect(Self.output(Self.api, "describe svc api-headless") == """
        Name:                     api-headless
        Namespace:                default
        Labels:                   <none>
        Annotations:              <none>
        Selector:                 app=api
        Type:                     ClusterIP
        IP Family Policy:         SingleStack
        IP Families:              IPv4
        IP:                       None
        IPs:                      None
        Session Affinity:         None
        Internal Traffic Policy:  Cluster
        Events:                   <none>

        """)
    }

    @Test func aSelectorlessServiceKeepsTheEndpointsItsOwnerWrote() {
        // The registry repacks what it is given: addresses by IP bytes (10.0.0.10 before
        // 10.0.0.2), ports by hash (https:443, 6206a1cd…, before http:80, 76747a3a…).
        let script = """
        cluster nodes=1
        apply <<EOF
        apiVersion: v1
        kind: Service
        metadata: {name: db}
        spec:
          ports: [{name: http, port: 80}, {name: https, port: 443}]
        ---
        apiVersion: v1
        kind: Endpoints
        metadata: {name: db}
        subsets:
        - addresses: [{ip: 10.0.0.2}, {ip: 10.0.0.10}]
          ports: [{name: http, port: 80}, {name: https, port: 443}]
        EOF
        settle
        """
        #expect(Self.yaml(Self.output(script, "get ep db -o yaml")) == """
        \(Self.warning)
        apiVersion: v1
        kind: Endpoints
        metadata:
          creationTimestamp: "2026-01-01T00:00:00Z"
          name: db
          namespace: default
        subsets:
        - addresses:
          - ip: 10.0.0.10
          - ip: 10.0.0.2
          ports:
          - name: https
            port: 443
            protocol: TCP
          - name: http
            port: 80
            protocol: TCP

        """)
        #expect(Self.output(script, "get ep db") == """
        \(Self.warning)
        NAME   ENDPOINTS                                             AGE
        db     10.0.0.10:443,10.0.0.2:443,10.0.0.10:80 + 1 more...   0s

        """)
    }

    @Test func theEndpointsGoesWithItsService() {
        let r = runScript(Self.web + "\ndelete svc web\nsettle\nget ep\nget ep web")
        #expect(r.out.hasSuffix("""
        \(Self.warning)
        NAME         ENDPOINTS            AGE
        kubernetes   192.168.56.10:6443   3s

        """))
        #expect((r.out + r.err).contains("Error from server (NotFound): endpoints \"web\" not found"))
    }

    @Test func aServiceThatSelectsNothingShowsBlankEndpointsInDescribe() {
        // Its EndpointSlice placeholder has no endpoints: formatEndpointSlices joins
        // nothing (only no slice at all is <none>).
        let out = Self.output("cluster nodes=1\ncreate service clusterip empty --tcp=80:8080\nsettle", "describe svc empty")
        #expect(out.contains("\nPort:                     80-8080  80/TCP\nTargetPort:               8080/TCP\nEndpoints:                \nSession Affinity:"))
    }

    @Test func describeExternalNameService() {
        // No ClusterIP, no IP families, no traffic policies: a DNS alias.
        let script = """
        cluster nodes=1
        apply <<EOF
        apiVersion: v1
        kind: Service
        metadata: {name: ext}
        spec: {type: ExternalName, externalName: db.example.com}
        EOF
        settle
        """
        #expect(Self.output(script, "describe svc ext") == """
        Name:              ext
        Namespace:         default
        Labels:            <none>
        Annotations:       <none>
        Selector:          <none>
        Type:              ExternalName
        IP Families:       <none>
        IP:                \("")
        IPs:               <none>
        External Name:     db.example.com
        Session Affinity:  None
        Events:            <none>

        """)
    }

    /// kubectl writes the deprecation warning to stderr: a script's capture (`.output`)
    /// holds only the data, as `$(kubectl get ep …)` would in a shell; the run still shows it.
    @Test func aCapturedGetKeepsTheWarningOut() {
        let r = runScript("cluster nodes=1\n" + """
        create deployment web --image=nginx --replicas=1
        expose deployment web --port=80
        settle
        let ips = (kubectl get endpoints web -o jsonpath={.subsets[0].addresses[*].ip}).output
        assert ips == "10.244.0.2"
        kubectl get endpoints web -o jsonpath={.subsets[0].ports[0].port}
        # A jsonpath filter on a boolean, as client-go's parser takes it.
        assert (kubectl get endpointslices -l kubernetes.io/service-name=web -o jsonpath={.items[0].endpoints[?(@.conditions.ready==true)].addresses[0]}).output == "10.244.0.2"
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice\n80"), "\(r.out)")
    }
}
