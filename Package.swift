// swift-tools-version: 6.1
import PackageDescription

// Module cut (see ../shared/DESIGN.md): the language (KubeScript) never imports a
// cluster module; the shell (KubeSimShell) wires the language, the command bindings
// and the terminal together; the executable is a thin `main`.
let package = Package(
    name: "kubesim",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "kubesim", targets: ["kubesim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // SHA-256 for kube-proxy's chain names and SHA-1 for Calico's and Weave's names,
        // as upstream computes them.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibEdit",
            pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"])]
        ),
        .target(name: "KubeSimCore"),
        .target(
            name: "KubeScript",
            dependencies: ["KubeSimCore"],
            // The interpreter's frames are class-held arrays touched on every step;
            // dynamic exclusivity checks there cost ~40% of a loop (measured with
            // callgrind, scripts/bench). The interpreter is single-threaded by design.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]
        ),
        // swift-crypto's MD5 orders Endpoints subsets and ports as upstream's RepackSubsets does.
        .target(name: "KubeSimAPI", dependencies: ["KubeSimCore", .product(name: "Crypto", package: "swift-crypto")]),
        // The network: each node's kernel as data (netfilter, ipsets, conntrack), network
        // namespaces, devices and routes, the datapath, captures, and the CNI plugins'
        // agents (flannel, Calico with bird and Felix, Weave with weave-npc). No API types.
        .target(
            name: "KubeSimNet",
            dependencies: ["KubeSimCore", .product(name: "Crypto", package: "swift-crypto")],
            // The datapath walks class-held node state and rule arrays on every hook of
            // every packet; dynamic exclusivity checks there cost a tenth of a traversal
            // (callgrind, kubesim-bench datapath). The simulation is single-threaded.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]
        ),
        // The control plane's clients: informers, work queues, controllers, scheduler.
        .target(name: "KubeSimControl", dependencies: ["KubeSimAPI"]),
        // What runs on a node: kubelet, CRI runtime, images and the app behaviour model,
        // busybox/sh applets, probes, eviction.
        .target(name: "KubeSimNode", dependencies: ["KubeSimControl", "KubeSimNet"]),
        .target(name: "KubeSimCluster", dependencies: ["KubeSimNode"]),
        // Manifests: YAML/JSON ↔ typed objects (Yams for the YAML syntax).
        .target(name: "KubeSimManifest", dependencies: ["KubeSimAPI", .product(name: "Yams", package: "Yams")]),
        .target(name: "KubeSimBindings", dependencies: ["KubeSimCluster", "KubeSimManifest", "KubeScript"]),
        .target(
            name: "KubeSimShell",
            dependencies: [
                "KubeScript",
                "KubeSimBindings",
                "CLibEdit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "kubesim", dependencies: ["KubeSimShell"]),
        .executableTarget(name: "kubesim-bench", dependencies: ["KubeSimCluster", "KubeSimNode", "KubeSimNet"]),
        // Fuzz targets (scripts/fuzz builds kubesim-fuzz with libFuzzer and the address
        // sanitizer; a plain build replays inputs).
        .target(name: "KubeSimFuzz", dependencies: ["KubeSimShell"]),
        .executableTarget(name: "kubesim-fuzz", dependencies: ["KubeSimFuzz"]),
        .testTarget(name: "KubeSimCoreTests", dependencies: ["KubeSimCore"]),
        .testTarget(name: "KubeScriptTests", dependencies: ["KubeScript"]),
        .testTarget(name: "KubeSimControlTests", dependencies: ["KubeSimCluster"]),
        .testTarget(name: "KubeSimNetTests", dependencies: ["KubeSimNet"]),
        .testTarget(name: "KubeSimShellTests", dependencies: ["KubeSimShell", "kubesim", "KubeSimFuzz"]),
    ]
)
