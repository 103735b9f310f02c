import AssayCore
import Foundation

/// A declaration read from disk, with the folder its relative paths start from.
struct DeclarationFile {
    let url: URL
    let declaration: Declaration
    /// The file's text, as a server stores it.
    let text: String

    var folder: URL { url.deletingLastPathComponent() }

    /// Reads and validates; every problem becomes an ``InputError`` naming the file.
    init(path: String) throws {
        url = URL(filePath: path, relativeTo: URL.currentDirectory()).standardizedFileURL
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
                throw InputError(description: isDirectory.boolValue
                    ? "\(path) is a directory; give the declaration file (e.g. \(path)/assay.yaml)"
                    : "cannot read \(path): permission denied or unreadable")
            }
            throw InputError(description: "\(path): no such file")
        }
        guard data.count <= 4 << 20 else {
            throw InputError(description: "\(path) is \(data.count / 1_048_576) MiB; a declaration must be under 4 MiB")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw InputError(description: "\(path) is not UTF-8 text")
        }
        self.text = text
        do {
            declaration = try Declaration.parse(text)
        } catch {
            throw InputError(description: error.formatted(source: path))
        }
    }

    /// The sweep plan, with the trial cap turned into an input error.
    func plan(maxTrials: Int?) throws -> SweepPlan {
        do {
            return try SweepPlan(declaration, maxTrials: maxTrials)
        } catch {
            throw InputError(description: "\(url.lastPathComponent): \(error)")
        }
    }
}

/// `--max-trials`, defaulting to `ASSAY_MAX_TRIALS`, then the built-in cap.
func resolvedMaxTrials(_ option: Int?) throws -> Int {
    if let option { return option }
    if let text = ProcessInfo.processInfo.environment["ASSAY_MAX_TRIALS"] {
        guard let value = Int(text), value > 0 else {
            throw InputError(description: "ASSAY_MAX_TRIALS must be a positive integer (got \"\(text)\")")
        }
        return value
    }
    return SweepPlan.defaultMaxTrials
}
