import Foundation
import Testing
import KubeSimFuzz
import KubeSimShell
import KubeSimCluster

/// Issue 13: inputs that crashed, hung or misreported, each run through the real
/// binary with its message and exit status asserted.
@Suite("reliability: no crash, no hang, honest exit codes")
struct ReliabilityTests {
    /// Runs `script` with `kubesim run` (plus `args`); the file's name in messages is `f`.
    func run(_ script: String, _ args: [String] = []) throws -> (r: Binary.Result, f: String, s: Scratch) {
        let s = try Scratch()
        let f = try s.write("t.kscript", script)
        return (try Binary.run(["run"] + args + [f]), f, s)
    }

    // MARK: crashes and hangs

    @Test(arguments: ["help ${", "e ${", "t --${\"", "help \"${\""])
    func unclosedInterpolationAfterACommandWordIsAnError(input: String) throws {
        for verb in ["check", "run"] {
            let s = try Scratch()
            let f = try s.write("t.kscript", input + "\n")
            let r = try Binary.run([verb, f])
            #expect(r.status == 2, "\(verb) \(input)")
            // `e` and `t` are no commands: that is the first error on the line.
            let message = input.hasPrefix("help") ? "error: unterminated '${' interpolation, expected '}'" : "error: unknown command '\(input.prefix(1))'"
            #expect(r.stderr.hasPrefix("\(f):1:"), "\(verb) \(input): \(r.stderr)")
            #expect(r.stderr.contains(message), "\(verb) \(input): \(r.stderr)")
        }
        // The REPL reads the rest of the input as the unfinished entry, then reports it.
        let r = try Binary.run([], stdin: input + "\n")
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("<repl>:1:"))
    }

    @Test func hugeStringRepetitionIsRefusedBeforeAllocating() throws {
        let (r, f, _) = try run("print \"x\" * 99999999999\n")
        #expect(r.status == 2)
        #expect(r.stderr == "\(f):1:7: error: string too large (limit 64 MiB); raise it with --max-value-size\nprint \"x\" * 99999999999\n      ^\n")
    }

    @Test func doublingAStringStopsAtTheLimit() throws {
        let (r, f, _) = try run("var s = \"x\"\nwhile true { s = s + s }\n")
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("\(f):2:18: error: string too large (limit 64 MiB); raise it with --max-value-size\n"))
    }

    @Test func doublingAListStopsAtTheLimit() throws {
        let (r, f, _) = try run("var l = [1]\nfor i in 1...64 { l = l + l }\n")
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("\(f):2:23: error: list too large (limit 4194304 elements); raise it with --max-value-size\n"))
    }

    @Test func theValueLimitIsAFlag() throws {
        // 100 bytes pass a 1Ki limit, 2000 do not; a larger limit lets them through.
        let small = try run("let s = \"x\" * 100\nprint s.count\nlet t = \"y\" * 2000\nprint t.count\n", ["--max-value-size", "1Ki"])
        #expect(small.r.status == 2)
        #expect(small.r.stdout == "100\n")
        #expect(small.r.stderr.hasPrefix("\(small.f):3:9: error: string too large (limit 1 KiB); raise it with --max-value-size\n"))
        let large = try run("let s = \"x\" * 100000000\nprint s.count\n", ["--max-value-size", "128Mi"])
        #expect(large.r.status == 0)
        #expect(large.r.stdout == "100000000\n")
        let bad = try run("print 1\n", ["--max-value-size", "lots"])
        #expect(bad.r.status == 64)
        #expect(bad.r.stderr.contains("--max-value-size: 'lots' is not a size such as 64Mi or 1000000"))
    }

    @Test func aLongTickStopsAtTheEventBudget() throws {
        let (r, f, _) = try run("cluster nodes=2\ntick 999999h\nprint \"never\"\n", ["--max-events", "20000"])
        #expect(r.status == 2)
        #expect(!r.stdout.contains("never"))
        #expect(r.stderr.hasPrefix("\(f):2:1: error: [t="))
        #expect(r.stderr.contains("tick: stopped after 20000 events (the event budget) before reaching t=999999h0m0.01s; raise the budget with --max-events\ntick 999999h\n^\n"))
    }

    @Test func theDefaultEventBudgetIsFiveMillionEvents() throws {
        // Running 5,000,000 events takes minutes in a debug build; the budget itself is
        // exercised above with a small --max-events. Here: the default and its flag.
        let r = try Binary.run(["run", "--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("--max-events <max-events>"))
        #expect(r.stdout.contains("(default: 5000000)"))
        #expect(r.stdout.contains("--max-value-size <max-value-size>"))
        #expect(r.stdout.contains("(default: 64Mi)"))
    }

    @Test func settleAndWaitingToolsCountEventsToo() throws {
        let settle = try run("cluster nodes=2\ncreate deployment web --image=nginx --replicas=3\nsettle\n", ["--max-events", "50"])
        #expect(settle.r.status == 2)
        #expect(settle.r.stderr.contains("settle: stopped after 50 events (the event budget) before settling; raise the budget with --max-events"))
        let exec = try run("cluster nodes=2\nrun a --image=busybox -- sleep 99999999\nsettle\nexec a -- sleep 99999h\n", ["--max-events", "5000"])
        #expect(exec.r.status == 2)
        #expect(exec.r.stderr.contains("exec: stopped after 5000 events (the event budget) before the command finished; raise the budget with --max-events"))
    }

    @Test func ctrlCStopsALongTick() throws {
        let s = try Scratch()
        let f = try s.write("t.kscript", "cluster nodes=2\ntick 999999h\nprint \"never\"\n")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Binary.path)
        p.arguments = ["run", "--max-events", "1000000000", f]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = Pipe()
        try p.run()
        Thread.sleep(forTimeInterval: 1.5)
        let sent = Date()
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        #expect(Date().timeIntervalSince(sent) < 10)
        #expect(p.terminationStatus == 2)
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text.contains("interrupted"))
    }

    @Test func yamlAliasBombIsRefusedBeforeExpanding() throws {
        var yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\ndata:\n  a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        for i in 1...8 { yaml += "  a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ",") + "]\n" }
        let start = Date()
        let (r, f, _) = try run("cluster nodes=1\napply <<EOF\n" + yaml + "EOF\n")
        #expect(Date().timeIntervalSince(start) < 20)
        #expect(r.status == 2)
        #expect(r.stderr.contains("\(f):2:1: error: [t=10ms] error parsing STDIN: error converting YAML to JSON: yaml: document contains excessive aliasing\n"))
    }

    @Test func yamlAliasBombAsAMappingKeyIsRefusedBeforeYamsHashesIt() throws {
        // Found by the manifest fuzz target (1 s timeout): Yams checks a mapping's keys
        // for duplicates by hashing them, and a key made of aliases hashes every copy.
        var yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\ndata:\n  a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        for i in 1...8 { yaml += "  a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ",") + "]\n" }
        yaml += "  ? [*a8, *a8]\n  : x\n"
        let start = Date()
        let (r, f, _) = try run("cluster nodes=1\napply <<EOF\n" + yaml + "EOF\n")
        #expect(Date().timeIntervalSince(start) < 20)
        #expect(r.status == 2)
        #expect(r.stderr.contains("\(f):2:1: error: [t=10ms] error parsing STDIN: error converting YAML to JSON: yaml: document contains excessive aliasing\n"))
    }

    @Test func aFewAliasesStillWork() throws {
        let yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: &l {app: web}\nspec:\n  containers:\n  - name: c\n    image: nginx\n    env: &e [{name: A, value: \"1\"}]\n"
        let (r, _, _) = try run("cluster nodes=1\napply <<EOF\n" + yaml + "EOF\nprint pod(\"p\").labels\n")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("pod/p created"))
    }

    @Test func aPodOverEtcdsRequestLimitIsRefused() throws {
        // 3,000 containers with 500-byte commands: about 1.6 MB, over etcd's 1.5 MiB.
        let arg = String(repeating: "z", count: 500)
        var yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: big\nspec:\n  containers:\n"
        for i in 0..<3000 { yaml += "  - name: c\(i)\n    image: busybox:1.36\n    command: [echo, \(arg)]\n" }
        let (r, f, _) = try run("cluster nodes=1\napply <<EOF\n" + yaml + "EOF\n")
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("\(f):2:1: error: [t=10ms] Error from server: etcdserver: request is too large\n"))
    }

    @Test func aFailedAssertionIsNeverTurnedIntoSuccess() throws {
        let big = try run("assert false\nexit 256\n")
        #expect(big.r.status == 2)
        #expect(big.r.stderr.contains("\(big.f):2:1: error: exit: 256 is out of range: an exit code is 0 to 255\nexit 256\n^\n"))
        let zero = try run("assert false\nexit 0\n")
        #expect(zero.r.status == 1)
        let three = try run("exit 3\n")
        #expect(three.r.status == 3)
        let maxCode = try run("exit 255\n")
        #expect(maxCode.r.status == 255)
        // The REPL, fed from a pipe, follows the same rule.
        let repl = try Binary.run([], stdin: "assert false\nexit 0\n")
        #expect(repl.status == 1)
        let replBig = try Binary.run([], stdin: "exit 256\n")
        #expect(replBig.status == 2)
        #expect(replBig.stderr.contains("exit: 256 is out of range"))
    }

    // MARK: answers a real cluster or tool would give

    func clusterRun(_ lines: String, _ args: [String] = []) throws -> (r: Binary.Result, f: String, s: Scratch) {
        try run("cluster nodes=2\ncreate deployment web --image=nginx\n" + lines, args)
    }

    @Test func labelValuesAreCheckedAsKubectlDoes() throws {
        let long = String(repeating: "a", count: 1000)
        let (r, f, _) = try clusterRun("label deployment web k=\(long)\n")
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("\(f):3:1: error: [t=10ms] invalid label value: \"k=\(long)\": must be no more than 63 characters\n"))
        let bad = try clusterRun("label deployment web k=-x\n")
        #expect(bad.r.stderr.contains("invalid label value: \"k=-x\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')\n"))
        let ok = try clusterRun("label deployment web k=\(String(repeating: "a", count: 63))\n")
        #expect(ok.r.status == 0)
    }

    @Test func labelAndAnnotationKeysAreCheckedByTheAPIServer() throws {
        let (r, f, _) = try clusterRun("label deployment web 'a b'=c\n")
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("\(f):3:1: error: [t=10ms] The Deployment \"web\" is invalid: metadata.labels: Invalid value: \"a b\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')\n"))
        let a = try clusterRun("annotate deployment web 'a b'=c\n")
        #expect(a.r.stderr.contains("The Deployment \"web\" is invalid: metadata.annotations: Invalid value: \"a b\": name part must consist of"))
        let prefix = try clusterRun("label deployment web Example.COM/x=y\n")
        #expect(prefix.r.stderr.contains("metadata.labels: Invalid value: \"Example.COM/x\": prefix part a lowercase RFC 1123 subdomain must consist of"))
        // Annotation keys ignore case; a prefixed key is fine.
        let fine = try clusterRun("annotate deployment web Example.com/Note=yes\nlabel deployment web app.kubernetes.io/name=web\n")
        #expect(fine.r.status == 0, "\(fine.r.stderr)")
    }

    @Test func annotationsTogetherAreAtMost256KiB() throws {
        let value = String(repeating: "v", count: 200_000)
        let (r, _, _) = try clusterRun("annotate deployment web a=\(value)\nannotate deployment web b=\(value)\n")
        #expect(r.status == 2)
        #expect(r.stdout.contains("deployment.apps/web annotated"))
        #expect(r.stderr.contains("The Deployment \"web\" is invalid: metadata.annotations: Too long: must have at most 262144 bytes\n"))
    }

    @Test func containerPortsAre1To65535() throws {
        let (r, f, _) = try run("cluster nodes=2\ncreate deployment w --image=nginx --port=70000\n")
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("\(f):2:1: error: [t=10ms] The Deployment \"w\" is invalid: spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive\n"))
        let t = try run("cluster nodes=2\ntrace from pod/a to 10.244.1.2:70000\n")
        #expect(t.r.status == 2)
        #expect(t.r.stderr.hasPrefix("\(t.f):2:1: error: [t=10ms] trace: invalid port 70000 in '10.244.1.2:70000': a port is 1 to 65535\n"))
    }

    @Test(arguments: ["default", "kube-system", "kube-public"])
    func immortalNamespacesCannotBeDeleted(ns: String) throws {
        let (r, f, _) = try run("cluster nodes=1\ndelete namespace \(ns)\n")
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("\(f):2:1: error: [t=10ms] Error from server (Forbidden): namespaces \"\(ns)\" is forbidden: this namespace may not be deleted\n"))
    }

    @Test func quotaLimitsAreNonNegative() throws {
        let (r, f, _) = try run("cluster nodes=1\ncreate quota q --hard=pods=-1\n")
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("\(f):2:1: error: [t=10ms] The ResourceQuota \"q\" is invalid: spec.hard[pods]: Invalid value: \"-1\": must be greater than or equal to 0\n"))
    }

    @Test func aCommandWithANegativeArgumentIsACommand() throws {
        let tick = try run("cluster nodes=1\ntick -5s\n")
        #expect(tick.r.status == 2)
        #expect(tick.r.stderr.hasPrefix("\(tick.f):2:1: error: [t=10ms] tick: invalid duration '-5s': simulated time only moves forward\n"))
        let exit = try run("exit -1\n")
        #expect(exit.r.status == 2)
        #expect(exit.r.stderr == "\(exit.f):1:1: error: exit: -1 is out of range: an exit code is 0 to 255\nexit -1\n^\n")
        let seed = try run("seed -1\n")
        #expect(seed.r.status == 2)
        #expect(seed.r.stderr == "\(seed.f):1:1: error: seed: '-1' is not a non-negative integer\nseed -1\n^\n")
        // A variable minus a number is still arithmetic.
        let arith = try run("let tick = 10\nprint tick -5\n")
        #expect(arith.r.stdout == "5\n")
    }

    @Test func anUnclosedInterpolationInAHeredocIsReportedWhereItIs() throws {
        let (r, f, scratch) = try run("apply <<EOF\nkind: ConfigMap\nmetadata:\n  name: ${x\nEOF\nprint 1\n")
        defer { withExtendedLifetime(scratch) {} }
        #expect(r.status == 2)
        #expect(r.stderr == "\(f):4:9: error: unterminated '${' interpolation, expected '}'\n  name: ${x\n        ^\n")
        let check = try Binary.run(["check", f])
        #expect(check.status == 2)
        #expect(check.stderr == r.stderr)
    }

    @Test func indexingAStringOutOfRangeSaysString() throws {
        let (r, f, _) = try run("print \"abc\"[5]\n")
        #expect(r.status == 2)
        #expect(r.stderr == "\(f):1:13: error: index 5 out of range for a string of 3 characters\nprint \"abc\"[5]\n            ^\n")
    }

    @Test func controlCharactersInErrorsAreEscaped() throws {
        let (r, f, _) = try run("print 1 +\u{1B}[2J 2\n")
        #expect(r.status == 2)
        // The caret stays under the escaped character (and under the next error's place).
        #expect(r.stderr == "\(f):1:10: error: unexpected character '\\u{1B}'\nprint 1 +\\u{1B}[2J 2\n         ^\n"
                + "\(f):1:12: error: invalid number '2J': not a duration (500ms, 1h30m) or quantity (250m, 1Gi)\nprint 1 +\\u{1B}[2J 2\n                ^\n")
        let nul = try run("help x\u{0}y\n")
        #expect(nul.r.stderr.contains("\\u{0}"))
        #expect(!nul.r.stderr.contains("\u{0}"))
    }

    @Test func faultsAppliedTwiceSayTheNodesState() throws {
        let fail = try run("cluster nodes=2\nfail node node1\nfail node node1\n")
        #expect(fail.r.status == 2)
        #expect(fail.r.stdout.contains("node/node1 failed: kubelet and containers stopped"))
        #expect(fail.r.stderr.hasPrefix("\(fail.f):3:1: error: [t=10ms] node/node1 is already failed\n"))
        let recover = try run("cluster nodes=2\nrecover node node1\n")
        #expect(recover.r.stderr.hasPrefix("\(recover.f):2:1: error: [t=10ms] node/node1 is not failed or partitioned\n"))
        let partition = try run("cluster nodes=2\npartition node node1\npartition node node1\n")
        #expect(partition.r.stderr.hasPrefix("\(partition.f):3:1: error: [t=10ms] node/node1 is already partitioned\n"))
        let ok = try run("cluster nodes=2\npartition node node1\nrecover node node1\nfail node node1\nrecover node node1\n")
        #expect(ok.r.status == 0, "\(ok.r.stderr)")
    }

    @Test func busyboxSleepRefusesANegativeNumber() throws {
        let (r, f, _) = try run("cluster nodes=1\nrun a --image=busybox -- sleep 3600\nsettle\nexec a -- sleep -5\n")
        #expect(r.status == 2)
        #expect(r.stderr.contains("\(f):4:1: error: "))
        #expect(r.stderr.contains("sleep: invalid number '-5'\ncommand terminated with exit code 1\n"))
        let value = try run("cluster nodes=1\nrun a --image=busybox -- sleep 3600\nsettle\nlet r = (exec a -- sleep -5)\nprint r.exitCode\nprint r.output\n")
        #expect(value.r.stdout.hasSuffix("1\nsleep: invalid number '-5'\ncommand terminated with exit code 1\n\n"))
    }

    @Test(arguments: ["get pods", "top pods", "export", "describe pod x", "tick 1s"])
    func commandsBeforeAnyClusterSayThereIsNone(command: String) throws {
        let (r, f, _) = try run(command + "\n")
        #expect(r.status == 2)
        #expect(r.stderr == "\(f):1:1: error: The connection to the server localhost:8080 was refused - did you specify the right host or port?\n(there is no cluster yet: create one with 'cluster', e.g. 'cluster nodes=3')\n\(command)\n^\n")
    }

    @Test func queriesBeforeAnyClusterSayThereIsNone() throws {
        let (r, f, _) = try run("print pods().count\n")
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("\(f):1:7: error: The connection to the server localhost:8080 was refused"))
    }

    @Test func theREPLNamesItsInputOneWay() throws {
        // A complete entry with an error, and input that ends inside an entry.
        let r = try Binary.run([], stdin: "1 / 0\nprint (1 +\n")
        #expect(r.status == 2)
        #expect(r.stderr.contains("<repl>:1:1: error: division by zero"))
        #expect(r.stderr.contains("<repl>:1:"))
        #expect(!r.stderr.contains("<stdin>"))
    }

    // MARK: fuzzing

    /// Every saved fuzz input (seeds and the inputs that once crashed) runs through its
    /// target without crashing; the lessons run through the front end.
    @Test(arguments: FuzzTargets.names)
    func savedFuzzInputsRun(target: String) throws {
        let dir = Repo.root + "/Tests/FuzzInputs/" + target
        let files = (try FileManager.default.contentsOfDirectory(atPath: dir)).filter { !$0.hasPrefix(".") }.sorted()
        #expect(!files.isEmpty)
        for name in files {
            let data = FileManager.default.contents(atPath: dir + "/" + name) ?? Data()
            #expect(FuzzTargets.run(target, Array(data)))
        }
    }

    @Test func scriptsFuzzRefusesAnUnknownTarget() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Repo.root + "/scripts/fuzz")
        p.arguments = ["parser"]
        p.standardError = Pipe()
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 2)
    }
}

/// A session's cluster is freed with the session, whatever ran in it: the commands fuzz
/// target makes a cluster per input and runs with leak detection.
@Suite("cluster teardown through a session")
struct SessionTeardownTests {
    /// A script that fails part-way leaves nothing behind either (found by the commands
    /// fuzz target with leak detection).
    @Test(arguments: ["cluster nodes=2\nsettle\ntick -5s\n", "cluster nodes=2\nsettle\nget pods nope\n", "cluster nodes=2\nsettle\n"])
    func aFailedScriptsClusterIsFreed(_ script: String) {
        struct Weak { let name: String; weak var object: AnyObject? }
        var parts: [Weak] = []
        do {
            let session = SessionFactory.make(seed: 1, output: { _ in }, diagnostics: { _ in })
            _ = session.run(script, name: "t.kscript")
            parts.append(Weak(name: "session", object: session))
            parts.append(Weak(name: "context", object: session.context))
            parts.append(Weak(name: "registry", object: session.registry))
            parts.append(Weak(name: "interpreter", object: session.interpreter))
            if let c = session.context.state["cluster"] as? Cluster {
                parts += [Weak(name: "cluster", object: c), Weak(name: "clock", object: c.clock), Weak(name: "api", object: c.api), Weak(name: "network", object: c.network)]
                    + c.kubelets.map { Weak(name: "kubelet " + $0.key, object: $0.value) }
            }
        }
        #expect(!parts.isEmpty)
        #expect(parts.filter { $0.object != nil }.map(\.name) == [])
    }

    @Test func aSessionsClusterIsFreedWithIt() {
        weak var cluster: AnyObject?
        struct Weak { let name: String; weak var object: AnyObject? }
        var parts: [Weak] = []
        do {
            var err = ""
            let session = SessionFactory.make(seed: 1, output: { _ in }, diagnostics: { err += $0 })
            let outcome = session.run("""
            cluster nodes=2 proxy=ipvs
            create deployment web --image=nginx:1.25 --replicas=2
            expose deployment web --port=80
            run client --image=busybox:1.36 -- sleep 3600
            settle
            exec client -- wget -q -O - http://web
            ssh node1 iptables -t nat -A POSTROUTING -j MASQUERADE
            trace from pod/client to svc/web
            fail node node2
            tick 1m
            """, name: "teardown.kscript")
            #expect(outcome == .success, "\(err)")
            cluster = session.context.state["cluster"] as AnyObject?
            #expect(cluster != nil)
            if let c = session.context.state["cluster"] as? Cluster {
                parts = [Weak(name: "clock", object: c.clock), Weak(name: "api", object: c.api), Weak(name: "network", object: c.network)]
                    + c.kubelets.map { Weak(name: "kubelet " + $0.key, object: $0.value) }
                    + c.kubeProxies.map { Weak(name: "kube-proxy " + $0.key, object: $0.value) }
            }
        }
        #expect(cluster == nil)
        #expect(!parts.isEmpty)
        #expect(parts.filter { $0.object != nil }.map(\.name) == [])
    }
}
