import Testing
import Foundation
import PEtab
import SourceDiagnostics

/// Where the shared PEtab files live: `../shared/petab` next to the repository.
enum PEtabFiles {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/petab")
    static let suite = root.appendingPathComponent("test-suite/cases")
    static let benchmark = root.appendingPathComponent("benchmark")
    static var haveSuite: Bool { FileManager.default.fileExists(atPath: suite.path) }
    static var haveBenchmark: Bool { FileManager.default.fileExists(atPath: benchmark.path) }
    static let cases = (1...20).map { String(format: "%04d", $0) }
}

/// The PEtab test suite's v1.0.0 SBML cases: each case's llh, χ² and simulations at the
/// nominal parameters must match its solution file within the file's tolerances (all 1e-3,
/// absolute; the simulations compare by mean absolute difference), as the suite's own
/// evaluation does (see ../shared/petab/test-suite/README.md).
@Suite(.enabled(if: PEtabFiles.haveSuite, "../shared/petab/test-suite is absent"))
struct PEtabTestSuiteTests {
    struct Solution {
        var llh: Double, chi2: Double
        var tolerances: (llh: Double, chi2: Double, simulations: Double)
        var simulationFile: String
    }

    static func solution(_ id: String) throws -> Solution {
        let dir = PEtabFiles.suite.appendingPathComponent(id)
        let node = try YAMLSubset.parse(SourceFile.read(path: dir.appendingPathComponent("_\(id)_solution.yaml").path))
        func number(_ key: String) throws -> Double {
            guard case .scalar(let text, _)? = node[key], let v = Double(text) else { throw DiagnosticsError(.error("no \(key)", at: node.range)) }
            return v
        }
        guard case .sequence(let files, _)? = node["simulation_files"], case .scalar(let file, _)? = files.first else {
            throw DiagnosticsError(.error("no simulation_files", at: node.range))
        }
        return Solution(llh: try number("llh"), chi2: try number("chi2"),
                        tolerances: (try number("tol_llh"), try number("tol_chi2"), try number("tol_simulations")),
                        simulationFile: dir.appendingPathComponent(file).path)
    }

    @Test(arguments: PEtabFiles.cases)
    func caseMatchesItsSolution(_ id: String) throws {
        let path = PEtabFiles.suite.appendingPathComponent("\(id)/_\(id).yaml").path
        let problem = try PEtabReader.read(path: path)
        let model = try PEtabModel(problem)
        let evaluation = try model.evaluate(theta: problem.nominalTheta, gradient: false)
        let solution = try Self.solution(id)
        #expect(abs(evaluation.logLikelihood - solution.llh) < solution.tolerances.llh, "llh \(evaluation.logLikelihood), expected \(solution.llh)")
        #expect(abs(evaluation.chiSquare - solution.chi2) < solution.tolerances.chi2, "chi2 \(evaluation.chiSquare), expected \(solution.chi2)")

        // The expected table, matched row for row on observable, conditions and time.
        let table = try TSVTable(SourceFile.read(path: solution.simulationFile))
        let columns = ["observableId", "preequilibrationConditionId", "simulationConditionId", "time"].map(table.column)
        let valueColumn = try #require(table.column("simulation"))
        func key(_ parts: [String]) -> String { parts.joined(separator: "|") }
        var expected: [(String, Double)] = table.rows.indices.map { r in
            let parts = columns.map { c in c.map { table.cell(r, $0).text } ?? "" }
            return (key([parts[0], parts[1], parts[2], String(Double(parts[3])!)]), Double(table.cell(r, valueColumn).text)!)
        }
        var ours: [(String, Double)] = problem.measurements.enumerated().map { m, row in
            let parts = [problem.observables[row.observable].id, row.preequilibration.map { problem.conditions[$0].id } ?? "",
                         problem.conditions[row.condition].id, String(row.time)]
            return (key(parts), evaluation.simulated[m])
        }
        expected.sort { $0.0 < $1.0 }
        ours.sort { $0.0 < $1.0 }
        try #require(expected.map(\.0) == ours.map(\.0), "the simulation table's rows match the measurements'")
        let meanDifference = zip(expected, ours).map { abs($0.1 - $1.1) }.reduce(0, +) / Double(ours.count)
        #expect(meanDifference < solution.tolerances.simulations, "mean |simulation difference| \(meanDifference)")
    }
}
