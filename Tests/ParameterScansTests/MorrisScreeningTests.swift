import Testing
import Foundation
@testable import ParameterScans

/// Morris elementary effects: the design's construction and the statistics on functions whose
/// effects are known in closed form.
@Suite struct MorrisScreeningTests {
    static let unitFactors = ["a", "b", "c", "d"].map { ScreeningFactor(name: $0, low: 0, high: 1, logarithmic: false) }

    /// Every trajectory moves each factor exactly once, by exactly ±Δ, and stays on the grid.
    @Test func eachTrajectoryMovesEveryFactorOnceByDelta() {
        let m = MorrisScreening(factors: Self.unitFactors, trajectories: 25, levels: 4, seed: 3)
        let design = m.unitDesign, k = 4
        #expect(design.count == 25 * (k + 1))
        #expect(abs(m.delta - 2.0 / 3) < 1e-15)
        for t in 0..<25 {
            var moved: [Int] = []
            for s in 0..<k {
                let a = design[t * (k + 1) + s], b = design[t * (k + 1) + s + 1]
                let changed = (0..<k).filter { a[$0] != b[$0] }
                #expect(changed.count == 1)
                if let i = changed.first { #expect(abs(abs(b[i] - a[i]) - m.delta) < 1e-12); moved.append(i) }
            }
            #expect(moved.sorted() == [0, 1, 2, 3])
        }
        for x in design.joined() {
            #expect(x >= -1e-12 && x <= 1 + 1e-12)
            #expect(abs(x * 3 - (x * 3).rounded()) < 1e-9, "on the levels 0, 1/3, 2/3, 1: \(x)")
        }
        #expect(MorrisScreening(factors: Self.unitFactors, trajectories: 25, levels: 4, seed: 3).unitDesign == design)
        #expect(MorrisScreening(factors: Self.unitFactors, trajectories: 25, levels: 4, seed: 4).unitDesign != design)
    }

    /// y = 3a − 2b + c² (d unused). A linear factor's every effect is its slope, so μ* = |slope|,
    /// μ = slope and σ = 0; c's effect (c + Δ)² − c² over Δ = 2c + Δ varies with c, so σ > 0
    /// and μ* lies between its smallest (Δ = 2/3) and largest (2·1/3 + Δ = 4/3) effect; d gives 0.
    @Test func effectsOfKnownFunctions() {
        let m = MorrisScreening(factors: Self.unitFactors, trajectories: 30, levels: 4, seed: 1)
        let y: [Double?] = m.design.map { 3 * $0[0] - 2 * $0[1] + $0[2] * $0[2] }
        let e = m.effects(y)
        #expect(abs(e[0].meanAbsolute - 3) < 1e-12 && abs(e[0].mean - 3) < 1e-12 && e[0].standardDeviation < 1e-12)
        #expect(abs(e[1].meanAbsolute - 2) < 1e-12 && abs(e[1].mean + 2) < 1e-12 && e[1].standardDeviation < 1e-12)
        #expect(e[2].meanAbsolute > 2.0 / 3 - 1e-12 && e[2].meanAbsolute < 4.0 / 3 + 1e-12 && e[2].standardDeviation > 0.1)
        #expect(e[3].meanAbsolute == 0 && e[3].standardDeviation == 0)
        #expect(e.allSatisfy { $0.count == 30 })
    }

    /// Factors in their own units: a log-uniform factor's elementary effect is per unit of the
    /// cube, so y = ln(p) over p ∈ [1, e²] has the effect 2 everywhere (ln p = 2u).
    @Test func logarithmicFactorsAreUniformInTheLogarithm() {
        let m = MorrisScreening(factors: [ScreeningFactor(name: "p", low: 1, high: exp(2), logarithmic: true)], trajectories: 8, seed: 2)
        let e = m.effects(m.design.map { log($0[0]) })
        #expect(abs(e[0].mean - 2) < 1e-12 && e[0].standardDeviation < 1e-12)
    }

    /// A failed run loses only the two effects it bounds.
    @Test func aFailedPointLosesTheEffectsNextToIt() {
        let m = MorrisScreening(factors: Self.unitFactors, trajectories: 3, seed: 5)
        var y: [Double?] = m.design.map { $0.reduce(0, +) }
        y[2] = nil  // trajectory 1's third point: the effects of its 2nd and 3rd moves
        let counted: Int = m.effects(y).map(\.count).reduce(0, +)
        #expect(counted == 10, "3 trajectories × 4 effects, less the 2 next to the failed point")
    }
}
