import Testing
import Foundation
import ModelCompiler
import Simulation
import KineticsCore
import PathwayTestSupport

/// The solver restarts after an event instant only when the events changed the state or a
/// value its functions read; after one that did not (the end of a stimulus pulse that only a
/// trigger reads) it steps on with its history.
@Suite struct SolverRestartTests {
    /// A decays at rate k; a 0.5-ms pulse of `s` at t = 1 crosses the threshold of `kick`,
    /// which adds 1 to A. The pulse's end changes `s` alone, which no rate law reads.
    static let text = """
    model pulse()
      compartment cell = 1;
      species A in cell; A = 1;
      J: A -> ; k*A;
      k = 2; s = 0; thr = 0.5;
      on: at (time >= 1): s = 1;
      off: at (time >= 1.0005): s = 0;
      kick: at (s >= thr): A = A + 1;
    end
    """

    static let grid = TimeGrid(end: 3, count: 31)

    /// One restart, after the kick; none at the pulse's end. A follows the closed form
    /// A = e^-2t before the kick and (e^-2 + 1) e^-2(t-1) after it within 1e-4 relative (rtol
    /// 1e-6 a step, over about a hundred steps), and the run that also restarts at the pulse's
    /// end (`restartTime`) agrees with it within 1e-5 relative: the two differ in where the
    /// solver's steps fall, not in the solution they follow.
    @Test func anInstantThatChangesNothingTheSolverReadsIsSteppedOver() throws {
        let simulator = Simulator(model: try TestModels.compile(Self.text))
        let steppedOn = try simulator.run(SimulationRequest(grid: Self.grid))
        var restarting = SimulationRequest(grid: Self.grid)
        restarting.restartTime = 1.0005
        let restarted = try simulator.run(restarting)
        #expect(steppedOn.failure == nil && restarted.failure == nil)
        #expect(steppedOn.eventsExecuted == 3 && restarted.eventsExecuted == 3)
        #expect(steppedOn.statistics.reinitialisations == 1, "\(steppedOn.statistics.reinitialisations) restarts")
        #expect(restarted.statistics.reinitialisations == 2, "\(restarted.statistics.reinitialisations) restarts")
        let a = try #require(steppedOn.trajectory.series("A")), b = try #require(restarted.trajectory.series("A"))
        for (t, (x, y)) in zip(steppedOn.trajectory.times, zip(a, b)) {
            let expected = t < 1 ? exp(-2 * t) : (exp(-2.0) + 1) * exp(-2 * (t - 1))
            #expect(abs(x - expected) <= 1e-4 * expected, "A(\(t)) = \(x), closed form \(expected)")
            #expect(abs(x - y) <= 1e-5 * y, "A(\(t)): \(x) stepped on, \(y) restarted")
        }
    }

    /// An instant whose events move the state restarts as before: a kick at the pulse's end too.
    @Test func anInstantThatMovesTheStateRestarts() throws {
        let text = Self.text.replacingOccurrences(of: "off: at (time >= 1.0005): s = 0;", with: "off: at (time >= 1.0005): s = 0, A = A + 1;")
        let result = try Simulator(model: try TestModels.compile(text)).run(SimulationRequest(grid: Self.grid))
        #expect(result.failure == nil && result.statistics.reinitialisations == 2, "\(result.statistics.reinitialisations) restarts")
    }
}
