import ArgumentParser
import AssayCore
import Foundation

/// `assay plot ID`: the objective against each varied parameter, as SVG.
struct PlotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw an experiment's objective against each varied parameter (SVG).",
        discussion: "The same picture as the plot.svg of `assay run`, from the trials that have ended so far.")

    @Argument(help: "The experiment's id.")
    var id: String

    @Option(name: [.customShort("o"), .customLong("out")], help: "The SVG file to write (- for stdout).")
    var out = "plot.svg"

    @Flag(help: "Draw the objective of each trial by index and the best found so far (how a search converges).")
    var bestSoFar = false

    func run() async throws {
        let client = try ServerConnection.client()
        let experiment = try await ExperimentResults(client: client, id: id)
        let declaration = experiment.declaration
        if bestSoFar {
            guard let plot = BestSoFarPlot(title: declaration.name, results: experiment.results, objective: declaration.objective) else {
                throw CLIFailure(.failed, "nothing to plot for \(id) yet: no objective, or no finished trial reported it")
            }
            return try OutputFile.write(plot.svg(), to: out)
        }
        guard let plot = SweepPlot(title: declaration.name, results: experiment.results, parameters: declaration.parameters, objective: declaration.objective) else {
            throw CLIFailure(.failed, "nothing to plot for \(id) yet: no succeeded trial reported a number, or no parameter varies")
        }
        try OutputFile.write(plot.svg(), to: out)
    }
}
