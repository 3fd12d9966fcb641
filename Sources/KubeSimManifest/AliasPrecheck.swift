import CYaml

/// Counts what a YAML stream expands to before anything composes it. Yams composes a
/// document as shared nodes, but checks each mapping for duplicate keys by hashing the
/// keys, and hashing a key that is a collection of aliases walks every expanded copy:
/// `[*a7, *a7]: x` after eight levels of `&a [*a, …]` is 9^8 nodes, hashed before
/// YAMLConverter's count could stop it. So libyaml's event stream is read once first,
/// each anchor's expanded size computed from its events (an alias adds its anchor's
/// size, without expanding it), and go-yaml's rule (decode.go: aliases may make up at
/// most `allowedAliasRatio` of the decoded nodes) applied in document order, as
/// go-yaml's decoder counts while it walks.
enum AliasPrecheck {
    /// Sizes saturate here rather than overflow (9^20 would).
    static let cap = 1 << 50

    static func add(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow || sum > cap ? cap : sum
    }

    static func name(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        p.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
    }

    /// Throws when a document would decode to an excessive share of aliased nodes. A
    /// stream libyaml cannot parse is left for Yams to report in its own words.
    static func check(_ text: String) throws {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        try bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            /// Each anchor's expanded size.
            var anchors: [String: Int] = [:]
            /// Open collections: their size so far and their own anchor.
            var open: [(size: Int, anchor: String?)] = []
            var decoded = 0, aliased = 0
            func node(size: Int, viaAlias: Bool) throws {
                if var top = open.popLast() { top.size = add(top.size, size); open.append(top) }
                decoded = add(decoded, size)
                if viaAlias { aliased = add(aliased, size) }
                if aliased > 100 && decoded > 1000 && Double(aliased) / Double(decoded) > YAMLConverter.allowedAliasRatio(decoded) {
                    throw YAMLConverter.ExcessiveAliasing()
                }
            }
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return }
                defer { yaml_event_delete(&event) }
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return
                case YAML_DOCUMENT_START_EVENT:
                    anchors = [:]; open = []; decoded = 0; aliased = 0
                case YAML_SCALAR_EVENT:
                    if let a = name(event.data.scalar.anchor) { anchors[a] = 1 }
                    try node(size: 1, viaAlias: false)
                case YAML_ALIAS_EVENT:
                    // An undefined alias is Yams' error to report.
                    try node(size: name(event.data.alias.anchor).flatMap { anchors[$0] } ?? 1, viaAlias: true)
                case YAML_SEQUENCE_START_EVENT:
                    open.append((1, name(event.data.sequence_start.anchor)))
                case YAML_MAPPING_START_EVENT:
                    open.append((1, name(event.data.mapping_start.anchor)))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    guard let done = open.popLast() else { return }
                    if let a = done.anchor { anchors[a] = done.size }
                    // The collection's own node; its children were counted as they came.
                    if var top = open.popLast() { top.size = add(top.size, done.size); open.append(top) }
                    decoded = add(decoded, 1)
                default:
                    break
                }
            }
        }
    }
}
