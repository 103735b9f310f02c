import Yams

extension Declaration {
    /// Names the command template claims for itself.
    static let reservedNames: Set<String> = ["config", "trial", "repeat", "attempt"]

    static func decodeParameters(_ node: Node, _ path: FieldPath, _ reader: NodeReader) -> [Parameter] {
        guard let entries = reader.entries(node, path) else { return [] }
        var parameters: [Parameter] = []
        var claimed: [String: String] = [:]  // name (or group member) → parameter that defines it
        for (name, value) in entries {
            let parameterPath = path.key(name)
            if !isParameterName(name) {
                reader.fail(parameterPath, value, "is not a valid parameter name (letters, digits, _, - and ., starting with a letter or _)")
                continue
            }
            if reservedNames.contains(name) {
                reader.fail(parameterPath, value, "\"\(name)\" is reserved for the command template; choose another name")
                continue
            }
            guard let parameter = decodeParameter(name, value, parameterPath, reader) else { continue }
            var names = [name]
            if case .list(let settings) = parameter.domain, parameter.kind == .group,
               case .group(_, let members)? = settings.first {
                names = members.map(\.name)
            }
            for claimedName in names {
                if let owner = claimed[claimedName] {
                    reader.fail(parameterPath, value, "\"\(claimedName)\" is already set by parameter \"\(owner)\"")
                } else if reservedNames.contains(claimedName) {
                    reader.fail(parameterPath, value, "group member \"\(claimedName)\" is reserved for the command template")
                }
                claimed[claimedName] = name
            }
            parameters.append(parameter)
        }
        return parameters
    }

    static func isParameterName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else {
            return false
        }
        return name.count <= 64 && name.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_-.".unicodeScalars.contains($0))
        }
    }

    private static let keysByKind: [Parameter.Kind: [String]] = [
        .int: ["type", "min", "max", "step", "count", "scale", "values", "default"],
        .float: ["type", "min", "max", "step", "count", "scale", "values", "default"],
        .choice: ["type", "values", "default"],
        .bool: ["type", "default"],
        .const: ["type", "value"],
        .group: ["type", "values", "default"],
    ]

    private static func decodeParameter(_ name: String, _ node: Node, _ path: FieldPath, _ reader: NodeReader) -> Parameter? {
        guard case .mapping = node else {
            reader.fail(path, node, "must be a mapping such as {type: float, min: 0, max: 1, count: 5}, got \(NodeReader.describe(node))")
            return nil
        }
        let kinds = Parameter.Kind.allCases.map(\.rawValue)
        guard let typeNode = node["type"] else {
            reader.fail(path.key("type"), node, "is required (one of \(kinds.joined(separator: ", ")))")
            return nil
        }
        guard let kind = reader.choice(typeNode, path.key("type"), Parameter.Kind.self) else { return nil }
        guard let fields = reader.fields(node, path, allowed: keysByKind[kind]!, what: "key for a \(kind.rawValue) parameter") else {
            return nil
        }
        switch kind {
        case .int, .float:
            return NumericParameterReader(kind: kind, fields: fields, path: path, reader: reader)
                .parameter(named: name)
        case .choice:
            guard let valuesNode = fields["values"] ?? missing("values", fields, path, reader),
                  let values = scalarList(valuesNode, path.key("values"), reader) else { return nil }
            let settings = values.map(Setting.scalar)
            var defaultSetting: Setting?
            if let defaultNode = fields["default"], let value = reader.parameterValue(defaultNode, path.key("default")) {
                if settings.contains(.scalar(value)) {
                    defaultSetting = .scalar(value)
                } else {
                    reader.fail(path.key("default"), defaultNode, "must be one of the values (\(values.map(\.description).joined(separator: ", ")))")
                }
            }
            return Parameter(name: name, kind: .choice, domain: .list(settings), defaultSetting: defaultSetting)
        case .bool:
            let defaultSetting = fields["default"].flatMap { reader.bool($0, path.key("default")) }.map { Setting.scalar(.bool($0)) }
            return Parameter(name: name, kind: .bool, domain: .list([.scalar(.bool(false)), .scalar(.bool(true))]), defaultSetting: defaultSetting)
        case .const:
            guard let valueNode = fields["value"] ?? missing("value", fields, path, reader),
                  let value = reader.parameterValue(valueNode, path.key("value")) else { return nil }
            return Parameter(name: name, kind: .const, domain: .list([.scalar(value)]), defaultSetting: .scalar(value))
        case .group:
            return decodeGroup(name, fields, path, reader)
        }
    }

    static func missing(_ key: String, _ fields: Fields, _ path: FieldPath, _ reader: NodeReader) -> Node? {
        reader.errors.append(FieldError(path: path.key(key).description, message: "is required", line: fields.mark?.line))
        return nil
    }

    /// A non-empty list of distinct scalar values.
    static func scalarList(_ node: Node, _ path: FieldPath, _ reader: NodeReader) -> [ParameterValue]? {
        guard let items = reader.sequence(node, path) else { return nil }
        guard !items.isEmpty else {
            reader.fail(path, node, "must list at least one value")
            return nil
        }
        var values: [ParameterValue] = []
        for (index, item) in items.enumerated() {
            guard let value = reader.parameterValue(item, path.index(index)) else { continue }
            if values.contains(value) {
                reader.fail(path.index(index), item, "repeats the value \(value)")
            }
            values.append(value)
        }
        return values.count == items.count ? values : nil
    }

    private static func decodeGroup(_ name: String, _ fields: Fields, _ path: FieldPath, _ reader: NodeReader) -> Parameter? {
        guard let valuesNode = fields["values"] ?? missing("values", fields, path, reader),
              let items = reader.sequence(valuesNode, path.key("values")) else { return nil }
        guard !items.isEmpty else {
            reader.fail(path.key("values"), valuesNode, "must list at least one group of values")
            return nil
        }
        var entries: [[GroupMember]] = []
        for (index, item) in items.enumerated() {
            let itemPath = path.key("values").index(index)
            guard var members = groupMembers(item, itemPath, reader) else { continue }
            if let first = entries.first {
                // The same keys in any order: kept in the order of values[0].
                guard Set(first.map(\.name)) == Set(members.map(\.name)), first.count == members.count else {
                    reader.fail(itemPath, item, "must set the same keys as values[0] (\(first.map(\.name).joined(separator: ", ")))")
                    continue
                }
                members = first.map { wanted in members.first { $0.name == wanted.name }! }
            }
            if entries.contains(members) {
                reader.fail(itemPath, item, "repeats an earlier entry")
                continue
            }
            entries.append(members)
        }
        guard entries.count == items.count else { return nil }
        let settings = entries.enumerated().map { Setting.group(index: $0.offset, members: $0.element) }
        var defaultSetting: Setting?
        if let defaultNode = fields["default"], let members = groupMembers(defaultNode, path.key("default"), reader) {
            if let index = entries.firstIndex(of: members) {
                defaultSetting = settings[index]
            } else {
                reader.fail(path.key("default"), defaultNode, "must be one of the listed values")
            }
        }
        return Parameter(name: name, kind: .group, domain: .list(settings), defaultSetting: defaultSetting)
    }

    private static func groupMembers(_ node: Node, _ path: FieldPath, _ reader: NodeReader) -> [GroupMember]? {
        guard let entries = reader.entries(node, path) else { return nil }
        guard !entries.isEmpty else {
            reader.fail(path, node, "must set at least one value")
            return nil
        }
        var members: [GroupMember] = []
        for (key, value) in entries {
            guard isParameterName(key) else {
                reader.fail(path.key(key), value, "is not a valid parameter name")
                continue
            }
            if let value = reader.parameterValue(value, path.key(key)) {
                members.append(GroupMember(name: key, value: value))
            }
        }
        return members.count == entries.count ? members : nil
    }

    /// Strategy-dependent rules: grids need countable domains, one-at-a-time
    /// needs a default for everything it holds still; sampling strategies take any domain.
    static func checkParameters(
        _ parameters: [Parameter], against strategy: Sweep.Strategy, _ path: FieldPath, _ node: Node?, _ reader: NodeReader
    ) {
        for parameter in parameters {
            let parameterNode = node?[parameter.name]
            switch strategy {
            case .random, .asha, .tpe:
                break
            case .grid, .oneAtATime:
                if parameter.domain.count == nil {
                    reader.fail(
                        path.key(parameter.name), parameterNode,
                        "needs step, count or values: a \(strategy.name) sweep cannot enumerate a continuous range (strategies random, asha and tpe sample one)")
                }
            }
            if case .oneAtATime = strategy, parameter.defaultSetting == nil {
                reader.fail(path.key(parameter.name).key("default"), parameterNode, "is required by sweep strategy one-at-a-time (the value it sits at while others vary)")
            }
        }
    }
}
