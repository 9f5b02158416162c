#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a read in a child process before the real read, so that a file which crashes or
/// hangs a C library (HDF5 1.10.8 segfaults in `H5HG_read` on some damaged global heaps and
/// loops on others) costs the child, not the user's run. The parent reads the file itself
/// only after the child got through the same reads; both are deterministic, so a read the
/// child survived is one the parent survives.
enum IsolatedProbe {
    enum Outcome: Equatable {
        /// The child finished the reads (with or without a diagnostic of its own).
        case survived
        /// The child died: by this signal, or with an exit status the probe never uses
        /// (a sanitizer's report, for instance).
        case crashed(signal: Int32?, status: Int32?)
        /// The child was still reading after `timeout` seconds and was killed.
        case hung(seconds: Double)
    }

    /// Exit statuses of the child: reads done, or stopped by a diagnostic (a damaged file
    /// the reader recognised, which the parent's own read will report in full).
    private static let finished: Int32 = 0
    private static let diagnosed: Int32 = 3

    /// Forks, runs `reads` in the child (true: all read, false: a diagnostic stopped it)
    /// and waits at most `timeout` seconds. If the process cannot fork, the probe is
    /// skipped and reported as survived (the read then runs unprotected, as before).
    static func run(timeout: Double, _ reads: () -> Bool) -> Outcome {
        let child = fork()
        if child < 0 { return .survived }
        if child == 0 {
            // The child's death must be quiet and immediate: no crash report from the Swift
            // runtime on the user's terminal, no time spent symbolicating a backtrace.
            let null = open("/dev/null", O_WRONLY)
            if null >= 0 { dup2(null, 2); dup2(null, 1) }
            for s in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP] { signal(s, SIG_DFL) }
            _exit(reads() ? finished : diagnosed)
        }
        var status: Int32 = 0
        var waited = 0.0
        var pause = 0.0005
        while true {
            let done = waitpid(child, &status, WNOHANG)
            if done == child { break }
            if done < 0, errno != EINTR { return .survived }
            if waited >= timeout {
                kill(child, SIGKILL)
                while waitpid(child, &status, 0) < 0, errno == EINTR {}
                return .hung(seconds: waited)
            }
            usleep(useconds_t(pause * 1e6))
            waited += pause
            pause = min(pause * 2, 0.05)
        }
        // <sys/wait.h>'s macros are not imported into Swift; these are their definitions.
        let signalled = status & 0x7f
        if signalled == 0 {
            let code = (status >> 8) & 0xff
            return code == finished || code == diagnosed ? .survived : .crashed(signal: nil, status: code)
        }
        return .crashed(signal: signalled, status: nil)
    }
}
