import Testing
import ModelCompiler
import Simulation
import KineticsCore
import CVODEIntegration
import PathwayTestSupport

/// The time-ordered event queue: the work of an event instant does not grow with the
/// number of timed events, and times computed from values events change still move.
@Suite struct EventQueueTests {
    /// `n` distinct pulse events, `Ek: at (time >= k): A = A + 1`, on a constant A.
    static func pulses(_ n: Int) -> String {
        var lines = ["model pulses()", "  compartment cell = 1;", "  species A in cell; A = 0;"]
        for k in 1...n { lines.append("  E\(k): at (time >= \(k)): A = A + 1;") }
        lines.append("end")
        return lines.joined(separator: "\n")
    }

    static func run(_ text: String, end: Double, points: Int) throws -> SimulationResult {
        let model = try TestModels.compile(text)
        return try Simulator(model: model).run(SimulationRequest(grid: TimeGrid(end: end, count: points)))
    }

    /// Every trigger is evaluated once at the start; after that each pulse instant
    /// re-evaluates the one trigger whose switch flipped (and nothing after its execution,
    /// which flips no switch): 2n evaluations in all. A pass over every trigger at every
    /// instant, as before the queue, would make it at least 2n² (two passes per instant).
    @Test(arguments: [10, 200])
    func triggerWorkPerEventIsConstant(n: Int) throws {
        let result = try Self.run(Self.pulses(n), end: Double(n) + 0.5, points: 3)
        #expect(result.failure == nil)
        #expect(result.eventsExecuted == n)
        #expect(result.triggerEvaluations == 2 * n)
        // A counts the pulses exactly (no integration error on a constant).
        #expect(result.trajectory.value(row: 2, column: 0) == Double(n))
    }

    /// A time read from a parameter that an event changes: E1 at t = 1 brings E2's time
    /// from 10 forward to 4, and E3's back to 0.5, already past, so E3's trigger turns
    /// true at once and it fires at t = 1 too. Outputs at integer times: A counts E2,
    /// B counts E3.
    @Test func timesMovedByEventsAreRecomputed() throws {
        let text = """
        model moved()
          compartment cell = 1;
          species A in cell; species B in cell;
          A = 0; B = 0; T2 = 10; T3 = 20;
          E1: at (time >= 1): T2 = 4, T3 = 0.5;
          E2: at (time >= T2): A = A + 1;
          E3: at (time >= T3): B = B + 1;
        end
        """
        let result = try Self.run(text, end: 12, points: 13)
        #expect(result.failure == nil)
        #expect(result.eventsExecuted == 3)
        let a = (0..<13).map { result.trajectory.value(row: $0, column: 0) }
        let b = (0..<13).map { result.trajectory.value(row: $0, column: 1) }
        #expect(a == [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1])
        #expect(b == [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1])
    }

    /// One event re-armed by moving its own time, `t_next = t_next + 1`: it fires at
    /// 1, 2, …, 5 and the run does only the work of five instants.
    @Test func reArmedEventFiresAtEveryMovedTime() throws {
        let text = """
        model rearmed()
          compartment cell = 1;
          species A in cell; A = 0; t_next = 1;
          E: at (time >= t_next): A = A + 1, t_next = t_next + 1;
        end
        """
        let result = try Self.run(text, end: 5.5, points: 12)
        #expect(result.failure == nil)
        #expect(result.eventsExecuted == 5)
        let a = (0..<12).map { result.trajectory.value(row: $0, column: 0) }
        #expect(a == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
    }
}
