/* SUNDIALS' KLU linear solver, made to keep its symbolic analysis and pivot order across
 * the integrator's restarts, without row scaling. */
#include "kinapse_solver_kernels.h"
#include <suitesparse/klu.h>
#include <sunlinsol/sunlinsol_klu.h>

/* CVODES initialises its linear solver again at every restart (cvInitialSetup, after each
 * CVodeReInit), and SUNDIALS' KLU marks the next setup as a first one: a symbolic analysis
 * (block triangular form, COLAMD ordering) and a factorisation with a new pivot search, for
 * a sparsity pattern that never changes. A rig synapse restarts at every stimulus, 1,443
 * times in `make run`, and those analyses were about 3 % of its time. Here the analysis of
 * the first setup is kept, and every later setup refactorises with the pivot order found
 * then, as every setup between two restarts always did. */
static int initialize_keeping_analysis(SUNLinearSolver s)
{
    if (SUNLinSol_KLUGetSymbolic(s) != NULL && SUNLinSol_KLUGetNumeric(s) != NULL) return SUNLS_SUCCESS;
    return SUNLinSolInitialize_KLU(s);
}

/* A refactorisation fails when the kept pivot order meets a zero pivot (KLU itself
 * factorises afresh when the old order only gives a poorly conditioned factor). Then the
 * matrix is analysed and factorised anew, with a new pivot search, instead of reporting a
 * failure that would make CVODES shrink the step and meet the same pivot again. */
static int setup_with_new_pivots_on_failure(SUNLinearSolver s, SUNMatrix a)
{
    const int flag = SUNLinSolSetup_KLU(s, a);
    if (flag != SUNLS_PACKAGE_FAIL_REC) return flag;
    SUNLinSolInitialize_KLU(s);
    return SUNLinSolSetup_KLU(s, a);
}

void kinapse_install_klu_solver_kernels(SUNLinearSolver s)
{
    s->ops->initialize = initialize_keeping_analysis;
    s->ops->setup = setup_with_new_pivots_on_failure;
    /* No row scaling (KLU's default divides each row by its largest entry at every
     * refactorisation and scales every solve): on `make run`'s 70 states it cost about 10 %
     * of the run (Benchmarks/RESULTS.md, "make run: fresher Jacobians, KLU without row
     * scaling"). The pivot order is chosen on the unscaled matrix; a refactorisation whose
     * pivots turn poor is caught by SUNDIALS' condition estimate and factorised afresh.
     * -1 also skips KLU's check of the matrix's structure, which Kinapse writes itself. */
    sun_klu_common *common = SUNLinSol_KLUGetCommon(s);
    if (common) common->scale = -1;
}
