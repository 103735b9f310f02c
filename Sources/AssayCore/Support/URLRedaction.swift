/// URLs with their credentials hidden, for logs, errors and configuration
/// dumps: `mongodb://assay:s3cret@db/assay` → `mongodb://<redacted>@db/assay`.
public enum URLRedaction {
    public static func redacting(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://"),
              let at = url[schemeEnd.upperBound...].firstIndex(of: "@"),
              !url[schemeEnd.upperBound..<at].contains("/")
        else { return url }
        return url[..<schemeEnd.upperBound] + "<redacted>" + url[at...]
    }
}
