import AssayCore
import AssayEngine
import Foundation

/// Before the first lease: spec, artifact, declaration, plan, workspace, setup.
extension Runner {
    /// What the trials need, once everything before them worked.
    struct PreparedSweep: Sendable {
        var spec: RunnerSpec
        var declaration: Declaration
        /// Maps a leased trial index to its parameters.
        var plan: SweepPlan
        var workspace: TrialWorkspace
    }

    enum Preparation: Sendable {
        case ready(PreparedSweep)
        /// The experiment ended before this Runner started.
        case nothingToDo(ExperimentState)
        /// The experiment cannot run here: the server is told this reason.
        case setupFailed(String, spec: RunnerSpec)
        /// The server could not be used (not told: it would not listen either).
        case failed(String)
    }

    func prepare() async -> Preparation {
        let spec: RunnerSpec
        do {
            spec = try await retrying("spec") { try await server.spec() }
        } catch {
            return .failed("cannot fetch the spec: \(error)")
        }
        guard !spec.status.isFinal else { return .nothingToDo(spec.status) }
        logger[metadataKey: "experiment"] = "\(spec.experiment)"

        let declaration: Declaration
        let plan: SweepPlan
        do {
            declaration = try Declaration.parse(spec.declaration)
            plan = try SweepPlan(declaration, maxTrials: nil)
        } catch {
            return .setupFailed("the declaration cannot be read: \(error)", spec: spec)
        }
        guard plan.count == spec.trials else {
            return .setupFailed("the declaration plans \(plan.count) trials, the server \(spec.trials)", spec: spec)
        }

        let workspace = TrialWorkspace(root: workFolder, trialCount: plan.count)
        do {
            try workspace.createFolders()
        } catch {
            return .failed("cannot create the work folder \(workFolder.path): \(error.localizedDescription)")
        }
        if let failure = await fetchArtifact(spec.artifact, into: workspace) { return failure.preparation(spec) }

        let setup = SetupStep(declaration: declaration, workspace: workspace, baseEnvironment: configuration.baseEnvironment)
        if setup.spec != nil {
            logger.info("running setup")
            do {
                try await setup.run(engine: engine, tailLines: configuration.setupTailLines)
            } catch let failure as SetupFailure {
                return .setupFailed(failure.description, spec: spec)
            } catch {
                return .failed("interrupted during setup")
            }
        }
        return .ready(PreparedSweep(spec: spec, declaration: declaration, plan: plan, workspace: workspace))
    }

    /// This Runner's own folder: a restarted Runner (a new id) never finds an old one's files.
    var workFolder: URL {
        let name = String(configuration.runnerID.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" })
        return configuration.workDirectory.appending(path: name.isEmpty ? "runner" : name)
    }

    /// Why fetching the artifact went wrong: the artifact itself (the experiment fails), or
    /// the server (the Runner stops).
    enum ArtifactFailure {
        case bad(ArtifactError)
        case server(String)

        func preparation(_ spec: RunnerSpec) -> Preparation {
            switch self {
            case .bad(let error): .setupFailed(error.description, spec: spec)
            case .server(let reason): .failed(reason)
            }
        }
    }

    /// Downloads, verifies and unpacks the artifact into the workspace's `code/` (an empty
    /// folder when the experiment has none); the zip is deleted afterwards.
    func fetchArtifact(_ artifact: RunnerSpec.Artifact?, into workspace: TrialWorkspace) async -> ArtifactFailure? {
        guard let artifact else {
            do {
                try FileManager.default.createDirectory(at: workspace.code, withIntermediateDirectories: false)
                return nil
            } catch {
                return .server("cannot create \(workspace.code.path): \(error.localizedDescription)")
            }
        }
        let zip = workspace.root.appending(path: "artifact.zip")
        defer { try? FileManager.default.removeItem(at: zip) }
        logger.info("downloading the artifact", metadata: ["artifact": "\(artifact.id)", "bytes": "\(artifact.size)"])
        do {
            try await retrying("artifact") { try await server.downloadArtifact(to: zip) }
        } catch {
            return .server("cannot download the artifact: \(error)")
        }
        do {
            try ArtifactUnpacker(limits: configuration.unpackLimits)
                .verifyAndUnpack(zip, sha256: artifact.sha256, size: artifact.size, into: workspace.code)
        } catch {
            return .bad(error)
        }
        return nil
    }

    /// Tells the server the experiment cannot run (it fails with `reason`), then claims the mail.
    func reportSetupFailure(_ reason: String, spec: RunnerSpec) async -> RunnerExit {
        logger.error("setup failed", metadata: ["reason": "\(reason)"])
        do {
            lastStatus = try await retrying("setup-failed") {
                try await server.setupFailed(runner: configuration.runnerID, reason: String(WireText.clean(reason).prefix(2000)))
            }
        } catch {
            return .failed("cannot report the failed setup (\(reason)): \(error)")
        }
        if let declaration = try? Declaration.parse(spec.declaration) {
            await sendCompletionMail(spec: spec, declaration: declaration)
        }
        return .setupFailed(reason)
    }
}
