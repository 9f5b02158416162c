import Foundation
import Optimization

/// The shape of an evoked IPSC: a difference of exponentials starting `latency` after
/// its stimulus, scaled to a peak of 1,
///
///     g(u) = (e^(−u/τd) − e^(−u/τr)) / g_max,   u = t − t_stim − latency > 0, else 0,
///     t_peak = τr·τd/(τd − τr)·ln(τd/τr),   g_max = e^(−t_peak/τd) − e^(−t_peak/τr),
///
/// the usual description of a synaptic current with a rise and a decay time constant, and the
/// template Clements & Bekkers (1997, Biophys J 73:220) fit to averaged events.
public struct SynapticKinetics: Sendable, Equatable {
    /// Seconds.
    public var riseTau: Double
    public var decayTau: Double
    public var latency: Double

    /// 1/g_max, computed once.
    private let scale: Double

    public init(riseTau: Double, decayTau: Double, latency: Double) {
        // Equal time constants make the formula 0/0 (its limit is an alpha function); a
        // relative nudge of 10⁻⁶ keeps it finite and changes g by less than that.
        let d = abs(decayTau - riseTau) < 1e-6 * decayTau ? riseTau * (1 + 1e-6) : decayTau
        self.riseTau = riseTau; self.decayTau = d; self.latency = latency
        let tp = riseTau * d / (d - riseTau) * log(d / riseTau)
        scale = 1 / (exp(-tp / d) - exp(-tp / riseTau))
    }

    var peakTime: Double { riseTau * decayTau / (decayTau - riseTau) * log(decayTau / riseTau) }

    /// g at `t` seconds after the stimulus.
    func value(_ t: Double) -> Double {
        let u = t - latency
        guard u > 0 else { return 0 }
        return (exp(-u / decayTau) - exp(-u / riseTau)) * scale
    }

    /// 20–80 % rise time of g (seconds), found by bisection on the rising phase.
    public var riseTime2080: Double {
        func crossing(_ level: Double) -> Double {
            var lo = latency, hi = latency + peakTime
            for _ in 0..<60 {
                let mid = (lo + hi) / 2
                if value(mid) < level { lo = mid } else { hi = mid }
            }
            return (lo + hi) / 2
        }
        return crossing(0.8) - crossing(0.2)
    }
}

/// A stretch of a sweep around its stimuli, baseline-subtracted and signed so that the
/// synaptic response is positive; blanked samples (artefacts) carry weight 0.
struct ResponseSegment {
    var values: [Double]
    var weights: [Double]
    /// Time of `values[0]` relative to the first stimulus (s), and the sample interval.
    var start: Double
    var dt: Double
    /// Stimulus times relative to the first stimulus (s): 0 and, for a pair, the interval.
    var stimuli: [Double]

    func time(_ i: Int) -> Double { start + Double(i) * dt }
}

enum KineticsFit {
    /// Amplitudes of the responses to each stimulus, for a given shape: the linear least
    /// squares solution of y ≈ Σ_k A_k·g(t − s_k) over unblanked samples (an "optimally scaled
    /// template", Clements & Bekkers 1997, Biophys J 73:220, extended to overlapping
    /// responses so that the second of a pair is measured net of the first's decay).
    /// Also returns each amplitude's noise factor 1/√(Σ g_k²), which times the baseline
    /// noise σ is its standard error for white noise (the failure criterion uses it).
    static func amplitudes(_ s: ResponseSegment, _ k: SynapticKinetics) -> (amplitudes: [Double], noiseFactors: [Double]) {
        let p = s.stimuli.count
        var gram = [Double](repeating: 0, count: p * p), rhs = [Double](repeating: 0, count: p)
        var g = [Double](repeating: 0, count: p)
        for i in s.values.indices where s.weights[i] > 0 {
            let t = s.time(i)
            for a in 0..<p { g[a] = k.value(t - s.stimuli[a]) }
            for a in 0..<p {
                rhs[a] += g[a] * s.values[i]
                for b in 0..<p { gram[a * p + b] += g[a] * g[b] }
            }
        }
        let solution = solve(gram, rhs, p)
        let factors = (0..<p).map { gram[$0 * p + $0] > 0 ? 1 / gram[$0 * p + $0].squareRoot() : .infinity }
        return (solution, factors)
    }

    /// Gaussian elimination with partial pivoting for the small (1×1, 2×2) normal equations.
    static func solve(_ a: [Double], _ b: [Double], _ n: Int) -> [Double] {
        var m = a, x = b
        for c in 0..<n {
            guard let pivot = (c..<n).max(by: { abs(m[$0 * n + c]) < abs(m[$1 * n + c]) }), m[pivot * n + c] != 0 else {
                return [Double](repeating: .nan, count: n)
            }
            if pivot != c {
                for j in 0..<n { m.swapAt(c * n + j, pivot * n + j) }
                x.swapAt(c, pivot)
            }
            for r in (c + 1)..<n {
                let f = m[r * n + c] / m[c * n + c]
                for j in c..<n { m[r * n + j] -= f * m[c * n + j] }
                x[r] -= f * x[c]
            }
        }
        for c in stride(from: n - 1, through: 0, by: -1) {
            var v = x[c]
            for j in (c + 1)..<n { v -= m[c * n + j] * x[j] }
            x[c] = v / m[c * n + c]
        }
        return x
    }

    /// Rise, decay and latency fitted to a segment (usually the average of all sweeps):
    /// Levenberg–Marquardt over (ln τr, ln τd, latency), the amplitudes solved linearly at
    /// every step (variable projection), from a few starting decays so that a poor start
    /// cannot settle in a local minimum.
    static func fit(_ s: ResponseSegment, maxLatency: Double) -> SynapticKinetics? {
        let problem = ClosureProblem(parameterCount: 3) { theta in
            let k = SynapticKinetics(riseTau: exp(theta[0]), decayTau: exp(theta[1]), latency: theta[2])
            let (a, _) = amplitudes(s, k)
            guard a.allSatisfy(\.isFinite) else { return [Double](repeating: 1e6, count: s.values.count) }
            return s.values.indices.map { i in
                let t = s.time(i)
                var model = 0.0
                for (j, stim) in s.stimuli.enumerated() { model += a[j] * k.value(t - stim) }
                return s.weights[i] * (s.values[i] - model)
            }
        }
        let lm = LevenbergMarquardt()
        // Bounds: rise 0.05–20 ms, decay 0.5 ms–1 s, latency 0 to maxLatency.
        let lower = [log(5e-5), log(5e-4), 0.0], upper = [log(0.02), log(1.0), maxLatency]
        var best: LeastSquaresResult?
        for decay in [0.005, 0.02, 0.08] {
            let start = [log(min(0.001, decay / 4)), log(decay), min(0.001, maxLatency / 2)]
            let result = lm.minimize(problem, from: start, lower: lower, upper: upper)
            if result.theta.allSatisfy(\.isFinite), best.map({ result.objective < $0.objective }) ?? true { best = result }
        }
        guard let theta = best?.theta else { return nil }
        let (r, d) = (exp(theta[0]), exp(theta[1]))
        // The two time constants are interchangeable in the formula; the rise is the shorter.
        return SynapticKinetics(riseTau: min(r, d), decayTau: max(r, d), latency: theta[2])
    }
}
