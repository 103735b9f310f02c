import Foundation

/// One scalar value a parameter takes in a trial.
public enum ParameterValue: Sendable, Hashable, CustomStringConvertible {
    case int(Int)
    case float(Double)
    case string(String)
    case bool(Bool)

    /// The value as a number, for plotting and sorting (`true` is 1).
    public var number: Double? {
        switch self {
        case .int(let value): Double(value)
        case .float(let value): value
        case .bool(let value): value ? 1 : 0
        case .string: nil
        }
    }

    /// The text written into config files, commands and tables.
    public var description: String {
        switch self {
        case .int(let value): String(value)
        case .float(let value): Self.format(value)
        case .string(let value): value
        case .bool(let value): value ? "true" : "false"
        }
    }

    /// Shortest round-tripping text, with a decimal point so that readers
    /// of YAML or JSON configs see a float (`1.0`, `0.001`, `1e-05`).
    static func format(_ value: Double) -> String {
        let text = "\(value)"
        if text.contains(".") || text.contains("e") || text.contains("n") { return text }
        return text + ".0"
    }
}

extension Double {
    /// Rounds to 12 significant digits, so that grid points such as
    /// `0.1 + 2 * 0.1` read `0.3` rather than `0.30000000000000004`.
    var trimmedToSignificantDigits: Double {
        guard isFinite, self != 0 else { return self }
        return Double(String(format: "%.12g", self)) ?? self
    }
}
