import Testing
import Foundation
import InductionProtocols
import SynapseModel
import SynapseSimulation
import PathwayTestSupport

/// The neonatal hippocampal synapse of row 15 (`neonatal_ca3`: GABAergic terminal onto an immature,
/// electrically compact pyramidal cell with depolarising GABA, recorded without dialysis), whose
/// NMDA-receptor-dependent LTD of GABA-A responses (McLean et al. 1996) is routed, as a hypothesis,
/// through Ca²⁺-made 2-AG onto the terminal's CB1, with ryanodine-sensitive Ca²⁺ stores in the cell
/// and the terminal (Caillard et al. 2000). The table test checks the published tetanus;
/// these tests check the rig around it: the resting IPSC stays put under every declared drug, and
/// weak afferent stimuli given in the tetanus's current-clamp window leave the IPSC. Runs share one
/// sparse schedule (the model is deterministic): tests every 300 s, a 600-s baseline, up to 30 min
/// after induction, the 20–30-min window analysed.
@Suite struct NeonatalCA3RigTests {
    static let root = TestModels.repositoryRoot

    static var synapse: SynapseDefinition {
        get throws { try SynapseReader.read(path: root.appendingPathComponent("Pathways/synapses/neonatal_ca3.toml").path) }
    }

    static func run(_ induction: [InductionBlock], blockers: [String] = []) throws -> PlasticitySummary {
        let synapse = try Self.synapse
        let schedule = InductionProtocol(name: "short", baselineDuration: 600, testInterval: 300, induction: induction,
                                         followUpDuration: 1800, analysisWindow: 1200...1800)
        var request = SynapseRunRequest(synapse: synapse, model: try synapse.loadModel(), protocolDefinition: schedule,
                                        blockers: blockers)
        request.nativeCode = true
        let result = try SynapseRunner.run(request.readoutsOnly)
        #expect(result.failure == nil, "\(result.failure.map(String.init(describing:)) ?? "")")
        return try #require(result.summary)
    }

    /// The rig: an inward IPSC in pA at −70 mV with at least 20 mV of driving force from a
    /// depolarised E_GABA (above the cell's −69.5 mV rest, as at P2–P4); with no induction the IPSC
    /// stays within 2 %, also under each declared drug (from the baseline after its wash-in).
    @Test(arguments: ["", "CNQX", "APV", "BAPTA", "AM251", "ryanodine", "ruthenium-red"])
    func restStaysWithinTwoPercent(blocker: String) throws {
        let declared = try Self.synapse.blockers.keys.sorted()
        #expect(declared == ["AM251", "APV", "BAPTA", "CNQX", "ruthenium-red", "ryanodine"], "every declared blocker has a rest run: \(declared)")
        let s = try Self.run([], blockers: blocker.isEmpty ? [] : [blocker])
        #expect(abs(s.amplitudeChange) < 2, "rest \(blocker): ΔIPSC \(s.amplitudeChange) %")
        if blocker.isEmpty { try NeonatalRigChecks.expectImmatureIPSC(s) }
    }

    /// Weak stimuli given as the published induction is (inside its current-clamp step, with CNQX
    /// as in the paper): a single pulse and 5 pulses at 1 Hz of each afferent leave |ΔIPSC| < 5 %.
    @Test(arguments: ["excitatory_afferent", "inhibitory_afferent"])
    func weakStimuliLeaveTheIPSC(afferent: String) throws {
        let tetanus = try ProtocolReader.read(path: Self.root.appendingPathComponent("Pathways/protocols/mclean_tetanus.toml").path)
        let clamp = tetanus.induction.filter { $0.stimulus == "current_clamp" }
        #expect(clamp.count == 1, "the tetanus has one current-clamp step")
        for count in [1, 5] {
            let pulses = InductionBlock(stimulus: afferent, pattern: .train(rate: 1, count: count, repeats: 1, repeatInterval: 0), start: 1)
            let s = try Self.run(clamp + [pulses], blockers: ["CNQX"])
            #expect(abs(s.amplitudeChange) < 5, "\(afferent) x \(count): ΔIPSC \(s.amplitudeChange) %")
        }
    }
}
