import Foundation
import KinapseUtilities

/// A factor of a Morris screening: a name and the range its values are drawn from, uniform
/// on a linear or a logarithmic axis (rate constants and concentrations vary by factors).
public struct ScreeningFactor: Sendable, Equatable {
    public var name: String
    public var low: Double
    public var high: Double
    public var logarithmic: Bool

    public init(name: String, low: Double, high: Double, logarithmic: Bool) {
        self.name = name; self.low = low; self.high = high; self.logarithmic = logarithmic
    }

    /// The value at `u` ∈ [0, 1] of the range.
    public func value(at u: Double) -> Double {
        if logarithmic { return Foundation.exp(Foundation.log(low) + (Foundation.log(high) - Foundation.log(low)) * u) }
        return low + (high - low) * u
    }
}

/// The elementary-effects method of global sensitivity screening (Morris 1991, Technometrics
/// 33:161): `r` one-at-a-time trajectories through a grid of `levels` levels in the unit
/// cube of the factors' ranges; each trajectory moves every factor once by Δ = levels / (2
/// (levels − 1)), in a random order, and the change of a readout divided by Δ is that factor's
/// elementary effect there. μ* (the mean of |EE|, Campolongo, Cariboni & Saltelli 2007,
/// Environ Model Softw 22:1509) ranks influence; σ (their standard deviation) flags
/// interactions and non-linearity; μ (the mean) the direction when it is consistent.
public struct MorrisScreening: Sendable {
    public var factors: [ScreeningFactor]
    public var trajectories: Int
    public var levels: Int
    public var seed: UInt64

    public init(factors: [ScreeningFactor], trajectories: Int = 10, levels: Int = 4, seed: UInt64 = 1) {
        precondition(levels >= 2 && levels % 2 == 0, "an even number of levels, so every step Δ stays on the grid")
        precondition(trajectories >= 1 && !factors.isEmpty)
        self.factors = factors; self.trajectories = trajectories; self.levels = levels; self.seed = seed
    }

    /// Δ in the unit cube: half the levels' span, the choice that samples every level with
    /// equal probability (Morris 1991, p. 165).
    public var delta: Double { Double(levels) / (2 * Double(levels - 1)) }

    /// The design in the unit cube: `trajectories` blocks of k + 1 points, each point differing
    /// from the one before it in one factor by ±Δ. Drawn from the seed alone, so every run
    /// (and every MPI rank) makes the same design.
    public var unitDesign: [[Double]] {
        var random = SeededGenerator(seed: seed)
        let k = factors.count, step = 1 / Double(levels - 1)
        var points: [[Double]] = []
        points.reserveCapacity(trajectories * (k + 1))
        for _ in 0..<trajectories {
            // Base levels from the lower half, so that +Δ stays inside the cube; then each move
            // goes up or down with probability ½ from wherever the factor stands.
            var x = (0..<k).map { _ in Double(Self.draw(below: levels / 2, &random)) * step }
            var order = Array(0..<k)
            for i in stride(from: k - 1, to: 0, by: -1) { order.swapAt(i, Self.draw(below: i + 1, &random)) }
            let flips = (0..<k).map { _ in Self.draw(below: 2, &random) == 1 }
            // A downward move starts from the base shifted up by Δ, so it ends on the base.
            for i in 0..<k where flips[i] { x[i] += delta }
            points.append(x)
            for i in order {
                x[i] += flips[i] ? -delta : delta
                points.append(x)
            }
        }
        return points
    }

    /// An integer in 0..<n from the generator's own uniform draw (not the standard library's
    /// `random(in:)`, whose algorithm may change), so a seed gives the same design everywhere.
    static func draw(below n: Int, _ random: inout SeededGenerator) -> Int {
        min(Int(random.nextUniform() * Double(n)), n - 1)
    }

    /// The design in the factors' own units.
    public var design: [[Double]] {
        unitDesign.map { u in zip(factors, u).map { $0.value(at: $1) } }
    }

    /// One factor's statistics for one readout.
    public struct Effects: Sendable, Equatable {
        public var factor: String
        /// Mean of |EE| over the trajectories that gave both points.
        public var meanAbsolute: Double
        public var mean: Double
        /// Sample standard deviation of EE (0 with one effect).
        public var standardDeviation: Double
        /// Elementary effects that could be computed (a failed run loses the effects it bounds).
        public var count: Int
    }

    /// The effects of every factor on one readout, from its values at the design's points
    /// (`nil` where a run failed), in the design's order. EE = Δy / Δ with Δ signed by the move.
    public func effects(_ readout: [Double?]) -> [Effects] {
        let k = factors.count
        precondition(readout.count == trajectories * (k + 1), "one readout value per design point")
        let unit = unitDesign
        var collected = [[Double]](repeating: [], count: k)
        for t in 0..<trajectories {
            for step in 0..<k {
                let a = t * (k + 1) + step, b = a + 1
                guard let ya = readout[a], let yb = readout[b], ya.isFinite, yb.isFinite,
                      let moved = (0..<k).first(where: { unit[a][$0] != unit[b][$0] }) else { continue }
                collected[moved].append((yb - ya) / (unit[b][moved] - unit[a][moved]))
            }
        }
        return factors.indices.map { i in
            let e = collected[i], n = Double(e.count)
            let mean = e.isEmpty ? Double.nan : e.reduce(0, +) / n
            let variance = e.count > 1 ? e.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1) : 0
            return Effects(factor: factors[i].name, meanAbsolute: e.isEmpty ? .nan : e.map(abs).reduce(0, +) / n,
                           mean: mean, standardDeviation: variance.squareRoot(), count: e.count)
        }
    }
}
