import AssayCore

/// Something a running trial did, reported live while it runs.
public enum TrialEvent: Sendable, Hashable {
    /// The process started; `pid` is also its process group id.
    case started(pid: Int32)
    /// An `@assay` line was read from stdout.
    case metric(MetricPoint)
    /// Something worth telling the user that does not fail the trial (a malformed metric line...).
    case warning(String)
    /// A complete line the trial printed, without its line break (nor a `\r` before it), cut
    /// at 4 KiB with a marker saying so. Only reported when the spec's
    /// ``TrialSpec/reportsOutputLines`` is set; `@assay` lines are reported too.
    case output(stream: TrialStream, line: String)
}
