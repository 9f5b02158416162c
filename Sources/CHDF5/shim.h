#ifndef KINAPSE_CHDF5_SHIM_H
#define KINAPSE_CHDF5_SHIM_H
// HDF5's C library, serial build (Debian's libhdf5-dev installs it under
// /usr/include/hdf5/serial and links it as libhdf5_serial). Including it by that path means
// no importer needs an -I flag; hdf5.h finds its own headers beside itself.
#include <hdf5/serial/hdf5.h>

// HDF5's predefined types and property-list defaults are macros that call H5open() first,
// which Swift cannot import; these wrappers give them to Swift as functions.
static inline hid_t kinapse_h5_default(void) { return H5P_DEFAULT; }
static inline hid_t kinapse_h5_all(void) { return H5S_ALL; }
static inline hid_t kinapse_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t kinapse_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t kinapse_h5t_native_int16(void) { return H5T_NATIVE_SHORT; }
static inline hid_t kinapse_h5t_native_int64(void) { return H5T_NATIVE_LLONG; }
static inline hid_t kinapse_h5t_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t kinapse_h5t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t kinapse_h5t_std_i16le(void) { return H5T_STD_I16LE; }
static inline hid_t kinapse_h5t_std_u32le(void) { return H5T_STD_U32LE; }
static inline hid_t kinapse_h5t_c_s1(void) { return H5T_C_S1; }
static inline size_t kinapse_h5t_variable(void) { return H5T_VARIABLE; }
static inline unsigned kinapse_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned kinapse_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline hid_t kinapse_h5p_file_access(void) { return H5P_FILE_ACCESS; }

/// Stops HDF5 printing its error stack to standard error: readers turn failures into
/// diagnostics of their own.
static inline void kinapse_h5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

/// Whether HDF5 would print an error stack raised on the calling thread.
static inline int kinapse_h5_prints_errors(void) {
    H5E_auto2_t function = NULL;
    void *data = NULL;
    return H5Eget_auto2(H5E_DEFAULT, &function, &data) >= 0 && function != NULL;
}

#endif
