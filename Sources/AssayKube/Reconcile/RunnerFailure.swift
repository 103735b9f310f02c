import Foundation

/// Why an experiment's Runners cannot run, in the words Kubernetes uses
/// (`ImagePullBackOff`, `OOMKilled`, ...), read from its Job's and pods' status.
/// ``text`` becomes the failed experiment's reason.
public struct RunnerFailure: Sendable, Hashable, CustomStringConvertible {
    /// The Kubernetes reason: the first word of ``text``.
    public var reason: String
    public var message: String

    public init(reason: String, message: String) {
        self.reason = reason
        self.message = message
    }

    /// `Reason: message`.
    public var text: String { message.isEmpty ? reason : "\(reason): \(message)" }
    public var description: String { text }

    /// Waiting reasons of a container whose image cannot be had.
    public static let imagePullReasons: Set<String> = ["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"]
    /// Waiting reasons of a container whose configuration (env from a Secret) cannot be built.
    public static let configReasons: Set<String> = ["CreateContainerConfigError", "CreateContainerError"]
}

/// What keeps a pod from running, if anything: the pod is Pending and either
/// cannot be scheduled or its container cannot be created.
public enum PodBlocker: Sendable, Hashable {
    case imagePull(RunnerFailure)
    case unschedulable(RunnerFailure)
    case containerConfig(RunnerFailure)

    public var failure: RunnerFailure {
        switch self {
        case .imagePull(let f), .unschedulable(let f), .containerConfig(let f): f
        }
    }

    /// The blocker of `pod`, or nil when it runs, ran, or is still on its way.
    public init?(_ pod: PodObject) {
        guard pod.metadata.deletionTimestamp == nil, let status = pod.status, status.phase == nil || status.phase == "Pending" else {
            return nil
        }
        for container in status.containerStatuses ?? [] {
            guard let waiting = container.state?.waiting, let reason = waiting.reason else { continue }
            let failure = RunnerFailure(reason: reason, message: waiting.message ?? "")
            if reason == "ErrImagePull" {
                // The kubelet alternates ErrImagePull (a try failed) and ImagePullBackOff
                // (waiting to try again) for one problem: report it by the name users know.
                self = .imagePull(RunnerFailure(reason: "ImagePullBackOff", message: "\(failure.message) (ErrImagePull)"))
                return
            }
            if RunnerFailure.imagePullReasons.contains(reason) { self = .imagePull(failure); return }
            if RunnerFailure.configReasons.contains(reason) { self = .containerConfig(failure); return }
        }
        if let scheduled = status.conditions?.first(where: { $0.type == "PodScheduled" }),
           scheduled.status == "False", scheduled.reason == "Unschedulable" {
            self = .unschedulable(RunnerFailure(reason: "Unschedulable", message: scheduled.message ?? ""))
            return
        }
        return nil
    }
}

extension RunnerFailure {
    /// Why a Failed pod failed (`OOMKilled`, `Error` with its exit code,
    /// `DeadlineExceeded`, `Evicted`...); nil for a pod that has not failed.
    public static func podFailure(_ pod: PodObject) -> RunnerFailure? {
        guard let status = pod.status, status.phase == "Failed" else { return nil }
        for container in status.containerStatuses ?? [] {
            guard let terminated = container.state?.terminated, terminated.exitCode != 0 else { continue }
            let reason = terminated.reason ?? "Error"
            var message = "runner pod \(pod.metadata.name) "
            switch reason {
            case "OOMKilled": message += "exceeded its memory limit and was killed (exit code \(terminated.exitCode))"
            default: message += "exited with code \(terminated.exitCode)"
            }
            if let detail = terminated.message?.trimmingCharacters(in: .whitespacesAndNewlines), !detail.isEmpty {
                message += ": \(detail)"
            }
            return RunnerFailure(reason: reason, message: message)
        }
        let reason = status.reason ?? "Failed"
        return RunnerFailure(reason: reason, message: "runner pod \(pod.metadata.name) failed" + (status.message.map { ": \($0)" } ?? ""))
    }

    /// Why a finished Job failed, from its `Failed` condition, or nil while it
    /// has not failed. When its pods kept failing (`BackoffLimitExceeded`),
    /// the last pod's cause leads, since that is what the user must fix.
    public static func jobFailure(_ job: JobObject, lastPodFailure: RunnerFailure?) -> RunnerFailure? {
        guard let failed = job.condition("Failed") else { return nil }
        let reason = failed.reason ?? "Failed"
        switch reason {
        case "DeadlineExceeded":
            let budget = job.spec?.activeDeadlineSeconds.map { " (\($0) s)" } ?? ""
            return RunnerFailure(
                reason: reason,
                message: "the experiment's deadline\(budget) passed before its trials finished; its Runner Job \(job.metadata.name) was stopped")
        case "BackoffLimitExceeded":
            let count = job.status?.failed.map { "\($0) runner pods failed" } ?? "runner pods kept failing"
            if let last = lastPodFailure {
                return RunnerFailure(
                    reason: last.reason, message: "\(last.message) (BackoffLimitExceeded: \(count), Job \(job.metadata.name) gave up)")
            }
            return RunnerFailure(reason: reason, message: "\(count); Job \(job.metadata.name) gave up")
        default:
            return RunnerFailure(reason: reason, message: failed.message ?? "Job \(job.metadata.name) failed")
        }
    }
}

extension JobObject {
    /// Whether the Job has finished (a `Complete` or `Failed` condition is true).
    public var isFinished: Bool { condition("Complete") != nil || condition("Failed") != nil }
    /// The `assay.dev/attempt` label (1 when absent).
    public var attempt: Int { metadata.labels?[JobBuilder.attemptLabel].flatMap(Int.init) ?? 1 }
}
