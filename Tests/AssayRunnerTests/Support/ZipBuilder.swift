import Foundation
import ZIPFoundation

/// One entry of a zip a test builds.
enum ZipEntry {
    case file(String, String, mode: UInt16 = 0o644)
    /// `bytes` zero bytes, deflated (a few KB for megabytes).
    case zeros(String, bytes: Int)
    case directory(String)
    case symlink(String, target: String)
}

/// Builds zips with ZIPFoundation's writing API, which takes any entry name: `../x`,
/// `/etc/x` and links anywhere, as an attacker's tool would.
enum ZipBuilder {
    static func make(_ entries: [ZipEntry], at url: URL) throws {
        try? FileManager.default.removeItem(at: url)
        let archive = try Archive(url: url, accessMode: .create)
        for entry in entries {
            switch entry {
            case .file(let path, let text, let mode):
                let data = Data(text.utf8)
                try archive.addEntry(
                    with: path, type: .file, uncompressedSize: Int64(data.count), permissions: mode, compressionMethod: .deflate
                ) { (position: Int64, size: Int) in data.subdata(in: Int(position)..<Int(position) + size) }
            case .zeros(let path, let bytes):
                try archive.addEntry(
                    with: path, type: .file, uncompressedSize: Int64(bytes), compressionMethod: .deflate
                ) { (_: Int64, size: Int) in Data(count: size) }
            case .directory(let path):
                try archive.addEntry(with: path, type: .directory, uncompressedSize: Int64(0)) { (_: Int64, _: Int) in Data() }
            case .symlink(let path, let target):
                let data = Data(target.utf8)
                try archive.addEntry(with: path, type: .symlink, uncompressedSize: Int64(data.count)) { (_: Int64, _: Int) in data }
            }
        }
    }

    /// Makes every header of `url` declare `size` uncompressed bytes: a zip bomb whose
    /// headers lie about how much its entries inflate to.
    static func declareUncompressedSize(_ size: UInt32, in url: URL) throws {
        var bytes = [UInt8](try Data(contentsOf: url))
        func patch(_ offset: Int) {
            for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: size >> (8 * index)) }
        }
        var offset = 0
        while offset + 4 <= bytes.count {
            let signature = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
            switch signature {
            case 0x0403_4B50: patch(offset + 22)  // local file header
            case 0x0201_4B50: patch(offset + 24)  // central directory header
            default: break
            }
            offset += 1
        }
        try Data(bytes).write(to: url)
    }
}

/// A temporary folder for one test.
struct Sandbox {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appending(path: "assay-runner-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(at: root)
    }

    func url(_ path: String) -> URL { root.appending(path: path) }

    /// Every path below the root, relative, without following links.
    func listing() -> Set<String> {
        var paths: Set<String> = []
        func walk(_ folder: String) {
            let base = folder.isEmpty ? root.path : root.path + "/" + folder
            for name in (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [] {
                let relative = folder.isEmpty ? name : folder + "/" + name
                paths.insert(relative)
                var info = stat()
                if lstat(root.path + "/" + relative, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { walk(relative) }
            }
        }
        walk("")
        return paths
    }
}
