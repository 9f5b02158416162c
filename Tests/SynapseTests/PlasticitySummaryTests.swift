import Testing
import Foundation
import SynapseSimulation

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

    @Test func aZeroBaselineIsUndefinedNotNoChange() throws {
        let s = try Self.summary(baseline: -40, after: -40, receptors: (0, 0.5))
        #expect(s.receptorChange.isNaN)
    }
}
