/// One problem in a declaration: where it is and what is wrong.
///
/// `path` is the dotted field path (`parameters.lr.max`, `command[2]`),
/// `line` the 1-based source line when the problem came from a parsed file.
public struct FieldError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var line: Int?

    /// Control characters and line breaks quoted from the input are escaped
    /// (`"a\nb"`): each problem stays on one line of a terminal or log.
    public init(path: String, message: String, line: Int? = nil) {
        self.path = Self.printable(path)
        self.message = Self.printable(message)
        self.line = line
    }

    /// `text` with control characters (but tab) and line or paragraph separators
    /// written as escapes: `\n`, `\r`, `\0`, `\u{2028}`.
    static func printable(_ text: String) -> String {
        func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar.properties.generalCategory {
            case .control: scalar != "\t"
            case .lineSeparator, .paragraphSeparator: true
            default: false
            }
        }
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var escaped = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else {
                escaped.append(scalar)
                continue
            }
            let replacement = switch scalar {
            case "\n": "\\n"
            case "\r": "\\r"
            case "\0": "\\0"
            default: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            }
            escaped.append(contentsOf: replacement.unicodeScalars)
        }
        return String(escaped)
    }

    /// `parameters.lr.max: must be greater than min (0.1 ≤ 0.5)`
    public var description: String {
        path.isEmpty ? message : "\(path): \(message)"
    }
}

/// Every problem found in a declaration, reported at once.
public struct DeclarationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var errors: [FieldError]

    public init(_ errors: [FieldError]) {
        self.errors = errors
    }

    /// One error per line, prefixed with the source name and line when known
    /// (`assay.yaml:7: parameters.lr.max: ...`).
    public func formatted(source: String? = nil) -> String {
        errors.map { error in
            var prefix = ""
            if let source { prefix = source + ":" }
            if let line = error.line { prefix += "\(line):" }
            return prefix.isEmpty ? error.description : "\(prefix) \(error.description)"
        }.joined(separator: "\n")
    }

    public var description: String { formatted() }
}
