import Testing
import Foundation
import ModelCompiler
import PathwayModel
import Simulation
import KineticsCore
import CVODEIntegration
import PathwayTestSupport

/// The model library asks of a postsynaptic persistence store that (a) its UP state survives for hours at
/// the resting Ca²⁺ of 40–80 nM and (b) a sub-threshold residue an induction leaves returns to
/// DOWN within ~20 min, as CaMKII activity does in spines. These tests measure both on the two
/// CaMKII/PP1 schemes the library ships (Pathways/README.md, "A store that holds UP at rest and
/// forgets a residue").
///
/// The measures, each from a run of the standalone switch at a clamped Ca²⁺:
/// - UP holds: from every subunit phosphorylated, f_P after 4 h is at least 0.5 and moved by
///   less than 0.01 over the last hour (a state still sliding away fails; a settled UP branch
///   moves by < 1e-3 in the runs of the README);
/// - DOWN holds: from none phosphorylated, f_P after 4 h is below 0.05;
/// - a residue is forgotten: from 5 % of the subunits phosphorylated (one holoenzyme in twenty
///   fully, the state least favourable to forgetting), f_P after 20 min is below 0.01.
/// The thresholds sit far from the values the runs give on either side (README table): they
/// classify, they are not fitted.
@Suite struct ResidueForgettingTests {
    struct Verdict { var upHolds: Bool; var downHolds: Bool; var forgets: Bool }

    static let zhabotinskyStates = (0...10).map { "sw_H\($0)" }

    /// Zhabotinsky's scheme (camkii_pp1_switch.ant) at Ca²⁺ `ca` with the fraction of subunits
    /// bearing Ca²⁺/CaM at 50 nM set to `f50` (through K_H1; F keeps its fourth power of Ca²⁺, as
    /// calmodulin's four Ca²⁺ give it at rest) and PP1 `pp1` µM, all of it free (k3 = 0: no
    /// inhibitor-1 holds it back, the most a phosphatase can do).
    static func zhabotinsky(_ model: CompiledModel, ca: Double, f50: Double, pp1: Double) throws -> Verdict {
        let kH1 = 0.05 / pow(f50 / (1 - f50), 0.25)
        let settings: [(name: String, value: Double)] = [("Ca", ca), ("sw_K_H1", kH1), ("sw_k3", 0),
                                                        ("sw_PP1_total", pp1), ("sw_PP1", pp1), ("sw_PP1_I1P", 0)]
        func start(_ full: Double) -> [(name: String, value: Double)] {
            zhabotinskyStates.map { (name: $0, value: $0 == "sw_H0" ? 20 - full : ($0 == "sw_H10" ? full : 0)) }
        }
        func f(from full: Double, for seconds: Double, points: Int) throws -> [Double] {
            let request = SimulationRequest(grid: TimeGrid(end: seconds, count: points), columns: ["sw_f_P"],
                                            overrides: settings + start(full),
                                            options: IntegratorOptions(relativeTolerance: 1e-8, absoluteTolerance: 1e-12))
            let r = try Simulator(model: model).run(request)
            #expect(r.failure == nil, "\(String(describing: r.failure))")
            return r.column("sw_f_P")
        }
        let up = try f(from: 20, for: 4 * 3600, points: 5)
        let down = try f(from: 0, for: 4 * 3600, points: 2)
        let residue = try f(from: 1, for: 1200, points: 2)
        return Verdict(upHolds: up[4] >= 0.5 && abs(up[4] - up[3]) < 0.01, downHolds: down[1] < 0.05,
                       forgets: residue[1] < 0.01)
    }

    /// With calmodulin's measured affinities the switch can hold UP or forget, not both; given a
    /// resting Ca²⁺/CaM ~1,000 times larger it can do both at one Ca²⁺, but no PP1 level does it
    /// over the whole 40–80 nM, because F grows 16-fold over that range.
    ///
    /// 1. At the resting fraction of CalmodulinDecoder (2.48e-6 at 50 nM: Pepke et al. 2010's
    ///    lobe constants, 10 µM of calmodulin, Ca²⁺/CaM–CaMKII Kd 50 nM; the Hill form with
    ///    K_H1 1.26 µM matches the decoder's 1.02e-6 and 1.62e-5 at 40 and 80 nM to 1 %), no PP1
    ///    from 1e-4 to 0.1 µM gives an UP that holds and a residue that is forgotten at 50 nM:
    ///    PP1 is saturated, so UP and residue both lose phosphate at k2·PP1 µM/s, and
    ///    autophosphorylation at F 2.5e-6 makes up none of it.
    /// 2. The criterion can be met: at F 4e-3 and PP1 0.01 µM all three hold at 50 nM (UP 0.947,
    ///    DOWN 2e-4, residue 1.8e-4 after 20 min in the README's scan), so the test below is not
    ///    vacuous.
    /// 3. The issue's requirement: some F scale and PP1 for which all three hold at 40 and at
    ///    80 nM. None of F (at 50 nM) 2.48e-6 … 0.01 with PP1 1e-4 … 0.1 µM does (the window of F
    ///    at one PP1 spans 3–5 fold, against the 16 of F(80 nM)/F(40 nM)): a known issue, which
    ///    fails once a scheme passes it.
    @Test func zhabotinskySchemeCannotHoldAndForgetAcrossRest() throws {
        let model = try ModelCompiler.compile(try Library.load("camkii_pp1_switch.ant"))
        let phosphatase: [Double] = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1]
        for pp1 in phosphatase {
            let v = try Self.zhabotinsky(model, ca: 0.05, f50: 2.48e-6, pp1: pp1)
            #expect(!(v.upHolds && v.forgets), "decoder's F, PP1 \(pp1) uM: UP holds and the residue is forgotten")
        }
        let reachable = try Self.zhabotinsky(model, ca: 0.05, f50: 4e-3, pp1: 1e-2)
        #expect(reachable.upHolds && reachable.downHolds && reachable.forgets, "F 4e-3, PP1 0.01 uM at 50 nM: \(reachable)")
        var passing: [String] = []
        for f50 in [2.48e-6, 1e-4, 1e-3, 3e-3, 1e-2] {
            for pp1 in phosphatase {
                let low = try Self.zhabotinsky(model, ca: 0.04, f50: f50, pp1: pp1)
                guard low.upHolds && low.downHolds && low.forgets else { continue }
                let high = try Self.zhabotinsky(model, ca: 0.08, f50: f50, pp1: pp1)
                if high.upHolds && high.downHolds && high.forgets { passing.append("F50 \(f50), PP1 \(pp1)") }
            }
        }
        withKnownIssue("Zhabotinsky's scheme: no F scale and PP1 hold UP, keep DOWN and forget at both 40 and 80 nM") {
            #expect(!passing.isEmpty, "no F scale and PP1 passes at 40 and 80 nM")
        }
    }

    /// Graupner & Brunel's scheme (camkii_pp1_bidirectional.ant) meets (a) and (b) at its own
    /// resting 0.1 µM: from every ring phosphorylated it settles at f_P 0.756 and stays there
    /// (to 1e-3 between 1 and 4 h), while 5 % of the rings fully phosphorylated fall below 1 %
    /// within 10 min (7.3e-4 after 200 s). It can because a subunit there bears Ca²⁺/CaM with
    /// probability γ = 0.04 at 0.1 µM (its calmodulin constants; CalmodulinDecoder gives ~4e-5
    /// there), so autophosphorylation rebuilds UP at k7·γ = 0.24 /s per subunit against PP1's
    /// 7 µM/s. (Its range does not reach 40–80 nM: BidirectionalCaMKIIPP1SwitchTests.)
    @Test func graupnerBrunelHoldsAndForgetsAtItsOwnRest() throws {
        let pathway = try Library.load("camkii_pp1_bidirectional.ant")
        let rings = BidirectionalCaMKIIPP1SwitchTests.species.prefix(14)
        func run(_ start: [(name: String, value: Double)], for seconds: Double, points: Int) throws -> [Double] {
            let r = try Library.run(pathway, tEnd: seconds, points: points, rtol: 1e-8, atol: 1e-12, columns: ["sw_f_P"],
                                    overrides: [(name: "Ca", value: 0.1)] + start)
            #expect(r.failure == nil, "\(String(describing: r.failure))")
            return r.column("sw_f_P")
        }
        let up = try run(BidirectionalCaMKIIPP1SwitchTests.allPhosphorylated, for: 4 * 3600, points: 5)
        #expect(up[4] > 0.7 && abs(up[4] - up[1]) < 1e-3, "UP at 0.1 uM: \(up)")
        let residue: [(name: String, value: Double)] = rings.map {
            (name: $0, value: $0 == "sw_B0" ? 31.635 : ($0 == "sw_B13" ? 1.665 : 0))
        }
        let forgotten = try run(residue, for: 600, points: 2)
        #expect(forgotten[1] < 0.01, "5 % of the rings fully phosphorylated, 10 min at 0.1 uM: f_P \(forgotten)")
    }
}
