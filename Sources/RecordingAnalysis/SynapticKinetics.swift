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

/// A stretch of a sweep around its stimuli, signed so that the synaptic response is
/// positive but not baseline-subtracted (the holding current is fitted with the amplitudes);
/// samples left out of every fit (artefacts, test pulses) carry weight 0.
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

/// The model every sweep is fitted with, for a given response shape g:
///
///     y(t) = b + c·t + Σ_k A_k·g(t − s_k) + noise,   t from the first stimulus,
///
/// over a segment's weighted samples, the drift c only when asked for. All of b, c and the
/// amplitudes enter linearly, so with white noise of SD σ the least-squares solution is the
/// maximum-likelihood estimate, unbiased, with covariance σ²(XᵀX)⁻¹: the Cramér–Rao bound,
/// the smallest any unbiased estimator of the amplitudes can have. It is the optimally scaled
/// template of Clements & Bekkers (1997, Biophys J 73:220), who fit a template's scale and
/// offset together, extended to a pair whose responses overlap. Compared with a baseline
/// mean subtracted first, it takes the holding current from every sample (the response's
/// tail and what follows it included).
struct SweepModel {
    /// Columns of X over every sample of the segment: 1, t when fitting a drift, then
    /// g(t − s_k) for each stimulus.
    let columns: [[Double]]
    let weights: [Double]
    /// 1 (offset) or 2 (offset and drift): the columns before the amplitudes'.
    let baselineTerms: Int
    /// (XᵀWX)⁻¹, row-major.
    let covariance: [Double]

    /// Nil when XᵀWX is singular (no weighted samples, or a response indistinguishable from
    /// the baseline).
    init?(_ segment: ResponseSegment, _ kinetics: SynapticKinetics, drift: Bool) {
        let n = segment.values.count
        var columns = [[Double]](repeating: [Double](repeating: 1, count: n), count: 1)
        if drift { columns.append((0..<n).map { segment.time($0) }) }
        for s in segment.stimuli { columns.append((0..<n).map { kinetics.value(segment.time($0) - s) }) }
        let p = columns.count
        var gram = [Double](repeating: 0, count: p * p)
        for i in 0..<n where segment.weights[i] > 0 {
            for a in 0..<p {
                let x = segment.weights[i] * columns[a][i]
                for b in a..<p { gram[a * p + b] += x * columns[b][i] }
            }
        }
        for a in 0..<p { for b in 0..<a { gram[a * p + b] = gram[b * p + a] } }
        guard let inverse = Self.invert(gram, p) else { return nil }
        self.columns = columns
        weights = segment.weights
        baselineTerms = drift ? 2 : 1
        covariance = inverse
    }

    /// The least-squares coefficients b, (c), A_1, … of a segment's values.
    func coefficients(_ values: [Double]) -> [Double] {
        let p = columns.count
        var rhs = [Double](repeating: 0, count: p)
        for i in values.indices where weights[i] > 0 {
            let y = weights[i] * values[i]
            for a in 0..<p { rhs[a] += columns[a][i] * y }
        }
        return (0..<p).map { a in (0..<p).reduce(0.0) { $0 + covariance[a * p + $1] * rhs[$1] } }
    }

    /// The fitted holding current (b + c·t) at sample i.
    func baseline(_ coefficients: [Double], at i: Int) -> Double {
        baselineTerms == 2 ? coefficients[0] + coefficients[1] * columns[1][i] : coefficients[0]
    }

    /// The fitted trace at sample i.
    func value(_ coefficients: [Double], at i: Int) -> Double {
        (0..<columns.count).reduce(0.0) { $0 + coefficients[$1] * columns[$1][i] }
    }

    /// Each amplitude's standard error per unit noise SD, √[(XᵀX)⁻¹]_kk.
    var amplitudeErrorFactors: [Double] {
        let p = columns.count
        return (baselineTerms..<p).map { covariance[$0 * p + $0].squareRoot() }
    }

    /// Gauss–Jordan inversion with partial pivoting of the small (2×2 to 4×4) normal matrix;
    /// nil when a pivot vanishes against the matrix's scale.
    static func invert(_ a: [Double], _ n: Int) -> [Double]? {
        var m = a, inv = [Double](repeating: 0, count: n * n)
        for i in 0..<n { inv[i * n + i] = 1 }
        let scale = a.map(abs).max() ?? 0
        for c in 0..<n {
            guard let pivot = (c..<n).max(by: { abs(m[$0 * n + c]) < abs(m[$1 * n + c]) }),
                  abs(m[pivot * n + c]) > 1e-12 * scale else { return nil }
            if pivot != c {
                for j in 0..<n { m.swapAt(c * n + j, pivot * n + j); inv.swapAt(c * n + j, pivot * n + j) }
            }
            let d = m[c * n + c]
            for j in 0..<n { m[c * n + j] /= d; inv[c * n + j] /= d }
            for r in 0..<n where r != c {
                let f = m[r * n + c]
                guard f != 0 else { continue }
                for j in 0..<n { m[r * n + j] -= f * m[c * n + j]; inv[r * n + j] -= f * inv[c * n + j] }
            }
        }
        return inv
    }
}

enum KineticsFit {
    /// Rise, decay and latency fitted to a segment (usually the average of all sweeps):
    /// Levenberg–Marquardt over (ln τr, ln τd, latency), the holding current and the
    /// amplitudes solved linearly at every step (variable projection), from a few starting
    /// decays so that a poor start cannot settle in a local minimum.
    static func fit(_ s: ResponseSegment, maxLatency: Double, drift: Bool) -> SynapticKinetics? {
        let problem = ClosureProblem(parameterCount: 3) { theta in
            let k = SynapticKinetics(riseTau: exp(theta[0]), decayTau: exp(theta[1]), latency: theta[2])
            guard let model = SweepModel(s, k, drift: drift) else { return [Double](repeating: 1e6, count: s.values.count) }
            let c = model.coefficients(s.values)
            guard c.allSatisfy(\.isFinite) else { return [Double](repeating: 1e6, count: s.values.count) }
            return s.values.indices.map { s.weights[$0] * (s.values[$0] - model.value(c, at: $0)) }
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
