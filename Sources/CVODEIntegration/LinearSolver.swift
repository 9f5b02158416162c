internal import CSundials
internal import CSolverKernels
internal import CSundialsKLU
public import KineticsCore

/// Which linear solver the Newton iteration uses for `(I − γJ) x = b`.
public enum LinearSolverChoice: String, Sendable, Hashable, CaseIterable {
    /// Dense LU below `LinearSolverChoice.sparseThreshold` states, KLU (sparse LU) above it
    /// when the system offers a sparse Jacobian.
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

    /// The solver `self` means for `system`: `automatic` resolved, `klu` without a
    /// sparsity pattern falls back to dense.
    public func resolved(for system: any ODESystem) -> LinearSolverChoice {
        guard let sparsity = system.jacobianSparsity else { return .dense }
        switch self {
        case .dense, .klu: return self
        case .automatic:
            return system.stateCount >= Self.sparseThreshold && sparsity.density <= Self.maximumSparseDensity ? .klu : .dense
        }
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
            guard linearSolver != nil else { throw CVODEError.setupFailure("SUNLinSol_KLU", flag: -1) }
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
