import Testing
import KubeScript
import KubeSimShell

/// version, cluster-info, api-resources, api-versions and config: the kubeconfig
/// texts are what kubectl v1.32 printed for the same kubeadm-style kubeconfig.
@Suite("kubectl version, cluster-info, api-resources, config")
struct InfoCommandTests {
    @Test("one Kubernetes version everywhere; one context; kubectl's layouts")
    func info() {
        let r = WaitTests.run("""
        cluster nodes=1
        version
        version --client
        cluster-info
        api-resources --api-group=apps
        api-resources --namespaced=false -o name
        config view
        config current-context
        config get-contexts
        config view --minify -o jsonpath='{.clusters[0].cluster.server}'
        get nodes
        """)
        #expect(r.err == "")
        #expect(r.out == """
        cluster created: 1 node (node1…node1), seed 1
        Client Version: v1.35.0
        Kustomize Version: v5.7.1
        Server Version: v1.35.0
        Client Version: v1.35.0
        Kustomize Version: v5.7.1
        Kubernetes control plane is running at https://192.168.56.10:6443

        To further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.
        NAME           SHORTNAMES   APIVERSION   NAMESPACED   KIND
        daemonsets     ds           apps/v1      true         DaemonSet
        deployments    deploy       apps/v1      true         Deployment
        replicasets    rs           apps/v1      true         ReplicaSet
        statefulsets   sts          apps/v1      true         StatefulSet
        namespaces
        nodes
        ingressclasses.networking.k8s.io
        clusterrolebindings.rbac.authorization.k8s.io
        clusterroles.rbac.authorization.k8s.io
        apiVersion: v1
        clusters:
        - cluster:
            certificate-authority-data: DATA+OMITTED
            server: https://192.168.56.10:6443
          name: kubernetes
        contexts:
        - context:
            cluster: kubernetes
            user: kubernetes-admin
          name: kubernetes-admin@kubernetes
        current-context: kubernetes-admin@kubernetes
        kind: Config
        preferences: {}
        users:
        - name: kubernetes-admin
          user:
            client-certificate-data: DATA+OMITTED
            client-key-data: DATA+OMITTED
        kubernetes-admin@kubernetes
        CURRENT   NAME                          CLUSTER      AUTHINFO           NAMESPACE
        *         kubernetes-admin@kubernetes   kubernetes   kubernetes-admin   
        https://192.168.56.10:6443
        NAME    STATUS   ROLES    AGE   VERSION
        node1   Ready    <none>   0s    v1.35.0

        """)
    }

    @Test("hyphenated command names parse as commands; arithmetic stays arithmetic")
    func hyphenated() {
        let r = WaitTests.run("let x = 3\nprint x-1\napi-versions")
        #expect(r.err == "")
        #expect(r.out.hasPrefix("2\napps/v1\n"))
    }
}
