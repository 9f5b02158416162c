import Foundation

/// Independent tasks spread over threads. Each thread takes the next task not yet started,
/// so one slow task does not leave the others idle at the end (a fixed split did: 21
/// points against 20 in an STDP sweep), and the results come back in task order whatever
/// the number of threads, so output never depends on `jobs`.
enum ParallelTasks {
    /// `task(&state, i)` for every `i` in `0..<count`, on up to `jobs` threads. Each thread
    /// starts from `makeState()` and keeps its state across the tasks it takes (e.g. a
    /// prepared model reused from one run to the next).
    static func run<State, Value>(count: Int, jobs: Int, makeState: @Sendable () -> State,
                                  task: @Sendable (inout State, Int) -> Value) -> [Value] {
        let slots = Slots<Value>(count: count)
        DispatchQueue.concurrentPerform(iterations: max(1, min(jobs, count))) { _ in
            var state = makeState()
            while let i = slots.claimNext() { slots.set(i, task(&state, i)) }
        }
        return slots.values
    }

    /// A value made before the workers start, given to the first one that asks (e.g. a
    /// model compiled up front to read its parameters, which one worker then reuses
    /// instead of compiling its own). Only that worker ever uses it.
    final class Handoff<Value>: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Value?
        init(_ value: Value) { self.value = value }

        /// The value the first time; nil afterwards.
        func take() -> Value? {
            lock.lock()
            defer { lock.unlock() }
            defer { value = nil }
            return value
        }
    }

    /// Results written by the worker threads, each to its own slot.
    private final class Slots<Value>: @unchecked Sendable {
        private let lock = NSLock()
        private var storage: [Value?]
        private var claimed = 0
        init(count: Int) { storage = Array(repeating: nil, count: count) }

        /// The next index no worker has taken, or nil when all are taken.
        func claimNext() -> Int? {
            lock.lock()
            defer { lock.unlock() }
            guard claimed < storage.count else { return nil }
            claimed += 1
            return claimed - 1
        }

        func set(_ i: Int, _ value: Value) {
            lock.lock()
            storage[i] = value
            lock.unlock()
        }

        /// Every value, once all workers have finished (each task ran exactly once).
        var values: [Value] {
            lock.lock()
            defer { lock.unlock() }
            return storage.map { $0! }
        }
    }
}
