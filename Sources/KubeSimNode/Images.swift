import KubeSimCore
import KubeSimAPI
import KubeSimNet
import KubeSimControl

/// What a container's main process does, as data: the application behaviour model.
/// Lessons make apps that listen, become ready late, crash, exit, leak memory, use CPU
/// and answer HTTP paths; the kubelet, probes and (later) packets act on this.
public struct AppBehaviour: Sendable, Equatable {
    public struct Route: Sendable, Equatable {
        public var status: Int
        public var body: String
        public init(status: Int, body: String) { self.status = status; self.body = body }
    }
    /// TCP ports the process listens on, once `readyAfter` has passed.
    public var listen: [Int] = []
    public var readyAfter = SimDuration.zero
    /// The process dies after this long with `exitCode` (a crash), or `exitAfter` with 0.
    public var crashAfter: SimDuration?
    public var exitCode = 1
    public var exitAfter: SimDuration?
    /// Resident memory at start and growth per minute (bytes).
    public var memory: Int64 = 4 << 20
    public var leakPerMinute: Int64 = 0
    public var cpuMilli: Int64 = 1
    /// HTTP answers by path; a path not here gets 404 (an app with no routes answers 200 everywhere).
    public var routes: [String: Route] = [:]
    /// Lines written at start (`{time}` becomes nginx-style local time).
    public var startupLogs: [String] = []
    /// The line written when it crashes.
    public var crashLog: String?
    /// Time to exit after SIGTERM; nil: the process ignores SIGTERM (PID 1 without a
    /// handler, as `sleep` in busybox) and is killed when the grace period ends.
    public var shutdownTime: SimDuration? = .milliseconds(100)
    /// Runs the container's command as busybox does, instead of a built-in server.
    public var runsCommand = false
    /// Environment variables that must be set, or the process exits 1 with the message.
    public var requiredEnv: [(String, String)] = []

    public init() {}

    public static func == (a: AppBehaviour, b: AppBehaviour) -> Bool {
        a.listen == b.listen && a.readyAfter == b.readyAfter && a.crashAfter == b.crashAfter && a.exitCode == b.exitCode
            && a.exitAfter == b.exitAfter && a.memory == b.memory && a.leakPerMinute == b.leakPerMinute && a.cpuMilli == b.cpuMilli
            && a.routes == b.routes && a.startupLogs == b.startupLogs && a.runsCommand == b.runsCommand
            && a.requiredEnv.map(\.0) == b.requiredEnv.map(\.0)
    }

    /// The answer to `GET path`.
    public func respond(_ path: String) -> Route {
        let bare = String(path.split(separator: "?", maxSplits: 1).first ?? "")
        if routes.isEmpty { return Route(status: 200, body: "ok") }
        return routes[bare] ?? routes[path] ?? Route(status: 404, body: "404 page not found")
    }
}

/// An image in a registry: name, size and the behaviour of its default process.
public struct ImageSpec: Sendable, Equatable {
    /// `docker.io/library/nginx`
    public var repository: String
    public var tag: String
    public var sizeBytes: Int64
    public var app: AppBehaviour
    public init(repository: String, tag: String, sizeBytes: Int64, app: AppBehaviour) {
        self.repository = repository; self.tag = tag; self.sizeBytes = sizeBytes; self.app = app
    }
    public var reference: String { "\(repository):\(tag)" }
    /// A stable sha256-looking id derived from the reference (crictl's IMAGE ID column).
    public var id: String {
        var h: UInt64 = 0xcbf29ce484222325
        for b in reference.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        var out = ""
        for i in 0..<4 {
            let v = (h &* UInt64(i + 1) &+ 0x9e3779b97f4a7c15 &* UInt64(i)) >> 0
            let hex = String(v, radix: 16)
            out += String(repeating: "0", count: 16 - hex.count) + hex
        }
        return out
    }
}

/// The registry the cluster pulls from: a small built-in catalogue (nginx, busybox,
/// agnhost, postgres, redis, the pause image, a generic `shop/*` app) plus images a
/// script defines with `image define`.
public final class ImageCatalogue {
    var images: [String: ImageSpec] = [:]
    /// Repositories where every tag exists (the generic shop app).
    var anyTag: [String: ImageSpec] = [:]

    public init() {
        let mi: Int64 = 1 << 20
        var nginx = AppBehaviour()
        nginx.listen = [80]
        nginx.readyAfter = .milliseconds(300)
        nginx.memory = 8 * mi
        nginx.routes = ["/": .init(status: 200, body: ImageCatalogue.nginxWelcome), "/index.html": .init(status: 200, body: ImageCatalogue.nginxWelcome)]
        nginx.startupLogs = [
            "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
            "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
            "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
            "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
            "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
            "/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh",
            "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh",
            "/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh",
            "/docker-entrypoint.sh: Configuration complete; ready for start up",
            "{time} [notice] 1#1: using the \"epoll\" event method",
            "{time} [notice] 1#1: nginx/{version}",
            "{time} [notice] 1#1: start worker processes",
        ]
        for (tag, size) in [("latest", 70_534_041), ("1", 70_534_041), ("stable", 71_008_954), ("mainline", 70_534_041), ("1.27", 72_099_501), ("1.26", 71_008_954), ("1.25", 70_544_635), ("1.24", 57_014_328), ("alpine", 20_207_213)] as [(String, Int64)] {
            var a = nginx
            a.startupLogs = a.startupLogs.map { $0.replacingVersion(tag.contains(".") ? tag + ".0" : (tag == "stable" ? "1.26.2" : "1.27.3")) }
            add(ImageSpec(repository: "docker.io/library/nginx", tag: tag, sizeBytes: size, app: a))
        }
        var busybox = AppBehaviour()
        busybox.runsCommand = true
        busybox.memory = 1 * mi
        busybox.shutdownTime = nil
        for (tag, size) in [("latest", 2_166_802), ("1.36", 2_166_802), ("1.35", 2_155_115), ("stable", 2_166_802)] as [(String, Int64)] {
            add(ImageSpec(repository: "docker.io/library/busybox", tag: tag, sizeBytes: size, app: busybox))
        }
        // agnhost: the Kubernetes e2e test image; its sub-commands are in AgnhostCommands.
        var agnhost = AppBehaviour()
        agnhost.runsCommand = true
        agnhost.memory = 12 * mi
        for tag in ["2.39", "2.43", "2.47", "2.52"] {
            add(ImageSpec(repository: "registry.k8s.io/e2e-test-images/agnhost", tag: tag, sizeBytes: 51_094_488, app: agnhost))
        }
        var postgres = AppBehaviour()
        postgres.listen = [5432]
        postgres.readyAfter = .seconds(3)
        postgres.memory = 30 * mi
        postgres.requiredEnv = [("POSTGRES_PASSWORD", """
            Error: Database is uninitialized and superuser password is not specified.
                   You must specify POSTGRES_PASSWORD to a non-empty value for the
                   superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".
            """)]
        postgres.startupLogs = ["The files belonging to this database system will be owned by user \"postgres\".",
                                "{time} UTC [1] LOG:  starting PostgreSQL {version} on x86_64-pc-linux-gnu",
                                "{time} UTC [1] LOG:  listening on IPv4 address \"0.0.0.0\", port 5432",
                                "{time} UTC [1] LOG:  database system is ready to accept connections"]
        postgres.shutdownTime = .milliseconds(500)
        for tag in ["16", "15", "latest"] {
            var a = postgres
            a.startupLogs = a.startupLogs.map { $0.replacingVersion(tag == "latest" ? "17.2" : tag + ".6") }
            add(ImageSpec(repository: "docker.io/library/postgres", tag: tag, sizeBytes: 158_601_489, app: a))
        }
        var redis = AppBehaviour()
        redis.listen = [6379]
        redis.readyAfter = .milliseconds(200)
        redis.memory = 6 * mi
        redis.startupLogs = ["1:C {time} # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo",
                             "1:M {time} * Server initialized",
                             "1:M {time} * Ready to accept connections tcp"]
        for tag in ["7", "7.2", "latest"] { add(ImageSpec(repository: "docker.io/library/redis", tag: tag, sizeBytes: 45_031_203, app: redis)) }
        var pause = AppBehaviour()
        pause.memory = 300 << 10
        add(ImageSpec(repository: "registry.k8s.io/pause", tag: "3.9", sizeBytes: 321_520, app: pause))
        // The generic shop app: any shop/NAME:TAG exists.
        var shop = AppBehaviour()
        shop.listen = [8080]
        shop.readyAfter = .seconds(2)
        shop.memory = 20 * mi
        shop.cpuMilli = 5
        shop.routes = ["/": .init(status: 200, body: "{app} {tag}"), "/healthz": .init(status: 200, body: "ok"), "/ready": .init(status: 200, body: "ready")]
        shop.startupLogs = ["{app} {tag} starting", "listening on :8080"]
        anyTag["docker.io/shop"] = ImageSpec(repository: "docker.io/shop", tag: "", sizeBytes: 31_457_280, app: shop)
    }

    func add(_ i: ImageSpec) { images[i.reference] = i }

    /// Defines (or redefines) an image for this cluster.
    public func define(_ i: ImageSpec) { add(i) }

    /// `nginx` → `docker.io/library/nginx:latest`, `shop/api:v2` → `docker.io/shop/api:v2`.
    public static func normalize(_ ref: String) -> String { ImageReference.normalize(ref) }

    /// The image a reference names, if the registry has it.
    public func lookup(_ ref: String) -> ImageSpec? {
        let full = Self.normalize(ref)
        if let i = images[full] { return i }
        guard let colon = full.lastIndex(of: ":") else { return nil }
        let repo = String(full[..<colon]), tag = String(full[full.index(after: colon)...])
        for (prefix, generic) in anyTag where repo.hasPrefix(prefix + "/") {
            var i = generic
            i.repository = repo
            i.tag = tag
            let app = String(repo.split(separator: "/").last ?? "")
            i.app.routes = i.app.routes.mapValues { .init(status: $0.status, body: $0.body.replacingOccurrences("{app}", app).replacingOccurrences("{tag}", tag)) }
            i.app.startupLogs = i.app.startupLogs.map { $0.replacingOccurrences("{app}", app).replacingOccurrences("{tag}", tag) }
            return i
        }
        return nil
    }

    /// nginx's default index.html (615 bytes with its final newline).
    static let nginxWelcome = """
        <!DOCTYPE html>
        <html>
        <head>
        <title>Welcome to nginx!</title>
        <style>
        html { color-scheme: light dark; }
        body { width: 35em; margin: 0 auto;
        font-family: Tahoma, Verdana, Arial, sans-serif; }
        </style>
        </head>
        <body>
        <h1>Welcome to nginx!</h1>
        <p>If you see this page, the nginx web server is successfully installed and
        working. Further configuration is required.</p>

        <p>For online documentation and support please refer to
        <a href="http://nginx.org/">nginx.org</a>.<br/>
        Commercial support is available at
        <a href="http://nginx.com/">nginx.com</a>.</p>

        <p><em>Thank you for using nginx.</em></p>
        </body>
        </html>
        """
}

extension String {
    func replacingVersion(_ v: String) -> String { replacingOccurrences("{version}", v) }

}
