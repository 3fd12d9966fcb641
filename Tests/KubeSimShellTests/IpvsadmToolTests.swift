import Testing
import KubeScript
import KubeSimShell

/// `ssh NODE ipvsadm …`: each node's own IPVS table, written and listed as ipvsadm v1.31
/// does, with its messages and exit codes.
@Suite("IPVS on nodes: ipvsadm")
struct IpvsadmToolTests {
    @Test func addAServiceAndARealServerThenListThem() {
        let r = runScript("""
        cluster nodes=2
        settle
        ssh node1 ipvsadm -A -t 10.96.0.10:80 -s rr
        ssh node1 ipvsadm -a -t 10.96.0.10:80 -r 10.244.1.5:80 -m
        ssh node1 ipvsadm -Ln
        ssh node2 ipvsadm -Ln
        """)
        #expect(r.outcome == .success, "\(r.err)")
        // ipvsadm.c print_title and print_service_entry ("  -> %-28s %-7s %-6d %-10u %-10u").
        #expect(r.out.contains("""
        IP Virtual Server version 1.2.1 (size=4096)
        Prot LocalAddress:Port Scheduler Flags
          -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
        TCP  10.96.0.10:80 rr
        """ + "\n  -> 10.244.1.5:80                Masq    1      0          0         \n"), "\(r.out)")
        #expect(r.out.components(separatedBy: "TCP  10.96.0.10:80 rr").count == 2, "node2's table is its own, and empty")
    }

    @Test func kernelErrorsAndBadInputExitAsIpvsadmDoes() {
        let r = runScript("""
        cluster nodes=1
        settle
        ssh node1 ipvsadm -A -t 10.96.0.10:80 -s rr
        expect error "Service already exists" { ssh node1 ipvsadm -A -t 10.96.0.10:80 -s rr }
        expect error "Service not defined" { ssh node1 ipvsadm -a -t 10.96.0.11:80 -r 10.244.1.5:80 -m }
        expect error "illegal weight specified" { ssh node1 ipvsadm -a -t 10.96.0.10:80 -r 10.244.1.5:80 -m -w -1 }
        let dup = (ssh node1 ipvsadm -A -t 10.96.0.10:80 -s rr)
        assert dup.exitCode == 255
        let weight = (ssh node1 ipvsadm -a -t 10.96.0.10:80 -r 10.244.1.5:80 -m -w x)
        assert weight.exitCode == 2
        let missing = (ssh node1 ipvsadm -Ln -t 10.96.0.99:80)
        assert missing.exitCode == 1
        ssh node1 ipvsadm -C
        ssh node1 ipvsadm -S -n
        """)
        #expect(r.outcome == .success, "\(r.err)")
        #expect(!r.out.contains("-A -t 10.96.0.10:80"), "-C emptied the table")
    }
}
