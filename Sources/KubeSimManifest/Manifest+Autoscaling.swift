import KubeSimAPI

extension ObjectDecoder {
    /// autoscaling/v1 (`targetCPUUtilizationPercentage`, what kubectl autoscale sends)
    /// or autoscaling/v2 (`metrics` of type Resource with a Utilization target).
    mutating func horizontalPodAutoscaler(_ doc: JSONValue, v1: Bool) throws -> HorizontalPodAutoscaler {
        let spec = doc["spec"]
        guard let ref = spec?["scaleTargetRef"], let name = ref["name"]?.string else { throw fail("spec.scaleTargetRef", "missing required field \"name\"") }
        guard let max = try int(spec?["maxReplicas"], path: "spec.maxReplicas") else { throw fail("spec", "missing required field \"maxReplicas\"") }
        var s = HorizontalPodAutoscalerSpec(targetName: name, maxReplicas: max)
        s.targetKind = ref["kind"]?.string ?? "Deployment"
        s.targetAPIVersion = ref["apiVersion"]?.string ?? "apps/v1"
        if let min = try int(spec?["minReplicas"], path: "spec.minReplicas") { s.minReplicas = min }
        if v1 {
            if let cpu = try int(spec?["targetCPUUtilizationPercentage"], path: "spec.targetCPUUtilizationPercentage") {
                s.metrics = [ResourceMetricTarget(resource: "cpu", averageUtilization: cpu)]
            }
        } else {
            for (i, m) in (spec?["metrics"]?.array ?? []).enumerated() {
                guard m["type"]?.string == "Resource", let r = m["resource"], let rn = r["name"]?.string,
                      let u = try int(r["target"]?["averageUtilization"], path: "spec.metrics[\(i)].resource.target.averageUtilization") else {
                    warnings.append("Warning: metric spec.metrics[\(i)] is kept out: only Resource metrics with a Utilization target are simulated")
                    continue
                }
                s.metrics.append(ResourceMetricTarget(resource: rn, averageUtilization: u))
            }
            if spec?["behavior"] != nil { warnings.append("Warning: field \"spec.behavior\" is not simulated: the default behavior applies") }
        }
        // SetDefaults_HorizontalPodAutoscaler: no metrics means 80% CPU.
        if s.metrics.isEmpty { s.metrics = [ResourceMetricTarget(resource: "cpu", averageUtilization: 80)] }
        return HorizontalPodAutoscaler(metadata: try metadata(doc["metadata"], path: "metadata"), spec: s)
    }
}
