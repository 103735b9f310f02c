/// One `@assay` line of a trial's stdout: an optional step and the values measured at it, in line order.
///
/// A `nil` value means the trial reported the metric as `null` (not measured at this step).
public struct MetricPoint: Sendable, Hashable {
    /// One named reading of a metric point.
    public struct Reading: Sendable, Hashable {
        public var name: String
        public var value: Double?

        public init(name: String, value: Double?) {
            self.name = name
            self.value = value
        }
    }

    public var step: Int?
    public var values: [Reading]

    public init(step: Int?, values: [Reading]) {
        self.step = step
        self.values = values
    }
}
