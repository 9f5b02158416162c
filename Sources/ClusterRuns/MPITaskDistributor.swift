import Foundation
public import KinapseUtilities
import Synchronization

/// Spreads each batch of `ParallelTasks` over the ranks of an MPI job, one task at a time.
///
/// Rank 0 hands out task indices in order, first come first served, to the other ranks and
/// to one thread of its own; each rank sends back the result with its next request, so a
/// slow task never holds up the rest (dynamic load balancing). When every task is done,
/// rank 0 sends all results to every rank. Results are placed by task index and each task
/// is a pure function of its index, so the outputs are the bytes one process writes.
///
/// Messages (tags): a request carries the batch number, the index just finished (-1: none),
/// the rank's time spent waiting for assignments and the result; an assignment carries the
/// batch number and the next index (-1: the batch is done for that rank).
public final class MPITaskDistributor: TaskDistributor {
    private let job: MPIJob
    private let batches = Atomic<Int>(0)
    /// Prints per-batch statistics (tasks per rank, wait per assignment) on standard error.
    private let reportsStatistics: Bool
    /// Whether rank 0 runs tasks besides handing them out (`KINAPSE_MPI_LEAD_COMPUTES=0`: it
    /// only hands out, for a job with many ranks, and so that a test knows who ran what).
    private let leadComputes: Bool

    private static let requestTag: Int32 = 1
    private static let assignmentTag: Int32 = 2
    private static let resultsTag: Int32 = 3

    public init(job: MPIJob) {
        self.job = job
        reportsStatistics = ProcessInfo.processInfo.environment["KINAPSE_MPI_STATISTICS"] == "1"
        leadComputes = ProcessInfo.processInfo.environment["KINAPSE_MPI_LEAD_COMPUTES"] != "0"
    }

    public func distribute(_ batch: DistributedBatch) -> [TaskOutcome]? {
        guard job.size > 1 else { return nil }
        let number = batches.add(1, ordering: .relaxed).newValue
        JobTimeline.mark("batch \(number) begun: \(batch.count) tasks")
        let outcomes = job.rank == 0 ? lead(batch, number: number) : follow(batch, number: number)
        JobTimeline.mark("batch \(number) gathered")
        return outcomes
    }

    // MARK: - Rank 0

    private final class Ledger: Sendable {
        struct State {
            var outcomes: [TaskOutcome]
            var next = 0
            var ranBy: [Int]
        }
        let state: Mutex<State>
        let count: Int
        let isCancelled: (@Sendable () -> Bool)?
        let localFinished = Atomic<Bool>(false)

        init(count: Int, ranks: Int, isCancelled: (@Sendable () -> Bool)?) {
            self.count = count
            self.isCancelled = isCancelled
            state = Mutex(State(outcomes: Array(repeating: .notRun, count: count), ranBy: Array(repeating: 0, count: ranks)))
        }

        /// The next task not yet handed out, for `rank`; nil once all are (or on cancellation).
        func take(for rank: Int) -> Int? {
            state.withLock { s in
                guard s.next < count, !(isCancelled?() ?? false) else { return nil }
                defer { s.next += 1 }
                s.ranBy[rank] += 1
                return s.next
            }
        }
    }

    private func lead(_ batch: DistributedBatch, number: Int) -> [TaskOutcome] {
        let ledger = Ledger(count: batch.count, ranks: job.size, isCancelled: batch.isCancelled)
        if leadComputes {
            Thread {
                let marks = JobTimeline.TaskMarks()
                batch.runLocally(1, {
                    let next = ledger.take(for: 0)
                    if let next { marks.begun(next) }
                    return next
                }, { i, outcome in
                    marks.ended(i)
                    ledger.state.withLock { $0.outcomes[i] = outcome }
                })
                ledger.localFinished.store(true, ordering: .releasing)
            }.start()
        } else {
            ledger.localFinished.store(true, ordering: .releasing)
        }
        var working = job.size - 1
        var waits = Array(repeating: 0.0, count: job.size)
        var pause: UInt32 = 20
        while working > 0 || !ledger.localFinished.load(ordering: .acquiring) {
            guard working > 0, let (sender, bytes) = job.poll(from: nil, tag: Self.requestTag) else {
                usleep(pause)
                pause = min(pause * 2, MPIJob.longestPause)
                continue
            }
            pause = 20
            var reader = ByteReader(bytes)
            let (batchNumber, index, waited) = (reader.int(), reader.int(), reader.double())
            guard batchNumber == number else {
                job.abort("rank \(sender) is at task batch \(batchNumber), rank 0 at \(number): the ranks ran different commands or inputs")
            }
            waits[sender] = waited
            // The sender's next task goes out before its result is taken in: `arrived` decodes
            // the result for progress reports (a property list: tens of ms for a fit's start),
            // and the sender would idle through that.
            let next = ledger.take(for: sender) ?? -1
            var reply = ByteWriter()
            reply.int(number)
            reply.int(next)
            job.send(reply.bytes, to: sender, tag: Self.assignmentTag)
            if next < 0 { working -= 1 }
            if index >= 0 {
                let outcome = reader.outcome()
                ledger.state.withLock { $0.outcomes[index] = outcome }
                batch.arrived(index, outcome)
            }
        }
        let (outcomes, ranBy) = ledger.state.withLock { ($0.outcomes, $0.ranBy) }
        var all = ByteWriter()
        all.int(outcomes.count)
        for outcome in outcomes { all.outcome(outcome) }
        for rank in 1..<job.size { job.send(all.bytes, to: rank, tag: Self.resultsTag) }
        if reportsStatistics {
            let perRank = ranBy.enumerated().map { "rank \($0.offset): \($0.element)" }.joined(separator: ", ")
            let wait = (1..<job.size).map { r in String(format: "rank %d %.3f ms", r, ranBy[r] > 0 ? waits[r] * 1000 / Double(ranBy[r]) : 0) }
            FileHandle.standardError.write(Data(("kinapse mpi: batch \(number): \(batch.count) tasks on \(job.size) ranks (\(perRank)); "
                + "mean wait per later assignment: \(wait.joined(separator: ", "))\n").utf8))
        }
        return outcomes
    }

    // MARK: - Other ranks

    private final class Courier: @unchecked Sendable {
        // Touched only by the one thread `runLocally` runs (a single-thread batch), in turn.
        var finished: (index: Int, outcome: TaskOutcome)?
        var waited = 0.0
    }

    private func follow(_ batch: DistributedBatch, number: Int) -> [TaskOutcome] {
        let courier = Courier()
        let marks = JobTimeline.TaskMarks()
        let job = self.job
        batch.runLocally(1, {
            var request = ByteWriter()
            request.int(number)
            let first = courier.finished == nil
            request.int(courier.finished?.index ?? -1)
            let began = ContinuousClock.now
            request.double(courier.waited)
            if let finished = courier.finished { request.outcome(finished.outcome) }
            courier.finished = nil
            job.send(request.bytes, to: 0, tag: Self.requestTag)
            var reader = ByteReader(job.receive(from: 0, tag: Self.assignmentTag).bytes)
            let elapsed = ContinuousClock.now - began
            // The first request also waits for rank 0 to reach the batch: not scheduling.
            if !first { courier.waited += Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18 }
            let (batchNumber, index) = (reader.int(), reader.int())
            if batchNumber != number { job.abort("rank 0 assigned a task of batch \(batchNumber) during batch \(number)") }
            guard index >= 0 else { return nil }
            marks.begun(index)
            return index
        }, { i, outcome in
            marks.ended(i)
            courier.finished = (i, outcome)
        })
        var reader = ByteReader(job.receive(from: 0, tag: Self.resultsTag).bytes)
        let count = reader.int()
        guard count == batch.count else { job.abort("rank 0 sent \(count) results for a batch of \(batch.count) tasks") }
        return (0..<count).map { _ in reader.outcome() }
    }
}

/// Little-endian integers, doubles and task outcomes, in the order written.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func int(_ value: Int) { withUnsafeBytes(of: Int64(value).littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func double(_ value: Double) { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }

    mutating func outcome(_ outcome: TaskOutcome) {
        switch outcome {
        case .result(let payload):
            bytes.append(0)
            int(payload.count)
            bytes.append(contentsOf: payload)
        case .unportable: bytes.append(1)
        case .notRun: bytes.append(2)
        }
    }
}

/// Reads what `ByteWriter` wrote; the messages come from ranks of the same binary.
struct ByteReader {
    private let bytes: [UInt8]
    private var at = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func int() -> Int { Int(Int64(littleEndian: word())) }
    mutating func double() -> Double { Double(bitPattern: word()) }

    private mutating func word<T: FixedWidthInteger>() -> T {
        let size = MemoryLayout<T>.size
        precondition(at + size <= bytes.count, "truncated message")
        defer { at += size }
        return bytes[at..<at + size].reversed().reduce(T(0)) { $0 << 8 | T($1) }
    }

    mutating func outcome() -> TaskOutcome {
        precondition(at < bytes.count, "truncated message")
        let kind = bytes[at]
        at += 1
        switch kind {
        case 0:
            let n = int()
            precondition(at + n <= bytes.count, "truncated message")
            defer { at += n }
            return .result(Array(bytes[at..<at + n]))
        case 1: return .unportable
        default: return .notRun
        }
    }
}
