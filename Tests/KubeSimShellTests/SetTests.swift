import Testing
import KubeScript
import KubeSimShell

/// set env | resources | serviceaccount | selector | image, and label / annotate /
/// delete with -l and --all: kubectl's messages, and the objects changed.
@Suite("kubectl set, and label/delete over a selector")
struct SetTests {
    @Test("each set changes the template or the selector and says what it updated")
    func set() {
        let r = WaitTests.run("""
        cluster nodes=2
        create deployment web --image=nginx:1.25 --replicas=2
        expose deployment web --port=80
        set env deployment/web MODE=fast LEVEL=3
        set env deployment/web --list
        set env deployment/web LEVEL-
        set resources deployment web --limits=cpu=200m,memory=512Mi --requests=cpu=100m
        set serviceaccount deployment/web robot
        set selector svc/web app=web,tier=fe
        set image deployment/web nginx=nginx:1.26 -o name
        get deploy web -o jsonpath='{.spec.template.spec.containers[0].env} {.spec.template.spec.containers[0].resources} {.spec.template.spec.serviceAccountName}'
        get svc web -o jsonpath='{.spec.selector}'
        settle
        label pods -l app=web tier=fe
        label pods --all extra=1 --dry-run=client
        delete pods --all --dry-run=client
        """)
        #expect(r.err == "")
        #expect(r.out == """
        cluster created: 2 nodes (node1…node2), seed 1
        deployment.apps/web created
        service/web exposed
        deployment.apps/web env updated
        # Deployment web, container nginx
        MODE=fast
        LEVEL=3
        deployment.apps/web env updated
        deployment.apps/web resource requirements updated
        deployment.apps/web serviceaccount updated
        service/web selector updated
        deployment.apps/web
        [{"name":"MODE","value":"fast"}] {"limits":{"cpu":"200m","memory":"512Mi"},"requests":{"cpu":"100m","memory":"512Mi"}} robot
        {"app":"web","tier":"fe"}
        pod/web-dc5b4f465-7nl2s labeled
        pod/web-dc5b4f465-sxg9h labeled
        pod/web-dc5b4f465-7nl2s labeled (dry run)
        pod/web-dc5b4f465-sxg9h labeled (dry run)
        pod "web-dc5b4f465-7nl2s" deleted (dry run)
        pod "web-dc5b4f465-sxg9h" deleted (dry run)

        """)
    }

    /// kubectl logs over several sources: --all-containers (init first), -l (10 lines
    /// each unless --tail), --prefix, --since, --timestamps, -f.
    @Test("logs from several containers and pods")
    func logs() {
        let r = WaitTests.run(#"""
        cluster nodes=1
        apply <<EOF
        apiVersion: v1
        kind: Pod
        metadata:
          name: app
          labels: {app: shop}
        spec:
          initContainers:
          - name: init
            image: busybox
            command: ["sh", "-c", "echo preparing"]
          containers:
          - name: shipper
            image: busybox
            command: ["sh", "-c", "while true; do echo shipped; sleep 5; done"]
        EOF
        settle
        tick 20s
        logs app --all-containers --prefix
        logs -l app=shop --tail=2 --timestamps
        logs app --since=6s
        logs app -c shipper -f --tail=1
        """#)
        #expect(r.err == "")
        #expect(r.out == """
        cluster created: 1 node (node1…node1), seed 1
        pod/app created
        [pod/app/init] preparing
        [pod/app/shipper] shipped
        [pod/app/shipper] shipped
        [pod/app/shipper] shipped
        [pod/app/shipper] shipped
        [pod/app/shipper] shipped
        2026-01-01T00:00:16.562000000Z shipped
        2026-01-01T00:00:21.562000000Z shipped
        shipped
        shipped
        shipped
        shipped
        shipped

        """)
    }

    /// kubectl top pod --containers (POD NAME CPU MEMORY), -l, --sort-by, --no-headers.
    @Test("top per container, sorted, without headers")
    func top() {
        let r = WaitTests.run("""
        cluster nodes=2
        create deployment web --image=nginx:1.25 --replicas=2
        settle
        top pods --containers
        top pods -l app=web --sort-by=memory --no-headers
        top nodes --sort-by=cpu
        """)
        #expect(r.err == "")
        #expect(r.out == """
        cluster created: 2 nodes (node1…node2), seed 1
        deployment.apps/web created
        POD                    NAME    CPU(cores)   MEMORY(bytes)
        web-7d5cfd7d69-27z2q   nginx   1m           8Mi
        web-7d5cfd7d69-z7nl2   nginx   1m           8Mi
        web-7d5cfd7d69-27z2q   1m   8Mi
        web-7d5cfd7d69-z7nl2   1m   8Mi
        NAME    CPU(cores)   CPU(%)   MEMORY(bytes)   MEMORY(%)
        node1   61m          1%       608Mi           7%
        node2   61m          1%       608Mi           7%

        """)
    }

    /// rollout history --revision=N: describe.DescribePodTemplate's layout (tabs kept).
    @Test("one revision's pod template")
    func historyRevision() {
        let r = WaitTests.run("""
        cluster nodes=1
        create deployment web --image=nginx:1.25 --port=80
        settle
        set image deployment/web nginx=nginx:1.26
        set env deployment/web MODE=fast
        settle
        rollout history deployment/web --revision=2
        """)
        #expect(r.err == "")
        #expect(r.out.hasSuffix("deployment.apps/web with revision #2\nPod Template:\n  Labels:\tapp=web\n\tpod-template-hash=6bd459d96\n  Containers:\n   nginx:\n"
            + "    Image:\tnginx:1.26\n    Port:\t80/TCP\n    Host Port:\t0/TCP\n    Environment:\n      MODE:\tfast\n    Mounts:\t<none>\n"
            + "  Volumes:\t<none>\n  Node-Selectors:\t<none>\n  Tolerations:\t<none>\n"))
        #expect(WaitTests.run("cluster nodes=1\ncreate deployment web --image=nginx\nrollout history deployment/web --revision=7").err.contains("unable to find the specified revision"))
    }

    /// logs -f follows as simulated time runs and stops when the container exits.
    @Test("logs -f until the container exits")
    func follow() {
        let r = WaitTests.run("""
        cluster nodes=1
        run bb --image=busybox --restart=Never -- sh -c "sleep 2; echo one; sleep 3; echo two; sleep 3; echo three"
        tick 3s
        logs bb -f --request-timeout=1m
        assert now() < 10s
        """)
        #expect(r.err == "")
        #expect(r.out.hasSuffix("pod/bb created\none\ntwo\nthree\n"))
    }
}
