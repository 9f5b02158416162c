#ifndef KINAPSE_CGLPK_SHIM_H
#define KINAPSE_CGLPK_SHIM_H
// GLPK, the GNU Linear Programming Kit (Debian's libglpk-dev), read only through
// FluxBalance. Its solution-status codes are macros, which Swift imports as Int32 constants.
#include <glpk.h>

#if GLP_MAJOR_VERSION < 5 && GLP_MINOR_VERSION < 49
#error "Kinapse needs GLPK 4.49 or later (glp_init_smcp with the presolver and msg_lev)"
#endif

#endif
