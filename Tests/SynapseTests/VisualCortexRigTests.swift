import Testing
import Foundation
import InductionProtocols
import SynapseModel
import SynapseSimulation
import PathwayTestSupport

/// Row 10 on the rig (Pathways/synapses/visual_cortex_l4): a fast-spiking basket-cell terminal onto
/// the regular-spiking cell of Pospischil et al. 2008 standing for a layer-4 star pyramid of
/// developing rat visual cortex, in whole-cell voltage clamp at −85 mV with a 20 mM Cl⁻ pipette.
/// Maffei et al. 2006 (Nature 443:81; press summary read) report a long-term potentiation of
/// inhibition at this connection, and the review's row 10 induces it by presynaptic firing paired
/// with mild postsynaptic depolarisation (`maffei_pairing`: 600 FS spikes at 10 Hz during a
/// voltage-clamp step to −50 mV; schedule and level assumed). The rig's route, a hypothesis: CaMKII
/// at the L-type channels reads their nanodomain through calmodulin, a CaMKII/PP1 switch there
/// holds it, and the autonomous kinase inserts GABA-A receptors. Units as in the files: s, mV, pA, µM.
///
/// Test stimuli are thinned to one pair every 300 s (CerebellarRigTests.thinned); the pairing runs
/// once, sampled, and the table test (PlasticityTableTests) runs it in full.
@Suite struct VisualCortexRigTests {
    static let synapseName = "visual_cortex_l4"

    /// Rest, with no drug and under each declared blocker (from the baseline after the drug has
    /// equilibrated): |ΔIPSC| < 2 % over the 40-minute protocol; the IPSC is in pA, inward at
    /// −85 mV with ≥ 20 mV of driving force from E_GABA, which does not move; Pr and PPR from the
    /// terminal.
    @Test(arguments: ["", "nifedipine", "KN-62", "BAPTA"])
    func restIsStable(blocker: String) throws {
        try CerebellarRigTests.expectStableRest(Self.synapseName, blocker: blocker, amplitude: -400 ... -20)
    }

    /// Weak stimuli of the FS cell at the holding potential, with no depolarisation: a single spike
    /// and 5 spikes at 1 Hz leave |ΔIPSC| < 5 %.
    @Test(arguments: [1, 5])
    func weakPresynapticFiringLeavesTheIPSC(spikes: Int) throws {
        let block = InductionBlock(stimulus: "inhibitory_afferent", pattern: .train(rate: 1, count: spikes, repeats: 1, repeatInterval: 0))
        let s = try #require(try CerebellarRigTests.run(Self.synapseName, try CerebellarRigTests.restTiming([block])).summary)
        #expect(abs(s.amplitudeChange) < 5, "\(spikes) spike(s): ΔIPSC \(s.amplitudeChange) %")
    }

    /// Row 10 (the pairing as assumed): the step holds the cell near −50 mV (−50.7 mV through the
    /// series resistance), below its spike threshold (−43.4 mV), where the L-type channels of the
    /// Reuveni et al. 1993 model are barely open (m² ≈ 1·10⁻⁴); Ca²⁺/CaM-bound CaMKII in their
    /// nanodomain rises only from 2.5·10⁻⁵ to 2.8·10⁻⁵ µM of 10, the CaMKII/PP1 switch stays DOWN
    /// (1.25·10⁻⁶ of its subunits phosphorylated, its saddle 0.021 at 50 nM) and the IPSC does not
    /// move (full run −0.0 %). The same pairing at −45 or −40 mV (diagnostics, not shipped) loads
    /// calmodulin, flips the switch UP and gives +70 or +71 % (−47.5 mV: +6.8 %), so the
    /// depolarisation level of the paper, not read, decides the row. The potentiation the row
    /// reports (≥ 15 %) is a known issue.
    @Test func pairingAtMinusFiftyMillivoltsLeavesTheSwitchDown() throws {
        let result = try CorticalRigTests.sampledRun(Self.synapseName, "maffei_pairing")
        let s = try #require(result.summary)
        #expect(abs(s.amplitudeChange) < 2, "ΔIPSC \(s.amplitudeChange) %")
        // The step arrived: the clamped cell sat near its command, so the missing potentiation is a
        // depolarisation too mild for the route, not a step that never reached the cell.
        let v = try #require(result.trajectory.series("cell_V"))
        #expect(v.max()! > -52 && v.max()! < -48, "V_m at most \(v.max()!) mV")
        let camkii = try #require(result.trajectory.series("camkL_dec_K_CaM"))
        #expect(camkii.max()! < 1e-3, "camkL_dec_K_CaM from \(camkii[0]) to at most \(camkii.max()!) uM")
        let f = try CorticalRigTests.switchPhosphorylation(result, "camkL_sw_sw_")
        #expect(f.max()! < 1e-5, "switch T286 fraction at most \(f.max()!)")
        withKnownIssue("the pairing at -50 mV leaves CaMKII near rest (visual_cortex_l4 not reproduced on the rig)") {
            #expect(s.amplitudeChange >= 15, "ΔIPSC \(s.amplitudeChange) %")
        }
    }
}
