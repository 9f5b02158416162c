#ifndef KINAPSE_CSUNDIALSKLU_SHIM_H
#define KINAPSE_CSUNDIALSKLU_SHIM_H
// SUNDIALS' compressed-sparse-column matrix and its KLU linear solver (SuiteSparse).
// A module of its own because sunlinsol_klu.h includes <klu.h>, which Debian installs
// under /usr/include/suitesparse: only the target importing this module needs that
// include path (CVODEIntegration passes -I/usr/include/suitesparse to the importer).
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
