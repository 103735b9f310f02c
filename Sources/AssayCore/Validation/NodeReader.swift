import Foundation
import Yams

/// Reads typed values out of a YAML node tree, collecting every problem with
/// its field path and line instead of stopping at the first.
final class NodeReader {
    var errors: [FieldError] = []

    /// YAML 1.2 core scalars: `yes`, `no`, `on`, `off` stay strings (the
    /// "Norway problem"), dates stay strings, `0755` is decimal.
    static let resolver: Resolver = {
        // The patterns are constants; a failure here is a programming error.
        do {
            return try Resolver.basic
                .appending(.bool, "^(?:true|True|TRUE|false|False|FALSE)$")
                .appending(.int, "^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
                .appending(.float, #"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"#)
                .appending(.null, "^(?:~|null|Null|NULL|)$")
        } catch {
            fatalError("invalid YAML resolver pattern: \(error)")
        }
    }()

    func fail(_ path: FieldPath, _ node: Node?, _ message: String) {
        errors.append(FieldError(path: path.description, message: message, line: node?.mark?.line))
    }

    /// A mapping's fields, with unknown keys reported (with a "did you mean").
    func fields(_ node: Node, _ path: FieldPath, allowed: [String], what: String = "field") -> Fields? {
        guard case .mapping(let mapping) = node else {
            fail(path, node, "must be a mapping, got \(Self.describe(node))")
            return nil
        }
        var fields = Fields(mark: node.mark)
        for (keyNode, value) in mapping {
            guard let key = keyNode.string, keyNode.scalar != nil else {
                fail(path, keyNode, "keys must be strings, got \(Self.describe(keyNode))")
                continue
            }
            if allowed.contains(key) {
                fields.entries.append((key, value))
            } else {
                fail(path.key(key), keyNode, Suggestion.unknown(what, key, allowed: allowed))
            }
        }
        return fields
    }

    /// A mapping's entries in declaration order, keys checked to be strings.
    func entries(_ node: Node, _ path: FieldPath) -> [(key: String, value: Node)]? {
        guard case .mapping(let mapping) = node else {
            fail(path, node, "must be a mapping, got \(Self.describe(node))")
            return nil
        }
        var result: [(key: String, value: Node)] = []
        for (keyNode, value) in mapping {
            guard keyNode.scalar != nil, let key = keyNode.string else {
                fail(path, keyNode, "keys must be strings, got \(Self.describe(keyNode))")
                continue
            }
            result.append((key, value))
        }
        return result
    }

    func string(_ node: Node, _ path: FieldPath, allowEmpty: Bool = false) -> String? {
        guard case .scalar(let scalar) = node, node.tagName != .null else {
            fail(path, node, "must be a string, got \(Self.describe(node))")
            return nil
        }
        if !allowEmpty, scalar.string.trimmingCharacters(in: .whitespaces).isEmpty {
            fail(path, node, "must not be empty")
            return nil
        }
        if scalar.string.contains("\0") {
            fail(path, node, "must not contain NUL characters")
            return nil
        }
        return scalar.string
    }

    func int(_ node: Node, _ path: FieldPath) -> Int? {
        if let value = Self.intValue(node) { return value }
        fail(path, node, "must be an integer, got \(Self.describe(node))")
        return nil
    }

    /// A finite number; integers are accepted where floats are expected.
    func double(_ node: Node, _ path: FieldPath) -> Double? {
        if let value = Self.doubleValue(node) {
            if value.isFinite { return value }
            fail(path, node, "must be a finite number, got \(node.string ?? "")")
            return nil
        }
        fail(path, node, "must be a number, got \(Self.describe(node))")
        return nil
    }

    func bool(_ node: Node, _ path: FieldPath) -> Bool? {
        if node.tagName == .bool, let value = node.bool { return value }
        fail(path, node, "must be true or false, got \(Self.describe(node))")
        return nil
    }

    func sequence(_ node: Node, _ path: FieldPath) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            fail(path, node, "must be a list, got \(Self.describe(node))")
            return nil
        }
        return Array(sequence)
    }

    /// A list of strings; scalars such as `2` or `true` are taken as their text
    /// (argv elements and tags are text, whatever they look like).
    func stringList(_ node: Node, _ path: FieldPath, allowEmptyList: Bool = false) -> [String]? {
        guard let items = sequence(node, path) else { return nil }
        if items.isEmpty, !allowEmptyList {
            fail(path, node, "must not be an empty list")
            return nil
        }
        var result: [String] = []
        var ok = true
        for (index, item) in items.enumerated() {
            guard case .scalar(let scalar) = item, item.tagName != .null else {
                fail(path.index(index), item, "must be a string, got \(Self.describe(item))")
                ok = false
                continue
            }
            if scalar.string.contains("\0") {  // no argv element, tag or address can hold one
                fail(path.index(index), item, "must not contain NUL characters")
                ok = false
                continue
            }
            result.append(scalar.string)
        }
        return ok ? result : nil
    }

    /// One of a fixed set of words.
    func choice<T: RawRepresentable & CaseIterable>(_ node: Node, _ path: FieldPath, _: T.Type) -> T? where T.RawValue == String {
        guard let text = string(node, path) else { return nil }
        if let value = T(rawValue: text) { return value }
        fail(path, node, Suggestion.unknown("value", text, allowed: T.allCases.map(\.rawValue)))
        return nil
    }

    /// A scalar parameter value, typed as YAML resolved it.
    func parameterValue(_ node: Node, _ path: FieldPath) -> ParameterValue? {
        guard case .scalar(let scalar) = node else {
            fail(path, node, "must be a single value (string, number or boolean), got \(Self.describe(node))")
            return nil
        }
        switch node.tagName {
        case .int: return Self.intValue(node).map(ParameterValue.int) ?? .string(scalar.string)
        case .float: return double(node, path).map(ParameterValue.float)
        case .bool: return node.bool.map(ParameterValue.bool)
        case .null:
            fail(path, node, "must be a value, got null")
            return nil
        default:
            // Values reach argv, the environment and config files, none of which can hold a NUL.
            if scalar.string.contains("\0") {
                fail(path, node, "must not contain NUL characters")
                return nil
            }
            return .string(scalar.string)
        }
    }

    static func intValue(_ node: Node) -> Int? {
        guard node.tagName == .int, let text = node.scalar?.string else { return nil }
        if text.hasPrefix("0x") { return Int(text.dropFirst(2), radix: 16) }
        if text.hasPrefix("0o") { return Int(text.dropFirst(2), radix: 8) }
        return Int(text.hasPrefix("+") ? String(text.dropFirst()) : text)
    }

    static func doubleValue(_ node: Node) -> Double? {
        if let int = intValue(node) { return Double(int) }
        guard node.tagName == .float, let text = node.scalar?.string else { return nil }
        switch text.lowercased() {
        case ".inf", "+.inf": return .infinity
        case "-.inf": return -.infinity
        case ".nan": return .nan
        default: return Double(text)
        }
    }

    /// `a mapping`, `a list`, `the string "abc"`, `the integer 3`…
    static func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            switch node.tagName {
            case .null: return "null"
            case .int: return "the integer \(scalar.string)"
            case .float: return "the number \(scalar.string)"
            case .bool: return "the boolean \(scalar.string)"
            default:
                let text = scalar.string.count > 40 ? String(scalar.string.prefix(40)) + "…" : scalar.string
                return "the string \"\(text)\""
            }
        }
    }
}

/// The known fields of one mapping, in declaration order.
struct Fields {
    var mark: Mark?
    var entries: [(key: String, value: Node)] = []

    subscript(key: String) -> Node? {
        entries.first { $0.key == key }?.value
    }
}

extension Node {
    /// The resolved tag's name (`Tag.name` itself is not public in Yams).
    var tagName: Tag.Name { Tag.Name(rawValue: tag.description) }
}
