import AssayCore
import AssayEngine
import Foundation
import Testing

@Suite("Setup step")
struct SetupStepTests {
    /// A workspace in a sandbox with an empty code folder, and a declaration with `setup`.
    func step(_ setup: [String]?, in sandbox: Sandbox) throws -> SetupStep {
        var object: [String: Any] = [
            "name": "setup test", "artifact": "./code", "command": ["true"],
            "parameters": ["x": ["type": "const", "value": 1]],
        ]
        if let setup { object["setup"] = setup }
        let text = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        let declaration = try Declaration.parse(text)
        let workspace = TrialWorkspace(root: sandbox.root.appending(path: "run"), trialCount: 1)
        try workspace.createFolders()
        try FileManager.default.createDirectory(at: workspace.code, withIntermediateDirectories: true)
        return SetupStep(declaration: declaration, workspace: workspace, baseEnvironment: Sandbox.environment)
    }

    @Test func aFailureQuotesTheTailOfStderr() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let setup = try step(["sh", "-c", "echo progress; for i in 1 2 3 4 5 6 7; do echo line $i >&2; done; exit 3"], in: sandbox)
        await #expect {
            try await setup.run(tailLines: 3)
        } throws: { error in
            (error as? SetupFailure)?.description == "setup sh -c echo progress; for i in 1 2 3 4 5 6 7; do echo line $i >&2; done; exit 3 exited with 3:\nline 5\nline 6\nline 7"
        }
    }

    @Test func withoutStderrTheTailOfStdoutIsQuoted() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let setup = try step(["sh", "-c", "echo 'no GPU here'; exit 1"], in: sandbox)
        await #expect {
            try await setup.run()
        } throws: { error in
            (error as? SetupFailure)?.description == "setup sh -c echo 'no GPU here'; exit 1 exited with 1:\nno GPU here"
        }
    }

    @Test func aMissingCommandIsASetupFailure() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let setup = try step(["no-such-setup-command"], in: sandbox)
        await #expect {
            try await setup.run()
        } throws: { error in
            (error as? SetupFailure)?.description.hasPrefix("setup no-such-setup-command could not start: ") == true
        }
    }

    @Test func itRunsInTheCodeFolderWithTheScrubbedEnvironment() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let setup = try step(["sh", "-c", "pwd > where; env > env.txt"], in: sandbox)
        try await setup.run()
        let code = setup.workspace.code
        let folder = try String(contentsOf: code.appending(path: "where"), encoding: .utf8)
        #expect(folder.trimmingCharacters(in: .newlines) == code.path)
        let environment = try String(contentsOf: code.appending(path: "env.txt"), encoding: .utf8)
        #expect(!environment.contains("ASSAY_RUNNER_TOKEN"))
        #expect(!environment.contains("ASSAY_TRIAL="))
    }

    @Test func noSetupDoesNothing() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let setup = try step(nil, in: sandbox)
        #expect(setup.spec == nil)
        try await setup.run()
    }
}
