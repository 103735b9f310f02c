import Testing
@testable import AssayKube

@Suite struct JobBuilderNamingTests {
    static func isDNS1123Label(_ s: String) -> Bool {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-")
        guard !s.isEmpty, s.count <= 63, s.allSatisfy({ allowed.contains($0) }) else { return false }
        return s.first != "-" && s.last != "-"
    }

    @Test func plainIDKeepsReadableName() throws {
        #expect(try JobBuilder.jobName(forExperimentID: "exp-42") == "assay-exp-42")
        #expect(try JobBuilder.jobName(forExperimentID: "0a1b2c") == "assay-0a1b2c")
    }

    @Test(arguments: [
        "EXP-42", "My_Experiment.v2", "a", "a__b..c", "X" + String(repeating: "y", count: 62),
        String(repeating: "7", count: 63), "Z9",
    ])
    func derivedNameIsDNS1123(_ id: String) throws {
        let name = try JobBuilder.jobName(forExperimentID: id)
        #expect(Self.isDNS1123Label(name), "\(name)")
        #expect(name.hasPrefix("assay-"))
        #expect(Self.isDNS1123Label(JobBuilder.secretName(forJobName: name).replacingOccurrences(of: "-token", with: "")))
    }

    @Test func changedOrLongIDsStayDistinct() throws {
        #expect(try JobBuilder.jobName(forExperimentID: "ABC") != JobBuilder.jobName(forExperimentID: "abc"))
        #expect(try JobBuilder.jobName(forExperimentID: "a_b") != JobBuilder.jobName(forExperimentID: "a.b"))
        let long1 = String(repeating: "a", count: 62) + "1"
        let long2 = String(repeating: "a", count: 62) + "2"
        let n1 = try JobBuilder.jobName(forExperimentID: long1)
        #expect(n1.count == 63)
        #expect(n1 != (try JobBuilder.jobName(forExperimentID: long2)))
        #expect(try JobBuilder.jobName(forExperimentID: "ABC") == JobBuilder.jobName(forExperimentID: "ABC"))
        #expect(try JobBuilder.jobName(forExperimentID: "My_Exp").hasPrefix("assay-my-exp-"))
    }

    @Test(arguments: [
        "", "-abc", "abc-", "a b", "ä", "a/b", "_x", String(repeating: "a", count: 64), "---",
    ])
    func invalidIDsAreRefused(_ id: String) {
        #expect(throws: KubeBuildError.invalidExperimentID(id)) {
            try JobBuilder.jobName(forExperimentID: id)
        }
    }

    @Test func laterAttemptsEndInTheirNumberAndStayWithinALabel() throws {
        let id = "01k9z8y7x6w5v4t3s2r1q0p9n8"
        #expect(try JobBuilder.jobName(forExperimentID: id) == "assay-\(id)")
        #expect(try JobBuilder.jobName(forExperimentID: id, attempt: 1) == "assay-\(id)")
        #expect(try JobBuilder.jobName(forExperimentID: id, attempt: 2) == "assay-\(id)-2")
        let long = String(repeating: "a", count: 63)
        for attempt in [2, 17, 1234] {
            let name = try JobBuilder.jobName(forExperimentID: long, attempt: attempt)
            #expect(name.count <= 63 && name.hasSuffix("-\(attempt)") && Self.isDNS1123Label(name), "\(name)")
        }
        #expect(throws: KubeBuildError.invalidAttempt(0)) { try JobBuilder.jobName(forExperimentID: id, attempt: 0) }
    }
}
