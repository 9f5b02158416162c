/// How `kinapse readouts` measures a recording. Times are seconds unless named otherwise.
public struct ReadoutOptions: Sendable {
    public enum Stimuli: Sendable, Equatable {
        /// Stimulus times within each sweep.
        case times([Double])
        /// Found as the largest fast deflections of the sweep average (outside command steps).
        case detect
    }

    public enum Sign: String, Sendable, CaseIterable {
        /// Outward (positive) currents: holding above E_GABA.
        case outward
        /// Inward (negative) currents: holding below E_GABA.
        case inward
    }

    public var channel: Int
    public var stimuli: Stimuli
    /// A second stimulus this long after the first (paired pulses), unless `stimuli` has two.
    public var pairInterval: Double?
    /// Readouts in this many minutes before induction form the baseline (100 %).
    public var baselineMinutes = 10.0
    /// Minutes from the start of the recording to induction; nil: a tag naming induction,
    /// else the end of the baseline (`baselineMinutes` after the first sweep).
    public var inductionAt: Double?
    /// Direction of the IPSC; nil: from the holding potential and `reversal`.
    public var sign: Sign?
    /// Holding potential (mV), when the recording does not say or says wrongly.
    public var holding: Double?
    /// Assumption: E_GABA = −70 mV, near E_Cl of mature neurons recorded with a low-chloride
    /// pipette solution (Cl⁻ 5–10 mM); a high-chloride pipette puts it near 0 mV, so give it.
    public var reversal = -70.0
    /// Samples this long after each stimulus are left out (the artefact).
    public var blank = 0.001
    /// Baseline: the mean of this long before the first stimulus (ending 0.5 ms before it).
    /// Its error shifts every amplitude by Σg/Σg² ≈ 1.8 times itself (τd 25 ms), so it is
    /// long: 40 ms of 10 kHz noise σ give 0.09 σ, against 0.08 σ from the response itself.
    public var baselineWindow = 0.04
    /// Responses are measured until this long after the last stimulus.
    public var responseWindow = 0.1
    /// A response is a failure when its amplitude is below this many standard errors of
    /// the amplitude estimate under baseline noise.
    public var failureThreshold = 4.0
    /// Sweeps per sliding window for CV, 1/CV² and the standard deviations.
    public var cvWindow = 9
    /// Sweeps whose series resistance differs from the baseline's by more than this
    /// fraction are flagged and left out of the fit data.
    public var rsTolerance = 0.2
    /// Gap-free recordings are cut into pseudo-sweeps of this length.
    public var sweepLength: Double?

    public init(channel: Int, stimuli: Stimuli) {
        self.channel = channel
        self.stimuli = stimuli
    }
}
