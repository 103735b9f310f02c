import Foundation
import GRDB

/// Creating, reading, listing and ending experiments.
extension SQLiteStore {
    public func createExperiment(_ experiment: NewExperiment, now: Date) async throws -> ExperimentRecord {
        try Self.checkText(experiment.name, "name")
        try Self.checkText(experiment.description ?? "", "description")
        try Self.checkText(experiment.declaration, "declaration")
        for tag in experiment.tags { try Self.checkText(tag, "tag") }
        guard experiment.trialCount >= 0 else { throw StoreError.invalid("trialCount \(experiment.trialCount) is negative") }
        guard experiment.maxAttempts >= 1 else { throw StoreError.invalid("maxAttempts must be at least 1") }
        let leaseSeconds = Self.seconds(experiment.leaseDuration)
        guard leaseSeconds > 0 else { throw StoreError.invalid("the lease duration must be positive") }
        let stored = StoredExperiment(
            record: ExperimentRecord(
                id: Identifier.make(at: now), owner: experiment.owner, name: experiment.name,
                description: experiment.description, tags: experiment.tags, declaration: experiment.declaration,
                artifact: experiment.artifact, trialCount: experiment.trialCount, maxAttempts: experiment.maxAttempts,
                leaseSeconds: leaseSeconds, status: .queued, reason: nil, counts: TrialCounts(pending: experiment.trialCount),
                createdAt: now, startedAt: nil, finishedAt: nil, archived: false, notification: NotificationStatus()),
            nextIndex: 0)
        try await write { db in try stored.insert(db) }
        return stored.record
    }

    public func experiment(id: ExperimentID, owner: UserID?) async throws -> ExperimentRecord? {
        try await read { db in try StoredExperiment.fetch(db, id: id, owner: owner)?.record }
    }

    public func experiments(owner: UserID, filter: ExperimentFilter, page: PageRequest) async throws -> Page<ExperimentRecord> {
        var conditions = ["e.owner = ?"]
        var arguments: StatementArguments = [owner]
        if !filter.includeArchived { conditions.append("NOT s.archived") }
        if let status = filter.status {
            conditions.append("s.status = ?")
            arguments += [status.rawValue]
        }
        if let tag = filter.tag {
            conditions.append("EXISTS (SELECT 1 FROM json_each(e.tags) WHERE json_each.value = ?)")
            arguments += [tag]
        }
        if let text = filter.text, !text.isEmpty {
            conditions.append("(assay_contains(e.name, ?) OR assay_contains(e.description, ?))")
            arguments += [text, text]
        }
        if let after = page.after {
            conditions.append("e.id < ?")
            arguments += [after]
        }
        let limit = max(0, page.limit)
        arguments += [limit + 1]
        let sql = "\(StoredExperiment.select) WHERE \(conditions.joined(separator: " AND ")) ORDER BY e.id DESC LIMIT ?"
        return try await read { [arguments] db in
            let found = try Row.fetchAll(db, sql: sql, arguments: arguments).map { try StoredExperiment(row: $0).record }
            let items = Array(found.prefix(limit))
            return Page(items: items, next: found.count > limit ? items.last?.id : nil)
        }
    }

    public func experiments(inStatus statuses: Set<ExperimentStatus>) async throws -> [ExperimentRecord] {
        let names = statuses.map(\.rawValue).sorted()
        return try await read { db in
            try Row.fetchAll(
                db, sql: "\(StoredExperiment.select) WHERE s.status IN (SELECT value FROM json_each(?)) ORDER BY e.id",
                arguments: [try Self.json(names)]
            ).map { try StoredExperiment(row: $0).record }
        }
    }

    public func cancelExperiment(id: ExperimentID, owner: UserID, now: Date) async throws -> ExperimentRecord? {
        try await write { db in
            guard var experiment = try StoredExperiment.fetch(db, id: id, owner: owner) else { return nil }
            try experiment.end(.canceled, reason: nil, now: now, db)
            try experiment.save(db)
            return experiment.record
        }
    }

    public func failExperiment(id: ExperimentID, reason: String, now: Date) async throws -> ExperimentRecord? {
        try Self.checkText(reason, "reason")
        return try await write { db in
            guard var experiment = try StoredExperiment.fetch(db, id: id) else { return nil }
            try experiment.end(.failed, reason: reason, now: now, db)
            try experiment.save(db)
            return experiment.record
        }
    }

    public func setArchived(id: ExperimentID, owner: UserID, archived: Bool) async throws -> ExperimentRecord? {
        try await write { db in
            guard var experiment = try StoredExperiment.fetch(db, id: id, owner: owner) else { return nil }
            experiment.record.archived = archived
            try experiment.save(db)
            return experiment.record
        }
    }

    public func setPublic(id: ExperimentID, owner: UserID, isPublic: Bool) async throws -> ExperimentRecord? {
        try await write { db in
            guard var experiment = try StoredExperiment.fetch(db, id: id, owner: owner) else { return nil }
            experiment.record.isPublic = isPublic
            try experiment.save(db)
            return experiment.record
        }
    }

    /// Deletes the experiment; its trials, attempts, metrics, logs and batches go
    /// with it (foreign keys cascade), and so do its runner tokens.
    public func deleteExperiment(id: ExperimentID, owner: UserID) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM experiments WHERE id = ? AND owner = ?", arguments: [id, owner])
            guard db.changesCount > 0 else { return false }
            try db.execute(sql: "DELETE FROM credentials WHERE experiment = ?", arguments: [id])
            return true
        }
    }

    /// `assay_contains(haystack, needle)`: a literal, case-insensitive substring
    /// test, so search text is never a LIKE pattern.
    static let containsText = DatabaseFunction("assay_contains", argumentCount: 2, pure: true) { values in
        guard let haystack = String.fromDatabaseValue(values[0]), let needle = String.fromDatabaseValue(values[1]) else {
            return false
        }
        return needle.isEmpty || haystack.range(of: needle, options: .caseInsensitive) != nil
    }
}
