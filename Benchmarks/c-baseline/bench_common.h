/* What both C baselines share: failing loudly, the two clocks, CVODES's counters and the
 * statistics lines that Benchmarks/bench.py reads. Define BENCH_NAME (the program's
 * name, for error messages) before including it. */
#ifndef KINAPSE_BENCH_COMMON_H
#define KINAPSE_BENCH_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cvodes/cvodes.h>

static void die(const char *what, int flag)
{
    fprintf(stderr, "%s: %s failed (flag %d)\n", BENCH_NAME, what, flag);
    exit(2);
}
#define CHECK(call) do { int flag_ = (call); if (flag_ < 0) die(#call, flag_); } while (0)

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU time of the process: on a shared machine it counts the work done, not the time
 * spent waiting for a core. integrate() leaves its CPU seconds in last_cpu. */
static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
static double last_cpu;

/* Solver work of one integration, summed over its restarts at the pulses. */
typedef struct {
    long steps, rhs, jac, err_fails, conv_fails, reinits;
} Stats;

/* Adds what CVODES counted since its last (re)initialisation. */
static void add_stats(void *mem, Stats *s)
{
    long v;
    CHECK(CVodeGetNumSteps(mem, &v));               s->steps += v;
    CHECK(CVodeGetNumRhsEvals(mem, &v));            s->rhs += v;
    CHECK(CVodeGetNumJacEvals(mem, &v));            s->jac += v;
    CHECK(CVodeGetNumErrTestFails(mem, &v));        s->err_fails += v;
    CHECK(CVodeGetNumNonlinSolvConvFails(mem, &v)); s->conv_fails += v;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n) (sorts v). */
static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The statistics lines bench.py parses, with the median wall and CPU times. */
static void print_stats(const Stats *s, double time, double cpu)
{
    fprintf(stderr, "steps: %ld\nrhs evaluations: %ld\njacobian evaluations: %ld\n", s->steps, s->rhs, s->jac);
    fprintf(stderr, "error-test failures: %ld\nnonlinear convergence failures: %ld\nreinitialisations: %ld\n",
            s->err_fails, s->conv_fails, s->reinits);
    fprintf(stderr, "integration time: %.9f s\nintegration cpu time: %.9f s\n", time, cpu);
}

#endif
