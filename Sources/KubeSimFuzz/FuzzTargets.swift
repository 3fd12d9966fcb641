import KubeScript
import KubeSimAPI
import KubeSimManifest
import KubeSimShell

/// The fuzz targets: each takes arbitrary bytes and must return without crashing,
/// hanging or leaking, whatever the bytes are. `kubesim-fuzz` runs them under
/// libFuzzer (`scripts/fuzz TARGET`); the tests replay the seeds and every input a
/// fuzzer once crashed on (`Tests/FuzzInputs/TARGET/`).
public enum FuzzTargets {
    public static let names = ["frontend", "manifest", "commands"]

    /// Runs `target` on `data`; false for an unknown target name.
    @discardableResult
    public static func run(_ target: String, _ data: [UInt8]) -> Bool {
        switch target {
        case "frontend": frontEnd(data)
        case "manifest": manifest(data)
        case "commands": commands(data)
        default: return false
        }
        return true
    }

    /// Every registered command, so the parser resolves command words and their flags
    /// as `kubesim check` does. Built once: registering is the slow part.
    static let registry = SessionFactory.makeRegistry()

    /// The language front end: lex, parse and resolve names (a fresh global scope per
    /// input), then render every diagnostic.
    public static func frontEnd(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        let program = Parser.parse(SourceFile(name: "fuzz.kscript", text: text), registry: registry, globals: GlobalTable())
        // Rendering the first few covers it; every one of hundreds costs more than parsing.
        for d in program.diagnostics.prefix(3) { _ = d.rendered(color: true, prefix: "") }
        _ = program.isIncompleteInput
    }

    /// The manifest decoder: YAML/JSON → typed objects → defaults → validation, and
    /// each accepted object written back as YAML.
    public static func manifest(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        guard let decoded = try? Manifest.decode(text, source: "fuzz.yaml") else { return }
        for o in decoded.objects {
            let defaulted = APIServer.withDefaults(o)
            if (try? Validation.validate(defaulted)) != nil {
                _ = ManifestEncoder.yaml(defaulted, forExport: true)
            }
        }
    }

    /// Words a command-layer input may not contain: making another cluster (slow by
    /// design at 10,000 nodes), and touching files.
    static let refusedWords: Set<String> = ["cluster", "include", "export", "-f", "--filename"]

    /// The command layer on a small cluster: a fresh two-node cluster per input, then
    /// the input as a script, with small budgets (steps, events, value size) so an
    /// input that merely runs long is stopped by the simulator's own limits.
    public static func commands(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == ";" || $0 == "(" || $0 == "{" })
        if words.contains(where: { w in refusedWords.contains(String(w)) || w.hasPrefix("-f") || w.hasPrefix("--filename") || w.hasPrefix("/") }) { return }
        let savedLimit = ValueLimits.maxBytes
        ValueLimits.maxBytes = 1 << 20
        defer { ValueLimits.maxBytes = savedLimit }
        let session = SessionFactory.make(seed: 1, maxSteps: 20_000, output: { _ in }, diagnostics: { _ in })
        session.context.maxEvents = 50_000
        _ = session.run("cluster nodes=2\nsettle\n", name: "prelude.kscript")
        _ = session.run(text, name: "fuzz.kscript")
    }
}
