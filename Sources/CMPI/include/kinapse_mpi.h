#ifndef KINAPSE_MPI_H
#define KINAPSE_MPI_H
// The few MPI calls Kinapse makes, reached through OpenMPI's libmpi.so.40 loaded only when
// the process was started by OpenMPI's mpirun (OMPI_COMM_WORLD_SIZE is set).
//
// Why loaded, not linked: a kinapse run outside mpirun should neither pay for loading
// OpenMPI's libraries nor need them installed, and linking them would tie every run to a
// package only cluster runs use (the way LAPACK is loaded: kinapse_lapack.h). The types and
// constants below are OpenMPI's ABI (mpi.h of OpenMPI 3 to 5: communicators and datatypes are
// pointers to predefined global objects, MPI_Status is three ints, an int and a size_t), so
// the build needs no MPI headers; MPICH and its derivatives are not supported.
#include <stddef.h>

/// Loads libmpi, initialises MPI (thread level MPI_THREAD_SERIALIZED: one thread at a time
/// calls MPI) and returns NULL with this process's rank and the number of ranks, or a
/// message saying what failed. Call once, from the main thread, before any other call.
const char *kinapse_mpi_init(int *rank, int *size);

/// Sends `count` bytes to `destination` with `tag` (blocking, MPI_Send). Returns MPI's error code.
int kinapse_mpi_send(const void *bytes, long count, int destination, int tag);

/// Whether a message from `source` (-1: any) with `tag` is waiting (MPI_Iprobe, which never
/// blocks); when one is, its sender and size in bytes. Returns MPI's error code.
int kinapse_mpi_poll(int source, int tag, int *waiting, int *sender, long *count);

/// Receives the message `kinapse_mpi_poll` found (`count` bytes from `source` with `tag`).
int kinapse_mpi_receive(void *bytes, long count, int source, int tag);

/// Ends MPI cleanly (MPI_Finalize); every rank must call it.
void kinapse_mpi_finalize(void);

/// Ends every rank of the job with `code` (MPI_Abort).
void kinapse_mpi_abort(int code);

#endif
