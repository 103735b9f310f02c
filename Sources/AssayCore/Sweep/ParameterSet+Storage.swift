/// A trial's parameters in a form that survives JSON and a database: each
/// parameter's name with its value, a group entry by its index. Trials of a
/// fixed plan need none (their index says it all); an adaptive searcher's
/// proposals are stored this way with their trial and read back against the
/// declaration's parameters, which restore what JSON loses (`3` of a float
/// parameter is `3.0`).
public struct StoredParameters: Sendable, Hashable, Codable {
    public enum Value: Sendable, Hashable, Codable {
        case number(Double)
        case string(String)
        case bool(Bool)
        /// The position of a group entry in its parameter's list.
        case group(Int)

        private enum GroupKey: String, CodingKey { case group }

        public init(from decoder: any Decoder) throws {
            if let keyed = try? decoder.container(keyedBy: GroupKey.self) {
                self = .group(try keyed.decode(Int.self, forKey: .group))
                return
            }
            let single = try decoder.singleValueContainer()
            if let bool = try? single.decode(Bool.self) {
                self = .bool(bool)
            } else if let number = try? single.decode(Double.self) {
                self = .number(number)
            } else {
                self = .string(try single.decode(String.self))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            switch self {
            case .group(let index):
                var keyed = encoder.container(keyedBy: GroupKey.self)
                try keyed.encode(index, forKey: .group)
            case .number(let number):
                var single = encoder.singleValueContainer()
                // Integral values as integers: `{"epochs": 9}`, not `9.0`.
                if let integer = Int(exactly: number) { try single.encode(integer) } else { try single.encode(number) }
            case .string(let text):
                var single = encoder.singleValueContainer()
                try single.encode(text)
            case .bool(let flag):
                var single = encoder.singleValueContainer()
                try single.encode(flag)
            }
        }
    }

    public var values: [String: Value]

    public init(values: [String: Value]) {
        self.values = values
    }

    public init(from decoder: any Decoder) throws {
        values = try decoder.singleValueContainer().decode([String: Value].self)
    }

    public func encode(to encoder: any Encoder) throws {
        var single = encoder.singleValueContainer()
        try single.encode(values)
    }

    public init(_ parameters: ParameterSet) {
        var values: [String: Value] = [:]
        for entry in parameters.entries {
            switch entry.setting {
            case .group(let index, _): values[entry.name] = .group(index)
            case .scalar(.int(let integer)): values[entry.name] = .number(Double(integer))
            case .scalar(.float(let number)): values[entry.name] = .number(number)
            case .scalar(.string(let text)): values[entry.name] = .string(text)
            case .scalar(.bool(let flag)): values[entry.name] = .bool(flag)
            }
        }
        self.values = values
    }

    /// The parameter set for these declared parameters, in their order. Throws if a
    /// parameter is missing or its value does not fit its kind (the declaration changed).
    public func parameterSet(for parameters: [Parameter]) throws(StoredParametersError) -> ParameterSet {
        var entries: [ParameterSet.Entry] = []
        entries.reserveCapacity(parameters.count)
        for parameter in parameters {
            guard let value = values[parameter.name] else { throw .missing(parameter: parameter.name) }
            guard let setting = Self.setting(value, of: parameter) else { throw .mismatch(parameter: parameter.name) }
            entries.append(.init(name: parameter.name, setting: setting))
        }
        return ParameterSet(entries: entries)
    }

    private static func setting(_ value: Value, of parameter: Parameter) -> Setting? {
        switch (parameter.kind, value) {
        case (.group, .group(let index)):
            guard case .list(let settings) = parameter.domain, settings.indices.contains(index) else { return nil }
            return settings[index]
        case (.int, .number(let number)):
            return Int(exactly: number).map { .scalar(.int($0)) }
        case (.float, .number(let number)):
            return .scalar(.float(number))
        case (.bool, .bool(let flag)):
            return .scalar(.bool(flag))
        case (.choice, _), (.const, _):
            // Listed scalars keep their own type: find the one this value stands for.
            guard case .list(let settings) = parameter.domain else { return nil }
            return settings.first { setting in
                switch (setting, value) {
                case (.scalar(.int(let listed)), .number(let number)): Double(listed) == number
                case (.scalar(.float(let listed)), .number(let number)): listed == number
                case (.scalar(.string(let listed)), .string(let text)): listed == text
                case (.scalar(.bool(let listed)), .bool(let flag)): listed == flag
                default: false
                }
            }
        default:
            return nil
        }
    }
}

/// Why stored parameters do not fit the declaration.
public enum StoredParametersError: Error, Sendable, Hashable, CustomStringConvertible {
    case missing(parameter: String)
    case mismatch(parameter: String)

    public var description: String {
        switch self {
        case .missing(let parameter): "the stored trial has no value for parameter \"\(parameter)\""
        case .mismatch(let parameter): "the stored value of parameter \"\(parameter)\" does not fit its declared type"
        }
    }
}

extension PlannedTrial {
    /// A trial whose parameters a searcher proposed (no plan, no repeats).
    public static func proposed(index: Int, parameters: ParameterSet) -> PlannedTrial {
        PlannedTrial(index: index, repetition: 0, parameters: parameters)
    }
}
