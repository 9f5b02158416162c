import Testing
import Foundation
import InductionProtocols
import SynapseModel
import SynapseSimulation
import PathwayTestSupport

/// The neocortical layer-5 synapses on the rig. neocortical_l5 (Pathways/synapses/neocortical_l5): a basket-cell
/// terminal onto the Pospischil et al. 2008 IB pyramidal cell with an R-type current, in whole-cell
/// voltage clamp, whose somatic inhibition Kurotani et al. 2008 (Neuron 57:905) find depressed by
/// firing from a depolarised membrane (L-type Ca²⁺) and potentiated by firing on slow oscillations
/// (R-type Ca²⁺). Each Ca²⁺ channel type fills its own microdomain; the L-type domain drives
/// calcineurin (receptor dispersal and gephyrin loss), the R-type domain CaMKII (insertion).
/// auditory_cortex_l5 puts the same cell in the auditory cortex, where pairing stimulation of its
/// excitatory and inhibitory inputs with postsynaptic spikes (D'amour & Froemke 2015, Neuron 86:514)
/// should potentiate the IPSC through NMDA-receptor and L-type Ca²⁺ (row 13); amygdala_la puts the
/// regular-spiking cell in the lateral amygdala, where tetanization of the thalamic input should
/// potentiate it NMDA-dependently (Bauer & LeDoux 2004, row 12). In both, CaMKII reads the cell's
/// shell Ca²⁺. Units as in the files: s, mV, pA.
///
/// The terminal's test spikes and the cell's induction spikes carry the cost, so the runs thin the
/// test stimuli to one pair every 300 s (2 in the baseline, 2 in the 20–30-min window) and keep
/// every induction spike; each run is one full-length protocol.
@Suite struct CorticalRigTests {
    static let synapseName = "neocortical_l5"

    static func run(_ proto: InductionProtocol, blockers: [String] = []) throws -> SynapseRunResult {
        try CerebellarRigTests.run(synapseName, proto, blockers: blockers)
    }

    static func change(_ protocolName: String, blockers: [String] = []) throws -> PlasticitySummary {
        try #require(try run(CerebellarRigTests.thinned(try CerebellarRigTests.protocolFile(protocolName)), blockers: blockers).summary)
    }

    // MARK: - The rig

    /// Rest, with no drug and under each declared blocker (from the baseline after the 30-min
    /// wash-in): |ΔIPSC| < 2 % over the 40-minute protocol; the IPSC is in pA, inward at −85 mV
    /// with ≥ 20 mV of driving force from E_GABA, which does not move; Pr and PPR from the terminal.
    @Test(arguments: ["", "nifedipine", "SNX-482"])
    func restIsStable(blocker: String) throws {
        try CerebellarRigTests.expectStableRest(Self.synapseName, blocker: blocker, amplitude: -400 ... -50)
    }

    /// Weak stimuli of the inhibitory afferent (the synapse's only afferent; Kurotani et al.'s
    /// inductions are postsynaptic): a single pulse and 5 pulses at 1 Hz leave |ΔIPSC| < 5 %.
    @Test(arguments: [1, 5])
    func weakInhibitoryStimuliLeaveTheIPSC(pulses: Int) throws {
        let block = InductionBlock(stimulus: "inhibitory_afferent", pattern: .train(rate: 1, count: pulses, repeats: 1, repeatInterval: 0))
        let s = try #require(try Self.run(try CerebellarRigTests.restTiming([block])).summary)
        #expect(abs(s.amplitudeChange) < 5, "\(pulses) pulse(s): ΔIPSC \(s.amplitudeChange) %")
    }

    // MARK: - Row 11: Kurotani et al. 2008

    /// Firing from a steady depolarisation (the arousal state): the L-type domain drives calcineurin,
    /// which disperses receptors and gephyrin slots, so the IPSC is depressed postsynaptically
    /// (−10.9 % in the full run: N falls with it, Pr and the PPR stay), and nifedipine abolishes the
    /// depression (+2.6 %). Kurotani et al. report this sign; its size is not asserted (the paper's
    /// was not read, and the table's 15 % applies to the row's potentiation).
    @Test func depolarisedFiringDepressesThroughLTypeCalcium() throws {
        let s = try Self.change("kurotani_depolarised_firing")
        #expect(s.amplitudeChange <= -5, "ΔIPSC \(s.amplitudeChange) %")
        #expect(s.receptorChange <= -5 && abs(s.pairedPulseRatioChange) < 0.5 && abs(s.releaseProbabilityChange) < 0.5,
                "ΔN \(s.receptorChange) %, ΔPPR \(s.pairedPulseRatioChange) %, ΔPr \(s.releaseProbabilityChange) %")
        #expect(s.locus == .postsynaptic, "inferred \(s.locus)")
        let blocked = try Self.change("kurotani_depolarised_firing", blockers: ["nifedipine"])
        #expect(abs(blocked.amplitudeChange) < 5, "with nifedipine ΔIPSC \(blocked.amplitudeChange) %")
    }

    /// Slow oscillations with the same spikes in the up phases (the slow-wave-sleep state): the
    /// down phases let the R-type channels recover, and their domain's CaMKII works against the
    /// depression, so blocking them (SNX-482) deepens it. The potentiation Kurotani et al. report
    /// (≥ 15 %, row 11) does not happen: calcineurin, saturated by the L-type domain, wins in both
    /// states (−10.0 % in the full run, −13.0 % with SNX-482; Pathways/README.md).
    @Test func slowOscillationEngagesTheRTypeArmButDoesNotPotentiate() throws {
        let s = try Self.change("kurotani_slow_oscillation")
        let blocked = try Self.change("kurotani_slow_oscillation", blockers: ["SNX-482"])
        // Full runs: −10.0 % against −13.0 % with SNX-482; half that gap allows for the thinned tests.
        #expect(s.amplitudeChange > blocked.amplitudeChange + 1.5, "ΔIPSC \(s.amplitudeChange) % vs \(blocked.amplitudeChange) % with SNX-482")
        withKnownIssue("the slow oscillation depresses instead of potentiating (row 11 not reproduced on the rig)") {
            #expect(s.amplitudeChange >= 15, "ΔIPSC \(s.amplitudeChange) %")
            #expect(abs(blocked.amplitudeChange) < 5, "with SNX-482 ΔIPSC \(blocked.amplitudeChange) %")
        }
    }

    // MARK: - Rows 13 and 12: pairing in the auditory cortex, tetanization in the lateral amygdala

    /// Rest on the auditory-cortex and lateral-amygdala synapses, with no drug and under each
    /// declared blocker (written "synapse" or "synapse+blocker").
    @Test(arguments: ["auditory_cortex_l5", "auditory_cortex_l5+APV", "auditory_cortex_l5+nifedipine", "auditory_cortex_l5+KN-62",
                      "amygdala_la", "amygdala_la+APV", "amygdala_la+KN-62"])
    func pairedSynapseRestIsStable(_ run: String) throws {
        let parts = run.split(separator: "+").map(String.init)
        try CerebellarRigTests.expectStableRest(parts[0], blocker: parts.count > 1 ? parts[1] : "", amplitude: -400 ... -20)
    }

    /// Weak stimuli of each afferent in voltage clamp at −85 mV: a single pulse and 5 pulses at 1 Hz
    /// leave |ΔIPSC| < 5 %.
    @Test(arguments: ["auditory_cortex_l5", "amygdala_la"], ["excitatory_afferent", "inhibitory_afferent"])
    func weakAfferentStimuliLeaveTheIPSC(synapse: String, stimulus: String) throws {
        for pulses in [1, 5] {
            let block = InductionBlock(stimulus: stimulus, pattern: .train(rate: 1, count: pulses, repeats: 1, repeatInterval: 0))
            let s = try #require(try CerebellarRigTests.run(synapse, try CerebellarRigTests.restTiming([block])).summary)
            #expect(abs(s.amplitudeChange) < 5, "\(synapse), \(pulses) \(stimulus) pulse(s): ΔIPSC \(s.amplitudeChange) %")
        }
    }

    /// Row 13 (D'amour & Froemke 2015 pairing) and row 12 (Bauer & LeDoux 2004 tetanus): the
    /// induction's spikes and NMDA-receptor Ca²⁺ lift the shell's Ca²⁺ to ~0.39 µM (pairing) or
    /// ~0.32 µM (tetanus) for tens of ms, below CaMKII's half-activation (0.7 µM, Hill 4), so CaMKII
    /// stays near rest and the IPSC does not move (full runs: +0.2 % and +0.0 %). The potentiation
    /// both rows report (≥ 15 %) is a known issue.
    @Test(arguments: [("auditory_cortex_l5", "froemke_pairing"), ("amygdala_la", "bauer_tetanus")])
    func inductionDoesNotPotentiate(synapse: String, protocolName: String) throws {
        let proto = CerebellarRigTests.thinned(try CerebellarRigTests.protocolFile(protocolName))
        let result = try CerebellarRigTests.run(synapse, proto)
        let s = try #require(result.summary)
        #expect(abs(s.amplitudeChange) < 2, "ΔIPSC \(s.amplitudeChange) %")
        // The induction reached CaMKII (autophosphorylated CaMKII rises over 50-fold from rest), so
        // the missing potentiation is not an induction that failed to fire the cell.
        let camkii = try #require(result.trajectory.series("GA_CaMKII_P"))
        #expect(camkii.max()! > 10*camkii[0], "CaMKII_P from \(camkii[0]) to at most \(camkii.max()!) uM")
        withKnownIssue("the induction leaves CaMKII near rest (\(synapse) not reproduced on the rig)") {
            #expect(s.amplitudeChange >= 15, "ΔIPSC \(s.amplitudeChange) %")
        }
    }
}
