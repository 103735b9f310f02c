import AssayCore
import AssayStore

/// The parameters a stored trial runs with: recomputed from the declaration's
/// plan for a fixed sweep, read from the trial for an adaptive one (its searcher's
/// proposal is all there is).
struct PlannedTrials: Sendable {
    let declaration: Declaration
    let plan: SweepPlan

    /// Nil if the stored declaration no longer parses or plans (a validated one always does).
    init?(_ record: ExperimentRecord) {
        guard let declaration = try? Declaration.parse(record.declaration),
            let plan = try? SweepPlan(declaration, maxTrials: nil)
        else { return nil }
        self.declaration = declaration
        self.plan = plan
    }

    /// Nil for an index outside the plan, or an adaptive trial whose stored parameters do not fit.
    func trial(_ record: TrialRecord) -> PlannedTrial? {
        guard plan.indices.contains(record.index) else { return nil }
        guard plan.isAdaptive else { return plan[record.index] }
        guard let parameters = try? record.parameters?.parameterSet(for: declaration.parameters) else { return nil }
        return .proposed(index: record.index, parameters: parameters)
    }
}
