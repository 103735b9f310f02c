import CCurl

/// libcurl's process-wide setup, which must happen once before the first handle and is not
/// safe to run concurrently with other libcurl calls.
enum CurlGlobal {
    /// Whether `curl_global_init` succeeded; Swift runs this initializer exactly once.
    private static let initialized: Bool = assay_curl_global_init() == CURLE_OK

    /// Initializes libcurl on first use; throws if that failed.
    static func ensureInitialized() throws {
        guard initialized else {
            throw CurlError.transport(code: Int(CURLE_FAILED_INIT.rawValue), message: "curl_global_init failed")
        }
    }
}
