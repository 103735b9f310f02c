/// Sends the completion mail once this Runner won the notification claim. The SMTP
/// implementation lives elsewhere; the Runner only needs this.
public protocol CompletionNotifier: Sendable {
    /// Sends the mail for `spec`'s experiment with the SMTP settings of `claim` (granted,
    /// with settings). Never throws: the outcome is reported to the server either way.
    func notify(spec: RunnerSpec, claim: NotificationClaim) async -> NotificationDelivery
}

/// How sending the completion mail went.
public enum NotificationDelivery: Sendable, Hashable {
    case sent
    /// Not sent, and why (for people; the server keeps it, and a failed mail may be claimed again).
    case failed(String)
}
