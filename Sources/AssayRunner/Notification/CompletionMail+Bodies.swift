import Foundation

extension CompletionMail {
    static func text(_ report: CompletionReport, best: [CompletionReport.Trial]) -> String {
        var lines = [headline(report)]
        if let reason = report.reason, report.state != .completed { lines += ["", "Reason: \(reason)"] }
        if report.totalTrials > 0 { lines += ["", "Trials: \(report.countsText) (\(report.totalTrials) in all)"] }
        if !best.isEmpty {
            let (header, rows) = table(report, best: best)
            let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
            func line(_ cells: [String]) -> String {
                zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                    .joined(separator: "  ").trimmingTrailingSpaces()
            }
            lines += ["", "\(bestTitle(report)):", "", line(header)] + rows.map(line)
        }
        if let link = report.link { lines += ["", "Open the experiment: \(link)"] }
        return lines.joined(separator: "\n") + "\n"
    }

    static func html(_ report: CompletionReport, best: [CompletionReport.Trial]) -> String {
        let colour = switch report.state {
        case .completed: "#1a7f37"
        case .failed: "#cf222e"
        case .canceled, .queued, .running: "#57606a"
        }
        var body = """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>\(escape(subject(report)))</title></head>
            <body style="margin:0;padding:24px;background:#f6f8fa;font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#1f2328;font-size:14px;line-height:1.5">
            <div style="max-width:720px;margin:0 auto;background:#ffffff;border:1px solid #d0d7de;border-radius:6px;padding:24px">
            <h1 style="margin:0 0 8px;font-size:20px">\(escape(report.name)) <span style="color:\(colour)">\(escape(report.state.rawValue))</span></h1>
            <p style="margin:0 0 16px;color:#57606a">\(escape(headline(report)))</p>

            """
        if let reason = report.reason, report.state != .completed {
            body += "<p style=\"margin:0 0 16px\"><strong>Reason:</strong> \(escape(reason).replacingOccurrences(of: "\n", with: "<br>"))</p>\n"
        }
        if report.totalTrials > 0 {
            body += "<p style=\"margin:0 0 16px\"><strong>Trials:</strong> \(escape(report.countsText)) (\(report.totalTrials) in all)</p>\n"
        }
        if !best.isEmpty {
            let (header, rows) = table(report, best: best)
            let cell = "padding:6px 10px;border-bottom:1px solid #d0d7de;text-align:left"
            body += "<h2 style=\"margin:16px 0 8px;font-size:16px\">\(escape(bestTitle(report)))</h2>\n"
            body += "<table style=\"border-collapse:collapse;font-size:13px;font-family:ui-monospace,Menlo,Consolas,monospace\">\n"
            body += "<tr>" + header.map { "<th style=\"\(cell);background:#f6f8fa\">\(escape($0))</th>" }.joined() + "</tr>\n"
            for row in rows {
                body += "<tr>" + row.map { "<td style=\"\(cell)\">\(escape($0))</td>" }.joined() + "</tr>\n"
            }
            body += "</table>\n"
        }
        if let link = report.link, link.hasPrefix("https://") || link.hasPrefix("http://") {
            body += "<p style=\"margin:24px 0 0\"><a href=\"\(escape(link))\" style=\"display:inline-block;padding:8px 16px;background:#0969da;color:#ffffff;border-radius:6px;text-decoration:none\">Open the experiment</a></p>\n"
        }
        body += "</div>\n<p style=\"text-align:center;color:#57606a;font-size:12px\">Sent by Assay</p>\n</body></html>\n"
        return body
    }

    /// Text safe inside HTML elements and double- or single-quoted attributes.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
