import Testing
import Foundation
import Optimization
#if canImport(Glibc)
import Glibc
#endif

/// Bounded Levenberg–Marquardt on problems with known minimisers.
@Suite struct LevenbergMarquardtTests {
    let unbounded = (lower: [-Double.infinity, -.infinity], upper: [Double.infinity, .infinity])

    @Test func rosenbrockFromTheClassicStart() {
        let result = LevenbergMarquardt().minimize(rosenbrock(), from: [-1.2, 1],
                                                   lower: unbounded.lower, upper: unbounded.upper)
        #expect(result.status.isConverged)
        // Zero-residual problem: LM converges quadratically, so the point is exact to roundoff.
        #expect(abs(result.theta[0] - 1) < 1e-10)
        #expect(abs(result.theta[1] - 1) < 1e-10)
        #expect(result.objective < 1e-20)
        #expect(result.jacobianSource == .analytic)
        print("Rosenbrock: \(result.iterations) iterations, \(result.evaluations) evaluations, \(result.status)")
    }

    @Test func optimumOnAnUpperBound() {
        // With θ₁ ≤ 0.5 the minimum is at θ₁ = 0.5, θ₂ = θ₁² = 0.25 (r₁ = 0 there, and
        // ½(1 − θ₁)² still decreases towards the bound): a KKT point with g₁ < 0.
        let activeSet = LevenbergMarquardt().minimize(rosenbrock(), from: [-1.2, 1],
                                                      lower: [-2, -2], upper: [0.5, 2])
        #expect(activeSet.status.isConverged)
        #expect(activeSet.theta[0] == 0.5)
        #expect(abs(activeSet.theta[1] - 0.25) < 1e-10)
        #expect(abs(activeSet.objective - 0.125) < 1e-12)
        var options = LevenbergMarquardtOptions()
        options.bounds = .reflective
        let result = LevenbergMarquardt(options: options).minimize(rosenbrock(), from: [-1.2, 1],
                                                                   lower: [-2, -2], upper: [0.5, 2])
        #expect(result.status.isConverged)
        // Iterates stay inside the box: at convergence min(v₁, 1)·|g₁| ≤ 1e-8 with g₁ = −½
        // there, so θ₁ is within 2e-8 of its bound; θ₂ = θ₁² is then its best value (r₁ = 0).
        #expect(result.theta[0] <= 0.5 && 0.5 - result.theta[0] <= 2e-8, "θ₁ = \(result.theta[0])")
        #expect(abs(result.theta[1] - result.theta[0] * result.theta[0]) < 1e-10)
        #expect(abs(result.objective - 0.125) < 1e-8)
        #expect(result.gradient[0] < 0)
        #expect(abs(result.gradient[1]) < 1e-8)
        print("bounded Rosenbrock: \(result.iterations) iterations, \(result.evaluations) evaluations, \(result.status)")
    }

    /// Linear least squares on a box with half the variables ending on a bound:
    /// ½‖A x − b‖², A = [I; B] (full column rank, so the minimiser is unique). x* is chosen
    /// with five variables on a bound and b = A x* − [g*; 0], so the gradient at x* is
    /// Aᵀ[g*; 0] = g*: positive on the variables at their lower bound, negative at the upper,
    /// zero on the free ones — the KKT conditions, which make x* the minimiser.
    @Test(arguments: BoundTreatment.allCases)
    func boundedLinearLeastSquaresFindsItsActiveSet(bounds: BoundTreatment) {
        let n = 10, extra = 20
        let lower = Array(repeating: -5.0, count: n), upper = Array(repeating: 3.0, count: n)
        let solution = [-5, 0.4, 3, -5, -1.2, 3, 2.1, -5, -0.3, 1.7]
        let gradientAtSolution = solution.map { $0 == -5 ? 2 : $0 == 3 ? -1.5 : 0 }
        var rows: [[Double]] = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0 } }
        rows += (0..<extra).map { i in (0..<n).map { j in sin(Double(1 + i + 3 * j)) } }
        let a = Matrix(rowMajor: rows)
        let target = zip(a.multiplied(by: solution), gradientAtSolution + Array(repeating: 0, count: extra)).map { $0 - $1 }
        let problem = ClosureProblem(parameterCount: n, residuals: { x in zip(a.multiplied(by: x), target).map { $0 - $1 } },
                                     jacobian: { _ in a })
        var options = LevenbergMarquardtOptions()
        options.gradientTolerance = 1e-10
        options.objectiveTolerance = 0
        options.bounds = bounds
        let result = LevenbergMarquardt(options: options).minimize(problem, from: Array(repeating: 0, count: n),
                                                                   lower: lower, upper: upper)
        #expect(result.status == .converged(.gradient), "\(result.status)")
        // At the gradient test the active variables are on their bounds (active set) or
        // within 1e-10/|g*ᵢ| ≤ 1e-10 of them (reflective); the free ones then err by at most ‖H_FF⁻¹‖ (≤ 1, as AᵀA ⪰ I) times the
        // coupling ‖AᵀA‖ ≤ 1 + ‖B‖²_F ≈ 100 times that: 1e-8 with margin 10.
        for i in 0..<n {
            #expect(abs(result.theta[i] - solution[i]) < 1e-7, "x[\(i)] = \(result.theta[i]), expected \(solution[i])")
            #expect(result.theta[i] >= lower[i] && result.theta[i] <= upper[i])
        }
        print("bounded linear least squares, \(bounds.rawValue): \(result.iterations) iterations, \(result.evaluations) evaluations")
    }

    @Test func startOutsideTheBoxIsMovedIn() {
        let result = LevenbergMarquardt().minimize(rosenbrock(), from: [5, 5], lower: [-2, -2], upper: [2, 2])
        #expect(result.status.isConverged)
        #expect(abs(result.theta[0] - 1) < 1e-10 && abs(result.theta[1] - 1) < 1e-10)
    }

    /// Noisy exponential decay. Reference: for fixed k the best A is Σyᵢeᵢ/Σeᵢ² (eᵢ = e^{−k tᵢ}),
    /// so the least-squares k minimises a 1-D function, found here by golden-section search
    /// to 1e-13 relative — an independent solver.
    @Test(arguments: [true, false])
    func exponentialDecayMatchesTheVariableProjectionSolution(analytic: Bool) {
        let times = (0..<20).map { Double($0) * 0.25 }
        let noise = syntheticNoise(count: times.count, seed: 11)
        let data = zip(times, noise).map { 2 * exp(-0.7 * $0) + 0.02 * $1 }
        func reducedObjective(_ k: Double) -> (a: Double, f: Double) {
            let e = times.map { exp(-k * $0) }
            let a = zip(data, e).reduce(0) { $0 + $1.0 * $1.1 } / e.reduce(0) { $0 + $1 * $1 }
            let f = zip(data, e).reduce(0) { $0 + 0.5 * pow(a * $1.1 - $1.0, 2) }
            return (a, f)
        }
        var lo = 0.1, hi = 3.0
        let phi = (5.0.squareRoot() - 1) / 2
        while hi - lo > 1e-13 * hi {
            let x1 = hi - phi * (hi - lo), x2 = lo + phi * (hi - lo)
            if reducedObjective(x1).f < reducedObjective(x2).f { hi = x2 } else { lo = x1 }
        }
        let kRef = 0.5 * (lo + hi), aRef = reducedObjective(kRef).a

        let problem = ExponentialDecay(times: times, data: data, analytic: analytic)
        let result = LevenbergMarquardt().minimize(problem, from: [0, 0], lower: [-3, -3], upper: [3, 3])
        #expect(result.status.isConverged)
        // Tolerance: the reference k is exact to ~1e-13; LM stops at gradient 1e-8 or at
        // relative objective change 1e-10, i.e. within ~1e-7 relative of the minimiser
        // (the objective is quadratic near it, curvature O(1)). Central differences add an
        // O(ε^{2/3}) ≈ 4e-11 error to the gradient, so the same bound holds for them.
        #expect(abs(pow(10, result.theta[0]) / aRef - 1) < 1e-6)
        #expect(abs(pow(10, result.theta[1]) / kRef - 1) < 1e-6)
        #expect(result.jacobianSource == (analytic ? .analytic : .finiteDifferences))
        print("exponential decay (\(analytic ? "analytic" : "finite differences")): \(result.iterations) iterations, \(result.evaluations) evaluations (\(result.jacobianEvaluations) with Jacobian), \(result.status)")
    }

    @Test func failedStartIsReportedWithItsReason() {
        struct Broken: Error, CustomStringConvertible { var description: String { "CVODE gave up" } }
        let problem = ClosureProblem(parameterCount: 1, residuals: { _ in throw Broken() })
        let result = LevenbergMarquardt().minimize(problem, from: [0], lower: [-1], upper: [1])
        #expect(result.status == .failed(reason: "cannot evaluate the start point: CVODE gave up"))
        #expect(result.objective == .infinity)
        #expect(result.evaluations == 1 && result.failedEvaluations == 1)
    }

    @Test func failedTrialPointsShrinkTheTrustRegion() {
        // Rosenbrock that cannot be evaluated for θ₂ < −1: from the classic start the first
        // Gauss–Newton step goes to (1, −3.84), so the run must back off and still find (1, 1).
        struct Unstable: Error {}
        final class Counter { var failures = 0 }
        let base = rosenbrock(), counter = Counter()
        let problem = ClosureProblem(parameterCount: 2, residuals: { t in
            if t[1] < -1 { counter.failures += 1; throw Unstable() }
            return try base.evaluate(at: t, jacobian: false).residuals
        }, jacobian: { t in try base.evaluate(at: t, jacobian: true).jacobian! })
        var options = LevenbergMarquardtOptions()
        options.initialTrustRadius = 10
        let result = LevenbergMarquardt(options: options).minimize(problem, from: [-1.2, 1],
                                                                   lower: [-5, -5], upper: [5, 5])
        #expect(counter.failures > 0)
        // Every trial point the model refused is counted, and nothing else.
        #expect(result.failedEvaluations == counter.failures)
        #expect(result.status.isConverged)
        #expect(abs(result.theta[0] - 1) < 1e-10 && abs(result.theta[1] - 1) < 1e-10)
    }

    @Test func finiteDifferencesAgreeWithTheAnalyticJacobian() throws {
        let problem = ExponentialDecay(times: [0, 0.5, 1, 2], data: [2, 1.4, 1, 0.5])
        let theta = [0.3, -0.15]
        let exact = try problem.evaluate(at: theta, jacobian: true)
        for scheme in FiniteDifferences.Scheme.allCases {
            // Truncation + roundoff: forward ~ √ε ≈ 1.5e-8, central ~ ε^{2/3} ≈ 4e-11, times
            // the O(1..10) size of the derivatives here.
            let tolerance = scheme == .forward ? 1e-6 : 1e-9
            let fd = try FiniteDifferences.jacobian(at: theta, residuals: exact.residuals, scheme: scheme,
                                                    lower: [-1, -1], upper: [1, 1]) { problem.residuals($0) }
            for (x, y) in zip(fd.elements, exact.jacobian!.elements) { #expect(abs(x - y) < tolerance) }
            // An explicit step gives the same derivatives to its truncation error (h = 1e-5:
            // forward ~1e-5·|r''|, central ~1e-10·|r'''|, with |r''|, |r'''| = O(10) here).
            let coarse = try FiniteDifferences.jacobian(at: theta, residuals: exact.residuals, scheme: scheme,
                                                        relativeStep: 1e-5) { problem.residuals($0) }
            let coarseError = zip(coarse.elements, exact.jacobian!.elements).map { abs($0 - $1) }.max()!
            #expect(coarseError < (scheme == .forward ? 1e-3 : 1e-8))
            // …and the step was really used: forward truncation at h = 1e-5 is far above
            // the ~1e-8 of the default step.
            if scheme == .forward { #expect(coarseError > 1e-7) }
            // At an upper bound the step goes the other way and stays in the box.
            var seen: [[Double]] = []
            _ = try FiniteDifferences.jacobian(at: [1, 0], residuals: problem.residuals([1, 0]), scheme: scheme,
                                               lower: [-1, -1], upper: [1, 1]) { t in seen.append(t); return problem.residuals(t) }
            #expect(seen.allSatisfy { $0[0] <= 1 })
        }
    }

    /// Rosenbrock's valley made 100 times narrower: r = (1000(θ₂ − θ₁²), 1 − θ₁), minimum 0 at
    /// (1, 1). Plain Levenberg–Marquardt follows the parabola θ₂ = θ₁² in short straight steps
    /// that its trust region keeps cutting back; the geodesic acceleration bends each step
    /// along it (the residuals are quadratic, so the finite-difference r_vv is exact). Both
    /// must reach the minimum (zero residual: exact to roundoff), the accelerated run in at
    /// most a third of the steps.
    @Test func geodesicAccelerationFollowsANarrowValley() {
        let a = 1000.0
        let problem = ClosureProblem(parameterCount: 2, residuals: { t in [a * (t[1] - t[0] * t[0]), 1 - t[0]] },
                                     jacobian: { t in Matrix(rowMajor: [[-2 * a * t[0], a], [-1, 0]]) })
        var options = LevenbergMarquardtOptions()
        options.maxIterations = 5000
        options.maxEvaluations = 20000
        let plain = LevenbergMarquardt(options: options).minimize(problem, from: [-1.2, 1], lower: unbounded.lower, upper: unbounded.upper)
        options.acceleration = .geodesic
        let accelerated = LevenbergMarquardt(options: options).minimize(problem, from: [-1.2, 1], lower: unbounded.lower, upper: unbounded.upper)
        for run in [plain, accelerated] {
            #expect(run.status.isConverged, "\(run.status)")
            #expect(abs(run.theta[0] - 1) < 1e-8 && abs(run.theta[1] - 1) < 1e-8, "\(run.theta)")
        }
        #expect(3 * accelerated.iterations <= plain.iterations, "accelerated \(accelerated.iterations), plain \(plain.iterations) steps")
        print("narrow valley: plain \(plain.iterations) steps / \(plain.evaluations) evaluations, geodesic \(accelerated.iterations) / \(accelerated.evaluations)")
    }

    /// With a bound cutting the valley (θ₁ ≤ 0.5, the KKT point (0.5, 0.25) of
    /// `optimumOnAnUpperBound`), the accelerated steps must still respect the box and end at
    /// the same point, under both bound rules.
    @Test(arguments: BoundTreatment.allCases)
    func geodesicAccelerationStopsAtTheBound(bounds: BoundTreatment) {
        var options = LevenbergMarquardtOptions()
        options.bounds = bounds
        options.acceleration = .geodesic
        let result = LevenbergMarquardt(options: options).minimize(rosenbrock(), from: [-1.2, 1], lower: [-2, -2], upper: [0.5, 2])
        #expect(result.status.isConverged, "\(result.status)")
        #expect(result.theta[0] <= 0.5 && 0.5 - result.theta[0] <= 2e-8, "θ₁ = \(result.theta[0])")
        #expect(abs(result.theta[1] - result.theta[0] * result.theta[0]) < 1e-10)
        #expect(abs(result.objective - 0.125) < 1e-8)
    }

    /// The options of a PEtab fit: reflective bounds, trial points without Jacobians (each
    /// probe of the acceleration is such an evaluation too), internal doubling.
    static func fitLikeOptions() -> LevenbergMarquardtOptions {
        var options = LevenbergMarquardtOptions()
        options.bounds = .reflective
        options.jacobianAtTrialPoints = false
        options.internalDoubling = true
        options.maxIterations = 5000
        options.maxEvaluations = 20000
        return options
    }

    /// The narrow valley of `geodesicAccelerationFollowsANarrowValley` in a box, with a PEtab
    /// fit's options: there a Jacobian (forward sensitivities) costs 10–20 plain evaluations,
    /// and the acceleration adds a plain one per trial point, so what it must save is
    /// Jacobians: at most half of those without it, both runs at the minimum.
    @Test func geodesicAccelerationSavesJacobiansInANarrowValley() {
        let a = 1000.0
        let problem = ClosureProblem(parameterCount: 2, residuals: { t in [a * (t[1] - t[0] * t[0]), 1 - t[0]] },
                                     jacobian: { t in Matrix(rowMajor: [[-2 * a * t[0], a], [-1, 0]]) })
        var options = Self.fitLikeOptions()
        let plain = LevenbergMarquardt(options: options).minimize(problem, from: [-1.2, 1], lower: [-3, -3], upper: [3, 3])
        options.acceleration = .geodesic
        let accelerated = LevenbergMarquardt(options: options).minimize(problem, from: [-1.2, 1], lower: [-3, -3], upper: [3, 3])
        for run in [plain, accelerated] {
            #expect(run.status.isConverged, "\(run.status)")
            #expect(abs(run.theta[0] - 1) < 1e-8 && abs(run.theta[1] - 1) < 1e-8, "\(run.theta)")
        }
        #expect(2 * accelerated.jacobianEvaluations <= plain.jacobianEvaluations,
                "Jacobians: accelerated \(accelerated.jacobianEvaluations), plain \(plain.jacobianEvaluations)")
        print("narrow valley, fit options: plain \(plain.jacobianEvaluations) Jacobians / \(plain.evaluations) evaluations, "
              + "geodesic \(accelerated.jacobianEvaluations) / \(accelerated.evaluations)")
    }

    /// A linear problem has no second derivative: r_vv is zero up to roundoff, and the
    /// acceleration must change nothing but add the probe's evaluation: the same accepted steps,
    /// Jacobians and minimiser, under the default options and a PEtab fit's. Roundoff bound: the
    /// residuals are O(10), so the probe's difference is exact to ~10⁻¹⁴ and r_vv to
    /// 2·10⁻¹⁴/h² = 2·10⁻¹²; against steps of at least 10⁻⁴ (the first radius is 10⁻³) that is
    /// ‖a‖/‖v‖ ≲ 10⁻⁷ with JᵀJ's smallest eigenvalue ≈ 1.7.
    @Test(arguments: [false, true])
    func geodesicAccelerationChangesNothingOnALinearProblem(fitOptions: Bool) {
        let problem = ClosureProblem(parameterCount: 2, residuals: { t in [t[0] - 1, 2 * (t[1] + 1), t[0] + t[1]] },
                                     jacobian: { _ in Matrix(rowMajor: [[1, 0], [0, 2], [1, 1]]) })
        var options = fitOptions ? Self.fitLikeOptions() : LevenbergMarquardtOptions()
        options.initialTrustRadius = 1e-3
        let plain = LevenbergMarquardt(options: options).minimize(problem, from: [4, 3], lower: [-5, -5], upper: [5, 5])
        options.acceleration = .geodesic
        final class Steps: @unchecked Sendable { var all: [TrialStep] = [] }  // one run, one thread
        let steps = Steps()
        let accelerated = LevenbergMarquardt(options: options, trace: { steps.all.append($0) })
            .minimize(problem, from: [4, 3], lower: [-5, -5], upper: [5, 5])
        // The minimiser (AᵀA)⁻¹Aᵀb = (1, −1) (`internalDoublingGrowsASmallRadiusWithoutJacobians`).
        for run in [plain, accelerated] {
            #expect(run.status.isConverged, "\(run.status)")
            #expect(abs(run.theta[0] - 1) < 1e-8 && abs(run.theta[1] + 1) < 1e-8, "\(run.theta)")
        }
        #expect(accelerated.iterations == plain.iterations && accelerated.jacobianEvaluations == plain.jacobianEvaluations,
                "steps \(accelerated.iterations) vs \(plain.iterations), Jacobians \(accelerated.jacobianEvaluations) vs \(plain.jacobianEvaluations)")
        #expect(accelerated.iterations >= 5, "the run must take several steps for the test to mean anything")
        #expect(accelerated.evaluations <= 2 * plain.evaluations)
        let probed = steps.all.filter { $0.stepNorm >= 1e-4 }
        #expect(!probed.isEmpty && probed.allSatisfy { $0.accelerationRatio <= 1e-7 },
                "‖a‖/‖v‖: \(probed.map(\.accelerationRatio).max() ?? .nan)")
    }

    /// Evaluations with the Jacobian whose residuals are 10⁻⁶ off those of a plain evaluation, as
    /// a simulation with sensitivities differs from a plain one at the solver's tolerance, on a
    /// linear problem. The probe is plain, so r_vv must be taken against plain residuals at the
    /// current point, known there after every accepted step; taken against the Jacobian's, it
    /// is −2·10⁻⁶/h² = −2·10⁻⁴ in every component, an acceleration of noise. Only at the start
    /// (no plain evaluation there yet) does it show, the test's sign that the offset matters:
    /// with the radius 10⁻³ far inside the Gauss–Newton step, λ ≫ JᵀJ and ‖a‖/‖v‖ ≈
    /// ‖Jᵀr_vv‖/‖Jᵀr‖ = 2·10⁻⁴·‖(2, 3)‖/‖(10, 23)‖ = 2.9·10⁻⁵ at θ = (4, 3); later steps must
    /// stay at roundoff (`geodesicAccelerationChangesNothingOnALinearProblem`).
    @Test func theProbeIsComparedWithResidualsOfItsOwnKind() {
        struct OffsetJacobianResiduals: LeastSquaresProblem {
            let base = ClosureProblem(parameterCount: 2, residuals: { t in [t[0] - 1, 2 * (t[1] + 1), t[0] + t[1]] },
                                      jacobian: { _ in Matrix(rowMajor: [[1, 0], [0, 2], [1, 1]]) })
            var parameterCount: Int { 2 }
            func evaluate(at theta: [Double], jacobian: Bool) throws -> LeastSquaresEvaluation {
                var e = try base.evaluate(at: theta, jacobian: jacobian)
                if jacobian { e.residuals = e.residuals.map { $0 + 1e-6 } }
                return e
            }
        }
        var options = Self.fitLikeOptions()
        options.initialTrustRadius = 1e-3
        options.acceleration = .geodesic
        final class Steps: @unchecked Sendable { var all: [TrialStep] = [] }  // one run, one thread
        let steps = Steps()
        let result = LevenbergMarquardt(options: options, trace: { steps.all.append($0) })
            .minimize(OffsetJacobianResiduals(), from: [4, 3], lower: [-5, -5], upper: [5, 5])
        #expect(abs(result.theta[0] - 1) < 1e-5 && abs(result.theta[1] + 1) < 1e-5, "\(result.theta)")
        #expect(steps.all.first.map { $0.accelerationRatio > 1e-5 } == true, "start: \(steps.all.first?.accelerationRatio ?? .nan)")
        let later = steps.all.filter { $0.iteration > 0 && $0.stepNorm >= 1e-4 }
        #expect(later.count >= 3 && later.allSatisfy { $0.accelerationRatio <= 1e-7 },
                "‖a‖/‖v‖ after the start: \(later.map(\.accelerationRatio))")
    }

    /// A linear problem r = θ − (3, −2) from the origin with a trust radius of 10⁻⁹: the model
    /// is exact (ρ = 1), so every step is cut short by the radius alone, which doubles each time.
    /// Its first steps gain far less than the absolute objective-change tolerance, but that
    /// measures the radius, not the landscape: the run must go on to the exact minimiser.
    @Test func smallChangesOfAStepCutShortByTheRadiusAreNotConvergence() {
        let target = [3.0, -2.0]
        let problem = ClosureProblem(parameterCount: 2, residuals: { t in [t[0] - target[0], t[1] - target[1]] },
                                     jacobian: { _ in Matrix(rowMajor: [[1, 0], [0, 1]]) })
        var options = LevenbergMarquardtOptions()
        options.initialTrustRadius = 1e-9
        options.objectiveAbsoluteTolerance = 1e-6
        let result = LevenbergMarquardt(options: options).minimize(problem, from: [0, 0], lower: unbounded.lower, upper: unbounded.upper)
        #expect(result.status.isConverged, "\(result.status)")
        #expect(abs(result.theta[0] - 3) < 1e-12 && abs(result.theta[1] + 2) < 1e-12, "\(result.theta) after \(result.iterations) steps")
        // From 10⁻⁹ to the distance √13 with the radius growing at most 2.2× a step (‖s‖ within
        // 10 % of Δ): at least log(3.6e9)/log(2.2) ≈ 28 steps. (Stopped by the change test, the
        // run would end after the first.)
        #expect(result.iterations >= 28, "\(result.iterations) steps")
    }

    /// r = Aθ − b with JᵀJ = [[1, 0.9], [0.9, 1]], from (0, 0) on the upper bound x ≤ 0, where
    /// g = (1, 2): −g points inside, so x is free, but the Gauss–Newton step −(JᵀJ)⁻¹g =
    /// (4.21, −5.79) pushes it out. Projected, (0, −5.79) predicts 2·5.79 − ½·5.79² < 0, and
    /// cut at the bound it is empty. Holding x gives y's step −g_y/1 = −2: the constrained
    /// minimiser (0, −2) (there g_x = 1 − 0.9·2 = −0.8 pushes x out: a KKT point) in one
    /// step at the first radius. Shrinking the radius instead, the run would try again at a
    /// quarter of it each time until the step turned inside.
    @Test func aStepPushingAFreeVariableOutOfTheBoxHoldsItOnItsBound() {
        let a = Matrix(rowMajor: [[1, 0.9], [0, 0.19.squareRoot()]])
        let b = [-1, -1.1 / 0.19.squareRoot()]
        let problem = ClosureProblem(parameterCount: 2, residuals: { t in
            [t[0] + 0.9 * t[1] - b[0], 0.19.squareRoot() * t[1] - b[1]]
        }, jacobian: { _ in a })
        final class Steps: @unchecked Sendable { var all: [TrialStep] = [] }  // one run, one thread
        let steps = Steps()
        var options = LevenbergMarquardtOptions()
        options.initialTrustRadius = 100
        let result = LevenbergMarquardt(options: options, trace: { steps.all.append($0) })
            .minimize(problem, from: [0, 0], lower: [-5, -5], upper: [0, 5])
        #expect(result.status == .converged(.gradient), "\(result.status)")
        #expect(result.theta[0] == 0 && abs(result.theta[1] + 2) < 1e-12, "\(result.theta)")
        #expect(result.iterations == 1 && result.evaluations == 2, "\(result.iterations) steps, \(result.evaluations) evaluations")
        #expect(steps.all.first?.kind == .boundsHeld && steps.all.first?.radius == 100, "\(steps.all)")
        #expect(abs((steps.all.first?.predictedReduction ?? 0) - 2) < 1e-12)
    }

    /// The options of a PEtab fit's starts (`PEtabFitOptions`), with or without the stagnation test.
    static func fitOptions(stagnation: StagnationTest?) -> LevenbergMarquardtOptions {
        var options = LevenbergMarquardtOptions()
        options.maxIterations = 1000
        options.maxEvaluations = 5000
        options.objectiveAbsoluteTolerance = 1e-6
        options.gradientTolerance = 1e-6
        options.stagnation = stagnation
        return options
    }

    /// A Gauss–Newton crawl: r = (x, A − ½Bx²) with AB = 0.98, A = 98. At x* = 0, JᵀJ = 1
    /// and the residual curvature S = r₂r₂″ = −AB, so f″ = 1 − AB = 0.02 and each Gauss–Newton
    /// step (inside the trust region here) shrinks x by the factor AB = 0.98 only: f − f* ≈
    /// 0.01x² falls by 4 % a step, from 1.125 at x = 10. The objective-change test (1e-6)
    /// ends the run after 258 steps. The stagnation test (25 steps, 0.1) must end it once
    /// 0.0396·0.9604^(k−24)·(1000 − k) < 0.1, near step 168, where f − f* ≈ 0.01·100·0.9604^168
    /// ≈ 1e-3: within its resolution of where the full run ends, in two thirds of the steps.
    /// (Iterating the Gauss–Newton map itself: stalled at step 164 with f − f* = 1.06e-3.)
    @Test func aCrawlingRunStallsWithinTheResolutionOfItsEnd() {
        let a = 98.0, b = 0.01
        let problem = ClosureProblem(parameterCount: 1, residuals: { t in [t[0], a - 0.5 * b * t[0] * t[0]] },
                                     jacobian: { t in Matrix(rows: 2, columns: 1, columnMajor: [1, -b * t[0]]) })
        let full = LevenbergMarquardt(options: Self.fitOptions(stagnation: nil)).minimize(problem, from: [10], lower: [-100], upper: [100])
        let stalled = LevenbergMarquardt(options: Self.fitOptions(stagnation: StagnationTest(window: 25, resolution: 0.1)))
            .minimize(problem, from: [10], lower: [-100], upper: [100])
        #expect(full.status == .converged(.objectiveChange) && (240...290).contains(full.iterations), "\(full.status) after \(full.iterations) steps")
        #expect(stalled.status == .stalled, "\(stalled.status)")
        #expect((150...185).contains(stalled.iterations), "stalled after \(stalled.iterations) steps")
        #expect(stalled.objective - full.objective < 0.1 && stalled.objective - 0.5 * a * a < 5e-3,
                "stalled at f − f* = \(stalled.objective - 0.5 * a * a), the full run at \(full.objective - 0.5 * a * a)")
    }

    /// The linear problem of `smallChangesOfAStepCutShortByTheRadiusAreNotConvergence` from a
    /// trust radius of 10⁻¹⁵: ρ = 1 and the radius doubles each step, so each of the first 25
    /// steps gains less than |g|·Δ ≤ 3.6·10⁻¹⁵·2²⁵ ≈ 10⁻⁷, which repeated for the 975 steps left
    /// is far below 0.1: by the pace of its reductions the run has stalled (checked below), but
    /// its radius, not the landscape, limits them, and they are rising. It must go on to the
    /// exact minimiser.
    @Test func aRunWhoseRadiusIsGrowingDoesNotStall() {
        let target = [3.0, -2.0]
        let problem = ClosureProblem(parameterCount: 2, residuals: { t in [t[0] - target[0], t[1] - target[1]] },
                                     jacobian: { _ in Matrix(rowMajor: [[1, 0], [0, 1]]) })
        let test = StagnationTest(window: 25, resolution: 0.1)
        var options = Self.fitOptions(stagnation: test)
        options.initialTrustRadius = 1e-15
        final class Steps: @unchecked Sendable { var all: [TrialStep] = [] }  // one run, one thread
        let steps = Steps()
        let result = LevenbergMarquardt(options: options, trace: { steps.all.append($0) })
            .minimize(problem, from: [0, 0], lower: [-10, -10], upper: [10, 10])
        #expect(result.status.isConverged, "\(result.status)")
        #expect(abs(result.theta[0] - 3) < 1e-12 && abs(result.theta[1] + 2) < 1e-12, "\(result.theta) after \(result.iterations) steps")
        let first = steps.all.prefix(25).map(\.actualReduction)
        #expect(first.count == 25 && first.max()! * 975 < test.resolution)
        #expect(!test.hasStalled(reductions: first[...], iterations: 25, maxIterations: 1000))
    }

    /// The rule itself: the largest reduction of the window times the steps left, against
    /// the resolution, unless the window's later half gained more than its earlier half.
    @Test func stagnationComparesTheLargestRecentReductionWithTheStepsLeft() {
        let test = StagnationTest(window: 4, resolution: 0.1)
        let slow: ArraySlice<Double> = [1e-4, 1e-4, 1e-4, 1e-4]
        #expect(test.hasStalled(reductions: slow, iterations: 100, maxIterations: 1000))        // 1e-4 · 900 = 0.09
        #expect(!test.hasStalled(reductions: [1e-4, 2e-4, 1e-4, 1e-4], iterations: 100, maxIterations: 1000))  // 0.18
        #expect(!test.hasStalled(reductions: slow, iterations: 0, maxIterations: 2000))          // 0.2
        #expect(!test.hasStalled(reductions: slow.prefix(3), iterations: 3, maxIterations: 10))  // the window is not full yet
        #expect(test.hasStalled(reductions: [5, 1e-4, 1e-4, 1e-4, 1e-4], iterations: 100, maxIterations: 1000))  // only the last 4 count
        #expect(test.hasStalled(reductions: [1e-4, 0.9e-4, 0.8e-4, 0.7e-4], iterations: 100, maxIterations: 1000))  // falling
        #expect(!test.hasStalled(reductions: [0.7e-4, 0.8e-4, 0.9e-4, 1e-4], iterations: 100, maxIterations: 1000))  // rising: 1.9e-4 > 1.5e-4
        #expect(StagnationTest.measuresTheRadius(atRadius: true, ratio: 0.3))
        #expect(!StagnationTest.measuresTheRadius(atRadius: true, ratio: 0.2) && !StagnationTest.measuresTheRadius(atRadius: false, ratio: 0.9))
    }

    /// Where the test must not stop a run: the accepted steps of the start that reaches
    /// Sneyd's best known optimum (Fixtures/optimization/sneyd-best-start-steps.tsv, a traced
    /// fit without the test). It crosses a plateau from step 41 to about 195 at 10⁻⁵–10⁻⁴ per
    /// step, steps at a radius of 4·10⁻³ that ρ between ¼ and ¾ keeps, then falls by 45.
    /// The test as the run applies it (not after a step that measures the radius) lets it
    /// through; without the two exceptions (only ρ > ¾ exempt, no rising check) it stopped
    /// the start at step 87, and with only the radius exception at step 145 (its reductions
    /// rising there, from 3·10⁻⁵ to 5·10⁻⁵ over the window).
    @Test func aRunCrossingAPlateauAtAKeptRadiusDoesNotStall() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/optimization/sneyd-best-start-steps.tsv")
        let rows = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").dropFirst().map { $0.split(separator: "\t") }
        let steps = rows.map { (reduction: Double($0[1])!, atRadius: $0[2] == "1", ratio: Double($0[3])!) }
        #expect(steps.count == 256)
        let test = StagnationTest(window: 25, resolution: 0.1)
        /// The step after which the rule stops the run, if any.
        func stop(exempt: (Bool, Double) -> Bool, risingCounts: Bool) -> Int? {
            for k in steps.indices where k + 1 >= test.window && !exempt(steps[k].atRadius, steps[k].ratio) {
                let window = steps[(k + 1 - test.window)...k].map(\.reduction)
                let stalled = risingCounts ? test.hasStalled(reductions: window[...], iterations: k + 1, maxIterations: 1000)
                                           : window.max()! * Double(1000 - k - 1) < test.resolution
                if stalled { return k + 1 }
            }
            return nil
        }
        #expect(stop(exempt: StagnationTest.measuresTheRadius, risingCounts: true) == nil)
        #expect(stop(exempt: { $0 && $1 > 0.75 }, risingCounts: false) == 87)
        #expect(stop(exempt: StagnationTest.measuresTheRadius, risingCounts: false) == 145)
    }
}

/// With a finite-difference Jacobian, trial points are evaluated without it and the
/// Jacobian of an accepted point comes from `evaluateJacobian` with the known residuals.
@Suite struct FiniteDifferenceProtocolTests {
    final class CountingProblem: LeastSquaresProblem {
        let base = ExponentialDecay(times: [0, 0.5, 1, 2, 4], data: [2.1, 1.4, 0.9, 0.5, 0.1])
        var evaluateWithJacobian = 0, evaluateWithout = 0, jacobianFromKnownResiduals = 0
        var parameterCount: Int { 2 }

        func evaluate(at theta: [Double], jacobian: Bool) throws -> LeastSquaresEvaluation {
            if jacobian { evaluateWithJacobian += 1 } else { evaluateWithout += 1 }
            return try evaluateJacobianIfNeeded(theta, residuals: base.residuals(theta), jacobian: jacobian)
        }

        func evaluateJacobian(at theta: [Double], residuals: [Double]) throws -> LeastSquaresEvaluation {
            jacobianFromKnownResiduals += 1
            // The residuals handed over are exactly those of θ.
            #expect(residuals.map(\.bitPattern) == base.residuals(theta).map(\.bitPattern))
            return try evaluateJacobianIfNeeded(theta, residuals: residuals, jacobian: true)
        }

        private func evaluateJacobianIfNeeded(_ theta: [Double], residuals r: [Double], jacobian: Bool) throws -> LeastSquaresEvaluation {
            guard jacobian else { return LeastSquaresEvaluation(residuals: r) }
            let j = try FiniteDifferences.jacobian(at: theta, residuals: r, scheme: .forward) { base.residuals($0) }
            return LeastSquaresEvaluation(residuals: r, jacobian: j, jacobianSource: .finiteDifferences)
        }
    }

    @Test func acceptedPointsReuseTheirResiduals() {
        let problem = CountingProblem()
        let result = LevenbergMarquardt().minimize(problem, from: [0, 0], lower: [-2, -2], upper: [2, 2])
        #expect(result.status.isConverged)
        #expect(problem.evaluateWithJacobian == 1)                       // the start
        #expect(problem.jacobianFromKnownResiduals == result.iterations)  // every accepted step
        #expect(result.evaluations == 1 + problem.evaluateWithout + problem.jacobianFromKnownResiduals)
        #expect(result.jacobianEvaluations == 1 + result.iterations)
    }
    /// Rosenbrock with an analytic Jacobian, counting what each evaluation computed.
    final class CountingRosenbrock: LeastSquaresProblem {
        let base = rosenbrock()
        var withJacobian: [[Double]] = [], without: [[Double]] = [], fromKnownResiduals: [[Double]] = []
        var parameterCount: Int { 2 }

        func evaluate(at theta: [Double], jacobian: Bool) throws -> LeastSquaresEvaluation {
            if jacobian { withJacobian.append(theta) } else { without.append(theta) }
            return try base.evaluate(at: theta, jacobian: jacobian)
        }

        func evaluateJacobian(at theta: [Double], residuals: [Double]) throws -> LeastSquaresEvaluation {
            fromKnownResiduals.append(theta)
            return try base.evaluate(at: theta, jacobian: true)
        }
    }

    /// Without Jacobians at trial points, a Jacobian is computed at the start and at each
    /// accepted point only, never at a rejected one; and since the residuals are the same
    /// either way, the run takes the same steps to the same point.
    @Test func trialPointsWithoutJacobiansComputeItOnlyWhereAStepIsAccepted() {
        let withTrialJacobians = CountingRosenbrock(), withoutTrialJacobians = CountingRosenbrock()
        let reference = LevenbergMarquardt().minimize(withTrialJacobians, from: [-1.2, 1], lower: [-2, -2], upper: [2, 2])
        var options = LevenbergMarquardtOptions()
        options.jacobianAtTrialPoints = false
        let result = LevenbergMarquardt(options: options).minimize(withoutTrialJacobians, from: [-1.2, 1], lower: [-2, -2], upper: [2, 2])
        #expect(result.theta.map(\.bitPattern) == reference.theta.map(\.bitPattern))
        #expect(result.iterations == reference.iterations && result.status == reference.status)
        let trials = reference.evaluations - 1
        #expect(trials > reference.iterations, "the run must reject some steps for the test to mean anything")
        #expect(withoutTrialJacobians.withJacobian.count == 1)                              // the start
        #expect(withoutTrialJacobians.without.count == trials)                             // every trial point
        #expect(withoutTrialJacobians.fromKnownResiduals.count == result.iterations)       // accepted points only
        #expect(withoutTrialJacobians.fromKnownResiduals.last == result.theta)
        #expect(result.jacobianEvaluations == 1 + result.iterations)
        #expect(reference.jacobianEvaluations == reference.evaluations)
    }

    /// A linear problem (the model is exact) from a trust radius of 10⁻⁶, 2 away from the
    /// minimiser: the radius doubles once per accepted step, each with a Jacobian, so a plain
    /// run needs about log₂(2/10⁻⁶) ≈ 21 of them; internal doubling grows it within the first
    /// iteration from trial points alone, so the run takes its Gauss–Newton step at once.
    @Test func internalDoublingGrowsASmallRadiusWithoutJacobians() {
        let problem = ClosureProblem(parameterCount: 2, residuals: { t in [t[0] - 1, 2 * (t[1] + 1), t[0] + t[1]] },
                                     jacobian: { _ in Matrix(rowMajor: [[1, 0], [0, 2], [1, 1]]) })
        var options = LevenbergMarquardtOptions()
        options.initialTrustRadius = 1e-6
        options.jacobianAtTrialPoints = false
        let plain = LevenbergMarquardt(options: options).minimize(problem, from: [0, 0], lower: [-5, -5], upper: [5, 5])
        options.internalDoubling = true
        let doubled = LevenbergMarquardt(options: options).minimize(problem, from: [0, 0], lower: [-5, -5], upper: [5, 5])
        // The minimiser of ‖Aθ − b‖: (AᵀA)⁻¹Aᵀb with AᵀA = [[2, 1], [1, 5]], Aᵀb = (1, −4): (1, −1).
        for result in [plain, doubled] {
            #expect(result.status.isConverged)
            #expect(abs(result.theta[0] - 1) < 1e-8 && abs(result.theta[1] + 1) < 1e-8, "\(result.theta)")
        }
        #expect(plain.jacobianEvaluations >= 18, "plain: \(plain.jacobianEvaluations) Jacobians")
        #expect(doubled.jacobianEvaluations <= 4, "doubled: \(doubled.jacobianEvaluations) Jacobians")
        print("From a radius of 1e-6: \(plain.jacobianEvaluations) Jacobians and \(plain.evaluations) evaluations without internal doubling, \(doubled.jacobianEvaluations) and \(doubled.evaluations) with it")
    }

    /// r = θ − 2, plus 10(θ − ½)⁴ beyond θ = ½: the Gauss–Newton model of the start θ = 0 is
    /// exact up to ½ and 7 % off at 0.8, then wrong. From a radius of 0.05, internal doubling
    /// tries 0.1, 0.2, 0.4, 0.8 (each predicted within 10 %), then 1.6, where the objective is
    /// 50 times the start's: the run must take the step to about 0.8 that it kept, not the
    /// doubled one, and not shrink back to the first radius.
    @Test func internalDoublingTakesTheKeptStepWhenTheDoubledOneGainsLess() {
        let problem = ClosureProblem(parameterCount: 1,
                                     residuals: { t in [t[0] - 2 + (t[0] > 0.5 ? 10 * pow(t[0] - 0.5, 4) : 0)] },
                                     jacobian: { t in Matrix(rowMajor: [[1 + (t[0] > 0.5 ? 40 * pow(t[0] - 0.5, 3) : 0)]]) })
        var options = LevenbergMarquardtOptions()
        options.initialTrustRadius = 0.05
        options.jacobianAtTrialPoints = false
        options.internalDoubling = true
        options.maxIterations = 1
        final class Steps: @unchecked Sendable { var all: [TrialStep] = [] }  // one run, one thread
        let steps = Steps()
        let result = LevenbergMarquardt(options: options, trace: { steps.all.append($0) }).minimize(problem, from: [0], lower: [-5], upper: [5])
        #expect(result.iterations == 1 && result.status == .maxIterations)
        // The Moré–Hebden iteration meets each radius to 10 %: 0.8 ± 10 %.
        #expect(result.theta[0] > 0.72 && result.theta[0] < 0.88, "\(result.theta)")
        #expect(result.jacobianEvaluations == 2)   // the start and the step taken
        let radii = steps.all.map(\.radius)
        #expect(radii.count == 6 && radii.last! > 1.5, "radii tried: \(radii)")
    }

    /// r = (θ², C): Gauss–Newton halves θ each step, so from θₖ the predicted reduction is
    /// ½θₖ⁴ and the step leaves ½θₖ⁴/16. The objective-change test fires on the first step
    /// predicting at most the limit L, which leaves an excess ½θ⁴ in (L/256, L/16]. With
    /// C = 100 (½‖r‖² ≈ 5000, like a likelihood's error-model constants) the relative test
    /// at 1e-10 has L = 5e-7, the absolute one at 1e-10 has L = 1e-10.
    @Test func absoluteObjectiveToleranceIgnoresTheConstant() {
        let problem = ClosureProblem(parameterCount: 1, residuals: { t in [t[0] * t[0], 100] },
                                     jacobian: { t in Matrix(rows: 2, columns: 1, columnMajor: [2 * t[0], 0]) })
        var options = LevenbergMarquardtOptions()
        options.gradientTolerance = 0
        let relative = LevenbergMarquardt(options: options).minimize(problem, from: [1], lower: [-2], upper: [2])
        options.objectiveAbsoluteTolerance = 1e-10
        let absolute = LevenbergMarquardt(options: options).minimize(problem, from: [1], lower: [-2], upper: [2])
        func excess(_ r: LeastSquaresResult) -> Double { 0.5 * pow(r.theta[0], 4) }
        #expect(relative.status == .converged(.objectiveChange) && absolute.status == .converged(.objectiveChange))
        #expect(excess(relative) > 5e-7 / 256 && excess(relative) <= 5e-7 / 16 * 1.01, "relative: \(excess(relative))")
        #expect(excess(absolute) > 1e-10 / 256 && excess(absolute) <= 1e-10 / 16 * 1.01, "absolute: \(excess(absolute))")
    }

    /// Dennis & Schnabel's large-residual example (`largeResidualProblem`).
    /// The residuals stay large at the minimum, where Gauss–Newton converges only linearly;
    /// the secant hybrid must reach the same point x* in fewer steps. Near x*
    /// (f ≈ 16.4, f″ ≈ 7.5) objective changes below ε·f are roundoff, so a run can place x
    /// only to √(2ε f / f″) ≈ 3e-8 before its trust region collapses: 1e-7 allowed.
    @Test func secantHybridConvergesFasterOnLargeResiduals() throws {
        let (problem, lo) = largeResidualProblem()
        var options = LevenbergMarquardtOptions()
        options.gradientTolerance = 1e-10
        options.objectiveTolerance = 0
        let gaussNewton = LevenbergMarquardt(options: options).minimize(problem, from: [1], lower: [-5], upper: [5])
        options.localModel = .secantHybrid
        let hybrid = LevenbergMarquardt(options: options).minimize(problem, from: [1], lower: [-5], upper: [5])
        for run in [gaussNewton, hybrid] {
            #expect(run.status.isConverged && abs(run.theta[0] - lo) < 1e-7, "\(run.status) at \(run.theta[0]), x* = \(lo)")
        }
        #expect(hybrid.iterations < gaussNewton.iterations, "hybrid \(hybrid.iterations), Gauss–Newton \(gaussNewton.iterations) iterations")
        print("large residuals: Gauss–Newton \(gaussNewton.iterations) iterations, secant hybrid \(hybrid.iterations)")
    }

    /// The rule alone: no measured error lets every step be evaluated plainly; a measured one
    /// only steps that predict at least ten times (the fraction 0.1) that error.
    @Test func plainTrialResolvesStepsThatPredictTenTimesItsError() {
        func resolves(_ predicted: Double, _ error: Double?) -> Bool {
            LevenbergMarquardtOptions.plainTrialResolves(predicted: predicted, plainError: error, fraction: 0.1)
        }
        #expect(resolves(1e-300, nil))
        #expect(resolves(1e-2, 1e-3) && resolves(1, 0) && resolves(1e-12, 0))
        #expect(!resolves(0.99e-2, 1e-3) && !resolves(1e6, .infinity))
    }

    /// A problem whose plain evaluation (without the Jacobian) is off by ε·u(θ) in its last
    /// residual: u a hash of θ's bits in [−1, 1), as erratic from point to point as the error of
    /// an adaptive ODE solver. The evaluation with the Jacobian is exact, as a simulation with
    /// sensitivities is far more accurate than a plain one in stiff regions.
    struct NoisyPlain: LeastSquaresProblem {
        let base: ClosureProblem
        let epsilon: Double
        var parameterCount: Int { base.parameterCount }

        static func u(_ theta: [Double]) -> Double {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for x in theta { h = (h ^ x.bitPattern) &* 0x100_0000_01b3 }
            h ^= h >> 33
            h = h &* 0xff51_afd7_ed55_8ccd
            h ^= h >> 33
            return Double(h >> 11) / Double(UInt64(1) << 53) * 2 - 1
        }

        func evaluate(at theta: [Double], jacobian: Bool) throws -> LeastSquaresEvaluation {
            var e = try base.evaluate(at: theta, jacobian: jacobian)
            if !jacobian { e.residuals[e.residuals.count - 1] += epsilon * Self.u(theta) }
            return e
        }
    }

    /// Dennis & Schnabel's large-residual problem (`largeResidualProblem`), where Gauss–Newton
    /// converges only linearly, so the last steps gain little each. With its plain evaluations
    /// off by up to ε = 10⁻³ in r₃ (4.33 at the minimum: the objective off by up to 4.3·10⁻³),
    /// the ratio test compares noise once steps predict less than that, and the trust radius
    /// collapses short of x* (within √(2·4.3·10⁻³/f″) ≈ 0.034 of it, f″ ≈ 7.5; 6·10⁻³ here).
    /// With the rule, a trial point whose step predicts less than ten times the error measured
    /// at the current point is evaluated with its (exact) Jacobian, and the run places x* as
    /// the exact problem does: to 10⁻⁷ (`secantHybridConvergesFasterOnLargeResiduals`' bound).
    @Test func noisyPlainEvaluationsSwitchToTrialPointsWithJacobians() {
        let (exact, lo) = largeResidualProblem()
        final class Steps: @unchecked Sendable { var all: [TrialStep] = [] }  // one run, one thread
        func run(_ fraction: Double?) -> (LeastSquaresResult, [TrialStep]) {
            var options = LevenbergMarquardtOptions()
            options.gradientTolerance = 1e-10
            options.objectiveTolerance = 0
            options.jacobianAtTrialPoints = false
            options.plainTrialErrorFraction = fraction
            let steps = Steps()
            let result = LevenbergMarquardt(options: options, trace: { steps.all.append($0) })
                .minimize(NoisyPlain(base: exact, epsilon: 1e-3), from: [1], lower: [-5], upper: [5])
            return (result, steps.all)
        }
        let (noisy, _) = run(nil)
        #expect(abs(noisy.theta[0] - lo) > 1e-5, "the noise must stop the plain run short for the test to mean anything: \(noisy.theta[0]), x* = \(lo)")
        let (ruled, steps) = run(0.1)
        #expect(ruled.status.isConverged && abs(ruled.theta[0] - lo) < 1e-7, "\(ruled.status) at \(ruled.theta[0]), x* = \(lo)")
        #expect(steps.contains(where: \.withJacobian) && steps.contains(where: { !$0.withJacobian }))
        // Each accepted point costs one evaluation beyond its trial point: the Jacobian after a
        // plain trial point, a plain evaluation (the error's measurement) after one with it.
        #expect(ruled.evaluations == 1 + steps.count + ruled.iterations)
        print("noisy plain evaluations (ε = 1e-3): without the rule \(noisy.status) at x* + \(noisy.theta[0] - lo) after \(noisy.iterations) steps; "
              + "with it \(ruled.status) at x* + \(ruled.theta[0] - lo), \(steps.filter(\.withJacobian).count) of \(steps.count) trial points with the Jacobian")
    }

    /// Where the plain evaluation is exact (ε = 0) the measured error is 0, every trial point is
    /// evaluated plainly, and the run is the one without the rule, bit for bit.
    @Test func exactPlainEvaluationsNeverSwitch() {
        var options = LevenbergMarquardtOptions()
        options.jacobianAtTrialPoints = false
        final class Steps: @unchecked Sendable { var all: [TrialStep] = [] }  // one run, one thread
        let steps = Steps()
        let ruled = LevenbergMarquardt(options: options, trace: { steps.all.append($0) })
            .minimize(NoisyPlain(base: rosenbrock(), epsilon: 0), from: [-1.2, 1], lower: [-2, -2], upper: [2, 2])
        options.plainTrialErrorFraction = nil
        let plain = LevenbergMarquardt(options: options).minimize(NoisyPlain(base: rosenbrock(), epsilon: 0), from: [-1.2, 1], lower: [-2, -2], upper: [2, 2])
        #expect(!steps.all.isEmpty && !steps.all.contains(where: \.withJacobian))
        #expect(ruled.theta.map(\.bitPattern) == plain.theta.map(\.bitPattern) && ruled.evaluations == plain.evaluations)
        #expect(ruled.jacobianEvaluations == 1 + ruled.iterations)
    }
}
