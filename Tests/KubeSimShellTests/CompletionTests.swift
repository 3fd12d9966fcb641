import Testing
import KubeScript
@testable import KubeSimShell

@Suite("TAB completion")
struct CompletionTests {
    func completer(names: [String] = ["replicas", "region"]) -> Completer {
        let r = CommandRegistry()
        r.registerLanguageBuiltins()
        r.register(CommandSpec("rollout", summary: "manage a rollout", subcommands: [
            CommandSpec("status", summary: "show status", flags: [FlagSpec("watch", short: "w", help: "watch")]) { _, _ in CommandResult() },
            CommandSpec("undo", summary: "roll back", flags: [FlagSpec("to-revision", value: "N", help: "revision")]) { _, _ in CommandResult() },
        ]))
        r.register(CommandSpec("get", summary: "list resources", flags: [FlagSpec("output", short: "o", value: "FORMAT", help: "format")],
                               handler: { _, _ in CommandResult() },
                               completer: { index, _ in index == 0 ? ["pods", "services", "deployments"] : [] }))
        return Completer(registry: r, names: { names })
    }

    @Test func commandWordsAtLineStart() {
        #expect(completer().candidates(forLinePrefix: "he") == ["help"])
        #expect(completer().candidates(forLinePrefix: "ro") == ["rollout"])
        #expect(completer().candidates(forLinePrefix: "kubectl ro") == ["rollout"])
    }

    @Test func subcommandsAndTheirFlags() {
        #expect(completer().candidates(forLinePrefix: "rollout ") == ["status", "undo"])
        #expect(completer().candidates(forLinePrefix: "rollout u") == ["undo"])
        #expect(completer().candidates(forLinePrefix: "rollout undo --to") == ["--to-revision="])
    }

    @Test func positionalsFromTheCommandsCompleter() {
        #expect(completer().candidates(forLinePrefix: "get p") == ["pods"])
        #expect(completer().candidates(forLinePrefix: "get -o") == ["-o"])
    }

    @Test func variablesAndKeywordsElsewhere() {
        #expect(completer().candidates(forLinePrefix: "let y = re") == ["region", "replicas", "return"])
        #expect(completer().candidates(forLinePrefix: "if x { pri") == ["print"])
    }
}

@Suite("TAB completion of cluster names")
struct ClusterCompletionTests {
    @Test func resourceNamesOnceTheClusterExists() {
        let s = SessionFactory.make(output: { _ in }, diagnostics: { _ in })
        let c = Completer(registry: s.registry, names: { [] })
        #expect(c.candidates(forLinePrefix: "get dep") == ["deploy", "deployment", "deployments"])
        #expect(c.candidates(forLinePrefix: "get nodes no") == [])
        _ = s.run("cluster nodes=2\ncreate deployment web --image=nginx\n", name: "x")
        #expect(c.candidates(forLinePrefix: "get nodes no") == ["node1", "node2"])
        #expect(c.candidates(forLinePrefix: "describe deployment w") == ["web"])
    }

    @Test func sshAndFaultsCompleteNodesAndTools() {
        let s = SessionFactory.make(output: { _ in }, diagnostics: { _ in })
        let c = Completer(registry: s.registry, names: { [] })
        _ = s.run("cluster nodes=2\n", name: "x")
        #expect(c.candidates(forLinePrefix: "ssh no") == ["node1", "node2"])
        #expect(c.candidates(forLinePrefix: "ssh node1 c") == ["calicoctl", "cat", "conntrack", "crictl", "curl"])
        #expect(c.candidates(forLinePrefix: "ssh node1 ipt") == ["iptables", "iptables-save"])
        #expect(c.candidates(forLinePrefix: "ssh node1 ips") == ["ipset"])
        #expect(c.candidates(forLinePrefix: "ssh node1 dm") == ["dmesg"])
        #expect(c.candidates(forLinePrefix: "ssh node1 ip r") == ["route"])
        #expect(c.candidates(forLinePrefix: "fail ") == ["etcd", "node"])
        #expect(c.candidates(forLinePrefix: "fail node n") == ["node1", "node2"])
        #expect(c.candidates(forLinePrefix: "partition ") == ["node"])
        #expect(c.candidates(forLinePrefix: "recover node node") == ["node1", "node2"])
        #expect(c.candidates(forLinePrefix: "trace from pod/a to pod/b --re") == ["--reply"])
    }
}
