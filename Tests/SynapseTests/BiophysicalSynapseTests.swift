import Testing
import Foundation
import SourceDiagnostics
import CVODEIntegration
import KineticsCore
import InductionProtocols
import SynapseModel
@testable import SynapseSimulation
import PathwayTestSupport

/// The biophysical synapse layer: a `[recording]` rig, spike and step stimuli, and test
/// stimuli simulated as presynaptic spikes, on the shipped `entorhinal_stellate_rig` (a GABAergic
/// terminal onto an entorhinal stellate cell whose GABA-A receptors move only when a postsynaptic
/// spike's Ca²⁺ meets freshly gated receptors, so every control without spikes must leave the
/// IPSC where it was).
@Suite struct BiophysicalSynapseTests {
    static let root = TestModels.repositoryRoot
    static let rigPath = root.appendingPathComponent("Pathways/synapses/entorhinal_stellate_rig.toml").path

    static func protocolFile(_ name: String) throws -> InductionProtocol {
        try ProtocolReader.read(path: root.appendingPathComponent("Pathways/protocols/\(name).toml").path)
    }

    /// A short protocol: 30 s of baseline tests, `induction`, and 30 s of follow-up, the whole
    /// follow-up analysed.
    static func short(_ induction: [InductionBlock] = []) -> InductionProtocol {
        InductionProtocol(name: "short", baselineDuration: 30, testInterval: 10, induction: induction, followUpDuration: 30,
                          analysisWindow: 0...30)
    }

    /// The rig synapse's file text with `replacements` applied, read from a file beside the shipped one.
    static func variant(_ replacements: [(String, String)], _ body: (SynapseDefinition) throws -> Void) throws {
        var text = try String(contentsOfFile: rigPath, encoding: .utf8)
        for (old, new) in replacements {
            #expect(text.contains(old), "the rig file no longer contains '\(old)'")
            text = text.replacingOccurrences(of: old, with: new)
        }
        let path = try writeBesideNothing(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try body(try SynapseReader.read(path: path))
    }

    static func run(_ synapse: SynapseDefinition, _ proto: InductionProtocol, blockers: [String] = [],
                    overrides: [(name: String, value: Double)] = []) throws -> SynapseRunResult {
        let result = try SynapseRunner.run(SynapseRunRequest(synapse: synapse, model: try synapse.loadModel(), protocolDefinition: proto,
                                                             blockers: blockers, overrides: overrides))
        #expect(result.failure == nil, "\(result.failure.map(String.init(describing:)) ?? "")")
        return result
    }

    static func rig() throws -> SynapseDefinition { try SynapseReader.read(path: rigPath) }

    @Test func recordingSetsTheElectrodePipetteAndChannels() throws {
        let r = try #require(try Self.rig().recording)
        let values = Dictionary(uniqueKeysWithValues: r.values.map { (r.parameters[$0.setting]!.value, $0.value) })
        #expect(values["cell_soma_el_mode"] == 1 && values["cell_soma_el_V_cmd"] == -47)
        #expect(values["cell_soma_cl_dialysis"] == 1 && values["cell_soma_cl_Cl_pip"] == 2)
        #expect(values["cell_soma_ca_dialysis"] == 1 && values["cell_soma_ca_B_pip"] == 0)
        #expect(values["cell_ch_spike_gain"] == 1)
        #expect(r.summary == "whole-cell voltage clamp at -47 mV, 2 mM Cl- pipette")
    }

    /// Rest: no induction over the 40-minute protocol leaves the IPSC within 2 % (test IPSCs tag
    /// receptors, but at the holding potential the channels' window Ca²⁺ barely reaches the
    /// cascade's enzymes); the IPSC is outward, in pA, with at least 20 mV of driving force, and
    /// E_GABA, Cl⁻ and V_m are reported.
    @Test func restLeavesTheIPSCWithTwoPercent() throws {
        let result = try Self.run(try Self.rig(), try Self.protocolFile("rest"))
        let s = try #require(result.summary)
        #expect(abs(s.amplitudeChange) < 2, "rest ΔIPSC \(s.amplitudeChange) %")
        #expect(s.amplitudeUnit == "pA")
        let first = try #require(result.readouts.first?.recorded)
        #expect(first.amplitude > 30 && first.amplitude < 400, "IPSC \(first.amplitude) pA")
        #expect(first.membranePotential - first.eGABA >= 20, "driving force \(first.membranePotential - first.eGABA) mV")
        #expect(abs(try #require(s.eGABAShift)) < 0.5, "E_GABA moved \(s.eGABAShift ?? .nan) mV at rest")
        // The test at t = 0 fires like every other (a stimulus at the start is not lost).
        #expect(abs(first.amplitude / s.baseline.amplitude - 1) < 0.02)
        #expect(result.readouts.count == 60 + 181, "\(result.readouts.count) tests")
        // The paired pulse depresses and Pr comes from the terminal (cells/README.md: Pr 0.62, PPR 0.62).
        #expect(first.releaseProbability > 0.4 && first.releaseProbability < 0.9, "Pr \(first.releaseProbability)")
        #expect(first.pairedPulseRatio > 0.3 && first.pairedPulseRatio < 1, "PPR \(first.pairedPulseRatio)")
        // 1/CV² is the quantal model's at the simulated Pr: n·Pr/(1 − Pr + CVq²) with n = 6, CVq = 0.3.
        let pr = first.releaseProbability
        #expect(abs(result.readouts[0].response.inverseCVSquared - 6 * pr / (1 - pr + 0.09)) < 1e-9)
    }

    /// Weak stimuli of each afferent: a single pulse and 5 pulses at 1 Hz leave |ΔIPSC| < 5 %.
    @Test(arguments: ["inhibitory_afferent", "excitatory_afferent"])
    func weakStimuliLeaveTheIPSC(afferent: String) throws {
        let synapse = try Self.rig()
        for (count, label) in [(1, "single pulse"), (5, "5 pulses at 1 Hz")] {
            let block = InductionBlock(stimulus: afferent, pattern: .train(rate: 1, count: count, repeats: 1, repeatInterval: 0))
            let s = try #require(try Self.run(synapse, Self.short([block])).summary)
            #expect(abs(s.amplitudeChange) < 5, "\(afferent), \(label): ΔIPSC \(s.amplitudeChange) %")
        }
    }

    /// E_GABA is the GHK potential of the reported Cl⁻ (and the soma's fixed HCO₃⁻); whole-cell
    /// Cl⁻ follows the pipette, perforated-patch Cl⁻ stays the cell's own whatever the pipette holds.
    @Test func perforatedKeepsTheCellsChlorideWholeCellTakesThePipettes() throws {
        func eGABA(_ configuration: String, chloride: String) throws -> RecordedResponse {
            var out: RecordedResponse?
            try Self.variant([("configuration = \"whole_cell\"", "configuration = \"\(configuration)\""),
                              ("chloride = 2 ", "chloride = \(chloride) ")]) { synapse in
                out = try Self.run(synapse, Self.short()).readouts.last?.recorded
            }
            return try #require(out)
        }
        let whole4 = try eGABA("whole_cell", chloride: "4"), whole30 = try eGABA("whole_cell", chloride: "30")
        let perforated4 = try eGABA("perforated", chloride: "4"), perforated30 = try eGABA("perforated", chloride: "30")
        // GHK with P_HCO3/P_Cl = 0.18, HCO3 16/26 mM, Cl_o 130 mM, 32 °C (components.ant GabaA and Soma).
        let vt = 8.314462618 * (273.15 + 32) / 96485.33212 * 1000
        for r in [whole4, whole30, perforated4, perforated30] {
            let ghk = vt * log((r.chloride + 0.18 * 16) / (130 + 0.18 * 26))
            #expect(abs(r.eGABA - ghk) < 1e-6, "E_GABA \(r.eGABA) vs GHK \(ghk) mV at Cl- \(r.chloride) mM")
        }
        #expect(whole30.chloride > whole4.chloride + 10, "whole-cell Cl- \(whole4.chloride) -> \(whole30.chloride) mM")
        #expect(whole30.eGABA > whole4.eGABA + 15)
        #expect(abs(perforated30.chloride - perforated4.chloride) < 1e-6, "perforated Cl- moved with the pipette")
        #expect(abs(perforated4.eGABA - whole4.eGABA) > 1, "perforated \(perforated4.eGABA) vs whole-cell \(whole4.eGABA) mV")
    }

    /// Current clamp: the IPSP (mV) has the sign of E_GABA − V_rest: hyperpolarising with a
    /// low-Cl⁻ pipette, depolarising with a high-Cl⁻ one.
    @Test(arguments: ["4", "60"])
    func currentClampIPSPHasTheSignOfTheDrivingForce(chloride: String) throws {
        try Self.variant([("mode = \"voltage_clamp\"", "mode = \"current_clamp\""), ("holding_potential = -47        # mV (see above)", ""),
                          ("chloride = 2 ", "chloride = \(chloride) ")]) { synapse in
            let result = try Self.run(synapse, Self.short())
            #expect(result.summary?.amplitudeUnit == "mV")
            // Current clamp measures no conductance: the column says so rather than a number.
            let csv = SynapseReports.readoutsCSV(result.readouts, protocolDefinition: Self.short())
            #expect(csv.hasPrefix("time,minutes_after_induction,phase,ipsp_mV,") && csv.split(separator: "\n")[1].contains(",nan,"), "\(csv)")
            let r = try #require(result.readouts.last?.recorded)
            #expect(abs(r.eGABA - r.membranePotential) > 2, "E_GABA \(r.eGABA), V_rest \(r.membranePotential) mV")
            #expect((r.amplitude > 0) == (r.eGABA > r.membranePotential) && abs(r.amplitude) > 0.1,
                    "IPSP \(r.amplitude) mV with E_GABA \(r.eGABA) and V_rest \(r.membranePotential) mV")
        }
    }

    /// The 0.1-ms sampling resolves the IPSC: the peak comes at least 5 samples after the spike,
    /// and sampling five times finer changes the amplitude by under 0.5 % (the peak of a smooth
    /// maximum is off by O((Δt/rise)²)).
    @Test func samplingResolvesThePeak() throws {
        let coarse = try #require(try Self.run(try Self.rig(), Self.short()).readouts.last?.recorded)
        #expect(coarse.timeToPeak >= 5e-4, "peak \(coarse.timeToPeak * 1000) ms after the spike")
        try Self.variant([("settle = 300 ", "sampling = 0.00002\nsettle = 300 ")]) { synapse in
            let fine = try #require(try Self.run(synapse, Self.short()).readouts.last?.recorded)
            #expect(abs(fine.amplitude / coarse.amplitude - 1) < 0.005, "\(coarse.amplitude) vs \(fine.amplitude) pA")
        }
    }

    /// A synthetic synapse `name` in `dir`: the model `body` (no release dynamics: Pr 0.5, one
    /// site) and the stimulus tables `stimuli`.
    static func syntheticSynapse(_ name: String, body: String, stimuli: String, in dir: URL) throws -> SynapseDefinition {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try "model *\(name)()\n\(body)\n  Pr := 0.5; N := 1\nend\n"
            .write(to: dir.appendingPathComponent("\(name).ant"), atomically: true, encoding: .utf8)
        try """
        model = "\(name).ant"
        [release]
        sites = 1
        quantal_size = 1
        reference_receptors = 1
        tau_recovery = 0
        \(stimuli)
        """.write(to: dir.appendingPathComponent("\(name).toml"), atomically: true, encoding: .utf8)
        return try SynapseReader.read(path: dir.appendingPathComponent("\(name).toml").path)
    }

    /// A synthetic synapse in `dir` whose stimuli `pre` and `post` each add 1 to A (no dynamics)
    /// and hold B up by 1 for 5 s.
    static func counterSynapse(in dir: URL) throws -> SynapseDefinition {
        try syntheticSynapse("counter", body: """
              A = 0; B = 0; k = 0
              J: A -> ; k*A
              J2: B -> ; k*B
            """, stimuli: """
            [stimuli.pre]
            increments = { A = 1 }
            step = { target = "B", amplitude = 1, width = 5 }
            [stimuli.post]
            increments = { A = 1 }
            step = { target = "B", amplitude = 1, width = 5 }
            """, in: dir)
    }

    /// One pairing at Δt = 0 of the counter's two stimuli, 10 s into the protocol.
    static let instantPairing = InductionProtocol(
        name: "instant", baselineDuration: 10, testInterval: 10,
        induction: [InductionBlock(stimulus: "pre", pattern: .pairing(pre: "pre", post: "post", deltaT: 0, pairs: 1, rate: 1))],
        followUpDuration: 20, analysisWindow: 0...20)

    /// A and B of the counter at 12 s (during the steps) and B at 16 s (after them).
    static func counted(_ t: Trajectory) throws -> (a: Double, b: Double, bAfter: Double) {
        let a = try #require(t.series("A")), b = try #require(t.series("B"))
        let during = try #require(t.times.firstIndex { $0 > 12 }), after = try #require(t.times.firstIndex { $0 > 16 })
        return (a[during], b[during], b[after])
    }

    /// Same-instant stimuli all apply: a pairing at Δt = 0 of two stimuli that each add to one
    /// quantity adds twice (each is its own event at the same time).
    @Test func sameInstantStimuliAllApply() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-instant-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let c = try Self.counted(try Self.run(try Self.counterSynapse(in: dir), Self.instantPairing).trajectory)
        #expect(c.a == 2 && c.b == 2, "A \(c.a), B \(c.b)")
        #expect(c.bAfter == 0, "the steps end after their width: B \(c.bAfter)")
    }

    /// A hold ends at the value its target had before it, not at the file's: with C set to 3
    /// for the run (as `--set`, the rig or a blocker would), C is 5 during each of two
    /// back-to-back holds and 3 again after them. Reading the file's value, C came back to 0.
    @Test func aHoldRestoresTheValueFromBeforeIt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-hold-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let synapse = try Self.syntheticSynapse("held", body: """
              C = 0; k = 0
              J: C -> ; k*C
            """, stimuli: """
            [stimuli.depolarise]
            hold = { C = 5 }
            """, in: dir)
        let proto = InductionProtocol(name: "holds", baselineDuration: 10, testInterval: 10,
                                      induction: [InductionBlock(stimulus: "depolarise", pattern: .step(duration: 2, repeats: 2, repeatInterval: 2))],
                                      followUpDuration: 10, analysisWindow: 0...10)
        let t = try Self.run(synapse, proto, overrides: [("C", 3)]).trajectory
        let c = try #require(t.series("C"))
        let at = try [5.0, 11, 13, 20].map { time in c[try #require(t.times.firstIndex { $0 >= time })] }
        #expect(at == [3, 5, 5, 3], "C before, during both holds, after: \(at)")
    }

    /// The pairing timed by parameters (one compiled model for every Δt, as `kinapse stdp` runs
    /// it): prepared at Δt = 0 and run at +5 ms, A has counted the pre stimulus alone at 10.002 s
    /// and both by 12 s; run at 0, the steps of both stimuli are on at once and end together.
    @Test func pairingTimedByParametersPlacesEachStimulus() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-offset-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let synapse = try Self.counterSynapse(in: dir)
        var request = SynapseRunRequest(synapse: synapse, model: try synapse.loadModel(), protocolDefinition: Self.instantPairing, outputStep: 0.001)
        request.offsetPairing = true
        let prepared = try PreparedSynapseRun(request)
        let apart = try prepared.run(overrides: PreparedSynapseRun.pairingOverrides(deltaT: 0.005)).trajectory
        let a = try #require(apart.series("A"))
        let between = try #require(apart.times.firstIndex { $0 >= 10.002 })
        let counted = try Self.counted(apart)
        #expect(a[between] == 1 && counted.a == 2 && counted.b == 2, "A \(a[between]) at \(apart.times[between]) s, \(counted)")
        let together = try Self.counted(try prepared.run(overrides: PreparedSynapseRun.pairingOverrides(deltaT: 0)).trajectory)
        #expect(together.bAfter == 0 && together.b >= 1, "\(together)")
    }

    /// A command step without a width lasts for the protocol's step: the cell follows the command
    /// to near 0 mV (less the series-resistance drop) and returns to the holding level after.
    @Test func commandStepLastsForTheProtocolsStep() throws {
        let block = InductionBlock(stimulus: "depolarisation", pattern: .step(duration: 2, repeats: 1, repeatInterval: 0))
        let result = try Self.run(try Self.rig(), Self.short([block]))
        let t = result.trajectory, v = try #require(t.series("cell_V"))
        let before = try #require(t.times.lastIndex { $0 <= 29 }), during = try #require(t.times.firstIndex { $0 >= 31 })
        let after = try #require(t.times.firstIndex { $0 >= 35 })
        #expect(v[during] - v[before] > 30 && v[during] < 0, "V \(v[before]) -> \(v[during]) mV")
        #expect(abs(v[after] - v[before]) < 0.5, "V after the step \(v[after]) mV")
    }

    /// The Haas pairing (protocols/haas_pairing.toml) with a short baseline and follow-up and 20
    /// pairings instead of 60 (the change grows with the pairings; its sign and shape do not).
    static func shortPairing() throws -> SynapseRunRequest {
        let synapse = try Self.rig()
        var proto = try Self.protocolFile("haas_pairing")
        proto.baselineDuration = 20
        proto.followUpDuration = 20
        proto.analysisWindow = 0...20
        return SynapseRunRequest(synapse: synapse, model: try synapse.loadModel(), protocolDefinition: proto)
    }

    /// The IPSC change (%) at each Δt (s) of `kinapse stdp` on the rig, with `blockers`.
    static func window(_ deltas: [Double], blockers: [String] = []) throws -> [Double] {
        var request = try shortPairing()
        request.blockers = blockers
        let points = try SpikeTimingSweep.run(request, deltas: deltas, pairs: 20, rate: 1, jobs: 2)
        #expect(points.map(\.deltaT) == deltas, "results come back in the order asked")
        return try points.map { try #require($0.summary, "\($0.failure ?? "")").amplitudeChange }
    }

    /// iSTDP on the rig (Haas, Nowotny & Abarbanel 2006): pre-then-post potentiates, post-then-pre
    /// depresses, and coincidence changes at most a tenth of the larger side (the full 61-point
    /// window is in cells/README.md). Both sides need postsynaptic Ca²⁺ from voltage-gated
    /// channels: 10 mM BAPTA in the pipette or nimodipine in the bath leaves less than a tenth of
    /// the control change at ±10 ms. The margins: 20 pairings give about a third of the changes of
    /// 60, so each side is asserted at 3 %, well clear of the rest drift (< 0.2 %).
    @Test func pairingOnTheRigGivesATimingWindowThatBAPTAAndNimodipineAbolish() throws {
        let w = try Self.window([-0.01, 0, 0.01])
        #expect(w[0] < -3 && w[2] > 3, "window at -10, 0, +10 ms: \(w)")
        #expect(abs(w[1]) <= 0.1 * max(-w[0], w[2]), "change at 0 ms: \(w)")
        for blocker in ["BAPTA", "nimodipine"] {
            let treated = try Self.window([-0.01, 0.01], blockers: [blocker])
            for (k, control) in [w[0], w[2]].enumerated() {
                #expect(abs(treated[k]) < 0.1 * abs(control), "\(blocker): \(treated[k]) % against \(control) % at \(k == 0 ? -10 : 10) ms")
            }
        }
    }

    @Test func gabazineAbolishesTheIPSC() throws {
        let result = try Self.run(try Self.rig(), Self.short(), blockers: ["gabazine"])
        let r = try #require(result.readouts.last?.recorded)
        #expect(abs(r.amplitude) < 1e-6, "IPSC under gabazine \(r.amplitude) pA")
        #expect(try Self.rig().blockers["gabazine"]?.concentration == 10)
    }

    // MARK: - Errors in the synapse file

    /// Writes a synapse file into a fresh temporary file whose model is the shipped one (by absolute path).
    static func writeBesideNothing(_ text: String) throws -> String {
        let model = root.appendingPathComponent("Pathways/synapses/entorhinal_stellate_rig.ant").path
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-rig-\(UUID().uuidString).toml").path
        try text.replacingOccurrences(of: "model = \"entorhinal_stellate_rig.ant\"", with: "model = \"\(model)\"")
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func readError(_ text: String) -> String {
        guard let path = try? writeBesideNothing(text) else { return "cannot write" }
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let synapse = try SynapseReader.read(path: path)
            _ = try PreparedSynapseRun(SynapseRunRequest(synapse: synapse, model: try synapse.loadModel(), protocolDefinition: short()))
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test func missingSymbolIsReportedAtItsLineWithASuggestion() throws {
        let text = try String(contentsOfFile: Self.rigPath, encoding: .utf8)
            .replacingOccurrences(of: "cs_qx314 = false", with: "cs_qx314 = false\n\n[recording.symbols]\ncurrent = \"cell_soma_el_Ii\"")
        let message = Self.readError(text)
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasPrefix("current = ") }! + 1
        #expect(message.contains(":\(line):11: error: the recording's current is 'cell_soma_el_Ii'"), "\(message)")
        #expect(message.contains("did you mean 'cell_soma_el_I'?"), "\(message)")
    }

    /// A mistake in the synapse file (written as a replacement of the shipped text) and what the
    /// message must say.
    struct Mistake: Sendable, CustomTestStringConvertible {
        let written: String, replacement: String, says: [String]
        var testDescription: String { replacement }
    }

    static let mistakes = [
        Mistake(written: "test_stimulus = ", replacement: "cell = \"post\"\ntest_stimulus = ",
                says: ["the recording's current is 'post_soma_el_I'", "set [recording] cell/terminal"]),
        Mistake(written: "sites = 6 ", replacement: "holding_potential = -70\nsites = 6 ",
                says: ["'holding_potential' is simulated in a synapse with a [recording]", "[recording] holding_potential"]),
        Mistake(written: "mode = \"voltage_clamp\"", replacement: "mode = \"voltage_clmap\"",
                says: ["'mode' must be one of \"voltage_clamp\", \"current_clamp\"", "did you mean 'voltage_clamp'?"]),
        Mistake(written: "test_stimulus = \"inhibitory_afferent\"", replacement: "test_stimulus = \"inhibitory_aferent\"",
                says: ["test stimulus 'inhibitory_aferent' is not a stimulus", "did you mean 'inhibitory_afferent'?"]),
        Mistake(written: "atol = 1e-7 ", replacement: "atol = 1e-7\njacobian_steps = 0 ",
                says: ["'jacobian_steps' must be at least 1 (got 0)"]),
        // Units slipped: inside the accepted ranges, but no rig holds at -0.047 mV or fills
        // its pipette with 2 uM chloride.
        Mistake(written: "holding_potential = -47 ", replacement: "holding_potential = -0.047 ",
                says: ["'holding_potential' is -0.047 mV: a potential written in volts?", "-0.047 V is -47 mV"]),
        Mistake(written: "chloride = 2 ", replacement: "chloride = 0.002 ",
                says: ["'chloride' is 0.002 mM: a concentration written in mol/L?", "0.002 M is 2 mM"]),
        // A stimulus on a value a rule computes would fail only when the event fires.
        Mistake(written: "target = \"Glu\"", replacement: "target = \"B_free\"",
                says: ["stimulus 'excitatory_afferent' acts on 'B_free', which an assignment rule computes"]),
    ]

    /// A blocker's value that settling moves (a rate-rule or reaction state) made the "blocked"
    /// run the control run; a value that stays (a pipette buffer without dialysis) is the block.
    @Test func aBlockerValueThatSettlingMovesIsRefused() throws {
        do {
            try PreparedSynapseRun.checkHeld([("cell_soma_Cl_i", 50)], settled: [("cell_soma_Cl_i", 9.29)], blockers: ["highCl"])
            Issue.record("a blocker value that settling moved from 50 to 9.29 passed")
        } catch {
            #expect("\(error)".contains("highCl: 'cell_soma_Cl_i' was set to 50, but the model's reactions or rate rules move it (9.29 after settling)"), "\(error)")
        }
        try PreparedSynapseRun.checkHeld([("cell_soma_ca_B_tot", 1000)], settled: [("cell_soma_ca_B_tot", 1000)], blockers: ["BAPTA"])
    }

    /// `[solver] jacobian_steps` reaches the runs' integrator options; without it CVODE keeps its own.
    @Test func solverJacobianStepsReachTheIntegrator() throws {
        try Self.variant([("atol = 1e-7 ", "atol = 1e-7\njacobian_steps = 4 ")]) { synapse in
            #expect(synapse.integratorOptions.stepsPerJacobian == 4)
        }
        #expect(try Self.rig().integratorOptions.stepsPerJacobian == nil)
    }

    @Test(arguments: mistakes)
    func mistakesAreReportedWithAHint(_ mistake: Mistake) throws {
        let text = try String(contentsOfFile: Self.rigPath, encoding: .utf8)
        #expect(text.contains(mistake.written))
        let message = Self.readError(text.replacingOccurrences(of: mistake.written, with: mistake.replacement))
        for phrase in mistake.says { #expect(message.contains(phrase), "\(message)") }
    }
}
