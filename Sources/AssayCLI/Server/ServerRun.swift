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
        let created = try await client.submit(source)
        let id = created.id
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        Terminal.out("\(declaration.name): \(plan.count) trial\(plan.count == 1 ? "" : "s") (\(plan.strategy.name)), "
            + "\(declaration.workers) runner\(declaration.workers == 1 ? "" : "s"), experiment \(id) on \(client.base.absoluteString)")

        let progress = ProgressBar(total: plan.count)
        let interrupted = await Interruption.cancelling {
            await client.showLiveCounts(of: id, on: progress)
            return Task.isCancelled
        }
        let summary: ExperimentSummary
        if interrupted {
            try await client.json(.post, APIClient.experimentPath(id, "/cancel"))
            summary = try await client.experiment(id).summary
        } else {
            summary = try await client.finalSummary(of: id, progress: progress)
        }
        await progress.finish()

        let leased = try await client.trialResults(of: id, plan: plan, parameters: declaration.parameters)
        // Trials never leased (the sweep was canceled or failed first) count as canceled; an
        // adaptive search's never-proposed trials have no parameters and are not trials at all.
        var results = plan.isAdaptive ? [] : (0..<plan.count).map { index in
            TrialResult(trial: plan[index], status: .canceled, attempts: 0, seconds: 0, metrics: Metrics())
        }
        for result in leased {
            if plan.isAdaptive { results.append(result) } else { results[result.trial.index] = result }
        }
        let written = try RunReport(declaration: declaration, results: results).write(to: output)
        let bundle = output.appending(path: "bundle.zip")
        try await client.bytes(APIClient.experimentPath(id, "/bundle.zip")).write(to: bundle)
        if summary.status == "failed" {
            Terminal.error("experiment failed: \(summary.reason ?? "no reason given")")
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
}
