import Foundation
public import Recordings
public import SourceDiagnostics

/// The measurements of one sweep (or gap-free pseudo-sweep).
public struct SweepReadout: Sendable {
    /// 1-based, as acquisition software numbers sweeps.
    public var sweep: Int
    /// Minutes from induction to the first stimulus.
    public var time: Double
    /// Peak amplitude of each response (pA, positive in the IPSC's direction).
    public var amplitudes: [Double]
    public var failures: [Bool]
    /// Second amplitude over first; nil when the first failed or there is no pair.
    public var pairedPulseRatio: Double?
    /// 20–80 % rise and peak-to-1/e decay of the first response (s), from the lightly
    /// smoothed trace; nil for failures.
    public var riseTime: Double?
    public var decayTime: Double?
    /// Holding current at the first stimulus, fitted with the amplitudes (pA), and the noise:
    /// the SD of the fit's residuals before the first stimulus.
    public var baseline: Double
    public var noise: Double
    /// Series resistance from the test pulse (MΩ), when the sweep has one.
    public var seriesResistance: Double?
    public var seriesResistanceFlagged = false
    /// First amplitude in % of the baseline mean.
    public var percent = 0.0
    public var isBaseline = false
    /// Over the sliding window centred here: CV and 1/CV² of the first amplitude, and the
    /// standard deviations of `percent` and of the PPR.
    public var cv: Double?
    public var inverseCV2: Double?
    public var percentSD: Double?
    public var pprSD: Double?
}

public struct ReadoutResult: Sendable {
    public var sweeps: [SweepReadout]
    public var channel: Channel
    public var sign: ReadoutOptions.Sign
    /// Why the sign is what it is ("given", "holding 0 mV above E_GABA −70 mV").
    public var signReason: String
    /// Stimulus times within a sweep (s).
    public var stimulusTimes: [Double]
    /// Fitted to the average response of all sweeps.
    public var kinetics: SynapticKinetics
    /// Minutes from the start of the recording.
    public var inductionMinutes: Double
    public var inductionReason: String
    public var baselineAmplitude: Double
    public var baselineSeriesResistance: Double?
}

/// A problem with the request rather than the file: a clear message and advice (exit 2).
public struct ReadoutError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var hint: String?
    public init(_ message: String, hint: String? = nil) { self.message = message; self.hint = hint }
    public var description: String { message }
    public var diagnostic: Diagnostic { .error(message, at: nil, hint: hint) }
}

/// Per-stimulus readouts of an evoked-IPSC recording, step by step:
/// 1. stimulus times (given, or the fast deflections of the sweep average);
/// 2. per sweep: the stretch from `baselineWindow` before the first stimulus to
///    `responseWindow` after the last, signed so responses are positive; series resistance
///    from the test pulse;
/// 3. the artefacts and the command's steps (with their transients) left out;
/// 4. the response shape (rise, decay, latency) fitted once to the average of all sweeps;
/// 5. per sweep: holding current and the amplitudes of that shape fitted together (both of a
///    pair at once), noise, failures, PPR, rise and decay;
/// 6. baseline normalisation, sliding-window CV, flags for series-resistance changes.
public enum ReadoutAnalysis {
    struct Piece {
        var sweep: Int
        var range: Range<Int>
        /// Seconds from the start of the recording to `range.lowerBound`.
        var start: Double
    }

    public static func analyse(_ recording: Recording, _ options: ReadoutOptions) throws -> ReadoutResult {
        let o = options
        guard recording.channels.indices.contains(o.channel) else {
            let names = recording.channels.enumerated().map { "\($0.offset) '\($0.element.name)'" }.joined(separator: ", ")
            throw ReadoutError("\(recording.path) has no channel \(o.channel)", hint: "channels: \(names)")
        }
        let channel = recording.channels[o.channel]
        guard channel.quantity == .current else {
            throw ReadoutError("channel \(o.channel) '\(channel.name)' records \(channel.quantity == .voltage ? "voltage" : "'\(channel.unit)'"), not current",
                               hint: "readouts measure evoked currents in voltage clamp; pick the current channel with --channel")
        }
        let dt = recording.sampleInterval
        let pieces = try self.pieces(recording, o)
        guard !pieces.isEmpty else { throw ReadoutError("\(recording.path) has no sweeps to analyse") }
        let length = pieces.map(\.range.count).min()!

        // 1. Stimuli.
        var stimuli: [Double]
        switch o.stimuli {
        case .times(let t): stimuli = t.sorted()
        case .detect: stimuli = try detectStimuli(recording, o, pieces, length: length)
        }
        if stimuli.count == 1, let pair = o.pairInterval { stimuli.append(stimuli[0] + pair) }
        guard let first = stimuli.first, let last = stimuli.last else { throw ReadoutError("no stimulus times") }
        guard stimuli.count <= 2 else {
            throw ReadoutError("\(stimuli.count) stimuli per sweep (\(stimuli.map { format($0 * 1000) + " ms" }.joined(separator: ", "))); readouts measure single or paired pulses",
                               hint: "give the one or two stimulus times with --stim-times")
        }
        // The fitted stretch of every sweep: up to `baselineWindow` before the first stimulus
        // (from the sweep's start when that is nearer) to `responseWindow` after the last.
        let iStart = max(0, sampleIndex(first - o.baselineWindow, dt))
        let iFirst = sampleIndex(first, dt), iEnd = min(length, sampleIndex(last + o.responseWindow, dt))
        guard Double(iEnd) * dt > last + o.blank + 5 * dt else {
            throw ReadoutError("the last stimulus at \(format(last * 1000)) ms is at or after the end of the \(format(Double(length) * dt * 1000)) ms sweep",
                               hint: "stimulus times are seconds from the start of each sweep")
        }

        // 2. Sign.
        let (sign, signReason) = try direction(channel, o)
        let signed = sign == .outward ? 1.0 : -1.0

        // Per sweep: the signed trace over the fitted stretch, Rs, and the command's steps.
        var traces: [[Double]] = []
        var readouts: [SweepReadout] = []
        var steps: [Range<Int>] = []
        var average = [Double](repeating: 0, count: iEnd - iStart)
        for piece in pieces {
            let x = try recording.samples(channel: o.channel, sweep: piece.sweep, range: piece.range)
            let trace = (iStart..<iEnd).map { signed * x[$0] }
            for i in trace.indices { average[i] += trace[i] }
            traces.append(trace)
            var pulse: SeriesResistance.Estimate?
            if let command = try recording.command(channel: o.channel, sweep: piece.sweep, range: piece.range) {
                let departures = SeriesResistance.departures(command)
                pulse = departures.first.flatMap { SeriesResistance.estimate(current: x, command: command, step: $0, dt: dt) }
                // A step's capacitive transients decay with the clamp's time constant: ten of
                // them leave e⁻¹⁰ = 5·10⁻⁵ of the transient (0.02 pA of a 5 mV step through
                // 10 MΩ). Assumption when it cannot be measured: 20 ms, ten times a slow
                // whole-cell clamp (Rs·Cm = 20 MΩ·100 pF = 2 ms).
                let settle = Int(((pulse?.chargingTau).map { 10 * $0 } ?? 0.02) / dt) + 1
                steps += departures.map { max(0, $0.lowerBound - 1)..<($0.upperBound + settle) }
            }
            readouts.append(SweepReadout(sweep: piece.sweep + 1, time: (piece.start + first) / 60, amplitudes: [], failures: [],
                                         baseline: 0, noise: 0, seriesResistance: pulse?.resistance))
        }

        // 3. Left out of every fit: the artefacts (from 0.5 ms before each stimulus, whose
        // time may be a sample off, to `blank` after it) and the command's steps with their
        // transients, in any sweep.
        var weights = [Double](repeating: 1, count: iEnd - iStart)
        let artefacts = stimuli.map { sampleIndex($0 - 0.0005, dt)..<sampleIndex($0 + o.blank, dt) }
        for range in artefacts + steps {
            let lower = max(range.lowerBound, iStart), upper = min(range.upperBound, iEnd)
            if lower < upper { for i in lower..<upper { weights[i - iStart] = 0 } }
        }
        let fittedBefore = weights[0..<(iFirst - iStart)].filter { $0 > 0 }.count
        guard Double(fittedBefore) * dt >= 0.005 else {
            throw ReadoutError("the first stimulus at \(format(first * 1000)) ms leaves \(format(Double(fittedBefore) * dt * 1000)) ms of baseline before it"
                               + " (at least 5 ms are needed; artefacts and steps of the command with their transients are left out)",
                               hint: "lengthen --baseline-window or check --stim-times (seconds from the sweep start)")
        }
        let geometry = ResponseSegment(values: [], weights: weights, start: Double(iStart) * dt - first, dt: dt,
                                       stimuli: stimuli.map { $0 - first })

        // 4. Shape from the average.
        var averaged = geometry
        averaged.values = average.map { $0 / Double(pieces.count) }
        let maxLatency = max(2 * dt, min(0.01, (stimuli.count > 1 ? stimuli[1] - stimuli[0] : o.responseWindow) / 2))
        guard let kinetics = KineticsFit.fit(averaged, maxLatency: maxLatency, drift: o.drift),
              let model = SweepModel(averaged, kinetics, drift: o.drift) else {
            throw ReadoutError("no synaptic response found: the shape fit to the sweep average failed",
                               hint: "check --channel, --stim-times and --sign")
        }
        let a1 = model.coefficients(averaged.values)[model.baselineTerms]
        guard a1 > 0 else {
            throw ReadoutError("the average response has no \(sign.rawValue) current after the stimulus (fitted amplitude \(format(a1)) pA)",
                               hint: "the sign is wrong (\(signReason))? give --sign \(sign == .outward ? "inward" : "outward")")
        }

        // 5. Per sweep: holding current and amplitudes fitted together, noise, failures, PPR, kinetics.
        let errorFactors = model.amplitudeErrorFactors
        let firstOffset = iFirst - iStart
        for (k, trace) in traces.enumerated() {
            let c = model.coefficients(trace)
            let a = Array(c[model.baselineTerms...])
            var squares = 0.0, count = 0
            for i in 0..<firstOffset where weights[i] > 0 {
                let r = trace[i] - model.value(c, at: i)
                squares += r * r
                count += 1
            }
            let noise = (squares / Double(max(1, count - 1))).squareRoot()
            readouts[k].amplitudes = a
            readouts[k].noise = noise
            readouts[k].baseline = signed * model.baseline(c, at: firstOffset)
            readouts[k].failures = a.indices.map { a[$0] < o.failureThreshold * noise * errorFactors[$0] }
            if a.count > 1, !readouts[k].failures[0], a[0] > 0 { readouts[k].pairedPulseRatio = a[1] / a[0] }
            if !readouts[k].failures[0] {
                var response = geometry
                response.values = trace.indices.map { trace[$0] - model.baseline(c, at: $0) }
                (readouts[k].riseTime, readouts[k].decayTime) = crossingKinetics(response)
            }
        }

        // 6. Induction, baseline, normalisation, windows, Rs flags.
        let (induction, inductionReason) = inductionTime(recording, o, firstSweepMinutes: readouts[0].time - first / 60)
        for k in readouts.indices { readouts[k].time -= induction }
        let baselineIndices = readouts.indices.filter { readouts[$0].time < 0 && readouts[$0].time >= -o.baselineMinutes }
        guard !baselineIndices.isEmpty else {
            throw ReadoutError("no sweeps in the \(format(o.baselineMinutes)) min before induction (at \(format(induction)) min, \(inductionReason))",
                               hint: "set --induction-at MIN (minutes from the start of the recording) or --baseline-minutes")
        }
        let baselineAmplitude = baselineIndices.map { readouts[$0].amplitudes[0] }.reduce(0, +) / Double(baselineIndices.count)
        guard baselineAmplitude > 0 else { throw ReadoutError("the baseline's mean amplitude is not positive") }
        let rsBaseline = median(baselineIndices.compactMap { readouts[$0].seriesResistance })
        for k in readouts.indices {
            readouts[k].isBaseline = baselineIndices.contains(k)
            readouts[k].percent = 100 * readouts[k].amplitudes[0] / baselineAmplitude
            if let rs = readouts[k].seriesResistance, let reference = rsBaseline {
                readouts[k].seriesResistanceFlagged = abs(rs - reference) > o.rsTolerance * reference
            }
        }
        slidingWindows(&readouts, size: o.cvWindow)
        return ReadoutResult(sweeps: readouts, channel: channel, sign: sign, signReason: signReason, stimulusTimes: stimuli,
                             kinetics: kinetics, inductionMinutes: induction, inductionReason: inductionReason,
                             baselineAmplitude: baselineAmplitude, baselineSeriesResistance: rsBaseline)
    }

    // MARK: - Steps

    static func pieces(_ r: Recording, _ o: ReadoutOptions) throws -> [Piece] {
        switch r.mode {
        case .episodic:
            return r.sweeps.indices.map { Piece(sweep: $0, range: 0..<r.sweeps[$0].sampleCount, start: r.sweeps[$0].startTime) }
        case .gapFree:
            guard let length = o.sweepLength else {
                throw ReadoutError("\(r.path) is a gap-free recording: readouts need it cut into sweeps",
                                   hint: "give --sweep-length SECONDS (the stimulation interval), with --stim-times relative to each piece")
            }
            let n = Int((length / r.sampleInterval).rounded())
            guard n >= 10 else { throw ReadoutError("--sweep-length \(format(length)) s is shorter than 10 samples") }
            let total = r.sweeps[0].sampleCount
            return stride(from: 0, to: total - n + 1, by: n).map { Piece(sweep: 0, range: $0..<($0 + n), start: Double($0) * r.sampleInterval) }
        }
    }

    static func direction(_ channel: Channel, _ o: ReadoutOptions) throws -> (ReadoutOptions.Sign, String) {
        if let sign = o.sign { return (sign, "given with --sign") }
        guard let holding = o.holding ?? (channel.clamp == .voltage && channel.commandUnit == "mV" ? channel.holding : nil) else {
            throw ReadoutError("cannot tell the IPSC's direction: the recording does not say at which potential '\(channel.name)' was held",
                               hint: "give --sign outward|inward, or --holding MV with --e-gaba MV")
        }
        let drive = holding - o.reversal
        guard abs(drive) >= 5 else {
            throw ReadoutError("holding \(format(holding)) mV is within 5 mV of E_GABA \(format(o.reversal)) mV: the IPSC's direction is unreliable",
                               hint: "give --sign outward|inward")
        }
        let source = o.holding == nil ? "holding" : "--holding"
        return drive > 0 ? (.outward, "\(source) \(format(holding)) mV above E_GABA \(format(o.reversal)) mV")
                         : (.inward, "\(source) \(format(holding)) mV below E_GABA \(format(o.reversal)) mV")
    }

    /// Stimulus artefacts: the fast deflections of the average of up to 20 sweeps (noise
    /// averages down, artefacts do not) larger than both 10 robust SDs of the sample-to-sample
    /// differences and a third of the largest one, away from steps of the command.
    static func detectStimuli(_ r: Recording, _ o: ReadoutOptions, _ pieces: [Piece], length: Int) throws -> [Double] {
        let step = max(1, pieces.count / 20)
        var average = [Double](repeating: 0, count: length)
        var used = 0
        for p in stride(from: 0, to: pieces.count, by: step) {
            let x = try r.samples(channel: o.channel, sweep: pieces[p].sweep, range: pieces[p].range.lowerBound..<(pieces[p].range.lowerBound + length))
            for i in 0..<length { average[i] += x[i] }
            used += 1
        }
        let dt = r.sampleInterval
        var excluded = [Bool](repeating: false, count: length)
        if let command = try r.command(channel: o.channel, sweep: pieces[0].sweep, range: pieces[0].range.lowerBound..<(pieces[0].range.lowerBound + length)) {
            let guardSamples = Int((0.002 / dt).rounded(.up))
            for i in 1..<length where abs(command[i] - command[i - 1]) > 0.1 {
                for j in max(0, i - guardSamples)..<min(length, i + guardSamples) { excluded[j] = true }
            }
        }
        let d = (1..<length).map { (average[$0] - average[$0 - 1]) / Double(used) }
        let center = median(d) ?? 0
        let sigma = 1.4826 * (median(d.map { abs($0 - center) }) ?? 0)
        let largest = d.indices.filter { !excluded[$0 + 1] }.map { abs(d[$0]) }.max() ?? 0
        let threshold = max(10 * sigma, largest / 3)
        var events: [Int] = []
        var lastHit = -Int.max / 2
        let gap = Int((0.002 / dt).rounded(.up))
        for i in d.indices where !excluded[i + 1] && abs(d[i] - center) > threshold && largest > 0 {
            if i - lastHit > gap { events.append(i + 1) }
            lastHit = i
        }
        guard !events.isEmpty else {
            throw ReadoutError("no stimulus artefact found in the sweep average", hint: "give the stimulus times with --stim-times")
        }
        return events.map { Double($0) * dt }
    }

    static func inductionTime(_ r: Recording, _ o: ReadoutOptions, firstSweepMinutes: Double) -> (Double, String) {
        if let at = o.inductionAt { return (at, "given with --induction-at") }
        if let tag = r.tags.first(where: { $0.comment.lowercased().contains("induc") }) {
            return (tag.time / 60, "the tag '\(tag.comment)'")
        }
        return (firstSweepMinutes + o.baselineMinutes, "the end of the \(format(o.baselineMinutes)) min baseline")
    }

    /// 20–80 % rise and peak-to-1/e decay of the first response, on a 5-point moving
    /// average, with linear interpolation between samples.
    static func crossingKinetics(_ s: ResponseSegment) -> (Double?, Double?) {
        let n = s.values.count
        var smooth = [Double](repeating: 0, count: n)
        // Blanked samples (the artefact) stay out of every average.
        for i in 0..<n where s.weights[i] > 0 {
            var sum = 0.0, kept = 0
            for j in max(0, i - 2)..<min(n, i + 3) where s.weights[j] > 0 {
                sum += s.values[j]
                kept += 1
            }
            smooth[i] = sum / Double(kept)
        }
        let end = s.stimuli.count > 1 ? s.stimuli[1] : s.time(n - 1)
        let indices = s.values.indices.filter { s.weights[$0] > 0 && s.time($0) < end && s.time($0) >= 0 }
        guard let peakIndex = indices.max(by: { smooth[$0] < smooth[$1] }), smooth[peakIndex] > 0 else { return (nil, nil) }
        let peak = smooth[peakIndex]
        func before(_ level: Double) -> Double? {
            var i = peakIndex
            while i > 0, s.weights[i - 1] > 0, smooth[i - 1] >= level { i -= 1 }
            guard i > 0, s.weights[i - 1] > 0 else { return nil }
            return s.time(i - 1) + (level - smooth[i - 1]) / (smooth[i] - smooth[i - 1]) * s.dt
        }
        var rise: Double?
        if let t20 = before(0.2 * peak), let t80 = before(0.8 * peak) { rise = t80 - t20 }
        var decay: Double?
        let target = peak / M_E
        var i = peakIndex
        while i + 1 < n, s.time(i + 1) < end, smooth[i + 1] > target { i += 1 }
        if i + 1 < n, s.time(i + 1) < end {
            decay = s.time(i) + (smooth[i] - target) / (smooth[i] - smooth[i + 1]) * s.dt - s.time(peakIndex)
        }
        return (rise, decay)
    }

    /// Centred windows of `size` sweeps that do not straddle induction.
    static func slidingWindows(_ r: inout [SweepReadout], size: Int) {
        let half = max(0, size / 2)
        for k in r.indices {
            let phase = r[k].time < 0
            var members: [Int] = []
            for j in max(0, k - half)...min(r.count - 1, k + half) where (r[j].time < 0) == phase { members.append(j) }
            let amplitudes = members.map { r[$0].amplitudes[0] }
            if let (mean, sd) = meanSD(amplitudes), mean > 0 {
                r[k].cv = sd / mean
                r[k].inverseCV2 = sd > 0 ? (mean / sd) * (mean / sd) : nil
            }
            r[k].percentSD = meanSD(members.map { r[$0].percent })?.1
            r[k].pprSD = meanSD(members.compactMap { r[$0].pairedPulseRatio })?.1
        }
    }

    static func meanSD(_ x: [Double]) -> (Double, Double)? {
        guard x.count >= 2 else { return nil }
        let mean = x.reduce(0, +) / Double(x.count)
        return (mean, (x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count - 1)).squareRoot())
    }

    static func median(_ x: [Double]) -> Double? {
        guard !x.isEmpty else { return nil }
        let s = x.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// The first sample at or after `t` seconds (a millionth of a sample early still counts).
    static func sampleIndex(_ t: Double, _ dt: Double) -> Int { Int((t / dt - 1e-6).rounded(.up)) }

    static func format(_ x: Double) -> String {
        let r = (x * 1000).rounded() / 1000
        return r == r.rounded() && abs(r) < 1e15 ? String(Int64(r)) : "\(r)"
    }
}
