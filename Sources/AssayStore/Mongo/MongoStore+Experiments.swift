import AssayCore
import Foundation

extension MongoStore {
    public func createExperiment(_ experiment: NewExperiment, now: Date) async throws -> ExperimentRecord {
        guard experiment.trialCount >= 0, experiment.maxAttempts >= 1 else {
            throw StoreError.invalid("an experiment needs a trial count >= 0 and at least one attempt per trial")
        }
        let document = StoredExperiment.document(for: experiment, id: Identifier.make(at: now), now: now)
        return try await run { connection in
            try connection.insert(Collections.experiments, document)
            return try StoredExperiment(document: document).record
        }
    }

    public func experiment(id: ExperimentID, owner: UserID?) async throws -> ExperimentRecord? {
        try await run { connection in try Self.loadExperiment(connection, id, owner: owner)?.record }
    }

    public func experiments(owner: UserID, filter: ExperimentFilter, page: PageRequest) async throws -> Page<ExperimentRecord> {
        var query: BSON.Document = ["owner": .string(owner)]
        if let status = filter.status { query["status"] = .string(status.rawValue) }
        if let tag = filter.tag { query["tags"] = .string(tag) }
        if !filter.includeArchived { query["archived"] = false }
        if let after = page.after { query["_id"] = ["$lt": .string(after)] }
        if let text = filter.text, !text.isEmpty {
            let pattern: BSON = ["$regex": .string(Self.literalPattern(text)), "$options": "i"]
            query["$or"] = [["name": pattern], ["description": pattern]]
        }
        let limit = max(1, page.limit)
        let records = try await run { [query] connection in
            try connection.find(Collections.experiments, query, .init(sort: ["_id": -1], limit: limit + 1, projection: StoredExperiment.projection))
                .map { try StoredExperiment(document: $0).record }
        }
        let items = Array(records.prefix(limit))
        return Page(items: items, next: records.count > limit ? items.last?.id : nil)
    }

    /// A regular expression matching `text` literally: every ASCII character that is not a
    /// letter or digit is written as `\xHH` (PCRE and Python both read that as the byte).
    static func literalPattern(_ text: String) -> String {
        var pattern = ""
        for scalar in text.unicodeScalars {
            if scalar.isASCII, !(scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)) {
                pattern += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2)
            } else {
                pattern.unicodeScalars.append(scalar)
            }
        }
        return pattern
    }

    public func experiments(inStatus statuses: Set<ExperimentStatus>) async throws -> [ExperimentRecord] {
        guard !statuses.isEmpty else { return [] }
        let values = statuses.map(\.rawValue).sorted().map(BSON.string)
        return try await run { connection in
            try connection.find(Collections.experiments, ["status": ["$in": .array(values)]],
                                .init(sort: ["_id": 1], projection: StoredExperiment.projection))
                .map { try StoredExperiment(document: $0).record }
        }
    }

    public func cancelExperiment(id: ExperimentID, owner: UserID, now: Date) async throws -> ExperimentRecord? {
        try await run { connection in try Self.end(id, owner: owner, as: .canceled, reason: nil, now: now, connection) }
    }

    public func failExperiment(id: ExperimentID, reason: String, now: Date) async throws -> ExperimentRecord? {
        try await run { connection in try Self.end(id, owner: nil, as: .failed, reason: reason, now: now, connection) }
    }

    /// Cancel and infrastructure failure: the status changes with a compare-and-set that
    /// also counts the never-leased trials as canceled (so leasing stops at once); then
    /// requeued trials are canceled one by one. Running trials end when reported or expired.
    /// Calling it again on a final experiment finishes what a dead call left undone and
    /// returns the record unchanged otherwise.
    private static func end(_ id: ExperimentID, owner: UserID?, as status: ExperimentStatus, reason: String?, now: Date,
                            _ connection: MongoConnection) throws -> ExperimentRecord? {
        while true {
            guard let experiment = try loadExperiment(connection, id, owner: owner) else { return nil }
            if !experiment.isActive { break }
            let unleased = experiment.record.trialCount - experiment.nextIndex
            var set: BSON.Document = ["status": .string(status.rawValue), "finishedAt": StoredValue.time(now)]
            if let reason { set["reason"] = .string(reason) }
            let updated = try connection.findAndModify(Collections.experiments, query: [
                "_id": .string(id), "status": .string(experiment.status.rawValue), "nextIndex": .int(experiment.nextIndex),
            ], update: [
                "$set": .document(set),
                "$inc": [StoredExperiment.countField(.pending): .int(-unleased), StoredExperiment.countField(.canceled): .int(unleased)],
            ], projection: StoredExperiment.projection)
            if updated != nil { break }
        }
        var changes: [CountChange] = []
        let requeued = try connection.find(Collections.trials, ["experiment": .string(id), "status": .string(TrialStatus.pending.rawValue)])
        for document in requeued {
            var trial = try StoredTrial(document: document)
            try settleMarker(of: &trial, connection, now: now)
            let expected = trial.revision
            trial.revision += 1
            trial.status = .canceled
            let change = CountChange(index: trial.index, revision: trial.revision, from: .pending, to: .canceled)
            trial.pendingCount = change
            if try compareAndSet(trial, expectedRevision: expected, extra: ["status": .string(TrialStatus.pending.rawValue)], connection) {
                changes.append(change)
            }
        }
        try settle(changes, experiment: id, connection, now: now)
        return try loadExperiment(connection, id)?.record
    }

    public func setArchived(id: ExperimentID, owner: UserID, archived: Bool) async throws -> ExperimentRecord? {
        try await run { connection in
            try connection.findAndModify(Collections.experiments, query: ["_id": .string(id), "owner": .string(owner)],
                                         update: ["$set": ["archived": .bool(archived)]], projection: StoredExperiment.projection)
                .map { try StoredExperiment(document: $0).record }
        }
    }

    public func setPublic(id: ExperimentID, owner: UserID, isPublic: Bool) async throws -> ExperimentRecord? {
        try await run { connection in
            try connection.findAndModify(Collections.experiments, query: ["_id": .string(id), "owner": .string(owner)],
                                         update: ["$set": ["public": .bool(isPublic)]], projection: StoredExperiment.projection)
                .map { try StoredExperiment(document: $0).record }
        }
    }

    /// The experiment goes first (it disappears for everyone at once), then what belongs to it.
    public func deleteExperiment(id: ExperimentID, owner: UserID) async throws -> Bool {
        try await run { connection in
            guard try connection.delete(Collections.experiments, filter: ["_id": .string(id), "owner": .string(owner)], many: false) > 0 else {
                return false
            }
            try Self.deleteContents(of: id, connection)
            return true
        }
    }

    /// Deletes what belongs to an experiment whose document is gone (also the reaper's
    /// repair when a delete died halfway), and its runner tokens.
    static func deleteContents(of id: ExperimentID, _ connection: MongoConnection) throws {
        for collection in [Collections.metrics, Collections.logs, Collections.batches, Collections.trials] {
            try connection.delete(collection, filter: ["experiment": .string(id)])
        }
        try connection.delete(Collections.credentials, filter: [
            "experiment": .string(id), "kind": .string(CredentialKind.runner.rawValue),
        ])
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        String(repeating: "0", count: max(0, length - count)) + self
    }
}
