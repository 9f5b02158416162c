import Testing
import Foundation
import PEtab
import Optimization

/// Hierarchical optimisation (`PEtabHierarchy`, `PEtabHierarchicalLeastSquares`): which
/// parameters are profiled, the closed-form inner optima against a brute-force search of the
/// full objective, the profiled objective's gradient against finite differences, and a
/// benchmark optimum reached with its noise parameters profiled.
@Suite(.enabled(if: PEtabFiles.haveSuite, "../shared/petab/test-suite is absent"))
struct PEtabHierarchyTests {
    /// Test-suite case 0001's model (A ⇌ B, k1 and k2, A(0) = a0, B(0) = b0) with tables
    /// written here: a scaling shared by two observables with one noise parameter (scale_a,
    /// sd_a), a log10 observable whose σ is a parameter named directly (sd_b), a scaling of
    /// data with fixed σ (scale_d, lin scale), and an offset, which is not profiled (offset_c).
    static func synthetic() throws -> PEtabProblem {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-hierarchy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(at: PEtabFiles.suite.appendingPathComponent("0001/_model.xml"), to: dir.appendingPathComponent("model.xml"))
        func write(_ name: String, _ rows: [String]) throws {
            try (rows.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        try write("problem.yaml", ["format_version: 1", "parameter_file: parameters.tsv", "problems:", "- condition_files:", "  - conditions.tsv",
                                   "  measurement_files:", "  - measurements.tsv", "  observable_files:", "  - observables.tsv", "  sbml_files:", "  - model.xml"])
        try write("conditions.tsv", ["conditionId", "c0"])
        try write("observables.tsv", ["observableId\tobservableFormula\tnoiseFormula\tobservableTransformation\tnoiseDistribution",
                                      "obs_a\tobservableParameter1_obs_a * A\tnoiseParameter1_obs_a\tlin\tnormal",
                                      "obs_sum\tobservableParameter1_obs_sum * (A + B) / 2\tnoiseParameter1_obs_sum\tlin\tnormal",
                                      "obs_b\tB\tsd_b\tlog10\tnormal",
                                      "obs_c\toffset_c + A\t0.1\tlin\tnormal",
                                      "obs_d\t-(B * scale_d)\t0.2\tlin\tnormal"])
        var measurements = ["observableId\tsimulationConditionId\ttime\tmeasurement\tobservableParameters\tnoiseParameters"]
        let times = [0.0, 1, 2, 5, 10]
        for (t, m) in zip(times, [2.05, 1.10, 0.95, 0.84, 0.88]) { measurements.append("obs_a\tc0\t\(t)\t\(m)\tscale_a\tsd_a") }
        for (t, m) in zip(times, [0.97, 1.04, 1.01, 0.95, 1.02]) { measurements.append("obs_sum\tc0\t\(t)\t\(m)\tscale_a\tsd_a") }
        for (t, m) in zip(times.dropFirst(), [0.45, 0.52, 0.60, 0.55]) { measurements.append("obs_b\tc0\t\(t)\t\(m)\t\t") }
        for (t, m) in zip(times, [1.52, 1.05, 0.98, 0.95, 0.92]) { measurements.append("obs_c\tc0\t\(t)\t\(m)\t\t") }
        for (t, m) in zip(times.dropFirst(), [-1.4, -1.5, -1.8, -1.65]) { measurements.append("obs_d\tc0\t\(t)\t\(m)\t\t") }
        try write("measurements.tsv", measurements)
        try write("parameters.tsv", ["parameterId\tparameterScale\tlowerBound\tupperBound\tnominalValue\testimate",
                                     "a0\tlin\t0\t10\t1\t0", "b0\tlin\t0\t10\t0\t0",
                                     "k1\tlog10\t0.001\t100\t0.8\t1", "k2\tlog10\t0.001\t100\t0.6\t1",
                                     "scale_a\tlog10\t0.01\t100\t1\t1", "sd_a\tlog10\t0.001\t10\t0.1\t1", "sd_b\tlog10\t0.001\t10\t0.1\t1",
                                     "offset_c\tlin\t-5\t5\t0\t1", "scale_d\tlin\t0.1\t10\t1\t1"])
        return try PEtabReader.read(path: dir.appendingPathComponent("problem.yaml").path)
    }

    static let settings: PEtabSettings = {
        var s = PEtabSettings()
        s.relativeTolerance = 1e-11
        s.absoluteTolerance = 1e-14
        return s
    }()

    static func ids(_ groups: [PEtabHierarchy.Group], _ problem: PEtabProblem) -> [String] {
        groups.map { problem.parameters[$0.parameter].id }.sorted()
    }

    /// The minimum of the full objective over the profiled coordinates (outer ones fixed) by
    /// cyclic golden-section search within the bounds: no closed form involved. 50 sections
    /// shrink each interval by 0.618^50 ≈ 3e-11; the objective is smooth with a minimum in
    /// each coordinate, and the cross-derivative ∂²f/∂s∂σ vanishes at the optimum (it is
    /// −2Σ h·d/σ³, zero where ŝ solves the weighted least squares), so a few cycles converge.
    static func bruteForce(_ model: PEtabModel, _ problem: PEtabProblem, from theta: [Double], inner: [Int]) throws -> (theta: [Double], objective: Double) {
        var theta = theta
        func f(_ t: [Double]) throws -> Double { try model.evaluate(theta: t, gradient: false).objective }
        let golden = (5.0.squareRoot() - 1) / 2
        for _ in 0..<6 {
            for k in inner {
                var (a, b) = problem.parameters[problem.estimated[k]].scaledBounds
                func at(_ v: Double) throws -> Double { var t = theta; t[k] = v; return try f(t) }
                var c = b - golden * (b - a), d = a + golden * (b - a)
                var fc = try at(c), fd = try at(d)
                for _ in 0..<50 {
                    if fc <= fd { (b, d, fd) = (d, c, fc); c = b - golden * (b - a); fc = try at(c) }
                    else { (a, c, fc) = (c, d, fd); d = a + golden * (b - a); fd = try at(d) }
                }
                // The bounds themselves are candidates: a clipped optimum lies on one.
                let candidates = [(a + b) / 2, problem.parameters[problem.estimated[k]].scaledBounds.lower, problem.parameters[problem.estimated[k]].scaledBounds.upper]
                theta[k] = try candidates.min { try at($0) < at($1) }!
            }
        }
        return (theta, try f(theta))
    }

    @Test func parametersProfiledAreThoseTheTablesAllow() throws {
        let problem = try Self.synthetic()
        let hierarchy = PEtabHierarchy(try PEtabModel(problem))
        #expect(Self.ids(hierarchy.scalings, problem) == ["scale_a", "scale_d"])
        #expect(Self.ids(hierarchy.noises, problem) == ["sd_a", "sd_b"])
        #expect(hierarchy.outer.map { problem.parameters[problem.estimated[$0]].id } == ["k1", "k2", "offset_c"])
        #expect(hierarchy.scalings.first { problem.parameters[$0.parameter].id == "scale_a" }?.measurements.count == 10)
    }

    /// Benchmark problems: Fujita's three scalings (its σ are numbers of the measurement
    /// table); Weber's five scalings and the five σ it estimates (three more are
    /// fixed in its parameter table); Raia's scalings also enter its noise
    /// formulas (σ = a + b·s·h), and its σ are sums, so nothing is profiled there.
    @Test(.enabled(if: PEtabFiles.haveBenchmark, "../shared/petab/benchmark is absent"))
    func benchmarkProblemsProfileTheirScalingsAndNoise() throws {
        let fujita = try PEtabReader.read(path: PEtabBenchmarkTests.path("Fujita_SciSignal2010"))
        let f = PEtabHierarchy(try PEtabModel(fujita))
        #expect(Self.ids(f.scalings, fujita) == ["scaling_pAkt_tot", "scaling_pEGFR_tot", "scaling_pS6_tot"], "\(Self.ids(f.scalings, fujita))")
        #expect(f.noises.isEmpty && f.outer.count == fujita.estimated.count - 3)
        let weber = try PEtabReader.read(path: PEtabBenchmarkTests.path("Weber_BMC2015"))
        let w = PEtabHierarchy(try PEtabModel(weber))
        #expect(w.scalings.count == 5 && w.noises.count == 5, "\(Self.ids(w.scalings, weber)) \(Self.ids(w.noises, weber))")
        let raia = try PEtabReader.read(path: PEtabBenchmarkTests.path("Raia_CancerResearch2011"))
        #expect(PEtabHierarchy(try PEtabModel(raia)).isEmpty)
    }

    /// The closed-form ŝ and σ̂ against golden-section search of the full objective, at an
    /// outer point away from the data's optimum, and again with scale_a's upper bound below
    /// its free optimum (the clipped ŝ, and σ̂ given it). Agreement to 1e-6 in the scaled
    /// coordinates (the search resolves the objective's minimum to ~1e-14, i.e. its
    /// coordinates to ~√1e-14 = 1e-7 at unit curvature), and the closed form's objective no
    /// worse than the search's.
    @Test func closedFormOptimaMatchABruteForceSearch() throws {
        var problem = try Self.synthetic()
        for clipped in [false, true] {
            if clipped { problem.parameters[problem.parameterIndex("scale_a")!].upper = 1.5 }
            let model = try PEtabModel(problem, settings: Self.settings)
            let hierarchy = PEtabHierarchy(model)
            let ls = try PEtabHierarchicalLeastSquares(model, hierarchy: hierarchy)
            let outer = [log10(0.7), log10(0.5), 0.3]
            let full = try ls.fullCoordinates(outer)
            let inner = (hierarchy.scalings + hierarchy.noises).map(\.position)
            let closed = try model.evaluate(theta: full, gradient: false).objective
            let search = try Self.bruteForce(model, problem, from: hierarchy.expanded(outer, inner: 0), inner: inner)
            for k in inner {
                let id = problem.parameters[problem.estimated[k]].id
                #expect(abs(full[k] - search.theta[k]) <= 1e-6, "\(id) (clipped: \(clipped)): closed form \(full[k]), search \(search.theta[k])")
            }
            #expect(closed <= search.objective + 1e-10, "closed form \(closed), search \(search.objective)")
            if clipped { #expect(full[problem.estimated.firstIndex(of: problem.parameterIndex("scale_a")!)!] == log10(1.5)) }
        }
    }

    /// The profiled objective's gradient Jᵀr (the partial Jacobian, projected for each
    /// interior ŝ) against central differences of the profiled objective itself, and the
    /// profiled objective equal to the full one up to a constant. Tolerances as in
    /// `PEtabGradientTests` (h = 1e-5, rtol 1e-11 on an objective of order 10: 1e-5).
    @Test func profiledGradientMatchesFiniteDifferences() throws {
        let problem = try Self.synthetic()
        let model = try PEtabModel(problem, settings: Self.settings)
        let ls = try PEtabHierarchicalLeastSquares(model, hierarchy: PEtabHierarchy(model))
        let a = [log10(0.7), log10(0.5), 0.3], b = [log10(0.9), log10(0.4), 0.5]
        let ea = try ls.evaluate(at: a, jacobian: true)
        let j = try #require(ea.jacobian)
        let g = j.transposeMultiplied(by: ea.residuals)
        let fd = try PEtabGradientTests.centralDifferences(at: a) { try ls.evaluate(at: $0, jacobian: false).objective }
        for k in a.indices {
            #expect(abs(g[k] - fd[k]) <= 1e-4 * max(1, abs(fd[k])), "outer \(k): Jᵀr \(g[k]), finite differences \(fd[k])")
        }
        let eb = try ls.evaluate(at: b, jacobian: false)
        let fa = try model.evaluate(theta: ls.fullCoordinates(a), gradient: false).objective
        let fb = try model.evaluate(theta: ls.fullCoordinates(b), gradient: false).objective
        #expect(abs((ea.objective - eb.objective) - (fa - fb)) <= 1e-8 * max(1, abs(fa)), "profiled \(ea.objective - eb.objective), full \(fa - fb)")
    }

    /// The curvature J̃ᵀJ̃ of the profiled problem is the Schur complement of the Gauss–Newton
    /// matrix of the full problem in the scalings, JₒᵀJₒ − JₒᵀJₛ(JₛᵀJₛ)⁻¹JₛᵀJₒ (Jₒ, Jₛ the
    /// full Jacobian's outer and scaling columns at the full point): the Gauss–Newton
    /// curvature with ŝ following θₒ. With the σ left to the optimiser, both problems have
    /// the same residuals; the two sides differ only because ŝ of the full point comes from
    /// a run without sensitivities, whose steps differ (states within rtol 1e-8: 2e-9
    /// relative differences seen), hence 1e-6. Without the projection the difference is of
    /// the order of JₒᵀJₒ itself (1248 against 735 on the first diagonal entry).
    @Test func projectedCurvatureIsTheSchurComplement() throws {
        let problem = try Self.synthetic()
        let model = try PEtabModel(problem)
        var hierarchy = PEtabHierarchy(model)
        let scalings = hierarchy.scalings.map(\.position)
        hierarchy.noises = []
        hierarchy.outer = problem.estimated.indices.filter { !scalings.contains($0) }
        let ls = try PEtabHierarchicalLeastSquares(model, hierarchy: hierarchy)
        let outer = [log10(0.7), log10(0.5), -1, -1, 0.3]  // k1, k2, sd_a, sd_b, offset_c
        let profiled = try ls.evaluate(at: outer, jacobian: true)
        let full = try PEtabLeastSquares(model).evaluate(at: ls.fullCoordinates(outer), jacobian: true)
        #expect(profiled.residuals.count == full.residuals.count)
        let jp = try #require(profiled.jacobian), jf = try #require(full.jacobian)
        func dot(_ a: (Int) -> Double, _ b: (Int) -> Double) -> Double { (0..<jf.rows).reduce(0) { $0 + a($1) * b($1) } }
        // The scalings act on disjoint measurements, so JₛᵀJₛ is diagonal.
        for (a, ka) in hierarchy.outer.enumerated() {
            for (b, kb) in hierarchy.outer.enumerated() {
                var schur = dot({ jf[$0, ka] }, { jf[$0, kb] })
                for s in scalings { schur -= dot({ jf[$0, ka] }, { jf[$0, s] }) * dot({ jf[$0, s] }, { jf[$0, kb] }) / dot({ jf[$0, s] }, { jf[$0, s] }) }
                let projected = dot({ jp[$0, a] }, { jp[$0, b] })
                #expect(abs(projected - schur) <= 1e-6 * max(1, abs(schur)), "(\(a), \(b)): J̃ᵀJ̃ \(projected), Schur complement \(schur)")
            }
        }
    }

    /// Boehm with its three noise parameters profiled: a local fit from the published point
    /// ends at the best known objective 138.2220 (−llh at the published parameters; the
    /// standard fit's best is 138.221978), within the 1e-3 of the references' three decimals.
    @Test(.enabled(if: PEtabFiles.haveBenchmark, "../shared/petab/benchmark is absent"))
    func boehmProfiledReachesTheStandardOptimum() throws {
        let problem = try PEtabReader.read(path: PEtabBenchmarkTests.path("Boehm_JProteomeRes2014"))
        let model = try PEtabModel(problem)
        let hierarchy = PEtabHierarchy(model)
        #expect(hierarchy.noises.count == 3 && hierarchy.scalings.isEmpty)
        let ls = try PEtabHierarchicalLeastSquares(model, hierarchy: hierarchy)
        let bounds = hierarchy.outer.map { problem.parameters[problem.estimated[$0]].scaledBounds }
        var options = LevenbergMarquardtOptions()
        options.objectiveAbsoluteTolerance = 1e-6
        let run = LevenbergMarquardt(options: options).minimize(ls, from: hierarchy.outerCoordinates(problem.nominalTheta),
                                                                lower: bounds.map(\.lower), upper: bounds.map(\.upper))
        #expect(!run.status.isFailed, "\(run.status)")
        let objective = try model.evaluate(theta: ls.fullCoordinates(run.theta), gradient: false).objective
        #expect(abs(objective - 138.2220) <= 1e-3, "objective \(objective) after \(run.iterations) steps")
    }
}
