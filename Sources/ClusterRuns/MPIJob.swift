import CMPI
import Foundation
import KinapseUtilities
import Synchronization

/// The MPI job this process belongs to: started when OpenMPI's `mpirun` launched the process,
/// ended by `finish()`.
///
/// Every rank runs the whole command. The batches of `ParallelTasks` are spread over the ranks
/// by `MPITaskDistributor`; every rank ends each batch with all its results, so all go on in
/// step, and only rank 0 writes outputs (`JobRank.speaksForJob`).
public final class MPIJob: Sendable {
    public let rank: Int
    public let size: Int

    private init(rank: Int, size: Int) {
        self.rank = rank
        self.size = size
    }

    public struct StartFailure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts MPI when `mpirun` launched this process (nil otherwise: a plain run).
    public static func startIfLaunched() throws(StartFailure) -> MPIJob? {
        guard JobRank.launched != nil else { return nil }
        var rank: Int32 = 0, size: Int32 = 0
        if let failure = kinapse_mpi_init(&rank, &size) {
            throw StartFailure(description: "launched by mpirun, but MPI could not start: \(String(cString: failure))")
        }
        return MPIJob(rank: Int(rank), size: Int(size))
    }

    /// Ends MPI after a successful run; every rank calls it. (A failing rank exits without
    /// it, and mpirun then ends the others: a rank stopped in MPI_Finalize would wait for
    /// ranks that never arrive.)
    public func finish() { kinapse_mpi_finalize() }

    /// Ends every rank of the job after saying why on standard error.
    func abort(_ message: String) -> Never {
        FileHandle.standardError.write(Data("error: MPI rank \(rank) of \(size): \(message)\n".utf8))
        kinapse_mpi_abort(3)
        exit(3)
    }

    /// Microseconds between polls once a wait is long: a task waits at most this long for
    /// its successor (measured: 3 ms per task on 2 idle cores for 40 ms stdp intervals).
    static let longestPause: UInt32 = 1000

    func send(_ bytes: [UInt8], to destination: Int, tag: Int32) {
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
