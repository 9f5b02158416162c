import Testing
import Foundation
import KineticsCore
import CVODEIntegration
import Simulation

/// Ionic plasticity of Woodin, Ganguly & Poo 2003 (Neuron 39:807) in
/// Pathways/cells/woodin_pairing_example.ant: a GABAergic terminal paired with a regular-spiking
/// pyramidal cell in gramicidin-perforated patch, whose KCC2 is lowered by an L-type-nanodomain
/// Ca²⁺/calmodulin enzyme acting while the paired GABA-A receptors are open
/// (Pathways/cells/kcc2_regulation.ant). E_GABA is read from the cell's own [Cl⁻]ᵢ by GHK.
/// Units as in the files: s, mV, mM Cl⁻, µM Ca²⁺ and BAPTA, nS.
@Suite struct IonicPlasticityTests {
    /// The paper's mean depolarising shift of E_GABA after pairing within ±20 ms and its SEM (mV).
    /// Not re-read in this work: the paper could not be retrieved, so these are the values recalled
    /// for its culture pairing data (about +10 ± 2 mV); README says how to update them and refit
    /// kcc2.k_loss, the one parameter fitted to them.
    static let paperMeanShift = 10.0
    static let paperSEM = 2.0
    static var requiredShift: Double { paperMeanShift - paperSEM }

    /// Pairing runs from 10 s to 40 s (150 pairs at 5 Hz); E_GABA is read 20 min later.
    static let end = 1240.0
    static let testSpikes = (before: 5.0, after: 1230.0)

    /// What a pairing run leaves: E_GABA and [Cl⁻]ᵢ before pairing and at the end, the functional
    /// KCC2 fraction at the end, and the test IPSC's peak conductance and released fraction before
    /// and after.
    struct Outcome {
        let eBefore: Double, eAfter: Double, clAfter: Double, kcc2: Double
        let gBefore: Double, gAfter: Double, releasedBefore: Double, releasedAfter: Double
        var shift: Double { eAfter - eBefore }
    }

    /// Output times: the start, 30 ms at 0.1 ms after each test spike (the IPSC peaks within
    /// ~3 ms), a point just before each, and the end.
    static let grid: TimeGrid = {
        func window(_ t: Double) -> [Double] { [t - 0.001] + (0...300).map { t + Double($0) * 1e-4 } }
        return TimeGrid(times: [0] + window(testSpikes.before) + window(testSpikes.after) + [end])
    }()

    static let columns = ["cell_soma_gabaa_E_GABA", "cell_soma_Cl_i", "kcc2_a", "cell_soma_gabaa_g", "pre_released"]

    /// Runs the example with the paper's pairing at `dt` (s, t_post − t_pre) plus `overrides`.
    /// rtol 1e-6: E_GABA at the end agrees with an rtol 1e-8 run to 1e-4 mV, far inside every
    /// bound below, at 70 % of the cost (the spikes dominate it).
    static func pair(dt: Double, _ overrides: [(name: String, value: Double)] = []) throws -> Outcome {
        let example = try Probe(file: "woodin_pairing_example.ant")
        let result = try example.simulator.run(SimulationRequest(
            grid: grid, columns: columns,
            overrides: [("t_start", 10), ("dt_pair", dt), ("pre_t_spike", testSpikes.before), ("pre_isi", testSpikes.after - testSpikes.before)] + overrides,
            options: IntegratorOptions(relativeTolerance: 1e-6, absoluteTolerance: 1e-10, maximumSteps: 1_000_000)))
        #expect(result.failure == nil, "\(result.failure.map(String.init(describing:)) ?? "")")
        let run = result.trajectory
        let e = try #require(run.series("cell_soma_gabaa_E_GABA")), cl = try #require(run.series("cell_soma_Cl_i"))
        let a = try #require(run.series("kcc2_a")), g = try #require(run.series("cell_soma_gabaa_g"))
        let released = try #require(run.series("pre_released"))
        // Rows: 0 the start; 1 before test 1; 2...302 after it; 303 before test 2; 304...604 after; 605 the end.
        let first = 2...302, second = 304...604
        return Outcome(eBefore: e[0], eAfter: e[605], clAfter: cl[605], kcc2: a[605],
                       gBefore: first.map { g[$0] }.max()!, gAfter: second.map { g[$0] }.max()!,
                       releasedBefore: released[302] - released[1], releasedAfter: released[604] - released[303])
    }

    // MARK: - Closed forms of the chloride balance (constants of components.ant)

    static let (uKCC2, uNKCC1) = (0.3, 0.1)                       // mM/s
    static let (kI, kO, naI, naO, clO) = (140.0, 2.5, 10.0, 145.0, 130.0)   // mM
    static let (hco3I, hco3O, pHCO3) = (16.0, 26.0, 0.18)
    /// RT/F at the RS cell's 36 °C (mV).
    static let thermalVoltage = 1000 * 8.314462618 * (273.15 + 36) / 96485.33212

    /// Net Cl⁻ uptake (mM/s) at [Cl⁻]ᵢ = `cl` with a fraction `a` of KCC2 and, in whole-cell, dialysis
    /// towards `pipette` with time constant `tau` (s).
    static func netUptake(_ cl: Double, kcc2 a: Double, pipette: Double? = nil, tau: Double = 30) -> Double {
        let transport = -a * uKCC2 * log(kI * cl / (kO * clO)) + uNKCC1 * log(naO * kO * clO * clO / (naI * kI * cl * cl))
        return transport + (pipette.map { ($0 - cl) / tau } ?? 0)
    }

    /// Steady [Cl⁻]ᵢ (uptake falls with Cl⁻, so bisection on 1…130 mM converges to 1e-13 mM).
    static func steadyChloride(kcc2 a: Double, pipette: Double? = nil) -> Double {
        var (lo, hi) = (1.0, 130.0)
        for _ in 0..<100 {
            let mid = (lo + hi) / 2
            if netUptake(mid, kcc2: a, pipette: pipette) > 0 { lo = mid } else { hi = mid }
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

    /// The enzyme's sensor sees the steady single-channel nanodomain C(r) = i/(8πFDr)·exp(−r/λ),
    /// λ = √(D/(k_on·B + k_B,endo)) (Neher 1986; Naraghi & Neher 1997), with the file's constants:
    /// one open channel at 0 mV (i = 1.5 pS × −130 mV) gives 6.6 µM at 50 nm; 1 mM free BAPTA
    /// (λ = 23 nm) cuts it 7.6-fold and the cooperative (n = 4) sensor's activation over 1000-fold.
    /// File and test evaluate the same closed form, so they agree to rounding (1e-12 relative).
    @Test func sensorSeesTheSingleChannelNanodomain() throws {
        let regulation = try Probe(file: "kcc2_regulation.ant")
        func domain(bapta: Double) -> Double {
            let i = 0.0015 * (0 - 130.0)
            return -i * 1e12 / (8 * Double.pi * 96485.33212 * 220 * 50) * exp(-50.0 / 1000 * ((400 * bapta + 1000) / 220).squareRoot())
        }
        let free = try regulation.values(["k_Ca_s", "k_hill"], overrides: [("V", 0), ("B_free", 0)])
        let buffered = try regulation.values(["k_Ca_s", "k_hill"], overrides: [("V", 0), ("B_free", 1000)])
        #expect(abs(free[0] - domain(bapta: 0)) <= 1e-12 * domain(bapta: 0), "C(50 nm) \(free[0]) uM")
        #expect(abs(buffered[0] - domain(bapta: 1000)) <= 1e-12 * domain(bapta: 1000), "C(50 nm), 1 mM BAPTA \(buffered[0]) uM")
        #expect(free[0] > 6 && free[0] < 7)
        #expect(buffered[1] < 1e-3 * free[1], "sensor activation \(free[1]) -> \(buffered[1]) with BAPTA")
    }

    /// Pairing within ±20 ms (pre before post and post before pre, 150 pairs at 5 Hz) shifts E_GABA
    /// depolarising by at least the paper's mean − SEM, 20 min later; the shift is the new balance
    /// of the reduced KCC2 with NKCC1 (closed form for the run's own KCC2 fraction); the test IPSC's
    /// peak conductance and release are unchanged (|Δ| < 1 %: nothing in the model acts on them,
    /// and the terminal's pool refills within seconds).
    @Test(arguments: [-0.020, 0.020])
    func coincidentPairingShiftsEGABADepolarising(dt: Double) throws {
        let run = try Self.pair(dt: dt)
        #expect(run.shift >= Self.requiredShift,
                "Δt = \(dt * 1000) ms: ΔE_GABA \(run.shift) mV, paper \(Self.paperMeanShift) ± \(Self.paperSEM) mV")
        #expect(run.kcc2 < 0.9, "functional KCC2 \(run.kcc2)")
        let balance = Self.eGABA(chloride: Self.steadyChloride(kcc2: run.kcc2))
        #expect(abs(run.eAfter - balance) <= Self.lagTolerance, "E_GABA \(run.eAfter) mV vs KCC2/NKCC1 balance \(balance) mV")
        #expect(abs(run.gAfter - run.gBefore) <= 0.01 * run.gBefore, "test IPSC g \(run.gBefore) -> \(run.gAfter) nS")
        #expect(abs(run.releasedAfter - run.releasedBefore) <= 0.01 * run.releasedBefore,
                "released per test spike \(run.releasedBefore) -> \(run.releasedAfter)")
        #expect(run.releasedBefore > 0.3 && run.gBefore > 1, "the test spike releases (\(run.releasedBefore)) and opens GABA-A (\(run.gBefore) nS)")
    }

    /// At 5 Hz, 100 ms apart is as far from coincidence as the protocol gets: the enzyme (τ 20 ms)
    /// and the GABA-A open fraction (τ 20 ms) overlap by ~e⁻⁵, so the shift stays below 10 % of
    /// the smallest coincident shift the paper allows (mean − SEM).
    @Test func pairing100MillisecondsApartLeavesEGABA() throws {
        let run = try Self.pair(dt: 0.100)
        #expect(abs(run.shift) < 0.1 * Self.requiredShift, "Δt = 100 ms: ΔE_GABA \(run.shift) mV")
    }

    struct Blocker: CustomTestStringConvertible, Sendable {
        let name: String
        let overrides: [Override]
        var testDescription: String { name }
    }
    struct Override: Sendable { let name: String, value: Double }

    /// Nimodipine at a saturating dose is L-type block (`cal.gain = 0`); BAPTA-AM loads the cytosol
    /// with 1 mM BAPTA (assumption), started at its equilibrium with resting Ca²⁺ (Kd 0.22 µM:
    /// 1000·0.05/0.27 µM bound), which shortens the nanodomain's length constant to 23 nm.
    static let blockers = [
        Blocker(name: "L-type block", overrides: [Override(name: "cell_soma_cal_gain", value: 0)]),
        Blocker(name: "postsynaptic BAPTA", overrides: [Override(name: "cell_soma_ca_B_tot", value: 1000),
                                                        Override(name: "cell_soma_ca_CaB", value: 1000 * 0.05 / (0.05 + 0.22))]),
    ]

    /// Either blocker during coincident pairing (Δt = 0) leaves the shift below 10 % of the
    /// paper's mean − SEM.
    @Test(arguments: blockers)
    func blockersAbolishTheShift(_ blocker: Blocker) throws {
        let run = try Self.pair(dt: 0, blocker.overrides.map { ($0.name, $0.value) })
        #expect(abs(run.shift) < 0.1 * Self.requiredShift, "\(blocker.name): ΔE_GABA \(run.shift) mV")
        #expect(run.kcc2 > 0.99, "\(blocker.name): functional KCC2 \(run.kcc2)")
    }

    /// Without pairing (the test spikes only) E_GABA moves by less than 0.5 mV over the protocol,
    /// and rests at the KCC2/NKCC1 balance.
    @Test func restLeavesEGABA() throws {
        let run = try Self.pair(dt: 0, [("pairs", 0)])
        #expect(abs(run.shift) < 0.5, "rest: ΔE_GABA \(run.shift) mV")
        #expect(abs(run.eBefore - Self.eGABA(chloride: Self.steadyChloride(kcc2: 1))) <= 1e-3)
    }

    /// Whole-cell, the pipette (10 mM Cl⁻, τ 30 s) holds [Cl⁻]ᵢ against the same KCC2 loss: the
    /// end state is the closed-form balance of transport and dialysis for the run's KCC2 fraction,
    /// and its shift (from the whole-cell baseline) is below 60 % of the perforated-patch shift
    /// the same KCC2 loss gives. Linearised, the pipette keeps G_d/(G_d + G_t) of a shift, with
    /// G_d = 1/30 s⁻¹ and G_t = (a·U_KCC2 + 2·U_NKCC1)/[Cl⁻]ᵢ ≈ 0.03 s⁻¹ here, so about half.
    @Test func wholeCellDialysisHoldsChlorideAgainstTheShift() throws {
        let run = try Self.pair(dt: 0, [("cell_soma_cl_dialysis", 1), ("cell_soma_cl_Cl_pip", 10)])
        let dialysed = Self.eGABA(chloride: Self.steadyChloride(kcc2: run.kcc2, pipette: 10))
        #expect(abs(run.eAfter - dialysed) <= Self.lagTolerance, "whole-cell E_GABA \(run.eAfter) mV vs balance \(dialysed) mV")
        #expect(run.kcc2 < 0.9, "the pairing still removes KCC2 (\(run.kcc2))")
        let baseline = Self.eGABA(chloride: Self.steadyChloride(kcc2: 1, pipette: 10))
        let perforated = Self.eGABA(chloride: Self.steadyChloride(kcc2: run.kcc2)) - Self.eGABA(chloride: Self.steadyChloride(kcc2: 1))
        let wholeCell = run.eAfter - baseline
        #expect(wholeCell < 0.6 * perforated, "whole-cell ΔE_GABA \(wholeCell) mV vs perforated \(perforated) mV")
    }
}
