import Testing
import SourceDiagnostics
@testable import ConfigFiles

@Suite struct ConfigReaderTests {
    func read(_ text: String) throws -> ConfigTable {
        try ConfigReader.read(SourceFile(path: "x.toml", text: text))
    }

    @Test func readsTablesArraysAndValues() throws {
        let root = try read("""
            # a comment
            description = "theta \\"burst\\"" # trailing comment
            count = 1_000
            rate = 1.5e2
            on = true
            list = [1, 2,
                    3,]
            inline = { a = 1, b = "x" }

            [baseline]
            duration = 600

            [stimuli.spike]
            Ca = "dCa"

            [[induction]]
            pattern = "train"
            [[induction]]
            pattern = "theta_burst"
            """)
        guard case .string(let d) = root["description"]?.kind else { Issue.record("description"); return }
        #expect(d == "theta \"burst\"")
        guard case .number(let c) = root["count"]?.kind, case .number(let r) = root["rate"]?.kind else { Issue.record("numbers"); return }
        #expect(c == 1000 && r == 150)
        guard case .array(let list) = root["list"]?.kind else { Issue.record("list"); return }
        #expect(list.count == 3)
        guard case .table(let stimuli) = root["stimuli"]?.kind, case .table(let spike) = stimuli["spike"]?.kind else { Issue.record("stimuli"); return }
        #expect(spike.keys == ["Ca"])
        guard case .array(let induction) = root["induction"]?.kind else { Issue.record("induction"); return }
        #expect(induction.count == 2)
        guard case .table(let second) = induction[1].kind, case .string(let p) = second["pattern"]?.kind else { Issue.record("second"); return }
        #expect(p == "theta_burst")
        // Values remember where they were written.
        #expect(root["count"]?.range.startLocation == SourceLocation(line: 3, column: 9))
    }

    struct BadCase: Sendable, CustomStringConvertible {
        let text: String
        let message: String
        let line: Int
        let column: Int
        var description: String { message }
    }

    static let badCases: [BadCase] = [
        BadCase(text: "a = ", message: "expected a value", line: 1, column: 5),
        BadCase(text: "a = 1\na = 2", message: "'a' is defined twice", line: 2, column: 1),
        BadCase(text: "a = \"open", message: "unterminated string", line: 1, column: 5),
        BadCase(text: "[t]\nx = 1\n[t]\n", message: "table [t] is defined twice", line: 3, column: 1),
        BadCase(text: "a = hello", message: "expected a value, found 'hello'", line: 1, column: 5),
        BadCase(text: "a = [1, 2", message: "expected ']' to close the array", line: 1, column: 5),
        BadCase(text: "a = 1 b = 2", message: "expected the end of the line", line: 1, column: 7),
        BadCase(text: "a 1", message: "expected '=' after the key 'a'", line: 1, column: 3),
        BadCase(text: "a = 1979-05-27", message: "unsupported: dates and times", line: 1, column: 5),
        BadCase(text: "a = \"\"\"x\"\"\"", message: "unsupported: multi-line strings", line: 1, column: 5),
        BadCase(text: "[t\nx = 1", message: "expected ']' to close the table header", line: 1, column: 3),
        BadCase(text: "a = {x = 1", message: "expected ',' or '}'", line: 1, column: 11),
    ]

    @Test(arguments: badCases)
    func reportsSyntaxErrorsAtTheirPlace(_ c: BadCase) {
        let error = #expect(throws: DiagnosticsError.self) { try read(c.text) }
        guard let d = error?.diagnostics.first else { return }
        #expect(d.message.contains(c.message), "got \(d.message)")
        #expect(d.range?.startLocation == SourceLocation(line: c.line, column: c.column), "got \(String(describing: d.range?.startLocation))")
    }

    @Test func unknownKeysAreReportedWithASuggestion() throws {
        let root = try read("duration = 600\ntest_intervall = 10\n")
        var reader = TableReader(root, name: "[baseline]")
        var diagnostics = DiagnosticCollector()
        _ = reader.number("duration", diagnostics: &diagnostics)
        _ = reader.number("test_interval", default: 10, diagnostics: &diagnostics)
        reader.finish(diagnostics: &diagnostics)
        #expect(diagnostics.diagnostics.count == 1)
        #expect(diagnostics.diagnostics.first?.message == "unknown key 'test_intervall' in [baseline]")
        #expect(diagnostics.diagnostics.first?.hints == ["did you mean 'test_interval'?"])
    }

    @Test func numbersAreCheckedAgainstTheirBounds() throws {
        let root = try read("rate = -5\n")
        var reader = TableReader(root, name: "[[induction]]")
        var diagnostics = DiagnosticCollector()
        #expect(reader.number("rate", minimum: 0, exclusiveMinimum: true, diagnostics: &diagnostics) == nil)
        #expect(diagnostics.diagnostics.first?.message == "'rate' must be greater than 0 (got -5)")
        #expect(diagnostics.diagnostics.first?.range?.startLocation == SourceLocation(line: 1, column: 8))
    }

    @Test func commentsAreKeptWithTheirLinesBesideTheSameTable() throws {
        let text = "# header\nsites = 5   # assumption\n[release]\nq = 0.4 # nS; cited\nlist = [1, # one\n  2]\n"
        let file = SourceFile(path: "x.toml", text: text)
        let (table, comments) = try ConfigReader.readKeepingComments(file)
        #expect(comments.map(\.text) == ["header", "assumption", "nS; cited", "one"])
        #expect(comments.map(\.line) == [1, 2, 4, 5])
        #expect(table.keys == (try ConfigReader.read(file)).keys)
    }
}
