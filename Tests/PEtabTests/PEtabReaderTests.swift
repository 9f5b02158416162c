import Testing
import Foundation
import PEtab
import SourceDiagnostics

/// Bad PEtab input gets an error at file:line:column with a hint, and nothing is run.
/// Each case copies test-suite case 0001 (one observable, four parameters) into a temporary
/// directory and breaks one file.
@Suite(.enabled(if: PEtabFiles.haveSuite, "../shared/petab/test-suite is absent"))
struct PEtabReaderTests {
    struct Defect: Sendable, CustomStringConvertible {
        var name: String
        var file: String
        var replace: String
        var with: String
        /// Expected `file:line:column: error: message` prefix (file name only) and a hint fragment.
        var location: String
        var message: String
        var hint: String?
        var description: String { name }
    }

    static let defects: [Defect] = [
        Defect(name: "unknown observable", file: "_measurements.tsv", replace: "obs_a\tc0\t10", with: "obs_b\tc0\t10",
               location: "_measurements.tsv:3:1", message: "unknown observable 'obs_b'", hint: "did you mean 'obs_a'?"),
        Defect(name: "time not a number", file: "_measurements.tsv", replace: "c0\t10\t", with: "c0\tten\t",
               location: "_measurements.tsv:3:10", message: "time must be a number, not 'ten'"),
        Defect(name: "unknown scale", file: "_parameters.tsv", replace: "k1\tlin", with: "k1\tln",
               location: "_parameters.tsv:4:4", message: "unknown parameterScale 'ln'", hint: "use lin, log or log10"),
        Defect(name: "typo in a formula", file: "_observables.tsv", replace: "obs_a\tA", with: "obs_a\tAA",
               location: "_observables.tsv:2:7", message: "unknown name 'AA' in the formula of observable 'obs_a'", hint: "did you mean"),
        Defect(name: "unknown condition column", file: "_conditions.tsv", replace: "conditionId", with: "conditionId\tk9",
               location: "_conditions.tsv:1:13", message: "condition column 'k9' is not a parameter, species or compartment of the model"),
        Defect(name: "missing column", file: "_parameters.tsv", replace: "estimate", with: "estimated",
               location: "_parameters.tsv:1:1", message: "the parameter table has no column 'estimate'", hint: "did you mean 'estimated'?"),
        Defect(name: "YAML without problems", file: "_0001.yaml", replace: "problems:", with: "problem:",
               location: "_0001.yaml:1:1", message: "the problem file needs 'problems:'"),
        Defect(name: "missing table file", file: "_0001.yaml", replace: "- _conditions.tsv", with: "- conditions.tsv",
               location: "_0001.yaml:5:5", message: "cannot find", hint: "paths are relative to the problem file"),
        Defect(name: "flow list in the YAML", file: "_0001.yaml", replace: "  - _model.xml", with: "  - [_model.xml]",
               location: "_0001.yaml:11:5", message: "flow collections ('[…]', '{…}') are not supported"),
    ]

    @Test(arguments: defects)
    func defectIsReportedAtItsPlace(_ defect: Defect) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("petab-reader-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = PEtabFiles.suite.appendingPathComponent("0001")
        for name in ["_0001.yaml", "_model.xml", "_conditions.tsv", "_measurements.tsv", "_observables.tsv", "_parameters.tsv"] {
            var text = try String(contentsOf: source.appendingPathComponent(name), encoding: .utf8)
            if name == defect.file {
                try #require(text.contains(defect.replace), "the fixture contains '\(defect.replace)'")
                text = text.replacingOccurrences(of: defect.replace, with: defect.with)
            }
            try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let error = try #require(throws: DiagnosticsError.self) { try PEtabReader.read(path: dir.appendingPathComponent("_0001.yaml").path) }
        let first = try #require(error.diagnostics.first)
        let rendered = first.description
        #expect(rendered.contains("/" + defect.location + ": error: "), "\(rendered)")
        #expect(first.message.hasPrefix(defect.message), "\(first.message)")
        if let hint = defect.hint { #expect(first.hints.contains { $0.contains(hint) }, "hints: \(first.hints)") }
        #expect(DiagnosticRenderer().render(error.diagnostics).contains("^"), "a caret under the place")
    }

    /// The YAML subset: a sequence item that starts a mapping, nested lists, comments and quotes.
    @Test func yamlSubsetReadsPEtabLayouts() throws {
        let text = """
        format_version: 1 # a comment
        parameter_file: 'p.tsv'
        problems:
          - condition_files:
            - "c.tsv"
            sbml_files:
            - m.xml
        """
        let node = try YAMLSubset.parse(SourceFile(path: "x.yaml", text: text))
        guard case .scalar("p.tsv", _)? = node["parameter_file"], case .sequence(let problems, _)? = node["problems"],
              case .sequence(let conditions, _)? = problems.first?["condition_files"], case .scalar("c.tsv", _)? = conditions.first,
              case .sequence(let models, _)? = problems.first?["sbml_files"], case .scalar("m.xml", _)? = models.first else {
            Issue.record("unexpected structure: \(node)")
            return
        }
        guard case .scalar("1", _)? = node["format_version"] else { Issue.record("the comment is not stripped"); return }
    }
}
