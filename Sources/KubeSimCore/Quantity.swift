/// A Kubernetes resource quantity (`250m`, `2`, `512Mi`, `1Gi`, `1.5G`), kept as an
/// exact count of milli-units so CPU (`250m`) and memory (`1Gi`) share one type.
///
/// Canonical text follows `k8s.io/apimachinery/pkg/api/resource/quantity.go`
/// (`CanonicalizeBytes`): a value with a fractional part prints in milli-units
/// (`250m`); otherwise the largest suffix of the original format that divides it
/// exactly (`1Gi`, `1000Mi`, `2k`).
public struct Quantity: Hashable, Comparable, Sendable, CustomStringConvertible {
    public enum Format: Sendable, Hashable { case decimalSI, binarySI }

    public var milli: Int64
    public var format: Format

    public init(milli: Int64, format: Format = .decimalSI) {
        self.milli = milli
        self.format = format
    }

    public init(_ value: Int64, format: Format = .decimalSI) {
        self.init(milli: value * 1000, format: format)
    }

    /// Suffixes and their multipliers (in whole units).
    public static let binarySuffixes: [(String, Int64)] = [
        ("Ki", 1 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30), ("Ti", 1 << 40), ("Pi", 1 << 50),
    ]
    public static let decimalSuffixes: [(String, Int64)] = [
        ("k", 1_000), ("M", 1_000_000), ("G", 1_000_000_000), ("T", 1_000_000_000_000),
        ("P", 1_000_000_000_000_000),
    ]

    /// Parses `250m`, `2`, `0.5`, `1Gi`, `1.5G`; nil when malformed or out of range.
    /// (Exponent forms such as `1e3` are not accepted.)
    public init?(parsing text: String) {
        var s = Substring(text)
        var negative = false
        if s.first == "-" { negative = true; s = s.dropFirst() } else if s.first == "+" { s = s.dropFirst() }
        let number = s.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        guard !number.isEmpty, number.filter({ $0 == "." }).count <= 1, number != "." else { return nil }
        let suffix = String(s.dropFirst(number.count))
        var multiplierMilli: Int64
        var format = Format.decimalSI
        if suffix.isEmpty {
            multiplierMilli = 1000
        } else if suffix == "m" {
            multiplierMilli = 1
        } else if let b = Quantity.binarySuffixes.first(where: { $0.0 == suffix }) {
            multiplierMilli = b.1 * 1000
            format = .binarySI
        } else if let d = Quantity.decimalSuffixes.first(where: { $0.0 == suffix }) {
            multiplierMilli = d.1 * 1000
        } else {
            return nil
        }
        // Exact fixed-point: whole and fractional digits separately.
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard let whole = Int64(parts[0].isEmpty ? "0" : String(parts[0])) else { return nil }
        var (value, overflow) = whole.multipliedReportingOverflow(by: multiplierMilli)
        if overflow { return nil }
        if parts.count == 2, !parts[1].isEmpty {
            var scale = multiplierMilli
            for digit in parts[1] {
                guard let dv = digit.wholeNumberValue else { return nil }
                if scale % 10 != 0 {
                    // Finer than one milli-unit: Kubernetes rounds up.
                    if dv > 0 {
                        let (sum, o) = value.addingReportingOverflow(1)
                        if o { return nil }
                        value = sum
                    }
                    break
                }
                scale /= 10
                let (sum, o) = value.addingReportingOverflow(Int64(dv) * scale)
                if o { return nil }
                value = sum
            }
        }
        self.milli = negative ? -value : value
        self.format = format
    }

    public static func < (a: Quantity, b: Quantity) -> Bool { a.milli < b.milli }
    public static func == (a: Quantity, b: Quantity) -> Bool { a.milli == b.milli }
    public func hash(into hasher: inout Hasher) { hasher.combine(milli) }

    public static func + (a: Quantity, b: Quantity) -> Quantity { Quantity(milli: a.milli + b.milli, format: a.format) }
    public static func - (a: Quantity, b: Quantity) -> Quantity { Quantity(milli: a.milli - b.milli, format: a.format) }

    /// Whole units, rounded up as `Quantity.Value()` does.
    public var value: Int64 { milli >= 0 ? (milli + 999) / 1000 : milli / 1000 }

    public var description: String {
        if milli % 1000 != 0 { return "\(milli)m" }
        let whole = milli / 1000
        if whole == 0 { return "0" }
        // CanonicalizeBytes: binary values strictly between -1024 and 1024 print as
        // decimal ("1k", not "1000"), which avoids rounding and confusion.
        let binary = format == .binarySI && !(whole > -1024 && whole < 1024)
        let suffixes = binary ? Quantity.binarySuffixes : Quantity.decimalSuffixes
        for (name, mult) in suffixes.reversed() where whole % mult == 0 {
            return "\(whole / mult)\(name)"
        }
        return "\(whole)"
    }
}
