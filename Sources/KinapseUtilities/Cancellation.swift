import Synchronization

/// Asks running optimisations to stop early and return what they have (Ctrl-C during a fit).
///
/// A flag rather than an error thrown into the workers: a Levenberg–Marquardt run checks it
/// between evaluations and ends with status `.interrupted` at its best point so far, and a
/// multi-start stops handing out starts, so an interrupted fit still has a best result to
/// report. Raising it is safe from any thread, including a signal-handling one.
public final class CancellationFlag: Sendable {
    private let raised = Atomic<Bool>(false)

    public init() {}

    public func cancel() { raised.store(true, ordering: .relaxed) }

    public var isCancelled: Bool { raised.load(ordering: .relaxed) }
}
