import CMongoc
import Foundation

extension MongoConnection {
    /// GridFS chunk size, and the size of the pieces read from disk and handed to readers.
    static let gridFSChunkBytes = 255 * 1024

    private func withBucket<T>(_ name: String, _ body: (OpaquePointer) throws -> T) throws -> T {
        guard let handle = mongoc_client_get_database(client, database) else { throw StoreError.failure("cannot open database") }
        defer { mongoc_database_destroy(handle) }
        let options = try BSONDocument(["bucketName": .string(name), "chunkSizeBytes": .int32(Int32(Self.gridFSChunkBytes))])
        var error = bson_error_t()
        guard let bucket = mongoc_gridfs_bucket_new(handle, options.pointer, nil, &error) else {
            throw StoreError(mongo: error, while: "opening GridFS bucket \(name)")
        }
        defer { mongoc_gridfs_bucket_destroy(bucket) }
        return try body(bucket)
    }

    /// A GridFS file id as the `bson_value_t` libmongoc wants (it copies it).
    private func withFileID<T>(_ id: String, _ body: (UnsafePointer<bson_value_t>) throws -> T) throws -> T {
        try id.withCString { characters in
            var value = bson_value_t()
            value.value_type = BSON_TYPE_UTF8
            value.value.v_utf8.str = UnsafeMutablePointer(mutating: characters)
            value.value.v_utf8.len = UInt32(id.utf8.count)
            return try withUnsafePointer(to: &value) { try body($0) }
        }
    }

    /// Streams the file at `file` into a new GridFS file `id` piece by piece (never whole in
    /// memory). On any failure the partial upload is aborted; `id` must be fresh, since an
    /// abort deletes every chunk of that id.
    func uploadFile(bucket: String, id: String, filename: String, contentsOf file: URL) throws {
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: file) } catch {
            throw StoreError.invalid("cannot read the artifact file: \(error.localizedDescription)")
        }
        defer { try? handle.close() }
        try withBucket(bucket) { gridFS in
            try withFileID(id) { fileID in
                var error = bson_error_t()
                guard let stream = mongoc_gridfs_bucket_open_upload_stream_with_id(gridFS, fileID, filename, nil, &error) else {
                    throw StoreError(mongo: error, while: "opening a GridFS upload")
                }
                defer { mongoc_stream_destroy(stream) }
                do {
                    while true {
                        let piece: Data
                        do { piece = try handle.read(upToCount: Self.gridFSChunkBytes) ?? Data() } catch {
                            throw StoreError.invalid("cannot read the artifact file: \(error.localizedDescription)")
                        }
                        if piece.isEmpty { break }
                        let written = piece.withUnsafeBytes { bytes in
                            mongoc_stream_write(stream, UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count, 0)
                        }
                        guard written == piece.count else { throw streamError(stream, while: "uploading to GridFS") }
                    }
                    guard mongoc_stream_close(stream) == 0 else { throw streamError(stream, while: "saving a GridFS file") }
                } catch {
                    _ = mongoc_gridfs_bucket_abort_upload(stream)
                    throw error
                }
            }
        }
    }

    /// Reads GridFS file `id` in pieces of at most ``gridFSChunkBytes``, in order.
    func downloadFile(bucket: String, id: String, _ piece: (UnsafeRawBufferPointer) throws -> Void) throws {
        try withBucket(bucket) { gridFS in
            try withFileID(id) { fileID in
                var error = bson_error_t()
                guard let stream = mongoc_gridfs_bucket_open_download_stream(gridFS, fileID, &error) else {
                    throw StoreError(mongo: error, while: "opening GridFS file")
                }
                defer { mongoc_stream_destroy(stream) }
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.gridFSChunkBytes, alignment: 16)
                defer { buffer.deallocate() }
                while true {
                    let read = mongoc_stream_read(stream, buffer.baseAddress, buffer.count, 0, 0)
                    if read < 0 { throw streamError(stream, while: "reading GridFS file") }
                    if read == 0 { return }
                    try piece(UnsafeRawBufferPointer(rebasing: buffer[0..<read]))
                }
            }
        }
    }

    /// Deletes GridFS file `id` and its chunks.
    func deleteFile(bucket: String, id: String) throws {
        try withBucket(bucket) { gridFS in
            try withFileID(id) { fileID in
                var error = bson_error_t()
                guard mongoc_gridfs_bucket_delete_by_id(gridFS, fileID, &error) else {
                    throw StoreError(mongo: error, while: "deleting GridFS file")
                }
            }
        }
    }

    private func streamError(_ stream: UnsafeMutablePointer<mongoc_stream_t>, while action: String) -> StoreError {
        var error = bson_error_t()
        guard mongoc_gridfs_bucket_stream_error(stream, &error), error.code != 0 else {
            return StoreError.failure("\(action): the stream failed")
        }
        return StoreError(mongo: error, while: action)
    }
}
