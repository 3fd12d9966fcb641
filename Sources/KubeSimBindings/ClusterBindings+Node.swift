import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimCluster
import KubeSimControl
import KubeSimNode
import KubeSimNet
import KubeSimManifest

/// What runs on nodes: logs, exec, ssh NODE (crictl, journalctl), top, images, faults.
extension ClusterBindings {
    static func registerNodeCommands(_ r: CommandRegistry) {
        let resourceCompleter = resourceNameCompleter(r)
        let link = link(r)
        let containerFlag = FlagSpec("container", short: "c", value: "NAME", help: "the container (default: the first)")
        r.register(CommandSpec("logs", summary: "a container's log", usage: "logs POD|TYPE/NAME [-c C | --all-containers] | logs -l SELECTOR [--prefix] [--previous] [-f] [--timestamps] [--tail=N] [--since=D]",
                               flags: [namespaceFlag, containerFlag, FlagSpec("previous", short: "p", help: "the previous (crashed) instance"),
                                       FlagSpec("follow", short: "f", help: "print new lines as simulated time runs (until the containers exit or --request-timeout, default 10s)"),
                                       FlagSpec("request-timeout", value: "DURATION", help: "how long -f follows"),
                                       FlagSpec("timestamps", help: "prefix each line with its time"), FlagSpec("tail", value: "N", help: "only the last N lines (default: all; 10 with -l)"),
                                       FlagSpec("selector", short: "l", value: "SELECTOR", help: "the pods the selector matches"),
                                       FlagSpec("all-containers", help: "every container of the pod (init containers first)"),
                                       FlagSpec("prefix", help: "prefix each line with [pod/NAME/CONTAINER]"),
                                       FlagSpec("since", value: "DURATION", help: "only lines newer than this (5s, 2m, 3h)")],
                               handler: { inv, ctx in try logs(inv, ctx) }, completer: resourceCompleter))
        r.register(CommandSpec("exec", summary: "run a command in a container", usage: "exec POD [-c C] -- COMMAND [ARGS…]",
                               flags: [namespaceFlag, containerFlag, FlagSpec("stdin", short: "i", help: "accepted for kubectl compatibility"),
                                       FlagSpec("tty", short: "t", help: "accepted for kubectl compatibility")],
                               handler: { inv, ctx in try execCommand(inv, ctx) }, completer: resourceCompleter))
        r.register(CommandSpec("ssh", summary: "a shell on a node: crictl ps|pods|images, journalctl -u kubelet, ip addr|link|route|neigh, bridge fdb, iptables …, iptables-save, conntrack -L|-D|-F|-C, ipset, dmesg, tcpdump -i IFACE [-n] [-c N] [EXPR] (stop tcpdump prints it), ping -c N HOST, curl [-s] URL (from the node's own stack), cat /etc/cni/net.d/*, calicoctl, weave status", usage: "ssh NODE COMMAND…",
                               passesUnknownFlags: true, handler: { inv, ctx in try ssh(inv, ctx) }, completer: { index, words in
                                   // ssh NODE TOOL SUBCOMMAND: the nodes, the tools a node has (NodeTools/), their sub-commands.
                                   switch index {
                                   case 0: return (link.context?.state[stateKey] as? Cluster)?.network.nodes.keys.sorted() ?? []
                                   case 1: return NodeTool.all.map(\.name).sorted()
                                   case 2: return NodeTool.named(words[1])?.subcommands ?? []
                                   default: return []
                                   }
                               }))
        r.register(CommandSpec("top", summary: "simulated resource usage", usage: "top pods [NAME] [--containers] [-l SELECTOR] [-A] | top nodes [NAME] [--sort-by=cpu|memory] [--no-headers]",
                               flags: [namespaceFlag, FlagSpec("containers", help: "a row per container"), FlagSpec("selector", short: "l", value: "SELECTOR", help: "only matching pods"),
                                       FlagSpec("all-namespaces", short: "A", help: "pods of every namespace"), FlagSpec("sort-by", value: "cpu|memory", help: "largest first"),
                                       FlagSpec("no-headers", help: "no header line")],
                               handler: { inv, ctx in try top(inv, ctx) }))
        r.register(CommandSpec("image", summary: "the registry's images", usage: "image define NAME:TAG [listen PORT] [ready-after D] [crash-after D] …",
                               subcommands: [
                                CommandSpec("define", summary: "define an image and what its process does",
                                            usage: "image define NAME:TAG [listen PORT]… [ready-after D] [crash-after D] [exit-code N] [exit-after D] [leak Q/min] [memory Q] [cpu Q] [size Q] [path P STATUS BODY]… [log LINE]… [shutdown D] [ignore-sigterm] [runs-command]",
                                            handler: { inv, ctx in try defineImage(inv, ctx) }),
                               ]))
        // `fail node NAME`, `fail etcd etcd-N`: the kinds, then the current names.
        let nodeCompleter: @Sendable (Int, [String]) -> [String] = { index, words in
            if index == 0 { return ["etcd", "node"] }
            guard index == 1, let c = link.context?.state[stateKey] as? Cluster else { return [] }
            return words.first == "etcd" ? c.etcd.members.map(\.name) : c.network.nodes.keys.sorted()
        }
        r.register(CommandSpec("trace", summary: "walk a packet through the pod network, hop by hop", usage: "trace from pod/A|node/N to pod/B|node/N|ADDRESS[:PORT] [--proto tcp|udp|icmp] [--size N] [--reply] [--step]",
                               flags: [namespaceFlag, FlagSpec("proto", value: "PROTO", help: "tcp (default), udp or icmp"), FlagSpec("size", value: "N", help: "IP packet size in bytes"),
                                       FlagSpec("reply", help: "walk the answer back too (SYN-ACK or RST, echo reply, port unreachable), through conntrack"),
                                       FlagSpec("step", help: "walk the hops one at a time with next [N], back [N] and show (simulation mode)")],
                               handler: { inv, ctx in try trace(inv, ctx) }, completer: resourceCompleter))
        r.register(CommandSpec("add", summary: "a new machine joins the cluster (its kubelet registers the Node)", usage: "add node NAME [cpu=Q] [memory=Q] [label=k=v]…",
                               handler: { inv, ctx in
            var words = inv.positionals[...]
            guard words.popFirst() == "node", let name = words.popFirst() else { throw inv.error("add: expected 'node NAME'") }
            let c = try cluster(ctx)
            guard c.kubelets[name] == nil else { throw CommandFailure("Error from server (AlreadyExists): nodes \"\(name)\" already exists") }
            var cpu = c.defaultCPU, memory = c.defaultMemory
            var labels: [String: String] = [:]
            for w in words {
                let kv = w.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2 else { throw inv.error("add node: expected key=value, found '\(w)'") }
                switch kv[0] {
                case "cpu": guard let q = Quantity(parsing: kv[1]) else { throw inv.error("add node: invalid cpu") }; cpu = q
                case "memory": guard let q = Quantity(parsing: kv[1]) else { throw inv.error("add node: invalid memory") }; memory = q
                case "label":
                    let l = kv[1].split(separator: "=", maxSplits: 1).map(String.init)
                    guard l.count == 2 else { throw inv.error("add node: label must be key=value") }
                    labels[l[0]] = l[1]
                default: throw inv.error("add node: unknown setting '\(kv[0])' (cpu, memory, label)")
                }
            }
            guard c.nodeNetworkHasRoom else { throw CommandFailure("error: the node network \(c.nodeNetworkDescription) has no address left for another node") }
            _ = c.joinNode(name, cpu: cpu, memory: memory, labels: labels)
            return CommandResult(output: "node/\(name) joined")
        }))
        r.register(CommandSpec("fail", summary: "a fault: a node stops (kubelet and containers), or an etcd member", usage: "fail node NAME | fail etcd etcd-N",
                               handler: { inv, ctx in try nodeFault(inv, ctx, "fail") }, completer: nodeCompleter))
        r.register(CommandSpec("partition", summary: "a fault: a node's kubelet is cut off from the API server", usage: "partition node NAME",
                               handler: { inv, ctx in try nodeFault(inv, ctx, "partition") }, completer: { i, w in i == 0 ? ["node"] : nodeCompleter(i, w) }))
        r.register(CommandSpec("recover", summary: "a node comes back (kubelet restarts or reconnects), or an etcd member", usage: "recover node NAME | recover etcd etcd-N",
                               handler: { inv, ctx in try nodeFault(inv, ctx, "recover") }, completer: nodeCompleter))
        r.register(CommandSpec("kill", summary: "a fault: SIGKILL a pod's containers, or one container", usage: "kill pod NAME | kill container POD/CONTAINER",
                               flags: [namespaceFlag], handler: { inv, ctx in try kill(inv, ctx) }, completer: resourceCompleter))
        r.register(CommandSpec("crash", summary: "a fault: a running app exits with an error", usage: "crash pod NAME [-c C] [--exit-code=N]",
                               flags: [namespaceFlag, containerFlag, FlagSpec("exit-code", value: "N", help: "the exit code (default 1)")],
                               handler: { inv, ctx in try appFault(inv, ctx, leak: false) }, completer: resourceCompleter))
        r.register(CommandSpec("leak", summary: "a fault: a running app starts leaking memory", usage: "leak pod NAME RATE (e.g. 50Mi/min) [-c C]",
                               flags: [namespaceFlag, containerFlag], handler: { inv, ctx in try appFault(inv, ctx, leak: true) }, completer: resourceCompleter))
    }

    /// The pod a command names: `web-1`, `pod/web-1`, or `deployment/web` (its first pod).
    /// A node by name, as kubectl reports a missing one (with a near-miss suggestion).
    static func resolveNodeName(_ name: String, _ inv: Invocation, _ c: Cluster) throws -> String {
        guard c.network.node(name) != nil else {
            let s = Suggest.nearest(name, in: c.network.nodes.keys.sorted())
            throw CommandFailure("Error from server (NotFound): nodes \"\(name)\" not found" + (s.map { " — did you mean '\($0)'?" } ?? ""))
        }
        return name
    }

    static func resolvePod(_ word: String, _ inv: Invocation, _ c: Cluster) throws -> Pod {
        let ns = inv.flag("namespace") ?? "default"
        var name = word
        if let slash = word.firstIndex(of: "/") {
            let typeWord = String(word[..<slash])
            name = String(word[word.index(after: slash)...])
            guard let type = ResourceType.lookup(typeWord) else { throw unknownType(typeWord, inv) }
            if type != .pod {
                let owner = try api { try c.api.get(type, namespace: ns, name: name, user: user(inv)) }
                let selector: LabelSelector? = owner.deployment?.spec.selector ?? owner.replicaSet?.spec.selector ?? owner.job?.spec.selector
                    ?? owner.statefulSet?.spec.selector ?? owner.daemonSet?.spec.selector
                guard let sel = selector else { throw CommandFailure("error: cannot attach to \(type.kind.lowercased()): selector required") }
                let pods = c.api.list(.pod, namespace: ns, selector: sel).compactMap(\.pod).sorted { $0.metadata.name < $1.metadata.name }
                guard let p = pods.first else { throw CommandFailure("error: no pods found for \(type.singular)/\(name)") }
                return p
            }
        }
        let o = try api { try c.api.get(.pod, namespace: ns, name: name, user: user(inv)) }
        return o.pod!
    }

    static func slot(_ p: Pod, _ inv: Invocation, _ c: Cluster, verb: String) throws -> (PodWorker, ContainerSlot) {
        let wanted = inv.flag("container") ?? p.spec.containers.first?.name ?? ""
        guard p.spec.containers.contains(where: { $0.name == wanted }) || p.spec.initContainers.contains(where: { $0.name == wanted }) else {
            throw CommandFailure("error: container \(wanted) is not valid for pod \(p.metadata.name)")
        }
        guard let node = p.spec.nodeName, let k = c.kubelets[node], let w = k.worker(pod: p.metadata.uid),
              let s = w.slots.first(where: { $0.spec.name == wanted }) else {
            throw CommandFailure("Error from server (BadRequest): container \"\(wanted)\" in pod \"\(p.metadata.name)\" is waiting to start: ContainerCreating")
        }
        return (w, s)
    }

    static func execCommand(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        guard let word = inv.positionals.first else { throw inv.error("exec: expected a pod name") }
        guard let argv = inv.rest, !argv.isEmpty else { throw CommandFailure("error: you must specify at least one command for the container") }
        let c = try cluster(ctx)
        let p = try resolvePod(word, inv, c)
        let (w, s) = try slot(p, inv, c, verb: "exec")
        guard s.current?.process.map({ !$0.exited }) ?? false else {
            throw CommandFailure("error: unable to upgrade connection: container not found (\"\(s.spec.name)\")")
        }
        // While the command waits (sleep, ping's interval, a timeout) the cluster runs on.
        let (status, out) = w.exec(s, argv, advance: { d in
            if !c.eventBudgetExhausted { c.tick(d, interrupted: ctx.isInterrupted, maxEvents: ctx.maxEvents) }
        })
        try checkEventBudget(c, ctx, "exec", goal: "the command finished")
        if status != 0 {
            throw CommandFailure(out + (out.isEmpty ? "" : "\n") + "command terminated with exit code \(status)")
        }
        return CommandResult(output: out)
    }

    static func ssh(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        var words = inv.positionals
        for f in inv.flags { words.append(f.value.map { v -> String in "--" + f.name + "=" + v } ?? "--" + f.name) }
        words += inv.rest ?? []
        // The remote shell's redirections to /dev/null (`> /dev/null`, `2>/dev/null`, `2>&1`).
        var discard = false
        var kept: [String] = []
        var i = 0
        while i < words.count {
            let w = words[i]
            if w == "2>&1" { i += 1; continue }   // one stream here already
            if [">", "1>", "2>", "&>"].contains(w), i + 1 < words.count {
                guard words[i + 1] == "/dev/null" else { throw CommandFailure("ssh: output can go to /dev/null only (files on the node are not simulated): \(w) \(words[i + 1])") }
                if w != "2>" { discard = true }
                i += 2
                continue
            }
            if let r = [">", "1>", "2>", "&>"].first(where: { w == $0 + "/dev/null" }) {
                if r != "2>" { discard = true }
                i += 1
                continue
            }
            kept.append(w)
            i += 1
        }
        do {
            let result = try sshRun(kept, inv, ctx)
            return discard ? CommandResult(output: "", value: result.value) : result
        } catch let failure as CommandFailure where discard {
            // Its output went to /dev/null; only the failure itself remains.
            _ = failure
            throw CommandFailure("ssh: \(kept.dropFirst().first ?? "the command") failed (its output went to /dev/null)")
        }
    }

    static func sshRun(_ words: [String], _ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        guard let node = words.first else { throw inv.error("ssh: expected a node name") }
        let c = try cluster(ctx)
        if node == "external" {
            // A client outside the cluster on the node network: ping and curl.
            let argv = Array(words.dropFirst())
            guard let cmd = argv.first else { throw CommandFailure("ssh: a command is needed (curl, ping)") }
            _ = c.externalHost()
            guard ["ping", "curl"].contains(cmd), let r = c.network.hostTool("external", argv, advance: { d in if !c.eventBudgetExhausted { c.tick(d, interrupted: ctx.isInterrupted, maxEvents: ctx.maxEvents) } }) else {
                throw CommandFailure("bash: \(cmd): command not found")
            }
            try checkEventBudget(c, ctx, "ssh", goal: "the command finished")
            if r.status != 0 { throw CommandFailure(r.output) }
            return CommandResult(output: r.output)
        }
        guard let k = c.kubelets[node] else {
            let s = Suggest.nearest(node, in: Array(c.kubelets.keys))
            throw CommandFailure("ssh: Could not resolve hostname \(node): Name or service not known" + (s.map { " — did you mean '\($0)'?" } ?? ""))
        }
        guard k.running else { throw CommandFailure("ssh: connect to host \(node) port 22: No route to host") }
        let argv = Array(words.dropFirst())
        guard let cmd = argv.first else { throw CommandFailure("ssh: a command is needed (crictl ps, crictl pods, crictl images, journalctl -u kubelet)") }
        // Each program a node has is a NodeTool in NodeTools/, one file each.
        guard let tool = NodeTool.named(cmd) else { throw CommandFailure("bash: \(cmd): command not found") }
        // A tool that waits lets simulated time pass, within the event budget (--max-events).
        let tc = NodeToolContext(node: node, cluster: c, kubelet: k,
                                 advance: { d in if !c.eventBudgetExhausted { c.tick(d, interrupted: ctx.isInterrupted, maxEvents: ctx.maxEvents) } },
                                 checkBudget: { try checkEventBudget(c, ctx, "ssh", goal: "the command finished") })
        return try tool.run(tc, argv)
    }

    static func defineImage(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        var words = inv.positionals[...]
        guard let ref = words.popFirst() else { throw inv.error("image define: expected NAME:TAG") }
        let c = try cluster(ctx)
        let full = ImageCatalogue.normalize(ref)
        let colon = full.lastIndex(of: ":")!
        var app = AppBehaviour()
        app.shutdownTime = .milliseconds(100)
        var size: Int64 = 20 << 20
        func duration(_ w: String?) throws -> SimDuration {
            guard let w, let d = SimDuration(parsing: w) else { throw inv.error("image define: expected a duration after the setting, such as 5s") }
            return d
        }
        func quantity(_ w: String?) throws -> Quantity {
            guard let w, let q = Quantity(parsing: w) else { throw inv.error("image define: expected a quantity such as 64Mi") }
            return q
        }
        while let key = words.popFirst() {
            switch key {
            case "listen":
                guard let p = words.popFirst(), let n = Int(p), (1...65535).contains(n) else { throw inv.error("image define: listen needs a port number") }
                app.listen.append(n)
            case "ready-after": app.readyAfter = try duration(words.popFirst())
            case "crash-after": app.crashAfter = try duration(words.popFirst())
            case "exit-after": app.exitAfter = try duration(words.popFirst())
            case "exit-code":
                guard let w = words.popFirst(), let n = Int(w) else { throw inv.error("image define: exit-code needs a number") }
                app.exitCode = n
            case "leak":
                guard let w = words.popFirst() else { throw inv.error("image define: leak needs a rate such as 20Mi/min") }
                app.leakPerMinute = try leakRate(w, inv)
            case "memory": app.memory = try quantity(words.popFirst()).value
            case "cpu": app.cpuMilli = try quantity(words.popFirst()).milli
            case "size": size = try quantity(words.popFirst()).value
            case "path":
                guard let path = words.popFirst(), let st = words.popFirst(), let code = Int(st) else { throw inv.error("image define: path needs PATH STATUS [BODY]") }
                let body = words.first.map { w in ["listen", "ready-after", "crash-after", "exit-after", "exit-code", "leak", "memory", "cpu", "size", "path", "log", "shutdown", "ignore-sigterm", "runs-command"].contains(w) ? "" : words.popFirst()! } ?? ""
                app.routes[path] = .init(status: code, body: body)
            case "log":
                guard let line = words.popFirst() else { throw inv.error("image define: log needs a line") }
                app.startupLogs.append(line)
            case "crash-log":
                guard let line = words.popFirst() else { throw inv.error("image define: crash-log needs a line") }
                app.crashLog = line
            case "shutdown": app.shutdownTime = try duration(words.popFirst())
            case "ignore-sigterm": app.shutdownTime = nil
            case "runs-command": app.runsCommand = true
            default:
                let known = ["listen", "ready-after", "crash-after", "exit-after", "exit-code", "leak", "memory", "cpu", "size", "path", "log", "crash-log", "shutdown", "ignore-sigterm", "runs-command"]
                throw CommandFailure("error: image define: unknown setting '\(key)'" + (Suggest.nearest(key, in: known).map { " — did you mean '\($0)'?" } ?? ""))
            }
        }
        c.catalogue.define(ImageSpec(repository: String(full[..<colon]), tag: String(full[full.index(after: colon)...]), sizeBytes: size, app: app))
        return CommandResult(output: "image \(ref) defined")
    }

    /// `20Mi/min`, `1Mi/s`, `100Mi/h` → bytes per minute.
    static func leakRate(_ w: String, _ inv: Invocation) throws -> Int64 {
        let parts = w.split(separator: "/")
        guard parts.count == 2, let q = Quantity(parsing: String(parts[0])) else { throw inv.error("expected a rate such as 20Mi/min") }
        switch parts[1] {
        case "s", "sec": return q.value * 60
        case "min", "m": return q.value
        case "h", "hour": return q.value / 60
        default: throw inv.error("expected a rate per s, min or h, such as 20Mi/min")
        }
    }

    static func nodeFault(_ inv: Invocation, _ ctx: CommandContext, _ what: String) throws -> CommandResult {
        var words = inv.positionals[...]
        if words.first == "etcd" && what != "partition" {
            // `fail etcd etcd-1`, `recover etcd etcd-1`.
            let c = try cluster(ctx)
            guard let name = words.dropFirst().first else { throw inv.error("\(what) etcd: expected a member name (etcd-1…)") }
            guard c.etcd.member(name) != nil else {
                let s = Suggest.nearest(name, in: c.etcd.members.map(\.name))
                throw CommandFailure("error: no etcd member \"\(name)\"" + (s.map { " — did you mean '\($0)'?" } ?? ""))
            }
            let changed = what == "fail" ? c.etcd.fail(name) : c.etcd.recover(name)
            return CommandResult(output: "etcd member \(name) " + (changed ? (what == "fail" ? "stopped" : "restarted") : (what == "fail" ? "already down" : "already up")))
        }
        if let f = words.first, ["node", "nodes", "no"].contains(f) { words = words.dropFirst() }
        guard var name = words.first else { throw inv.error("\(what): expected 'node NAME'") }
        if name.hasPrefix("node/") { name = String(name.dropFirst(5)) }
        let c = try cluster(ctx)
        guard let k = c.kubelets[name] else {
            let s = Suggest.nearest(name, in: Array(c.kubelets.keys))
            throw CommandFailure("Error from server (NotFound): nodes \"\(name)\" not found" + (s.map { " — did you mean '\($0)'?" } ?? ""))
        }
        // A fault applied twice is a mistake in the script: say what state the node is in.
        switch what {
        case "fail" where !k.running: throw CommandFailure("error: node/\(name) is already failed")
        case "partition" where !k.running: throw CommandFailure("error: node/\(name) is failed; recover it before partitioning it")
        case "partition" where k.partitioned: throw CommandFailure("error: node/\(name) is already partitioned")
        case "recover" where k.running && !k.partitioned: throw CommandFailure("error: node/\(name) is not failed or partitioned")
        default: break
        }
        switch what {
        case "fail": k.fail(); return CommandResult(output: "node/\(name) failed: kubelet and containers stopped")
        case "partition": k.partition(); return CommandResult(output: "node/\(name) partitioned: kubelet cannot reach the API server")
        default: k.recover(); return CommandResult(output: "node/\(name) recovered")
        }
    }

    static func kill(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        guard inv.positionals.count == 2 else { throw inv.error("kill: expected 'pod NAME' or 'container POD/CONTAINER'") }
        let c = try cluster(ctx)
        let kind = inv.positionals[0]
        var target = inv.positionals[1]
        var container: String?
        if kind == "container" {
            guard let slash = target.lastIndex(of: "/") else { throw inv.error("kill container: expected POD/CONTAINER") }
            container = String(target[target.index(after: slash)...])
            target = String(target[..<slash])
        } else if kind != "pod" {
            throw inv.error("kill: expected 'pod NAME' or 'container POD/CONTAINER'")
        }
        let p = try resolvePod(target, inv, c)
        guard let node = p.spec.nodeName, let k = c.kubelets[node], k.kill(podUID: p.metadata.uid, container: container) else {
            throw CommandFailure("error: no running container\(container.map { " \($0)" } ?? "") in pod \(p.metadata.name)")
        }
        return CommandResult(output: container.map { "container \($0) of pod/\(p.metadata.name) killed (SIGKILL)" } ?? "pod/\(p.metadata.name): containers killed (SIGKILL)")
    }

    static func appFault(_ inv: Invocation, _ ctx: CommandContext, leak: Bool) throws -> CommandResult {
        var words = inv.positionals[...]
        if words.first == "pod" { words = words.dropFirst() }
        guard let target = words.popFirst() else { throw inv.error(leak ? "leak: expected 'pod NAME RATE'" : "crash: expected 'pod NAME'") }
        let c = try cluster(ctx)
        let p = try resolvePod(target, inv, c)
        guard let node = p.spec.nodeName, let w = c.kubelets[node]?.worker(pod: p.metadata.uid) else {
            throw CommandFailure("error: pod \(p.metadata.name) has no running containers")
        }
        if leak {
            guard let rate = words.popFirst() else { throw inv.error("leak: expected a rate such as 50Mi/min") }
            let perMinute = try leakRate(rate, inv)
            guard w.addLeak(container: inv.flag("container"), perMinute: perMinute) else { throw CommandFailure("error: pod \(p.metadata.name) has no running containers") }
            return CommandResult(output: "pod/\(p.metadata.name) leaking \(rate)")
        }
        let code = Int(inv.flag("exit-code") ?? "1") ?? 1
        guard w.crash(container: inv.flag("container"), code: code) else { throw CommandFailure("error: pod \(p.metadata.name) has no running containers") }
        return CommandResult(output: "pod/\(p.metadata.name) crashed (exit code \(code))")
    }
}
