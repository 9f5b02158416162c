import ArgumentParser
import Foundation
import SourceDiagnostics
import Reporting
import Plotting
import Recordings
import RecordingAnalysis

/// `kinapse readouts RECORDING`: an ABF or NWB recording of evoked IPSCs in, the per-stimulus
/// readouts out, in the data format `kinapse fit` reads for a synapse.
struct Readouts: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure evoked IPSCs in an ABF or NWB recording: amplitude, PPR, CV, failures, Rs.",
        discussion: """
        Reads Axon ABF (ABF1, ABF2; episodic or gap-free) and NWB 2 files with
        intracellular recordings (docs/recordings.md). Per sweep, with the artefact
        after each stimulus and the test pulse left out: the holding current and the
        amplitudes of the response shape (fitted once to the average of all sweeps)
        fitted together, both of a pair at once; then failures, PPR,
        20-80 % rise and decay, series resistance from the test pulse, CV and 1/CV²
        over sliding windows, and the amplitude in % of the baseline against minutes
        from induction.

        --out writes time,ipsc,ipsc_sd,ppr,ppr_sd for a synapse fit experiment with
        time_unit = "min" and time_origin = "induction"; sweeps whose series
        resistance changed more than 20 % are left out (and named in a comment).

        Examples:
          kinapse readouts Fixtures/recordings/example_ipscs.abf \\
              --stim-times 100ms --pair 50ms --baseline-minutes 5 \\
              --out readouts.csv --sweeps sweeps.csv --plot readouts.svg
          kinapse readouts cell3.nwb --detect-stimulus --sign outward --out r.csv
        """)

    @Argument(help: "An ABF (.abf) or NWB (.nwb) recording.")
    var recording: String

    @Option(help: ArgumentHelp("The current channel: an index from 0 or a name.", valueName: "N|NAME"))
    var channel: String = "0"

    @Option(name: .customLong("stim-times"), help: ArgumentHelp("Stimulus times within each sweep, comma-separated (s, or with ms).", valueName: "T,…"))
    var stimTimes: String?

    @Flag(name: .customLong("detect-stimulus"), help: "Find the stimuli from their artefacts instead.")
    var detectStimulus = false

    @Option(help: ArgumentHelp("Paired pulses: a second stimulus this long after the first (50ms).", valueName: "DURATION"))
    var pair: Seconds?

    @Option(name: .customLong("baseline-minutes"), help: "Minutes of baseline before induction (100 %).")
    var baselineMinutes: Double = 10

    @Option(name: .customLong("induction-at"), help: ArgumentHelp("Minutes from the start of the recording to induction (default: a tag naming induction, else the end of the baseline).", valueName: "MIN"))
    var inductionAt: Double?

    @Option(help: ArgumentHelp("Direction of the IPSC: outward or inward (default: from the holding potential and E_GABA).", valueName: "SIGN"))
    var sign: ReadoutOptions.Sign?

    @Option(help: ArgumentHelp("Holding potential (mV), if the recording does not say.", valueName: "MV"))
    var holding: Double?

    @Option(name: .customLong("e-gaba"), help: ArgumentHelp("GABA-A reversal potential (mV).", valueName: "MV"))
    var eGABA: Double = -70

    @Option(help: ArgumentHelp("Samples left out after each stimulus (the artefact).", valueName: "DURATION"))
    var blank: Seconds = Seconds(0.001)

    @Option(name: .customLong("baseline-window"), help: ArgumentHelp("Each sweep is fitted from this long before the first stimulus.", valueName: "DURATION"))
    var baselineWindow: Seconds = Seconds(0.1)

    @Option(help: ArgumentHelp("Each sweep is fitted until this long after the last stimulus.", valueName: "DURATION"))
    var window: Seconds = Seconds(0.25)

    @Flag(help: "Also fit a linear drift of the holding current within each sweep.")
    var drift = false

    @Option(name: .customLong("failure-threshold"), help: "A response below this many standard errors of its amplitude (from the baseline noise) is a failure.")
    var failureThreshold: Double = 4

    @Option(name: .customLong("cv-window"), help: "Sweeps per sliding window (CV, 1/CV², standard deviations).")
    var cvWindow: Int = 9

    @Option(name: .customLong("sweep-length"), help: ArgumentHelp("Gap-free recordings: cut into pieces this long.", valueName: "DURATION"))
    var sweepLength: Seconds?

    @Option(help: ArgumentHelp("The fit data (time,ipsc,ipsc_sd,ppr,ppr_sd), written atomically.", valueName: "READOUTS.csv"))
    var out: String

    @Option(help: ArgumentHelp("Also every measurement of every sweep.", valueName: "SWEEPS.csv"))
    var sweeps: String?

    @Option(help: ArgumentHelp("Also a figure: IPSC in % of baseline, PPR, 1/CV² and Rs against minutes from induction.", valueName: "FIG.svg"))
    var plot: String?

    @Flag(help: "Replace a read-only output file.")
    var force = false

    func validate() throws {
        guard (stimTimes != nil) != detectStimulus else {
            throw ValidationError("give the stimulus times with --stim-times T,… or --detect-stimulus (one of them)")
        }
        if let stimTimes {
            for part in stimTimes.split(separator: ",", omittingEmptySubsequences: false) where Seconds(argument: String(part)) == nil {
                throw ValidationError("--stim-times: '\(part)' is not a time (0.2, 200ms)")
            }
        }
        guard baselineMinutes > 0 else { throw ValidationError("--baseline-minutes must be positive") }
        guard cvWindow >= 2 else { throw ValidationError("--cv-window must be at least 2 sweeps") }
        guard failureThreshold > 0 else { throw ValidationError("--failure-threshold must be positive") }
        try OutputCheck.refuseConflicts(outputs, inputs: [recording], force: force)
    }

    var outputs: [(option: String, path: String?)] { [("--out", out), ("--sweeps", sweeps), ("--plot", plot)] }

    func run() throws {
        let file = try RecordingReader.read(path: recording)
        guard let channelIndex = file.channelIndex(named: channel) else {
            let names = file.channels.enumerated().map { "\($0.offset) '\($0.element.name)' (\($0.element.unit))" }.joined(separator: ", ")
            let hint = Suggestions.didYouMean(channel, among: file.channels.map(\.name)) ?? "channels of \(recording): \(names)"
            throw DiagnosticsError(Diagnostic(.error, "\(recording) has no channel '\(channel)'", hints: [hint]))
        }
        try OutputCheck.check(outputs, inputs: [recording], force: force)
        var options = ReadoutOptions(channel: channelIndex,
                                     stimuli: stimTimes.map { .times($0.split(separator: ",").compactMap { Seconds(argument: String($0))?.value }) } ?? .detect)
        options.pairInterval = pair?.value
        options.baselineMinutes = baselineMinutes
        options.inductionAt = inductionAt
        options.sign = sign
        options.holding = holding
        options.reversal = eGABA
        options.blank = blank.value
        options.baselineWindow = baselineWindow.value
        options.responseWindow = window.value
        options.drift = drift
        options.failureThreshold = failureThreshold
        options.cvWindow = cvWindow
        options.sweepLength = sweepLength?.value

        let result = try ReadoutAnalysis.analyse(file, options)
        try OutputCheck.write(result.fitData(source: recording, windowSize: cvWindow), to: out, option: "--out", force: force)
        if let sweeps { try OutputCheck.write(result.sweepTable(), to: sweeps, option: "--sweeps", force: force) }
        if let plot { try PlotOutput.write({ try Self.figure(result, title: (recording as NSString).lastPathComponent) }, to: plot, force: force) }
        StandardOutput.write(Self.summary(result, file: file) + "\n")
    }

    static func summary(_ r: ReadoutResult, file: Recording) -> String {
        let s = r.sweeps
        func f(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
        var lines = ["\(file.path): \(file.format.rawValue) \(file.version), \(file.mode.rawValue), \(s.count) sweeps at \(f(file.sampleRate / 1000)) kHz"]
        lines.append("channel '\(r.channel.name)' (\(r.channel.unit)): \(r.sign.rawValue) IPSCs, \(r.signReason)")
        let k = r.kinetics
        lines.append("response shape (sweep average): rise τ \(f(k.riseTau * 1000, 2)) ms (20-80 % \(f(k.riseTime2080 * 1000, 2)) ms), decay τ \(f(k.decayTau * 1000)) ms, latency \(f(k.latency * 1000, 2)) ms")
        let baseline = s.filter(\.isBaseline)
        lines.append("baseline: \(baseline.count) sweeps, mean amplitude \(f(r.baselineAmplitude)) pA; induction at \(f(r.inductionMinutes, 2)) min (\(r.inductionReason))")
        let failures = s.filter { $0.failures.first == true }.count
        lines.append("failures (first response): \(failures) of \(s.count)")
        let after = s.filter { $0.time >= 0 }
        if !after.isEmpty {
            let last = after.suffix(max(1, after.count / 3))
            let mean = last.map(\.percent).reduce(0, +) / Double(last.count)
            lines.append("IPSC over the last \(last.count) sweeps: \(f(mean)) % of baseline")
        }
        if let rs = r.baselineSeriesResistance {
            let all = s.filter(\.seriesResistanceFlagged).map { String($0.sweep) }
            let flagged = all.count <= 12 ? all : all.prefix(10) + ["… (\(all.count) sweeps)"]
            lines.append("series resistance: \(f(rs)) MΩ in the baseline; "
                         + (flagged.isEmpty ? "no sweep changed > 20 %" : "sweeps \(flagged.joined(separator: ", ")) changed > 20 % (left out of the fit data)"))
        }
        return lines.joined(separator: "\n")
    }

    static func figure(_ r: ReadoutResult, title: String) throws -> RenderedPlot {
        let t = r.sweeps.map(\.time)
        let induction = ReferenceLine(x: 0, label: "induction")
        var panels = [
            Panel(title: "IPSC", yAxis: Axis("amplitude", unit: "% of baseline", includes: [0, 100]),
                  series: [Series("IPSC", x: t, y: r.sweeps.map(\.percent), style: .points)],
                  referenceLines: [ReferenceLine(y: 100, label: "baseline"), induction]),
            Panel(title: "paired-pulse ratio", yAxis: Axis("PPR"),
                  series: [Series("PPR", x: t, y: r.sweeps.map { $0.pairedPulseRatio ?? .nan }, style: .points)], referenceLines: [induction],
                  height: 140),
            Panel(title: "1/CV² (sliding window)", yAxis: Axis("1/CV²", includes: [0]),
                  series: [Series("1/CV²", x: t, y: r.sweeps.map { $0.inverseCV2 ?? .nan })], referenceLines: [induction], height: 140),
        ]
        if r.sweeps.contains(where: { $0.seriesResistance != nil }) {
            let kept = r.sweeps.filter { !$0.seriesResistanceFlagged && $0.seriesResistance != nil }
            let flagged = r.sweeps.filter { $0.seriesResistanceFlagged }
            var series = [Series("Rs", x: kept.map(\.time), y: kept.map { $0.seriesResistance! }, style: .points)]
            if !flagged.isEmpty {
                series.append(Series("changed > 20 %", x: flagged.map(\.time), y: flagged.map { $0.seriesResistance! }, style: .points))
            }
            panels.append(Panel(title: "series resistance", yAxis: Axis("Rs", unit: "MΩ", includes: [0]), series: series,
                                referenceLines: [induction], height: 140))
        }
        return try Figure(title: "\(title): readouts", xAxis: Axis("time from induction", unit: "min", tight: true), panels: panels).render()
    }
}

/// A duration on the command line: seconds, or a number with s, ms or min.
struct Seconds: ExpressibleByArgument {
    let value: Double
    init(_ value: Double) { self.value = value }
    init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces)
        for (suffix, scale) in [("ms", 1e-3), ("min", 60.0), ("s", 1.0), ("", 1.0)] where text.hasSuffix(suffix) {
            if let v = Double(text.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), v.isFinite, v >= 0 {
                value = v * scale
                return
            }
        }
        return nil
    }
    var defaultValueDescription: String {
        let (number, unit) = value < 1 ? (value * 1000, "ms") : (value, "s")
        return (number == number.rounded() ? String(Int(number)) : "\(number)") + unit
    }
}

extension ReadoutOptions.Sign: ExpressibleByArgument {}
