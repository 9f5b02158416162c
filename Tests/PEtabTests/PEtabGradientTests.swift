import Testing
import Foundation
import PEtab
import Optimization
import NativeCode

/// The objective's gradient from forward sensitivities (chain rule through formulas,
/// placeholders, noise, scales, priors and pre-equilibration) against central finite
/// differences of the objective itself.
@Suite(.enabled(if: PEtabFiles.haveSuite, "../shared/petab/test-suite is absent"))
struct PEtabGradientTests {
    static let settings: PEtabSettings = {
        var s = PEtabSettings()
        s.relativeTolerance = 1e-11
        s.absoluteTolerance = 1e-14
        return s
    }()

    /// Central differences with step h = 1e-5 (scaled units) have truncation error
    /// ~h²·f''' ≈ 1e-10 and solver error ~rtol·|f|/h ≈ 1e-11·|f|/1e-5 = 1e-6·|f|; with |f| up
    /// to ~1e3 on the benchmark problems that is 1e-3, hence 2e-3·max(1, |g|) (a factor of 2
    /// for the error growing over the run).
    static func check(_ path: String, at shift: Double = 0.05) throws {
        let problem = try PEtabReader.read(path: path)
        let model = try PEtabModel(problem, settings: settings)
        #expect(model.gradientUnavailable == nil, "\(model.gradientUnavailable ?? "")")
        // Away from the nominal point, where the data gradient is not nearly zero.
        let theta = problem.nominalTheta.enumerated().map { k, t in t + shift * Double(k % 3 - 1) }
        let g = try #require(try model.evaluate(theta: theta, gradient: true).gradient)
        try expectFiniteDifferences(of: model, at: theta, match: g, problem)
    }

    /// Each component of `g` against central differences of `model`'s objective at `theta`.
    static func expectFiniteDifferences(of model: PEtabModel, at theta: [Double], match g: [Double], _ problem: PEtabProblem) throws {
        let fd = try centralDifferences(at: theta) { try model.evaluate(theta: $0, gradient: false).objective }
        for k in theta.indices {
            let id = problem.parameters[problem.estimated[k]].id
            #expect(abs(g[k] - fd[k]) <= 2e-3 * max(1, abs(fd[k])), "∂/∂\(id): sensitivities \(g[k]), finite differences \(fd[k])")
        }
    }

    /// The gradient of `f` at `theta` by central differences with step `h` in every coordinate.
    static func centralDifferences(at theta: [Double], h: Double = 1e-5, _ f: ([Double]) throws -> Double) throws -> [Double] {
        try theta.indices.map { k in
            var plus = theta, minus = theta
            plus[k] += h
            minus[k] -= h
            return (try f(plus) - f(minus)) / (2 * h)
        }
    }

    @Test(arguments: PEtabFiles.cases)
    func testSuiteCase(_ id: String) throws {
        try Self.check(PEtabFiles.suite.appendingPathComponent("\(id)/_\(id).yaml").path)
    }

    /// Observable and noise placeholders (Boehm), pre-equilibration with step inputs
    /// (Weber), log10 observables and priors (Schwen).
    @Test(.enabled(if: PEtabFiles.haveBenchmark, "../shared/petab/benchmark is absent"),
          arguments: ["Boehm_JProteomeRes2014", "Weber_BMC2015", "Schwen_PONE2014"])
    func benchmarkProblem(_ name: String) throws {
        try Self.check(PEtabBenchmarkTests.path(name))
    }

    /// Pre-equilibration at the tolerances `petab llh` and fits use (rtol 1e-8): the
    /// steady state's sensitivities come from one linear solve there, and the gradient at
    /// the nominal point must match central differences of the objective at the suite's
    /// tight tolerances (error ≲ 1e-11·300/1e-5 = 3e-4 on Weber's |f| ≈ 300). Integrating
    /// the sensitivities until the states passed the steady-state test left them short of
    /// their steady values at this rtol (gradient norm 1.408 against 1.150), which this catches.
    @Test(.enabled(if: PEtabFiles.haveBenchmark, "../shared/petab/benchmark is absent"))
    func preequilibrationGradientAtDefaultTolerances() throws {
        let problem = try PEtabReader.read(path: PEtabBenchmarkTests.path("Weber_BMC2015"))
        let tight = try PEtabModel(problem, settings: Self.settings)
        let theta = problem.nominalTheta
        let g = try #require(try PEtabModel(problem, settings: PEtabSettings()).evaluate(theta: theta, gradient: true).gradient)
        try Self.expectFiniteDifferences(of: tight, at: theta, match: g, problem)
    }

    /// The fit's least-squares form: ½‖r‖² differs from the objective by a constant, and
    /// Jᵀr is the objective's gradient. Tolerance: both sides come from the same solver
    /// runs, so only rounding separates them (1e-9 relative), plus the solver error between
    /// two points' runs for the difference (rtol 1e-11 · |objective| ≲ 1e-8).
    @Test(.enabled(if: PEtabFiles.haveBenchmark, "../shared/petab/benchmark is absent"),
          arguments: ["Boehm_JProteomeRes2014", "Schwen_PONE2014", "Raia_CancerResearch2011"])
    func leastSquaresFormMatchesTheObjective(_ name: String) throws {
        let problem = try PEtabReader.read(path: PEtabBenchmarkTests.path(name))
        let model = try PEtabModel(problem, settings: Self.settings)
        let ls = try PEtabLeastSquares(model)
        let a = problem.nominalTheta
        let b = a.enumerated().map { k, t in t + 0.03 * Double(k % 3 - 1) }
        let la = try ls.evaluate(at: a, jacobian: true), lb = try ls.evaluate(at: b, jacobian: false)
        let ea = try model.evaluate(theta: a, gradient: true), eb = try model.evaluate(theta: b, gradient: false)
        let difference = (la.objective - lb.objective) - (ea.objective - eb.objective)
        #expect(abs(difference) < 1e-6 * max(1, abs(ea.objective)), "½‖r‖² and the objective differ by \(difference) between two points")
        let j = try #require(la.jacobian), g = try #require(ea.gradient)
        for k in g.indices {
            let jtr = (0..<j.rows).map { j[$0, k] * la.residuals[$0] }.reduce(0, +)
            #expect(abs(jtr - g[k]) <= 1e-7 * max(1, abs(g[k])), "parameter \(k): Jᵀr \(jtr), gradient \(g[k])")
        }
    }

    /// The model and its sensitivity programs as machine code (`PEtabSettings.nativeCode`)
    /// against the interpreted ones, at the tolerances `petab llh` uses: the translation
    /// keeps every operation and its order, so only a rounding difference could separate
    /// the runs, and two solver runs within rtol 1e-8 of the same solution differ by at
    /// most ~1e-8 relative per measurement, hence 1e-6 on llh and 1e-4 on each gradient
    /// component (sensitivities are controlled less tightly than states).
    /// Boehm: placeholders; Weber: pre-equilibration into step inputs.
    @Test(.enabled(if: PEtabFiles.haveBenchmark && (try? Toolchain.find()) != nil, "no benchmark problems or no C compiler"),
          arguments: ["Boehm_JProteomeRes2014", "Weber_BMC2015"])
    func nativeCodeGivesTheInterpretedObjectiveAndGradient(_ name: String) throws {
        let problem = try PEtabReader.read(path: PEtabBenchmarkTests.path(name))
        var native = PEtabSettings()
        native.nativeCode = true
        let a = try PEtabModel(problem, settings: PEtabSettings()).evaluate(theta: problem.nominalTheta, gradient: true)
        let b = try PEtabModel(problem, settings: native).evaluate(theta: problem.nominalTheta, gradient: true)
        #expect(abs(a.logLikelihood - b.logLikelihood) <= 1e-6 * max(1, abs(a.logLikelihood)), "llh \(a.logLikelihood) interpreted, \(b.logLikelihood) native")
        let ga = try #require(a.gradient), gb = try #require(b.gradient)
        for k in ga.indices {
            #expect(abs(ga[k] - gb[k]) <= 1e-4 * max(1, abs(ga[k])), "parameter \(k): gradient \(ga[k]) interpreted, \(gb[k]) native")
        }
    }
}
