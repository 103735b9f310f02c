extension MongoStore {
    /// One index of a collection: its key pattern and whether it is unique.
    struct IndexSpec: Sendable {
        var name: String
        var key: BSON.Document
        var unique = false
    }

    /// Every index the store relies on, by collection. The unique ones are what make
    /// concurrent writers safe (usernames, token hashes, artifact per owner, one
    /// trial record per index, one batch marker per (runner, seq), one metric bucket
    /// or log chunk per event).
    static let indexes: [(collection: String, specs: [IndexSpec])] = [
        (Collections.users, [IndexSpec(name: "username", key: ["username": 1], unique: true)]),
        (Collections.credentials, [
            IndexSpec(name: "secretHash", key: ["secretHash": 1], unique: true),
            IndexSpec(name: "owner_kind_createdAt", key: ["owner": 1, "kind": 1, "createdAt": -1]),
            IndexSpec(name: "experiment", key: ["experiment": 1]),
        ]),
        (Collections.artifacts, [
            IndexSpec(name: "owner_sha256", key: ["owner": 1, "sha256": 1], unique: true),
            IndexSpec(name: "sha256", key: ["sha256": 1]),
        ]),
        (Collections.experiments, [
            // Not (owner, _id): nx-27017 cannot index `_id` inside a compound key.
            IndexSpec(name: "owner", key: ["owner": 1]),
            IndexSpec(name: "status", key: ["status": 1]),
        ]),
        (Collections.trials, [
            IndexSpec(name: "experiment_index", key: ["experiment": 1, "index": 1], unique: true),
            IndexSpec(name: "experiment_status_index", key: ["experiment": 1, "status": 1, "index": 1]),
            IndexSpec(name: "status_leaseDeadline", key: ["status": 1, "leaseDeadline": 1]),
            IndexSpec(name: "experiment_runner_status", key: ["experiment": 1, "runner": 1, "status": 1]),
            IndexSpec(name: "pendingCount", key: ["pendingCount.token": 1]),
        ]),
        (Collections.metrics, [IndexSpec(name: "bucket", key: bucketKey, unique: true)]),
        (Collections.logs, [IndexSpec(name: "chunk", key: bucketKey, unique: true)]),
        (Collections.batches, [IndexSpec(name: "experiment_runner_seq", key: ["experiment": 1, "runner": 1, "seq": 1], unique: true)]),
    ]

    /// Metric buckets and log chunks: one per (experiment, trial, attempt, runner, seq)
    /// and event of the batch (and piece, when an event is too large for one document),
    /// in the order they are read back.
    private static let bucketKey: BSON.Document = [
        "experiment": 1, "trial": 1, "attempt": 1, "seq": 1, "event": 1, "piece": 1, "runner": 1,
    ]

    /// `createIndexes` for every collection; creating an existing index is a no-op.
    static func createIndexes(_ connection: MongoConnection) throws {
        for (collection, specs) in indexes {
            let documents: [BSON] = specs.map { spec in
                var index: BSON.Document = ["key": .document(spec.key), "name": .string(spec.name)]
                if spec.unique { index["unique"] = true }
                return .document(index)
            }
            try connection.writeCommand(["createIndexes": .string(collection), "indexes": .array(documents)])
        }
    }
}
