/// One value a trial reported: a number (a metric) or a piece of text (a label such as a checkpoint name).
///
/// Encodes as a plain JSON number or string, never as a tagged object.
public enum ResultValue: Sendable, Hashable {
    case number(Double)
    case text(String)

    /// The value as a number, or `nil` for text.
    public var number: Double? {
        if case .number(let value) = self { value } else { nil }
    }
}

extension ResultValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else {
            self = .text(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let number): try container.encode(number)
        case .text(let text): try container.encode(text)
        }
    }
}
