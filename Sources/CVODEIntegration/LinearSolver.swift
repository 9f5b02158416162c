internal import CSundials
internal import CSolverKernels
internal import CSundialsKLU
public import KineticsCore
import Foundation

/// Which linear solver the Newton iteration uses for `(I − γJ) x = b`.
public enum LinearSolverChoice: String, Sendable, Hashable, CaseIterable {
    /// Dense LU for small systems and for systems whose LU factors fill in, KLU (sparse LU)
    /// for the others, when the system offers a sparse Jacobian (`automatic(states:sparsity:)`).
    case automatic = "auto"
    /// Dense LU (LAPACK-style, SUNDIALS' own): O(n²) memory, O(n³) per factorisation.
    case dense
    /// SuiteSparse's KLU on the compressed-sparse-column Jacobian: memory and work grow
    /// with the non-zeros; the pattern is analysed once and refactored after that.
    case klu

    /// Smallest state count for which `automatic` picks KLU. Measured (CPU time per run,
    /// release build): the 15-species TBS model and the 11-species one-compartment chain
    /// run equally fast with either; the 22- and 33-species chains run 1.6–1.9× faster
    /// with KLU, the 110-species one 5× (Benchmarks/make_dendrite_chain.py).
    public static let sparseThreshold = 20
    /// Most states the dense solver accepts: 5000 states take 200 MB and seconds per LU.
    public static let maximumDenseStates = 5_000
    /// Above this fraction of stored entries a sparse factorisation has nothing to gain.
    public static let maximumSparseDensity = 0.25
    /// The LU fill (`factorFill(of:)`) at which KLU and dense LU take the same time for a
    /// 1,000-state system, and how that crossover scales with the state count n:
    /// `fill = factorFillAt1000 · (n / 1000)^−factorFillExponent` (dense LU's fixed costs
    /// weigh more in small systems, so KLU pays off up to a larger fill there). Measured
    /// (integration CPU time, release build, random networks of Benchmarks/make_event_models.py,
    /// Benchmarks/RESULTS.md "Linear solver from the fill"): at 1,000 species KLU is 4.8×
    /// faster at fill 0.050, even at 0.076 and 0.108, 1.5× slower at 0.149 and 3× slower at
    /// 0.57; at 200 species 2.3× faster at 0.099, 1.5× at 0.162, even at 0.236 and 0.328.
    /// The two constants put the crossover through 0.09 at 1,000 and 0.23 at 200 states.
    public static let factorFillAt1000 = 0.09
    public static let factorFillExponent = 0.58

    /// The largest LU fill for which `automatic` picks KLU for `n` states.
    public static func maximumFactorFill(states n: Int) -> Double {
        factorFillAt1000 * pow(Double(n) / 1000, -factorFillExponent)
    }

    /// The solver `self` means for `system`: `automatic` resolved, `klu` without a
    /// sparsity pattern falls back to dense.
    public func resolved(for system: any ODESystem) -> LinearSolverChoice {
        guard let sparsity = system.jacobianSparsity else { return .dense }
        switch self {
        case .dense, .klu: return self
        case .automatic: return Self.automatic(states: system.stateCount, sparsity: sparsity)
        }
    }

    /// What `automatic` picks: dense below `sparseThreshold` states (no factorisation is
    /// costly enough to pay for sparse bookkeeping), KLU above `maximumDenseStates` (dense
    /// would not fit), and in between KLU when the Jacobian is sparse and its LU factors
    /// stay sparse too.
    public static func automatic(states n: Int, sparsity: JacobianSparsity) -> LinearSolverChoice {
        if n > maximumDenseStates { return .klu }
        if n < sparseThreshold || sparsity.density > maximumSparseDensity { return .dense }
        return factorFill(of: sparsity) <= maximumFactorFill(states: n) ? .klu : .dense
    }

    /// The fraction of the n² entries that KLU's factors of a matrix with this pattern
    /// hold (L and U with the diagonal once, and the entries off the diagonal blocks), as
    /// KLU's symbolic analysis estimates it: block triangular form, then AMD's count of
    /// each diagonal block's Cholesky factor of `A + Aᵀ`. No numbers are factorised. (The
    /// solver itself orders by COLAMD, for which KLU gives no estimate; AMD's counts are
    /// the same kind of bound, and the threshold was measured against them.)
    public static func factorFill(of sparsity: JacobianSparsity) -> Double {
        let n = sparsity.dimension
        guard n > 0 else { return 0 }
        var common = klu_l_common()
        klu_l_defaults(&common)
        common.ordering = 0
        var starts = sparsity.columnStarts.map { Int($0) }, rows = sparsity.rowIndices.map { Int($0) }
        var symbolic = klu_l_analyze(n, &starts, &rows, &common)
        guard let s = symbolic?.pointee else { return 1 }
        klu_l_free_symbolic(&symbolic, &common)
        return (s.lnz + s.unz - Double(n) + Double(s.nzoff)) / (Double(n) * Double(n))
    }
}

extension Integrator {
    /// Creates the matrix and linear solver `choice` asks for and attaches them with the
    /// matching Jacobian callback. `length` is the solver's vector length (≥ 1).
    func attachLinearSolver(_ choice: LinearSolverChoice, length: Int) throws(CVODEError) {
        if choice == .klu, let sparsity = system.jacobianSparsity, sparsity.dimension == length {
            sparseColumnStarts = sparsity.columnStarts.map { sunindextype($0) }
            sparseRowIndices = sparsity.rowIndices.map { sunindextype($0) }
            matrix = kinapse_sparse_csc(sunindextype(length), sunindextype(sparsity.nonZeroCount), context)
            guard let matrix else { throw CVODEError.setupFailure("SUNSparseMatrix", flag: -1) }
            if options.compiledKernels { CompiledKernels.install(onSparseMatrix: matrix) }
            linearSolver = SUNLinSol_KLU(y, matrix, context)
            guard let linearSolver else { throw CVODEError.setupFailure("SUNLinSol_KLU", flag: -1) }
            // The pattern is analysed once per integrator, not at every restart (a pivot
            // search again only when the kept order meets a zero pivot): klu_solver.c.
            kinapse_install_klu_solver_kernels(linearSolver)
            #if DEBUG || KINAPSE_TEST_HOOKS
            SolverTuning.current?.apply(toKLU: linearSolver)
            #endif
            try check(CVodeSetLinearSolver(memory, linearSolver, matrix), "CVodeSetLinearSolver")
            try check(CVodeSetJacFn(memory, sparseJacobianCallback), "CVodeSetJacFn")
            linearSolverKind = .klu
        } else {
            // n² doubles: refuse before allocating gigabytes (20 000 states would need 3 GB).
            guard length <= LinearSolverChoice.maximumDenseStates else {
                throw CVODEError(stage: .setup, flag: -1, flagName: "too many states for the dense solver", function: "SUNDenseMatrix",
                                 reachedTime: nil, message: "\(length) states need \(length * length / 131_072) MB as a dense matrix; use --linear-solver klu (or auto)",
                                 nonFiniteComponent: nil)
            }
            matrix = SUNDenseMatrix(sunindextype(length), sunindextype(length), context)
            linearSolver = SUNLinSol_Dense(y, matrix, context)
            guard let matrix, let linearSolver else { throw CVODEError.setupFailure("SUNLinSol_Dense", flag: -1) }
            if options.compiledKernels {
                CompiledKernels.install(onDenseMatrix: matrix)
                CompiledKernels.install(onDenseSolver: linearSolver)
            }
            try check(CVodeSetLinearSolver(memory, linearSolver, matrix), "CVodeSetLinearSolver")
            try check(CVodeSetJacFn(memory, denseJacobianCallback), "CVodeSetJacFn")
            linearSolverKind = .dense
        }
    }
}

private let denseJacobianCallback: CVLsJacFn = { t, y, _, jacobian, userData, _, _, _ in
    withIntegrator(userData) { integrator in
        let n = integrator.n
        guard n > 0 else { return 0 }
        let data = kinapse_dense_data(jacobian)!
        data.update(repeating: 0, count: n * n)
        integrator.callbackSystem.pointee.evaluateJacobian(time: t, state: kinapse_nvector_data(y)!, jacobian: data)
        let bad = kinapse_first_non_finite(data, n * n)
        guard bad < 0 else {
            integrator.nonFiniteComponent = bad % n
            return 1
        }
        return 0
    }
}

/// CVODE zeroes the sparse matrix (values and structure) before every Jacobian
/// evaluation, so the structure is written back each time: two copies of O(non-zeros),
/// small next to the factorisation.
private let sparseJacobianCallback: CVLsJacFn = { t, y, _, jacobian, userData, _, _, _ in
    withIntegrator(userData) { integrator in
        let n = integrator.n
        guard n > 0, let jacobian else { return 0 }
        let nonZeros = integrator.sparseRowIndices.count
        integrator.sparseColumnStarts.withUnsafeBufferPointer {
            kinapse_sparse_column_starts(jacobian)!.update(from: $0.baseAddress!, count: n + 1)
        }
        integrator.sparseRowIndices.withUnsafeBufferPointer {
            kinapse_sparse_row_indices(jacobian)!.update(from: $0.baseAddress!, count: nonZeros)
        }
        let values = kinapse_sparse_values(jacobian)!
        values.update(repeating: 0, count: nonZeros)
        integrator.callbackSystem.pointee.evaluateSparseJacobian(time: t, state: kinapse_nvector_data(y)!, values: values)
        let bad = kinapse_first_non_finite(values, nonZeros)
        guard bad < 0 else {
            integrator.nonFiniteComponent = Int(integrator.sparseRowIndices[bad])
            return 1
        }
        return 0
    }
}
