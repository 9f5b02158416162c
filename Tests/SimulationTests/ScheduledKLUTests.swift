import Testing
import CSundials
import CSundialsKLU
import CSolverKernels

/// KLU with Kinapse's kernels (klu_solver.c): after KLU's first factorisation, a setup with
/// the same pattern is factorised by the fixed elimination schedule made from KLU's pivot
/// order, and one whose kept pivot comes out zero is handed back to KLU for new pivots.
/// Solutions are checked against Gaussian elimination with partial pivoting on the dense
/// matrix, an independent reference.
@Suite struct ScheduledKLUTests {
    static let n = 12

    /// The pattern: the diagonal, and entries one and three columns to the right (cyclically),
    /// so the factors fill in. Column-major (CSC), rows sorted.
    static func pattern() -> [[Int]] {
        (0..<n).map { j in [j, (j + n - 1) % n, (j + n - 3) % n].sorted() }
    }

    /// x with A x = b by Gaussian elimination with partial pivoting (dense, row-major copy).
    static func reference(_ a: [[Double]], _ b: [Double]) -> [Double] {
        var m = a, x = b
        let n = b.count
        for k in 0..<n {
            let p = (k..<n).max { abs(m[$0][k]) < abs(m[$1][k]) }!
            m.swapAt(k, p)
            x.swapAt(k, p)
            for i in (k + 1)..<n where m[i][k] != 0 {
                let l = m[i][k] / m[k][k]
                for j in k..<n { m[i][j] -= l * m[k][j] }
                x[i] -= l * x[k]
            }
        }
        for k in stride(from: n - 1, through: 0, by: -1) {
            for j in (k + 1)..<n { x[k] -= m[k][j] * x[j] }
            x[k] /= m[k][k]
        }
        return x
    }

    /// Sets the matrix, runs setup and solve for b, and returns x and the dense copy of A.
    static func solve(_ solver: SUNLinearSolver, _ matrix: SUNMatrix, values: (Int, Int) -> Double,
                      x: N_Vector, b: N_Vector) -> (x: [Double], dense: [[Double]], setup: Int32, solve: Int32) {
        let starts = kinapse_sparse_column_starts(matrix)!, rows = kinapse_sparse_row_indices(matrix)!
        let data = kinapse_sparse_values(matrix)!
        var dense = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        var p = 0
        for (j, column) in pattern().enumerated() {
            starts[j] = sunindextype(p)
            for i in column {
                rows[p] = sunindextype(i)
                data[p] = values(i, j)
                dense[i][j] = data[p]
                p += 1
            }
        }
        starts[n] = sunindextype(p)
        let setup = SUNLinSolSetup(solver, matrix)
        let right = kinapse_nvector_data(b)!
        for i in 0..<n { right[i] = Double(i % 5) - 1.5 }
        let solved = SUNLinSolSolve(solver, matrix, x, b, 0)
        let out = kinapse_nvector_data(x)!
        return ((0..<n).map { out[$0] }, dense, setup, solved)
    }

    @Test func scheduleSolvesAndHandsZeroPivotsBackToKLU() throws {
        var context: SUNContext?
        #expect(kinapse_context_create(&context) == 0)
        defer { SUNContext_Free(&context) }
        let n = Self.n
        let matrix = try #require(kinapse_sparse_csc(sunindextype(n), sunindextype(3 * n), context))
        defer { SUNMatDestroy(matrix) }
        let x = try #require(N_VNew_Serial(sunindextype(n), context)), b = try #require(N_VNew_Serial(sunindextype(n), context))
        defer { N_VDestroy(x); N_VDestroy(b) }
        let solver = try #require(SUNLinSol_KLU(x, matrix, context))
        defer { SUNLinSolFree(solver) }
        kinapse_install_klu_solver_kernels(solver)
        #expect(SUNLinSolInitialize(solver) == 0)

        func counts() -> (scheduled: Int, klu: Int) {
            var scheduled = 0, klu = 0
            kinapse_klu_factorisation_counts(solver, &scheduled, &klu)
            return (scheduled, klu)
        }
        // Within 1e-12 of the reference relative to its largest component: the matrices'
        // condition numbers are 2.0-6.2 (2-norm), so two backward-stable solutions differ by a
        // few times 1e-16 of it; 1e-12 leaves room for growth without pivoting, and a wrong
        // entry or order in the schedule gives errors of order 1.
        func check(_ r: (x: [Double], dense: [[Double]], setup: Int32, solve: Int32)) {
            #expect(r.setup == 0 && r.solve == 0)
            let want = Self.reference(r.dense, (0..<n).map { Double($0 % 5) - 1.5 })
            let scale = want.map(abs).max()!
            for i in 0..<n { #expect(abs(r.x[i] - want[i]) <= 1e-12 * scale, "component \(i)") }
        }

        // Diagonally dominant matrices whose values change from setup to setup, as the Newton
        // matrix I - gamma J does: KLU factorises the first, the schedule the others.
        for round in 0..<4 {
            let s = 1 + 0.37 * Double(round)
            check(Self.solve(solver, matrix, values: { i, j in i == j ? 4 + s * Double(i % 3) : s * (Double((i * 7 + j) % 5) - 2.2) }, x: x, b: b))
        }
        #expect(counts() == (3, 1))

        // Zero on the whole diagonal (still stored), non-singular through the entries one
        // column to the right: the schedule's first pivot is zero, so KLU pivots anew...
        check(Self.solve(solver, matrix, values: { i, j in i == j ? 0 : (i == (j + n - 1) % n ? 2 + Double(i % 4) : 0.5) }, x: x, b: b))
        #expect(counts() == (3, 2))
        // ...and the schedule made from KLU's new pivots factorises the next one.
        check(Self.solve(solver, matrix, values: { i, j in i == j ? 0 : (i == (j + n - 1) % n ? 3 + Double(i % 4) : 0.25) }, x: x, b: b))
        #expect(counts() == (4, 2))
    }
}
