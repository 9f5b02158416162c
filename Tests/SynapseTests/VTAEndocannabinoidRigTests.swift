import Testing
import Foundation
import InductionProtocols
import SynapseModel
import SynapseSimulation
import PathwayTestSupport

/// The VTA eCB synapse on the rig (Pathways/synapses/vta_ecb): a GABAergic terminal with CB1 and D2
/// receptors onto the VTA dopamine neuron in whole-cell voltage clamp at −70 mV. Pan, Hillard & Liu
/// 2008 (row 19) report that D2 receptors facilitate eCB-mediated iLTD through the cAMP/PKA pathway
/// that is also CB1's effector; here the afferent trains make 2-AG through the neuron's mGluR1/5 and
/// release dopamine onto the terminal's D2 receptors, and the Gi/o of both receptors keeps the
/// terminal's PKA low while its calcineurin is active (cells/cb1_terminal.ant, a hypothesis). Units
/// as in the files: s, mV, pA.
///
/// The runs use CA1RigTests' compressed schedule (1 min of baseline, 0.1-Hz tests, the change read
/// 5–10 min after induction): the test spikes are also the presynaptic activity the depression needs.
@Suite struct VTAEndocannabinoidRigTests {
    static func synapse() throws -> SynapseDefinition {
        try SynapseReader.read(path: TestModels.repositoryRoot.appendingPathComponent("Pathways/synapses/vta_ecb.toml").path)
    }

    static func change(_ induction: [InductionBlock], blockers: [String] = []) throws -> (SynapseRunResult, PlasticitySummary) {
        let s = try synapse()
        let result = try SynapseRunner.run(SynapseRunRequest(synapse: s, model: try s.loadModel(),
                                                             protocolDefinition: CA1RigTests.compressed(induction), blockers: blockers).readoutsOnly)
        #expect(result.failure == nil, "\(result.failure.map(String.init(describing:)) ?? "")")
        return (result, try #require(result.summary))
    }

    /// The published induction (assumed: chevaleyre_hfs, two 100-Hz trains of the afferents).
    static func hfs() throws -> [InductionBlock] {
        try ProtocolReader.read(path: TestModels.repositoryRoot.appendingPathComponent("Pathways/protocols/chevaleyre_hfs.toml").path).induction
    }

    /// Rest: an inward IPSC in pA with ≥ 20 mV of driving force, and no drift (|ΔIPSC| < 2 %)
    /// without induction, with no drug and under each declared drug after its wash-in.
    @Test(arguments: ["", "AM251", "sulpiride", "LY367385-MPEP", "quinpirole"])
    func restIsStable(drug: String) throws {
        let (result, s) = try Self.change([], blockers: drug.isEmpty ? [] : [drug])
        #expect(s.amplitudeUnit == "pA")
        #expect(abs(s.amplitudeChange) < 2, "rest \(drug): ΔIPSC \(s.amplitudeChange) %")
        let first = try #require(result.readouts.first?.recorded)
        #expect(first.amplitude < -50 && first.amplitude > -1000, "IPSC \(first.amplitude) pA")
        #expect(first.eGABA - first.membranePotential >= 20, "driving force \(first.eGABA - first.membranePotential) mV")
        #expect(first.releaseProbability > 0.2 && first.releaseProbability < 0.9, "Pr \(first.releaseProbability)")
    }

    /// A single pulse and 5 pulses at 1 Hz of each afferent leave |ΔIPSC| < 5 %.
    @Test(arguments: ["excitatory_afferent", "inhibitory_afferent"], [1, 5])
    func weakStimuliLeaveTheIPSC(afferent: String, pulses: Int) throws {
        let block = InductionBlock(stimulus: afferent, pattern: .train(rate: 1, count: pulses, repeats: 1, repeatInterval: 0))
        let (_, s) = try Self.change([block])
        #expect(abs(s.amplitudeChange) < 5, "\(afferent) x \(pulses): ΔIPSC \(s.amplitudeChange) %")
    }

    /// Row 19's route: the two 100-Hz trains depress release by ≥ 15 % at 5–10 min (Pr down, PPR up,
    /// the GABA-A conductance unchanged), and blocking CB1 (AM251) or group I mGluRs (LY367385-MPEP)
    /// abolishes it (< 5 %). What this rig does not show (Pathways/README.md): that D2 activation is
    /// needed, or turns a subthreshold induction into iLTD.
    @Test func trainsDepressReleaseThroughMGluRsAndCB1() throws {
        let trains = try Self.hfs()
        let (_, s) = try Self.change(trains)
        withKnownIssue("row 19: with the measured mGluR, Gq and PLCbeta rates the trains' Gi/o stays below K_gi (an assumption): -11 %") {
            #expect(s.amplitudeChange <= -15, "ΔIPSC \(s.amplitudeChange) %")
        }
        #expect(s.releaseProbabilityChange <= -5, "ΔPr \(s.releaseProbabilityChange) %")
        #expect(s.pairedPulseRatioChange >= 1, "ΔPPR \(s.pairedPulseRatioChange) %")
        #expect(abs(s.receptorChange) < 1e-9, "ΔN \(s.receptorChange) %")
        #expect(s.locus == .presynaptic, "\(s.locus)")
        for drug in ["AM251", "LY367385-MPEP"] {
            let (_, b) = try Self.change(trains, blockers: [drug])
            #expect(abs(b.amplitudeChange) < 5, "with \(drug): ΔIPSC \(b.amplitudeChange) %")
        }
    }

    /// D2 facilitation near threshold (Pan et al. 2008's title): 20 pulses at 100 Hz depress release
    /// more with bath quinpirole than without, by at least 3 points of ΔIPSC (full protocol: −15.7 %
    /// and −22.8 %), through the terminal's cAMP/PKA gate, not through CB1.
    @Test func quinpiroleDeepensAWeakInduction() throws {
        let weak = InductionBlock(stimulus: "excitatory_afferent", pattern: .train(rate: 100, count: 20, repeats: 1, repeatInterval: 0))
        let (_, alone) = try Self.change([weak])
        let (_, withQuinpirole) = try Self.change([weak], blockers: ["quinpirole"])
        withKnownIssue("with the measured mGluR, Gq and PLCbeta rates 20 pulses make too little 2-AG for the D2 gate to matter") {
            #expect(withQuinpirole.amplitudeChange <= alone.amplitudeChange - 3,
                    "20 pulses: \(alone.amplitudeChange) %, with quinpirole \(withQuinpirole.amplitudeChange) %")
        }
    }
}
