/* The optimised SUNDIALS kernels for the C baselines: Kinapse's own, compiled from the
 * same file (Sources/CSolverKernels/solver_kernels.c, where the reasons are written down),
 * so that Kinapse and C are compared on the same kernels. Set C_LIBRARY_KERNELS=1 in the
 * environment to run the library's instead and compare: the steps and results are
 * identical. Included by both C programs. */
#ifndef KINAPSE_BENCH_COMPILED_KERNELS_H
#define KINAPSE_BENCH_COMPILED_KERNELS_H

#include <stdlib.h>
#include <string.h>
#include "../../Sources/CSolverKernels/solver_kernels.c"

static int use_compiled_kernels(void)
{
    const char *v = getenv("C_LIBRARY_KERNELS");
    return !(v && *v && strcmp(v, "0") != 0);
}

static void install_vector_kernels(N_Vector v) { if (use_compiled_kernels()) kinapse_install_vector_kernels(v); }
static void install_dense_matrix_kernels(SUNMatrix m) { if (use_compiled_kernels()) kinapse_install_dense_matrix_kernels(m); }
static void install_dense_solver_kernels(SUNLinearSolver s) { if (use_compiled_kernels()) kinapse_install_dense_solver_kernels(s); }
static void install_sparse_matrix_kernels(SUNMatrix m) { if (use_compiled_kernels()) kinapse_install_sparse_matrix_kernels(m); }

#endif
