/*
 * C baseline for `make bench`: the dendrite-chain model that
 * Benchmarks/make_dendrite_chain.py writes (N compartments of an 11-species
 * Ca/CaM/nNOS/NO/sGC/cGMP/PKG network, Ca2+ and NO diffusing between neighbours, a
 * 40-pulse theta-burst train at t = 1 s on every tenth compartment), with a
 * hand-written right-hand side and analytic Jacobian, integrated by CVODES with the
 * settings Kinapse uses:
 *
 *   BDF, Newton iteration with a direct linear solver and a user Jacobian: dense
 *   (SUNDIALS' dense LU) or KLU on the compressed-sparse-column Jacobian;
 *   rtol 1e-6, atol 1e-12 (scalar), max 100000 steps per output interval;
 *   output on 41 points 0..20 s; each pulse a discontinuity: integrate to it with a
 *   stop time, apply Ca += dCa in compartments 0, 10, 20, ..., CVodeReInit there.
 *
 * Usage:
 *   dendrite_chain N dense|klu OUT.csv [REPETITIONS]
 *       Integrates REPETITIONS times (default 5) in one process, writes the last
 *       trajectory to OUT.csv, prints statistics and the median integration time
 *       (stderr). Timing runs from CVodeCreate to the last output, as in tbs_no_cgmp.c.
 *   dendrite_chain --check-jacobian N
 *       Compares the analytic Jacobian with central differences of the RHS at states
 *       along the trajectory (dense); exits 1 if any entry disagrees.
 *
 * Parameter and initial values must match Benchmarks/make_dendrite_chain.py.
 */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cvodes/cvodes.h>
#include <cvodes/cvodes_ls.h>
#include <nvector/nvector_serial.h>
#include <sunmatrix/sunmatrix_dense.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_sparse.h>
#include <sunlinsol/sunlinsol_klu.h>

#define BENCH_NAME "dendrite_chain"
#include "bench_common.h"
#include "compiled_kernels.h"

enum { CA, CAM, CA4CAM, NNOS, NNOS_CAM, NO, SGC, SGCA, CGMP, PKG, PKGA, NSP };
static const char *species_names[NSP] = {
    "Ca", "CaM", "Ca4CaM", "nNOS", "nNOS_CaM", "NO", "sGC", "sGCa", "cGMP", "PKG", "PKGa"
};
static const double rest[NSP] = {
    0.05, 9.99994, 6.24796e-05, 0.00999946, 5.41873e-07, 7.22497e-07, 0.00999864,
    1.36670e-06, 0.00173628, 0.181466, 0.0185339
};

static const double Ca_rest = 0.05, k_Ca_ext = 20, dCa = 0.5, kon_CaM = 100, koff_CaM = 100;
static const double kf_nNOS = 3.25, kb_nNOS = 0.05, k_nNOS_apo = 3.7, K_nNOS_Ca = 0.3;
static const double kcat_NOS = 1, k_NO_loss = 0.75, kon_sGC = 700, k_deact_sGC = 3.7;
static const double kcat_sGC_act = 30, kcat_sGC_basal = 0.1, gtp_sat = 0.8333333333333334;
static const double Vmax_PDE = 1, Km_PDE5 = 2, kon_PKG = 10, koff_PKG = 0.17;
static const double kD_Ca = 5, kD_NO = 825;

static const double RTOL = 1e-6, ATOL = 1e-12, T_END = 20.0;
static const long MAX_STEPS = 100000;
enum { NPOINTS = 41, NPULSES = 40 };

static int ncomp;   /* compartments */
static int neq;     /* 11 * ncomp */

static void model_rhs(const double *y, double *dy)
{
    const double K4 = K_nNOS_Ca * K_nNOS_Ca * K_nNOS_Ca * K_nNOS_Ca;
    for (int c = 0; c < ncomp; c++) {
        const double *s = y + NSP * c;
        double *d = dy + NSP * c;
        const double Ca4 = s[CA] * s[CA] * s[CA] * s[CA];
        const double Jext = k_Ca_ext * (s[CA] - Ca_rest);
        const double JCaM = kon_CaM * s[CAM] * Ca4 - koff_CaM * s[CA4CAM];
        const double JnNOS = kf_nNOS * s[NNOS] * s[CA4CAM] - kb_nNOS * s[NNOS_CAM];
        const double Joff = k_nNOS_apo * s[NNOS_CAM] * K4 / (K4 + Ca4);
        const double JNOsyn = kcat_NOS * s[NNOS_CAM];
        const double JNOloss = k_NO_loss * s[NO];
        const double JsGCon = kon_sGC * s[SGC] * s[NO];
        const double JsGCoff = k_deact_sGC * s[SGCA];
        const double JcGMP = (kcat_sGC_basal * s[SGC] + kcat_sGC_act * s[SGCA]) * gtp_sat;
        const double JPDE = Vmax_PDE * s[CGMP] / (Km_PDE5 + s[CGMP]);
        const double JPKG = kon_PKG * s[PKG] * s[CGMP] - koff_PKG * s[PKGA];
        d[CA] = -Jext;
        d[CAM] = -JCaM + Joff;
        d[CA4CAM] = JCaM - JnNOS;
        d[NNOS] = -JnNOS + Joff;
        d[NNOS_CAM] = JnNOS - Joff;
        d[NO] = JNOsyn - JNOloss - JsGCon + JsGCoff;
        d[SGC] = -JsGCon + JsGCoff;
        d[SGCA] = JsGCon - JsGCoff;
        d[CGMP] = JcGMP - JPDE - JPKG;
        d[PKG] = -JPKG;
        d[PKGA] = JPKG;
    }
    for (int c = 0; c + 1 < ncomp; c++) {
        const int a = NSP * c, b = NSP * (c + 1);
        const double DCa = kD_Ca * (y[a + CA] - y[b + CA]);
        const double DNO = kD_NO * (y[a + NO] - y[b + NO]);
        dy[a + CA] -= DCa; dy[b + CA] += DCa;
        dy[a + NO] -= DNO; dy[b + NO] += DNO;
    }
}

/* The Jacobian as a fixed sequence of contributions J(i, j) += v: `jac_entry` either
 * records the (i, j) sequence once (to build the sparse pattern) or adds v to the
 * matrix, dense or sparse, through a precomputed position per contribution. */
typedef struct {
    int mode;          /* 0 record pattern, 1 dense, 2 sparse */
    int k;             /* contribution counter */
    int *rows, *cols;  /* recorded contributions */
    long *position;    /* sparse: value index of contribution k */
    double *values;    /* dense column-major n x n, or sparse values */
} JacSink;

static inline void jac_entry(JacSink *s, int i, int j, double v)
{
    switch (s->mode) {
    case 0: s->rows[s->k] = i; s->cols[s->k] = j; break;
    case 1: s->values[i + (long)j * neq] += v; break;
    default: s->values[s->position[s->k]] += v; break;
    }
    s->k++;
}

static void model_jacobian(const double *y, JacSink *J)
{
    const double K4 = K_nNOS_Ca * K_nNOS_Ca * K_nNOS_Ca * K_nNOS_Ca;
    J->k = 0;
    for (int c = 0; c < ncomp; c++) {
        const double *s = y + NSP * c;
        const int o = NSP * c;
#define E(i, j, v) jac_entry(J, o + (i), o + (j), (v))
        const double Ca3 = s[CA] * s[CA] * s[CA], Ca4 = Ca3 * s[CA];
        const double dCaM_dCa = 4.0 * kon_CaM * s[CAM] * Ca3, dCaM_dCaM = kon_CaM * Ca4;
        const double h = K4 / (K4 + Ca4);
        const double dOff_dnc = k_nNOS_apo * h;
        const double dOff_dCa = -k_nNOS_apo * s[NNOS_CAM] * K4 * 4.0 * Ca3 / ((K4 + Ca4) * (K4 + Ca4));
        const double sat = 1.0 / (Km_PDE5 + s[CGMP]);
        const double dPDE = Vmax_PDE * Km_PDE5 * sat * sat;
        /* Ca' = -Jext */
        E(CA, CA, -k_Ca_ext);
        /* CaM' = -JCaM + Joff */
        E(CAM, CA, -dCaM_dCa + dOff_dCa);
        E(CAM, CAM, -dCaM_dCaM);
        E(CAM, CA4CAM, koff_CaM);
        E(CAM, NNOS_CAM, dOff_dnc);
        /* Ca4CaM' = JCaM - JnNOS */
        E(CA4CAM, CA, dCaM_dCa);
        E(CA4CAM, CAM, dCaM_dCaM);
        E(CA4CAM, CA4CAM, -koff_CaM - kf_nNOS * s[NNOS]);
        E(CA4CAM, NNOS, -kf_nNOS * s[CA4CAM]);
        E(CA4CAM, NNOS_CAM, kb_nNOS);
        /* nNOS' = -JnNOS + Joff */
        E(NNOS, CA, dOff_dCa);
        E(NNOS, CA4CAM, -kf_nNOS * s[NNOS]);
        E(NNOS, NNOS, -kf_nNOS * s[CA4CAM]);
        E(NNOS, NNOS_CAM, kb_nNOS + dOff_dnc);
        /* nNOS_CaM' = JnNOS - Joff */
        E(NNOS_CAM, CA, -dOff_dCa);
        E(NNOS_CAM, CA4CAM, kf_nNOS * s[NNOS]);
        E(NNOS_CAM, NNOS, kf_nNOS * s[CA4CAM]);
        E(NNOS_CAM, NNOS_CAM, -kb_nNOS - dOff_dnc);
        /* NO' = JNOsyn - JNOloss - JsGCon + JsGCoff */
        E(NO, NNOS_CAM, kcat_NOS);
        E(NO, NO, -k_NO_loss - kon_sGC * s[SGC]);
        E(NO, SGC, -kon_sGC * s[NO]);
        E(NO, SGCA, k_deact_sGC);
        /* sGC' = -JsGCon + JsGCoff */
        E(SGC, NO, -kon_sGC * s[SGC]);
        E(SGC, SGC, -kon_sGC * s[NO]);
        E(SGC, SGCA, k_deact_sGC);
        /* sGCa' = JsGCon - JsGCoff */
        E(SGCA, NO, kon_sGC * s[SGC]);
        E(SGCA, SGC, kon_sGC * s[NO]);
        E(SGCA, SGCA, -k_deact_sGC);
        /* cGMP' = JcGMP - JPDE - JPKG */
        E(CGMP, SGC, kcat_sGC_basal * gtp_sat);
        E(CGMP, SGCA, kcat_sGC_act * gtp_sat);
        E(CGMP, CGMP, -dPDE - kon_PKG * s[PKG]);
        E(CGMP, PKG, -kon_PKG * s[CGMP]);
        E(CGMP, PKGA, koff_PKG);
        /* PKG' = -JPKG */
        E(PKG, CGMP, -kon_PKG * s[PKG]);
        E(PKG, PKG, -kon_PKG * s[CGMP]);
        E(PKG, PKGA, koff_PKG);
        /* PKGa' = JPKG */
        E(PKGA, CGMP, kon_PKG * s[PKG]);
        E(PKGA, PKG, kon_PKG * s[CGMP]);
        E(PKGA, PKGA, -koff_PKG);
#undef E
    }
    for (int c = 0; c + 1 < ncomp; c++) {
        const int a = NSP * c, b = NSP * (c + 1);
        jac_entry(J, a + CA, a + CA, -kD_Ca); jac_entry(J, a + CA, b + CA, kD_Ca);
        jac_entry(J, b + CA, a + CA, kD_Ca);  jac_entry(J, b + CA, b + CA, -kD_Ca);
        jac_entry(J, a + NO, a + NO, -kD_NO); jac_entry(J, a + NO, b + NO, kD_NO);
        jac_entry(J, b + NO, a + NO, kD_NO);  jac_entry(J, b + NO, b + NO, -kD_NO);
    }
}

static int contributions(void) { return 39 * ncomp + 8 * (ncomp - 1); }

/* Sparse structure (CSC, diagonal included) built once from the recorded contributions. */
static long nnz;
static sunindextype *col_starts, *row_index;
static long *contribution_position;

static void build_pattern(void)
{
    const int m = contributions();
    JacSink rec = { 0, 0, malloc(sizeof(int) * m), malloc(sizeof(int) * m), NULL, NULL };
    double *y = calloc((size_t)neq, sizeof(double));
    model_jacobian(y, &rec);
    free(y);
    /* mark[i + j*neq] would be n^2; use per-column sorted lists instead */
    long *count = calloc((size_t)neq, sizeof(long));
    for (int k = 0; k < m; k++) count[rec.cols[k]]++;
    for (int j = 0; j < neq; j++) count[j]++;   /* diagonal */
    long **lists = malloc(sizeof(long *) * (size_t)neq);
    long *fill = calloc((size_t)neq, sizeof(long));
    for (int j = 0; j < neq; j++) { lists[j] = malloc(sizeof(long) * (size_t)count[j]); lists[j][fill[j]++] = j; }
    for (int k = 0; k < m; k++) lists[rec.cols[k]][fill[rec.cols[k]]++] = rec.rows[k];
    col_starts = malloc(sizeof(sunindextype) * (size_t)(neq + 1));
    row_index = malloc(sizeof(sunindextype) * (size_t)(m + neq));
    nnz = 0;
    for (int j = 0; j < neq; j++) {
        /* insertion sort: columns hold a handful of entries */
        for (long a = 1; a < fill[j]; a++)
            for (long b = a; b > 0 && lists[j][b - 1] > lists[j][b]; b--) {
                long t = lists[j][b]; lists[j][b] = lists[j][b - 1]; lists[j][b - 1] = t;
            }
        col_starts[j] = nnz;
        for (long a = 0; a < fill[j]; a++)
            if (a == 0 || lists[j][a] != lists[j][a - 1]) row_index[nnz++] = lists[j][a];
    }
    col_starts[neq] = nnz;
    contribution_position = malloc(sizeof(long) * (size_t)m);
    for (int k = 0; k < m; k++) {
        const int j = rec.cols[k];
        long p = col_starts[j];
        while (row_index[p] != rec.rows[k]) p++;
        contribution_position[k] = p;
    }
    for (int j = 0; j < neq; j++) free(lists[j]);
    free(lists); free(fill); free(count); free(rec.rows); free(rec.cols);
}

static int cv_rhs(realtype t, N_Vector y, N_Vector ydot, void *user_data)
{
    (void)t; (void)user_data;
    model_rhs(N_VGetArrayPointer(y), N_VGetArrayPointer(ydot));
    return 0;
}

static int cv_jac_dense(realtype t, N_Vector y, N_Vector fy, SUNMatrix Jm, void *user_data,
                        N_Vector t1, N_Vector t2, N_Vector t3)
{
    (void)t; (void)fy; (void)user_data; (void)t1; (void)t2; (void)t3;
    JacSink s = { 1, 0, NULL, NULL, NULL, SUNDenseMatrix_Data(Jm) };   /* zeroed by CVODE */
    model_jacobian(N_VGetArrayPointer(y), &s);
    return 0;
}

static int cv_jac_sparse(realtype t, N_Vector y, N_Vector fy, SUNMatrix Jm, void *user_data,
                         N_Vector t1, N_Vector t2, N_Vector t3)
{
    (void)t; (void)fy; (void)user_data; (void)t1; (void)t2; (void)t3;
    /* CVODE zeroes values and structure before each call: write the structure back. */
    memcpy(SUNSparseMatrix_IndexPointers(Jm), col_starts, sizeof(sunindextype) * (size_t)(neq + 1));
    memcpy(SUNSparseMatrix_IndexValues(Jm), row_index, sizeof(sunindextype) * (size_t)nnz);
    double *v = SUNSparseMatrix_Data(Jm);
    memset(v, 0, sizeof(double) * (size_t)nnz);
    JacSink s = { 2, 0, NULL, NULL, contribution_position, v };
    model_jacobian(N_VGetArrayPointer(y), &s);
    return 0;
}



static double pulse_time(int p)
{
    /* same expression as make_dendrite_chain.py: integer ms / 1000 */
    return (double)(1000 + (p / 4) * 200 + (p % 4) * 10) / 1000.0;
}

/* One integration; out is NPOINTS x neq; returns elapsed seconds. */
static double integrate(SUNContext ctx, int sparse, double *out, Stats *stats)
{
    double tout[NPOINTS];
    for (int i = 0; i < NPOINTS; i++) tout[i] = T_END * (double)i / (double)(NPOINTS - 1);
    N_Vector y = N_VNew_Serial(neq, ctx);
    if (!y) die("N_VNew_Serial", -1);
    double *yd = N_VGetArrayPointer(y);
    install_vector_kernels(y);
    for (int c = 0; c < ncomp; c++) memcpy(yd + NSP * c, rest, sizeof rest);
    memset(stats, 0, sizeof *stats);

    const double start = now_seconds(), cpu_start = cpu_seconds();
    void *mem = CVodeCreate(CV_BDF, ctx);
    if (!mem) die("CVodeCreate", -1);
    double t = 0.0;
    CHECK(CVodeInit(mem, cv_rhs, t, y));
    CHECK(CVodeSStolerances(mem, RTOL, ATOL));
    SUNMatrix A;
    SUNLinearSolver LS;
    if (sparse) {
        A = SUNSparseMatrix(neq, neq, nnz, CSC_MAT, ctx);
        LS = A ? SUNLinSol_KLU(y, A, ctx) : NULL;
    } else {
        A = SUNDenseMatrix(neq, neq, ctx);
        LS = A ? SUNLinSol_Dense(y, A, ctx) : NULL;
    }
    if (!A || !LS) die("matrix / linear solver", -1);
    if (sparse) install_sparse_matrix_kernels(A);
    else { install_dense_matrix_kernels(A); install_dense_solver_kernels(LS); }
    CHECK(CVodeSetLinearSolver(mem, LS, A));
    CHECK(CVodeSetJacFn(mem, sparse ? cv_jac_sparse : cv_jac_dense));
    CHECK(CVodeSetMaxNumSteps(mem, MAX_STEPS));

    int idx = 0, p = 0;
    memcpy(out, yd, sizeof(double) * (size_t)neq);
    idx++;
    while (idx < NPOINTS) {
        const double td = p < NPULSES ? pulse_time(p) : INFINITY;
        CHECK(CVodeSetStopTime(mem, td));
        while (idx < NPOINTS && tout[idx] < td) {
            CHECK(CVode(mem, tout[idx], y, &t, CV_NORMAL));
            memcpy(out + (size_t)idx * neq, yd, sizeof(double) * (size_t)neq);
            idx++;
        }
        if (!(td <= T_END)) break;
        CHECK(CVode(mem, td, y, &t, CV_NORMAL));
        for (int c = 0; c < ncomp; c += 10) yd[NSP * c + CA] += dCa;
        p++;
        add_stats(mem, stats);
        CHECK(CVodeReInit(mem, td, y));
        stats->reinits++;
        if (idx < NPOINTS && tout[idx] == td) { memcpy(out + (size_t)idx * neq, yd, sizeof(double) * (size_t)neq); idx++; }
    }
    add_stats(mem, stats);
    const double elapsed = now_seconds() - start;
    last_cpu = cpu_seconds() - cpu_start;
    CVodeFree(&mem);
    SUNLinSolFree(LS);
    SUNMatDestroy(A);
    N_VDestroy(y);
    return elapsed;
}

/* Central differences (step 1e-6 of each species' largest value), dense, at states
 * along the trajectory; criteria as in tbs_no_cgmp.c. */
static int check_jacobian(SUNContext ctx)
{
    double *traj = malloc(sizeof(double) * (size_t)NPOINTS * neq);
    Stats st;
    integrate(ctx, 0, traj, &st);
    double *scale = malloc(sizeof(double) * neq), *y = malloc(sizeof(double) * neq);
    double *J = malloc(sizeof(double) * (size_t)neq * neq), *fp = malloc(sizeof(double) * neq),
           *fm = malloc(sizeof(double) * neq), *col = malloc(sizeof(double) * neq);
    for (int j = 0; j < neq; j++) {
        scale[j] = 0.0;
        for (int k = 0; k < NPOINTS; k++) scale[j] = fmax(scale[j], fabs(traj[(size_t)k * neq + j]));
        if (scale[j] == 0.0) scale[j] = 1.0;
    }
    const int rows[] = { 0, 2, 3, 4, 6, 10, 40 };
    int failures = 0;
    double worst = 0.0;
    for (unsigned r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        memcpy(y, traj + (size_t)rows[r] * neq, sizeof(double) * neq);
        memset(J, 0, sizeof(double) * (size_t)neq * neq);
        JacSink s = { 1, 0, NULL, NULL, NULL, J };
        model_jacobian(y, &s);
        double *rowmax = calloc((size_t)neq, sizeof(double));
        for (int j = 0; j < neq; j++)
            for (int i = 0; i < neq; i++) rowmax[i] = fmax(rowmax[i], fabs(J[i + (size_t)j * neq]) * scale[j]);
        for (int j = 0; j < neq; j++) {
            const double yj = y[j], h = 1e-6 * scale[j];
            y[j] = yj + h; model_rhs(y, fp);
            y[j] = yj - h; model_rhs(y, fm);
            y[j] = yj;
            for (int i = 0; i < neq; i++) {
                const double an = J[i + (size_t)j * neq], fd = (fp[i] - fm[i]) / (2.0 * h), err = fabs(an - fd);
                if (err == 0.0) continue;
                const double rel = err / fmax(fmax(fabs(an), fabs(fd)), 1e-300);
                const double in_row = err * scale[j] / (rowmax[i] > 0 ? rowmax[i] : 1.0);
                worst = fmax(worst, fmin(rel, in_row));
                if (rel > 1e-5 && in_row > 1e-8) {
                    failures++;
                    fprintf(stderr, "mismatch (row %d): d%s_%d'/d%s_%d analytic %.10g, central difference %.10g\n",
                            rows[r], species_names[i % NSP], i / NSP, species_names[j % NSP], j / NSP, an, fd);
                }
            }
        }
        free(rowmax);
    }
    fprintf(stderr, "jacobian check (N = %d): %d states; largest error %.2g; %s\n", ncomp,
            (int)(sizeof rows / sizeof rows[0]), worst, failures ? "FAILED" : "ok");
    free(traj); free(scale); free(y); free(J); free(fp); free(fm); free(col);
    return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--check-jacobian") == 0) {
        ncomp = atoi(argv[2]);
        if (ncomp < 1 || ncomp > 200) { fprintf(stderr, "--check-jacobian: N between 1 and 200\n"); return 2; }
        neq = NSP * ncomp;
        SUNContext ctx;
        if (SUNContext_Create(NULL, &ctx) != 0) die("SUNContext_Create", -1);
        int rc = check_jacobian(ctx);
        SUNContext_Free(&ctx);
        return rc;
    }
    if (argc < 4 || argc > 5 || (strcmp(argv[2], "dense") != 0 && strcmp(argv[2], "klu") != 0)) {
        fprintf(stderr, "usage: %s N dense|klu OUT.csv [REPETITIONS]\n       %s --check-jacobian N\n", argv[0], argv[0]);
        return 2;
    }
    ncomp = atoi(argv[1]);
    if (ncomp < 1) { fprintf(stderr, "N must be >= 1\n"); return 2; }
    neq = NSP * ncomp;
    const int sparse = strcmp(argv[2], "klu") == 0;
    const int reps = argc == 5 ? atoi(argv[4]) : 5;
    if (reps < 1) { fprintf(stderr, "repetitions must be >= 1\n"); return 2; }
    build_pattern();

    SUNContext ctx;
    if (SUNContext_Create(NULL, &ctx) != 0) die("SUNContext_Create", -1);
    double *traj = malloc(sizeof(double) * (size_t)NPOINTS * neq);
    double *times = malloc(sizeof(double) * (size_t)reps), *cpu = malloc(sizeof(double) * (size_t)reps);
    Stats stats;
    for (int r = 0; r < reps; r++) { times[r] = integrate(ctx, sparse, traj, &stats); cpu[r] = last_cpu; }

    FILE *f = fopen(argv[3], "w");
    if (!f) { perror(argv[3]); return 2; }
    fprintf(f, "time");
    for (int i = 0; i < neq; i++) fprintf(f, ",%s_%d", species_names[i % NSP], i / NSP);
    fprintf(f, "\n");
    for (int k = 0; k < NPOINTS; k++) {
        fprintf(f, "%.10g", T_END * (double)k / (double)(NPOINTS - 1));
        for (int i = 0; i < neq; i++) fprintf(f, ",%.10g", traj[(size_t)k * neq + i]);
        fprintf(f, "\n");
    }
    if (fclose(f) != 0) { perror(argv[3]); return 2; }
    fprintf(stderr, "linear solver: %s\nnon-zeros: %ld\n", sparse ? "klu" : "dense", nnz);
    print_stats(&stats, median(times, reps), median(cpu, reps));
    free(traj); free(times); free(cpu);
    SUNContext_Free(&ctx);
    return 0;
}
