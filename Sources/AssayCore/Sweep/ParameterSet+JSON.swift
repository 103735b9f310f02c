extension ParameterSet {
    /// The values as one JSON object on a line, in declaration order
    /// (`{"lr": 0.01, "opt": "adam"}`), for plans and result exports.
    public var jsonObject: String {
        "{" + values.map { "\(JSONText.quote($0.name)): \(ConfigRenderer.jsonValue($0.value))" }.joined(separator: ", ") + "}"
    }

    /// Reads back a ``jsonObject`` of `parameters`, as a store keeps an adaptive
    /// trial's proposed parameters: each value typed as its parameter is declared
    /// (`1` of a float parameter is `1.0`), group members gathered into their
    /// entry. nil when the object lacks a parameter or holds a value it cannot take.
    public init?(jsonObject text: String, parameters: [Parameter]) {
        guard let object = try? FlatJSONObject(parsing: text) else { return nil }
        var values: [String: FlatJSONObject.Value] = [:]
        for (key, value) in object.entries {
            values[key] = value
        }
        var entries: [Entry] = []
        for parameter in parameters {
            guard let setting = Self.setting(of: parameter, in: values) else { return nil }
            entries.append(Entry(name: parameter.name, setting: setting))
        }
        self.init(entries: entries)
    }

    private static func setting(of parameter: Parameter, in values: [String: FlatJSONObject.Value]) -> Setting? {
        if parameter.kind == .group {
            guard case .list(let settings) = parameter.domain else { return nil }
            return settings.first { setting in
                guard case .group(_, let members) = setting else { return false }
                return members.allSatisfy { member in values[member.name].map { matches(member.value, $0) } ?? false }
            }
        }
        guard let value = values[parameter.name] else { return nil }
        switch (parameter.kind, value) {
        case (.int, .number(let number)):
            return Int(exactly: number).map { .scalar(.int($0)) }
        case (.float, .number(let number)):
            return .scalar(.float(number))
        default:
            guard case .list(let settings) = parameter.domain else { return nil }
            return settings.first { setting in
                if case .scalar(let listed) = setting { matches(listed, value) } else { false }
            }
        }
    }

    private static func matches(_ value: ParameterValue, _ json: FlatJSONObject.Value) -> Bool {
        switch (value, json) {
        case (.string(let a), .string(let b)): a == b
        case (.bool(let a), .bool(let b)): a == b
        case (.int(let a), .number(let b)): Double(a) == b
        case (.float(let a), .number(let b)): a == b
        default: false
        }
    }
}
