import Testing
import Foundation
import PEtab
import SourceDiagnostics

/// The fit's parameter table read back as a point to evaluate, and a small fit.
@Suite(.enabled(if: PEtabFiles.haveBenchmark, "../shared/petab/benchmark is absent"))
struct PEtabFitTests {
    static func temporaryFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-petab-\(UUID().uuidString).tsv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Boehm has log10 parameters and fixed ones: the table a fit writes gives back its θ
    /// (Swift prints the shortest round-tripping decimal, so only log10(10^θ) rounds: 1e-12).
    @Test func parameterTableGivesBackItsPoint() throws {
        let problem = try PEtabReader.read(path: PEtabBenchmarkTests.path("Boehm_JProteomeRes2014"))
        let theta = problem.nominalTheta.enumerated().map { k, t in t + 0.1 * Double(k % 3 - 1) }
        let path = try Self.temporaryFile(problem.parameterTable(theta))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let back = try PEtabReader.point(parameterTable: path, for: problem)
        #expect(back.count == theta.count)
        for (a, b) in zip(back, theta) { #expect(abs(a - b) <= 1e-12 * max(1, abs(b)), "\(a) vs \(b)") }
    }

    @Test func parameterTableErrorsPointAtTheirCell() throws {
        let problem = try PEtabReader.read(path: PEtabBenchmarkTests.path("Boehm_JProteomeRes2014"))
        let table = problem.parameterTable(problem.nominalTheta)
        var lines = table.split(separator: "\n").map(String.init)
        let estimated = problem.parameters[problem.estimated[0]].id
        let fixed = try #require(problem.parameters.first { !$0.estimated })
        // One estimated parameter dropped, one misspelt, one fixed value changed.
        lines.removeAll { $0.hasPrefix(estimated + "\t") }
        let second = problem.parameters[problem.estimated[1]].id
        lines = lines.map { $0.hasPrefix(second + "\t") ? second + "x" + String($0.dropFirst(second.count)) : $0 }
        lines = lines.map { $0.hasPrefix(fixed.id + "\t") ? $0.replacingOccurrences(of: "\t\(fixed.nominal)\t", with: "\t\(fixed.nominal + 1)\t") : $0 }
        let path = try Self.temporaryFile(lines.joined(separator: "\n") + "\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = try #require(throws: DiagnosticsError.self) { try PEtabReader.point(parameterTable: path, for: problem) }
        let messages = error.diagnostics.map(\.message)
        #expect(messages.contains { $0.contains("no value for the estimated parameters \(estimated), \(second)") }, "\(messages)")
        #expect(messages.contains { $0.contains("'\(second)x' is not a parameter") }, "\(messages)")
        #expect(error.diagnostics.contains { $0.hints.contains { $0.contains("did you mean '\(second)'") } })
        #expect(messages.contains { $0.contains("'\(fixed.id)' is fixed at") }, "\(messages)")
        #expect(error.diagnostics.allSatisfy { $0.range != nil })
    }

    /// Test-suite case 0001 (two species, four linear parameters), its model and the objective
    /// at its nominal point.
    static func case0001() throws -> (PEtabProblem, PEtabModel, Double) {
        let problem = try PEtabReader.read(path: PEtabFiles.suite.appendingPathComponent("0001/_0001.yaml").path)
        let model = try PEtabModel(problem)
        return (problem, model, try model.evaluate(theta: problem.nominalTheta, gradient: false).objective)
    }

    /// Test-suite case 0001 (two species, four linear parameters): three starts reach an
    /// objective no worse than the nominal point's, since the maximum likelihood is at least
    /// that good, to the solver's accuracy (rtol 1e-8 on an objective of order 1: 1e-6).
    @Test(.enabled(if: PEtabFiles.haveSuite, "../shared/petab/test-suite is absent"))
    func smallFitReachesTheNominalObjective() throws {
        let (problem, model, nominal) = try Self.case0001()
        var options = PEtabFitOptions()
        options.starts = 3
        options.jobs = 2
        options.recordTrace = true
        // The trace's accounting below counts trial points; the acceleration's probes are
        // evaluations without a row (`givenStartComesFirstAndAccelerationFits` fits with them).
        options.acceleration = .none
        let outcome = try PEtabFitRun.run(model, options: options, cancellation: nil)
        let best = try #require(outcome.best?.evaluation)
        #expect(best.objective <= nominal + 1e-6, "best \(best.objective), nominal \(nominal)")
        #expect(outcome.starts.count == 3 && outcome.redrawnPoints == 0)
        let summary = outcome.summary(wallTime: 1, cpuTime: 1)
        #expect(summary.contains("start points redrawn (the model could not be simulated there): 0") && summary.contains("CPU time 1.0 s"))
        // The trace: every trial point (the evaluations but the start's and the sensitivities
        // simulated at each accepted point, as trial points are simulated without them),
        // grouped by start in index order although two workers reported them, and as many
        // accepted (ratio > 1e-4) as the start's iterations.
        for s in outcome.starts {
            let rows = outcome.trace.filter { $0.start == s.index }
            #expect(rows.count == s.evaluations - 1 - s.iterations, "start \(s.index): \(rows.count) trace rows, \(s.evaluations) evaluations")
            #expect(rows.filter { $0.step.ratio > 1e-4 }.count == s.iterations)
            #expect(rows.map(\.step.iteration) == rows.map(\.step.iteration).sorted())
        }
        #expect(outcome.trace.map(\.start) == outcome.trace.map(\.start).sorted())
        #expect(outcome.traceTable.split(separator: "\n").count == 1 + outcome.trace.count)
        // Where the CPU went: each start's own cost, summed by how the starts ended, and the
        // evaluations that could not be simulated (trial points, the trace's rows without an
        // actual reduction, or the sensitivities at an accepted one, which never fail here).
        for s in outcome.starts {
            #expect(s.cpuTime > 0 && s.cpuTime <= s.wallTime + 1e-3, "start \(s.index): \(s.cpuTime) s of CPU in \(s.wallTime) s")
            #expect(s.failedEvaluations == outcome.trace.filter { $0.start == s.index && $0.step.actualReduction.isNaN }.count)
        }
        let total = outcome.starts.reduce(0) { $0 + $1.cpuTime }, evaluations = outcome.starts.reduce(0) { $0 + $1.evaluations }
        #expect(outcome.starts.allSatisfy { $0.status.hasPrefix("converged") })
        #expect(summary.contains("CPU by outcome: converged " + String(format: "%.1f s in 3 starts; 0 of %d evaluations could not be simulated", total, evaluations)),
                "\(summary)")
        let table = outcome.startsTable.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        #expect(table[0].prefix(9) == ["start", "objective", "llh", "status", "iterations", "evaluations", "failed_evaluations", "seconds", "cpu_seconds"])
        #expect(table.dropFirst().map { $0[8] } == outcome.starts.map { Substring(String(format: "%.3f", $0.cpuTime)) })
    }

    /// A given start comes first (index 0, the point itself), and a start never ends above
    /// the objective it began at (every accepted step lowers it); with geodesic acceleration
    /// on, the fit still reaches the nominal objective.
    @Test(.enabled(if: PEtabFiles.haveSuite, "../shared/petab/test-suite is absent"))
    func givenStartComesFirstAndAccelerationFits() throws {
        let (problem, model, nominal) = try Self.case0001()
        var options = PEtabFitOptions()
        options.starts = 2
        options.jobs = 1
        options.acceleration = .geodesic
        options.additionalStarts = [problem.nominalTheta]
        let outcome = try PEtabFitRun.run(model, options: options, cancellation: nil)
        #expect(outcome.starts.count == 3 && outcome.plannedStarts == 3)
        let given = try #require(outcome.starts.first { $0.index == 0 })
        #expect(given.start == problem.nominalTheta)
        #expect(given.objective <= nominal + 1e-9, "from the nominal point: \(given.objective), nominal \(nominal)")
        let best = try #require(outcome.best?.evaluation)
        #expect(best.objective <= nominal + 1e-6, "best \(best.objective), nominal \(nominal)")
    }

    /// An end point that a fit's optimiser reached (with sensitivities) but that the plain
    /// simulation cannot pass at the fit's 10⁴ solver steps: Crauste's start 18 of a 180-s
    /// fit (Benchmarks/RESULTS.md) fails at t ≈ 28 (CV_TOO_MUCH_WORK in an early-effector
    /// burst), and is scored with sensitivities instead, at the objective that `kinapse petab
    /// llh --gradient` prints there (312.659096); the nominal point is scored plainly.
    @Test func anEndPointThePlainSimulationFailsIsScoredWithSensitivities() throws {
        let problem = try PEtabReader.read(path: PEtabBenchmarkTests.path("Crauste_CellSystems2017"))
        var settings = PEtabSettings()
        settings.maximumSteps = PEtabSettings.fitMaximumSteps
        let model = try PEtabModel(problem, settings: settings)
        // delta_EL … rho_P (the parameter table's order), linear values of the end point.
        let values = [5.19330017992501e-05, 14.796438997544973, 1000.0, 0.008835072430978887, 2.3562846897027354,
                      3.3320452045802488e-09, 1.4058384974065777e-05, 2.0722457658961447e-05, 7.406398562529488e-10,
                      0.19140014128086247, 5.647474361731761, 0.0357272189024766]
        try #require(problem.estimated.count == values.count)
        let theta = values.map(log10)
        #expect(throws: PEtabSimulationFailure.self) { try model.evaluate(theta: theta, gradient: false) }
        let end = try #require(model.evaluateEndPoint(theta: theta))
        #expect(end.withSensitivities)
        #expect(abs(end.evaluation.objective - 312.659096) < 1e-6, "objective \(end.evaluation.objective)")
        let nominal = try #require(model.evaluateEndPoint(theta: problem.nominalTheta))
        #expect(!nominal.withSensitivities)
    }
}
