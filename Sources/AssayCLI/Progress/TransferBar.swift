import AssayCurl
import Synchronization

/// An upload's progress as a bar redrawn in place on stderr, fed from libcurl's
/// transfer thread (hence the lock). Only for a terminal: a log gets the
/// command's own lines before and after instead.
final class TransferBar: Sendable {
    private struct State {
        var line = StatusLine(interactive: true)
        var sent = -1
    }

    private let label: String
    private let state = Mutex(State())

    init(label: String) {
        self.label = label
    }

    /// Draws the bytes sent so far (an ``HTTPRequest/progress`` closure).
    @Sendable func show(_ progress: TransferProgress) {
        // libcurl reports zeros before it has started on the body.
        guard progress.uploadTotal > 0 else { return }
        let done = Int64(progress.uploaded), total = Int64(progress.uploadTotal)
        state.withLock { state in
            // The answer coming back moves only the download counts.
            guard progress.uploaded != state.sent else { return }
            state.sent = progress.uploaded
            state.line.draw(force: done == total) {
                "uploading \(label)  [\(StatusLine.bar(done, of: total))] \(APIClient.size(done)) / \(APIClient.size(total))"
            }
        }
    }

    /// Ends the bar's line, so what follows starts on a line of its own.
    func end() {
        state.withLock { $0.line.end() }
    }
}
