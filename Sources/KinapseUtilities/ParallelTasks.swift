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

    private struct Shared<Value: Sendable, Failure: Error> {
        var next = 0
        var results: [Value?]
        var error: Failure?
    }
}
