import Testing
import KubeScript
import KubeSimShell

/// explain: the expected texts are what kubectl v1.32 printed for the same command
/// lines, given the same schema (this repository's OpenAPISchemas, served to kubectl
/// as /openapi/v3 by a stub API server).
@Suite("kubectl explain")
struct ExplainTests {
    static let cases: [(String, String)] = [
        ("explain deployment.spec.strategy", [
            "GROUP:      apps",
            "KIND:       Deployment",
            "VERSION:    v1",
            "",
            "FIELD: strategy <DeploymentStrategy>",
            "",
            "",
            "DESCRIPTION:",
            "    The deployment strategy to use to replace existing pods with new ones.",
            "    DeploymentStrategy describes how to replace existing pods with new ones.",
            "    ",
            "FIELDS:",
            "  rollingUpdate\t<RollingUpdateDeployment>",
            "    Rolling update config params. Present only if DeploymentStrategyType =",
            "    RollingUpdate.",
            "",
            "  type\t<string>",
            "    Type of deployment. Can be \"Recreate\" or \"RollingUpdate\". Default is",
            "    RollingUpdate.",
            "",
            "",
            "",
        ].joined(separator: "\n")),
        ("explain pod.spec.containers.ports --recursive", [
            "KIND:       Pod",
            "VERSION:    v1",
            "",
            "FIELD: ports <[]ContainerPort>",
            "",
            "",
            "DESCRIPTION:",
            "    List of ports to expose from the container. Not specifying a port here DOES",
            "    NOT prevent that port from being exposed. Any port which is listening on the",
            "    default \"0.0.0.0\" address inside a container will be accessible from the",
            "    network. Modifying this array with strategic merge patch may corrupt the",
            "    data. For more information See",
            "    https://github.com/kubernetes/kubernetes/issues/108255. Cannot be updated.",
            "    ContainerPort represents a network port in a single container.",
            "    ",
            "FIELDS:",
            "  containerPort\t<integer> -required-",
            "  hostIP\t<string>",
            "  hostPort\t<integer>",
            "  name\t<string>",
            "  protocol\t<string>",
            "",
            "",
        ].joined(separator: "\n")),
        ("explain service.spec.ports.targetPort", [
            "KIND:       Service",
            "VERSION:    v1",
            "",
            "FIELD: targetPort <IntOrString>",
            "",
            "",
            "DESCRIPTION:",
            "    Number or name of the port to access on the pods targeted by the service.",
            "    Number must be in the range 1 to 65535. Name must be an IANA_SVC_NAME. If",
            "    this is a string, it will be looked up as a named port in the target Pod's",
            "    container ports. If this is not specified, the value of the 'port' field is",
            "    used (an identity map). This field is ignored for services with",
            "    clusterIP=None, and should be omitted or set equal to the 'port' field. More",
            "    info:",
            "    https://kubernetes.io/docs/concepts/services-networking/service/#defining-a-service",
            "    ",
            "",
            "",
        ].joined(separator: "\n")),
    ]

    @Test("fields, types, -required- and wrapped descriptions, as kubectl prints them", arguments: cases)
    func explain(_ command: String, _ expected: String) {
        let r = WaitTests.run(command)
        #expect(r.err == "")
        #expect(r.out == expected)
    }

    @Test("a missing field, and the scheduler's explanation's new place")
    func errors() {
        let r = WaitTests.run("explain pod.spec.nothere")
        #expect(r.out == "KIND:       Pod\nVERSION:    v1\n\n")
        #expect(r.err.contains(#"error: field "nothere" does not exist"#))
        #expect(WaitTests.run("cluster nodes=1\nexplain pod web").err.contains("scheduler explain pod NAME"))
    }
}
