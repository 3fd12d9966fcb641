import KubeSimCore
import KubeSimNet

/// The runtime's half of the pod namespace's socket table: its processes bind ports (an
/// app's listen, `httpd`, `nc -l`) and their sockets close when they exit; the runtime
/// writes the table into the pod's namespace in the network (PodNetwork.bindSockets),
/// where arriving connections meet it and `netstat`/`ss` read it.
extension PodWorker {
    /// The sockets the pod's running processes hold (one network namespace for all its
    /// containers), bound to every address as servers bind by default.
    var boundSockets: [ListeningSocket] {
        var out: [ListeningSocket] = []
        let processes = slots.compactMap { $0.current?.process }
        for (k, p) in processes.enumerated() where !p.exited && !p.listening.isEmpty {
            let name = p.imageBox.spec.repository.split(separator: "/").last.map(String.init) ?? "app"
            let nginx = name == "nginx"
            for (i, port) in p.listening.sorted().enumerated() {
                // nginx: the master process (pid 1 of its container) with backlog 511 (NGX_LISTEN_BACKLOG).
                out.append(ListeningSocket(.anyIPv4, port, backlog: nginx ? 511 : 4096, process: nginx ? "nginx" : name, pid: k == 0 ? 1 : 7 + k, fd: (nginx ? 6 : 3) + i))
            }
        }
        return out.sorted { $0.port < $1.port }
    }

    /// The pod's address on the pod network, once its sandbox is wired.
    var podAddress: IPv4Address? { sandbox?.ip.flatMap { IPv4Address(parsing: $0) } }

    /// Writes the namespace's table after a process bound a port or exited.
    func syncSockets() {
        guard !socketsSuspended, let net = kubelet.network, let ip = podAddress else { return }
        net.bindSockets(boundSockets, at: ip)
    }

    /// The pod namespace's socket table: the network's (what connections meet), or — for a
    /// pod without a wired namespace (host network, no CNI) — the processes' own.
    var socketTable: [ListeningSocket] {
        podAddress.flatMap { kubelet.network?.podSockets(at: $0) } ?? boundSockets
    }

    /// The process of the pod holding a listening socket on the port (the one that serves
    /// a connection the table accepted).
    func process(listeningOn port: Int) -> ContainerProcess? {
        slots.lazy.compactMap { $0.current?.process }.first { !$0.exited && $0.listening.contains(port) }
    }
}
