import AssayCurl
import Foundation

/// The process exit codes of `assay`, listed in `assay --help` and docs/cli.md.
enum ExitStatus: Int32, CaseIterable {
    case success = 0
    /// The sweep ran but no trial succeeded, the experiment failed, or anything unexpected.
    case failed = 1
    case badInput = 2
    case canceled = 3
    case notLoggedIn = 4
    case notFound = 5
    case unreachable = 6

    var meaning: String {
        switch self {
        case .success: "success (for run, watch and submit --watch: at least one trial succeeded)"
        case .failed: "the experiment failed or no trial succeeded, or another error"
        case .badInput: "bad input: a missing or invalid file, an invalid declaration, bad flags"
        case .canceled: "the experiment was canceled (watch, submit --watch)"
        case .notLoggedIn: "not logged in, or the server rejected the credentials"
        case .notFound: "no such experiment or trial (or not yours)"
        case .unreachable: "the server could not be reached or is unavailable"
        }
    }

    /// The table for `assay --help`.
    static var helpText: String {
        "Exit codes:\n" + allCases.map { "  \($0.rawValue)  \($0.meaning)" }.joined(separator: "\n")
    }
}

/// A one-line message and the exit code it ends the process with.
struct CLIFailure: Error, CustomStringConvertible {
    let status: ExitStatus
    let description: String

    init(_ status: ExitStatus, _ description: String) {
        self.status = status
        self.description = description
    }

    /// Every error the commands let through, mapped once to a message and an exit code.
    init(_ error: any Error) {
        switch error {
        case let failure as CLIFailure:
            self = failure
        case let input as InputError:
            self.init(.badInput, input.description)
        case let server as APIClient.ServerError:
            self.init(Self.status(http: server.status), server.description)
        case let curl as CurlError:
            switch curl {
            case .couldNotConnect, .timedOut, .tls:
                self.init(.unreachable, "cannot reach the server: \(curl)")
            case .unexpectedStatus(let status, let body):
                self.init(Self.status(http: status), APIClient.ServerError(status: status, body: Data(body.utf8)).description)
            default:
                self.init(.failed, "\(curl)")
            }
        default:
            self.init(.failed, "\(error)")
        }
    }

    /// Whether ``init(_:)`` knows `error`; the rest (help, usage errors) is ArgumentParser's to report.
    static func recognizes(_ error: any Error) -> Bool {
        error is CLIFailure || error is InputError || error is APIClient.ServerError || error is CurlError
    }

    static func status(http: Int) -> ExitStatus {
        switch http {
        case 401, 403: .notLoggedIn
        case 404: .notFound
        case 400, 409, 413, 422: .badInput
        case 500...: .unreachable
        default: .failed
        }
    }
}
