/// Label, annotation and port rules, with the API server's own messages
/// (staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go for the rules,
/// …/pkg/apis/meta/v1/validation/validation.go `ValidateLabels`, and
/// …/pkg/api/validation/objectmeta.go `ValidateAnnotations`).
extension Validation {
    static let qualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
    static let qualifiedNameErrMsg = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
    static let labelValueFmt = "(" + qualifiedNameFmt + ")?"
    static let labelValueErrMsg = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
    public static let labelValueMaxLength = 63
    static let qualifiedNameMaxLength = 63
    /// `TotalAnnotationSizeLimitB`: keys and values together.
    public static let totalAnnotationSizeLimit = 256 * (1 << 10)

    /// `RegexError`: the message, the examples (each followed by a comma, joined by
    /// " or ", hence the double spaces upstream prints), then the regex.
    static func regexError(_ msg: String, _ fmt: String, _ examples: [String]) -> String {
        msg + " (e.g. " + examples.map { "'\($0)', " }.joined(separator: " or ") + "regex used for validation is '\(fmt)')"
    }

    static func isQualifiedNamePart(_ s: Substring) -> Bool {
        let b = Array(s.utf8)
        guard let first = b.first, let last = b.last else { return false }
        func alnum(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
        return alnum(first) && alnum(last) && b.allSatisfy { alnum($0) || $0 == 45 || $0 == 95 || $0 == 46 }
    }

    /// `IsQualifiedName`: `[prefix/]name`, the prefix a DNS subdomain, the name at most
    /// 63 characters of `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
    public static func qualifiedNameErrors(_ value: String) -> [String] {
        var errs: [String] = []
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        let name: Substring
        switch parts.count {
        case 1:
            name = parts[0]
        case 2:
            let prefix = parts[0]
            name = parts[1]
            if prefix.isEmpty {
                errs.append("prefix part must be non-empty")
            } else if !isDNS1123Subdomain(String(prefix)) {
                errs.append("prefix part " + dns1123Subdomain)
            }
        default:
            return ["a qualified name " + regexError(qualifiedNameErrMsg, qualifiedNameFmt, ["MyName", "my.name", "123-abc"])
                    + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
        }
        if name.isEmpty {
            errs.append("name part must be non-empty")
        } else if name.utf8.count > qualifiedNameMaxLength {
            errs.append("name part must be no more than \(qualifiedNameMaxLength) characters")
        }
        if !isQualifiedNamePart(name) {
            errs.append("name part " + regexError(qualifiedNameErrMsg, qualifiedNameFmt, ["MyName", "my.name", "123-abc"]))
        }
        return errs
    }

    /// `IsValidLabelValue`: empty, or at most 63 characters of the qualified-name form.
    public static func labelValueErrors(_ value: String) -> [String] {
        var errs: [String] = []
        if value.utf8.count > labelValueMaxLength { errs.append("must be no more than \(labelValueMaxLength) characters") }
        if !value.isEmpty && !isQualifiedNamePart(value[...]) {
            errs.append(regexError(labelValueErrMsg, labelValueFmt, ["MyValue", "my_value", "12345"]))
        }
        return errs
    }

    /// `ValidateLabels` and `ValidateAnnotations` for one object's (or template's)
    /// metadata; keys in sorted order so the message is the same every run.
    static func validateLabelsAndAnnotations(labels: [String: String], annotations: [String: String], path: String, _ causes: inout [String]) {
        for k in labels.keys.sorted() {
            for msg in qualifiedNameErrors(k) { causes.append("\(path).labels: Invalid value: \"\(k)\": \(msg)") }
            for msg in labelValueErrors(labels[k]!) { causes.append("\(path).labels: Invalid value: \"\(labels[k]!)\": \(msg)") }
        }
        var total = 0
        for k in annotations.keys.sorted() {
            // Annotation keys are qualified names apart from case.
            for msg in qualifiedNameErrors(k.lowercased()) { causes.append("\(path).annotations: Invalid value: \"\(k)\": \(msg)") }
            total += k.utf8.count + annotations[k]!.utf8.count
        }
        if total > totalAnnotationSizeLimit {
            causes.append("\(path).annotations: Too long: must have at most \(totalAnnotationSizeLimit) bytes")
        }
    }

    /// `validateContainerPorts`: a containerPort is 1–65535 (`IsValidPortNum`).
    static func validatePorts(_ c: Container, path: String, _ causes: inout [String]) {
        for (j, p) in c.ports.enumerated() {
            if p.containerPort == 0 {
                causes.append("\(path).ports[\(j)].containerPort: Required value")
            } else if !(1...65535).contains(p.containerPort) {
                causes.append("\(path).ports[\(j)].containerPort: Invalid value: \(p.containerPort): must be between 1 and 65535, inclusive")
            }
        }
    }

    /// `ValidateResourceQuotaSpec` → `ValidateNonnegativeQuantity` for each hard limit.
    static func validateQuota(_ q: ResourceQuota, _ causes: inout [String]) {
        for k in q.hard.keys.sorted() where q.hard[k]!.milli < 0 {
            causes.append("spec.hard[\(k)]: Invalid value: \"\(q.hard[k]!)\": must be greater than or equal to 0")
        }
    }
}

extension APIObject {
    /// A workload's pod template, validated as the pods made from it will be.
    var podTemplate: PodTemplateSpec? {
        switch self {
        case .deployment(let d): return d.spec.template
        case .replicaSet(let r): return r.spec.template
        case .job(let j): return j.spec.template
        case .cronJob(let c): return c.spec.jobTemplate.template
        case .daemonSet(let d): return d.spec.template
        case .statefulSet(let s): return s.spec.template
        default: return nil
        }
    }

    var podTemplatePath: String {
        if case .cronJob = self { return "spec.jobTemplate.spec.template" }
        return "spec.template"
    }
}
