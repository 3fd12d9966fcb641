/// Label selectors as kubectl and the API accept them
/// (k8s.io/apimachinery/pkg/labels/selector.go): `app=web`, `app==web`, `tier!=db`,
/// `env in (prod,qa)`, `env notin (dev)`, `key`, `!key`, comma-separated (AND).
public struct LabelSelector: Sendable, Equatable, CustomStringConvertible {
    public enum Requirement: Sendable, Equatable {
        case equals(String, String)
        case notEquals(String, String)
        case isIn(String, [String])
        case notIn(String, [String])
        case exists(String)
        case doesNotExist(String)

        func matches(_ labels: [String: String]) -> Bool {
            switch self {
            case let .equals(k, v): return labels[k] == v
            case let .notEquals(k, v): return labels[k] != v
            case let .isIn(k, vs): return labels[k].map { vs.contains($0) } ?? false
            case let .notIn(k, vs): return labels[k].map { !vs.contains($0) } ?? true
            case let .exists(k): return labels[k] != nil
            case let .doesNotExist(k): return labels[k] == nil
            }
        }

        var text: String {
            switch self {
            case let .equals(k, v): return "\(k)=\(v)"
            case let .notEquals(k, v): return "\(k)!=\(v)"
            case let .isIn(k, vs): return "\(k) in (\(vs.joined(separator: ",")))"
            case let .notIn(k, vs): return "\(k) notin (\(vs.joined(separator: ",")))"
            case let .exists(k): return k
            case let .doesNotExist(k): return "!\(k)"
            }
        }
    }

    public var requirements: [Requirement]

    public init(_ requirements: [Requirement] = []) { self.requirements = requirements }

    /// `matchLabels` as a selector (sorted by key, as upstream does).
    public init(matchLabels: [String: String]) {
        requirements = matchLabels.keys.sorted().map { .equals($0, matchLabels[$0]!) }
    }

    public var isEmpty: Bool { requirements.isEmpty }
    public func matches(_ labels: [String: String]) -> Bool { requirements.allSatisfy { $0.matches(labels) } }
    public var description: String { requirements.map(\.text).joined(separator: ",") }

    /// The `key=value` pairs of an equality-only selector (what `matchLabels` holds).
    public var matchLabels: [String: String] {
        var out: [String: String] = [:]
        for r in requirements { if case let .equals(k, v) = r { out[k] = v } }
        return out
    }

    public struct ParseError: Error, Sendable { public let message: String }

    /// Parses kubectl's `-l` syntax.
    public static func parse(_ text: String) throws -> LabelSelector {
        var reqs: [Requirement] = []
        var s = Substring(text)
        func skipSpaces() { while s.first == " " { s = s.dropFirst() } }
        func readKey() -> String {
            let k = s.prefix { $0.isLetter || $0.isNumber || "-_./".contains($0) }
            s = s.dropFirst(k.count)
            return String(k)
        }
        func fail(_ why: String) -> ParseError { ParseError(message: "unable to parse requirement: \(why)") }
        while true {
            skipSpaces()
            if s.isEmpty { break }
            if s.first == "!" {
                s = s.dropFirst()
                let k = readKey()
                guard !k.isEmpty else { throw fail("found '\(s.first.map(String.init) ?? "")', expected: identifier") }
                reqs.append(.doesNotExist(k))
            } else {
                let k = readKey()
                guard !k.isEmpty else { throw fail("found '\(s.first.map(String.init) ?? "")', expected: identifier") }
                skipSpaces()
                if s.hasPrefix("!=") {
                    s = s.dropFirst(2)
                    reqs.append(.notEquals(k, readValue(&s)))
                } else if s.hasPrefix("==") {
                    s = s.dropFirst(2)
                    reqs.append(.equals(k, readValue(&s)))
                } else if s.hasPrefix("=") {
                    s = s.dropFirst()
                    reqs.append(.equals(k, readValue(&s)))
                } else if s.hasPrefix("in ") || s.hasPrefix("in(") || s.hasPrefix("notin ") || s.hasPrefix("notin(") {
                    let notIn = s.hasPrefix("notin")
                    s = s.dropFirst(notIn ? 5 : 2)
                    skipSpaces()
                    guard s.first == "(" else { throw fail("found '\(s.first.map(String.init) ?? "")', expected: '('") }
                    s = s.dropFirst()
                    guard let close = s.firstIndex(of: ")") else { throw fail("found '', expected: ')'") }
                    let values = s[..<close].split(separator: ",").map { $0.trimmingCharacters() }
                    s = s[s.index(after: close)...]
                    reqs.append(notIn ? .notIn(k, values) : .isIn(k, values))
                } else {
                    reqs.append(.exists(k))
                }
            }
            skipSpaces()
            if s.first == "," { s = s.dropFirst(); continue }
            if !s.isEmpty { throw fail("found '\(s.first!)', expected: ',' or end of string") }
        }
        return LabelSelector(reqs)
    }

    private static func readValue(_ s: inout Substring) -> String {
        while s.first == " " { s = s.dropFirst() }
        let v = s.prefix { $0.isLetter || $0.isNumber || "-_.".contains($0) }
        s = s.dropFirst(v.count)
        return String(v)
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        var t = self
        while t.first == " " { t = t.dropFirst() }
        while t.last == " " { t = t.dropLast() }
        return String(t)
    }
}
