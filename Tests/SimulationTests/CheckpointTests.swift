import Testing
import Foundation
import ModelCompiler
import Simulation
import KineticsCore
import CVODEIntegration
import PathwayTestSupport

/// A run paused at an instant and resumed, as often as wanted, with values that only move
/// what comes later (how an STDP sweep shares its baseline): each resumed run is the run
/// made in one go with those values, and a value that would change the past is refused.
@Suite struct CheckpointTests {
    /// A decays at rate k; E1 adds 1 at t = 1, E2 adds 3 at t = T.
    static let text = """
    model pulsed()
      compartment cell = 1;
      species A in cell; A = 1;
      J: A -> ; k*A;
      k = 2; T = 5;
      E1: at (time >= 1): A = A + 1;
      E2: at (time >= T): A = A + 3;
    end
    """

    static func request(_ overrides: [(name: String, value: Double)] = []) -> SimulationRequest {
        SimulationRequest(grid: TimeGrid(end: 6, count: 61), overrides: overrides)
    }

    /// Paused at E1's instant and resumed with T = 3, then with T = 4: each run has the bytes of
    /// the run made in one go with that T (the resumed solver starts where the uninterrupted one
    /// restarts after E1), and follows the closed form A(6) = ((e^-2 + 1) e^-2(T-1) + 3) e^-2(6-T)
    /// within 1e-4 relative (rtol 1e-6 a step; the errors of ~100 steps add up on a value that
    /// decayed 400-fold from its peak).
    @Test(arguments: [3.0, 4.0])
    func resumedRunIsTheRunInOneGo(t: Double) throws {
        let simulator = Simulator(model: try TestModels.compile(Self.text))
        let checkpoint = try simulator.run(Self.request(), pausingAt: 1)
        #expect(checkpoint.time == 1)
        let resumed = try simulator.resume(checkpoint, overrides: [("T", t)])
        let whole = try simulator.run(Self.request([("T", t)]))
        #expect(resumed.failure == nil && whole.failure == nil)
        #expect(resumed.trajectory.times == whole.trajectory.times)
        #expect(resumed.trajectory.values == whole.trajectory.values)
        #expect(resumed.eventsExecuted == 2 && resumed.statistics.steps == whole.statistics.steps)
        let expected = ((exp(-2.0) + 1) * exp(-2 * (t - 1)) + 3) * exp(-2 * (6 - t))
        let a6 = try #require(resumed.trajectory.series("A")?.last)
        #expect(abs(a6 - expected) <= 1e-4 * expected, "A(6) = \(a6), closed form \(expected)")
    }

    /// Paused between output times and events, the resumed run restarts its solver where the
    /// run in one go does not: the same run within the tolerance, not the same bytes.
    @Test func pauseBetweenEventsKeepsTheTolerance() throws {
        let simulator = Simulator(model: try TestModels.compile(Self.text))
        let resumed = try simulator.resume(try simulator.run(Self.request(), pausingAt: 2.345))
        let whole = try simulator.run(Self.request())
        let a = try #require(resumed.trajectory.series("A")), b = try #require(whole.trajectory.series("A"))
        #expect(a.count == b.count)
        for (x, y) in zip(a, b) { #expect(abs(x - y) <= 1e-5 * max(abs(y), 1e-6), "\(x) against \(y)") }
    }

    /// A value that changes what the checkpoint already decided is refused: T = 0.5 makes E2's
    /// trigger true at the pause (it would have fired before), and a state cannot be set.
    @Test func valuesThatChangeThePastAreRefused() throws {
        let simulator = Simulator(model: try TestModels.compile(Self.text))
        let checkpoint = try simulator.run(Self.request(), pausingAt: 1)
        #expect(throws: SimulationRequestError.self) { try simulator.resume(checkpoint, overrides: [("T", 0.5)]) }
        #expect(throws: SimulationRequestError.self) { try simulator.resume(checkpoint, overrides: [("A", 2)]) }
        // The checkpoint is untouched by the refused resumes.
        let resumed = try simulator.resume(checkpoint)
        #expect(resumed.trajectory.values == (try simulator.run(Self.request())).trajectory.values)
    }
}
