import Foundation
import ZIPFoundation

/// The artifact folder as the zip the server stores: its contents at the
/// archive's root, written to a temporary file the caller removes.
enum ArtifactArchive {
    /// Zips `folder` (a `.zip` file is taken as it is), telling `progress`
    /// the bytes added so far and the total after each entry.
    static func zip(_ folder: URL, progress: (_ done: Int64, _ total: Int64) -> Void = { _, _ in }) throws -> URL {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory) else {
            throw InputError(description: "artifact \(folder.path): no such file or folder")
        }
        if !isDirectory.boolValue {
            guard folder.pathExtension.lowercased() == "zip" else {
                throw InputError(description: "artifact \(folder.path) must be a folder or a .zip file")
            }
            return folder
        }
        let file = FileManager.default.temporaryDirectory.appending(path: "assay-artifact-\(UUID().uuidString).zip")
        do {
            let paths = try FileManager.default.subpathsOfDirectory(atPath: folder.path).sorted()
            let sizes = paths.map { path in
                let attributes = try? FileManager.default.attributesOfItem(atPath: folder.appending(path: path).path)
                return attributes?[.type] as? FileAttributeType == .typeRegular ? (attributes?[.size] as? Int64 ?? 0) : 0
            }
            let total = sizes.reduce(0, +)
            let archive = try Archive(url: file, accessMode: .create)
            var done: Int64 = 0
            for (path, size) in Swift.zip(paths, sizes) {
                try archive.addEntry(with: path, relativeTo: folder, compressionMethod: .deflate)
                done += size
                progress(done, total)
            }
        } catch {
            try? FileManager.default.removeItem(at: file)
            throw InputError(description: "could not zip the artifact \(folder.path): \(error)")
        }
        return file
    }
}
