import Foundation

/// Series (access) resistance from a voltage-clamp test pulse.
///
/// A step ΔV through Rs into a cell (Rm ∥ Cm) draws I(t) = ΔV/(Rs + Rm) + (ΔV/Rs − ΔV/(Rs + Rm))·e^(−t/τ):
/// at the step's onset all of ΔV drops across Rs, so Rs = ΔV / I(0). The transient above the
/// steady state is fitted by a straight line to ln|I − I_ss| over its decay (from its peak
/// until it falls below 10 % or 3 noise SDs, weighted by its square) and extrapolated back to the onset, which
/// corrects for the charging that happens within the first sample (how a membrane test reads
/// Rs from the capacitive transient of a voltage step).
enum SeriesResistance {
    /// What a test pulse shows: Rs (MΩ) and the time constant of the capacitive transient (s).
    struct Estimate {
        var resistance: Double
        /// Nil when the transient is too short or noisy for a slope.
        var chargingTau: Double?
    }

    /// The runs of samples where the command leaves its level at the start of the sweep (the
    /// holding potential) by more than 0.5 mV: test pulses and other voltage steps.
    static func departures(_ v: [Double]) -> [Range<Int>] {
        guard let holding = v.first else { return [] }
        var runs: [Range<Int>] = []
        var i = 0
        while i < v.count {
            guard abs(v[i] - holding) > 0.5 else { i += 1; continue }
            let on = i
            while i < v.count, abs(v[i] - holding) > 0.5 { i += 1 }
            runs.append(on..<i)
        }
        return runs
    }

    /// Nil when the step is too short or starts in the first two samples (or the fit fails).
    /// `current` in pA, `command` in mV, `step` the command's first departure; the noise is
    /// the SD over the 5 ms before the step.
    static func estimate(current x: [Double], command v: [Double], step pulse: Range<Int>, dt: Double) -> Estimate? {
        guard v.count == x.count, let holding = v.first, pulse.lowerBound >= 2 else { return nil }
        let (on, off) = (pulse.lowerBound, pulse.upperBound)
        let length = off - on
        guard length >= 10 else { return nil }
        let step = v[on..<off].reduce(0, +) / Double(length) - holding
        let pre = x[max(0, on - Int(0.005 / dt))..<on]
        let before = pre.reduce(0, +) / Double(pre.count)
        let noise = (pre.reduce(0) { $0 + ($1 - before) * ($1 - before) } / Double(max(1, pre.count - 1))).squareRoot()
        let tail = x[(off - max(2, length / 5))..<off]
        let steady = tail.reduce(0, +) / Double(tail.count) - before
        let transient = (on..<off).map { x[$0] - before - steady }
        let searchEnd = min(transient.count, max(2, Int(0.001 / dt)))
        guard let peak = (0..<searchEnd).max(by: { abs(transient[$0]) < abs(transient[$1]) }) else { return nil }
        let peakValue = transient[peak]
        guard abs(peakValue) > 3 * noise, (peakValue > 0) == (step > 0) else { return nil }
        var ts: [Double] = [], logs: [Double] = []
        var j = peak
        while j < transient.count, abs(transient[j]) >= max(0.1 * abs(peakValue), 3 * noise), (transient[j] > 0) == (peakValue > 0) {
            ts.append(Double(j) * dt)
            logs.append(log(abs(transient[j])))
            j += 1
        }
        var atOnset = abs(peakValue)
        var tau: Double?
        if ts.count >= 3 {
            // Weights |I|²: the variance of ln|I| under additive noise σ is σ²/I², so the
            // small, noisy tail counts for little.
            let w = logs.map { exp(2 * $0) }
            let sw = w.reduce(0, +)
            let mt = zip(w, ts).reduce(0) { $0 + $1.0 * $1.1 } / sw
            let ml = zip(w, logs).reduce(0) { $0 + $1.0 * $1.1 } / sw
            var sxx = 0.0, sxy = 0.0
            for k in ts.indices {
                sxx += w[k] * (ts[k] - mt) * (ts[k] - mt)
                sxy += w[k] * (ts[k] - mt) * (logs[k] - ml)
            }
            if sxx > 0, sxy < 0 {
                atOnset = exp(ml - sxy / sxx * mt)
                tau = -sxx / sxy
            }
        }
        let total = (peakValue > 0 ? atOnset : -atOnset) + steady
        guard total != 0 else { return nil }
        // mV / pA = 10⁹ Ω = 1000 MΩ.
        let rs = step / total * 1000
        return rs.isFinite && rs > 0 ? Estimate(resistance: rs, chargingTau: tau) : nil
    }
}
