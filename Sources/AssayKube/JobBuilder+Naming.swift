extension JobBuilder {
    /// Longest DNS-1123 label (a Job's name becomes its pods' `job-name` label).
    static let maxNameLength = 63
    static let namePrefix = "assay-"

    /// Whether `id` can be a label value: 1–63 of `[A-Za-z0-9._-]`, alphanumeric
    /// at both ends. The id is written as the `assay.dev/experiment` label.
    public static func isValidExperimentID(_ id: String) -> Bool {
        guard !id.isEmpty, id.utf8.count <= 63 else { return false }
        let bytes = Array(id.utf8)
        guard bytes.allSatisfy({ isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") })
        else { return false }
        return isAlnum(bytes[0]) && isAlnum(bytes[bytes.count - 1])
    }

    /// `assay-<id>`, lowercased, with every run of characters outside `[a-z0-9]`
    /// made one `-`. When the id had to be changed (case, `_`, `.`) or the name
    /// is too long, a hash of the exact id is appended so that distinct ids
    /// keep distinct names. The experiment's second and later Jobs (after one
    /// finished with work left) end in `-<attempt>`; server ids have a fixed
    /// length, so that suffix cannot make one experiment's name another's.
    public static func jobName(forExperimentID id: String, attempt: Int = 1) throws(KubeBuildError) -> String {
        guard attempt >= 1 else { throw .invalidAttempt(attempt) }
        let base = try baseJobName(forExperimentID: id, maxLength: maxNameLength - (attempt == 1 ? 0 : "-\(attempt)".count))
        return attempt == 1 ? base : "\(base)-\(attempt)"
    }

    private static func baseJobName(forExperimentID id: String, maxLength: Int) throws(KubeBuildError) -> String {
        guard isValidExperimentID(id) else { throw .invalidExperimentID(id) }
        var slug = ""
        for scalar in id.lowercased().unicodeScalars {
            let byte = UInt8(truncatingIfNeeded: scalar.value)
            if scalar.isASCII, isAlnum(byte) {
                slug.unicodeScalars.append(scalar)
            } else if !slug.hasSuffix("-") {
                slug.append("-")
            }
        }
        let plain = namePrefix + slug
        if slug == id, plain.utf8.count <= maxLength { return plain }
        let suffix = "-" + hexHash(id)
        var head = String(plain.prefix(maxLength - suffix.count))
        while head.hasSuffix("-") { head.removeLast() }
        return head + suffix
    }

    /// The Secret holding the runner token of the Job named `jobName`.
    public static func secretName(forJobName jobName: String) -> String {
        jobName + "-token"
    }

    private static func isAlnum(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z"))
            || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
            || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
    }

    /// 8 hex digits of FNV-1a (32-bit): stable across processes, unlike `Hasher`.
    static func hexHash(_ s: String) -> String {
        var h: UInt32 = 0x811C_9DC5
        for b in s.utf8 {
            h ^= UInt32(b)
            h = h &* 0x0100_0193
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }
}
