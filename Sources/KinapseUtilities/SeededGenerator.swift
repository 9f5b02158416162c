#if canImport(Glibc)
import Glibc
#endif

/// A small, fast, seedable generator (SplitMix64), so Monte Carlo runs are reproducible
/// bit for bit across runs and machines.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1), 53 random bits.
    public mutating func nextUniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// A point uniform in the box lower…upper, its coordinates drawn in order.
    public mutating func nextUniformPoint(lower: [Double], upper: [Double]) -> [Double] {
        lower.indices.map { lower[$0] + nextUniform() * (upper[$0] - lower[$0]) }
    }

    /// Standard normal (Box–Muller; one of the pair is discarded for simplicity).
    public mutating func nextNormal() -> Double {
        var u = nextUniform()
        while u == 0 { u = nextUniform() }
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * nextUniform())
    }

    /// Gamma(shape, 1) by Marsaglia & Tsang (2000); shape < 1 via the boost u^{1/shape}.
    public mutating func nextGamma(shape: Double) -> Double {
        if shape < 1 {
            return nextGamma(shape: shape + 1) * pow(max(nextUniform(), .leastNonzeroMagnitude), 1 / shape)
        }
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double
            var v: Double
            repeat {
                x = nextNormal()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = nextUniform()
            if u < 1 - 0.0331 * x * x * x * x { return d * v }
            if log(u) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
        }
    }
}
