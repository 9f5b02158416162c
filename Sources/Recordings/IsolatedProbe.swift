import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A recursive lock that a C library's callers hold around each call, and that a fork holds
/// too (`IsolatedProbe`). A forked child gets one thread and a copy of every lock as it was:
/// HDF5's global mutex held by another thread at the moment of the fork stays held in the
/// child for ever, and the child waits on it. (This is what CI met: the probe of a good file
/// was "still reading after 20 s" while other tests read and wrote NWB files.) Holding the
/// gate across `fork` means no other thread is inside the library when the child is made.
package final class ForkGate: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    /// Set in a forked child. It has one thread, so it needs no gate, and the gate copies it
    /// inherited may be held by threads that do not exist in it.
    nonisolated(unsafe) fileprivate static var inForkedChild = false

    package init() {
        mutex = .allocate(capacity: 1)
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    package func within<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        if Self.inForkedChild { return try body() }
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// `fork()` with the gate held, so that no thread of this process is inside the library.
    fileprivate func fork() -> pid_t {
        pthread_mutex_lock(mutex)
        let child = forkProcess()
        if child == 0 { Self.inForkedChild = true } else { pthread_mutex_unlock(mutex) }
        return child
    }
}

private func forkProcess() -> pid_t { fork() }

/// Runs a read in a child process before the real read, so that a file which crashes or
/// hangs a C library (HDF5 1.10.8 segfaults in `H5HG_read` on some damaged global heaps and
/// loops on others) costs the child, not the user's run. The parent reads the file itself
/// only after the child got through the same reads; both are deterministic, so a read the
/// child survived is one the parent survives.
enum IsolatedProbe {
    enum Outcome: Equatable {
        /// The child finished the reads (with or without a diagnostic of its own), or no
        /// child could be made to try them: the read then runs unprotected.
        case survived
        /// The child died: by this signal, or with an exit status the probe never uses
        /// (a sanitizer's report, for instance).
        case crashed(signal: Int32?, status: Int32?)
        /// The child was still reading, busy, after `timeout` seconds and was killed.
        case hung(seconds: Double)
    }

    /// Exit statuses of the child: reads done, or stopped by a diagnostic (a damaged file
    /// the reader recognised, which the parent's own read will report in full).
    private static let finished: Int32 = 0
    private static let diagnosed: Int32 = 3

    /// Children found stuck on a lock, over the life of the process (tests read it: with
    /// the gate held around every HDF5 call, concurrent reads never make one).
    static let stuckChildren = Atomic<Int>(0)

    /// Forks (holding `gate`, the lock the library's callers hold), runs `reads` in the
    /// child (true: all read, false: a diagnostic stopped it) and waits at most `timeout`
    /// seconds. If the process cannot fork, the probe is skipped and reported as survived
    /// (the read then runs unprotected, as before). A child asleep without using the
    /// processor is stuck on a lock some other library left held at the fork, not on the
    /// file; it is tried once more, and then the probe is skipped the same way.
    static func run(timeout: Double, gate: ForkGate, _ reads: () -> Bool) -> Outcome {
        for _ in 0..<2 {
            switch attempt(timeout: timeout, gate: gate, reads) {
            case .some(let outcome): return outcome
            case .none: stuckChildren.add(1, ordering: .relaxed)
            }
        }
        return .survived
    }

    /// One child; nil when it was found stuck on a lock.
    private static func attempt(timeout: Double, gate: ForkGate, _ reads: () -> Bool) -> Outcome? {
        let child = gate.fork()
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
        var idle = IdleWatch()
        while true {
            let done = waitpid(child, &status, WNOHANG)
            if done == child { break }
            if done < 0, errno != EINTR { return .survived }
            let stuck = idle.isStuck(child, at: waited)
            if stuck || waited >= timeout {
                kill(child, SIGKILL)
                while waitpid(child, &status, 0) < 0, errno == EINTR {}
                return stuck ? nil : .hung(seconds: waited)
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

    /// Tells a child waiting on a lock from one reading or looping: asleep (state S in
    /// /proc/PID/stat) with its processor time unchanged for `patience` seconds. A read
    /// from disk shows state D, a loop state R, and both use processor time.
    struct IdleWatch {
        var patience = 2.0
        private var ticks: Int?
        private var since = 0.0

        mutating func isStuck(_ pid: pid_t, at time: Double) -> Bool {
            guard let (state, used) = Self.sample(pid), state == "S" else { ticks = nil; return false }
            if used != ticks { ticks = used; since = time; return false }
            return time - since >= patience
        }

        /// State and user + system clock ticks of a process; nil where /proc is missing.
        static func sample(_ pid: pid_t) -> (Character, Int)? {
            let fd = open("/proc/\(pid)/stat", O_RDONLY)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            var buffer = [UInt8](repeating: 0, count: 1024)
            let count = read(fd, &buffer, buffer.count)
            guard count > 0 else { return nil }
            // "pid (comm) state ppid …": the command may hold spaces and parentheses, so the
            // fields are counted from the last ')'. utime and stime are fields 14 and 15.
            let text = String(decoding: buffer[..<count], as: UTF8.self)
            guard let close = text.lastIndex(of: ")") else { return nil }
            let fields = text[text.index(after: close)...].split(separator: " ")
            guard fields.count > 12, let state = fields[0].first,
                  let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
            return (state, user + system)
        }
    }
}
