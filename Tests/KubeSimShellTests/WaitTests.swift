import Testing
import KubeScript
import KubeSimShell

/// `wait`: simulated time runs until the condition holds or the timeout passes, with
/// kubectl's messages (kubectl/pkg/cmd/wait/wait.go) and exit status 1 on a timeout.
@Suite("kubectl wait")
struct WaitTests {
    static func run(_ script: String) -> (out: String, err: String) {
        var out = "", err = ""
        let s = SessionFactory.make(output: { out += $0 }, diagnostics: { err += $0 + "\n" })
        _ = s.run(script, name: "t.kscript")
        return (out, err)
    }

    @Test("condition, jsonpath and delete waits print 'condition met' once the clock has run far enough")
    func conditionsMet() {
        let r = Self.run("""
        cluster nodes=2
        create deployment web --image=nginx:1.25 --replicas=2
        wait --for=condition=Available deployment/web --timeout=60s
        assert now() > 0s
        assert deployment("web").available
        run bb --image=busybox --restart=Never -- sleep 5
        wait --for=jsonpath='{.status.phase}'=Succeeded pod/bb --timeout=1m
        assert pod("bb").phase == "Succeeded"
        assert now() >= 5s
        wait --for=condition=Ready pod -l app=web
        delete pod bb
        wait --for=delete pod/bb --timeout=10s
        """)
        #expect(r.err == "")
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines.contains("deployment.apps/web condition met"))
        #expect(lines.contains("pod/bb condition met"))
        #expect(lines.filter { $0.hasPrefix("pod/web-") && $0.hasSuffix(" condition met") }.count == 2)
    }

    @Test("a timeout says which object, lets the whole timeout pass and exits with status 1")
    func timeout() {
        let r = Self.run("""
        cluster nodes=1
        create deployment web --image=nginx:1.25
        settle
        let start = now()
        let s = (wait --for=condition=Ready=false pod -l app=web --timeout=20s)
        print s.exitCode
        assert now() - start == 20s
        let d = (wait --for=jsonpath='{.spec.replicas}'=5 deployment/web --timeout=0)
        print d.output
        """)
        #expect(r.err == "")
        #expect(r.out.hasSuffix("""
        1
        error: condition not met for deployment.apps/web


        """))
        let s = Self.run("""
        cluster nodes=1
        create deployment web --image=nginx:1.25
        wait --for=jsonpath='{.status.readyReplicas}'=3 deployment/web --timeout=5s
        """)
        #expect(s.err.contains("error: [t=5.01s] timed out waiting for the condition on deployments/web"))
    }

    @Test("kubectl's refusals")
    func refusals() {
        #expect(Self.run("wait --for=foo pod/x").err.contains(#"unrecognized condition: "foo""#))
        #expect(Self.run("wait pod/x").err.contains("--for must be specified"))
        #expect(Self.run("cluster nodes=1\nwait --for=condition=Ready pod -l app=none").err.contains("no matching resources found"))
        #expect(Self.run("wait --for=jsonpath='{.x}'= pod/x").err.contains("jsonpath wait has to have a value after equal sign, like --for=jsonpath='{.status.readyReplicas}'=3"))
    }
}

/// `get -w` / `--watch-only`: a row per change as simulated time runs, columns that
/// only grow (kubectl's tabwriter remembers widths), until --request-timeout or the
/// cluster settles.
@Suite("kubectl get --watch")
struct WatchTests {
    @Test("rows as changes happen; the timeout lets its whole time pass")
    func watch() {
        let r = WaitTests.run("""
        cluster nodes=2
        create deployment web --image=nginx:1.25 --replicas=2
        get pods -w
        scale deployment web --replicas=3
        get pods --watch-only --request-timeout=5s
        get deploy web -w --request-timeout=2s
        print now()
        """)
        #expect(r.err == "")
        #expect(r.out == """
        cluster created: 2 nodes (node1…node2), seed 1
        deployment.apps/web created
        NAME                   READY   STATUS    RESTARTS   AGE
        web-7d5cfd7d69-27z2q   0/1     Pending   0          0s
        web-7d5cfd7d69-z7nl2   0/1     Pending   0          0s
        web-7d5cfd7d69-27z2q   0/1     Pending   0          0s
        web-7d5cfd7d69-z7nl2   0/1     Pending   0          0s
        web-7d5cfd7d69-27z2q   0/1     ContainerCreating   0          0s
        web-7d5cfd7d69-z7nl2   0/1     ContainerCreating   0          0s
        web-7d5cfd7d69-27z2q   0/1     ContainerCreating   0          0s
        web-7d5cfd7d69-z7nl2   0/1     ContainerCreating   0          0s
        web-7d5cfd7d69-27z2q   1/1     Running             0          2s
        web-7d5cfd7d69-z7nl2   1/1     Running             0          2s
        deployment.apps/web scaled
        NAME                   READY   STATUS    RESTARTS   AGE
        web-7d5cfd7d69-lhtn8   0/1     Pending   0          0s
        web-7d5cfd7d69-lhtn8   0/1     Pending   0          0s
        web-7d5cfd7d69-lhtn8   0/1     ContainerCreating   0          0s
        web-7d5cfd7d69-lhtn8   1/1     Running             0          0s
        NAME   READY   UP-TO-DATE   AVAILABLE   AGE
        web    3/3     3            3           7s
        9.678s

        """)
        #expect(WaitTests.run("get pods,svc -w").err.contains("you may only specify a single resource type"))
    }
}

/// `settle` with a sidecar that loops forever: the loop is background, like a timer.
@Suite("settle with endless container programs")
struct SidecarSettleTests {
    @Test("a log-shipper sidecar (while true; sleep 5) does not keep settle busy; settle prints nothing")
    func sidecar() {
        let r = WaitTests.run(#"""
        cluster nodes=1
        apply <<EOF
        apiVersion: v1
        kind: Pod
        metadata:
          name: app
        spec:
          containers:
          - name: web
            image: nginx:1.25
          - name: shipper
            image: busybox
            command: ["sh", "-c", "while true; do echo shipped; sleep 5; done"]
        EOF
        settle
        assert now() < 30s
        assert pod("app").ready
        tick 12s
        logs app -c shipper
        """#)
        #expect(r.err == "")
        #expect(!r.out.contains("still changing"))
        #expect(r.out.hasSuffix("pod/app created\nshipped\nshipped\nshipped\n"))
    }
}
