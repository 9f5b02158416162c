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
    /// Every sweep is fitted from this long before the first stimulus (or the sweep's start)
    /// to `responseWindow` after the last: holding current and amplitudes together, so the
    /// holding current comes from the samples on both sides of the response. Samples far
    /// from the response only pin the holding current down, with diminishing returns: for
    /// the generator's IPSC (τd 25 ms, pairs 50 ms apart, 10 kHz) the amplitude's standard
    /// error is 1.12, 1.008 and 1.002 times the bound of its whole 0.5-s sweep with 40 + 100,
    /// 100 + 250 and 200 + 250 ms (ReadoutAnalysisTests derives the bound). Longer stretches also take in more drift and spontaneous
    /// IPSCs, so the defaults stop at 100 and 250 ms.
    public var baselineWindow = 0.1
    public var responseWindow = 0.25
    /// Also fit a linear drift of the holding current within each fitted stretch (it costs
    /// 3 % in the first amplitude's standard error when there is none, over the default stretch).
    public var drift = false
    /// A response is a failure when its amplitude is below this many standard errors of
    /// its estimate, σ·√[(XᵀX)⁻¹]_kk with σ the residual SD before the first stimulus.
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
