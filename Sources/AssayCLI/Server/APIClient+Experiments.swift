import AssayCore
import Foundation

extension APIClient {
    /// `/api/v1/experiments/<id><rest>`, the id escaped as one path segment.
    static func experimentPath(_ id: String, _ rest: String = "") -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove("/")
        return "/api/v1/experiments/\(id.addingPercentEncoding(withAllowedCharacters: allowed) ?? id)\(rest)"
    }

    /// Runs a request about experiment `id`; a 404 becomes exit 5 naming it.
    func about<T>(experiment id: String, _ request: () async throws -> T) async throws -> T {
        do {
            return try await request()
        } catch let error as ServerError where error.status == 404 {
            throw CLIFailure(.notFound, "no experiment \(id) on \(base.absoluteString) (or it is not yours)")
        }
    }

    /// The experiment's summary with its declaration, and the answer as it came.
    func experiment(_ id: String) async throws -> (summary: ExperimentSummary, body: Data) {
        let body = try await about(experiment: id) { try await bytes(Self.experimentPath(id)) }
        do {
            return (try JSONDecoder().decode(ExperimentSummary.self, from: body), body)
        } catch {
            throw CLIFailure(.failed, "the server's experiment \(id) is not what this CLI understands: \(error)")
        }
    }

    /// `POST /api/v1/experiments`'s answer.
    struct CreatedExperiment: Decodable {
        let id: String
        let status: String
        let trials: Int
    }

    /// Uploads the declaration's artifact and submits the declaration with its id.
    func submit(_ source: DeclarationFile) async throws -> CreatedExperiment {
        let artifact = try await uploadArtifact(of: source)
        let text: String
        do {
            text = try Declaration.submissionText(source.text, artifact: artifact.id)
        } catch {
            throw InputError(description: "\(source.url.lastPathComponent): \(error)")
        }
        return try await decode(CreatedExperiment.self, "/api/v1/experiments", method: .post, body: Data(text.utf8), contentType: "application/yaml")
    }

    /// Every trial the server has leased, as the API lists them, in index order.
    func trialItems(of id: String) async throws -> [[String: Any]] {
        var items: [[String: Any]] = []
        while true {
            let page = try await about(experiment: id) { try await json(.get, Self.experimentPath(id, "/trials?limit=1000&offset=\(items.count)")) }
            let found = page["items"] as? [[String: Any]] ?? []
            items += found
            guard found.count == 1000 else { return items }
        }
    }

    /// Every trial the server has leased, as rows of `plan` (an adaptive search's with the
    /// parameters the server shows for them), in index order.
    func trialResults(of id: String, plan: SweepPlan, parameters: [Parameter]) async throws -> [TrialResult] {
        try await trialItems(of: id).compactMap { item in
            guard let index = item["index"] as? Int, index < plan.count,
                  let status = (item["status"] as? String).flatMap(TrialStatus.init(rawValue:)) else { return nil }
            let trial: PlannedTrial
            if plan.isAdaptive {
                guard let shown = item["parameters"] as? [String: String],
                      let set = ParameterSet(shown: shown, parameters: parameters) else { return nil }
                trial = .proposed(index: index, parameters: set)
            } else {
                trial = plan[index]
            }
            let attempts = item["attempts"] as? [[String: Any]] ?? []
            let metrics = (try? JSONSerialization.data(withJSONObject: item["metrics"] ?? [:]))
                .flatMap { try? JSONDecoder().decode(Metrics.self, from: $0) } ?? Metrics()
            return TrialResult(
                trial: trial, status: status, attempts: attempts.count,
                seconds: attempts.last?["seconds"] as? Double ?? 0, metrics: metrics)
        }
    }

    /// Draws the experiment's live counts on `progress` until its event
    /// stream ends (the experiment is final). A stream that breaks off for
    /// good is only warned about: ``finalSummary(of:progress:)`` polls then.
    func showLiveCounts(of id: String, on progress: ProgressBar) async {
        do {
            for try await event in events(of: id) where event.event == "experiment" {
                await progress.show(counts: (event.object["counts"] as? [String: Any] ?? [:]).compactMapValues { $0 as? Int })
            }
        } catch {
            if !Task.isCancelled { Terminal.warning("live updates stopped: \(CLIFailure(error).description)") }
        }
    }

    /// The summary once the experiment is final, polling every half second
    /// while it is not (the event stream also ends when updates fail).
    func finalSummary(of id: String, progress: ProgressBar) async throws -> ExperimentSummary {
        var summary = try await experiment(id).summary
        while !summary.isFinal {
            try await Task.sleep(for: .milliseconds(500))
            summary = try await experiment(id).summary
            await progress.show(counts: summary.counts)
        }
        return summary
    }

    /// Follows the experiment with a progress bar on stderr until it is final;
    /// its final summary.
    func watch(_ id: String) async throws -> ExperimentSummary {
        let start = try await experiment(id).summary
        let progress = ProgressBar(total: start.trials, elapsed: start.runningFor)
        await progress.show(counts: start.counts)
        await showLiveCounts(of: id, on: progress)
        let summary = try await finalSummary(of: id, progress: progress)
        await progress.show(counts: summary.counts)
        await progress.finish()
        return summary
    }
}

/// A stored experiment's declaration, plan and the results of its leased trials.
struct ExperimentResults {
    let summary: ExperimentSummary
    let declaration: Declaration
    let plan: SweepPlan
    let results: [TrialResult]

    init(client: APIClient, id: String) async throws {
        summary = try await client.experiment(id).summary
        do {
            declaration = try Declaration.parse(summary.declaration ?? "")
            plan = try SweepPlan(declaration, maxTrials: nil)
        } catch {
            throw CLIFailure(.failed, "experiment \(id)'s stored declaration no longer reads as a sweep: \(error)")
        }
        results = try await client.trialResults(of: id, plan: plan, parameters: declaration.parameters)
    }

    var table: ResultsTable {
        ResultsTable(results: results, parameters: declaration.parameters, objective: declaration.objective)
    }
}

extension ParameterSet {
    /// The parameter set the API shows as text (`{"lr": "0.012", "h": "32", "w": "32"}`),
    /// read against the declared parameters: each value as its kind reads it, a group by
    /// the entry whose members all show those values. Nil if one does not fit.
    init?(shown: [String: String], parameters: [Parameter]) {
        var entries: [Entry] = []
        for parameter in parameters {
            var setting: Setting?
            switch parameter.kind {
            case .int: setting = shown[parameter.name].flatMap(Int.init).map { .scalar(.int($0)) }
            case .float: setting = shown[parameter.name].flatMap(Double.init).map { .scalar(.float($0)) }
            case .bool: setting = shown[parameter.name].flatMap(Bool.init).map { .scalar(.bool($0)) }
            case .choice, .const, .group:
                guard case .list(let settings) = parameter.domain else { return nil }
                setting = settings.first { listed in
                    switch listed {
                    case .scalar(let value): shown[parameter.name] == value.description
                    case .group(_, let members): members.allSatisfy { shown[$0.name] == $0.value.description }
                    }
                }
            }
            guard let setting else { return nil }
            entries.append(Entry(name: parameter.name, setting: setting))
        }
        self.init(entries: entries)
    }
}
