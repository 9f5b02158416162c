#ifndef KINAPSE_SOLVER_KERNELS_H
#define KINAPSE_SOLVER_KERNELS_H
/* Optimised replacements for the SUNDIALS 6.4 kernels CVODES runs on every step: the
 * serial vector operations, the matrix copy, zero and A = cA + I (dense and sparse), and
 * the dense LU. Each install function overwrites entries of an object's operation table
 * (clones of a matrix get the kernels too; vectors CVODES clones copy the table).
 *
 * Why: Debian 12's libsundials 6.4.1 is compiled without optimisation (its objects keep
 * every local on the stack; SUNDIALS before 7.0 left CMAKE_BUILD_TYPE empty). On the 11-
 * and 15-state benchmark models those kernels took more than half of the integration
 * time, and they are why libRoadRunner (with its own, optimised SUNDIALS) ran the same
 * steps faster.
 *
 * Each kernel performs the same floating-point operations in the same order as the
 * SUNDIALS 6.4 routine it replaces (including the vector-operation fallbacks of the fused
 * and vector-array operations, which Debian's build leaves disabled), so results are
 * bit-identical and the solver takes exactly the same steps (LinearSolverTests checks
 * this). The vector-array kernels matter for forward sensitivities: CVODES applies each
 * operation to all sensitivity vectors at once, and the library's fallback dispatches
 * (and for two of them allocates) once per vector.
 *
 * Written in C, and compiled into both Kinapse and the C baselines under Benchmarks/, so
 * that the two are compared on the same kernels, not on two translations of them. */
#include <nvector/nvector_serial.h>
#include <sunmatrix/sunmatrix_dense.h>
#include <sunmatrix/sunmatrix_sparse.h>
#include <sunlinsol/sunlinsol_dense.h>

void kinapse_install_vector_kernels(N_Vector v);
void kinapse_install_dense_matrix_kernels(SUNMatrix m);
void kinapse_install_sparse_matrix_kernels(SUNMatrix m);
void kinapse_install_dense_solver_kernels(SUNLinearSolver s);
/* Not a kernel of identical results: KLU keeps its analysis and pivot order across
 * restarts and factorises without row scaling, and a small system is refactorised and
 * solved by a fixed elimination schedule made from KLU's pivot order (klu_solver.c). */
void kinapse_install_klu_solver_kernels(SUNLinearSolver s);
/* How many setups of a solver with those kernels the schedule factorised, and how many
 * KLU did (first factorisations and new pivot orders); 0 and 0 for any other solver. */
void kinapse_klu_factorisation_counts(SUNLinearSolver s, long *scheduled, long *klu);

/* The callback CVODES calls for a right-hand side compiled to machine code. */
#include "kinapse_direct_rhs.h"

#endif
