/// A declared hyperparameter: its name, its kind and the values it can take.
public struct Parameter: Sendable, Hashable {
    /// The declared type of a parameter (`type:` in the declaration).
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case int, float, choice, bool, const, group
    }

    public var name: String
    public var kind: Kind
    public var domain: Domain
    /// The value the parameter sits at while others vary (one-at-a-time).
    public var defaultSetting: Setting?

    public init(name: String, kind: Kind, domain: Domain, defaultSetting: Setting? = nil) {
        self.name = name
        self.kind = kind
        self.domain = domain
        self.defaultSetting = defaultSetting
    }

    /// Whether the sweep varies this parameter at all.
    public var isVaried: Bool {
        if case .list(let values) = domain { return values.count > 1 }
        return true
    }
}

/// The value one declared parameter takes in a trial: a scalar, or one
/// entry of a group (several named values applied together).
public enum Setting: Sendable, Hashable, CustomStringConvertible {
    case scalar(ParameterValue)
    case group(index: Int, members: [GroupMember])

    /// `0.001`, or `h=32, w=32` for a group entry.
    public var description: String {
        switch self {
        case .scalar(let value): value.description
        case .group(_, let members): members.map { "\($0.name)=\($0.value)" }.joined(separator: ", ")
        }
    }

    /// A number to plot this setting at: the value, or the group entry's index.
    public var number: Double? {
        switch self {
        case .scalar(let value): value.number
        case .group(let index, _): Double(index)
        }
    }
}

/// One named value inside a group entry.
public struct GroupMember: Sendable, Hashable {
    public var name: String
    public var value: ParameterValue

    public init(name: String, value: ParameterValue) {
        self.name = name
        self.value = value
    }
}
