import Foundation

/// A value made before `ParallelTasks` starts its workers, given to the first one that asks
/// (e.g. a model compiled up front to read its parameters, which one worker then reuses
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
