import Testing

@testable import AssayCore

@Suite("Result files")
struct ResultFileTests {
    @Test func csvPicksTheDataLineAfterTheHeader() throws {
        let text = "loss,acc,model\n0.5,0.8,first.pt\n0.25,0.9,best.pt\n"
        let metrics = try ResultFile.parse(text: text, format: .csv, line: 2)
        #expect(metrics == Metrics([("loss", .number(0.25)), ("acc", .number(0.9)), ("model", .text("best.pt"))]))
        #expect(try ResultFile.parse(text: text, format: .csv)["model"] == .text("first.pt"))
    }

    @Test func csvQuotedFieldsHoldCommasQuotesAndLineBreaks() throws {
        let text = "note,\"a,b\",size\r\n\"said \"\"hi\"\", then left\",\" line1\r\nline2\",\" 42 \"\r\n"
        let metrics = try ResultFile.parse(text: text, format: .csv, line: 1)
        #expect(metrics.names == ["note", "a,b", "size"])
        #expect(metrics["note"] == .text("said \"hi\", then left"))
        #expect(metrics["a,b"] == .text(" line1\r\nline2"), "quoted text is kept as written")
        #expect(metrics["size"] == .number(42), "quoted numbers are numbers: some writers quote every cell")
    }

    @Test func csvHandlesCRLFBlankLinesBOMAndNoTrailingNewline() throws {
        let text = "\u{FEFF}a, b \r\n\r\n1, 2.5e-3\r\n\n3,x"
        #expect(try ResultFile.parse(text: text, format: .csv, line: 1) == Metrics([("a", .number(1)), ("b", .number(0.0025))]))
        #expect(try ResultFile.parse(text: text, format: .csv, line: 2) == Metrics([("a", .number(3)), ("b", .text("x"))]))
    }

    @Test func csvEmptyCellIsMissing() throws {
        let metrics = try ResultFile.parse(text: "a,b,c\n1,,3\n", format: .csv)
        #expect(metrics.names == ["a", "c"])
    }

    @Test(arguments: [
        ("12", ResultValue.number(12)), ("-0.5", .number(-0.5)), ("+3", .number(3)), (".5", .number(0.5)),
        ("5.", .number(5)), ("1E3", .number(1000)), ("\"7\"", .number(7)), ("nan", .text("nan")),
        ("inf", .text("inf")), ("0x10", .text("0x10")), ("\"1,000\"", .text("1,000")), ("1e", .text("1e")),
        ("-", .text("-")), ("1e999", .text("1e999")), ("true", .text("true")), ("1 2", .text("1 2")),
    ])
    func csvCellsAreNumbersOnlyWhenDecimal(cell: String, expected: ResultValue) throws {
        #expect(try ResultFile.parse(text: "value\n\(cell)\n", format: .csv)["value"] == expected)
    }

    @Test func jsonKeepsOrderAndMapsScalars() throws {
        let text = #"{"loss": 0.125, "model": "best.pt", "converged": true, "skipped": null, "epochs": 10}"#
        let metrics = try ResultFile.parse(text: text, format: .json, line: 7)
        #expect(metrics == Metrics([
            ("loss", .number(0.125)), ("model", .text("best.pt")), ("converged", .text("true")), ("epochs", .number(10)),
        ]))
    }

    @Test(arguments: [
        ("a.csv", ResultFile.Format.csv), ("out/result.JSON", .json), ("x.tar.csv", .csv),
    ])
    func formatFollowsTheExtension(path: String, format: ResultFile.Format) {
        #expect(ResultFile.Format.infer(fromPath: path) == format)
    }

    @Test(arguments: ["result", "result.txt", ".csv", "dir.csv/result", "csv"])
    func unknownExtensionsHaveNoFormat(path: String) {
        #expect(ResultFile.Format.infer(fromPath: path) == nil)
    }

    @Test(arguments: [
        ("", ResultFile.Format.csv, 1, "result.csv is empty"),
        ("\n\r\n", .csv, 1, "result.csv is empty"),
        ("  \n", .json, 1, "result.csv is empty"),
        ("a,b\n1,2\n", .csv, 0, "result.line must be 1 or more, is 0"),
        ("a,b\n1,2\n3,4\n", .csv, 5, "result.csv has 2 data lines, result.line is 5"),
        ("a,b\n1,2\n", .csv, 2, "result.csv has 1 data line, result.line is 2"),
        ("a,b\n", .csv, 1, "result.csv has no data lines, result.line is 1"),
        ("a,b,c\n1,2\n", .csv, 1, "result.csv: header has 3 columns, line 1 has 2"),
        ("a\n1,2\n", .csv, 1, "result.csv: header has 1 column, line 1 has 2"),
        ("a,b\n1,\"2\n", .csv, 1, "result.csv: line 1 has an unterminated quoted field"),
        ("\"a,b\n1,2\n", .csv, 1, "result.csv: header has an unterminated quoted field"),
        ("a,b\n0,1\n\"1\"x,2\n", .csv, 1, "result.csv: line 2 has text after the closing quote of a field"),
        ("a,,c\n1,2,3\n", .csv, 1, "result.csv: header column 2 has no name"),
        ("acc,loss, acc\n1,2,3\n", .csv, 1, "result.csv: header names column \"acc\" twice"),
        ("{\"a\": 1,}", .json, 1, "result.csv is not valid JSON: expected a string key at column 9"),
        ("{\n  \"a\": 1\n  \"b\": 2\n}", .json, 1, "result.csv is not valid JSON: expected ',' or '}' at line 3, column 3"),
        ("[{\"a\": 1}]", .json, 1, "result.csv must hold a JSON object, found an array"),
        ("{\"a\": 1, \"metrics\": {\"b\": 2}}", .json, 1,
         "result.csv: value of \"metrics\" is an object; values must be numbers, strings, booleans or null"),
        ("{\"a\": [1]}", .json, 1,
         "result.csv: value of \"a\" is an array; values must be numbers, strings, booleans or null"),
    ])
    func errorsNameTheFileAndTheFault(text: String, format: ResultFile.Format, line: Int, message: String) {
        #expect {
            try ResultFile.parse(text: text, format: format, line: line, name: "result.csv")
        } throws: { error in
            (error as? ResultFile.Error)?.description == message
        }
    }

    @Test func errorsUseAGenericNameByDefault() {
        #expect(throws: ResultFile.Error(file: "result file", problem: .empty)) {
            try ResultFile.parse(text: "", format: .csv)
        }
    }

    @Test func onlyThePickedLineNeedsTheHeaderWidth() throws {
        let metrics = try ResultFile.parse(text: "a,b\n1\n2,3\n", format: .csv, line: 2)
        #expect(metrics == Metrics([("a", .number(2)), ("b", .number(3))]))
    }
}
