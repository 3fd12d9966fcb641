import Testing
import KubeScript
import KubeSimShell

/// Sockets decide who answers: each namespace's listeners (the node's daemons, the pods'
/// processes), as `ss` and `netstat` print them, and connections that reach them or not.
@Suite("sockets: ss, netstat, who answers")
struct SocketTests {
    static let pods = placePods([("a", "node1"), ("b", "node2")]) + "\n"

    @Test func aNodesListenersAsSsPrintsThem() {
        let r = runScript("cluster nodes=2 cni=calico\n" + Self.pods + "ssh node1 ss -tlnp\nssh node2 netstat -tln\n")
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("""
        State  Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess
        LISTEN 0      128          0.0.0.0:22         0.0.0.0:*    users:(("sshd",pid=612,fd=3))
        LISTEN 0      4096       127.0.0.1:10248      0.0.0.0:*    users:(("kubelet",pid=1042,fd=16))
        LISTEN 0      4096               *:10250            *:*    users:(("kubelet",pid=1042,fd=20))
        LISTEN 0      8            0.0.0.0:179        0.0.0.0:*    users:(("bird",pid=301,fd=7))
        LISTEN 0      4096       127.0.0.1:9099       0.0.0.0:*    users:(("calico-node",pid=287,fd=9))
        """), "\(r.out)")
        #expect(r.out.contains("""
        Active Internet connections (only servers)
        Proto Recv-Q Send-Q Local Address           Foreign Address         State       
        tcp        0      0 0.0.0.0:22              0.0.0.0:*               LISTEN
        tcp        0      0 127.0.0.1:10248         0.0.0.0:*               LISTEN
        tcp6       0      0 :::10250                :::*                    LISTEN
        """), "\(r.out)")
    }

    @Test func aPodsListenersInBusyboxNetstat() {
        let r = runScript("cluster nodes=2\n" + Self.pods + "exec b -- netstat -tlnp\nexec a -- netstat -tln\n")
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("tcp        0      0 0.0.0.0:80              0.0.0.0:*               LISTEN      1/nginx\n"), "\(r.out)")
        // The busybox pod listens on nothing: the header alone.
        #expect(r.out.hasSuffix("1/nginx\nActive Internet connections (only servers)\nProto Recv-Q Send-Q Local Address           Foreign Address         State       \n"), "\(r.out)")
    }

    @Test func onlyAListenerAnswers() {
        // bird listens on 179 where Calico runs it; on a flannel node nothing does.
        let calico = runScript("cluster nodes=2 cni=calico\n" + Self.pods + """
        exec a -- nc -zv 192.168.56.12 179
        expect error "curl: (52) Empty reply from server" { ssh node1 curl -s 192.168.56.12:179 }
        ssh node1 curl -s 127.0.0.1:10248/healthz
        """)
        #expect(calico.outcome == .success, "\(calico.err)")
        #expect(calico.out.contains("192.168.56.12 (192.168.56.12:179) open\n"))
        #expect(calico.out.contains("\nok\n"))
        let flannel = runScript("cluster nodes=2\n" + Self.pods + """
        expect error "nc: 192.168.56.12 (192.168.56.12:179): Connection refused" { exec a -- nc -zv 192.168.56.12 179 }
        """)
        #expect(flannel.outcome == .success, "\(flannel.err)")
    }

    /// The pod namespace's table is written by the runtime: a process binding a port adds
    /// a listener (a daemonised busybox httpd), and its exit removes it — connections
    /// are then refused, though the pod still has its address.
    @Test func aPodsTableFollowsItsProcesses() {
        let r = runScript("cluster nodes=2\n" + placePods([("a", "node1")]) + """
        apply <<EOF
        apiVersion: v1
        kind: Pod
        metadata: {name: s}
        spec:
          nodeName: node2
          restartPolicy: Never
          containers: [{name: c, image: "busybox:1.36", command: [sh, -c, "httpd -p 9000; sleep 30"]}]
        EOF
        tick 5s
        var sip = pod("s").ip
        exec s -- netstat -tln
        exec a -- nc -zv ${sip} 9000
        exec a -- nc ${sip} 9000
        tick 60s
        assert pod("s").phase == "Succeeded"
        expect error "nc: ${sip} (${sip}:9000): Connection refused" { exec a -- nc -zv ${sip} 9000 }
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(r.out.contains("tcp        0      0 0.0.0.0:9000            0.0.0.0:*               LISTEN\n"), "\(r.out)")
        #expect(r.out.contains(" (10.244.1.2:9000) open\n"), "\(r.out)")
    }

    /// Commands a container's shell does not have: sh's own answer, exit 127.
    @Test func anUnknownAppletIsNotFound() {
        let r = runScript("cluster nodes=1\n" + placePods([("a", "node1")]) + """
        expect error "sh: ss: not found" { exec a -- sh -c "ss -tln" }
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }
}
