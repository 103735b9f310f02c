import AssayCurl
import Foundation
import Testing

@Suite("HTTPS certificate verification against a Python TLS server")
struct HTTPSVerificationTests {
    @Test func privateCAIsTrustedOnlyWhenGiven() async throws {
        let python = try TestEnvironment.python(importing: ["ssl"])
        let directory = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificates = try TestCertificates(in: directory)
        let arguments = [certificates.serverCertificate.path, certificates.serverKey.path]
        try await ScriptServer.with(python: python, script: "https_server.py", arguments: arguments, in: directory) { server in
            let request = HTTPRequest(url: try #require(URL(string: "https://127.0.0.1:\(server.port)/")))

            let trusting = CurlHTTPClient(caFile: certificates.authority)
            let response = try await trusting.send(request)
            #expect(response.status == 200)
            #expect(String(decoding: response.body, as: UTF8.self) == "secure hello\n")

            let error = await #expect(throws: CurlError.self) { try await CurlHTTPClient().send(request) }
            #expect(error?.caseName == "tls", "\(String(describing: error))")
        }
    }

    @Test func unreadableCAFileIsAnInvalidRequest() async throws {
        let client = CurlHTTPClient(caFile: URL(filePath: "/nonexistent/ca.crt"))
        let request = HTTPRequest(url: try #require(URL(string: "https://127.0.0.1:9/")))
        let error = await #expect(throws: CurlError.self) { try await client.send(request) }
        #expect(error?.caseName == "invalidRequest", "\(String(describing: error))")
    }
}
