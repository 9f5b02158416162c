/// The past of a model's delayed expressions (`delay(e, τ)`): the value of every `e` at
/// the times a run recorded, split into segments at discontinuities (the start, every
/// event instant), and read back by interpolation.
///
/// A run records a sample at least every `spacing` (a 32nd of the shortest delay) and
/// at every stop, and caps the solver's step at half the shortest delay. Together these
/// keep every time a right-hand side asks about (`t − τ`, with `t` at most one step past
/// the last sample) at or before the last sample: the method of steps, with the
/// solver's own error control on each sample. Between samples the value is the cubic
/// through the four nearest samples of the same segment (exact for polynomials up to
/// degree 3, error O(spacing⁴) otherwise); a stencil never reaches across a
/// discontinuity. Before the first sample the history is constant: SBML's (and the
/// usual DDE) convention that the past equals the initial value, except for expressions
/// of time (`ModelInstance.prehistory`).
final class DelayHistory {
    let terms: [DelayTerm]
    /// τ of each term, fixed at the start of the run.
    private(set) var lags: [Double]
    private var times: [Double] = []
    /// Sample-major: `values[i * terms.count + k]` is term k at `times[i]`.
    private var values: [Double] = []
    /// Index of the first sample of each segment, and the segment's start time.
    private var segmentFirst: [Int] = []
    private var segmentStart: [Double] = []
    private var breakpoints: [Double] = []

    /// Whether each term's past before the start is computed (`ModelInstance.prehistory`:
    /// its expression reads time or a rate of change) rather than constant.
    let hasComputedPast: [Bool]
    private(set) var startTime = -Double.infinity

    init(terms: [DelayTerm], hasComputedPast: [Bool]) {
        self.terms = terms
        self.hasComputedPast = hasComputedPast
        lags = [Double](repeating: .nan, count: terms.count)
    }

    var isEmpty: Bool { times.isEmpty }
    var lastTime: Double { times.last ?? -.infinity }

    /// The shortest positive delay (nil when every delay is zero).
    var shortestLag: Double? { lags.filter { $0 > 0 }.min() }

    /// Sampling interval: a 32nd of the shortest delay keeps cubic interpolation error near
    /// (τ/32)⁴/24 ≈ 4·10⁻⁸·τ⁴ times the fourth derivative, below the solver tolerances
    /// runs use.
    var spacing: Double? { shortestLag.map { $0 / 32 } }

    /// Fixes the lags for a run starting at `t0` and forgets the previous run.
    func prepare(time t0: Double, lags: [Double]) {
        self.lags = lags
        startTime = t0
        times.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        segmentFirst.removeAll()
        segmentStart.removeAll()
    }

    /// Starts the run's history: the first sample and the times the start's discontinuity
    /// propagates to (t0 + k·τ; after three delays the solution is smooth to third order,
    /// which the solver steps over).
    func start(time t0: Double, values sample: [Double]) {
        startTime = t0
        times.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        segmentFirst.removeAll()
        segmentStart.removeAll()
        breakpoints = Set(lags.filter { $0 > 0 }.flatMap { lag in (1...3).map { t0 + Double($0) * lag } }).sorted(by: >)
        record(time: t0, values: sample, newSegment: true)
    }

    /// The first discontinuity of the start's history after `t` (∞ when none is left).
    func nextBreakpoint(after t: Double) -> Double {
        while let b = breakpoints.last, b <= t { breakpoints.removeLast() }
        return breakpoints.last ?? .infinity
    }

    func record(time t: Double, values sample: [Double], newSegment: Bool) {
        if !newSegment, let last = times.last {
            guard t >= last else { return }
            if t == last {
                values.replaceSubrange(values.count - terms.count ..< values.count, with: sample)
                return
            }
        }
        if newSegment || segmentFirst.isEmpty {
            segmentFirst.append(times.count)
            segmentStart.append(t)
        }
        times.append(t)
        values.append(contentsOf: sample)
    }

    /// Term `k`'s value at time `t`.
    func value(_ k: Int, at t: Double) -> Double {
        let m = terms.count
        guard let first = times.first else { return .nan }
        if t <= first { return values[k] }
        // The last segment starting at or before t (at an event instant: the one after it).
        var lo = 0, hi = segmentStart.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if segmentStart[mid] <= t { lo = mid } else { hi = mid - 1 }
        }
        let begin = segmentFirst[lo]
        let end = lo + 1 < segmentFirst.count ? segmentFirst[lo + 1] : times.count
        let count = end - begin
        if count == 1 { return values[begin * m + k] }
        if t >= times[end - 1] {
            // Past the last sample (at most a fraction of a step): linear extrapolation.
            let a = end - 2, b = end - 1
            let slope = (values[b * m + k] - values[a * m + k]) / (times[b] - times[a])
            return values[b * m + k] + slope * (t - times[b])
        }
        // The sample interval [times[i], times[i+1]) holding t.
        var i = begin, j = end - 1
        while i + 1 < j {
            let mid = (i + j) / 2
            if times[mid] <= t { i = mid } else { j = mid }
        }
        let width = min(4, count)
        let low = max(begin, min(i - 1, end - width))
        var result = 0.0
        for a in low ..< low + width {
            var weight = 1.0
            for b in low ..< low + width where b != a { weight *= (t - times[b]) / (times[a] - times[b]) }
            result += weight * values[a * m + k]
        }
        return result
    }
}
