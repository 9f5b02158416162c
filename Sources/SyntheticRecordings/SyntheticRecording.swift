import Foundation
import KinapseUtilities

/// A voltage-clamp recording of evoked IPSCs made from known values: per sweep, a
/// stimulus artefact and one or two IPSCs of given amplitudes (or failures), a test
/// pulse through a series resistance that may change, baseline noise, and a second
/// channel (the command potential as the amplifier reports it).
///
/// The currents follow the textbook circuit models:
/// - IPSC: a difference of exponentials, A·(e^(−u/τd) − e^(−u/τr))/max, u = time since
///   the stimulus less the synaptic latency, scaled so that A is its peak;
/// - test pulse ΔV through Rs into a cell of membrane resistance Rm and capacitance Cm:
///   I(t) = ΔV/(Rs + Rm) + (ΔV/Rs − ΔV/(Rs + Rm))·e^(−t/τ), τ = Cm·Rs·Rm/(Rs + Rm), and the
///   mirror image at the end of the step (the series-resistance-limited charging of an
///   isopotential cell: Rs in series with Rm ∥ Cm);
/// - stimulus artefact: an exponential spike of `artefact` pA decaying with 0.1 ms;
/// - noise: independent Gaussian samples of SD `noise` (white), on a holding current that is
///   constant or drifts linearly within the sweep.
public struct SyntheticRecording: Sendable {
    public struct Spec: Sendable {
        public var sampleRate = 10_000.0
        /// Seconds per sweep and between sweep starts.
        public var sweepLength = 0.5
        public var sweepInterval = 20.0
        /// Explicit sweep start times (s); when nil, sweeps start every `sweepInterval`.
        public var sweepStarts: [Double]? = nil
        public var sweepCount = 30
        /// Stimulus times within a sweep (s); two make a pair.
        public var stimulusTimes = [0.2, 0.25]
        /// Peak amplitude of the first IPSC per sweep (pA, ≥ 0); 0 is a failure.
        public var amplitudes: [Double] = Array(repeating: 100, count: 30)
        /// Per sweep, the second amplitude over the first's nominal one (below).
        public var pairedPulseRatios: [Double] = Array(repeating: 0.7, count: 30)
        /// Per sweep, the first response's amplitude had it not failed (pA): the second of
        /// the pair is `pairedPulseRatios`·this. Nil: `amplitudes`.
        public var nominal: [Double]? = nil
        /// Assumption: GABA-A IPSC kinetics of the order measured in hippocampal
        /// pyramidal cells at room temperature (rise ~1 ms, decay ~20–30 ms).
        public var riseTau = 0.0008
        public var decayTau = 0.025
        public var latency = 0.0015
        /// Baseline noise, standard deviation (pA).
        public var noise = 5.0
        public var baselineCurrent = 20.0
        /// A linear drift of the holding current within each sweep (pA/s), from the sweep's start.
        public var drift = 0.0
        public var artefact = 1500.0
        /// Holding potential (mV); with E_GABA below it, IPSCs are outward (positive).
        public var holding = 0.0
        /// Test pulse: start and duration within the sweep (s), step (mV); nil for none.
        public var testPulse: (start: Double, duration: Double, step: Double)? = (0.02, 0.05, -5)
        /// Series resistance per sweep (MΩ); membrane resistance (MΩ) and capacitance (pF).
        public var seriesResistance: [Double] = Array(repeating: 10, count: 30)
        public var membraneResistance = 200.0
        public var capacitance = 100.0
        public var channels = 2
        public var tags: [(time: Double, comment: String)] = []
        public var seed: UInt64 = 1
        /// Gap-free: one continuous trace of `sweepCount` sweeps back to back.
        public var gapFree = false

        public init() {}

        public var pointsPerSweep: Int { Int((sweepLength * sampleRate).rounded()) }
        public var starts: [Double] { sweepStarts ?? (0..<sweepCount).map { Double($0) * sweepInterval } }
    }

    public let spec: Spec
    /// [channel][sweep][sample]: channel 0 current (pA), channel 1 command potential (mV).
    public let samples: [[[Double]]]

    public init(_ spec: Spec) {
        precondition(spec.amplitudes.count >= spec.sweepCount && spec.pairedPulseRatios.count >= spec.sweepCount
                     && spec.seriesResistance.count >= spec.sweepCount, "one amplitude, PPR and Rs per sweep")
        self.spec = spec
        var random = SeededGenerator(seed: spec.seed)
        let n = spec.pointsPerSweep, dt = 1 / spec.sampleRate
        let tr = spec.riseTau, td = spec.decayTau
        let tPeak = tr * td / (td - tr) * log(td / tr)
        let norm = exp(-tPeak / td) - exp(-tPeak / tr)
        var current: [[Double]] = [], command: [[Double]] = []
        for s in 0..<spec.sweepCount {
            var i = (0..<n).map { spec.baselineCurrent + spec.drift * Double($0) * dt }
            var v = [Double](repeating: spec.holding, count: n)
            let amplitudes: [Double] = spec.stimulusTimes.indices.map { k in
                k == 0 ? spec.amplitudes[s] : (spec.nominal?[s] ?? spec.amplitudes[s]) * spec.pairedPulseRatios[s]
            }
            for (k, ts) in spec.stimulusTimes.enumerated() {
                for j in 0..<n {
                    let t = Double(j) * dt - ts
                    if t >= 0 { i[j] += spec.artefact * exp(-t / 0.0001) }
                    let u = t - spec.latency
                    if u > 0 { i[j] += amplitudes[k] * (exp(-u / td) - exp(-u / tr)) / norm }
                }
            }
            if let pulse = spec.testPulse {
                let rs = spec.seriesResistance[s], rm = spec.membraneResistance
                // mV / MΩ = nA; × 1000 for pA. τ in s: pF·MΩ = µs.
                let steady = pulse.step / (rs + rm) * 1000
                let peak = pulse.step / rs * 1000
                let tau = spec.capacitance * rs * rm / (rs + rm) * 1e-6
                // The step down at the end is the step up reversed: by linearity,
                // I(t) = I_on(t − start) − I_on(t − start − duration).
                func onResponse(_ x: Double) -> Double { x < 0 ? 0 : steady + (peak - steady) * exp(-x / tau) }
                for j in 0..<n {
                    let t = Double(j) * dt + 1e-12
                    i[j] += onResponse(t - pulse.start) - onResponse(t - pulse.start - pulse.duration)
                    if t >= pulse.start, t < pulse.start + pulse.duration { v[j] = spec.holding + pulse.step }
                }
            }
            for j in 0..<n { i[j] += spec.noise * random.nextNormal() }
            current.append(i)
            command.append(v)
        }
        samples = spec.channels >= 2 ? [current, command] : [current]
    }

    /// The ground truth readouts analysis should find.
    public var truePairedPulseRatios: [Double] { Array(spec.pairedPulseRatios.prefix(spec.sweepCount)) }
}
