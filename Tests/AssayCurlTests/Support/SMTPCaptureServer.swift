import Foundation

/// smtp_capture.py (aiosmtpd) running for one test: every accepted message lands in a
/// directory, and ``deliveries()`` reads them back through Python's email parser.
final class SMTPCaptureServer {
    /// The SMTP envelope of a delivery.
    struct Envelope: Decodable, Equatable {
        var mailFrom: String
        var rcptTos: [String]

        enum CodingKeys: String, CodingKey {
            case mailFrom = "mail_from"
            case rcptTos = "rcpt_tos"
        }
    }

    /// A received message as Python's `email` package reads it (eml_to_json.py).
    struct ParsedMail: Decodable {
        struct Part: Decodable {
            var contentType: String
            var filename: String?
            /// The decoded payload, base64.
            var payload: String

            var data: Data { Data(base64Encoded: payload) ?? Data() }
            /// The decoded payload as text, line breaks as LF.
            var text: String { String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n") }
        }

        var subject: String
        var from: String
        var to: String
        var date: String
        var messageID: String
        var parts: [Part]
        var defects: [String]
        var rawLines: [String]
        var bareLineBreaks: Int
    }

    struct Delivery {
        var envelope: Envelope
        var mail: ParsedMail
    }

    let port: Int
    private let python: URL
    private let directory: URL

    private init(port: Int, python: URL, directory: URL) {
        self.port = port
        self.python = python
        self.directory = directory
    }

    /// `smtp://127.0.0.1:PORT`
    var url: URL { URL(string: "smtp://127.0.0.1:\(port)") ?? URL(filePath: "/") }

    /// Runs `body` with a server; with `certificates` it requires STARTTLS, with `user` AUTH.
    static func with<Value>(
        certificates: TestCertificates? = nil,
        user: String? = nil,
        password: String? = nil,
        _ body: (SMTPCaptureServer) async throws -> Value
    ) async throws -> Value {
        let python = try TestEnvironment.python(importing: ["aiosmtpd"])
        let directory = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let mails = directory.appending(path: "mails")
        try FileManager.default.createDirectory(at: mails, withIntermediateDirectories: true)
        var arguments = ["--directory", mails.path]
        if let certificates {
            arguments += ["--tls-cert", certificates.serverCertificate.path, "--tls-key", certificates.serverKey.path]
        }
        if let user { arguments += ["--user", user, "--password", password ?? ""] }
        return try await ScriptServer.with(python: python, script: "smtp_capture.py", arguments: arguments, in: directory) { server in
            try await body(SMTPCaptureServer(port: server.port, python: python, directory: mails))
        }
    }

    /// Every message received so far.
    func deliveries() throws -> [Delivery] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".eml") }.sorted()
        return try names.map { name in
            let eml = directory.appending(path: name)
            let envelope = try JSONDecoder().decode(Envelope.self, from: Data(contentsOf: eml.deletingPathExtension().appendingPathExtension("json")))
            let script = TestEnvironment.scriptsDirectory.appending(path: "eml_to_json.py")
            let result = try TestEnvironment.run(python, [script.path, eml.path])
            guard result.status == 0 else {
                throw TestEnvironment.Failure(description: "eml_to_json.py failed: \(result.errors)")
            }
            return Delivery(envelope: envelope, mail: try JSONDecoder().decode(ParsedMail.self, from: result.output))
        }
    }
}
