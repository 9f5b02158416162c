import Testing
import Foundation
@testable import Fitting
import KinapseUtilities

/// The objective on the decay pathway, against its closed-form solution
/// B(t) = A0·k1/(k2 − k1)·(e^(−k1 t) − e^(−k2 t)).
@Suite struct FitObjectiveTests {
    /// Problem with an estimated scale, offset and noise level besides k1 and k2.
    static let problem = ProblemFiles.problem
        .replacingOccurrences(of: "sd = 0.1", with: "scale = \"s\"\noffset = \"o\"\nsd = \"sigma\"")
        .replacingOccurrences(of: "[observables.B_obs]", with: """
        [parameters.s]
        lower = 0.1
        upper = 10
        [parameters.o]
        lower = -1
        upper = 1
        [parameters.sigma]
        lower = 0.01
        upper = 1

        [observables.B_obs]
        """)

    @Test func residualsMatchTheClosedForm() throws {
        let files = try ProblemFiles(problem: Self.problem)
        defer { files.remove() }
        let problem = try files.read()
        #expect(problem.parameters.map(\.role) == [.model, .model, .observation, .observation, .observation])
        #expect(problem.parameters[3].scale == .linear, "a non-positive lower bound means a linear scale")
        let objective = try FitObjective(problem: problem)
        let (k1, k2, s, o, sigma) = (0.8, 0.2, 1.5, 0.1, 0.3)
        let theta = [log10(k1), log10(k2), log10(s), o, log10(sigma)]
        let e = try objective.evaluate(at: theta, jacobian: false)
        let points = problem.experiments[0].data.points
        #expect(e.residuals.count == 2 * points.count, "one data and one error-model residual per point")
        // Solver tolerance rtol = 1e-8 (the default) on B ≈ 1–10 bounds the error of s·B/σ by
        // about 5·1e-8·10/0.3 ≈ 2e-6 (a factor of a few for global error growth).
        var nll = 0.0
        for (i, p) in points.enumerated() {
            let predicted = s * ProblemFiles.b(p.time, k1: k1, k2: k2) + o
            let r = (predicted - p.value) / sigma
            #expect(abs(e.residuals[i] - r) < 2e-5, "t = \(p.time)")
            nll += 0.5 * r * r + log(sigma) + 0.5 * log(2 * Double.pi)
        }
        #expect(abs(e.negativeLogLikelihood - nll) < 1e-4 * abs(nll))
    }

    /// A cancelled run (Ctrl-C, a time budget) stops a finite-difference gradient before its
    /// shifted simulations: the base simulation alone runs, and the evaluation throws.
    @Test func aCancelledFiniteDifferenceGradientStopsBeforeItsSimulations() throws {
        let files = try ProblemFiles(problem: Self.problem)
        defer { files.remove() }
        let problem = try files.read()
        let objective = try FitObjective(problem: problem, gradient: .finiteDifferences)
        let theta = [log10(0.8), log10(0.2), log10(1.5), 0.1, log10(0.3)]
        _ = try objective.evaluate(at: theta, jacobian: true)
        let perGradient = objective.simulations
        // Two model parameters, central differences: the base and 2 × 2 shifted runs per experiment.
        #expect(perGradient == 5 * problem.experiments.count)
        let flag = CancellationFlag()
        flag.cancel()
        objective.cancellation = flag
        #expect(throws: (any Error).self) { try objective.evaluate(at: theta, jacobian: true) }
        #expect(objective.simulations - perGradient == problem.experiments.count, "only the base simulation ran")
    }

    @Test func jacobianMatchesTheClosedForm() throws {
        let files = try ProblemFiles(problem: Self.problem.replacingOccurrences(of: "seed = 3", with: "seed = 3\nrtol = 1e-10"))
        defer { files.remove() }
        let problem = try files.read()
        let objective = try FitObjective(problem: problem, gradient: .finiteDifferences)
        let (k1, k2, s, o, sigma) = (0.8, 0.2, 1.5, 0.1, 0.3)
        let theta = [log10(k1), log10(k2), log10(s), o, log10(sigma)]
        let e = try objective.evaluate(at: theta, jacobian: true)
        let jacobian = try #require(e.jacobian)
        let ln10 = log(10.0)
        let points = problem.experiments[0].data.points
        // Reference: derivatives of the closed form (central differences of the formula itself,
        // step 1e-6: error ~1e-12, far below the tolerance), times the chain factors of the
        // log10 scale. The model's finite differences (step h = 1e-4 in log10 units over runs
        // at rtol = 1e-10) err by truncation ~h^2 |f'''| ~ 1e-7 and by solver error
        // ~(4 rtol |B| <= 4e-9) / 2h * s/sigma ~ 1e-4, so 1e-3 (absolute, or relative above 1) holds.
        for (i, p) in points.enumerated() {
            let b = ProblemFiles.b(p.time, k1: k1, k2: k2)
            let h = 1e-6
            let dk1 = (ProblemFiles.b(p.time, k1: k1 + h, k2: k2) - ProblemFiles.b(p.time, k1: k1 - h, k2: k2)) / (2 * h)
            let dk2 = (ProblemFiles.b(p.time, k1: k1, k2: k2 + h) - ProblemFiles.b(p.time, k1: k1, k2: k2 - h)) / (2 * h)
            let r = (s * b + o - p.value) / sigma
            let expected = [s * dk1 / sigma * k1 * ln10, s * dk2 / sigma * k2 * ln10, b / sigma * s * ln10, 1 / sigma, -r / sigma * sigma * ln10]
            for j in 0..<5 {
                let scale = max(1, abs(expected[j]))
                #expect(abs(jacobian[i][j] - expected[j]) < 1e-3 * scale, "point \(i), parameter \(problem.parameters[j].name): \(jacobian[i][j]) vs \(expected[j])")
            }
            // Error-model row: d√(2 ln σ + C)/dθ_σ = (1/(σ·root))·σ·ln10.
            let root = (2 * log(sigma) + 1 - 2 * log(0.01)).squareRoot()
            #expect(abs(jacobian[points.count + i][4] - ln10 / root) < 1e-12)
            #expect(jacobian[points.count + i][0] == 0)
        }
    }
}

/// Jacobians from forward sensitivities against central finite differences of the same
/// objective (FD step 1e-4 in scaled units; see `FitObjective.formulaDerivatives`).
@Suite struct SensitivityJacobianTests {
    /// Largest column-wise relative difference ‖J_s − J_fd‖/‖J_fd‖ over the parameters.
    static func worstColumnDifference(_ a: [[Double]], _ b: [[Double]]) -> Double {
        var worst = 0.0
        for j in a[0].indices {
            var diff = 0.0, norm = 0.0
            for i in a.indices {
                diff += (a[i][j] - b[i][j]) * (a[i][j] - b[i][j])
                norm += b[i][j] * b[i][j]
            }
            worst = max(worst, (diff / max(norm, 1e-300)).squareRoot())
        }
        return worst
    }

    @Test func pathwayJacobianMatchesFiniteDifferences() throws {
        let files = try ProblemFiles(problem: FitObjectiveTests.problem.replacingOccurrences(of: "seed = 3", with: "seed = 3\nrtol = 1e-10"))
        defer { files.remove() }
        let problem = try files.read()
        let theta = [log10(0.8), log10(0.2), log10(1.5), 0.1, log10(0.3)]
        let s = try #require(try FitObjective(problem: problem, gradient: .sensitivities).evaluate(at: theta, jacobian: true).jacobian)
        let f = try #require(try FitObjective(problem: problem, gradient: .finiteDifferences).evaluate(at: theta, jacobian: true).jacobian)
        // FD error ~1e-4 relative at rtol 1e-10 (FitObjectiveTests); sensitivities are
        // error-controlled to rtol: agreement to 1e-3 leaves a factor 10.
        #expect(Self.worstColumnDifference(s, f) < 1e-3)
    }

    /// The synthetic fixture (a synapse with blockers: pre-incubation, events, readouts), cut to
    /// what this needs so that it costs a few rig runs, not sixty: the experiment with a pipette
    /// blocker, and one presynaptic and one cascade parameter whose route that blocker leaves open
    /// (BAPTA removes the Ca²⁺ route to BDNF, not the GABA-B one).
    @Test func synapseJacobianMatchesFiniteDifferences() throws {
        var problem = try FitProblemReader.read(path: FixtureTests.synthetic)
        problem.experiments = problem.experiments.filter { $0.name == "BAPTA" }
        problem.parameters = problem.parameters.filter { ["pre_b_pq_g_max", "K_GB"].contains($0.name) }
        try #require(problem.experiments.count == 1 && problem.parameters.count == 2)
        let theta = problem.parameters.map { ($0.scaledBounds.lower + $0.scaledBounds.upper) / 2 }
        let s = try #require(try FitObjective(problem: problem, gradient: .sensitivities).evaluate(at: theta, jacobian: true).jacobian)
        let f = try #require(try FitObjective(problem: problem, gradient: .finiteDifferences).evaluate(at: theta, jacobian: true).jacobian)
        let worst = Self.worstColumnDifference(s, f)
        // At rtol 1e-8 the FD columns carry ~rtol·|ipsc|/h ≈ 1e-8·100/1e-4 = 1e-2 % points
        // of noise against derivatives of tens of % per decade: ~1e-3 relative.
        #expect(worst < 1e-2, "worst column difference \(worst)")
    }
}
