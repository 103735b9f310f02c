@testable import AssayCurl
import Testing

@Suite struct LineSplitterTests {
    @Test func partialLinesWaitForTheirEnd() {
        var splitter = LineSplitter()
        #expect(splitter.append(Array("data: he".utf8)).isEmpty)
        #expect(splitter.append(Array("llo\r".utf8)).isEmpty)
        #expect(splitter.append(Array("\n\nnext".utf8)) == ["data: hello", ""])
        #expect(splitter.pendingCount == 4)
        #expect(splitter.finish() == "next")
        #expect(splitter.finish() == nil)
    }

    @Test func multibyteCharactersSplitAcrossChunksSurvive() {
        var splitter = LineSplitter()
        let bytes = Array("grüße\n".utf8)
        #expect(splitter.append(bytes[..<3]).isEmpty)
        #expect(splitter.append(bytes[3...]) == ["grüße"])
    }
}
