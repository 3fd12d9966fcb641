// Benchmarks for the control plane (issue figures). Run with
//   swift run -c release kubesim-bench control-plane [NODES] [REPLICAS] [PER-DEPLOYMENT] [pull]
//   swift run -c release kubesim-bench scheduler [NODES] [PODS]
//   swift run -c release kubesim-bench kube-proxy [SERVICES] [PACKETS]   (iptables vs nftables mode per packet)
// Prints wall time, simulated time, events run and peak RSS.
#if canImport(Glibc)
import Glibc
#endif
import KubeSimCore
import KubeSimAPI
import KubeSimControl
import KubeSimNode
import KubeSimNet
import KubeSimCluster
import KubeSimNet

func wallSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Resident memory now (/proc/self/statm's second field, pages of 4 KiB).
func currentRSSBytes() -> Int {
    guard let f = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(f) }
    var line = [CChar](repeating: 0, count: 256)
    guard fgets(&line, 256, f) != nil else { return 0 }
    let parts = String(cString: line).split(separator: " ")
    return parts.count > 1 ? (Int(parts[1]) ?? 0) * 4096 : 0
}

func peakRSSMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// A cluster of `nodes` for the network benches: the CNI plugin and Calico mode by name.
func networkOptions(nodes: Int, plugin: String?, mode: String?) -> Cluster.Options {
    var o = Cluster.Options()
    o.nodes = nodes
    o.preloadedImages = ["nginx:1.25"]
    if let p = plugin.flatMap(PodNetwork.Plugin.init(rawValue:)) { o.cni = p }
    if let m = mode.flatMap(CalicoMode.init(parsing:)) { o.calicoMode = m }
    return o
}

func deployment(_ name: String, replicas: Int) -> Deployment {
    var c = Container(name: "app", image: "nginx:1.25")
    c.resources.requests = ["cpu": Quantity(milli: 10), "memory": Quantity(parsing: "16Mi")!]
    let t = PodTemplateSpec(labels: ["app": name], spec: PodSpec(containers: [c]))
    return Deployment(metadata: ObjectMeta(name: name, namespace: "default"),
                      spec: DeploymentSpec(replicas: replicas, selector: LabelSelector(matchLabels: ["app": name]), template: t))
}

let args = CommandLine.arguments
let mode = args.count > 1 ? args[1] : "control-plane"
/// A cluster kept to the end of the process (not torn down object by object on the way out).
nonisolated(unsafe) var finished: AnyObject?

switch mode {
case "control-plane":
    let nodes = args.count > 2 ? Int(args[2])! : 5000
    let total = args.count > 3 ? Int(args[3])! : 150_000
    let per = args.count > 4 ? Int(args[4])! : 100
    // `pull`: the image is not on the nodes (as after a learner's `cluster nodes=N`), so
    // every kubelet pulls it — the same work as the typed path.
    let pull = args.count > 5 && args[5] == "pull"
    var o = Cluster.Options()
    o.nodes = nodes
    o.cpu = Quantity(32)
    o.memory = Quantity(parsing: "128Gi")!
    if !pull { o.preloadedImages = ["nginx:1.25"] }   // "images cached"
    let t0 = wallSeconds()
    let c = Cluster(o)
    let t1 = wallSeconds()
    var made = 0, i = 0
    while made < total {
        let n = min(per, total - made)
        _ = try! c.api.create(.deployment(deployment("app\(i)", replicas: n)))
        made += n
        i += 1
    }
    // Issue 3's figure is apply → every pod bound; issue 4's is apply → every pod Running.
    var tBound = 0.0
    while c.scheduler.bound < total, c.clock.runNext() {}
    tBound = wallSeconds()
    let busy = c.settle()
    let t2 = wallSeconds()
    let pods = c.store.list(.pod).compactMap(\.pod)
    let bound = pods.filter { $0.spec.nodeName != nil }.count
    let running = pods.filter { $0.status.phase == "Running" }.count
    print("control-plane: \(nodes) nodes, \(i) deployments, \(total) replicas\(pull ? ", image pulled by every node" : ", image preloaded")")
    print("  cluster start   \(format1(t1 - t0)) s wall")
    print("  apply → every pod bound \(format1(tBound - t1)) s wall")
    print("  apply → settled (all Running) \(format1(t2 - t1)) s wall, \(c.now) simulated, \(c.clock.executed) events, settled=\(busy.isEmpty)")
    print("  pods \(pods.count), bound \(bound), running \(running)")
    print("  peak RSS \(format1(peakRSSMiB())) MiB")
    finished = c   // the process ends here, as `kubesim run` does: no teardown
case "scheduler":
    let nodes = args.count > 2 ? Int(args[2])! : 5000
    let count = args.count > 3 ? Int(args[3])! : 20_000
    var o = Cluster.Options()
    o.nodes = nodes
    o.cpu = Quantity(32)
    o.memory = Quantity(parsing: "128Gi")!
    let c = Cluster(o)
    // Pods created directly (no controllers in the path): the scheduler alone.
    var c0 = Container(name: "app", image: "nginx:1.25")
    c0.resources.requests = ["cpu": Quantity(milli: 10), "memory": Quantity(parsing: "16Mi")!]
    for k in 0..<count {
        _ = try! c.api.create(.pod(Pod(metadata: ObjectMeta(name: "p\(k)", namespace: "default"), spec: PodSpec(containers: [c0]))))
    }
    let t0 = wallSeconds()
    let before = c.scheduler.bound
    // Run until every pod is bound (kubelet start-up events are left for later).
    while c.scheduler.bound - before < count, c.clock.runNext() {}
    let t1 = wallSeconds()
    let rate = Double(c.scheduler.bound - before) / (t1 - t0)
    print("scheduler: \(nodes) nodes, \(count) pods bound in \(format1(t1 - t0)) s wall → \(Int(rate)) pods/s (includes the API writes and watch delivery)")
    print("  peak RSS \(format1(peakRSSMiB())) MiB")
case "big-pod":
    // Issue 13: one pod of N containers (busybox:latest, so each container pulls in
    // turn, 400 ms apart) from creation until every container runs; the time should
    // grow linearly in N (each size run in its own cluster).
    let sizes = args.count > 2 ? args[2...].compactMap { Int($0) } : [1000, 3000, 10_000]
    for n in sizes {
        var o = Cluster.Options()
        o.nodes = 1
        o.cpu = Quantity(512)
        o.memory = Quantity(parsing: "4Ti")!
        let c = Cluster(o)
        c.settle()
        let containers = (0..<n).map { k -> Container in
            var x = Container(name: "c\(k)", image: "busybox")
            x.command = ["sleep", "999999"]
            return x
        }
        let t0 = wallSeconds()
        let events0 = c.clock.executed
        _ = try! c.api.create(.pod(Pod(metadata: ObjectMeta(name: "big", namespace: "default"), spec: PodSpec(containers: containers))))
        c.tick(.seconds(Int64(n) / 2 + 60))
        let t1 = wallSeconds()
        let pod = (try? c.api.get(.pod, namespace: "default", name: "big"))?.pod
        let running = pod?.status.containerStatuses.filter { if case .running = $0.state { return true } else { return false } }.count ?? 0
        print("big-pod: \(n) containers, \(running) running after \(Int64(n) / 2 + 60) s simulated: \(format1(t1 - t0)) s wall, \(c.clock.executed - events0) events, \(format1((t1 - t0) * 1e6 / Double(n))) µs per container, peak RSS \(format1(peakRSSMiB())) MiB")
    }
case "node-failure":
    // Issue 4: fail one node of N holding 30 pods; simulate the 6 minutes of detection
    // (50 s grace), eviction (300 s toleration) and rescheduling.
    let nodes = args.count > 2 ? Int(args[2])! : 5000
    var o = Cluster.Options()
    o.nodes = nodes
    o.cpu = Quantity(32)
    o.memory = Quantity(parsing: "128Gi")!
    o.preloadedImages = ["nginx:1.25"]
    let c = Cluster(o)
    // 30 pods on node1, owned by a ReplicaSet (adopted), so evicted ones are replaced elsewhere.
    let tpl = deployment("victims", replicas: 30).spec.template
    for k in 0..<30 {
        var spec = tpl.spec
        spec.nodeName = "node1"
        _ = try! c.api.create(.pod(Pod(metadata: ObjectMeta(name: "victim-\(k)", namespace: "default", labels: tpl.labels), spec: spec)))
    }
    _ = try! c.api.create(.replicaSet(ReplicaSet(metadata: ObjectMeta(name: "victims", namespace: "default"),
                                                 spec: ReplicaSetSpec(replicas: 30, selector: LabelSelector(matchLabels: tpl.labels), template: tpl))))
    c.settle()
    let onNode1 = c.store.list(.pod).compactMap(\.pod).filter { $0.spec.nodeName == "node1" }.count
    let t0 = wallSeconds()
    c.kubelets["node1"]!.fail()
    let start = c.clock.now
    c.tick(.minutes(6))
    let t1 = wallSeconds()
    let pods = c.store.list(.pod).compactMap(\.pod)
    let node1 = c.store.list(.node).compactMap(\.node).first { $0.metadata.name == "node1" }!
    let notReadyAt = node1.conditions.first { $0.type == "Ready" }.map { SimDuration(nanoseconds: $0.lastTransitionTime - start) }
    let running = pods.filter { $0.status.phase == "Running" && $0.spec.nodeName != "node1" && !$0.isTerminating }.count
    print("node-failure: \(nodes) nodes, \(onNode1) pods on node1; 6m simulated in \(format1(t1 - t0)) s wall, \(c.clock.executed) events in total")
    print("  node1 NotReady \(notReadyAt.map { "\($0)" } ?? "-") after the failure; pods running elsewhere: \(running); terminating on node1: \(pods.filter { $0.isTerminating }.count)")
    print("  peak RSS \(format1(peakRSSMiB())) MiB")
case "datapath":
    // Issue 5: pod-to-pod traversals across nodes (flannel vxlan), trace rendering off.
    let nodes = args.count > 2 ? Int(args[2])! : 1000
    let count = args.count > 3 ? Int(args[3])! : 2_000_000
    // `datapath NODES COUNT calico [bgp|ipip|vxlan|…]`: the same with Calico.
    let o = networkOptions(nodes: nodes, plugin: args.count > 4 ? args[4] : nil, mode: args.count > 5 ? args[5] : nil)
    let tp = wallSeconds()
    let c = Cluster(o)
    let tq = wallSeconds()
    for (name, node) in [("src", "node1"), ("dst", "node\(nodes)")] {
        var spec = deployment(name, replicas: 1).spec.template.spec
        spec.nodeName = node
        _ = try! c.api.create(.pod(Pod(metadata: ObjectMeta(name: name, namespace: "default"), spec: spec)))
    }
    c.settle()
    let pods = c.store.list(.pod).compactMap(\.pod)
    let src = IPv4Address(parsing: pods.first { $0.metadata.name == "src" }!.status.podIP!)!
    let dst = IPv4Address(parsing: pods.first { $0.metadata.name == "dst" }!.status.podIP!)!
    let t0 = wallSeconds()
    var delivered = 0
    for _ in 0..<count { if c.network.walk(from: src, to: dst, record: false).delivered { delivered += 1 } }
    let t1 = wallSeconds()
    // Every node's full routing table, rendered as `ip route` prints it (one node's, then all).
    let t2 = wallSeconds()
    let routes = c.network.node("node1")!.host.ipRoute.split(separator: "\n").count
    let t3 = wallSeconds()
    print("datapath (\(o.cni.rawValue)\(o.cni == .calico ? " " + o.calicoMode.encapsulation.rawValue + (o.calicoMode.crossSubnet ? " cross-subnet" : "") : "")): \(nodes) nodes (routes for all programmed in \(format1(tq - tp)) s with the cluster), \(count) cross-node traversals in \(format1(t1 - t0)) s → \(Int(Double(count) / (t1 - t0))) per second, delivered \(delivered)")
    print("  node1's table: \(routes) routes, rendered in \(format1(t3 - t2)) s")
case "routes":
    // Issue 5: every node's routing table on a large cluster. A pod on every node first, so
    // that Calico has claimed an IPAM block on each (blocks are claimed on demand) and every
    // node routes to every other node's block; then every node's whole table, as `ip route`
    // lists it, is materialised (not rendered to text).
    let nodes = args.count > 2 ? Int(args[2])! : 5000
    let o = networkOptions(nodes: nodes, plugin: args.count > 3 ? args[3] : nil, mode: args.count > 4 ? args[4] : nil)
    let t0 = wallSeconds()
    let c = Cluster(o)
    let t1 = wallSeconds()
    for k in 1...nodes {
        var spec = deployment("p", replicas: 1).spec.template.spec
        spec.nodeName = "node\(k)"
        _ = try! c.api.create(.pod(Pod(metadata: ObjectMeta(name: "p\(k)", namespace: "default"), spec: spec)))
    }
    c.settle()
    let t2 = wallSeconds()
    var total = 0
    for k in 1...nodes { total += c.network.node("node\(k)")!.host.routeTable.count }
    let t3 = wallSeconds()
    print("routes (\(o.cni.rawValue)\(o.cni == .calico ? " " + o.calicoMode.encapsulation.rawValue + (o.calicoMode.crossSubnet ? " cross-subnet" : "") : "")): \(nodes) nodes; cluster with its network in \(format1(t1 - t0)) s, a pod on every node in \(format1(t2 - t1)) s")
    print("  every node's table: \(total) routes (\(total / nodes) per node) in \(format1(t3 - t2)) s; peak RSS \(format1(peakRSSMiB())) MiB")
case "netfilter-rules":
    // Issue 10: a chain of N rules none of which matches, walked by P packets (the FORWARD
    // hook of one node's netfilter); and the memory a rule takes.
    let n = args.count > 2 ? Int(args[2])! : 10_000
    let packets = args.count > 3 ? Int(args[3])! : 2_000
    let nf = Netfilter()
    let before = currentRSSBytes()
    for k in 0..<n {
        // Typical rules: a source prefix, a protocol and port, a comment, a verdict.
        let a = k & 0xff, b = (k >> 8) & 0xff
        let r = Iptables.run(["-A", "FORWARD", "-s", "172.16.\(b).\(a)/32", "-p", "tcp", "--dport", "\(1000 + k % 5000)", "-m", "comment", "--comment", "rule \(k)", "-j", "DROP"], on: nf)
        precondition(r.status == 0, r.output)
    }
    let after = currentRSSBytes()
    var p = NFPacket(src: IPv4Address(10, 244, 0, 2), dst: IPv4Address(10, 244, 1, 2), proto: .tcp, sport: 40000, dport: 80)
    p.inDev = "cni0"; p.outDev = "flannel.1"
    let t0 = wallSeconds()
    var evaluated = 0
    for _ in 0..<packets {
        var q = p
        var ct = CTPass()
        evaluated += nf.run(.forward, &q, ct: &ct, now: 0, record: false).rulesEvaluated
    }
    let t1 = wallSeconds()
    print("netfilter-rules: \(n) non-matching rules × \(packets) packets = \(evaluated) rule evaluations in \(format1(t1 - t0)) s → \(Int(Double(evaluated) / (t1 - t0))) per second")
    print("  memory: \((after - before) / n) bytes per rule (RSS grew \((after - before) >> 20) MiB for \(n) rules)")
case "conntrack":
    // Issue 10: a table of N entries; lookups of live tuples.
    let n = args.count > 2 ? Int(args[2])! : 1_000_000
    let lookups = args.count > 3 ? Int(args[3])! : 5_000_000
    let ct = Conntrack()
    let before = currentRSSBytes()
    var tuples: [FlowTuple] = []
    tuples.reserveCapacity(n)
    for k in 0..<n {
        let t = FlowTuple(proto: .tcp, src: IPv4Address(UInt32(0x0af4_0000) &+ UInt32(k >> 10)), dst: IPv4Address(10, 96, 0, 10), sport: 1024 + (k & 1023), dport: 80)
        let e = ct.make(t)
        e.expires = Int64.max
        ct.confirm(e)
        tuples.append(t)
    }
    let after = currentRSSBytes()
    var rng = SeededRandom(seed: 7)
    let picks = (0..<4096).map { _ in tuples[rng.nextInt(below: n)] }
    let t0 = wallSeconds()
    var found = 0
    for i in 0..<lookups { if ct.lookup(picks[i & 4095], now: 0) != nil { found += 1 } }
    let t1 = wallSeconds()
    print("conntrack: \(n) entries; \(lookups) lookups in \(format1(t1 - t0)) s → \(Int((t1 - t0) / Double(lookups) * 1e9)) ns per lookup (found \(found))")
    print("  memory: \((after - before) / n) bytes per entry (both directions indexed; the bench's own tuple list included)")
case "kube-proxy":
    // Issue 11: S Services × E endpoints in iptables mode, straight into one node's kernel:
    // a full sync (the restore text and loading it), its iptables-save, a partial sync after
    // one endpoint changed, and the per-packet cost of a ClusterIP connection's first packet
    // (rules walked) for the first and the last Service of KUBE-SERVICES.
    let s = args.count > 2 ? Int(args[2])! : 10_000
    let e = args.count > 3 ? Int(args[3])! : 10
    let packets = args.count > 4 ? Int(args[4])! : 2_000
    var services: [ProxyServicePort] = []
    var endpoints: [String: [ProxyEndpoint]] = [:]
    for k in 0..<s {
        let svc = ProxyServicePort(namespace: "ns\(k % 100)", name: "svc\(k)", portName: "http", proto: "TCP",
                                   clusterIP: IPv4Address(UInt32(0x0a60_0000) &+ UInt32(k + 10)), port: 80)
        services.append(svc)
        endpoints[svc.nameString] = (0..<e).map { j in ProxyEndpoint(ip: IPv4Address(UInt32(0x0af4_0000) &+ UInt32(k * e + j + 2)), port: 8080, isLocal: false) }
    }
    let nf = Netfilter()
    let rng = BenchRandom(seed: 3)
    nf.random = { UInt32(truncatingIfNeeded: rng.r.next() >> 32) }
    let proxier = IptablesProxier(IptablesProxier.Config(nodeName: "node1", nodeIP: IPv4Address(192, 168, 56, 11), clusterCIDR: CIDR(parsing: "10.244.0.0/16")))
    let t0 = wallSeconds()
    let full = proxier.sync(services: services, endpoints: endpoints, changed: [], now: 0, on: nf)
    let t1 = wallSeconds()
    let save = IptablesView.save(nf, table: nil, counters: false, date: "")
    let t2 = wallSeconds()
    precondition(full.outcome.status == 0, full.outcome.output)
    var changed = endpoints
    let victim = services[s / 2]
    changed[victim.nameString]![0] = ProxyEndpoint(ip: IPv4Address(10, 245, 0, 9), port: 8080, isLocal: false)
    let t3 = wallSeconds()
    let partial = proxier.sync(services: services, endpoints: changed, changed: [victim.serviceName], now: 1_000_000_000, on: nf)
    let t4 = wallSeconds()
    precondition(partial.outcome.status == 0 && !partial.full, partial.outcome.output)
    func perPacket(_ svc: ProxyServicePort) -> (Double, Int) {
        var evaluated = 0
        let ta = wallSeconds()
        for i in 0..<packets {
            var p = NFPacket(src: IPv4Address(10, 244, 1, 2), dst: svc.clusterIP, proto: .tcp, sport: 20000 + i % 40000, dport: 80)
            p.inDev = "cni0"
            var ct = CTPass()
            evaluated += nf.run(.prerouting, &p, ct: &ct, now: 0, record: false).rulesEvaluated
        }
        return ((wallSeconds() - ta) / Double(packets) * 1e9, evaluated / packets)
    }
    let (firstNS, firstRules) = perPacket(services[0])
    let (lastNS, lastRules) = perPacket(services[s - 1])
    let rules = nf.nat.chains.values.reduce(0) { $0 + $1.rules.count } + nf.filter.chains.values.reduce(0) { $0 + $1.rules.count }
    print("kube-proxy iptables: \(s) services × \(e) endpoints: \(rules) rules, \(nf.nat.chains.count) nat chains")
    print("  full sync \(Int((t1 - t0) * 1000)) ms (restore input \(proxier.iptablesData.utf8.count >> 10) KiB); iptables-save \(Int((t2 - t1) * 1000)) ms (\(save.utf8.count >> 10) KiB); together \(Int((t2 - t0) * 1000)) ms")
    print("  partial sync after one endpoint change: \(format1((t4 - t3) * 1000)) ms (\(partial.natRules) nat rules written)")
    print("  first packet of a connection, PREROUTING: first Service \(Int(firstNS)) ns (\(firstRules) rules walked), last Service \(Int(lastNS)) ns (\(lastRules) rules walked)")
case "kube-proxy-modes":
    // One node's netfilter programmed by each kube-proxy mode for S Services of 3 endpoints;
    // P new connections (first packets: the nat rules run) to Services picked at random,
    // then P packets of established connections, through PREROUTING, FORWARD, POSTROUTING.
    let n = args.count > 2 ? Int(args[2])! : 1_000
    let packets = args.count > 3 ? Int(args[3])! : 20_000
    var services: [ProxyServicePort] = []
    var endpoints: [String: [ProxyEndpoint]] = [:]
    for k in 0..<n {
        let p = ProxyServicePort(namespace: "default", name: "svc\(k)", portName: "http", proto: "TCP", clusterIP: IPv4Address(10, 96, UInt8(k >> 8), UInt8(k & 0xff)), port: 80)
        services.append(p)
        endpoints[p.nameString] = (1...3).map { ProxyEndpoint(ip: IPv4Address(10, 244, UInt8($0), UInt8(k % 250 + 2)), port: 8080, isLocal: false) }
    }
    for mode in ["iptables", "nftables"] {
        let nf = Netfilter()
        var state: UInt64 = 1
        nf.random = { state = state &* 6364136223846793005 &+ 1442695040888963407; return UInt32(truncatingIfNeeded: state >> 32) }
        nf.masqueradeSource = { _, _ in IPv4Address(192, 168, 56, 11) }
        let s0 = wallSeconds()
        if mode == "iptables" {
            IptablesProxier(IptablesProxier.Config(nodeName: "node1", nodeIP: IPv4Address(192, 168, 56, 11), clusterCIDR: CIDR(parsing: "10.244.0.0/16")))
                .sync(services: services, endpoints: endpoints, changed: [], now: 0, on: nf)
        } else {
            let proxier = NftablesProxier(NftablesProxier.Config(nodeName: "node1", nodeIP: IPv4Address(192, 168, 56, 11), clusterCIDR: CIDR(parsing: "10.244.0.0/16"),
                                                                 serviceCIDRs: [CIDR(parsing: "10.96.0.0/12")!], nodePortAddresses: [IPv4Address(192, 168, 56, 11)]))
            let r = proxier.sync(services: services, endpoints: endpoints, changed: [], now: 0, on: nf.nftables)
            precondition(r.failure == nil, r.failure ?? "")
            // One endpoint of one Service changes: a partial sync touches that Service only.
            var changed = endpoints
            let victim = services[n / 2]
            changed[victim.nameString]![0] = ProxyEndpoint(ip: IPv4Address(10, 245, 0, 9), port: 8080, isLocal: false)
            let p0 = wallSeconds()
            let partial = proxier.sync(services: services, endpoints: changed, changed: [victim.serviceName], now: 1_000_000_000, on: nf.nftables)
            let p1 = wallSeconds()
            precondition(partial.failure == nil, partial.failure ?? "")
            print("kube-proxy nftables: partial sync after one endpoint change \(format1((p1 - p0) * 1000)) ms")
        }
        let s1 = wallSeconds()
        var rng = SeededRandom(seed: 3)
        var firsts: [NFPacket] = []
        for k in 0..<packets {
            let svc = rng.nextInt(below: n)
            var p = NFPacket(src: IPv4Address(10, 244, 0, UInt8(2 + k % 200)), dst: IPv4Address(10, 96, UInt8(svc >> 8), UInt8(svc & 0xff)), proto: .tcp, sport: 20000 + k / 200, dport: 80)
            p.tcpFlags = .syn; p.inDev = "cni0"; p.outDev = "eth0"
            firsts.append(p)
        }
        func walk(_ p: inout NFPacket) -> Int {
            var ct = CTPass(), evaluated = 0
            for h in [NFHook.prerouting, .forward, .postrouting] { evaluated += nf.run(h, &p, ct: &ct, now: 1, record: false).rulesEvaluated }
            return evaluated
        }
        var evaluated = 0
        var walked = firsts
        let t0 = wallSeconds()
        for k in walked.indices { evaluated += walk(&walked[k]) }
        let t1 = wallSeconds()
        // The endpoints answer (SYN-ACK, back through the node): the connections are established.
        for (k, w) in walked.enumerated() {
            var r = NFPacket(src: w.dst, dst: firsts[k].src, proto: .tcp, sport: w.dport, dport: firsts[k].sport)
            r.tcpFlags = [.syn, .ack]; r.inDev = "eth0"; r.outDev = "cni0"
            _ = walk(&r)
        }
        var later = 0
        let t2 = wallSeconds()
        for var p in firsts { p.tcpFlags = .ack; later += walk(&p) }
        let t3 = wallSeconds()
        print("kube-proxy \(mode): \(n) Services × 3 endpoints, sync \(format1(s1 - s0)) s; first packets \(Int((t1 - t0) / Double(packets) * 1e9)) ns each (\(evaluated / packets) rules), established \(Int((t3 - t2) / Double(packets) * 1e9)) ns each (\(later / packets) rules)")
    }
default:
    print("usage: kubesim-bench control-plane [NODES] [REPLICAS] [PER-DEPLOYMENT] [pull] | scheduler [NODES] [PODS] | node-failure [NODES] | big-pod [CONTAINERS…] | datapath [NODES] [COUNT] [flannel|calico|weave] [MODE] | routes [NODES] [flannel|calico|weave] [MODE] | netfilter-rules [RULES] [PACKETS] | conntrack [ENTRIES] [LOOKUPS] | kube-proxy [SERVICES] [ENDPOINTS] [PACKETS] | kube-proxy-modes [SERVICES] [PACKETS]")
    exit(2)
}

func format1(_ x: Double) -> String {
    let v = (x * 100).rounded() / 100
    return String(v)
}

/// The seeded source in a box, for closures.
final class BenchRandom { var r: SeededRandom; init(seed: UInt64) { r = SeededRandom(seed: seed) } }
