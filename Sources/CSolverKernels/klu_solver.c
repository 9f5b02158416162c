/* SUNDIALS' KLU linear solver, made to keep its symbolic analysis and pivot order across
 * the integrator's restarts, without row scaling, and, for small systems, refactorised and
 * solved by a fixed elimination schedule instead of KLU's own refactorisation. */
#include "kinapse_solver_kernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <suitesparse/klu.h>
#include <sunlinsol/sunlinsol_klu.h>

/* ---- the fixed elimination schedule ----
 *
 * Between two pivot searches KLU refactorises with the pivot order it found, so the pattern of
 * the factors never changes: every factorisation performs the same list of multiply-subtracts
 * on the same entries. For the small systems of a rig synapse (65 states, 222 non-zeros) KLU's
 * general machinery (block loops, a work column scattered and gathered per column, the
 * permutations applied per solve) costs more than the operations themselves: KLU took 23 % of
 * `make run`'s time. The schedule is that list, made once from KLU's pivot order: the matrix
 * is scattered into the factors' entries, each pivot column is divided by its pivot and its
 * products subtracted from precomputed positions, and the solves run over the precomputed
 * columns. On a 65-state matrix a refactorisation takes 0.90 us against KLU's 1.16-1.27 us and a
 * solve 0.45-0.49 us against 0.80-0.85 us (Benchmarks/c-baseline/klu_schedule.c;
 * Benchmarks/RESULTS.md, "make run: the absolute tolerance, a fixed elimination schedule").
 * The pivots are KLU's, so the factors are the same as KLU's up to the order of the additions;
 * when a pivot comes out zero or the factor's reciprocal condition estimate small (SUNDIALS'
 * own test after a refactorisation), KLU searches new pivots and the schedule is made again
 * from them. */

/* Systems up to this many states get a schedule (its symbolic step keeps an n x n table of
 * positions), and only when the multiply-subtracts of one factorisation are at most
 * `schedule_max_updates` (the schedule stores one index per operation): above that, KLU's
 * left-looking factorisation of a large or filling matrix is the better use of memory. On
 * random patterns of 110, 200 and 500 states the schedule refactorised within 5 % of KLU's
 * time or faster and solved 8-15 % faster (klu_schedule.c with its n changed); larger
 * systems were not measured and keep KLU. */
enum { schedule_max_states = 500 };
static const long schedule_max_updates = 1L << 20;
/* SUNDIALS' bound on KLU's reciprocal condition estimate after a refactorisation: the unit
 * roundoff of double to the power 2/3 (DBL_EPSILON^(2/3)). */
static const double rcond_bound = 3.666852862501036e-11;

typedef struct {
    /* SUNDIALS frees S->ops with free(), so the operation table is this block's first
     * member and the block is the table's allocation. */
    struct _generic_SUNLinearSolver_Ops ops;
    sunindextype n;
    int ready;                 /* a schedule exists for KLU's current pivot order */
    int factored;              /* the last setup's factors are the schedule's (else KLU's) */
    /* The matrix pattern the schedule was made for (CSC), to notice a different one. */
    sunindextype nnz;
    sunindextype *starts, *rows;
    sunindextype *row_of;      /* row k of the permuted matrix is row row_of[k] of A */
    sunindextype *column_of;   /* column k of the permuted matrix is column column_of[k] of A */
    sunindextype *position;    /* A's stored entry p goes to factors[position[p]] */
    sunindextype size;         /* entries of the factors (L below and U on and above the diagonal) */
    sunindextype *diagonal;    /* factors[diagonal[k]] is U(k,k) */
    /* Column k of L: lower[lower_start[k] .. lower_start[k+1]) positions, lower_row the rows. */
    sunindextype *lower_start, *lower, *lower_row;
    /* Row k of U right of the diagonal: upper[upper_start[k] .. upper_start[k+1]) positions. */
    sunindextype *upper_start, *upper;
    /* For column k's pivot, the positions updated: for each L entry of column k in order,
     * for each U entry of row k in order, factors[target] -= l * u. */
    sunindextype *target;
    /* Column k of U above the diagonal (backward substitution): positions and rows. */
    sunindextype *above_start, *above, *above_row;
    double *factors, *work;
    /* 1 / U(k,k): the solves multiply by it, as a division in the backward substitution's
     * dependency chain took a quarter of their time. */
    double *inverse_pivot;
    /* Setups factorised by the schedule, and by KLU (first ones and new pivot orders). */
    long scheduled_factorisations, klu_factorisations;
} scheduled_klu;

static scheduled_klu *schedule_of(SUNLinearSolver s) { return (scheduled_klu *)s->ops; }

static void free_schedule_arrays(scheduled_klu *k)
{
    sunindextype **arrays[] = {&k->starts, &k->rows, &k->row_of, &k->column_of, &k->position, &k->diagonal,
                               &k->lower_start, &k->lower, &k->lower_row, &k->upper_start, &k->upper,
                               &k->target, &k->above_start, &k->above, &k->above_row};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        free(*arrays[i]);
        *arrays[i] = NULL;
    }
    free(k->factors);
    free(k->work);
    free(k->inverse_pivot);
    k->factors = k->work = k->inverse_pivot = NULL;
    k->ready = k->factored = 0;
}

/* Makes the schedule for A's pattern and KLU's current pivot order; leaves `ready` 0 when
 * the system is too large for one or memory runs out (KLU's own routines then do the work). */
static void make_schedule(scheduled_klu *k, SUNMatrix a, klu_l_symbolic *symbolic, klu_l_numeric *numeric)
{
    free_schedule_arrays(k);
    const sunindextype n = SM_COLUMNS_S(a);
    if (n > schedule_max_states || n != SM_ROWS_S(a) || SM_SPARSETYPE_S(a) != CSC_MAT || !symbolic || !numeric) return;
    const sunindextype nnz = SM_INDEXPTRS_S(a)[n];
    const sunindextype *starts = SM_INDEXPTRS_S(a), *rows = SM_INDEXVALS_S(a);

    /* The permuted pattern and its fill, by elimination on a table of flags; `slot` then
     * numbers the entries of the factors row by row. */
    sunindextype *row_inverse = malloc(sizeof *row_inverse * n), *column_inverse = malloc(sizeof *column_inverse * n);
    sunindextype *slot = malloc(sizeof *slot * n * n);
    if (!row_inverse || !column_inverse || !slot) goto done;
    for (sunindextype i = 0; i < n; i++) {
        row_inverse[numeric->Pnum[i]] = i;
        column_inverse[symbolic->Q[i]] = i;
    }
    for (sunindextype i = 0; i < n * n; i++) slot[i] = -1;
    for (sunindextype j = 0; j < n; j++)
        for (sunindextype p = starts[j]; p < starts[j + 1]; p++) slot[row_inverse[rows[p]] * n + column_inverse[j]] = 0;
    for (sunindextype i = 0; i < n; i++) slot[i * n + i] = 0;
    long updates = 0;
    for (sunindextype c = 0; c < n; c++)
        for (sunindextype i = c + 1; i < n; i++) {
            if (slot[i * n + c] < 0) continue;
            for (sunindextype j = c + 1; j < n; j++)
                if (slot[c * n + j] >= 0) {
                    slot[i * n + j] = 0;
                    updates++;
                }
        }
    if (updates > schedule_max_updates) goto done;
    sunindextype size = 0;
    for (sunindextype i = 0; i < n * n; i++) if (slot[i] >= 0) slot[i] = size++;

    k->n = n;
    k->nnz = nnz;
    k->size = size;
    k->starts = malloc(sizeof(sunindextype) * (n + 1));
    k->rows = malloc(sizeof(sunindextype) * (nnz ? nnz : 1));
    k->row_of = malloc(sizeof(sunindextype) * n);
    k->column_of = malloc(sizeof(sunindextype) * n);
    k->position = malloc(sizeof(sunindextype) * (nnz ? nnz : 1));
    k->diagonal = malloc(sizeof(sunindextype) * n);
    k->lower_start = malloc(sizeof(sunindextype) * (n + 1));
    k->upper_start = malloc(sizeof(sunindextype) * (n + 1));
    k->above_start = malloc(sizeof(sunindextype) * (n + 1));
    k->lower = malloc(sizeof(sunindextype) * size);
    k->lower_row = malloc(sizeof(sunindextype) * size);
    k->upper = malloc(sizeof(sunindextype) * size);
    k->above = malloc(sizeof(sunindextype) * size);
    k->above_row = malloc(sizeof(sunindextype) * size);
    k->target = malloc(sizeof(sunindextype) * (updates ? updates : 1));
    k->factors = malloc(sizeof(double) * size);
    k->work = malloc(sizeof(double) * n);
    k->inverse_pivot = malloc(sizeof(double) * n);
    if (!k->starts || !k->rows || !k->row_of || !k->column_of || !k->position || !k->diagonal || !k->lower_start
        || !k->upper_start || !k->above_start || !k->lower || !k->lower_row || !k->upper || !k->above
        || !k->above_row || !k->target || !k->factors || !k->work || !k->inverse_pivot) {
        free_schedule_arrays(k);
        goto done;
    }
    memcpy(k->starts, starts, sizeof(sunindextype) * (n + 1));
    memcpy(k->rows, rows, sizeof(sunindextype) * nnz);
    for (sunindextype i = 0; i < n; i++) {
        k->row_of[i] = numeric->Pnum[i];
        k->column_of[i] = symbolic->Q[i];
        k->diagonal[i] = slot[i * n + i];
    }
    for (sunindextype j = 0; j < n; j++)
        for (sunindextype p = starts[j]; p < starts[j + 1]; p++) k->position[p] = slot[row_inverse[rows[p]] * n + column_inverse[j]];
    sunindextype lower = 0, upper = 0, above = 0, target = 0;
    for (sunindextype c = 0; c < n; c++) {
        k->lower_start[c] = lower;
        k->upper_start[c] = upper;
        k->above_start[c] = above;
        for (sunindextype i = c + 1; i < n; i++)
            if (slot[i * n + c] >= 0) {
                k->lower[lower] = slot[i * n + c];
                k->lower_row[lower++] = i;
            }
        for (sunindextype j = c + 1; j < n; j++) if (slot[c * n + j] >= 0) k->upper[upper++] = slot[c * n + j];
        for (sunindextype i = 0; i < c; i++)
            if (slot[i * n + c] >= 0) {
                k->above[above] = slot[i * n + c];
                k->above_row[above++] = i;
            }
        for (sunindextype p = k->lower_start[c]; p < lower; p++)
            for (sunindextype j = c + 1; j < n; j++)
                if (slot[c * n + j] >= 0) k->target[target++] = slot[k->lower_row[p] * n + j];
    }
    k->lower_start[n] = lower;
    k->upper_start[n] = upper;
    k->above_start[n] = above;
    k->ready = 1;
done:
    free(row_inverse);
    free(column_inverse);
    free(slot);
}

/* A has the pattern the schedule was made for (the Jacobian's pattern never changes within
 * a run; this guards a solver reused for another matrix). */
static int same_pattern(const scheduled_klu *k, SUNMatrix a)
{
    const sunindextype n = SM_COLUMNS_S(a);
    return n == k->n && SM_SPARSETYPE_S(a) == CSC_MAT && SM_INDEXPTRS_S(a)[n] == k->nnz
           && memcmp(SM_INDEXPTRS_S(a), k->starts, sizeof(sunindextype) * (n + 1)) == 0
           && memcmp(SM_INDEXVALS_S(a), k->rows, sizeof(sunindextype) * k->nnz) == 0;
}

/* Factorises A with the schedule. 0 on success; -1 when a pivot is zero or not finite, or
 * the reciprocal condition estimate min |U(k,k)| / max |U(k,k)| is below SUNDIALS' bound
 * for a refactorisation (unit roundoff to the 2/3). */
static int factor_scheduled(scheduled_klu *k, SUNMatrix a)
{
    double *restrict f = k->factors;
    const double *values = SM_DATA_S(a);
    memset(f, 0, sizeof(double) * k->size);
    for (sunindextype p = 0; p < k->nnz; p++) f[k->position[p]] = values[p];
    const sunindextype *restrict target = k->target;
    double smallest = INFINITY, largest = 0;
    for (sunindextype c = 0; c < k->n; c++) {
        const double pivot = f[k->diagonal[c]];
        const double size = fabs(pivot);
        if (!(size > 0) || !isfinite(size)) return -1;
        if (size < smallest) smallest = size;
        if (size > largest) largest = size;
        const double inverse = k->inverse_pivot[c] = 1.0 / pivot;
        /* Row c of U, final now, gathered once for all the rows it updates. */
        const sunindextype u0 = k->upper_start[c], count = k->upper_start[c + 1] - u0;
        double *restrict u = k->work;
        for (sunindextype q = 0; q < count; q++) u[q] = f[k->upper[u0 + q]];
        for (sunindextype p = k->lower_start[c]; p < k->lower_start[c + 1]; p++) {
            const double l = f[k->lower[p]] *= inverse;
            for (sunindextype q = 0; q < count; q++) f[target[q]] -= l * u[q];
            target += count;
        }
    }
    return smallest / largest < rcond_bound ? -1 : 0;
}

/* x = A⁻¹ b with the scheduled factors (x and b may be the same vector). */
static void solve_scheduled(const scheduled_klu *k, double *x, const double *b)
{
    const sunindextype n = k->n;
    const double *restrict f = k->factors;
    double *restrict y = k->work;
    for (sunindextype i = 0; i < n; i++) y[i] = b[k->row_of[i]];
    for (sunindextype c = 0; c < n; c++) {
        const double yc = y[c];
        if (yc == 0) continue;
        for (sunindextype p = k->lower_start[c]; p < k->lower_start[c + 1]; p++) y[k->lower_row[p]] -= f[k->lower[p]] * yc;
    }
    for (sunindextype c = n - 1; c >= 0; c--) {
        const double yc = y[c] *= k->inverse_pivot[c];
        if (yc == 0) continue;
        for (sunindextype p = k->above_start[c]; p < k->above_start[c + 1]; p++) y[k->above_row[p]] -= f[k->above[p]] * yc;
    }
    for (sunindextype i = 0; i < n; i++) x[k->column_of[i]] = y[i];
}

/* ---- the operations installed on the KLU solver ---- */

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

/* KLU's setup: a first factorisation (with a pivot search) or a refactorisation. When the
 * refactorisation meets a zero pivot (KLU itself factorises afresh when the old order only
 * gives a poorly conditioned factor), the matrix is analysed and factorised anew, with a
 * new pivot search, instead of reporting a failure that would make CVODES shrink the step
 * and meet the same pivot again. */
static int klu_setup_with_new_pivots_on_failure(SUNLinearSolver s, SUNMatrix a)
{
    const int flag = SUNLinSolSetup_KLU(s, a);
    if (flag != SUNLS_PACKAGE_FAIL_REC) return flag;
    SUNLinSolInitialize_KLU(s);
    return SUNLinSolSetup_KLU(s, a);
}

/* Factorises with the schedule when there is one for A; otherwise (the first setup, a new
 * pivot order, a system too large for a schedule) KLU factorises, and a schedule is made
 * from its pivots. */
static int scheduled_setup(SUNLinearSolver s, SUNMatrix a)
{
    scheduled_klu *k = schedule_of(s);
    SUNLinearSolverContent_KLU content = (SUNLinearSolverContent_KLU)s->content;
    if (k->ready && same_pattern(k, a)) {
        k->factored = factor_scheduled(k, a) == 0;
        if (k->factored) {
            k->scheduled_factorisations++;
            content->last_flag = SUNLS_SUCCESS;
            return SUNLS_SUCCESS;
        }
        /* New pivots: KLU analyses and factorises afresh. */
        SUNLinSolInitialize_KLU(s);
    }
    k->factored = 0;
    k->klu_factorisations++;
    const int flag = klu_setup_with_new_pivots_on_failure(s, a);
    if (flag != SUNLS_SUCCESS) return flag;
    make_schedule(k, a, SUNLinSol_KLUGetSymbolic(s), SUNLinSol_KLUGetNumeric(s));
    /* The next solves use KLU's factors; the schedule factorises from the next setup on. */
    return flag;
}

static int scheduled_solve(SUNLinearSolver s, SUNMatrix a, N_Vector x, N_Vector b, realtype tolerance)
{
    scheduled_klu *k = schedule_of(s);
    if (!k->factored) return SUNLinSolSolve_KLU(s, a, x, b, tolerance);
    solve_scheduled(k, N_VGetArrayPointer(x), N_VGetArrayPointer(b));
    ((SUNLinearSolverContent_KLU)s->content)->last_flag = SUNLS_SUCCESS;
    return SUNLS_SUCCESS;
}

static int scheduled_free(SUNLinearSolver s)
{
    if (s && s->ops) free_schedule_arrays(schedule_of(s));
    return SUNLinSolFree_KLU(s);
}

void kinapse_install_klu_solver_kernels(SUNLinearSolver s)
{
    /* No row scaling (KLU's default divides each row by its largest entry at every
     * refactorisation and scales every solve): on `make run`'s 70 states it cost about 10 %
     * of the run (Benchmarks/RESULTS.md, "make run: fresher Jacobians, KLU without row
     * scaling"). The pivot order is chosen on the unscaled matrix; a refactorisation whose
     * pivots turn poor is caught by SUNDIALS' condition estimate and factorised afresh.
     * -1 also skips KLU's check of the matrix's structure, which Kinapse writes itself. */
    sun_klu_common *common = SUNLinSol_KLUGetCommon(s);
    if (common) common->scale = -1;
    scheduled_klu *k = calloc(1, sizeof *k);
    if (!k) {
        s->ops->initialize = initialize_keeping_analysis;
        s->ops->setup = klu_setup_with_new_pivots_on_failure;
        return;
    }
    k->ops = *s->ops;
    free(s->ops);
    s->ops = &k->ops;
    k->ops.initialize = initialize_keeping_analysis;
    k->ops.setup = scheduled_setup;
    k->ops.solve = scheduled_solve;
    k->ops.free = scheduled_free;
}

void kinapse_klu_factorisation_counts(SUNLinearSolver s, long *scheduled, long *klu)
{
    const int installed = s && s->ops && s->ops->setup == scheduled_setup;
    *scheduled = installed ? schedule_of(s)->scheduled_factorisations : 0;
    *klu = installed ? schedule_of(s)->klu_factorisations : 0;
}
