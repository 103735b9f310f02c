import Yams

extension Declaration {
    /// The declaration text as a server wants it: the same document with its
    /// `artifact` field set to an uploaded artifact's id (keys keep their
    /// order, so the plan's parameter order is unchanged). JSON comes back as YAML.
    public static func submissionText(_ text: String, artifact id: String) throws -> String {
        guard var root = try Yams.compose(yaml: text), case .mapping(var mapping) = root else {
            throw FieldError(path: "", message: "the declaration must be a mapping")
        }
        let key = Node("artifact")
        let value = Node(id, Tag(.str), .doubleQuoted)
        if mapping[key] != nil {
            mapping[key] = value
        } else {
            mapping = Node.Mapping([(key, value)] + Array(mapping), mapping.tag, mapping.style)
        }
        root = .mapping(mapping)
        return try Yams.serialize(node: root)
    }
}
