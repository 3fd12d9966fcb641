import Testing
import KubeScript
import KubeSimShell
import KubeSimAPI

/// Jobs, CronJobs, DaemonSets and StatefulSets through scripts.
@Suite("workload controllers")
struct WorkloadTests {
    func run(_ script: String) -> ScriptRun { runScript(script) }

    @Test func jobRunsCompletionsWithParallelism() {
        let r = run("""
        cluster nodes=2
        apply <<EOF
        apiVersion: batch/v1
        kind: Job
        metadata: {name: batch}
        spec:
          completions: 5
          parallelism: 2
          template:
            spec:
              restartPolicy: Never
              containers: [{name: w, image: "busybox:1.36", command: [sh, -c, "sleep 3"]}]
        EOF
        tick 2s
        assert pods(job-name=batch, phase=Running).count == 2
        settle
        assert job("batch").succeeded == 5
        assert job("batch").complete
        get jobs
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("batch   Complete   5/5"))
    }

    @Test func deletedFinishedPodsStayCountedThroughTheTrackingFinalizer() {
        // A finished pod that is deleted was already counted (its finalizer came off when
        // it was); deleting it must not make the Job run another one.
        let r = run("""
        cluster nodes=1
        apply <<EOF
        apiVersion: batch/v1
        kind: Job
        metadata: {name: batch}
        spec:
          completions: 3
          parallelism: 1
          template:
            spec:
              restartPolicy: Never
              containers: [{name: w, image: "busybox:1.36", command: [sh, -c, "sleep 2"]}]
        EOF
        tick 1s
        let first = pods(job-name=batch)[0]
        assert first.finalizers == ["batch.kubernetes.io/job-tracking"]
        tick 3s
        assert job("batch").succeeded == 1
        let done = pods(job-name=batch, phase=Succeeded)[0]
        assert done.finalizers == []
        delete pod ${done.name}
        tick 100ms
        assert job("batch").succeeded == 1
        settle
        assert job("batch").succeeded == 3
        assert job("batch").complete
        # Three pods were made in all, one per completion, although one was deleted.
        assert events(reason=SuccessfulCreate).count == 3
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }

    @Test func aRunningJobPodThatIsDeletedCountsAsFailedOnce() {
        let r = run("""
        cluster nodes=1
        apply <<EOF
        apiVersion: batch/v1
        kind: Job
        metadata: {name: long}
        spec:
          backoffLimit: 3
          template:
            spec:
              restartPolicy: Never
              terminationGracePeriodSeconds: 5
              containers: [{name: w, image: "busybox:1.36", command: [sleep, "3600"]}]
        EOF
        tick 2s
        let p = pods(job-name=long)[0]
        delete pod ${p.name}
        tick 100ms
        assert job("long").failed == 1
        tick 10s
        assert job("long").failed == 1
        assert pods(job-name=long).count == 1
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }

    @Test func jobFailsAfterBackoffLimitWithGrowingDelays() {
        // Replacements wait 10 s, then 20 s after each failure (pod failure back-off).
        let r = run("""
        cluster nodes=1
        apply <<EOF
        apiVersion: batch/v1
        kind: Job
        metadata: {name: flaky}
        spec:
          backoffLimit: 2
          template:
            spec:
              restartPolicy: Never
              containers: [{name: w, image: "busybox:1.36", command: [sh, -c, "exit 1"]}]
        EOF
        tick 5s
        assert pods(job-name=flaky).count == 1
        tick 10s
        assert pods(job-name=flaky).count == 2
        tick 10s
        assert pods(job-name=flaky).count == 2
        settle
        assert pods(job-name=flaky).count == 3
        assert job("flaky").failed == 3
        assert not job("flaky").complete
        describe job flaky
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("BackoffLimitExceeded"))
        #expect(r.out.contains("Job has reached the specified backoff limit"))
    }

    @Test func jobActiveDeadline() {
        let r = run("""
        cluster nodes=1
        apply <<EOF
        apiVersion: batch/v1
        kind: Job
        metadata: {name: slow}
        spec:
          activeDeadlineSeconds: 20
          template:
            spec:
              restartPolicy: Never
              containers: [{name: w, image: "busybox:1.36", command: [sleep, "600"]}]
        EOF
        tick 19s
        assert pods(job-name=slow, phase=Running).count == 1
        tick 2s
        get jobs
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("slow   Failed"))
    }

    @Test func indexedJobGivesEachPodItsIndex() {
        let r = run("""
        cluster nodes=1
        apply <<EOF
        apiVersion: batch/v1
        kind: Job
        metadata: {name: idx}
        spec:
          completions: 3
          parallelism: 3
          completionMode: Indexed
          template:
            spec:
              restartPolicy: Never
              containers: [{name: w, image: "busybox:1.36", command: [sh, -c, "echo index $JOB_COMPLETION_INDEX"]}]
        EOF
        settle
        assert job("idx").complete
        for p in pods(job-name=idx) { print(p.name) }
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("idx-0-") && r.out.contains("idx-1-") && r.out.contains("idx-2-"))
    }

    @Test func cronJobRunsEveryMinuteAndKeepsItsHistory() {
        // Job names carry the scheduled time in Unix minutes: 2026-01-01T00:01Z is 29453761.
        let r = run("""
        cluster nodes=1
        create cronjob hello --image=busybox:1.36 --schedule="*/1 * * * *" -- echo hello
        tick 59s
        assert jobs().count == 0
        tick 2s
        assert job("hello-29453761") != nil
        tick 5m
        assert jobs().count == 3
        get cronjobs
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("hello   */1 * * * *   <none>     False     0"))
    }

    @Test func cronScheduleParsing() {
        // 2026-01-01 is a Thursday; minute 0 of simulated time is 00:00.
        let minute: Int64 = 60_000_000_000
        #expect(CronSchedule("*/15 * * * *")!.next(after: 0) == 15 * minute)
        #expect(CronSchedule("0 9 * * 1-5")!.next(after: 0) == (9 * 60) * minute)           // Thursday 09:00
        #expect(CronSchedule("30 2 * * sun")!.next(after: 0) == ((3 * 24 + 2) * 60 + 30) * minute)  // Sunday 4 Jan
        #expect(CronSchedule("@hourly")!.next(after: 0) == 60 * minute)
        #expect(CronSchedule("61 * * * *") == nil)
        #expect(CronSchedule("* * *") == nil)
    }

    @Test func badCronStringIsRejectedByValidation() {
        let r = run("""
        cluster nodes=1
        expect error "expected exactly 5 fields, found 3" { create cronjob bad --image=busybox:1.36 --schedule="* * *" }
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }

    @Test func daemonSetRunsOnEveryEligibleNode() {
        let r = run("""
        cluster nodes=3
        taint nodes node3 dedicated=db:NoSchedule
        apply <<EOF
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: agent}
        spec:
          selector: {matchLabels: {app: agent}}
          template:
            metadata: {labels: {app: agent}}
            spec:
              containers: [{name: a, image: "busybox:1.36", command: [sleep, "3600"]}]
        EOF
        settle
        assert pods(app=agent).count == 2
        assert daemonset("agent").desired == 2
        taint nodes node3 dedicated:NoSchedule-
        settle
        assert pods(app=agent).count == 3
        set image daemonset/agent a=busybox:1.35
        settle
        assert pods(app=agent, ready=true).count == 3
        for p in pods(app=agent) { assert p.image == "busybox:1.35" }
        get ds
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }

    @Test func statefulSetStartsInOrderWithStableNamesAndClaims() {
        let r = run("""
        cluster nodes=2
        apply <<EOF
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: web}
        spec:
          serviceName: web
          replicas: 3
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
              - name: app
                image: shop/web:v1
                readinessProbe: {httpGet: {path: /ready, port: 8080}, periodSeconds: 1}
                volumeMounts: [{name: data, mountPath: /data}]
          volumeClaimTemplates:
          - metadata: {name: data}
            spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
        EOF
        tick 2s
        assert pods(app=web).count == 1
        assert pod("web-0") != nil
        settle
        assert statefulset("web").readyReplicas == 3
        get pvc
        exec web-1 -- sh -c "echo kept > /data/file"
        delete pod web-1
        settle
        assert pod("web-1").ready
        exec web-1 -- cat /data/file
        scale statefulset web --replicas=1
        settle
        assert pods(app=web).count == 1
        assert pod("web-0") != nil
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("data-web-0   Bound"))
        #expect(r.out.contains("data-web-2   Bound"))
        #expect(r.out.hasSuffix("kept\n") || r.out.contains("kept\n"))
    }

    @Test func daemonPodsStayWhenANoScheduleTaintArrives() {
        // Upstream keeps a running daemon pod unless a NoExecute taint is not tolerated.
        let r = run("""
        cluster nodes=2
        apply <<EOF
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: agent}
        spec:
          selector: {matchLabels: {app: agent}}
          template:
            metadata: {labels: {app: agent}}
            spec:
              containers: [{name: a, image: "busybox:1.36", command: [sleep, "3600"]}]
        EOF
        settle
        taint nodes node2 maintenance=soon:NoSchedule
        settle
        assert pods(app=agent).count == 2
        taint nodes node2 evict=now:NoExecute
        settle
        assert pods(app=agent).count == 1
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }
}
