#include "kinapse_mpi.h"
#include <dlfcn.h>
#include <stdio.h>

// OpenMPI's ABI (see kinapse_mpi.h): opaque handles are pointers to predefined objects.
typedef void *kmpi_comm;
typedef void *kmpi_datatype;
typedef struct {
    int source, tag, error;
    int cancelled;
    size_t ucount;
} kmpi_status;

enum { KMPI_THREAD_SERIALIZED = 2 };

static int (*p_init_thread)(int *, char ***, int, int *);
static int (*p_comm_rank)(kmpi_comm, int *);
static int (*p_comm_size)(kmpi_comm, int *);
static int (*p_send)(const void *, int, kmpi_datatype, int, int, kmpi_comm);
static int (*p_recv)(void *, int, kmpi_datatype, int, int, kmpi_comm, kmpi_status *);
static int (*p_iprobe)(int, int, kmpi_comm, int *, kmpi_status *);
static int (*p_get_count)(const kmpi_status *, kmpi_datatype, int *);
static int (*p_finalize)(void);
static int (*p_abort)(kmpi_comm, int);
static kmpi_comm world;
static kmpi_datatype byte_type;

static char message[512];

#define LOAD(pointer, name) \
    if (!(*(void **)&pointer = dlsym(library, name))) { \
        snprintf(message, sizeof message, "%s has no symbol %s (kinapse needs OpenMPI)", loaded, name); \
        return message; \
    }

const char *kinapse_mpi_init(int *rank, int *size) {
    // RTLD_GLOBAL: OpenMPI loads its components as plugins that resolve symbols in libmpi.
    const char *names[] = {"libmpi.so.40", "libmpi.so"};
    void *library = NULL;
    const char *loaded = NULL;
    for (size_t i = 0; i < sizeof names / sizeof *names && !library; i++) {
        library = dlopen(names[i], RTLD_NOW | RTLD_GLOBAL);
        loaded = names[i];
    }
    if (!library) {
        snprintf(message, sizeof message, "cannot load OpenMPI's libmpi.so.40: %s", dlerror());
        return message;
    }
    LOAD(p_init_thread, "MPI_Init_thread")
    LOAD(p_comm_rank, "MPI_Comm_rank")
    LOAD(p_comm_size, "MPI_Comm_size")
    LOAD(p_send, "MPI_Send")
    LOAD(p_recv, "MPI_Recv")
    LOAD(p_iprobe, "MPI_Iprobe")
    LOAD(p_get_count, "MPI_Get_count")
    LOAD(p_finalize, "MPI_Finalize")
    LOAD(p_abort, "MPI_Abort")
    LOAD(world, "ompi_mpi_comm_world")
    LOAD(byte_type, "ompi_mpi_byte")
    int provided = 0;
    if (p_init_thread(NULL, NULL, KMPI_THREAD_SERIALIZED, &provided) != 0) return "MPI_Init_thread failed";
    if (provided < KMPI_THREAD_SERIALIZED) return "this MPI library cannot be called from more than one thread";
    p_comm_rank(world, rank);
    p_comm_size(world, size);
    return NULL;
}

int kinapse_mpi_send(const void *bytes, long count, int destination, int tag) {
    return p_send(bytes, (int)count, byte_type, destination, tag, world);
}

int kinapse_mpi_poll(int source, int tag, int *waiting, int *sender, long *count) {
    kmpi_status status = {0};
    int error = p_iprobe(source, tag, world, waiting, &status);
    if (error || !*waiting) return error;
    int n = 0;
    error = p_get_count(&status, byte_type, &n);
    *sender = status.source;
    *count = n;
    return error;
}

int kinapse_mpi_receive(void *bytes, long count, int source, int tag) {
    kmpi_status status = {0};
    return p_recv(bytes, (int)count, byte_type, source, tag, world, &status);
}

void kinapse_mpi_finalize(void) { p_finalize(); }

void kinapse_mpi_abort(int code) { p_abort(world, code); }
