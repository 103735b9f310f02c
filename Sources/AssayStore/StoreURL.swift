import AssayCore
import Foundation

/// Where the store lives, from `ASSAY_STORE_URL`:
/// `sqlite:relative/assay.db`, `sqlite:///abs/assay.db`,
/// `mongodb://user:pass@host:27017/assay?tls=true` (the path names the database).
public enum StoreURL: Sendable, Hashable, CustomStringConvertible {
    case sqlite(path: String)
    case mongo(uri: String, database: String)

    public static let `default` = "sqlite:assay-data/assay.db"

    /// Parses a store URL; relative SQLite paths are resolved against `directory`.
    public static func parse(_ text: String, relativeTo directory: URL = .currentDirectory()) throws(StoreError) -> StoreURL {
        if text.hasPrefix("sqlite:") {
            var path = String(text.dropFirst("sqlite:".count))
            if path.hasPrefix("///") { path = String(path.dropFirst(2)) } else if path.hasPrefix("//") {
                throw .invalid("store URL \(text): use sqlite:relative/path.db or sqlite:///absolute/path.db")
            }
            guard !path.isEmpty, !path.hasSuffix("/") else { throw .invalid("store URL \(text): names no database file") }
            let url = path.hasPrefix("/") ? URL(filePath: path) : directory.appending(path: path)
            return .sqlite(path: url.standardizedFileURL.path)
        }
        if text.hasPrefix("mongodb://") || text.hasPrefix("mongodb+srv://") {
            guard let components = URLComponents(string: text), components.host.map({ !$0.isEmpty }) == true else {
                throw .invalid("store URL \(redacted(text)): not a valid MongoDB connection string")
            }
            let database = components.path.split(separator: "/").first.map(String.init) ?? "assay"
            guard database.range(of: #"^[A-Za-z0-9_-]{1,63}$"#, options: .regularExpression) != nil else {
                throw .invalid("store URL \(redacted(text)): \"\(database)\" is not a usable database name")
            }
            return .mongo(uri: text, database: database)
        }
        throw .invalid("store URL \(redacted(text)): expected sqlite:PATH or mongodb://HOST/DATABASE")
    }

    /// The URL without its password, for logs and errors.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite://\(path)"
        case .mongo(let uri, _): Self.redacted(uri)
        }
    }

    static func redacted(_ text: String) -> String {
        URLRedaction.redacting(text)
    }
}
