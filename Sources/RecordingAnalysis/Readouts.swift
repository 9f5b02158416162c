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
    /// Holding current before the stimulus (pA) and its standard deviation (noise).
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
/// 2. per sweep: baseline (mean of `baselineWindow` before the first stimulus) subtracted,
///    the sign applied so responses are positive, `blank` after each stimulus left out;
/// 3. the response shape (rise, decay, latency) fitted once to the average of all sweeps;
/// 4. per sweep: the amplitudes of that shape fitted to the sweep (both of a pair at once),
///    failures, PPR, rise and decay, series resistance from the test pulse;
/// 5. baseline normalisation, sliding-window CV, flags for series-resistance changes.
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
        let baselineEnd = first - 0.0005, baselineStart = baselineEnd - o.baselineWindow
        let segmentEnd = min(Double(length) * dt, last + o.responseWindow)
        guard baselineStart >= 0 else {
            throw ReadoutError("the first stimulus at \(format(first * 1000)) ms leaves no \(format(o.baselineWindow * 1000)) ms baseline before it",
                               hint: "shorten --baseline-window or check --stim-times (seconds from the sweep start)")
        }
        guard segmentEnd > last + o.blank + 5 * dt else {
            throw ReadoutError("the last stimulus at \(format(last * 1000)) ms is at or after the end of the \(format(Double(length) * dt * 1000)) ms sweep",
                               hint: "stimulus times are seconds from the start of each sweep")
        }

        // 2. Sign.
        let (sign, signReason) = try direction(channel, o)

        // Per sweep: read, baseline, segment, Rs.
        let i0 = Int((baselineStart / dt).rounded(.down)), iBase = Int((baselineEnd / dt).rounded(.down))
        let iEnd = Int((segmentEnd / dt).rounded(.down))
        var segments: [ResponseSegment] = []
        var readouts: [SweepReadout] = []
        var average = [Double](repeating: 0, count: iEnd - iBase)
        for piece in pieces {
            let x = try recording.samples(channel: o.channel, sweep: piece.sweep, range: piece.range)
            let base = x[i0..<iBase]
            let mean = base.reduce(0, +) / Double(base.count)
            let sd = (base.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(1, base.count - 1))).squareRoot()
            let signed = sign == .outward ? 1.0 : -1.0
            var values = [Double](repeating: 0, count: iEnd - iBase), weights = [Double](repeating: 1, count: iEnd - iBase)
            for i in iBase..<iEnd {
                values[i - iBase] = signed * (x[i] - mean)
                let t = Double(i) * dt
                if t < first || stimuli.contains(where: { t >= $0 - dt / 2 && t < $0 + o.blank }) { weights[i - iBase] = 0 }
                average[i - iBase] += values[i - iBase]
            }
            segments.append(ResponseSegment(values: values, weights: weights, start: Double(iBase) * dt - first, dt: dt,
                                            stimuli: stimuli.map { $0 - first }))
            let command = try recording.command(channel: o.channel, sweep: piece.sweep, range: piece.range)
            readouts.append(SweepReadout(
                sweep: piece.sweep + 1, time: (piece.start + first) / 60, amplitudes: [], failures: [], baseline: mean, noise: sd,
                seriesResistance: command.flatMap { SeriesResistance.estimate(current: x, command: $0, dt: dt, noise: sd) }))
        }

        // 3. Shape from the average.
        let averaged = ResponseSegment(values: average.map { $0 / Double(pieces.count) }, weights: segments[0].weights,
                                       start: segments[0].start, dt: dt, stimuli: segments[0].stimuli)
        let maxLatency = max(2 * dt, min(0.01, (stimuli.count > 1 ? stimuli[1] - stimuli[0] : o.responseWindow) / 2))
        guard let kinetics = KineticsFit.fit(averaged, maxLatency: maxLatency) else {
            throw ReadoutError("no synaptic response found: the shape fit to the sweep average failed",
                               hint: "check --channel, --stim-times and --sign")
        }
        let (averageAmplitudes, _) = KineticsFit.amplitudes(averaged, kinetics)
        guard let a1 = averageAmplitudes.first, a1 > 0 else {
            throw ReadoutError("the average response has no \(sign.rawValue) current after the stimulus (fitted amplitude \(format(averageAmplitudes.first ?? 0)) pA)",
                               hint: "the sign is wrong (\(signReason))? give --sign \(sign == .outward ? "inward" : "outward")")
        }

        // 4. Per sweep amplitudes, failures, PPR, kinetics.
        for (k, segment) in segments.enumerated() {
            let (a, factors) = KineticsFit.amplitudes(segment, kinetics)
            readouts[k].amplitudes = a
            readouts[k].failures = a.indices.map { a[$0] < o.failureThreshold * readouts[k].noise * factors[$0] }
            if a.count > 1, !readouts[k].failures[0], a[0] > 0 { readouts[k].pairedPulseRatio = a[1] / a[0] }
            if !readouts[k].failures[0] {
                (readouts[k].riseTime, readouts[k].decayTime) = crossingKinetics(segment)
            }
        }

        // 5. Induction, baseline, normalisation, windows, Rs flags.
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
            let kept = (max(0, i - 2)..<min(n, i + 3)).filter { s.weights[$0] > 0 }
            smooth[i] = kept.reduce(0) { $0 + s.values[$1] } / Double(kept.count)
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

    static func format(_ x: Double) -> String {
        let r = (x * 1000).rounded() / 1000
        return r == r.rounded() && abs(r) < 1e15 ? String(Int64(r)) : "\(r)"
    }
}
