import AssayCore
import AssayStore
import Foundation
import Hummingbird

/// The routes a Runner uses, behind ``RunnerAuthenticationMiddleware``:
/// the spec, the artifact, leases, event batches, a failed setup and the
/// completion-mail claim of one experiment.
struct RunnerController: Sendable {
    let store: any ExperimentStore
    /// Handed to the Runner that wins the notification claim, and to no one else.
    let smtp: ServerConfiguration.SMTP?
    /// Where users reach the server: the mail links to the experiment's page under it.
    let publicURL: URL?
    let live: LiveEvents
    let metrics: ServerMetrics
    let now: @Sendable () -> Date
    /// Proposes the trials of adaptive experiments at lease time.
    let search: AdaptiveSearch
    /// The declaration's early-stopping rule, applied to each batch's metrics.
    let earlyStopping: EarlyStopping

    init(
        store: any ExperimentStore, smtp: ServerConfiguration.SMTP?, publicURL: URL?, live: LiveEvents, metrics: ServerMetrics,
        now: @escaping @Sendable () -> Date
    ) {
        self.store = store
        self.smtp = smtp
        self.publicURL = publicURL
        self.live = live
        self.metrics = metrics
        self.now = now
        search = AdaptiveSearch(store: store)
        earlyStopping = EarlyStopping(store: store)
    }

    /// The most trials one lease request may take.
    static let maxLease = 1000
    /// Event batches carry columnar metrics and log lines: larger than other JSON bodies.
    static let maxBatchBytes = 4 * 1024 * 1024
    /// The most attempts one batch may list as `active` (a Runner runs one per slot).
    static let maxActive = 10_000

    func addRoutes(to group: RouterGroup<AssayRequestContext>) {
        group.get("spec", use: spec)
        group.get("artifact", use: artifact)
        group.post("lease", use: lease)
        group.post("events", use: events)
        group.post("setup-failed", use: setupFailed)
        group.post("claim-notification", use: claimNotification)
        group.post("notification-result", use: notificationResult)
    }

    @Sendable func spec(_ request: Request, context: AssayRequestContext) async throws -> RunnerSpecResponse {
        let record = try await experiment(context)
        let artifact = try await record.artifact.asyncFlatMap { try await store.artifact(id: $0, owner: record.owner) }
        return RunnerSpecResponse(
            experiment: record.id, status: record.status, declaration: record.declaration,
            artifact: artifact.map { .init(id: $0.id, sha256: $0.sha256, size: $0.size) },
            trials: record.trialCount, maxAttempts: record.maxAttempts, leaseSeconds: record.leaseSeconds)
    }

    @Sendable func artifact(_ request: Request, context: AssayRequestContext) async throws -> Response {
        let record = try await experiment(context)
        guard let id = record.artifact, let artifact = try await store.artifact(id: id, owner: record.owner) else {
            throw APIError.notFound("artifact")
        }
        return ArtifactController.streaming(artifact, from: store)
    }

    @Sendable func lease(_ request: Request, context: AssayRequestContext) async throws -> LeaseResponse {
        let record = try await experiment(context)
        let body = try await request.decode(as: LeaseRequest.self, context: context)
        var errors: [APIError.FieldError] = []
        if body.runner.isEmpty || body.runner.count > 200 { errors.append(.init(field: "runner", message: "1 to 200 characters")) }
        if !(1...Self.maxLease).contains(body.max) { errors.append(.init(field: "max", message: "1 to \(Self.maxLease)")) }
        if !errors.isEmpty { throw APIError.invalid(errors) }
        let leases = try await search.lease(record, runner: body.runner, max: body.max, now: now())
        metrics.recordLeases(leases.count)
        var status = record.status
        if !leases.isEmpty, let leased = try await store.experiment(id: record.id, owner: nil) {
            status = leased.status
            await live.publish(record.id, [LiveEventPayloads.experiment(leased)], final: leased.status.isFinal)
        }
        context.logger.debug("leased", metadata: ["runner": "\(body.runner)", "trials": "\(leases.map(\.index))"])
        return LeaseResponse(leases: leases, status: status)
    }

    @Sendable func events(_ request: Request, context: AssayRequestContext) async throws -> EventBatchResponse {
        let record = try await experiment(context)
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: Self.maxBatchBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.tooLarge(limit: Self.maxBatchBytes)
        }
        let body = try StrictJSONDecoder.decode(EventBatchRequest.self, from: Data(buffer: buffer))
        let active = body.active?.map(\.attempt) ?? []
        guard active.count <= Self.maxActive else {
            throw APIError.invalid([.init(field: "active", message: "at most \(Self.maxActive) attempts")])
        }
        let events = body.events.map(\.event)
        var outcome = try await store.applyEvents(
            EventBatch(experiment: record.id, runner: body.runner, seq: body.seq, events: events, active: active), now: now())
        if !outcome.duplicate {
            metrics.recordBatch(events)
            var published = events.map { LiveEventPayloads.event($0) }
            // Stopped now: the Runner hears it in this answer and kills the trial at once.
            for stop in try await earlyStopping.review(record, events: events, now: now()) {
                outcome.revoked = Array(Set(outcome.revoked + [stop.attempt])).sorted()
                published.append(LiveEventPayloads.event(.finished(
                    trial: stop.attempt.trial, attempt: stop.attempt.attempt, status: .stoppedEarly, exitCode: nil, seconds: 0,
                    final: stop.final, reason: stop.reason)))
                context.logger.info("trial stopped early", metadata: ["trial": "\(stop.attempt)", "reason": "\(stop.reason)"])
            }
            if let applied = try await store.experiment(id: record.id, owner: nil) {
                outcome.experimentStatus = applied.status
                published.append(LiveEventPayloads.experiment(applied))
            }
            await live.publish(record.id, published, final: outcome.experimentStatus.isFinal)
            // Its curves are not needed once it ended.
            if outcome.experimentStatus.isFinal { await earlyStopping.forget(record.id) }
        }
        if !outcome.revoked.isEmpty {
            context.logger.info("leases revoked", metadata: ["runner": "\(body.runner)", "attempts": "\(outcome.revoked)"])
        }
        return EventBatchResponse(outcome)
    }

    /// Fails the experiment with the Runner's reason; its remaining trials count as canceled.
    @Sendable func setupFailed(_ request: Request, context: AssayRequestContext) async throws -> RunnerStatusResponse {
        let record = try await experiment(context)
        let body = try await request.decode(as: SetupFailedRequest.self, context: context)
        let reason = body.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw APIError.invalid([.init(field: "reason", message: "must not be empty")]) }
        let failed = try await store.failExperiment(id: record.id, reason: String(reason.prefix(2000)), now: now())
        context.logger.notice("setup failed", metadata: ["runner": "\(body.runner)"])
        if let failed { await live.publish(record.id, [LiveEventPayloads.experiment(failed)], final: failed.status.isFinal) }
        return RunnerStatusResponse(status: failed?.status ?? record.status)
    }

    /// `granted` is true for exactly one claim of a final experiment's mail.
    @Sendable func claimNotification(_ request: Request, context: AssayRequestContext) async throws -> ClaimNotificationResponse {
        let record = try await experiment(context)
        let body = try await request.decode(as: ClaimNotificationRequest.self, context: context)
        let declaration = try Declaration.parse(record.declaration)
        let recipients = declaration.notify.email
        guard !recipients.isEmpty else { return ClaimNotificationResponse(granted: false, reason: "no recipients (notify.email)") }
        guard let smtp else { return ClaimNotificationResponse(granted: false, reason: "the server has no SMTP configured") }
        guard try await store.claimNotification(experiment: record.id, runner: body.runner, now: now()) else {
            return ClaimNotificationResponse(granted: false)
        }
        // Re-read: the claim happens after the end, so counts and times are final.
        let final = try await store.experiment(id: record.id, owner: nil) ?? record
        let table = try await ExperimentResults.table(of: final, owner: nil, store: store)
        let csv = table.csv()
        let started = final.startedAt ?? final.createdAt
        let summary = MailSummary(
            to: recipients,
            experiment: .init(
                id: final.id, name: final.name, status: final.status, reason: final.reason, counts: final.counts,
                trials: final.trialCount, createdAt: final.createdAt, startedAt: final.startedAt, finishedAt: final.finishedAt,
                seconds: max(0, (final.finishedAt ?? now()).timeIntervalSince(started))),
            // The web UI routes in the fragment (`/#/experiments/<id>`); `appending(path:)` would encode the `#`.
            url: publicURL.map { $0.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/#/experiments/\(final.id)" },
            objective: declaration.objective.map { .init(metric: $0.metric, goal: $0.goal.rawValue) },
            best: table.rows.prefix(5).map { row in
                .init(trial: row.trial.index, status: row.status,
                      parameters: Dictionary(row.trial.parameters.values.map { ($0.name, $0.value.description) }, uniquingKeysWith: { $1 }),
                      metrics: row.metrics)
            },
            resultsCsv: csv.utf8.count <= MailSummary.maxAttachmentBytes ? csv : nil)
        context.logger.info("notification claimed", metadata: ["runner": "\(body.runner)"])
        return ClaimNotificationResponse(
            granted: true,
            smtp: .init(url: smtp.url.absoluteString, user: smtp.user, password: smtp.password, from: smtp.from, starttls: smtp.startTLS.rawValue),
            mail: summary)
    }

    /// Records the mail's outcome; a failed one may be claimed again.
    @Sendable func notificationResult(_ request: Request, context: AssayRequestContext) async throws -> Response {
        let record = try await experiment(context)
        let body = try await request.decode(as: NotificationResultRequest.self, context: context)
        let outcome: NotificationOutcome = body.sent ? .sent : .failed(String((body.error ?? "not sent").prefix(2000)))
        try await store.recordNotification(experiment: record.id, outcome: outcome, now: now())
        context.logger.info("notification", metadata: ["runner": "\(body.runner)", "sent": "\(body.sent)"])
        return Response(status: .noContent)
    }

    /// The experiment the runner token was issued for (404 once it is deleted).
    private func experiment(_ context: AssayRequestContext) async throws -> ExperimentRecord {
        guard let id = context.runnerExperiment, let record = try await store.experiment(id: id, owner: nil) else {
            throw APIError.notFound("experiment")
        }
        return record
    }
}

extension Optional {
    fileprivate func asyncFlatMap<U>(_ transform: (Wrapped) async throws -> U?) async rethrows -> U? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
