import AssayCore
import Foundation

/// Trial counts without multi-document transactions.
///
/// A trial's state lives in its own document, the counts in the experiment's. Every
/// state change that moves a count is a compare-and-set on the trial that also writes
/// the change as `pendingCount {token, from, to}`. ``settle(_:experiment:_:now:)`` then
/// applies it to the experiment with `$inc`, guarded by `journal.<token>` not existing
/// and recording it in the same update, so it is applied exactly once however often it is
/// retried; last, the trial's marker is cleared.
///
/// Windows where counts differ from the trial states:
/// - between a trial's compare-and-set and the settle right after it (milliseconds);
/// - if the process dies in between: until the marker is settled by the next
///   `applyEvents` of that experiment (a Runner retries its batch), the next
///   `expireLeases` (the reaper settles every marker it finds), or the next change of
///   that trial (which settles an old marker first).
/// - fresh leases: between inserting the new trial records and the update that moves
///   `nextIndex` together with their counts (pending → running); a leaser that dies there
///   is repaired by the next leaser (which finds the index taken) or the reaper;
/// - cancel and infrastructure failure move the never-leased trials' counts in the same
///   update as the status; requeued trials follow one by one through the journal.
///
/// The journal keeps tokens for ``journalHorizon`` after the newest one once it has more
/// than ``journalLimit`` entries: a settle that stalls longer than that between reading a
/// marker and applying it could count a change twice.
extension MongoStore {
    static let journalLimit = 2_048
    static let journalHorizon: TimeInterval = 600
    /// Field paths one update may write: nx-27017 silently drops parts of updates that write
    /// more than about 60 (one SQLite function call per update, at most 127 arguments).
    static let pathsPerUpdate = 48
    /// Count changes per update: a token each, plus the counts and `journalSize`.
    static let changesPerUpdate = pathsPerUpdate - TrialStatus.allCases.count - 1

    /// Applies `changes` (of trials of `experiment`) to its counts, each exactly once, and
    /// clears their markers. Returns the experiment afterwards (nil if it was deleted).
    @discardableResult
    static func settle(_ changes: [CountChange], experiment: ExperimentID, _ connection: MongoConnection, now: Date) throws -> StoredExperiment? {
        guard !changes.isEmpty else { return try loadExperiment(connection, experiment) }
        var settled: StoredExperiment?
        for start in stride(from: 0, to: changes.count, by: changesPerUpdate) {
            let group = Array(changes[start..<min(changes.count, start + changesPerUpdate)])
            // Usually none was applied yet: one update for the group. Otherwise one by one.
            if let applied = try applyToCounts(group, experiment: experiment, connection, now: now) {
                settled = applied
            } else if group.count > 1 {
                for change in group {
                    settled = try applyToCounts([change], experiment: experiment, connection, now: now) ?? settled
                }
            }
        }
        try connection.update(Collections.trials, filter: [
            "experiment": .string(experiment),
            "pendingCount.token": ["$in": .array(changes.map { .string($0.token) })],
        ], update: ["$set": ["pendingCount": .null]], many: true)
        guard let current = try settled ?? loadExperiment(connection, experiment) else { return nil }
        if current.journalSize > journalLimit {
            try pruneJournal(experiment: experiment, connection)
        }
        return current
    }

    private static func applyToCounts(_ changes: [CountChange], experiment: ExperimentID, _ connection: MongoConnection,
                                      now: Date) throws -> StoredExperiment? {
        var deltas: [TrialStatus: Int] = [:]
        for change in changes {
            deltas[change.from, default: 0] -= 1
            deltas[change.to, default: 0] += 1
        }
        var increments = BSON.Document(TrialStatus.allCases.compactMap { status in
            deltas[status].flatMap { $0 == 0 ? nil : (StoredExperiment.countField(status), BSON.int($0)) }
        })
        increments["journalSize"] = .int(changes.count)
        var filter: BSON.Document = ["_id": .string(experiment)]
        var journal = BSON.Document()
        for change in changes {
            filter["journal.\(change.token)"] = ["$exists": false]
            journal["journal.\(change.token)"] = StoredValue.time(now)
        }
        let updated = try connection.findAndModify(
            Collections.experiments, query: filter, update: ["$inc": .document(increments), "$set": .document(journal)],
            projection: StoredExperiment.projection)
        return try updated.map(StoredExperiment.init(document:))
    }

    /// Drops journal tokens older than the horizon (relative to the newest token).
    private static func pruneJournal(experiment: ExperimentID, _ connection: MongoConnection) throws {
        guard let document = try connection.findOne(Collections.experiments, ["_id": .string(experiment)], projection: ["journal": 1]),
              let journal = document["journal"]?.document, let newest = journal.fields.compactMap({ StoredValue.time(from: $0.value) }).max()
        else { return }
        let stale = journal.fields.filter { (StoredValue.time(from: $0.value) ?? newest) < newest.addingTimeInterval(-journalHorizon) }
        for start in stride(from: 0, to: stale.count, by: pathsPerUpdate - 1) {
            let slice = stale[start..<min(stale.count, start + pathsPerUpdate - 1)]
            try connection.update(Collections.experiments, filter: ["_id": .string(experiment)], update: [
                "$unset": .document(BSON.Document(slice.map { ("journal.\($0.key)", BSON.string("")) })),
                "$inc": ["journalSize": .int(-slice.count)],
            ])
        }
    }

    /// Settles markers left by calls that died between a trial's change and its settle:
    /// of one experiment, or (reaper) of any.
    static func settleLeftoverMarkers(experiment: ExperimentID?, _ connection: MongoConnection, now: Date) throws {
        // `$gt: ""` rather than `$exists`: an index range over the markers only, not every trial.
        var filter: BSON.Document = ["pendingCount.token": ["$gt": ""]]
        if let experiment { filter = ["experiment": .string(experiment), "pendingCount.token": ["$gt": ""]] }
        let documents = try connection.find(Collections.trials, filter, .init(limit: 1_000, projection: ["experiment": 1, "pendingCount": 1]))
        var byExperiment: [ExperimentID: [CountChange]] = [:]
        for document in documents {
            guard let marker = document["pendingCount"]?.document else { continue }
            byExperiment[try document.string("experiment"), default: []].append(try CountChange(document: marker))
        }
        for (experiment, changes) in byExperiment {
            try settle(changes, experiment: experiment, connection, now: now)
        }
    }

    /// Settles the marker a loaded trial still carries, before the trial changes again
    /// (a compare-and-set writes a new marker over it).
    static func settleMarker(of trial: inout StoredTrial, _ connection: MongoConnection, now: Date) throws {
        guard let change = trial.pendingCount else { return }
        try settle([change], experiment: trial.experiment, connection, now: now)
        trial.pendingCount = nil
    }

    /// Completes a running experiment whose trials have all ended (a no-op otherwise).
    @discardableResult
    static func completeIfDone(_ experiment: StoredExperiment, _ connection: MongoConnection, now: Date) throws -> StoredExperiment {
        let record = experiment.record
        guard experiment.isActive, record.trialCount > 0, record.counts.finished >= record.trialCount else { return experiment }
        let updated = try connection.findAndModify(
            Collections.experiments,
            query: ["_id": .string(record.id), "status": .string(record.status.rawValue)],
            update: ["$set": ["status": .string(ExperimentStatus.completed.rawValue), "finishedAt": StoredValue.time(now)]],
            projection: StoredExperiment.projection)
        if let updated { return try StoredExperiment(document: updated) }
        return try loadExperiment(connection, record.id) ?? experiment
    }

    static func loadExperiment(_ connection: MongoConnection, _ id: ExperimentID, owner: UserID? = nil) throws -> StoredExperiment? {
        var filter: BSON.Document = ["_id": .string(id)]
        if let owner { filter["owner"] = .string(owner) }
        return try connection.findOne(Collections.experiments, filter, projection: StoredExperiment.projection)
            .map(StoredExperiment.init(document:))
    }

    /// Writes `trial` over its stored version `expected`: a `findAndModify` conditional on the
    /// revision (plus `extra` conditions). The caller has already bumped `trial.revision`.
    static func compareAndSet(_ trial: StoredTrial, expectedRevision: Int, extra: BSON.Document = [:],
                              _ connection: MongoConnection) throws -> Bool {
        var filter: BSON.Document = ["_id": .string(trial.id), "rev": .int(expectedRevision)]
        for field in extra.fields { filter[field.key] = field.value }
        return try connection.findAndModify(Collections.trials, query: filter, update: ["$set": .document(trial.mutableFields)],
                                            projection: ["_id": 1]) != nil
    }

    static func loadTrial(_ connection: MongoConnection, experiment: ExperimentID, index: Int) throws -> StoredTrial? {
        try connection.findOne(Collections.trials, ["_id": .string(StoredTrial.id(experiment: experiment, index: index))])
            .map(StoredTrial.init(document:))
    }
}
