import Testing
import Foundation
@testable import Fitting
import Optimization
import ModelCompiler
import PathwayTestSupport
import AntimonyFrontEnd
import SBMLImport

@Suite struct FitRunTests {
    /// Noise-free data from the closed form: every start that converges lands on the truth,
    /// to within what the solver tolerance (rtol 1e-8) lets the data pin down.
    @Test func recoversTheDecayRates() throws {
        let files = try ProblemFiles()
        defer { files.remove() }
        let problem = try files.read()
        let outcome = try FitRunner.run(problem, settings: FitSettings(problem: problem, jobs: 2))
        let best = try #require(outcome.bestValues)
        #expect(abs(best[0] / 0.5 - 1) < 1e-5, "k1 = \(best[0])")
        #expect(abs(best[1] / 0.1 - 1) < 1e-5, "k2 = \(best[1])")
        #expect(outcome.multiStart.starts.count == 4)
        #expect(outcome.simulations > 4)
        // B's error at rtol 1e-8 is ~1e-7, i.e. r ~ 1e-6 with sd 0.1: ½‖r‖² ≲ 20·1e-12.
        #expect((outcome.best?.objective ?? 1) < 1e-9)
        // Profiles: with sd 0.1 the intervals are narrow but finite, and hold the truth.
        let u = try #require(outcome.uncertainty)
        for (q, truth) in zip(u.parameters, [0.5, 0.1]) {
            let lower = try #require(q.profileLowerValue), upper = try #require(q.profileUpperValue)
            #expect(lower < truth && truth < upper && upper / lower < 1.2, "\(q.name): [\(lower), \(upper)]")
            #expect(q.identifiability == .identifiable)
        }
        #expect(FitReport.intervalsCSV(outcome)?.split(separator: "\n").count == 3)

        // The fitted time course is finer than the data (20 points, t = 1…20 s) and follows
        // the closed form at the fitted rates to the solver's accuracy (rtol 1e-8 on B ≤ 10:
        // ~1e-7, allowed 1e-5) between the data times too.
        let curve = try #require(outcome.curves.first)
        #expect(outcome.curves.count == 1 && curve.experiment == 0 && curve.observable == 0)
        #expect(curve.times.count >= 200 && curve.times.first == 1 && curve.times.last == 20)
        let worst = zip(curve.times, curve.values).map { abs($1 - ProblemFiles.b($0, k1: best[0], k2: best[1])) }.max() ?? .infinity
        #expect(worst < 1e-5, "largest difference from the closed form: \(worst)")
        let csv = try #require(FitReport.curveCSV(outcome, experiment: 0)).split(separator: "\n")
        #expect(csv.first == "time,B_obs" && csv.count == curve.times.count + 1)
    }

    /// A fit problem may name an SBML model: the decay model written as SBML fits as the
    /// Antimony one does, to the same rates (noise-free data; as above, 1e-5).
    @Test func anSBMLModelFitsLikeItsAntimony() throws {
        let files = try ProblemFiles(problem: ProblemFiles.problem.replacingOccurrences(of: "decay.ant", with: "decay.xml"))
        defer { files.remove() }
        let pathway = try AntimonyLoader.load(path: files.directory.appendingPathComponent("decay.ant").path)
        try SBMLWriter.write(pathway).write(to: files.directory.appendingPathComponent("decay.xml"), atomically: true, encoding: .utf8)
        let problem = try files.read()
        let outcome = try FitRunner.run(problem, settings: FitSettings(problem: problem, starts: 2, jobs: 1, profiles: false))
        let best = try #require(outcome.bestValues)
        #expect(abs(best[0] / 0.5 - 1) < 1e-5 && abs(best[1] / 0.1 - 1) < 1e-5, "k1, k2 = \(best)")
    }

    /// A model with an event on a state-dependent condition has no forward sensitivities
    /// (the event-time terms are not implemented): the fit falls back to finite differences,
    /// says so, and still recovers the rates. The event (at A < 1, k2 = k2·1) changes
    /// nothing, so the closed-form data stay exact.
    @Test func stateTriggeredEventsFallBackToFiniteDifferences() throws {
        let model = ProblemFiles.decay.replacingOccurrences(of: "  J2: B -> ; k2*B\n", with: "  J2: B -> ; k2*B\n  E1: at (A < 1): k2 = k2*1\n")
        #expect(model != ProblemFiles.decay)
        let files = try ProblemFiles(model: model)
        defer { files.remove() }
        let problem = try files.read()
        let outcome = try FitRunner.run(problem, settings: FitSettings(problem: problem, jobs: 2, gradient: .sensitivities, profiles: false))
        let reason = try #require(outcome.gradientFallback)
        #expect(reason.contains("E1") && reason.contains("state-dependent condition"), "\(reason)")
        let best = try #require(outcome.bestValues)
        #expect(abs(best[0] / 0.5 - 1) < 1e-4 && abs(best[1] / 0.1 - 1) < 1e-4, "k1, k2 = \(best)")
        #expect(outcome.best?.run.jacobianSource == .finiteDifferences)
        let report = FitReport.summary(outcome, problemPath: "problem.toml")
        #expect(report.contains("gradients by finite differences"))
        #expect(report.contains("forward sensitivities are not available for this model"))

        // The model without the event keeps sensitivities.
        let plain = try ProblemFiles()
        defer { plain.remove() }
        let plainProblem = try plain.read()
        let withSensitivities = try FitRunner.run(plainProblem, settings: FitSettings(problem: plainProblem, starts: 1, jobs: 1, gradient: .sensitivities, profiles: false))
        #expect(withSensitivities.gradientFallback == nil)
        #expect(withSensitivities.best?.run.jacobianSource == .sensitivities)
    }

    /// The model is compiled once for the whole fit, not once per worker: two workers, the
    /// gradients from sensitivities (one set of sensitivity programs) and the profiles all
    /// share it. The model gets a name of its own, so that tests running at the same time
    /// do not add to its count.
    @Test func aFitWithTwoJobsCompilesItsModelOnce() throws {
        let name = "decay_compiled_once"
        let model = ProblemFiles.decay.replacingOccurrences(of: "model *decay()", with: "model *\(name)()")
        #expect(model != ProblemFiles.decay)
        let files = try ProblemFiles(model: model)
        defer { files.remove() }
        let problem = try files.read()
        let outcome = try FitRunner.run(problem, settings: FitSettings(problem: problem, jobs: 2, gradient: .sensitivities))
        #expect(outcome.multiStart.starts.count == 4 && outcome.uncertainty != nil)
        #expect(outcome.best?.run.jacobianSource == .sensitivities)
        #expect(ModelCompiler.compilations.withLock { $0[name] } == 1)
        #expect(ModelCompiler.differentiations.withLock { $0[name] } == 1)
    }

    /// A start whose first simulation blows up fails; the fit goes on and reports it.
    @Test func failedStartsAreReported() throws {
        let path = TestModels.repositoryRoot.appendingPathComponent("Fixtures/fit/blowup/problem.toml").path
        let problem = try FitProblemReader.read(path: path)
        let outcome = try FitRunner.run(problem, settings: FitSettings(problem: problem, jobs: 2, profiles: false))
        #expect(outcome.uncertainty == nil)
        let failed = outcome.multiStart.failedStarts
        #expect(!failed.isEmpty, "the blow-up fixture has starts with k > d")
        #expect(failed.count < outcome.multiStart.starts.count)
        let best = try #require(outcome.bestValues)
        #expect(abs(best[0] / 0.2 - 1) < 1e-4 && abs(best[1] - 1) < 1e-4, "k, d = \(best)")
        let report = FitReport.summary(outcome, problemPath: path)
        #expect(report.contains("\(failed.count) failed"))
        #expect(report.contains("failed: cannot evaluate the start point"))
        let csv = FitReport.startsCSV(outcome)
        #expect(csv.split(separator: "\n").filter { $0.contains("failed: cannot evaluate") }.count == failed.count)
    }
}
