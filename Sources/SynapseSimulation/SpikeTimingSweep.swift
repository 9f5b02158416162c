import Foundation
import KinapseUtilities
public import InductionProtocols
public import SynapseModel
public import PathwayModel
public import CVODEIntegration

/// One point of a spike-timing window: the plasticity one pairing interval produces.
public struct SpikeTimingPoint: Sendable, Codable, PortableResult {
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
    /// so output is identical for any `jobs`. Once `isCancelled` returns true no further
    /// interval begins; the result then holds only the intervals that ran, still in order.
    public static func run(synapse: SynapseDefinition, model: Pathway, base: InductionProtocol, deltas: [Double], pairs: Int, rate: Double,
                           blockers: [String], options: IntegratorOptions, jobs: Int, nativeCode: Bool = false,
                           isCancelled: (@Sendable () -> Bool)? = nil,
                           progress: (@Sendable () -> Void)? = nil) throws(SynapseRunError) -> [SpikeTimingPoint] {
        guard let index = base.induction.firstIndex(where: { if case .pairing = $0.pattern { true } else { false } }),
              case .pairing(let pre, let post, _, _, _) = base.induction[index].pattern else {
            throw .request("protocol '\(base.name)' has no pairing block to sweep", hint: "use a protocol with pattern = \"pairing\", e.g. pairing")
        }
        let results = ParallelTasks.run(count: deltas.count, jobs: jobs, isCancelled: isCancelled, makeState: {}) { _, i in
            var p = base
            p.induction[index].pattern = .pairing(pre: pre, post: post, deltaT: deltas[i], pairs: pairs, rate: rate)
            do throws(SynapseRunError) {
                var request = SynapseRunRequest(synapse: synapse, model: model, protocolDefinition: p, blockers: blockers, options: options)
                request.nativeCode = nativeCode
                let r = try SynapseRunner.run(request)
                // Only a point that ran counts as progress: a request error (an unknown
                // blocker, a missing model) fails every point alike, and the user should
                // see the error, not a progress bar running to "done" before it.
                progress?()
                return Result<SpikeTimingPoint, SynapseRunError>.success(
                    SpikeTimingPoint(deltaT: deltas[i], summary: r.summary, failure: r.failure.map { "\($0)" }))
            } catch {
                return .failure(error)
            }
        }
        var points: [SpikeTimingPoint] = []
        for case let r? in results { points.append(try r.get()) }
        return points
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
