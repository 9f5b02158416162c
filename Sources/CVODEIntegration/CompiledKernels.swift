internal import CSundials
internal import CSundialsKLU

/// Optimised replacements for the SUNDIALS kernels CVODES runs on every step: the serial
/// vector operations, the matrix copy, zero and `A = cA + I` (dense and sparse), and the
/// dense LU. (KLU itself is SuiteSparse's, which Debian builds optimised.)
///
/// Why: Debian 12's libsundials 6.4.1 is compiled without optimisation (its objects keep
/// every local on the stack: ~35 % of the instructions in libsundials_cvodes address
/// `%rbp`; SUNDIALS before 7.0 left `CMAKE_BUILD_TYPE` empty). On the 11- and 15-state
/// benchmark models those kernels took more than half of the integration time, and they
/// are why libRoadRunner (with its own, optimised SUNDIALS) ran the same steps faster.
/// SUNDIALS dispatches every one of them through per-object function tables, so the
/// integrator installs these in the tables of its vectors, matrix and linear solver.
///
/// Each kernel performs the same floating-point operations in the same order as the
/// SUNDIALS 6.4 routine it replaces (including the vector-operation fallbacks of the
/// fused operations, which Debian's build leaves disabled), so results are bit-identical
/// and the solver takes exactly the same steps (`LinearSolverTests` checks this).
enum CompiledKernels {
    /// Installs the vector kernels in `v`'s operation table. Vectors CVODES clones from
    /// `v` (its work vectors, the sensitivity vectors) copy the table.
    static func install(onVector v: N_Vector) {
        let ops = v.pointee.ops!
        ops.pointee.nvlinearsum = linearSum
        ops.pointee.nvconst = constant
        ops.pointee.nvprod = product
        ops.pointee.nvdiv = quotient
        ops.pointee.nvscale = scale
        ops.pointee.nvabs = absolute
        ops.pointee.nvinv = inverse
        ops.pointee.nvaddconst = addConstant
        ops.pointee.nvmaxnorm = maxNorm
        ops.pointee.nvwrmsnorm = wrmsNorm
        ops.pointee.nvwsqrsumlocal = weightedSquareSum
        ops.pointee.nvmin = minimum
        ops.pointee.nvcompare = compare
        ops.pointee.nvinvtest = inverseTest
        ops.pointee.nvlinearcombination = linearCombination
        ops.pointee.nvscaleaddmulti = scaleAddMulti
        ops.pointee.nvscalevectorarray = scaleVectorArray
    }

    /// Installs the dense-matrix kernels in `m`'s table; clones of `m` (CVODES keeps a
    /// saved Jacobian) get them too.
    static func install(onDenseMatrix m: SUNMatrix) {
        let ops = m.pointee.ops!
        ops.pointee.copy = denseCopy
        ops.pointee.scaleaddi = denseScaleAddIdentity
        ops.pointee.clone = denseClone
    }

    /// Installs the compressed-sparse-column kernels in `m`'s table (and its clones').
    static func install(onSparseMatrix m: SUNMatrix) {
        let ops = m.pointee.ops!
        ops.pointee.zero = sparseZero
        ops.pointee.copy = sparseCopy
        ops.pointee.scaleaddi = sparseScaleAddIdentity
        ops.pointee.clone = sparseClone
    }

    /// Replaces the dense linear solver's LU factorisation and solve.
    static func install(onDenseSolver s: SUNLinearSolver) {
        let ops = s.pointee.ops!
        ops.pointee.setup = denseSetup
        ops.pointee.solve = denseSolve
    }
}

// MARK: - Vector kernels

private typealias Real = kinapse_real

@inline(__always) private func serial(_ v: N_Vector?) -> _N_VectorContent_Serial {
    v!.pointee.content!.assumingMemoryBound(to: _N_VectorContent_Serial.self).pointee
}
@inline(__always) private func data(_ v: N_Vector?) -> UnsafeMutablePointer<Real> { serial(v).data! }
@inline(__always) private func count(_ v: N_Vector?) -> Int { Int(serial(v).length) }

// Two elements at a time: SIMD2 lanes do the same IEEE operations as the scalar code, so
// values do not change; both operands of a pair are loaded before the pair is stored,
// which keeps in-place use (z = x or z = y) correct.
@inline(__always) private func pair(_ p: UnsafeMutablePointer<Real>, _ i: Int) -> SIMD2<Real> {
    UnsafeRawPointer(p + i).loadUnaligned(as: SIMD2<Real>.self)
}
@inline(__always) private func store(_ v: SIMD2<Real>, _ p: UnsafeMutablePointer<Real>, _ i: Int) {
    UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD2<Real>.self)
}

/// z = a·x + b·y. SUNDIALS' special cases for a or b = ±1 give the same values as the
/// general formula (multiplying by ±1 is exact); a = b and a = −b factor the scale out,
/// which rounds differently, so those two are kept.
private let linearSum: @convention(c) (Real, N_Vector?, Real, N_Vector?, N_Vector?) -> Void = { a, x, b, y, z in
    let n = count(x), xd = data(x), yd = data(y), zd = data(z)
    var i = 0
    if a == b {
        while i &+ 1 < n { store(a * (pair(xd, i) + pair(yd, i)), zd, i); i &+= 2 }
        if i < n { zd[i] = a * (xd[i] + yd[i]) }
    } else if a == -b {
        while i &+ 1 < n { store(a * (pair(xd, i) - pair(yd, i)), zd, i); i &+= 2 }
        if i < n { zd[i] = a * (xd[i] - yd[i]) }
    } else {
        while i &+ 1 < n { store(a * pair(xd, i) + b * pair(yd, i), zd, i); i &+= 2 }
        if i < n { zd[i] = a * xd[i] + b * yd[i] }
    }
}

private let constant: @convention(c) (Real, N_Vector?) -> Void = { c, z in
    let n = count(z), zd = data(z)
    for i in 0..<n { zd[i] = c }
}

private let product: @convention(c) (N_Vector?, N_Vector?, N_Vector?) -> Void = { x, y, z in
    let n = count(x), xd = data(x), yd = data(y), zd = data(z)
    for i in 0..<n { zd[i] = xd[i] * yd[i] }
}

private let quotient: @convention(c) (N_Vector?, N_Vector?, N_Vector?) -> Void = { x, y, z in
    let n = count(x), xd = data(x), yd = data(y), zd = data(z)
    for i in 0..<n { zd[i] = xd[i] / yd[i] }
}

private let scale: @convention(c) (Real, N_Vector?, N_Vector?) -> Void = { c, x, z in
    let n = count(x), xd = data(x), zd = data(z)
    for i in 0..<n { zd[i] = c * xd[i] }
}

private let absolute: @convention(c) (N_Vector?, N_Vector?) -> Void = { x, z in
    let n = count(x), xd = data(x), zd = data(z)
    for i in 0..<n { zd[i] = abs(xd[i]) }
}

private let inverse: @convention(c) (N_Vector?, N_Vector?) -> Void = { x, z in
    let n = count(x), xd = data(x), zd = data(z)
    for i in 0..<n { zd[i] = 1 / xd[i] }
}

private let addConstant: @convention(c) (N_Vector?, Real, N_Vector?) -> Void = { x, b, z in
    let n = count(x), xd = data(x), zd = data(z)
    for i in 0..<n { zd[i] = xd[i] + b }
}

private let maxNorm: @convention(c) (N_Vector?) -> Real = { x in
    let n = count(x), xd = data(x)
    var largest: Real = 0
    for i in 0..<n where abs(xd[i]) > largest { largest = abs(xd[i]) }
    return largest
}

/// Σ (x_i·w_i)², summed in index order as SUNDIALS does.
private let weightedSquareSum: @convention(c) (N_Vector?, N_Vector?) -> Real = { x, w in
    let n = count(x), xd = data(x), wd = data(w)
    var sum: Real = 0
    for i in 0..<n {
        let p = xd[i] * wd[i]
        sum += p * p
    }
    return sum
}

private let wrmsNorm: @convention(c) (N_Vector?, N_Vector?) -> Real = { x, w in
    (weightedSquareSum(x, w) / Real(count(x))).squareRoot()
}

private let minimum: @convention(c) (N_Vector?) -> Real = { x in
    let n = count(x), xd = data(x)
    var smallest = xd[0]
    for i in 1..<max(n, 1) where xd[i] < smallest { smallest = xd[i] }
    return smallest
}

private let compare: @convention(c) (Real, N_Vector?, N_Vector?) -> Void = { c, x, z in
    let n = count(x), xd = data(x), zd = data(z)
    for i in 0..<n { zd[i] = abs(xd[i]) >= c ? 1 : 0 }
}

private let inverseTest: @convention(c) (N_Vector?, N_Vector?) -> Int32 = { x, z in
    let n = count(x), xd = data(x), zd = data(z)
    var noZero: Int32 = 1
    for i in 0..<n {
        if xd[i] == 0 { noZero = 0 } else { zd[i] = 1 / xd[i] }
    }
    return noZero
}

/// z = Σ c_k·X_k, as SUNDIALS' fallback computes it: z = c_0·X_0, then z += c_k·X_k
/// vector by vector.
private let linearCombination: @convention(c) (Int32, UnsafeMutablePointer<Real>?, UnsafeMutablePointer<N_Vector?>?, N_Vector?) -> Int32 = { vectors, c, xs, z in
    guard let c, let xs, vectors >= 1 else { return -1 }
    let n = count(z), zd = data(z)
    let x0 = data(xs[0]), c0 = c[0]
    for i in 0..<n { zd[i] = c0 * x0[i] }
    for k in 1..<Int(vectors) {
        let xk = data(xs[k]), ck = c[k]
        for i in 0..<n { zd[i] = ck * xk[i] + zd[i] }
    }
    return 0
}

/// Z_k = a_k·x + Y_k for each k.
private let scaleAddMulti: @convention(c) (Int32, UnsafeMutablePointer<Real>?, N_Vector?, UnsafeMutablePointer<N_Vector?>?, UnsafeMutablePointer<N_Vector?>?) -> Int32 = { vectors, a, x, ys, zs in
    guard let a, let ys, let zs else { return -1 }
    let n = count(x), xd = data(x)
    for k in 0..<Int(vectors) {
        let yd = data(ys[k]), zd = data(zs[k]), ak = a[k]
        for i in 0..<n { zd[i] = ak * xd[i] + yd[i] }
    }
    return 0
}

private let scaleVectorArray: @convention(c) (Int32, UnsafeMutablePointer<Real>?, UnsafeMutablePointer<N_Vector?>?, UnsafeMutablePointer<N_Vector?>?) -> Int32 = { vectors, c, xs, zs in
    guard let c, let xs, let zs else { return -1 }
    for k in 0..<Int(vectors) { scale(c[k], xs[k], zs[k]) }
    return 0
}

// MARK: - Dense matrix kernels

@inline(__always) private func dense(_ m: SUNMatrix?) -> _SUNMatrixContent_Dense {
    m!.pointee.content!.assumingMemoryBound(to: _SUNMatrixContent_Dense.self).pointee
}

private let denseCopy: @convention(c) (SUNMatrix?, SUNMatrix?) -> Int32 = { a, b in
    let from = dense(a), to = dense(b)
    guard from.M == to.M, from.N == to.N else { return SUNMAT_ILL_INPUT }
    to.data!.update(from: from.data!, count: Int(from.ldata))
    return SUNMAT_SUCCESS
}

/// A = c·A + I.
private let denseScaleAddIdentity: @convention(c) (Real, SUNMatrix?) -> Int32 = { c, a in
    let m = dense(a)
    let rows = Int(m.M), columns = Int(m.N), d = m.data!
    for k in 0..<Int(m.ldata) { d[k] *= c }
    for j in 0..<min(rows, columns) { d[j * rows + j] += 1 }
    return SUNMAT_SUCCESS
}

private let denseClone: @convention(c) (SUNMatrix?) -> SUNMatrix? = { a in
    guard let copy = SUNMatClone_Dense(a) else { return nil }
    CompiledKernels.install(onDenseMatrix: copy)
    return copy
}

// MARK: - Sparse (CSC) matrix kernels

@inline(__always) private func sparse(_ m: SUNMatrix?) -> UnsafeMutablePointer<_SUNMatrixContent_Sparse> {
    m!.pointee.content!.assumingMemoryBound(to: _SUNMatrixContent_Sparse.self)
}

private let sparseZero: @convention(c) (SUNMatrix?) -> Int32 = { a in
    let m = sparse(a).pointee
    m.data!.update(repeating: 0, count: Int(m.NNZ))
    m.indexvals!.update(repeating: 0, count: Int(m.NNZ))
    m.indexptrs!.update(repeating: 0, count: Int(m.NP) + 1)
    return SUNMAT_SUCCESS
}

/// B = A, structure and values. Needs B's storage to hold A's non-zeros (always so for
/// CVODES' copies between matrices of one pattern); otherwise SUNDIALS' routine, which
/// reallocates, does it.
private let sparseCopy: @convention(c) (SUNMatrix?, SUNMatrix?) -> Int32 = { a, b in
    let from = sparse(a).pointee, to = sparse(b).pointee
    guard from.M == to.M, from.N == to.N, from.sparsetype == to.sparsetype else { return SUNMAT_ILL_INPUT }
    let nonZeros = Int(from.indexptrs![Int(from.NP)])
    guard Int(to.NNZ) >= nonZeros else { return SUNMatCopy_Sparse(a, b) }
    to.data!.update(from: from.data!, count: nonZeros)
    to.indexvals!.update(from: from.indexvals!, count: nonZeros)
    (to.data! + nonZeros).update(repeating: 0, count: Int(to.NNZ) - nonZeros)
    (to.indexvals! + nonZeros).update(repeating: 0, count: Int(to.NNZ) - nonZeros)
    to.indexptrs!.update(from: from.indexptrs!, count: Int(from.NP) + 1)
    return SUNMAT_SUCCESS
}

/// A = c·A + I in place when every column stores its diagonal entry (Kinapse's patterns
/// always do); otherwise SUNDIALS' routine inserts the missing entries.
private let sparseScaleAddIdentity: @convention(c) (Real, SUNMatrix?) -> Int32 = { c, a in
    let m = sparse(a).pointee
    let outer = Int(m.sparsetype == CSC_MAT ? m.N : m.M), inner = Int(m.sparsetype == CSC_MAT ? m.M : m.N)
    let starts = m.indexptrs!, indices = m.indexvals!, values = m.data!
    for j in 0..<min(outer, inner) {
        var found = false
        for k in Int(starts[j])..<Int(starts[j + 1]) where indices[k] == j { found = true }
        if !found { return SUNMatScaleAddI_Sparse(c, a) }
    }
    for j in 0..<outer {
        for k in Int(starts[j])..<Int(starts[j + 1]) {
            values[k] = indices[k] == j ? 1 + c * values[k] : c * values[k]
        }
    }
    return SUNMAT_SUCCESS
}

private let sparseClone: @convention(c) (SUNMatrix?) -> SUNMatrix? = { a in
    guard let copy = SUNMatClone_Sparse(a) else { return nil }
    CompiledKernels.install(onSparseMatrix: copy)
    return copy
}

// MARK: - Dense LU (partial pivoting, column-major, as SUNDlsMat_denseGETRF/GETRS)

private func denseSolverContent(_ s: SUNLinearSolver?) -> UnsafeMutablePointer<_SUNLinearSolverContent_Dense> {
    s!.pointee.content!.assumingMemoryBound(to: _SUNLinearSolverContent_Dense.self)
}

private let denseSetup: @convention(c) (SUNLinearSolver?, SUNMatrix?) -> Int32 = { s, a in
    guard s != nil, a != nil else { return SUNLS_MEM_NULL }
    let content = denseSolverContent(s)
    let m = dense(a)
    let failedColumn = factorLU(m.data!, n: Int(m.N), pivots: content.pointee.pivots!)
    content.pointee.last_flag = sunindextype(failedColumn)
    // A zero pivot is recoverable: CVODES retries with a smaller step.
    return failedColumn > 0 ? SUNLS_LUFACT_FAIL : SUNLS_SUCCESS
}

private let denseSolve: @convention(c) (SUNLinearSolver?, SUNMatrix?, N_Vector?, N_Vector?, Real) -> Int32 = { s, a, x, b, _ in
    guard s != nil, a != nil, x != nil, b != nil else { return SUNLS_MEM_NULL }
    let m = dense(a), n = Int(m.N)
    let xd = data(x)
    if x != b { xd.update(from: data(b), count: n) }
    solveLU(m.data!, n: n, pivots: denseSolverContent(s).pointee.pivots!, b: xd)
    denseSolverContent(s).pointee.last_flag = sunindextype(SUNLS_SUCCESS)
    return SUNLS_SUCCESS
}

/// LU with partial pivoting of the n×n column-major `a` in place; returns 0, or k + 1
/// when column k has no non-zero pivot.
private func factorLU(_ a: UnsafeMutablePointer<Real>, n: Int, pivots: UnsafeMutablePointer<sunindextype>) -> Int {
    for k in 0..<n {
        let columnK = a + k * n
        var pivot = k
        for i in (k + 1)..<n where abs(columnK[i]) > abs(columnK[pivot]) { pivot = i }
        pivots[k] = sunindextype(pivot)
        if columnK[pivot] == 0 { return k + 1 }
        if pivot != k {
            for j in 0..<n { (a[j * n + pivot], a[j * n + k]) = (a[j * n + k], a[j * n + pivot]) }
        }
        let multiplier = 1 / columnK[k]
        for i in (k + 1)..<n { columnK[i] *= multiplier }
        for j in (k + 1)..<n {
            let columnJ = a + j * n
            let akj = columnJ[k]
            if akj != 0 {
                for i in (k + 1)..<n { columnJ[i] -= akj * columnK[i] }
            }
        }
    }
    return 0
}

/// Solves `LU x = P b` in place in `b`.
private func solveLU(_ a: UnsafeMutablePointer<Real>, n: Int, pivots: UnsafeMutablePointer<sunindextype>, b: UnsafeMutablePointer<Real>) {
    for k in 0..<n {
        let p = Int(pivots[k])
        if p != k { (b[k], b[p]) = (b[p], b[k]) }
    }
    for k in 0..<max(n - 1, 0) {
        let columnK = a + k * n, bk = b[k]
        var i = k + 1
        while i &+ 1 < n { store(pair(b, i) - pair(columnK, i) * bk, b, i); i &+= 2 }
        if i < n { b[i] -= columnK[i] * bk }
    }
    var k = n - 1
    while k > 0 {
        let columnK = a + k * n
        b[k] /= columnK[k]
        let bk = b[k]
        var i = 0
        while i &+ 1 < k { store(pair(b, i) - pair(columnK, i) * bk, b, i); i &+= 2 }
        if i < k { b[i] -= columnK[i] * bk }
        k -= 1
    }
    b[0] /= a[0]
}
