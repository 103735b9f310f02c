extension ResultFile {
    static func parseJSON(_ text: String, name: String) throws(Error) -> Metrics {
        guard text.contains(where: { !$0.isWhitespace }) else {
            throw Error(file: name, problem: .empty)
        }
        let object: FlatJSONObject
        do {
            object = try FlatJSONObject(parsing: text)
        } catch {
            switch error {
            case .syntax(let reason): throw Error(file: name, problem: .invalidJSON(reason))
            case .notAnObject(let found): throw Error(file: name, problem: .notAnObject(found: found.kindDescription))
            }
        }
        var metrics = Metrics()
        for (key, value) in object.entries {
            switch value {
            case .number(let number): metrics[key] = .number(number)
            case .string(let string): metrics[key] = .text(string)
            case .bool(let bool): metrics[key] = .text(bool ? "true" : "false")
            case .null: continue
            case .object, .array:
                throw Error(file: name, problem: .nestedValue(key: key, kind: value.kindDescription))
            }
        }
        return metrics
    }
}
