#ifndef KINAPSE_DIRECT_RHS_H
#define KINAPSE_DIRECT_RHS_H
/* The right-hand-side callback CVODES calls when a model's right-hand side is machine
 * code: it calls that code straight from C, where the Swift callback cost a Swift frame,
 * an existential method call and a retain/release pair per evaluation (on an 11-state
 * model, as much as the right-hand side itself: 0.60 M against 0.53 M instructions per
 * simulation).
 *
 * CVODES passes one user_data to every callback; it points at a
 * kinapse_solver_callbacks, whose `owner` is what the Swift callbacks need. */
#include <nvector/nvector_serial.h>

/* Nullability for Swift's importer; other compilers (the C baselines' gcc) skip it. */
#if defined(__clang__)
#define KINAPSE_NONNULL _Nonnull
#define KINAPSE_NULLABLE _Nullable
#else
#define KINAPSE_NONNULL
#define KINAPSE_NULLABLE
#endif

/* (t, y, ydot, context): writes f(t, y) into ydot. */
typedef void (*kinapse_rhs_function)(double, const double *KINAPSE_NONNULL, double *KINAPSE_NONNULL, double *KINAPSE_NONNULL);

struct kinapse_solver_callbacks {
    /* The Swift object behind the other callbacks (unretained). */
    void *KINAPSE_NULLABLE owner;
    /* The right-hand side kinapse_direct_rhs calls, and the context it passes. */
    kinapse_rhs_function KINAPSE_NULLABLE rhs;
    double *KINAPSE_NULLABLE rhs_context;
    /* Number of states; kinapse_direct_rhs needs at least one. */
    long state_count;
    /* First component whose derivative (or Jacobian column) was not finite in the
     * evaluation that failed, or -1. Set by every callback that checks. */
    long non_finite_component;
};

/* The index of the first of `count` values that is infinite or NaN, or -1 when all
 * are finite. */
long kinapse_first_non_finite(const double *KINAPSE_NONNULL values, long count);

/* CVRhsFn: calls `rhs`, then reports a non-finite derivative as a recoverable failure
 * (CVODES retries with a smaller step; if the failure persists, the component is in
 * non_finite_component). Exactly what the Swift callback does. */
int kinapse_direct_rhs(realtype t, N_Vector KINAPSE_NULLABLE y, N_Vector KINAPSE_NULLABLE ydot, void *KINAPSE_NULLABLE user_data);

#endif
