import Foundation
public import InductionProtocols
public import SynapseModel
public import CVODEIntegration

/// One point of a spike-timing window: the plasticity one pairing interval produces.
public struct SpikeTimingPoint: Sendable {
    /// Post minus pre, seconds.
    public var deltaT: Double
    public var summary: PlasticitySummary?
    /// Why the run gave no summary (a solver failure), if it did not.
    public var failure: String?
}

/// Sweeps the pairing interval of a pairing protocol: the emergent plasticity window.
public enum SpikeTimingSweep {
    /// Runs one protocol per `deltaT`, each with `pairs` pairings at `rate` Hz, spread over
    /// `jobs` threads. Results come back in the order of `deltas`, whatever the thread count,
    /// so output is identical for any `jobs`.
    public static func run(synapse: SynapseDefinition, base: InductionProtocol, deltas: [Double], pairs: Int, rate: Double,
                           blockers: [String], options: IntegratorOptions, jobs: Int, nativeCode: Bool = false,
                           progress: (@Sendable () -> Void)? = nil) throws(SynapseRunError) -> [SpikeTimingPoint] {
        guard let index = base.induction.firstIndex(where: { if case .pairing = $0.pattern { true } else { false } }),
              case .pairing(let pre, let post, _, _, _) = base.induction[index].pattern else {
            throw .request("protocol '\(base.name)' has no pairing block to sweep", hint: "use a protocol with pattern = \"pairing\", e.g. pairing")
        }
        let results = ResultSlots(count: deltas.count)
        let workers = max(1, min(jobs, deltas.count))
        // Each worker takes the next point not yet started, so a slow point does not leave
        // the other workers idle at the end (a fixed split did: 21 points against 20).
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let i = results.claimNext() {
                var p = base
                p.induction[index].pattern = .pairing(pre: pre, post: post, deltaT: deltas[i], pairs: pairs, rate: rate)
                do {
                    var request = SynapseRunRequest(synapse: synapse, protocolDefinition: p, blockers: blockers, options: options)
                    request.nativeCode = nativeCode
                    let r = try SynapseRunner.run(request)
                    results.set(i, .success(SpikeTimingPoint(deltaT: deltas[i], summary: r.summary, failure: r.failure.map { "\($0)" })))
                } catch let error as SynapseRunError {
                    results.set(i, .failure(error))
                } catch {
                    results.set(i, .failure(.request("\(error)", hint: nil)))
                }
                progress?()
            }
        }
        var out: [SpikeTimingPoint] = []
        for r in results.values {
            switch r {
            case .success(let p)?: out.append(p)
            case .failure(let e)?: throw e
            case nil: throw .request("internal error: a sweep point was not computed", hint: nil)
            }
        }
        return out
    }

    /// `from:to:step` in milliseconds, inclusive of `to` when the steps land on it.
    public static func parseRange(_ text: String) -> [Double]? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, let from = parts[0], let to = parts[1], let step = parts[2], step > 0, to >= from,
              (to - from) / step <= 10_000 else { return nil }
        let n = Int(((to - from) / step + 1e-9).rounded(.down))
        return (0...n).map { from + Double($0) * step }
    }
}

/// Results written by worker threads, each to its own slot.
private final class ResultSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Result<SpikeTimingPoint, SynapseRunError>?]
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
    func set(_ i: Int, _ r: Result<SpikeTimingPoint, SynapseRunError>) {
        lock.lock()
        storage[i] = r
        lock.unlock()
    }
    var values: [Result<SpikeTimingPoint, SynapseRunError>?] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}
