import AssayCore
import Testing

@Suite struct DeclarationSubmissionTests {
    @Test func theArtifactBecomesTheIdAndParameterOrderStays() throws {
        let text = """
            name: order
            artifact: ./code
            command: [python3, train.py]
            parameters:
              zeta: {type: int, values: [1, 2]}
              alpha: {type: choice, values: [a, b]}
            """
        let submitted = try Declaration.submissionText(text, artifact: "01abc")
        let declaration = try Declaration.parse(submitted)
        #expect(declaration.artifact == "01abc")
        #expect(declaration.parameters.map(\.name) == ["zeta", "alpha"])
        #expect(try SweepPlan(declaration, maxTrials: nil).count == 4)
    }

    @Test func aMissingArtifactIsAddedAndJSONIsAccepted() throws {
        let json = #"{"name": "j", "command": ["true"], "parameters": {"b": {"type": "bool"}, "a": {"type": "int", "values": [1]}}}"#
        let declaration = try Declaration.parse(try Declaration.submissionText(json, artifact: "no: colon-safe"))
        #expect(declaration.artifact == "no: colon-safe")
        #expect(declaration.parameters.map(\.name) == ["b", "a"])
    }

    @Test func aNonMappingIsRefused() {
        #expect(throws: FieldError.self) { try Declaration.submissionText("- a\n- b\n", artifact: "x") }
    }
}
