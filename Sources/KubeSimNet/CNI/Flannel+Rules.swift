import KubeSimCore

// flanneld's iptables rules (--ip-masq).
extension PodNetwork {

    /// flanneld with --ip-masq, once it holds its lease: the masquerade chain and the
    /// forward chain (flannel pkg/trafficmngr/iptables/iptables.go masqRules and
    /// forwardRules; appended, in this order, through iptables-restore --noflush).
    func flannelRules(_ n: NodeNet, lease: CIDR) {
        let nf = n.netfilter
        let net = clusterCIDR.description, pod = lease.description
        let masq = "-m comment --comment \"flanneld masq\""
        nf.program("-t nat -N FLANNEL-POSTRTG")
        nf.program("-t nat -A POSTROUTING \(masq) -j FLANNEL-POSTRTG")
        // kube-proxy's mark (trafficmngr.go KubeProxyMark): not masqueraded twice.
        nf.program("-t nat -A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 \(masq) -j RETURN")
        nf.program("-t nat -A FLANNEL-POSTRTG -s \(pod) -d \(net) \(masq) -j RETURN")
        nf.program("-t nat -A FLANNEL-POSTRTG -s \(net) -d \(pod) \(masq) -j RETURN")
        nf.program("-t nat -A FLANNEL-POSTRTG ! -s \(net) -d \(pod) \(masq) -j RETURN")
        nf.program("-t nat -A FLANNEL-POSTRTG -s \(net) ! -d 224.0.0.0/4 \(masq) -j MASQUERADE --random-fully")
        nf.program("-t nat -A FLANNEL-POSTRTG ! -s \(net) -d \(net) \(masq) -j MASQUERADE --random-fully")
        let fwd = "-m comment --comment \"flanneld forward\""
        nf.program("-t filter -N FLANNEL-FWD")
        nf.program("-t filter -A FORWARD \(fwd) -j FLANNEL-FWD")
        nf.program("-t filter -A FLANNEL-FWD -s \(net) \(fwd) -j ACCEPT")
        nf.program("-t filter -A FLANNEL-FWD -d \(net) \(fwd) -j ACCEPT")
    }
}
