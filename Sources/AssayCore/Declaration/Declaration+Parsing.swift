import Yams

extension Declaration {
    /// The top-level keys of a declaration, in documentation order.
    static let fieldNames = [
        "name", "description", "tags", "artifact", "setup", "command", "env", "config",
        "parameters", "sweep", "trial", "result", "objective", "early_stopping", "workers", "resources", "notify", "deadline",
    ]

    /// Parses and validates a declaration written in YAML or JSON.
    ///
    /// Every problem is collected and thrown together, each with its field
    /// path, a sentence saying what is wrong and the line it is on.
    public static func parse(_ text: String) throws(DeclarationError) -> Declaration {
        let root: Node
        do {
            guard let node = try compose(text) else {
                throw DeclarationError([FieldError(path: "", message: "the declaration is empty")])
            }
            root = node
        } catch let error as DeclarationError {
            throw error
        } catch {
            throw DeclarationError([syntaxError(error)])
        }
        let reader = NodeReader()
        let declaration = decode(root, reader)
        guard reader.errors.isEmpty, let declaration else {
            throw DeclarationError(reader.errors.sorted { ($0.line ?? 0) < ($1.line ?? 0) })
        }
        return declaration
    }

    /// The node tree; a text libyaml refuses only for JSON's surrogate-pair
    /// escapes is read again with them joined (a text it reads stays untouched).
    private static func compose(_ text: String) throws -> Node? {
        do {
            return try Yams.compose(yaml: text, NodeReader.resolver)
        } catch let error as YamlError {
            guard case .scanner(_, let problem, _, _) = error, problem.contains("invalid Unicode character escape"),
                  let joined = SurrogateEscapes.joined(text) else { throw error }
            return try Yams.compose(yaml: joined, NodeReader.resolver)
        }
    }

    private static func syntaxError(_ error: any Error) -> FieldError {
        switch error as? YamlError {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
             .composer(_, let problem, let mark, _):
            return FieldError(path: "", message: "not valid YAML or JSON: \(problem) (column \(mark.column))", line: mark.line)
        case .reader(let problem, _, _, _):
            return FieldError(path: "", message: "cannot read the text: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return FieldError(
                path: "", message: "duplicate key \(duplicates.map { "\"\($0)\"" }.joined(separator: ", "))",
                line: context.mark.line)
        default:
            return FieldError(path: "", message: "not valid YAML or JSON: \(error)")
        }
    }

    private static func decode(_ root: Node, _ reader: NodeReader) -> Declaration? {
        let path = FieldPath.root
        guard let fields = reader.fields(root, path, allowed: fieldNames, what: "top-level key") else {
            return nil
        }
        func required(_ key: String) -> Node? {
            if let node = fields[key] { return node }
            reader.errors.append(FieldError(path: key, message: "is required", line: nil))
            return nil
        }

        let name = required("name").flatMap { reader.string($0, path.key("name")) }
        if let name, name.count > 200 {
            reader.fail(path.key("name"), fields["name"], "must be at most 200 characters (got \(name.count))")
        }
        let description = fields["description"].flatMap { reader.string($0, path.key("description"), allowEmpty: true) }
        let tags = fields["tags"].map { decodeTags($0, path.key("tags"), reader) } ?? []
        let artifact = fields["artifact"].flatMap { reader.string($0, path.key("artifact")) } ?? "."
        let setup = fields["setup"].flatMap { reader.stringList($0, path.key("setup")) }
        let command = required("command").flatMap { reader.stringList($0, path.key("command")) }
        let environment = fields["env"].map { decodeEnvironment($0, path.key("env"), reader) } ?? [:]

        let parameters = fields["parameters"].map { decodeParameters($0, path.key("parameters"), reader) } ?? []
        // Names of parameters that failed validation still count as known,
        // so one mistake is not reported twice.
        let declared = fields["parameters"]?.mapping.map { $0.keys.compactMap(\.string) } ?? []
        let sweep = fields["sweep"].map { decodeSweep($0, path.key("sweep"), parameters, declared: declared, reader) }
            ?? Sweep(strategy: .grid, repeats: 1)
        if let sweep {
            checkParameters(parameters, against: sweep.strategy, path.key("parameters"), fields["parameters"], reader)
        }
        let config = fields["config"].flatMap { decodeConfig($0, path.key("config"), parameters, reader) }
        let trial = fields["trial"].map { decodeTrialPolicy($0, path.key("trial"), reader) }
            ?? TrialPolicy(timeout: nil, retries: 0, grace: .seconds(5))
        let result = fields["result"].flatMap { decodeResult($0, path.key("result"), reader) }
        let objective = fields["objective"].flatMap { decodeObjective($0, path.key("objective"), reader) }
        if let sweep, sweep.strategy.isAdaptive, fields["objective"] == nil {
            reader.fail(path.key("objective"), fields["sweep"], "is required by sweep strategy \(sweep.strategy.name) (the searcher ranks trials by it)")
        }
        let earlyStopping = fields["early_stopping"].flatMap { node in
            decodeEarlyStopping(node, path.key("early_stopping"), objective: objective, objectiveGiven: fields["objective"] != nil, reader)
        }
        let workers = fields["workers"].flatMap { node in
            reader.int(node, path.key("workers")).flatMap { value -> Int? in
                guard (1...10_000).contains(value) else {
                    reader.fail(path.key("workers"), node, "must be between 1 and 10000 (got \(value))")
                    return nil
                }
                return value
            }
        } ?? 1
        let resources = fields["resources"].map { decodeResources($0, path.key("resources"), reader) }
            ?? Resources(cpu: nil, memory: nil, gpu: 0)
        let notify = fields["notify"].map { decodeNotify($0, path.key("notify"), reader) } ?? Notify(email: [])
        let deadline = fields["deadline"].flatMap { node -> Duration? in
            guard let value = duration(node, path.key("deadline"), reader) else { return nil }
            guard value >= .seconds(1) else {
                reader.fail(path.key("deadline"), node, "must be at least 1s (leave it out for no deadline)")
                return nil
            }
            return value
        }

        if let command, let commandNode = fields["command"] {
            let names = declared + parameters.flatMap(\.settingNames).filter { !declared.contains($0) }
            checkPlaceholders(in: command, config: config, names: names, path.key("command"), commandNode, reader)
        }

        guard let name, let command, let sweep, let trial, let resources, let notify, reader.errors.isEmpty else {
            return nil
        }
        return Declaration(
            name: name, description: description, tags: tags, artifact: artifact, setup: setup,
            command: command, environment: environment, config: config, parameters: parameters,
            sweep: sweep, trial: trial, result: result, objective: objective, earlyStopping: earlyStopping, workers: workers,
            resources: resources, notify: notify, deadline: deadline)
    }

    private static func decodeTags(_ node: Node, _ path: FieldPath, _ reader: NodeReader) -> [String] {
        guard let tags = reader.stringList(node, path, allowEmptyList: true) else { return [] }
        for (index, tag) in tags.enumerated() where tag.isEmpty || tag.count > 64 || tag.contains(where: \.isNewline) {
            reader.fail(path.index(index), node, "must be 1 to 64 characters on one line")
        }
        return tags
    }

    private static func decodeEnvironment(_ node: Node, _ path: FieldPath, _ reader: NodeReader) -> [String: String] {
        guard let entries = reader.entries(node, path) else { return [:] }
        var environment: [String: String] = [:]
        for (key, value) in entries {
            if !Self.isEnvironmentName(key) {
                reader.fail(path.key(key), value, "is not a valid environment variable name (letters, digits and _, not starting with a digit)")
            } else if key.hasPrefix("ASSAY_") {
                reader.fail(path.key(key), value, "names starting with ASSAY_ are reserved for Assay")
            }
            if let value = reader.parameterValue(value, path.key(key)) {
                environment[key] = value.description
            }
        }
        return environment
    }

    static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else {
            return false
        }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }
}
