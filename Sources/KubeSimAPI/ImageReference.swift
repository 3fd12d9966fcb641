/// Container image references as the runtime and the scheduler compare them:
/// `nginx:1.25` is `docker.io/library/nginx:1.25` (containerd's reference normalisation).
public enum ImageReference {
    public static func normalize(_ ref: String) -> String {
        var name = ref
        var tag = "latest"
        if let at = name.firstIndex(of: "@") { name = String(name[..<at]) }
        if let colon = name.lastIndex(of: ":"), !name[colon...].contains("/") {
            tag = String(name[name.index(after: colon)...])
            name = String(name[..<colon])
        }
        let parts = name.split(separator: "/")
        if parts.count == 1 { name = "docker.io/library/" + name }
        else if !(parts[0].contains(".") || parts[0].contains(":") || parts[0] == "localhost") { name = "docker.io/" + name }
        return name + ":" + tag
    }
}
