import Yams

extension Declaration {
    /// The strategies and the `sweep` keys each one reads besides `strategy` and `repeats`.
    static let strategyKeys: [(strategy: String, keys: [String])] = [
        ("grid", []),
        ("one-at-a-time", []),
        ("random", ["samples", "seed"]),
        ("asha", ["max_trials", "seed", "budget", "reduction_factor", "min_budget", "max_budget"]),
        ("tpe", ["max_trials", "seed", "startup_trials", "candidates", "gamma"]),
    ]

    /// The `sweep` section. `parameters` are the valid ones and `declared`
    /// every declared name, so that a budget naming a parameter that failed
    /// validation is not reported twice.
    static func decodeSweep(
        _ node: Node, _ path: FieldPath, _ parameters: [Parameter], declared: [String], _ reader: NodeReader
    ) -> Sweep? {
        var optionalKeys: [String] = []
        for (_, keys) in strategyKeys {
            optionalKeys += keys.filter { !optionalKeys.contains($0) }
        }
        guard let fields = reader.fields(node, path, allowed: ["strategy", "repeats"] + optionalKeys) else { return nil }
        let strategies = strategyKeys.map(\.strategy)
        var strategyName = "grid"
        if let strategyNode = fields["strategy"], let text = reader.string(strategyNode, path.key("strategy")) {
            if strategies.contains(text) {
                strategyName = text
            } else {
                reader.fail(path.key("strategy"), strategyNode, Suggestion.unknown("strategy", text, allowed: strategies))
                return nil
            }
        }
        let used = strategyKeys.first { $0.strategy == strategyName }?.keys ?? []
        for key in optionalKeys where fields[key] != nil && !used.contains(key) {
            let users = strategyKeys.filter { $0.keys.contains(key) }.map(\.strategy)
            let subject = users.count == 1 ? "strategy \(users[0])" : "strategies \(users.dropLast().joined(separator: ", ")) and \(users.last!)"
            reader.fail(path.key(key), fields[key], "is only used by \(subject) (strategy is \(strategyName))")
        }
        let repeats = fields["repeats"].flatMap { bounded($0, path.key("repeats"), 1...10_000, reader) } ?? 1
        let strategy: Sweep.Strategy
        switch strategyName {
        case "random":
            guard let samplesNode = fields["samples"] ?? missing("samples", fields, path, reader),
                  let samples = bounded(samplesNode, path.key("samples"), 1...Int.max, reader) else { return nil }
            strategy = .random(samples: samples, seed: seed(fields, path, reader))
        case "asha":
            guard let settings = decodeASHA(fields, path, parameters, declared: declared, reader) else { return nil }
            strategy = .asha(settings)
        case "tpe":
            guard let settings = decodeTPE(fields, path, reader) else { return nil }
            strategy = .tpe(settings)
        case "grid":
            strategy = .grid
        default:
            strategy = .oneAtATime
        }
        if strategy.isAdaptive, repeats != 1 {
            reader.fail(path.key("repeats"), fields["repeats"], "must be 1 with strategy \(strategyName) (the searcher decides which configurations run again)")
        }
        return Sweep(strategy: strategy, repeats: repeats)
    }

    /// `sweep.seed`, 0 when absent.
    static func seed(_ fields: Fields, _ path: FieldPath, _ reader: NodeReader) -> UInt64 {
        guard let seedNode = fields["seed"], let value = reader.int(seedNode, path.key("seed")) else { return 0 }
        if value < 0 { reader.fail(path.key("seed"), seedNode, "must not be negative (got \(value))") }
        return UInt64(max(0, value))
    }

    static func decodeTrialPolicy(_ node: Node, _ path: FieldPath, _ reader: NodeReader) -> TrialPolicy? {
        guard let fields = reader.fields(node, path, allowed: ["timeout", "retries", "grace"]) else { return nil }
        let timeout = fields["timeout"].flatMap { duration($0, path.key("timeout"), reader) }
        if let timeout, timeout == .zero {
            reader.fail(path.key("timeout"), fields["timeout"], "must be longer than 0 (leave it out for no timeout)")
        }
        let retries = fields["retries"].flatMap { bounded($0, path.key("retries"), 0...100, reader) } ?? 0
        let grace = fields["grace"].flatMap { duration($0, path.key("grace"), reader) } ?? .seconds(5)
        return TrialPolicy(timeout: timeout, retries: retries, grace: grace)
    }

    static func decodeResult(_ node: Node, _ path: FieldPath, _ reader: NodeReader) -> ResultSource? {
        guard let fields = reader.fields(node, path, allowed: ["file", "line", "format"]) else { return nil }
        guard let fileNode = fields["file"] ?? missing("file", fields, path, reader),
              let file = relativePath(fileNode, path.key("file"), reader) else { return nil }
        let line = fields["line"].flatMap { bounded($0, path.key("line"), 1...1_000_000, reader) } ?? 1
        var format: ResultFile.Format?
        if let formatNode = fields["format"] {
            guard let text = reader.string(formatNode, path.key("format")) else { return nil }
            switch text {
            case "csv": format = .csv
            case "json": format = .json
            default:
                reader.fail(path.key("format"), formatNode, Suggestion.unknown("value", text, allowed: ["csv", "json"]))
                return nil
            }
        } else {
            format = ResultFile.Format.infer(fromPath: file)
            if format == nil {
                reader.fail(path.key("format"), fileNode, "is required: the format cannot be told from \"\(file)\" (csv or json)")
            }
        }
        guard let format else { return nil }
        return ResultSource(file: file, format: format, line: line)
    }

    static func decodeObjective(_ node: Node, _ path: FieldPath, _ reader: NodeReader) -> Objective? {
        guard let fields = reader.fields(node, path, allowed: ["metric", "goal"]) else { return nil }
        let metric = (fields["metric"] ?? missing("metric", fields, path, reader)).flatMap { reader.string($0, path.key("metric")) }
        let goal = (fields["goal"] ?? missing("goal", fields, path, reader)).flatMap { reader.choice($0, path.key("goal"), Objective.Goal.self) }
        guard let metric, let goal else { return nil }
        return Objective(metric: metric, goal: goal)
    }

    static func decodeResources(_ node: Node, _ path: FieldPath, _ reader: NodeReader) -> Resources? {
        guard let fields = reader.fields(node, path, allowed: ["cpu", "memory", "gpu"]) else { return nil }
        let cpu = fields["cpu"].flatMap { quantity($0, path.key("cpu"), example: "\"500m\" or \"2\"", reader) }
        let memory = fields["memory"].flatMap { quantity($0, path.key("memory"), example: "\"512Mi\" or \"2Gi\"", reader) }
        let gpu = fields["gpu"].flatMap { bounded($0, path.key("gpu"), 0...64, reader) } ?? 0
        return Resources(cpu: cpu, memory: memory, gpu: gpu)
    }

    static func decodeNotify(_ node: Node, _ path: FieldPath, _ reader: NodeReader) -> Notify? {
        guard let fields = reader.fields(node, path, allowed: ["email"]) else { return nil }
        guard let emailNode = fields["email"] else { return Notify(email: []) }
        let addresses: [String]
        if case .scalar = emailNode, let single = reader.string(emailNode, path.key("email")) {
            addresses = [single]
        } else {
            addresses = reader.stringList(emailNode, path.key("email")) ?? []
        }
        for (index, address) in addresses.enumerated() where !isMailAddress(address) {
            reader.fail(path.key("email").index(index), emailNode, "\"\(address)\" is not an email address")
        }
        return Notify(email: addresses)
    }

    static func decodeConfig(_ node: Node, _ path: FieldPath, _ parameters: [Parameter], _ reader: NodeReader) -> ConfigFile? {
        guard let fields = reader.fields(node, path, allowed: ["file", "format", "section"]) else { return nil }
        let file = fields["file"].flatMap { relativePath($0, path.key("file"), reader) }
        var format: ConfigFile.Format?
        if let formatNode = fields["format"] {
            guard let chosen = reader.choice(formatNode, path.key("format"), ConfigFile.Format.self) else { return nil }
            format = chosen
        } else if let file {
            format = ConfigFile.Format.infer(fromPath: file)
            if format == nil {
                reader.fail(path.key("format"), fields["file"], "is required: the format cannot be told from \"\(file)\" (yaml, json, ini, env or args)")
                return nil
            }
        } else {
            _ = missing("file", fields, path, reader)
            return nil
        }
        guard let format else { return nil }
        if format == .args, fields["file"] != nil {
            reader.fail(path.key("file"), fields["file"], "is not used by format args (the parameters go into the command line)")
        } else if format != .args, file == nil {
            if fields["file"] == nil { _ = missing("file", fields, path, reader) }
            return nil
        }
        if fields["section"] != nil, format != .ini {
            reader.fail(path.key("section"), fields["section"], "is only used by format ini")
        }
        let section = fields["section"].flatMap { reader.string($0, path.key("section")) } ?? "parameters"
        if format == .env {
            for name in parameters.flatMap(\.settingNames) where !isEnvironmentName(name) {
                reader.fail(path.key("format"), fields["format"] ?? fields["file"], "env needs parameter names that are environment variable names; \"\(name)\" is not")
            }
        }
        return ConfigFile(file: format == .args ? nil : file, format: format, section: section)
    }

    // MARK: - Field helpers

    static func bounded(_ node: Node, _ path: FieldPath, _ range: ClosedRange<Int>, _ reader: NodeReader) -> Int? {
        guard let value = reader.int(node, path) else { return nil }
        guard range.contains(value) else {
            let message = range.upperBound == .max
                ? "must be at least \(range.lowerBound) (got \(value))"
                : "must be between \(range.lowerBound) and \(range.upperBound) (got \(value))"
            reader.fail(path, node, message)
            return nil
        }
        return value
    }

    static func duration(_ node: Node, _ path: FieldPath, _ reader: NodeReader) -> Duration? {
        guard case .scalar(let scalar) = node, let duration = DurationText.parse(scalar.string) else {
            reader.fail(path, node, "must be a duration such as 90s, 10m or 1h30m, got \(NodeReader.describe(node))")
            return nil
        }
        return duration
    }

    /// A path inside the trial's folder: relative, without `..`.
    static func relativePath(_ node: Node, _ path: FieldPath, _ reader: NodeReader) -> String? {
        guard let text = reader.string(node, path) else { return nil }
        if text.hasPrefix("/") || text.split(separator: "/").contains("..") {
            reader.fail(path, node, "must be a relative path inside the trial's folder, without \"..\" (got \"\(text)\")")
            return nil
        }
        return text
    }

    static func quantity(_ node: Node, _ path: FieldPath, example: String, _ reader: NodeReader) -> String? {
        guard case .scalar(let scalar) = node, node.tagName != .null else {
            reader.fail(path, node, "must be a Kubernetes quantity such as \(example), got \(NodeReader.describe(node))")
            return nil
        }
        let text = scalar.string
        let suffixes = ["", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
        let digits = text.prefix { $0.isNumber || $0 == "." }
        let suffix = String(text.dropFirst(digits.count))
        guard !digits.isEmpty, Double(digits) != nil, suffixes.contains(suffix) else {
            reader.fail(path, node, "must be a Kubernetes quantity such as \(example), got \"\(text)\"")
            return nil
        }
        return text
    }

    static func isMailAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
            && !text.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "," })
    }
}

extension Parameter {
    /// The names this parameter sets in a trial: its own, or its group's members.
    public var settingNames: [String] {
        if kind == .group, case .list(let settings) = domain, case .group(_, let members)? = settings.first {
            return members.map(\.name)
        }
        return [name]
    }
}

extension ConfigFile.Format {
    /// The format a file name suggests, if any.
    static func infer(fromPath path: String) -> Self? {
        switch path.split(separator: ".").last?.lowercased() {
        case "yaml", "yml": .yaml
        case "json": .json
        case "ini", "cfg", "conf": .ini
        case "env": .env
        default: nil
        }
    }
}
