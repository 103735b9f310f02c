/// A validated experiment declaration (`assay.yaml`).
///
/// Build one with ``Declaration/parse(_:)``, which reports every problem in
/// the text at once as a ``DeclarationError``.
public struct Declaration: Sendable, Hashable {
    public var name: String
    public var description: String?
    public var tags: [String]
    /// Directory or `.zip` holding the code, relative to the declaration's folder.
    public var artifact: String
    /// Run once per Runner before any trial, in the artifact's folder.
    public var setup: [String]?
    /// The trial's argv, with `{config}`, `{trial}`, `{repeat}` and `{<parameter>}` placeholders.
    public var command: [String]
    /// Extra environment variables every trial gets.
    public var environment: [String: String]
    public var config: ConfigFile?
    public var parameters: [Parameter]
    public var sweep: Sweep
    public var trial: TrialPolicy
    public var result: ResultSource?
    public var objective: Objective?
    /// Stops running trials whose metric lags behind the completed ones (`early_stopping`); nil: never.
    public var earlyStopping: EarlyStopping? = nil
    /// Runner parallelism.
    public var workers: Int
    public var resources: Resources
    public var notify: Notify
    /// Wall-clock budget for the whole experiment, counted from when it
    /// started running; in a cluster it becomes the Runner Job's
    /// `activeDeadlineSeconds`. nil: no limit.
    public var deadline: Duration? = nil
}

/// Where and how a trial's parameters are written for the program to read.
public struct ConfigFile: Sendable, Hashable {
    public enum Format: String, Sendable, Hashable, CaseIterable {
        case yaml, json, ini, env, args
    }

    /// File name inside the trial's working directory; nil only for `args`.
    public var file: String?
    public var format: Format
    /// INI section header (default `parameters`).
    public var section: String
}

/// How the parameter space is explored.
public struct Sweep: Sendable, Hashable {
    public enum Strategy: Sendable, Hashable {
        /// Every combination (cartesian product).
        case grid
        /// Each parameter varied alone while the others sit at their default;
        /// the all-defaults point once.
        case oneAtATime
        /// `samples` points drawn independently, reproducible from `seed`.
        case random(samples: Int, seed: UInt64)
        /// Asynchronous successive halving: configurations that do well on a
        /// small budget run again with a larger one (adaptive).
        case asha(ASHASettings)
        /// Tree-structured Parzen estimators: each trial drawn where earlier
        /// results were good (adaptive).
        case tpe(TPESettings)

        public var name: String {
            switch self {
            case .grid: "grid"
            case .oneAtATime: "one-at-a-time"
            case .random: "random"
            case .asha: "asha"
            case .tpe: "tpe"
            }
        }

        /// Whether trials are proposed from the results so far (by a ``Searcher``)
        /// rather than planned up front.
        public var isAdaptive: Bool {
            switch self {
            case .grid, .oneAtATime, .random: false
            case .asha, .tpe: true
            }
        }
    }

    public var strategy: Strategy
    /// How often each point is run (for noise estimates).
    public var repeats: Int
}

/// Limits and retries for each trial.
public struct TrialPolicy: Sendable, Hashable {
    public var timeout: Duration?
    /// Extra attempts after a failed or timed-out one.
    public var retries: Int
    /// Time between SIGTERM and SIGKILL when a trial is stopped.
    public var grace: Duration
}

/// The file a trial writes its final metrics to (GLADOS-style CSV, or JSON).
public struct ResultSource: Sendable, Hashable {
    public var file: String
    public var format: ResultFile.Format
    /// 1-based data line after the CSV header.
    public var line: Int
}

/// The metric that ranks trials.
public struct Objective: Sendable, Hashable {
    public enum Goal: String, Sendable, Hashable, CaseIterable {
        case maximize, minimize
    }

    public var metric: String
    public var goal: Goal
}

/// What each Runner asks of the cluster.
public struct Resources: Sendable, Hashable {
    public var cpu: String?
    public var memory: String?
    public var gpu: Int
}

/// Who hears about the end of the experiment.
public struct Notify: Sendable, Hashable {
    public var email: [String]
}
