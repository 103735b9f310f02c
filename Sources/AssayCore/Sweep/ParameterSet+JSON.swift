extension ParameterSet {
    /// The values as one JSON object on a line, in declaration order
    /// (`{"lr": 0.01, "opt": "adam"}`), for plans and result exports.
    public var jsonObject: String {
        "{" + values.map { "\(JSONText.quote($0.name)): \(ConfigRenderer.jsonValue($0.value))" }.joined(separator: ", ") + "}"
    }
}
