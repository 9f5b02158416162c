#ifndef KINAPSE_LAPACK_H
#define KINAPSE_LAPACK_H
// The LAPACK routines Kinapse calls, reached through liblapack.so.3 loaded on first use.
//
// Why loaded, not linked: Debian's default liblapack/libblas is OpenBLAS, which starts one
// worker thread per core from its library constructor, and each worker busy-waits
// (sched_yield in a loop) for about 10^8 cycles before it sleeps. Linked, that happened in
// every kinapse process: 0.2 s of CPU on a two-core machine, 15 % of a 41-point `stdp`
// sweep, taken from the sweep's own workers with `--jobs 2`. Only fitting needs LAPACK, and
// the thread count OpenBLAS starts with can only be set, through OPENBLAS_NUM_THREADS,
// before the library is initialised: so kinapse_lapack_load sets it, then loads LAPACK.
//
// The routines take Fortran arguments as gfortran passes them (reference LAPACK and OpenBLAS
// are built that way on Debian, LP64): every argument by pointer; integers 32-bit; each
// CHARACTER argument adds a hidden length of type size_t (since GCC 8) after all the visible
// ones, in the order of the character arguments. Matrices are column-major.
#include <stddef.h>

/// Loads LAPACK and makes OpenBLAS, when it is the BLAS behind it, single-threaded: Kinapse
/// parallelises over optimiser starts itself, the matrices are small, and a fixed thread
/// count keeps every result reproducible bit for bit. Returns NULL when every routine below
/// is ready, else a message naming what could not be loaded. Call it before any routine,
/// only once per process and from one thread (the Swift side calls it from a lazily
/// initialised global), and while no other thread reads the environment: it calls setenv
/// (the Swift side loads it before the optimiser starts its workers). The routines are
/// then thread-safe as LAPACK's are.
const char *kinapse_lapack_load(void);

/// QR factorisation A = Q R (Householder reflectors stored below the diagonal of A): dgeqrf.
void kinapse_dgeqrf(const int *m, const int *n, double *a, const int *lda, double *tau,
                    double *work, const int *lwork, int *info);

/// C := op(Q) C or C op(Q) with Q from dgeqrf: dormqr.
void kinapse_dormqr(const char *side, const char *trans, const int *m, const int *n, const int *k,
                    const double *a, const int *lda, const double *tau, double *c, const int *ldc,
                    double *work, const int *lwork, int *info,
                    size_t side_len, size_t trans_len);

/// Solves a triangular system op(A) X = B: dtrtrs.
void kinapse_dtrtrs(const char *uplo, const char *trans, const char *diag, const int *n,
                    const int *nrhs, const double *a, const int *lda, double *b, const int *ldb,
                    int *info, size_t uplo_len, size_t trans_len, size_t diag_len);

/// Singular value decomposition A = U diag(s) Vᵀ (QR iteration; robust for tiny matrices): dgesvd.
void kinapse_dgesvd(const char *jobu, const char *jobvt, const int *m, const int *n, double *a,
                    const int *lda, double *s, double *u, const int *ldu, double *vt,
                    const int *ldvt, double *work, const int *lwork, int *info,
                    size_t jobu_len, size_t jobvt_len);

/// Eigenvalues (and optionally eigenvectors) of a general square matrix (Hessenberg QR): dgeev.
void kinapse_dgeev(const char *jobvl, const char *jobvr, const int *n, double *a, const int *lda,
                   double *wr, double *wi, double *vl, const int *ldvl, double *vr, const int *ldvr,
                   double *work, const int *lwork, int *info, size_t jobvl_len, size_t jobvr_len);

/// Eigenvalues (ascending) and eigenvectors of a symmetric matrix: dsyev.
void kinapse_dsyev(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
                   double *w, double *work, const int *lwork, int *info,
                   size_t jobz_len, size_t uplo_len);

#endif
