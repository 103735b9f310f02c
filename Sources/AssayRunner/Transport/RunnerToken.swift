/// An experiment's runner token (`asr_…`): what opens its runner routes. It never appears in
/// a description, a debug description or a `dump`, so logging a value that holds one cannot
/// leak it.
public struct RunnerToken: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The token as it travels in `Authorization: Bearer …`.
    let value: String

    /// Checks that `value` can travel in an HTTP header: 1 to 4096 visible ASCII characters.
    public init(_ value: String) throws(RunnerTokenError) {
        guard !value.isEmpty else { throw .empty }
        guard value.utf8.count <= 4096 else { throw .tooLong }
        guard value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw .invalidCharacters }
        self.value = value
    }

    public var description: String { "<redacted runner token>" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    /// The `Authorization` header's value.
    var authorization: String { "Bearer \(value)" }
}

/// Why a text is not a usable runner token (the messages never quote it).
public enum RunnerTokenError: Error, Sendable, Hashable, CustomStringConvertible {
    case empty
    case tooLong
    case invalidCharacters

    public var description: String {
        switch self {
        case .empty: "is empty"
        case .tooLong: "is longer than 4096 characters"
        case .invalidCharacters: "contains spaces, control or non-ASCII characters"
        }
    }
}
