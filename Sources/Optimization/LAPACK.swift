internal import CLapack

/// A LAPACK routine reported failure (`info ≠ 0`), or LAPACK could not be loaded.
public struct LinearAlgebraError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The Fortran routine, e.g. `dgesvd`.
    public var routine: String
    /// LAPACK's `info`: negative = bad argument (a bug here), positive = numerical failure.
    public var info: Int
    /// Why LAPACK itself could not be loaded (then `info` is 0 and the routine never ran).
    public var unavailable: String?
    public init(routine: String, info: Int) {
        self.routine = routine
        self.info = info
    }
    init(routine: String, unavailable reason: String) {
        self.routine = routine
        self.info = 0
        self.unavailable = reason
    }
    public var description: String {
        if let unavailable { return "\(routine): \(unavailable)" }
        return info < 0 ? "\(routine): argument \(-info) is invalid (info = \(info))"
                        : "\(routine): numerical failure (info = \(info))"
    }
}

/// LAPACK loaded (and OpenBLAS made single-threaded), once per process, before the first
/// call: nil when ready, else why not. Global `let`s are initialised lazily and thread-safely.
private let lapackLoadFailure: String? = kinapse_lapack_load().map { String(cString: $0) }

/// Loads LAPACK now if it is not loaded yet. Loading sets an environment variable, which is
/// not safe while other threads may read the environment: the parallel drivers call this
/// before they start their workers.
public func loadLAPACKBeforeStartingThreads() {
    _ = lapackLoadFailure
}

/// Throws when LAPACK could not be loaded; every factorisation starts with it.
private func requireLAPACK(_ routine: String) throws(LinearAlgebraError) {
    if let reason = lapackLoadFailure { throw LinearAlgebraError(routine: routine, unavailable: reason) }
}

@inline(__always) private func check(_ info: Int32, _ routine: String) throws(LinearAlgebraError) {
    if info != 0 { throw LinearAlgebraError(routine: routine, info: Int(info)) }
}

private func fortranCharacter(_ c: Unicode.Scalar) -> CChar { CChar(UInt8(ascii: c)) }

/// Thin singular value decomposition `A = U diag(s) Vᵀ` (LAPACK `dgesvd`), with
/// k = min(m, n) singular values in decreasing order.
public struct SingularValueDecomposition: Sendable {
    /// m × k, orthonormal columns.
    public let u: Matrix
    /// k singular values, decreasing, non-negative.
    public let singularValues: [Double]
    /// k × n, orthonormal rows (column j of V is row j of Vᵀ).
    public let vt: Matrix

    public init(of a: Matrix) throws(LinearAlgebraError) {
        try requireLAPACK("dgesvd")
        let m = a.rows, n = a.columns, k = min(m, n)
        guard k > 0 else {
            u = Matrix(rows: m, columns: 0); singularValues = []; vt = Matrix(rows: 0, columns: n)
            return
        }
        var aa = a.elements
        var s = Array(repeating: 0.0, count: k)
        var uu = Array(repeating: 0.0, count: m * k)
        var vv = Array(repeating: 0.0, count: k * n)
        var jobu = fortranCharacter("S"), jobvt = fortranCharacter("S")
        var mm = Int32(m), nn = Int32(n), lda = Int32(m), ldu = Int32(m), ldvt = Int32(k)
        var info: Int32 = 0
        var lwork: Int32 = -1
        var query = 0.0
        kinapse_dgesvd(&jobu, &jobvt, &mm, &nn, &aa, &lda, &s, &uu, &ldu, &vv, &ldvt, &query, &lwork, &info, 1, 1)
        try check(info, "dgesvd")
        lwork = Int32(query)
        var work = Array(repeating: 0.0, count: Int(lwork))
        kinapse_dgesvd(&jobu, &jobvt, &mm, &nn, &aa, &lda, &s, &uu, &ldu, &vv, &ldvt, &work, &lwork, &info, 1, 1)
        try check(info, "dgesvd")
        u = Matrix(rows: m, columns: k, columnMajor: uu)
        singularValues = s
        vt = Matrix(rows: k, columns: n, columnMajor: vv)
    }

    /// Numerical rank: singular values above `relativeTolerance · s_max`.
    public func rank(relativeTolerance: Double) -> Int {
        guard let smax = singularValues.first, smax > 0 else { return 0 }
        return singularValues.filter { $0 > relativeTolerance * smax }.count
    }
}

/// Eigenvalues of a square matrix (LAPACK `dgeev`, Hessenberg QR), as (real, imaginary)
/// pairs; complex ones come in conjugate pairs, the one with positive imaginary part first.
public func eigenvalues(of a: Matrix) throws(LinearAlgebraError) -> [(real: Double, imaginary: Double)] {
    try requireLAPACK("dgeev")
    precondition(a.rows == a.columns, "eigenvalues of a square matrix")
    let n = a.rows
    guard n > 0 else { return [] }
    var aa = a.elements
    var wr = Array(repeating: 0.0, count: n), wi = Array(repeating: 0.0, count: n)
    var vl = [0.0], vr = [0.0]
    var jobvl = fortranCharacter("N"), jobvr = fortranCharacter("N")
    var nn = Int32(n), lda = Int32(n), ldv = Int32(1)
    var info: Int32 = 0
    var lwork: Int32 = -1
    var query = 0.0
    kinapse_dgeev(&jobvl, &jobvr, &nn, &aa, &lda, &wr, &wi, &vl, &ldv, &vr, &ldv, &query, &lwork, &info, 1, 1)
    try check(info, "dgeev")
    lwork = max(Int32(query), Int32(3 * n))
    var work = Array(repeating: 0.0, count: Int(lwork))
    kinapse_dgeev(&jobvl, &jobvr, &nn, &aa, &lda, &wr, &wi, &vl, &ldv, &vr, &ldv, &work, &lwork, &info, 1, 1)
    try check(info, "dgeev")
    return zip(wr, wi).map { ($0, $1) }
}

/// Eigendecomposition `A = V diag(λ) Vᵀ` of a symmetric n × n matrix (LAPACK `dsyev`; only
/// the upper triangle is read), eigenvalues ascending.
public struct SymmetricEigendecomposition: Sendable {
    /// n eigenvalues, ascending.
    public let eigenvalues: [Double]
    /// n × n, orthonormal columns: column k belongs to `eigenvalues[k]`.
    public let vectors: Matrix

    public init(of a: Matrix) throws(LinearAlgebraError) {
        precondition(a.rows == a.columns, "an eigendecomposition needs a square matrix")
        try requireLAPACK("dsyev")
        let n = a.rows
        var aa = a.elements
        var w = Array(repeating: 0.0, count: n)
        if n > 0 {
            var jobz = fortranCharacter("V"), uplo = fortranCharacter("U")
            var nn = Int32(n), lda = Int32(n), info: Int32 = 0, lwork: Int32 = -1, query = 0.0
            kinapse_dsyev(&jobz, &uplo, &nn, &aa, &lda, &w, &query, &lwork, &info, 1, 1)
            try check(info, "dsyev")
            lwork = max(1, Int32(query))
            var work = Array(repeating: 0.0, count: Int(lwork))
            kinapse_dsyev(&jobz, &uplo, &nn, &aa, &lda, &w, &work, &lwork, &info, 1, 1)
            try check(info, "dsyev")
        }
        eigenvalues = w
        vectors = Matrix(rows: n, columns: n, columnMajor: aa)
    }
}

/// Householder QR factorisation `A = Q R` of an m × n matrix (LAPACK `dgeqrf`), with
/// `Qᵀ b` by `dormqr` and triangular solves by `dtrtrs`.
public struct QRFactorization: Sendable {
    public let rows: Int
    public let columns: Int
    /// `dgeqrf`'s output: R on and above the diagonal, reflectors below.
    private let packed: [Double]
    private let tau: [Double]

    public init(of a: Matrix) throws(LinearAlgebraError) {
        try requireLAPACK("dgeqrf")
        rows = a.rows
        columns = a.columns
        var aa = a.elements
        var t = Array(repeating: 0.0, count: min(rows, columns))
        if !t.isEmpty {
            var m = Int32(rows), n = Int32(columns), lda = Int32(max(rows, 1)), info: Int32 = 0
            var lwork: Int32 = -1
            var query = 0.0
            kinapse_dgeqrf(&m, &n, &aa, &lda, &t, &query, &lwork, &info)
            try check(info, "dgeqrf")
            lwork = max(1, Int32(query))
            var work = Array(repeating: 0.0, count: Int(lwork))
            kinapse_dgeqrf(&m, &n, &aa, &lda, &t, &work, &lwork, &info)
            try check(info, "dgeqrf")
        }
        packed = aa
        tau = t
    }

    /// The k × n upper-trapezoidal factor R, k = min(m, n).
    public var r: Matrix {
        let k = min(rows, columns)
        var out = Matrix(rows: k, columns: columns)
        guard k > 0 else { return out }
        for j in 0..<columns { for i in 0...min(j, k - 1) { out[i, j] = packed[i + j * rows] } }
        return out
    }

    /// `Qᵀ b` (length m).
    public func applyingQTranspose(to b: [Double]) throws(LinearAlgebraError) -> [Double] {
        precondition(b.count == rows, "right-hand side has \(b.count) entries, expected \(rows)")
        var c = b
        guard !tau.isEmpty else { return c }
        var side = fortranCharacter("L"), trans = fortranCharacter("T")
        var m = Int32(rows), n: Int32 = 1, k = Int32(tau.count), lda = Int32(rows), ldc = Int32(rows)
        var info: Int32 = 0, lwork: Int32 = -1, query = 0.0
        var a = packed, t = tau
        kinapse_dormqr(&side, &trans, &m, &n, &k, &a, &lda, &t, &c, &ldc, &query, &lwork, &info, 1, 1)
        try check(info, "dormqr")
        lwork = max(1, Int32(query))
        var work = Array(repeating: 0.0, count: Int(lwork))
        kinapse_dormqr(&side, &trans, &m, &n, &k, &a, &lda, &t, &c, &ldc, &work, &lwork, &info, 1, 1)
        try check(info, "dormqr")
        return c
    }

    /// The least-squares solution of `A x ≈ b` for full column rank A (m ≥ n): solves
    /// `R x = (Qᵀ b)[0..<n]`. Throws `dtrtrs` info > 0 when R has a zero on its diagonal.
    public func solveLeastSquares(_ b: [Double]) throws(LinearAlgebraError) -> [Double] {
        precondition(rows >= columns, "least squares by QR needs m ≥ n")
        let qtb = try applyingQTranspose(to: b)
        var x = Array(qtb[0..<columns])
        guard columns > 0 else { return x }
        var uplo = fortranCharacter("U"), trans = fortranCharacter("N"), diag = fortranCharacter("N")
        var n = Int32(columns), nrhs: Int32 = 1, lda = Int32(rows), ldb = Int32(columns), info: Int32 = 0
        var a = packed
        kinapse_dtrtrs(&uplo, &trans, &diag, &n, &nrhs, &a, &lda, &x, &ldb, &info, 1, 1, 1)
        try check(info, "dtrtrs")
        return x
    }
}
