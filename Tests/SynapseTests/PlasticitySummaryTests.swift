import Testing
import Foundation
@testable import SynapseSimulation
import SynapseModel

/// The percent changes a summary reports, and where they are undefined.
@Suite struct PlasticitySummaryTests {
    /// A summary from its means (the JSON a run's summary is written as).
    static func summary(baseline: Double, after: Double, receptors: (Double, Double) = (1, 1)) throws -> PlasticitySummary {
        func means(_ amplitude: Double, _ n: Double) -> String {
            #"{"amplitude": \#(amplitude), "pairedPulseRatio": 0.8, "inverseCVSquared": 10, "receptors": \#(n), "releaseProbability": 0.3, "count": 4}"#
        }
        let json = #"{"baseline": \#(means(baseline, receptors.0)), "after": \#(means(after, receptors.1)), "window": [1200, 1800], "amplitudeUnit": "pA"}"#
        return try JSONDecoder().decode(PlasticitySummary.self, from: Data(json.utf8))
    }

    @Test func aResponseChangesByItsRatioToTheBaseline() throws {
        let s = try Self.summary(baseline: -40, after: -50, receptors: (1, 1.25))
        #expect(abs(s.amplitudeChange - 25) < 1e-12 && abs(s.receptorChange - 25) < 1e-12)
        #expect(s.hasBaselineResponse && s.locus == .postsynaptic)
    }

    /// A blocked synapse's 1e-14-pA baseline is rounding, not a response: a ratio to it
    /// (here +3600 %) would be noise amplified, so the change is undefined, not a number.
    @Test func noBaselineResponseGivesNoPercentChange() throws {
        let s = try Self.summary(baseline: 1e-14, after: 3.7e-13)
        #expect(!s.hasBaselineResponse && s.locus == .noBaselineResponse)
        #expect(s.amplitudeChange.isNaN && s.pairedPulseRatioChange.isNaN && s.inverseCVSquaredChange.isNaN)
        #expect(abs(s.releaseProbabilityChange) < 1e-12, "the model's own Pr is still compared")
        let table = SynapseReports.summaryCSV(s)
        #expect(table.contains("IPSC amplitude (pA),1e-14,3.7e-13,nan") && table.contains("locus,no baseline response"), "\(table)")
    }

    /// The drift is the least-squares slope through the baseline's tests over their span, in
    /// percent of the mean: a ramp from 100 to 110 (mean 105) drifts 10/105 = 9.52 %; a flat
    /// baseline with one outlier in the middle drifts 0 (the slope ignores a symmetric bump).
    @Test func baselineDriftIsTheSlopeOverTheSpan() throws {
        let release = ReleaseModel(sites: 1, quantalSize: 1, referenceReceptors: 1, tauRecovery: 0.5)
        func readouts(_ receptors: [Double]) -> [TestReadout] {
            receptors.enumerated().map { k, n in
                TestReadout(time: Double(k) * 10, phase: .baseline,
                            response: release.readout(releaseProbability: 0.5, receptors: n, pairedPulseInterval: 0.05), normalisedAmplitude: 0)
            }
        }
        let ramp = readouts((0...10).map { 100 + Double($0) })
        let mean = ramp.map(\.amplitude).reduce(0, +) / Double(ramp.count)
        let drift = try #require(PlasticitySummary.drift(ramp, mean: mean))
        #expect(abs(drift - 10.0 / 105 * 100) < 1e-9, "\(drift)")
        let bump = readouts([100, 100, 130, 100, 100])
        #expect(abs(try #require(PlasticitySummary.drift(bump, mean: 106))) < 1e-9)
        #expect(PlasticitySummary.drift(readouts([100, 100]), mean: 100) == nil, "two tests give no slope worth reporting")
    }

    @Test func aZeroBaselineIsUndefinedNotNoChange() throws {
        let s = try Self.summary(baseline: -40, after: -40, receptors: (0, 0.5))
        #expect(s.receptorChange.isNaN)
    }
}
