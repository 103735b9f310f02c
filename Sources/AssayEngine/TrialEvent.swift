import AssayCore

/// Something a running trial did, reported live while it runs.
public enum TrialEvent: Sendable, Hashable {
    /// The process started; `pid` is also its process group id.
    case started(pid: Int32)
    /// An `@assay` line was read from stdout.
    case metric(MetricPoint)
    /// Something worth telling the user that does not fail the trial (a malformed metric line...).
    case warning(String)
}
