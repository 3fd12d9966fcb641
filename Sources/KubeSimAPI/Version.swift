/// The one Kubernetes version the simulated cluster runs: node VERSION, the kubelet's
/// and kube-probe's strings, `version` and discovery all read it.
public enum KubernetesVersion {
    public static let major = "1"
    public static let minor = "35"
    public static let gitVersion = "v1.35.0"
    public static let gitCommit = "66452049f3d692768c39c797b21b793dce80314e"
}
