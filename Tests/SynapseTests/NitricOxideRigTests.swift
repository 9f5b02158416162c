import Testing
import Foundation
import InductionProtocols
import SynapseModel
import SynapseSimulation
import PathwayTestSupport

/// The two synapses whose iLTP is retrograde NO onto the GABAergic terminal, on the biophysical
/// layer: `vta_no` (VTA dopamine neuron; NMDA receptors → Ca²⁺ → nNOS, Nugent et al. 2007) and
/// `spinal_lamina1` (tonic lamina I neuron; mGluR1/5 → store Ca²⁺ → nNOS, Fenselau et al. 2011).
/// Each NO cascade reads the neuron's own Ca²⁺ shell, and PKG scales the terminal's fusion rate,
/// so the change must be presynaptic (Pr and PPR move, receptors do not), need every step of its
/// route, and stay away from rest and weak stimuli. Runs share one short schedule: a 120-s
/// baseline and tests every 120 s up to 30 min after induction, the 20–30-min window analysed
/// (each run is a few seconds of CPU in a debug build, most of it the terminal's test spikes).
@Suite struct NitricOxideRigTests {
    static let root = TestModels.repositoryRoot

    static func synapse(_ name: String) throws -> SynapseDefinition {
        try SynapseReader.read(path: root.appendingPathComponent("Pathways/synapses/\(name).toml").path)
    }

    /// The published protocol's induction blocks on the short test schedule.
    static func published(_ name: String) throws -> [InductionBlock] {
        try ProtocolReader.read(path: root.appendingPathComponent("Pathways/protocols/\(name).toml").path).induction
    }

    static func schedule(_ induction: [InductionBlock]) -> InductionProtocol {
        InductionProtocol(name: "short", baselineDuration: 120, testInterval: 120, induction: induction, followUpDuration: 1800,
                          analysisWindow: 1200...1800)
    }

    static func run(_ synapse: SynapseDefinition, _ induction: [InductionBlock], blockers: [String] = []) throws -> SynapseRunResult {
        let result = try SynapseRunner.run(SynapseRunRequest(synapse: synapse, model: try synapse.loadModel(),
                                                             protocolDefinition: schedule(induction), blockers: blockers))
        #expect(result.failure == nil, "\(result.failure.map(String.init(describing:)) ?? "")")
        return result
    }

    /// The rig: IPSC in pA with at least 20 mV of driving force, E_GABA reported, and at rest
    /// (no induction) the IPSC stays within 2 %, also under each declared blocker.
    @Test(arguments: ["vta_no"])
    func restStaysWithinTwoPercentUnderEveryBlocker(name: String) throws {
        let synapse = try Self.synapse(name)
        let control = try Self.run(synapse, [])
        let s = try #require(control.summary)
        #expect(s.amplitudeUnit == "pA")
        let first = try #require(control.readouts.first?.recorded)
        #expect(abs(first.membranePotential - first.eGABA) >= 20, "\(name): driving force \(first.membranePotential - first.eGABA) mV")
        #expect(abs(first.amplitude) > 30, "\(name): IPSC \(first.amplitude) pA")
        #expect(s.baseline.eGABA != nil)
        #expect(abs(s.amplitudeChange) < 2, "\(name) rest: ΔIPSC \(s.amplitudeChange) %")
        for blocker in synapse.blockers.keys.sorted() {
            let b = try #require(try Self.run(synapse, [], blockers: [blocker]).summary)
            #expect(abs(b.amplitudeChange) < 2, "\(name) rest with \(blocker): ΔIPSC \(b.amplitudeChange) %")
        }
    }

    /// Nugent et al. 2007 (protocols/nugent_hfs.toml): two 100-Hz trains in current clamp
    /// potentiate the IPSC by at least 15 % at 20–30 min through more release (Pr up, PPR down,
    /// receptors unchanged); L-NAME, ODQ, APV and postsynaptic BAPTA each leave less than 5 %. The
    /// size follows from the cascade, not a ceiling: one train gives less than two, four more.
    @Test func vtaTetanusPotentiatesReleaseThroughNMDAReceptorsAndNO() throws {
        let synapse = try Self.synapse("vta_no")
        let blocks = try Self.published("nugent_hfs")
        let s = try #require(try Self.run(synapse, blocks).summary)
        #expect(s.amplitudeChange >= 15, "ΔIPSC \(s.amplitudeChange) %")
        #expect(s.releaseProbabilityChange >= 5, "ΔPr \(s.releaseProbabilityChange) %")
        #expect(s.pairedPulseRatioChange <= -1, "ΔPPR \(s.pairedPulseRatioChange) %")
        #expect(abs(s.receptorChange) < 1e-9, "ΔN \(s.receptorChange) %")
        #expect(s.locus == .presynaptic, "\(s.locus)")
        for blocker in ["L-NAME", "ODQ", "APV", "BAPTA"] {
            let b = try #require(try Self.run(synapse, blocks, blockers: [blocker]).summary)
            #expect(abs(b.amplitudeChange) < 5, "with \(blocker): ΔIPSC \(b.amplitudeChange) %")
        }
        func trains(_ n: Int) throws -> Double {
            var changed = blocks
            for i in changed.indices {
                if case .train(let rate, let count, _, let interval) = changed[i].pattern {
                    changed[i].pattern = .train(rate: rate, count: count, repeats: n, repeatInterval: interval)
                } else if case .step(_, let repeats, let interval) = changed[i].pattern {
                    changed[i].pattern = .step(duration: Double(n - 1) * 20 + 3, repeats: repeats, repeatInterval: interval)
                }
            }
            return try #require(try Self.run(synapse, changed).summary).amplitudeChange
        }
        let one = try trains(1), four = try trains(4)
        #expect(one < s.amplitudeChange - 3 && four > s.amplitudeChange + 2, "1, 2, 4 trains: \(one), \(s.amplitudeChange), \(four) %")
    }

    /// Weak stimuli, given as the published induction is (the tetanus's current-clamp step for the
    /// excitatory afferent): a single pulse and 5 pulses at 1 Hz of each afferent leave |ΔIPSC| < 5 %.
    @Test(arguments: ["excitatory_afferent", "inhibitory_afferent"])
    func vtaWeakStimuliLeaveTheIPSC(afferent: String) throws {
        let synapse = try Self.synapse("vta_no")
        let clamp = try #require(try Self.published("nugent_hfs").first { $0.stimulus == "current_clamp" })
        for count in [1, 5] {
            let pulses = InductionBlock(stimulus: afferent, pattern: .train(rate: 1, count: count, repeats: 1, repeatInterval: 0), start: 1)
            let s = try #require(try Self.run(synapse, [clamp, pulses]).summary)
            #expect(abs(s.amplitudeChange) < 5, "\(afferent) x \(count): ΔIPSC \(s.amplitudeChange) %")
        }
    }
}
