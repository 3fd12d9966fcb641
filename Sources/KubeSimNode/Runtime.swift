import KubeSimCore
import KubeSimNet
import KubeSimControl

/// Files of a container's root or of a pod volume (emptyDir, configMap, secret).
public final class FileStore {
    public var files: [String: String] = [:]
    public var readOnly: Bool
    public init(readOnly: Bool = false) { self.readOnly = readOnly }
}

/// Data on PersistentVolumeClaims, which outlives pods and follows them across nodes.
public final class ClusterStorage {
    public var claims: [String: FileStore] = [:]
    public init() {}
}

/// One image shared by every container record and process made from it (ImageSpec is
/// a large value; a reference keeps a container small).
public final class ImageBox {
    public let spec: ImageSpec
    init(_ spec: ImageSpec) { self.spec = spec }
}

/// A container or sandbox id kept as 256 bits, printed as 64 hex digits when asked.
public struct RawID: Hashable, Sendable {
    let a, b, c, d: UInt64
}

/// A pod sandbox (RunPodSandbox): the pause container holding the network namespace.
public final class Sandbox {
    let rawID: RawID
    public var id: String { ContainerRuntime.hex(rawID) }
    public let podUID, podName, namespace: String
    public var ip: String?
    public let createdAt: Int64
    public var ready = true
    /// Pod volumes by name, shared by the pod's containers.
    public var volumes: [String: FileStore] = [:]
    init(id: RawID, podUID: String, podName: String, namespace: String, createdAt: Int64) {
        self.rawID = id; self.podUID = podUID; self.podName = podName; self.namespace = namespace; self.createdAt = createdAt
    }
}

/// One container instance (CreateContainer/StartContainer), kept after it exits as
/// containerd keeps it until the kubelet removes it.
public final class ContainerRecord {
    public enum State: String { case created = "Created", running = "Running", exited = "Exited" }
    let rawID: RawID
    public var id: String { ContainerRuntime.hex(rawID) }
    public let name: String
    let imageBox: ImageBox
    public var image: ImageSpec { imageBox.spec }
    public let podUID: String
    let sandboxRaw: RawID
    public var sandboxID: String { ContainerRuntime.hex(sandboxRaw) }
    public let attempt: Int
    public let createdAt: Int64
    public var state = State.created
    public var exitCode: Int?
    public var finishedAt: Int64?
    public var process: ContainerProcess?
    init(id: RawID, name: String, image: ImageBox, podUID: String, sandboxID: RawID, attempt: Int, createdAt: Int64) {
        self.rawID = id; self.name = name; self.imageBox = image; self.podUID = podUID; self.sandboxRaw = sandboxID; self.attempt = attempt; self.createdAt = createdAt
    }
}

/// A containerd-like runtime on one node: its image store, sandboxes and containers.
public final class ContainerRuntime {
    public var images: [String: ImageSpec] = [:]
    public var sandboxes: [String: Sandbox] = [:]
    public var containers: [RawID: ContainerRecord] = [:]
    /// The order containers were created in (crictl lists newest first). Pruned ids
    /// stay until the list is compacted: readers skip ids `containers` no longer has.
    public private(set) var containerOrder: [RawID] = []
    /// Each pod's containers by name, in the order they were created, so pruning one
    /// is not a walk over every container on the node or in the pod.
    var podContainers: [String: [String: [RawID]]] = [:]
    /// Serialised image pulls (the kubelet's default serializeImagePulls=true).
    public var pullBusyUntil: Int64 = 0
    var boxes: [String: ImageBox] = [:]
    func box(_ i: ImageSpec) -> ImageBox {
        if let b = boxes[i.reference], b.spec == i { return b }
        let b = ImageBox(i)
        boxes[i.reference] = b
        return b
    }
    /// When the pull of each image in progress or queued completes.
    var pulling: [String: Int64] = [:]
    let random: () -> UInt64
    init(random: @escaping () -> UInt64) { self.random = random }

    /// 64 hex digits, as containerd's ids.
    func newID() -> String { ContainerRuntime.hex(newRawID()) }

    func newRawID() -> RawID { RawID(a: random(), b: random(), c: random(), d: random()) }

    static func hex(_ id: RawID) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var bytes = [UInt8](repeating: 0, count: 64)
        for (w, v0) in [id.a, id.b, id.c, id.d].enumerated() {
            var v = v0
            for i in 0..<16 { bytes[w * 16 + 15 - i] = hex[Int(v & 15)]; v >>= 4 }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Removes a pod's exited containers (all of them, or all but the newest `keep` of one).
    func prune(podUID: String, name: String?, keep: Int) {
        guard let byName = podContainers[podUID] else { return }
        let names = name.map { [$0] } ?? Array(byName.keys)
        for n in names {
            guard let ids = byName[n] else { continue }
            guard ids.count > keep else { continue }
            let drop = Set(ids.dropLast(keep).filter { containers[$0]?.state != .running || keep == 0 })
            guard !drop.isEmpty else { continue }
            for id in drop { containers.removeValue(forKey: id) }
            let left = ids.filter { !drop.contains($0) }
            podContainers[podUID]![n] = left.isEmpty ? nil : left
        }
        if podContainers[podUID]?.isEmpty == true { podContainers[podUID] = nil }
        if containerOrder.count > 2 * containers.count + 64 { containerOrder.removeAll { containers[$0] == nil } }
    }

    /// A container created in a pod's sandbox.
    func add(_ record: ContainerRecord) {
        containers[record.rawID] = record
        containerOrder.append(record.rawID)
        podContainers[record.podUID, default: [:]][record.name, default: []].append(record.rawID)
    }

    public func hasImage(_ ref: String) -> ImageSpec? { images[ImageCatalogue.normalize(ref)] }

    /// Node status.images: largest first (as the kubelet sorts them), names as references.
    public var nodeImages: [(names: [String], size: Int64)] {
        images.values.sorted { $0.sizeBytes != $1.sizeBytes ? $0.sizeBytes > $1.sizeBytes : $0.reference < $1.reference }
            .map { ([$0.repository + "@sha256:" + $0.id, $0.reference], $0.sizeBytes) }
    }
}

/// A running program in a container: steps its instructions on the simulated clock.
public final class ContainerProcess {
    public let startedAt: Int64
    /// For a command a user runs (`exec`): lets simulated time pass while it waits (a
    /// `sleep`, ping's one-second interval, a connect timeout), the cluster running on.
    /// nil for the container's own program and probes, which never block the clock.
    public var advance: ((SimDuration) -> Void)?
    /// An exec'd command whose container ended while it waited: the runtime killed it.
    var killedWithContainer = false
    public var listening: [Int] = []
    public var routes: [String: AppBehaviour.Route]
    /// The log: chunks of lines written at one time (a run of startup lines is one
    /// chunk sharing the image's array).
    var logChunks: [(time: Int64, lines: ArraySlice<String>)] = []
    public var logs: [(time: Int64, line: String)] { logChunks.flatMap { c in c.lines.map { (c.time, $0) } } }
    public var logCount: Int { logChunks.reduce(0) { $0 + $1.lines.count } }
    public var exited = false
    let imageBox: ImageBox
    public var app: AppBehaviour { imageBox.spec.app }
    /// Memory the app holds now (base plus leak), bytes.
    public func memory(at t: Int64) -> Int64 {
        app.memory + (extraLeakPerMinute + app.leakPerMinute) * ((t - startedAt) / 1_000_000) / 60_000
    }
    /// Added by `leak` faults at run time.
    public var extraLeakPerMinute: Int64 = 0
    var code: [Instr]
    var pc = 0
    var status = 0
    var loops: [Int: Int] = [:]
    /// The environment: the kubelet's shared part (PATH, service links, HOME) and this
    /// container's own variables; HOSTNAME comes from the pod.
    var envShared: [(String, String)]
    var envOwn: [(String, String)]
    public var env: [(String, String)] {
        var out: [(String, String)] = [envShared.first ?? ("PATH", ""), ("HOSTNAME", hostname)]
        var own = envOwn
        if let i = own.firstIndex(where: { $0.0 == "HOSTNAME" }) { out[1].1 = own[i].1; own.remove(at: i) }
        let ownNames = Set(own.map(\.0))
        out += own
        out += envShared.dropFirst().filter { !ownNames.contains($0.0) }
        return out
    }
    let hostname: String
    let clock: EventQueue
    /// The container's own files, made on first use.
    var rootStore: FileStore?
    var root: FileStore {
        if let r = rootStore { return r }
        let r = FileStore()
        rootStore = r
        return r
    }
    /// Mounts, longest path first: (mount path, store, read-only).
    let mounts: [(String, FileStore, Bool)]
    var timer: EventQueue.Handle?
    /// The pod worker and slot running this process (nil for an exec shell's owner-less use).
    weak var owner: PodWorker?
    weak var slot: ContainerSlot?
    /// The pod whose network namespace this process is in (exec shells too).
    weak var netns: PodWorker?
    var label: String { owner.map { $0.labelPrefix + "container " + (slot?.spec.name ?? "") } ?? "exec" }
    /// Called once when the program ends: exit code and a last message.
    func onExit(_ code: Int, _ message: String?) {
        if let owner, let slot { owner.containerExited(slot, code: code, reason: code == 0 ? "Completed" : "Error", message: message) }
    }
    /// Called when something a probe could see changed (a file, a port, a route).
    func onChange() { if let slot { for p in slot.probes { p.dirty = true } } }
    /// The process listens on ports: the pod namespace's socket table gains them.
    func bind(_ ports: [Int]) {
        for p in ports where !listening.contains(p) { listening.append(p) }
        onChange()
        netns?.syncSockets()
    }
    /// Whether another container of the pod already listens on a port (one network namespace).
    func portInUse(_ port: Int) -> Bool {
        guard let owner, let slot else { return false }
        return owner.slots.contains { $0 !== slot && ($0.current?.process.map { !$0.exited && $0.listening.contains(port) } ?? false) }
    }
    /// The message a failed bind writes before the process exits 1.
    func bindError(_ port: Int) -> String {
        if imageBox.spec.repository.hasSuffix("/nginx") {
            return "\(ContainerProcess.nginxTime(clock.now)) [emerg] 1#1: bind() to 0.0.0.0:\(port) failed (98: Address already in use)\nnginx: [emerg] bind() to 0.0.0.0:\(port) failed (98: Address already in use)"
        }
        return "listen tcp :\(port): bind: address already in use"
    }

    init(image: ImageBox, code: [Instr], env: (shared: [(String, String)], own: [(String, String)]), hostname: String, clock: EventQueue,
         root: FileStore?, mounts: [(String, FileStore, Bool)]) {
        self.imageBox = image; self.code = code; self.envShared = env.shared; self.envOwn = env.own; self.hostname = hostname; self.clock = clock
        self.rootStore = root; self.mounts = mounts.sorted { $0.0.count > $1.0.count }
        self.startedAt = clock.now
        self.routes = image.spec.app.routes
    }

    func start() { step() }

    /// Stops the program now (SIGKILL, or a SIGTERM it handles).
    func stop() {
        exited = true
        if let t = timer { clock.cancel(t) }
        timer = nil
    }

    func log(_ line: String) {
        if !line.utf8.contains(10) { logChunks.append((clock.now, [line][...])); return }
        logChunks.append((clock.now, line.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)[...]))
    }

    /// A log line as printed: `{time}` markers (nginx-style local time) filled in from
    /// the line's own time, so logging itself stays cheap.
    public static func render(_ entry: (time: Int64, line: String)) -> String {
        entry.line.utf8.contains(123) ? entry.line.replacingOccurrences("{time}", nginxTime(entry.time)) : entry.line
    }

    func finish(_ code: Int, _ message: String?) {
        guard !exited else { return }
        exited = true
        if let m = message { log(m) }
        onExit(code, message)
    }

    /// The shell's control flow — jumps and `for` loops — on this process's pc, status and
    /// loop counters; false for any other instruction. (The container's program and an
    /// exec'd script share it.)
    func branch(_ ins: Instr) -> Bool {
        switch ins {
        case .jump(let t): pc = t
        case .jumpIfFail(let t): if status != 0 { pc = t }
        case .jumpIfOK(let t): if status == 0 { pc = t }
        case .forInit(let slot): loops[slot] = 0
        case let .forNext(slot, variable, items, end):
            let k = loops[slot] ?? 0
            if k < items.count { setVar(variable, expand(items[k])); loops[slot] = k + 1 } else { pc = end }
        default: return false
        }
        return true
    }

    /// Runs instructions until the program sleeps, serves forever or ends.
    func step() {
        var budget = 2000
        while !exited {
            guard pc < code.count else { finish(status, nil); return }
            budget -= 1
            if budget == 0 {
                // A loop without sleep spins the CPU; let simulated time pass.
                timer = clock.schedule(after: .milliseconds(10), label: self.label, background: true) { [weak self] in self?.step() }
                return
            }
            let ins = code[pc]
            pc += 1
            if branch(ins) { continue }
            switch ins {
            case .listen(let ports):
                if let clash = ports.first(where: portInUse) { finish(1, bindError(clash)); return }
                bind(ports)
            case let .setRoute(path, route): routes[path] = route; onChange()
            case .log(let line): log(line)
            case .logs(let lines): logChunks.append((clock.now, lines[...]))
            case .sleep(let d): sleep(d); return
            case .forever: return
            case let .exit(c, message): finish(c, message); return
            case .run(let words):
                let argv = words.map(expand)
                if let d = blocking(argv) {
                    if let d { sleep(d) }
                    return
                }
                let (s, out) = run(argv, words: words)
                status = s
                if !out.isEmpty { log(out) }
                if exited { return }
            case .jump, .jumpIfFail, .jumpIfOK, .forInit, .forNext: break   // branch(_:)
            }
        }
    }

    func sleep(_ d: SimDuration) {
        // Work for `settle` (which still treats a long sleep as steady, Cluster.quietPeriod),
        // unless the program loops forever: a sidecar's `while true; do …; sleep 5; done`
        // is background, like a timer, so `settle` returns once the components are idle.
        let endless = pc > 0 && pc - 1 < endlessLoop.count && endlessLoop[pc - 1]
        timer = clock.schedule(after: d, label: self.label, background: endless) { [weak self] in self?.step() }
    }

    /// The first argument busybox's `sleep` refuses: it takes non-negative numbers, each
    /// with an optional s, m, h or d (`1.5`, `2m`, `inf`), nothing else.
    static func invalidSleepArgument(_ args: [String]) -> String? {
        for a in args where a != "inf" && a != "infinity" {
            var t = Substring(a)
            if let u = t.last, "smhd".contains(u) { t = t.dropLast() }
            guard let n = Double(t), n >= 0, t.first != "+", t.allSatisfy({ $0.isNumber || $0 == "." }) else { return a }
        }
        return nil
    }
    /// For each instruction, whether it sits inside `while true`, `while :` or
    /// `until false`: a loop the program never leaves.
    lazy var endlessLoop: [Bool] = {
        var out = Array(repeating: false, count: code.count)
        for (j, ins) in code.enumerated() {
            guard case .jump(let top) = ins, top < j, top + 1 < code.count, case .run(let words) = code[top], words.count == 1 else { continue }
            let w = words[0].text
            switch code[top + 1] {
            case .jumpIfFail where w == "true" || w == ":", .jumpIfOK where w == "false":
                for k in top...j { out[k] = true }
            default: continue
            }
        }
        return out
    }()

    func setVar(_ k: String, _ v: String) {
        if let i = envOwn.firstIndex(where: { $0.0 == k }) { envOwn[i].1 = v } else { envOwn.append((k, v)) }
    }

    func variable(_ k: String) -> String {
        if k == "?" { return String(status) }
        if let v = envOwn.first(where: { $0.0 == k }) { return v.1 }
        if k == "HOSTNAME" { return hostname }
        return envShared.first { $0.0 == k }?.1 ?? ""
    }

    /// `2026/01/01 00:00:03`
    static func nginxTime(_ t: Int64) -> String {
        let stamp = Array(Self.stamp(t).utf8)   // 2026-01-01T00:00:03Z
        let mapped = stamp.dropLast().map { $0 == UInt8(ascii: "-") ? UInt8(ascii: "/") : ($0 == UInt8(ascii: "T") ? UInt8(ascii: " ") : $0) }
        return String(decoding: mapped, as: UTF8.self)
    }

    public static func stamp(_ ns: Int64) -> String { SimTime.stamp(ns) }
    static func civil(_ ns: Int64) -> (Int, Int, Int, Int, Int, Int) { SimTime.civil(ns) }
    /// `date`: `Thu Jan  1 00:00:05 UTC 2026` (2026-01-01 is a Thursday).
    public static func date(_ ns: Int64) -> String { SimTime.date(ns) }

    func expand(_ w: Word) -> String {
        if w.literal || !w.text.contains("$") { return w.text }
        var out = ""
        let c = Array(w.text)
        var i = 0
        while i < c.count {
            guard c[i] == "$", i + 1 < c.count else { out.append(c[i]); i += 1; continue }
            if c[i + 1] == "(" {
                var depth = 0, j = i + 1
                var inner = ""
                while j < c.count {
                    if c[j] == "(" { depth += 1; if depth == 1 { j += 1; continue } }
                    if c[j] == ")" { depth -= 1; if depth == 0 { break } }
                    inner.append(c[j]); j += 1
                }
                let argv = ShellCompiler.tokenize(inner).compactMap { t -> String? in if case .word(let x) = t { return expand(x) } else { return nil } }
                out += run(argv, words: []).1.trimmingTrailingNewlines
                i = j + 1
            } else if c[i + 1] == "{" {
                var j = i + 2
                var name = ""
                while j < c.count && c[j] != "}" { name.append(c[j]); j += 1 }
                out += variable(name)
                i = j + 1
            } else {
                var j = i + 1
                var name = ""
                if c[j] == "?" { name = "?"; j += 1 } else {
                    while j < c.count, c[j].isLetter || c[j].isNumber || c[j] == "_" { name.append(c[j]); j += 1 }
                }
                if name.isEmpty { out.append("$") } else { out += variable(name) }
                i = j
            }
        }
        return out
    }

    // MARK: - files

    func resolve(_ path: String) -> (FileStore, String, Bool) {
        for (mount, store, ro) in mounts where path == mount || path.hasPrefix(mount.hasSuffix("/") ? mount : mount + "/") {
            let rel = String(path.dropFirst(mount.count)).drop { $0 == "/" }
            return (store, String(rel), ro || store.readOnly)
        }
        return (root, path, false)
    }

    public func read(_ path: String) -> String? {
        let (s, p, _) = resolve(path)
        return s.files[p] ?? kubeletFile(path)
    }

    func write(_ path: String, _ text: String, append: Bool) -> String? {
        let (s, p, ro) = resolve(path)
        if ro { return "sh: can't create \(path): Read-only file system" }
        s.files[p] = (append ? (s.files[p] ?? "") : "") + text
        onChange()
        return nil
    }

    func listFiles(_ dir: String) -> [(String, String)] {
        let (s, p, _) = resolve(dir)
        let prefix = p.isEmpty ? "" : (p.hasSuffix("/") ? p : p + "/")
        var names = Set<String>()
        for k in s.files.keys where k.hasPrefix(prefix) {
            let rest = k.dropFirst(prefix.count)
            names.insert(String(rest.split(separator: "/").first ?? rest))
        }
        return names.sorted().map { ($0, $0) }
    }

    // MARK: - commands

    /// Runs one non-blocking command: exit status and output (stdout and stderr).
    public func run(_ argv: [String], words: [Word]) -> (Int, String) {
        var argv = argv
        // Redirections: `> FILE`, `>> FILE`.
        var redirect: (String, Bool)?
        // stderr redirections (`2>&1`, `2>FILE`): output is one stream here.
        var quietErrors = false
        while let i = argv.firstIndex(where: { $0 == "2>" || $0 == "2>>" }) {
            if i + 1 < argv.count && argv[i + 1] == "/dev/null" { quietErrors = true }
            argv.removeSubrange(i...min(i + 1, argv.count - 1))
        }
        argv.removeAll { $0 == "2>&1" || $0 == ">&2" || $0 == "1>&2" }
        if let i = argv.firstIndex(where: { $0 == ">" || $0 == ">>" }), i + 1 < argv.count {
            redirect = (argv[i + 1], argv[i] == ">>")
            argv.removeSubrange(i...(i + 1))
        }
        var (status, out) = builtin(argv)
        if quietErrors && status != 0 { out = "" }
        if let (file, _) = redirect, file == "/dev/null" { return (status, "") }
        if let (file, append) = redirect, status == 0 || !out.isEmpty {
            if let err = write(file, out.isEmpty ? "" : out + "\n", append: append) { return (1, err) }
            out = ""
        }
        return (status, out)
    }

    static func test(_ a: [String], read: (String) -> String?) -> Bool {
        if a.first == "!" { return !test(Array(a.dropFirst()), read: read) }
        switch a.count {
        case 1: return !a[0].isEmpty
        case 2:
            switch a[0] {
            case "-f", "-e", "-r", "-s": return read(a[1]).map { a[0] != "-s" || !$0.isEmpty } ?? false
            case "-d": return false
            case "-z": return a[1].isEmpty
            case "-n": return !a[1].isEmpty
            default: return false
            }
        case 3:
            let (l, op, r) = (a[0], a[1], a[2])
            switch op {
            case "=", "==": return l == r
            case "!=": return l != r
            default:
                guard let x = Int(l), let y = Int(r) else { return false }
                switch op {
                case "-eq": return x == y
                case "-ne": return x != y
                case "-lt": return x < y
                case "-le": return x <= y
                case "-gt": return x > y
                case "-ge": return x >= y
                default: return false
                }
            }
        default: return false
        }
    }
}

extension String {
    var trimmingTrailingNewlines: String {
        var s = Substring(self)
        while s.last == "\n" { s = s.dropLast() }
        return String(s)
    }
}
