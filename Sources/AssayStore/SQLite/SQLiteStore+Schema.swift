import GRDB

/// The tables, as numbered migrations (GRDB records the applied ones in
/// `grdb_migrations`). A released migration is never edited: changes are new
/// migrations appended here.
///
/// - `experiments` holds what never changes after creation (the declaration may
///   be large); `experiment_states` the small row every lease and batch rewrites:
///   status, the lease counter `nextIndex`, the counts per trial state and the
///   notification.
/// - `trials` has a row only for leased trials (a sweep of 10^6 trials is one
///   experiment row until Runners lease it) and counts its `lostLeases` (v2, for
///   `RetryRule`) and the parameters an adaptive searcher proposed (v4, JSON of
///   `StoredParameters`; NULL for a fixed plan's trial); `attempts` one row per attempt.
/// - `trial_metrics` keeps final metrics one row per name so trials sort by a
///   metric in SQL; `metric_buckets` keeps the live points as one columnar JSON
///   bucket per (trial, attempt, batch); `log_lines` the tail of each trial's output.
/// - `applied_batches` makes event batches idempotent per (experiment, runner, seq).
///
/// User-supplied bytes that may hold NUL (log lines, metric names, text metric
/// values) are BLOBs; times are REAL seconds since 1970.
extension SQLiteStore {
    static func migrate(_ pool: DatabasePool) throws {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: accounts, artifacts, experiments, lease queue, events") { db in
            try db.execute(sql: version1)
        }
        migrator.registerMigration("v2: lost leases per trial") { db in
            // Trials of an older database count none: their lost leases spent retries already.
            try db.execute(sql: "ALTER TABLE trials ADD COLUMN lostLeases INTEGER NOT NULL DEFAULT 0 CHECK (lostLeases >= 0)")
        }
        migrator.registerMigration("v3: public experiments") { db in
            try db.execute(sql: "ALTER TABLE experiment_states ADD COLUMN public INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v4: adaptive search: proposed parameters, trials stopped early") { db in
            try db.execute(sql: """
                ALTER TABLE trials ADD COLUMN parameters TEXT;
                ALTER TABLE experiment_states ADD COLUMN stoppedEarly INTEGER NOT NULL DEFAULT 0 CHECK (stoppedEarly >= 0);
                """)
        }
        let known = Set(migrator.migrations)
        let applied = try pool.read { db in try migrator.appliedIdentifiers(db) }
        if let unknown = applied.subtracting(known).sorted().first {
            throw StoreError.failure("the database was written by a newer Assay (migration \"\(unknown)\"); upgrade Assay to open it")
        }
        try migrator.migrate(pool)
    }

    private static let version1 = """
        CREATE TABLE users (
            id TEXT PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            passwordHash TEXT NOT NULL,
            isAdmin INTEGER NOT NULL,
            createdAt REAL NOT NULL
        );

        CREATE TABLE credentials (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            owner TEXT NOT NULL,
            experiment TEXT,
            name TEXT NOT NULL,
            secretHash TEXT NOT NULL UNIQUE,
            createdAt REAL NOT NULL,
            expiresAt REAL
        );
        CREATE INDEX credentials_by_owner ON credentials(owner, kind, createdAt);
        CREATE INDEX credentials_by_experiment ON credentials(experiment) WHERE experiment IS NOT NULL;

        CREATE TABLE artifacts (
            id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            size INTEGER NOT NULL,
            createdAt REAL NOT NULL,
            UNIQUE (owner, sha256)
        );

        CREATE TABLE experiments (
            id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            name TEXT NOT NULL,
            description TEXT,
            tags TEXT NOT NULL,
            declaration TEXT NOT NULL,
            artifact TEXT,
            trialCount INTEGER NOT NULL CHECK (trialCount >= 0),
            maxAttempts INTEGER NOT NULL CHECK (maxAttempts >= 1),
            leaseSeconds REAL NOT NULL,
            createdAt REAL NOT NULL
        );
        CREATE INDEX experiments_by_owner ON experiments(owner, id);

        CREATE TABLE experiment_states (
            experiment TEXT PRIMARY KEY REFERENCES experiments(id) ON DELETE CASCADE,
            status TEXT NOT NULL,
            reason TEXT,
            nextIndex INTEGER NOT NULL,
            pending INTEGER NOT NULL CHECK (pending >= 0),
            running INTEGER NOT NULL CHECK (running >= 0),
            succeeded INTEGER NOT NULL CHECK (succeeded >= 0),
            failed INTEGER NOT NULL CHECK (failed >= 0),
            timedOut INTEGER NOT NULL CHECK (timedOut >= 0),
            canceled INTEGER NOT NULL CHECK (canceled >= 0),
            startedAt REAL,
            finishedAt REAL,
            archived INTEGER NOT NULL,
            notificationState TEXT NOT NULL,
            notificationClaimedBy TEXT,
            notificationAttempts INTEGER NOT NULL,
            notificationLastError TEXT,
            notificationSentAt REAL
        ) WITHOUT ROWID;
        CREATE INDEX experiment_states_by_status ON experiment_states(status);

        CREATE TABLE trials (
            experiment TEXT NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            status TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            runner TEXT,
            leaseDeadline REAL,
            PRIMARY KEY (experiment, idx)
        ) WITHOUT ROWID;
        CREATE INDEX trials_by_status ON trials(experiment, status, idx);
        CREATE INDEX trials_by_lease_deadline ON trials(leaseDeadline) WHERE status = 'running';

        CREATE TABLE attempts (
            experiment TEXT NOT NULL,
            trial INTEGER NOT NULL,
            attempt INTEGER NOT NULL,
            runner TEXT NOT NULL,
            status TEXT NOT NULL,
            exitCode INTEGER,
            reason TEXT,
            leasedAt REAL NOT NULL,
            finishedAt REAL,
            seconds REAL,
            PRIMARY KEY (experiment, trial, attempt),
            FOREIGN KEY (experiment, trial) REFERENCES trials(experiment, idx) ON DELETE CASCADE
        ) WITHOUT ROWID;

        CREATE TABLE trial_metrics (
            experiment TEXT NOT NULL,
            trial INTEGER NOT NULL,
            position INTEGER NOT NULL,
            name BLOB NOT NULL,
            number REAL,
            text BLOB,
            PRIMARY KEY (experiment, trial, position),
            UNIQUE (experiment, trial, name),
            FOREIGN KEY (experiment, trial) REFERENCES trials(experiment, idx) ON DELETE CASCADE
        ) WITHOUT ROWID;

        CREATE TABLE metric_buckets (
            id INTEGER PRIMARY KEY,
            experiment TEXT NOT NULL,
            trial INTEGER NOT NULL,
            attempt INTEGER NOT NULL,
            columns TEXT NOT NULL,
            FOREIGN KEY (experiment, trial) REFERENCES trials(experiment, idx) ON DELETE CASCADE
        );
        CREATE INDEX metric_buckets_by_trial ON metric_buckets(experiment, trial, attempt, id);

        CREATE TABLE log_lines (
            id INTEGER PRIMARY KEY,
            experiment TEXT NOT NULL,
            trial INTEGER NOT NULL,
            attempt INTEGER NOT NULL,
            stream TEXT NOT NULL,
            text BLOB NOT NULL,
            FOREIGN KEY (experiment, trial) REFERENCES trials(experiment, idx) ON DELETE CASCADE
        );
        CREATE INDEX log_lines_by_trial ON log_lines(experiment, trial, id);

        CREATE TABLE applied_batches (
            experiment TEXT NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
            runner TEXT NOT NULL,
            seq INTEGER NOT NULL,
            appliedAt REAL NOT NULL,
            PRIMARY KEY (experiment, runner, seq)
        ) WITHOUT ROWID;
        """
}
