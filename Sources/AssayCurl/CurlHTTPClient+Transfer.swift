import CCurl
import Foundation

extension CurlHTTPClient {
    /// Runs `request` on the calling (transfer) thread, delivering the response to `receiver`.
    /// Returns the response for any status; throws for a failed transfer.
    func perform(
        _ request: HTTPRequest,
        into receiver: HTTPResponseReceiver,
        cancellation: TransferCancellation
    ) throws -> HTTPResponse {
        let context = "\(request.method) \(request.url.redactedDescription)"
        let started = ContinuousClock.now
        let easy = try CurlEasy()
        let upload = try configure(easy, for: request)
        try receiver.install(on: easy)
        try upload?.install(on: easy)
        let progress = request.progress.map(TransferProgressReporter.init)
        try progress?.install(on: easy)

        let outcome = withExtendedLifetime((receiver, upload, progress)) { easy.perform(cancellation: cancellation) }
        if let failure = receiver.failure { throw failure }
        switch outcome {
        case .cancelled:
            throw CurlError.cancelled
        case .finished(let code) where code != CURLE_OK:
            let error = CurlError(code: code, message: easy.errorMessage, context: context)
            logger.debug("HTTP request failed", metadata: ["request": "\(context)", "error": "\(error)"])
            throw error
        case .finished:
            receiver.finishLines()
            let response = receiver.response
            logger.debug(
                "HTTP request finished",
                metadata: [
                    "request": "\(context)", "status": "\(response.status)",
                    "duration": "\(ContinuousClock.now - started)",
                ]
            )
            return response
        }
    }

    /// Sets every option for `request`; returns the body source to install, if any.
    private func configure(_ easy: CurlEasy, for request: HTTPRequest) throws -> UploadSource? {
        guard let scheme = request.url.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw CurlError.invalidRequest("only http and https URLs are supported: \(request.url.redactedDescription)")
        }
        guard request.method.isValidToken else {
            throw CurlError.invalidRequest("invalid HTTP method \(String(reflecting: request.method.rawValue))")
        }
        try easy.set(CURLOPT_URL, request.url.absoluteString)
        try easy.set(CURLOPT_PROTOCOLS_STR, "http,https")
        try easy.set(CURLOPT_SSL_VERIFYPEER, 1)
        try easy.set(CURLOPT_SSL_VERIFYHOST, 2)
        try configureTLS(easy)
        try easy.set(CURLOPT_USERAGENT, userAgent)
        // A proxy's "200 Connection established" must not pass for the server's answer.
        try easy.set(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1)
        try setTimeouts(request.timeouts, on: easy)
        try easy.set(CURLOPT_HTTPHEADER, list: try headerLines(for: request))

        if request.method == .head {
            try easy.set(CURLOPT_NOBODY, 1)
            return nil
        }
        let sendsBody = request.body != nil || [HTTPMethod.post, .put, .patch].contains(request.method)
        // Without a body libcurl sends GET; with one, CURLOPT_POST sends the body under
        // whatever method CURLOPT_CUSTOMREQUEST names.
        if request.method != (sendsBody ? .post : .get) {
            try easy.set(CURLOPT_CUSTOMREQUEST, request.method.rawValue)
        }
        guard sendsBody else { return nil }
        let upload = UploadSource(request.body ?? Data())
        try easy.set(CURLOPT_POST, 1)
        try easy.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: upload.count)
        return upload
    }

    /// Trust (CA file or bytes) and the client identity. Verification itself is always on.
    private func configureTLS(_ easy: CurlEasy) throws {
        switch (caFile, caData) {
        case (.some, .some):
            throw CurlError.invalidRequest("give the CA certificates as a file or as data, not both")
        case (let file?, nil):
            try requireReadable(file, "CA file")
            try easy.set(CURLOPT_CAINFO, file.path)
            // Trust the given CAs instead of the system's, not in addition to them.
            try easy.set(CURLOPT_CAPATH, pointer: nil)
        case (nil, let data?):
            guard !data.isEmpty else { throw CurlError.invalidRequest("the CA certificate data is empty") }
            try easy.set(CURLOPT_CAINFO_BLOB, blob: data)
            try easy.set(CURLOPT_CAPATH, pointer: nil)
        case (nil, nil):
            break
        }
        guard let clientIdentity else { return }
        try easy.set(CURLOPT_SSLCERTTYPE, "PEM")
        try easy.set(CURLOPT_SSLKEYTYPE, "PEM")
        switch clientIdentity.certificate {
        case .pem(let data):
            guard !data.isEmpty else { throw CurlError.invalidRequest("the client certificate data is empty") }
            try easy.set(CURLOPT_SSLCERT_BLOB, blob: data)
        case .file(let file):
            try requireReadable(file, "client certificate file")
            try easy.set(CURLOPT_SSLCERT, file.path)
        }
        switch clientIdentity.privateKey {
        case .pem(let data):
            guard !data.isEmpty else { throw CurlError.invalidRequest("the client key data is empty") }
            try easy.set(CURLOPT_SSLKEY_BLOB, blob: data)
        case .file(let file):
            try requireReadable(file, "client key file")
            try easy.set(CURLOPT_SSLKEY, file.path)
        }
    }

    private func requireReadable(_ file: URL, _ what: String) throws {
        guard FileManager.default.isReadableFile(atPath: file.path) else {
            throw CurlError.invalidRequest("\(what) \(file.path) is not readable")
        }
    }

    private func setTimeouts(_ timeouts: HTTPTimeouts, on easy: CurlEasy) throws {
        try easy.set(CURLOPT_CONNECTTIMEOUT_MS, timeouts.connect.curlMilliseconds)
        if let total = timeouts.total {
            try easy.set(CURLOPT_TIMEOUT_MS, total.curlMilliseconds)
        }
        if let lowSpeed = timeouts.lowSpeed {
            try easy.set(CURLOPT_LOW_SPEED_LIMIT, max(1, lowSpeed.bytesPerSecond))
            try easy.set(CURLOPT_LOW_SPEED_TIME, lowSpeed.duration.curlSeconds)
        }
    }

    /// The request's headers as `Name: value` lines, plus the ones that stop libcurl's own
    /// defaults: no `Expect: 100-continue` pause, no form-encoded `Content-Type` on a body.
    private func headerLines(for request: HTTPRequest) throws -> [String] {
        var lines: [String] = []
        for field in request.headers {
            guard !field.name.isEmpty, field.name.utf8.allSatisfy(HTTPHeaders.isTokenByte) else {
                throw CurlError.invalidRequest("invalid header name \(String(reflecting: field.name))")
            }
            // Only the name goes into the message: the value may be a credential.
            guard !field.value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else {
                throw CurlError.invalidRequest("the value of header \(field.name) contains CR, LF or NUL")
            }
            // "Name:" would make libcurl drop the header; "Name;" sends it empty.
            lines.append(field.value.isEmpty ? "\(field.name);" : "\(field.name): \(field.value)")
        }
        if request.headers["Expect"] == nil { lines.append("Expect:") }
        if request.headers["Content-Type"] == nil { lines.append("Content-Type:") }
        return lines
    }
}
