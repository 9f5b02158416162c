import Testing
import Optimization
#if canImport(Glibc)
import Glibc
#endif

/// The LAPACK wrappers on matrices whose factorisations are known by hand.
@Suite struct LAPACKTests {
    @Test func singularValuesOfAKnownMatrix() throws {
        // A = [[3, 2, 2], [2, 3, −2]]: AAᵀ = [[17, 8], [8, 17]], eigenvalues 25 and 9.
        let a = Matrix(rowMajor: [[3, 2, 2], [2, 3, -2]])
        let svd = try SingularValueDecomposition(of: a)
        #expect(svd.singularValues.count == 2)
        #expect(abs(svd.singularValues[0] - 5) < 1e-14)
        #expect(abs(svd.singularValues[1] - 3) < 1e-14)
        // U diag(s) Vᵀ reproduces A; U and V have orthonormal columns (roundoff ~ 1e-15).
        for i in 0..<2 {
            for j in 0..<3 {
                var sum = 0.0
                for k in 0..<2 { sum += svd.u[i, k] * svd.singularValues[k] * svd.vt[k, j] }
                #expect(abs(sum - a[i, j]) < 1e-14)
            }
        }
        let utu = svd.u.gram, vvt = svd.vt.transposed.gram
        for i in 0..<2 { for j in 0..<2 {
            #expect(abs(utu[i, j] - (i == j ? 1 : 0)) < 1e-14)
            #expect(abs(vvt[i, j] - (i == j ? 1 : 0)) < 1e-14)
        } }
        #expect(svd.rank(relativeTolerance: 1e-12) == 2)
    }

    @Test func rankOfADependentMatrix() throws {
        // The second column is twice the first: one singular value is zero (to roundoff).
        let a = Matrix(rowMajor: [[1, 2], [2, 4], [3, 6]])
        let svd = try SingularValueDecomposition(of: a)
        #expect(abs(svd.singularValues[0] - (14.0 * 5).squareRoot()) < 1e-13)   // ‖(1,2,3)‖·‖(1,2)‖
        #expect(svd.singularValues[1] < 1e-14)
        #expect(svd.rank(relativeTolerance: 1e-12) == 1)
    }

    @Test func leastSquaresLineByQR() throws {
        // Points (0,1), (1,2), (2,4): normal equations [[3,3],[3,5]] x = [7,10] give x = (5/6, 3/2).
        let a = Matrix(rowMajor: [[1, 0], [1, 1], [1, 2]])
        let qr = try QRFactorization(of: a)
        let x = try qr.solveLeastSquares([1, 2, 4])
        #expect(abs(x[0] - 5.0 / 6.0) < 1e-14)
        #expect(abs(x[1] - 1.5) < 1e-14)
        // |R₁₁| is the norm of the first column.
        #expect(abs(abs(qr.r[0, 0]) - 3.0.squareRoot()) < 1e-14)
        #expect(qr.r[1, 0] == 0)
        // Qᵀ preserves the norm.
        let qtb = try qr.applyingQTranspose(to: [1, 2, 4])
        #expect(abs(qtb.reduce(0) { $0 + $1 * $1 } - 21) < 1e-13)
    }

    @Test func singularTriangularFactorIsReported() throws {
        // A zero column gives R₂₂ = 0 exactly; dtrtrs reports info = 2.
        let qr = try QRFactorization(of: Matrix(rowMajor: [[1, 0], [1, 0], [1, 0]]))
        #expect(throws: LinearAlgebraError(routine: "dtrtrs", info: 2)) {
            _ = try qr.solveLeastSquares([1, 2, 3])
        }
    }

    @Test func openBLASRunsSingleThreaded() throws {
        // Reproducibility across `jobs` and no oversubscription rely on this (see CLapack/shim.h).
        // With reference BLAS the symbol is absent and there is nothing to check.
        _ = try SingularValueDecomposition(of: Matrix.identity(2))
        guard let symbol = dlsym(nil, "openblas_get_num_threads") else {
            print("BLAS is not OpenBLAS: no thread setting to check")
            return
        }
        let threads = unsafeBitCast(symbol, to: (@convention(c) () -> Int32).self)()
        print("OpenBLAS threads: \(threads)")
        #expect(threads == 1)
    }
}
