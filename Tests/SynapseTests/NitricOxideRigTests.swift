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
/// route, and stay away from rest and weak stimuli. Runs share one short schedule: a 240-s
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
        InductionProtocol(name: "short", baselineDuration: 240, testInterval: 120, induction: induction, followUpDuration: 1800,
                          analysisWindow: 1200...1800)
    }

    static func run(_ synapse: SynapseDefinition, _ induction: [InductionBlock], blockers: [String] = []) throws -> SynapseRunResult {
        let result = try SynapseRunner.run(SynapseRunRequest(synapse: synapse, model: try synapse.loadModel(),
                                                             protocolDefinition: schedule(induction), blockers: blockers).readoutsOnly)
        #expect(result.failure == nil, "\(result.failure.map(String.init(describing:)) ?? "")")
        return result
    }

    /// The rig: IPSC in pA with at least 20 mV of driving force, E_GABA reported, and at rest
    /// (no induction) the IPSC stays within 2 %, also under each declared blocker.
    @Test(arguments: ["vta_no", "spinal_lamina1"])
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

    /// `blocks` with every train repeated `n` times instead, and a step that spans the trains
    /// (the tetanus's current-clamp window) stretched by the trains added or removed.
    static func withTrains(_ blocks: [InductionBlock], _ n: Int) -> [InductionBlock] {
        var trainRepeats = 1, trainInterval = 0.0
        for b in blocks { if case .train(_, _, let r, let i) = b.pattern { trainRepeats = r; trainInterval = i } }
        return blocks.map { block in
            var b = block
            if case .train(let rate, let count, _, let interval) = b.pattern {
                b.pattern = .train(rate: rate, count: count, repeats: n, repeatInterval: interval)
            } else if case .step(let duration, let repeats, let interval) = b.pattern {
                b.pattern = .step(duration: duration + Double(n - trainRepeats) * trainInterval, repeats: repeats, repeatInterval: interval)
            }
            return b
        }
    }

    /// The published tetanus potentiates the IPSC by at least 15 % at 20–30 min through more
    /// release (Pr up, PPR down, receptors unchanged), each abolishing blocker leaves less than
    /// 5 %, and the size follows from the cascade, not a ceiling: one train gives less.
    static func tetanusIsPresynapticGradedAndBlocked(_ name: String, _ protocolName: String, abolishing: [String]) throws {
        let synapse = try Self.synapse(name)
        let blocks = try Self.published(protocolName)
        let s = try #require(try Self.run(synapse, blocks).summary)
        #expect(s.amplitudeChange >= 15, "\(name): ΔIPSC \(s.amplitudeChange) %")
        #expect(s.releaseProbabilityChange >= 5, "\(name): ΔPr \(s.releaseProbabilityChange) %")
        #expect(s.pairedPulseRatioChange <= -1, "\(name): ΔPPR \(s.pairedPulseRatioChange) %")
        #expect(abs(s.receptorChange) < 1e-9, "\(name): ΔN \(s.receptorChange) %")
        #expect(s.locus == .presynaptic, "\(name): \(s.locus)")
        for blocker in abolishing {
            let b = try #require(try Self.run(synapse, blocks, blockers: [blocker]).summary)
            #expect(abs(b.amplitudeChange) < 5, "\(name) with \(blocker): ΔIPSC \(b.amplitudeChange) %")
        }
        let one = try #require(try Self.run(synapse, Self.withTrains(blocks, 1)).summary).amplitudeChange
        #expect(one < s.amplitudeChange - 3, "\(name): one train \(one) %, published \(s.amplitudeChange) %")
    }

    /// Nugent et al. 2007 (protocols/nugent_hfs.toml: two 100-Hz trains in current clamp); their
    /// L-NAME, ODQ, APV and postsynaptic BAPTA each abolish it. L-NAME and APV are graded: 100 µM
    /// L-NAME acts through the 2 µM of L-NOARG it carries (IC50 5 µM) and leaves 4.8 % of NO
    /// synthesis.
    @Test func vtaTetanusPotentiatesReleaseThroughNMDAReceptorsAndNO() throws {
        try Self.tetanusIsPresynapticGradedAndBlocked("vta_no", "nugent_hfs", abolishing: ["L-NAME", "ODQ", "APV", "BAPTA"])
    }

    /// Fenselau et al. 2011 (protocols/fenselau_hfs.toml: three 100-Hz trains of the primary
    /// afferents); group I mGluR antagonists and L-NAME each abolish it.
    /// Row 5 is not reproduced since the mGluR cascade runs on measured rates: store release follows
    /// Gq-bound PLCβ, which the tetanus now brings to 0.10 µM (0.33 before), so NO stays near 0.05 nM.
    @Test func laminaITetanusPotentiatesReleaseThroughMGluRsAndNO() throws {
        withKnownIssue("row 5: with the measured receptor, Gq and PLCbeta rates (ecb_mglur_cb1.ant) Gq signalling ends ~0.1 s after glutamate leaves, so the tetanus's store Ca2+ and NO stay small (+0.7 %)") {
            try Self.tetanusIsPresynapticGradedAndBlocked("spinal_lamina1", "fenselau_hfs", abolishing: ["LY367385-MPEP", "L-NAME"])
        }
    }

    /// Weak stimuli given as the published induction is (inside the tetanus's current-clamp step
    /// where it has one): a single pulse and 5 pulses at 1 Hz of each afferent leave |ΔIPSC| < 5 %.
    @Test(arguments: [("vta_no", "nugent_hfs"), ("spinal_lamina1", "fenselau_hfs")], ["excitatory_afferent", "inhibitory_afferent"])
    func weakStimuliLeaveTheIPSC(synapse: (name: String, protocolName: String), afferent: String) throws {
        let rig = try Self.synapse(synapse.name)
        let clamp = try Self.published(synapse.protocolName).filter { $0.stimulus == "current_clamp" }
        for count in [1, 5] {
            let pulses = InductionBlock(stimulus: afferent, pattern: .train(rate: 1, count: count, repeats: 1, repeatInterval: 0), start: 1)
            let s = try #require(try Self.run(rig, clamp + [pulses]).summary)
            #expect(abs(s.amplitudeChange) < 5, "\(synapse.name), \(afferent) x \(count): ΔIPSC \(s.amplitudeChange) %")
        }
    }
}
