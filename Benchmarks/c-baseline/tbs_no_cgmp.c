/*
 * C baseline for `make bench`: the model in Benchmarks/models/tbs_no_cgmp.ant
 * (the default NO -> sGC -> cGMP -> PKG pathway driven by a 120-pulse theta-burst
 * protocol), with a hand-written right-hand side and a hand-written dense analytic
 * Jacobian, integrated by CVODES with the settings Kinapse uses:
 *
 *   BDF, Newton iteration with a dense direct linear solver and a user Jacobian,
 *   rtol 1e-6, atol 1e-12 (scalar), max 100000 steps per output interval,
 *   output on 601 points 0..600 s, each Ca2+ pulse a discontinuity: integrate to it
 *   with a stop time, apply Ca += dCa, CVodeReInit at the pulse time. The stop time
 *   is set before every segment, to +inf after the last pulse (SUNDIALS 6.4 keeps a
 *   stop time across CVodeReInit and has no CVodeClearStopTime).
 *
 * Usage:
 *   tbs_no_cgmp PULSE_TIMES.txt OUT.csv [REPETITIONS]
 *       Integrates REPETITIONS times (default 20) in one process, writes the
 *       trajectory of the last run to OUT.csv, and prints the solver statistics
 *       (summed over re-initialisations) and the median integration time to stderr.
 *   tbs_no_cgmp --check-jacobian PULSE_TIMES.txt
 *       Compares the analytic Jacobian with central differences of the RHS at
 *       states along the trajectory; exits 1 if any entry disagrees.
 *
 * The parameter values, initial values and species order must stay identical to
 * Benchmarks/models/tbs_no_cgmp.ant (generated from Pathways/no_cgmp_pkg.ant);
 * Benchmarks/run.sh compares the two trajectories.
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

#define BENCH_NAME "tbs_no_cgmp"
#include "bench_common.h"
#include "compiled_kernels.h"

/* ---- model: species in declaration order (= CSV column order) ---- */
enum {
    iCa, iCaM, iCa4CaM, inNOS, inNOS_CaM, iNO, isGC, isGC_NO6, isGC_act,
    icGMP, iPDE5, iPDE5_P, iPKG, iPKG_cGMP, iPKG_active, NEQ
};
static const char *species_names[NEQ] = {
    "Ca", "CaM", "Ca4CaM", "nNOS", "nNOS_CaM", "NO", "sGC", "sGC_NO6", "sGC_act",
    "cGMP", "PDE5", "PDE5_P", "PKG", "PKG_cGMP", "PKG_active"
};
static const double y_initial[NEQ] = {
    0.05,          /* Ca */
    9.9999369783,  /* CaM */
    6.248e-05,     /* Ca4CaM */
    0.0099994583,  /* nNOS */
    5.417e-07,     /* nNOS_CaM */
    7.223e-07,     /* NO */
    0.0099983676,  /* sGC */
    2.664e-07,     /* sGC_NO6 */
    1.366e-06,     /* sGC_act */
    0.001714,      /* cGMP */
    0.195722,      /* PDE5 */
    0.004278,      /* PDE5_P */
    0.1814386,     /* PKG */
    0.0183,        /* PKG_cGMP */
    0.0002614      /* PKG_active */
};

/* ---- parameters (see Pathways/no_cgmp_pkg.ant for sources) ---- */
static const double Ca_rest = 0.05;
static const double k_Ca_ext = 20;
static const double dCa = 0.5;
static const double kon_CaM = 100;
static const double koff_CaM = 100;
static const double kf_nNOS = 3.25;
static const double kb_nNOS = 0.05;
static const double k_nNOS_apo = 3.7;
static const double K_nNOS_Ca = 0.34;
static const double kcat_NOS = 1;
static const double k_NO_loss = 0.75;
static const double kon_sGC = 700;
static const double k_6to5 = 20;
static const double k_5to6 = 0.2;
static const double k_deact_sGC = 3.7;
static const double kcat_sGC_act = 30;
static const double kcat_sGC_basal = 0.1;
static const double GTP = 290;
static const double Km_GTP = 58;
static const double kcat_PDE5 = 5;
static const double kcat_PDE5_P = 8;
static const double Km_PDE5 = 2;
static const double kon_PKG = 10;
static const double koff_PKG_1 = 0.17;
static const double koff_PKG_2 = 1.2;
static const double kcat_PKG_PDE5 = 1;
static const double Km_PKG_PDE5 = 1;
static const double k_PDE5_dephos = 0.01;

/* ---- solver settings (identical to Kinapse's) ---- */
static const double RTOL = 1e-6;
static const double ATOL = 1e-12;
static const long MAX_STEPS = 100000;
static const double T_END = 600.0;
enum { NPOINTS = 601 };

static void model_rhs(const double *y, double *dy)
{
    const double Ca = y[iCa], CaM = y[iCaM], Ca4CaM = y[iCa4CaM], nNOS = y[inNOS],
                 nNOS_CaM = y[inNOS_CaM], NO = y[iNO], sGC = y[isGC], sGC_NO6 = y[isGC_NO6],
                 sGC_act = y[isGC_act], cGMP = y[icGMP], PDE5 = y[iPDE5], PDE5_P = y[iPDE5_P],
                 PKG = y[iPKG], PKG_cGMP = y[iPKG_cGMP], PKG_active = y[iPKG_active];
    const double Ca4 = Ca * Ca * Ca * Ca;
    const double K4 = K_nNOS_Ca * K_nNOS_Ca * K_nNOS_Ca * K_nNOS_Ca;
    const double gtp = GTP / (Km_GTP + GTP);

    const double J_Ca_ext = k_Ca_ext * (Ca - Ca_rest);
    const double J_CaM = kon_CaM * CaM * Ca4 - koff_CaM * Ca4CaM;
    const double J_nNOS = kf_nNOS * nNOS * Ca4CaM - kb_nNOS * nNOS_CaM;
    const double J_nNOS_off = k_nNOS_apo * nNOS_CaM * K4 / (K4 + Ca4);
    const double J_NO_syn = kcat_NOS * nNOS_CaM;
    const double J_NO_loss = k_NO_loss * NO;
    const double J_sGC_bind = kon_sGC * sGC * NO;
    const double J_sGC_5c = k_6to5 * sGC_NO6 - k_5to6 * sGC_act;
    const double J_sGC_deact = k_deact_sGC * sGC_act;
    const double J_cGMP_basal = kcat_sGC_basal * sGC * gtp;
    const double J_cGMP_act = kcat_sGC_act * sGC_act * gtp;
    const double J_PDE = (kcat_PDE5 * PDE5 + kcat_PDE5_P * PDE5_P) * cGMP / (Km_PDE5 + cGMP);
    const double J_PKG_1 = kon_PKG * PKG * cGMP - koff_PKG_1 * PKG_cGMP;
    const double J_PKG_2 = kon_PKG * PKG_cGMP * cGMP - koff_PKG_2 * PKG_active;
    const double J_PDE5_phos = kcat_PKG_PDE5 * PKG_active * PDE5 / (Km_PKG_PDE5 + PDE5);
    const double J_PDE5_dephos = k_PDE5_dephos * PDE5_P;

    dy[iCa] = -J_Ca_ext;
    dy[iCaM] = -J_CaM + J_nNOS_off;
    dy[iCa4CaM] = J_CaM - J_nNOS;
    dy[inNOS] = -J_nNOS + J_nNOS_off;
    dy[inNOS_CaM] = J_nNOS - J_nNOS_off;
    dy[iNO] = J_NO_syn - J_NO_loss - J_sGC_bind + J_sGC_deact;
    dy[isGC] = -J_sGC_bind + J_sGC_deact;
    dy[isGC_NO6] = J_sGC_bind - J_sGC_5c;
    dy[isGC_act] = J_sGC_5c - J_sGC_deact;
    dy[icGMP] = J_cGMP_basal + J_cGMP_act - J_PDE - J_PKG_1 - J_PKG_2;
    dy[iPDE5] = -J_PDE5_phos + J_PDE5_dephos;
    dy[iPDE5_P] = J_PDE5_phos - J_PDE5_dephos;
    dy[iPKG] = -J_PKG_1;
    dy[iPKG_cGMP] = J_PKG_1 - J_PKG_2;
    dy[iPKG_active] = J_PKG_2;
}

/* J[i + j*NEQ] = d dy[i] / d y[j] (column-major, as SUNDIALS' dense matrix).
 * Only nonzero entries are written; the caller passes a zeroed matrix. */
static void model_jacobian(const double *y, double *J)
{
#define JAC(i, j) J[(i) + (j) * NEQ]
    const double Ca = y[iCa], CaM = y[iCaM], Ca4CaM = y[iCa4CaM], nNOS = y[inNOS],
                 nNOS_CaM = y[inNOS_CaM], NO = y[iNO], sGC = y[isGC],
                 cGMP = y[icGMP], PDE5 = y[iPDE5], PDE5_P = y[iPDE5_P],
                 PKG = y[iPKG], PKG_cGMP = y[iPKG_cGMP], PKG_active = y[iPKG_active];
    const double Ca3 = Ca * Ca * Ca, Ca4 = Ca3 * Ca;
    const double K4 = K_nNOS_Ca * K_nNOS_Ca * K_nNOS_Ca * K_nNOS_Ca;
    const double gtp = GTP / (Km_GTP + GTP);

    /* partial derivatives of the rates that are not single constants */
    const double dCaM_dCa = 4.0 * kon_CaM * CaM * Ca3;          /* d J_CaM / d Ca */
    const double dCaM_dCaM = kon_CaM * Ca4;                      /* d J_CaM / d CaM */
    const double h = K4 / (K4 + Ca4);                            /* Ca2+-free fraction */
    const double dOff_dnNC = k_nNOS_apo * h;                     /* d J_nNOS_off / d nNOS_CaM */
    const double dOff_dCa = -k_nNOS_apo * nNOS_CaM * K4 * 4.0 * Ca3 / ((K4 + Ca4) * (K4 + Ca4));
    const double sat = 1.0 / (Km_PDE5 + cGMP);
    const double pde_v = kcat_PDE5 * PDE5 + kcat_PDE5_P * PDE5_P;
    const double dPDE_dcGMP = pde_v * Km_PDE5 * sat * sat;
    const double dPDE_dPDE5 = kcat_PDE5 * cGMP * sat;
    const double dPDE_dPDE5P = kcat_PDE5_P * cGMP * sat;
    const double phos_sat = 1.0 / (Km_PKG_PDE5 + PDE5);
    const double dPhos_dK2 = kcat_PKG_PDE5 * PDE5 * phos_sat;
    const double dPhos_dPDE5 = kcat_PKG_PDE5 * PKG_active * Km_PKG_PDE5 * phos_sat * phos_sat;

    /* Ca' = -J_Ca_ext */
    JAC(iCa, iCa) = -k_Ca_ext;
    /* CaM' = -J_CaM + J_nNOS_off */
    JAC(iCaM, iCa) = -dCaM_dCa + dOff_dCa;
    JAC(iCaM, iCaM) = -dCaM_dCaM;
    JAC(iCaM, iCa4CaM) = koff_CaM;
    JAC(iCaM, inNOS_CaM) = dOff_dnNC;
    /* Ca4CaM' = J_CaM - J_nNOS */
    JAC(iCa4CaM, iCa) = dCaM_dCa;
    JAC(iCa4CaM, iCaM) = dCaM_dCaM;
    JAC(iCa4CaM, iCa4CaM) = -koff_CaM - kf_nNOS * nNOS;
    JAC(iCa4CaM, inNOS) = -kf_nNOS * Ca4CaM;
    JAC(iCa4CaM, inNOS_CaM) = kb_nNOS;
    /* nNOS' = -J_nNOS + J_nNOS_off */
    JAC(inNOS, iCa) = dOff_dCa;
    JAC(inNOS, iCa4CaM) = -kf_nNOS * nNOS;
    JAC(inNOS, inNOS) = -kf_nNOS * Ca4CaM;
    JAC(inNOS, inNOS_CaM) = kb_nNOS + dOff_dnNC;
    /* nNOS_CaM' = J_nNOS - J_nNOS_off */
    JAC(inNOS_CaM, iCa) = -dOff_dCa;
    JAC(inNOS_CaM, iCa4CaM) = kf_nNOS * nNOS;
    JAC(inNOS_CaM, inNOS) = kf_nNOS * Ca4CaM;
    JAC(inNOS_CaM, inNOS_CaM) = -kb_nNOS - dOff_dnNC;
    /* NO' = J_NO_syn - J_NO_loss - J_sGC_bind + J_sGC_deact */
    JAC(iNO, inNOS_CaM) = kcat_NOS;
    JAC(iNO, iNO) = -k_NO_loss - kon_sGC * sGC;
    JAC(iNO, isGC) = -kon_sGC * NO;
    JAC(iNO, isGC_act) = k_deact_sGC;
    /* sGC' = -J_sGC_bind + J_sGC_deact */
    JAC(isGC, iNO) = -kon_sGC * sGC;
    JAC(isGC, isGC) = -kon_sGC * NO;
    JAC(isGC, isGC_act) = k_deact_sGC;
    /* sGC_NO6' = J_sGC_bind - J_sGC_5c */
    JAC(isGC_NO6, iNO) = kon_sGC * sGC;
    JAC(isGC_NO6, isGC) = kon_sGC * NO;
    JAC(isGC_NO6, isGC_NO6) = -k_6to5;
    JAC(isGC_NO6, isGC_act) = k_5to6;
    /* sGC_act' = J_sGC_5c - J_sGC_deact */
    JAC(isGC_act, isGC_NO6) = k_6to5;
    JAC(isGC_act, isGC_act) = -k_5to6 - k_deact_sGC;
    /* cGMP' = J_cGMP_basal + J_cGMP_act - J_PDE - J_PKG_1 - J_PKG_2 */
    JAC(icGMP, isGC) = kcat_sGC_basal * gtp;
    JAC(icGMP, isGC_act) = kcat_sGC_act * gtp;
    JAC(icGMP, icGMP) = -dPDE_dcGMP - kon_PKG * PKG - kon_PKG * PKG_cGMP;
    JAC(icGMP, iPDE5) = -dPDE_dPDE5;
    JAC(icGMP, iPDE5_P) = -dPDE_dPDE5P;
    JAC(icGMP, iPKG) = -kon_PKG * cGMP;
    JAC(icGMP, iPKG_cGMP) = koff_PKG_1 - kon_PKG * cGMP;
    JAC(icGMP, iPKG_active) = koff_PKG_2;
    /* PDE5' = -J_PDE5_phos + J_PDE5_dephos */
    JAC(iPDE5, iPDE5) = -dPhos_dPDE5;
    JAC(iPDE5, iPDE5_P) = k_PDE5_dephos;
    JAC(iPDE5, iPKG_active) = -dPhos_dK2;
    /* PDE5_P' = J_PDE5_phos - J_PDE5_dephos */
    JAC(iPDE5_P, iPDE5) = dPhos_dPDE5;
    JAC(iPDE5_P, iPDE5_P) = -k_PDE5_dephos;
    JAC(iPDE5_P, iPKG_active) = dPhos_dK2;
    /* PKG' = -J_PKG_1 */
    JAC(iPKG, icGMP) = -kon_PKG * PKG;
    JAC(iPKG, iPKG) = -kon_PKG * cGMP;
    JAC(iPKG, iPKG_cGMP) = koff_PKG_1;
    /* PKG_cGMP' = J_PKG_1 - J_PKG_2 */
    JAC(iPKG_cGMP, icGMP) = kon_PKG * PKG - kon_PKG * PKG_cGMP;
    JAC(iPKG_cGMP, iPKG) = kon_PKG * cGMP;
    JAC(iPKG_cGMP, iPKG_cGMP) = -koff_PKG_1 - kon_PKG * cGMP;
    JAC(iPKG_cGMP, iPKG_active) = koff_PKG_2;
    /* PKG_active' = J_PKG_2 */
    JAC(iPKG_active, icGMP) = kon_PKG * PKG_cGMP;
    JAC(iPKG_active, iPKG_cGMP) = kon_PKG * cGMP;
    JAC(iPKG_active, iPKG_active) = -koff_PKG_2;
#undef JAC
}

/* ---- CVODES callbacks ---- */
static int cv_rhs(realtype t, N_Vector y, N_Vector ydot, void *user_data)
{
    (void)t; (void)user_data;
    model_rhs(N_VGetArrayPointer(y), N_VGetArrayPointer(ydot));
    return 0;
}

static int cv_jac(realtype t, N_Vector y, N_Vector fy, SUNMatrix J, void *user_data,
                  N_Vector tmp1, N_Vector tmp2, N_Vector tmp3)
{
    (void)t; (void)fy; (void)user_data; (void)tmp1; (void)tmp2; (void)tmp3;
    /* CVODE's linear-solver interface zeroes J before calling this function. */
    model_jacobian(N_VGetArrayPointer(y), SUNDenseMatrix_Data(J));
    return 0;
}


static double *read_pulses(const char *path, int *count)
{
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); exit(2); }
    int cap = 256, n = 0;
    double *v = malloc(sizeof(double) * (size_t)cap), x;
    while (fscanf(f, "%lf", &x) == 1) {
        if (n == cap) { cap *= 2; v = realloc(v, sizeof(double) * (size_t)cap); }
        if (n > 0 && x < v[n - 1]) { fprintf(stderr, "%s: pulse times must be sorted\n", path); exit(2); }
        if (!(x > 0.0)) { fprintf(stderr, "%s: pulse times must be > 0\n", path); exit(2); }
        v[n++] = x;
    }
    if (!feof(f)) { fprintf(stderr, "%s: not a list of numbers\n", path); exit(2); }
    fclose(f);
    *count = n;
    return v;
}


/* One full integration; fills out[NPOINTS][NEQ], returns elapsed seconds. */
static double integrate(SUNContext ctx, const double *pulses, int npulses,
                        double (*out)[NEQ], Stats *stats)
{
    double tout[NPOINTS];
    for (int i = 0; i < NPOINTS; i++) tout[i] = T_END * (double)i / (double)(NPOINTS - 1);

    N_Vector y = N_VNew_Serial(NEQ, ctx);
    if (!y) die("N_VNew_Serial", -1);
    double *yd = N_VGetArrayPointer(y);
    memcpy(yd, y_initial, sizeof y_initial);
    install_vector_kernels(y);
    memset(stats, 0, sizeof *stats);

    const double start = now_seconds(), cpu_start = cpu_seconds();
    void *mem = CVodeCreate(CV_BDF, ctx);
    if (!mem) die("CVodeCreate", -1);
    double t = 0.0;
    CHECK(CVodeInit(mem, cv_rhs, t, y));
    CHECK(CVodeSStolerances(mem, RTOL, ATOL));
    SUNMatrix A = SUNDenseMatrix(NEQ, NEQ, ctx);
    if (!A) die("SUNDenseMatrix", -1);
    SUNLinearSolver LS = SUNLinSol_Dense(y, A, ctx);
    if (!LS) die("SUNLinSol_Dense", -1);
    install_dense_matrix_kernels(A);
    install_dense_solver_kernels(LS);
    CHECK(CVodeSetLinearSolver(mem, LS, A));
    CHECK(CVodeSetJacFn(mem, cv_jac));
    CHECK(CVodeSetMaxNumSteps(mem, MAX_STEPS));

    int idx = 0, p = 0;
    memcpy(out[idx++], yd, sizeof(double) * NEQ);   /* t = 0: initial values */
    while (idx < NPOINTS) {
        const double td = p < npulses ? pulses[p] : INFINITY;
        /* SUNDIALS 6.4 has no CVodeClearStopTime and keeps the previous stop time
         * across CVodeReInit, so the stop time is always (re)set: to the next pulse,
         * or to +inf once none is left, which disables it. */
        CHECK(CVodeSetStopTime(mem, td));
        /* outputs strictly before the discontinuity (CVODE interpolates) */
        while (idx < NPOINTS && tout[idx] < td) {
            CHECK(CVode(mem, tout[idx], y, &t, CV_NORMAL));
            memcpy(out[idx++], yd, sizeof(double) * NEQ);
        }
        if (!(td <= T_END)) break;
        /* to the pulse exactly (stop time), apply every pulse at td, restart */
        CHECK(CVode(mem, td, y, &t, CV_NORMAL));
        while (p < npulses && pulses[p] == td) { yd[iCa] += dCa; p++; }
        add_stats(mem, stats);
        CHECK(CVodeReInit(mem, td, y));
        stats->reinits++;
        t = td;
        /* an output exactly at the pulse time records the value after the pulse */
        if (idx < NPOINTS && tout[idx] == td) memcpy(out[idx++], yd, sizeof(double) * NEQ);
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

/* Central differences with a step scaled to each species' largest value along the
 * trajectory (steps scaled to the value itself drown in cancellation roundoff for
 * tiny species such as nNOS_CaM). An entry passes if it agrees to 1e-5 relative, or
 * if its error, as a change of dy_i per scaled change of y_j, is below 1e-8 of the
 * largest such term in row i (roundoff level is ~1e-10 there). */
static int check_jacobian(SUNContext ctx, const double *pulses, int npulses)
{
    static double traj[NPOINTS][NEQ];
    Stats st;
    integrate(ctx, pulses, npulses, traj, &st);

    double scale[NEQ];
    for (int j = 0; j < NEQ; j++) {
        scale[j] = 0.0;
        for (int k = 0; k < NPOINTS; k++) scale[j] = fmax(scale[j], fabs(traj[k][j]));
        if (scale[j] == 0.0) scale[j] = 1.0;
    }

    /* states: rest, and points in and after each train */
    const int rows[] = { 0, 10, 11, 12, 13, 15, 20, 30, 60, 120, 210, 211, 215, 300, 410, 412, 450, 600 };
    const int nrows = (int)(sizeof rows / sizeof rows[0]);
    double worst_rel = 0.0, worst_row = 0.0;
    int failures = 0;
    for (int r = 0; r <= nrows; r++) {
        double y[NEQ], J[NEQ * NEQ] = { 0 }, FD[NEQ * NEQ], fp[NEQ], fm[NEQ];
        if (r < nrows) {
            memcpy(y, traj[rows[r]], sizeof y);
        } else {
            memcpy(y, traj[11], sizeof y);   /* an extra state mid-burst, high Ca2+ */
            y[iCa] = 1.5;
        }
        model_jacobian(y, J);
        for (int j = 0; j < NEQ; j++) {
            const double yj = y[j], h = 1e-6 * scale[j];
            y[j] = yj + h; model_rhs(y, fp);
            y[j] = yj - h; model_rhs(y, fm);
            y[j] = yj;
            for (int i = 0; i < NEQ; i++) FD[i + j * NEQ] = (fp[i] - fm[i]) / (2.0 * h);
        }
        for (int i = 0; i < NEQ; i++) {
            double rowmax = 0.0;
            for (int j = 0; j < NEQ; j++) rowmax = fmax(rowmax, fabs(J[i + j * NEQ]) * scale[j]);
            if (rowmax == 0.0) rowmax = 1.0;
            for (int j = 0; j < NEQ; j++) {
                const double an = J[i + j * NEQ], fd = FD[i + j * NEQ], err = fabs(an - fd);
                const double rel = err / fmax(fmax(fabs(an), fabs(fd)), 1e-300);
                const double in_row = err * scale[j] / rowmax;
                if (err == 0.0) continue;
                worst_rel = fmax(worst_rel, fmin(rel, 1.0));
                worst_row = fmax(worst_row, in_row);
                if (rel > 1e-5 && in_row > 1e-8) {
                    failures++;
                    fprintf(stderr, "mismatch (state %d): d%s'/d%s analytic %.10g, central difference %.10g\n",
                            r, species_names[i], species_names[j], an, fd);
                }
            }
        }
    }
    fprintf(stderr, "jacobian check: %d states x %d entries; largest error %.2g relative to the entry, "
                    "%.2g relative to its row; %s\n",
            nrows + 1, NEQ * NEQ, worst_rel, worst_row, failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    int check = 0, a = 1;
    if (a < argc && strcmp(argv[a], "--check-jacobian") == 0) { check = 1; a++; }
    if ((check && argc - a != 1) || (!check && (argc - a < 2 || argc - a > 3))) {
        fprintf(stderr, "usage: %s PULSE_TIMES.txt OUT.csv [REPETITIONS]\n"
                        "       %s --check-jacobian PULSE_TIMES.txt\n", argv[0], argv[0]);
        return 2;
    }
    int npulses;
    double *pulses = read_pulses(argv[a], &npulses);

    SUNContext ctx;
    if (SUNContext_Create(NULL, &ctx) != 0) die("SUNContext_Create", -1);

    if (check) {
        int rc = check_jacobian(ctx, pulses, npulses);
        SUNContext_Free(&ctx);
        free(pulses);
        return rc;
    }

    const char *out_path = argv[a + 1];
    int reps = 20;
    if (argc - a == 3) {
        reps = atoi(argv[a + 2]);
        if (reps < 1) { fprintf(stderr, "repetitions must be >= 1\n"); return 2; }
    }

    static double traj[NPOINTS][NEQ];
    double *times = malloc(sizeof(double) * (size_t)reps), *cpu = malloc(sizeof(double) * (size_t)reps);
    Stats stats;
    for (int r = 0; r < reps; r++) { times[r] = integrate(ctx, pulses, npulses, traj, &stats); cpu[r] = last_cpu; }

    FILE *f = fopen(out_path, "w");
    if (!f) { perror(out_path); return 2; }
    fprintf(f, "time");
    for (int i = 0; i < NEQ; i++) fprintf(f, ",%s", species_names[i]);
    fprintf(f, "\n");
    for (int k = 0; k < NPOINTS; k++) {
        fprintf(f, "%.10g", T_END * (double)k / (double)(NPOINTS - 1));
        for (int i = 0; i < NEQ; i++) fprintf(f, ",%.10g", traj[k][i]);
        fprintf(f, "\n");
    }
    if (fclose(f) != 0) { perror(out_path); return 2; }

    print_stats(&stats, median(times, reps), median(cpu, reps));

    free(times);
    free(cpu);
    free(pulses);
    SUNContext_Free(&ctx);
    return 0;
}
