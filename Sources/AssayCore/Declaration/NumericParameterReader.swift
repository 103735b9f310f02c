import Foundation
import Yams

/// Decodes `int` and `float` parameters: explicit `values`, a `min`/`max`
/// range stepped by `step` or split into `count` points (linear or log), or a
/// bare range that random sweeps sample.
struct NumericParameterReader {
    let kind: Parameter.Kind
    let fields: Fields
    let path: FieldPath
    let reader: NodeReader

    private var isInt: Bool { kind == .int }

    func parameter(named name: String) -> Parameter? {
        if let valuesNode = fields["values"] {
            return listed(name, valuesNode)
        }
        let minimum = fields["min"].flatMap { number($0, path.key("min")) }
        let maximum = fields["max"].flatMap { number($0, path.key("max")) }
        if fields["min"] == nil { _ = Declaration.missing("min", fields, path, reader) }
        if fields["max"] == nil { _ = Declaration.missing("max", fields, path, reader) }
        let scale = fields["scale"].flatMap { reader.choice($0, path.key("scale"), Domain.Scale.self) } ?? .linear
        let step = fields["step"].flatMap { number($0, path.key("step")) }
        let count = fields["count"].flatMap { reader.int($0, path.key("count")) }
        let defaultValue = fields["default"].flatMap { number($0, path.key("default")) }

        guard let minimum, let maximum else { return nil }
        var ok = true
        func fail(_ key: String, _ message: String) {
            reader.fail(path.key(key), fields[key] ?? nil, message)
            ok = false
        }
        if maximum <= minimum {
            fail("max", "must be greater than min (\(text(maximum)) ≤ \(text(minimum)))")
        } else if !(maximum - minimum).isFinite {
            fail("max", "is too far from min: the range's width is not a finite number")
        }
        if scale == .log, minimum <= 0 {
            fail("min", "must be greater than 0 for scale log (got \(text(minimum)))")
        }
        if fields["step"] != nil, fields["count"] != nil {
            fail("count", "cannot be combined with step: give one of them")
        }
        if let step, step <= 0 {
            fail("step", "must be greater than 0 (got \(text(step)))")
        }
        if step != nil, scale == .log {
            fail("step", "cannot be used with scale log: use count for log-spaced points")
        }
        if let count, count < 1 {
            fail("count", "must be at least 1 (got \(count))")
        }
        if let defaultValue, defaultValue < minimum || defaultValue > maximum {
            fail("default", "must lie between min and max (\(text(defaultValue)) is outside \(text(minimum))…\(text(maximum)))")
        }
        guard ok, fields["step"] == nil || step != nil, fields["count"] == nil || count != nil else { return nil }

        let domain: Domain?
        if let step {
            domain = stepped(minimum, maximum, step)
        } else if let count {
            domain = spaced(minimum, maximum, count, scale)
        } else {
            domain = isInt ? .intRange(min: Int(minimum), max: Int(maximum), scale: scale)
                : .floatRange(min: minimum, max: maximum, scale: scale)
        }
        guard let domain else { return nil }
        return Parameter(name: name, kind: kind, domain: domain, defaultSetting: defaultValue.map(setting))
    }

    private func listed(_ name: String, _ valuesNode: Node) -> Parameter? {
        let conflicting = ["min", "max", "step", "count", "scale"].filter { fields[$0] != nil }
        for key in conflicting {
            reader.fail(path.key(key), fields[key], "cannot be combined with values: give either values or a range")
        }
        guard let items = reader.sequence(valuesNode, path.key("values")) else { return nil }
        guard !items.isEmpty else {
            reader.fail(path.key("values"), valuesNode, "must list at least one value")
            return nil
        }
        var settings: [Setting] = []
        for (index, item) in items.enumerated() {
            guard let value = number(item, path.key("values").index(index)) else { continue }
            if settings.contains(setting(value)) {
                reader.fail(path.key("values").index(index), item, "repeats the value \(text(value))")
                continue
            }
            settings.append(setting(value))
        }
        let defaultSetting = fields["default"].flatMap { number($0, path.key("default")) }.map(setting)
        guard settings.count == items.count, conflicting.isEmpty else { return nil }
        return Parameter(name: name, kind: kind, domain: .list(settings), defaultSetting: defaultSetting)
    }

    private func stepped(_ minimum: Double, _ maximum: Double, _ step: Double) -> Domain? {
        if isInt {
            let (start, step) = (Int(minimum), Int(step))
            return .intSteps(start: start, step: step, count: (Int(maximum) - start) / step + 1)
        }
        let intervals = (maximum - minimum) / step
        guard intervals < 1e15 else {
            reader.fail(path.key("step"), fields["step"], "is too small: it makes more than 10^15 points")
            return nil
        }
        // A hair of tolerance so that 0…1 by 0.1 includes 1.
        let count = Int((intervals * (1 + 1e-9)).rounded(.down)) + 1
        return .floatSteps(start: minimum, step: step, count: count)
    }

    private func spaced(_ minimum: Double, _ maximum: Double, _ count: Int, _ scale: Domain.Scale) -> Domain? {
        guard isInt else { return .floatSpaced(min: minimum, max: maximum, count: count, scale: scale) }
        let (low, high) = (Int(minimum), Int(maximum))
        let available = high - low + 1
        if count > available {
            reader.fail(path.key("count"), fields["count"], "asks for \(count) integers but \(text(minimum))…\(text(maximum)) holds only \(available)")
            return nil
        }
        if scale == .linear { return .intSpaced(min: low, max: high, count: count) }
        guard count <= 100_000 else {
            reader.fail(path.key("count"), fields["count"], "must be at most 100000 for a log-spaced int parameter (got \(count))")
            return nil
        }
        // Log-spaced integers collapse after rounding; keep each once.
        var settings: [Setting] = []
        let points = Domain.floatSpaced(min: minimum, max: maximum, count: count, scale: .log)
        for index in 0..<count {
            let value = Setting.scalar(.int(Int(points.setting(at: index).number!.rounded())))
            if settings.last != value { settings.append(value) }
        }
        return .list(settings)
    }

    /// A number of the parameter's type: ints must be integers.
    /// Int values are held as Double while a range is worked out: beyond 2^53 they would
    /// not round-trip (and ranges near Int's ends would overflow), so they are refused.
    static let intLimit = 1 << 53

    private func number(_ node: Node, _ path: FieldPath) -> Double? {
        guard isInt else { return reader.double(node, path) }
        guard let value = reader.int(node, path) else { return nil }
        guard value.magnitude <= UInt(Self.intLimit) else {  // abs(Int.min) would trap
            reader.fail(path, node, "must be between -\(Self.intLimit) and \(Self.intLimit) (got \(value))")
            return nil
        }
        return Double(value)
    }

    private func setting(_ value: Double) -> Setting {
        isInt ? .scalar(.int(Int(value))) : .scalar(.float(value))
    }

    private func text(_ value: Double) -> String {
        isInt ? String(Int(value)) : ParameterValue.format(value)
    }
}
