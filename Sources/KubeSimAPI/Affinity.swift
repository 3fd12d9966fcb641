/// Scheduling constraints of a pod spec: node affinity, pod (anti-)affinity and
/// topology spread (k8s.io/api/core/v1 Affinity, TopologySpreadConstraint).
public struct NodeSelectorRequirement: Sendable, Equatable {
    public var key: String
    public var `operator`: String   // In, NotIn, Exists, DoesNotExist, Gt, Lt
    public var values: [String]
    public init(key: String, operator op: String, values: [String]) { self.key = key; self.operator = op; self.values = values }

    public func matches(_ labels: [String: String]) -> Bool {
        let v = labels[key]
        switch `operator` {
        case "In": return v.map { values.contains($0) } ?? false
        case "NotIn": return v.map { !values.contains($0) } ?? true
        case "Exists": return v != nil
        case "DoesNotExist": return v == nil
        case "Gt": return Int(v ?? "").flatMap { a in Int(values.first ?? "").map { a > $0 } } ?? false
        case "Lt": return Int(v ?? "").flatMap { a in Int(values.first ?? "").map { a < $0 } } ?? false
        default: return false
        }
    }
}

/// One node selector term: all requirements must hold (terms are ORed).
public struct NodeSelectorTerm: Sendable, Equatable {
    public var matchExpressions: [NodeSelectorRequirement]
    /// Requirements on the node's fields (only `metadata.name`, as upstream).
    public var matchFields: [NodeSelectorRequirement] = []
    public init(matchExpressions: [NodeSelectorRequirement], matchFields: [NodeSelectorRequirement] = []) {
        self.matchExpressions = matchExpressions
        self.matchFields = matchFields
    }
    public func matches(_ labels: [String: String]) -> Bool { matchExpressions.allSatisfy { $0.matches(labels) } }
    public func matches(_ labels: [String: String], nodeName: String) -> Bool {
        matchExpressions.allSatisfy { $0.matches(labels) } && matchFields.allSatisfy { $0.matches(["metadata.name": nodeName]) }
    }
}

public struct PreferredSchedulingTerm: Sendable, Equatable {
    public var weight: Int
    public var preference: NodeSelectorTerm
    public init(weight: Int, preference: NodeSelectorTerm) { self.weight = weight; self.preference = preference }
}

public struct PodAffinityTerm: Sendable, Equatable {
    public var labelSelector: LabelSelector
    public var topologyKey: String
    public var namespaces: [String] = []
    public init(labelSelector: LabelSelector, topologyKey: String) { self.labelSelector = labelSelector; self.topologyKey = topologyKey }
}

public struct WeightedPodAffinityTerm: Sendable, Equatable {
    public var weight: Int
    public var term: PodAffinityTerm
    public init(weight: Int, term: PodAffinityTerm) { self.weight = weight; self.term = term }
}

public struct Affinity: Sendable, Equatable {
    public var nodeRequired: [NodeSelectorTerm] = []
    public var nodePreferred: [PreferredSchedulingTerm] = []
    public var podAffinityRequired: [PodAffinityTerm] = []
    public var podAffinityPreferred: [WeightedPodAffinityTerm] = []
    public var podAntiAffinityRequired: [PodAffinityTerm] = []
    public var podAntiAffinityPreferred: [WeightedPodAffinityTerm] = []
    public init() {}
    public var isEmpty: Bool { self == Affinity() }
}

public struct TopologySpreadConstraint: Sendable, Equatable {
    public var maxSkew: Int
    public var topologyKey: String
    public var whenUnsatisfiable: String   // DoNotSchedule or ScheduleAnyway
    public var labelSelector: LabelSelector
    public init(maxSkew: Int, topologyKey: String, whenUnsatisfiable: String, labelSelector: LabelSelector) {
        self.maxSkew = maxSkew; self.topologyKey = topologyKey; self.whenUnsatisfiable = whenUnsatisfiable; self.labelSelector = labelSelector
    }
}
