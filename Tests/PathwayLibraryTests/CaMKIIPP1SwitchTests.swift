import Testing
import Foundation
import ModelCompiler
import SteadyState
import PathwayModel
import Simulation
import PathwayTestSupport

/// Pathways/camkii_pp1_switch.ant: the CaMKII/PP1 switch of Zhabotinsky 2000 (Biophys J 79:2211),
/// with its PP1 total set so that its bistable range contains the resting Ca²⁺ of CA1 pyramidal
/// cells (32–59 nM, Maravall et al. 2000).
@Suite struct CaMKIIPP1SwitchTests {
    let file = "camkii_pp1_switch.ant"
    /// All holoenzymes with every subunit phosphorylated.
    let up: [(name: String, value: Double)] = [("sw_H0", 0), ("sw_H10", 20)]
    /// A quarter of the subunits phosphorylated: between the two stable states, near the saddle.
    let between: [(name: String, value: Double)] = [("sw_H0", 15), ("sw_H5", 5)]

    /// The switch's steady states at a clamped Ca²⁺ c, from the scheme's closed form. With the
    /// per-subunit PP1 rate r and x = 1/r, the chain of phosphorylation states balances step by
    /// step: H_j = H_0·g_j·x^j with g_0 = 1, g_{j+1} = g_j·f_j/(j + 1), f_0 = 10·k1·F², f_j =
    /// k1·F·w_j. Phospho-inhibitor-1 and PP1 balance at I = ν_PKA·I0/(ν_CaN·f_CaN) and
    /// PP1 = k4·PP1_total/(k3·I + k4). So x solves x·k2·PP1 = K_M + P_A(x), with P_A(x) =
    /// H_total·Σ j·g_j·x^j / Σ g_j·x^j; its roots (one or three) are bracketed on a grid of
    /// log x and bisected. Returns the phosphorylated fractions P_A/(10·H_total), ascending.
    static func closedFormFractions(ca c: Double) -> [Double] {
        let kH1 = 4.0, kH2 = 0.7, k1 = 0.5, k2 = 2.0, kM = 0.4, k3 = 1.0, k4 = 0.001
        let nuPKA = 1.0, i0 = 0.1, nuCaN = 1.0, hTotal = 20.0, pp1Total = 0.01
        let w: [Double] = [1, 16 / 9.0, 7 / 3.0, 284 / 105.0, 25 / 9.0, 284 / 105.0, 7 / 3.0, 16 / 9.0, 1]
        let f: Double = pow(c / kH1, 4) / (1 + pow(c / kH1, 4))
        let fCaN: Double = pow(c / kH2, 3) / (1 + pow(c / kH2, 3))
        let i1p: Double = nuPKA * i0 / (nuCaN * fCaN)
        let pp1: Double = k4 * pp1Total / (k3 * i1p + k4)
        var logG = [0.0]
        for j in 0..<10 {
            let rate: Double = j == 0 ? 10 * k1 * f * f : k1 * f * w[j - 1]   // f_j
            let next: Double = logG[j] + log(rate) - log(Double(j + 1))
            logG.append(next)
        }
        func pA(_ u: Double) -> Double {   // u = log x; weights normalised by their largest term
            let terms: [Double] = (0...10).map { (j: Int) -> Double in logG[j] + Double(j) * u }
            let top = terms.max()!
            let weights: [Double] = terms.map { exp($0 - top) }
            var phosphorylated = 0.0, total = 0.0
            for (j, weight) in weights.enumerated() { phosphorylated += Double(j) * weight; total += weight }
            return hTotal * phosphorylated / total
        }
        func h(_ u: Double) -> Double { k2 * pp1 * exp(u) - kM - pA(u) }
        let grid: [Double] = Array(stride(from: log(1e-2), through: log(1e40), by: 0.01))
        var roots: [Double] = []
        for (a, b) in zip(grid, grid.dropFirst()) where (h(a) < 0) != (h(b) < 0) {
            var lo = a, hi = b
            for _ in 0..<100 { let mid = 0.5 * (lo + hi); if (h(mid) < 0) == (h(lo) < 0) { lo = mid } else { hi = mid } }
            roots.append(pA(0.5 * (lo + hi)) / (10 * hTotal))
        }
        return roots.sorted()
    }

    /// Overrides: free Ca²⁺ clamped at `ca` (µM), plus a starting state.
    func at(_ ca: Double, _ start: [(name: String, value: Double)] = []) -> [(name: String, value: Double)] {
        [(name: "Ca", value: ca)] + start
    }

    func phosphorylatedFraction(_ model: CompiledModel, _ overrides: [(name: String, value: Double)]) throws -> Double {
        let steady = try SteadyStateSolver.solve(model, overrides: overrides)
        return try SteadyStateSolver.values(of: ["sw_f_P"], in: model, at: steady, overrides: overrides)[0]
    }

    /// Bistability at resting Ca²⁺: at 40, 60 and 80 nM the switch has three steady states, found
    /// by Newton's method from all holoenzymes unphosphorylated (DOWN), from all phosphorylated (UP)
    /// and from a quarter phosphorylated (the saddle between them), and each matches the closed
    /// form above (at 60 nM the fractions are 4.4e-9, 0.21 and 0.974). Tolerance: the bisection is
    /// exact to machine precision and Newton's method stops at a relative residual of 1e-12, which
    /// places the two stable states to 1e-6; the saddle's unstable direction has an eigenvalue of
    /// ~1e-15 /s against ~300 /s for the fastest, so the same residual leaves it uncertain along
    /// that direction by far more (measured 9e-6 at 40 nM): 1e-4 there. Outside the range there is
    /// one state: at 0.5 µM, DOWN is gone (the closed form has one root, and Newton's method from
    /// the DOWN state lands on the UP one), as Zhabotinsky's range ends at the LTP threshold.
    /// And the states stay: integrated for 6 h from the UP and from the DOWN state at each Ca²⁺,
    /// the phosphorylated fraction moves by less than 1e-4 (at 80 nM the UP state loses 3e-5 in
    /// 6 h). This part alone would not tell a stable state from a slow one: at rest phospho-
    /// inhibitor-1 holds all but ~1e-5 of PP1, and both states relax over months (slowest
    /// eigenvalues ~1e-7 /s); the three roots are what make it a switch.
    @Test func bothStatesAreStableAtRestingCalcium() throws {
        let pathway = try Library.load(file)
        let model = try ModelCompiler.compile(pathway)
        for ca in [0.04, 0.06, 0.08] {
            let expected = Self.closedFormFractions(ca: ca)
            #expect(expected.count == 3, "closed form at \(ca) uM: \(expected)")
            guard expected.count == 3 else { continue }
            let found = try [phosphorylatedFraction(model, at(ca)), phosphorylatedFraction(model, at(ca, between)),
                             phosphorylatedFraction(model, at(ca, up))]
            for (got, (want, tolerance)) in zip(found, zip(expected, [1e-6, 1e-4, 1e-6])) {
                #expect(abs(got - want) <= tolerance * want, "at \(ca) uM: f_P \(got), closed form \(want)")
            }
            #expect(expected[0] < 1e-7 && expected[2] > 0.95)
            for (start, overrides) in [(found[0], at(ca)), (1.0, at(ca, up))] {
                let r = try Library.run(pathway, tEnd: 6 * 3600, points: 7, rtol: 1e-8, atol: 1e-14,
                                        columns: ["sw_f_P"], overrides: overrides)
                #expect(r.failure == nil)
                let f = r.column("sw_f_P")
                #expect(f.allSatisfy { abs($0 - start) < 1e-4 }, "at \(ca) uM from f_P \(start): \(f)")
            }
        }
        let above = Self.closedFormFractions(ca: 0.5)
        #expect(above.count == 1 && above[0] > 0.95, "closed form at 0.5 uM: \(above)")
        let fromDown = try phosphorylatedFraction(model, at(0.5))
        #expect(abs(fromDown - above[0]) <= 1e-6 * above[0], "at 0.5 uM from DOWN: f_P \(fromDown), closed form \(above)")
    }
}

/// Pathways/camkii_pp1_bidirectional.ant: the CaMKII/PP1 switch of Graupner & Brunel 2007 (PLoS
/// Comput Biol 3:e221), checked against the steady-state branches the authors computed with AUTO
/// for their Fig. 3C (ModelDB 114452: upper_branch.dat and lower_branch.dat, columns Ca2+ in µM and
/// phosphorylated subunits in µM, and the UP state the upper-branch file starts from).
@Suite struct BidirectionalCaMKIIPP1SwitchTests {
    let file = "camkii_pp1_bidirectional.ant"
    static let species = ["sw_B0", "sw_B1", "sw_B2", "sw_B3", "sw_B4", "sw_B5", "sw_B6", "sw_B7", "sw_B8", "sw_B9",
                          "sw_B10", "sw_B11", "sw_B12", "sw_B13", "sw_PP1", "sw_PP1_I1P", "sw_I1P"]
    /// Every ring with all six subunits phosphorylated and all PP1 held by phospho-inhibitor-1:
    /// the start most favourable to the UP state, which it reaches wherever UP exists.
    static let allPhosphorylated = start(ring: "sw_B13", freePP1: 0, inhibitor: 0.2)
    /// No ring phosphorylated and all PP1 free: the start most favourable to the DOWN state.
    static let nonePhosphorylated = start(ring: "sw_B0", freePP1: 0.2, inhibitor: 0)

    /// Every ring in pattern `ring`, PP1 (0.2 µM in all) free at `freePP1` and the rest bound to
    /// phospho-inhibitor-1, free phospho-inhibitor-1 at `inhibitor` (µM).
    static func start(ring: String, freePP1: Double, inhibitor: Double) -> [(name: String, value: Double)] {
        let rings: [(name: String, value: Double)] = species.prefix(14).map { (name: $0, value: $0 == ring ? 33.3 : 0) }
        return rings + [(name: "sw_PP1", value: freePP1), (name: "sw_PP1_I1P", value: 0.2 - freePP1), (name: "sw_I1P", value: inhibitor)]
    }

    /// The state after `seconds` at a clamped Ca²⁺ `ca` (µM), from `start`: every species, to
    /// start the next step from.
    func hold(_ pathway: Pathway, at ca: Double, for seconds: Double,
              from start: [(name: String, value: Double)]) throws -> [(name: String, value: Double)] {
        let r = try Library.run(pathway, tEnd: seconds, points: 2, rtol: 1e-10, atol: 1e-14,
                                columns: Self.species, overrides: [(name: "Ca", value: ca)] + start)
        #expect(r.failure == nil, "\(String(describing: r.failure))")
        return Self.species.map { (name: $0, value: r.column($0).last!) }
    }

    /// Phosphorylated subunits (µM) of a state.
    static func phosphorylated(_ state: [(name: String, value: Double)]) -> Double {
        let perRing: [Double] = [0, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 5, 6]
        return zip(perRing, state.prefix(14)).reduce(0.0) { $0 + $1.0 * $1.1.value }
    }

    /// The authors' UP state at 0.2 µM (the initial values of their upper-branch file, 7
    /// significant digits) is a stable steady state of the file: Newton's method started there
    /// moves no species by more than 1e-5 of its value. Rounding alone allows 5e-7 absolute; the
    /// file's values are AUTO's, converged to its own tolerance, which leaves B13 3e-6 off.
    @Test func reproducesTheAuthorsUpStateAtTwoHundredNanomolar() throws {
        let model = try ModelCompiler.compile(try Library.load(file))
        let authors: [(name: String, value: Double)] = [("sw_B1", 1.325911), ("sw_B2", 2.146327), ("sw_B3", 0.816472),
            ("sw_B4", 0.348016), ("sw_B5", 3.218889), ("sw_B6", 1.346285), ("sw_B7", 1.380859), ("sw_B8", 0.215422),
            ("sw_B9", 4.942081), ("sw_B10", 2.434134), ("sw_B11", 1.284668), ("sw_B12", 8.591719), ("sw_B13", 4.727069),
            ("sw_PP1", 0.00515738), ("sw_I1P", 0.00755588)]
        let rings = authors.prefix(13).reduce(0.0) { $0 + $1.value }
        let overrides: [(name: String, value: Double)] = [("Ca", 0.2), ("sw_B0", 33.3 - rings), ("sw_PP1_I1P", 0.2 - 0.00515738)] + authors
        let steady = try SteadyStateSolver.solve(model, overrides: overrides)
        #expect(steady.method == .newton)
        let found = try SteadyStateSolver.values(of: authors.map(\.name), in: model, at: steady, overrides: overrides)
        for (got, want) in zip(found, authors) {
            #expect(abs(got - want.value) <= 1e-5 * want.value, "\(want.name): \(got), the authors' \(want.value)")
        }
        let stability = try SteadyStateSolver.stability(of: steady, in: model, overrides: overrides)
        #expect(stability.verdict == .stable)
    }

    /// Points of the authors' stable branches: integrated for 2,000 s at each Ca²⁺ (the slowest
    /// relaxation is ~10 s) from no ring phosphorylated, or from all rings phosphorylated, the
    /// file lands on the branch's phosphorylated subunits to 2e-5. The branch files print Ca²⁺
    /// and the subunits to 6 significant digits; near 0.21 µM, where the UP branch falls by
    /// ~1,600 µM of subunits per µM of Ca²⁺, the rounding of Ca²⁺ alone moves it by up to 7e-6.
    /// Between them the branches give the switch's shape: UP stable only from 0.0924 to
    /// 0.2196 µM (folds of upper_branch.dat) and above 0.363 µM, DOWN up to 0.374 µM, so from
    /// 0.22 to 0.36 µM only DOWN exists (the calcineurin window), checked at 0.3 µM, where all
    /// rings phosphorylated fall to the DOWN branch.
    @Test func followsTheAuthorsBranches() throws {
        let pathway = try Library.load(file)
        let up: [(ca: Double, subunits: Double)] = [(0.1, 149.983), (0.149992, 166.108), (0.210001, 116.523)]
        let down: [(ca: Double, subunits: Double)] = [(0.049273, 0.00352224), (0.100156, 0.14619), (0.199796, 0.745522),
                                                      (0.300229, 0.441655)]
        let window: [(ca: Double, subunits: Double)] = [(0.300229, 0.441655)]
        let runs: [(points: [(ca: Double, subunits: Double)], start: [(name: String, value: Double)], label: String)] = [
            (up, Self.allPhosphorylated, "all"), (down, Self.nonePhosphorylated, "no ring"), (window, Self.allPhosphorylated, "all")]
        for (points, start, label) in runs {
            for point in points {
                let got = Self.phosphorylated(try hold(pathway, at: point.ca, for: 2000, from: start))
                #expect(abs(got - point.subunits) <= 2e-5 * point.subunits,
                        "at \(point.ca) uM from \(label) phosphorylated: \(got) uM, the authors' \(point.subunits)")
            }
        }
    }

    /// Both directions, on the time scale of an induction: held UP at the authors' resting
    /// 0.1 µM, 5 s at 0.3 µM (the calcineurin window) switch it DOWN for good (an hour later
    /// under 1 % of the subunits are phosphorylated), while 1 s does not (over 70 % stay); held
    /// DOWN, 5 s at 1 µM switch it UP. And the requirement that the bistable range
    /// contain the 40–80 nM resting Ca²⁺ of CA1 pyramidal cells fails: at 40, 60 and 80 nM the
    /// UP state is gone (an hour from all rings phosphorylated ends under 1 %), as the authors'
    /// fold at 0.0924 µM says; shifting the range by the free calmodulin does not rescue it
    /// (Pathways/README.md, row 17).
    @Test func switchesBothWaysButNotAtCA1RestingCalcium() throws {
        let pathway = try Library.load(file)
        let total = 200.0   // µM of subunits
        let upAtRest = try hold(pathway, at: 0.1, for: 2000, from: Self.allPhosphorylated)
        #expect(Self.phosphorylated(upAtRest) > 0.7 * total)
        for (seconds, switches) in [(5.0, true), (1.0, false)] {
            let after = try hold(pathway, at: 0.1, for: 3600, from: try hold(pathway, at: 0.3, for: seconds, from: upAtRest))
            let f = Self.phosphorylated(after) / total
            #expect(switches ? f < 0.01 : f > 0.7, "\(seconds) s at 0.3 uM from UP: f_P \(f) an hour later")
        }
        let downAtRest = try hold(pathway, at: 0.1, for: 2000, from: Self.nonePhosphorylated)
        #expect(Self.phosphorylated(downAtRest) < 0.01 * total)
        let potentiated = try hold(pathway, at: 0.1, for: 3600, from: try hold(pathway, at: 1, for: 5, from: downAtRest))
        #expect(Self.phosphorylated(potentiated) > 0.7 * total, "5 s at 1 uM from DOWN")
        for ca in [0.04, 0.06, 0.08] {
            let f = Self.phosphorylated(try hold(pathway, at: ca, for: 3600, from: Self.allPhosphorylated)) / total
            #expect(f < 0.01, "at \(ca) uM from all phosphorylated: f_P \(f)")
            withKnownIssue("Graupner & Brunel's switch has no UP state below 0.0924 uM, so its bistable range misses the 40-80 nM of CA1") {
                #expect(f > 0.7, "at \(ca) uM the UP state does not exist")
            }
        }
    }
}
