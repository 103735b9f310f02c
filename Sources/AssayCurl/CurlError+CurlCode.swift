import CCurl

extension CurlError {
    /// The one place a libcurl result code becomes a `CurlError`.
    ///
    /// - Parameters:
    ///   - code: the failed transfer's result.
    ///   - message: libcurl's explanation (its error buffer), or empty.
    ///   - context: what was being done, e.g. `GET https://host/path`; must already be redacted.
    init(code: CURLcode, message: String, context: String) {
        let explanation = message.isEmpty ? String(cString: curl_easy_strerror(code)) : message
        let text = context.isEmpty ? explanation : "\(context): \(explanation)"
        switch code {
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            self = .invalidRequest(text)
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT:
            self = .couldNotConnect(text)
        case CURLE_OPERATION_TIMEDOUT:
            self = .timedOut(text)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE,
            CURLE_SSL_CERTPROBLEM, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
            CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CIPHER, CURLE_SSL_CRL_BADFILE:
            self = .tls(text)
        case CURLE_USE_SSL_FAILED:
            self = .starttlsRefused(text)
        case CURLE_LOGIN_DENIED:
            self = .authenticationRejected(text)
        case CURLE_ABORTED_BY_CALLBACK:
            self = .cancelled
        // libcurl's SMTP code reports a refused command as a send error named after the command.
        case CURLE_SEND_ERROR where explanation.hasPrefix("MAIL failed"):
            self = .senderRejected(text)
        case CURLE_SEND_ERROR where explanation.hasPrefix("RCPT failed"):
            self = .recipientRejected(text)
        case CURLE_SEND_ERROR where explanation.hasPrefix("DATA failed"):
            self = .messageRejected(text)
        // A server that refuses the client certificate says so with a TLS alert, which
        // libcurl reports on the first read or write after the handshake.
        case CURLE_RECV_ERROR where Self.isTLSAlert(explanation), CURLE_SEND_ERROR where Self.isTLSAlert(explanation):
            self = .tls(text)
        default:
            self = .transport(code: Int(code.rawValue), message: text)
        }
    }

    /// Whether libcurl's message reports a TLS alert from the peer (OpenSSL words it
    /// `…SSL routines::tlsv13 alert certificate required`).
    private static func isTLSAlert(_ explanation: String) -> Bool {
        explanation.contains("SSL") && explanation.contains(" alert ")
    }
}
