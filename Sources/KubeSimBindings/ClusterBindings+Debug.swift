import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimCluster

/// `debug POD --image=IMAGE [--target=C] [-c NAME] [-- COMMAND…]`: an ephemeral
/// container added to a running pod (kubectl/pkg/cmd/debug, the ephemeralcontainers
/// subresource). It shares the pod's network namespace (and, with --target, that
/// container's processes); `logs POD -c NAME` and `describe pod` show it.
extension ClusterBindings {
    static func registerDebugCommand(_ r: CommandRegistry) {
        r.register(CommandSpec("debug", summary: "add an ephemeral debugging container to a running pod",
                               usage: "debug POD --image=IMAGE [--target=CONTAINER] [-c NAME] [-- COMMAND…]",
                               flags: [FlagSpec("image", value: "IMAGE", help: "the debug container's image"),
                                       FlagSpec("target", value: "CONTAINER", help: "share this container's process namespace"),
                                       FlagSpec("container", short: "c", value: "NAME", help: "the debug container's name (default debugger-XXXXX)"),
                                       FlagSpec("stdin", short: "i", help: "accepted for kubectl compatibility"),
                                       FlagSpec("tty", short: "t", help: "accepted for kubectl compatibility"), namespaceFlag],
                               handler: { inv, ctx in try debug(inv, ctx) }, completer: resourceNameCompleter(r)))
    }

    static func debug(_ inv: Invocation, _ ctx: CommandContext) throws -> CommandResult {
        guard let word = inv.positionals.first else { throw CommandFailure("error: debugging requires at least one argument (a pod name)") }
        guard let image = inv.flag("image") else { throw CommandFailure("error: --image is required") }
        let c = try cluster(ctx)
        let ns = inv.flag("namespace") ?? "default"
        let podName = word.hasPrefix("pod/") ? String(word.dropFirst(4)) : word
        let pod = try api { try c.api.get(.pod, namespace: ns, name: podName, user: user(inv)) }.pod!
        var lines: [String] = []
        // kubectl: "debugger-" and five characters of its name alphabet.
        let name = inv.flag("container") ?? {
            let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
            var h: UInt64 = 14695981039346656037
            for b in "\(pod.metadata.uid)/\(pod.spec.ephemeralContainers.count)".utf8 { h = (h ^ UInt64(b)) &* 1099511628211 }
            var suffix = ""
            for _ in 0..<5 { suffix.append(alphabet[Int(h % UInt64(alphabet.count))]); h /= UInt64(alphabet.count) }
            return "debugger-" + suffix
        }()
        if inv.flag("container") == nil { lines.append("Defaulting debug container name to \(name).") }
        guard !(pod.spec.containers + pod.spec.initContainers + pod.spec.ephemeralContainers).contains(where: { $0.name == name }) else {
            throw CommandFailure("error: ephemeral container \(name) already exists in pod \(podName)")
        }
        if let t = inv.flag("target"), !pod.spec.containers.contains(where: { $0.name == t }) {
            throw CommandFailure("error: the target container \(t) is not a container of pod \(podName)")
        }
        var container = Container(name: name, image: image)
        container.command = inv.rest ?? []
        container.imagePullPolicy = "IfNotPresent"
        try api {
            try c.api.modify(.pod, namespace: ns, name: podName, user: user(inv)) { o in
                guard case .pod(var p) = o else { return }
                p.spec.ephemeralContainers.append(container)
                if let t = inv.flag("target") { p.spec.ephemeralTargets[name] = t }
                o = .pod(p)
            }
        }
        return CommandResult(output: lines.joined(separator: "\n"))
    }
}
