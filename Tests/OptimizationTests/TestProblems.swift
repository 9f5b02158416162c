import Optimization
import KinapseUtilities
#if canImport(Glibc)
import Glibc
#endif

/// Rosenbrock's function as residuals: r = (10(θ₂ − θ₁²), 1 − θ₁), minimum 0 at (1, 1).
func rosenbrock() -> ClosureProblem {
    ClosureProblem(parameterCount: 2,
                   residuals: { t in [10 * (t[1] - t[0] * t[0]), 1 - t[0]] },
                   jacobian: { t in Matrix(rowMajor: [[-20 * t[0], 10], [-1, 0]]) })
}

/// y = A e^{−k t} with θ = (log10 A, log10 k); Jacobian analytic or (nil) finite differences.
struct ExponentialDecay: LeastSquaresProblem {
    var times: [Double]
    var data: [Double]
    var analytic = true
    var parameterCount: Int { 2 }

    func residuals(_ t: [Double]) -> [Double] {
        let a = pow(10, t[0]), k = pow(10, t[1])
        return zip(times, data).map { a * exp(-k * $0) - $1 }
    }

    func evaluate(at t: [Double], jacobian: Bool) throws -> LeastSquaresEvaluation {
        let r = residuals(t)
        guard jacobian else { return LeastSquaresEvaluation(residuals: r) }
        if !analytic {
            let j = try FiniteDifferences.jacobian(at: t, residuals: r, scheme: .central) { residuals($0) }
            return LeastSquaresEvaluation(residuals: r, jacobian: j, jacobianSource: .finiteDifferences)
        }
        let a = pow(10, t[0]), k = pow(10, t[1])
        var j = Matrix(rows: times.count, columns: 2)
        for (i, time) in times.enumerated() {
            let e = exp(-k * time)
            j[i, 0] = a * e * M_LN10              // ∂/∂log10 A
            j[i, 1] = -a * time * k * e * M_LN10  // ∂/∂log10 k
        }
        return LeastSquaresEvaluation(residuals: r, jacobian: j, jacobianSource: .analytic)
    }
}

/// Standard normal pseudo-noise for synthetic data, reproducible from the seed.
func syntheticNoise(count: Int, seed: UInt64) -> [Double] {
    var rng = SeededGenerator(seed: seed)
    return (0..<count).map { _ in rng.nextNormal() }
}

/// The large-residual example of Dennis & Schnabel (Numerical Methods for Unconstrained
/// Optimization and Nonlinear Equations, 1983, chapter 10): rᵢ = e^{tᵢx} − yᵢ, t = (1, 2, 3),
/// y = (2, 4, −4), with an analytic Jacobian; and its minimiser x*, which solves
/// f'(x) = Σ tᵢe^{tᵢx}(e^{tᵢx} − yᵢ) = 0, found by bisection to 1e-14.
func largeResidualProblem() -> (problem: ClosureProblem, minimiser: Double) {
    let t = [1.0, 2, 3], y = [2.0, 4, -4]
    let problem = ClosureProblem(parameterCount: 1, residuals: { x in zip(t, y).map { exp($0 * x[0]) - $1 } },
                                 jacobian: { x in Matrix(rows: 3, columns: 1, columnMajor: t.map { $0 * exp($0 * x[0]) }) })
    func derivative(_ x: Double) -> Double { zip(t, y).reduce(0) { $0 + $1.0 * exp($1.0 * x) * (exp($1.0 * x) - $1.1) } }
    var lo = -2.0, hi = 1.0
    while hi - lo > 1e-14 { let mid = 0.5 * (lo + hi); if derivative(mid) > 0 { hi = mid } else { lo = mid } }
    return (problem, lo)
}
