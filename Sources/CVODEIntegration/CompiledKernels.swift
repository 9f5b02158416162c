internal import CSundials
internal import CSundialsKLU
internal import CSolverKernels

/// Optimised replacements for the SUNDIALS kernels CVODES runs on every step, installed in
/// the operation tables of the integrator's vectors, matrix and linear solver: the serial
/// vector operations (on one vector and on arrays of them), the matrix copy, zero and
/// `A = cA + I` (dense and sparse), and the dense LU.
///
/// Why, and why they give bit-identical results: see `Sources/CSolverKernels`. They are
/// written in C so that the C baselines under `Benchmarks/` compile the very same code.
enum CompiledKernels {
    /// Vectors CVODES clones from `v` (its work vectors, the sensitivity vectors) copy the table.
    static func install(onVector v: N_Vector) { kinapse_install_vector_kernels(v) }
    /// Clones of `m` (CVODES keeps a saved Jacobian) get the kernels too.
    static func install(onDenseMatrix m: SUNMatrix) { kinapse_install_dense_matrix_kernels(m) }
    static func install(onSparseMatrix m: SUNMatrix) { kinapse_install_sparse_matrix_kernels(m) }
    static func install(onDenseSolver s: SUNLinearSolver) { kinapse_install_dense_solver_kernels(s) }
}
