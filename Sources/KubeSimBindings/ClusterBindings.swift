import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimControl
import KubeSimNode
import KubeSimNet
import KubeSimCluster
import KubeSimManifest

/// Connects KubeScript to the cluster: kubectl-style commands and query functions
/// registered in the language's command registry. The language never imports the
/// cluster; this module is the only place that knows both.
public enum ClusterBindings {
    static let stateKey = "cluster"

    /// The session's cluster, created with defaults (3 nodes, the session's seed) on
    /// first use.
    /// The session's cluster. Before `cluster` made one, a command answers as kubectl
    /// does with no API server to talk to, plus what to do about it.
    static func cluster(_ ctx: CommandContext) throws -> Cluster {
        if let c = ctx.state[stateKey] as? Cluster { return c }
        throw CommandFailure(noClusterMessage)
    }

    /// The same, for a query function (`pods()`, `now()`): an error at the call.
    static func cluster(_ ctx: CommandContext, _ site: CallSite) throws -> Cluster {
        if let c = ctx.state[stateKey] as? Cluster { return c }
        throw site.error(noClusterMessage)
    }

    static let noClusterMessage = "The connection to the server localhost:8080 was refused - did you specify the right host or port?\n"
        + "(there is no cluster yet: create one with 'cluster', e.g. 'cluster nodes=3')"

    static let namespaceFlag = FlagSpec("namespace", short: "n", value: "NS", help: "the namespace (default: default)")
    static let selectorFlag = FlagSpec("selector", short: "l", value: "SELECTOR", help: "every object the label selector matches")
    static let allFlag = FlagSpec("all", help: "every object of the kind in the namespace")

    /// Who the request is from: `--as=USER` (any command), else the cluster admin.
    static func user(_ inv: Invocation) -> String { inv.flag("as") ?? "kubernetes-admin" }

    /// The session a registry belongs to, for query functions and completion (which
    /// get no command context). One per registry, so parallel sessions never share it.
    final class SessionLink: @unchecked Sendable {
        weak var context: CommandContext?
    }

    static func link(_ r: CommandRegistry) -> SessionLink {
        if let l = r.hostState[stateKey] as? SessionLink { return l }
        let l = SessionLink()
        r.hostState[stateKey] = l
        return l
    }

    public static func register(_ r: CommandRegistry) {
        let link = link(r)
        @Sendable func ctxOf() throws -> CommandContext {
            guard let c = link.context else { throw CommandFailure("error: no session is attached to these commands") }
            return c
        }
        let resourceCompleter = resourceNameCompleter(r)

        r.register(globalFlag: FlagSpec("as", value: "USER", help: "act as this user (or system:serviceaccount:NS:NAME) for RBAC"))
        r.register(CommandSpec("cluster", summary: "create a cluster (cluster nodes=3 seed=42) or show the current one",
                               usage: "cluster [nodes=N] [seed=N] [cpu=Q] [memory=Q] [scoring=LeastAllocated|MostAllocated] [etcd=1|3|5] [images=REF,…] [node-monitor-grace-period=D] [pod-cidr=CIDR] [node-network=CIDR] [segments=N] [cni=flannel|calico|weave] [flannel-backend=vxlan|host-gw] [calico-mode=bgp|ipip|ipip-crosssubnet|vxlan|vxlan-crosssubnet] [weave-encryption=on|off] [proxy=iptables|nftables|ipvs|userspace] [lb-pool=CIDR]   or   cluster {  one setting per line  }",
                               acceptsBlock: true) { inv, ctx in
            try clusterCommand(inv, ctx)
        })
        r.register(CommandSpec("tick", summary: "advance simulated time, running every event due", usage: "tick DURATION") { inv, ctx in
            guard inv.positionals.count == 1, let d = SimDuration(parsing: inv.positionals[0]) else {
                throw inv.error("tick: expected a duration such as 100ms, 10s or 2m")
            }
            guard d >= .zero else { throw inv.error("tick: invalid duration '\(inv.positionals[0])': simulated time only moves forward") }
            let c = try cluster(ctx)
            guard c.now.nanoseconds.addingReportingOverflow(d.nanoseconds).partialValue < Self.maxSimulatedTime,
                  !c.now.nanoseconds.addingReportingOverflow(d.nanoseconds).overflow else {
                throw inv.error("tick: '\(inv.positionals[0])' would take simulated time past \(SimDuration(nanoseconds: Self.maxSimulatedTime))")
            }
            let progress = ProgressLine(cluster: c, ctx: ctx)
            let target = c.now + d
            c.tick(d, interrupted: ctx.isInterrupted, maxEvents: ctx.maxEvents, progress: progress.update)
            progress.finish()
            try checkEventBudget(c, ctx, "tick", goal: "reaching t=\(target)")
            return CommandResult(value: .duration(c.now))
        })
        r.register(CommandSpec("settle", summary: "run until no component has pending work (at most 10 simulated minutes)",
                               usage: "settle [--timeout=DURATION]", flags: [FlagSpec("timeout", value: "DURATION", help: "the bound (default 10m)")]) { inv, ctx in
            let c = try cluster(ctx)
            if let t = inv.flag("timeout") {
                guard let d = SimDuration(parsing: t) else { throw inv.error("settle: invalid duration '\(t)'") }
                c.settleLimit = d
            }
            let progress = ProgressLine(cluster: c, ctx: ctx)
            let busy = c.settle(interrupted: ctx.isInterrupted, maxEvents: ctx.maxEvents, progress: progress.update)
            progress.finish()
            try checkEventBudget(c, ctx, "settle", goal: "settling")
            if !busy.isEmpty {
                return CommandResult(output: "settle: still changing after \(c.settleLimit): \(busy.prefix(5).joined(separator: ", "))", value: .bool(false))
            }
            // Settled: nothing to say (the REPL echoes no value for it).
            return CommandResult()
        })
        r.register(CommandSpec("create", summary: "create a resource", usage: "create deployment NAME --image=IMAGE [--replicas=N] [--port=N] | create namespace NAME",
                               subcommands: [
                                CommandSpec("deployment", aliases: ["deploy"], summary: "create a deployment with the given name",
                                            usage: "create deployment NAME --image=IMAGE [--replicas=N] [--port=N]",
                                            flags: [FlagSpec("image", value: "IMAGE", help: "the container image"),
                                                    FlagSpec("replicas", short: "r", value: "N", help: "number of replicas (default 1)"),
                                                    FlagSpec("port", value: "PORT", help: "the container port"),
                                                    namespaceFlag] + DryRun.flags) { inv, ctx in try createDeployment(inv, ctx) },
                                CommandSpec("namespace", aliases: ["ns"], summary: "create a namespace", usage: "create namespace NAME", flags: DryRun.flags) { inv, ctx in
                                    guard inv.positionals.count == 1 else { throw inv.error("create namespace: expected exactly one name") }
                                    return try submit(ClientObject.namespace(inv.positionals[0]), inv, ctx)
                                },
                                CommandSpec("job", summary: "create a job running an image", usage: "create job NAME --image=IMAGE [-- COMMAND…]",
                                            flags: [FlagSpec("image", value: "IMAGE", help: "the container image"), namespaceFlag] + DryRun.flags) { inv, ctx in try createJob(inv, ctx, cron: false) },
                                CommandSpec("cronjob", aliases: ["cj"], summary: "create a cron job", usage: "create cronjob NAME --image=IMAGE --schedule='*/1 * * * *' [-- COMMAND…]",
                                            flags: [FlagSpec("image", value: "IMAGE", help: "the container image"), FlagSpec("schedule", value: "CRON", help: "five-field cron schedule"),
                                                    FlagSpec("restart", value: "POLICY", help: "OnFailure (default) or Never"), namespaceFlag] + DryRun.flags) { inv, ctx in try createJob(inv, ctx, cron: true) },
                               ] + rbacCreateCommands() + serviceAndConfigCreateCommands()))
        r.register(CommandSpec("expose", summary: "make a Service for a deployment, replica set, pod or service",
                               usage: "expose deployment NAME --port=PORT [--target-port=PORT] [--type=ClusterIP|NodePort|LoadBalancer] [--name=NAME]",
                               flags: [FlagSpec("port", value: "PORT", help: "the service port"), FlagSpec("target-port", value: "PORT", help: "the container port"),
                                       FlagSpec("type", value: "TYPE", help: "ClusterIP (default), NodePort or LoadBalancer"),
                                       FlagSpec("name", value: "NAME", help: "the service name"), namespaceFlag] + DryRun.flags,
                               handler: { inv, ctx in try expose(inv, ctx) }, completer: resourceCompleter))
        r.register(CommandSpec("run", summary: "create a pod running an image", usage: "run NAME --image=IMAGE [--port=N] [--labels=k=v,…] [--env=K=V] [--restart=Never] [--command] [-- ARGS…]",
                               flags: [FlagSpec("image", value: "IMAGE", help: "the container image"), FlagSpec("port", value: "PORT", help: "the container port"),
                                       FlagSpec("labels", short: "l", value: "LABELS", help: "labels (default run=NAME)"), namespaceFlag,
                                       FlagSpec("env", value: "K=V", help: "an environment variable (repeatable)"),
                                       FlagSpec("restart", value: "POLICY", help: "Always (default), OnFailure or Never"),
                                       FlagSpec("image-pull-policy", value: "POLICY", help: "Always, IfNotPresent or Never"),
                                       FlagSpec("command", help: "the words after -- are the command, not args")] + DryRun.flags) { inv, ctx in
            try run(inv, ctx)
        })
        r.register(CommandSpec("scale", summary: "set the replicas of a deployment or replica set",
                               usage: "scale deployment/NAME --replicas=N", flags: [FlagSpec("replicas", value: "N", help: "the new count"), namespaceFlag] + DryRun.flags,
                               handler: { inv, ctx in try scale(inv, ctx) }, completer: resourceCompleter))
        r.register(setCommand())
        r.register(CommandSpec("get", summary: "list resources as kubectl does",
                               usage: "get TYPE[,TYPE…] [NAME…] | get TYPE/NAME… [-o wide|name|yaml|json|jsonpath=…|custom-columns=…] [--sort-by=PATH] [--no-headers] [-L KEY] [--show-kind] [-l SELECTOR] [-n NS] [-A] [--show-labels]",
                               flags: GetPrinter.flags + watchFlags + [
                                       FlagSpec("selector", short: "l", value: "SELECTOR", help: "label selector (app=web,tier!=db)"),
                                       namespaceFlag,
                                       FlagSpec("all-namespaces", short: "A", help: "list across all namespaces"),
                                       FlagSpec("show-labels", help: "add a LABELS column"),
                                       FlagSpec("field-selector", value: "SELECTOR", help: "field selector (spec.nodeName=node1, status.phase=Running, involvedObject.name=web-1)")],
                               handler: { inv, ctx in try get(inv, ctx) }, completer: resourceCompleter))
        r.register(CommandSpec("delete", summary: "delete resources (owners' dependents follow, as the garbage collector does)",
                               usage: "delete TYPE NAME… | delete TYPE/NAME | delete TYPE -l SELECTOR | delete -f FILE [--cascade=background|foreground|orphan]",
                               flags: [namespaceFlag, FlagSpec("selector", short: "l", value: "SELECTOR", help: "delete what matches"),
                                       FlagSpec("filename", short: "f", value: "FILE", help: "delete what a manifest names"),
                                       FlagSpec("cascade", value: "MODE", help: "background (default), foreground or orphan"),
                                       FlagSpec("grace-period", value: "SECONDS", help: "seconds a pod has to stop (0 with --force: at once)"),
                                       FlagSpec("force", help: "with --grace-period=0: remove at once, without waiting for the kubelet"),
                                       FlagSpec("now", help: "as --grace-period=1"), allFlag, DryRun.flag,
                                       FlagSpec("output", short: "o", value: "FORMAT", help: "name: print only kind/name")],
                               handler: { inv, ctx in try delete(inv, ctx) }, completer: resourceCompleter))
        r.register(CommandSpec("rollout", summary: "manage the rollout of a deployment", usage: "rollout status|history|undo|pause|resume|restart deployment/NAME",
                               subcommands: [
                                CommandSpec("status", summary: "wait for the rollout to finish (runs the clock)", flags: [namespaceFlag, FlagSpec("timeout", value: "DURATION", help: "give up after this long")]) { inv, ctx in try rolloutStatus(inv, ctx) },
                                CommandSpec("history", summary: "list the revisions, or one revision's pod template", flags: [namespaceFlag, FlagSpec("revision", value: "N", help: "the pod template of revision N")]) { inv, ctx in try rolloutHistory(inv, ctx) },
                                CommandSpec("undo", summary: "roll back to the previous (or a given) revision", flags: [namespaceFlag, FlagSpec("to-revision", value: "N", help: "the revision")]) { inv, ctx in try rolloutUndo(inv, ctx) },
                                CommandSpec("pause", summary: "pause the rollout", flags: [namespaceFlag]) { inv, ctx in try setPaused(inv, ctx, true) },
                                CommandSpec("resume", summary: "resume the rollout", flags: [namespaceFlag]) { inv, ctx in try setPaused(inv, ctx, false) },
                                CommandSpec("restart", summary: "restart the pods (new template annotation)", flags: [namespaceFlag]) { inv, ctx in try rolloutRestart(inv, ctx) },
                               ]))
        r.register(CommandSpec("etcdctl", summary: "read the store as etcdctl does", usage: "etcdctl get KEY [--prefix] [--keys-only] | endpoint status [-w table] | member list",
                               subcommands: [CommandSpec("get", summary: "get keys and values",
                                                         flags: [FlagSpec("prefix", help: "every key with this prefix"), FlagSpec("keys-only", help: "keys, no values")]) { inv, ctx in
                                   try etcdGet(inv, ctx)
                               },
                               CommandSpec("endpoint", summary: "endpoint status: leader, raft term and index per member",
                                           flags: [FlagSpec("write-out", short: "w", value: "FORMAT", help: "simple (default) or table"), FlagSpec("cluster", help: "every member (the default here)")]) { inv, ctx in
                                   try etcdEndpointStatus(inv, ctx)
                               },
                               CommandSpec("member", summary: "member list",
                                           flags: [FlagSpec("write-out", short: "w", value: "FORMAT", help: "simple (default) or table")]) { inv, ctx in
                                   let c = try cluster(ctx)
                                   guard inv.positionals.first == "list" else { throw inv.error("etcdctl member: expected 'list'") }
                                   let rows = c.etcd.members.map { m in [m.id, "started", m.name, m.endpoint.replacingOccurrences("2379", "2380"), m.endpoint, "false"] }
                                   return CommandResult(output: rows.map { $0.joined(separator: ", ") }.joined(separator: "\n"))
                               }]))
        r.register(function: Function(native: "etcd", arity: 0...1) { args, site in
            let c = try cluster(try ctxOf(), site)
            if let a = args.first {
                guard case .string(let name) = a else { throw site.error("etcd: expected a member name string") }
                return c.etcd.member(name).map { .object(EtcdMemberValue($0, group: c.etcd)) } ?? .nil
            }
            return .list(c.etcd.members.map { .object(EtcdMemberValue($0, group: c.etcd)) })
        })
        r.register(CommandSpec("auth", summary: "inspect authorization", usage: "auth can-i VERB RESOURCE[/NAME] [--as USER] [-n NS]",
                               subcommands: [CommandSpec("can-i", summary: "check whether an action is allowed (yes or no)", flags: [namespaceFlag]) { inv, ctx in
                                   try canI(inv, ctx)
                               }]))
        r.register(CommandSpec("audit", summary: "the API server's audit log: every write", usage: "audit [--tail=N]",
                               flags: [FlagSpec("tail", value: "N", help: "only the last N entries")]) { inv, ctx in
            let c = try cluster(ctx)
            var entries = c.api.audit[...]
            if let t = inv.flag("tail"), let n = Int(t) { entries = entries.suffix(n) }
            let rows = entries.map { [SimDuration(nanoseconds: $0.time).description, $0.user, $0.verb, $0.key, String($0.resourceVersion)] }
            return CommandResult(output: Format.table(["TIME", "USER", "VERB", "KEY", "RV"], rows))
        })

        registerManifestCommands(r)
        registerNodeAndMetadataCommands(r)
        registerNodeCommands(r)
        registerCaptureCommands(r)
        registerStepCommands(r)
        registerWaitCommand(r)
        registerPatchCommands(r)
        registerInfoCommands(r)
        registerAutoscaleCommands(r)
        registerDebugCommand(r)
        registerNetPolCommands(r)

        // Queries: one function per kind; plural lists take selectors.
        for type in ResourceType.all {
            r.register(function: Function(native: type.plural, arity: 0...Int.max) { args, site in
                try query(type, args, site, try ctxOf())
            })
            r.register(function: Function(native: type.singular, arity: 1...2) { args, site in
                guard case .string(let name) = args[0] else { throw site.error("\(type.singular): expected a name string") }
                var ns: String? = "default"
                if args.count == 2, case .string(let n) = args[1] { ns = n }
                let c = try cluster(try ctxOf(), site)
                guard let o = try? c.api.get(type, namespace: ns, name: name) else { return .nil }
                return .object(ObjectValue(o, now: c.clock.now))
            })
        }
        r.register(function: Function(native: "now", arity: 0...0) { _, site in .duration(try cluster(try ctxOf(), site).now) })
    }

    /// TAB completion for `TYPE NAME` commands: kinds first, then the names of that
    /// kind in the cluster (once one exists).
    static func resourceNameCompleter(_ r: CommandRegistry) -> @Sendable (Int, [String]) -> [String] {
        let link = link(r)
        return { index, words in
            if index == 0 { return ResourceType.allNames }
            guard index == 1, let typeWord = words.first, let type = ResourceType.lookup(typeWord),
                  let ctx = link.context, let c = ctx.state[stateKey] as? Cluster else { return [] }
            return c.api.list(type, namespace: type.namespaced ? "default" : nil).map(\.metadata.name)
        }
    }

    /// The context a query runs in (functions get no context argument).
    /// Connects a session: queries find its cluster, and runtime errors carry the
    /// simulated time (`[t=12.5s] `) once a cluster exists.
    public static func attach(_ session: Session) {
        let ctx = session.context
        link(ctx.registry).context = ctx
        session.runtimePrefix = { [weak ctx] in
            guard let c = ctx?.state[stateKey] as? Cluster else { return "" }
            return "[t=\(c.now)] "
        }
    }

    // MARK: - helpers

    /// Simulated time stops at about 146 years, half of what Int64 nanoseconds hold (event times are
    /// `now + delay`).
    static let maxSimulatedTime: Int64 = Int64.max / 2

    /// After a command that ran the simulation: the error when it stopped at the event
    /// budget (`--max-events`), with where simulated time got to.
    static func checkEventBudget(_ c: Cluster, _ ctx: CommandContext, _ command: String, goal: String) throws {
        guard c.eventBudgetExhausted else { return }
        c.eventBudgetExhausted = false
        throw CommandFailure("\(command): stopped after \(ctx.maxEvents) events (the event budget) before \(goal); raise the budget with --max-events")
    }

    /// Runs an API call, turning API errors into the command failure kubectl prints.
    @discardableResult
    static func api<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as APIError { throw CommandFailure(e.description) }
    }

    /// `deployment/web` or (`deployment`, `web`) from the positionals.
    static func target(_ inv: Invocation, verb: String) throws -> (ResourceType, String, rest: [String]) {
        guard let first = inv.positionals.first else { throw inv.error("\(verb): expected TYPE/NAME or TYPE NAME") }
        if let slash = first.firstIndex(of: "/") {
            let typeWord = String(first[..<slash])
            guard let type = ResourceType.lookup(typeWord) else { throw unknownType(typeWord, inv) }
            return (type, String(first[first.index(after: slash)...]), Array(inv.positionals.dropFirst()))
        }
        guard let type = ResourceType.lookup(first) else { throw unknownType(first, inv) }
        guard inv.positionals.count >= 2 else { throw inv.error("\(verb): expected a name after '\(first)'") }
        return (type, inv.positionals[1], Array(inv.positionals.dropFirst(2)))
    }

    static func unknownType(_ word: String, _ inv: Invocation) -> Error {
        let s = Suggest.nearest(word, in: ResourceType.allNames)
        return CommandFailure("error: the server doesn't have a resource type \"\(word)\"" + (s.map { " — did you mean '\($0)'?" } ?? ""))
    }

    // MARK: - commands

    static func clusterCommand(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        // The block form's lines are settings too; `#` starts a comment.
        let blockWords = (inv.heredoc ?? "").split(separator: "\n").flatMap { line in
            line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map { $0.split(separator: " ").map(String.init) } ?? []
        }
        var inv = inv
        inv.positionals += blockWords
        if inv.positionals.isEmpty && inv.heredoc == nil, let c = ctx.state[stateKey] as? Cluster {
            let nodes = c.api.list(.node).count
            let pods = c.api.list(.pod).count
            return CommandResult(output: "cluster: \(nodes) node\(nodes == 1 ? "" : "s"), \(pods) pod\(pods == 1 ? "" : "s"), time \(c.now), revision \(c.store.revision)")
        }
        var o = Cluster.Options()
        o.seed = ctx.seed
        for word in inv.positionals {
            let parts = word.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw inv.error("cluster: expected key=value, found '\(word)'") }
            switch parts[0] {
            case "nodes":
                guard let n = Int(parts[1]), n >= 1, n <= 10_000 else { throw inv.error("cluster: nodes must be a number from 1 to 10000") }
                o.nodes = n
            case "seed":
                guard let s = UInt64(parts[1]) else { throw inv.error("cluster: seed must be a non-negative integer") }
                o.seed = s
            case "cpu":
                guard let q = Quantity(parsing: parts[1]) else { throw inv.error("cluster: invalid cpu quantity '\(parts[1])'") }
                o.cpu = q
            case "memory":
                guard let q = Quantity(parsing: parts[1]) else { throw inv.error("cluster: invalid memory quantity '\(parts[1])'") }
                o.memory = q
            case "scoring":
                guard let s = Scheduler.ScoringStrategy(rawValue: parts[1]) else {
                    throw inv.error("cluster: scoring must be LeastAllocated or MostAllocated")
                }
                o.scoring = s
            case "etcd":
                guard let n = Int(parts[1]), [1, 3, 5].contains(n) else { throw inv.error("cluster: etcd must be 1, 3 or 5 members") }
                o.etcd = n
            case "images":
                o.preloadedImages = parts[1].split(separator: ",").map(String.init)
            case "cni":
                guard let plugin = PodNetwork.Plugin(rawValue: parts[1]) else { throw inv.error("cluster: cni must be flannel, calico or weave") }
                o.cni = plugin
            case "proxy":
                guard let m = ProxyMode(rawValue: parts[1]) else {
                    let modes = ProxyMode.allCases.map(\.rawValue)
                    throw inv.error("cluster: proxy must be \(modes.dropLast().joined(separator: ", ")) or \(modes.last!)")
                }
                o.proxyMode = m
            case "lb-pool":
                guard let c = CIDR(parsing: parts[1]), c.prefixLength <= 30 else { throw inv.error("cluster: lb-pool must be a CIDR of /30 or wider, such as 203.0.113.0/24") }
                o.lbPool = CIDR(address: c.network, prefixLength: c.prefixLength)
            case "weave-encryption":
                guard ["on", "off", "true", "false"].contains(parts[1]) else { throw inv.error("cluster: weave-encryption must be on or off") }
                o.weaveEncrypted = parts[1] == "on" || parts[1] == "true"
            case "calico-mode":
                guard let m = CalicoMode(parsing: parts[1]) else { throw inv.error("cluster: calico-mode must be bgp, ipip, ipip-crosssubnet, vxlan or vxlan-crosssubnet") }
                o.calicoMode = m
            case "flannel-backend":
                guard let b = PodNetwork.Backend(rawValue: parts[1]) else { throw inv.error("cluster: flannel-backend must be vxlan or host-gw") }
                o.flannelBackend = b
            case "segments":
                guard let n = Int(parts[1]), (1...8).contains(n) else { throw inv.error("cluster: segments must be 1 to 8") }
                o.segments = n
            case "node-network":
                guard let c = CIDR(parsing: parts[1]), (8...28).contains(c.prefixLength) else { throw inv.error("cluster: node-network must be a CIDR of /8 to /28, such as 10.0.0.0/24") }
                o.nodeNetwork = CIDR(address: c.network, prefixLength: c.prefixLength)
            case "pod-cidr":
                guard let c = CIDR(parsing: parts[1]), c.prefixLength <= 22 else { throw inv.error("cluster: pod-cidr must be a CIDR of /22 or wider, such as 10.244.0.0/16") }
                o.podCIDR = c
            case "node-monitor-grace-period":
                guard let d = SimDuration(parsing: parts[1]), d > .zero else { throw inv.error("cluster: node-monitor-grace-period must be a duration such as 40s") }
                o.nodeMonitorGracePeriod = d
            default:
                let s = Suggest.nearest(parts[0], in: ["nodes", "seed", "cpu", "memory", "scoring", "etcd", "images", "node-monitor-grace-period", "pod-cidr", "node-network", "cni", "flannel-backend", "calico-mode", "weave-encryption", "segments", "proxy", "lb-pool"])
                throw inv.error("cluster: unknown setting '\(parts[0])'" + (s.map { " — did you mean '\($0)'?" } ?? ""))
            }
        }
        if let n = o.nodeNetwork {
            // Node N is at .(10+N) of its segment's subnet, below the broadcast address.
            let room = (1 << (32 - n.prefixLength)) - 12
            guard o.nodes <= room else {
                throw inv.error("cluster: node-network \(n) has room for \(max(0, room)) nodes, not \(o.nodes); choose a bigger one")
            }
            // Every segment's subnet must stay clear of the pod and Service networks.
            let pods = o.podCIDR ?? CIDR(parsing: o.cni == .weave ? "10.32.0.0/12" : (o.nodes > 256 ? "10.128.0.0/9" : "10.244.0.0/16"))!
            let first = UInt64(n.network.value)
            let last = first + UInt64(o.segments) * (UInt64(1) << UInt64(32 - n.prefixLength)) - 1
            guard last <= UInt64(UInt32.max) else { throw inv.error("cluster: node-network \(n) has no room for \(o.segments) segments") }
            for (other, what) in [(pods, "the pod network"), (CIDR(parsing: "10.96.0.0/12")!, "the Service network")] {
                let otherFirst = UInt64(other.network.value), otherLast = otherFirst + (UInt64(1) << UInt64(32 - other.prefixLength)) - 1
                guard last < otherFirst || otherLast < first else { throw inv.error("cluster: node-network \(n) overlaps \(what) \(other)") }
            }
        }
        let c = Cluster(o)
        ctx.state[stateKey] = c
        var created = "cluster created: \(o.nodes) node\(o.nodes == 1 ? "" : "s") (node1…node\(o.nodes)), seed \(o.seed)" + (o.etcd > 1 ? ", etcd \(o.etcd) members" : "")
        if o.proxyMode == .ipvs {
            created += "\nkube-proxy: " + ProxyMode.ipvsDeprecation
        }
        if o.proxyMode == .userspace {
            created += "\nkube-proxy: userspace mode, as kube-proxy v1.25 ran it (the lecture's first mode; removed from Kubernetes in 1.26)"
        }
        return CommandResult(output: created)
    }

    static func scale(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        let (type, name, _) = try target(inv, verb: "scale")
        guard let r = inv.flag("replicas") else { throw CommandFailure("error: required flag(s) \"replicas\" not set") }
        guard let n = Int(r), n >= 0 else { throw CommandFailure("error: invalid argument \"\(r)\" for \"--replicas\" flag") }
        return try change(type, name, inv, ctx, verb: { "scaled" }) { o in
            switch o {
            case .deployment(var d): d.spec.replicas = n; o = .deployment(d)
            case .replicaSet(var rs): rs.spec.replicas = n; o = .replicaSet(rs)
            case .statefulSet(var ss): ss.spec.replicas = n; o = .statefulSet(ss)
            default: throw CommandFailure("error: cannot scale a \(type.singular)")
            }
        }
    }
}

/// kubectl's resource.group spelling (`deployment.apps`).
/// One etcd member as scripts see it: `etcd("etcd-1").leader`, `.term`, `.index`, `.up`.
final class EtcdMemberValue: ScriptObject, @unchecked Sendable {
    let m: RaftGroup.Member
    let isLeader: Bool
    init(_ m: RaftGroup.Member, group: RaftGroup) { self.m = m; self.isLeader = group.leader === m }
    var typeName: String { "etcd member" }
    var description: String { "etcd/\(m.name)" }
    var memberNames: [String] { ["name", "up", "leader", "term", "index"] }
    func member(_ name: String) -> Value? {
        switch name {
        case "name": return .string(m.name)
        case "up": return .bool(m.up)
        case "leader": return .bool(isLeader)
        case "term": return .int(Int(m.term))
        case "index": return .int(Int(m.index))
        default: return nil
        }
    }
    func isEqual(to other: any ScriptObject) -> Bool { (other as? EtcdMemberValue)?.m === m }
}

extension ClusterBindings {
    /// `etcdctl endpoint status`: ENDPOINT, ID, VERSION, DB SIZE, IS LEADER, IS LEARNER,
    /// RAFT TERM, RAFT INDEX, RAFT APPLIED INDEX, ERRORS — simple (comma) or table.
    static func etcdEndpointStatus(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        guard inv.positionals.first == "status" else { throw inv.error("etcdctl endpoint: expected 'status'") }
        let c = try cluster(ctx)
        let g = c.etcd
        let size = max(20, c.store.revision / 50)
        var rows: [[String]] = []
        var errors: [String] = []
        for m in g.members {
            if !m.up {
                errors.append("Failed to get the status of endpoint \(m.endpoint) (context deadline exceeded)")
                continue
            }
            rows.append([m.endpoint, m.id, RaftGroup.version, "\(size) kB", g.leader === m ? "true" : "false", "false", String(m.term), String(m.index), String(m.applied), ""])
        }
        let format = inv.flag("write-out") ?? "simple"
        var out: String
        if format == "table" {
            let header = ["ENDPOINT", "ID", "VERSION", "DB SIZE", "IS LEADER", "IS LEARNER", "RAFT TERM", "RAFT INDEX", "RAFT APPLIED INDEX", "ERRORS"]
            var widths = header.map(\.count)
            for r in rows { for (i, cell) in r.enumerated() { widths[i] = max(widths[i], cell.count) } }
            let line = "+" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "+") + "+"
            func center(_ s: String, _ w: Int) -> String { let l = (w - s.count) / 2; return String(repeating: " ", count: l) + s + String(repeating: " ", count: w - s.count - l) }
            func right(_ s: String, _ w: Int) -> String { String(repeating: " ", count: w - s.count) + s }
            var lines = [line, "|" + header.enumerated().map { " " + center($0.element, widths[$0.offset]) + " " }.joined(separator: "|") + "|", line]
            for r in rows { lines.append("|" + r.enumerated().map { " " + right($0.element, widths[$0.offset]) + " " }.joined(separator: "|") + "|") }
            lines.append(line)
            out = lines.joined(separator: "\n")
        } else {
            out = rows.map { $0.joined(separator: ", ") }.joined(separator: "\n")
        }
        if !errors.isEmpty { out = errors.map { "{\"level\":\"warn\",\"msg\":\"\($0)\"}" }.joined(separator: "\n") + (out.isEmpty ? "" : "\n" + out) }
        return CommandResult(output: out)
    }
}

enum APIErrorNames {
    static func qualified(_ type: ResourceType) -> String {
        type.apiVersion.contains("/") ? "\(type.singular).\(type.apiVersion.split(separator: "/")[0])" : type.singular
    }
}
