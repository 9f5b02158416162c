import Testing
import Foundation
import InductionProtocols
import SynapseModel
import SynapseSimulation
import PathwayTestSupport

/// The cerebellar Golgi → granule synapse on the biophysical layer (Pathways/synapses/
/// golgi_granule): a Golgi terminal spiking onto the Simoes de Souza & De Schutter 2011 granule
/// cell in whole-cell voltage clamp, whose mossy-fibre glutamate reaches the granule cell's NMDA
/// receptors (Ca²⁺ → NO → PKG on release) and the terminal's presynaptic NMDA receptors.
/// Units as in the files: s, mV, pA, mM Cl⁻.
///
/// The terminal's spikes dominate the cost, so the runs thin the test stimuli to one pair every
/// 300 s (2 in the baseline, 2 in the 20–30-min window); the inductions keep every pulse.
@Suite struct CerebellarRigTests {
    static let root = TestModels.repositoryRoot

    static func synapse(_ name: String) throws -> SynapseDefinition {
        try SynapseReader.read(path: root.appendingPathComponent("Pathways/synapses/\(name).toml").path)
    }

    static func protocolFile(_ name: String) throws -> InductionProtocol { try BiophysicalSynapseTests.protocolFile(name) }

    /// `proto` with one test stimulus every 300 s.
    static func thinned(_ proto: InductionProtocol) -> InductionProtocol { IonicPlasticityTests.thinned(proto) }

    /// The rest protocol's timing (10-min baseline, 30-min follow-up, window 20–30 min) around `induction`.
    static func restTiming(_ induction: [InductionBlock]) throws -> InductionProtocol {
        var p = thinned(try protocolFile("rest"))
        p.induction = induction
        return p
    }

    static func run(_ name: String, _ proto: InductionProtocol, blockers: [String] = []) throws -> SynapseRunResult {
        let synapse = try synapse(name)
        let result = try SynapseRunner.run(SynapseRunRequest(synapse: synapse, model: try synapse.loadModel(), protocolDefinition: proto,
                                                             blockers: blockers).readoutsOnly)
        #expect(result.failure == nil, "\(name): \(result.failure.map(String.init(describing:)) ?? "")")
        return result
    }

    /// Rest of a rig synapse under `blocker` ("" for none): |ΔIPSC| < 2 % over the 40-minute
    /// protocol; the first IPSC in pA within `amplitude` with at least 20 mV of driving force;
    /// E_GABA unmoved; the terminal's Pr and PPR, outputs of its Ca²⁺ channels and pool
    /// (cells/README.md: Pr 0.63, PPR 0.58 at 50 ms), in their physiological ranges.
    static func expectStableRest(_ name: String, blocker: String, amplitude: ClosedRange<Double>) throws {
        let result = try run(name, thinned(try protocolFile("rest")), blockers: blocker.isEmpty ? [] : [blocker])
        let s = try #require(result.summary)
        #expect(abs(s.amplitudeChange) < 2, "\(name) rest \(blocker): ΔIPSC \(s.amplitudeChange) %")
        #expect(s.amplitudeUnit == "pA")
        let first = try #require(result.readouts.first?.recorded)
        #expect(amplitude.contains(first.amplitude), "IPSC \(first.amplitude) pA")
        #expect(first.eGABA - first.membranePotential >= 20, "driving force \(first.eGABA - first.membranePotential) mV")
        #expect(abs(try #require(s.eGABAShift)) < 0.1, "E_GABA moved \(s.eGABAShift ?? .nan) mV")
        #expect(first.releaseProbability > 0.4 && first.releaseProbability < 0.9, "Pr \(first.releaseProbability)")
        #expect(first.pairedPulseRatio > 0.3 && first.pairedPulseRatio < 1, "PPR \(first.pairedPulseRatio)")
    }

    // MARK: - Golgi → granule

    /// Rest, with no drug and under each declared blocker (from the baseline after the 30-min
    /// wash-in): |ΔIPSC| < 2 % over the 40-minute protocol. The IPSC is in pA, inward at −70 mV
    /// with E_GABA from the dialysed Cl⁻ more than 20 mV above V_m, and E_GABA does not move.
    @Test(arguments: ["", "L-NAME", "APV", "MK-801-internal", "presynaptic-APV"])
    func golgiGranuleRestIsStable(blocker: String) throws {
        try Self.expectStableRest("golgi_granule", blocker: blocker, amplitude: -200 ... -10)
    }

    /// Weak stimuli of each afferent: a single pulse and 5 pulses at 1 Hz leave |ΔIPSC| < 5 % at 20–30 min.
    @Test(arguments: ["inhibitory_afferent", "excitatory_afferent"], [1, 5])
    func golgiGranuleWeakStimuliLeaveTheIPSC(afferent: String, pulses: Int) throws {
        let block = InductionBlock(stimulus: afferent, pattern: .train(rate: 1, count: pulses, repeats: 1, repeatInterval: 0))
        let s = try #require(try Self.run("golgi_granule", try Self.restTiming([block])).summary)
        #expect(abs(s.amplitudeChange) < 5, "\(afferent), \(pulses) pulse(s): ΔIPSC \(s.amplitudeChange) %")
    }

    /// Mossy-fibre TBS in the two cell states of Mapelli et al. 2016, one run per state and drug,
    /// in parallel. Granule cell held at −70 mV (`tbs`, the LTD state): the Golgi terminal's
    /// NMDA receptors alone see the glutamate, their moderate Ca²⁺ drives the phosphatase arm
    /// and release is depressed (≤ −15 %: Pr down, PPR up, presynaptic); bath APV abolishes it
    /// (< 5 %), while blocking the granule cell's NMDA receptors (MK-801 in the pipette) or NO
    /// synthesis (L-NAME) keeps at least two thirds of it. Granule cell firing
    /// (`mapelli_tbs_current_clamp`, the LTP state): its Ca²⁺ makes NO, PKG potentiates release
    /// and keeps the terminal's phosphatase off, so the sign flips (Pr up, PPR down); with
    /// L-NAME the presynaptic LTD returns (≤ −15 %).
    @Test(arguments: [("tbs", ""), ("tbs", "APV"), ("tbs", "MK-801-internal"), ("tbs", "L-NAME"),
                      ("mapelli_tbs_current_clamp", ""), ("mapelli_tbs_current_clamp", "L-NAME")])
    func golgiGranuleTBSSignIsSetByTheGranuleCellState(protocolName: String, drug: String) throws {
        let proto = Self.thinned(try Self.protocolFile(protocolName))
        let s = try #require(try Self.run("golgi_granule", proto, blockers: drug.isEmpty ? [] : [drug]).summary)
        let held = protocolName == "tbs"
        switch (held, drug) {
        case (true, ""), (true, "MK-801-internal"), (true, "L-NAME"), (false, "L-NAME"):
            // Control measured −23.1 %; two thirds of the table's −15 % is −10 %.
            #expect(s.amplitudeChange <= (drug.isEmpty || !held ? -15 : -10), "\(protocolName) \(drug): ΔIPSC \(s.amplitudeChange) %")
            #expect(s.releaseProbabilityChange <= -5 && s.pairedPulseRatioChange >= 1,
                    "\(protocolName) \(drug): ΔPr \(s.releaseProbabilityChange) %, ΔPPR \(s.pairedPulseRatioChange) %")
            #expect(s.locus == .presynaptic, "\(protocolName) \(drug): inferred \(s.locus)")
        case (true, _):
            #expect(abs(s.amplitudeChange) < 5, "\(protocolName) \(drug): ΔIPSC \(s.amplitudeChange) %")
        default:
            // The table's threshold. Known issue: the granule cell of Simoes de Souza & De Schutter
            // 2011 makes less Ca²⁺ during the bursts than the D'Angelo et al. 2001 cell did (0.33
            // against 0.94 µM·s above rest, full protocol), so its NO LTP and the terminal's
            // presynaptic-NMDA LTD nearly cancel: +2.4 % on the full protocol (the NO route alone,
            // presynaptic-APV: +14.0 %); the 2001 cell gave +19.2 % on this schedule.
            withKnownIssue("the Souza & De Schutter 2011 granule cell's firing makes too little NO to outweigh the presynaptic LTD") {
                #expect(s.amplitudeChange >= 15, "ΔIPSC \(s.amplitudeChange) %")
                #expect(s.releaseProbabilityChange >= 5 && s.pairedPulseRatioChange <= -1,
                        "ΔPr \(s.releaseProbabilityChange) %, ΔPPR \(s.pairedPulseRatioChange) %")
                #expect(s.locus == .presynaptic, "inferred \(s.locus)")
            }
        }
    }
}
