import Testing
import KubeScript
import KubeSimShell

/// A node's own stack as an endpoint (HostTools.swift, Datapath.swift): the networking
/// model's third rule — agents on a node reach pods by pod IP — with the source address
/// the node's kernel picks, and pods reaching the nodes' own addresses (the gateway,
/// tunnel addresses, the node network) where sshd and the kubelet listen.
@Suite("pod network: nodes as endpoints")
struct HostEndpointTests {
    /// Pod a (busybox) on node1, pod b (nginx) on node2.
    static let pods = placePods([("a", "node1"), ("b", "node2")]) + "\n"

    @Test func aNodeReachesPodsByPodIPFromTheAddressItsKernelPicks() {
        let r = runScript("cluster nodes=2\n" + Self.pods + """
        ssh node1 ping -c 2 10.244.1.2
        ssh node1 curl -s 10.244.1.2/from-node1
        ssh node2 curl -s 10.244.1.2/from-node2
        logs b --tail 2
        """)
        #expect(r.outcome == .success, "\(r.err)")
        // iputils ping; the reply crosses node2's routing once (ttl 63).
        #expect(r.out.contains("""
        PING 10.244.1.2 (10.244.1.2) 56(84) bytes of data.
        64 bytes from 10.244.1.2: icmp_seq=1 ttl=63 time=0.432 ms
        64 bytes from 10.244.1.2: icmp_seq=2 ttl=63 time=0.432 ms

        --- 10.244.1.2 ping statistics ---
        2 packets transmitted, 2 received, 0% packet loss, time 1002ms
        rtt min/avg/max/mdev = 0.432/0.432/0.432/0.000 ms
        """))
        // node1 sends through flannel.1, so from flannel.1's address; node2 through cni0, from
        // its gateway address. The two echoes took a second of cluster time.
        #expect(r.out.contains("10.244.0.0 - - [01/Jan/2026:00:00:03 +0000] \"GET /from-node1 HTTP/1.1\" 404 19 \"-\" \"curl/8.5.0\" \"-\"\n"))
        #expect(r.out.contains("10.244.1.1 - - [01/Jan/2026:00:00:03 +0000] \"GET /from-node2 HTTP/1.1\" 404 19 \"-\" \"curl/8.5.0\" \"-\"\n"))
    }

    @Test func traceFromANodeGoesThroughOutputNotForward() {
        let r = runScript("cluster nodes=2\n" + Self.pods + """
        let t = (trace from node/node1 to pod/b:80)
        assert t.delivered
        assert t.path == ["node1 host", "node1 OUTPUT", "node1 routing", "node1 POSTROUTING", "node1 flannel.1", "node1 OUTPUT", "node1 POSTROUTING", "node1 eth0", "node2 eth0", "node2 PREROUTING", "node2 INPUT", "node2 flannel.1", "node2 PREROUTING", "node2 routing", "node2 FORWARD", "node2 POSTROUTING", "node2 cni0", "node2 pod/b eth0"]
        # The connection's first packet: OUTPUT runs raw and mangle (empty), then nat and filter,
        # where kube-proxy's jumps match nothing here and the policies decide.
        assert t.hops[1].at == "OUTPUT" and t.hops[1].conntrack == "new" and t.hops[1].action == "conntrack: new; raw, mangle: empty (ACCEPT); nat: OUTPUT: policy ACCEPT; filter: OUTPUT: policy ACCEPT"
        # The tunnel's outer packet is node1's own send as well: OUTPUT and POSTROUTING again.
        assert t.hops[5].at == "OUTPUT" and t.hops[6].at == "POSTROUTING" and t.hops[6].outer.hasPrefix("192.168.56.11:") and t.hops[6].outer.contains(" > 192.168.56.12:8472 UDP VXLAN")
        trace from node/node1 to pod/b:80
        expect error "Error from server (NotFound): nodes \\"nod1\\" not found — did you mean 'node1'?" { trace from node/nod1 to pod/b }
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("1    node1  host         send (route: 10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink)                                       10.244.0.0:40000 > 10.244.1.2:80 TCP SYN ttl=64 len=60\n"))
        // The second walk of the same connection: conntrack knows it, so nat is not consulted again.
        #expect(r.out.contains("2    node1  OUTPUT       conntrack: new (unreplied, known); raw, mangle: empty (ACCEPT); filter: OUTPUT: policy ACCEPT         10.244.0.0:40000 > 10.244.1.2:80 TCP SYN ttl=64 len=60\n"))
    }

    @Test func podsReachTheNodesOwnAddresses() {
        let r = runScript("cluster nodes=2\n" + Self.pods + """
        exec a -- ping -c 1 10.244.0.1
        trace from pod/a to 10.244.1.1 --proto icmp
        let n = (trace from pod/a to node/node2:22)
        assert n.delivered and n.droppedAt == nil
        exec a -- nc -zv 192.168.56.12 22
        expect error "nc: 192.168.56.12 (192.168.56.12:81): Connection refused" { exec a -- nc -zv 192.168.56.12 81 }
        expect error "wget: server returned error: HTTP/1.0 400 Bad Request" { exec a -- wget -qO- 192.168.56.12:10250 }
        expect error "wget: server returned error: HTTP/1.0 400 Bad Request" { exec a -- wget -qO- 10.244.1.1:10250/healthz }
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("64 bytes from 10.244.0.1: seq=0 ttl=64 time=0.156 ms"))
        // The bridge's own address: into node1's stack without routing (TTL 64 kept).
        #expect(r.out.contains("""
        15   node2  PREROUTING    conntrack: new; raw, mangle: empty (ACCEPT); nat: PREROUTING: policy ACCEPT                                    10.244.0.2 > 10.244.1.1 ICMP echo-request ttl=63 len=84
        16   node2  routing       local 10.244.1.1 dev cni0 table local proto kernel scope host src 10.244.1.1                                   10.244.0.2 > 10.244.1.1 ICMP echo-request ttl=63 len=84
        17   node2  INPUT         mangle: empty (ACCEPT); filter: INPUT: policy ACCEPT; nat: empty (ACCEPT)                                      10.244.0.2 > 10.244.1.1 ICMP echo-request ttl=63 len=84
        18   node2  host          deliver to node2's own stack                                                                                   10.244.0.2 > 10.244.1.1 ICMP echo-request ttl=63 len=84
        delivered to node2 (its own network stack)
        """))
        #expect(r.out.contains("192.168.56.12 (192.168.56.12:22) open"))
    }

    @Test func curlOnANodeAgainstTheKubeletAndSshd() {
        let r = runScript("cluster nodes=2\n" + Self.pods + """
        ssh node1 curl -s 192.168.56.12:10250/pods
        expect error "curl: (1) Received HTTP/0.9 when not allowed" { ssh node1 curl 192.168.56.12:22 }
        expect error "curl: (7) Failed to connect to 192.168.56.12 port 8080 after 0 ms: Couldn't connect to server" { ssh node1 curl 192.168.56.12:8080 }
        expect error "curl: (6) Could not resolve host: web" { ssh node1 curl web }
        ssh node1 curl -s node2:10250
        expect error "ping: without -c, ping runs until interrupted; give a count, as in ping -c 3 10.244.1.2" { ssh node1 ping 10.244.1.2 }
        expect error "ping: nowhere: Name or service not known" { ssh node1 ping -c 1 nowhere }
        let quiet = (ssh node1 curl -s 192.168.56.12:10250 > /dev/null)
        assert quiet.output == ""
        expect error "ssh: output can go to /dev/null only (files on the node are not simulated): > /tmp/out" { ssh node1 curl -s node2:10250 > /tmp/out }
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.components(separatedBy: "Client sent an HTTP request to an HTTPS server.").count == 3)
    }

    /// node2's kernel reports the unanswered ARP from the address of the interface its
    /// reply leaves by (flannel.1, back to node1's flannel.1 address).
    @Test func anAddressNobodyHasOnANodesBridgeIsUnreachable() {
        let r = runScript("cluster nodes=2\n" + Self.pods + """
        ssh node1 ping -c 1 10.244.1.77
        """)
        #expect(r.outcome != .success)
        #expect(r.err.contains("""
        PING 10.244.1.77 (10.244.1.77) 56(84) bytes of data.
        From 10.244.1.0 icmp_seq=1 Destination Host Unreachable

        --- 10.244.1.77 ping statistics ---
        1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms
        """), "\(r.err)")
    }

    /// Each plugin's choice of source address for the node's own packets.
    @Test func sourceAddressPerPlugin() {
        for (options, source, ttl) in [("cni=calico", "192.168.56.11", 63), ("cni=calico calico-mode=ipip", "10.244.197.0", 63),
                                       ("cni=calico calico-mode=vxlan", "10.244.197.0", 63), ("flannel-backend=host-gw", "192.168.56.11", 63),
                                       ("cni=weave", "10.32.0.1", 64)] {
            let r = runScript("cluster nodes=2 \(options)\n" + Self.pods + """
            let ip = pod("b").ip
            ssh node1 ping -c 1 $ip
            ssh node1 curl -s $ip/x
            logs b --tail 1
            """)
            #expect(r.outcome == .success, "\(options): \(r.err)")
            #expect(r.out.contains(" ttl=\(ttl) time="), "\(options): \(r.out)")
            #expect(r.out.contains("\(source) - - [01/Jan/2026:00:00:02 +0000] \"GET /x HTTP/1.1\" 404 19"), "\(options): \(r.out)")
        }
    }

    @Test func weavePodsReachAnotherPeersBridgeAddress() {
        let r = runScript("cluster nodes=2 cni=weave\n" + Self.pods + """
        let t = (trace from pod/a to node/node2 --proto icmp)
        assert t.delivered
        let far = (trace from pod/a to 10.40.0.0 --proto icmp)
        # One L2 network: bridged on node1, fastdp to node2, up from node2's weave bridge.
        assert far.delivered and far.path.contains("node1 vxlan-6784") and not far.path.contains("node1 routing")
        assert far.path[far.path.count - 1] == "node2 host"
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }

    /// `cluster node-network=CIDR`: the control plane at .10, node N at .(10+N), the gateway
    /// at .1 (the nameserver of dnsPolicy Default pods); segments are the next subnets.
    @Test func theNodeNetworkIsConfigurable() {
        let r = runScript("""
        cluster nodes=3 node-network=10.0.0.0/24
        apply <<EOF
        apiVersion: v1
        kind: Pod
        metadata: {name: a}
        spec: {nodeName: node1, dnsPolicy: Default, containers: [{name: c, image: "busybox:1.36", command: [sleep, "1d"]}]}
        EOF
        settle
        assert node("node2").ip == "10.0.0.12"
        assert endpointslice("kubernetes").addresses == ["10.0.0.10"]
        ssh node2 ip route
        exec a -- cat /etc/resolv.conf
        ssh node1 ping -c 1 node3
        expect error "cluster: node-network 10.0.0.0/28 has room for 4 nodes, not 5; choose a bigger one" { cluster nodes=5 node-network=10.0.0.0/28 }
        expect error "cluster: node-network 10.244.7.0/24 overlaps the pod network 10.244.0.0/16" { cluster nodes=2 node-network=10.244.7.0/24 }
        expect error "cluster: node-network must be a CIDR of /8 to /28" { cluster node-network=10.0.0.0/30 }
        cluster nodes=3 node-network=10.1.0.0/24 segments=2
        assert node("node2").ip == "10.1.1.12" and node("node3").ip == "10.1.0.13"
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("""
        default via 10.0.0.1 dev eth0 
        10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.12 
        """))
        #expect(r.out.contains("nameserver 10.0.0.1\n"))
        #expect(r.out.contains("64 bytes from node3 (10.0.0.13): icmp_seq=1 ttl=64"))
    }
}

/// Commands run with `exec` (and on nodes) take the simulated time they wait: the cluster
/// runs on meanwhile.
@Suite("exec takes simulated time")
struct ExecTimeTests {
    @Test func waitsLetTheClusterRunOn() {
        let r = runScript("""
        cluster nodes=2
        run a --image=busybox:1.36 -- sleep 1d
        run b --image=nginx:1.25
        settle
        let t0 = now()
        exec a -- ping -c 4 ${pod("b").ip}
        assert now() - t0 == 3s
        exec a -- sh -c "sleep 10; echo done"
        assert now() - t0 == 13s
        expect error "download timed out" { exec a -- wget -T 5 -qO- 10.99.0.1 }
        assert now() - t0 == 18s
        expect error "Connection timed out" { exec a -- nc -z -w 2 10.99.0.1 80 }
        assert now() - t0 == 20s
        ssh node1 ping -c 3 ${pod("b").ip}
        assert now() - t0 == 22s
        # Meanwhile the cluster runs: a pod deleted during a sleep is gone when it ends.
        delete pod b
        exec a -- sleep 40
        expect error "not found" { get pod b }
        # Probes and the container's own program never block the clock.
        let t1 = now()
        exec a -- echo hi
        assert now() == t1
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("done"))
    }
}

/// Leaving the pod network, a pod's packets are masqueraded to the node's address by the
/// plugin's rule (flannel --ip-masq, Calico natOutgoing, Weave); conntrack puts the pod back
/// in the replies. Pod to pod stays unNATed.
@Suite("pod network: masquerade out of the pod network")
struct MasqueradeTests {
    @Test func eachPluginMasqueradesPodTrafficToNodes() {
        // flannel's and Calico's rules draw the port (--random-fully); Weave's keeps it.
        for (options, chains, rule, random) in [
            ("", "POSTROUTING → FLANNEL-POSTRTG rule 5", #"-A FLANNEL-POSTRTG -s 10.244.0.0/16 ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully"#, true),
            ("cni=calico", "POSTROUTING → cali-POSTROUTING → cali-nat-outgoing rule 1", #"-A cali-nat-outgoing -m comment --comment "cali:M9Hf2v_BhjosMpYM" -m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst -j MASQUERADE --random-fully"#, true),
            ("cni=weave", "POSTROUTING → WEAVE rule 4", "-A WEAVE -s 10.32.0.0/12 ! -d 10.32.0.0/12 -j MASQUERADE", false),
        ] {
            let r = runScript("cluster nodes=2 \(options)\n" + placePods([("a", "node1"), ("b", "node2")]) + """
            let out = (trace from pod/a to node/node2:10250)
            assert out.delivered and out.destination == "node2 (its own network stack)"
            assert out.masqueradedAs.hasPrefix("192.168.56.11:")
            print "masqueraded as " + out.masqueradedAs
            # The connection's first packet meets the nat table: the plugin's rule decides.
            assert out.hops[5].at == "POSTROUTING"
            print "POSTROUTING: " + out.hops[5].action
            print "decided by: " + out.hops[5].rule
            let inside = (trace from pod/a to pod/b:80)
            # Pod to pod: no rule translates it, pod b sees pod a's own address.
            assert inside.masqueradedAs == nil and inside.hops[inside.hops.count - 1].headers.hasPrefix(pod("a").ip + ":40000 > ")
            trace from pod/a to node/node2:10250
            ssh node2 tcpdump -i eth0 -n icmp
            exec a -- ping -c 1 192.168.56.12
            stop tcpdump
            exec a -- nc -zv 192.168.56.12 22
            """)
            #expect(r.outcome == .success, "\(options): \(r.err)")
            let port = r.out.split(separator: "\n").first { $0.hasPrefix("masqueraded as 192.168.56.11:") }.flatMap { Int($0.split(separator: ":").last ?? "") } ?? 0
            #expect(random ? (1024...65535).contains(port) && port != 40000 : port == 40000, "\(options): port \(port)")
            #expect(r.out.contains("POSTROUTING: mangle: empty (ACCEPT); nat: \(chains): MASQUERADE to 192.168.56.11:\(port)\n"), "\(options): \(r.out)")
            #expect(r.out.contains("decided by: \(rule)\n"), "\(options): \(r.out)")
            // The printed walk is the connection's second packet: conntrack's entry gives it the same address and port.
            #expect(r.out.contains("192.168.56.11:\(port) > 192.168.56.12:10250 TCP SYN ttl=63 len=60\ndelivered to node2 (its own network stack)"), "\(options)")
            // node2 sees node1's address; the reply comes back to the pod through conntrack.
            #expect(r.out.contains(" IP 192.168.56.11 > 192.168.56.12: ICMP echo request, id "), "\(options)")
            #expect(r.out.contains(" IP 192.168.56.12 > 192.168.56.11: ICMP echo reply, id "), "\(options)")
            #expect(r.out.contains("64 bytes from 192.168.56.12: seq=0 ttl="), "\(options)")
            #expect(r.out.contains("192.168.56.12 (192.168.56.12:22) open"), "\(options)")
        }
    }

    /// The kubelet's answer reaches node1 addressed to node1 and leaves cni0 addressed to the pod.
    @Test func theReplyIsDeNATedAtTheNodeThatMasqueraded() {
        let r = runScript("cluster nodes=2\n" + placePods([("a", "node1"), ("b", "node2")]) + """
        ssh node1 tcpdump -i any -n port 10250
        expect error "400 Bad Request" { exec a -- wget -qO- 192.168.56.12:10250 }
        stop tcpdump
        """)
        #expect(r.outcome == .success, "\(r.err)")
        let lines = r.out.split(separator: "\n").map(String.init)
        // The SYN-ACK, on node1's eth0 and then on cni0 and the pod's veth.
        let synAcks = lines.filter { $0.contains("Flags [S.]") }
        #expect(synAcks.contains { $0.contains(" eth0  In  IP 192.168.56.12.10250 > 192.168.56.11.") }, "\(synAcks)")
        #expect(synAcks.contains { $0.contains(" cni0  Out IP 192.168.56.12.10250 > 10.244.0.2.") }, "\(synAcks)")
    }
}

/// Edge cases a review found: conntrack keys, clashing translations, huge numbers,
/// commands outliving their container, nodes in other subnets.
@Suite("pod network: edges")
struct NetworkEdgeTests {
    @Test func conntrackRewritesOnlyRepliesOfItsOwnConnections() {
        let r = runScript("cluster nodes=2\n" + placePods([("a", "node1"), ("b", "node1")]) + """
        exec a -- ping -c 1 192.168.56.12
        # node2's own echo request to node1 is no reply: node1 answers it itself.
        let t = (trace from node/node2 to node/node1 --proto icmp)
        assert t.destination == "node1 (its own network stack)"
        expect error "Connection timed out" { exec b -- nc -z -w 2 192.168.56.99 80 }
        assert (trace from node/node2 to node/node1 --proto icmp).destination == "node1 (its own network stack)"
        ssh node1 ping -c 1 node2
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("64 bytes from node2 (192.168.56.12): icmp_seq=1 ttl=64 time="))
    }

    @Test func twoPodsWithTheSameTupleGetDifferentPorts() {
        let r = runScript("cluster nodes=2 cni=weave\n" + placePods([("a", "node1"), ("b", "node1")]) + """
        let one = (trace from pod/a to node/node2:22)
        let two = (trace from pod/b to node/node2:22)
        assert one.masqueradedAs == "192.168.56.11:40000" and two.masqueradedAs == "192.168.56.11:40001"
        # The first one's translation holds.
        assert (trace from pod/a to node/node2:22).masqueradedAs == "192.168.56.11:40000"
        # Idle for longer than conntrack's TCP timeout (120 s), both are forgotten: b keeps its port.
        tick 121s
        assert (trace from pod/b to node/node2:22).masqueradedAs == "192.168.56.11:40000"
        # A pod's packet routed out of the weave bridge passes weave-npc's egress chain (the
        # counters show it); b now holds port 40000, so a's new connection takes the next one.
        ssh node1 iptables -Z
        let last = (trace from pod/a to node/node2:22)
        assert last.masqueradedAs == "192.168.56.11:40001"
        assert last.hops[4].at == "FORWARD" and last.hops[4].rule == "-A FORWARD -i weave ! -o weave -j ACCEPT"
        ssh node1 iptables -L WEAVE-NPC-EGRESS -v -n
        """)
        #expect(r.out.contains("    1    60 WEAVE-NPC-EGRESS-DEFAULT  all  --  *      *       0.0.0.0/0            0.0.0.0/0            state NEW\n"), "\(r.out)")
        #expect(r.outcome == .success, "\(r.err)")
    }

    @Test func hugeNumbersAreErrorsNotCrashesOrHangs() {
        let r = runScript("cluster nodes=2\n" + placePods([("a", "node1"), ("b", "node2")]) + """
        expect error "ping: packet size 9223372036854775807 is too large. Maximum is 65507" { ssh node1 ping -c 1 -s 9223372036854775807 node2 }
        expect error "ping: invalid number '70000'" { exec a -- ping -c 1 -s 70000 192.168.56.12 }
        let t0 = now()
        expect error "Connection timed out" { exec a -- nc -z -w 99999999999 10.244.1.77 80 }
        assert now() - t0 == 127s
        expect error "Timeout was reached" { exec a -- curl --connect-timeout 1e300 http://192.168.56.99 }
        trace from pod/a to pod/b:80 --step
        let end = (next 1000000000000000)
        assert end.done
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }

    @Test func anExecEndsWithItsContainer() {
        let r = runScript("""
        cluster nodes=1
        run short --image=busybox:1.36 --restart=Never -- sleep 15
        settle --timeout 5s
        expect error "command terminated with exit code 137" { exec short -- sh -c "sleep 30; echo still running" }
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(!r.out.contains("still running"))
    }

    @Test func nodesReachNodesInOtherSubnetsThroughTheRouter() {
        let r = runScript("""
        cluster nodes=3 segments=2
        ssh node1 ping -c2 node2
        let t = (trace from node/node1 to node/node2:22)
        assert t.delivered and t.path.contains("node1 underlay router")
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("64 bytes from node2 (192.168.57.12): icmp_seq=2 ttl=63"))
    }

    @Test func nodeNetworkBoundsAndOverlaps() {
        let r = runScript("""
        expect error "cluster: node-network 10.243.0.0/16 overlaps the pod network 10.244.0.0/16" { cluster nodes=3 node-network=10.243.0.0/16 segments=3 }
        expect error "cluster: node-network 10.96.0.0/24 overlaps the Service network 10.96.0.0/12" { cluster node-network=10.96.0.0/24 }
        cluster nodes=4 node-network=10.0.0.0/28
        expect error "error: the node network 10.0.0.0/28 has no address left for another node" { add node node5 }
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }

    @Test func sshRedirections() {
        let r = runScript("""
        cluster nodes=2
        let q = (ssh node1 ping -c 1 node2 > /dev/null 2>&1)
        assert q.output == ""
        fail node node2
        expect error "ssh: ping failed (its output went to /dev/null)" { ssh node1 ping -c 1 node2 > /dev/null }
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }
}

/// The kubelet probes pods over the pod network from its node (the model's third rule):
/// the handshake and request cross cni0, and nginx logs them as kube-probe.
@Suite("probes cross the pod network")
struct ProbeTrafficTests {
    @Test func httpAndTcpProbesComeFromTheNode() {
        let r = runScript("""
        cluster nodes=1
        apply <<EOF
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          containers:
          - name: nginx
            image: nginx:1.25
            readinessProbe: {httpGet: {path: /, port: 80}, periodSeconds: 10}
            livenessProbe: {tcpSocket: {port: 80}, periodSeconds: 10}
        EOF
        tick 12s
        ssh node1 tcpdump -i cni0 -n port 80
        tick 11s
        stop tcpdump
        logs web --tail 1
        assert pod("web").ready
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains(" IP 10.244.0.1."), "\(r.out)")
        #expect(r.out.contains(" > 10.244.0.2.80: Flags [P.], seq 1:101, ack 1, win 502, options [nop,nop,TS val "))
        #expect(r.out.contains("length 100: HTTP: GET / HTTP/1.1"))
        #expect(r.out.contains("10.244.0.1 - - [01/Jan/2026:00:00:2"))
        #expect(r.out.contains("\"GET / HTTP/1.1\" 200 615 \"-\" \"kube-probe/1.35\" \"-\""))
    }
}

/// `trace … --reply`: the answer's walk back, through conntrack when the request was masqueraded.
@Suite("trace --reply")
struct TraceReplyTests {
    @Test func theAnswerWalksBack() {
        let r = runScript("cluster nodes=2\n" + placePods([("a", "node1"), ("b", "node2")]) + """
        let kubelet = (trace from pod/a to node/node2:10250 --reply)
        assert kubelet.reply.delivered and kubelet.reply.destination == "pod/a on node1"
        assert kubelet.reply.path.contains("node1 PREROUTING")
        # node1's conntrack recognises the answer to the masqueraded connection and puts the pod back.
        assert kubelet.reply.hops[6].at == "PREROUTING" and kubelet.reply.hops[6].conntrack == "reply of tcp 10.244.0.2:40000 → 192.168.56.12:10250"
        assert kubelet.reply.hops[5].headers.contains(" > 192.168.56.11:") and kubelet.reply.hops[6].headers == "192.168.56.12:10250 > 10.244.0.2:40000 TCP SYN-ACK ttl=64 len=60"
        let refused = (trace from pod/a to pod/b:81 --reply)
        assert refused.reply.delivered and refused.reply.hops.count == 20
        let echo = (trace from pod/b to pod/a --proto icmp --reply)
        assert echo.reply.destination == "pod/b on node2"
        let udp = (trace from pod/a to pod/b:53 --proto udp --reply)
        assert udp.reply.delivered
        trace from pod/a to pod/b:81 --reply
        trace from pod/a to node/node2:10250 --reply
        trace from pod/a to pod/b:53 --proto udp --reply
        let lost = (trace from pod/a to 10.244.1.77 --reply)
        assert lost.reply == nil
        expect error "trace: --size must be an IP packet size from 28 to 65535 bytes, found '-5'" { trace from pod/a to pod/b --size -5 }
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("reply (RST-ACK: nothing listens on port 81):\nHOP  NODE   WHERE"))
        #expect(r.out.contains("reply (SYN-ACK):\n"))
        #expect(r.out.contains("node1  PREROUTING   conntrack: reply of tcp 10.244.0.2:40000 → 192.168.56.12:10250; raw, mangle: empty (ACCEPT)"))
        #expect(r.out.contains("reply (ICMP port unreachable: nothing listens on port 53):\n"))
    }
}
