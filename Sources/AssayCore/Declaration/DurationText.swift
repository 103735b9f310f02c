import Foundation

/// Durations as people write them: `90`, `90s`, `10m`, `1h30m`, `250ms`.
enum DurationText {
    /// The longest duration read (100 years): longer ones are not durations (and would overflow).
    static let maxSeconds = 100 * 366 * 86_400.0

    /// Parses a duration; a bare number is seconds.
    static func parse(_ text: String) -> Duration? {
        let text = text.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(text) {
            return seconds >= 0 && seconds <= maxSeconds ? .milliseconds(Int64(seconds * 1000)) : nil
        }
        var total: Duration = .zero
        var number = ""
        var unit = ""
        var sawPart = false
        func flush() -> Bool {
            guard let value = Double(number), value >= 0, value <= maxSeconds else { return false }
            let scale: Double
            switch unit {
            case "ms": scale = 0.001
            case "s": scale = 1
            case "m": scale = 60
            case "h": scale = 3600
            case "d": scale = 86_400
            default: return false
            }
            guard value * scale <= maxSeconds, total + .seconds(value * scale) <= .seconds(maxSeconds) else { return false }
            total += .milliseconds(Int64(value * scale * 1000))
            number = ""
            unit = ""
            sawPart = true
            return true
        }
        for character in text {
            if character.isNumber || character == "." {
                if !unit.isEmpty, !flush() { return nil }
                number.append(character)
            } else if character.isLetter {
                guard !number.isEmpty else { return nil }
                unit.append(character)
            } else {
                return nil
            }
        }
        guard !number.isEmpty, flush() || !sawPart else { return nil }
        return sawPart ? total : nil
    }
}
