public import SourceDiagnostics

/// An experiment as a recording rig would run it: a baseline of test stimuli, an
/// induction made of stimulus patterns, and a follow-up of test stimuli.
///
/// Times are in seconds from the start of the baseline. Test stimuli fall on multiples of
/// `testInterval`, so a simulation whose output grid divides the interval sees every one.
public struct InductionProtocol: Sendable {
    public var name: String
    public var description: String
    public var baselineDuration: Double
    public var testInterval: Double
    /// Interval of the paired test pulse (for the paired-pulse ratio).
    public var pairedPulseInterval: Double
    public var induction: [InductionBlock]
    public var followUpDuration: Double
    /// Window after the end of induction over which the change is measured (s).
    public var analysisWindow: ClosedRange<Double>
    /// Where the protocol came from, for messages.
    public var source: SourceFile?

    public init(name: String, description: String = "", baselineDuration: Double, testInterval: Double,
                pairedPulseInterval: Double = 0.05, induction: [InductionBlock], followUpDuration: Double,
                analysisWindow: ClosedRange<Double> = 1200...1800, source: SourceFile? = nil) {
        self.name = name; self.description = description; self.baselineDuration = baselineDuration
        self.testInterval = testInterval; self.pairedPulseInterval = pairedPulseInterval; self.induction = induction
        self.followUpDuration = followUpDuration; self.analysisWindow = analysisWindow; self.source = source
    }

    public var inductionStart: Double { baselineDuration }

    /// The first induction block that is a pairing (the one `kinapse stdp` sweeps).
    public var pairingBlock: Int? {
        induction.firstIndex { if case .pairing = $0.pattern { true } else { false } }
    }

    /// End of the last induction stimulus (the start of induction if there is none).
    public var inductionEnd: Double {
        induction.map { inductionStart + $0.start + $0.pattern.duration }.max() ?? inductionStart
    }

    /// The first test stimulus after induction: the next multiple of the test interval.
    public var followUpStart: Double {
        ((inductionEnd / testInterval).rounded(.down) + 1) * testInterval
    }

    public var endTime: Double { followUpStart + followUpDuration }

    /// Whether a follow-up time lies in the analysis window, which counts from the end of
    /// induction.
    public func isInAnalysisWindow(_ time: Double) -> Bool { analysisWindow.contains(time - inductionEnd) }

    /// Test stimulus times: the baseline's, then the follow-up's, on multiples of the interval.
    public var testTimes: [Double] {
        var times: [Double] = []
        var k = 0
        while Double(k) * testInterval < baselineDuration - 1e-9 * testInterval {
            times.append(Double(k) * testInterval)
            k += 1
        }
        let first = Int((followUpStart / testInterval).rounded())
        let last = Int((endTime / testInterval + 1e-9).rounded(.down))
        if first <= last { for j in first...last { times.append(Double(j) * testInterval) } }
        return times
    }

    /// Every stimulus of the induction, in time order.
    public var schedule: [ScheduledStimulus] { schedule(offsetting: nil) }

    /// The schedule with the pairing of block `index` timed by two model parameters: its pre
    /// stimuli at their Δt = 0 time plus `preOffset`, its post stimuli plus `postOffset`, so one
    /// compiled model runs the pairing at any Δt (`PairingOffsets.values(deltaT:)` gives the two
    /// values); every other block is as in `schedule`.
    public func schedule(offsettingPairingOf index: Int, preOffset: String, postOffset: String) -> [ScheduledStimulus] {
        schedule(offsetting: (index, preOffset, postOffset))
    }

    private func schedule(offsetting: (block: Int, pre: String, post: String)?) -> [ScheduledStimulus] {
        var out: [(ScheduledStimulus, order: Int)] = []
        for (blockIndex, block) in induction.enumerated() {
            let t0 = inductionStart + block.start
            var pattern = block.pattern
            var offsets: [String: String] = [:]
            if let offsetting, offsetting.block == blockIndex, case .pairing(let pre, let post, _, let pairs, let rate) = pattern {
                pattern = .pairing(pre: pre, post: post, deltaT: 0, pairs: pairs, rate: rate)
                // A pairing of one stimulus with itself shifts both by the post offset.
                offsets = [pre: offsetting.pre, post: offsetting.post]
            }
            for s in pattern.stimuli(defaultStimulus: block.stimulus) {
                out.append((ScheduledStimulus(stimulus: s.stimulus, time: t0 + s.offset, duration: s.duration, block: blockIndex,
                                              offset: offsets[s.stimulus]), out.count))
            }
        }
        // Stable: simultaneous stimuli keep the order the protocol lists them in (in a
        // pairing at delta_t = 0, pre before post), since events at one instant run in order.
        return out.sorted { ($0.0.time, $0.order) < ($1.0.time, $1.order) }.map(\.0)
    }
}

/// One stimulus at one time: a pulse (`duration == 0`) or a period.
public struct ScheduledStimulus: Sendable, Hashable {
    public let stimulus: String
    /// Seconds; plus the value of `offset`, when there is one.
    public let time: Double
    public let duration: Double
    /// Which induction block it comes from (-1: a test stimulus).
    public let block: Int
    /// A model parameter (s) added to `time`, so the compiled model leaves the time open.
    public let offset: String?

    public init(stimulus: String, time: Double, duration: Double, block: Int, offset: String? = nil) {
        self.stimulus = stimulus; self.time = time; self.duration = duration; self.block = block; self.offset = offset
    }
}

/// The two offsets that place a pairing's stimuli at a given Δt (`schedule(offsettingPairingOf:…)`).
public enum PairingOffsets {
    /// Seconds added to the pre and post stimuli of the Δt = 0 pairing: the one that comes
    /// second moves by |Δt|, as `StimulusPattern.stimuli` shifts a post-first pairing.
    public static func values(deltaT: Double) -> (pre: Double, post: Double) {
        (max(0, -deltaT), max(0, deltaT))
    }
}

/// A stimulus pattern placed in the induction.
public struct InductionBlock: Sendable {
    /// The stimulus kind (a name the synapse maps to pathway inputs); pairing uses its own two.
    public var stimulus: String
    public var pattern: StimulusPattern
    /// Offset from the start of the induction (s).
    public var start: Double
    /// Where the block's stimulus names were written, for "no such stimulus" errors.
    public var stimulusRange: SourceRange?
    /// Where each stimulus name was written (a pairing's `pre` and `post` apart).
    public var stimulusNameRanges: [String: SourceRange] = [:]

    public init(stimulus: String, pattern: StimulusPattern, start: Double = 0, stimulusRange: SourceRange? = nil) {
        self.stimulus = stimulus; self.pattern = pattern; self.start = start; self.stimulusRange = stimulusRange
    }

    /// The stimulus names the block uses.
    public var stimulusNames: [String] {
        if case .pairing(let pre, let post, _, _, _) = pattern { return [pre, post] }
        return [stimulus]
    }
}

public enum StimulusPattern: Sendable, Hashable {
    /// `count` pulses at `rate` Hz, the whole train repeated `repeats` times every `repeatInterval` s.
    case train(rate: Double, count: Int, repeats: Int, repeatInterval: Double)
    /// Bursts of `pulsesPerBurst` at `intraBurstRate` Hz, bursts at `burstRate` Hz,
    /// `burstsPerTrain` per train, `trains` trains every `trainInterval` s.
    case thetaBurst(pulsesPerBurst: Int, intraBurstRate: Double, burstRate: Double, burstsPerTrain: Int,
                    trains: Int, trainInterval: Double)
    /// `pairs` pairings at `rate` Hz: `pre` at each pairing time, `post` `deltaT` s later
    /// (negative: post before pre).
    case pairing(pre: String, post: String, deltaT: Double, pairs: Int, rate: Double)
    /// A period stimulus held on for `duration` s (depolarisation, bath application),
    /// `repeats` times, starting every `repeatInterval` s.
    case step(duration: Double, repeats: Int, repeatInterval: Double)

    /// Time from the block's start to its last stimulus' end (in closed form: protocols
    /// ask for it often, and a train may have thousands of pulses).
    public var duration: Double {
        switch self {
        case .train(let rate, let count, let repeats, let repeatInterval):
            return Double(repeats - 1) * repeatInterval + Double(count - 1) / rate
        case .thetaBurst(let pulses, let intra, let burstRate, let bursts, let trains, let trainInterval):
            return Double(trains - 1) * trainInterval + Double(bursts - 1) / burstRate + Double(pulses - 1) / intra
        case .pairing(_, _, let deltaT, let pairs, let rate):
            return Double(pairs - 1) / rate + Swift.abs(deltaT)
        case .step(let duration, let repeats, let repeatInterval):
            return Double(repeats - 1) * repeatInterval + duration
        }
    }

    /// Offsets of every stimulus from the block's start. Computed from integer counts,
    /// never accumulated, so a pulse lands exactly where the protocol says.
    public func stimuli(defaultStimulus: String) -> [(stimulus: String, offset: Double, duration: Double)] {
        switch self {
        case .train(let rate, let count, let repeats, let repeatInterval):
            var out: [(stimulus: String, offset: Double, duration: Double)] = []
            for r in 0..<repeats {
                for k in 0..<count { out.append((defaultStimulus, Double(r) * repeatInterval + Double(k) / rate, 0)) }
            }
            return out
        case .thetaBurst(let pulses, let intra, let burstRate, let bursts, let trains, let trainInterval):
            var out: [(stimulus: String, offset: Double, duration: Double)] = []
            for t in 0..<trains {
                for b in 0..<bursts {
                    for p in 0..<pulses {
                        out.append((defaultStimulus, Double(t) * trainInterval + Double(b) / burstRate + Double(p) / intra, 0))
                    }
                }
            }
            return out
        case .pairing(let pre, let post, let deltaT, let pairs, let rate):
            // Whichever comes second is shifted, so nothing falls before the block's start.
            let shift = PairingOffsets.values(deltaT: deltaT)
            var out: [(stimulus: String, offset: Double, duration: Double)] = []
            for k in 0..<pairs {
                let t = Double(k) / rate
                out.append((pre, t + shift.pre, 0))
                out.append((post, t + shift.post, 0))
            }
            return out
        case .step(let duration, let repeats, let repeatInterval):
            return (0..<repeats).map { (defaultStimulus, Double($0) * repeatInterval, duration) }
        }
    }
}
