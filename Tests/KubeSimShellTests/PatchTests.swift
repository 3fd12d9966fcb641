import Testing
import KubeScript
import KubeSimShell
import KubeSimManifest

/// patch (strategic merge, merge, JSON patch), replace -f, diff -f and edit.
@Suite("kubectl patch, replace, diff, edit")
struct PatchTests {
    static func run(_ script: String, in dir: String = "/tmp") -> (out: String, err: String) {
        var out = "", err = ""
        let s = SessionFactory.make(output: { out += $0 }, diagnostics: { err += $0 + "\n" })
        _ = s.run(script, name: dir + "/t.kscript")
        return (out, err)
    }

    static func json(_ text: String) -> JSONValue { try! Manifest.value(text) }

    @Test("a strategic merge patch merges containers and env by name; a merge patch replaces lists")
    func strategicAndMerge() {
        let pod = Self.json(#"{"spec":{"containers":[{"name":"a","image":"x:1","env":[{"name":"A","value":"1"}]},{"name":"b","image":"y:1"}]}}"#)
        let patch = Self.json(#"{"spec":{"containers":[{"name":"a","image":"x:2","env":[{"name":"B","value":"2"}]},{"name":"b","$patch":"delete"}]}}"#)
        #expect(Patch.strategic(pod, patch) == Self.json(#"{"spec":{"containers":[{"name":"a","image":"x:2","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}]}}"#))
        #expect(Patch.merge(pod, Self.json(#"{"spec":{"containers":[{"name":"c"}]}}"#)) == Self.json(#"{"spec":{"containers":[{"name":"c"}]}}"#))
        #expect(Patch.merge(Self.json(#"{"a":1,"b":{"c":2,"d":3}}"#), Self.json(#"{"a":null,"b":{"c":null,"e":4}}"#)) == Self.json(#"{"b":{"d":3,"e":4}}"#))
        let svc = Self.json(#"{"spec":{"ports":[{"port":80,"targetPort":8080}]}}"#)
        #expect(Patch.strategic(svc, Self.json(#"{"spec":{"ports":[{"port":80,"targetPort":9090},{"port":443}]}}"#))
                == Self.json(#"{"spec":{"ports":[{"port":80,"targetPort":9090},{"port":443}]}}"#))
    }

    @Test("JSON patch: add, replace, remove, move, copy, test; a missing path names the whole path")
    func jsonPatch() throws {
        let doc = Self.json(#"{"a":{"b":[1,2,3]},"c":"x"}"#)
        let ops = Self.json(#"[{"op":"add","path":"/a/b/1","value":9},{"op":"replace","path":"/c","value":"y"},{"op":"remove","path":"/a/b/0"},{"op":"copy","from":"/c","path":"/d"},{"op":"move","from":"/d","path":"/e"},{"op":"test","path":"/e","value":"y"},{"op":"add","path":"/a/b/-","value":7}]"#)
        #expect(try Patch.json(doc, ops) == Self.json(#"{"a":{"b":[9,2,3,7]},"c":"y","e":"y"}"#))
        #expect { try Patch.json(doc, Self.json(#"[{"op":"remove","path":"/a/x"}]"#)) } throws: { e in
            (e as? Patch.Failure)?.message == #"remove operation does not apply: doc is missing path: "/a/x": missing value"#
        }
    }

    @Test("patch prints patched or patched (no change) and the cluster follows the new spec")
    func patchCommand() {
        let r = Self.run("""
        cluster nodes=2
        create deployment web --image=nginx:1.25 --replicas=2
        settle
        patch deployment web -p '{"spec":{"replicas":3}}'
        patch deployment web -p '{"spec":{"replicas":3}}'
        patch deployment/web -p '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.26"}]}}}}'
        get deploy web -o jsonpath='{.spec.replicas} {.spec.template.spec.containers[*].image}'
        patch deployment web --type=merge -p '{"metadata":{"labels":{"tier":"fe"}}}'
        patch deployment web --type=json -p '[{"op":"replace","path":"/spec/replicas","value":1}]'
        patch deployment web --type=json -p '[{"op":"replace","path":"/spec/replicas","value":5}]' --dry-run=client
        get deploy web -o jsonpath='{.spec.replicas} {.metadata.labels}'
        settle
        assert pods(app=web).count == 1
        """)
        #expect(r.err == "")
        #expect(r.out == """
        cluster created: 2 nodes (node1…node2), seed 1
        deployment.apps/web created
        deployment.apps/web patched
        deployment.apps/web patched (no change)
        deployment.apps/web patched
        3 nginx:1.26
        deployment.apps/web patched
        deployment.apps/web patched
        deployment.apps/web patched (dry run)
        1 {"app":"web","tier":"fe"}

        """)
    }

    @Test("diff -f prints a unified diff and exits 1; replace -f makes it empty")
    func diffAndReplace() throws {
        let dir = try Scratch()
        _ = try dir.write("d.yaml", """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          replicas: 4
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
              - name: nginx
                image: nginx:1.25
        """)
        let r = Self.run("""
        cluster nodes=2
        create deployment web --image=nginx:1.25 --replicas=2
        settle
        let d = (diff -f d.yaml)
        print d.exitCode
        print d.output
        replace -f d.yaml
        let e = (diff -f d.yaml)
        print e.exitCode
        """, in: dir.path)
        #expect(r.err == "")
        #expect(r.out.contains("""
        1
        diff -u -N /tmp/LIVE-0/apps.v1.Deployment.default.web /tmp/MERGED-0/apps.v1.Deployment.default.web
        --- /tmp/LIVE-0/apps.v1.Deployment.default.web\t2026-01-01 00:00:02.000000000 +0000
        +++ /tmp/MERGED-0/apps.v1.Deployment.default.web\t2026-01-01 00:00:02.000000000 +0000
        @@ -2,7 +2,7 @@
         kind: Deployment
         metadata:
           creationTimestamp: "2026-01-01T00:00:00Z"
        -  generation: 1
        +  generation: 2
           labels:
             app: web
           name: web
        @@ -11,7 +11,7 @@
        """))
        #expect(r.out.contains("""
         spec:
           progressDeadlineSeconds: 600
        -  replicas: 2
        +  replicas: 4
           revisionHistoryLimit: 10
           selector:
             matchLabels:
        deployment.apps/web replaced
        0
        """))
    }

    @Test("edit in a script is refused clearly")
    func editRefused() {
        let r = Self.run("cluster nodes=1\ncreate deployment web --image=nginx\nedit deployment web")
        #expect(r.err.contains("edit needs an interactive terminal to run $EDITOR; in a script use patch, replace -f or apply -f"))
    }
}
