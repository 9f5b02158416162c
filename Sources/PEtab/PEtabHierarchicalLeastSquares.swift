public import Optimization
public import SourceDiagnostics
import Foundation

/// A PEtab problem whose scaling and noise parameters (`PEtabHierarchy`) are solved for in
/// closed form inside every evaluation, as least squares in the other estimated parameters'
/// scaled coordinates θ_o (the outer ones).
///
/// At θ_o the conditions are simulated once with every profiled scaling set to 1, which
/// gives h and ∂h/∂θ_o; then ŝ, then σ̂ (in that order: ŝ does not depend on σ̂, see
/// `PEtabHierarchy`), and `PEtabLeastSquares`' residuals at the full point, without an
/// error-model residual for the profiled σ. Then
/// - objective: ½‖r‖² + Σ ln σ̂ over the measurements with a profiled σ (the evaluation's
///   `objectiveOffset`), which is −(llh + log prior) up to a constant;
/// - Jacobian: ∂r/∂θ_o with ŝ and σ̂ held fixed. By the envelope theorem Jᵀr is the
///   gradient of the profiled objective, both where an inner optimum is interior (its partial
///   derivative vanishes) and where it is clipped to a bound (it stays there nearby);
/// - curvature: the rows of each interior ŝ's measurements are projected off its column
///   c = ∂r/∂s, J̃ = J − c (cᵀJ)/(cᵀc) (variable projection, Golub & Pereyra 1973, with
///   Kaufman's approximation, BIT 15:49, 1975). Since cᵀr = 0 at ŝ, J̃ᵀr = Jᵀr, and J̃ᵀJ̃ is
///   the Schur complement of the Gauss–Newton matrix of (θ_o, s): the Gauss–Newton curvature
///   of the objective with s profiled. A profiled σ̂_g over n_g measurements makes that
///   group's term (n_g/2) ln Σ d², whose Hessian is Σ ∇d∇dᵀ/σ̂² (what rows d/σ̂ give), plus
///   the residuals' second derivatives, minus (2/n_g)·g_g g_gᵀ with g_g the group's gradient.
///   Dropping that negative rank-one term over-estimates the curvature by O(1/n_g): steps
///   come out slightly shorter, never aimed uphill.
///
/// Needs the model's sensitivities: finite differences of r would move σ̂ along with θ_o
/// and give the wrong gradient.
public struct PEtabHierarchicalLeastSquares: LeastSquaresProblem {
    public let hierarchy: PEtabHierarchy
    let base: PEtabLeastSquares
    /// `base`'s constants, without those of measurements whose σ is profiled.
    let errorModelConstant: [Double?]

    public var parameterCount: Int { hierarchy.outer.count }
    public var model: PEtabModel { base.model }

    public init(_ model: PEtabModel, hierarchy: PEtabHierarchy) throws(DiagnosticsError) {
        base = try PEtabLeastSquares(model)
        guard model.providesGradient else {
            throw DiagnosticsError(.error("a hierarchical fit needs the model's sensitivities: \(model.gradientUnavailable ?? "gradients were not compiled")",
                                          hint: "fit without --hierarchical"))
        }
        self.hierarchy = hierarchy
        var constants = base.errorModelConstant
        for g in hierarchy.noises { for m in g.measurements { constants[m] = nil } }
        errorModelConstant = constants
    }

    /// The full point at outer coordinates θ_o: the profiled parameters at their optima.
    struct Profile {
        /// Every estimated parameter's scaled coordinate.
        var theta: [Double]
        var x: [Double]
        var predictions: [PEtabModel.Prediction]
        /// Per scaling whose optimum is interior: its measurements and their h (y at s = 1).
        var interiorScalings: [(measurements: [Int], h: [Double])]
        /// Σ ln σ̂ over the measurements with a profiled σ.
        var logSigma: Double
    }

    func profile(_ outerTheta: [Double], derivatives: Bool) throws -> Profile {
        let problem = model.problem
        // The profiled coordinates are set below, from their optima.
        var theta = hierarchy.expanded(outerTheta, inner: 0)
        var x = problem.values(theta: theta)
        // h = y at s = 1; the profiled σ are 1 here, which cancels from ŝ (one common σ per scaling).
        for g in hierarchy.scalings + hierarchy.noises { x[g.parameter] = 1 }
        var predictions = try model.predictions(x: x, derivatives: derivatives)
        var interior: [(measurements: [Int], h: [Double])] = []
        for g in hierarchy.scalings {
            var numerator = 0.0, denominator = 0.0
            for m in g.measurements {
                let p = predictions[m], w = 1 / (p.sigma * p.sigma)
                numerator += w * problem.measurements[m].value * p.y
                denominator += w * p.y * p.y
            }
            let parameter = problem.parameters[g.parameter]
            // h ≡ 0: every s fits equally; the nominal value keeps the point reproducible.
            let free = denominator > 0 ? numerator / denominator : parameter.nominal
            guard free.isFinite else { throw failure(g, "the scaling factor is not finite (σ = 0 or a non-finite simulation)") }
            let s = min(max(free, parameter.lower), parameter.upper)
            if s == free, denominator > 0 { interior.append((g.measurements, g.measurements.map { predictions[$0].y })) }
            for m in g.measurements {
                predictions[m].y *= s
                if let dy = predictions[m].dy { predictions[m].dy = dy.map { $0 * s } }
            }
            x[g.parameter] = s
        }
        var logSigma = 0.0
        for g in hierarchy.noises {
            var squares = 0.0
            for m in g.measurements {
                let measurement = problem.measurements[m]
                let (tm, ty, _) = PEtabModel.transformed(measurement.value, predictions[m].y, problem.observables[measurement.observable].transformation)
                squares += (tm - ty) * (tm - ty)
            }
            guard squares.isFinite else { throw failure(g, "a simulated observable is not finite after its transformation") }
            let parameter = problem.parameters[g.parameter]
            let sigma = min(max((squares / Double(g.measurements.count)).squareRoot(), parameter.lower), parameter.upper)
            guard sigma > 0 else { throw failure(g, "the data are fitted exactly, so the noise level's optimum is σ = 0") }
            for m in g.measurements {
                predictions[m].sigma = sigma
                if let ds = predictions[m].dSigma { predictions[m].dSigma = [Double](repeating: 0, count: ds.count) }
            }
            x[g.parameter] = sigma
            logSigma += Double(g.measurements.count) * log(sigma)
        }
        for g in hierarchy.scalings + hierarchy.noises { theta[g.position] = problem.parameters[g.parameter].scale.scaled(x[g.parameter]) }
        return Profile(theta: theta, x: x, predictions: predictions, interiorScalings: interior, logSigma: logSigma)
    }

    private func failure(_ g: PEtabHierarchy.Group, _ reason: String) -> PEtabSimulationFailure {
        let problem = model.problem
        let m = problem.measurements[g.measurements[0]]
        return PEtabSimulationFailure(condition: problem.conditions[m.condition].id, reason: "profiling '\(problem.parameters[g.parameter].id)': \(reason)")
    }

    /// Every estimated parameter's scaled coordinate at outer coordinates θ_o, the profiled
    /// ones at their optima: the point `PEtabModel.evaluate` scores.
    public func fullCoordinates(_ outerTheta: [Double]) throws -> [Double] {
        try profile(outerTheta, derivatives: false).theta
    }

    public func evaluate(at outerTheta: [Double], jacobian wantJacobian: Bool) throws -> LeastSquaresEvaluation {
        let p = try profile(outerTheta, derivatives: wantJacobian)
        let (r, fullRows) = try base.residuals(p.theta, x: p.x, predictions: p.predictions, errorModelConstant: errorModelConstant,
                                               derivatives: wantJacobian)
        guard wantJacobian, let fullRows else { return LeastSquaresEvaluation(residuals: r, objectiveOffset: p.logSigma) }
        var rows = fullRows.map { row in hierarchy.outer.map { row[$0] } }
        // Data residuals come first, one per measurement in table order.
        for (measurements, h) in p.interiorScalings {
            let c = zip(measurements, h).map { m, h in -h / p.predictions[m].sigma }
            let cc = c.reduce(0) { $0 + $1 * $1 }
            var cJ = [Double](repeating: 0, count: parameterCount)
            for (m, cm) in zip(measurements, c) { for k in 0..<parameterCount { cJ[k] += cm * rows[m][k] } }
            for (m, cm) in zip(measurements, c) { for k in 0..<parameterCount { rows[m][k] -= cm * cJ[k] / cc } }
        }
        return LeastSquaresEvaluation(residuals: r, jacobian: Matrix(rowMajor: rows), jacobianSource: .analytic, objectiveOffset: p.logSigma)
    }
}
