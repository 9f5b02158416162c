import InductionProtocols

/// The change a protocol caused, as an experimentalist would report it: amplitude,
/// paired-pulse ratio and 1/CV² in the analysis window after induction relative to the
/// baseline, the model's own ΔN and ΔPr, and the site of expression inferred from the
/// readouts alone.
public struct PlasticitySummary: Sendable, Codable {
    public struct Means: Sendable, Codable {
        public var amplitude: Double
        public var pairedPulseRatio: Double
        public var inverseCVSquared: Double
        public var receptors: Double
        public var releaseProbability: Double
        public var count: Int
        /// Means of a biophysical synapse's recording (mV, mV, mM), else nil.
        public var eGABA: Double?
        public var membranePotential: Double?
        public var chloride: Double?
    }
    public var baseline: Means
    public var after: Means
    /// Window (s after the end of induction) the `after` means cover.
    public var window: ClosedRange<Double>

    /// The smallest baseline amplitude (in `amplitudeUnit`: pA, nS or mV) that counts as a
    /// response: a millionth of one GABA-A channel's ~1 pA (27 pS at 40–50 mV of driving force).
    /// Below it the amplitude is the solver's rounding, and a ratio to it is noise amplified.
    public static let smallestResponse = 1e-6

    /// False when the baseline amplitude is below `smallestResponse` (a fully blocked or
    /// silenced synapse): the recorded changes are then undefined (NaN), not 0 %.
    public var hasBaselineResponse: Bool { abs(baseline.amplitude) >= Self.smallestResponse }

    /// Percent changes (after / baseline − 1) × 100; NaN where the baseline is 0 or, for the
    /// recorded readouts, where there is no baseline response.
    public var amplitudeChange: Double { recordedPercent(after.amplitude, baseline.amplitude) }
    public var pairedPulseRatioChange: Double { recordedPercent(after.pairedPulseRatio, baseline.pairedPulseRatio) }
    public var inverseCVSquaredChange: Double { recordedPercent(after.inverseCVSquared, baseline.inverseCVSquared) }
    public var receptorChange: Double { percent(after.receptors, baseline.receptors) }
    public var releaseProbabilityChange: Double { percent(after.releaseProbability, baseline.releaseProbability) }
    /// Shift of E_GABA (mV, after − baseline; positive: depolarising), for a biophysical synapse.
    public var eGABAShift: Double? { after.eGABA.flatMap { a in baseline.eGABA.map { a - $0 } } }
    /// Unit of the amplitudes: nS (quantal model), pA (voltage clamp) or mV (current clamp).
    public var amplitudeUnit: String = "nS"
    /// How far the amplitude moved over the baseline, in percent of its mean: the least-squares
    /// slope through the baseline's tests times the time from the first to the last. A synapse
    /// at rest gives ~0; a rig that has not settled drifts, and the change after induction
    /// then carries that drift. Nil with fewer than three baseline tests.
    public var baselineDrift: Double?
    /// The drift beyond which a result is reported as unsettled: the 2 % that rest may move.
    public static let settledDrift = 2.0

    /// Where the change appears to be expressed, by the rules experimentalists use
    /// (paired-pulse ratio and coefficient-of-variation analysis; e.g. Faber & Korn 1991,
    /// Biophys J 60:1288, for the CV method):
    /// - no change: |ΔIPSC| < 5 %;
    /// - presynaptic: the PPR changes (|ΔPPR| ≥ 5 %), or 1/CV² moves with the mean
    ///   (|Δ(1/CV²)| ≥ 5 % in the direction of ΔIPSC), as when Pr changes;
    /// - postsynaptic: PPR and 1/CV² stay (both within 5 %) while the amplitude changes,
    ///   as when the quantal size (receptor number) changes.
    /// - no baseline response: nothing to compare (`hasBaselineResponse`).
    public var locus: Locus {
        if !hasBaselineResponse { return .noBaselineResponse }
        if abs(amplitudeChange) < 5 { return .none }
        let pprMoved = abs(pairedPulseRatioChange) >= 5
        let cvMovedWithMean = abs(inverseCVSquaredChange) >= 5 && (inverseCVSquaredChange > 0) == (amplitudeChange > 0)
        if pprMoved || cvMovedWithMean { return .presynaptic }
        return .postsynaptic
    }

    public enum Locus: String, Sendable, Codable {
        case none = "no change", presynaptic, postsynaptic, noBaselineResponse = "no baseline response"
    }

    /// The summary of a run's test readouts over `p`'s baseline and analysis window; nil when
    /// either holds no readout.
    public init?(readouts: [TestReadout], protocolDefinition p: InductionProtocol) {
        let (base, after) = Self.compared(readouts, protocolDefinition: p)
        guard let b = Self.means(base), let a = Self.means(after) else { return nil }
        self.baseline = b
        self.after = a
        self.window = p.analysisWindow
        if let r = readouts.first?.recorded { amplitudeUnit = r.unit }
        baselineDrift = Self.drift(base, mean: b.amplitude)
    }

    static func drift(_ base: [TestReadout], mean: Double) -> Double? {
        guard base.count >= 3, abs(mean) >= smallestResponse else { return nil }
        let n = Double(base.count)
        let tMean = base.map(\.time).reduce(0, +) / n
        let sxx = base.map { ($0.time - tMean) * ($0.time - tMean) }.reduce(0, +)
        let sxy = base.map { ($0.time - tMean) * ($0.amplitude - mean) }.reduce(0, +)
        guard sxx > 0 else { return nil }
        return sxy / sxx * (base.last!.time - base.first!.time) / mean * 100
    }

    /// The readouts the summary compares: the baseline, and the follow-up readouts in the
    /// protocol's analysis window (measured from the end of induction).
    static func compared(_ readouts: [TestReadout], protocolDefinition p: InductionProtocol) -> (baseline: [TestReadout], after: [TestReadout]) {
        let after = readouts.filter { $0.phase == .followUp && p.isInAnalysisWindow($0.time) }
        return (readouts.filter { $0.phase == .baseline }, after)
    }

    static func means(_ rs: [TestReadout]) -> Means? {
        guard !rs.isEmpty else { return nil }
        let n = Double(rs.count)
        func mean(_ f: (TestReadout) -> Double) -> Double { rs.map(f).reduce(0, +) / n }
        let recorded = rs.allSatisfy { $0.recorded != nil }
        func recordedMean(_ f: (RecordedResponse) -> Double) -> Double? { recorded ? mean { f($0.recorded!) } : nil }
        return Means(amplitude: mean(\.amplitude), pairedPulseRatio: mean(\.response.pairedPulseRatio),
                     inverseCVSquared: mean(\.response.inverseCVSquared), receptors: mean(\.response.receptors),
                     releaseProbability: mean(\.response.releaseProbability), count: rs.count,
                     eGABA: recordedMean(\.eGABA), membranePotential: recordedMean(\.membranePotential), chloride: recordedMean(\.chloride))
    }

    private func percent(_ x: Double, _ reference: Double) -> Double {
        reference != 0 ? (x / reference - 1) * 100 : .nan
    }

    private func recordedPercent(_ x: Double, _ reference: Double) -> Double {
        hasBaselineResponse ? percent(x, reference) : .nan
    }
}
