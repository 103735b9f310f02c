/// A line of a trial's stdout that reports metrics: `@assay {"step": 3, "loss": 0.21}`.
///
/// The JSON object maps metric names to numbers or `null` (not measured at this step);
/// the optional `"step"` key is a non-negative integer.
public enum MetricLine {
    /// What a stdout line turned out to be.
    public enum Parsed: Sendable, Hashable {
        /// An ordinary output line.
        case notMetric
        case metric(MetricPoint)
        /// A line that starts with `@assay` but cannot be read; `reason` says why, naming the key.
        case malformed(reason: String)
    }

    /// The marker that starts a metric line (after optional leading whitespace).
    public static let marker = "@assay"

    /// Reads one stdout line (without its line break). Never traps, whatever the input.
    public static func parse(_ line: String) -> Parsed {
        let trimmed = line.drop(while: \.isWhitespace)
        guard trimmed.hasPrefix(marker) else { return .notMetric }
        let payload = trimmed.dropFirst(marker.count)
        if let first = payload.first, !first.isWhitespace, first != "{" {
            return .notMetric
        }
        guard payload.contains(where: { !$0.isWhitespace }) else {
            return .malformed(reason: "no JSON object after \(marker)")
        }
        let object: FlatJSONObject
        do {
            object = try FlatJSONObject(parsing: payload.drop(while: \.isWhitespace))
        } catch {
            switch error {
            case .syntax(let reason): return .malformed(reason: "invalid JSON: \(reason)")
            case .notAnObject(let found): return .malformed(reason: "expected a JSON object, found \(found.kindDescription)")
            }
        }
        var step: Int?
        var readings: [MetricPoint.Reading] = []
        for (key, value) in object.entries {
            if key == "step" {
                guard case .number(let number) = value, number >= 0, number == number.rounded(),
                      let integer = Int(exactly: number)
                else {
                    return .malformed(reason: "\"step\" must be a non-negative integer, found \(describe(value))")
                }
                step = integer
                continue
            }
            guard !key.isEmpty else { return .malformed(reason: "a metric name is empty") }
            let reading: Double?
            switch value {
            case .number(let number): reading = number
            case .null: reading = nil
            case .string, .bool, .object, .array:
                return .malformed(reason: "value of \"\(key)\" is \(value.kindDescription); metric values must be numbers or null")
            }
            if let index = readings.firstIndex(where: { $0.name == key }) {
                readings[index].value = reading
            } else {
                readings.append(MetricPoint.Reading(name: key, value: reading))
            }
        }
        guard !readings.isEmpty else { return .malformed(reason: "no metric values") }
        return .metric(MetricPoint(step: step, values: readings))
    }

    private static func describe(_ value: FlatJSONObject.Value) -> String {
        guard case .number(let number) = value else { return value.kindDescription }
        if let integer = Int(exactly: number), abs(integer) < 1 << 53 {
            return "\(integer)"
        }
        return "\(number)"
    }
}
