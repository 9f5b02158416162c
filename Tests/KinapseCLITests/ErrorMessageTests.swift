import Testing
import Foundation
import PathwayTestSupport

/// What a user sees when a file is wrong, end to end through the command line: the
/// `file:line:column: error:` headline, the source line, a caret under the offending range,
/// and a hint. One case per mistake, across every kind of file Kinapse reads.
struct ErrorMessageCase: Sendable, CustomTestStringConvertible {
    enum Setup: Sendable {
        /// Write a new file (path relative to the run directory).
        case write(String, String)
        /// Replace text in a copy of a shipped file under `Pathways/` (must occur exactly once).
        case edit(String, String, String)
        /// Only copy the shipped `Pathways/`.
        case shipped
    }

    let kind: String
    let setup: [Setup]
    let arguments: [String]
    /// `path:line:column: error: message` exactly as printed; each `*` stands for any text (the
    /// line number, or line:column, in a shipped file whose lines may move).
    let headline: String
    /// The source line as quoted under the headline; in a case on the shipped `Pathways/`, a
    /// part of it (the quoted line itself is then read from the file, so that the comments and
    /// line numbers of shipped files can change without this test).
    let source: String
    /// The marker under the range: `^` followed by `~` for the rest of the range.
    let caret: String
    let hint: String
    var testDescription: String { "\(kind): \(headline)" }
}

/// The small SBML model the SBML cases edit: `S -> P` at rate `k*S`.
private let sbml = """
    <?xml version="1.0" encoding="UTF-8"?>
    <sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
      <model id="decay">
        <listOfCompartments>
          <compartment id="cell" size="1" constant="true"/>
        </listOfCompartments>
        <listOfSpecies>
          <species id="S" compartment="cell" initialConcentration="1" hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/>
          <species id="P" compartment="cell" initialConcentration="0" hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/>
        </listOfSpecies>
        <listOfParameters>
          <parameter id="k" value="0.5" constant="true"/>
        </listOfParameters>
        <listOfReactions>
          <reaction id="J1" reversible="false">
            <listOfReactants>
              <speciesReference species="S" stoichiometry="1" constant="true"/>
            </listOfReactants>
            <listOfProducts>
              <speciesReference species="P" stoichiometry="1" constant="true"/>
            </listOfProducts>
            <kineticLaw>
              <math xmlns="http://www.w3.org/1998/Math/MathML">
                <apply>
                  <times/>
                  <ci> k </ci>
                  <ci> S </ci>
                </apply>
              </math>
            </kineticLaw>
          </reaction>
        </listOfReactions>
      </model>
    </sbml>

    """

private func sbmlWith(_ from: String, _ to: String) -> ErrorMessageCase.Setup {
    .write("m.xml", sbml.replacingOccurrences(of: from, with: to))
}

/// A two-parameter fit of `A -> B -> ∅` with one mistake put into the problem or its data.
private func fitFiles(problem edit: (String, String)? = nil, data dataEdit: (String, String)? = nil) -> [ErrorMessageCase.Setup] {
    let problem = """
        model = "decay.ant"

        [options]
        starts = 4

        [parameters.k1]
        lower = 0.01
        upper = 10
        [parameters.k2]
        lower = 0.001
        upper = 1

        [observables.B_obs]
        expression = "B"
        sd = 0.1

        [[experiments]]
        name = "control"
        data = "data.csv"

        """
    let data = "time,B_obs\n1,3.7\n2,5.5\n"
    return [
        .write("decay.ant", "A = 10; B = 0\nk1 = 0.5; k2 = 0.1\nJ1: A -> B; k1*A\nJ2: B -> ; k2*B\n"),
        .write("p.toml", edit.map { problem.replacingOccurrences(of: $0.0, with: $0.1) } ?? problem),
        .write("data.csv", dataEdit.map { data.replacingOccurrences(of: $0.0, with: $0.1) } ?? data),
    ]
}

private let golgi = "Pathways/synapses/golgi_granule.toml"
private let tbs = "Pathways/protocols/tbs.toml"
private let runGolgi = ["simulate", golgi, "--protocol", "tbs"]

let errorMessageCases: [ErrorMessageCase] = [
    // Pathway models (Antimony)
    .init(kind: "model", setup: [.write("m.ant", "kcat = 2; A = 1\nJ1: A -> ; kact*A\n")], arguments: ["simulate", "m.ant", "--t-end", "1"],
          headline: "m.ant:2:12: error: parameter 'kact' has no value", source: "J1: A -> ; kact*A", caret: "^~~~",
          hint: "did you mean 'kcat'?"),
    .init(kind: "model", setup: [.write("m.ant", "A = 1\nJ1: A -> ; expp(A)\n")], arguments: ["check", "m.ant"],
          headline: "m.ant:2:12: error: unknown function 'expp'", source: "J1: A -> ; expp(A)", caret: "^~~~~~~",
          hint: "did you mean 'exp'?"),
    .init(kind: "model", setup: [.write("m.ant", "specis S\nS = 1\n")], arguments: ["check", "m.ant"],
          headline: "m.ant:1:1: error: unknown keyword 'specis'", source: "specis S", caret: "^~~~~~",
          hint: "did you mean 'species'?"),
    .init(kind: "model", setup: [.write("m.ant", "S = 1\nat (S > 1), prority = 1: S = 0\n")], arguments: ["check", "m.ant"],
          headline: "m.ant:2:13: error: unknown event option 'prority'; expected priority, t0, persistent or fromTrigger",
          source: "at (S > 1), prority = 1: S = 0", caret: "^~~~~~~", hint: "did you mean 'priority'?"),
    .init(kind: "model", setup: [.write("m.ant", "model sub()\n x = 1\nend\nmodel *top()\n A: sub()\n y := A.xx\nend\n")],
          arguments: ["check", "m.ant"],
          headline: "m.ant:6:7: error: submodel 'A' has no 'xx'", source: " y := A.xx", caret: "^~~~", hint: "did you mean 'x'?"),
    .init(kind: "model", setup: [.write("m.ant", "model sub()\n x = 1\nend\nmodel *top()\n A: sbu()\nend\n")], arguments: ["check", "m.ant"],
          headline: "m.ant:5:5: error: unknown model 'sbu'", source: " A: sbu()", caret: "^~~", hint: "did you mean 'sub'?"),
    .init(kind: "model", setup: [.write("small.ant", "S = 1\n"), .write("m.ant", "import \"smal.ant\"\n")], arguments: ["check", "m.ant"],
          headline: "m.ant:1:8: error: cannot find imported file 'smal.ant' (looked for 'smal.ant')", source: "import \"smal.ant\"",
          caret: "^" + String(repeating: "~", count: 9), hint: "did you mean 'small.ant'?"),
    // A shipped pathway, whose line numbers may move: only the message, the caret's column in
    // the excerpt and the hint are fixed.
    .init(kind: "model", setup: [.edit("Pathways/no_cgmp_pkg.ant", "k_6to5*sGC_NO6 -", "k_6to5*sGC_N06 -")],
          arguments: ["check", "Pathways/no_cgmp_pkg.ant"],
          headline: "Pathways/no_cgmp_pkg.ant:*: error: parameter 'sGC_N06' has no value", source: "", caret: "^~~~~~~",
          hint: "did you mean 'sGC_NO6'?"),
    // SBML models
    .init(kind: "SBML", setup: [sbmlWith("<ci> k </ci>", "<ci> kk </ci>")], arguments: ["check", "m.xml"],
          headline: "m.xml:26:20: error: unknown symbol 'kk'", source: "              <ci> kk </ci>", caret: "^~",
          hint: "did you mean 'k'?"),
    .init(kind: "SBML", setup: [sbmlWith("species=\"P\"", "species=\"Pp\"")], arguments: ["check", "m.xml"],
          headline: "m.xml:20:11: error: 'Pp' in reaction 'J1' is not a species",
          source: "          <speciesReference species=\"Pp\" stoichiometry=\"1\" constant=\"true\"/>", caret: "^~~~~~~~~~~~~~~~~",
          hint: "did you mean 'P'?"),
    .init(kind: "SBML", setup: [sbmlWith("id=\"P\" compartment=\"cell\"", "id=\"P\" compartment=\"cel\"")], arguments: ["check", "m.xml"],
          headline: "m.xml:9:7: error: species 'P' is in 'cel', which is not a compartment",
          source: "      <species id=\"P\" compartment=\"cel\" initialConcentration=\"0\" hasOnlySubstanceUnits=\"false\" boundaryCondition=\"false\" constant=\"false\"/>",
          caret: "^~~~~~~~", hint: "did you mean 'cell'?"),
    .init(kind: "SBML", setup: [sbmlWith("<times/>", "<timse/>")], arguments: ["check", "m.xml"],
          headline: "m.xml:25:15: error: unknown MathML operator <timse>", source: "              <timse/>", caret: "^~~~~~",
          hint: "did you mean 'times'?"),
    .init(kind: "SBML", setup: [sbmlWith("</listOfReactants>", "</listOfReactant>")], arguments: ["check", "m.xml"],
          headline: "m.xml:18:9: error: XML: closing tag '</listOfReactant>' does not match '<listOfReactants>'",
          source: "        </listOfReactant>", caret: "^~~~~~~~~~~~~~~~~",
          hint: "'<listOfReactants>' was opened at line 16; close it with '</listOfReactants>'"),
    // Induction protocols
    .init(kind: "protocol", setup: [.edit(tbs, "pattern = \"theta_burst\"", "pattern = \"theta_brust\"")], arguments: runGolgi,
          headline: "\(tbs):*:11: error: unknown pattern 'theta_brust'", source: "pattern = \"theta_brust\"", caret: "^~~~~~~~~~~~~",
          hint: "did you mean 'theta_burst'?"),
    .init(kind: "protocol", setup: [.edit(tbs, "bursts_per_train = 10", "burst_per_train = 10")], arguments: runGolgi,
          headline: "\(tbs):*:1: error: unknown key 'burst_per_train' in [[induction]] number 1", source: "burst_per_train = 10",
          caret: "^" + String(repeating: "~", count: 14), hint: "did you mean 'bursts_per_train'?"),
    .init(kind: "protocol", setup: [.edit(tbs, "stimulus = \"excitatory_afferent\"", "stimulus = \"excitatory_aferent\"")], arguments: runGolgi,
          headline: "\(tbs):*:12: error: protocol 'tbs' uses stimulus 'excitatory_aferent', which synapse 'golgi_granule' does not define",
          source: "stimulus = \"excitatory_aferent\"", caret: "^" + String(repeating: "~", count: 19), hint: "did you mean 'excitatory_afferent'?"),
    .init(kind: "protocol", setup: [.shipped], arguments: ["simulate", golgi, "--protocol", "pairing"],
          headline: "Pathways/protocols/pairing.toml:*: error: protocol 'pairing' uses stimulus 'postsynaptic_spike', which synapse 'golgi_granule' does not define",
          source: "post = \"postsynaptic_spike\"", caret: "^" + String(repeating: "~", count: 19),
          hint: "stimuli of this synapse: current_clamp, excitatory_afferent, inhibitory_afferent"),
    // Synapse definitions
    .init(kind: "synapse", setup: [.edit(golgi, "NOS_kcat_NOS = 0", "NOS_kcat_NOX = 0")], arguments: runGolgi + ["--block", "L-NAME"],
          headline: "\(golgi):*:9: error: blocker 'L-NAME' sets 'NOS_kcat_NOX', which the model does not define",
          source: "set = { NOS_kcat_NOX = 0 }", caret: "^" + String(repeating: "~", count: 11), hint: "did you mean 'NOS_kcat_NOS'?"),
    .init(kind: "synapse", setup: [.edit(golgi, "target = \"Glu\"", "target = \"Gluu\"")], arguments: runGolgi,
          headline: "\(golgi):*:19: error: stimulus 'excitatory_afferent' acts on 'Gluu', which the model does not define",
          source: "step = { target = \"Gluu\", amplitude = 1, width = 0.001 }", caret: "^~~~~~", hint: "did you mean 'Glu'?"),
    .init(kind: "synapse", setup: [.edit(golgi, "amplitude = \"pre_I_amp\"", "amplitude = \"pre_I_ampp\"")], arguments: runGolgi,
          headline: "\(golgi):*:45: error: stimulus 'inhibitory_afferent' uses 'pre_I_ampp', which the model does not define",
          source: "step = { target = \"pre_I_stim\", amplitude = \"pre_I_ampp\", width = 0.0005 }", caret: "^~~~~~~~~~~~", hint: "did you mean 'pre_I_amp'?"),
    .init(kind: "synapse", setup: [.edit(golgi, "model = \"golgi_granule.ant\"", "model = \"golgi_granul.ant\"")], arguments: runGolgi,
          headline: "\(golgi):*:9: error: cannot find the model 'golgi_granul.ant' (looked for 'Pathways/synapses/golgi_granul.ant')",
          source: "model = \"golgi_granul.ant\"", caret: "^" + String(repeating: "~", count: 17), hint: "did you mean 'golgi_granule.ant'?"),
    .init(kind: "synapse", setup: [.edit(golgi, "sites = 5 ", "site = 5 ")], arguments: runGolgi,
          headline: "\(golgi):*:1: error: unknown key 'site' in [release]", source: "site = 5 ",
          caret: "^~~~", hint: "did you mean 'sites'?"),
    // The drug library and a synapse's blockers against it
    .init(kind: "synapse", setup: [.edit(golgi, "drug = \"MK-801\"", "drug = \"MK-810\"")], arguments: runGolgi,
          headline: "\(golgi):*:8: error: no drug 'MK-810' in the drug library (Pathways/drugs.toml)",
          source: "drug = \"MK-810\"", caret: "^" + String(repeating: "~", count: 7), hint: "did you mean 'MK-801'?"),
    .init(kind: "drug library", setup: [.edit("Pathways/drugs.toml", "also_called = [\"D-AP5\", \"D-APV\"]", "also_called = [\"D-AP5\", \"D-APV\", \"nifedipine\"]")],
          arguments: runGolgi,
          headline: "Pathways/drugs.toml:*:2: error: drug 'nifedipine' is defined twice: 'nifedipine' (of drug 'APV', line *, column 34) names the same drug",
          source: "[nifedipine]", caret: "^" + String(repeating: "~", count: 9),
          hint: "write each drug once, its other names in also_called, so that its constants cannot drift apart"),
    .init(kind: "drug library", setup: [.edit("Pathways/drugs.toml", "ic50 = 0.03 ", "ic_50 = 0.03 ")], arguments: runGolgi,
          headline: "Pathways/drugs.toml:*:1: error: 'SNX-482' at 'R-type' has a hill but no ic50",
          source: "hill = 1 ", caret: "^~~~", hint: "a graded block needs both the ic50 (µM) and the Hill coefficient, each with its source (or \"assumption: why\"); give neither for an all-or-none block"),
    .init(kind: "drug library", setup: [.edit("Pathways/drugs.toml", "[BAPTA]\ndescription", "[BAPTA]\ndescripton")], arguments: runGolgi,
          headline: "Pathways/drugs.toml:*:1: error: unknown key 'descripton' in drug 'BAPTA'",
          source: "descripton = \"Ca2+ chelator, in the pipette or loaded into the cytosol\"", caret: "^" + String(repeating: "~", count: 9),
          hint: "did you mean 'description'?"),
    // Fit problems and their data
    .init(kind: "fit problem", setup: fitFiles(problem: ("[parameters.k2]", "[parameters.kk2]")), arguments: ["fit", "p.toml"],
          headline: "p.toml:9:13: error: 'kk2' is not a parameter of the model, nor used by an observable", source: "[parameters.kk2]",
          caret: "^~~", hint: "did you mean 'k2'?"),
    .init(kind: "fit problem", setup: fitFiles(problem: ("starts = 4", "startz = 4")), arguments: ["fit", "p.toml"],
          headline: "p.toml:4:1: error: unknown key 'startz' in [options]", source: "startz = 4", caret: "^~~~~~",
          hint: "did you mean 'starts'?"),
    .init(kind: "fit problem", setup: fitFiles(problem: ("expression = \"B\"", "expression = \"Bb*2\"")), arguments: ["fit", "p.toml"],
          headline: "p.toml:14:15: error: observable 'B_obs' reads 'Bb', which the model does not define", source: "expression = \"Bb*2\"",
          caret: "^~", hint: "did you mean 'B'?"),
    .init(kind: "data", setup: fitFiles(data: ("time,B_obs", "time,B_ob")), arguments: ["fit", "p.toml"],
          headline: "data.csv:1:6: error: unknown column 'B_ob': not an observable of the problem", source: "time,B_ob", caret: "^~~~",
          hint: "did you mean 'B_obs'?"),
    .init(kind: "data", setup: fitFiles(data: ("2,5.5", "2,5.5x")), arguments: ["fit", "p.toml"],
          headline: "data.csv:3:3: error: '5.5x' is not a number", source: "2,5.5x", caret: "^~~~",
          hint: "write a number (1.5, 2e-3), or leave the cell empty, NA or NaN for a missing value"),
    // Data (CSV read by `kinapse plot`)
    .init(kind: "data", setup: [.write("run.csv", "time,A,B\n0,1,2\n1,2\n")], arguments: ["plot", "run.csv"],
          headline: "run.csv:3:4: error: row 3 has 2 cells but the header has 3 columns", source: "1,2", caret: "^", hint: "missing: B"),
    .init(kind: "data", setup: [.write("run.csv", "time,A,B\n0,1,2\n1,x2,3\n")], arguments: ["plot", "run.csv"],
          headline: "run.csv:3:3: error: row 3, column 'A': 'x2' is not a number", source: "1,x2,3", caret: "^~",
          hint: "write numbers as 0.25 or 1.5e-3; leave a missing value empty, NA or nan"),
    .init(kind: "data", setup: [.write("run.csv", "tim,A,B\n0,1,2\n")], arguments: ["plot", "run.csv"],
          headline: "run.csv:1:1: error: not a Kinapse CSV: the header starts with 'tim'", source: "tim,A,B", caret: "^~~",
          hint: "plot reads time courses ('time,…' from simulate --out), synapse readouts (simulate SYNAPSE --readouts), STDP windows ('delta_t_ms,…' from stdp), synapse scans and sensitivity rankings; a pathway's scan names only its own columns, so draw it with scan's --plot FIG.svg"),
]

@Suite struct ErrorMessageTests {
    @Test(arguments: errorMessageCases)
    func showsPlaceSourceCaretAndHint(_ c: ErrorMessageCase) throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var copiedPathways = false
        for step in c.setup {
            switch step {
            case .write(let path, let text):
                try text.write(to: dir.appendingPathComponent(path), atomically: true, encoding: .utf8)
            case .shipped:
                try FileManager.default.copyItem(at: TestModels.repositoryRoot.appendingPathComponent("Pathways"),
                                                 to: dir.appendingPathComponent("Pathways"))
                copiedPathways = true
            case .edit(let path, let from, let to):
                if !copiedPathways {
                    try FileManager.default.copyItem(at: TestModels.repositoryRoot.appendingPathComponent("Pathways"),
                                                     to: dir.appendingPathComponent("Pathways"))
                    copiedPathways = true
                }
                let url = dir.appendingPathComponent(path)
                let text = try String(contentsOf: url, encoding: .utf8)
                try #require(text.components(separatedBy: from).count == 2, "'\(from)' must occur once in \(path)")
                try text.replacingOccurrences(of: from, with: to).write(to: url, atomically: true, encoding: .utf8)
            }
        }
        let r = try CLI.run(c.arguments, in: dir)
        #expect(r.status == 2, "exit status \(r.status)\n\(r.stderr)")
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // `*` in a headline stands for what the test does not fix (a line number of a shipped file).
        let pieces = c.headline.components(separatedBy: "*")
        guard let i = lines.firstIndex(where: { matches($0, pieces) }) else {
            Issue.record("no line '\(c.headline)' in:\n\(r.stderr)")
            return
        }
        // The printed line:column places the excerpt and the caret.
        let parts = lines[i].split(separator: ":", maxSplits: 3)
        guard parts.count == 4, let line = Int(parts[1]), let column = Int(parts[2]) else {
            Issue.record("not a file:line:column headline: \(lines[i])")
            return
        }
        try #require(lines.count > i + 2, "no source excerpt after the headline:\n\(r.stderr)")
        let gutter = String(line), pad = String(repeating: " ", count: gutter.count)
        if copiedPathways {
            // A shipped file: the excerpt is the file's own line, which holds the case's part.
            let path = String(parts[0])
            let text = try String(contentsOf: dir.appendingPathComponent(path), encoding: .utf8)
            let fileLines = text.split(separator: "\n", omittingEmptySubsequences: false)
            try #require(line >= 1 && line <= fileLines.count, "\(path) has no line \(line)")
            let quoted = String(fileLines[line - 1])
            // A long line is shown as a window marked by '…' at the cut ends (DiagnosticRenderer).
            let shown = lines[i + 1].dropFirst(" \(gutter) | ".count)
            let window = shown.drop { $0 == "…" }.reversed().drop { $0 == "…" }.reversed()
            #expect(lines[i + 1].hasPrefix(" \(gutter) | ") && (shown == quoted || (shown.contains("…") && quoted.contains(String(window)))),
                    "source line (\(path):\(line) is '\(quoted)'):\n\(r.stderr)")
            #expect(c.source.isEmpty || quoted.contains(c.source), "'\(c.source)' is not on \(path):\(line): '\(quoted)'")
        } else if c.source.isEmpty {
            #expect(lines[i + 1].hasPrefix(" \(gutter) | "), "source line:\n\(r.stderr)")
        } else {
            #expect(lines[i + 1] == " \(gutter) | \(c.source)", "source line:\n\(r.stderr)")
        }
        #expect(lines[i + 2] == " \(pad) | \(String(repeating: " ", count: column - 1))\(c.caret)", "caret line:\n\(r.stderr)")
        // The hint belongs to this diagnostic: it comes before the next headline.
        let rest = lines[(i + 3)...].prefix { $0.hasPrefix("hint: ") }
        #expect(rest.contains("hint: \(c.hint)"), "hint '\(c.hint)' missing under the headline:\n\(r.stderr)")
    }

    /// Whether `line` is the pieces in order with anything between them: the first starts it,
    /// the last ends it.
    private func matches(_ line: String, _ pieces: [String]) -> Bool {
        guard line.hasPrefix(pieces[0]), line.hasSuffix(pieces[pieces.count - 1]) else { return false }
        var rest = line.dropFirst(pieces[0].count)
        for piece in pieces.dropFirst().dropLast() {
            guard let r = rest.range(of: piece) else { return false }
            rest = rest[r.upperBound...]
        }
        return pieces.count == 1 || rest.count >= pieces[pieces.count - 1].count
    }

    /// Every kind of file Kinapse reads has cases here.
    @Test func everyFileKindIsCovered() {
        let kinds = Dictionary(grouping: errorMessageCases, by: \.kind).mapValues(\.count)
        for kind in ["model", "SBML", "protocol", "synapse", "drug library", "fit problem", "data"] {
            #expect((kinds[kind] ?? 0) >= 3, "\(kind): \(kinds[kind] ?? 0) cases")
        }
    }
}
