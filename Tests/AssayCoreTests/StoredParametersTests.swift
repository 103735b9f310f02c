@testable import AssayCore
import Foundation
import Testing

@Suite("Stored parameters")
struct StoredParametersTests {
    static let declared = """
          lr: {type: float, min: 0.001, max: 1, scale: log}
          epochs: {type: int, min: 1, max: 27}
          width: {type: float, values: [3, 4.5]}
          opt: {type: choice, values: [adam, 2, true]}
          norm: {type: bool}
          seed: {type: const, value: 7}
          shape: {type: group, values: [{h: 32, w: 32}, {h: 64, w: 64}]}
        """

    /// Every kind survives JSON and comes back as the same typed settings (3 of a float stays 3.0).
    @Test func everyKindRoundTripsThroughJSON() throws {
        let parameters = try declaration(withParameters(Self.declared, sweep: "{strategy: random, samples: 1}")).parameters
        let settings: [Setting] = [
            .scalar(.float(0.0123)), .scalar(.int(9)), .scalar(.float(3)), .scalar(.int(2)), .scalar(.bool(true)),
            .scalar(.int(7)), parameters[6].domain.setting(at: 1),
        ]
        let original = ParameterSet(entries: zip(parameters, settings).map { .init(name: $0.name, setting: $1) })
        let json = try JSONEncoder().encode(StoredParameters(original))
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.contains(#""epochs":9"#) && text.contains(#""shape":{"group":1}"#) && text.contains(#""width":3"#))
        let decoded = try JSONDecoder().decode(StoredParameters.self, from: json)
        #expect(try decoded.parameterSet(for: parameters) == original)
    }

    @Test func aMissingOrMistypedValueIsNamed() throws {
        let parameters = try declaration(withParameters("  epochs: {type: int, min: 1, max: 27}\n  opt: {type: choice, values: [adam, sgd]}", sweep: "{strategy: random, samples: 1}")).parameters
        #expect(throws: StoredParametersError.missing(parameter: "opt")) {
            try StoredParameters(values: ["epochs": .number(3)]).parameterSet(for: parameters)
        }
        #expect(throws: StoredParametersError.mismatch(parameter: "epochs")) {
            try StoredParameters(values: ["epochs": .number(2.5), "opt": .string("adam")]).parameterSet(for: parameters)
        }
        #expect(throws: StoredParametersError.mismatch(parameter: "opt")) {
            try StoredParameters(values: ["epochs": .number(2), "opt": .string("rmsprop")]).parameterSet(for: parameters)
        }
    }
}
