#ifndef KINAPSE_CSUNDIALSKLU_SHIM_H
#define KINAPSE_CSUNDIALSKLU_SHIM_H
// SUNDIALS' compressed-sparse-column matrix and its KLU linear solver (SuiteSparse).
// sunlinsol_klu.h includes <klu.h> unless _KLU_H is defined, and Debian installs klu.h
// under /usr/include/suitesparse. Including it by that path first defines _KLU_H (and
// klu.h finds its own headers, "amd.h" and the rest, beside itself), so no importer needs
// -I/usr/include/suitesparse. With that flag on one importer only, the module built for
// it was cached and reused by the others, which failed to build whenever the cache was
// rebuilt without it.
#include <suitesparse/klu.h>
#include <sunmatrix/sunmatrix_sparse.h>
#include <sunlinsol/sunlinsol_klu.h>

/// SUNDIALS' SM_*_S accessors are macros Swift cannot import.
static inline sunindextype *kinapse_sparse_column_starts(SUNMatrix m) { return SUNSparseMatrix_IndexPointers(m); }
static inline sunindextype *kinapse_sparse_row_indices(SUNMatrix m) { return SUNSparseMatrix_IndexValues(m); }
static inline double *kinapse_sparse_values(SUNMatrix m) { return SUNSparseMatrix_Data(m); }
static inline SUNMatrix kinapse_sparse_csc(sunindextype n, sunindextype nonZeros, SUNContext ctx) {
    return SUNSparseMatrix(n, n, nonZeros, CSC_MAT, ctx);
}

#endif
