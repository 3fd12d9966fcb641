import KubeScript
import KubeSimCore
import KubeSimAPI
import KubeSimCluster
import KubeSimControl
import KubeSimNode
import KubeSimNet
import KubeSimManifest

extension NodeTool {
    /// curl from the node's own stack: the same host tool as ping (HostTools.swift).
    static let curl = NodeTool(name: "curl", subcommands: [], run: ping.run)
}
