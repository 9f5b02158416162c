import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// CPU time of the whole process (every thread), in seconds: the cost of a run on a shared
/// machine, where wall time says more about the neighbours.
public func processCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// CPU time of the calling thread, in seconds: on a shared machine it measures the work
/// that thread did (a start of a multi-start fit runs on one, simulations included), where
/// wall time also counts waiting for a core.
public func threadCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

extension CancellationFlag {
    /// Raises the flag once `seconds` of wall-clock time have passed.
    public func cancel(afterWallSeconds seconds: Double) {
        Thread.detachNewThread { [self] in
            Thread.sleep(forTimeInterval: seconds)
            cancel()
        }
    }

    /// Raises the flag once the process has used `seconds` of CPU time beyond what it had
    /// used when this was called, counting every thread.
    ///
    /// The watcher sleeps for the remaining budget divided by the online cores (the most
    /// CPU the process could use in that time), at most one second and at least 10 ms, so
    /// it overshoots by at most one poll while costing nothing measurable.
    public func cancel(afterCPUSeconds seconds: Double) {
        let limit = processCPUSeconds() + seconds
        let cores = Double(max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        Thread.detachNewThread { [self] in
            while !isCancelled {
                let remaining = limit - processCPUSeconds()
                if remaining <= 0 { cancel(); return }
                Thread.sleep(forTimeInterval: min(1, max(0.01, remaining / cores)))
            }
        }
    }
}
