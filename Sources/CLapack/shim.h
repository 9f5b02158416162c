#ifndef KINAPSE_CLAPACK_SHIM_H
#define KINAPSE_CLAPACK_SHIM_H
// The LAPACK routines Kinapse calls, declared by hand because Debian's liblapack-dev ships
// no C header (lapacke.h lives in liblapacke-dev, which we do not need).
//
// Fortran calling convention as gfortran implements it (and as reference LAPACK and
// OpenBLAS are built on Debian, LP64): every argument is passed by pointer; integers are
// 32-bit; each CHARACTER argument adds a hidden length argument of type size_t (since
// GCC 8) after all the visible ones, in the order of the character arguments.
// Matrices are column-major.
#include <stddef.h>
#include <dlfcn.h>

/// QR factorisation A = Q R (Householder reflectors stored below the diagonal of A).
void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau,
             double *work, const int *lwork, int *info);

/// C := op(Q) C or C op(Q) with Q from dgeqrf_.
void dormqr_(const char *side, const char *trans, const int *m, const int *n, const int *k,
             const double *a, const int *lda, const double *tau, double *c, const int *ldc,
             double *work, const int *lwork, int *info,
             size_t side_len, size_t trans_len);

/// Solves a triangular system op(A) X = B.
void dtrtrs_(const char *uplo, const char *trans, const char *diag, const int *n,
             const int *nrhs, const double *a, const int *lda, double *b, const int *ldb,
             int *info, size_t uplo_len, size_t trans_len, size_t diag_len);

/// Singular value decomposition A = U diag(s) Vᵀ (QR iteration; robust for tiny matrices).
void dgesvd_(const char *jobu, const char *jobvt, const int *m, const int *n, double *a,
             const int *lda, double *s, double *u, const int *ldu, double *vt,
             const int *ldvt, double *work, const int *lwork, int *info,
             size_t jobu_len, size_t jobvt_len);

/// When the BLAS behind liblapack is OpenBLAS (Debian's default alternative), make it
/// single-threaded: Kinapse parallelises over optimiser starts itself, the matrices are
/// small, and a fixed thread count keeps every result reproducible bit for bit.
/// With reference BLAS the symbol is absent and this does nothing.
static inline void kinapse_blas_use_one_thread(void) {
    void (*set_threads)(int) = (void (*)(int))dlsym((void *)0 /* RTLD_DEFAULT */, "openblas_set_num_threads");
    if (set_threads) set_threads(1);
}

#endif
