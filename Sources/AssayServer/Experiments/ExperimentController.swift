import AssayCore
import AssayStore
import Foundation
import Hummingbird

/// Experiments of the calling user: create (validated against AssayCore),
/// list, get, cancel, archive, delete, rerun. Another user's id is 404.
struct ExperimentController: Sendable {
    let store: any ExperimentStore
    let executor: any Executor
    let maxTrials: Int
    /// How long a Runner holds a trial without reporting (`ASSAY_LEASE_SECONDS`).
    let leaseDuration: Duration
    /// How long a runner token opens the experiment's runner routes.
    let runnerTokenLifetime: TimeInterval
    let live: LiveEvents
    let now: @Sendable () -> Date


    func addRoutes(to group: RouterGroup<AssayRequestContext>) {
        group.post("experiments", use: create)
        group.get("experiments", use: list)
        group.get("experiments/{id}", use: get)
        group.post("experiments/{id}/cancel", use: cancel)
        group.post("experiments/{id}/archive", use: archive)
        group.post("experiments/{id}/rerun", use: rerun)
        group.delete("experiments/{id}", use: delete)
        group.post("experiments/{id}/visibility", use: visibility)
    }

    @Sendable func create(_ request: Request, context: AssayRequestContext) async throws -> EditedResponse<CreatedExperimentResponse> {
        let user = try context.requireUser()
        let submission = try await ExperimentSubmission.read(request)
        let (declaration, plan) = try await validate(submission, owner: user.id)
        let record = try await store.createExperiment(NewExperiment(
            owner: user.id, name: declaration.name, description: declaration.description, tags: declaration.tags,
            declaration: submission.text, artifact: submission.artifact ?? declaration.artifact, trialCount: plan.count,
            maxAttempts: declaration.trial.retries + 1, leaseDuration: leaseDuration), now: now())
        return try await started(record, context: context)
    }

    /// Every problem at once: the declaration's field errors, the artifact,
    /// and (once the declaration is valid) the plan's size.
    private func validate(_ submission: ExperimentSubmission, owner: UserID) async throws -> (Declaration, SweepPlan) {
        var errors: [AssayCore.FieldError] = []
        var declaration: Declaration?
        do {
            declaration = try Declaration.parse(submission.text)
        } catch {
            errors += error.errors
        }
        let artifact = submission.artifact ?? declaration?.artifact
        let owned = if let artifact, Identifier.isWellFormed(artifact) {
            try await store.artifact(id: artifact, owner: owner) != nil
        } else {
            false
        }
        if !owned, !errors.contains(where: { $0.path == "artifact" }) {
            errors.append(FieldError(path: "artifact", message: "must be the id of one of your uploaded artifacts"))
        }
        var plan: SweepPlan?
        if let declaration {
            do {
                plan = try SweepPlan(declaration, maxTrials: maxTrials)
            } catch {
                errors.append(FieldError(path: error.path, message: error.message))
            }
        }
        guard errors.isEmpty, let declaration, let plan else { throw APIError.invalidDeclaration(errors) }
        return (declaration, plan)
    }

    /// Issues the experiment's runner token, hands both to the executor and
    /// answers 201 (the token is never in an API response).
    private func started(_ record: ExperimentRecord, context: AssayRequestContext) async throws -> EditedResponse<CreatedExperimentResponse> {
        context.logger.info("experiment created", metadata: ["experiment": "\(record.id)", "trials": "\(record.trialCount)"])
        let secret = try await RunnerTokens(store: store, lifetime: runnerTokenLifetime, now: now).issue(for: record)
        try await executor.start(record, runnerToken: secret)
        return EditedResponse(
            status: .created, response: CreatedExperimentResponse(id: record.id, status: record.status, trials: record.trialCount))
    }

    @Sendable func list(_ request: Request, context: AssayRequestContext) async throws -> ExperimentListResponse {
        let user = try context.requireUser()
        let query = request.uri.queryParameters
        var filter = ExperimentFilter()
        if let status = query["status"].map(String.init) {
            guard let value = ExperimentStatus(rawValue: status) else {
                throw APIError.badRequest("status must be one of \(ExperimentStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.status = value
        }
        filter.tag = query["tag"].map(String.init)
        filter.text = query["q"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        if let archived = query["include_archived"].map(String.init) {
            guard let value = Bool(archived) else { throw APIError.badRequest("include_archived must be true or false") }
            filter.includeArchived = value
        }
        var page = PageRequest(limit: 50, after: query["after"].map(String.init))
        if let limit = query["limit"].map(String.init) {
            guard let value = Int(limit), (1...200).contains(value) else { throw APIError.badRequest("limit must be 1 to 200") }
            page.limit = value
        }
        let result = try await store.experiments(owner: user.id, filter: filter, page: page)
        return ExperimentListResponse(items: result.items.map { ExperimentSummary($0, ownerName: user.username) }, next: result.next)
    }

    @Sendable func get(_ request: Request, context: AssayRequestContext) async throws -> ExperimentDetail {
        let (record, _) = try await readable(context)
        return ExperimentDetail(record, ownerName: try await ownerName(of: record, context: context))
    }

    @Sendable func cancel(_ request: Request, context: AssayRequestContext) async throws -> ExperimentSummary {
        let user = try context.requireUser()
        let id = try Self.experimentID(context)
        guard let record = try await store.cancelExperiment(id: id, owner: user.id, now: now()) else {
            throw APIError.notFound("experiment")
        }
        try await executor.cancel(record)
        await live.publish(id, [LiveEventPayloads.experiment(record)], final: record.status.isFinal)
        context.logger.info("experiment canceled", metadata: ["experiment": "\(id)"])
        return ExperimentSummary(record, ownerName: user.username)
    }

    @Sendable func archive(_ request: Request, context: AssayRequestContext) async throws -> ExperimentSummary {
        let user = try context.requireUser()
        let id = try Self.experimentID(context)
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        let archived = buffer.readableBytes == 0 ? true : try StrictJSONDecoder.decode(ArchiveRequest.self, from: Data(buffer: buffer)).archived
        guard let record = try await store.setArchived(id: id, owner: user.id, archived: archived) else {
            throw APIError.notFound("experiment")
        }
        return ExperimentSummary(record, ownerName: user.username)
    }

    /// `{"public": true}` makes the experiment readable by every signed-in user with its
    /// link (its page, trials, logs, metrics, results, live events); only its owner can
    /// change that, or anything else about it.
    @Sendable func visibility(_ request: Request, context: AssayRequestContext) async throws -> ExperimentSummary {
        let user = try context.requireUser()
        let id = try Self.experimentID(context)
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        let body = try StrictJSONDecoder.decode(VisibilityRequest.self, from: Data(buffer: buffer))
        guard let record = try await store.setPublic(id: id, owner: user.id, isPublic: body.public) else {
            throw APIError.notFound("experiment")
        }
        context.logger.info("experiment visibility changed", metadata: ["experiment": "\(id)", "public": "\(body.public)"])
        return ExperimentSummary(record, ownerName: user.username)
    }

    @Sendable func rerun(_ request: Request, context: AssayRequestContext) async throws -> EditedResponse<CreatedExperimentResponse> {
        let user = try context.requireUser()
        let original = try await experiment(context, owner: user.id)
        let record = try await store.createExperiment(NewExperiment(
            owner: user.id, name: original.name, description: original.description, tags: original.tags,
            declaration: original.declaration, artifact: original.artifact, trialCount: original.trialCount,
            maxAttempts: original.maxAttempts, leaseDuration: .milliseconds(Int64(original.leaseSeconds * 1000))), now: now())
        context.logger.info("experiment rerun", metadata: ["original": "\(original.id)"])
        return try await started(record, context: context)
    }

    @Sendable func delete(_ request: Request, context: AssayRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let record = try await experiment(context, owner: user.id)
        if !record.status.isFinal { try await executor.cancel(record) }
        guard try await store.deleteExperiment(id: record.id, owner: user.id) else { throw APIError.notFound("experiment") }
        context.logger.info("experiment deleted", metadata: ["experiment": "\(record.id)"])
        return Response(status: .noContent)
    }

    /// The experiment named by `{id}` if the caller may read it (theirs, or public), with
    /// the owner to scope store reads by (nil for a public one read by someone else).
    /// Anything else is 404: another user's private experiment does not exist for them.
    func readable(_ context: AssayRequestContext) async throws -> (record: ExperimentRecord, scope: UserID?) {
        let user = try context.requireUser()
        let id = try Self.experimentID(context)
        if let mine = try await store.experiment(id: id, owner: user.id) { return (mine, user.id) }
        if let shared = try await store.experiment(id: id, owner: nil), shared.isPublic { return (shared, nil) }
        throw APIError.notFound("experiment")
    }

    /// The username of the record's owner (the caller's, or looked up for a public one).
    func ownerName(of record: ExperimentRecord, context: AssayRequestContext) async throws -> String? {
        let user = try context.requireUser()
        if record.owner == user.id { return user.username }
        return try await store.user(id: record.owner)?.username
    }

    /// The caller's experiment named by the `{id}` parameter, or 404.
    func experiment(_ context: AssayRequestContext, owner: UserID) async throws -> ExperimentRecord {
        guard let record = try await store.experiment(id: try Self.experimentID(context), owner: owner) else {
            throw APIError.notFound("experiment")
        }
        return record
    }

    /// The `{id}` parameter; 404 when it cannot be an id at all.
    static func experimentID(_ context: AssayRequestContext) throws -> ExperimentID {
        let id = try context.parameters.require("id")
        guard Identifier.isWellFormed(id) else { throw APIError.notFound("experiment") }
        return id
    }
}
