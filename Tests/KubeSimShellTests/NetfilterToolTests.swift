import Testing
import KubeScript
import KubeSimShell

/// The node's netfilter through the tools a learner types (`ssh NODE iptables …`,
/// `iptables-save`, `conntrack`, `ipset`, `dmesg`), and packets obeying what they change.
@Suite("netfilter on nodes: tools and packets")
struct NetfilterToolTests {
    static let pods = placePods([("a", "node1"), ("b", "node2")]) + "\n"

    @Test func flannelsRulesAsIptablesSavePrintsThem() {
        let r = runScript("cluster nodes=2\n" + Self.pods + "ssh node2 iptables-save -t nat\n")
        #expect(r.outcome == .success, "\(r.err)")
        // flannel pkg/trafficmngr/iptables/iptables.go masqRules for lease 10.244.1.0/24, beside
        // kube-proxy's (pkg/proxy/iptables/proxier.go) for the `kubernetes` Service: its jumps
        // from the built-in chains, KUBE-SERVICES → KUBE-SVC → KUBE-SEP, and the masquerade mark.
        #expect(r.out.contains("""
        *nat
        :PREROUTING ACCEPT [0:0]
        :INPUT ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :POSTROUTING ACCEPT [0:0]
        :FLANNEL-POSTRTG - [0:0]
        :KUBE-MARK-MASQ - [0:0]
        :KUBE-NODEPORTS - [0:0]
        :KUBE-POSTROUTING - [0:0]
        :KUBE-SEP-7J3FZHL6MJULGV6U - [0:0]
        :KUBE-SERVICES - [0:0]
        :KUBE-SVC-NPX46M4PTMTKRN6Y - [0:0]
        -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
        -A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
        -A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
        -A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG
        -A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment "flanneld masq" -j RETURN
        -A FLANNEL-POSTRTG -s 10.244.1.0/24 -d 10.244.0.0/16 -m comment --comment "flanneld masq" -j RETURN
        -A FLANNEL-POSTRTG -s 10.244.0.0/16 -d 10.244.1.0/24 -m comment --comment "flanneld masq" -j RETURN
        -A FLANNEL-POSTRTG ! -s 10.244.0.0/16 -d 10.244.1.0/24 -m comment --comment "flanneld masq" -j RETURN
        -A FLANNEL-POSTRTG -s 10.244.0.0/16 ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully
        -A FLANNEL-POSTRTG ! -s 10.244.0.0/16 -d 10.244.0.0/16 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully
        -A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
        -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
        -A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
        -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
        -A KUBE-SEP-7J3FZHL6MJULGV6U -s 192.168.56.10/32 -m comment --comment "default/kubernetes:https" -j KUBE-MARK-MASQ
        -A KUBE-SEP-7J3FZHL6MJULGV6U -p tcp -m comment --comment "default/kubernetes:https" -m tcp -j DNAT --to-destination 192.168.56.10:6443
        -A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y
        -A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
        -A KUBE-SVC-NPX46M4PTMTKRN6Y ! -s 10.244.0.0/16 -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j KUBE-MARK-MASQ
        -A KUBE-SVC-NPX46M4PTMTKRN6Y -m comment --comment "default/kubernetes:https -> 192.168.56.10:6443" -j KUBE-SEP-7J3FZHL6MJULGV6U
        COMMIT
        """), "\(r.out)")
        #expect(!r.out.contains("*filter"), "-t nat prints the nat table only")
    }

    @Test func aHandInsertedDropStopsWgetAndCountsThePackets() {
        let r = runScript("cluster nodes=2\n" + Self.pods + """
        ssh node1 iptables -I FORWARD -s 10.244.0.2 -j DROP
        expect error "wget: download timed out" { exec a -- wget -qO- -T 3 http://10.244.1.2/ }
        ssh node1 iptables -L FORWARD -n -v -x
        let t = (trace from pod/a to pod/b:80)
        assert t.droppedAt == "node1 FORWARD" and t.decidedBy == "-A FORWARD -s 10.244.0.2/32 -j DROP"
        ssh node1 iptables -D FORWARD -s 10.244.0.2 -j DROP
        exec a -- wget -qO- -T 3 http://10.244.1.2/ > /dev/null
        ssh node1 iptables -S FORWARD
        """)
        #expect(r.outcome == .success, "\(r.err)")
        // The SYN and its retransmission a second later (the next is due at 3 s, when wget -T 3 gives up), 60 bytes each.
        #expect(r.out.contains("""
        Chain FORWARD (policy ACCEPT 0 packets, 0 bytes)
            pkts      bytes target     prot opt in     out     source               destination         
               2      120 DROP       all  --  *      *       10.244.0.2           0.0.0.0/0           
        """), "\(r.out)")
        #expect(r.out.contains("-P FORWARD ACCEPT\n-A FORWARD -m conntrack --ctstate NEW -m comment --comment \"kubernetes load balancer firewall\" -j KUBE-PROXY-FIREWALL\n-A FORWARD -m comment --comment \"kubernetes forwarding rules\" -j KUBE-FORWARD\n-A FORWARD -m conntrack --ctstate NEW -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n-A FORWARD -m conntrack --ctstate NEW -m comment --comment \"kubernetes externally-visible service portals\" -j KUBE-EXTERNAL-SERVICES\n-A FORWARD -m comment --comment \"flanneld forward\" -j FLANNEL-FWD"), "after -D only kube-proxy's and flannel's jumps are left")
    }

    @Test func conntrackShowsAMasqueradedConnectionBothWays() {
        let r = runScript("cluster nodes=2\n" + Self.pods + """
        expect error "400 Bad Request" { exec a -- wget -qO- 192.168.56.12:10250 }
        ssh node1 conntrack -L -p tcp --dport 10250
        ssh node1 conntrack -D -p tcp --dport 10250
        assert (ssh node1 conntrack -C -p tcp --dport 10250) == "0"
        expect error "0 flow entries have been deleted" { ssh node1 conntrack -D -p tcp --dport 10250 }
        """)
        #expect(r.outcome == .success, "\(r.err)")
        let line = r.out.split(separator: "\n").first { $0.hasPrefix("tcp      6 120 TIME_WAIT src=10.244.0.2 dst=192.168.56.12 ") }
        #expect(line != nil, "\(r.out)")
        // The reply tuple is addressed to node1's own address: the masquerade, undone for the replies.
        #expect(line?.contains(" dport=10250 src=192.168.56.12 dst=192.168.56.11 sport=10250 dport=") == true)
        #expect(line?.hasSuffix(" [ASSURED] mark=0 use=1") == true)
        #expect(r.out.contains("conntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown."))
        #expect(r.out.contains("conntrack v1.4.7 (conntrack-tools): 1 flow entries have been deleted."))
    }

    @Test func iptablesAnswersBadInputInItsOwnWordsAndChangesNothing() {
        let r = runScript("cluster nodes=2\n" + Self.pods + """
        expect error "iptables v1.8.9 (nf_tables): unknown option \\"--dprt\\"" { ssh node1 iptables -A FORWARD -p tcp --dprt 80 -j DROP }
        expect error "iptables: No chain/target/match by that name." { ssh node1 iptables -A NOPE -j DROP }
        expect error "iptables: Bad rule (does a matching rule exist in that chain?)." { ssh node1 iptables -D FORWARD -s 1.2.3.4 -j DROP }
        expect error "iptables v1.8.9 (nf_tables):  CHAIN_USER_DEL failed (Device or resource busy): chain FLANNEL-FWD" { ssh node1 iptables -X FLANNEL-FWD }
        expect error "Bad argument `oops'" { ssh node1 iptables -A FORWARD oops }
        ssh node1 iptables -S FORWARD
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.hasSuffix("-P FORWARD ACCEPT\n-A FORWARD -m conntrack --ctstate NEW -m comment --comment \"kubernetes load balancer firewall\" -j KUBE-PROXY-FIREWALL\n-A FORWARD -m comment --comment \"kubernetes forwarding rules\" -j KUBE-FORWARD\n-A FORWARD -m conntrack --ctstate NEW -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n-A FORWARD -m conntrack --ctstate NEW -m comment --comment \"kubernetes externally-visible service portals\" -j KUBE-EXTERNAL-SERVICES\n-A FORWARD -m comment --comment \"flanneld forward\" -j FLANNEL-FWD\n"), "\(r.out)")
    }

    @Test func logRulesWriteTheKernelLog() {
        let r = runScript("cluster nodes=2\n" + Self.pods + """
        ssh node2 iptables -I FORWARD -p tcp --dport 80 -j LOG --log-prefix "to-web: "
        trace from pod/a to pod/b:80
        ssh node2 dmesg
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("] to-web: IN=flannel.1 OUT=cni0 SRC=10.244.0.2 DST=10.244.1.2 LEN=60 "), "\(r.out)")
        #expect(r.out.contains(" PROTO=TCP SPT=40000 DPT=80 "))
    }

    @Test func calicoAndWeaveProgramTheirChainsAndSets() {
        let calico = runScript("cluster nodes=2 cni=calico\n" + Self.pods + """
        ssh node1 ipset list cali40all-ipam-pools
        ssh node1 iptables -t nat -S cali-nat-outgoing
        let t = (trace from pod/a to pod/b:80)
        assert t.delivered and t.hops[4].rule.contains("Policy explicitly accepted packet.")
        """)
        #expect(calico.outcome == .success, "\(calico.err)")
        #expect(calico.out.contains("Name: cali40all-ipam-pools\nType: hash:net\nRevision: 7\n"))
        #expect(calico.out.contains("Members:\n10.244.0.0/16"))
        #expect(calico.out.contains("-m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst -j MASQUERADE --random-fully"))
        let weave = runScript("cluster nodes=2 cni=weave\n" + Self.pods + """
        let t = (trace from pod/a to pod/b:80)
        assert t.delivered
        ssh node2 iptables -t filter -S WEAVE-NPC-DEFAULT
        """)
        #expect(weave.outcome == .success, "\(weave.err)")
        #expect(weave.out.contains("-m comment --comment \"DefaultAllow ingress isolation for namespace: default\" -j ACCEPT"), "\(weave.out)")
    }

    /// conntrack's state is the packet's at every later hook: a reply is ESTABLISHED in
    /// FORWARD too (the common stateful firewall: accept established, drop new).
    @Test func theConnectionStateHoldsAtEveryHook() {
        let r = runScript("cluster nodes=2\n" + Self.pods + """
        ssh node1 iptables -I FORWARD -d 10.244.0.2 -m conntrack --ctstate NEW -j DROP
        ssh node1 iptables -I FORWARD -d 10.244.0.2 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
        let t = (trace from pod/a to pod/b:80 --reply)
        assert t.delivered and t.reply.delivered
        exec a -- wget -qO- -T 2 http://10.244.1.2/ > /dev/null
        ssh node1 iptables -S FORWARD -v
        let back = (trace from pod/b to pod/a:80)
        assert back.droppedAt == "node1 FORWARD" and back.decidedBy == "-A FORWARD -d 10.244.0.2/32 -m conntrack --ctstate NEW -j DROP"
        """)
        #expect(r.outcome == .success, "\(r.err)")
        // The trace's SYN-ACK and wget's server segments were accepted as ESTABLISHED; no reply met the NEW rule.
        #expect(r.out.contains("-A FORWARD -d 10.244.0.2/32 -m conntrack --ctstate RELATED,ESTABLISHED -c 6 "), "\(r.out)")
        #expect(r.out.contains("-A FORWARD -d 10.244.0.2/32 -m conntrack --ctstate NEW -c 0 0 -j DROP"), "\(r.out)")
    }

    /// The port-unreachable answer to a UDP probe quotes the datagram: conntrack relates it.
    @Test func anICMPErrorIsRelatedToItsConnection() {
        let r = runScript("cluster nodes=2\n" + Self.pods + """
        let t = (trace from pod/a to pod/b:9999 --proto udp --reply)
        assert t.reply.hops[2].conntrack.hasPrefix("related to udp 10.244.0.2:40000 → 10.244.1.2:9999")
        """)
        #expect(r.outcome == .success, "\(r.err)\n\(r.out)")
    }

    /// A hand-written DNAT (what kube-proxy will write for a Service): the connection is
    /// answered by whoever has the address it arrives at; the client sees the address it dialled.
    @Test func aDNATRuleDecidesWhoAnswers() {
        let r = runScript("cluster nodes=2\n" + Self.pods + """
        ssh node1 iptables -t nat -A PREROUTING -d 10.96.7.7 -p tcp --dport 80 -j DNAT --to-destination 10.244.1.2:80
        exec a -- wget -qO- -T 2 http://10.96.7.7/ > /dev/null
        logs b --tail 1
        ssh node1 conntrack -L -d 10.96.7.7
        let t = (trace from pod/a to 10.96.7.7:80 --reply)
        assert t.destination == "pod/b on node2" and t.reply.delivered
        # The answer reaches the pod from the address the pod dialled (de-DNAT at node1's POSTROUTING).
        print t.reply.hops[t.reply.hops.count - 1].headers
        """)
        #expect(r.outcome == .success, "\(r.err)")
        // nginx saw pod a's own address: DNAT changes the destination only.
        #expect(r.out.contains("10.244.0.2 - - ["), "\(r.out)")
        // Original tuple to the dialled address, reply tuple from the backend.
        #expect(r.out.contains(" src=10.244.0.2 dst=10.96.7.7 sport="), "\(r.out)")
        #expect(r.out.contains(" dport=80 src=10.244.1.2 dst=10.244.0.2 sport=80 dport="), "\(r.out)")
        // The answer leaves node1 towards the pod from the address the pod dialled.
        #expect(r.out.contains("\n10.96.7.7:80 > 10.244.0.2:40000 TCP SYN-ACK ttl=62 len=60\n"), "\(r.out)")
    }
}
