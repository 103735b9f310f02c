@testable import AssayServer
import Foundation
import Testing

@Suite("The text of a JSON member, as sent")
struct JSONMemberTextTests {
    @Test(arguments: [
        (#"{"a": 1, "declaration": {"z": 1, "a": [1, {"}": "]"}]}, "b": 2}"#, #"{"z": 1, "a": [1, {"}": "]"}]}"#),
        (#"  {"x": "quote \" and {", "declaration" : {"k":"v"}}"#, #"{"k":"v"}"#),
        (#"{"decl\u0061ration": {"escaped": true}}"#, #"{"escaped": true}"#),
        (#"{"declaration": "just text"}"#, #""just text""#),
        (#"{"other": {"declaration": 1}}"#, nil),
    ] as [(String, String?)])
    func findsTheTopLevelMemberOnly(json: String, expected: String?) {
        #expect(JSONMemberText.of("declaration", in: Data(json.utf8)) == expected)
    }
}
