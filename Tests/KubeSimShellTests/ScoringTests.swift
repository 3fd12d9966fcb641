import Testing
import KubeScript
import KubeSimShell

/// Score plugins that need the kubelet's view: ImageLocality (status.images) and the
/// default PodTopologySpread constraints (siblings of the same controller).
@Suite("scheduler scoring with node state")
struct ScoringTests {
    func run(_ script: String) -> ScriptRun { runScript(script) }

    @Test func imageLocalityPrefersTheNodeThatHasTheImage() {
        // postgres:16 is 158601489 bytes; one node of three has it: scaled by 1/3 it is
        // 52867163 bytes, (52867163 − 23 MiB) × 100 / (1000 MiB − 23 MiB) → 2.
        let r = run("""
        cluster nodes=3
        apply <<EOF
        apiVersion: v1
        kind: Pod
        metadata: {name: warm}
        spec:
          nodeName: node2
          containers: [{name: db, image: "postgres:16", env: [{name: POSTGRES_PASSWORD, value: x}]}]
        EOF
        settle
        assert node("node2").images.contains("docker.io/library/postgres:16")
        delete pod warm
        settle
        apply <<EOF
        apiVersion: v1
        kind: Pod
        metadata: {name: db}
        spec:
          containers: [{name: db, image: "postgres:16", env: [{name: POSTGRES_PASSWORD, value: x}]}]
        EOF
        settle
        assert pod("db").nodeName == "node2"
        scheduler explain pod db
        """)
        #expect(r.outcome == .success, "\(r.err)")
        let rows = r.out.split(separator: "\n").filter { $0.hasPrefix("node") && $0.contains(" ok ") }
        let columns = rows.map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        // ImageLocality is the third column from the end.
        let image = Dictionary(uniqueKeysWithValues: columns.map { (String($0[0]), String($0[$0.count - 3])) })
        #expect(image == ["node1": "0", "node2": "2", "node3": "0"])
    }

    @Test func defaultSpreadingPullsReplicasApartEvenWhenPacking() {
        // MostAllocated alone packs (bare pods do, see ClusterCommandTests); a
        // Deployment's replicas also get the default constraints (hostname maxSkew 3,
        // weight 2), which outweigh the packing.
        let r = run("""
        cluster nodes=3 scoring=MostAllocated
        create deployment w --image=nginx --replicas=3
        settle
        assert sorted(pods(app=w).map(func(p) { return p.nodeName })) == ["node1", "node2", "node3"]
        """)
        #expect(r.outcome == .success, "\(r.err)")
    }
}
