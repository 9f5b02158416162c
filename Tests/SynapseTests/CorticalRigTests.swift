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
/// (R-type Ca²⁺). Calmodulin (Pathways/calmodulin.ant) decodes the Ca²⁺ nanodomain of each channel
/// type (ChannelNanodomain, cells/components.ant): calcineurin at the L-type channels (receptor
/// dispersal and gephyrin loss), CaMKII at the R-type channels (insertion).
/// auditory_cortex_l5 puts the same cell in the auditory cortex, where pairing stimulation of its
/// excitatory and inhibitory inputs with postsynaptic spikes (D'amour & Froemke 2015, Neuron 86:514)
/// should potentiate the IPSC through NMDA-receptor and L-type Ca²⁺ (row 13); amygdala_la puts the
/// regular-spiking cell in the lateral amygdala, where tetanization of the thalamic input should
/// potentiate it NMDA-dependently (Bauer & LeDoux 2004, row 12). In both, CaMKII bound at the NMDA
/// receptors reads their nanodomain through calmodulin. Units as in the files: s, mV, pA, µM.
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

    /// A thinned run of `protocolName` whose time course is written every 0.1 s (by default every
    /// tenth of the 300-s test interval), so that the decoded enzymes are seen during the induction.
    static func sampledRun(_ name: String, _ protocolName: String) throws -> SynapseRunResult {
        let synapse = try CerebellarRigTests.synapse(name)
        let proto = CerebellarRigTests.thinned(try CerebellarRigTests.protocolFile(protocolName))
        let result = try SynapseRunner.run(SynapseRunRequest(synapse: synapse, model: try synapse.loadModel(),
                                                             protocolDefinition: proto, outputStep: 0.1))
        #expect(result.failure == nil, "\(name): \(result.failure.map(String.init(describing:)) ?? "")")
        return result
    }

    /// The T286-phosphorylated fraction of a CaMKIIPP1Switch's subunits over a run (holoenzymes H_j
    /// with j of 10 subunits phosphorylated, under the species prefix `prefix`).
    static func switchPhosphorylation(_ result: SynapseRunResult, _ prefix: String) throws -> [Double] {
        let h = try (0...10).map { try #require(result.trajectory.series("\(prefix)H\($0)"), "\(prefix)H\($0)") }
        let total = (0..<h[0].count).map { i in h.reduce(0) { $0 + $1[i] } }
        return (0..<h[0].count).map { i in (1...10).reduce(0) { $0 + Double($1)*h[$1][i] }/(10*total[i]) }
    }

    /// Largest value over a run of the sum of `names` (µM).
    static func peak(_ result: SynapseRunResult, _ names: [String]) throws -> Double {
        let series = try names.map { try #require(result.trajectory.series($0), "\($0)") }
        return (0..<series[0].count).map { i in series.reduce(0) { $0 + $1[i] } }.max()!
    }

    /// Both inductions through the decoded Ca²⁺. Calcineurin at the L-type channels is reached but
    /// no longer saturated (full runs: 0.27 µM of 1 µM at most on the oscillation, 0.10 µM on steady
    /// depolarisation), and it depresses the IPSC postsynaptically (N falls, Pr and the PPR stay);
    /// nifedipine removes the L-type domain and the change with it. CaMKII at the R-type channels
    /// stays below 1 % active: a spike holds their domain above 1 µM for ~0.6 ms, too briefly to load calmodulin's slow
    /// C lobe. Full runs: oscillation −3.6 %, steady depolarisation −0.7 %, with nifedipine 0.0 %.
    /// Kurotani et al.'s potentiation on the oscillation (≥ 15 %, row 11) and their depression on
    /// steady depolarisation are known issues: the oscillation's down phases let the L-type channels
    /// recover from inactivation, so it drives calcineurin more than steady depolarisation does,
    /// while the R-type channels (neocortical inactivation, V½ −65 mV) inactivate early in each up
    /// phase and let in as much Ca²⁺ per spike as under steady depolarisation (Pathways/README.md).
    @Test func inductionsDriveCalcineurinButNotCaMKII() throws {
        let oscillation = try Self.sampledRun(Self.synapseName, "kurotani_slow_oscillation")
        let s = try #require(oscillation.summary)
        let calcineurin = try Self.peak(oscillation, ["decL_CaN_CaM"])
        let camkii = try Self.peak(oscillation, ["decR_K_CaM", "decR_P_CaM", "decR_P"])
        #expect(calcineurin > 0.1 && calcineurin < 0.5, "calcineurin at most \(calcineurin) uM of 1")
        #expect(camkii < 0.1, "CaMKII at most \(camkii) uM of 10")
        #expect(s.amplitudeChange <= -2 && s.receptorChange <= -2, "ΔIPSC \(s.amplitudeChange) %, ΔN \(s.receptorChange) %")
        #expect(abs(s.pairedPulseRatioChange) < 0.5 && abs(s.releaseProbabilityChange) < 0.5,
                "ΔPPR \(s.pairedPulseRatioChange) %, ΔPr \(s.releaseProbabilityChange) %")
        let depolarised = try Self.change("kurotani_depolarised_firing")
        let blocked = try Self.change("kurotani_depolarised_firing", blockers: ["nifedipine"])
        #expect(abs(blocked.amplitudeChange) < 0.5, "with nifedipine ΔIPSC \(blocked.amplitudeChange) %")
        withKnownIssue("row 11 not reproduced on the rig: the oscillation depresses, and more than steady depolarisation") {
            #expect(s.amplitudeChange >= 15, "oscillation ΔIPSC \(s.amplitudeChange) %")
            #expect(depolarised.amplitudeChange <= -5, "steady depolarisation ΔIPSC \(depolarised.amplitudeChange) %")
        }
    }

    // MARK: - Rows 13 and 12: pairing in the auditory cortex, tetanization in the lateral amygdala

    /// Rest on the auditory-cortex, lateral-amygdala and prefrontal (row 7, PrefrontalRigTests)
    /// synapses, with no drug and under each declared blocker (written "synapse" or "synapse+blocker").
    @Test(arguments: ["auditory_cortex_l5", "auditory_cortex_l5+APV", "auditory_cortex_l5+nifedipine", "auditory_cortex_l5+KN-62",
                      "amygdala_la", "amygdala_la+APV", "amygdala_la+KN-62", "prefrontal_sst", "prefrontal_sst+APV", "prefrontal_sst+KN-62",
                      "prefrontal_sst+CaMKIIalpha-loss"])
    func pairedSynapseRestIsStable(_ run: String) throws {
        let parts = run.split(separator: "+").map(String.init)
        try CerebellarRigTests.expectStableRest(parts[0], blocker: parts.count > 1 ? parts[1] : "", amplitude: -400 ... -20)
    }

    /// Weak stimuli of each afferent in voltage clamp at −85 mV (written "synapse stimulus";
    /// prefrontal_sst's only afferent is the inhibitory one, its induction a bath): a single pulse
    /// and 5 pulses at 1 Hz leave |ΔIPSC| < 5 %.
    @Test(arguments: ["auditory_cortex_l5 excitatory_afferent", "auditory_cortex_l5 inhibitory_afferent",
                      "amygdala_la excitatory_afferent", "amygdala_la inhibitory_afferent", "prefrontal_sst inhibitory_afferent"])
    func weakAfferentStimuliLeaveTheIPSC(_ run: String) throws {
        let parts = run.split(separator: " ").map(String.init)
        let (synapse, stimulus) = (parts[0], parts[1])
        for pulses in [1, 5] {
            let block = InductionBlock(stimulus: stimulus, pattern: .train(rate: 1, count: pulses, repeats: 1, repeatInterval: 0))
            let s = try #require(try CerebellarRigTests.run(synapse, try CerebellarRigTests.restTiming([block])).summary)
            #expect(abs(s.amplitudeChange) < 5, "\(synapse), \(pulses) \(stimulus) pulse(s): ΔIPSC \(s.amplitudeChange) %")
        }
    }

    /// A thinned, sampled run of `protocolName` on a synapse whose CaMKII sits at the NMDA receptors
    /// (module `camkN`: decoder `camkN.dec`, switch `camkN.sw`): the kinase is reached (more than 1 µM of 10 Ca²⁺/CaM-bound at
    /// some time), the CaMKII/PP1 switch goes from DOWN (under 1e-5 of its subunits T286-phosphorylated)
    /// past its saddle at rest (0.021 at 50 nM) and holds what the induction left to 0.1 % until the
    /// end of the run, and the IPSC and N rise by `atLeast` % with PPR and Pr unchanged (postsynaptic).
    static func potentiationThroughTheNMDAReceptorDomain(_ name: String, _ protocolName: String,
                                                         atLeast minimum: Double) throws -> PlasticitySummary {
        let result = try sampledRun(name, protocolName)
        let s = try #require(result.summary)
        let camkii = try peak(result, ["camkN_dec_K_CaM"])
        #expect(camkii > 1, "\(name): CaMKII at most \(camkii) uM of 10")
        let f = try switchPhosphorylation(result, "camkN_sw_sw_")
        let held = f.max()!
        #expect(f[0] < 1e-5 && held > 0.05 && f.last! > 0.999*held,
                "\(name): switch T286 fraction \(f[0]) at rest, \(held) at most, \(f.last!) at the end")
        #expect(s.amplitudeChange >= minimum && s.receptorChange >= minimum, "\(name): ΔIPSC \(s.amplitudeChange) %, ΔN \(s.receptorChange) %")
        #expect(abs(s.pairedPulseRatioChange) < 0.5 && abs(s.releaseProbabilityChange) < 0.5,
                "\(name): ΔPPR \(s.pairedPulseRatioChange) %, ΔPr \(s.releaseProbabilityChange) %")
        return s
    }

    /// Row 12 (Bauer & LeDoux 2004 tetanus): four 1-s, 100-Hz trains keep the NMDA receptors open
    /// and unblocked for seconds, so calmodulin in their nanodomain loads (full run: 2.8 µM of 10
    /// Ca²⁺/CaM-bound at most) and the CaMKII/PP1 switch there is left with 13 % of its subunits
    /// T286-phosphorylated, past its saddle, which it holds; the autonomous kinase inserts receptors
    /// and raises the IPSC postsynaptically (full run +19.4 %, N +19.6 %, PPR and Pr unchanged; APV
    /// +0.0 %, KN-62 +0.9 %; the table test runs APV).
    @Test func tetanusPotentiatesThroughTheNMDAReceptorDomain() throws {
        _ = try Self.potentiationThroughTheNMDAReceptorDomain("amygdala_la", "bauer_tetanus", atLeast: 15)
    }

    /// Row 13 (D'amour & Froemke 2015 pairing, assumed schedule): one spike per pair opens the
    /// NMDA receptors' and the L-type channels' nanodomains for a few ms each, so calmodulin there
    /// hardly loads and both CaMKII populations stay near rest (full run: 0.002 µM of 10 at the NMDA
    /// receptors, 0.015 µM at the L-type channels) and the IPSC hardly moves (full run +0.1 %). The
    /// potentiation the row reports (≥ 15 %) is a known issue.
    @Test func pairingDoesNotPotentiate() throws {
        let result = try Self.sampledRun("auditory_cortex_l5", "froemke_pairing")
        let s = try #require(result.summary)
        #expect(abs(s.amplitudeChange) < 2, "ΔIPSC \(s.amplitudeChange) %")
        // The pairing reached both decoders (Ca2+/CaM-bound CaMKII rises over 20-fold from rest), so
        // the missing potentiation is not an induction that failed to open the receptors or channels.
        for population in ["camkN_dec_K_CaM", "camkL_dec_K_CaM"] {
            let camkii = try #require(result.trajectory.series(population))
            #expect(camkii.max()! > 20*camkii[0] && camkii.max()! < 0.05, "\(population) from \(camkii[0]) to at most \(camkii.max()!) uM")
        }
        withKnownIssue("the pairing leaves CaMKII near rest (auditory_cortex_l5 not reproduced on the rig)") {
            #expect(s.amplitudeChange >= 15, "ΔIPSC \(s.amplitudeChange) %")
        }
    }
}
