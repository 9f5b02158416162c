/* SUNDIALS' KLU solver against the same solver with Kinapse's kernels (klu_solver.c: the
 * analysis kept, no row scaling, and a fixed elimination schedule made from KLU's pivot order),
 * on a matrix of `make run`'s size: 65 states, the diagonal and two entries per row at
 * pseudo-random columns (192 non-zeros; the factors fill in to about twice that). Times one
 * setup (a refactorisation with the kept pivots) and one solve, CPU time per call averaged over
 * 100,000 calls after the first factorisation.
 *
 *     cc -O2 -I Sources/CSolverKernels/include -o /tmp/klu_schedule Benchmarks/c-baseline/klu_schedule.c \
 *        Sources/CSolverKernels/klu_solver.c Sources/CSolverKernels/solver_kernels.c -lsundials_sunlinsolklu \
 *        -lsundials_sunmatrixsparse -lsundials_sunmatrixdense -lsundials_sunlinsoldense -lsundials_nvecserial -lklu -lm
 *     /tmp/klu_schedule 0     # KLU as Kinapse had it: analysis kept, no row scaling (refactor, solve)
 *     /tmp/klu_schedule 1     # with the schedule */
#include "kinapse_solver_kernels.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <suitesparse/klu.h>
#include <sunlinsol/sunlinsol_klu.h>

static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv)
{
    const int scheduled = argc > 1 && atoi(argv[1]) == 1;
    enum { n = 65, calls = 100000 };
    SUNContext context;
    SUNContext_Create(NULL, &context);
    static double dense[n * n];
    srand(3);
    for (int i = 0; i < n; i++) {
        dense[i * n + i] = 1 + (rand() % 100) / 10.0;
        for (int r = 0; r < 2; r++) dense[i * n + rand() % n] += (rand() % 200 - 100) / 7.0;
    }
    int nonzeros = 0;
    for (int i = 0; i < n * n; i++) nonzeros += dense[i] != 0;
    SUNMatrix a = SUNSparseMatrix(n, n, nonzeros, CSC_MAT, context);
    sunindextype *starts = SUNSparseMatrix_IndexPointers(a), *rows = SUNSparseMatrix_IndexValues(a);
    double *values = SUNSparseMatrix_Data(a);
    int p = 0;
    for (int j = 0; j < n; j++) {
        starts[j] = p;
        for (int i = 0; i < n; i++)
            if (dense[i * n + j] != 0) {
                rows[p] = i;
                values[p++] = dense[i * n + j];
            }
    }
    starts[n] = p;
    N_Vector x = N_VNew_Serial(n, context), b = N_VNew_Serial(n, context);
    for (int i = 0; i < n; i++) N_VGetArrayPointer(b)[i] = i;
    SUNLinearSolver s = SUNLinSol_KLU(x, a, context);
    if (scheduled) {
        kinapse_install_klu_solver_kernels(s);
    } else {
        SUNLinSol_KLUGetCommon(s)->scale = -1;
    }
    SUNLinSolInitialize(s);
    SUNLinSolSetup(s, a);   /* the first factorisation, with a pivot search */
    double start = cpu_seconds();
    for (int c = 0; c < calls; c++) SUNLinSolSetup(s, a);
    const double setup = (cpu_seconds() - start) / calls;
    start = cpu_seconds();
    for (int c = 0; c < calls; c++) SUNLinSolSolve(s, a, x, b, 0);
    const double solve = (cpu_seconds() - start) / calls;
    printf("%s: %d non-zeros, setup %.3f us, solve %.3f us\n", scheduled ? "schedule" : "KLU", nonzeros, 1e6 * setup, 1e6 * solve);
    SUNLinSolFree(s);
    N_VDestroy(x);
    N_VDestroy(b);
    SUNMatDestroy(a);
    SUNContext_Free(&context);
    return 0;
}
