import AssayCore
import Foundation

/// A change of one trial's state that the experiment's counts must reflect. It is
/// written on the trial in the same compare-and-set as the state change, and applied
/// to the counts exactly once through the experiment's journal (MongoStore+Counts).
struct CountChange: Sendable, Hashable {
    /// Unique per experiment: the trial's index and the revision the change produced.
    var token: String
    var from: TrialStatus
    var to: TrialStatus

    init(index: Int, revision: Int, from: TrialStatus, to: TrialStatus) {
        token = "t\(index)r\(revision)"
        self.from = from
        self.to = to
    }

    init(document: BSON.Document) throws {
        token = try document.string("token")
        from = try document.enumeration("from", as: TrialStatus.self)
        to = try document.enumeration("to", as: TrialStatus.self)
    }

    var document: BSON.Document {
        ["token": .string(token), "from": .string(from.rawValue), "to": .string(to.rawValue)]
    }
}

extension AttemptRecord {
    init(document: BSON.Document) throws {
        self.init(
            attempt: try document.int("attempt"),
            runner: try document.string("runner"),
            status: try document.enumeration("status", as: TrialStatus.self),
            exitCode: document.optionalInt("exitCode").flatMap { Int32(exactly: $0) },
            reason: document.optionalString("reason"),
            leasedAt: try document.date("leasedAt"),
            finishedAt: document.optionalDate("finishedAt"),
            seconds: document["seconds"].flatMap(StoredValue.number(from:)))
    }

    var document: BSON.Document {
        [
            "attempt": .int(attempt),
            "runner": .string(runner),
            "status": .string(status.rawValue),
            "exitCode": exitCode.map { BSON.int32($0) } ?? .null,
            "reason": .optional(reason),
            "leasedAt": StoredValue.time(leasedAt),
            "finishedAt": StoredValue.time(finishedAt),
            "seconds": StoredValue.number(seconds),
        ]
    }
}

/// A trial document, written at the trial's first lease. Every change is a
/// compare-and-set on `rev` (renewals only move `leaseDeadline` and leave it).
///
/// ```
/// { _id: "<experiment>/<index>", experiment, index, status, attempt, runner, leaseDeadline, rev,
///   lostLeases,                            // attempts ended by an expired lease (RetryRule)
///   attempts: [{attempt, runner, status, exitCode, reason, leasedAt, finishedAt, seconds}],
///   final: [{name, number | text}],        // names verbatim, in order
///   order: {"x<hex name>": number},        // sortable copy of the finite numbers
///   pendingCount: {token, from, to},       // a count change not yet in the experiment
///   parameters: "<JSON>" }                 // what a searcher proposed (adaptive experiments only)
/// ```
struct StoredTrial: Sendable {
    var experiment: ExperimentID
    var index: Int
    var status: TrialStatus
    var attempt: Int
    var runner: RunnerID?
    var leaseDeadline: Date?
    var revision: Int
    /// How many of its attempts ended because their lease expired (`RetryRule`).
    var lostLeases: Int
    var attempts: [AttemptRecord]
    var final: Metrics
    var pendingCount: CountChange?
    /// What a searcher proposed (adaptive experiments only); written once, at the insert.
    var parameters: StoredParameters?

    static func id(experiment: ExperimentID, index: Int) -> String { "\(experiment)/\(index)" }

    var id: String { Self.id(experiment: experiment, index: index) }

    /// A trial leased for the first time.
    init(experiment: ExperimentID, index: Int, runner: RunnerID, now: Date, deadline: Date, parameters: StoredParameters? = nil) {
        self.experiment = experiment
        self.index = index
        status = .running
        attempt = 1
        self.runner = runner
        leaseDeadline = deadline
        revision = 0
        lostLeases = 0
        attempts = [AttemptRecord(attempt: 1, runner: runner, status: .running, leasedAt: now)]
        final = Metrics()
        pendingCount = nil
        self.parameters = parameters
    }

    init(document: BSON.Document) throws {
        experiment = try document.string("experiment")
        index = try document.int("index")
        status = try document.enumeration("status", as: TrialStatus.self)
        attempt = try document.int("attempt")
        runner = document.optionalString("runner")
        leaseDeadline = document.optionalDate("leaseDeadline")
        revision = try document.int("rev")
        // Written by a version without the field: none counted (they spent retries then).
        lostLeases = document.optionalInt("lostLeases") ?? 0
        attempts = try document.documents("attempts").map(AttemptRecord.init(document:))
        final = try Self.metrics(from: document.documents("final"))
        pendingCount = try document["pendingCount"]?.document.map(CountChange.init(document:))
        parameters = try document.optionalString("parameters").map {
            try JSONDecoder().decode(StoredParameters.self, from: Data($0.utf8))
        }
    }

    var record: TrialRecord {
        TrialRecord(experiment: experiment, index: index, status: status, attempt: attempt, runner: runner,
                    leaseDeadline: leaseDeadline, attempts: attempts, final: final, parameters: parameters)
    }

    /// Whether `number` is this trial's current attempt and was leased to `runner` (running
    /// or already ended): only then do its events count (docs/storage.md).
    func isCurrentAttempt(_ number: Int, of runner: RunnerID) -> Bool {
        attempt == number && attempts.last { $0.attempt == number }?.runner == runner
    }

    /// The whole document, for the insert at first lease.
    var document: BSON.Document {
        var document: BSON.Document = [
            "_id": .string(id), "experiment": .string(experiment), "index": .int(index),
        ]
        for field in mutableFields.fields { document[field.key] = field.value }
        if let parameters, let json = try? JSONEncoder().encode(parameters) {
            document["parameters"] = .string(String(decoding: json, as: UTF8.self))
        }
        return document
    }

    /// Every field a state change may set (the `$set` of a compare-and-set).
    var mutableFields: BSON.Document {
        var order = BSON.Document()
        for entry in final.entries {
            if let number = entry.value.number, !number.isNaN {
                // ±infinity sort at the ends; only finite numbers are sortable in every server.
                order[StoredValue.fieldKey(entry.name)] = .double(number.isFinite ? number : number > 0 ? .greatestFiniteMagnitude : -.greatestFiniteMagnitude)
            }
        }
        return [
            "status": .string(status.rawValue),
            "attempt": .int(attempt),
            "runner": .optional(runner),
            "leaseDeadline": StoredValue.time(leaseDeadline),
            "rev": .int(revision),
            "lostLeases": .int(lostLeases),
            "attempts": .array(attempts.map { .document($0.document) }),
            "final": .array(final.entries.map { entry in
                switch entry.value {
                case .number(let number): .document(["name": .string(entry.name), "number": StoredValue.number(number)])
                case .text(let text): .document(["name": .string(entry.name), "text": .string(text)])
                }
            }),
            "order": .document(order),
            "pendingCount": pendingCount.map { .document($0.document) } ?? .null,
        ]
    }

    private static func metrics(from entries: [BSON.Document]) throws -> Metrics {
        try Metrics(entries.map { entry in
            let name = try entry.string("name")
            if let text = entry.optionalString("text") { return (name, ResultValue.text(text)) }
            guard let number = entry["number"].flatMap(StoredValue.number(from:)) else {
                throw StoreError.failure("stored final metric \"\(name)\" has no value")
            }
            return (name, ResultValue.number(number))
        })
    }
}
