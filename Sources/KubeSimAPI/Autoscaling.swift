import KubeSimCore

/// autoscaling/v2 HorizontalPodAutoscaler: keeps a workload's average resource
/// utilization (usage over request, per pod) near a target by changing its replicas.
/// Written by `autoscale` or a manifest (autoscaling/v1 or v2); acted on by the
/// HorizontalPodAutoscalerController.
public struct HorizontalPodAutoscaler: Sendable, Equatable {
    public var metadata: ObjectMeta
    public var spec: HorizontalPodAutoscalerSpec
    public var status = HorizontalPodAutoscalerStatus()
    public init(metadata: ObjectMeta, spec: HorizontalPodAutoscalerSpec) { self.metadata = metadata; self.spec = spec }
}

public struct HorizontalPodAutoscalerSpec: Sendable, Equatable {
    /// The scaled workload: apiVersion, kind, name (in the HPA's namespace).
    public var targetAPIVersion = "apps/v1"
    public var targetKind = "Deployment"
    public var targetName: String
    public var minReplicas = 1
    public var maxReplicas: Int
    /// Resource metrics (`cpu`, `memory`) with a target average utilization in percent.
    public var metrics: [ResourceMetricTarget] = []
    public init(targetName: String, maxReplicas: Int) { self.targetName = targetName; self.maxReplicas = maxReplicas }
}

public struct ResourceMetricTarget: Sendable, Equatable {
    public var resource: String
    public var averageUtilization: Int
    public init(resource: String, averageUtilization: Int) { self.resource = resource; self.averageUtilization = averageUtilization }
}

public struct HorizontalPodAutoscalerStatus: Sendable, Equatable {
    public var currentReplicas = 0
    public var desiredReplicas = 0
    /// The last measured average utilization per resource, in percent of the request.
    public var currentUtilization: [String: Int] = [:]
    public var currentAverageValue: [String: Quantity] = [:]
    public var lastScaleTime: Int64?
    /// AbleToScale, ScalingActive, ScalingLimited, as the controller sets them.
    public var conditions: [HPACondition] = []
    public init() {}
}

public struct HPACondition: Sendable, Equatable {
    public var type: String
    public var status: String
    public var reason: String
    public var message: String
    public var lastTransitionTime: Int64
    public init(type: String, status: String, reason: String, message: String, lastTransitionTime: Int64) {
        self.type = type; self.status = status; self.reason = reason; self.message = message; self.lastTransitionTime = lastTransitionTime
    }
}

extension HorizontalPodAutoscalerStatus {
    /// setCondition: a changed status moves lastTransitionTime; reason and message follow.
    public mutating func setCondition(_ type: String, _ status: String, _ reason: String, _ message: String, now: Int64) {
        if let i = conditions.firstIndex(where: { $0.type == type }) {
            if conditions[i].status != status { conditions[i].lastTransitionTime = now }
            conditions[i].status = status; conditions[i].reason = reason; conditions[i].message = message
        } else {
            conditions.append(HPACondition(type: type, status: status, reason: reason, message: message, lastTransitionTime: now))
        }
    }
}

extension ResourceType {
    public static let horizontalPodAutoscaler = ResourceType(kind: "HorizontalPodAutoscaler", resource: "horizontalpodautoscalers", singular: "horizontalpodautoscaler",
                                                             shortNames: ["hpa"], apiVersion: "autoscaling/v2", namespaced: true)
}

extension APIObject {
    public var horizontalPodAutoscaler: HorizontalPodAutoscaler? { if case .horizontalPodAutoscaler(let h) = self { return h } else { return nil } }
}
