import KubeSimCore

// A node's own stack as an endpoint: what listens on a node's addresses (sshd, the
// kubelet's API), and the tools a learner runs there (`ssh NODE ping|curl`). The
// networking model's third rule — agents on a node reach that node's pods by pod IP —
// is this: the node's packets leave through OUTPUT and its routing table, with the
// source address the kernel picks (cni0's gateway address, flannel.1's, eth0's), and
// arrive with it unchanged.

extension PodNetwork {
    /// What answers on a node: sshd (its banner), the kubelet (HTTPS), or another daemon.
    public enum HostService: Sendable, Equatable { case sshd, kubelet, kubeletHealthz, other(String) }

    /// Debian 12's OpenSSH identification string, the first line sshd sends.
    public static let sshBanner = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"

    /// The daemon listening on one of a node's own addresses and a port, from the node's
    /// socket table (sshd on 22, the kubelet on 10250, bird on 179 …); nil: the kernel resets.
    public func hostService(at ip: IPv4Address, port: Int) -> HostService? {
        guard let n = hostOwning(ip) else { return nil }
        return hostService(on: n, at: ip, port: port)
    }

    /// The same on a known node (its loopback addresses included).
    public func hostService(on n: NodeNet, at ip: IPv4Address, port: Int) -> HostService? {
        guard let s = n.sockets.first(where: { $0.accepts(ip, port) }) else { return nil }
        switch (s.process, port) {
        case ("sshd", _): return .sshd
        case ("kubelet", 10250): return .kubelet
        case ("kubelet", 10248): return .kubeletHealthz
        default: return .other(s.process)
        }
    }

    /// The name a node resolves (its /etc/hosts lists every node, as kubeadm and Vagrant
    /// set-ups write it; the cluster DNS is for pods), or an address.
    public func hostResolve(_ host: String) -> IPv4Address? {
        if let ip = IPv4Address(parsing: host) { return ip }
        if host == "localhost" { return IPv4Address(127, 0, 0, 1) }
        return nodes[host]?.underlay
    }

    /// The source address the node's kernel picks for a packet to `dst` (its own address
    /// when `dst` is one of them); nil for an unknown node or no route.
    public func hostSource(_ node: String, toward dst: IPv4Address) -> IPv4Address? {
        guard let n = nodes[node] else { return nil }
        if n.host.owns(dst) { return dst }
        return sourceAddress(on: n, toward: dst)
    }

    /// The listening socket a connection to the address and port meets (after every
    /// NAT): the pod namespace's table when a pod has the address, else the node's own.
    public func listener(at ip: IPv4Address, port: Int, proto: ListeningSocket.Proto = .tcp) -> ListeningSocket? {
        if let (_, nic) = podNIC(at: ip) { return nic.sockets.first { $0.accepts(ip, port, proto) } }
        return hostOwning(ip)?.sockets.first { $0.accepts(ip, port, proto) }
    }

    /// kube-proxy's userspace proxy behind a node address and port (the connection was
    /// steered there by its REDIRECT or DNAT rules), with the node it runs on.
    public func portal(at ip: IPv4Address, port: Int) -> (node: String, portal: UserspacePortal)? {
        guard podNIC(at: ip) == nil, let n = hostOwning(ip), let p = n.portals[port],
              n.sockets.contains(where: { $0.port == port && $0.process == "kube-proxy" && $0.accepts(ip, port) }) else { return nil }
        return (n.name, p)
    }

    /// Whether something listens on the address and port: a pod's process, or one of a
    /// node's own services.
    public func listens(at ip: IPv4Address, port: Int) -> Bool { listener(at: ip, port: port) != nil }

    /// iputils ping, as a node has it: `-c N` echo requests (a count is needed: without
    /// one ping runs until interrupted), `-s SIZE`.
    public func hostPing(_ n: NodeNet, _ args: [String], advance: ((SimDuration) -> Void)? = nil) -> (status: Int, output: String) {
        // Options with their values attached (-c3) or apart (-c 3); the rest is the host.
        var options: [Character: String] = [:]
        var operands: [String] = []
        var i = 0
        while i < args.count {
            let a = args[i]
            if a.hasPrefix("-"), a.count >= 2, let letter = a.dropFirst().first, "csiWw".contains(letter) {
                if a.count > 2 { options[letter] = String(a.dropFirst(2)) } else if i + 1 < args.count { options[letter] = args[i + 1]; i += 1 } else {
                    return (2, "ping: option requires an argument -- '\(letter)'")
                }
            } else if !a.hasPrefix("-") {
                operands.append(a)
            }
            i += 1
        }
        guard let host = operands.last else { return (2, "ping: usage error: Destination address required") }
        guard let c = options["c"] else {
            return (2, "ping: without -c, ping runs until interrupted; give a count, as in ping -c 3 \(host)")
        }
        guard let count = Int(c), (1...100_000).contains(count) else {
            return (2, "ping: invalid argument: '\(c)': out of range: 1 <= value <= 100000")
        }
        var size = 56
        if let s = options["s"] {
            guard let n = Int(s), n >= 0 else { return (2, "ping: invalid argument: '\(s)'") }
            guard n <= 65507 else { return (2, "ping: packet size \(n) is too large. Maximum is 65507") }
            size = n
        }
        guard let dst = hostResolve(host) else { return (2, "ping: \(host): Name or service not known") }
        // A name is shown with its address: `from node2 (192.168.56.12)`.
        let from = IPv4Address(parsing: host) == nil ? "\(host) (\(dst))" : dst.description
        let src = (n.host.owns(dst) || dst.value >> 24 == 127) ? dst : (sourceAddress(on: n, toward: dst) ?? n.underlay)
        var out = ["PING \(host) (\(dst)) \(size)(\(size + 28)) bytes of data."]
        var received = 0, errors = 0
        var rtts: [Int] = []
        let (id, t0) = (wire.nextPID(), wire.departure)   // one echo a second
        for seq in 1...count {
            if seq > 1 { advance?(.seconds(1)) }   // one echo a second
            wire.resume(at: t0 + Int64(seq - 1) * 1_000_000_000)
            let t = walk(from: src, to: dst, proto: "ICMP", dport: 0, size: size + 28, detail: .echo(id: id, seq: seq))
            guard t.delivered else {
                if let icmp = t.icmp, icmp == "host unreachable" {
                    errors += 1
                    out.append("From \(t.icmpNode.flatMap { nodes[$0] }.flatMap { sourceAddress(on: $0, toward: src) } ?? src) icmp_seq=\(seq) Destination Host Unreachable")
                } else if t.droppedAt == "\(self.node(withUnderlay: dst)?.name ?? "") eth0", self.node(withUnderlay: dst).map({ !$0.up }) ?? false {
                    // A machine that is off on the link: the node's own ARP goes unanswered.
                    errors += 1
                    out.append("From \(src) icmp_seq=\(seq) Destination Host Unreachable")
                }
                continue
            }
            let back = walk(from: dst, to: t.masqueradedAs?.ip ?? src, proto: "ICMP", dport: 0, size: size + 28, flags: "echo-reply", detail: .echo(id: id, seq: seq))
            guard back.delivered else { continue }
            received += 1
            // Simulated latency: 12 µs per hop of the round trip, as the pods' ping.
            let micros = (t.hopCount + back.hopCount) * 12
            rtts.append(micros)
            out.append("\(size + 8) bytes from \(from): icmp_seq=\(seq) ttl=\(back.finalTTL) time=\(Self.millis(micros)) ms")
        }
        let sent = count
        out.append("")
        out.append("--- \(host) ping statistics ---")
        let elapsed = sent == 1 ? 0 : (sent - 1) * 1000 + sent
        out.append("\(sent) packets transmitted, \(received) received, \(errors > 0 ? "+\(errors) errors, " : "")\((sent - received) * 100 / sent)% packet loss, time \(elapsed)ms")
        if let lo = rtts.min(), let hi = rtts.max() {
            let avg = rtts.reduce(0, +) / rtts.count
            // iputils: mdev is the standard deviation, sqrt(mean(t²) − mean(t)²).
            let mean = Double(rtts.reduce(0, +)) / Double(rtts.count)
            let meanSquare = Double(rtts.reduce(0) { $0 + $1 * $1 }) / Double(rtts.count)
            let mdev = Int((max(0, meanSquare - mean * mean)).squareRoot().rounded())
            out.append("rtt min/avg/max/mdev = \(Self.millis(lo))/\(Self.millis(avg))/\(Self.millis(hi))/\(Self.millis(mdev)) ms")
        }
        return (received > 0 ? 0 : 1, out.joined(separator: "\n"))
    }

    static func millis(_ micros: Int) -> String { "\(micros / 1000).\(String(micros % 1000 + 1000).dropFirst())" }
}
