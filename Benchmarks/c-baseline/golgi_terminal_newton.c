/* The Golgi terminal's bouton under CVODES alone, to see what sets the step through a spike.
 *
 * The equations of GabaTerminal in Pathways/cells/gabaergic_terminal.ant with its effector hooks
 * at rest (release_gain = ca_gain = 1, no extra Ca2+ current): the action-potential waveform
 * clamp V(t) from the spike's onset at t = 0, the N-type scheme of Li et al. 2007 (c1..c4, o;
 * c0 by conservation), the P/Q m gate, bulk Ca2+ (CaShell without exogenous buffer), the
 * nanodomain, the readily releasable pool R and cleft GABA. Dense linear algebra and CVODES'
 * difference-quotient Jacobian (Kinapse uses an analytic one and KLU); BDF, rtol 1e-4, atol
 * 1e-7 as the rig synapses' [solver]. Prints the steps taken in 0-0.3, 0.3-0.5, 0.5-1, 1-2,
 * 2-5 and 5-20 ms after the onset, the solver's counters, and R and Ca at 20 ms.
 *
 *     cc -O2 -o /tmp/golgi_terminal_newton Benchmarks/c-baseline/golgi_terminal_newton.c \
 *        -lsundials_cvodes -lsundials_nvecserial -lsundials_sunmatrixdense -lsundials_sunlinsoldense -lm
 *     /tmp/golgi_terminal_newton [jacobian_steps=N] [rtol=R] [atol=A] [maxord=Q] [nlscoef=C]
 *
 * jacobian_steps=N sets CVODES' msbp and msbj to N (Kinapse's [solver] jacobian_steps). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <cvodes/cvodes.h>
#include <nvector/nvector_serial.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_dense.h>

enum { C1, C2, C3, C4, O, M, CA, CA_DOM, R, GABA, STATES };

/* mV: the waveform clamp's spike and afterhyperpolarisation, x in ms since the onset. */
static double membrane_potential(double t)
{
    const double x = 1000 * t;
    return -63.8109 + 225.86 * (1 + tanh((x - 0.2859) / 0.1044)) * (1 - tanh((x - 0.5227) / 0.5679)) / 4
           - 6.6675 * (1 - exp(-x / 1.1124)) * exp(-x / 13.1003);
}

static int bouton(double t, N_Vector state, N_Vector derivative, void *unused)
{
    (void)unused;
    const double *y = N_VGetArrayPointer(state);
    double *d = N_VGetArrayPointer(derivative);
    const double v = membrane_potential(t);
    const double a1 = 4.29 * exp(v / 68.75), b1 = 5.23 * exp(-v / 68.75), a2 = 5.24 * exp(v / 39.53),
                 b2 = 6.63 * exp(-v / 39.53), a3 = 4.98 * exp(v / 281.62), b3 = 73.89 * exp(-v / 281.62),
                 a4 = 772.63 * exp(v / 18.46), b4 = 692.18 * exp(-v / 18.46), a5 = 615.01, b5 = 7.68;
    const double c0 = 1 - y[C1] - y[C2] - y[C3] - y[C4] - y[O];
    d[C1] = 1000 * (a1 * c0 - b1 * y[C1] - a2 * y[C1] + b2 * y[C2]);
    d[C2] = 1000 * (a2 * y[C1] - b2 * y[C2] - a3 * y[C2] + b3 * y[C3]);
    d[C3] = 1000 * (a3 * y[C2] - b3 * y[C3] - a4 * y[C3] + b4 * y[C4]);
    d[C4] = 1000 * (a4 * y[C3] - b4 * y[C4] - a5 * y[C4] + b5 * y[O]);
    d[O] = 1000 * (a5 * y[C4] - b5 * y[O]);
    d[M] = 1000 * (1.78 * exp(v / 23.3) * (1 - y[M]) - 0.140 * exp(-v / 15) * y[M]);
    const double faraday = 96485.33212, thermal = 8.314462618 * (273.15 + 32) / faraday * 1000;
    const double e_ca = thermal / 2 * log(2000 / y[CA]);                               /* mV, Ca_o 2 mM */
    const double i_ca = 0.1 * y[M] * y[M] * (v - e_ca) + 0.05 * y[O] * (v - e_ca);     /* pA */
    d[CA] = (-i_ca * 1e9 / (2 * faraday * 2) + 15 - 300 * y[CA]) / 21;                /* uM/s, 2 um^3, kappa 20 */
    d[CA_DOM] = -i_ca * 1e9 / (2 * faraday * 1.1) - y[CA_DOM] / 0.0003;
    const double site = y[CA] + y[CA_DOM], s4 = site * site * site * site;
    const double release = 6000 * s4 / (s4 + 160000.0);                                /* 1/s, K_D 20 uM */
    d[R] = (2 + 28 * y[CA] / (y[CA] + 2)) * (1 - y[R]) - release * y[R];
    d[GABA] = 0.1 * release * y[R] - y[GABA] / 0.001;
    return 0;
}

int main(int argc, char **argv)
{
    double rtol = 1e-4, atol = 1e-7, nlscoef = 0.1;
    int jacobian_steps = 0, maxord = 5;
    for (int i = 1; i < argc; i++) {
        char key[32];
        double value;
        if (sscanf(argv[i], "%31[^=]=%lf", key, &value) != 2) continue;
        if (!strcmp(key, "jacobian_steps")) jacobian_steps = (int)value;
        else if (!strcmp(key, "rtol")) rtol = value;
        else if (!strcmp(key, "atol")) atol = value;
        else if (!strcmp(key, "maxord")) maxord = (int)value;
        else if (!strcmp(key, "nlscoef")) nlscoef = value;
    }
    SUNContext context;
    SUNContext_Create(NULL, &context);
    N_Vector y = N_VNew_Serial(STATES, context);
    const double rest[STATES] = {0.113183, 0.00354395, 0.000151817, 1.68504e-07, 1.34937e-05, 0.0115437,
                                 0.0739411, 0.00391764, 1, 0};   /* the file's resting state */
    memcpy(N_VGetArrayPointer(y), rest, sizeof rest);
    void *cvode = CVodeCreate(CV_BDF, context);
    CVodeInit(cvode, bouton, 0, y);
    CVodeSStolerances(cvode, rtol, atol);
    SUNMatrix matrix = SUNDenseMatrix(STATES, STATES, context);
    SUNLinearSolver solver = SUNLinSol_Dense(y, matrix, context);
    CVodeSetLinearSolver(cvode, solver, matrix);
    CVodeSetMaxOrd(cvode, maxord);
    CVodeSetNonlinConvCoef(cvode, nlscoef);
    if (jacobian_steps > 0) {
        CVodeSetLSetupFrequency(cvode, jacobian_steps);
        CVodeSetJacEvalFrequency(cvode, jacobian_steps);
    }
    const double ends[] = {3e-4, 5e-4, 1e-3, 2e-3, 5e-3, 2e-2};
    long before = 0, steps = 0;
    printf("steps by window (0-0.3, 0.3-0.5, 0.5-1, 1-2, 2-5, 5-20 ms):");
    for (int k = 0; k < 6; k++) {
        double reached;
        CVode(cvode, ends[k], y, &reached, CV_NORMAL);
        CVodeGetNumSteps(cvode, &steps);
        printf(" %ld", steps - before);
        before = steps;
    }
    long rhs, jacobians, setups, error_failures, convergence_failures;
    CVodeGetNumRhsEvals(cvode, &rhs);
    CVodeGetNumJacEvals(cvode, &jacobians);
    CVodeGetNumLinSolvSetups(cvode, &setups);
    CVodeGetNumErrTestFails(cvode, &error_failures);
    CVodeGetNumNonlinSolvConvFails(cvode, &convergence_failures);
    const double *final = N_VGetArrayPointer(y);
    printf("\nsteps %ld, right-hand sides %ld (the Jacobians' difference quotients apart), Jacobians %ld, setups %ld, "
           "error-test failures %ld, convergence failures %ld\nR %.7f, Ca %.7f uM at 20 ms\n",
           steps, rhs, jacobians, setups, error_failures, convergence_failures, final[R], final[CA]);
    CVodeFree(&cvode);
    SUNLinSolFree(solver);
    SUNMatDestroy(matrix);
    N_VDestroy(y);
    SUNContext_Free(&context);
    return 0;
}
