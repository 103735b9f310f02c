@testable import AssayCore
import Testing

/// Parses a declaration that must be valid.
func declaration(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Declaration {
    do {
        return try Declaration.parse(text)
    } catch {
        Issue.record("unexpected errors:\n\(error.formatted())", sourceLocation: sourceLocation)
        throw error
    }
}

/// The errors a declaration must produce.
func errors(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> [FieldError] {
    do {
        _ = try Declaration.parse(text)
        Issue.record("expected validation errors", sourceLocation: sourceLocation)
        return []
    } catch {
        return error.errors
    }
}

/// A minimal valid declaration with the given parameters block (indented 2).
func withParameters(_ parameters: String, sweep: String = "{strategy: grid}") -> String {
    """
    name: test
    command: [python, train.py, "{config}"]
    config: {file: config.yaml}
    sweep: \(sweep)
    parameters:
    \(parameters)
    """
}

/// The plain values of every trial in a plan, for compact assertions.
func table(_ plan: SweepPlan) -> [[String]] {
    plan.map { trial in trial.parameters.values.map { "\($0.name)=\($0.value)" } }
}
