import Foundation

/// A throwaway certificate authority and a server certificate it signed, for `localhost`
/// and `127.0.0.1`, made with the openssl command line tool.
struct TestCertificates {
    let authority: URL
    let serverCertificate: URL
    let serverKey: URL

    init(in directory: URL) throws {
        let openssl = try TestEnvironment.openssl()
        authority = directory.appending(path: "ca.crt")
        serverCertificate = directory.appending(path: "server.crt")
        serverKey = directory.appending(path: "server.key")
        let extensions = directory.appending(path: "server.ext")
        try """
            subjectAltName=DNS:localhost,IP:127.0.0.1
            basicConstraints=CA:FALSE
            keyUsage=critical,digitalSignature
            extendedKeyUsage=serverAuth

            """.write(to: extensions, atomically: true, encoding: .utf8)
        let ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-noenc"]
        let steps: [[String]] = [
            ["req", "-x509"] + ecKey + [
                "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=Assay Test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ],
            ["req", "-new"] + ecKey + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"],
            [
                "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "server.crt", "-days", "2", "-extfile", "server.ext",
            ],
        ]
        for step in steps {
            let result = try TestEnvironment.run(openssl, step, in: directory)
            guard result.status == 0 else {
                throw TestEnvironment.Failure(description: "openssl \(step.joined(separator: " ")) failed: \(result.errors)")
            }
        }
    }
}
