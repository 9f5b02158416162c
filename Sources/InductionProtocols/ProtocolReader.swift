public import SourceDiagnostics
import ConfigFiles

/// Reads protocol files (`Pathways/protocols/*.toml`; format in docs/file-formats.md).
public enum ProtocolReader {
    public static func read(path: String) throws(DiagnosticsError) -> InductionProtocol {
        try read(SourceFile.read(path: path))
    }

    public static func read(_ file: SourceFile) throws(DiagnosticsError) -> InductionProtocol {
        let root = try ConfigReader.read(file)
        var diagnostics = DiagnosticCollector()
        var top = TableReader(root, name: "the protocol")
        let description = top.string("description", required: false, diagnostics: &diagnostics)?.0 ?? ""

        var baseline = top.table("baseline", required: true, diagnostics: &diagnostics)
        // A change is a percentage of the baseline's mean: the baseline must hold a test stimulus
        // (its first comes at 0 s).
        let baselineDuration = baseline?.number("duration", minimum: 0, exclusiveMinimum: true, diagnostics: &diagnostics) ?? 0
        let testInterval = baseline?.number("test_interval", default: 10, minimum: 0, exclusiveMinimum: true, diagnostics: &diagnostics) ?? 10
        let pairedPulse = baseline?.number("paired_pulse_interval", default: 0.05, minimum: 0, exclusiveMinimum: true, diagnostics: &diagnostics) ?? 0.05
        baseline?.finish(diagnostics: &diagnostics)

        var blocks: [InductionBlock] = []
        for var block in top.tables("induction", diagnostics: &diagnostics) {
            if let b = readBlock(&block, &diagnostics) { blocks.append(b) }
            block.finish(diagnostics: &diagnostics)
        }

        var followUp = top.table("follow_up", required: true, diagnostics: &diagnostics)
        let followUpDuration = followUp?.number("duration", minimum: 0, diagnostics: &diagnostics) ?? 0
        var window: ClosedRange<Double> = 1200...1800
        if let w = followUp?.value("analysis_window") {
            if case .array(let xs) = w.kind, xs.count == 2, case .number(let a) = xs[0].kind, case .number(let b) = xs[1].kind, a < b, a >= 0 {
                window = a...b
            } else {
                diagnostics.error("'analysis_window' must be [from, to] in seconds after induction, from < to", at: w.range)
            }
        }
        if window.upperBound > followUpDuration + 1e-9, followUp != nil {
            diagnostics.add(Diagnostic(.error, "the analysis window ends at \(Int(window.upperBound)) s after induction, after the follow-up (\(Int(followUpDuration)) s) is over",
                                       at: followUp?.value("duration")?.range ?? followUp?.range,
                                       hints: ["lengthen the follow-up or set analysis_window = [from, to]"]))
        }
        followUp?.finish(diagnostics: &diagnostics)
        top.finish(diagnostics: &diagnostics)
        try diagnostics.throwIfErrors()

        let name = file.path.split(separator: "/").last.map { String($0.split(separator: ".").first ?? $0) } ?? file.path
        let read = InductionProtocol(name: name, description: description, baselineDuration: baselineDuration,
                                     testInterval: testInterval, pairedPulseInterval: pairedPulse, induction: blocks,
                                     followUpDuration: followUpDuration, analysisWindow: window, source: file)
        // The window is read from the follow-up's test stimuli; one that holds none gives no change.
        let followUpTests = read.testTimes.filter { $0 >= read.followUpStart - 1e-9 }
        if !followUpTests.contains(where: read.isInAnalysisWindow), let range = followUp?.value("analysis_window")?.range ?? followUp?.range {
            throw DiagnosticsError(Diagnostic(.error, "the analysis window [\(NumberText.plain(window.lowerBound)), \(NumberText.plain(window.upperBound))] s after induction holds no test stimulus (one every \(NumberText.plain(testInterval)) s from \(NumberText.plain(read.followUpStart - read.inductionEnd)) s after induction)",
                                              at: range, hints: ["widen the window to at least one test interval; its bounds are in seconds, not minutes"]))
        }
        return read
    }

    static let patterns = ["train", "theta_burst", "pairing", "step"]

    static func readBlock(_ t: inout TableReader, _ d: inout DiagnosticCollector) -> InductionBlock? {
        guard let (patternName, patternRange) = t.string("pattern", diagnostics: &d) else { return nil }
        let start = t.number("start", default: 0, minimum: 0, diagnostics: &d) ?? 0
        let pattern: StimulusPattern?
        var stimulus = ""
        var stimulusRange: SourceRange?
        var nameRanges: [String: SourceRange] = [:]
        func stimulusName(_ key: String) -> String? {
            guard let (s, r) = t.string(key, diagnostics: &d) else { return nil }
            if stimulusRange == nil { stimulusRange = r }
            if nameRanges[s] == nil { nameRanges[s] = r }
            return s
        }
        switch patternName {
        case "train":
            stimulus = stimulusName("stimulus") ?? ""
            let rate = t.number("rate", minimum: 0, exclusiveMinimum: true, diagnostics: &d)
            let count = t.integer("count", minimum: 1, diagnostics: &d)
            let repeats = t.integer("repeats", default: 1, minimum: 1, diagnostics: &d)
            let interval = t.number("repeat_interval", default: 0, minimum: 0, diagnostics: &d)
            if let rate, let count, let repeats, let interval {
                if repeats > 1, interval < Double(count) / rate {
                    d.error("'repeat_interval' (\(NumberText.plain(interval)) s) is shorter than one train (\(NumberText.plain(Double(count) / rate)) s)",
                            at: t.value("repeat_interval")?.range ?? t.range)
                }
                pattern = .train(rate: rate, count: count, repeats: repeats, repeatInterval: interval)
            } else { pattern = nil }
        case "theta_burst":
            stimulus = stimulusName("stimulus") ?? ""
            let pulses = t.integer("pulses_per_burst", default: 4, minimum: 1, diagnostics: &d)
            let intra = t.number("intra_burst_rate", default: 100, minimum: 0, exclusiveMinimum: true, diagnostics: &d)
            let burstRate = t.number("burst_rate", default: 5, minimum: 0, exclusiveMinimum: true, diagnostics: &d)
            let bursts = t.integer("bursts_per_train", default: 10, minimum: 1, diagnostics: &d)
            let trains = t.integer("trains", default: 1, minimum: 1, diagnostics: &d)
            let trainInterval = t.number("train_interval", default: 10, minimum: 0, exclusiveMinimum: true, diagnostics: &d)
            if let pulses, let intra, let burstRate, let bursts, let trains, let trainInterval {
                if Double(pulses - 1) / intra >= 1 / burstRate {
                    d.error("a burst of \(pulses) pulses at \(NumberText.plain(intra)) Hz lasts longer than the interval between bursts (\(NumberText.plain(1 / burstRate)) s)",
                            at: t.value("pulses_per_burst")?.range ?? t.range)
                }
                pattern = .thetaBurst(pulsesPerBurst: pulses, intraBurstRate: intra, burstRate: burstRate,
                                      burstsPerTrain: bursts, trains: trains, trainInterval: trainInterval)
            } else { pattern = nil }
        case "pairing":
            let pre = stimulusName("pre")
            let post = stimulusName("post")
            let deltaT = t.number("delta_t", minimum: -10, maximum: 10, diagnostics: &d)
            let pairs = t.integer("pairs", minimum: 1, diagnostics: &d)
            let rate = t.number("rate", minimum: 0, exclusiveMinimum: true, diagnostics: &d)
            if let pre, let post, let deltaT, let pairs, let rate {
                stimulus = pre
                pattern = .pairing(pre: pre, post: post, deltaT: deltaT, pairs: pairs, rate: rate)
            } else { pattern = nil }
        case "step":
            stimulus = stimulusName("stimulus") ?? ""
            let duration = t.number("duration", minimum: 0, exclusiveMinimum: true, diagnostics: &d)
            let repeats = t.integer("repeats", default: 1, minimum: 1, diagnostics: &d)
            let interval = t.number("repeat_interval", default: 0, minimum: 0, diagnostics: &d)
            if let duration, let repeats, let interval {
                if repeats > 1, interval <= duration {
                    d.error("'repeat_interval' (\(NumberText.plain(interval)) s) must be longer than each step (\(NumberText.plain(duration)) s)",
                            at: t.value("repeat_interval")?.range ?? t.range)
                }
                pattern = .step(duration: duration, repeats: repeats, repeatInterval: interval)
            } else { pattern = nil }
        default:
            d.add(Diagnostic(.error, "unknown pattern '\(patternName)'", at: patternRange,
                             hints: [Suggestions.didYouMean(patternName, among: patterns) ?? "patterns: \(patterns.joined(separator: ", "))"]))
            return nil
        }
        guard let pattern else { return nil }
        var block = InductionBlock(stimulus: stimulus, pattern: pattern, start: start, stimulusRange: stimulusRange)
        block.stimulusNameRanges = nameRanges
        return block
    }
}
