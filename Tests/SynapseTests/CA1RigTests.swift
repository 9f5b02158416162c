import Testing
import Foundation
import InductionProtocols
import SynapseModel
import SynapseSimulation
import PathwayTestSupport

/// The CA1 synapse on the rig (Pathways/synapses/ca1_pyramidal): a CB1-positive GABAergic terminal
/// onto the Golomb CA1 pyramidal cell in whole-cell voltage clamp, whose eCB-iLTD (Chevaleyre &
/// Castillo 2003) comes from Schaffer-collateral glutamate that outruns astrocytic uptake at the
/// cell's mGluR1/5, 2-AG, CB1 and the terminal's own calcineurin (Heifets et al. 2008). Its
/// calcineurin iLTD (Lu et al. 2000, row 17) and the theta-burst iLTP of Patenaude et al. 2003 (row 9)
/// are not reproduced (Pathways/README.md), so no test here asserts them. Units as in the files: s, mV, pA.
///
/// The terminal's test spikes carry most of the cost and are also the presynaptic activity the
/// eCB-iLTD needs, so the runs keep the 0.1-Hz test rate and shorten the protocol instead: 1 min of
/// baseline and 10 min of follow-up, the change read 5–10 min after induction (the depression is
/// complete within ~4 min of the HFS: RelD rises with k_D = 0.02 /s). Each run takes ~2.4 s of CPU
/// in the release test build; the full-length protocols are measured in Pathways/README.md.
@Suite struct CA1RigTests {
    static let root = TestModels.repositoryRoot

    static func synapse() throws -> SynapseDefinition {
        try SynapseReader.read(path: root.appendingPathComponent("Pathways/synapses/ca1_pyramidal.toml").path)
    }

    /// `induction` (or the induction of the shipped protocol `name`) between 1 min of baseline and
    /// 10 min of follow-up at the shipped 0.1-Hz test rate, read 5–10 min after induction.
    static func compressed(_ induction: [InductionBlock]) -> InductionProtocol {
        InductionProtocol(name: "compressed", baselineDuration: 60, testInterval: 10, induction: induction, followUpDuration: 600,
                          analysisWindow: 300...600)
    }

    static func compressed(_ name: String) throws -> InductionProtocol {
        let shipped = try ProtocolReader.read(path: root.appendingPathComponent("Pathways/protocols/\(name).toml").path)
        return compressed(shipped.induction)
    }

    static func run(_ proto: InductionProtocol, blockers: [String] = []) throws -> SynapseRunResult {
        let s = try synapse()
        let result = try SynapseRunner.run(SynapseRunRequest(synapse: s, model: try s.loadModel(), protocolDefinition: proto, blockers: blockers).readoutsOnly)
        #expect(result.failure == nil, "\(result.failure.map(String.init(describing:)) ?? "")")
        return result
    }

    static func change(_ proto: InductionProtocol, blockers: [String] = []) throws -> PlasticitySummary {
        try #require(try run(proto, blockers: blockers).summary)
    }

    /// The blockers the synapse declares, each applied alone.
    static let blockers = ["AM251", "LY367385-MPEP", "FK506", "FK506-pipette", "APV", "CNQX-APV", "CGP55845", "E4-CPG",
                           "GDP-beta-S", "BAPTA"]

    // MARK: - The rig

    /// Rest: an inward IPSC in pA with ≥ 20 mV of driving force, E_GABA reported, Pr and PPR from the
    /// terminal, and no drift (|ΔIPSC| < 2 %) without induction.
    @Test func restGivesAStableInwardIPSCWithDrivingForce() throws {
        let result = try Self.run(Self.compressed([]))
        let s = try #require(result.summary)
        #expect(s.amplitudeUnit == "pA")
        #expect(abs(s.amplitudeChange) < 2, "rest ΔIPSC \(s.amplitudeChange) %")
        let first = try #require(result.readouts.first?.recorded)
        // Inward: the high-Cl⁻ pipette puts E_GABA far above the -70 mV holding potential.
        #expect(first.amplitude < -50 && first.amplitude > -500, "IPSC \(first.amplitude) pA")
        #expect(first.eGABA - first.membranePotential >= 20, "driving force \(first.eGABA - first.membranePotential) mV")
        #expect(abs(try #require(s.eGABAShift)) < 0.5)
        #expect(first.releaseProbability > 0.3 && first.releaseProbability < 0.8, "Pr \(first.releaseProbability)")
        #expect(first.pairedPulseRatio > 0.3 && first.pairedPulseRatio < 1, "PPR \(first.pairedPulseRatio)")
    }

    /// Rest under each declared blocker, from the baseline after its 30-minute pre-incubation.
    @Test(arguments: blockers)
    func restUnderEachBlockerStaysWithinTwoPercent(_ blocker: String) throws {
        let s = try Self.change(Self.compressed([]), blockers: [blocker])
        #expect(abs(s.amplitudeChange) < 2, "rest with \(blocker): ΔIPSC \(s.amplitudeChange) %")
    }

    /// Rest for a resting Ca²⁺ of 40 and 80 nM: the shell's background influx set to
    /// 12 or 24 µM/s instead of 15 (rest = J_leak/k_ext with k_ext 300 /s, window currents aside).
    /// The rig's 4-h settling brings the slow receptor and gephyrin pools to that Ca²⁺'s steady
    /// state, and nothing drifts after it, so the full 40-min `rest` protocol stays within 2 %
    /// (with the 300-s settling and the irreversible slot loss it drifted +2.4 % and −26.8 %).
    @Test(arguments: [12.0, 24.0])
    func restStaysWithinTwoPercentForRestingCa40To80nM(_ leak: Double) throws {
        let s = try Self.synapse()
        let proto = try ProtocolReader.read(path: Self.root.appendingPathComponent("Pathways/protocols/rest.toml").path)
        var request = SynapseRunRequest(synapse: s, model: try s.loadModel(), protocolDefinition: proto, overrides: [("J_leak_0", leak)])
        request.nativeCode = true
        let result = try SynapseRunner.run(request)
        #expect(result.failure == nil, "\(result.failure.map(String.init(describing:)) ?? "")")
        let summary = try #require(result.summary)
        #expect(abs(summary.amplitudeChange) < 2, "rest at J_leak_0 = \(leak) µM/s: ΔIPSC \(summary.amplitudeChange) %")
    }

    /// A single pulse and 5 pulses at 1 Hz of each afferent leave |ΔIPSC| < 5 %: the astrocytic
    /// transporters capture each Schaffer volley's glutamate before the perisynaptic mGluR1/5 bind
    /// much, and recover between 1-Hz pulses.
    @Test(arguments: ["inhibitory_afferent", "excitatory_afferent"])
    func weakStimuliLeaveTheIPSC(_ afferent: String) throws {
        for count in [1, 5] {
            let block = InductionBlock(stimulus: afferent, pattern: .train(rate: 1, count: count, repeats: 1, repeatInterval: 0))
            let s = try Self.change(Self.compressed([block]))
            #expect(abs(s.amplitudeChange) < 5, "\(afferent) × \(count): ΔIPSC \(s.amplitudeChange) %")
        }
    }

    // MARK: - Row 14: eCB-iLTD and its pharmacology

    /// Schaffer HFS in voltage clamp lowers release (Pr, PPR and 1/CV² move with the IPSC); the
    /// mGluR-I antagonists, AM251 and bath FK506 abolish it (< 5 %); APV and FK506 in the pipette
    /// leave at least two thirds of it.
    @Test func hfsGivesPresynapticILTDWithThePublishedPharmacology() throws {
        let proto = try Self.compressed("chevaleyre_hfs")
        let control = try Self.change(proto)
        withKnownIssue("row 14: with the measured mGluR, Gq and PLCbeta rates and PLCbeta's measured Ca2+ law the terminal's Gi/o peaks at 0.35 uM, below K_gi's 0.45 (an assumption): -3 %, too small to read the site from") {
            #expect(control.amplitudeChange <= -15, "HFS ΔIPSC \(control.amplitudeChange) %")
            #expect(control.releaseProbabilityChange <= -5 && control.locus == .presynaptic,
                    "ΔPr \(control.releaseProbabilityChange) %, inferred \(control.locus)")
        }
        for blocker in ["LY367385-MPEP", "AM251", "FK506"] {
            let s = try Self.change(proto, blockers: [blocker])
            #expect(abs(s.amplitudeChange) < 5, "HFS with \(blocker): ΔIPSC \(s.amplitudeChange) %")
        }
        for blocker in ["APV", "FK506-pipette"] {
            let s = try Self.change(proto, blockers: [blocker])
            #expect(s.amplitudeChange <= control.amplitudeChange * 2 / 3, "HFS with \(blocker): ΔIPSC \(s.amplitudeChange) % (control \(control.amplitudeChange) %)")
        }
    }

    /// A DHPG bath (10 min, 50 µM) depresses release lastingly through CB1, and AM251 abolishes it.
    @Test func dhpgBathInducesILTD() throws {
        let proto = try Self.compressed("dhpg_bath")
        let control = try Self.change(proto)
        #expect(control.amplitudeChange <= -15 && control.locus == .presynaptic, "DHPG ΔIPSC \(control.amplitudeChange) %, \(control.locus)")
        let blocked = try Self.change(proto, blockers: ["AM251"])
        #expect(abs(blocked.amplitudeChange) < 5, "DHPG with AM251: ΔIPSC \(blocked.amplitudeChange) %")
    }

    /// One 5-s depolarisation to 0 mV suppresses the next IPSC (DSI) but leaves no lasting change,
    /// although its ~0.85 µM of shell Ca²⁺ makes half the CaMKII autonomous: autonomy lasts ~10 s and
    /// works at a fifth of the Ca/CaM-bound rate, so it inserts few receptors.
    @Test func dsiIsTransient() throws {
        let result = try Self.run(try Self.compressed("dsi"))
        let s = try #require(result.summary)
        #expect(abs(s.amplitudeChange) < 5, "DSI ΔIPSC \(s.amplitudeChange) % at 5–10 min")
        // The first test after the step (5 s after it ends) against the baseline mean.
        let after = try #require(result.readouts.first { $0.time > 65 }?.recorded)
        let suppression = 100 * (after.amplitude / s.baseline.amplitude - 1)
        #expect(suppression <= -10, "DSI suppression \(suppression) % 5 s after the step")
    }

    // MARK: - Row 14: a CB1 trace completed by later firing (Heifets, Chevaleyre & Castillo 2008)

    /// Fig. 1 of Heifets et al. 2008 PNAS (PMC2481322, legend): theta bursts of the Schaffer
    /// collaterals in 10 nM TTX, the interneurons firing only at the 0.067-Hz test rate, give no
    /// I-LTD (|ΔIPSC| < 5 %); afferent bursts over the next ten minutes rescue it (≤ −15 %,
    /// presynaptic); the bursts alone give none (Fig. 1B). The rig has no spontaneous interneuron
    /// firing, so every run here is the TTX condition, and it applies drugs for the whole run, so
    /// the mGluR-I antagonists the legend washes in at induction are left out. The legend gives
    /// neither the TBS nor the rescue bursts' pattern: the library's theta-burst train (tbs.toml)
    /// for both, the bursts' trains every 10 s from 1 min after the TBS. Each burst run takes ~15 s
    /// of CPU (2,400 terminal spikes).
    @Test func heifetsRescueNeedsTheInductionAndLaterFiring() throws {
        let tbs = InductionBlock(stimulus: "excitatory_afferent",
                                 pattern: .thetaBurst(pulsesPerBurst: 4, intraBurstRate: 100, burstRate: 5, burstsPerTrain: 10, trains: 3, trainInterval: 10))
        let bursts = InductionBlock(stimulus: "inhibitory_afferent",
                                    pattern: .thetaBurst(pulsesPerBurst: 4, intraBurstRate: 100, burstRate: 5, burstsPerTrain: 10, trains: 60, trainInterval: 10),
                                    start: 60)
        // 1 min of baseline, read 5-10 min after the bursts end.
        func heifets(_ induction: [InductionBlock]) -> InductionProtocol {
            InductionProtocol(name: "heifets", baselineDuration: 60, testInterval: 15, induction: induction, followUpDuration: 1200,
                              analysisWindow: 900...1200)
        }
        let inTTX = try Self.change(heifets([tbs]))
        #expect(abs(inTTX.amplitudeChange) < 5, "TBS in TTX: ΔIPSC \(inTTX.amplitudeChange) %")
        let alone = try Self.change(heifets([bursts]))
        #expect(abs(alone.amplitudeChange) < 5, "bursts alone: ΔIPSC \(alone.amplitudeChange) %")
        let rescued = try Self.change(heifets([tbs, bursts]))
        withKnownIssue("the delayed rescue is not reproduced: the lasting step needs CB1's Gi/o and the terminal's calcineurin within seconds of each other; the cAMP/PKA chain tried instead (tag hypothesis/ecb-camp-pka-chain) depresses as much with the bursts alone: Benchmarks/RESULTS.md") {
            #expect(rescued.amplitudeChange <= -15 && rescued.locus == .presynaptic,
                    "TBS then bursts: ΔIPSC \(rescued.amplitudeChange) %, \(rescued.locus)")
        }
    }

    // MARK: - Row 14: chemical iLTD (Monday et al. 2020; Heifets et al. 2008 Fig. 1C)

    /// The shipped `monday_chemical_iltd` (Monday et al. 2020 eLife 9:e54812, Methods read in full):
    /// WIN 55,212-2 5 µM for 25 min with 5 inhibitory-afferent pulses at 10 Hz every 10 s in its last
    /// 10 min, read 80–100 min later; the paper's control arms lose 22–39 %, so ≤ −15 % and
    /// presynaptic here; AM251 (which the paper uses to chase WIN; here in the bath throughout)
    /// abolishes it (|ΔIPSC| < 5 %). The same WIN bath with the interneurons silenced (10 nM TTX)
    /// leaves no I-LTD (Heifets et al. 2008 Fig. 1C legend): `win_bath_tests_only`, the WIN bath
    /// with the 0.05-Hz test pulses alone. Full-length protocols, ~6 s of CPU each.
    @Test func winBathWithInterneuronFiringGivesChemicalILTD() throws {
        func shipped(_ name: String) throws -> InductionProtocol {
            try ProtocolReader.read(path: Self.root.appendingPathComponent("Pathways/protocols/\(name).toml").path)
        }
        let iltd = try Self.change(shipped("monday_chemical_iltd"))
        #expect(iltd.amplitudeChange <= -15 && iltd.locus == .presynaptic, "WIN + bursts: ΔIPSC \(iltd.amplitudeChange) %, \(iltd.locus)")
        let inAM251 = try Self.change(shipped("monday_chemical_iltd"), blockers: ["AM251"])
        #expect(abs(inAM251.amplitudeChange) < 5, "WIN + bursts in AM251: ΔIPSC \(inAM251.amplitudeChange) %")
        let inTTX = try Self.change(shipped("win_bath_tests_only"))
        withKnownIssue("the lasting step (the terminal's Gi/o gate with its calcineurin) counts the test spikes as it counts the bursts: WIN alone depresses as much (Benchmarks/RESULTS.md, H1 session 25)") {
            #expect(abs(inTTX.amplitudeChange) < 5, "WIN with the tests only (TTX): ΔIPSC \(inTTX.amplitudeChange) %")
        }
    }

    // MARK: - Row 9: theta bursts near the cell (Patenaude et al. 2003)

    /// Theta bursts of both afferents in CNQX and D-AP5 (patenaude_tbs) depress the CB1-positive
    /// terminal presynaptically through mGluR1/5 and 2-AG, as theta bursts do at these terminals
    /// (Heifets et al. 2008). With CB1 blocked, standing for the CB1-negative terminals that dominate
    /// Patenaude's monosynaptic IPSCs, the bursts move no receptors through calcineurin (row 17's
    /// route, whose paper used a tetanus): |ΔN| < 2 %. Row 9's potentiation is a known issue: the
    /// GABA-B G protein of one connection's bursts reaches ~0.2, far below the fourth-power gating's
    /// half point (3.2), so the store Ca²⁺ of the GABA-B + mGluR route stays at rest.
    @Test func thetaBurstsNearTheCellDepressOnlyThroughCB1() throws {
        let proto = try Self.compressed("patenaude_tbs")
        let cb1Positive = try Self.change(proto, blockers: ["CNQX-APV"])
        withKnownIssue("with the measured mGluR, Gq and PLCbeta rates the bursts' Gq signalling ends between bursts: no eCB depression") {
            #expect(cb1Positive.amplitudeChange <= -15 && cb1Positive.locus == .presynaptic,
                    "TBS ΔIPSC \(cb1Positive.amplitudeChange) %, \(cb1Positive.locus)")
        }
        let cb1Negative = try Self.change(proto, blockers: ["CNQX-APV", "AM251"])
        #expect(abs(cb1Negative.receptorChange) < 2, "TBS with AM251: ΔN \(cb1Negative.receptorChange) %")
        withKnownIssue("row 9 is not reproduced: the GABA-B + mGluR route gets no store Ca²⁺ from one connection's theta bursts") {
            #expect(cb1Negative.amplitudeChange >= 15, "TBS with AM251: ΔIPSC \(cb1Negative.amplitudeChange) %")
        }
    }
}
