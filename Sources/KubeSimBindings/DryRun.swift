import KubeScript
import KubeSimAPI
import KubeSimManifest

/// `--dry-run=none|client|server` and `-o yaml|json|name` on the commands that write,
/// as kubectl has them (staging/src/k8s.io/kubectl/pkg/cmd/util/helpers.go
/// GetDryRunStrategy; genericclioptions PrintFlags): `client` prints the object kubectl
/// built without sending it, `server` sends it with dryRun=All so the API server
/// defaults, validates and admits it but stores nothing.
enum DryRun: Equatable {
    case none, client, server

    static let flag = FlagSpec("dry-run", value: "STRATEGY", bareValue: "unchanged",
                               help: "none, client (print the object, send nothing) or server (validated, not stored)")
    static let outputFlag = FlagSpec("output", short: "o", value: "FORMAT", help: "yaml, json, name, jsonpath=…")
    /// The flags every writing command takes.
    static let flags = [flag, outputFlag]

    init(_ inv: Invocation) throws {
        switch inv.flag("dry-run") {
        case nil, "none"?, "false"?: self = .none
        case "client"?, "unchanged"?, "true"?: self = .client
        case "server"?: self = .server
        case let v?: throw CommandFailure("error: Invalid dry-run value (\(v)). Must be \"none\", \"server\", or \"client\".")
        }
    }

    /// The suffix kubectl adds to a one-line result: `deployment.apps/web created (dry run)`.
    var suffix: String {
        switch self {
        case .none: return ""
        case .client: return " (dry run)"
        case .server: return " (server dry run)"
        }
    }
}

/// How a writing command prints what it wrote (`-o`), or the one-line message.
struct ObjectPrinter {
    enum Format { case message, yaml, json, name, jsonpath(JSONPath) }
    let format: Format

    static let allowed = "go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,yaml"

    init(_ inv: Invocation) throws {
        switch inv.flag("output") {
        case nil: format = .message
        case "yaml"?: format = .yaml
        case "json"?: format = .json
        case "name"?: format = .name
        case let o? where o.hasPrefix("jsonpath="):
            let template = String(o.dropFirst("jsonpath=".count))
            do { format = .jsonpath(try JSONPath(template)) } catch let e as JSONPath.ParseError {
                throw CommandFailure("error: error parsing jsonpath \(template), \(e.message)")
            }
        case let o?:
            throw CommandFailure("error: unable to match a printer suitable for the output format \"\(o)\", allowed formats are: \(Self.allowed)")
        }
    }

    /// `kind.group/name`, as `-o name` prints it.
    static func name(_ o: JSONValue) -> String {
        let kind = (o["kind"]?.string ?? "").lowercased()
        let apiVersion = o["apiVersion"]?.string ?? ""
        let group = apiVersion.contains("/") ? "." + String(apiVersion.split(separator: "/")[0]) : ""
        return "\(kind)\(group)/\(o["metadata"]?["name"]?.string ?? "")"
    }

    /// Several objects as kubectl prints them together.
    static func list(_ items: [JSONValue]) -> JSONValue {
        .object([("apiVersion", .string("v1")), ("items", .array(items)), ("kind", .string("List")),
                 ("metadata", .object([("resourceVersion", .string(""))]))])
    }

    /// The object kubectl built or the server answered, or `NAME VERB` + the dry-run suffix.
    func print(_ o: JSONValue, verb: String, dryRun: DryRun) -> String {
        switch format {
        case .message: return Self.name(o) + " " + verb + dryRun.suffix
        case .yaml: return String(o.kubectlYAML.dropLast())
        case .json: return String(o.kubectlJSON.dropLast())
        case .name: return Self.name(o)
        case .jsonpath(let path): return path.execute(o)
        }
    }
}

extension ClusterBindings {
    /// Sends an object kubectl's generator built (or prints it, for a client dry run):
    /// the create half of every `create …`, `run` and `expose`.
    static func submit(_ body: JSONValue, _ inv: Invocation, _ ctx: CommandContext, verb: String = "created") throws -> CommandResult {
        let dryRun = try DryRun(inv)
        let printer = try ObjectPrinter(inv)
        if dryRun == .client { return CommandResult(output: printer.print(body, verb: verb, dryRun: dryRun)) }
        var o: APIObject
        do { o = try Manifest.object(body, source: "STDIN") } catch let e as ManifestError { throw CommandFailure(e.message) }
        if o.type.namespaced && o.metadata.namespace == nil {
            var m = o.metadata
            m.namespace = inv.flag("namespace") ?? "default"
            o.metadata = m
        }
        let c = try cluster(ctx)
        let stored = try api { try c.api.create(o, user: user(inv), dryRun: dryRun == .server) }
        return CommandResult(output: printer.print(ManifestEncoder.encode(stored), verb: verb, dryRun: dryRun))
    }
}

extension ClusterBindings {
    /// Reads an object, changes it and writes it back (or, for a client dry run,
    /// changes the copy it read), then prints the result as `-o` asks or
    /// `kind.group/name VERB` — what `scale`, `set`, `label` and `annotate` share.
    static func change(_ type: ResourceType, _ name: String, _ inv: Invocation, _ ctx: CommandContext, verb: @escaping () -> String,
                       _ body: (inout APIObject) throws -> Void) throws -> CommandResult {
        let dryRun = try DryRun(inv)
        let printer = try ObjectPrinter(inv)
        let c = try cluster(ctx)
        let ns = inv.flag("namespace") ?? "default"
        let result: APIObject
        if dryRun == .client {
            var o = try api { try c.api.get(type, namespace: ns, name: name, user: user(inv)) }
            try body(&o)
            result = o
        } else {
            result = try api { try c.api.modify(type, namespace: ns, name: name, user: user(inv), dryRun: dryRun == .server, body) }
        }
        return CommandResult(output: printer.print(ManifestEncoder.encode(result).sortedKeys, verb: verb(), dryRun: dryRun))
    }
}
