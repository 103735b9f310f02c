/// One problem in a declaration: where it is and what is wrong.
///
/// `path` is the dotted field path (`parameters.lr.max`, `command[2]`),
/// `line` the 1-based source line when the problem came from a parsed file.
public struct FieldError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var line: Int?

    public init(path: String, message: String, line: Int? = nil) {
        self.path = path
        self.message = message
        self.line = line
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
