import Dispatch
import Synchronization

/// Independent tasks spread over threads: the one work queue of fits, profiles, STDP
/// sweeps and finite-difference checks.
///
/// Each thread takes the next task not yet started, so one slow task does not leave the
/// others idle at the end (a fixed split did: 21 points against 20 in an STDP sweep), and
/// results are stored by task index, so output never depends on `jobs` or on which thread
/// ran what.
public enum ParallelTasks {
    /// `task(&state, i)` for every `i` in `0..<count`, on up to `jobs` threads. Each thread
    /// starts from `makeState()` and keeps its state across the tasks it takes (a prepared
    /// model, a problem with its own solver memory).
    ///
    /// - `isCancelled`: once it returns true no further task begins; their places stay nil.
    /// - `onDone`: called with each result as it arrives, one call at a time (progress).
    /// - An error from `makeState` stops every thread from taking further tasks and is
    ///   thrown once all have stopped.
    public static func run<State, Value: Sendable, Failure: Error>(
        count: Int, jobs: Int, isCancelled: (@Sendable () -> Bool)?,
        makeState: @Sendable () throws(Failure) -> State,
        onDone: (@Sendable (Value) -> Void)? = nil,
        task: @Sendable (inout State, Int) -> Value
    ) throws(Failure) -> [Value?] {
        // Under MPI or a shard (`TaskDistribution`), a batch with portable results is spread
        // over the processes; a batch begun inside one of its tasks stays on this process.
        if let portable = Value.self as? any PortableResult.Type, let distributor = TaskDistribution.claim() {
            defer { TaskDistribution.release() }
            if let results = try distributed(distributor, portable: portable, count: count, jobs: jobs, isCancelled: isCancelled,
                                             makeState: makeState, onDone: onDone, task: task) {
                return results
            }
        }
        return try local(count: count, jobs: jobs, isCancelled: isCancelled, makeState: makeState, onDone: onDone, task: task)
    }

    /// The batch on this process's threads.
    private static func local<State, Value: Sendable, Failure: Error>(
        count: Int, jobs: Int, isCancelled: (@Sendable () -> Bool)?,
        makeState: @Sendable () throws(Failure) -> State,
        onDone: (@Sendable (Value) -> Void)?,
        task: @Sendable (inout State, Int) -> Value
    ) throws(Failure) -> [Value?] {
        let shared = Mutex(Shared<Value, Failure>(results: Array(repeating: nil, count: count)))
        DispatchQueue.concurrentPerform(iterations: max(1, min(jobs, count))) { _ in
            var state: State
            do throws(Failure) {
                state = try makeState()
            } catch {
                shared.withLock { if $0.error == nil { $0.error = error } }
                return
            }
            while true {
                let next: Int? = shared.withLock { s in
                    guard s.next < count, s.error == nil, !(isCancelled?() ?? false) else { return nil }
                    defer { s.next += 1 }
                    return s.next
                }
                guard let i = next else { return }
                let value = task(&state, i)
                shared.withLock { s in
                    s.results[i] = value
                    onDone?(value)
                }
            }
        }
        return try shared.withLock { s throws(Failure) in
            if let error = s.error { throw error }
            return s.results
        }
    }

    /// `run` without cancellation: every task runs, so every place is filled.
    public static func run<State, Value: Sendable, Failure: Error>(
        count: Int, jobs: Int,
        makeState: @Sendable () throws(Failure) -> State,
        onDone: (@Sendable (Value) -> Void)? = nil,
        task: @Sendable (inout State, Int) -> Value
    ) throws(Failure) -> [Value] {
        try run(count: count, jobs: jobs, isCancelled: nil, makeState: makeState, onDone: onDone, task: task).map { $0! }
    }

    /// The batch through `distributor`: tasks this process runs keep their values, the others
    /// are read from their bytes, and those whose results could not travel run again here.
    /// Nil when the distributor leaves the batch to the local threads.
    private static func distributed<State, Value: Sendable, Failure: Error>(
        _ distributor: any TaskDistributor, portable: any PortableResult.Type,
        count: Int, jobs: Int, isCancelled: (@Sendable () -> Bool)?,
        makeState: @Sendable () throws(Failure) -> State,
        onDone: (@Sendable (Value) -> Void)?,
        task: @Sendable (inout State, Int) -> Value
    ) throws(Failure) -> [Value?]? {
        let shared = SharedBox<Value, Failure>(count: count)
        let outcomes = withoutActuallyEscaping(makeState) { makeState in
            withoutActuallyEscaping(task) { task in
                distributor.distribute(DistributedBatch(count: count, jobs: jobs, isCancelled: isCancelled, runLocally: { threads, next, done in
                    DispatchQueue.concurrentPerform(iterations: max(1, min(threads, count))) { _ in
                        var state: State
                        do throws(Failure) {
                            state = try makeState()
                        } catch {
                            shared.state.withLock { if $0.error == nil { $0.error = error } }
                            return
                        }
                        while let i = next() {
                            let value = task(&state, i)
                            shared.state.withLock { s in
                                s.results[i] = value
                                onDone?(value)
                            }
                            done(i, (value as? any PortableResult)?.portableBytes().map(TaskOutcome.result) ?? .unportable)
                        }
                    }
                }, arrived: { _, outcome in
                    if let onDone, case .result(let bytes) = outcome, let value = try? portable.init(portableBytes: bytes) as? Value {
                        shared.state.withLock { _ in onDone(value) }
                    }
                }))
            }
        }
        guard let outcomes else { return nil }
        var (results, error) = shared.state.withLock { ($0.results, $0.error) }
        if let error { throw error }
        var again: [Int] = []
        for i in 0..<count where results[i] == nil {
            switch outcomes[i] {
            case .result(let bytes):
                if let value = try? portable.init(portableBytes: bytes) as? Value { results[i] = value } else { again.append(i) }
            case .unportable: again.append(i)
            case .notRun: break
            }
        }
        if !again.isEmpty {
            let again = again
            let rerun = try local(count: again.count, jobs: jobs, isCancelled: nil, makeState: makeState, onDone: onDone) { state, k in
                task(&state, again[k])
            }
            for (k, i) in again.enumerated() { results[i] = rerun[k] }
        }
        return results
    }

    /// `Shared` for closures that outlive a call's frame (a distributor's).
    private final class SharedBox<Value: Sendable, Failure: Error>: Sendable {
        let state: Mutex<Shared<Value, Failure>>
        init(count: Int) { state = Mutex(Shared(results: Array(repeating: nil, count: count))) }
    }

    private struct Shared<Value: Sendable, Failure: Error> {
        var next = 0
        var results: [Value?]
        var error: Failure?
    }
}
