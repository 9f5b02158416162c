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
