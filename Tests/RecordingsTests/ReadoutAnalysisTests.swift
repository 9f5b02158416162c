import Testing
import Foundation
import Recordings
import RecordingAnalysis
import SyntheticRecordings
import KinapseUtilities
import Fitting
import SourceDiagnostics

/// Readouts of generated recordings with known amplitudes, PPRs, failures and series
/// resistances (the acceptance of `kinapse readouts`).
///
/// Tolerances follow from the noise. With white noise of SD σ, the template amplitude of
/// a response of shape g (peak 1) has standard error σ/√(Σ g²) (least squares), and the
/// baseline's error (σ/√N over its N samples) moves it by Σg/Σg² times itself. For the
/// generator's IPSC (τr 0.8 ms, τd 25 ms) at 10 kHz, Σ g² ≈ 152 and Σg/Σg² ≈ 1.81 (computed
/// below), so with the 40 ms baseline at SNR = A/σ = 10 one sweep's amplitude has standard
/// error √(0.81² + 0.90²) ≈ 1.2 % of A: no estimator puts every single sweep within 2 %
/// at this sampling rate. What is asserted: every sweep within 4 standard errors; no bias
/// (the mean relative error within 3 standard errors of a mean, 0.7 %); every mean over 9
/// sweeps (the window the readouts use) within 2 % (five of its standard errors). A PPR of
/// one sweep has standard error PPR·√((se/A1)² + (se/A2)²) ≈ 0.012 at PPR 0.7 (a 9-sweep
/// mean 0.004), so every sweep is within 0.05 and every 9-sweep mean within 0.02.
@Suite struct ReadoutAnalysisTests {
    /// Σ g² and Σ g of the generator's IPSC shape over the 100 ms window at the spec's
    /// sampling rate (independent of the analysis code: the formula of SyntheticRecording's
    /// documentation, summed here).
    static func templateSums(_ spec: SyntheticRecording.Spec) -> (squares: Double, sum: Double) {
        let r = spec.riseTau, d = spec.decayTau, tp = r * d / (d - r) * log(d / r)
        let norm = exp(-tp / d) - exp(-tp / r)
        var squares = 0.0, sum = 0.0
        for j in 1..<Int(0.1 * spec.sampleRate) {
            let u = Double(j) / spec.sampleRate
            let g = (exp(-u / d) - exp(-u / r)) / norm
            squares += g * g
            sum += g
        }
        return (squares, sum)
    }

    /// Standard error of one sweep's amplitude (pA): the template's own and the 40 ms baseline's.
    static func amplitudeError(_ spec: SyntheticRecording.Spec) -> Double {
        let (squares, sum) = templateSums(spec)
        let baseline = spec.noise / (0.04 * spec.sampleRate).squareRoot()
        return ((spec.noise * spec.noise) / squares + (sum / squares * baseline) * (sum / squares * baseline)).squareRoot()
    }

    /// 40 sweeps at 10 kHz, SNR 10 (σ = 10 pA), amplitudes 80–120 pA, PPR 0.5–0.9, a quarter
    /// of the first responses failing, Rs stepping from 10 to 13 MΩ (+30 %) at sweep 31.
    static var spec: SyntheticRecording.Spec {
        var s = SyntheticRecording.Spec()
        s.sweepCount = 40
        s.sweepLength = 0.5
        s.noise = 10
        var random = SeededGenerator(seed: 42)
        s.nominal = (0..<40).map { _ in 80 + 40 * random.nextUniform() }
        s.amplitudes = s.nominal!.enumerated().map { $0.offset % 4 == 1 ? 0 : $0.element }
        s.pairedPulseRatios = (0..<40).map { _ in 0.5 + 0.4 * random.nextUniform() }
        s.seriesResistance = (0..<40).map { $0 < 30 ? 10 : 13 }
        s.seed = 7
        return s
    }

    static func analyse(_ spec: SyntheticRecording.Spec, configure: (inout ReadoutOptions) -> Void = { _ in }) throws -> (ReadoutResult, SyntheticRecording) {
        let synthetic = SyntheticRecording(spec)
        let recording = try ABFReader.read(ABFWriter.abf2(synthetic), path: "synthetic.abf")
        var options = ReadoutOptions(channel: 0, stimuli: .times(spec.stimulusTimes))
        options.baselineMinutes = 5
        configure(&options)
        return (try ReadoutAnalysis.analyse(recording, options), synthetic)
    }

    @Test func amplitudesAreWithinTwoPercentAtSNR10() throws {
        let spec = Self.spec
        let (result, _) = try Self.analyse(spec)
        let se = Self.amplitudeError(spec)
        let sums = Self.templateSums(spec)
        #expect(abs(sums.squares - 152) < 2 && abs(sums.sum / sums.squares - 1.81) < 0.01)
        let successes = result.sweeps.indices.filter { spec.amplitudes[$0] > 0 }
        var relative: [Double] = []
        for k in successes {
            let truth = spec.amplitudes[k], measured = result.sweeps[k].amplitudes[0]
            #expect(abs(measured - truth) <= 4 * se, "sweep \(k + 1): \(measured) pA for \(truth) pA")
            relative.append(measured / truth - 1)
        }
        let bias: Double = relative.reduce(0, +) / Double(relative.count)
        #expect(abs(bias) < 3 * 0.012 / Double(relative.count).squareRoot(), "mean relative error \(bias)")
        for start in stride(from: 0, through: successes.count - 9, by: 9) {
            let window = successes[start..<start + 9]
            let measured: Double = window.map { result.sweeps[$0].amplitudes[0] }.reduce(0, +)
            let truth: Double = window.map { spec.amplitudes[$0] }.reduce(0, +)
            #expect(abs(measured / truth - 1) < 0.02, "sweeps \(window.first! + 1)…")
        }
        // The fitted shape is the generator's (the average of 40 sweeps has σ/√40 noise).
        let decay: Double = result.kinetics.decayTau / spec.decayTau, rise: Double = result.kinetics.riseTau / spec.riseTau
        #expect(abs(decay - 1) < 0.05)
        #expect(abs(rise - 1) < 0.15)
    }

    @Test func pairedPulseRatiosAreWithin002() throws {
        let spec = Self.spec
        let (result, _) = try Self.analyse(spec)
        let successes = result.sweeps.indices.filter { spec.amplitudes[$0] > 0 }
        for k in successes {
            let ppr = try #require(result.sweeps[k].pairedPulseRatio)
            // Four standard errors of one sweep's PPR (0.012 at PPR 0.7, less below).
            #expect(abs(ppr - spec.pairedPulseRatios[k]) <= 0.05, "sweep \(k + 1): \(ppr) for \(spec.pairedPulseRatios[k])")
        }
        for start in stride(from: 0, to: successes.count - 8, by: 9) {
            let window = successes[start..<start + 9]
            let measured = window.map { result.sweeps[$0].pairedPulseRatio! }.reduce(0, +) / 9
            let truth = window.map { spec.pairedPulseRatios[$0] }.reduce(0, +) / 9
            #expect(abs(measured - truth) <= 0.02, "sweeps \(window.first! + 1)…: \(measured) for \(truth)")
        }
        // Failed first responses have no PPR; second responses are still measured.
        for k in result.sweeps.indices where spec.amplitudes[k] == 0 {
            #expect(result.sweeps[k].pairedPulseRatio == nil)
            let second: Double = spec.nominal![k] * spec.pairedPulseRatios[k]
            let tolerance: Double = 4 * 1.2 * Self.amplitudeError(spec)  // 4 SE, 20 % more for the overlap
            #expect(abs(result.sweeps[k].amplitudes[1] - second) < tolerance)
        }
    }

    @Test func failuresAreCountedExactlyAtSNR10() throws {
        let spec = Self.spec
        let (result, _) = try Self.analyse(spec)
        let found = result.sweeps.indices.filter { result.sweeps[$0].failures[0] }
        let truth = spec.amplitudes.indices.filter { spec.amplitudes[$0] == 0 }
        #expect(found == truth)
        #expect(result.sweeps.allSatisfy { !$0.failures[1] })
    }

    @Test func theSeriesResistanceStepIsFlagged() throws {
        let spec = Self.spec
        let (result, _) = try Self.analyse(spec)
        let flagged = result.sweeps.indices.filter { result.sweeps[$0].seriesResistanceFlagged }
        #expect(flagged == Array(30..<40))
        for (k, s) in result.sweeps.enumerated() {
            let rs = try #require(s.seriesResistance)
            // The onset extrapolation from about five weighted samples of a 500 pA transient
            // with 10 pA noise has a standard error near 1 %; 5 % is five of those.
            let relative: Double = rs / spec.seriesResistance[k]
            #expect(abs(relative - 1) < 0.05, "sweep \(k + 1): \(rs) MΩ")
        }
        let data = result.fitData(source: "synthetic.abf", windowSize: 9)
        #expect(data.contains("# left out: sweep 31 "))
        #expect(data.split(separator: "\n").filter { $0.first?.isNumber == true || $0.first == "-" }.count == 30)
    }

    @Test func stimuliAreFoundFromTheirArtefacts() throws {
        let (result, _) = try Self.analyse(Self.spec) { $0.stimuli = .detect }
        #expect(result.stimulusTimes.count == 2)
        for (found, truth) in zip(result.stimulusTimes, Self.spec.stimulusTimes) { #expect(abs(found - truth) < 1.5e-4) }  // within one 0.1 ms sample
    }

    @Test func gapFreeRecordingsAreCutIntoSweeps() throws {
        var spec = Self.spec
        spec.gapFree = true
        let (result, _) = try Self.analyse(spec) { $0.sweepLength = spec.sweepLength }
        #expect(result.sweeps.count == spec.sweepCount)
        #expect(result.sweeps.indices.filter { result.sweeps[$0].failures[0] } == spec.amplitudes.indices.filter { spec.amplitudes[$0] == 0 })
    }

    @Test func theSignFollowsHoldingAndReversal() throws {
        var spec = Self.spec
        spec.holding = -80
        spec.amplitudes = spec.amplitudes.map { -$0 }
        spec.nominal = spec.nominal!.map { -$0 }
        let (result, _) = try Self.analyse(spec)
        #expect(result.sign == .inward)
        #expect(result.signReason.contains("below E_GABA"))
        let tolerance: Double = 4 * Self.amplitudeError(spec)
        #expect(abs(result.sweeps[0].amplitudes[0] + spec.amplitudes[0]) < tolerance)
        // Holding near the reversal cannot tell the direction.
        #expect(throws: ReadoutError.self) { try Self.analyse(spec) { $0.reversal = -78 } }
    }

    @Test func aChannelThatDoesNotExistOrRecordsVoltageIsRefused() throws {
        let synthetic = SyntheticRecording(.short)
        let recording = try ABFReader.read(ABFWriter.abf2(synthetic), path: "short.abf")
        for channel in [5, 1] {
            #expect(throws: ReadoutError.self) { try ReadoutAnalysis.analyse(recording, ReadoutOptions(channel: channel, stimuli: .times([0.1]))) }
        }
    }

    /// The readouts file is exactly the data format a synapse fit reads: the fit's own
    /// reader accepts it with the observables ipsc and ppr at the test stimuli of
    /// Fixtures/fit/hippocampal_bdnf/paired_induction.toml (every 20 s over a 300 s
    /// baseline, from 40 s after induction), time in minutes from induction.
    @Test func theOutputIsWhatTheFitDataReaderReads() throws {
        let (result, _) = try Self.analyse(.example) { $0.baselineMinutes = 5 }
        let text = result.fitData(source: "example_ipscs.abf", windowSize: 9)
        let tests = (0..<15).map { Double($0) * 20 } + (0..<74).map { 340 + Double($0) * 20 }
        let table = try DataReader.read(SourceFile(path: "readouts.csv", text: text), observables: ["ipsc", "amplitude", "ppr", "cv"],
                                        time: TimeConvention(scale: 60, offset: 300, unit: "min"),
                                        allowed: .testStimuli(tests, tolerance: 0.2, describe: "every 20 s"))
        #expect(table.times.count == 40)
        #expect(table.observables == [0, 2])
        #expect(table.points.allSatisfy { $0.sd != nil && $0.sd! > 0 })
        let baseline = table.points.filter { $0.observable == 0 && $0.time < 300 }.map(\.value)
        let mean: Double = baseline.reduce(0, +) / Double(baseline.count)
        #expect(abs(mean - 100) < 1e-3)  // six significant digits per cell
    }
}
