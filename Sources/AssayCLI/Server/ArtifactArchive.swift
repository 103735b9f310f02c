import Foundation
import ZIPFoundation

/// The artifact folder as the zip the server stores: its contents at the
/// archive's root, written to a temporary file the caller removes.
enum ArtifactArchive {
    static func zip(_ folder: URL) throws -> URL {
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
            try FileManager.default.zipItem(at: folder, to: file, shouldKeepParent: false, compressionMethod: .deflate)
        } catch {
            throw InputError(description: "could not zip the artifact \(folder.path): \(error)")
        }
        return file
    }
}
