public import KinapseUtilities
/// Settings of one bounded Levenberg–Marquardt run. The defaults suit objectives that are
/// negative log-likelihoods in scaled (log10) coordinates.
public struct LevenbergMarquardtOptions: Sendable, Hashable {
    /// Most accepted steps.
    public var maxIterations = 200
    /// Most problem evaluations (`evaluate`, with or without Jacobian, and `evaluateJacobian`).
    public var maxEvaluations = 1000
    /// Converged when maxᵢ min(vᵢ, 1)·|gᵢ| ≤ this, g the gradient of ½‖r‖² and vᵢ the distance
    /// to the bound −gᵢ points to (`BoundScaling.optimality`): ‖g‖∞ away from the bounds, zero
    /// at a point that satisfies the KKT conditions. The objective is an NLL, so the gradient is
    /// in NLL units per scaled unit (per decade for log10 parameters).
    public var gradientTolerance = 1e-8
    /// Converged when a step (or the trust radius) is below `tol · (tol + ‖θ‖)`.
    public var stepTolerance = 1e-10
    /// Converged when both the actual and the predicted relative reduction of the objective
    /// are below this (Moré 1978's `ftol` test).
    public var objectiveTolerance = 1e-10
    /// When set, the objective-change test is absolute instead: both reductions below this,
    /// in objective units. Suits NLLs whose ½‖r‖² carries a large constant (error-model
    /// residuals), which makes a relative test loose in likelihood units.
    public var objectiveAbsoluteTolerance: Double?
    /// When set, a run that has stopped making progress ends early (`RunStatus.stalled`):
    /// see `StagnationTest`. nil: runs continue until a convergence test or a limit.
    public var stagnation: StagnationTest?
    /// Initial trust-region radius in scaled units; nil: a tenth of the box diagonal when the
    /// box is finite, else max(1, ‖θ₀‖).
    public var initialTrustRadius: Double?
    /// Whether trial points are evaluated with their Jacobian. When false, a trial point is
    /// evaluated without one and the Jacobian follows once its step is accepted, as in
    /// MINPACK's `lmder` (function values in the inner loop, the Jacobian once per accepted
    /// step; Moré, Garbow & Hillstrom, User Guide for MINPACK-1, ANL-80-74, 1980): a rejected
    /// step then costs a plain evaluation, an accepted one a plain evaluation more. Pays where
    /// a Jacobian costs many plain evaluations (forward sensitivities: 10–20 on the PEtab
    /// benchmark problems) and steps are often rejected. Finite-difference Jacobians are
    /// computed after acceptance either way.
    public var jacobianAtTrialPoints = true
    /// With `jacobianAtTrialPoints` false: a trial point is evaluated without its Jacobian only
    /// while the error of such an evaluation, measured at the current point as its difference
    /// from the evaluation with the Jacobian there, is at most this fraction of the step's
    /// predicted reduction; else with it (`plainTrialResolves`). A plain ODE simulation can be
    /// far less accurate than one with sensitivities, whose error test also controls the
    /// sensitivities and so takes shorter steps (Fujita's start 1 on the PEtab benchmark: 6380.26
    /// plain, 6381.20 with them, a step's predicted gain 10⁻³; Benchmarks/RESULTS.md), and then
    /// the ratio test compares noise and the trust radius collapses. 0.1: errors up to a tenth
    /// of the prediction at the current and the trial point move ρ by at most 0.2, so a step the
    /// model predicts (ρ ≈ 1) still reads above ¾ and one that gains nothing (ρ ≈ 0) below ¼:
    /// no decision of the trust-region update changes. nil: every trial point plainly.
    public var plainTrialErrorFraction: Double? = 0.1
    /// Internal doubling (Dennis & Schnabel, Numerical Methods for Unconstrained Optimization
    /// and Nonlinear Equations, 1983, Algorithm A6.4.5): when a step that the trust radius held
    /// back gained what the model predicted to within 10 %, and no step of this iteration was
    /// rejected, a step of twice the radius from the same point is tried before the step is
    /// taken, and again while that holds; the last one that gained more is taken, at its radius.
    /// Costs a trial evaluation per doubling, so it suits `jacobianAtTrialPoints` false, where
    /// that is a plain one; it saves the Jacobians of the steps a radius cut after a rejection
    /// takes to grow back. A geodesically accelerated step doubles too: the radius holds back
    /// its velocity.
    public var internalDoubling = false
    /// Failed evaluations in a row (each shrinks the trust region ×¼) before the run ends
    /// as failed.
    public var maxConsecutiveFailures = 5
    /// Singular values of J below this fraction of the largest are dropped from the
    /// Gauss–Newton step (λ = 0), which makes it the minimum-norm step when J is singular.
    public var singularValueCutoff = 1e-12
    /// The quadratic model each step minimises in its trust region.
    public var localModel = LocalModel.gaussNewton
    /// How steps respect the box.
    public var bounds = BoundTreatment.activeSet
    /// A second-order correction of each Gauss–Newton step along the curvature of the
    /// residuals (`StepAcceleration`).
    public var acceleration = StepAcceleration.none
    /// Geodesic acceleration: the largest ‖a‖/‖v‖ (acceleration against velocity) a step may
    /// have; beyond it the second-order expansion is not to be trusted and the step is the
    /// plain Gauss–Newton one. 0.75 against ‖a‖/‖v‖: `avmax` of Transtrum's geodesicLM (its
    /// manual's default; geodesiclm.f90 compares `av` = ‖a‖/‖v‖ in the damping norm with it)
    /// and of GSL's `lmaccel` (multifit_nlinear/trust.c compares `avratio` = ‖a‖/‖v‖).
    public var accelerationLimit = 0.75
    /// Geodesic acceleration: the finite-difference probe θ + h·v for the residuals' second
    /// directional derivative, h as a fraction of the velocity v. 0.1, `h2` of geodesicLM (its
    /// manual's suggestion).
    public var accelerationProbe = 0.1

    public init() {}
}

extension LevenbergMarquardtOptions {
    /// Whether a trial point whose step the model predicts to gain `predicted` may be evaluated
    /// without its Jacobian (`plainTrialErrorFraction`): yes while no error of the plain
    /// evaluation has been measured (`plainError` nil), else when that error is at most
    /// `fraction` of the prediction.
    public static func plainTrialResolves(predicted: Double, plainError: Double?, fraction: Double) -> Bool {
        guard let plainError else { return true }
        return plainError <= fraction * predicted
    }
}

/// Ends a run whose remaining steps cannot change its result by the resolution at which
/// results are compared: after accepted step k ≥ `window`, when even the largest reduction
/// of the last `window` accepted steps, repeated for each of the `maxIterations − k` steps
/// left, would lower the objective by less than `resolution`. The run's end point is then
/// within `resolution` of where it would stop at the iteration limit, unless the objective
/// starts to fall faster than it has for `window` steps (a crawl leaving its valley).
///
/// Two signs that the objective is about to fall faster, where the test does not stop a run:
/// - The step was as long as the trust radius allowed and the model predicted at least a
///   quarter of its reduction (ρ ≥ ¼, `measuresTheRadius`), so the radius was kept or grown:
///   the reduction measures the radius, not the landscape, and the model expects more from
///   a longer step. With ρ between ¼ and ¾ the trust-region update keeps the radius as it is,
///   so such a run can cross a plateau at a fixed small radius for a hundred steps before
///   it falls (Sneyd's best start: 150 steps at a radius of 4·10⁻³ and 2–5·10⁻⁵ per step,
///   then 45 likelihood units in 60 steps; Benchmarks/RESULTS.md). (Earlier only ρ > ¾
///   counted, the objective-change test's exception, after which the radius grows.)
/// - The reductions are rising: the later half of the window gained more than the earlier
///   half, so the recent pace underestimates the next steps'.
///
/// For a multi-start this is the difference between a start that crawls for hundreds of
/// steps at 10⁻⁴ per step and a new start (six starts at the iteration limit took 69 % of
/// a 180-s budget on Borghans, 29 took 40 % on Boehm). The largest rather than the mean
/// reduction of the window keeps a run whose trust radius is growing back (reductions
/// doubling step by step) from being stopped.
public struct StagnationTest: Sendable, Hashable {
    /// Accepted steps whose reductions are compared.
    public var window: Int
    /// Objective units: the change in the result that matters.
    public var resolution: Double

    public init(window: Int, resolution: Double) {
        precondition(window >= 1 && resolution > 0, "a stagnation test needs a window of at least 1 step and a positive resolution")
        self.window = window
        self.resolution = resolution
    }

    /// Whether a run with these reductions (one per accepted step, in order) after
    /// `iterations` accepted steps of at most `maxIterations` has stalled. Not asked after a
    /// step that `measuresTheRadius`.
    public func hasStalled(reductions: ArraySlice<Double>, iterations: Int, maxIterations: Int) -> Bool {
        guard reductions.count >= window, iterations < maxIterations else { return false }
        let recent = reductions.suffix(window)
        guard recent.max()! * Double(maxIterations - iterations) < resolution else { return false }
        let half = window / 2
        return recent.suffix(half).reduce(0, +) <= recent.suffix(2 * half).prefix(half).reduce(0, +)
    }

    /// Whether an accepted step's reduction measures the trust radius rather than the
    /// landscape: the step reached the radius (`atRadius`: its trust-region solution was at
    /// least 0.9 of it) and the model predicted at least a quarter of what it gained, so the
    /// radius is not cut after it.
    public static func measuresTheRadius(atRadius: Bool, ratio: Double) -> Bool {
        atRadius && ratio >= 0.25
    }
}

/// A correction that the trust-region step may add to the Gauss–Newton step.
public enum StepAcceleration: String, Sendable, Hashable, CaseIterable, Codable {
    case none
    /// Geodesic acceleration (Transtrum & Sethna, "Improvements to the Levenberg–Marquardt
    /// algorithm for nonlinear least-squares minimization", arXiv:1201.5885, 2012; Transtrum,
    /// Machta & Sethna, Phys. Rev. E 83:036701, 2011): the Gauss–Newton step v is the
    /// velocity of a path along the model manifold; the acceleration a = −(JᵀJ + λ)⁻¹ Jᵀ r_vv,
    /// with r_vv the residuals' second directional derivative along v from one extra
    /// simulation without sensitivities, bends the step v + ½a along a curved valley instead
    /// of off it, where plain Levenberg–Marquardt crawls with short steps. With the
    /// Gauss–Newton model only (not with the secant term). Where ‖a‖/‖v‖ exceeds
    /// `accelerationLimit`, or v + ½a would leave the box (or need the bounds to change it),
    /// the step is the plain one; Transtrum & Sethna reject such a step instead, which costs
    /// a further evaluation for a shorter one.
    case geodesic
}

/// How the steps of a run respect the bounds.
public enum BoundTreatment: String, Sendable, Hashable, CaseIterable, Codable {
    /// Variables on a bound that −g points out of are held; the step of the others is
    /// projected onto the box or cut at the first bound, whichever the model prefers.
    case activeSet = "active-set"
    /// Coleman & Li's interior reflective trust region (`BoundScaling`), as MATLAB's
    /// `lsqnonlin` and fides: iterates strictly inside, steps scaled by the distance to the
    /// bound the gradient points to, cut or reflected at a bound.
    case reflective
}

/// The Hessian of the quadratic model of ½‖r‖² that a trust-region step minimises.
public enum LocalModel: String, Sendable, Hashable, CaseIterable, Codable {
    /// JᵀJ, the Fisher information of an NLL: Levenberg–Marquardt.
    case gaussNewton = "gauss-newton"
    /// JᵀJ + S, S a structured secant approximation of Σ rᵢ∇²rᵢ, used for a step when it
    /// predicted the last step's reduction better than JᵀJ did (NL2SOL: Dennis, Gay &
    /// Welsch, ACM TOMS 7:348–368, 1981). Helps where residuals stay large at the optimum,
    /// where Gauss–Newton converges only linearly.
    case secantHybrid = "secant-hybrid"
}

/// One trial point of a run, for its trajectory (`LevenbergMarquardt.trace`).
public struct TrialStep: Sendable, Hashable {
    /// Accepted steps before this one.
    public var iteration: Int
    /// ½‖r‖² at the current point.
    public var objective: Double
    /// `BoundScaling.optimality` at the current point.
    public var optimality: Double
    /// Trust radius the step was computed for (bound-scaled units).
    public var radius: Double
    public var kind: StepKind
    /// Whether the model included the secant term.
    public var usesSecant: Bool
    public var scaledStepNorm: Double
    /// ‖θ step‖.
    public var stepNorm: Double
    public var predictedReduction: Double
    /// NaN when the trial point could not be evaluated.
    public var actualReduction: Double
    /// Coordinates of the trial point within 10⁻⁶ of a bound.
    public var nearBounds: Int
    /// Geodesic acceleration: ‖a‖/‖v‖ of the step; NaN without acceleration. Above
    /// `accelerationLimit` the step taken was the plain Gauss–Newton one.
    public var accelerationRatio: Double = .nan
    /// Whether the trial point was evaluated with its Jacobian.
    public var withJacobian = false

    public var ratio: Double { actualReduction / predictedReduction }
}

/// Which candidate a step was (`ScaledQuadraticModel.reflectiveStep`).
public enum StepKind: String, Sendable, Hashable {
    /// The trust-region solution, inside the box.
    case trustRegion = "trust region"
    /// The trust-region solution cut short of (reflective) or at (active set) the first bound it meets.
    case cut
    /// The trust-region solution projected onto the box (active set).
    case projected
    /// The trust-region solution reflected in the first bound it meets.
    case reflected
    /// Along the scaled steepest descent.
    case cauchy
    /// The trust-region solution with its geodesic acceleration (`StepAcceleration.geodesic`).
    case accelerated
    /// The trust-region solution of the free variables with those it pushed out of the box
    /// from their bound held there (active set), taken when the projected and cut steps gain
    /// nothing.
    case boundsHeld = "bounds held"
}

/// Which test ended a converged run.
public enum ConvergenceCriterion: String, Sendable, Hashable, Codable {
    case gradient
    case stepSize = "step size"
    case objectiveChange = "objective change"
}

/// How a run ended.
public enum RunStatus: Sendable, Hashable, Codable, CustomStringConvertible {
    case converged(ConvergenceCriterion)
    case maxIterations
    case maxEvaluations
    /// Ended by the stagnation test (`StagnationTest`): the steps left could not have
    /// changed the objective by the test's resolution at the pace of the recent ones.
    case stalled
    /// Stopped by a `CancellationFlag` (Ctrl-C): `theta` is the best point reached so far.
    case interrupted
    /// The model could not be evaluated (at the start, or too often in a row).
    case failed(reason: String)

    public var isConverged: Bool { if case .converged = self { true } else { false } }
    public var isFailed: Bool { if case .failed = self { true } else { false } }

    public var description: String {
        switch self {
        case let .converged(c): return "converged (\(c.rawValue))"
        case .maxIterations: return "iteration limit"
        case .maxEvaluations: return "evaluation limit"
        case .stalled: return "stalled"
        case .interrupted: return "interrupted"
        case let .failed(reason): return "failed: \(reason)"
        }
    }
}

/// The outcome of one run. For a failed start, `theta` is the last accepted point (the start
/// itself when the first evaluation failed) and `objective` is +∞ when it was never evaluated.
public struct LeastSquaresResult: Sendable, Hashable, Codable {
    /// Final point, scaled coordinates.
    public var theta: [Double]
    /// The objective at `theta` (`LeastSquaresEvaluation.objective`).
    public var objective: Double
    public var residuals: [Double]
    /// ∂r/∂θ at `theta` (nil when the start could not be evaluated).
    public var jacobian: Matrix?
    public var jacobianSource: JacobianSource?
    /// Jᵀr at `theta`.
    public var gradient: [Double]
    /// Accepted steps.
    public var iterations: Int
    /// Problem evaluations (`evaluate` and `evaluateJacobian` calls).
    public var evaluations: Int
    /// Of which with a Jacobian.
    public var jacobianEvaluations: Int
    /// Of which failed (the model could not be evaluated there, or its Jacobian could not):
    /// each cost a simulation and shrank the trust region without a step.
    public var failedEvaluations: Int
    public var status: RunStatus

    /// Whether the run failed because its start point could not be evaluated at all.
    public var failedAtStart: Bool { status.isFailed && jacobian == nil && iterations == 0 }
}

/// Bounded Levenberg–Marquardt in trust-region form (Moré 1978), for ½‖r(θ)‖² on a box,
/// with Coleman & Li's interior, reflective treatment of the bounds (`BoundScaling`,
/// `ScaledQuadraticModel`): the trust-region reflective method of MATLAB's `lsqnonlin`.
///
/// Iterates stay strictly inside the box. Each iteration scales every variable by the
/// square root of its distance to the bound the gradient pushes it to, solves the
/// trust-region subproblem of the scaled Gauss–Newton model (plus Coleman and Li's diagonal
/// bound term) through the SVD of the augmented Jacobian (after a QR, both LAPACK), and
/// when the step leaves the box evaluates the best by the model of the step cut short of
/// the bound, its reflection in the bound, and the Cauchy step. The ratio of actual to
/// predicted reduction accepts the step and adapts Δ. A failed evaluation counts as a
/// rejected step: Δ shrinks ×¼ and the run retries, up to `maxConsecutiveFailures` times
/// in a row.
///
/// The computation is deterministic: the same problem, start and options give the same
/// result bit for bit.
public struct LevenbergMarquardt: Sendable {
    public var options: LevenbergMarquardtOptions
    /// When raised, a run ends before its next evaluation with status `.interrupted`.
    public var cancellation: CancellationFlag?
    /// Called after every trial point (accepted or not): the trajectory, for diagnosing a run.
    public var trace: (@Sendable (TrialStep) -> Void)?

    public init(options: LevenbergMarquardtOptions = LevenbergMarquardtOptions(), cancellation: CancellationFlag? = nil,
                trace: (@Sendable (TrialStep) -> Void)? = nil) {
        self.options = options
        self.cancellation = cancellation
        self.trace = trace
    }

    /// Minimises ½‖r(θ)‖² over `lower ≤ θ ≤ upper` (scaled coordinates; bounds may be
    /// infinite) from `start` (moved into the box first).
    public func minimize(_ problem: some LeastSquaresProblem, from start: [Double],
                         lower: [Double], upper: [Double]) -> LeastSquaresResult {
        let n = problem.parameterCount
        precondition(start.count == n && lower.count == n && upper.count == n,
                     "start and bounds must have \(n) entries")
        var run = Run(problem: problem, options: options, lower: lower, upper: upper, cancellation: cancellation, trace: trace)
        return run.solve(from: start)
    }
}

/// The state of one run.
private struct Run<Problem: LeastSquaresProblem> {
    let problem: Problem
    let options: LevenbergMarquardtOptions
    let lower: [Double]
    let upper: [Double]
    let cancellation: CancellationFlag?
    let trace: (@Sendable (TrialStep) -> Void)?
    var evaluations = 0
    var jacobianEvaluations = 0
    var failedEvaluations = 0
    var residualCount = -1

    init(problem: Problem, options: LevenbergMarquardtOptions, lower: [Double], upper: [Double], cancellation: CancellationFlag?,
         trace: (@Sendable (TrialStep) -> Void)?) {
        self.problem = problem
        self.options = options
        self.lower = lower
        self.upper = upper
        self.cancellation = cancellation
        self.trace = trace
    }

    var isCancelled: Bool { cancellation?.isCancelled ?? false }

    func clamp(_ theta: [Double]) -> [Double] {
        theta.indices.map { min(max(theta[$0], lower[$0]), upper[$0]) }
    }

    /// Evaluates and validates (residual count, finiteness, Jacobian shape), counting the
    /// evaluation and whether it failed. With `knownResiduals`, the problem may reuse them for
    /// the Jacobian; the residuals returned are the problem's (a simulation with sensitivities
    /// computes its own).
    mutating func evaluate(_ theta: [Double], jacobian: Bool, knownResiduals: [Double]? = nil) throws -> LeastSquaresEvaluation {
        evaluations += 1
        if jacobian { jacobianEvaluations += 1 }
        do {
            return try validatedEvaluation(theta, jacobian: jacobian, knownResiduals: knownResiduals)
        } catch {
            failedEvaluations += 1
            throw error
        }
    }

    mutating func validatedEvaluation(_ theta: [Double], jacobian: Bool, knownResiduals: [Double]?) throws -> LeastSquaresEvaluation {
        let e: LeastSquaresEvaluation
        if let knownResiduals {
            e = try problem.evaluateJacobian(at: theta, residuals: knownResiduals)
        } else {
            e = try problem.evaluate(at: theta, jacobian: jacobian)
        }
        if residualCount < 0 { residualCount = e.residuals.count }
        guard e.residuals.count == residualCount else {
            throw EvaluationError.residualCountChanged(expected: residualCount, got: e.residuals.count)
        }
        if let bad = e.residuals.firstIndex(where: { !$0.isFinite }) {
            throw EvaluationError.nonFiniteResidual(index: bad)
        }
        if jacobian {
            guard let j = e.jacobian else { throw EvaluationError.missingJacobian }
            precondition(j.rows == residualCount && j.columns == theta.count,
                         "Jacobian is \(j.rows)×\(j.columns), expected \(residualCount)×\(theta.count)")
            guard j.elements.allSatisfy(\.isFinite) else { throw EvaluationError.nonFiniteJacobian }
        }
        return e
    }

    func result(theta: [Double], at e: LeastSquaresEvaluation?, iterations: Int, status: RunStatus) -> LeastSquaresResult {
        let gradient = e.flatMap { ev in ev.jacobian.map { $0.transposeMultiplied(by: ev.residuals) } } ?? []
        return LeastSquaresResult(
            theta: theta, objective: e?.objective ?? .infinity, residuals: e?.residuals ?? [],
            jacobian: e?.jacobian, jacobianSource: e?.jacobianSource, gradient: gradient,
            iterations: iterations, evaluations: evaluations, jacobianEvaluations: jacobianEvaluations,
            failedEvaluations: failedEvaluations, status: status)
    }

    mutating func solve(from start: [Double]) -> LeastSquaresResult {
        let n = start.count
        var theta = options.bounds == .reflective ? strictlyInside(clamp(start), margin: 1e-10) : clamp(start)
        if isCancelled { return result(theta: theta, at: nil, iterations: 0, status: .interrupted) }
        var current: LeastSquaresEvaluation
        do {
            current = try evaluate(theta, jacobian: true)
        } catch {
            // A problem may stop a long evaluation (a finite-difference gradient) when the run is cancelled.
            if isCancelled { return result(theta: theta, at: nil, iterations: 0, status: .interrupted) }
            return result(theta: theta, at: nil, iterations: 0,
                          status: .failed(reason: "cannot evaluate the start point: \(error)"))
        }
        var radius = options.initialTrustRadius ?? defaultRadius(theta)
        var iterations = 0
        var failuresInARow = 0
        let xtol = options.stepTolerance
        // The secant term S (n × n), and whether the next step uses JᵀJ + S.
        var secant = Matrix(rows: n, columns: n)
        var useSecant = false
        // The objective's reduction at each accepted step, for the stagnation test (its window only).
        var reductions: [Double] = []
        // Whether each trial point's evaluation is chosen by `plainTrialResolves`; then, at the
        // current point, the objective by a plain evaluation (nil at the start), by the one with
        // the Jacobian, and the plain one's error: their difference (nil until measured, +∞
        // where the plain evaluation failed).
        let choosesTrialEvaluations = !options.jacobianAtTrialPoints && options.plainTrialErrorFraction != nil
            && current.jacobianSource != .finiteDifferences
        var plainObjective: Double?
        var jacobianObjective = current.objective
        var plainError: Double?
        // Residuals of an evaluation without the Jacobian at the current point, when one was made:
        // the geodesic probe is such an evaluation, and its difference must be taken from residuals
        // of the same kind (the two kinds differ at the solver's tolerance, which r_vv divides by h²).
        var plainResiduals: [Double]?

        while true {
            let jac = current.jacobian!
            let r = current.residuals
            let f = current.objective
            let g = jac.transposeMultiplied(by: r)
            let curvature = useSecant ? secant : nil
            let rule: StepRule
            do {
                rule = try options.bounds == .reflective
                    ? reflectiveRule(theta: theta, jacobian: jac, residuals: r, gradient: g, curvature: curvature)
                    : activeSetRule(theta: theta, jacobian: jac, residuals: r, gradient: g, curvature: curvature)
            } catch {
                return result(theta: theta, at: current, iterations: iterations,
                              status: .failed(reason: "linear algebra: \(error)"))
            }
            if rule.optimality <= options.gradientTolerance {
                return result(theta: theta, at: current, iterations: iterations, status: .converged(.gradient))
            }
            if iterations >= options.maxIterations {
                return result(theta: theta, at: current, iterations: iterations, status: .maxIterations)
            }
            let wantJacobianAtTrial = options.jacobianAtTrialPoints && current.jacobianSource != .finiteDifferences
            let thetaNorm = norm2(theta)

            // Inner loop: shrink the trust region until a step is accepted.
            // With internal doubling, the last trial point whose reduction the model predicted to
            // 10 %, kept while a step of twice its radius from the same point is tried.
            var kept: TrialPoint?
            var shrunk = false
            while true {
                var secondOrder: [Double]?
                if options.acceleration == .geodesic, let velocity = rule.velocity?(radius) {
                    secondOrder = secondDirectionalDerivative(at: theta, along: velocity, current: current,
                                                             residuals: plainResiduals ?? current.residuals)
                }
                let proposal = rule.propose(radius, secondOrder)
                var point = TrialPoint(proposal, from: theta, radius: radius)
                /// Counts a failed evaluation (the radius shrinks ×¼ around the step); the run's
                /// result once more than `maxConsecutiveFailures` came in a row, with the reason
                /// made from their count.
                func failed(_ reason: (Int) -> String) -> LeastSquaresResult? {
                    failuresInARow += 1
                    if failuresInARow > options.maxConsecutiveFailures {
                        return result(theta: theta, at: current, iterations: iterations, status: .failed(reason: reason(failuresInARow)))
                    }
                    radius = 0.25 * point.scaledStepNorm
                    shrunk = true
                    return nil
                }
                if let k = kept, !(point.predicted > 0) || point.stepNorm == 0 || evaluations >= options.maxEvaluations || isCancelled {
                    // No doubled step to try: take the kept one.
                    point = k
                    radius = k.radius
                } else {
                    if !(point.predicted > 0) || point.stepNorm == 0 {
                        // Nothing to gain inside this radius (roundoff level): shrink.
                        radius = 0.25 * min(radius, max(point.scaledStepNorm, proposal.trustRegionStepNorm))
                        shrunk = true
                        if radius <= xtol * (xtol + thetaNorm) {
                            return result(theta: theta, at: current, iterations: iterations, status: .converged(.stepSize))
                        }
                        continue
                    }
                    if evaluations >= options.maxEvaluations {
                        return result(theta: theta, at: current, iterations: iterations, status: .maxEvaluations)
                    }
                    if isCancelled {
                        return result(theta: theta, at: current, iterations: iterations, status: .interrupted)
                    }
                    var record = TrialStep(iteration: iterations, objective: f, optimality: rule.optimality, radius: radius,
                                           kind: proposal.kind, usesSecant: curvature != nil, scaledStepNorm: point.scaledStepNorm,
                                           stepNorm: point.stepNorm, predictedReduction: point.predicted, actualReduction: .nan,
                                           nearBounds: Self.countNearBounds(point.theta, lower, upper), accelerationRatio: proposal.accelerationRatio)
                    let withJacobian = wantJacobianAtTrial || choosesTrialEvaluations
                        && !LevenbergMarquardtOptions.plainTrialResolves(predicted: point.predicted, plainError: plainError,
                                                                         fraction: options.plainTrialErrorFraction!)
                    record.withJacobian = withJacobian
                    // Objectives compared are those of evaluations of one kind.
                    let reference = choosesTrialEvaluations ? (withJacobian ? jacobianObjective : plainObjective ?? f) : f
                    defer { trace?(record) }
                    do {
                        let e = try evaluate(point.theta, jacobian: withJacobian)
                        failuresInARow = 0
                        point.evaluation = e
                        point.actual = reference - e.objective
                        record.actualReduction = point.actual
                    } catch {
                        if kept == nil {
                            if let end = failed({ "\($0) failed evaluations in a row near the current point; last: \(error)" }) { return end }
                            continue
                        }
                    }
                    if let k = kept, !(point.ratio > 1e-4 && point.actual > k.actual) {
                        // The doubled step gained less than the kept one (or failed): take the kept one
                        // at its radius (Dennis & Schnabel's internal doubling ends there).
                        point = k
                        radius = k.radius
                    } else if options.internalDoubling, !shrunk, point.ratio > 1e-4, proposal.kind == .trustRegion || proposal.kind == .accelerated,
                              point.trustRegionStepNorm >= 0.9 * radius, abs(point.predicted - point.actual) <= 0.1 * abs(point.actual) {
                        // The model predicted this step to 10 % and only the radius held it back: try twice
                        // the radius from the same point before computing a Jacobian here.
                        kept = point
                        radius *= 2
                        continue
                    } else {
                        kept = nil
                        if point.ratio < 0.25 {
                            radius = 0.25 * point.scaledStepNorm
                            shrunk = true
                        } else if point.ratio > 0.75 {
                            radius = max(radius, 2 * point.scaledStepNorm)
                        }
                    }
                }
                let (predicted, actual, ratio) = (point.predicted, point.actual, point.ratio)
                let changeLimit = options.objectiveAbsoluteTolerance ?? options.objectiveTolerance * f
                // A step the trust region cut short while the model predicted it well (ρ > ¾) gains
                // little because the radius is small, not because the landscape is flat: the radius
                // grows on the next step, so its small change is no sign of convergence. (On Weber,
                // 13 of 15 starts stopped that way with a gradient of 0.005–1.7 per decade.)
                let radiusBound = point.trustRegionStepNorm >= 0.9 * point.radius && ratio > 0.75
                let objectiveChangeSmall = changeLimit > 0 && abs(actual) <= changeLimit && predicted <= changeLimit && ratio <= 2
                    && !radiusBound
                if ratio > 1e-4 {
                    kept = nil
                    var candidate = point.evaluation
                    // The new point's objective by either kind of evaluation, when a trial point's is chosen.
                    var objectives: (plain: Double?, jacobian: Double) = (nil, candidate.objective)
                    var acceptedPlainResiduals: [Double]?
                    if candidate.jacobian == nil {
                        if evaluations >= options.maxEvaluations {
                            return result(theta: theta, at: current, iterations: iterations, status: .maxEvaluations)
                        }
                        do {
                            let e = try evaluate(point.theta, jacobian: true, knownResiduals: candidate.residuals)
                            objectives = (candidate.objective, e.objective)
                            acceptedPlainResiduals = candidate.residuals
                            // The residuals the step was accepted on, with the Jacobian.
                            candidate = LeastSquaresEvaluation(residuals: candidate.residuals, jacobian: e.jacobian, jacobianSource: e.jacobianSource,
                                                               objectiveOffset: candidate.objectiveOffset)
                        } catch {
                            // The point is fine but its Jacobian is not: treat as a failure here.
                            if let end = failed({ _ in "Jacobian evaluation failed: \(error)" }) { return end }
                            continue
                        }
                    } else if choosesTrialEvaluations, evaluations < options.maxEvaluations {
                        // Evaluated with its Jacobian as the plain error was too large: measure that error here.
                        let plain = try? evaluate(point.theta, jacobian: false)
                        (objectives.plain, acceptedPlainResiduals) = (plain?.objective, plain?.residuals)
                    }
                    if choosesTrialEvaluations {
                        (plainObjective, jacobianObjective) = objectives
                        plainError = objectives.plain.map { abs($0 - objectives.jacobian) } ?? .infinity
                    }
                    if options.localModel == .secantHybrid {
                        // Which model predicted this step better (with the S it was taken under) picks the next one.
                        let gaussNewton = predictedReduction(point.step, jacobian: jac, gradient: g, curvature: nil)
                        let augmented = predictedReduction(point.step, jacobian: jac, gradient: g, curvature: secant)
                        useSecant = abs(actual - augmented) < abs(actual - gaussNewton)
                        secant = Self.updatedSecant(secant, step: point.step, oldJacobian: jac, oldGradient: g, new: candidate)
                    }
                    theta = point.theta
                    current = candidate
                    plainResiduals = acceptedPlainResiduals
                    iterations += 1
                    if objectiveChangeSmall {
                        return result(theta: theta, at: current, iterations: iterations, status: .converged(.objectiveChange))
                    }
                    if point.stepNorm <= xtol * (xtol + norm2(theta)) {
                        return result(theta: theta, at: current, iterations: iterations, status: .converged(.stepSize))
                    }
                    if let stagnation = options.stagnation {
                        reductions.append(actual)
                        if reductions.count > stagnation.window { reductions.removeFirst() }
                        let atRadius = point.trustRegionStepNorm >= 0.9 * point.radius
                        if !StagnationTest.measuresTheRadius(atRadius: atRadius, ratio: ratio),
                           stagnation.hasStalled(reductions: reductions[...], iterations: iterations, maxIterations: options.maxIterations) {
                            return result(theta: theta, at: current, iterations: iterations, status: .stalled)
                        }
                    }
                    break
                }
                if objectiveChangeSmall {
                    return result(theta: theta, at: current, iterations: iterations, status: .converged(.objectiveChange))
                }
                if radius <= xtol * (xtol + thetaNorm) {
                    return result(theta: theta, at: current, iterations: iterations, status: .converged(.stepSize))
                }
            }
        }
    }

    /// The active-set step rule: variables on a bound that −g points out of are held, the
    /// trust-region step of the others (in θ, Moré 1978) is projected onto the box or cut at
    /// the first bound, whichever the model prefers.
    ///
    /// A free variable on a bound (−g points inside) may still be pushed out of the box by
    /// the step, whose direction also follows the correlations in JᵀJ. Projected, such a
    /// step can predict no reduction, and cut at that bound it is empty; shrinking the
    /// radius until the step turns inside (what the run does with a step that gains nothing)
    /// cost Weber's starts a factor 64 of radius every five or six steps. Instead, those
    /// variables are held as well and the step of the rest is solved again at the same radius
    /// (`StepKind.boundsHeld`): a bound that blocks the step at zero length joins the working
    /// set, as in a primal active-set method for quadratic programs (Nocedal & Wright,
    /// Numerical Optimization, 2nd ed., 2006, §16.5). Only where the usual step gains nothing,
    /// so that every other step is the same as before.
    func activeSetRule(theta: [Double], jacobian jac: Matrix, residuals r: [Double], gradient g: [Double],
                       curvature: Matrix?) throws(LinearAlgebraError) -> StepRule {
        var free: [Int] = []
        var projectedGradientNorm = 0.0
        for i in theta.indices {
            let held = (theta[i] <= lower[i] && g[i] > 0) || (theta[i] >= upper[i] && g[i] < 0)
            if !held {
                free.append(i)
                projectedGradientNorm = max(projectedGradientNorm, abs(g[i]))
            }
        }
        let cutoff = options.singularValueCutoff
        /// The trust-region subproblem of the variables `active`, and (Gauss–Newton model) its least-squares form.
        func subproblems(_ active: [Int]) throws(LinearAlgebraError) -> (any StepSubproblem, TrustRegionSubproblem?) {
            if let curvature {
                return (try SymmetricTrustRegionSubproblem(hessian: Self.freeHessian(jac, curvature, active), gradient: active.map { g[$0] }), nil)
            }
            let leastSquares = try TrustRegionSubproblem(jacobian: jac.selectingColumns(active), residuals: r, cutoff: cutoff)
            return (leastSquares, leastSquares)
        }
        let (subproblem, leastSquares) = try subproblems(free)
        func onAll(_ pActive: [Double], _ active: [Int]) -> [Double] {
            var p = Array(repeating: 0.0, count: theta.count)
            for (k, i) in active.enumerated() { p[i] = pActive[k] }
            return p
        }
        func pushedOut(_ p: [Double], _ active: [Int]) -> [Int] {
            active.filter { (theta[$0] <= lower[$0] && p[$0] < 0) || (theta[$0] >= upper[$0] && p[$0] > 0) }
        }
        /// The step with every variable it pushes out of the box from a bound held, or nil when it pushes none out.
        func holdingPushedOut(_ p: [Double], radius: Double) -> StepProposal? {
            var active = free, p = p
            var blocked = pushedOut(p, active)
            guard !blocked.isEmpty else { return nil }
            while !blocked.isEmpty {
                active.removeAll { blocked.contains($0) }
                guard !active.isEmpty, let reduced = try? subproblems(active).0 else { return nil }
                p = onAll(reduced.step(radius: radius), active)
                blocked = pushedOut(p, active)
            }
            let (trial, step, predicted, _) = bestFeasibleStep(theta: theta, p: p, jacobian: jac, gradient: g, curvature: curvature)
            return StepProposal(trial: trial, scaledStepNorm: norm2(step), trustRegionStepNorm: norm2(p),
                                predictedReduction: predicted, kind: .boundsHeld)
        }
        let limit = options.accelerationLimit
        return StepRule(optimality: projectedGradientNorm, velocity: leastSquares.map { ls in { (radius: Double) -> [Double] in onAll(ls.step(radius: radius), free) } }) { radius, secondOrder in
            var pFree: [Double], accelerationRatio = Double.nan
            if let secondOrder, let ls = leastSquares {
                let geodesic = ls.geodesicStep(radius: radius, secondOrderGradient: free.map { secondOrder[$0] })
                accelerationRatio = geodesic.ratio
                let velocity = onAll(geodesic.velocity, free)
                if geodesic.ratio <= limit {
                    let acceleration = onAll(geodesic.acceleration, free)
                    let trial = theta.indices.map { theta[$0] + velocity[$0] + 0.5 * acceleration[$0] }
                    if trial.indices.allSatisfy({ trial[$0] >= lower[$0] && trial[$0] <= upper[$0] }) {
                        return StepProposal(accelerated: trial, velocityNorm: norm2(velocity),
                                            predictedReduction: predictedReduction(velocity, jacobian: jac, gradient: g, curvature: nil), ratio: geodesic.ratio)
                    }
                }
                pFree = geodesic.velocity   // beyond the limit, or the bounds would change the step: plain Gauss–Newton
            } else {
                pFree = subproblem.step(radius: radius)
            }
            let p = onAll(pFree, free)
            let (trial, step, predicted, kind) = bestFeasibleStep(theta: theta, p: p, jacobian: jac, gradient: g, curvature: curvature)
            if !(predicted > 0) || norm2(step) == 0, let held = holdingPushedOut(p, radius: radius), held.predictedReduction > 0 {
                return held
            }
            return StepProposal(trial: trial, scaledStepNorm: norm2(step), trustRegionStepNorm: norm2(p),
                                predictedReduction: predicted, kind: kind, accelerationRatio: accelerationRatio)
        }
    }

    /// The reflective step rule (`BoundScaling`, `ScaledQuadraticModel`).
    func reflectiveRule(theta: [Double], jacobian jac: Matrix, residuals r: [Double], gradient g: [Double],
                        curvature: Matrix?) throws(LinearAlgebraError) -> StepRule {
        let n = theta.count
        let scaling = BoundScaling(theta: theta, gradient: g, lower: lower, upper: upper)
        let model = ScaledQuadraticModel(jacobian: jac, gradient: g, scaling: scaling, secant: curvature)
        let subproblem: any StepSubproblem
        var leastSquares: TrustRegionSubproblem?
        if curvature != nil {
            subproblem = try SymmetricTrustRegionSubproblem(hessian: model.hessian, gradient: model.gradient)
        } else {
            leastSquares = try TrustRegionSubproblem(jacobian: model.augmentedJacobian,
                                                     residuals: r + Array(repeating: 0, count: n),
                                                     cutoff: options.singularValueCutoff)
            subproblem = leastSquares!
        }
        // How close to a bound a step may go: closer as the iterate nears optimality
        // (Coleman & Li 1996 need the fraction → 1 for their fast local convergence).
        let stepBack = max(0.995, 1 - scaling.optimality)
        let limit = options.accelerationLimit
        let velocity = leastSquares.map { ls in { (radius: Double) -> [Double] in model.unscaled(ls.step(radius: radius)) } }
        return StepRule(optimality: scaling.optimality, velocity: velocity) { radius, secondOrder in
            var p: [Double], accelerationRatio = Double.nan
            if let secondOrder, let ls = leastSquares {
                // The augmented matrix [J D; C^½] with residuals [r_vv; 0]: the right-hand side D Jᵀ r_vv.
                let geodesic = ls.geodesicStep(radius: radius, secondOrderGradient: model.unscaled(secondOrder))
                accelerationRatio = geodesic.ratio
                if geodesic.ratio <= limit {
                    let step = model.unscaled(zip(geodesic.velocity, geodesic.acceleration).map { $0 + 0.5 * $1 })
                    let trial = zip(theta, step).map { $0 + $1 }
                    if trial.indices.allSatisfy({ trial[$0] > lower[$0] && trial[$0] < upper[$0] }) {
                        return StepProposal(accelerated: trial, velocityNorm: norm2(geodesic.velocity),
                                            predictedReduction: -model.value(geodesic.velocity), ratio: geodesic.ratio)
                    }
                }
                p = geodesic.velocity   // beyond the limit, or the step would leave the box: plain Gauss–Newton
            } else {
                p = subproblem.step(radius: radius)
            }
            let chosen = model.reflectiveStep(p, theta: theta, lower: lower, upper: upper, radius: radius, stepBack: stepBack)
            let trial = strictlyInside(clamp(zip(theta, chosen.step).map { $0 + $1 }), margin: 0)
            return StepProposal(trial: trial, scaledStepNorm: norm2(chosen.scaledStep), trustRegionStepNorm: norm2(p),
                                predictedReduction: chosen.predictedReduction, kind: chosen.kind, accelerationRatio: accelerationRatio)
        }
    }

    /// Jᵀ r_vv at θ, r_vv the residuals' second directional derivative along the velocity v
    /// by the finite difference (2/h)·((r(θ + h v) − r(θ))/h − J v) (Transtrum & Sethna
    /// 2012): one simulation without sensitivities, r(θ) = `residuals`. nil when the probe
    /// point leaves the box or cannot be evaluated (the step is then plain Gauss–Newton), or
    /// no evaluation is left.
    mutating func secondDirectionalDerivative(at theta: [Double], along v: [Double], current: LeastSquaresEvaluation,
                                              residuals r: [Double]) -> [Double]? {
        let h = options.accelerationProbe
        let probe = theta.indices.map { theta[$0] + h * v[$0] }
        guard let jac = current.jacobian, norm2(v) > 0, !isCancelled, evaluations < options.maxEvaluations,
              probe.indices.allSatisfy({ probe[$0] >= lower[$0] && probe[$0] <= upper[$0] }),
              let shifted = try? evaluate(probe, jacobian: false) else { return nil }
        let jv = jac.multiplied(by: v)
        let rvv = r.indices.map { i in 2 / h * ((shifted.residuals[i] - r[i]) / h - jv[i]) }
        return jac.transposeMultiplied(by: rvv)
    }

    /// (JᵀJ + S) restricted to the free variables.
    static func freeHessian(_ jacobian: Matrix, _ secant: Matrix, _ free: [Int]) -> Matrix {
        var h = jacobian.selectingColumns(free).gram
        for (a, i) in free.enumerated() { for (b, j) in free.enumerated() { h[a, b] += secant[i, j] } }
        return h
    }

    /// Of the projected step clamp(θ + p) and the step truncated at the first bound, the one
    /// with the larger predicted reduction (`predictedReduction`). Returns the trial point,
    /// the step and its predicted reduction.
    func bestFeasibleStep(theta: [Double], p: [Double], jacobian: Matrix, gradient: [Double], curvature: Matrix?)
        -> (trial: [Double], step: [Double], predicted: Double, kind: StepKind) {
        func predicted(_ s: [Double]) -> Double { predictedReduction(s, jacobian: jacobian, gradient: gradient, curvature: curvature) }
        let projected = clamp(zip(theta, p).map { $0 + $1 })
        let projectedStep = zip(projected, theta).map { $0 - $1 }
        var fraction = 1.0
        var blocking = -1
        for i in p.indices where p[i] != 0 {
            let room = p[i] > 0 ? upper[i] - theta[i] : lower[i] - theta[i]
            if room / p[i] < fraction {
                fraction = room / p[i]
                blocking = i
            }
        }
        let projectedReduction = predicted(projectedStep)
        guard blocking >= 0 else { return (projected, projectedStep, projectedReduction, .trustRegion) }
        var truncated = clamp(theta.indices.map { theta[$0] + fraction * p[$0] })
        // Exactly on the bound (not an ulp inside), so the next iteration can hold it there.
        truncated[blocking] = p[blocking] > 0 ? upper[blocking] : lower[blocking]
        let truncatedStep = zip(truncated, theta).map { $0 - $1 }
        let truncatedReduction = predicted(truncatedStep)
        if truncatedReduction > projectedReduction {
            return (truncated, truncatedStep, truncatedReduction, .cut)
        }
        return (projected, projectedStep, projectedReduction, .projected)
    }

    /// Coordinates within 10⁻⁶ scaled units of a bound.
    static func countNearBounds(_ theta: [Double], _ lower: [Double], _ upper: [Double]) -> Int {
        theta.indices.filter { theta[$0] - lower[$0] < 1e-6 || upper[$0] - theta[$0] < 1e-6 }.count
    }

    /// θ with every coordinate on a bound moved inside the box: by `margin`·max(1, |bound|)
    /// (at most half the width), or by one ulp when `margin` is 0. Coleman and Li's
    /// iterates stay strictly inside, where the scaling of every variable is positive.
    func strictlyInside(_ theta: [Double], margin: Double) -> [Double] {
        theta.indices.map { i in
            let lo = lower[i], hi = upper[i], x = theta[i]
            guard lo < hi, x <= lo || x >= hi else { return x }
            let towardsInside = x <= lo ? 1.0 : -1.0
            let bound = x <= lo ? lo : hi
            if margin == 0 { return x <= lo ? bound.nextUp : bound.nextDown }
            let offset = min(margin * max(1, abs(bound)), 0.5 * (hi - lo))
            return bound + towardsInside * offset
        }
    }

    func defaultRadius(_ theta: [Double]) -> Double {
        let widths = zip(lower, upper).map { $1 - $0 }
        if widths.allSatisfy(\.isFinite) {
            let diagonal = norm2(widths)
            if diagonal > 0 { return 0.1 * diagonal }
        }
        return max(1, norm2(theta))
    }

    /// The reduction the model predicts for step s: −(gᵀs + ½‖Js‖² + ½ sᵀSs), S the secant
    /// term when the model has one.
    func predictedReduction(_ s: [Double], jacobian: Matrix, gradient: [Double], curvature: Matrix?) -> Double {
        let js = jacobian.multiplied(by: s)
        var gs = 0.0
        for i in s.indices { gs += gradient[i] * s[i] }
        var sss = 0.0
        if let curvature { sss = zip(s, curvature.multiplied(by: s)).reduce(0) { $0 + $1.0 * $1.1 } }
        return -(gs + halfSquaredNorm(js) + 0.5 * sss)
    }

    /// The structured secant update of NL2SOL (Dennis, Gay & Welsch 1981, §3): after the step
    /// s, with y = J₊ᵀr₊ − Jᵀr (the gradient's change) and y# = J₊ᵀr₊ − Jᵀr₊ (the change
    /// that S must explain), S is first sized by min(1, |sᵀy#| / |sᵀSs|), then updated so that
    /// S₊s = y#: S₊ = S + (w yᵀ + y wᵀ)/(yᵀs) − (wᵀs) y yᵀ/(yᵀs)², w = y# − S s. Without
    /// positive curvature (yᵀs ≤ 0) S is kept.
    static func updatedSecant(_ secant: Matrix, step s: [Double], oldJacobian: Matrix, oldGradient: [Double],
                              new: LeastSquaresEvaluation) -> Matrix {
        guard let newJacobian = new.jacobian else { return secant }
        let newGradient = newJacobian.transposeMultiplied(by: new.residuals)
        let oldJacobianNewResiduals = oldJacobian.transposeMultiplied(by: new.residuals)
        let y = zip(newGradient, oldGradient).map { $0 - $1 }
        let ySharp = zip(newGradient, oldJacobianNewResiduals).map { $0 - $1 }
        let ys = dot(y, s)
        guard ys > 0 else { return secant }
        var out = secant
        let sSs = dot(s, secant.multiplied(by: s))
        if sSs != 0 {
            let size = min(1, abs(dot(s, ySharp)) / abs(sSs))
            for k in out.elements.indices { out.elements[k] *= size }
        }
        let w = zip(ySharp, out.multiplied(by: s)).map { $0 - $1 }
        let ws = dot(w, s)
        let n = s.count
        for j in 0..<n {
            for i in 0..<n {
                out[i, j] += (w[i] * y[j] + y[i] * w[j]) / ys - ws * y[i] * y[j] / (ys * ys)
            }
        }
        return out
    }
}

/// A trial point of the inner loop: the step to it, what the model predicted for it and what
/// it gained; kept as a whole while internal doubling tries a longer step from the same point.
private struct TrialPoint {
    /// The point, and the step to it from the current one.
    var theta, step: [Double]
    /// ‖step‖, its norm in the trust radius' units, and the trust-region solution's before the bounds changed it.
    var stepNorm, scaledStepNorm, trustRegionStepNorm: Double
    /// The reduction the model predicted, and the trust radius the step was computed for.
    var predicted, radius: Double
    /// The evaluation at `theta`: no residuals until evaluated, nor when that failed.
    var evaluation = LeastSquaresEvaluation(residuals: [])
    /// The objective's reduction; NaN until evaluated, or when that failed.
    var actual = Double.nan
    var ratio: Double { actual / predicted }

    init(_ proposal: StepProposal, from theta: [Double], radius: Double) {
        self.theta = proposal.trial
        step = zip(proposal.trial, theta).map { $0 - $1 }
        stepNorm = norm2(step)
        scaledStepNorm = proposal.scaledStepNorm
        trustRegionStepNorm = proposal.trustRegionStepNorm
        predicted = proposal.predictedReduction
        self.radius = radius
    }
}

/// What one iteration's bound treatment offers the trust-region loop.
struct StepRule {
    /// First-order optimality at the current point (0 at a KKT point).
    let optimality: Double
    /// The Gauss–Newton trust-region step in θ for a radius, before the bounds change it: the
    /// velocity of geodesic acceleration. nil when the model is not Gauss–Newton's.
    let velocity: ((Double) -> [Double])?
    /// The step for a trust radius; with the second-order gradient Jᵀ r_vv (θ coordinates),
    /// geodesically accelerated.
    let propose: (_ radius: Double, _ secondOrder: [Double]?) -> StepProposal
}

struct StepProposal {
    /// The point to evaluate, inside the box.
    let trial: [Double]
    /// Norm of the step in the units of the trust radius.
    let scaledStepNorm: Double
    /// Norm of the trust-region subproblem's solution before the bounds changed it.
    let trustRegionStepNorm: Double
    let predictedReduction: Double
    let kind: StepKind
    /// ‖a‖/‖v‖ when the step was computed with geodesic acceleration, else NaN.
    var accelerationRatio = Double.nan
}

extension StepProposal {
    /// A geodesically accelerated step θ + v + ½a inside the box. The trust region and the
    /// ratio ρ judge it by its velocity v: the acceleration exists to make the actual residuals
    /// follow the velocity's linear prediction r + J v along a curved valley, so that
    /// prediction is the one to compare the actual reduction with, and ‖v‖ is what the radius
    /// measured. (Against the Gauss–Newton prediction of v + ½a itself, ρ penalises the very
    /// bend the acceleration adds.)
    init(accelerated trial: [Double], velocityNorm: Double, predictedReduction: Double, ratio: Double) {
        self.init(trial: trial, scaledStepNorm: velocityNorm, trustRegionStepNorm: velocityNorm,
                  predictedReduction: predictedReduction, kind: .accelerated, accelerationRatio: ratio)
    }
}

/// A trust-region subproblem: the step of the quadratic model within a radius.
protocol StepSubproblem {
    func step(radius: Double) -> [Double]
}

/// min gᵀp + ½ pᵀHp subject to ‖p‖ ≤ Δ for a symmetric H that may be indefinite, through
/// H = V diag(e) Vᵀ: p(λ) = −V (e + λ)⁻¹ Vᵀg with λ ≥ max(0, −e_min) (Moré & Sorensen,
/// SIAM J. Sci. Stat. Comput. 4:553–572, 1983). The Newton step when H is positive
/// definite and it fits; else ‖p(λ)‖ ≈ Δ (to 10 %, as `TrustRegionSubproblem`); in the
/// hard case (g has no weight on the lowest eigenvector) the lowest eigenvector fills
/// the step up to Δ.
struct SymmetricTrustRegionSubproblem: StepSubproblem {
    let eigenvalues: [Double]
    let v: Matrix
    /// Vᵀg
    let projected: [Double]

    init(hessian: Matrix, gradient: [Double]) throws(LinearAlgebraError) {
        let e = try SymmetricEigendecomposition(of: hessian)
        eigenvalues = e.eigenvalues
        v = e.vectors
        projected = v.transposeMultiplied(by: gradient)
    }

    private func norm(_ lambda: Double) -> (norm: Double, derivative: Double) {
        var sq = 0.0, d = 0.0
        for k in eigenvalues.indices {
            let denom = eigenvalues[k] + lambda
            let c = projected[k] / denom
            sq += c * c
            d -= c * c / denom
        }
        let norm = sq.squareRoot()
        return (norm, norm > 0 ? d / norm : 0)
    }

    private func coefficients(_ lambda: Double) -> [Double] {
        eigenvalues.indices.map { k in
            let denom = eigenvalues[k] + lambda
            return denom > 0 ? -projected[k] / denom : 0
        }
    }

    func step(radius: Double) -> [Double] {
        guard let lowest = eigenvalues.first else { return [] }
        let scale = max(abs(lowest), abs(eigenvalues.last!), .leastNormalMagnitude)
        if lowest > 1e-12 * scale, norm(0).norm <= 1.1 * radius { return v.multiplied(by: coefficients(0)) }
        let floor = max(0, -lowest) + 1e-12 * scale
        let (atFloor, _) = norm(floor)
        if atFloor < radius {
            // Hard case: the rest of the step along the lowest eigenvector.
            var c = coefficients(floor)
            c[0] = 0
            let rest = c.reduce(0) { $0 + $1 * $1 }
            c[0] = -((radius * radius - rest).squareRoot()) * (projected[0] > 0 ? 1 : -1)
            return v.multiplied(by: c)
        }
        let gradientNorm = projected.reduce(0) { $0 + $1 * $1 }.squareRoot()
        var lo = floor, hi = floor + gradientNorm / radius, lambda = floor
        for _ in 0..<60 {
            let (pn, dp) = norm(lambda)
            if abs(pn - radius) <= 0.1 * radius { break }
            if pn > radius { lo = max(lo, lambda) } else { hi = min(hi, lambda) }
            var next = dp < 0 ? lambda + (1 / pn - 1 / radius) * pn * pn / dp : .nan
            if !(next > lo && next < hi) { next = 0.5 * (lo + hi) }
            lambda = next
        }
        return v.multiplied(by: coefficients(lambda))
    }
}

/// min ‖J p + r‖ subject to ‖p‖ ≤ Δ through the SVD J = U S Vᵀ: p(λ) = −V (S² + λ)⁻¹ S Uᵀ r,
/// with λ ≥ 0 found so that ‖p(λ)‖ ≈ Δ (Moré–Hebden iteration on 1/‖p‖, Moré 1978 §5),
/// or λ = 0 when the Gauss–Newton step already fits.
struct TrustRegionSubproblem: StepSubproblem {
    let singularValues: [Double]
    /// (Uᵀ r)_k · s_k
    let weights: [Double]
    let v: Matrix          // n × k
    let kept: Int          // singular values above the cutoff (used at λ = 0)
    let gradientNorm: Double

    init(jacobian: Matrix, residuals r: [Double], cutoff: Double) throws(LinearAlgebraError) {
        let m = jacobian.rows, n = jacobian.columns
        let svd: SingularValueDecomposition
        let projected: [Double]
        if m >= n && n > 0 {
            // QR first: the SVD then works on the small n × n factor R.
            let qr = try QRFactorization(of: jacobian)
            let qtr = try qr.applyingQTranspose(to: r)
            svd = try SingularValueDecomposition(of: qr.r)
            projected = svd.u.transposeMultiplied(by: Array(qtr[0..<n]))
        } else {
            svd = try SingularValueDecomposition(of: jacobian)
            projected = svd.u.transposeMultiplied(by: r)
        }
        singularValues = svd.singularValues
        weights = zip(projected, singularValues).map { $0 * $1 }
        v = svd.vt.transposed
        let smax = singularValues.first ?? 0
        kept = singularValues.filter { $0 > cutoff * smax }.count
        gradientNorm = norm2(weights)   // ‖Jᵀr‖ = ‖S Uᵀ r‖
    }

    private func coefficients(_ lambda: Double) -> [Double] {
        singularValues.indices.map { k in
            if lambda == 0 && k >= kept { return 0 }
            return -weights[k] / (singularValues[k] * singularValues[k] + lambda)
        }
    }

    private func norms(_ lambda: Double) -> (norm: Double, derivative: Double) {
        var sq = 0.0, d = 0.0
        for k in singularValues.indices {
            if lambda == 0 && k >= kept { continue }
            let denom = singularValues[k] * singularValues[k] + lambda
            let c = weights[k] / denom
            sq += c * c
            d -= c * c / denom
        }
        let norm = sq.squareRoot()
        return (norm, norm > 0 ? d / norm : 0)   // d‖p‖/dλ
    }

    func step(radius: Double) -> [Double] {
        step(lambda: lambda(radius: radius))
    }

    func step(lambda: Double) -> [Double] {
        v.multiplied(by: coefficients(lambda))
    }

    /// The minimiser of hᵀp + ½pᵀ(JᵀJ + λ)p: −V (S² + λ)⁻¹ Vᵀh (on the kept singular values
    /// at λ = 0). For h = Jᵀr it is `step(lambda:)`; for h = Jᵀr_vv, the geodesic acceleration.
    func step(lambda: Double, gradient h: [Double]) -> [Double] {
        let projected = v.transposeMultiplied(by: h)
        return v.multiplied(by: singularValues.indices.map { k in
            if lambda == 0 && k >= kept { return 0 }
            return -projected[k] / (singularValues[k] * singularValues[k] + lambda)
        })
    }

    /// Geodesic acceleration (Transtrum & Sethna 2012): the velocity v (the
    /// trust-region step for `radius`), the acceleration a for the same λ from the
    /// second-order gradient Jᵀr_vv, and ‖a‖/‖v‖.
    func geodesicStep(radius: Double, secondOrderGradient: [Double]) -> (velocity: [Double], acceleration: [Double], ratio: Double) {
        let lambda = lambda(radius: radius)
        let velocity = step(lambda: lambda)
        let acceleration = step(lambda: lambda, gradient: secondOrderGradient)
        let velocityNorm = norm2(velocity)
        return (velocity, acceleration, velocityNorm > 0 ? norm2(acceleration) / velocityNorm : .infinity)
    }

    func lambda(radius: Double) -> Double {
        let (n0, _) = norms(0)
        if n0 <= 1.1 * radius { return 0 }
        var lo = 0.0
        var hi = gradientNorm / radius   // ‖p(λ)‖ ≤ ‖Jᵀr‖/λ ≤ Δ there
        var lambda = 0.0
        for _ in 0..<40 {
            let (pn, dp) = norms(lambda)
            if abs(pn - radius) <= 0.1 * radius { return lambda }
            if pn > radius { lo = max(lo, lambda) } else { hi = min(hi, lambda) }
            // Newton on ψ(λ) = 1/‖p‖ − 1/Δ, nearly linear in λ.
            var next = dp < 0 ? lambda + (1 / pn - 1 / radius) * pn * pn / dp : .nan
            if !(next > lo && next < hi) {
                next = lo > 0 ? (lo * hi).squareRoot() : 1e-3 * hi
                if !(next > lo && next < hi) { next = 0.5 * (lo + hi) }
            }
            lambda = next
        }
        return lambda
    }
}
