import Foundation

/// An SVG picture of a sweep: the objective against each varied parameter,
/// one panel per parameter, so the sensitivity to each is visible at a glance.
public struct SweepPlot: Sendable {
    public let title: String
    public let metric: String
    public let goal: Objective.Goal?
    public let panels: [Panel]

    /// One parameter's panel: x positions (numeric, or category indexes), y values.
    public struct Panel: Sendable {
        public var parameter: String
        public var points: [(x: Double, y: Double, best: Bool)]
        /// Category labels when the parameter is not numeric, by x index.
        public var categories: [String]?
        public var logScale: Bool
    }

    /// A plot of `metric` (the objective, or else the first numeric metric);
    /// nil when no trial reported a number to plot or nothing was varied.
    public init?(title: String, results: [TrialResult], parameters: [Parameter], objective: Objective?) {
        let metric = objective?.metric ?? results.lazy.compactMap { result in
            result.metrics.entries.first { $0.value.number != nil }?.name
        }.first
        guard let metric else { return nil }
        let plotted = results.compactMap { result -> (TrialResult, Double)? in
            guard result.status == .succeeded, let value = result.metrics[metric]?.number, value.isFinite else { return nil }
            return (result, value)
        }
        guard !plotted.isEmpty else { return nil }
        // The one best trial, ties broken as the results table breaks them.
        let bestTrial = objective.flatMap { objective in
            plotted.map(\.0).min { ResultsTable.ranks($0, before: $1, objective: objective) }?.trial.index
        }
        var panels: [Panel] = []
        for parameter in parameters where parameter.isVaried {
            let settings = plotted.map { $0.0.trial.parameters[parameter.name]! }
            let numeric = parameter.kind == .int || parameter.kind == .float
            var categories: [String]?
            let xs: [Double]
            if numeric {
                xs = settings.map { $0.number ?? 0 }
            } else {
                var labels: [String] = []
                if case .list(let all) = parameter.domain { labels = all.map(\.description) }
                for setting in settings where !labels.contains(setting.description) { labels.append(setting.description) }
                xs = settings.map { Double(labels.firstIndex(of: $0.description)!) }
                categories = labels
            }
            let points = zip(xs, plotted).map { (x: $0, y: $1.1, best: $1.0.trial.index == bestTrial) }
            panels.append(Panel(parameter: parameter.name, points: points, categories: categories, logScale: parameter.domain.isLogScale))
        }
        guard !panels.isEmpty else { return nil }
        self.title = title
        self.metric = metric
        self.goal = objective?.goal
        self.panels = panels
    }

    static let panelWidth = 340.0, panelHeight = 260.0
    static let margin = (left: 64.0, right: 16.0, top: 36.0, bottom: 52.0)

    /// The SVG document.
    public func svg() -> String {
        let columns = min(3, panels.count)
        let rows = (panels.count + columns - 1) / columns
        let width = Double(columns) * Self.panelWidth
        let height = 48 + Double(rows) * Self.panelHeight
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(width / 2)" y="22" text-anchor="middle" font-size="15" font-weight="bold">\(Self.escape(title))</text>
        <text x="\(width / 2)" y="40" text-anchor="middle" fill="#555">\(Self.escape(metric))\(goal.map { " (\($0.rawValue))" } ?? "") by parameter — ★ best trial</text>

        """
        let yRange = Self.range(panels[0].points.map(\.y), log: false)
        for (offset, panel) in panels.enumerated() {
            let originX = Double(offset % columns) * Self.panelWidth
            let originY = 48 + Double(offset / columns) * Self.panelHeight
            out += panelSVG(panel, x: originX, y: originY, yRange: yRange)
        }
        return out + "</svg>\n"
    }

    private func panelSVG(_ panel: Panel, x originX: Double, y originY: Double, yRange: (Double, Double)) -> String {
        let m = Self.margin
        let plotWidth = Self.panelWidth - m.left - m.right
        let plotHeight = Self.panelHeight - m.top - m.bottom
        let left = originX + m.left, top = originY + m.top
        let xs = panel.points.map(\.x)
        let xRange: (Double, Double)
        if let categories = panel.categories {
            xRange = (-0.5, Double(categories.count) - 0.5)
        } else {
            xRange = Self.range(xs, log: panel.logScale)
        }
        func scaleX(_ value: Double) -> Double {
            let (low, high) = xRange
            let t = panel.logScale && panel.categories == nil
                ? (log10(value) - log10(low)) / (log10(high) - log10(low))
                : (value - low) / (high - low)
            return left + t * plotWidth
        }
        func scaleY(_ value: Double) -> Double {
            top + plotHeight - (value - yRange.0) / (yRange.1 - yRange.0) * plotHeight
        }
        var out = "<g>\n"
        out += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\" fill=\"#fafafa\" stroke=\"#bbb\"/>\n"
        out += "<text x=\"\(left + plotWidth / 2)\" y=\"\(originY + 22)\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">\(Self.escape(panel.parameter))</text>\n"
        // y ticks
        for tick in Self.ticks(yRange) {
            let y = scaleY(tick)
            out += "<line x1=\"\(left - 4)\" y1=\"\(y)\" x2=\"\(left + plotWidth)\" y2=\"\(y)\" stroke=\"#e4e4e4\"/>\n"
            out += "<text x=\"\(left - 6)\" y=\"\(y + 4)\" text-anchor=\"end\">\(Self.label(tick))</text>\n"
        }
        // x ticks
        let xTicks: [(Double, String)]
        if let categories = panel.categories {
            xTicks = categories.enumerated().map { (Double($0.offset), Self.shorten($0.element)) }
        } else if panel.logScale {
            xTicks = Self.logTicks(xRange).map { ($0, Self.label($0)) }
        } else {
            xTicks = Self.ticks(xRange).map { ($0, Self.label($0)) }
        }
        for (value, text) in xTicks {
            let x = scaleX(value)
            out += "<line x1=\"\(x)\" y1=\"\(top + plotHeight)\" x2=\"\(x)\" y2=\"\(top + plotHeight + 4)\" stroke=\"#888\"/>\n"
            out += "<text x=\"\(x)\" y=\"\(top + plotHeight + 16)\" text-anchor=\"middle\">\(Self.escape(text))</text>\n"
        }
        out += "<text x=\"\(left + plotWidth / 2)\" y=\"\(top + plotHeight + 36)\" text-anchor=\"middle\" fill=\"#555\">\(Self.escape(panel.parameter))\(panel.logScale ? " (log)" : "")</text>\n"
        out += "<text transform=\"translate(\(originX + 14) \(top + plotHeight / 2)) rotate(-90)\" text-anchor=\"middle\" fill=\"#555\">\(Self.escape(metric))</text>\n"
        // Mean per distinct x, joined by a line, shows the trend under the noise.
        let means = Dictionary(grouping: panel.points, by: \.x).map { x, points in
            (x, points.map(\.y).reduce(0, +) / Double(points.count))
        }.sorted { $0.0 < $1.0 }
        if means.count > 1, means.count < panel.points.count || panel.categories != nil {
            let path = means.map { "\(scaleX($0.0)),\(scaleY($0.1))" }.joined(separator: " ")
            out += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"#e07b39\" stroke-width=\"1.5\"/>\n"
        }
        for point in panel.points {
            let cx = scaleX(point.x), cy = scaleY(point.y)
            out += "<circle cx=\"\(cx)\" cy=\"\(cy)\" r=\"3.5\" fill=\"#3b6fb6\" fill-opacity=\"0.55\"/>\n"
        }
        for point in panel.points where point.best {
            out += "<text x=\"\(scaleX(point.x))\" y=\"\(scaleY(point.y) + 5)\" text-anchor=\"middle\" font-size=\"15\" fill=\"#c0392b\">★</text>\n"
        }
        return out + "</g>\n"
    }

    /// Padded data range; never empty.
    static func range(_ values: [Double], log: Bool) -> (Double, Double) {
        var low = values.min() ?? 0, high = values.max() ?? 1
        if log, low > 0 {
            if low == high { return (low / 2, high * 2) }
            let pad = pow(high / low, 0.05)
            return (low / pad, high * pad)
        }
        if low == high { low -= abs(low) * 0.1 + 0.5; high += abs(high) * 0.1 + 0.5 }
        let pad = (high - low) * 0.06
        return (low - pad, high + pad)
    }

    /// About five round ticks inside the range.
    static func ticks(_ range: (Double, Double)) -> [Double] {
        let span = range.1 - range.0
        let raw = span / 5
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var ticks: [Double] = []
        var tick = ceil(range.0 / step) * step
        while tick <= range.1 + step * 1e-9 {
            ticks.append(abs(tick) < step * 1e-9 ? 0 : tick)
            tick += step
        }
        return ticks
    }

    static func logTicks(_ range: (Double, Double)) -> [Double] {
        let low = Int(floor(log10(range.0))), high = Int(ceil(log10(range.1)))
        var ticks = (low...high).map { pow(10, Double($0)) }.filter { $0 >= range.0 && $0 <= range.1 }
        if ticks.count < 2 {
            ticks = (low...high).flatMap { exponent in [1.0, 2, 5].map { $0 * pow(10, Double(exponent)) } }
                .filter { $0 >= range.0 && $0 <= range.1 }
        }
        return ticks
    }

    static func label(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e6 { return String(Int(value)) }
        return String(format: "%.3g", value)
    }

    static func shorten(_ text: String) -> String {
        text.count > 14 ? String(text.prefix(13)) + "…" : text
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

extension Domain {
    /// Whether points are spread on a log scale (plotted on a log axis).
    var isLogScale: Bool {
        switch self {
        case .floatSpaced(_, _, _, let scale), .intRange(_, _, let scale), .floatRange(_, _, let scale): scale == .log
        default: false
        }
    }
}
