import Testing
import KubeScript
import KubeSimShell

/// The kubelet and its runtime, through scripts: CRI steps and their simulated times,
/// restart back-off, probes, graceful termination, OOM, images, env and volumes, and
/// the node lifecycle (lease, NotReady, eviction at grace + 300 s).
@Suite("kubelet and nodes")
struct KubeletTests {
    func run(_ script: String) -> ScriptRun { runScript(script) }

    @Test func podStartGoesThroughSandboxPullCreateStart() {
        // nginx:1.25 is 70544635 bytes: 1345 ms at 50 MiB/s plus 400 ms → "in 1.745s".
        let r = run("""
        cluster nodes=1
        run web --image=nginx:1.25
        tick 400ms
        assert pod("web").status == "ContainerCreating"
        settle
        assert pod("web").status == "Running"
        assert pod("web").ready
        get events
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("Successfully pulled image \"nginx:1.25\" in 1.745s (1.745s including waiting). Image size: 70544635 bytes."))
        let reasons = r.out.split(separator: "\n").compactMap { line in ["Scheduled", "Pulling", "Pulled", "Created", "Started"].first { line.contains(" \($0) ") } }
        #expect(reasons == ["Scheduled", "Pulling", "Pulled", "Created", "Started"])
    }

    @Test func aPodsStatusIsWrittenWhenItsSyncRoundEnds() {
        // busybox without a tag is :latest, pulled for each container in turn (400 ms
        // apart): two containers have started by 1.5 s, but the kubelet's sync is still
        // starting the third, so the pod still shows 0/3 (as SyncPod reports after the round).
        let r = run("""
        cluster nodes=1
        apply <<YAML
        apiVersion: v1
        kind: Pod
        metadata:
          name: trio
        spec:
          containers:
          - name: a
            image: busybox
            command: ["sleep", "3600"]
          - name: b
            image: busybox
            command: ["sleep", "3600"]
          - name: c
            image: busybox
            command: ["sleep", "3600"]
        YAML
        tick 1500ms
        get events --field-selector reason=Started
        get pod trio
        settle
        get pod trio
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("Started container a\n"))
        #expect(r.out.contains("Started container b\n"))
        #expect(!r.out.contains("Started container c"))
        #expect(r.out.contains("trio   0/3     ContainerCreating   0          1s\n"))
        #expect(r.out.contains("trio   3/3     Running   0          1s\n"))
    }

    @Test func secondPodFindsTheImageCached() {
        let r = run("""
        cluster nodes=1
        run a --image=nginx:1.25
        settle
        run b --image=nginx:1.25
        settle
        describe pod b
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("Container image \"nginx:1.25\" already present on machine"))
    }

    @Test func crashLoopBackOffDoublesFromTenSeconds() {
        // Exits 1 s after each start; restarts: immediately (after the 1 s PLEG relist),
        // then after back-offs of 10 s, 20 s, 40 s counted from each exit.
        let r = run("""
        cluster nodes=1
        run crasher --image=busybox:1.36 -- sh -c "sleep 1; exit 3"
        tick 6s
        assert pod("crasher").restarts == 1
        assert pod("crasher").status == "CrashLoopBackOff"
        assert pod("crasher").exitCode == 3
        tick 10s
        assert pod("crasher").restarts == 2
        tick 10s
        assert pod("crasher").restarts == 2
        tick 10s
        assert pod("crasher").restarts == 3
        describe pod crasher
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("back-off 20s restarting failed container") || r.out.contains("Back-off restarting failed container crasher in pod crasher_default("))
        #expect(r.out.contains("      Exit Code:    3"))
    }

    @Test func restartPolicyNeverAndOnFailure() {
        let r = run("""
        cluster nodes=1
        run done --image=busybox:1.36 --restart=Never -- sh -c "echo finished"
        run fails --image=busybox:1.36 --restart=Never -- sh -c "exit 2"
        run retry --image=busybox:1.36 --restart=OnFailure -- sh -c "exit 0"
        settle
        assert pod("done").phase == "Succeeded"
        assert pod("done").status == "Completed"
        assert pod("fails").phase == "Failed"
        assert pod("fails").status == "Error"
        assert pod("retry").phase == "Succeeded"
        logs done
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.hasSuffix("finished\n"))
    }

    @Test func deletingWaitsForTheGracePeriodWhenTheProcessIgnoresSIGTERM() {
        // busybox `sleep` as PID 1 ignores SIGTERM: killed at the 30 s grace period.
        // nginx stops on the signal at once.
        let r = run("""
        cluster nodes=1
        run sleeper --image=busybox:1.36 -- sleep 3600
        run web --image=nginx:1.25
        settle
        delete pod sleeper
        delete pod web
        tick 1s
        assert pod("web") == nil
        assert pod("sleeper").status == "Terminating"
        tick 28s
        assert pod("sleeper") != nil
        tick 2s
        assert pod("sleeper") == nil
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }

    @Test func livenessExecProbeRestartsTheContainer() {
        // The upstream docs' example: healthy for 30 s, then three failed probes 5 s apart.
        let r = run("""
        cluster nodes=1
        apply <<EOF
        apiVersion: v1
        kind: Pod
        metadata: {name: liveness-exec}
        spec:
          terminationGracePeriodSeconds: 5
          containers:
          - name: liveness
            image: busybox:1.36
            args: [/bin/sh, -c, "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"]
            livenessProbe:
              exec: {command: [cat, /tmp/healthy]}
              initialDelaySeconds: 5
              periodSeconds: 5
        EOF
        tick 30s
        assert pod("liveness-exec").restarts == 0
        tick 30s
        assert pod("liveness-exec").restarts == 1
        describe pod liveness-exec
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory"))
        #expect(r.out.contains("Container liveness failed liveness probe, will be restarted"))
        #expect(r.out.contains("Liveness:       exec [cat /tmp/healthy] delay=5s timeout=1s period=5s #success=1 #failure=3"))
    }

    @Test func readinessFollowsTheApp() {
        // The shop app listens on 8080 two seconds after it starts.
        let r = run("""
        cluster nodes=1
        apply <<EOF
        apiVersion: v1
        kind: Pod
        metadata: {name: api}
        spec:
          containers:
          - name: api
            image: shop/api:v1
            readinessProbe:
              httpGet: {path: /ready, port: 8080}
              periodSeconds: 1
        EOF
        tick 2500ms
        assert pod("api").phase == "Running"
        assert not pod("api").ready
        settle
        assert pod("api").ready
        get events
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("Readiness probe failed: Get \"http://10.244.0.2:8080/ready\": dial tcp 10.244.0.2:8080: connect: connection refused"))
    }

    @Test func leakingAppIsOOMKilledAtItsLimit() {
        // 50Mi at start, 20Mi/min, limit 128Mi: 78Mi / 20Mi per minute = 3m54s after start.
        let r = run("""
        cluster nodes=1
        image define shop/leaky:v1 listen 8080 memory 50Mi leak 20Mi/min log "leaky starting"
        apply <<EOF
        apiVersion: v1
        kind: Pod
        metadata: {name: leaky}
        spec:
          containers:
          - name: app
            image: shop/leaky:v1
            resources: {limits: {memory: 128Mi}}
        EOF
        tick 2s
        assert pod("leaky").status == "Running"
        tick 3m52s
        assert pod("leaky").restarts == 0
        tick 3s
        assert pod("leaky").lastReason == "OOMKilled"
        assert pod("leaky").exitCode == 137
        assert pod("leaky").qos == "Burstable"
        logs leaky --previous
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.hasSuffix("leaky starting\n"))
    }

    @Test func unknownImageBacksOff() {
        let r = run("""
        cluster nodes=1
        run ghost --image=nginx:9.99
        tick 3s
        assert pod("ghost").status == "ImagePullBackOff"
        describe pod ghost
        expect error "is waiting to start: ImagePullBackOff" { logs ghost }
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("Failed to pull image \"nginx:9.99\": rpc error: code = NotFound desc = failed to pull and unpack image \"docker.io/library/nginx:9.99\""))
        #expect(r.out.contains("Back-off pulling image \"nginx:9.99\""))
        #expect(r.out.contains("Error: ImagePullBackOff"))
    }

    @Test func initContainersRunFirstInOrder() {
        let r = run("""
        cluster nodes=1
        apply <<EOF
        apiVersion: v1
        kind: Pod
        metadata: {name: app}
        spec:
          initContainers:
          - {name: wait, image: "busybox:1.36", command: [sh, -c, "sleep 5"]}
          - {name: setup, image: "busybox:1.36", command: [sh, -c, "echo ready > /work/flag"], volumeMounts: [{name: work, mountPath: /work}]}
          containers:
          - {name: main, image: "busybox:1.36", command: [sh, -c, "sleep 3600"], volumeMounts: [{name: work, mountPath: /work}]}
          volumes: [{name: work, emptyDir: {}}]
        EOF
        tick 3s
        assert pod("app").status == "Init:0/2"
        settle
        assert pod("app").status == "Running"
        exec app -- cat /work/flag
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.hasSuffix("ready\n"))
    }

    @Test func configMapsAndSecretsReachContainers() {
        let r = run("""
        cluster nodes=1
        create configmap settings --from-literal=mode=fast
        create secret generic creds --from-literal=password=s3cret
        apply <<EOF
        apiVersion: v1
        kind: Pod
        metadata: {name: app}
        spec:
          containers:
          - name: app
            image: busybox:1.36
            command: [sleep, "3600"]
            env:
            - {name: MODE, valueFrom: {configMapKeyRef: {name: settings, key: mode}}}
            - {name: PASSWORD, valueFrom: {secretKeyRef: {name: creds, key: password}}}
            - {name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
            volumeMounts: [{name: cfg, mountPath: /etc/config}]
          volumes: [{name: cfg, configMap: {name: settings}}]
        EOF
        settle
        exec app -- printenv MODE
        exec app -- printenv PASSWORD
        exec app -- printenv NODE
        exec app -- cat /etc/config/mode
        expect error "Read-only file system" { exec app -- touch /etc/config/x }
        run broken --image=busybox:1.36 --env=X=1 -- sleep 3600
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("fast\ns3cret\nnode1\nfast\n"))
    }

    @Test func missingConfigMapIsACreateContainerConfigError() {
        let r = run("""
        cluster nodes=1
        apply <<EOF
        apiVersion: v1
        kind: Pod
        metadata: {name: app}
        spec:
          containers:
          - name: app
            image: busybox:1.36
            command: [sleep, "3600"]
            env: [{name: MODE, valueFrom: {configMapKeyRef: {name: nope, key: mode}}}]
        EOF
        tick 5s
        assert pod("app").status == "CreateContainerConfigError"
        create configmap nope --from-literal=mode=late
        tick 15s
        assert pod("app").status == "Running"
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }

    @Test func containersOfAPodShareTheNetworkNamespace() {
        // Two nginx containers both bind port 80: the second fails as it would.
        let r = run("""
        cluster nodes=1
        apply <<EOF
        apiVersion: v1
        kind: Pod
        metadata: {name: twins}
        spec:
          containers:
          - {name: a, image: "nginx:1.25"}
          - {name: b, image: "nginx:1.25"}
        EOF
        tick 5s
        logs twins -c b
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("bind() to 0.0.0.0:80 failed (98: Address already in use)"))
    }

    @Test func killContainerRestartsItWithExitCode137() {
        let r = run("""
        cluster nodes=1
        run web --image=nginx:1.25
        settle
        kill container web/web
        settle
        assert pod("web").restarts == 1
        assert pod("web").exitCode == 137
        ssh node1 crictl ps -a
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("CONTAINER           IMAGE               CREATED"))
        #expect(r.out.contains("Exited              web                 0"))
    }

    @Test func settleTreatsALongSleepAsSteady() {
        let r = run("""
        cluster nodes=1
        run sleeper --image=busybox:1.36 -- sleep 3600
        settle
        assert now() < 10s
        assert pod("sleeper").status == "Running"
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(!r.out.contains("still changing"))
    }

    @Test func failedNodeIsMarkedThenItsPodsAreEvictedAndReplaced() {
        // Lease renewed every 10 s; NotReady after the 50 s grace period (checked every
        // 5 s); pods evicted 300 s after the unreachable taint (DefaultTolerationSeconds).
        let r = run("""
        cluster nodes=3
        create deployment web --image=nginx:1.25 --replicas=3
        settle
        let victim = pods(app=web)[0]
        let n = victim.nodeName
        fail node $n
        let failedAt = now()
        tick 45s
        assert node(n).status == "Ready"
        tick 20s
        assert node(n).status == "NotReady"
        assert node(n).conditions["Ready"] == "Unknown"
        assert node(n).taints.contains("node.kubernetes.io/unreachable:NoExecute")
        assert not pod(victim.name).ready
        tick 4m
        assert not pod(victim.name).terminating
        tick 65s
        assert pod(victim.name).terminating
        settle
        assert pods(app=web, phase=Running).count == 4
        assert pods(app=web, ready=true).count == 3
        recover node $n
        settle
        assert pod(victim.name) == nil
        assert node(n).status == "Ready"
        assert node(n).taints.count == 0
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }

    @Test func partitionedNodeKeepsItsContainersRunning() {
        let r = run("""
        cluster nodes=2
        run web --image=nginx:1.25
        settle
        let n = pod("web").nodeName
        partition node $n
        tick 70s
        assert node(n).status == "NotReady"
        ssh $n crictl ps
        recover node $n
        settle
        assert node(n).status == "Ready"
        assert pod("web").ready
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("Running             web"))
    }

    @Test func kubeletJournalAndImages() {
        let r = run("""
        cluster nodes=1
        run web --image=nginx:1.25
        settle
        ssh node1 crictl images
        ssh node1 journalctl -u kubelet -n 2
        assert node("node1").images.contains("docker.io/library/nginx:1.25")
        expect error "Could not resolve hostname node9" { ssh node9 crictl ps }
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("docker.io/library/nginx   1.25                "))
        #expect(r.out.contains("node1 kubelet[1042]: I0101 00:00:0"))
    }

    @Test func containersReachEachOtherOnLocalhostAndServersLogRequests() {
        let r = run("""
        cluster nodes=1
        apply <<EOF
        apiVersion: v1
        kind: Pod
        metadata: {name: duo}
        spec:
          containers:
          - {name: web, image: "nginx:1.25"}
          - {name: tool, image: "busybox:1.36", command: [sleep, "3600"]}
        EOF
        settle
        exec duo -c tool -- wget -qO- localhost
        expect error "wget: server returned error: HTTP/1.1 404 Not Found" { exec duo -c tool -- wget -qO- http://localhost/missing }
        expect error "Connection refused" { exec duo -c tool -- wget -qO- localhost:8080 }
        exec duo -c tool -- nc -zv localhost 80
        logs duo -c web --tail=2
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("<title>Welcome to nginx!</title>"))
        #expect(r.out.contains("localhost (127.0.0.1:80) open"))
        #expect(r.out.contains("127.0.0.1 - - [01/Jan/2026:00:00:0"))
        #expect(r.out.contains("\"GET / HTTP/1.1\" 200 "))
        #expect(r.out.contains("\"GET /missing HTTP/1.1\" 404 19 \"-\" \"Wget\" \"-\""))
    }

    @Test func shellRedirectionsLoopsAndLongSleeps() {
        let r = run("""
        cluster nodes=1
        run s --image=busybox:1.36 -- sleep inf
        settle
        assert pod("s").status == "Running"
        exec s -- sh -c 'for i in 1 2 3; do echo n$i; done'
        exec s -- sh -c "cat /nope 2>/dev/null || echo fallback"
        exec s -- sh -c 'ls /nope > /dev/null 2>&1; echo status=$?'
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("n1\nn2\nn3\n"))
        #expect(r.out.contains("fallback\n"))
        #expect(r.out.contains("status=1\n"))
    }

    /// busybox sleep takes s, m, h and d suffixes (FEATURE_FANCY_SLEEP).
    @Test func sleepTakesUnitSuffixes() {
        let r = runScript("""
        cluster nodes=1
        run day --image=busybox:1.36 -- sleep 1d
        run short --image=busybox:1.36 --restart=Never -- sleep 1.5m
        tick 80s
        assert pod("short").phase == "Running"
        tick 20s
        assert pod("short").phase == "Succeeded" and pod("day").phase == "Running" and pod("day").restarts == 0
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }
}
