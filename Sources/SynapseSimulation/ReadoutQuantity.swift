public import SynapseModel

/// The quantities of a test readout that fits and formulas read by name, with their
/// derivatives with respect to a run's sensitivity parameters.
public enum ReadoutQuantity: String, CaseIterable, Sendable {
    case ipsc, amplitude, ppr, cv

    /// What the quantity is, with its unit (for messages and help).
    public var meaning: String {
        switch self {
        case .ipsc: "mean IPSC amplitude, % of the baseline mean"
        case .amplitude: "mean peak conductance n·Pr·q, nS"
        case .ppr: "paired-pulse ratio"
        case .cv: "coefficient of variation of the amplitude"
        }
    }

    /// The quantity's value in `readout`.
    public func value(in readout: TestReadout) -> Double {
        switch self {
        case .ipsc: readout.normalisedAmplitude
        case .amplitude: readout.response.meanConductance
        case .ppr: readout.response.pairedPulseRatio
        case .cv: readout.response.cv
        }
    }

    /// ∂(quantity)/∂p_k for every parameter k, from `readout`'s sensitivities `s`; the CV's by
    /// the chain rule through Pr (`ReleaseModel.cvDerivative`).
    public func derivatives(_ s: ReadoutSensitivities, in readout: TestReadout, release: ReleaseModel) -> [Double] {
        switch self {
        case .ipsc: return s.normalisedAmplitude
        case .amplitude: return s.meanConductance
        case .ppr: return s.pairedPulseRatio
        case .cv:
            let dcv = release.cvDerivative(releaseProbability: readout.response.releaseProbability, cv: readout.response.cv)
            return s.releaseProbability.map { dcv * $0 }
        }
    }
}
