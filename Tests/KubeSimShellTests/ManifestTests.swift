import Foundation
import Testing
import KubeScript
import KubeSimShell

/// Manifests in and out: apply, -o yaml/json, export — and what kubectl's schema
/// validation (kubernetes-validate --strict) says of what we write.
@Suite("manifests")
struct ManifestTests {
    func run(_ script: String, in dir: String) -> (outcome: Session.Outcome, out: String, err: String) {
        var out = "", err = ""
        let s = SessionFactory.make(output: { out += $0 }, diagnostics: { err += $0 + "\n" })
        let o = s.run(script, name: dir + "/t.kscript")
        return (o, out, err)
    }

    static let deploymentYAML = """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: frontend
    spec:
      replicas: 2
      selector:
        matchLabels: {app: frontend}
      strategy:
        rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
      template:
        metadata:
          labels: {app: frontend}
        spec:
          containers:
          - name: web
            image: nginx:1.25
            ports: [{containerPort: 80}]
            resources: {requests: {cpu: 250m, memory: 64Mi}}
            futureField: 1
            env: [{name: MODE, value: fast}]
            livenessProbe: {httpGet: {path: /, port: 80}, periodSeconds: 5}
    """

    @Test func applyCreatesThenReportsUnchangedAndConfigured() throws {
        let s = try Scratch()
        try s.write("m/web.yaml", Self.deploymentYAML)
        try s.write("m/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n")
        let r = run("""
        cluster nodes=2
        apply -f m
        apply -f m/web.yaml
        scale deployment/frontend --replicas=3
        apply -f m/web.yaml
        settle
        assert deployment("frontend").replicas == 2
        assert namespace("shop") != nil
        """, in: s.path)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out == """
        cluster created: 2 nodes (node1…node2), seed 1
        namespace/shop created
        Warning: unknown field "spec.template.spec.containers[0].futureField"
        deployment.apps/frontend created
        Warning: unknown field "spec.template.spec.containers[0].futureField"
        deployment.apps/frontend unchanged
        deployment.apps/frontend scaled
        Warning: unknown field "spec.template.spec.containers[0].futureField"
        deployment.apps/frontend configured

        """)
    }

    @Test func badManifestsChangeNothing() throws {
        let s = try Scratch()
        try s.write("bad.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n   bad: [\n")
        try s.write("svc.yaml", "apiVersion: v1\nkind: Gadget\nmetadata:\n  name: g\n")
        try s.write("mix.yaml", Self.deploymentYAML + "\n---\napiVersion: v1\nkind: Gadget\nmetadata:\n  name: g\n")
        let r = run("""
        cluster nodes=1
        expect error "error parsing bad.yaml: error converting YAML to JSON: yaml: line 5" { apply -f bad.yaml }
        expect error "no matches for kind \\"Gadget\\" in version \\"v1\\"" { apply -f svc.yaml }
        expect error "no matches for kind" { apply -f mix.yaml }
        expect error "the path \\"missing.yaml\\" does not exist" { apply -f missing.yaml }
        assert deployments().count == 0
        """, in: s.path)
        #expect(r.outcome == .success, "\(r.err)")
    }

    @Test func getAsYAMLAndJSON() throws {
        let s = try Scratch()
        let r = run("""
        cluster nodes=1
        create deployment web --image=nginx:1.25
        settle
        get deployment web -o yaml
        get deployment web -o json
        """, in: s.path)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  creationTimestamp: \"2026-01-01T00:00:00Z\"\n  generation: 1\n  labels:\n    app: web\n  name: web\n  namespace: default\n"))
        #expect(r.out.contains("    rollingUpdate:\n      maxSurge: 25%\n      maxUnavailable: 25%\n    type: RollingUpdate\n"))
        #expect(r.out.contains("{\n    \"apiVersion\": \"apps/v1\",\n    \"kind\": \"Deployment\",\n"))
    }

    /// kubernetes-validate (installed by scripts/test) checks our output against the
    /// real API schemas, rejecting unknown properties.
    @Test func exportedAndPrintedManifestsValidateStrictly() throws {
        let validator = ProcessInfo.processInfo.environment["PATH"]!.split(separator: ":")
            .map { "\($0)/kubernetes-validate" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        try #require(validator != nil, "kubernetes-validate is installed by scripts/test (pip install kubernetes-validate)")
        let s = try Scratch()
        try s.write("web.yaml", Self.deploymentYAML.replacingOccurrences(of: "        futureField: 1\n", with: ""))
        // Kinds kept as written (their controllers come later) round-trip too.
        try s.write("kinds.yaml", """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: deny-all, namespace: shop}
        spec:
          podSelector: {}
          policyTypes: [Ingress]
        ---
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata: {name: data, namespace: shop}
        spec:
          accessModes: [ReadWriteOnce]
          resources: {requests: {storage: 1Gi}}
        ---
        apiVersion: networking.k8s.io/v1
        kind: IngressClass
        metadata: {name: nginx}
        spec: {controller: k8s.io/ingress-nginx}
        ---
        apiVersion: v1
        kind: LimitRange
        metadata: {name: defaults, namespace: shop}
        spec:
          limits:
          - type: Container
            defaultRequest: {cpu: 100m}
        """)
        let r = run("""
        cluster nodes=2
        apply -f web.yaml
        create namespace shop
        create deployment api --image=shop/api:v1 -n shop --replicas=2 --port=8080
        expose deployment api --port=80 --target-port=8080 --type=NodePort -n shop
        create configmap settings --from-literal=mode=fast -n shop
        create secret generic creds --from-literal=password=s3cret -n shop
        create role reader --verb=get,list --resource=pods -n shop
        create rolebinding jane --role=reader --user=jane -n shop
        create serviceaccount bot -n shop
        create quota compute --hard=pods=10 -n shop
        apply -f kinds.yaml
        settle
        export \(s.path)/export.yaml
        """, in: s.path)
        #expect(r.outcome == .success, "\(r.err)")
        // Fields the model does not simulate come back as written.
        let exported = try String(contentsOfFile: s.path + "/export.yaml", encoding: .utf8)
        #expect(exported.contains("kind: NetworkPolicy\nmetadata:\n  name: deny-all\n  namespace: shop\nspec:\n  podSelector: {}\n  policyTypes:\n  - Ingress\n"))
        // The API server fills in the probe's defaults, as a real one does.
        #expect(exported.contains("        livenessProbe:\n          failureThreshold: 3\n          httpGet:\n            path: /\n            port: 80\n            scheme: HTTP\n          periodSeconds: 5\n          successThreshold: 1\n          timeoutSeconds: 1\n"))
        #expect(exported.contains("      - env:\n        - name: MODE\n          value: fast\n"))
        // Live objects, one document each (the validator has no schema for List).
        var docs: [String] = []
        var current = ""
        let s2 = SessionFactory.make(output: { current += $0 }, diagnostics: { _ in })
        _ = s2.run("cluster nodes=1\ncreate deployment web --image=nginx\nsettle\n", name: "x")
        for cmd in ["get deployment web -o yaml", "get node node1 -o yaml", "get pod ${pods()[0].name} -o yaml", "get rs ${replicasets()[0].name} -o yaml",
                    "get svc kubernetes -o yaml", "get namespace default -o yaml"] {
            current = ""
            _ = s2.run(cmd + "\n", name: "x")
            docs.append(current)
        }
        try s.write("live.yaml", docs.joined(separator: "---\n"))
        for file in ["export.yaml", "live.yaml"] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: validator!)
            p.arguments = ["--strict", s.path + "/" + file]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = out
            try p.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "\(file): \(text)")
            #expect(text.contains("passed"), "\(file): \(text)")
        }
    }
}
