import AssayCore
import AssayStore
import Synchronization

/// Declarations already parsed, by experiment: a stored declaration never changes,
/// and parsing its YAML on every lease was a measurable share of a trial's cost on
/// the server. An entry is used only while its text is the record's (a compare, not
/// a parse); the cache forgets everything once it holds `limit` experiments.
final class ParsedDeclarations: Sendable {
    private let entries = Mutex<[ExperimentID: (text: String, declaration: Declaration?)]>([:])
    let limit: Int

    init(limit: Int = 1024) {
        self.limit = limit
    }

    /// The record's declaration, nil if it does not parse (a validated one always does).
    func declaration(of record: ExperimentRecord) -> Declaration? {
        if let known = entries.withLock({ $0[record.id] }), known.text == record.declaration { return known.declaration }
        let declaration = try? Declaration.parse(record.declaration)
        entries.withLock { entries in
            if entries.count >= limit { entries.removeAll(keepingCapacity: true) }
            entries[record.id] = (record.declaration, declaration)
        }
        return declaration
    }
}
