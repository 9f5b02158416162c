import Foundation
import KinapseUtilities
import InductionProtocols

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
    /// Runs `base`'s protocol once per `deltaT` (s, post minus pre), its pairing block given
    /// `pairs` pairings at `rate` Hz, spread over `jobs` threads. The model is compiled once
    /// for every interval whose protocol ends at the same time (all of them, unless an interval
    /// moves the follow-up by a test interval), the pairing's timing left to parameters.
    /// Results come back in the order of `deltas`, whatever the thread count, so output is
    /// identical for any `jobs`. Once `isCancelled` returns true no further interval begins;
    /// the result then holds only the intervals that ran, still in order.
    public static func run(_ base: SynapseRunRequest, deltas: [Double], pairs: Int, rate: Double, jobs: Int,
                           isCancelled: (@Sendable () -> Bool)? = nil,
                           progress: (@Sendable () -> Void)? = nil) throws(SynapseRunError) -> [SpikeTimingPoint] {
        let proto = base.protocolDefinition
        guard let index = proto.pairingBlock, case .pairing(let pre, let post, _, _, _) = proto.induction[index].pattern else {
            throw .request("protocol '\(proto.name)' has no pairing block to sweep", hint: "use a protocol with pattern = \"pairing\", e.g. pairing")
        }
        let protocols = deltas.map { deltaT in
            var p = proto
            p.induction[index].pattern = .pairing(pre: pre, post: post, deltaT: deltaT, pairs: pairs, rate: rate)
            return p
        }
        // One preparation per follow-up start: the test stimuli are compiled in, the pairing is not.
        var group: [Int] = []
        var preparedRuns: [PreparedSynapseRun] = []
        var starts: [Double] = []
        for p in protocols {
            if let g = starts.firstIndex(of: p.followUpStart) { group.append(g); continue }
            var request = base
            request.protocolDefinition = p
            request.offsetPairing = true
            // A window needs the readouts alone, not the test stimuli's traces.
            request.recordsTestTraces = false
            preparedRuns.append(try PreparedSynapseRun(request))
            starts.append(p.followUpStart)
            group.append(starts.count - 1)
        }
        // Settling, baseline and whatever precedes the first pairing stimulus are the same for
        // every interval: each preparation runs them once, here (so the same on every process
        // of an MPI job), and each interval continues from there.
        var checkpoints: [SynapseCheckpoint?] = []
        for (g, run) in preparedRuns.enumerated() {
            guard let end = run.pairingPrefixEnd else {
                checkpoints.append(nil)
                continue
            }
            let first = group.firstIndex(of: g)!
            checkpoints.append(try run.checkpoint(at: end, overrides: PreparedSynapseRun.pairingOverrides(deltaT: deltas[first])))
        }
        let prepared = group.map { preparedRuns[$0] }
        let prefixes = group.map { checkpoints[$0] }
        let results = ParallelTasks.run(count: deltas.count, jobs: jobs, isCancelled: isCancelled, makeState: {}) { _, i in
            do throws(SynapseRunError) {
                let overrides = PreparedSynapseRun.pairingOverrides(deltaT: deltas[i])
                let r: SynapseRunResult
                if let checkpoint = prefixes[i] {
                    r = try prepared[i].run(from: checkpoint, overrides: overrides)
                } else {
                    r = try prepared[i].run(overrides: overrides)
                }
                progress?()
                // The analysis window counts from the end of this interval's own pairing.
                let summary = r.failure == nil ? PlasticitySummary(readouts: r.readouts, protocolDefinition: protocols[i]) : nil
                return Result<SpikeTimingPoint, SynapseRunError>.success(
                    SpikeTimingPoint(deltaT: deltas[i], summary: summary, failure: r.failure.map { "\($0)" }))
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
