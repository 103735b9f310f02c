import Foundation
import Logging

/// The Runner's configuration from its flags and `ASSAY_*` environment (flags win; an empty
/// variable counts as unset), checked: each problem names its variable.
struct RunnerSettings: Sendable {
    /// An unusable setting: the variable and what is wrong, without echoing secrets.
    struct Problem: Error, CustomStringConvertible {
        var variable: String
        var problem: String

        init(_ variable: String, _ problem: String) {
            self.variable = variable
            self.problem = problem
        }

        var description: String { "\(variable): \(problem)" }
    }

    var serverURL: URL
    var experiment: String
    var runnerID: String?
    var slots: Int?
    /// nil: a fresh folder under the temporary directory, removed at exit.
    var workDirectory: URL?
    var caFile: URL?
    var requestTimeout: Duration
    var exitWithParent: Bool
    var logLevel: Logger.Level

    init(_ command: RunnerCommand, environment: [String: String] = ProcessInfo.processInfo.environment) throws(Problem) {
        func value(_ flag: String?, _ name: String) -> String? {
            let text = flag ?? environment[name]
            return text?.isEmpty == false ? text : nil
        }
        func required(_ flag: String?, _ name: String) throws(Problem) -> String {
            guard let text = value(flag, name) else { throw Problem(name, "not set") }
            return text
        }

        serverURL = try Self.serverURL(try required(command.serverURL, "ASSAY_SERVER_URL"))
        experiment = try required(command.experimentID, "ASSAY_EXPERIMENT_ID")
        guard Self.isPlainName(experiment), experiment != ".", experiment != ".." else {
            throw Problem("ASSAY_EXPERIMENT_ID", "\(String(reflecting: experiment)) is not an experiment id (1 to 200 of A-Z a-z 0-9 . _ -)")
        }
        runnerID = value(command.runnerID, "ASSAY_RUNNER_ID")
        if let runnerID, runnerID.count > 200 || runnerID.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw Problem("ASSAY_RUNNER_ID", "must be 1 to 200 characters without control characters")
        }
        if let text = value(command.slots, "ASSAY_RUNNER_SLOTS") {
            guard let number = Int(text), (1...1024).contains(number) else {
                throw Problem("ASSAY_RUNNER_SLOTS", "\(String(reflecting: text)) is not a whole number from 1 to 1024")
            }
            slots = number
        }
        workDirectory = try value(command.workDirectory, "ASSAY_RUNNER_WORK_DIR").map { path throws(Problem) in try Self.folder(path) }
        caFile = try value(command.caFile, "ASSAY_CA_FILE").map { path throws(Problem) in
            guard FileManager.default.isReadableFile(atPath: path), !Self.isDirectory(path) else {
                throw Problem("ASSAY_CA_FILE", "\(path) is not a readable file")
            }
            return URL(filePath: path).absoluteURL
        }
        requestTimeout = .seconds(30)
        if let text = value(command.requestTimeout, "ASSAY_RUNNER_REQUEST_TIMEOUT") {
            guard let seconds = Double(text), seconds >= 0.1, seconds <= 3600 else {
                throw Problem("ASSAY_RUNNER_REQUEST_TIMEOUT", "\(String(reflecting: text)) is not a number of seconds from 0.1 to 3600")
            }
            requestTimeout = .milliseconds(Int64(seconds * 1000))
        }
        exitWithParent = command.exitWithParent
        if !exitWithParent, let text = value(nil, "ASSAY_RUNNER_EXIT_WITH_PARENT") {
            switch text.lowercased() {
            case "1", "true", "yes": exitWithParent = true
            case "0", "false", "no": exitWithParent = false
            default: throw Problem("ASSAY_RUNNER_EXIT_WITH_PARENT", "\(String(reflecting: text)) is not 1 or 0")
            }
        }
        logLevel = .info
        if let text = value(command.logLevel, "ASSAY_LOG_LEVEL") {
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                throw Problem("ASSAY_LOG_LEVEL", "\(String(reflecting: text)) is not trace, debug, info, notice, warning, error or critical")
            }
            logLevel = level
        }
    }

    /// An `http(s)://host[:port][/prefix]` URL; credentials, a query or a fragment are refused
    /// (the token travels in a header, and the URL is logged).
    private static func serverURL(_ text: String) throws(Problem) -> URL {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", components.host?.isEmpty == false,
            components.user == nil, components.password == nil, components.query == nil, components.fragment == nil,
            let url = components.url
        else {
            throw Problem("ASSAY_SERVER_URL", "is not an http:// or https:// URL of a host (without credentials, query or fragment)")
        }
        return url
    }

    /// The work folder, created if missing.
    private static func folder(_ path: String) throws(Problem) -> URL {
        let url = URL(filePath: path).absoluteURL
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw Problem("ASSAY_RUNNER_WORK_DIR", "cannot create the folder \(url.path): \(error.localizedDescription)")
        }
        guard FileManager.default.isWritableFile(atPath: url.path) else {
            throw Problem("ASSAY_RUNNER_WORK_DIR", "the folder \(url.path) is not writable")
        }
        return url
    }

    private static func isPlainName(_ text: String) -> Bool {
        (1...200).contains(text.utf8.count)
            && text.utf8.allSatisfy { $0.isASCIIAlphanumeric || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    private static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }
}

extension UInt8 {
    fileprivate var isASCIIAlphanumeric: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}
