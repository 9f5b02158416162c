import Testing
import Foundation
import SynapseModel
import KinapseUtilities

/// The quantal release model against its closed forms.
@Suite struct ReleaseModelTests {
    let model = ReleaseModel(sites: 8, quantalSize: 0.4, referenceReceptors: 30, quantalCV: 0.3,
                             tauRecovery: 0.5, tauFacilitation: 0, holdingPotential: -70, reversalPotential: -55)

    @Test func binomialMomentsWithoutQuantalVariance() {
        var m = model
        m.quantalCV = 0
        let pr = 0.3, n = 30.0
        let r = m.readout(releaseProbability: pr, receptors: n, pairedPulseInterval: 0.05)
        // Mean n·Pr·q; CV² = (1 − Pr)/(n·Pr); failures (1 − Pr)^n.
        #expect(abs(r.meanConductance - 8 * 0.3 * 0.4) < 1e-15)
        #expect(abs(r.cv - ((1 - pr) / (8 * pr)).squareRoot()) < 1e-15)
        #expect(abs(r.inverseCVSquared - 8 * pr / (1 - pr)) < 1e-12)
        #expect(abs(r.failureRate - pow(0.7, 8)) < 1e-15)
        // Current = conductance × driving force (nS × mV = pA).
        #expect(abs(r.meanCurrent - r.meanConductance * (-70 - -55)) < 1e-12)
    }

    @Test func receptorNumberScalesTheQuantumNotTheCV() {
        let a = model.readout(releaseProbability: 0.4, receptors: 30, pairedPulseInterval: 0.05)
        let b = model.readout(releaseProbability: 0.4, receptors: 45, pairedPulseInterval: 0.05)
        #expect(abs(b.meanConductance / a.meanConductance - 1.5) < 1e-12)
        #expect(abs(b.cv - a.cv) < 1e-15)
        #expect(b.pairedPulseRatio == a.pairedPulseRatio)
    }

    @Test func pairedPulseRatioOfTheDepressingModel() {
        // Without facilitation: PPR = 1 − Pr·e^{−Δt/τ_D}.
        for pr in [0.1, 0.3, 0.6, 0.9] {
            let ppr = model.pairedPulseRatio(pr, interval: 0.05)
            #expect(abs(ppr - (1 - pr * exp(-0.05 / 0.5))) < 1e-15)
        }
        // Higher release probability, stronger depression: the basis of the PPR test for a presynaptic locus.
        #expect(model.pairedPulseRatio(0.6, interval: 0.05) < model.pairedPulseRatio(0.2, interval: 0.05))
    }

    @Test func facilitationRaisesThePairedPulseRatio() {
        var m = model
        m.tauFacilitation = 0.2
        let pr = 0.1
        let d = exp(-0.05 / 0.2)
        let expected = (pr * d + pr * (1 - pr * d)) * (1 - pr * exp(-0.05 / 0.5)) / pr
        #expect(abs(m.pairedPulseRatio(pr, interval: 0.05) - expected) < 1e-15)
        #expect(m.pairedPulseRatio(pr, interval: 0.05) > 1)
    }

    @Test func monteCarloMomentsConvergeToTheAnalyticOnes() {
        let pr = 0.35, n = 33.0
        let exact = model.readout(releaseProbability: pr, receptors: n, pairedPulseInterval: 0.05)
        var rng = SeededGenerator(seed: 42)
        let trials = 200_000
        let samples = model.sampleConductances(releaseProbability: pr, receptors: n, trials: trials, using: &rng)
        let mean = samples.reduce(0, +) / Double(trials)
        let variance = samples.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(trials - 1)
        let failures = Double(samples.filter { $0 == 0 }.count) / Double(trials)
        // Standard errors: mean σ/√T; a 5σ band keeps the test honest and deterministic (fixed seed).
        let sd = (exact.cv * exact.meanConductance)
        #expect(abs(mean - exact.meanConductance) < 5 * sd / Double(trials).squareRoot())
        #expect(abs(variance.squareRoot() / mean - exact.cv) < 0.01)
        #expect(abs(failures - exact.failureRate) < 5 * (exact.failureRate * (1 - exact.failureRate) / Double(trials)).squareRoot())
    }

    @Test func seededSamplesAreReproducible() {
        var a = SeededGenerator(seed: 7), b = SeededGenerator(seed: 7)
        let x = model.sampleConductances(releaseProbability: 0.5, receptors: 30, trials: 100, using: &a)
        let y = model.sampleConductances(releaseProbability: 0.5, receptors: 30, trials: 100, using: &b)
        #expect(x == y)
    }
}
