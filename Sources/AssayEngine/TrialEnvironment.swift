/// The environment a trial runs with: user code never sees the Runner's secrets.
public enum TrialEnvironment {
    /// Variables taken over from the Runner's own environment (plus every `LC_*`); nothing
    /// else passes, so `ASSAY_*` settings, tokens and SMTP credentials stay with the Runner.
    public static let passedThrough: Set<String> = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "TZ", "TMPDIR", "TERM"]

    /// The allow-listed part of `base`, then the experiment's declared variables, then the
    /// trial's own (`ASSAY_TRIAL`, `ASSAY_ATTEMPT`, `ASSAY_TRIAL_DIR`...); later ones win.
    public static func scrubbed(
        from base: [String: String],
        declared: [String: String],
        trial: [String: String]
    ) -> [String: String] {
        var environment = base.filter { name, _ in passedThrough.contains(name) || name.hasPrefix("LC_") }
        environment.merge(declared) { _, declared in declared }
        environment.merge(trial) { _, trial in trial }
        return environment
    }
}
