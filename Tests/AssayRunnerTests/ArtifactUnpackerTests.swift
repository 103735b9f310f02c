@testable import AssayRunner
import Crypto
import Foundation
import Testing

@Suite("Artifact unpacker")
struct ArtifactUnpackerTests {
    /// Builds `entries` into `<sandbox>/in/a.zip`, unpacks it into `<sandbox>/work/deep/code`
    /// and returns what was thrown, checking that nothing appeared outside `code`.
    func refusal(
        _ entries: [ZipEntry], limits: ArtifactUnpacker.Limits = .init(), patch: ((URL) throws -> Void)? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> ArtifactError? {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let zip = sandbox.url("in/a.zip")
        try FileManager.default.createDirectory(at: sandbox.url("in"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: sandbox.url("work/deep"), withIntermediateDirectories: true)
        try ZipBuilder.make(entries, at: zip)
        try patch?(zip)
        var thrown: ArtifactError?
        do {
            try ArtifactUnpacker(limits: limits).unpack(zip, into: sandbox.url("work/deep/code"))
        } catch {
            thrown = error
        }
        #expect(sandbox.listing() == ["in", "in/a.zip", "work", "work/deep"], "nothing left behind", sourceLocation: sourceLocation)
        return thrown
    }

    @Test func aPlainArchiveUnpacksWithItsExecutableBits() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let zip = sandbox.url("a.zip")
        try ZipBuilder.make([
            .directory("src/"),
            .file("src/train.py", "print('hi')\n"),
            .file("run.sh", "#!/bin/sh\necho hi\n", mode: 0o755),
            .file("setuid", "x", mode: 0o4755),
            .file("lib/tool", "tool"),
            .symlink("bin/tool", target: "../lib/tool"),
            .symlink("current", target: "src"),
            .file("./dot/./file", "dot"),
        ], at: zip)
        let code = sandbox.url("code")
        try ArtifactUnpacker().unpack(zip, into: code)

        #expect(try String(contentsOf: code.appending(path: "src/train.py"), encoding: .utf8) == "print('hi')\n")
        func mode(_ path: String) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: code.appending(path: path).path)[.posixPermissions] as? Int) ?? -1
        }
        #expect(try mode("run.sh") == 0o755)
        #expect(try mode("src/train.py") == 0o644)
        #expect(try mode("setuid") == 0o755, "set-user-id and the like are not kept")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: code.appending(path: "bin/tool").path) == "../lib/tool")
        #expect(try String(contentsOf: code.appending(path: "bin/tool"), encoding: .utf8) == "tool")
        #expect(try String(contentsOf: code.appending(path: "dot/file"), encoding: .utf8) == "dot")
        #expect(FileManager.default.isExecutableFile(atPath: code.appending(path: "run.sh").path))
    }

    @Test func zipSlipIsRefused() throws {
        let error = try refusal([.file("ok.txt", "fine"), .file("../../evil.txt", "gotcha")])
        #expect(error == .unsafePath(entry: "../../evil.txt", reason: "climbs out of the work folder with \"..\""))
        #expect(error?.description == "artifact entry \"../../evil.txt\" climbs out of the work folder with \"..\"")
        #expect(try refusal([.file("a/../../evil.txt", "x")]) == .unsafePath(entry: "a/../../evil.txt", reason: "climbs out of the work folder with \"..\""))
    }

    @Test func absolutePathsAreRefused() throws {
        let error = try refusal([.file("/tmp/assay-evil-\(UUID().uuidString)", "x")])
        guard case .absolutePath(let entry)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(!FileManager.default.fileExists(atPath: entry))
        #expect(error?.description == "artifact entry \"\(entry)\" has an absolute path")
    }

    @Test(arguments: [
        ("link", "/etc", "is an absolute path"),
        ("link", "..", "leaves the work folder"),
        ("a/link", "../../outside", "leaves the work folder"),
        ("a/b/link", "../c/../../../x", "has \"..\" after a name"),
        ("link", "sub/../..", "has \"..\" after a name"),
    ])
    func linksLeavingTheWorkFolderAreRefused(entry: String, target: String, reason: String) throws {
        let error = try refusal([.file("a/b/c/file", "x"), .symlink(entry, target: target)])
        #expect(error == .unsafeSymlink(entry: entry, target: target, reason: reason))
        #expect(error?.description == "artifact entry \"\(entry)\" is a symbolic link to \"\(target)\", which \(reason)")
    }

    /// A link to a folder inside is fine, but nothing is written through it: a link at
    /// `d/l -> ..` behind `d -> .` would otherwise resolve above the root.
    @Test func nothingIsWrittenThroughALink() throws {
        let error = try refusal([.symlink("d", target: "."), .symlink("d/l", target: "..")])
        #expect(error == .blockedPath(entry: "d/l", reason: "would be written through a symbolic link (\"d\")"))
        #expect(try refusal([.symlink("d", target: "sub"), .directory("sub/"), .file("d/x", "x")])
            == .blockedPath(entry: "d/x", reason: "would be written through a symbolic link (\"d\")"))
    }

    @Test func aRepeatedEntryIsRefused() throws {
        #expect(try refusal([.file("a.txt", "1"), .symlink("b", target: "a.txt"), .file("a.txt", "2")])
            == .blockedPath(entry: "a.txt", reason: "appears twice in the archive"))
    }

    @Test func tooManyEntriesAreRefused() throws {
        let entries = (1...4).map { ZipEntry.file("f\($0)", "x") }
        #expect(try refusal(entries, limits: .init(maxEntries: 3)) == .tooManyEntries(limit: 3))
    }

    @Test func declaredSizesOverTheLimitAreRefusedBeforeWriting() throws {
        let error = try refusal([.zeros("a.bin", bytes: 600_000), .zeros("b.bin", bytes: 600_000)], limits: .init(maxBytes: 1 << 20))
        #expect(error == .tooLarge(limit: 1 << 20, entry: "b.bin"))
        #expect(error?.description == "artifact unpacks to more than 1048576 bytes (reached at entry \"b.bin\")")
    }

    /// 20 MB of zeros whose headers claim 1000 bytes: stopped at the first chunk past 1000.
    @Test func aHeaderLyingAboutItsSizeCannotBomb() throws {
        let error = try refusal([.zeros("bomb.bin", bytes: 20_000_000)], limits: .init(maxBytes: 1 << 20)) { zip in
            try ZipBuilder.declareUncompressedSize(1000, in: zip)
        }
        #expect(error == .entryLargerThanDeclared(entry: "bomb.bin", declared: 1000))
        #expect(error?.description == "artifact entry \"bomb.bin\" holds more than the 1000 bytes its header declares")
    }

    @Test func anEntryShorterThanDeclaredIsRefused() throws {
        let error = try refusal([.file("short.txt", "four")]) { zip in try ZipBuilder.declareUncompressedSize(1000, in: zip) }
        #expect(error == .extractionFailed(entry: "short.txt", reason: "holds 4 bytes, its header declares 1000"))
    }

    @Test func notAZipIsUnreadable() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let file = sandbox.url("a.zip")
        try Data("not a zip at all".utf8).write(to: file)
        #expect {
            try ArtifactUnpacker().unpack(file, into: sandbox.url("code"))
        } throws: { error in
            if case .unreadable = error as? ArtifactError { true } else { false }
        }
    }

    @Test func anExistingDestinationIsRefused() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let zip = sandbox.url("a.zip")
        try ZipBuilder.make([.file("a", "x")], at: zip)
        try FileManager.default.createDirectory(at: sandbox.url("code"), withIntermediateDirectories: true)
        #expect(throws: ArtifactError.destinationExists(sandbox.url("code").path)) {
            try ArtifactUnpacker().unpack(zip, into: sandbox.url("code"))
        }
    }

    @Test func theDigestAndSizeAreChecked() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let zip = sandbox.url("a.zip")
        try ZipBuilder.make([.file("a", "x")], at: zip)
        let data = try Data(contentsOf: zip)
        let digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        #expect(try ArtifactDigest.sha256(of: zip) == digest)
        #expect(throws: ArtifactError.sizeMismatch(expected: data.count + 1, actual: data.count)) {
            try ArtifactDigest.verify(zip, sha256: digest, size: data.count + 1)
        }
        let wrong = String(repeating: "0", count: 64)
        #expect(throws: ArtifactError.digestMismatch(expected: wrong, actual: digest)) {
            try ArtifactUnpacker().verifyAndUnpack(zip, sha256: wrong, size: data.count, into: sandbox.url("code"))
        }
        #expect(!FileManager.default.fileExists(atPath: sandbox.url("code").path), "nothing is unpacked from a bad download")
        try ArtifactUnpacker().verifyAndUnpack(zip, sha256: digest.uppercased(), size: data.count, into: sandbox.url("code"))
        #expect(FileManager.default.fileExists(atPath: sandbox.url("code/a").path))
    }
}
