import Testing
import Foundation
import KineticsCore
import InductionProtocols
import SynapseModel
import SynapseSimulation
import PathwayTestSupport

/// An STDP sweep runs what comes before the first pairing stimulus once and continues every
/// interval from there: each interval's run is the run made in one go.
@Suite struct SweepPrefixTests {
    /// A and B decay at 0.5 /s; `pre` adds 1 to A, `post` 1 to B.
    static func decaySynapse(in dir: URL) throws -> SynapseDefinition {
        try BiophysicalSynapseTests.syntheticSynapse("decay", body: """
              A = 0; B = 0; k = 0.5
              J: A -> ; k*A
              J2: B -> ; k*B
            """, stimuli: """
            [stimuli.pre]
            increments = { A = 1 }
            [stimuli.post]
            increments = { B = 1 }
            """, in: dir)
    }

    /// One `pre` at the start of the induction (10 s), then one pairing 2 s later.
    static let conditionedPairing = InductionProtocol(
        name: "conditioned", baselineDuration: 10, testInterval: 10,
        induction: [InductionBlock(stimulus: "pre", pattern: .train(rate: 1, count: 1, repeats: 1, repeatInterval: 0)),
                    InductionBlock(stimulus: "pre", pattern: .pairing(pre: "pre", post: "post", deltaT: 0, pairs: 1, rate: 1), start: 2)],
        followUpDuration: 20, analysisWindow: 0...20)

    /// The prefix ends at the conditioning stimulus (10 s), the last one before the pairing;
    /// resumed from there at Δt = −5, 0 and +5 ms, each run has the bytes of the run made in one
    /// go (the resumed solver starts where the uninterrupted one restarts after that stimulus).
    @Test func intervalsResumedFromThePrefixAreTheRunsInOneGo() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-prefix-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let synapse = try Self.decaySynapse(in: dir)
        var request = SynapseRunRequest(synapse: synapse, model: try synapse.loadModel(), protocolDefinition: Self.conditionedPairing,
                                        outputStep: 0.01)
        request.offsetPairing = true
        let prepared = try PreparedSynapseRun(request)
        #expect(prepared.pairingPrefixEnd == 10)
        let checkpoint = try prepared.checkpoint(at: 10, overrides: PreparedSynapseRun.pairingOverrides(deltaT: 0))
        #expect(checkpoint.time == 10)
        for deltaT in [-0.005, 0, 0.005] {
            let overrides = PreparedSynapseRun.pairingOverrides(deltaT: deltaT)
            let resumed = try prepared.run(from: checkpoint, overrides: overrides).trajectory
            let whole = try prepared.run(overrides: overrides).trajectory
            #expect(resumed.times == whole.times && resumed.values == whole.values, "Δt = \(deltaT) s")
            // After the pairing, A holds the conditioning pulse and the pre pulse, B the post pulse,
            // each decayed since it came; within 1e-4 relative (rtol 1e-6 a step, over ~100 steps).
            let a = try #require(resumed.series("A")), b = try #require(resumed.series("B"))
            let row = try #require(resumed.times.firstIndex { $0 >= 12.01 })
            let t = resumed.times[row]
            let expectedA = exp(-0.5 * (t - 10)) + exp(-0.5 * (t - 12 - max(0, -deltaT)))
            let expectedB = exp(-0.5 * (t - 12 - max(0, deltaT)))
            #expect(abs(a[row] - expectedA) <= 1e-4 * expectedA, "A \(a[row]) against \(expectedA) at Δt = \(deltaT) s")
            #expect(abs(b[row] - expectedB) <= 1e-4 * expectedB, "B \(b[row]) against \(expectedB) at Δt = \(deltaT) s")
        }
    }
}
