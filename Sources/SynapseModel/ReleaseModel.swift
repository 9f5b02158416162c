#if canImport(Glibc)
import Glibc
#endif
public import KinapseUtilities

/// The quantal model of a GABAergic connection that turns release probability Pr and
/// receptor number N into what a recording shows.
///
/// `sites` release sites each release one vesicle with probability Pr; a quantum opens
/// receptors worth `quantalSize · N / referenceReceptors` nS (so postsynaptic changes of N
/// scale the quantum); quantal amplitudes vary with coefficient of variation `quantalCV`.
/// Short-term plasticity follows Tsodyks & Markram (Markram, Wang & Tsodyks 1998, PNAS
/// 95:5323): utilisation u starts at Pr, resources R recover with `tauRecovery`,
/// utilisation decays back with `tauFacilitation` (0: no facilitation).
public struct ReleaseModel: Sendable, Hashable {
    public var sites: Int
    /// nS per quantum when N equals `referenceReceptors`.
    public var quantalSize: Double
    public var referenceReceptors: Double
    public var quantalCV: Double
    public var tauRecovery: Double
    public var tauFacilitation: Double
    /// mV; the IPSC is g · (V_hold − E_GABA) (pA, outward positive).
    public var holdingPotential: Double
    public var reversalPotential: Double

    public init(sites: Int, quantalSize: Double, referenceReceptors: Double, quantalCV: Double = 0,
                tauRecovery: Double, tauFacilitation: Double = 0, holdingPotential: Double = -70, reversalPotential: Double = -55) {
        self.sites = sites; self.quantalSize = quantalSize; self.referenceReceptors = referenceReceptors
        self.quantalCV = quantalCV; self.tauRecovery = tauRecovery; self.tauFacilitation = tauFacilitation
        self.holdingPotential = holdingPotential; self.reversalPotential = reversalPotential
    }

    /// Quantal conductance (nS) with `receptors` receptors per site.
    public func quantum(receptors: Double) -> Double { quantalSize * receptors / referenceReceptors }

    /// Exact moments of the response to a test stimulus, and its paired-pulse ratio.
    ///
    /// With K ~ Binomial(n, Pr) quanta of mean q and variance (q·CVq)²:
    ///   E[A] = n·Pr·q,  Var[A] = n·Pr·q²·(1 − Pr + CVq²),
    /// so CV² = (1 − Pr + CVq²)/(n·Pr) and failures occur with probability (1 − Pr)^n.
    public func readout(releaseProbability pr: Double, receptors: Double, pairedPulseInterval: Double) -> TestResponse {
        let q = quantum(receptors: receptors)
        let v = variability(releaseProbability: pr, quantum: q)
        return TestResponse(
            releaseProbability: pr, receptors: receptors, quantalConductance: q,
            meanConductance: v.mean, meanCurrent: v.mean * drivingForce,
            cv: v.cv, inverseCVSquared: v.inverseCVSquared,
            failureRate: v.failureRate, pairedPulseRatio: pairedPulseRatio(pr, interval: pairedPulseInterval))
    }

    /// Mean and trial-to-trial variability of the response at release probability `pr` with
    /// quanta of mean `q` (CV and failures do not depend on q; a biophysical synapse passes 1).
    public func variability(releaseProbability pr: Double, quantum q: Double = 1)
        -> (mean: Double, cv: Double, inverseCVSquared: Double, failureRate: Double) {
        let n = Double(sites)
        let mean = n * pr * q
        let variance = n * pr * q * q * (1 - pr + quantalCV * quantalCV)
        let cv = mean > 0 ? variance.squareRoot() / mean : .infinity
        return (mean, cv, cv > 0 && cv.isFinite ? 1 / (cv * cv) : .infinity, pow(1 - pr, n))
    }

    public var drivingForce: Double { holdingPotential - reversalPotential }

    /// Second response over first after `interval` s (Tsodyks–Markram with facilitation):
    ///   u₁ = Pr, R₁ = 1;  R₂ = 1 − Pr·e^{−Δt/τ_D};
    ///   u₂ = Pr·e^{−Δt/τ_F} + Pr·(1 − Pr·e^{−Δt/τ_F})  (u₂ = Pr without facilitation);
    ///   PPR = u₂·R₂ / Pr.
    public func pairedPulseRatio(_ pr: Double, interval: Double) -> Double {
        guard pr > 0 else { return 1 }
        let recovery = tauRecovery > 0 ? exp(-interval / tauRecovery) : 0
        let r2 = 1 - pr * recovery
        var u2 = pr
        if tauFacilitation > 0 {
            let decay = exp(-interval / tauFacilitation)
            u2 = pr * decay + pr * (1 - pr * decay)
        }
        return u2 * r2 / pr
    }

    /// ∂(mean conductance)/∂Pr and ∂/∂N, from E[A] = sites·Pr·quantalSize·N/referenceReceptors.
    public func meanConductanceDerivatives(releaseProbability pr: Double, receptors: Double)
        -> (releaseProbability: Double, receptors: Double) {
        let n = Double(sites)
        return (n * quantum(receptors: receptors), n * pr * quantalSize / referenceReceptors)
    }

    /// d(CV)/d(Pr) of `readout`'s CV at Pr = `pr`, where it is `cv`: from
    ///   CV² = (1 − Pr + CVq²)/(n·Pr),  dCV/dPr = −(1 + CVq²)/(2·CV·n·Pr²).
    public func cvDerivative(releaseProbability pr: Double, cv: Double) -> Double {
        -(1 + quantalCV * quantalCV) / (2 * cv * Double(sites) * pr * pr)
    }

    /// d(PPR)/d(Pr) of `pairedPulseRatio`: with R = e^{−Δt/τ_D} and D = e^{−Δt/τ_F},
    ///   PPR = (u₂/Pr)·(1 − Pr·R),  u₂/Pr = 1 + D − Pr·D  (1 without facilitation),
    ///   dPPR/dPr = −D·(1 − Pr·R) − R·(u₂/Pr).
    public func pairedPulseRatioDerivative(_ pr: Double, interval: Double) -> Double {
        guard pr > 0 else { return 0 }  // the ratio is held at 1 there
        let recovery = tauRecovery > 0 ? exp(-interval / tauRecovery) : 0
        var gain = 1.0, dGain = 0.0  // u₂/Pr and its derivative
        if tauFacilitation > 0 {
            let decay = exp(-interval / tauFacilitation)
            gain = 1 + decay - pr * decay
            dGain = -decay
        }
        return dGain * (1 - pr * recovery) - recovery * gain
    }

    /// Trial-by-trial peak conductances (nS): binomial release, gamma-distributed quanta
    /// (exact mean and CV, never negative). Deterministic for a given generator state.
    public func sampleConductances(releaseProbability pr: Double, receptors: Double, trials: Int,
                                   using rng: inout SeededGenerator) -> [Double] {
        let q = quantum(receptors: receptors)
        var out: [Double] = []
        out.reserveCapacity(trials)
        for _ in 0..<trials {
            var total = 0.0
            for _ in 0..<sites where rng.nextUniform() < pr {
                total += quantalCV > 0 ? rng.nextGamma(shape: 1 / (quantalCV * quantalCV)) * q * quantalCV * quantalCV : q
            }
            out.append(total)
        }
        return out
    }
}

/// What one test stimulus yields, as an experimentalist would report it.
public struct TestResponse: Sendable, Hashable {
    public var releaseProbability: Double
    public var receptors: Double
    /// nS per quantum.
    public var quantalConductance: Double
    /// Mean peak conductance, nS.
    public var meanConductance: Double
    /// Mean peak current, pA.
    public var meanCurrent: Double
    public var cv: Double
    public var inverseCVSquared: Double
    public var failureRate: Double
    public var pairedPulseRatio: Double

    public init(releaseProbability: Double, receptors: Double, quantalConductance: Double, meanConductance: Double, meanCurrent: Double,
                cv: Double, inverseCVSquared: Double, failureRate: Double, pairedPulseRatio: Double) {
        self.releaseProbability = releaseProbability; self.receptors = receptors; self.quantalConductance = quantalConductance
        self.meanConductance = meanConductance; self.meanCurrent = meanCurrent; self.cv = cv; self.inverseCVSquared = inverseCVSquared
        self.failureRate = failureRate; self.pairedPulseRatio = pairedPulseRatio
    }
}
