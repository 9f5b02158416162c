import Testing
import Foundation
import InductionProtocols
import SynapseModel
import SynapseSimulation
import PathwayTestSupport

/// The neonatal hippocampal synapse whose iLTP is retrograde BDNF onto presynaptic TrkB, on the
/// biophysical layer (`hippocampal_bdnf`: GABAergic terminal onto an immature pyramidal cell in
/// perforated patch). BDNF is released by the cell's own Ca²⁺ (row 3: GDP pairing of Sivakumaran
/// et al. 2009) or by its GABA-B receptors under trains of the GABAergic afferents (row 1:
/// Fiorentino et al. 2009; Gubellini et al. 2005), and TrkB scales the terminal's fusion rate, so
/// the change must be presynaptic, need its route, and stay away from rest and weak stimuli. Runs
/// share one sparse schedule (the model is deterministic, so few tests give exact means): tests
/// every 300 s, a 600-s baseline, up to 30 min after induction, the 20–30-min window analysed;
/// one run per protocol and drug, in parallel.
@Suite struct HippocampalBDNFRigTests {
    static let root = TestModels.repositoryRoot

    static var synapse: SynapseDefinition {
        get throws { try SynapseReader.read(path: root.appendingPathComponent("Pathways/synapses/hippocampal_bdnf.toml").path) }
    }

    /// The published protocol's induction blocks on the short test schedule.
    static func published(_ name: String) throws -> [InductionBlock] {
        try ProtocolReader.read(path: root.appendingPathComponent("Pathways/protocols/\(name).toml").path).induction
    }

    static func run(_ induction: [InductionBlock], blockers: [String] = []) throws -> PlasticitySummary {
        let synapse = try Self.synapse
        let schedule = InductionProtocol(name: "short", baselineDuration: 600, testInterval: 300, induction: induction,
                                         followUpDuration: 1800, analysisWindow: 1200...1800)
        let result = try SynapseRunner.run(SynapseRunRequest(synapse: synapse, model: try synapse.loadModel(),
                                                             protocolDefinition: schedule, blockers: blockers).readoutsOnly)
        #expect(result.failure == nil, "\(result.failure.map(String.init(describing:)) ?? "")")
        return try #require(result.summary)
    }

    /// The rig: IPSC in pA with at least 20 mV of driving force from a depolarised (neonatal)
    /// E_GABA, which is reported; with no induction the IPSC stays within 2 %, also under each
    /// declared blocker (from the baseline after its wash-in).
    @Test(arguments: ["", "CGP55845", "K252a", "BAPTA"])
    func restStaysWithinTwoPercent(blocker: String) throws {
        let declared = try Self.synapse.blockers.keys.sorted()
        #expect(declared == ["BAPTA", "CGP55845", "K252a"], "every declared blocker has a rest run: \(declared)")
        let s = try Self.run([], blockers: blocker.isEmpty ? [] : [blocker])
        #expect(abs(s.amplitudeChange) < 2, "rest \(blocker): ΔIPSC \(s.amplitudeChange) %")
        // Depolarising GABA: E_GABA above the cell's resting potential (−71.8 mV), as in neonatal cells.
        if blocker.isEmpty { try NeonatalRigChecks.expectImmatureIPSC(s) }
    }

    /// Row 1 (GABA-B → BDNF): 100-Hz trains of the GABAergic afferents (hfs_inhibitory), the cell
    /// held at −70 mV; postsynaptic BAPTA spares it (the route needs no Ca²⁺ rise). Row 3
    /// (postsynaptic Ca²⁺ → BDNF): GDP pairing (sivakumaran_pairing); CGP55845 spares it (single
    /// afferent spikes activate too little GABA-B). Each potentiates by at least 15 % through more
    /// release (Pr up, PPR down, receptors and E_GABA unchanged), and the spared drug keeps at
    /// least two thirds of it.
    @Test(arguments: [("hfs_inhibitory", "BAPTA"), ("sivakumaran_pairing", "CGP55845")])
    func publishedInductionPotentiatesRelease(protocolName: String, spared: String) throws {
        let blocks = try Self.published(protocolName)
        let s = try Self.run(blocks)
        #expect(s.amplitudeChange >= 15, "\(protocolName): ΔIPSC \(s.amplitudeChange) %")
        #expect(s.releaseProbabilityChange >= 5, "\(protocolName): ΔPr \(s.releaseProbabilityChange) %")
        #expect(s.pairedPulseRatioChange <= -1, "\(protocolName): ΔPPR \(s.pairedPulseRatioChange) %")
        #expect(abs(s.receptorChange) < 1e-9, "\(protocolName): ΔN \(s.receptorChange) %")
        #expect(s.locus == .presynaptic, "\(protocolName): \(s.locus)")
        #expect(abs(try #require(s.eGABAShift)) < 1, "\(protocolName): ΔE_GABA \(s.eGABAShift ?? .nan) mV")
        let kept = try Self.run(blocks, blockers: [spared]).amplitudeChange
        #expect(kept >= 2.0 / 3.0 * s.amplitudeChange, "\(protocolName) with \(spared): ΔIPSC \(kept) %, control \(s.amplitudeChange) %")
    }

    /// The abolishing drugs of each row: CGP55845 and K252a for the trains (row 1), K252a and
    /// postsynaptic BAPTA for the pairing (row 3), each leaving |ΔIPSC| < 5 %. CGP55845 and K252a
    /// are graded: 200 nM K252a occupies 98.5 % of TrkB's kinase (IC50 3 nM), which slows the
    /// receptor's autophosphorylation and its phosphorylation of docked substrates alike.
    @Test(arguments: [("hfs_inhibitory", "CGP55845"), ("hfs_inhibitory", "K252a"),
                      ("sivakumaran_pairing", "K252a"), ("sivakumaran_pairing", "BAPTA")])
    func abolishingDrugsLeaveLessThanFivePercent(protocolName: String, blocker: String) throws {
        let s = try Self.run(try Self.published(protocolName), blockers: [blocker])
        #expect(abs(s.amplitudeChange) < 5, "\(protocolName) with \(blocker): ΔIPSC \(s.amplitudeChange) %")
    }

    /// Weak stimuli: a single pulse and 5 pulses at 1 Hz of each afferent leave |ΔIPSC| < 5 %.
    @Test(arguments: ["excitatory_afferent", "inhibitory_afferent"], [1, 5])
    func weakStimuliLeaveTheIPSC(afferent: String, count: Int) throws {
        let pulses = InductionBlock(stimulus: afferent, pattern: .train(rate: 1, count: count, repeats: 1, repeatInterval: 0))
        let s = try Self.run([pulses])
        #expect(abs(s.amplitudeChange) < 5, "\(afferent) x \(count): ΔIPSC \(s.amplitudeChange) %")
    }
}
