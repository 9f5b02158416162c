import Testing
import SourceDiagnostics

/// A diagnostic on a very long line (generated or minified input) shows a window around
/// the caret, not the whole line.
@Suite struct LongLineTests {
    @Test func excerptIsAWindowWithTheCaretUnderTheFaultyText() {
        let before = String(repeating: "a", count: 500_000), after = String(repeating: "b", count: 500_000)
        let file = SourceFile(path: "long.ant", text: before + "XYZ" + after + "\n")
        let range = SourceRange(file: file, start: before.utf8.count, end: before.utf8.count + 3)
        let text = DiagnosticRenderer().render(.error("bad", at: range))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "long.ant:1:500001: error: bad")
        #expect(text.count < 500, "rendered \(text.count) characters")
        // " 1 | …aaa…XYZbbb…" and the caret run "^~~" right under XYZ.
        let excerpt = lines[1], caret = lines[2]
        #expect(excerpt.hasPrefix(" 1 | …") && excerpt.hasSuffix("…"), "\(excerpt)")
        let excerptChars = Array(excerpt), caretChars = Array(caret)
        let caretStart = try! #require(caretChars.firstIndex(of: "^"))
        #expect(String(excerptChars[caretStart..<caretStart + 3]) == "XYZ")
        #expect(String(caretChars[caretStart...]) == "^~~")
    }

    @Test func shortLinesAreShownWhole() {
        let file = SourceFile(path: "m.ant", text: "J1: A -> B; k*(A\n")
        let text = DiagnosticRenderer().render(.error("expected ')'", at: SourceRange(file: file, start: 14, end: 15)))
        #expect(text == "m.ant:1:15: error: expected ')'\n 1 | J1: A -> B; k*(A\n   |               ^")
    }
}
