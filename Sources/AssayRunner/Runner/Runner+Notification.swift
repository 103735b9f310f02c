import AssayCore

/// The completion mail: claimed by the Runner that sees the experiment over, sent by one.
extension Runner {
    /// Claims the mail once the experiment is final and has recipients, sends it through the
    /// notifier if the claim is granted, and reports how that went. Failures here are logged
    /// only: the trials' results are safe whatever happens to the mail.
    func sendCompletionMail(spec: RunnerSpec, declaration: Declaration) async {
        guard let notifier, lastStatus?.isFinal == true, !declaration.notify.email.isEmpty else { return }
        let runner = configuration.runnerID
        do {
            let claim = try await retrying("claim-notification") { try await server.claimNotification(runner: runner) }
            guard claim.granted else { return }
            let delivery: NotificationDelivery
            if claim.smtp == nil {
                delivery = .failed("the server has no SMTP settings (ASSAY_SMTP_URL)")
            } else {
                logger.info("sending the completion mail", metadata: ["recipients": "\(declaration.notify.email.count)"])
                delivery = await notifier.notify(spec: spec, claim: claim)
            }
            let (sent, error): (Bool, String?) = switch delivery {
            case .sent: (true, nil)
            case .failed(let message): (false, WireText.clean(message))
            }
            if let error { logger.warning("completion mail not sent", metadata: ["error": "\(error)"]) }
            try await retrying("notification-result") {
                try await server.notificationResult(runner: runner, sent: sent, error: error.map { String($0.prefix(2000)) })
            }
        } catch {
            logger.warning("completion mail: \(error)")
        }
    }
}
