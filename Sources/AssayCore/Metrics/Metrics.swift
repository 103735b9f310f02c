/// The named values a trial ended with, in the order their names were first seen.
///
/// Setting a name that is already present replaces its value in place, so a result
/// file that repeats a metric printed on stdout keeps the metric's original column.
public struct Metrics: Sendable, Hashable {
    /// One named value.
    public struct Entry: Sendable, Hashable {
        public var name: String
        public var value: ResultValue

        public init(name: String, value: ResultValue) {
            self.name = name
            self.value = value
        }
    }

    public private(set) var entries: [Entry] = []
    private var positions: [String: Int] = [:]

    /// An empty set of metrics.
    public init() {}

    /// Metrics from `(name, value)` pairs; a repeated name keeps its first position and its last value.
    public init(_ pairs: some Sequence<(String, ResultValue)>) {
        for (name, value) in pairs {
            self[name] = value
        }
    }

    /// The value named `name`; assigning `nil` removes it.
    public subscript(name: String) -> ResultValue? {
        get { positions[name].map { entries[$0].value } }
        set {
            switch (positions[name], newValue) {
            case (let position?, let value?):
                entries[position].value = value
            case (nil, let value?):
                positions[name] = entries.count
                entries.append(Entry(name: name, value: value))
            case (let position?, nil):
                entries.remove(at: position)
                positions[name] = nil
                for index in entries.indices.dropFirst(position) {
                    positions[entries[index].name] = index
                }
            case (nil, nil):
                break
            }
        }
    }

    /// The names in order.
    public var names: [String] { entries.map(\.name) }

    public var count: Int { entries.count }

    public var isEmpty: Bool { entries.isEmpty }

    /// Adds `other`'s values: its names overwrite ours in place, new names go to the end.
    public mutating func merge(_ other: Metrics) {
        for entry in other.entries {
            self[entry.name] = entry.value
        }
    }

    public static func == (lhs: Metrics, rhs: Metrics) -> Bool {
        lhs.entries == rhs.entries
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(entries)
    }
}
