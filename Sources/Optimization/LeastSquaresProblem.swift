#if canImport(Glibc)
import Glibc
#endif

/// Where a Jacobian came from; reported with every run so a fit can say how its
/// gradients were obtained.
public enum JacobianSource: String, Sendable, Hashable, Codable {
    /// Closed-form derivatives (test problems, linear models).
    case analytic
    /// Forward sensitivities integrated with the model (CVODES).
    case sensitivities
    /// Finite differences of the residuals.
    case finiteDifferences = "finite differences"
}

/// Residuals, and the Jacobian when it was asked for, at one point.
public struct LeastSquaresEvaluation: Sendable {
    /// r(θ), length m. Must be finite.
    public var residuals: [Double]
    /// ∂r/∂θ, m × n, when requested.
    public var jacobian: Matrix?
    public var jacobianSource: JacobianSource?
    /// A part of the objective that is not a sum of squares, added to ½‖r‖²: the ln σ̂ terms
    /// of noise levels a problem solves for in closed form inside each evaluation
    /// (hierarchical PEtab fits). Jᵀr must still be the gradient of the whole objective;
    /// the optimiser compares objectives, and predicts with J, r and Jᵀr.
    public var objectiveOffset: Double

    public init(residuals: [Double], jacobian: Matrix? = nil, jacobianSource: JacobianSource? = nil, objectiveOffset: Double = 0) {
        self.residuals = residuals
        self.jacobian = jacobian
        self.jacobianSource = jacobianSource
        self.objectiveOffset = objectiveOffset
    }

    /// ½‖r‖² + `objectiveOffset`, the objective.
    public var objective: Double { halfSquaredNorm(residuals) + objectiveOffset }
}

/// A nonlinear least-squares problem in scaled coordinates θ: minimise ½‖r(θ)‖² (plus an
/// evaluation's `objectiveOffset`, when a problem profiles parameters out of its residuals).
///
/// The fitting layer writes the negative log-likelihood in this form (Gaussian residuals
/// (y − ŷ)/σ, plus extra error-model residuals when σ is estimated) and adds the constant
/// term itself. An instance is used by one thread at a time (models are not thread-safe);
/// the multi-start and profile drivers make one per worker through a `@Sendable` factory.
///
/// For reproducibility, `evaluate` must be a pure function of θ: the same θ gives the same
/// numbers whatever was evaluated before (no warm starts carried between calls).
public protocol LeastSquaresProblem {
    /// Number of parameters n.
    var parameterCount: Int { get }
    /// Residuals at θ, and the Jacobian when `jacobian` is true. Throw when the model cannot
    /// be evaluated there (a failed simulation); the optimiser treats that as a rejected step.
    func evaluate(at theta: [Double], jacobian: Bool) throws -> LeastSquaresEvaluation

    /// The Jacobian at θ where the residuals are already known: the optimiser calls this
    /// after accepting a step that it evaluated without a Jacobian (finite-difference
    /// problems), so a forward-difference implementation can save the base simulation.
    /// The default calls `evaluate(at: theta, jacobian: true)`.
    func evaluateJacobian(at theta: [Double], residuals: [Double]) throws -> LeastSquaresEvaluation
}

extension LeastSquaresProblem {
    public func evaluateJacobian(at theta: [Double], residuals: [Double]) throws -> LeastSquaresEvaluation {
        try evaluate(at: theta, jacobian: true)
    }
}

/// A problem given by closures; convenient for tests and small fits.
public struct ClosureProblem: LeastSquaresProblem {
    public let parameterCount: Int
    private let residualFunction: ([Double]) throws -> [Double]
    private let jacobianFunction: (([Double]) throws -> Matrix)?

    /// Without `jacobian`, Jacobians are central finite differences.
    public init(parameterCount: Int, residuals: @escaping ([Double]) throws -> [Double],
                jacobian: (([Double]) throws -> Matrix)? = nil) {
        self.parameterCount = parameterCount
        residualFunction = residuals
        jacobianFunction = jacobian
    }

    public func evaluate(at theta: [Double], jacobian wantJacobian: Bool) throws -> LeastSquaresEvaluation {
        let r = try residualFunction(theta)
        guard wantJacobian else { return LeastSquaresEvaluation(residuals: r) }
        if let jacobianFunction {
            return LeastSquaresEvaluation(residuals: r, jacobian: try jacobianFunction(theta), jacobianSource: .analytic)
        }
        let j = try FiniteDifferences.jacobian(at: theta, residuals: r, scheme: .central, residualFunction)
        return LeastSquaresEvaluation(residuals: r, jacobian: j, jacobianSource: .finiteDifferences)
    }

    public func evaluateJacobian(at theta: [Double], residuals r: [Double]) throws -> LeastSquaresEvaluation {
        if let jacobianFunction {
            return LeastSquaresEvaluation(residuals: r, jacobian: try jacobianFunction(theta), jacobianSource: .analytic)
        }
        let j = try FiniteDifferences.jacobian(at: theta, residuals: r, scheme: .central, residualFunction)
        return LeastSquaresEvaluation(residuals: r, jacobian: j, jacobianSource: .finiteDifferences)
    }
}

/// Finite-difference Jacobians: the fallback when a model has no sensitivities, and the
/// independent check of sensitivities.
public enum FiniteDifferences {
    public enum Scheme: String, Sendable, Hashable, CaseIterable {
        /// (r(θ + h e_j) − r(θ)) / h, h = √ε·max(1, |θ_j|): error O(h), n extra evaluations.
        case forward
        /// (r(θ + h e_j) − r(θ − h e_j)) / 2h, h = ε^{1/3}·max(1, |θ_j|): error O(h²), 2n evaluations.
        case central
    }

    /// The step for coordinate value `theta`. Scaled coordinates are O(1) (decades for
    /// log10 parameters), so a relative step with an absolute floor of one unit suits them.
    public static func step(for theta: Double, scheme: Scheme) -> Double {
        let base = scheme == .forward ? Double.ulpOfOne.squareRoot() : pow(Double.ulpOfOne, 1.0 / 3.0)
        return base * max(1, abs(theta))
    }

    /// ∂r/∂θ at θ by finite differences, as an m × n matrix. `residuals` is r(θ), already
    /// known. Steps stay inside `[lower, upper]` when bounds are given (a one-sided step
    /// is taken at a bound); when the model fails on one side, a one-sided difference on
    /// the other side is taken.
    ///
    /// `relativeStep` overrides the default base step (√ε forward, ε^{1/3} central), which
    /// suits functions exact to roundoff. For residuals known only to a relative accuracy δ
    /// (an ODE solution at tolerance rtol) the error is ~h + δ/h forward, ~h² + δ/h central:
    /// choose h ≈ √δ forward, δ^{1/3} central.
    public static func jacobian(at theta: [Double], residuals r0: [Double], scheme: Scheme,
                                lower: [Double]? = nil, upper: [Double]? = nil, relativeStep: Double? = nil,
                                _ residuals: ([Double]) throws -> [Double]) throws -> Matrix {
        let n = theta.count, m = r0.count
        var jac = Matrix(rows: m, columns: n)
        for j in 0..<n {
            let h = relativeStep.map { $0 * max(1, abs(theta[j])) } ?? step(for: theta[j], scheme: scheme)
            let roomUp = upper.map { $0[j] - theta[j] } ?? .infinity
            let roomDown = lower.map { theta[j] - $0[j] } ?? .infinity
            func at(_ offset: Double) throws -> [Double] {
                var t = theta
                t[j] += offset
                let r = try residuals(t)
                guard r.count == m else { throw EvaluationError.residualCountChanged(expected: m, got: r.count) }
                return r
            }
            var column: [Double] = []
            // Central when both sides are inside the box and both evaluations succeed.
            if scheme == .central && roomUp >= h && roomDown >= h, let rp = try? at(h), let rm = try? at(-h) {
                column = (0..<m).map { (rp[$0] - rm[$0]) / (2 * h) }
            } else {
                // One-sided: forward unless the upper bound is too close, then backward;
                // on a failed evaluation, the other side.
                let forwardFirst = roomUp >= h || roomUp >= roomDown
                let sides: [Double] = forwardFirst ? [h, -h] : [-h, h]
                var lastError: (any Error)?
                for offset in sides {
                    do {
                        let r = try at(offset)
                        column = (0..<m).map { (r[$0] - r0[$0]) / offset }
                        lastError = nil
                        break
                    } catch {
                        lastError = error
                    }
                }
                if let lastError { throw lastError }
            }
            for i in 0..<m { jac[i, j] = column[i] }
        }
        return jac
    }
}

/// A problem evaluation was unusable.
public enum EvaluationError: Error, Sendable, Equatable, CustomStringConvertible {
    case residualCountChanged(expected: Int, got: Int)
    case nonFiniteResidual(index: Int)
    case nonFiniteJacobian
    case missingJacobian

    public var description: String {
        switch self {
        case let .residualCountChanged(expected, got): return "the model returned \(got) residuals, expected \(expected)"
        case let .nonFiniteResidual(index): return "residual \(index) is not finite"
        case .nonFiniteJacobian: return "the Jacobian has a non-finite entry"
        case .missingJacobian: return "the problem returned no Jacobian although one was requested"
        }
    }
}

func halfSquaredNorm(_ v: [Double]) -> Double {
    var s = 0.0
    for x in v { s += x * x }
    return 0.5 * s
}

func norm2(_ v: [Double]) -> Double {
    // Scaled to avoid overflow for huge residuals.
    let big = v.reduce(0.0) { max($0, abs($1)) }
    guard big > 0, big.isFinite else { return big }
    var s = 0.0
    for x in v { let y = x / big; s += y * y }
    return big * s.squareRoot()
}
