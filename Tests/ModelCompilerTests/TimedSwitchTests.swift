import Testing
import ModelCompiler
import PathwayTestSupport

/// Comparisons of time against a state-free value are timed switches (the integrator
/// stops at the crossing) in every form libAntimony writes them, not only `time OP c`.
@Suite struct TimedSwitchTests {
    static func model(_ condition: String) throws -> CompiledModel {
        try TestModels.compile("t0 = 60; k = 1; u := piecewise(0, \(condition), 1); A = 0; J1: -> A; k*u")
    }

    @Test(arguments: ["time < t0", "time - t0 < 0", "0 > time - t0", "time + t0 < 120", "t0 + 0 > time - 0"])
    func timeAgainstAParameterIsTimed(_ condition: String) throws {
        let m = try Self.model(condition)
        #expect(m.rootCount == 0, "no root function for '\(condition)'")
        #expect(m.summary.timedSwitches == 1)
        // Sensitivities are refused for root-found switches, not for timed ones.
        #expect(throws: Never.self) { try m.differentiated(with: ["k"]) }
    }

    @Test func aStateInTheComparisonIsRootFound() throws {
        let m = try Self.model("A - t0 < 0")
        #expect(m.rootCount == 1)
    }

    /// The input switches on at t0 = 60, so A = 0 before and A(t) = t − 60 after.
    @Test func theSwitchLandsOnItsTime() throws {
        let r = try TestModels.simulate("t0 = 60; u := piecewise(0, time - t0 < 0, 1); A = 0; J1: -> A; u",
                                        tEnd: 100, points: 11, rtol: 1e-10, atol: 1e-12, columns: ["A"])
        #expect(r.failure == nil)
        let a = try #require(r.trajectory.series("A"))
        // Exact up to the solver's tolerance: a linear solution is integrated without truncation error.
        for (t, v) in zip(r.trajectory.times, a) { #expect(abs(v - max(0, t - 60)) < 1e-8, "A(\(t)) = \(v)") }
    }
}
