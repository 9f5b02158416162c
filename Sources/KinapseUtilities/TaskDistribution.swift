import Foundation
import Synchronization

/// A task result that can travel between processes (MPI ranks, shard files): the results
/// `ParallelTasks` hands to a `TaskDistributor` must be portable, or they run where needed.
public protocol PortableResult: Sendable {
    /// The result as bytes; nil when it cannot travel (then it is recomputed locally).
    func portableBytes() -> [UInt8]?
    init(portableBytes: [UInt8]) throws
}

extension PortableResult where Self: Codable {
    // A binary property list keeps every Double's bits (NaN and infinities too), so a
    // result read back on another rank prints exactly as the one computed there.
    public func portableBytes() -> [UInt8]? {
        let encoder = PropertyListEncoder()
        encoder.outputFormat = .binary
        return (try? encoder.encode([self])).map { Array($0) }
    }

    public init(portableBytes bytes: [UInt8]) throws {
        self = try PropertyListDecoder().decode([Self].self, from: Data(bytes))[0]
    }
}

/// A failure does not travel: the failures tasks return (a request error) come from the
/// inputs, so recomputing one locally gives the same error without its type being codable.
extension Result: PortableResult where Success: PortableResult {
    public func portableBytes() -> [UInt8]? {
        if case .success(let value) = self { value.portableBytes() } else { nil }
    }

    public init(portableBytes bytes: [UInt8]) throws {
        self = .success(try Success(portableBytes: bytes))
    }
}

/// What became of one task of a distributed batch.
public enum TaskOutcome: Sendable, Equatable {
    case result([UInt8])
    /// Ran, but its result could not travel: whoever needs it recomputes it.
    case unportable
    /// Never started (the batch was cancelled).
    case notRun
}

/// One batch of independent tasks offered to a distributor.
public struct DistributedBatch: Sendable {
    public let count: Int
    /// Threads the batch would use on one process (`--jobs`).
    public let jobs: Int
    public let isCancelled: (@Sendable () -> Bool)?
    /// Runs tasks on `threads` threads of this process: each takes indices from `next`
    /// until it returns nil and passes each outcome to `done`.
    public let runLocally: @Sendable (_ threads: Int, _ next: @escaping @Sendable () -> Int?,
                                      _ done: @escaping @Sendable (Int, TaskOutcome) -> Void) -> Void
    /// An outcome computed by another process, as it arrives (progress on the reporting rank).
    public let arrived: @Sendable (Int, TaskOutcome) -> Void
}

/// Spreads the batches of `ParallelTasks` over processes (MPI ranks, shards of a job array).
///
/// Every process runs the same command, so all reach the same batches in the same order;
/// `distribute` returns every task's outcome on every process, which then carries on with
/// identical results. It returns nil for a batch it leaves to the local threads.
public protocol TaskDistributor: Sendable {
    func distribute(_ batch: DistributedBatch) -> [TaskOutcome]?
}

public enum TaskDistribution {
    private static let installed = Mutex<(any TaskDistributor)?>(nil)
    /// Set while a batch is distributed: batches started inside its tasks run locally.
    private static let busy = Atomic<Bool>(false)

    /// Installs the distributor for the rest of the process (the command line does, once).
    public static func install(_ distributor: any TaskDistributor) {
        installed.withLock { $0 = distributor }
    }

    /// The distributor for a batch begun now, marked busy until `release`; nil inside a batch.
    static func claim() -> (any TaskDistributor)? {
        guard let distributor = installed.withLock({ $0 }) else { return nil }
        return busy.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged ? distributor : nil
    }

    static func release() { busy.store(false, ordering: .releasing) }
}

/// This process's place in an MPI job, read from the environment OpenMPI's `mpirun` sets
/// (`OMPI_COMM_WORLD_RANK`, `OMPI_COMM_WORLD_SIZE`), so it is known before MPI starts.
public enum JobRank {
    /// Rank and number of ranks when `mpirun` started this process; nil otherwise.
    public static let launched: (rank: Int, size: Int)? = {
        let environment = ProcessInfo.processInfo.environment
        guard let size = environment["OMPI_COMM_WORLD_SIZE"].flatMap(Int.init),
              let rank = environment["OMPI_COMM_WORLD_RANK"].flatMap(Int.init), size >= 1, (0..<size).contains(rank) else { return nil }
        return (rank, size)
    }()

    /// Rank 0 (or a process outside MPI) speaks for the job: only it writes outputs.
    public static var speaksForJob: Bool { (launched?.rank ?? 0) == 0 }
}
