/// RBAC objects (rbac.authorization.k8s.io/v1) and the authorizer that evaluates
/// them, as plugin/pkg/auth/authorizer/rbac does: deny unless some binding grants the
/// verb on the resource. `system:masters` (kubernetes-admin) may do anything.
public struct PolicyRule: Sendable, Equatable {
    public var apiGroups: [String]
    public var resources: [String]
    public var verbs: [String]
    public var resourceNames: [String] = []
    public init(apiGroups: [String], resources: [String], verbs: [String], resourceNames: [String] = []) {
        self.apiGroups = apiGroups; self.resources = resources; self.verbs = verbs; self.resourceNames = resourceNames
    }

    func allows(_ a: Authorizer.Attributes) -> Bool {
        (apiGroups.contains("*") || apiGroups.contains(a.group))
            && (resources.contains("*") || resources.contains(a.resource))
            && (verbs.contains("*") || verbs.contains(a.verb))
            && (resourceNames.isEmpty || (a.name.map { resourceNames.contains($0) } ?? false))
    }
}

/// A Role (namespaced) or ClusterRole.
public struct Role: Sendable, Equatable {
    public var metadata: ObjectMeta
    public var rules: [PolicyRule]
    public init(metadata: ObjectMeta, rules: [PolicyRule]) { self.metadata = metadata; self.rules = rules }
}

public struct Subject: Sendable, Equatable {
    public var kind: String        // User, Group, ServiceAccount
    public var name: String
    public var namespace: String?
    public init(kind: String, name: String, namespace: String? = nil) { self.kind = kind; self.name = name; self.namespace = namespace }
}

/// A RoleBinding (namespaced) or ClusterRoleBinding.
public struct RoleBinding: Sendable, Equatable {
    public var metadata: ObjectMeta
    public var roleKind: String    // Role or ClusterRole
    public var roleName: String
    public var subjects: [Subject]
    public init(metadata: ObjectMeta, roleKind: String, roleName: String, subjects: [Subject]) {
        self.metadata = metadata; self.roleKind = roleKind; self.roleName = roleName; self.subjects = subjects
    }
}

public struct ServiceAccount: Sendable, Equatable {
    public var metadata: ObjectMeta
    public init(metadata: ObjectMeta) { self.metadata = metadata }
}

public enum Authorizer {
    public struct Attributes: Sendable {
        public let user: String
        public let verb: String
        public let group: String
        public let resource: String
        public let namespace: String?
        public let name: String?
        public init(user: String, verb: String, type: ResourceType, namespace: String?, name: String?) {
            self.user = user
            self.verb = verb
            self.group = type.apiVersion.contains("/") ? String(type.apiVersion.split(separator: "/")[0]) : ""
            self.resource = type.plural
            self.namespace = type.namespaced ? namespace : nil
            self.name = name
        }
    }

    /// The groups a user is in: admins in system:masters; service accounts in
    /// system:serviceaccounts and system:serviceaccounts:NS; everyone authenticated.
    public static func groups(of user: String) -> [String] {
        var g = ["system:authenticated"]
        if user == "kubernetes-admin" || user == "system:apiserver" { g.append("system:masters") }
        let parts = user.split(separator: ":").map(String.init)
        if parts.count == 4, parts[0] == "system", parts[1] == "serviceaccount" {
            g += ["system:serviceaccounts", "system:serviceaccounts:\(parts[2])"]
        }
        return g
    }

    /// Cluster components act with the rights their bootstrap roles give them; here
    /// they are trusted (kube-scheduler, controllers, kubelets), and RBAC applies to
    /// users and pods' service accounts.
    static func isComponent(_ user: String) -> Bool {
        user == "system:kube-scheduler" || user.hasPrefix("system:node:")
            || user.hasPrefix("system:serviceaccount:kube-system:")
    }

    public static func authorize(_ a: Attributes, store: Store) -> Bool {
        // Fast path for the admin and the components (every controller write).
        if a.user == "kubernetes-admin" || isComponent(a.user) { return true }
        let groups = groups(of: a.user)
        if groups.contains("system:masters") || isComponent(a.user) { return true }
        func matches(_ s: Subject, bindingNamespace: String?) -> Bool {
            switch s.kind {
            case "User": return s.name == a.user
            case "Group": return groups.contains(s.name)
            case "ServiceAccount": return a.user == "system:serviceaccount:\(s.namespace ?? bindingNamespace ?? "default"):\(s.name)"
            default: return false
            }
        }
        func rules(kind: String, name: String, namespace: String?) -> [PolicyRule] {
            let type: ResourceType = kind == "ClusterRole" ? .clusterRole : .role
            return store.get(Store.key(type, namespace: kind == "ClusterRole" ? nil : namespace, name: name), type: type)?.role?.rules ?? []
        }
        for b in store.list(.clusterRoleBinding).compactMap(\.roleBinding) where b.subjects.contains(where: { matches($0, bindingNamespace: nil) }) {
            if rules(kind: "ClusterRole", name: b.roleName, namespace: nil).contains(where: { $0.allows(a) }) { return true }
        }
        if let ns = a.namespace {
            for b in store.list(.roleBinding, namespace: ns).compactMap(\.roleBinding) where b.subjects.contains(where: { matches($0, bindingNamespace: ns) }) {
                if rules(kind: b.roleKind, name: b.roleName, namespace: ns).contains(where: { $0.allows(a) }) { return true }
            }
        }
        return false
    }

    /// kubectl's Forbidden text.
    public static func forbidden(_ a: Attributes, type: ResourceType) -> APIError {
        let what = a.name.map { "\(APIError.qualified(type)) \"\($0)\"" } ?? APIError.qualified(type)
        let scope = a.namespace.map { "in the namespace \"\($0)\"" } ?? "at the cluster scope"
        return APIError(reason: "Forbidden", message: "\(what) is forbidden: User \"\(a.user)\" cannot \(a.verb) resource \"\(a.resource)\" in API group \"\(a.group)\" \(scope)")
    }
}
