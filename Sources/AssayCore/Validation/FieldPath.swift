/// A dotted path to a field of the declaration: `parameters.lr.max`, `command[2]`.
struct FieldPath: CustomStringConvertible, Sendable {
    private var text: String

    static let root = FieldPath(text: "")

    func key(_ key: String) -> FieldPath {
        FieldPath(text: text.isEmpty ? key : text + "." + key)
    }

    func index(_ index: Int) -> FieldPath {
        FieldPath(text: text + "[\(index)]")
    }

    var description: String { text }
}
