import Testing
import KubeScript
import KubeSimShell

/// autoscale and the HorizontalPodAutoscaler controller (upstream's algorithm: 15 s
/// sync, 0.1 tolerance, +100%/+4 pods per period, 300 s scale-down stabilization).
@Suite("kubectl autoscale and the HPA controller")
struct AutoscaleTests {
    /// kubectl v1.32's output for `kubectl autoscale deployment web --max=5 --dry-run=client -o yaml`.
    @Test("autoscale's client object is kubectl's (autoscaling/v1)")
    func clientObject() {
        let r = WaitTests.run("cluster nodes=1\ncreate deployment web --image=nginx\nautoscale deployment web --max=5 --dry-run=client -o yaml")
        #expect(r.err == "")
        #expect(r.out.hasSuffix("""
        apiVersion: autoscaling/v1
        kind: HorizontalPodAutoscaler
        metadata:
          creationTimestamp: null
          name: web
        spec:
          maxReplicas: 5
          scaleTargetRef:
            apiVersion: apps/v1
            kind: Deployment
            name: web
        status:
          currentReplicas: 0
          desiredReplicas: 0

        """))
        #expect(WaitTests.run("cluster nodes=1\ncreate deployment web --image=nginx\nautoscale deployment web --max=0").err
            .contains("--max=MAXPODS is required and must be at least 1, max: 0"))
    }

    @Test("utilization within the tolerance changes nothing; above it a scale-up of at most +4 or +100% per period, bounded by max; the window holds scale-down")
    func algorithm() {
        let r = WaitTests.run("""
        cluster nodes=2
        image define shop/api:v1 listen 8080 cpu 50m
        create deployment api --image=shop/api:v1 --replicas=2
        set resources deployment api --requests=cpu=100m
        settle
        autoscale deployment api --min=2 --max=9 --cpu-percent=60
        tick 16s
        assert deployment("api").replicas == 2
        load deployment/api cpu=400m
        tick 15s
        assert deployment("api").replicas == 6
        tick 15s
        assert deployment("api").replicas == 9
        get hpa
        load deployment/api cpu=0
        tick 4m
        assert deployment("api").replicas == 9
        get hpa api -o jsonpath='{.status.conditions[?(@.type=="AbleToScale")].reason}{"\\n"}'
        tick 2m
        assert deployment("api").replicas < 9
        """)
        #expect(r.err == "")
        #expect(r.out.contains("""
        NAME   REFERENCE        TARGETS         MINPODS   MAXPODS   REPLICAS   AGE
        api    Deployment/api   cpu: 116%/60%   2         9         6          46s
        """))
        #expect(r.out.contains("\nScaleDownStabilized\n"))
    }
}

extension AutoscaleTests {
    /// describe hpa: kubectl's describeHorizontalPodAutoscalerV2 layout, with the
    /// controller's AbleToScale, ScalingActive and ScalingLimited conditions.
    @Test("describe hpa")
    func describe() {
        let r = WaitTests.run("""
        cluster nodes=2
        image define shop/api:v1 listen 8080 cpu 50m
        create deployment api --image=shop/api:v1 --replicas=2
        set resources deployment api --requests=cpu=100m
        settle
        autoscale deployment api --min=2 --max=9 --cpu-percent=60
        load deployment/api cpu=400m
        tick 31s
        describe hpa api
        """)
        #expect(r.err == "")
        #expect(r.out.hasSuffix("""
        Name:                                                  api
        Namespace:                                             default
        Labels:                                                <none>
        Annotations:                                           <none>
        CreationTimestamp:                                     Thu, 01 Jan 2026 00:00:01 +0000
        Reference:                                             Deployment/api
        Metrics:                                               ( current / target )
          resource cpu on pods  (as a percentage of request):  116% (116m) / 60%
        Min replicas:                                          2
        Max replicas:                                          9
        Deployment pods:                                       6 current / 9 desired
        Conditions:
          Type            Status  Reason            Message
          ----            ------  ------            -------
          AbleToScale     True    SucceededRescale  the HPA controller was able to update the target scale to 9
          ScalingActive   True    ValidMetricFound  the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)
          ScalingLimited  True    TooManyReplicas   the desired replica count is more than the maximum replica count
        Events:
          Type    Reason             Age   From                       Message
          ----    ------             ----  ----                       -------
          Normal  SuccessfulRescale  15s   horizontal-pod-autoscaler  New size: 6; reason: cpu resource utilization (percentage of request) above target
          Normal  SuccessfulRescale  0s    horizontal-pod-autoscaler  New size: 9; reason: cpu resource utilization (percentage of request) above target

        """))
    }
}

/// debug: an ephemeral container in a running pod, sharing its network namespace.
@Suite("kubectl debug")
struct DebugTests {
    @Test("the debug container runs beside the app, reaches it on localhost, shows in describe and logs, and leaves the pod Ready")
    func debug() {
        let r = WaitTests.run(#"""
        cluster nodes=1
        run web --image=nginx:1.25
        settle
        debug web --image=busybox --target=web -- sh -c "echo hello from the debugger; wget -qO- localhost:80 > /dev/null && echo web answers on localhost"
        tick 5s
        assert pod("web").ready
        assert pod("web").restarts == 0
        logs web -c debugger-9th94
        let d = (describe pod web)
        assert d.output.contains("Ephemeral Containers:\n  debugger-9th94:\n")
        get pod web -o jsonpath='{.spec.ephemeralContainers[0].targetContainerName} {.status.ephemeralContainerStatuses[0].state.terminated.reason}'
        """#)
        #expect(r.err == "")
        #expect(r.out.hasSuffix("""
        Defaulting debug container name to debugger-9th94.
        hello from the debugger
        web answers on localhost
        web Completed

        """))
        #expect(WaitTests.run("cluster nodes=1\nrun web --image=nginx\nsettle\ndebug web --image=busybox --target=nope").err
            .contains("the target container nope is not a container of pod web"))
    }
}

extension AutoscaleTests {
    /// computeReplicasForMetrics takes the first metric's proposal even when it is 0 (every
    /// pod idle): min replicas lifts it, so the status gets a desired count and the
    /// ScalingLimited TooFewReplicas condition rather than staying at 0 desired.
    @Test("idle pods: desired is min replicas, ScalingLimited TooFewReplicas")
    func idle() {
        let r = WaitTests.run("""
        cluster nodes=1
        create deployment web --image=nginx:1.25 --replicas=2
        set resources deployment web --requests=cpu=200m
        settle
        autoscale deployment web --min=2 --max=5 --cpu-percent=50
        tick 16s
        describe hpa web
        """)
        #expect(r.err == "")
        #expect(r.out.contains("Deployment pods:                                       2 current / 2 desired\n"))
        #expect(r.out.contains("  ScalingLimited  True    TooFewReplicas    the desired replica count is less than the minimum replica count\n"))
    }
}

extension AutoscaleTests {
    /// No pod reports usage (they cannot be scheduled): ScalingActive False with the
    /// metrics client's error, desired left as it was.
    @Test("no metrics: ScalingActive False FailedGetResourceMetric")
    func noMetrics() {
        let r = WaitTests.run("""
        cluster nodes=1
        create deployment web --image=nginx:1.25 --replicas=2
        set resources deployment web --requests=cpu=100
        settle
        autoscale deployment web --min=2 --max=5 --cpu-percent=50
        tick 16s
        describe hpa web
        """)
        #expect(r.err == "")
        #expect(r.out.contains("Deployment pods:                                       2 current / 0 desired\n"))
        #expect(r.out.contains("  ScalingActive  False   FailedGetResourceMetric  the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API\n"))
    }
}
