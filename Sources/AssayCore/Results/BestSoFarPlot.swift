import Foundation

/// How a search converges, as SVG: the objective of every finished trial by its
/// index, and the best value found up to each one as a step line. Trials stopped
/// early count with the best value they reached.
public struct BestSoFarPlot: Sendable {
    public let title: String
    public let metric: String
    public let goal: Objective.Goal
    /// (trial index, its objective value, the best value up to it), in index order.
    public let points: [(index: Int, value: Double, best: Double)]

    /// Nil without an objective or without a finished trial that reported it.
    public init?(title: String, results: [TrialResult], objective: Objective?) {
        guard let objective else { return nil }
        let finished = results
            .filter { $0.status == .succeeded || $0.status == .stoppedEarly }
            .compactMap { result -> (Int, Double)? in
                guard let value = result.metrics[objective.metric]?.number, value.isFinite else { return nil }
                return (result.trial.index, value)
            }
            .sorted { $0.0 < $1.0 }
        guard !finished.isEmpty else { return nil }
        var best = finished[0].1
        points = finished.map { index, value in
            best = objective.goal == .minimize ? min(best, value) : max(best, value)
            return (index, value, best)
        }
        self.title = title
        metric = objective.metric
        goal = objective.goal
    }

    static let width = 640.0, height = 360.0
    static let margin = (left: 64.0, right: 20.0, top: 48.0, bottom: 48.0)

    public func svg() -> String {
        let m = Self.margin
        let plotWidth = Self.width - m.left - m.right, plotHeight = Self.height - m.top - m.bottom
        let xRange = SweepPlot.range(points.map { Double($0.index) }, log: false)
        let yRange = SweepPlot.range(points.map(\.value), log: false)
        func x(_ value: Double) -> Double { m.left + (value - xRange.0) / (xRange.1 - xRange.0) * plotWidth }
        func y(_ value: Double) -> Double { m.top + plotHeight - (value - yRange.0) / (yRange.1 - yRange.0) * plotHeight }
        let name = SweepPlot.escape(metric)
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(Self.width))" height="\(Int(Self.height))" viewBox="0 0 \(Int(Self.width)) \(Int(Self.height))" font-family="sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(Self.width / 2)" y="20" text-anchor="middle" font-size="15" font-weight="bold">\(SweepPlot.escape(title))</text>
        <text x="\(Self.width / 2)" y="38" text-anchor="middle" fill="#555">\(name) of each trial (dots) and the best so far (\(goal == .minimize ? "lowest" : "highest"), line)</text>
        <rect x="\(m.left)" y="\(m.top)" width="\(plotWidth)" height="\(plotHeight)" fill="#fafafa" stroke="#bbb"/>

        """
        for tick in SweepPlot.ticks(yRange) {
            out += "<line x1=\"\(m.left - 4)\" y1=\"\(y(tick))\" x2=\"\(m.left + plotWidth)\" y2=\"\(y(tick))\" stroke=\"#e4e4e4\"/>\n"
            out += "<text x=\"\(m.left - 6)\" y=\"\(y(tick) + 4)\" text-anchor=\"end\">\(SweepPlot.label(tick))</text>\n"
        }
        for tick in SweepPlot.ticks(xRange) where tick == tick.rounded() {
            out += "<text x=\"\(x(tick))\" y=\"\(m.top + plotHeight + 16)\" text-anchor=\"middle\">\(SweepPlot.label(tick))</text>\n"
        }
        out += "<text x=\"\(m.left + plotWidth / 2)\" y=\"\(Self.height - 10)\" text-anchor=\"middle\" fill=\"#555\">trial</text>\n"
        out += "<text transform=\"translate(16 \(m.top + plotHeight / 2)) rotate(-90)\" text-anchor=\"middle\" fill=\"#555\">\(name)</text>\n"
        // The best so far as a step line: it holds until a trial improves on it.
        var path: [String] = []
        for (offset, point) in points.enumerated() {
            if offset > 0 { path.append("\(x(Double(point.index))),\(y(points[offset - 1].best))") }
            path.append("\(x(Double(point.index))),\(y(point.best))")
        }
        out += "<polyline class=\"best\" points=\"\(path.joined(separator: " "))\" fill=\"none\" stroke=\"#c0392b\" stroke-width=\"2\"/>\n"
        for point in points {
            out += "<circle cx=\"\(x(Double(point.index)))\" cy=\"\(y(point.value))\" r=\"3\" fill=\"#3b6fb6\" fill-opacity=\"0.6\"/>\n"
        }
        return out + "</svg>\n"
    }
}
