import KineticsCore
import InductionProtocols
public import SynapseModel
import PathwayModel
import SourceDiagnostics

/// What one simulated test stimulus (a pair of presynaptic spikes) showed on the rig.
public struct RecordedResponse: Sendable {
    /// First response: IPSC in pA (voltage clamp, outward positive) or IPSP in mV (current
    /// clamp, depolarising positive), from the level just before the spike; its sign is that
    /// of the driving force.
    public var amplitude: Double
    public var secondAmplitude: Double
    /// Second response over first.
    public var pairedPulseRatio: Double
    /// Electrode current (pA) or membrane potential (mV) just before the first spike.
    public var holding: Double
    /// mV, just before the first spike.
    public var membranePotential: Double
    public var eGABA: Double
    /// [Cl⁻]ᵢ, mM, just before the first spike.
    public var chloride: Double
    /// Increment of the terminal's released fraction from the first spike to the second.
    public var releaseProbability: Double
    /// The receptor symbol's value just before the first spike.
    public var receptors: Double
    /// Time of the peak after the first spike, s.
    public var timeToPeak: Double
    public var mode: Recording.Mode

    /// "pA" in voltage clamp, "mV" in current clamp.
    public var unit: String { mode == .voltageClamp ? "pA" : "mV" }
}

/// Where, on a run's output grid, each test stimulus is read: the row just before each of its
/// two spikes and the rows of the window after each.
struct TestSampling: Sendable {
    var time: Double
    var firstBefore: Int
    var firstWindow: Range<Int>
    var secondBefore: Int
    var secondWindow: Range<Int>
}

enum RecordedTests {
    /// The recording's test stimulus is one the synapse defines, and every symbol it reads or
    /// sets exists in the model (errors point at the synapse file, with a did-you-mean).
    static func validate(_ recording: Recording, synapse: SynapseDefinition, pathway: Pathway, names: Set<String>,
                         _ d: inout DiagnosticCollector) {
        let test = recording.testStimulus
        if synapse.stimuli[test.value] == nil {
            let known = synapse.stimuli.keys.sorted()
            d.add(Diagnostic(.error, "the recording's test stimulus '\(test.value)' is not a stimulus of synapse '\(synapse.name)'",
                             at: test.range ?? recording.range,
                             hints: [Suggestions.didYouMean(test.value, among: known) ?? "stimuli of this synapse: \(known.joined(separator: ", "))"]))
        }
        let readable = names.union(pathway.assignmentRules.map(\.variable)).union(pathway.rateRules.map(\.variable))
        func check(_ symbol: Located<String>, role: String, among known: Set<String>, what: String) {
            guard !known.contains(symbol.value) else { return }
            let written = symbol.range != nil
            d.add(Diagnostic(.error, "the recording's \(role) is '\(symbol.value)', which the model defines no \(what) named",
                             at: symbol.range ?? recording.range,
                             hints: (Suggestions.didYouMean(symbol.value, among: known).map { [$0] } ?? [])
                                + (written ? [] : ["that is the default for a cell submodel 'cell' and a terminal 'pre'; set [recording] cell/terminal, or name it in [recording.symbols] \(role) = \"…\""])))
        }
        for r in Recording.Readout.allCases { check(recording.readouts[r]!, role: r.rawValue, among: readable, what: "quantity") }
        let settable = Set(pathway.parameters.map(\.id) + pathway.species.map(\.id))
        for s in Recording.Setting.allCases { check(recording.parameters[s]!, role: s.rawValue, among: settable, what: "parameter") }
    }

    /// The test stimuli as spikes: the recording's test stimulus at every test time and again
    /// a paired-pulse interval later.
    static func schedule(_ proto: InductionProtocol, _ recording: Recording) -> [ScheduledStimulus] {
        proto.testTimes.flatMap { t in
            [t, t + proto.pairedPulseInterval].map { ScheduledStimulus(stimulus: recording.testStimulus.value, time: $0, duration: 0, block: -1) }
        }
    }

    /// The output grid: every `step` s (the sparse time course), plus `recording.sampling` from
    /// one sample before each test spike to `recording.window` after it (the first window stops
    /// short of the second spike), so quiet stretches cost few output points.
    static func grid(_ proto: InductionProtocol, _ recording: Recording, step: Double, end: Double) -> (grid: TimeGrid, samplings: [TestSampling], timeCourseRows: [Int]) {
        let s = recording.sampling
        let ppi = proto.pairedPulseInterval
        let firstSamples = max(1, Int(((min(recording.window, ppi - 2 * s)) / s).rounded(.down)))
        let secondSamples = max(1, Int((recording.window / s).rounded(.down)))
        var times: [Double] = []
        let sparse = Int((end / step + 1e-9).rounded(.down))
        times.reserveCapacity(sparse + 1 + proto.testTimes.count * (firstSamples + secondSamples + 4))
        for k in 0...sparse { times.append(Double(k) * step) }
        for t in proto.testTimes {
            for (pulse, samples) in [(t, firstSamples), (t + ppi, secondSamples)] {
                for j in -1...samples where pulse + Double(j) * s >= 0 { times.append(pulse + Double(j) * s) }
            }
        }
        times.sort()
        var unique: [Double] = []
        unique.reserveCapacity(times.count)
        for x in times where unique.last.map({ x - $0 > 1e-12 * max(1, abs(x)) }) ?? true { unique.append(x) }

        func index(of x: Double) -> Int {
            var lo = 0, hi = unique.count - 1
            while lo < hi {
                let mid = (lo + hi) / 2
                if unique[mid] < x - 1e-12 * max(1, abs(x)) { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
        let samplings = proto.testTimes.map { t -> TestSampling in
            let first = index(of: t), second = index(of: t + ppi)
            return TestSampling(time: t, firstBefore: max(0, first - 1), firstWindow: first..<index(of: t + Double(firstSamples) * s) + 1,
                                secondBefore: second - 1, secondWindow: second..<index(of: t + ppi + Double(secondSamples) * s) + 1)
        }
        return (TimeGrid(times: unique), samplings, (0...sparse).map { index(of: Double($0) * step) })
    }

    /// The quantities `readouts` reads, each once: the rig's readouts and the receptor symbol.
    static func columnsRead(_ recording: Recording, receptors: String) -> [String] {
        var read: [String] = []
        for symbol in Recording.Readout.allCases.map({ recording.readouts[$0]!.value }) + [receptors] where !read.contains(symbol) {
            read.append(symbol)
        }
        return read
    }

    /// The readouts of every test stimulus the trajectory reached (which has a row at every
    /// point of the grid and at least the columns `columnsRead` names).
    static func readouts(_ trajectory: Trajectory, samplings: [TestSampling], recording: Recording, receptors: String,
                         proto: InductionProtocol) -> [RecordedResponse] {
        func column(_ name: String) -> Int { trajectory.columns.firstIndex(of: name)! }
        let current = column(recording.readouts[.current]!.value), voltage = column(recording.readouts[.voltage]!.value)
        let eGABA = column(recording.readouts[.eGABA]!.value), chloride = column(recording.readouts[.chloride]!.value)
        let released = column(recording.readouts[.released]!.value), n = column(receptors)
        let signal = recording.mode == .voltageClamp ? current : voltage
        var out: [RecordedResponse] = []
        for test in samplings {
            guard test.secondWindow.upperBound <= trajectory.rowCount else { break }
            func value(_ row: Int, _ c: Int) -> Double { trajectory.value(row: row, column: c) }
            let v = value(test.firstBefore, voltage), e = value(test.firstBefore, eGABA)
            // Outward current when the cell sits above E_GABA; a depolarising IPSP when below.
            let direction: Double = recording.mode == .voltageClamp ? (v >= e ? 1 : -1) : (e >= v ? 1 : -1)
            func peak(before: Int, window: Range<Int>) -> (amplitude: Double, row: Int) {
                let base = value(before, signal)
                var best = 0.0, bestRow = window.lowerBound
                for row in window {
                    let x = (value(row, signal) - base) * direction
                    if x > best { best = x; bestRow = row }
                }
                return (best * direction, bestRow)
            }
            let first = peak(before: test.firstBefore, window: test.firstWindow)
            let second = peak(before: test.secondBefore, window: test.secondWindow)
            out.append(RecordedResponse(
                amplitude: first.amplitude, secondAmplitude: second.amplitude,
                pairedPulseRatio: first.amplitude != 0 ? second.amplitude / first.amplitude : 1,
                holding: value(test.firstBefore, signal), membranePotential: v, eGABA: e,
                chloride: value(test.firstBefore, chloride),
                releaseProbability: value(test.secondBefore, released) - value(test.firstBefore, released),
                receptors: value(test.firstBefore, n), timeToPeak: trajectory.times[first.row] - test.time, mode: recording.mode))
        }
        return out
    }
}
