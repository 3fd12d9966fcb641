import KubeSimCore
import KubeSimNet
import KubeSimControl

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
            shell.code = ShellCompiler.compile(argv[2])
            var out: [String] = []
            var steps = 0
            while shell.pc < shell.code.count && steps < 10_000 && !shell.exited && !shell.killedWithContainer {
                steps += 1
                let ins = shell.code[shell.pc]
                shell.pc += 1
                if shell.branch(ins) { continue }
                if case .run(let words) = ins {
                    let r = shell.run(words.map(shell.expand), words: words)
                    shell.status = r.0
                    if !r.1.isEmpty { out.append(r.1) }
                }
            }
            return (shell.killedWithContainer ? 137 : shell.status, out.joined(separator: "\n"))
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
