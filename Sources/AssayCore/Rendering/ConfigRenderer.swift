import Foundation

/// Writes a trial's parameters in the format its program reads.
public enum ConfigRenderer {
    /// The config file's text for the file formats (yaml, json, ini, env).
    public static func render(_ values: [(name: String, value: ParameterValue)], as format: ConfigFile.Format, section: String = "parameters") -> String {
        switch format {
        case .yaml:
            return values.map { "\(yamlKey($0.name)): \(yamlValue($0.value))\n" }.joined()
        case .json:
            let fields = values.map { "  \(JSONText.quote($0.name)): \(jsonValue($0.value))" }
            return fields.isEmpty ? "{}\n" : "{\n" + fields.joined(separator: ",\n") + "\n}\n"
        case .ini:
            return "[\(section)]\n" + values.map { "\($0.name) = \($0.value)\n" }.joined()
        case .env:
            return values.map { "\($0.name)=\(shellQuoted($0.value.description))\n" }.joined()
        case .args:
            return arguments(values).joined(separator: " ") + "\n"
        }
    }

    /// `--name=value` arguments, for format `args`.
    public static func arguments(_ values: [(name: String, value: ParameterValue)]) -> [String] {
        values.map { "--\($0.name)=\($0.value)" }
    }

    public static func jsonValue(_ value: ParameterValue) -> String {
        switch value {
        case .string(let text): JSONText.quote(text)
        default: value.description
        }
    }

    /// Strings are always double-quoted (valid YAML, and no `no`/`1e3`
    /// surprises); floats keep a dot and a signed exponent so that YAML 1.1
    /// readers such as PyYAML read them as floats too.
    static func yamlValue(_ value: ParameterValue) -> String {
        switch value {
        case .string(let text): return JSONText.quote(text)
        case .float(let number):
            let text = ParameterValue.format(number)
            guard let e = text.firstIndex(of: "e") else { return text }
            var mantissa = String(text[..<e])
            var exponent = String(text[text.index(after: e)...])
            if !mantissa.contains(".") { mantissa += ".0" }
            if !exponent.hasPrefix("-"), !exponent.hasPrefix("+") { exponent = "+" + exponent }
            return mantissa + "e" + exponent
        default: return value.description
        }
    }

    static func yamlKey(_ name: String) -> String {
        name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" } ? name : JSONText.quote(name)
    }

    /// Single-quoted for dotenv and POSIX shells, when anything needs quoting.
    static func shellQuoted(_ text: String) -> String {
        let safe = !text.isEmpty && text.allSatisfy { $0.isLetter || $0.isNumber || "._-+/:@%,".contains($0) }
        return safe ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// JSON string literals, written by hand so key order and number text stay ours.
public enum JSONText {
    public static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                result += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
