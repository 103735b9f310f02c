import CCurl
import Foundation

/// One libcurl easy handle and everything it points to (header and recipient lists, the error
/// buffer), freed together in `deinit`. Used on one transfer thread only, never shared.
final class CurlEasy {
    /// The outcome of ``perform(cancellation:)``.
    enum Outcome {
        case finished(CURLcode)
        case cancelled
    }

    let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var lists: [UnsafeMutablePointer<curl_slist>] = []

    init() throws {
        try CurlGlobal.ensureInitialized()
        guard let handle = curl_easy_init() else {
            throw CurlError.transport(code: Int(CURLE_OUT_OF_MEMORY.rawValue), message: "curl_easy_init failed")
        }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        try set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer))
        // Signals cannot be used for timeouts in a multithreaded process.
        try set(CURLOPT_NOSIGNAL, 1)
    }

    deinit {
        curl_easy_cleanup(handle)
        for list in lists { curl_slist_free_all(list) }
        errorBuffer.deallocate()
    }

    /// libcurl's message for the last failure, or empty.
    var errorMessage: String { String(cString: errorBuffer) }

    // MARK: Options

    func set(_ option: CURLoption, _ value: Int) throws {
        try check(assay_curl_set_long(handle, option, value), option)
    }

    /// libcurl copies string options, so `value` need not outlive the call.
    func set(_ option: CURLoption, _ value: String) throws {
        try check(value.withCString { assay_curl_set_string(handle, option, $0) }, option)
    }

    func set(_ option: CURLoption, offset value: Int) throws {
        try check(assay_curl_set_off_t(handle, option, curl_off_t(value)), option)
    }

    /// Sets a blob option (certificates and keys as bytes); libcurl keeps its own copy.
    func set(_ option: CURLoption, blob value: Data) throws {
        let code = value.withUnsafeBytes { bytes in
            assay_curl_set_blob(handle, option, bytes.baseAddress, bytes.count)
        }
        try check(code, option)
    }

    /// `value` must stay valid until the transfer ends.
    func set(_ option: CURLoption, pointer value: UnsafeMutableRawPointer?) throws {
        try check(assay_curl_set_pointer(handle, option, value), option)
    }

    func set(_ option: CURLoption, callback: assay_curl_data_callback) throws {
        try check(assay_curl_set_data_callback(handle, option, callback), option)
    }

    func setDebugCallback(_ callback: assay_curl_debug_callback) throws {
        try check(assay_curl_set_debug_callback(handle, callback), CURLOPT_DEBUGFUNCTION)
    }

    /// Also turns progress reporting on (`CURLOPT_NOPROGRESS` 0), without which libcurl never calls it.
    func setProgressCallback(_ callback: assay_curl_xferinfo_callback) throws {
        try check(assay_curl_set_xferinfo_callback(handle, callback), CURLOPT_XFERINFOFUNCTION)
        try set(CURLOPT_NOPROGRESS, 0)
    }

    /// Sets a `curl_slist` option (headers, mail recipients); the list lives as long as the handle.
    func set(_ option: CURLoption, list items: [String]) throws {
        var list: UnsafeMutablePointer<curl_slist>?
        for item in items {
            guard let appended = curl_slist_append(list, item) else {
                if let list { curl_slist_free_all(list) }
                throw CurlError.transport(code: Int(CURLE_OUT_OF_MEMORY.rawValue), message: "curl_slist_append failed")
            }
            list = appended
        }
        if let list { lists.append(list) }
        try set(option, pointer: UnsafeMutableRawPointer(list))
    }

    private func check(_ code: CURLcode, _ option: CURLoption) throws {
        guard code == CURLE_OK else {
            throw CurlError(code: code, message: "", context: "setting curl option \(option.rawValue)")
        }
    }

    // MARK: Information

    /// The last HTTP status (or SMTP reply code) received; 0 if none.
    var responseCode: Int {
        var code = 0
        return assay_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK ? code : 0
    }

    // MARK: Transfer

    /// Runs the transfer to its end on the calling thread, which it blocks.
    ///
    /// Drives a private multi handle rather than `curl_easy_perform`, so that
    /// ``TransferCancellation/cancel()`` can wake the poll and end the transfer at once.
    func perform(cancellation: TransferCancellation) -> Outcome {
        guard let multi = curl_multi_init() else { return .finished(CURLE_OUT_OF_MEMORY) }
        defer { curl_multi_cleanup(multi) }
        guard curl_multi_add_handle(multi, handle) == CURLM_OK else { return .finished(CURLE_FAILED_INIT) }
        defer { curl_multi_remove_handle(multi, handle) }
        guard cancellation.attach(multi) else { return .cancelled }
        defer { cancellation.detach() }

        var running: Int32 = 1
        while true {
            guard curl_multi_perform(multi, &running) == CURLM_OK else { return .finished(CURLE_FAILED_INIT) }
            if cancellation.isCancelled { return .cancelled }
            if running == 0 { break }
            // Returns on socket activity, a timeout libcurl asked for, or curl_multi_wakeup.
            guard curl_multi_poll(multi, nil, 0, 1_000, nil) == CURLM_OK else { return .finished(CURLE_FAILED_INIT) }
        }
        var queued: Int32 = 0
        var result = CURLE_FAILED_INIT
        while let message = curl_multi_info_read(multi, &queued) {
            if message.pointee.msg == CURLMSG_DONE { result = message.pointee.data.result }
        }
        return .finished(result)
    }
}
