#include "kinapse_lapack.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef void (*dgeqrf_fn)(const int *, const int *, double *, const int *, double *, double *,
                          const int *, int *);
typedef void (*dormqr_fn)(const char *, const char *, const int *, const int *, const int *,
                          const double *, const int *, const double *, double *, const int *,
                          double *, const int *, int *, size_t, size_t);
typedef void (*dtrtrs_fn)(const char *, const char *, const char *, const int *, const int *,
                          const double *, const int *, double *, const int *, int *, size_t,
                          size_t, size_t);
typedef void (*dgesvd_fn)(const char *, const char *, const int *, const int *, double *,
                          const int *, double *, double *, const int *, double *, const int *,
                          double *, const int *, int *, size_t, size_t);
typedef void (*dsyev_fn)(const char *, const char *, const int *, double *, const int *, double *,
                         double *, const int *, int *, size_t, size_t);

typedef void (*dgeev_fn)(const char *, const char *, const int *, double *, const int *, double *,
                         double *, double *, const int *, double *, const int *, double *,
                         const int *, int *, size_t, size_t);

static dgeqrf_fn dgeqrf_ptr;
static dormqr_fn dormqr_ptr;
static dtrtrs_fn dtrtrs_ptr;
static dgesvd_fn dgesvd_ptr;
static dgeev_fn dgeev_ptr;
static dsyev_fn dsyev_ptr;
static char load_error[512];

/// Finds `name` in `library`, or records why not.
static void *find(void *library, const char *name) {
    void *symbol = dlsym(library, name);
    if (!symbol) snprintf(load_error, sizeof load_error, "LAPACK has no routine %s (%s)", name, dlerror());
    return symbol;
}

const char *kinapse_lapack_load(void) {
    // Forced rather than defaulted: the calls below are single-threaded whatever the user's
    // OPENBLAS_NUM_THREADS, which would only start workers that never get work.
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    // The runtime name first (liblapack3); the development link as a fallback.
    void *library = dlopen("liblapack.so.3", RTLD_NOW | RTLD_LOCAL);
    if (!library) library = dlopen("liblapack.so", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        snprintf(load_error, sizeof load_error,
                 "cannot load LAPACK (liblapack.so.3): %s; install Debian's liblapack3 (or liblapack-dev)",
                 dlerror());
        return load_error;
    }
    // A process that loaded OpenBLAS before us (an embedding program) keeps its workers;
    // it still computes single-threaded from here on.
    void (*set_threads)(int) = (void (*)(int))dlsym(library, "openblas_set_num_threads");
    if (set_threads) set_threads(1);
    dgeqrf_ptr = (dgeqrf_fn)find(library, "dgeqrf_");
    dormqr_ptr = (dormqr_fn)find(library, "dormqr_");
    dtrtrs_ptr = (dtrtrs_fn)find(library, "dtrtrs_");
    dgesvd_ptr = (dgesvd_fn)find(library, "dgesvd_");
    dgeev_ptr = (dgeev_fn)find(library, "dgeev_");
    dsyev_ptr = (dsyev_fn)find(library, "dsyev_");
    return dgeqrf_ptr && dormqr_ptr && dtrtrs_ptr && dgesvd_ptr && dgeev_ptr && dsyev_ptr ? NULL : load_error;
}

void kinapse_dgeqrf(const int *m, const int *n, double *a, const int *lda, double *tau,
                    double *work, const int *lwork, int *info) {
    dgeqrf_ptr(m, n, a, lda, tau, work, lwork, info);
}

void kinapse_dormqr(const char *side, const char *trans, const int *m, const int *n, const int *k,
                    const double *a, const int *lda, const double *tau, double *c, const int *ldc,
                    double *work, const int *lwork, int *info,
                    size_t side_len, size_t trans_len) {
    dormqr_ptr(side, trans, m, n, k, a, lda, tau, c, ldc, work, lwork, info, side_len, trans_len);
}

void kinapse_dtrtrs(const char *uplo, const char *trans, const char *diag, const int *n,
                    const int *nrhs, const double *a, const int *lda, double *b, const int *ldb,
                    int *info, size_t uplo_len, size_t trans_len, size_t diag_len) {
    dtrtrs_ptr(uplo, trans, diag, n, nrhs, a, lda, b, ldb, info, uplo_len, trans_len, diag_len);
}

void kinapse_dgesvd(const char *jobu, const char *jobvt, const int *m, const int *n, double *a,
                    const int *lda, double *s, double *u, const int *ldu, double *vt,
                    const int *ldvt, double *work, const int *lwork, int *info,
                    size_t jobu_len, size_t jobvt_len) {
    dgesvd_ptr(jobu, jobvt, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, info, jobu_len, jobvt_len);
}

void kinapse_dgeev(const char *jobvl, const char *jobvr, const int *n, double *a, const int *lda,
                   double *wr, double *wi, double *vl, const int *ldvl, double *vr, const int *ldvr,
                   double *work, const int *lwork, int *info, size_t jobvl_len, size_t jobvr_len) {
    dgeev_ptr(jobvl, jobvr, n, a, lda, wr, wi, vl, ldvl, vr, ldvr, work, lwork, info, jobvl_len, jobvr_len);
}

void kinapse_dsyev(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
                   double *w, double *work, const int *lwork, int *info,
                   size_t jobz_len, size_t uplo_len) {
    dsyev_ptr(jobz, uplo, n, a, lda, w, work, lwork, info, jobz_len, uplo_len);
}
