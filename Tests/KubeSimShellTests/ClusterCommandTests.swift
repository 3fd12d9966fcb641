import Testing
import KubeScript
import KubeSimShell

/// Cluster commands through a KubeScript session: kubectl's words and layouts.
@Suite("cluster commands")
struct ClusterCommandTests {
    func run(_ script: String) -> ScriptRun { runScript(script) }

    @Test func createGetAndQueries() {
        let r = run("""
        cluster nodes=2 seed=3
        create deployment api --image=shop/api:v1 --replicas=2 --port=8080
        settle
        get deployments
        get nodes
        assert pods(app=api, phase=Running).count == 2
        assert pods(app=api, phase!=Running).count == 0
        assert deployment("api").readyReplicas == 2
        assert deployment("nope") == nil
        assert nodes().count == 2
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("""
        NAME   READY   UP-TO-DATE   AVAILABLE   AGE
        api    2/2     2            2           3s
        """))
        #expect(r.out.contains("""
        NAME    STATUS   ROLES    AGE   VERSION
        node1   Ready    <none>   3s    v1.35.0
        node2   Ready    <none>   3s    v1.35.0
        """))
    }

    @Test func errorsInKubectlWordsLeaveTheClusterUnchanged() {
        let r = run("""
        cluster nodes=1
        create deployment web --image=nginx
        expect error "deployments.apps \\"web\\" already exists" { create deployment web --image=nginx }
        expect error "Error from server (NotFound): deployments.apps \\"ghost\\" not found" { scale deployment/ghost --replicas=2 }
        expect error "required flag(s) \\"image\\" not set" { create deployment x }
        expect error "doesn't have a resource type \\"deploymnet\\"" { get deploymnet }
        assert deployments().count == 1
        get pods -l tier=none
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.hasSuffix("No resources found in default namespace.\n"))
    }

    @Test func unknownCommandSuggestsAtParseTime() {
        let r = run("cluster nodes=1\ndeploymnet web\n")
        #expect(r.outcome == .error)
        #expect(r.err.hasPrefix("t.kscript:2:1: error: unknown command 'deploymnet'"))
        #expect(r.out == "")  // nothing ran
    }

    @Test func runtimeErrorsCarryTheSimulatedTime() {
        // Creating the cluster takes 10ms (nodes register, then the node IPAM controller gives each its podCIDR).
        let r = run("cluster nodes=1\ntick 1500ms\nget deploymnet\n")
        #expect(r.outcome == .error)
        #expect(r.err.hasPrefix("t.kscript:3:1: error: [t=1.51s] the server doesn't have a resource type \"deploymnet\" — did you mean 'deployment'?"))
    }

    @Test func rolloutUndoToRevisionAndHistory() {
        let r = run("""
        cluster nodes=2
        create deployment web --image=nginx:1
        rollout status deployment/web
        set image deployment/web nginx=nginx:1.26
        rollout status deployment/web
        set image deployment/web nginx=nginx:1.27
        rollout status deployment/web
        rollout undo deployment/web --to-revision=1
        rollout status deployment/web
        assert deployment("web").image == "nginx:1"
        rollout history deployment/web
        expect error "unable to find specified revision 9" { rollout undo deployment/web --to-revision=9 }
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.hasSuffix("deployment.apps/web \nREVISION  CHANGE-CAUSE\n2         <none>\n3         <none>\n4         <none>\n"))
    }

    @Test func etcdKeysAndAudit() {
        let r = run("""
        cluster nodes=1
        create deployment web --image=nginx
        etcdctl get /registry/deployments --prefix --keys-only
        let keys = (etcdctl get /registry/ --prefix --keys-only).value
        assert "/registry/minions/node1" in keys
        assert "/registry/namespaces/default" in keys
        etcdctl get /registry/namespaces/default
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("/registry/deployments/default/web\n\n"))
        #expect(r.out.contains("/registry/namespaces/default\napiVersion: v1\nkind: Namespace\nmetadata:\n"))
    }

    @Test func pausedDeploymentDoesNotRoll() {
        let r = run("""
        cluster nodes=1
        create deployment web --image=nginx:1 --replicas=2
        settle
        rollout pause deployment/web
        set image deployment/web nginx=nginx:1.26
        settle
        assert replicasets(app=web).count == 1
        rollout resume deployment/web
        rollout status deployment/web
        assert replicasets(app=web).count == 2
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }

    @Test func unschedulableMessageAndExplain() {
        let r = run("""
        cluster nodes=3 cpu=2
        taint nodes node1 dedicated=db:NoSchedule
        taint nodes node2 dedicated=db:NoSchedule
        apply <<EOF
        apiVersion: v1
        kind: Pod
        metadata:
          name: big
        spec:
          containers:
          - name: app
            image: nginx
            resources:
              requests: {cpu: "3"}
        EOF
        settle
        get pods
        describe pod big
        scheduler explain pod big
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("big    0/1     Pending   0          0s"))
        #expect(r.out.contains("Warning  FailedScheduling"))
        #expect(r.out.contains("0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: db}."))
        #expect(r.out.contains("no node fits: the pod stays Pending"))
    }

    @Test func runCreatesAPodAndTranscriptsHaveNoProgressLine() {
        let r = run("""
        cluster nodes=2
        run test --image=busybox
        settle
        assert pod("test").phase == "Running"
        assert pod("test").labels["run"] == "test"
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(!r.out.contains("events/s") && !r.err.contains("events/s"))
    }

    @Test func servicesGetClusterIPsAndNodePortsFromTheirRanges() {
        let r = run("""
        cluster nodes=2 seed=9
        create deployment web --image=nginx --replicas=2 --port=8080
        expose deployment web --port=80 --target-port=8080 --type=NodePort
        create service clusterip api --tcp=80:9090
        assert service("kubernetes").clusterIP == "10.96.0.1"
        assert service("web").nodePort >= 30000 and service("web").nodePort <= 32767
        assert 10.96.0.0/12.contains(ip(service("api").clusterIP))
        assert service("web").selector["app"] == "web"
        expect error "spec.ports[0].port: Invalid value: 70000" { create service clusterip bad --tcp=70000 }
        get svc
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("NAME         TYPE        CLUSTER-IP"))
        #expect(r.out.contains("kubernetes   ClusterIP   10.96.0.1 "))
    }

    @Test func rolloutStatusReportsAnExceededDeadline() {
        let r = run("""
        cluster nodes=1 cpu=1
        apply <<EOF
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: big}
        spec:
          replicas: 1
          progressDeadlineSeconds: 30
          selector: {matchLabels: {app: big}}
          template:
            metadata: {labels: {app: big}}
            spec:
              containers: [{name: app, image: nginx, resources: {requests: {cpu: "4"}}}]
        EOF
        expect error "deployment \\"big\\" exceeded its progress deadline" { rollout status deployment/big }
        assert deployment("big").progressing == "ProgressDeadlineExceeded"
        scheduler explain pod ${pods(app=big)[0].name}
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("Waiting for deployment \"big\" rollout to finish: 0 of 1 updated replicas are available..."))
        #expect(r.out.contains("node1   ok                  ok         ok                ok             Insufficient cpu"))
    }

    @Test func storedKindsPrintKubectlColumns() {
        let r = run("""
        cluster nodes=1
        apply <<EOF
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: web-only}
        spec:
          podSelector: {matchLabels: {app: web}}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: shop}
        spec:
          ingressClassName: nginx
          rules: [{host: shop.example.com}]
        EOF
        get netpol
        get ingress
        delete netpol web-only
        assert networkpolicies().count == 0
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("NAME       POD-SELECTOR   AGE\nweb-only   app=web        0s\n"))
        #expect(r.out.contains("NAME   CLASS   HOSTS              ADDRESS   PORTS   AGE\nshop   nginx   shop.example.com             80      0s\n"))
    }

    /// Preferred pod anti-affinity and a ScheduleAnyway spread constraint score nodes
    /// so that four replicas land on four different nodes.
    @Test func preferredAntiAffinityAndSpreadScoring() {
        let r = run("""
        cluster nodes=4
        label node node1 zone=a
        label node node2 zone=a
        label node node3 zone=b
        label node node4 zone=b
        apply <<EOF
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 4
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              topologySpreadConstraints:
              - {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: web}}}
              affinity:
                podAntiAffinity:
                  preferredDuringSchedulingIgnoredDuringExecution:
                  - weight: 100
                    podAffinityTerm: {labelSelector: {matchLabels: {app: web}}, topologyKey: kubernetes.io/hostname}
              containers: [{name: web, image: nginx}]
        EOF
        settle
        assert sorted(pods(app=web).map(func(p) { return p.nodeName })) == ["node1", "node2", "node3", "node4"]
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }

    @Test func clusterBlockForm() {
        let r = run("""
        let n = 2
        cluster {
          nodes=${n}   # workers
          seed=7
          cpu=8
        }
        assert nodes().count == 2
        assert node("node1") != nil
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out == "cluster created: 2 nodes (node1…node2), seed 7\n")
    }

    @Test func mostAllocatedPacksLeastAllocatedSpreads() {
        let r = run("""
        cluster nodes=3 scoring=MostAllocated
        # Bare pods: no owner, so the default topology spreading does not pull them apart.
        for i in [1, 2, 3, 4] { run w$i --image=nginx --labels=app=w }
        settle
        let packed = pods(app=w).map(func(p) { return p.nodeName })
        assert packed.count == 4 and packed[0] == packed[1] and packed[1] == packed[2] and packed[2] == packed[3]
        cluster nodes=3
        create deployment w --image=nginx --replicas=3
        settle
        assert sorted(pods(app=w).map(func(p) { return p.nodeName })) == ["node1", "node2", "node3"]
        expect error "scoring must be LeastAllocated or MostAllocated" { cluster scoring=Random }
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }

    @Test func changeCauseShowsInRolloutHistory() {
        let r = run("""
        cluster nodes=1
        create deployment web --image=nginx:1
        annotate deployment web kubernetes.io/change-cause="first image"
        settle
        set image deployment/web nginx=nginx:1.26
        annotate deployment web kubernetes.io/change-cause="move to nginx 2" --overwrite
        settle
        rollout history deployment/web
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.hasSuffix("REVISION  CHANGE-CAUSE\n1         first image\n2         move to nginx 2\n"))
    }

    @Test func getAllPrefixesKinds() {
        let r = run("""
        cluster nodes=1
        create deployment web --image=nginx --replicas=1
        settle
        get all
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("\nNAME                  READY   UP-TO-DATE   AVAILABLE   AGE\ndeployment.apps/web   1/1     1            1           2s\n"))
        #expect(r.out.contains("service/kubernetes   ClusterIP   10.96.0.1"))
    }
}

/// pflag's combined shorthands, as kubectl users type them: `-it`, `-ti`, a value-taking
/// letter last (`-itc NAME`), and an unknown letter refused before anything runs.
@Suite("Combined shorthand flags")
struct ShorthandFlagTests {
    @Test("-it, -ti and -itc NAME bind as -i -t [-c NAME]; an unknown letter is an error")
    func combined() {
        let r = WaitTests.run("""
        cluster nodes=1
        run web --image=nginx:1.25
        settle
        exec -it web -- hostname
        exec -itc web web -- hostname
        exec -ti web -c web -- hostname
        """)
        #expect(r.err == "")
        #expect(r.out.hasSuffix("pod/web created\nweb\nweb\nweb\n"))
        let bad = WaitTests.run("cluster nodes=1\nexec -iq web -- hostname")
        #expect(bad.err.hasPrefix("t.kscript:2:6: error: unknown flag '-iq' for 'exec'"))
    }
}
