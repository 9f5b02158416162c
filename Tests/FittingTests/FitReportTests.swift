import Testing
@testable import Fitting

@Suite struct FitReportTests {
    /// 19 simulations in 38 s are 0.5/s, which "%.0f" printed as "0/s", as if none had run.
    @Test(arguments: [(19, 38.0, "0.5/s"), (3, 100.0, "0.03/s"), (19, 2.0, "9.5/s"), (1000, 4.0, "250/s")])
    func aRateBelowOnePerSecondReadsAsSuch(_ simulations: Int, _ seconds: Double, _ expected: String) {
        #expect(FitReport.rateText(simulations: simulations, seconds: seconds) == expected)
    }
}
