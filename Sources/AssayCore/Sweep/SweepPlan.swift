/// The trials of a sweep, computed on demand.
///
/// `count` is known without enumerating the space and `plan[i]` costs
/// O(number of parameters), so a 10^12-point grid is described and indexed in
/// constant memory. Repeats are the outermost loop: the whole space is run
/// once before any point is repeated.
///
/// An adaptive strategy (``Sweep/Strategy/isAdaptive``) plans only the number
/// of trials, `max_trials`: a ``Searcher`` proposes each trial's parameters
/// from the results so far, and they are stored with the trial.
public struct SweepPlan: RandomAccessCollection, Sendable {
    /// The default cap on the number of trials (`ASSAY_MAX_TRIALS`, `--max-trials`).
    public static let defaultMaxTrials = 1_000_000

    public let parameters: [Parameter]
    public let strategy: Sweep.Strategy
    public let repeats: Int
    /// Distinct points in one repeat.
    public let pointCount: Int
    public let count: Int
    /// Whether a ``Searcher`` proposes the trials' parameters (asha, tpe):
    /// the plan then knows only how many trials there are.
    public var isAdaptive: Bool { strategy.isAdaptive }

    private let layout: Layout

    private enum Layout: Sendable {
        /// Mixed radix: `strides[p]` is the product of the sizes after p.
        case grid(sizes: [Int], strides: [Int])
        /// `blockStarts[p]` is the first point varying parameter p; `skipped[p]`
        /// the domain index of its default (not visited twice).
        case oneAtATime(blockStarts: [Int], skipped: [Int?], defaults: [Setting])
        case random(seed: UInt64)
        case adaptive
    }

    /// A plan for a validated declaration.
    public init(_ declaration: Declaration, maxTrials: Int? = SweepPlan.defaultMaxTrials) throws(PlanError) {
        try self.init(parameters: declaration.parameters, sweep: declaration.sweep, maxTrials: maxTrials)
    }

    public init(parameters: [Parameter], sweep: Sweep, maxTrials: Int? = SweepPlan.defaultMaxTrials) throws(PlanError) {
        self.parameters = parameters
        self.strategy = sweep.strategy
        self.repeats = sweep.repeats
        var points = 1
        switch sweep.strategy {
        case .grid:
            let sizes = try parameters.map { parameter throws(PlanError) in
                guard let size = parameter.domain.count else { throw .notEnumerable(parameter: parameter.name) }
                return size
            }
            var strides = [Int](repeating: 1, count: sizes.count)
            for index in sizes.indices.reversed() {
                strides[index] = points
                let (product, overflow) = points.multipliedReportingOverflow(by: sizes[index])
                if overflow { throw .tooManyTrials(count: nil, limit: maxTrials) }
                points = product
            }
            layout = .grid(sizes: sizes, strides: strides)
        case .oneAtATime:
            var blockStarts: [Int] = [], skipped: [Int?] = [], defaults: [Setting] = []
            for parameter in parameters {
                guard let size = parameter.domain.count else { throw .notEnumerable(parameter: parameter.name) }
                guard let defaultSetting = parameter.defaultSetting else { throw .missingDefault(parameter: parameter.name) }
                let defaultIndex = parameter.domain.index(of: defaultSetting)
                blockStarts.append(points)
                skipped.append(defaultIndex)
                defaults.append(defaultSetting)
                let (sum, overflow) = points.addingReportingOverflow(size - (defaultIndex == nil ? 0 : 1))
                if overflow { throw .tooManyTrials(count: nil, limit: maxTrials) }
                points = sum
            }
            layout = .oneAtATime(blockStarts: blockStarts, skipped: skipped, defaults: defaults)
        case .random(let samples, let seed):
            points = samples
            layout = .random(seed: seed)
        case .asha(let settings):
            points = settings.maxTrials
            layout = .adaptive
        case .tpe(let settings):
            points = settings.maxTrials
            layout = .adaptive
        }
        pointCount = points
        let (total, overflow) = points.multipliedReportingOverflow(by: sweep.repeats)
        if overflow { throw .tooManyTrials(count: nil, limit: maxTrials) }
        if let maxTrials, total > maxTrials { throw .tooManyTrials(count: total, limit: maxTrials) }
        count = total
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    /// Trial `index` of the plan. An adaptive plan has no planned parameters:
    /// read the ones stored with the trial (see ``parameters(forTrial:)``).
    public subscript(index: Int) -> PlannedTrial {
        precondition(indices.contains(index), "trial index \(index) is outside 0..<\(count)")
        precondition(
            !isAdaptive,
            "trial \(index) of a \(strategy.name) sweep has no planned parameters: its searcher proposes them, read the ones stored with the trial")
        let point = index % pointCount
        return PlannedTrial(index: index, repetition: index / pointCount, parameters: parameters(atPoint: point))
    }

    /// The planned parameters of trial `index`, or nil for an adaptive plan.
    public func parameters(forTrial index: Int) -> ParameterSet? {
        precondition(indices.contains(index), "trial index \(index) is outside 0..<\(count)")
        return isAdaptive ? nil : parameters(atPoint: index % pointCount)
    }

    private func parameters(atPoint point: Int) -> ParameterSet {
        var entries: [ParameterSet.Entry] = []
        entries.reserveCapacity(parameters.count)
        switch layout {
        case .grid(let sizes, let strides):
            for (offset, parameter) in parameters.enumerated() {
                let position = (point / strides[offset]) % sizes[offset]
                entries.append(.init(name: parameter.name, setting: parameter.domain.setting(at: position)))
            }
        case .oneAtATime(let blockStarts, let skipped, let defaults):
            // Point 0 is all defaults; then one block per parameter, in order.
            let varied = point == 0 ? nil : blockStarts.lastIndex { $0 <= point }
            for (offset, parameter) in parameters.enumerated() {
                var setting = defaults[offset]
                if offset == varied {
                    var position = point - blockStarts[offset]
                    if let skip = skipped[offset], position >= skip { position += 1 }
                    setting = parameter.domain.setting(at: position)
                }
                entries.append(.init(name: parameter.name, setting: setting))
            }
        case .random(let seed):
            var generator = SplitMix64(seed: seed, stream: UInt64(point))
            return ParameterSet.sample(parameters, using: &generator)
        case .adaptive:
            preconditionFailure("an adaptive plan has no planned points")
        }
        return ParameterSet(entries: entries)
    }
}

/// Why a sweep cannot be planned.
public enum PlanError: Error, Sendable, Hashable, CustomStringConvertible {
    /// More trials than the configured cap; `count` nil when it overflows.
    case tooManyTrials(count: Int?, limit: Int?)
    case notEnumerable(parameter: String)
    case missingDefault(parameter: String)

    /// The field the problem is about (`sweep`, `parameters.lr`).
    public var path: String {
        switch self {
        case .tooManyTrials: "sweep"
        case .notEnumerable(let parameter): "parameters.\(parameter)"
        case .missingDefault(let parameter): "parameters.\(parameter).default"
        }
    }

    /// What is wrong, without the path.
    public var message: String {
        switch self {
        case .tooManyTrials(let count, let limit):
            let size = count.map { "\(Self.grouped($0)) trials" } ?? "more than \(Self.grouped(Int.max)) trials"
            let cap = limit.map { ", more than the limit of \(Self.grouped($0)) (raise it with --max-trials or ASSAY_MAX_TRIALS)" } ?? ""
            return "the plan has \(size)\(cap)"
        case .notEnumerable:
            return "a continuous range cannot be enumerated; give step, count or values"
        case .missingDefault:
            return "is required by sweep strategy one-at-a-time"
        }
    }

    /// `sweep: the plan has …`
    public var description: String { "\(path): \(message)" }

    /// `1,000,000`
    static func grouped(_ value: Int) -> String {
        let digits = Array(String(value))
        var text = ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0, (digits.count - offset) % 3 == 0 { text.append(",") }
            text.append(digit)
        }
        return text
    }
}
