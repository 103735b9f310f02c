import GRDB

extension Database {
    /// Executes one statement of constant SQL through the connection's statement cache:
    /// compiled once per connection, not on every call (compiling runs GRDB's authorizer
    /// over every column read, a measurable share of a lease or an event batch).
    func executeCached(sql: String, arguments: StatementArguments = StatementArguments()) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }
}
