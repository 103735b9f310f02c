import AssayCore
import Foundation

/// `assay run FILE` through a server (the embedded one, or `ASSAY_URL`):
/// upload the artifact, submit, follow the live events with the progress
/// bar, then write the same results as a local run plus the server's bundle.
struct ServerRun {
    let source: DeclarationFile
    let plan: SweepPlan
    let output: URL
    let show: Int

    /// The exit status: 0 when any trial succeeded, 1 otherwise.
    func run(client: APIClient) async throws -> Int32 {
        let declaration = source.declaration
        let artifactPath = URL(filePath: declaration.artifact, relativeTo: source.folder).standardizedFileURL
        let zip = try ArtifactArchive.zip(artifactPath)
        defer { if zip != artifactPath { try? FileManager.default.removeItem(at: zip) } }
        let uploaded = try await client.json(.post, "/api/v1/artifacts", body: try Data(contentsOf: zip), contentType: "application/zip")
        guard let artifact = uploaded["id"] as? String else { throw InputError(description: "the server did not return an artifact id") }
        let text = try Declaration.submissionText(source.text, artifact: artifact)
        let created = try await client.json(.post, "/api/v1/experiments", body: Data(text.utf8), contentType: "application/yaml")
        guard let id = created["id"] as? String else { throw InputError(description: "the server did not return an experiment id") }
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        Terminal.out("\(declaration.name): \(plan.count) trial\(plan.count == 1 ? "" : "s") (\(plan.strategy.name)), "
            + "\(declaration.workers) runner\(declaration.workers == 1 ? "" : "s"), experiment \(id) on \(client.base.absoluteString)")

        let progress = ProgressBar(total: plan.count)
        let interrupted = await Interruption.cancelling {
            do {
                for try await event in client.events(of: id) where event.event == "experiment" {
                    await progress.show(counts: Self.counts(event.object))
                }
                return false
            } catch {
                if !Task.isCancelled { Terminal.warning("live updates stopped: \(error)") }
                return Task.isCancelled
            }
        }
        if interrupted { try await client.json(.post, "/api/v1/experiments/\(id)/cancel") }
        var summary = try await client.json(.get, "/api/v1/experiments/\(id)")
        // The stream also ends when updates fail: wait for the final state then.
        while !interrupted, let status = summary["status"] as? String, status == "queued" || status == "running" {
            try await Task.sleep(for: .milliseconds(500))
            summary = try await client.json(.get, "/api/v1/experiments/\(id)")
            await progress.show(counts: Self.counts(summary))
        }
        await progress.finish()

        let results = try await trialResults(client: client, experiment: id)
        let written = try RunReport(declaration: declaration, results: results).write(to: output)
        let bundle = output.appending(path: "bundle.zip")
        try await client.bytes("/api/v1/experiments/\(id)/bundle.zip").write(to: bundle)
        if summary["status"] as? String == "failed" {
            Terminal.error("experiment failed: \(summary["reason"] as? String ?? "no reason given")")
        }
        Terminal.out("")
        Terminal.out(written.table.text(limit: show), terminator: "")
        Terminal.out("")
        Terminal.out(written.countsLine)
        Terminal.out("results: \(RunCommand.relative(written.csv))")
        Terminal.out("         \(RunCommand.relative(written.json))")
        if let plot = written.plot { Terminal.out("plot:    \(RunCommand.relative(plot))") }
        Terminal.out("logs:    \(RunCommand.relative(bundle)) (results, declaration and every trial's log)")
        return results.contains { $0.status == .succeeded } ? 0 : 1
    }

    /// The `counts` object of an experiment summary.
    static func counts(_ object: [String: Any]) -> [String: Int] {
        (object["counts"] as? [String: Any] ?? [:]).compactMapValues { $0 as? Int }
    }

    /// Every trial of the plan: as the server has it, or `canceled` with no attempt if never leased.
    private func trialResults(client: APIClient, experiment: String) async throws -> [TrialResult] {
        var byIndex: [Int: TrialResult] = [:]
        var offset = 0
        while true {
            let page = try await client.json(.get, "/api/v1/experiments/\(experiment)/trials?limit=1000&offset=\(offset)")
            let items = page["items"] as? [[String: Any]] ?? []
            for item in items {
                guard let index = item["index"] as? Int, index < plan.count,
                      let status = (item["status"] as? String).flatMap(TrialStatus.init(rawValue:)) else { continue }
                let attempts = item["attempts"] as? [[String: Any]] ?? []
                let metrics = (try? JSONSerialization.data(withJSONObject: item["metrics"] ?? [:]))
                    .flatMap { try? JSONDecoder().decode(Metrics.self, from: $0) } ?? Metrics()
                byIndex[index] = TrialResult(
                    trial: plan[index], status: status, attempts: attempts.count,
                    seconds: attempts.last?["seconds"] as? Double ?? 0, metrics: metrics)
            }
            guard items.count == 1000 else { break }
            offset += items.count
        }
        return (0..<plan.count).map { index in
            byIndex[index] ?? TrialResult(trial: plan[index], status: .canceled, attempts: 0, seconds: 0, metrics: Metrics())
        }
    }
}
