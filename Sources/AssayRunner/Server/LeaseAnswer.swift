import AssayCore
import Foundation

/// `POST lease`: the trials handed to this Runner and the experiment's state
/// (a final experiment hands out nothing).
public struct LeaseAnswer: Sendable, Hashable, Codable {
    /// Run attempt `attempt` of trial `index`, and report (which renews the lease) before `deadline`.
    public struct Grant: Sendable, Hashable, Codable {
        public var index: Int
        public var attempt: Int
        public var deadline: Date
        /// The trial's parameters when an adaptive searcher proposed them (its plan cannot tell).
        public var parameters: StoredParameters?

        public init(index: Int, attempt: Int, deadline: Date, parameters: StoredParameters? = nil) {
            self.index = index
            self.attempt = attempt
            self.deadline = deadline
            self.parameters = parameters
        }
    }

    public var leases: [Grant]
    public var status: ExperimentState

    public init(leases: [Grant], status: ExperimentState) {
        self.leases = leases
        self.status = status
    }
}
