import Optimization

/// Linear combinations of the state that the dynamics leave unchanged (total enzyme, total
/// receptor, …): row vectors l with l·f(x) = 0 for every state x. They make the Jacobian
/// singular, so a steady state is only defined once they are fixed at their initial values.
///
/// Found numerically as the common left null space of the Jacobian at several states, which
/// covers reaction networks (the left null space of the stoichiometry) and models written
/// with rate rules alike. One state could show a spurious law (a Jacobian that happens to be
/// rank deficient there); several scattered states make that vanishingly unlikely.
struct ConservationLaws {
    /// One law per row, over the state vector.
    var laws: [[Double]]
    /// For law k, the state whose equation it replaces in the reduced system: a state the
    /// law weighs heavily, distinct for every law (elimination with full pivoting).
    var replacedStates: [Int]

    var count: Int { laws.count }

    /// Laws found before (a steady state's), with their replaced states.
    init(laws: [[Double]], replacedStates: [Int]) {
        self.laws = laws; self.replacedStates = replacedStates
    }

    /// `jacobians` are n × n, column-major, at different states.
    init(jacobians: [[Double]], stateCount n: Int) throws(LinearAlgebraError) {
        guard n > 0, !jacobians.isEmpty else {
            laws = []; replacedStates = []
            return
        }
        // A = [J₁ J₂ …] (n × kn). Scaling rows by d and columns by anything leaves the left
        // null space as {D m : mᵀ(DA) = 0}; equilibration keeps rates of very different
        // magnitudes from hiding a law or inventing one.
        let k = jacobians.count
        var a = Matrix(rows: n, columns: k * n)
        for (b, j) in jacobians.enumerated() {
            for c in 0..<n { for r in 0..<n { a.elements[r + (b * n + c) * n] = j[r + c * n] } }
        }
        for c in 0..<(k * n) {
            var norm = 0.0
            for r in 0..<n { norm = max(norm, abs(a.elements[r + c * n])) }
            if norm > 0 { for r in 0..<n { a.elements[r + c * n] /= norm } }
        }
        var rowScale = [Double](repeating: 1, count: n)
        for r in 0..<n {
            var norm = 0.0
            for c in 0..<(k * n) { norm = max(norm, abs(a.elements[r + c * n])) }
            if norm > 0 {
                rowScale[r] = 1 / norm
                for c in 0..<(k * n) { a.elements[r + c * n] /= norm }
            }
        }
        let svd = try SingularValueDecomposition(of: a)
        let largest = svd.singularValues.first ?? 0
        // Relative cut: far above rounding in an equilibrated matrix (~n·ε), far below any
        // genuine singular value of a kinetic model's Jacobian block.
        let cut = max(largest, 1) * 1e-9
        var found: [[Double]] = []
        for j in 0..<n where j >= svd.singularValues.count || svd.singularValues[j] <= cut {
            var law = (0..<n).map { r in rowScale[r] * svd.u.elements[r + j * n] }
            let size = law.map(abs).max() ?? 1
            law = law.map { $0 / size }
            // Exact zeros where rounding left dust, so laws read as the combinations they are.
            law = law.map { abs($0) < 1e-12 ? 0 : $0 }
            found.append(law)
        }
        (laws, replacedStates) = Self.reducedEchelonForm(found, stateCount: n)
    }

    /// Gauss–Jordan elimination with full pivoting: each law gets a pivot state, with
    /// coefficient 1 in its own law and 0 in the others. The pivots are states whose
    /// equations the laws can replace with a non-singular result, and the laws read as the
    /// sums they are (`mGluR + mGluR_Glu`, `Gq + Gq_GTP + PLCb_Gq`) rather than as an SVD's
    /// arbitrary rotation of them.
    private static func reducedEchelonForm(_ laws: [[Double]], stateCount n: Int) -> (laws: [[Double]], pivots: [Int]) {
        var m = laws
        var pivots = [Int](repeating: 0, count: m.count)
        var used = Set<Int>()
        var remaining = Set(m.indices)
        for _ in m.indices {
            var best = (row: -1, column: -1, size: 0.0)
            for r in remaining.sorted() { for c in 0..<n where !used.contains(c) && abs(m[r][c]) > best.size * (1 + 1e-9) { best = (r, c, abs(m[r][c])) } }
            guard best.row >= 0 else { break }
            let p = best.row, column = best.column
            pivots[p] = column
            used.insert(column)
            remaining.remove(p)
            let lead = m[p][column]
            m[p] = m[p].map { $0 / lead }
            for r in m.indices where r != p {
                let factor = m[r][column]
                if factor != 0 { for c in 0..<n { m[r][c] -= factor * m[p][c] } }
            }
        }
        // Rounding dust off exact stoichiometric coefficients (integers and simple fractions).
        for r in m.indices {
            m[r] = m[r].map { x in
                let rounded = (x * 12).rounded() / 12
                return abs(x - rounded) < 1e-9 ? rounded : x
            }
        }
        return (m, pivots)
    }
}
