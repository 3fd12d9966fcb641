import KubeSimCore

// `kubectl exec` (and exec probes): a command run in a container's namespaces by a shell
// of the container's image, sharing its environment, files and network.
extension PodWorker {
    /// Runs a command in a container (`kubectl exec`, exec probes): status and output.
    /// `advance`: lets simulated time pass while the command waits (ContainerProcess.advance).
    public func exec(_ slot: ContainerSlot, _ argv: [String], advance: ((SimDuration) -> Void)? = nil) -> (Int, String) {
        guard let p = slot.current?.process, !p.exited else { return (1, "error: unable to upgrade connection: container not found (\"\(slot.spec.name)\")") }
        let shell = ContainerProcess(image: p.imageBox, code: [], env: (p.envShared, p.envOwn), hostname: pod.spec.hostname ?? pod.metadata.name, clock: clock, root: p.root, mounts: p.mounts)
        shell.slot = slot
        shell.netns = self
        // The container ending while the command waits kills it (runc kills an exec'd
        // process with its container's init): exit code 137, as kubectl reports it.
        let container = p
        shell.advance = advance.map { advance in
            { [weak shell, weak slot] d in
                advance(d)
                if slot?.current?.process !== container || container.exited { shell?.killedWithContainer = true }
            }
        }
        var argv = argv
        if ["sh", "/bin/sh", "bash", "/bin/bash"].contains(argv.first ?? ""), argv.count >= 3, argv[1] == "-c" {
            // A script: run it to the end (its sleeps let time pass when `advance` is given).
            let code = ShellCompiler.compile(argv[2])
            var out: [String] = []
            var status = 0
            var pc = 0, steps = 0
            var loops: [Int: Int] = [:]
            while pc < code.count && steps < 10_000 && !shell.exited && !shell.killedWithContainer {
                steps += 1
                let ins = code[pc]; pc += 1
                switch ins {
                case .jump(let t): pc = t
                case .jumpIfFail(let t): if status != 0 { pc = t }
                case .jumpIfOK(let t): if status == 0 { pc = t }
                case .forInit(let slot): loops[slot] = 0
                case let .forNext(slot, variable, items, end):
                    let k = loops[slot] ?? 0
                    if k < items.count { shell.setVar(variable, shell.expand(items[k])); loops[slot] = k + 1 } else { pc = end }
                case .run(let words):
                    let r = shell.run(words.map(shell.expand), words: words)
                    status = r.0
                    shell.status = status
                    if !r.1.isEmpty { out.append(r.1) }
                default: break
                }
            }
            if shell.killedWithContainer { return (137, out.joined(separator: "\n")) }
            return (shell.exited ? shell.status : status, out.joined(separator: "\n"))
        }
        if argv.first == "sh" || argv.first == "/bin/sh" { argv = ["true"] }
        let r = shell.run(argv, words: [])
        if shell.killedWithContainer { return (137, r.1) }
        if r.0 == 127, let cmd = argv.first {
            return (126, "OCI runtime exec failed: exec failed: unable to start container process: exec: \"\(cmd)\": executable file not found in $PATH: unknown")
        }
        return r
    }
}
