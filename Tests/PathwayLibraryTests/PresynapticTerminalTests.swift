import Testing
import Foundation
import KineticsCore

/// The GABAergic terminal of Pathways/cells/gabaergic_terminal.ant: its action-potential waveform
/// clamp (`GabaTerminal`) against the excitable Wang–Buzsáki bouton it was fitted to
/// (`ExcitableGabaTerminal`), both run side by side in one model on the same stimuli. Ca²⁺ entry,
/// release probability and the paired-pulse ratio must stay outputs of the Ca²⁺ channels,
/// residual Ca²⁺ and depletion, and the CB1 hook `ca_gain` must act through the fourth-power
/// release law. Units as in the file: s, mV, pA, pC, µM Ca²⁺.
@Suite struct PresynapticTerminalTests {
    static let pair = """
        import "gabaergic_terminal.ant"
        model *terminal_pair()
          clamp: GabaTerminal(GABA_c, release_gain, ca_gain, I_Ca_extra);
          excitable: ExcitableGabaTerminal(GABA_e, release_gain, ca_gain, I_Ca_extra);
          release_gain = 1; ca_gain = 1; I_Ca_extra = 0;
          q_clamp' = -clamp.I_Ca; q_excitable' = -excitable.I_Ca;   // pC of Ca2+ current entered
          q_clamp = 0; q_excitable = 0;
        end
        """

    /// The first spike's onset (s) and the grid step (s) that puts both onsets on grid points.
    static let onset = 0.001, gridStep = 0.0001

    struct PairedPulse {
        /// Ca²⁺ charge of the first spike above the resting current (pC), release of the first
        /// spike (its Pr), release of the second, the pool left just before the second.
        let charge: Double, first: Double, second: Double, poolBeforeSecond: Double
        var ppr: Double { second / first }
        /// Fraction of the primed vesicles the second spike releases (the first spike meets a full pool).
        var secondFusionFraction: Double { second / poolBeforeSecond }
    }

    /// A spike at `onset` and one `isi` later in both terminals, read 10 ms after the second.
    static func pairedPulses(isi: Double, overrides: [(name: String, value: Double)] = []) throws -> (clamp: PairedPulse, excitable: PairedPulse) {
        let probe = try Probe(pair)
        let end = onset + isi + 0.01
        let count = Int((end / gridStep).rounded()) + 1
        let names = ["clamp", "excitable"]
        let columns = names.flatMap { ["\($0)_released", "\($0)_b_R", "\($0)_I_Ca", "q_\($0)"] }
        let spikes = names.flatMap { [("\($0)_t_spike", onset), ("\($0)_isi", isi)] }
        let run = try probe.trajectory(tEnd: end, points: count, columns: columns, overrides: spikes + overrides)
        let i1 = Int((onset / gridStep).rounded()), i2 = Int(((onset + isi) / gridStep).rounded())
        #expect(abs(run.times[i1] - onset) < 1e-12 && abs(run.times[i2] - onset - isi) < 1e-12)
        let pulses = try names.map { name in
            let released = try #require(run.series("\(name)_released")), pool = try #require(run.series("\(name)_b_R"))
            let current = try #require(run.series("\(name)_I_Ca")), charge = try #require(run.series("q_\(name)"))
            let rest = -current[0] * (run.times[i2] - run.times[i1])
            return PairedPulse(charge: charge[i2] - charge[i1] - rest, first: released[i2] - released[i1],
                               second: released[run.rowCount - 1] - released[i2], poolBeforeSecond: pool[i2])
        }
        return (pulses[0], pulses[1])
    }

    /// The clamp replays the excitable bouton's spike: the fitted waveform repolarises within
    /// 1.5 mV of it, where the Ca²⁺ current flows, and peaks 3 mV higher. Ca²⁺ charge and release
    /// probability agree to 2 % (measured: 0.1 % and 0.5 %): a Pr shift that size is a
    /// twenty-fifth of the 0.4–0.9 range the IPSC example asserts (CellPhysiologyTests).
    @Test func clampedSpikeCarriesTheExcitableBoutonsCalciumAndRelease() throws {
        let (clamp, excitable) = try Self.pairedPulses(isi: 0.05)
        #expect(abs(clamp.charge / excitable.charge - 1) < 0.02, "Ca2+ charge \(clamp.charge) vs \(excitable.charge) pC")
        #expect(abs(clamp.first / excitable.first - 1) < 0.02, "Pr \(clamp.first) vs \(excitable.first)")
        #expect(excitable.charge > 0.005 && excitable.charge < 0.02, "charge \(excitable.charge) pC")
    }

    /// Paired pulses at 20, 50 and 100 ms depress because the first spike empties part of the
    /// pool: the second spike releases nearly the first spike's fraction of what is left (within
    /// 10 %; measured −8 % at 20 ms, −5 % at 100 ms, because the Ca²⁺ left by the first spike adds
    /// to the site but lowers the Nernst driving force of the second more), so the ratio follows
    /// the pool. Residual Ca²⁺ speeds refilling (Dittman et al.'s
    /// Ca²⁺-dependent rate): the pool recovers more than twice what the resting rate k0 = 2 /s
    /// alone would give. The clamp's PPR stays within 0.01 of the excitable bouton's (the 2 % Pr
    /// agreement above carried through both spikes: 0.02 × 0.5; measured ≤ 0.003).
    @Test(arguments: [0.02, 0.05, 0.1])
    func pairedPulseRatioComesFromDepletionAndResidualCalcium(isi: Double) throws {
        let (clamp, excitable) = try Self.pairedPulses(isi: isi)
        #expect(clamp.ppr < 1, "PPR \(clamp.ppr) at \(isi * 1000) ms")
        #expect(abs(clamp.ppr - excitable.ppr) < 0.01, "PPR \(clamp.ppr) vs excitable \(excitable.ppr) at \(isi * 1000) ms")
        #expect(abs(clamp.secondFusionFraction / clamp.first - 1) < 0.1,
                "fusion fraction \(clamp.secondFusionFraction) of the pool left vs \(clamp.first) of a full one")
        let recovered = (clamp.poolBeforeSecond - (1 - clamp.first)) / clamp.first
        let restingRefill = 1 - exp(-2 * isi)
        #expect(recovered > 2 * restingRefill, "pool recovered \(recovered) in \(isi * 1000) ms vs \(restingRefill) at k0")
    }

    @Test func pairedPulseRatioRecoversWithTheInterval() throws {
        let ratios = try [0.02, 0.05, 0.1].map { try Self.pairedPulses(isi: $0).clamp.ppr }
        #expect(ratios[0] < ratios[1] && ratios[1] < ratios[2], "PPR at 20/50/100 ms: \(ratios)")
    }

    /// Far below the sensor's half-activation (K_D = 20 µM), release grows as the fourth power of
    /// nanodomain Ca²⁺, which follows the channel current and so `ca_gain`. At gains 0.2 and 0.3 the
    /// site sees 3.5–5 µM, so (Ca/K_D)⁴ < 0.004 leaves saturation out. Two things lower the slope
    /// below 4: resting Ca²⁺ (0.08 µM, 2 % of the site's peak, −0.1) and the Nernst driving force,
    /// which falls as bulk Ca²⁺ rises during the spike, more at the higher gain (a few percent of
    /// ~140 mV, −0.2 to −0.4). Measured 3.66; the test asks for [3.4, 4.0], which a third-power
    /// law would fail. Near the control gain the sensor saturates and depletion caps release, so
    /// CB1's 0.7 lowers Pr by less than 0.7⁴ but still lowers it.
    @Test func calciumChannelGainActsThroughTheFourthPowerLaw() throws {
        func pr(_ gain: Double) throws -> Double {
            try Self.pairedPulses(isi: 0.05, overrides: [("ca_gain", gain)]).clamp.first
        }
        let low = try pr(0.2), high = try pr(0.3)
        let slope = log(high / low) / log(1.5)
        #expect(slope > 3.4 && slope < 4.0, "log-log slope \(slope) (Pr \(low) at 0.2, \(high) at 0.3)")
        let control = try pr(1), cb1 = try pr(0.7)
        #expect(cb1 < control && cb1 > pow(0.7, 4) * control, "Pr \(control) -> \(cb1) at ca_gain 0.7")
    }

    /// The clamp fires all or none: a pulse below the excitable bouton's threshold (2.5 pA for
    /// 0.5 ms) releases nothing; any pulse at or above 3 pA gives the same spike, so the same Pr.
    @Test func clampedSpikeIsAllOrNone() throws {
        func pr(_ amplitude: Double) throws -> Double {
            try Self.pairedPulses(isi: 0.05, overrides: [("clamp_I_amp", amplitude)]).clamp.first
        }
        let below = try pr(2.5), at = try pr(3), strong = try pr(20)
        #expect(below < 1e-6, "released \(below) by a 2.5-pA pulse")
        #expect(abs(at - strong) < 1e-6 * strong, "Pr \(at) at 3 pA vs \(strong) at 20 pA")
    }
}
