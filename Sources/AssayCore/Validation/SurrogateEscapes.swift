/// JSON writes a character outside the Basic Multilingual Plane as a pair of
/// UTF-16 escapes (`"\ud83d\ude00"`, as Python's `json.dumps` does); YAML's
/// `\u` takes one code point, so libyaml refuses a surrogate. A declaration is
/// JSON as often as YAML: such a pair is rewritten to YAML's own 32-bit escape
/// (`\U0001F600`), which means the same character in a double-quoted scalar.
enum SurrogateEscapes {
    /// `text` with every escaped surrogate pair joined, or nil when it has none.
    /// A backslash escaping a backslash (`\\ud83d`) starts no escape.
    static func joined(_ text: String) -> String? {
        let scalars = Array(text.unicodeScalars)
        var output = String.UnicodeScalarView()
        var changed = false
        var index = 0
        while index < scalars.count {
            guard scalars[index] == "\\", index + 1 < scalars.count else {
                output.append(scalars[index])
                index += 1
                continue
            }
            if let high = escapedUnit(scalars, at: index), (0xD800...0xDBFF).contains(high),
               let low = escapedUnit(scalars, at: index + 6), (0xDC00...0xDFFF).contains(low) {
                let value = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                let hex = String(value, radix: 16, uppercase: true)
                output.append(contentsOf: ("\\U" + String(repeating: "0", count: 8 - hex.count) + hex).unicodeScalars)
                changed = true
                index += 12
            } else {  // any other escape: its two characters as they are
                output.append(scalars[index])
                output.append(scalars[index + 1])
                index += 2
            }
        }
        return changed ? String(output) : nil
    }

    /// The code unit of `\uXXXX` starting at `index`.
    private static func escapedUnit(_ scalars: [Unicode.Scalar], at index: Int) -> UInt32? {
        guard index + 6 <= scalars.count, scalars[index] == "\\", scalars[index + 1] == "u" else { return nil }
        var value: UInt32 = 0
        for scalar in scalars[(index + 2)..<(index + 6)] {
            guard let digit = Character(scalar).hexDigitValue else { return nil }
            value = value << 4 | UInt32(digit)
        }
        return value
    }
}
