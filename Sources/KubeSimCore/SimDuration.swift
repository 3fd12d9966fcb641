/// A span of simulated time, kept as whole nanoseconds so that arithmetic is exact and
/// runs are reproducible (ns-3 keeps time the same way).
///
/// Text form follows Go's `time.Duration.String()` as kubectl and the kubelet print it
/// (`1h30m0s`, `500ms`, `2.5s`), and parsing accepts the Go forms (`1h30m`, `500ms`,
/// `1.5s`, `90s`). Upstream: `time.ParseDuration` / `(Duration).String` in Go's `time`.
public struct SimDuration: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static let zero = SimDuration(nanoseconds: 0)
    public static func nanoseconds(_ n: Int64) -> SimDuration { SimDuration(nanoseconds: n) }
    public static func microseconds(_ n: Int64) -> SimDuration { SimDuration(nanoseconds: n * 1_000) }
    public static func milliseconds(_ n: Int64) -> SimDuration { SimDuration(nanoseconds: n * 1_000_000) }
    public static func seconds(_ n: Int64) -> SimDuration { SimDuration(nanoseconds: n * 1_000_000_000) }
    public static func minutes(_ n: Int64) -> SimDuration { .seconds(n * 60) }
    public static func hours(_ n: Int64) -> SimDuration { .seconds(n * 3600) }

    public var seconds: Double { Double(nanoseconds) / 1e9 }

    public static func < (a: SimDuration, b: SimDuration) -> Bool { a.nanoseconds < b.nanoseconds }
    public static func + (a: SimDuration, b: SimDuration) -> SimDuration { SimDuration(nanoseconds: a.nanoseconds &+ b.nanoseconds) }
    public static func - (a: SimDuration, b: SimDuration) -> SimDuration { SimDuration(nanoseconds: a.nanoseconds &- b.nanoseconds) }

    /// Unit suffixes Go's `time.ParseDuration` accepts, with their length in nanoseconds.
    public static let units: [(String, Int64)] = [
        ("ns", 1), ("us", 1_000), ("µs", 1_000), ("ms", 1_000_000),
        ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000),
    ]

    /// Parses `1h30m`, `500ms`, `1.5s`, `-2s`; nil when the text is not a duration.
    public init?(parsing text: String) {
        var s = Substring(text)
        var negative = false
        if s.first == "-" { negative = true; s = s.dropFirst() } else if s.first == "+" { s = s.dropFirst() }
        if s == "0" { self.nanoseconds = 0; return }
        guard !s.isEmpty else { return nil }
        var total: Double = 0
        var exact: Int64 = 0
        var allExact = true
        while !s.isEmpty {
            let numberPart = s.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !numberPart.isEmpty, let value = Double(numberPart) else { return nil }
            s = s.dropFirst(numberPart.count)
            let unitPart = s.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            guard let unit = SimDuration.units.first(where: { $0.0 == unitPart }) else { return nil }
            s = s.dropFirst(unitPart.count)
            total += value * Double(unit.1)
            if let whole = Int64(numberPart) {
                let (product, overflow) = whole.multipliedReportingOverflow(by: unit.1)
                if overflow { return nil }
                let (sum, overflow2) = exact.addingReportingOverflow(product)
                if overflow2 { return nil }
                exact = sum
            } else {
                allExact = false
            }
        }
        if !allExact && abs(total) > 9.2e18 { return nil }
        let ns = allExact ? exact : Int64(total.rounded())
        self.nanoseconds = negative ? -ns : ns
    }

    /// Go's `Duration.String()`: `72h3m0.5s`, `1.5s`, `100ms`, `0s`.
    public var description: String {
        if nanoseconds == 0 { return "0s" }
        let negative = nanoseconds < 0
        // The magnitude as unsigned, so Int64.min prints too (as Go does).
        let magnitude = nanoseconds.magnitude
        guard magnitude <= UInt64(Int64.max) else {
            return "-2562047h47m16.854775808s"
        }
        var d = Int64(magnitude)
        var out: String
        if d < 1_000_000_000 {
            // Sub-second: ns, µs or ms with a fraction.
            if d < 1_000 { out = "\(d)ns" }
            else if d < 1_000_000 { out = SimDuration.fraction(d, 1_000) + "µs" }
            else { out = SimDuration.fraction(d, 1_000_000) + "ms" }
        } else {
            let hours = d / 3_600_000_000_000
            d -= hours * 3_600_000_000_000
            let minutes = d / 60_000_000_000
            d -= minutes * 60_000_000_000
            out = ""
            if hours > 0 { out += "\(hours)h" }
            if hours > 0 || minutes > 0 { out += "\(minutes)m" }
            out += SimDuration.fraction(d, 1_000_000_000) + "s"
        }
        return negative ? "-" + out : out
    }

    /// `value / unit` printed with the fraction's trailing zeros dropped.
    static func fraction(_ value: Int64, _ unit: Int64) -> String {
        let whole = value / unit
        var rest = value % unit
        if rest == 0 { return "\(whole)" }
        var digits = ""
        var scale = unit / 10
        while rest > 0 && scale > 0 {
            digits.append(Character(String(rest / scale)))
            rest %= scale
            scale /= 10
        }
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }
}
