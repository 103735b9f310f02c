/// The values of every declared parameter in one trial, in declaration order.
public struct ParameterSet: Sendable, Hashable {
    /// One declared parameter and the setting it takes.
    public struct Entry: Sendable, Hashable {
        public var name: String
        public var setting: Setting

        public init(name: String, setting: Setting) {
            self.name = name
            self.setting = setting
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) {
        self.entries = entries
    }

    /// Named values as the program sees them: group entries expanded into
    /// their members, in declaration order.
    public var values: [(name: String, value: ParameterValue)] {
        entries.flatMap { entry -> [(name: String, value: ParameterValue)] in
            switch entry.setting {
            case .scalar(let value): [(entry.name, value)]
            case .group(_, let members): members.map { ($0.name, $0.value) }
            }
        }
    }

    /// The value a name (parameter or group member) takes, if any.
    public func value(named name: String) -> ParameterValue? {
        values.first { $0.name == name }?.value
    }

    public subscript(parameter: String) -> Setting? {
        entries.first { $0.name == parameter }?.setting
    }

    /// Every parameter drawn independently (uniform over its points or its (log) range),
    /// in declaration order: the random plan's trials and the searchers' random ones.
    static func sample(_ parameters: [Parameter], using generator: inout SplitMix64) -> ParameterSet {
        ParameterSet(entries: parameters.map { Entry(name: $0.name, setting: $0.domain.sample(using: &generator)) })
    }
}

/// One trial of a sweep plan: its index, which repeat it is, its parameters.
public struct PlannedTrial: Sendable, Hashable {
    public var index: Int
    /// 0-based repeat number (`sweep.repeats`).
    public var repetition: Int
    public var parameters: ParameterSet
}
