import Foundation

/// The values one parameter ranges over.
///
/// Discrete domains are indexable without being materialised, so a parameter
/// with a million grid points costs no memory. Continuous ranges have no
/// count and can only be sampled (random sweeps).
public enum Domain: Sendable, Hashable {
    /// Linear or logarithmic spacing.
    public enum Scale: String, Sendable, Hashable, CaseIterable {
        case linear, log
    }

    /// Explicit settings: choices, booleans, constants, groups, listed values.
    case list([Setting])
    /// `start + k * step` for k in 0..<count.
    case intSteps(start: Int, step: Int, count: Int)
    /// `start + k * step` for k in 0..<count, trimmed to 12 significant digits.
    case floatSteps(start: Double, step: Double, count: Int)
    /// `count` points from `min` to `max` inclusive, evenly spaced on `scale`.
    case floatSpaced(min: Double, max: Double, count: Int, scale: Scale)
    /// `count` integers from `min` to `max` inclusive, evenly spaced (linear).
    case intSpaced(min: Int, max: Int, count: Int)
    /// Any integer in `min...max`; random sweeps only.
    case intRange(min: Int, max: Int, scale: Scale)
    /// Any real in `min...max`; random sweeps only.
    case floatRange(min: Double, max: Double, scale: Scale)

    /// Number of points, or nil for a continuous range.
    public var count: Int? {
        switch self {
        case .list(let settings): settings.count
        case .intSteps(_, _, let count), .floatSteps(_, _, let count),
             .floatSpaced(_, _, let count, _), .intSpaced(_, _, let count):
            count
        case .intRange, .floatRange: nil
        }
    }

    /// The setting at `index` (0..<count) of a discrete domain.
    public func setting(at index: Int) -> Setting {
        switch self {
        case .list(let settings):
            return settings[index]
        case .intSteps(let start, let step, _):
            return .scalar(.int(start + index * step))
        case .floatSteps(let start, let step, _):
            return .scalar(.float((start + Double(index) * step).trimmedToSignificantDigits))
        case .floatSpaced(let min, let max, let count, let scale):
            return .scalar(.float(Self.spaced(min, max, count: count, scale: scale, at: index)))
        case .intSpaced(let min, let max, let count):
            let value = Self.spaced(Double(min), Double(max), count: count, scale: .linear, at: index)
            return .scalar(.int(Int(value.rounded())))
        case .intRange, .floatRange:
            preconditionFailure("a continuous range has no indexable points")
        }
    }

    /// Where `setting` sits in a discrete domain, if it is one of its points.
    public func index(of setting: Setting) -> Int? {
        guard let count else { return nil }
        switch (self, setting) {
        case (.list(let settings), _):
            return settings.firstIndex(of: setting)
        case (.intSteps(let start, let step, _), .scalar(.int(let value))):
            let offset = value - start
            guard offset % step == 0 else { return nil }
            let index = offset / step
            return (0..<count).contains(index) ? index : nil
        default:
            guard let target = setting.number else { return nil }
            // Lazy numeric domains are monotonic: binary search for the point.
            var low = 0, high = count - 1
            while low <= high {
                let mid = (low + high) / 2
                let value = self.setting(at: mid).number!
                if Self.nearlyEqual(value, target) { return mid }
                if value < target { low = mid + 1 } else { high = mid - 1 }
            }
            return nil
        }
    }

    /// The smallest and largest number the domain holds; nil when it holds no numbers.
    var numericBounds: ClosedRange<Double>? {
        switch self {
        case .intRange(let min, let max, _): return Double(min)...Double(max)
        case .floatRange(let min, let max, _): return min...max
        case .list(let settings):
            let numbers = settings.compactMap(\.number)
            guard let low = numbers.min(), let high = numbers.max() else { return nil }
            return low...high
        default:
            // Stepped and spaced domains ascend.
            guard let count, count > 0, let low = setting(at: 0).number, let high = setting(at: count - 1).number else { return nil }
            return low...high
        }
    }

    /// A random setting; uniform over the points, or over the (log) range.
    func sample(using random: inout SplitMix64) -> Setting {
        switch self {
        case .intRange(let min, let max, let scale):
            if scale == .log {
                let value = exp(random.nextDouble(in: log(Double(min))...log(Double(max) + 1)))
                return .scalar(.int(Swift.min(max, Swift.max(min, Int(value.rounded(.down))))))
            }
            return .scalar(.int(min + Int(random.next(below: UInt64(max - min) + 1))))
        case .floatRange(let min, let max, let scale):
            let value = scale == .log
                ? exp(random.nextDouble(in: log(min)...log(max)))
                : random.nextDouble(in: min...max)
            return .scalar(.float(value.trimmedToSignificantDigits))
        default:
            return setting(at: Int(random.next(below: UInt64(count!))))
        }
    }

    private static func spaced(_ min: Double, _ max: Double, count: Int, scale: Scale, at index: Int) -> Double {
        if count == 1 { return min }
        if index == count - 1 { return max }
        let fraction = Double(index) / Double(count - 1)
        switch scale {
        case .linear:
            return (min + fraction * (max - min)).trimmedToSignificantDigits
        case .log:
            return exp(log(min) + fraction * (log(max) - log(min))).trimmedToSignificantDigits
        }
    }

    private static func nearlyEqual(_ a: Double, _ b: Double) -> Bool {
        a == b || abs(a - b) <= 1e-9 * Swift.max(abs(a), abs(b))
    }
}
