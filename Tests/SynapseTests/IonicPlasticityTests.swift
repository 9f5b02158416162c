import Testing
import Foundation
import KineticsCore
import InductionProtocols
import SynapseModel
import SynapseSimulation
import PathwayTestSupport

/// Ionic plasticity of Woodin, Ganguly & Poo 2003 (Neuron 39:807) on the rig synapse
/// Pathways/synapses/cortical_pyramidal: a GABAergic terminal onto a regular-spiking pyramidal
/// cell in gramicidin-perforated patch, whose KCC2 is lowered by an L-type-nanodomain
/// Ca²⁺/calmodulin enzyme acting while the paired GABA-A receptors are open
/// (Pathways/cells/kcc2_regulation.ant), paired by Pathways/protocols/woodin_pairing.toml.
/// Units as in the files: s, mV, pA, mM Cl⁻, µM Ca²⁺ and BAPTA, nS.
///
/// The terminal's spikes dominate the cost, so the runs thin the test stimuli to one every 300 s
/// (the pairing itself keeps its 150 pairs); each pairing run takes about 15 s CPU in a debug build.
@Suite struct IonicPlasticityTests {
    /// The paper's mean depolarising shift of E_GABA after pairing within ±20 ms and its SEM (mV).
    /// Not verified: the paper's text could not be read in this work (searched: its abstract,
    /// reviews citing it, digitised figures), so these are recalled values for its culture pairing
    /// data (about +10 ± 2 mV, Fig. 1–2 as recalled); Pathways/cells/README.md says how to update
    /// them and refit kcc2.k_loss, the one parameter fitted to them.
    static let paperMeanShift = 10.0
    static let paperSEM = 2.0
    static var requiredShift: Double { paperMeanShift - paperSEM }

    static let root = TestModels.repositoryRoot
    static func synapse() throws -> SynapseDefinition {
        try SynapseReader.read(path: root.appendingPathComponent("Pathways/synapses/cortical_pyramidal.toml").path)
    }
    static func protocolFile(_ name: String) throws -> InductionProtocol {
        try ProtocolReader.read(path: root.appendingPathComponent("Pathways/protocols/\(name).toml").path)
    }

    /// `proto` with one test stimulus every 300 s: the baseline keeps 2, the 20–30-min window 2.
    static func thinned(_ proto: InductionProtocol) -> InductionProtocol {
        var p = proto
        p.testInterval = 300
        return p
    }

    /// The shipped pairing protocol, thinned, with the pairing interval `dt` (s, t_post − t_pre).
    static func pairing(dt: Double) throws -> InductionProtocol {
        var p = thinned(try protocolFile("woodin_pairing"))
        let index = try #require(p.induction.firstIndex { if case .pairing = $0.pattern { true } else { false } })
        guard case .pairing(let pre, let post, _, let pairs, let rate) = p.induction[index].pattern else { throw CancellationError() }
        p.induction[index].pattern = .pairing(pre: pre, post: post, deltaT: dt, pairs: pairs, rate: rate)
        return p
    }

    /// What a run leaves: the summary, the recorded baseline and last test, and the model's
    /// functional KCC2 fraction and peak GABA-A conductance (g_max·r, nS) at the first and last test.
    struct Outcome {
        let summary: PlasticitySummary
        let first: RecordedResponse, last: RecordedResponse
        let kcc2: Double
        let gFirst: Double, gLast: Double
        var shift: Double { summary.eGABAShift ?? .nan }
    }

    static func run(_ proto: InductionProtocol, blockers: [String] = []) throws -> Outcome {
        let synapse = try synapse()
        let result = try SynapseRunner.run(SynapseRunRequest(synapse: synapse, model: try synapse.loadModel(), protocolDefinition: proto,
                                                             blockers: blockers))
        #expect(result.failure == nil, "\(result.failure.map(String.init(describing:)) ?? "")")
        let t = result.trajectory
        let first = try #require(result.readouts.first), last = try #require(result.readouts.last)
        let r = try #require(t.series("cell_soma_gabaa_r")), a = try #require(t.series("kcc2_a"))
        let gMax = try #require(t.series("cell_soma_gabaa_g_max"))
        // The GABA-A conductance's peak in the 20 ms after a test spike at `time`.
        func peak(after time: Double) -> Double {
            t.times.indices.filter { t.times[$0] > time && t.times[$0] < time + 0.02 }.map { gMax[$0] * r[$0] }.max() ?? .nan
        }
        let end = try #require(t.times.lastIndex { $0 <= last.time })
        return Outcome(summary: try #require(result.summary), first: try #require(first.recorded), last: try #require(last.recorded),
                       kcc2: a[end], gFirst: peak(after: first.time), gLast: peak(after: last.time))
    }

    // MARK: - Closed forms of the chloride balance (constants of components.ant)

    static let (uKCC2, uNKCC1) = (0.3, 0.1)                       // mM/s
    static let (kI, kO, naI, naO, clO) = (140.0, 2.5, 10.0, 145.0, 130.0)   // mM
    static let (hco3I, hco3O, pHCO3) = (16.0, 26.0, 0.18)
    /// RT/F at the RS cell's 36 °C (mV).
    static let thermalVoltage = 1000 * 8.314462618 * (273.15 + 36) / 96485.33212

    /// Net Cl⁻ uptake (mM/s) at [Cl⁻]ᵢ = `cl` with a fraction `a` of KCC2.
    static func netUptake(_ cl: Double, kcc2 a: Double) -> Double {
        -a * uKCC2 * log(kI * cl / (kO * clO)) + uNKCC1 * log(naO * kO * clO * clO / (naI * kI * cl * cl))
    }

    /// Steady [Cl⁻]ᵢ (uptake falls with Cl⁻, so bisection on 1…130 mM converges to 1e-13 mM).
    static func steadyChloride(kcc2 a: Double) -> Double {
        var (lo, hi) = (1.0, 130.0)
        for _ in 0..<100 {
            let mid = (lo + hi) / 2
            if netUptake(mid, kcc2: a) > 0 { lo = mid } else { hi = mid }
        }
        return lo
    }

    static func eGABA(chloride cl: Double) -> Double {
        thermalVoltage * log((cl + pHCO3 * hco3I) / (clO + pHCO3 * hco3O))
    }

    /// E_GABA lags the slowly recovering KCC2 by the Cl⁻ relaxation time. At the largest shift
    /// (a ≈ 0.46, [Cl⁻]ᵢ ≈ 17 mM) transport relaxes Cl⁻ with τ = Cl/(a·U_KCC2 + 2·U_NKCC1) ≈ 50 s,
    /// KCC2 recovers at k_rec·(1 − a) = 1.5e-4 s⁻¹ and d[Cl⁻]ᵢ/da ≈ −28 mM (closed form), so the
    /// lag is ≈ 0.21 mM, 0.3 mV of E_GABA; the closed forms are checked to 0.5 mV.
    static let lagTolerance = 0.5

    // MARK: - Tests

    @Test func recordingIsPerforatedPatchVoltageClamp() throws {
        let r = try #require(try Self.synapse().recording)
        let values = Dictionary(uniqueKeysWithValues: r.values.map { (r.parameters[$0.setting]!.value, $0.value) })
        #expect(values["cell_soma_el_mode"] == 1 && values["cell_soma_el_V_cmd"] == -90)
        // Gramicidin pores dialyse neither Cl⁻ nor a Ca²⁺ buffer, and the cell keeps its spikes.
        #expect(values["cell_soma_cl_dialysis"] == 0 && values["cell_soma_ca_dialysis"] == 0 && values["cell_soma_ca_B_pip"] == 0)
        #expect(values["cell_ch_spike_gain"] == 1)
        #expect(r.summary == "perforated-patch voltage clamp at -90 mV")
    }

    /// Pairing within ±20 ms (pre before post and post before pre, 150 pairs at 5 Hz) shifts E_GABA
    /// depolarising by at least the paper's mean − SEM 20–30 min later; the shift is the new balance
    /// of the reduced KCC2 with NKCC1 (closed form for the run's own KCC2 fraction); the GABA-A
    /// conductance and release are unchanged (|Δ| < 1 %: nothing in the model acts on them, and the
    /// terminal's pool refills within seconds), so the larger IPSC comes from the driving force alone.
    @Test(arguments: [-0.020, 0.020])
    func coincidentPairingShiftsEGABADepolarising(dt: Double) throws {
        let run = try Self.run(try Self.pairing(dt: dt))
        let s = run.summary
        #expect(run.shift >= Self.requiredShift,
                "Δt = \(dt * 1000) ms: ΔE_GABA \(run.shift) mV, paper \(Self.paperMeanShift) ± \(Self.paperSEM) mV")
        #expect(run.kcc2 < 0.9, "functional KCC2 \(run.kcc2)")
        let balance = Self.eGABA(chloride: Self.steadyChloride(kcc2: run.kcc2))
        #expect(abs(run.last.eGABA - balance) <= Self.lagTolerance, "E_GABA \(run.last.eGABA) mV vs KCC2/NKCC1 balance \(balance) mV")
        #expect(abs(run.gLast / run.gFirst - 1) < 0.01, "peak GABA-A conductance \(run.gFirst) -> \(run.gLast) nS")
        #expect(run.gFirst > 1, "the test spike opens GABA-A (\(run.gFirst) nS)")
        #expect(abs(s.releaseProbabilityChange) < 1 && abs(s.receptorChange) < 1e-9,
                "ΔPr \(s.releaseProbabilityChange) %, Δg_max \(s.receptorChange) %")
        // Inward IPSCs at -90 mV, with at least 20 mV of driving force before pairing; the shift
        // adds to it, so the IPSC grows by the ratio of the driving forces (GHK makes it more).
        #expect(run.first.amplitude < 0 && run.first.membranePotential - run.first.eGABA <= -20,
                "IPSC \(run.first.amplitude) pA at V \(run.first.membranePotential), E_GABA \(run.first.eGABA) mV")
        let drivingRatio = (run.last.membranePotential - run.last.eGABA) / (run.first.membranePotential - run.first.eGABA)
        #expect(s.amplitudeChange >= 100 * (drivingRatio - 1) - 1, "ΔIPSC \(s.amplitudeChange) %, driving force ×\(drivingRatio)")
    }

    /// At 5 Hz, 100 ms apart is as far from coincidence as the protocol gets: the enzyme (τ 20 ms)
    /// and the GABA-A open fraction (τ 20 ms) overlap by ~e⁻⁵, so the shift stays below 10 % of
    /// the smallest coincident shift the paper allows (mean − SEM).
    @Test func pairing100MillisecondsApartLeavesEGABA() throws {
        let run = try Self.run(try Self.pairing(dt: 0.100))
        #expect(abs(run.shift) < 0.1 * Self.requiredShift, "Δt = 100 ms: ΔE_GABA \(run.shift) mV")
    }

    /// Nimodipine (L-type block) or postsynaptic BAPTA (1 mM, which shortens the nanodomain's length
    /// constant to 23 nm) during coincident pairing leaves the shift below 10 % of the paper's
    /// mean − SEM and KCC2 in place.
    @Test(arguments: ["nimodipine", "BAPTA"])
    func blockersAbolishTheShift(_ blocker: String) throws {
        let run = try Self.run(try Self.pairing(dt: 0), blockers: [blocker])
        #expect(abs(run.shift) < 0.1 * Self.requiredShift, "\(blocker): ΔE_GABA \(run.shift) mV")
        #expect(run.kcc2 > 0.99, "\(blocker): functional KCC2 \(run.kcc2)")
    }

    /// Rest, with no blocker and under each (from the baseline after the drug has equilibrated):
    /// no test over the 40 minutes differs from the baseline IPSC by 2 % or more, E_GABA stays, and
    /// it rests at the KCC2/NKCC1 balance (the closed form to 1 µV: nothing else moves Cl⁻ at rest).
    @Test(arguments: [[], ["nimodipine"], ["BAPTA"]])
    func restLeavesTheIPSC(_ blockers: [String]) throws {
        let synapse = try Self.synapse()
        let result = try SynapseRunner.run(SynapseRunRequest(synapse: synapse, model: try synapse.loadModel(),
                                                             protocolDefinition: Self.thinned(try Self.protocolFile("rest")), blockers: blockers))
        #expect(result.failure == nil)
        let s = try #require(result.summary)
        for r in result.readouts { #expect(abs(r.normalisedAmplitude - 100) < 2, "\(blockers) at \(r.time) s: \(r.normalisedAmplitude) %") }
        #expect(abs(try #require(s.eGABAShift)) < 0.05, "\(blockers): ΔE_GABA \(s.eGABAShift ?? .nan) mV")
        let first = try #require(result.readouts.first?.recorded)
        #expect(abs(first.eGABA - Self.eGABA(chloride: Self.steadyChloride(kcc2: 1))) < 1e-3, "resting E_GABA \(first.eGABA) mV")
        #expect(result.readouts.count == 2 + 7)
    }

    /// Weak stimuli of the inhibitory afferent: a single pulse and 5 pulses at 1 Hz leave
    /// |ΔIPSC| < 5 % at 20–30 min (the synapse declares no other afferent).
    @Test(arguments: [1, 5])
    func weakStimuliLeaveTheIPSC(pulses: Int) throws {
        var proto = Self.thinned(try Self.protocolFile("weak_1hz"))
        proto.induction[0].pattern = .train(rate: 1, count: pulses, repeats: 1, repeatInterval: 0)
        let s = try Self.run(proto).summary
        #expect(abs(s.amplitudeChange) < 5, "\(pulses) pulse(s): ΔIPSC \(s.amplitudeChange) %")
    }

    /// The protocol's clamp switch: in current clamp each postsynaptic pulse fires one spike (the
    /// cell crosses 0 mV once per pulse), and away from the step and the test IPSCs the voltage clamp
    /// holds the cell within 1 mV of -90 mV (the series-resistance drop of the ~50 pA holding
    /// current is 0.5 mV).
    @Test func currentClampStepLetsThePostsynapticPulsesFire() throws {
        // 5 s of baseline (one test at 0 s), the step from 5 to 6.5 s with 5 pairings from 5.5 s,
        // and 5 s of follow-up from 10 s.
        var proto = try Self.protocolFile("woodin_pairing")
        proto.testInterval = 5
        proto.baselineDuration = 5
        proto.followUpDuration = 5
        proto.analysisWindow = 0...5
        proto.induction[0].pattern = .step(duration: 1.5, repeats: 1, repeatInterval: 0)
        let index = try #require(proto.induction.firstIndex { if case .pairing = $0.pattern { true } else { false } })
        proto.induction[index].pattern = .pairing(pre: "inhibitory_afferent", post: "postsynaptic_spike", deltaT: 0, pairs: 5, rate: 5)
        let synapse = try Self.synapse()
        var request = SynapseRunRequest(synapse: synapse, model: try synapse.loadModel(), protocolDefinition: proto)
        request.outputStep = 2e-4   // resolves a spike (about 1 ms above 0 mV)
        let result = try SynapseRunner.run(request)
        #expect(result.failure == nil)
        let t = result.trajectory, v = try #require(t.series("cell_V"))
        let crossings = (1..<v.count).filter { v[$0 - 1] < 0 && v[$0] >= 0 }.map { t.times[$0] }
        #expect(crossings.count == 5 && crossings.allSatisfy { $0 > 5.5 && $0 < 6.4 }, "spikes at \(crossings) s")
        let clamped = t.times.indices.filter { (t.times[$0] > 1 && t.times[$0] < 5) || (t.times[$0] > 7 && t.times[$0] < 10) }
        let worst = clamped.map { abs(v[$0] + 90) }.max() ?? .nan
        #expect(worst < 1, "V strays \(worst) mV from the -90 mV command")
    }
}
