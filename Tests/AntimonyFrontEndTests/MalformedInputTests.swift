import Testing
import SourceDiagnostics
@testable import AntimonyFrontEnd

/// Each malformed input must fail with a precise message at a precise place, and never crash.
struct MalformedInputTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var source: String
        /// "line:column: " followed by a distinctive part of the message.
        var expected: String
        var testDescription: String { source.split(separator: "\n").first.map(String.init) ?? "(empty)" }
    }

    static let cases: [Case] = [
        .init(source: "J1: A -> B; k*(A\nJ2: B -> C; k2*B", expected: "1:17: expected ')' to close '(' opened at 1:15"),
        .init(source: "J1: A -> B;\n", expected: "1:12: expected a rate law after ';'"),
        .init(source: "J1: A -> B\n", expected: "1:11: expected ';' and a rate law after the reaction's products"),
        .init(source: "k = * 3", expected: "1:5: unexpected '*' at start of expression"),
        .init(source: "k = 3 +\n", expected: "1:8: expected an expression after '+'"),
        .init(source: "/* never closed\nk = 1", expected: "1:1: unterminated comment"),
        .init(source: "specis S", expected: "1:1: unknown keyword 'specis'"),
        .init(source: "compartment C\nspecies C", expected: "2:9: 'C' cannot be a species: it is already a compartment"),
        .init(source: "J1: A -> B; k\nJ1: B -> C; k", expected: "2:1: reaction 'J1' is already defined"),
        .init(source: "J1: A -> B; k\nJ1 -> C; k", expected: "2:1: 'J1' cannot be a species: it is already a reaction"),
        .init(source: "function f(x)\n x\nend\nfunction f(y)\n y\nend", expected: "4:10: function 'f' is already defined"),
        .init(source: "k = 2 ** 3", expected: "1:7: '**' is not an operator in Antimony"),
        .init(source: "x := a || b && c", expected: "1:13: '&&' and '||' need parentheses"),
        .init(source: "x := a < b < c", expected: "1:12: comparisons cannot be chained"),
        .init(source: "k = 2 k2", expected: "1:7: a name right after a number is a unit in Antimony"),
        .init(source: "DNA d", expected: "1:1: unsupported: DNA strands"),
        .init(source: "J0: A -| B; k", expected: "1:7: unsupported: interactions ('-|')"),
        .init(source: "at (x > 1), t0 = maybe: x = 0", expected: "1:18: expected 'true' or 'false' after 't0 ='"),
        .init(source: "at (x > 1), prority = 1: x = 0", expected: "1:13: unknown event option 'prority'"),
        .init(source: "at (x > 1) x = 0", expected: "1:12: expected ':' after the event trigger"),
        .init(source: "S = \"Calcium\"", expected: "1:5: text in quotes cannot be part of an expression"),
        .init(source: "k = 1 @", expected: "1:7: unexpected '@'; expected a new line or ';'"),
        .init(source: "k = 1 ~ 2", expected: "1:7: unexpected character '~'"),
        .init(source: "model m()\n  k = 1\n", expected: "3:1: expected 'end' to close model 'm' (opened at 1:1)"),
        .init(source: "end", expected: "1:1: 'end' without a matching 'model' or 'function'"),
        .init(source: "A: Missing()", expected: "1:4: unknown model 'Missing'"),
        .init(source: "model sub()\n x = 1\nend\nmodel *top()\n A: sub()\n y = A.z\nend", expected: "6:6: submodel 'A' has no 'z'"),
        .init(source: "y = A.x", expected: "1:5: 'A' is not a submodel"),
        .init(source: "exp = 3", expected: "1:1: 'exp' is a built-in function"),
        .init(source: "k = 1\nk := 2\nk' = 3", expected: "3:2: 'k' already has an assignment rule"),
        .init(source: "const k = 1\nat (time > 1): k = 2", expected: "2:16: 'k' is declared constant but is changed by an event"),
        .init(source: "J1: A -> B; k\nJ2: B -> C; f(", expected: "2:15: expected an expression after '('"),
        .init(source: "x = " + String(repeating: "(", count: 300) + "1" + String(repeating: ")", count: 300),
              expected: "1:205: expression is nested too deeply"),
        .init(source: "x = 10 % 3", expected: "1:8: unsupported: the remainder operator '%'"),
        .init(source: "k = a--b", expected: "1:6: '--' is read by Antimony as a DNA strand"),
        .init(source: "S' = 1\nJ1: S -> ; k*S", expected: "1:2: species 'S' has a rate rule and also takes part in reaction 'J1'"),
        .init(source: "function f(x)\n x*k\nend\ny := f(1)", expected: "2:4: 'k' in function 'f' is not one of its parameters"),
        .init(source: "model a()\n b = 1\nend\nk = 2", expected: "4:1: statements outside a model are ignored by Antimony here"),
        .init(source: "\u{00}\u{01}binary", expected: "1:1: unexpected character byte 0x0"),
    ]

    @Test(arguments: cases)
    func reportsPreciseError(_ testCase: Case) {
        let actual = firstError(testCase.source)
        #expect(actual.hasPrefix(testCase.expected), "got: \(actual)")
    }

    @Test func reportsEveryErrorInOneRun() {
        let errors = diagnostics("k = * 1\nJ1: A -> B\nspecis S\nx = 2 ** 3\n").filter { $0.severity == .error }
        #expect(errors.map { $0.range?.startLocation.line } == [1, 2, 3, 4])
    }

    @Test func capsTheNumberOfErrors() {
        let errors = diagnostics(String(repeating: "k = *\n", count: 500)).filter { $0.severity == .error }
        #expect(errors.count == DiagnosticSink.errorLimit)
    }

    @Test func conflictHasNoteAtFirstDeclaration() {
        let all = diagnostics("compartment C\nspecies C")
        #expect(all.contains { $0.severity == .note && $0.range?.startLocation == SourceDiagnostics.SourceLocation(line: 1, column: 13) })
    }

    @Test(arguments: ["", "\n\n", "// only a comment", String(repeating: "(", count: 100_000),
                      String(decoding: (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919) }, as: UTF8.self),
                      "model", "model m(", "at", "J1:", "function", "function f(", "import", "\"", "$", "->", "A: B(",
                      "x is", "S in", "unit", "species", "const", "2 A ->", "k = 1e999"])
    func neverCrashes(_ source: String) {
        _ = try? AntimonyLoader.load(source: SourceFile(path: "junk.ant", text: source))
    }
}

/// A long generated file loads completely. (How parse time grows with file size is
/// measured by `make bench` in a release build, not asserted here: timings in a debug
/// build on a shared machine are not a test.)
@Test func longGeneratedFilesLoadCompletely() throws {
    let lines = (0..<5_000).map { "J\($0): S\($0) -> S\($0 + 1); k\($0)*S\($0)\nk\($0) = 0.1" }
    let pathway = try AntimonyLoader.load(source: SourceFile(path: "big.ant", text: lines.joined(separator: "\n")))
    #expect(pathway.reactions.count == 5_000)
    #expect(pathway.species.count == 5_001)
    #expect(pathway.parameters.count == 5_000)
}
