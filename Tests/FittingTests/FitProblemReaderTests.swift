import Testing
import Foundation
@testable import Fitting
import SourceDiagnostics
import PathwayTestSupport

/// A fit problem in a temporary directory: a two-step decay pathway, its data, the problem.
struct ProblemFiles {
    static let decay = """
    // A -> B -> (nothing); B(t) = A0·k1/(k2 − k1)·(e^(−k1 t) − e^(−k2 t))
    model *decay()
      compartment cell = 1
      species A in cell, B in cell
      A = 10; B = 0
      k1 = 0.5; k2 = 0.1
      J1: A -> B; k1*A
      J2: B -> ; k2*B
    end
    """

    /// Exact B(t) of the decay model.
    static func b(_ t: Double, k1: Double, k2: Double, a0: Double = 10) -> Double {
        a0 * k1 / (k2 - k1) * (exp(-k1 * t) - exp(-k2 * t))
    }

    static let problem = """
    model = "decay.ant"

    [options]
    starts = 4
    seed = 3

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

    static var exactData: String {
        var csv = "time,B_obs\n"
        for t in stride(from: 1.0, through: 20, by: 1) { csv += "\(t),\(b(t, k1: 0.5, k2: 0.1))\n" }
        return csv
    }

    let directory: URL

    init(problem: String = ProblemFiles.problem, data: String = ProblemFiles.exactData, model: String = ProblemFiles.decay) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-fit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try model.write(to: directory.appendingPathComponent("decay.ant"), atomically: true, encoding: .utf8)
        try data.write(to: directory.appendingPathComponent("data.csv"), atomically: true, encoding: .utf8)
        try problem.write(to: problemURL, atomically: true, encoding: .utf8)
    }

    var problemURL: URL { directory.appendingPathComponent("problem.toml") }

    func read() throws -> FitProblem { try FitProblemReader.read(path: problemURL.path) }

    /// The diagnostics reading produces (fails the test if it succeeds).
    func diagnostics(sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [Diagnostic] {
        do {
            _ = try FitProblemReader.read(path: problemURL.path)
            Issue.record("expected the problem to be refused", sourceLocation: sourceLocation)
            return []
        } catch {
            return error.diagnostics
        }
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

/// Asserts a diagnostic with `message` at `file:line:column` carrying `hint`.
func expectDiagnostic(_ diagnostics: [Diagnostic], file: String, line: Int, column: Int, message: String, hint: String? = nil,
                      sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let match = diagnostics.first { $0.message.contains(message) }
    guard let match else {
        Issue.record("no diagnostic containing '\(message)' among: \(diagnostics.map(\.description))", sourceLocation: sourceLocation)
        return
    }
    #expect(match.range?.file.path.hasSuffix(file) == true, "in \(match.range?.file.path ?? "nowhere")", sourceLocation: sourceLocation)
    #expect(match.range?.startLocation == SourceDiagnostics.SourceLocation(line: line, column: column), "at \(match.range.map { (r: SourceRange) in "\(r.startLocation)" } ?? "no position")",
            sourceLocation: sourceLocation)
    if let hint {
        #expect(match.hints.contains { $0.contains(hint) }, "hints: \(match.hints)", sourceLocation: sourceLocation)
    }
}

@Suite struct FitProblemReaderTests {
    func problem(replacing old: String, with new: String) throws -> ProblemFiles {
        #expect(ProblemFiles.problem.contains(old))
        return try ProblemFiles(problem: ProblemFiles.problem.replacingOccurrences(of: old, with: new))
    }

    @Test func readsTheDecayProblem() throws {
        let files = try ProblemFiles()
        defer { files.remove() }
        let p = try files.read()
        #expect(p.parameters.map(\.name) == ["k1", "k2"])
        #expect(p.parameters.allSatisfy { $0.scale == .log10 && $0.role == .model })
        #expect(p.options.starts == 4 && p.options.seed == 3)
        #expect(p.experiments.count == 1 && p.experiments[0].data.points.count == 20)
        #expect(p.observables.map(\.name) == ["B_obs"])
        #expect(p.observables[0].noise == .term(.constant(0.1)))
    }

    @Test func unknownOptionSuggestsTheKnownOne() throws {
        let files = try problem(replacing: "starts = 4", with: "startz = 4")
        defer { files.remove() }
        expectDiagnostic(files.diagnostics(), file: "problem.toml", line: 4, column: 1, message: "unknown key 'startz'", hint: "did you mean 'starts'?")
    }

    @Test func unknownParameterSuggestsAModelName() throws {
        let files = try problem(replacing: "[parameters.k2]", with: "[parameters.kk2]")
        defer { files.remove() }
        expectDiagnostic(files.diagnostics(), file: "problem.toml", line: 10, column: 13, message: "'kk2' is not a parameter of the model", hint: "did you mean 'k2'?")
    }

    @Test func boundsMustBeOrdered() throws {
        let files = try problem(replacing: "lower = 0.01\nupper = 10", with: "lower = 10\nupper = 0.01")
        defer { files.remove() }
        expectDiagnostic(files.diagnostics(), file: "problem.toml", line: 8, column: 9, message: "must be below 'upper'")
    }

    @Test func logScaleNeedsAPositiveLowerBound() throws {
        let files = try problem(replacing: "lower = 0.001", with: "lower = 0\nscale = \"log10\"")
        defer { files.remove() }
        expectDiagnostic(files.diagnostics(), file: "problem.toml", line: 11, column: 9, message: "needs a positive lower bound", hint: "scale = \"lin\"")
    }

    @Test func unknownScaleSuggestsOne() throws {
        let files = try problem(replacing: "upper = 1\n", with: "upper = 1\nscale = \"log\"\n")
        defer { files.remove() }
        expectDiagnostic(files.diagnostics(), file: "problem.toml", line: 13, column: 9, message: "unknown scale 'log'", hint: "\"log10\" (rate constants")
    }

    @Test func formulaNamesAreCheckedAgainstTheModel() throws {
        let files = try problem(replacing: "expression = \"B\"", with: "expression = \"2*Bx + A\"")
        defer { files.remove() }
        expectDiagnostic(files.diagnostics(), file: "problem.toml", line: 15, column: 17, message: "reads 'Bx'", hint: "did you mean 'B'?")
    }

    @Test func formulaSyntaxErrorsPointIntoTheString() throws {
        let files = try problem(replacing: "expression = \"B\"", with: "expression = \"2*(B + A\"")
        defer { files.remove() }
        let d = files.diagnostics()
        #expect(d.first?.range?.startLocation.line == 15)
        #expect((d.first?.range?.startLocation.column ?? 0) >= 15, "inside the string: \(d.map(\.description))")
        #expect(d.first?.message.contains("')'") == true)
    }

    @Test func observableTermsMustBeDeclaredParameters() throws {
        let files = try problem(replacing: "sd = 0.1", with: "sd = \"sigmaB\"")
        defer { files.remove() }
        expectDiagnostic(files.diagnostics(), file: "problem.toml", line: 16, column: 6, message: "'sigmaB', which is not in [parameters]", hint: "declare it as [parameters.sigmaB]")
    }

    @Test func pathwaysHaveNoProtocols() throws {
        let files = try problem(replacing: "name = \"control\"", with: "name = \"control\"\nprotocol = \"tbs\"")
        defer { files.remove() }
        expectDiagnostic(files.diagnostics(), file: "problem.toml", line: 20, column: 12, message: "a pathway has no protocols")
    }

    @Test func unknownTimeUnit() throws {
        let files = try problem(replacing: "name = \"control\"", with: "name = \"control\"\ntime_unit = \"h\"")
        defer { files.remove() }
        expectDiagnostic(files.diagnostics(), file: "problem.toml", line: 20, column: 13, message: "unknown time unit 'h'", hint: "\"s\" or \"min\"")
    }

    @Test func missingDataFileIsReportedAtTheKey() throws {
        let files = try problem(replacing: "data = \"data.csv\"", with: "data = \"dat.csv\"")
        defer { files.remove() }
        expectDiagnostic(files.diagnostics(), file: "problem.toml", line: 20, column: 8, message: "cannot find")
    }

    @Test func settingsNameModelParameters() throws {
        let files = try problem(replacing: "name = \"control\"", with: "name = \"control\"\nset = { A = 5, kk1 = 2 }")
        defer { files.remove() }
        expectDiagnostic(files.diagnostics(), file: "problem.toml", line: 20, column: 16, message: "no parameter 'kk1'", hint: "did you mean 'k1'?")
    }

    // MARK: Synapse problems

    static func synapseProblem(_ experiment: String) -> String {
        let synapse = TestModels.repositoryRoot.appendingPathComponent("Pathways/synapses/golgi_granule.toml").path
        return """
        model = "\(synapse)"
        [parameters.k_pot]
        lower = 0.005
        upper = 0.5
        [observables.ipsc]
        sd = 5
        [[experiments]]
        \(experiment)
        data = "data.csv"
        """
    }

    @Test func unknownBlockerSuggestsOne() throws {
        let files = try ProblemFiles(problem: Self.synapseProblem("protocol = \"tbs\"\nblockers = [\"L-NAM\"]"), data: "time,ipsc\n0,100\n")
        defer { files.remove() }
        expectDiagnostic(files.diagnostics(), file: "problem.toml", line: 9, column: 13, message: "has no blocker 'L-NAM'", hint: "did you mean 'L-NAME'?")
    }

    @Test func unknownProtocolSuggestsOne() throws {
        let files = try ProblemFiles(problem: Self.synapseProblem("protocol = \"tsb\""), data: "time,ipsc\n0,100\n")
        defer { files.remove() }
        expectDiagnostic(files.diagnostics(), file: "problem.toml", line: 8, column: 12, message: "no protocol 'tsb'", hint: "did you mean 'tbs'?")
    }

    @Test func synapseReadoutsAreOnlyAtTestStimuli() throws {
        let files = try ProblemFiles(problem: Self.synapseProblem("protocol = \"tbs\"\ntime_unit = \"min\""), data: "time,ipsc\n0,100\n1.5,101\n2.05,99\n")
        defer { files.remove() }
        let d = files.diagnostics()
        expectDiagnostic(d, file: "data.csv", line: 4, column: 1, message: "time 2.05 is not at a test stimulus", hint: "the nearest are 2 min and 2.166667 min")
        #expect(!d.contains { $0.message.contains("1.5") }, "1.5 min = 90 s is a test time")
    }

    @Test func synapseTimesOutsideTheProtocol() throws {
        let files = try ProblemFiles(problem: Self.synapseProblem("protocol = \"tbs\"\ntime_unit = \"min\"\ntime_origin = \"induction\""), data: "time,ipsc\n-10,100\n45,120\n")
        defer { files.remove() }
        expectDiagnostic(files.diagnostics(), file: "data.csv", line: 3, column: 1, message: "time 45 is outside the protocol", hint: "from -10 min to")
    }
}

@Suite struct DataReaderTests {
    func diagnostics(_ csv: String, problem: String = ProblemFiles.problem) throws -> [Diagnostic] {
        let files = try ProblemFiles(problem: problem, data: csv)
        defer { files.remove() }
        return files.diagnostics()
    }

    @Test func unknownColumnSuggestsAnObservable() throws {
        expectDiagnostic(try diagnostics("time,B_ob\n1,2\n"), file: "data.csv", line: 1, column: 6, message: "unknown column 'B_ob'", hint: "did you mean 'B_obs'?")
    }

    /// A problem without observables has no column names to offer; the hint says what is missing.
    @Test func unknownColumnOfAProblemWithoutObservables() throws {
        let problem = ProblemFiles.problem.replacingOccurrences(of: "[observables.B_obs]\nexpression = \"B\"\nsd = 0.1\n", with: "")
        #expect(!problem.contains("observables"))
        expectDiagnostic(try diagnostics("time,B_obs\n1,2\n", problem: problem), file: "data.csv", line: 1, column: 6,
                         message: "unknown column 'B_obs'", hint: "the problem has no observables to match: declare them under [observables]")
    }

    @Test func nonNumericCell() throws {
        expectDiagnostic(try diagnostics("time,B_obs\n1,2\n2,x1\n"), file: "data.csv", line: 3, column: 3, message: "'x1' is not a number", hint: "NA")
    }

    @Test func missingValuesAreSkipped() throws {
        let files = try ProblemFiles(data: "time,B_obs\n# a comment\n1,2\n2,\n3,NA\n4,NaN\n5,1.5\n")
        defer { files.remove() }
        let p = try files.read()
        #expect(p.experiments[0].data.points.map(\.time) == [1, 5])
    }

    @Test func sdMustBePositive() throws {
        expectDiagnostic(try diagnostics("time,B_obs,B_obs_sd\n1,2,0.1\n2,3,-0.5\n"), file: "data.csv", line: 3, column: 5, message: "standard deviation -0.5 is not positive")
    }

    @Test func negativeTimeIsOutsideTheRun() throws {
        expectDiagnostic(try diagnostics("time,B_obs\n-1,2\n"), file: "data.csv", line: 2, column: 1, message: "time -1 is outside the run")
    }

    @Test func rowsMustHaveEveryCell() throws {
        expectDiagnostic(try diagnostics("time,B_obs\n1,2,3\n"), file: "data.csv", line: 2, column: 1, message: "this row has 3 cells, the header 2")
    }

    @Test func valuesNeedAStandardDeviation() throws {
        let problem = ProblemFiles.problem.replacingOccurrences(of: "sd = 0.1\n", with: "")
        expectDiagnostic(try diagnostics("time,B_obs\n1,2\n", problem: problem), file: "data.csv", line: 2, column: 3,
                         message: "no standard deviation for this 'B_obs' value", hint: "B_obs_sd")
    }

    @Test func sdColumnIsUsedPerRow() throws {
        let problem = ProblemFiles.problem.replacingOccurrences(of: "sd = 0.1\n", with: "")
        let files = try ProblemFiles(problem: problem, data: "time,B_obs,B_obs_sd\n1,2,0.25\n2,3,0.5\n")
        defer { files.remove() }
        #expect(try files.read().experiments[0].data.points.map(\.sd) == [0.25, 0.5])
    }
}
