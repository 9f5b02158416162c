#ifndef KINAPSE_CSUNDIALS_SHIM_H
#define KINAPSE_CSUNDIALS_SHIM_H
// The one C header Kinapse includes from SUNDIALS. Debian 12 ships SUNDIALS 6.4;
// the wrappers below absorb the 6 → 7 renames so the Swift side never sees them.
#include <cvodes/cvodes.h>
#include <nvector/nvector_serial.h>
#include <sunmatrix/sunmatrix_dense.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sundials/sundials_version.h>

#if SUNDIALS_VERSION_MAJOR < 7
typedef realtype kinapse_real;
#else
typedef sunrealtype kinapse_real;
#endif

static inline int kinapse_context_create(SUNContext *ctx) {
#if SUNDIALS_VERSION_MAJOR < 7
    return SUNContext_Create(NULL, ctx);
#else
    return SUNContext_Create(SUN_COMM_NULL, ctx);
#endif
}

/// Column-major dense matrix data; SUNDIALS' SM_DATA_D is a macro Swift cannot import.
static inline kinapse_real *kinapse_dense_data(SUNMatrix m) { return SUNDenseMatrix_Data(m); }
/// The data of a serial vector (every vector Kinapse makes or CVODES clones from one is
/// serial), read directly: N_VGetArrayPointer dispatches through Debian's unoptimised
/// library, twice per right-hand-side evaluation.
static inline kinapse_real *kinapse_nvector_data(N_Vector v) { return NV_DATA_S(v); }

#endif
