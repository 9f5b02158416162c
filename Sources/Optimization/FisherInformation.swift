/// The 0.95 quantile of χ² with one degree of freedom: a likelihood-ratio statistic
/// 2·ΔNLL above it rejects a parameter value at the 5 % level (Wilks).
public let chiSquaredOneDegree95 = 3.841458820694124
/// The 0.975 quantile of the standard normal, √χ²₁(0.95): Wald intervals are θ̂ ± this · σ.
public let normalQuantile975 = 1.959963984540054

/// The Fisher information of a least-squares NLL at its optimum, JᵀJ (the Gauss–Newton
/// Hessian of ½‖r‖², scaled coordinates), analysed through the SVD of J.
public struct FisherInformation: Sendable {
    /// JᵀJ.
    public let matrix: Matrix
    /// Singular values of J, decreasing (n of them: J is padded with zero rows when m < n).
    public let singularValues: [Double]
    /// Moore–Penrose pseudo-inverse of JᵀJ: Σ over kept singular values of vₖvₖᵀ/sₖ².
    public let covariance: Matrix
    /// √diag(covariance); +∞ for a structurally non-identifiable parameter.
    public let standardErrors: [Double]
    /// Unit vectors (scaled coordinates) along which J vanishes to within the tolerance:
    /// combinations of parameters the data cannot inform.
    public let nullSpace: [[Double]]
    /// Parameters with a weight ≥ 0.1 in some null-space direction (|vᵢ| ≥ 0.1, summed in
    /// squares over the null space ≥ 0.01).
    public let structurallyNonIdentifiable: [Bool]

    /// - Parameter relativeTolerance: singular values of J at or below `tolerance · s_max`
    ///   count as zero. Choose it above the Jacobian's relative accuracy: exact Jacobians
    ///   allow ~1e-10, sensitivities from an ODE solver at rtol 1e-6 need ~1e-5.
    public init(jacobian: Matrix, relativeTolerance: Double = 1e-6) throws(LinearAlgebraError) {
        let n = jacobian.columns
        var padded = jacobian
        if jacobian.rows < n {
            // Thin SVD of an m < n matrix returns only m right singular vectors; zero rows
            // give all n (the extra ones have singular value 0).
            var e = Array(repeating: 0.0, count: n * n)
            for j in 0..<n { for i in 0..<jacobian.rows { e[i + j * n] = jacobian[i, j] } }
            padded = Matrix(rows: n, columns: n, columnMajor: e)
        }
        let svd = try SingularValueDecomposition(of: padded)
        matrix = jacobian.gram
        singularValues = svd.singularValues
        let smax = singularValues.first ?? 0
        var cov = Matrix(rows: n, columns: n)
        var null: [[Double]] = []
        for k in 0..<n {
            let v = (0..<n).map { svd.vt[k, $0] }
            let s = singularValues[k]
            if s > relativeTolerance * smax && s > 0 {
                for a in 0..<n { for b in 0..<n { cov[a, b] += v[a] * v[b] / (s * s) } }
            } else {
                null.append(v)
            }
        }
        covariance = cov
        nullSpace = null
        let flagged = (0..<n).map { i in null.reduce(0.0) { $0 + $1[i] * $1[i] } >= 0.01 }
        structurallyNonIdentifiable = flagged
        standardErrors = (0..<n).map { flagged[$0] ? .infinity : max(cov[$0, $0], 0).squareRoot() }
    }

    /// Wald 95 % interval θ̂ᵢ ± 1.96 σᵢ in scaled coordinates (±∞ when σᵢ is infinite).
    public func waldInterval(parameter i: Int, estimate: Double) -> ClosedRange<Double> {
        let half = normalQuantile975 * standardErrors[i]
        return (estimate - half)...(estimate + half)
    }
}
