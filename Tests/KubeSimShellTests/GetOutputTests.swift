import Testing
import KubeScript
import KubeSimShell
import KubeSimManifest

/// `get -o jsonpath=…|custom-columns=…`, `--sort-by`, `--no-headers`: each expected
/// text is what kubectl v1.32 printed for the same command line, given the same
/// objects (this cluster's `get pods -o json`, served to kubectl by a stub API server).
/// kubectl ends JSONPath output without a line break; the transcript adds one.
@Suite("kubectl get output formats")
struct GetOutputTests {
    static let base = """
    cluster nodes=2
    create deployment web --image=nginx:1.25 --replicas=3 --port=80
    create deployment api --image=busybox --replicas=2
    run solo --image=nginx --labels=app=solo,tier=fe
    settle
    """

    static func run(_ command: String) -> (out: String, err: String) {
        var out = "", err = ""
        let s = SessionFactory.make(output: { out += $0 }, diagnostics: { err += $0 + "\n" })
        _ = s.run(base + "\nprint \"@@@\"\n" + command, name: "t.kscript")
        guard let marker = out.range(of: "@@@\n") else { return ("", err) }
        return (String(out[marker.upperBound...]), err)
    }

    static let cases: [(String, String)] = [
        ("get pods -o jsonpath='{.items[*].metadata.name}'", #"""
            api-5df9b99dc7-7vfmn api-5df9b99dc7-k9jlw solo web-59f484d9b5-nl2sr web-59f484d9b5-xg9hg web-59f484d9b5-zvltx
            """#),
        ("get pods -o jsonpath='{range .items[*]}{.metadata.name}{\"\\t\"}{.status.phase}{\"\\n\"}{end}'", #"""
            api-5df9b99dc7-7vfmn	Running
            api-5df9b99dc7-k9jlw	Running
            solo	Running
            web-59f484d9b5-nl2sr	Running
            web-59f484d9b5-xg9hg	Running
            web-59f484d9b5-zvltx	Running
            """#),
        ("get pods -o jsonpath='{.items[0].metadata.labels}'", #"""
            {"app":"api","pod-template-hash":"5df9b99dc7"}
            """#),
        ("get pods -o jsonpath='{.items[-1:].metadata.name}'", #"""
            web-59f484d9b5-zvltx
            """#),
        ("get pods -o jsonpath='{.items[1:3].metadata.name}'", #"""
            api-5df9b99dc7-k9jlw solo
            """#),
        ("get pods -o jsonpath='{.items[?(@.metadata.name==\"solo\")].spec.containers[0].image}'", #"""
            nginx
            """#),
        ("get pods -o jsonpath='{.items[?(@.spec.nodeName==\"node1\")].metadata.name}'", #"""
            api-5df9b99dc7-k9jlw solo web-59f484d9b5-xg9hg
            """#),
        ("get pods -o jsonpath='{range .items[*]}{.metadata.name}{\": \"}{.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}'", #"""
            api-5df9b99dc7-7vfmn: False
            api-5df9b99dc7-k9jlw: False
            solo: True
            web-59f484d9b5-nl2sr: True
            web-59f484d9b5-xg9hg: True
            web-59f484d9b5-zvltx: True
            """#),
        ("get pods -o jsonpath='{..image}'", #"""
            busybox busybox:latest busybox busybox:latest nginx nginx:latest nginx:1.25 nginx:1.25 nginx:1.25 nginx:1.25 nginx:1.25 nginx:1.25
            """#),
        ("get pods -o jsonpath='{.items[*].spec.containers[*].ports}'", #"""
            [{"containerPort":80,"protocol":"TCP"}] [{"containerPort":80,"protocol":"TCP"}] [{"containerPort":80,"protocol":"TCP"}]
            """#),
        ("get pods -o jsonpath='{.kind} {.apiVersion}'", #"""
            List v1
            """#),
        ("get pods -o jsonpath='{.items[0].spec.containers[0]}'", #"""
            {"image":"busybox","imagePullPolicy":"Always","name":"busybox","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}
            """#),
        ("get pods -o jsonpath='{.items[*].metadata.missing}'", #"""

            """#),
        ("get pods -o jsonpath='{.items[0].status.containerStatuses[0].restartCount} {.items[0].status.containerStatuses[0].ready}'", #"""
            6 false
            """#),
        ("get pods -o jsonpath='{range .items[*]}[{.metadata.labels.app}]{end}'", #"""
            [api][api][solo][web][web][web]
            """#),
        ("get pods -o jsonpath='{range .items}{.metadata.name}{end}'", #"""

            """#),
        ("get pods -o jsonpath='{.items[?(@.spec.containers[0].image!=\"busybox\")].metadata.name}'", #"""
            solo web-59f484d9b5-nl2sr web-59f484d9b5-xg9hg web-59f484d9b5-zvltx
            """#),
        ("get deployments -o jsonpath='{.items[?(@.spec.replicas>2)].metadata.name}'", #"""
            web
            """#),
        ("get deployments -o jsonpath='{.items[*].spec.template.spec.containers[0].name}'", #"""
            busybox nginx
            """#),
        ("get pods -o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName,IMG:.spec.containers[*].image", #"""
            NAME                   NODE    IMG
            api-5df9b99dc7-7vfmn   node2   busybox
            api-5df9b99dc7-k9jlw   node1   busybox
            solo                   node1   nginx
            web-59f484d9b5-nl2sr   node2   nginx:1.25
            web-59f484d9b5-xg9hg   node1   nginx:1.25
            web-59f484d9b5-zvltx   node2   nginx:1.25
            """#),
        ("get pods -o custom-columns=NAME:metadata.name,LABELS:.metadata.labels,PORTS:.spec.containers[0].ports --no-headers", #"""
            api-5df9b99dc7-7vfmn   map[app:api pod-template-hash:5df9b99dc7]   <none>
            api-5df9b99dc7-k9jlw   map[app:api pod-template-hash:5df9b99dc7]   <none>
            solo                   map[app:solo tier:fe]                       <none>
            web-59f484d9b5-nl2sr   map[app:web pod-template-hash:59f484d9b5]   [map[containerPort:80 protocol:TCP]]
            web-59f484d9b5-xg9hg   map[app:web pod-template-hash:59f484d9b5]   [map[containerPort:80 protocol:TCP]]
            web-59f484d9b5-zvltx   map[app:web pod-template-hash:59f484d9b5]   [map[containerPort:80 protocol:TCP]]
            """#),
        ("get pods -o custom-columns='N:{.metadata.name},X:.spec.missing'", #"""
            N                      X
            api-5df9b99dc7-7vfmn   <none>
            api-5df9b99dc7-k9jlw   <none>
            solo                   <none>
            web-59f484d9b5-nl2sr   <none>
            web-59f484d9b5-xg9hg   <none>
            web-59f484d9b5-zvltx   <none>
            """#),
        ("get deployments -o custom-columns=NAME:.metadata.name,R:.spec.replicas,SEL:.spec.selector.matchLabels", #"""
            NAME   R     SEL
            api    2     map[app:api]
            web    3     map[app:web]
            """#),
        ("get pods --sort-by=.spec.nodeName -o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName", #"""
            NAME                   NODE
            api-5df9b99dc7-k9jlw   node1
            solo                   node1
            web-59f484d9b5-xg9hg   node1
            api-5df9b99dc7-7vfmn   node2
            web-59f484d9b5-nl2sr   node2
            web-59f484d9b5-zvltx   node2
            """#),
        ("get pods --sort-by='{.metadata.name}' -o name", #"""
            pod/api-5df9b99dc7-7vfmn
            pod/api-5df9b99dc7-k9jlw
            pod/solo
            pod/web-59f484d9b5-nl2sr
            pod/web-59f484d9b5-xg9hg
            pod/web-59f484d9b5-zvltx
            """#),
        ("get deployments --sort-by=.spec.replicas -o name", #"""
            deployment.apps/api
            deployment.apps/web
            """#),
        ("get pods --sort-by=.metadata.labels.app -o jsonpath='{.items[*].metadata.name}'", #"""
            api-5df9b99dc7-7vfmn api-5df9b99dc7-k9jlw solo web-59f484d9b5-nl2sr web-59f484d9b5-xg9hg web-59f484d9b5-zvltx
            """#),
    ]

    @Test("as kubectl prints them", arguments: cases)
    func formats(_ command: String, _ expected: String) {
        let r = Self.run(command)
        #expect(r.err == "")
        // Empty output prints nothing, not an empty line.
        #expect(r.out == (expected.isEmpty ? "" : expected + "\n"))
    }

    @Test("kubectl's errors for bad templates, specs and formats")
    func errors() {
        let cases = [
            ("get pods -o jsonpath='{.items[}'", "error parsing jsonpath {.items[}, unterminated array"),
            ("get pods -o jsonpath='{.items[*][a, b]}'", "error parsing jsonpath {.items[*][a, b]}, invalid array index a"),
            ("get pods -o jsonpath='{end}'", #"error executing jsonpath "{end}": Error executing template: not in range, nothing to end."#),
            ("get pods -o custom-columns=NAME", "unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>"),
            ("get pods -o foo", #"unable to match a printer suitable for the output format "foo", allowed formats are: custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml"#),
            ("get pods --sort-by=.spec.nothing -o name", #"couldn't find any field with path "{.spec.nothing}" in the list of objects"#),
        ]
        for (command, message) in cases {
            let r = Self.run(command)
            #expect(r.err.contains("error: [t=10m0.005s] " + message), "\(command)")
        }
    }

    @Test("several kinds print a table each with kind-prefixed names; -L adds a column per key; --no-headers drops the header")
    func tables() {
        let r = Self.run("""
        get deployments,pods -L app,tier
        get deploy --no-headers --show-kind
        get deploy/web pod/solo -o name
        get pods,svc -l app=solo
        """)
        #expect(r.err == "")
        let expected = [
            "NAME                  READY   UP-TO-DATE   AVAILABLE   AGE     APP   TIER",
            "deployment.apps/api   0/2     2            0           9m59s   api   ",
            "deployment.apps/web   3/3     3            3           9m59s   web   ",
            "",
            "NAME                       READY   STATUS             RESTARTS        AGE     APP    TIER",
            "pod/api-5df9b99dc7-7vfmn   0/1     CrashLoopBackOff   6 (4m42s ago)   9m59s   api    ",
            "pod/api-5df9b99dc7-k9jlw   0/1     CrashLoopBackOff   6 (4m41s ago)   9m59s   api    ",
            "pod/solo                   1/1     Running            0               9m59s   solo   fe",
            "pod/web-59f484d9b5-nl2sr   1/1     Running            0               9m59s   web    ",
            "pod/web-59f484d9b5-xg9hg   1/1     Running            0               9m59s   web    ",
            "pod/web-59f484d9b5-zvltx   1/1     Running            0               9m59s   web    ",
            "deployment.apps/api   0/2   2     0     9m59s",
            "deployment.apps/web   3/3   3     3     9m59s",
            "deployment.apps/web",
            "pod/solo",
            "NAME       READY   STATUS    RESTARTS   AGE",
            "pod/solo   1/1     Running   0          9m59s",
            "",
        ]
        #expect(r.out == expected.joined(separator: "\n"))
    }

    @Test("JSONPath on its own: unions of keys, recursive descent, slices with steps, comparisons of numbers")
    func jsonPath() throws {
        let data = JSONValue.object([
            ("a", .array([.object([("n", .int(1)), ("s", .string("x"))]), .object([("n", .int(5)), ("s", .string("y"))]), .object([("n", .int(3))])])),
            ("m", .object([("k", .string("v")), ("b", .bool(true))])),
        ])
        #expect(try JSONPath("{.a[?(@.n>=3)].n}").execute(data) == "5 3")
        #expect(try JSONPath("{.a[0:3:2].n}").execute(data) == "1 3")
        #expect(try JSONPath("{.a[?(@.s)].s}").execute(data) == "x y")
        #expect(try JSONPath("{.m['k','b']}").execute(data) == "v true")
        #expect(try JSONPath("{..s}").execute(data) == "x y")
        #expect(try JSONPath("n={.a[-1].n}{\"\\n\"}").execute(data) == "n=3\n")
        #expect(try JSONPath("{.m}").execute(data) == #"{"b":true,"k":"v"}"#)
        #expect(throws: JSONPath.ParseError.self) { try JSONPath("{.a") }
    }
}
