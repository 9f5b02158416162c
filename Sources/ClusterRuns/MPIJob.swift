import CMPI
import Foundation
import KinapseUtilities
import Synchronization

/// The MPI job this process belongs to: started when OpenMPI's `mpirun` launched the process
/// with two or more ranks, ended by `finish()`.
///
/// Every rank runs the whole command. The batches of `ParallelTasks` are spread over the ranks
/// by `MPITaskDistributor`; every rank ends each batch with all its results, so all go on in
/// step, and only rank 0 writes outputs (`JobRank.speaksForJob`).
public final class MPIJob: Sendable {
    public let rank: Int
    public let size: Int

    /// Left once MPI_Init has returned (`startUpFailure` then says how it went).
    private let startedUp = DispatchGroup()
    private let hasStartedUp = Atomic<Bool>(false)
    private let startUpFailure = Mutex<String?>(nil)
    private let failedToStart: @Sendable (String) -> Never
    private let finishRequested = DispatchSemaphore(value: 0)
    private let finalized = DispatchSemaphore(value: 0)

    private init(rank: Int, size: Int, failedToStart: @escaping @Sendable (String) -> Never) {
        self.rank = rank
        self.size = size
        self.failedToStart = failedToStart
    }

    /// The job when `mpirun` launched this process with more than one rank; nil for a plain
    /// run, and for one rank, which has nobody to share with and so neither loads nor starts
    /// MPI. MPI starts on a thread of its own while the command reads and compiles its inputs
    /// (MPI_Init took 0.15–0.7 s with 2 ranks on 2 cores); its first use waits for it, and a
    /// start that fails calls `failedToStart` with the reason then.
    public static func launch(failedToStart: @escaping @Sendable (String) -> Never) -> MPIJob? {
        guard let (rank, size) = JobRank.launched, size > 1 else { return nil }
        let job = MPIJob(rank: rank, size: size, failedToStart: failedToStart)
        job.startedUp.enter()
        let thread = Thread { job.serve() }
        thread.name = "kinapse MPI"
        thread.start()
        return job
    }

    /// Starts MPI, then waits to finalize it: the standard asks MPI_Finalize of the thread
    /// that called MPI_Init, and a thread blocked on a semaphore costs no CPU.
    private func serve() {
        JobTimeline.mark("MPI_Init begun")
        var mpiRank: Int32 = 0, mpiSize: Int32 = 0
        if let failure = kinapse_mpi_init(&mpiRank, &mpiSize) {
            startUpFailure.withLock { $0 = "launched by mpirun, but MPI could not start: \(String(cString: failure))" }
        } else if Int(mpiRank) != rank || Int(mpiSize) != size {
            startUpFailure.withLock { $0 = "MPI calls this process rank \(mpiRank) of \(mpiSize), mpirun's environment rank \(rank) of \(size)" }
        }
        JobTimeline.mark("MPI_Init done")
        hasStartedUp.store(true, ordering: .releasing)
        startedUp.leave()
        finishRequested.wait()
        kinapse_mpi_finalize()
        JobTimeline.mark("MPI_Finalize done")
        finalized.signal()
    }

    /// Returns once MPI has started; a failed start ends the process through `failedToStart`.
    private func waitUntilStarted() {
        if !hasStartedUp.load(ordering: .acquiring) { startedUp.wait() }
        if let failure = startUpFailure.withLock({ $0 }) { failedToStart(failure) }
    }

    /// Ends MPI after a successful run; every rank calls it. (A failing rank exits without
    /// it, and mpirun then ends the others: a rank stopped in MPI_Finalize would wait for
    /// ranks that never arrive.)
    public func finish() {
        waitUntilStarted()
        finishRequested.signal()
        finalized.wait()
    }

    /// Ends every rank of the job after saying why on standard error.
    func abort(_ message: String) -> Never {
        FileHandle.standardError.write(Data("error: MPI rank \(rank) of \(size): \(message)\n".utf8))
        kinapse_mpi_abort(3)
        exit(3)
    }

    /// Microseconds between polls once a wait is long: a task waits at most this long for
    /// its successor (measured: 3 ms per task on 2 idle cores for 40 ms stdp intervals).
    /// Rank 0, handing out tasks, raises its own cap up to 10 times this for long tasks.
    static let longestPause: UInt32 = 1000

    func send(_ bytes: [UInt8], to destination: Int, tag: Int32) {
        waitUntilStarted()
        let code = bytes.withUnsafeBytes { kinapse_mpi_send($0.baseAddress, $0.count, Int32(destination), tag) }
        if code != 0 { abort("sending \(bytes.count) bytes to rank \(destination) failed (MPI error \(code))") }
    }

    /// The next message with `tag` from `source` (nil: any rank), and its sender. Waits by
    /// polling with a growing sleep (20 µs to `longestPause`) rather than in MPI_Recv, which
    /// spins a core: on a machine with as many ranks as cores that core belongs to a rank's work.
    func receive(from source: Int?, tag: Int32) -> (sender: Int, bytes: [UInt8]) {
        var pause: UInt32 = 20
        while true {
            if let message = poll(from: source, tag: tag) { return message }
            usleep(pause)
            pause = min(pause * 2, Self.longestPause)
        }
    }

    /// A waiting message with `tag` from `source` (nil: any rank), without waiting.
    func poll(from source: Int?, tag: Int32) -> (sender: Int, bytes: [UInt8])? {
        waitUntilStarted()
        var waiting: Int32 = 0, sender: Int32 = 0, count = 0
        let code = kinapse_mpi_poll(Int32(source ?? -1), tag, &waiting, &sender, &count)
        if code != 0 { abort("polling for messages failed (MPI error \(code))") }
        guard waiting != 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: count)
        let received = bytes.withUnsafeMutableBytes { kinapse_mpi_receive($0.baseAddress, count, sender, tag) }
        if received != 0 { abort("receiving \(count) bytes from rank \(sender) failed (MPI error \(received))") }
        return (Int(sender), bytes)
    }
}
