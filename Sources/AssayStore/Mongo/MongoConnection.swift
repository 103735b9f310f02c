import CMongoc

/// One popped client of a ``MongoClientPool``, valid only inside
/// ``MongoClientPool/withConnection(_:)``: the CRUD calls the store needs, taking
/// and returning ``BSON`` values. Every `bson_t` and libmongoc handle created
/// here is destroyed before the call returns.
struct MongoConnection {
    let client: OpaquePointer
    let database: String

    /// Options of a `find`.
    struct FindOptions {
        var sort: BSON.Document?
        var skip = 0
        var limit: Int?
        var projection: BSON.Document?

        init(sort: BSON.Document? = nil, skip: Int = 0, limit: Int? = nil, projection: BSON.Document? = nil) {
            self.sort = sort
            self.skip = skip
            self.limit = limit
            self.projection = projection
        }

        var document: BSON.Document {
            var options = BSON.Document()
            if let sort { options["sort"] = .document(sort) }
            if skip > 0 { options["skip"] = .int(skip) }
            if let limit { options["limit"] = .int(limit) }
            if let projection { options["projection"] = .document(projection) }
            return options
        }
    }

    func withCollection<T>(_ name: String, _ body: (OpaquePointer) throws -> T) throws -> T {
        guard let collection = mongoc_client_get_collection(client, database, name) else {
            throw StoreError.failure("cannot open collection \(name)")
        }
        defer { mongoc_collection_destroy(collection) }
        return try body(collection)
    }

    // MARK: Reads

    /// Calls `body` with each matching document, streaming from the server's cursor,
    /// until it returns false.
    func forEach(_ collection: String, _ filter: BSON.Document, _ options: FindOptions = FindOptions(),
                 _ body: (BSON.Document) throws -> Bool) throws {
        let filterBSON = try BSONDocument(filter)
        let optionsBSON = try BSONDocument(options.document)
        try withCollection(collection) { handle in
            guard let cursor = mongoc_collection_find_with_opts(handle, filterBSON.pointer, optionsBSON.pointer, nil) else {
                throw StoreError.failure("find on \(collection) returned no cursor")
            }
            defer { mongoc_cursor_destroy(cursor) }
            var current: OpaquePointer?
            while mongoc_cursor_next(cursor, &current) {
                if let current, try !body(BSONDocument.read(current)) { break }
            }
            var error = bson_error_t()
            if mongoc_cursor_error(cursor, &error) {
                throw StoreError(mongo: error, while: "reading \(collection)")
            }
        }
    }

    func find(_ collection: String, _ filter: BSON.Document, _ options: FindOptions = FindOptions()) throws -> [BSON.Document] {
        var documents: [BSON.Document] = []
        try forEach(collection, filter, options) { documents.append($0); return true }
        return documents
    }

    func findOne(_ collection: String, _ filter: BSON.Document, sort: BSON.Document? = nil,
                 projection: BSON.Document? = nil) throws -> BSON.Document? {
        try find(collection, filter, FindOptions(sort: sort, limit: 1, projection: projection)).first
    }

    func count(_ collection: String, _ filter: BSON.Document) throws -> Int {
        let filterBSON = try BSONDocument(filter)
        return try withCollection(collection) { handle in
            var error = bson_error_t()
            let count = mongoc_collection_count_documents(handle, filterBSON.pointer, nil, nil, nil, &error)
            guard count >= 0 else { throw StoreError(mongo: error, while: "counting \(collection)") }
            return Int(count)
        }
    }

    // MARK: Writes

    /// `findAndModify`: the one atomic compare-and-set of MongoDB. Returns the document
    /// after (or before) the update, nil if nothing matched.
    func findAndModify(_ collection: String, query: BSON.Document, update: BSON.Document,
                       returnNew: Bool = true, upsert: Bool = false, projection: BSON.Document? = nil) throws -> BSON.Document? {
        let queryBSON = try BSONDocument(query)
        let updateBSON = try BSONDocument(update)
        let projectionBSON = try projection.map { fields throws(StoreError) in try BSONDocument(fields) }
        let reply = BSONDocument()
        return try withCollection(collection) { handle in
            guard let options = mongoc_find_and_modify_opts_new() else { throw StoreError.failure("findAndModify options") }
            defer { mongoc_find_and_modify_opts_destroy(options) }
            _ = mongoc_find_and_modify_opts_set_update(options, updateBSON.pointer)
            if let projectionBSON { _ = mongoc_find_and_modify_opts_set_fields(options, projectionBSON.pointer) }
            var flags = MONGOC_FIND_AND_MODIFY_NONE.rawValue
            if returnNew { flags |= MONGOC_FIND_AND_MODIFY_RETURN_NEW.rawValue }
            if upsert { flags |= MONGOC_FIND_AND_MODIFY_UPSERT.rawValue }
            _ = mongoc_find_and_modify_opts_set_flags(options, mongoc_find_and_modify_flags_t(rawValue: flags))
            var error = bson_error_t()
            guard mongoc_collection_find_and_modify_with_opts(handle, queryBSON.pointer, options, reply.pointer, &error) else {
                throw StoreError(mongo: error, while: "updating \(collection)")
            }
            return reply.read()["value"]?.document
        }
    }

    func insert(_ collection: String, _ document: BSON.Document) throws {
        let documentBSON = try BSONDocument(document)
        try withCollection(collection) { handle in
            var error = bson_error_t()
            guard mongoc_collection_insert_one(handle, documentBSON.pointer, nil, nil, &error) else {
                throw StoreError(mongo: error, while: "inserting into \(collection)")
            }
        }
    }

    /// Inserts `documents`; a duplicate key skips that document (its key was written
    /// before: the caller's writes are idempotent). `ordered` stops at the first duplicate.
    /// Returns how many were inserted and the positions that were duplicates.
    @discardableResult
    func insertMany(_ collection: String, _ documents: [BSON.Document], ordered: Bool) throws -> (inserted: Int, duplicates: [Int]) {
        guard !documents.isEmpty else { return (0, []) }
        let encoded = try documents.map { document throws(StoreError) in try BSONDocument(document) }
        let optionsBSON = try BSONDocument(["ordered": .bool(ordered)])
        let reply = BSONDocument()
        return try withCollection(collection) { handle in
            var pointers: [OpaquePointer?] = encoded.map(\.pointer)
            var error = bson_error_t()
            let succeeded = pointers.withUnsafeMutableBufferPointer { buffer in
                mongoc_collection_insert_many(handle, buffer.baseAddress, buffer.count, optionsBSON.pointer, reply.pointer, &error)
            }
            let result = reply.read()
            let writeErrors = result["writeErrors"]?.array?.compactMap(\.document) ?? []
            if succeeded || (!writeErrors.isEmpty && writeErrors.allSatisfy { $0["code"]?.int == Int(StoreError.duplicateKey) }) {
                let duplicates = writeErrors.compactMap { $0["index"]?.int }
                return (result["insertedCount"]?.int ?? documents.count - duplicates.count, duplicates)
            }
            throw StoreError(mongo: error, while: "inserting into \(collection)")
        }
    }

    /// Returns how many documents matched.
    @discardableResult
    func update(_ collection: String, filter: BSON.Document, update: BSON.Document, many: Bool = false, upsert: Bool = false) throws -> Int {
        let filterBSON = try BSONDocument(filter)
        let updateBSON = try BSONDocument(update)
        let optionsBSON = try BSONDocument(upsert ? ["upsert": true] : [:])
        let reply = BSONDocument()
        return try withCollection(collection) { handle in
            var error = bson_error_t()
            let succeeded = many
                ? mongoc_collection_update_many(handle, filterBSON.pointer, updateBSON.pointer, optionsBSON.pointer, reply.pointer, &error)
                : mongoc_collection_update_one(handle, filterBSON.pointer, updateBSON.pointer, optionsBSON.pointer, reply.pointer, &error)
            guard succeeded else { throw StoreError(mongo: error, while: "updating \(collection)") }
            let result = reply.read()
            return (result["matchedCount"]?.int ?? 0) + (result["upsertedCount"]?.int ?? 0)
        }
    }

    /// Returns how many documents were deleted.
    @discardableResult
    func delete(_ collection: String, filter: BSON.Document, many: Bool = true) throws -> Int {
        let filterBSON = try BSONDocument(filter)
        let reply = BSONDocument()
        return try withCollection(collection) { handle in
            var error = bson_error_t()
            let succeeded = many
                ? mongoc_collection_delete_many(handle, filterBSON.pointer, nil, reply.pointer, &error)
                : mongoc_collection_delete_one(handle, filterBSON.pointer, nil, reply.pointer, &error)
            guard succeeded else { throw StoreError(mongo: error, while: "deleting from \(collection)") }
            return reply.read()["deletedCount"]?.int ?? 0
        }
    }

    // MARK: Commands

    /// Runs a command that writes (`createIndexes`) against the store's database.
    @discardableResult
    func writeCommand(_ command: BSON.Document) throws -> BSON.Document {
        let commandBSON = try BSONDocument(command)
        let reply = BSONDocument()
        guard let handle = mongoc_client_get_database(client, database) else { throw StoreError.failure("cannot open database") }
        defer { mongoc_database_destroy(handle) }
        var error = bson_error_t()
        guard mongoc_database_write_command_with_opts(handle, commandBSON.pointer, nil, reply.pointer, &error) else {
            throw StoreError(mongo: error, while: "running \(command.fields.first?.key ?? "a command")")
        }
        return reply.read()
    }

    /// Runs a read-only command (`ping`) against `database`.
    @discardableResult
    func readCommand(_ command: BSON.Document, database: String) throws -> BSON.Document {
        let commandBSON = try BSONDocument(command)
        let reply = BSONDocument()
        var error = bson_error_t()
        guard mongoc_client_command_simple(client, database, commandBSON.pointer, nil, reply.pointer, &error) else {
            throw StoreError(mongo: error, while: "running \(command.fields.first?.key ?? "a command")")
        }
        return reply.read()
    }

    /// The key patterns of a collection's indexes (names differ between servers).
    func indexKeys(_ collection: String) throws -> [BSON.Document] {
        try withCollection(collection) { handle in
            guard let cursor = mongoc_collection_find_indexes_with_opts(handle, nil) else { return [] }
            defer { mongoc_cursor_destroy(cursor) }
            var keys: [BSON.Document] = []
            var current: OpaquePointer?
            while mongoc_cursor_next(cursor, &current) {
                if let current, let key = BSONDocument.read(current)["key"]?.document { keys.append(key) }
            }
            var error = bson_error_t()
            if mongoc_cursor_error(cursor, &error) { throw StoreError(mongo: error, while: "listing indexes of \(collection)") }
            return keys
        }
    }
}
