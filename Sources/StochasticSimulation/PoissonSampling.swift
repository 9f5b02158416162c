#if canImport(Glibc)
import Glibc
#endif
import KinapseUtilities

extension SeededGenerator {
    /// Uniform in (0, 1]: the logarithm of an exponential waiting time must stay finite.
    @inline(__always)
    mutating func nextOpenUniform() -> Double { Double((next() >> 11) + 1) * 0x1.0p-53 }

    /// An exponential waiting time with the given rate (inversion).
    @inline(__always)
    mutating func nextExponential(rate: Double) -> Double { -log(nextOpenUniform()) / rate }

    /// A Poisson variate of mean `mean`: by inversion (sequential search) below mean 10,
    /// where it needs about mean + 1 uniforms, and above by Hörmann's transformed rejection
    /// with squeeze, PTRS (Hörmann 1993, Insurance Math Econ 12:39, §3, constants of Table 1
    /// there), whose cost does not grow with the mean.
    mutating func nextPoisson(mean: Double) -> Double {
        if mean <= 0 { return 0 }
        if mean < 10 {
            var p = exp(-mean)
            var cumulative = p
            let u = nextUniform()
            var k = 0.0
            // The bound stops round-off in the cumulative sum from looping forever.
            while u > cumulative && k < 1000 {
                k += 1
                p *= mean / k
                cumulative += p
            }
            return k
        }
        let root = mean.squareRoot()
        let b = 0.931 + 2.53 * root
        let a = -0.059 + 0.02483 * b
        let inverseAlpha = 1.1239 + 1.1328 / (b - 3.4)
        let vr = 0.9277 - 3.6224 / (b - 2)
        let logMean = log(mean)
        while true {
            let u = nextUniform() - 0.5
            let v = nextUniform()
            let us = 0.5 - Swift.abs(u)
            let k = ((2 * a / us + b) * u + mean + 0.43).rounded(.down)
            if us >= 0.07 && v <= vr { return k }
            if k < 0 || (us < 0.013 && v > us) { continue }
            if log(v) + log(inverseAlpha) - log(a / (us * us) + b) <= -mean + k * logMean - lgamma(k + 1) { return k }
        }
    }
}
