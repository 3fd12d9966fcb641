import Foundation
import Testing
import KubeScript
import KubeSimShell

/// Runs the built `kubesim` binary (it sits beside the test bundle) as a user would.
enum Binary {
    static var path: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = (exe as NSString).deletingLastPathComponent
        // On Linux the test bundle is `<build>/debug/kubesimPackageTests.xctest`.
        if dir.hasSuffix(".xctest") { dir = (dir as NSString).deletingLastPathComponent }
        return dir + "/kubesim"
    }

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs kubesim with `args`, optional stdin text, in `directory`, with NO_COLOR set.
    static func run(_ args: [String], stdin: String? = nil, directory: String? = nil, environment: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        env["KUBESIM_HISTORY"] = NSTemporaryDirectory() + "kubesim-test-history-\(UUID().uuidString)"
        for (k, v) in environment { env[k] = v }
        p.environment = env
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        // Output to files: no pipe can fill up and block the child.
        let base = NSTemporaryDirectory() + "kubesim-run-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: base + ".out", contents: nil)
        FileManager.default.createFile(atPath: base + ".err", contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".out"))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".err"))
        let inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        try p.run()
        if let stdin { inp.fileHandleForWriting.write(stdin.data(using: .utf8)!) }
        try inp.fileHandleForWriting.close()
        p.waitUntilExit()
        try out.close()
        try err.close()
        let outData = FileManager.default.contents(atPath: base + ".out") ?? Data()
        let errData = FileManager.default.contents(atPath: base + ".err") ?? Data()
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// A scratch directory with files, removed at the end of the test.
final class Scratch {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "kubesim-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let full = path + "/" + name
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
        return full
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// The package root (for lessons/ and grammar/).
enum Repo {
    static var root: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }
}

/// A script run in-process, as the cluster tests use it: outcome, output and diagnostics.
typealias ScriptRun = (outcome: Session.Outcome, out: String, err: String)

func runScript(_ script: String) -> ScriptRun {
    var out = "", err = ""
    let s = SessionFactory.make(output: { out += $0 }, diagnostics: { err += $0 + "\n" })
    let o = s.run(script, name: "t.kscript")
    return (o, out, err)
}

/// KubeScript that applies pods pinned to nodes and settles: the first is the client (`a`
/// style: busybox sleeping, container `c`), the others nginx servers (container `web`).
/// The network tests share it, so their veth names, addresses and timings agree.
func placePods(_ pods: [(name: String, node: String)]) -> String {
    let docs = pods.enumerated().map { i, p in
        let container = i == 0 ? "{name: c, image: \"busybox:1.36\", command: [sleep, \"3600\"]}" : "{name: web, image: \"nginx:1.25\"}"
        return "apiVersion: v1\nkind: Pod\nmetadata: {name: \(p.name)}\nspec: {nodeName: \(p.node), containers: [\(container)]}\n"
    }
    return "apply <<EOF\n" + docs.joined(separator: "---\n") + "EOF\nsettle\n"
}
