/* Optimised replacements for the SUNDIALS 6.4 kernels CVODES runs on every step, for the
 * C baselines: the same replacement Kinapse makes (Sources/CVODEIntegration/
 * CompiledKernels.swift), so that Kinapse and C are compared on equal terms.
 *
 * Why: Debian 12's libsundials 6.4.1 is compiled without optimisation, and its serial
 * vector operations, dense LU and matrix copy / scale-add-identity dominated the C
 * programs' time on the small models. SUNDIALS calls them through per-object function
 * tables; install_*() overwrite the entries. Each kernel does the same floating-point
 * operations in the same order as the routine it replaces, so the steps and results
 * are identical (set C_LIBRARY_KERNELS=1 in the environment to run the library's and
 * compare). This file is included by both C programs; it has no state of its own. */
#ifndef KINAPSE_BENCH_COMPILED_KERNELS_H
#define KINAPSE_BENCH_COMPILED_KERNELS_H

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <nvector/nvector_serial.h>
#include <sunmatrix/sunmatrix_dense.h>
#include <sunlinsol/sunlinsol_dense.h>
#ifdef COMPILED_KERNELS_SPARSE
#include <sunmatrix/sunmatrix_sparse.h>
#endif

static int use_compiled_kernels(void)
{
    const char *v = getenv("C_LIBRARY_KERNELS");
    return !(v && *v && strcmp(v, "0") != 0);
}

#define KV_N(v) (NV_LENGTH_S(v))
#define KV_D(v) (NV_DATA_S(v))

/* z = a x + b y; a = b and a = -b factor the scale out (as SUNDIALS does, which rounds
 * differently); every other special case of SUNDIALS equals the general formula. */
static void k_linear_sum(realtype a, N_Vector x, realtype b, N_Vector y, N_Vector z)
{
    const sunindextype n = KV_N(x);
    realtype *xd = KV_D(x), *yd = KV_D(y), *zd = KV_D(z);
    if (a == b) for (sunindextype i = 0; i < n; i++) zd[i] = a * (xd[i] + yd[i]);
    else if (a == -b) for (sunindextype i = 0; i < n; i++) zd[i] = a * (xd[i] - yd[i]);
    else for (sunindextype i = 0; i < n; i++) zd[i] = a * xd[i] + b * yd[i];
}
static void k_const(realtype c, N_Vector z)
{
    realtype *zd = KV_D(z);
    for (sunindextype i = 0; i < KV_N(z); i++) zd[i] = c;
}
static void k_prod(N_Vector x, N_Vector y, N_Vector z)
{
    realtype *xd = KV_D(x), *yd = KV_D(y), *zd = KV_D(z);
    for (sunindextype i = 0; i < KV_N(x); i++) zd[i] = xd[i] * yd[i];
}
static void k_div(N_Vector x, N_Vector y, N_Vector z)
{
    realtype *xd = KV_D(x), *yd = KV_D(y), *zd = KV_D(z);
    for (sunindextype i = 0; i < KV_N(x); i++) zd[i] = xd[i] / yd[i];
}
static void k_scale(realtype c, N_Vector x, N_Vector z)
{
    realtype *xd = KV_D(x), *zd = KV_D(z);
    for (sunindextype i = 0; i < KV_N(x); i++) zd[i] = c * xd[i];
}
static void k_abs(N_Vector x, N_Vector z)
{
    realtype *xd = KV_D(x), *zd = KV_D(z);
    for (sunindextype i = 0; i < KV_N(x); i++) zd[i] = fabs(xd[i]);
}
static void k_inv(N_Vector x, N_Vector z)
{
    realtype *xd = KV_D(x), *zd = KV_D(z);
    for (sunindextype i = 0; i < KV_N(x); i++) zd[i] = 1.0 / xd[i];
}
static void k_add_const(N_Vector x, realtype b, N_Vector z)
{
    realtype *xd = KV_D(x), *zd = KV_D(z);
    for (sunindextype i = 0; i < KV_N(x); i++) zd[i] = xd[i] + b;
}
static realtype k_max_norm(N_Vector x)
{
    realtype m = 0, *xd = KV_D(x);
    for (sunindextype i = 0; i < KV_N(x); i++) if (fabs(xd[i]) > m) m = fabs(xd[i]);
    return m;
}
static realtype k_wsqrsum(N_Vector x, N_Vector w)
{
    realtype s = 0, *xd = KV_D(x), *wd = KV_D(w);
    for (sunindextype i = 0; i < KV_N(x); i++) { const realtype p = xd[i] * wd[i]; s += p * p; }
    return s;
}
static realtype k_wrms_norm(N_Vector x, N_Vector w) { return sqrt(k_wsqrsum(x, w) / (realtype)KV_N(x)); }
static realtype k_min(N_Vector x)
{
    realtype *xd = KV_D(x), m = xd[0];
    for (sunindextype i = 1; i < KV_N(x); i++) if (xd[i] < m) m = xd[i];
    return m;
}
static void k_compare(realtype c, N_Vector x, N_Vector z)
{
    realtype *xd = KV_D(x), *zd = KV_D(z);
    for (sunindextype i = 0; i < KV_N(x); i++) zd[i] = fabs(xd[i]) >= c ? 1.0 : 0.0;
}
static booleantype k_inv_test(N_Vector x, N_Vector z)
{
    realtype *xd = KV_D(x), *zd = KV_D(z);
    booleantype ok = SUNTRUE;
    for (sunindextype i = 0; i < KV_N(x); i++) { if (xd[i] == 0.0) ok = SUNFALSE; else zd[i] = 1.0 / xd[i]; }
    return ok;
}
/* As SUNDIALS' fallback: z = c0 X0, then z += ck Xk vector by vector. */
static int k_linear_combination(int nv, realtype *c, N_Vector *X, N_Vector z)
{
    const sunindextype n = KV_N(z);
    realtype *zd = KV_D(z), *x0 = KV_D(X[0]);
    for (sunindextype i = 0; i < n; i++) zd[i] = c[0] * x0[i];
    for (int k = 1; k < nv; k++) {
        realtype *xk = KV_D(X[k]);
        for (sunindextype i = 0; i < n; i++) zd[i] = c[k] * xk[i] + zd[i];
    }
    return 0;
}
static int k_scale_add_multi(int nv, realtype *a, N_Vector x, N_Vector *Y, N_Vector *Z)
{
    const sunindextype n = KV_N(x);
    realtype *xd = KV_D(x);
    for (int k = 0; k < nv; k++) {
        realtype *yd = KV_D(Y[k]), *zd = KV_D(Z[k]);
        for (sunindextype i = 0; i < n; i++) zd[i] = a[k] * xd[i] + yd[i];
    }
    return 0;
}
static int k_scale_vector_array(int nv, realtype *c, N_Vector *X, N_Vector *Z)
{
    for (int k = 0; k < nv; k++) k_scale(c[k], X[k], Z[k]);
    return 0;
}

static void install_vector_kernels(N_Vector v)
{
    if (!use_compiled_kernels()) return;
    N_Vector_Ops o = v->ops;
    o->nvlinearsum = k_linear_sum; o->nvconst = k_const; o->nvprod = k_prod; o->nvdiv = k_div;
    o->nvscale = k_scale; o->nvabs = k_abs; o->nvinv = k_inv; o->nvaddconst = k_add_const;
    o->nvmaxnorm = k_max_norm; o->nvwrmsnorm = k_wrms_norm; o->nvwsqrsumlocal = k_wsqrsum; o->nvmin = k_min;
    o->nvcompare = k_compare; o->nvinvtest = k_inv_test; o->nvlinearcombination = k_linear_combination;
    o->nvscaleaddmulti = k_scale_add_multi; o->nvscalevectorarray = k_scale_vector_array;
}

/* ---- dense matrix and LU (partial pivoting, column-major, as SUNDlsMat_denseGETRF/GETRS) */

static void install_dense_matrix_kernels(SUNMatrix m);
static int k_dense_copy(SUNMatrix A, SUNMatrix B)
{
    memcpy(SM_DATA_D(B), SM_DATA_D(A), sizeof(realtype) * (size_t)SM_LDATA_D(A));
    return SUNMAT_SUCCESS;
}
static int k_dense_scale_add_i(realtype c, SUNMatrix A)
{
    const sunindextype m = SM_ROWS_D(A), n = SM_COLUMNS_D(A);
    realtype *d = SM_DATA_D(A);
    for (sunindextype k = 0; k < SM_LDATA_D(A); k++) d[k] *= c;
    for (sunindextype j = 0; j < (m < n ? m : n); j++) d[j * m + j] += 1.0;
    return SUNMAT_SUCCESS;
}
static SUNMatrix k_dense_clone(SUNMatrix A)
{
    SUNMatrix B = SUNMatClone_Dense(A);
    if (B) install_dense_matrix_kernels(B);
    return B;
}
static void install_dense_matrix_kernels(SUNMatrix m)
{
    if (!use_compiled_kernels()) return;
    m->ops->copy = k_dense_copy; m->ops->scaleaddi = k_dense_scale_add_i; m->ops->clone = k_dense_clone;
}

static sunindextype k_lu_factor(realtype *a, sunindextype n, sunindextype *p)
{
    for (sunindextype k = 0; k < n; k++) {
        realtype *ck = a + k * n;
        sunindextype l = k;
        for (sunindextype i = k + 1; i < n; i++) if (fabs(ck[i]) > fabs(ck[l])) l = i;
        p[k] = l;
        if (ck[l] == 0.0) return k + 1;
        if (l != k) for (sunindextype j = 0; j < n; j++) { realtype t = a[j * n + l]; a[j * n + l] = a[j * n + k]; a[j * n + k] = t; }
        const realtype mult = 1.0 / ck[k];
        for (sunindextype i = k + 1; i < n; i++) ck[i] *= mult;
        for (sunindextype j = k + 1; j < n; j++) {
            realtype *cj = a + j * n;
            const realtype akj = cj[k];
            if (akj != 0.0) for (sunindextype i = k + 1; i < n; i++) cj[i] -= akj * ck[i];
        }
    }
    return 0;
}
static void k_lu_solve(const realtype *a, sunindextype n, const sunindextype *p, realtype *b)
{
    for (sunindextype k = 0; k < n; k++) if (p[k] != k) { realtype t = b[k]; b[k] = b[p[k]]; b[p[k]] = t; }
    for (sunindextype k = 0; k < n - 1; k++) {
        const realtype *ck = a + k * n, bk = b[k];
        for (sunindextype i = k + 1; i < n; i++) b[i] -= ck[i] * bk;
    }
    for (sunindextype k = n - 1; k > 0; k--) {
        const realtype *ck = a + k * n;
        b[k] /= ck[k];
        const realtype bk = b[k];
        for (sunindextype i = 0; i < k; i++) b[i] -= ck[i] * bk;
    }
    b[0] /= a[0];
}
static int k_dense_setup(SUNLinearSolver S, SUNMatrix A)
{
    SUNLinearSolverContent_Dense c = (SUNLinearSolverContent_Dense)S->content;
    c->last_flag = k_lu_factor(SM_DATA_D(A), SM_COLUMNS_D(A), c->pivots);
    return c->last_flag > 0 ? SUNLS_LUFACT_FAIL : SUNLS_SUCCESS;
}
static int k_dense_solve(SUNLinearSolver S, SUNMatrix A, N_Vector x, N_Vector b, realtype tol)
{
    (void)tol;
    SUNLinearSolverContent_Dense c = (SUNLinearSolverContent_Dense)S->content;
    if (x != b) memcpy(KV_D(x), KV_D(b), sizeof(realtype) * (size_t)KV_N(b));
    k_lu_solve(SM_DATA_D(A), SM_COLUMNS_D(A), c->pivots, KV_D(x));
    c->last_flag = SUNLS_SUCCESS;
    return SUNLS_SUCCESS;
}
static void install_dense_solver_kernels(SUNLinearSolver s)
{
    if (!use_compiled_kernels()) return;
    s->ops->setup = k_dense_setup; s->ops->solve = k_dense_solve;
}

#ifdef COMPILED_KERNELS_SPARSE
/* ---- compressed-sparse-column matrix (the pattern always holds the diagonal here) */

static void install_sparse_matrix_kernels(SUNMatrix m);
static int k_sparse_zero(SUNMatrix A)
{
    memset(SM_DATA_S(A), 0, sizeof(realtype) * (size_t)SM_NNZ_S(A));
    memset(SM_INDEXVALS_S(A), 0, sizeof(sunindextype) * (size_t)SM_NNZ_S(A));
    memset(SM_INDEXPTRS_S(A), 0, sizeof(sunindextype) * (size_t)(SM_NP_S(A) + 1));
    return SUNMAT_SUCCESS;
}
static int k_sparse_copy(SUNMatrix A, SUNMatrix B)
{
    const sunindextype nz = SM_INDEXPTRS_S(A)[SM_NP_S(A)];
    if (SM_NNZ_S(B) < nz) return SUNMatCopy_Sparse(A, B);
    k_sparse_zero(B);
    memcpy(SM_DATA_S(B), SM_DATA_S(A), sizeof(realtype) * (size_t)nz);
    memcpy(SM_INDEXVALS_S(B), SM_INDEXVALS_S(A), sizeof(sunindextype) * (size_t)nz);
    memcpy(SM_INDEXPTRS_S(B), SM_INDEXPTRS_S(A), sizeof(sunindextype) * (size_t)(SM_NP_S(A) + 1));
    return SUNMAT_SUCCESS;
}
static int k_sparse_scale_add_i(realtype c, SUNMatrix A)
{
    const sunindextype np = SM_NP_S(A), *p = SM_INDEXPTRS_S(A), *ix = SM_INDEXVALS_S(A);
    realtype *x = SM_DATA_S(A);
    for (sunindextype j = 0; j < np; j++) {
        int found = 0;
        for (sunindextype k = p[j]; k < p[j + 1]; k++) if (ix[k] == j) found = 1;
        if (!found) return SUNMatScaleAddI_Sparse(c, A);
    }
    for (sunindextype j = 0; j < np; j++)
        for (sunindextype k = p[j]; k < p[j + 1]; k++) x[k] = ix[k] == j ? 1.0 + c * x[k] : c * x[k];
    return SUNMAT_SUCCESS;
}
static SUNMatrix k_sparse_clone(SUNMatrix A)
{
    SUNMatrix B = SUNMatClone_Sparse(A);
    if (B) install_sparse_matrix_kernels(B);
    return B;
}
static void install_sparse_matrix_kernels(SUNMatrix m)
{
    if (!use_compiled_kernels()) return;
    m->ops->zero = k_sparse_zero; m->ops->copy = k_sparse_copy; m->ops->scaleaddi = k_sparse_scale_add_i;
    m->ops->clone = k_sparse_clone;
}
#endif

#endif
