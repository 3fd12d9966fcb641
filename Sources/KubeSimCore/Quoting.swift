/// Double-quoted string text with backslash escapes, shared by the REPL's echo of a
/// string value and JSON output: `"`, `\`, newline, tab and carriage return escaped;
/// other control characters as `\u00XX` (valid JSON, and KubeScript reads `\u{…}`).
public enum Quoting {
    public static func doubleQuoted(_ s: String) -> String {
        var out = "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if ch.value < 0x20 {
                    let hex = String(ch.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(ch)
                }
            }
        }
        return out + "\""
    }
}
