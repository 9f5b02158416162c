import Testing
import Foundation
import ModelCompiler
import Simulation
import KineticsCore
import PathwayTestSupport

/// A run that records every column only at some rows and a few columns at every row (how a
/// rig records its test stimuli's sweeps) is the run that records everything, bit for bit:
/// the same steps, the same values where both record.
@Suite struct SampledRowsTests {
    /// A flows to B, which decays; rules read both, one through another; E1 adds 1 to A at
    /// t = 1 and E2 adds 3 at t = T.
    static let text = """
    model sampled()
      compartment cell = 1;
      species A in cell; A = 1;
      species B in cell; B = 0;
      J1: A -> B; k*A;
      J2: B -> ; 0.5*B;
      total := A + B;
      ratio := A / (B + 1);
      shown := ratio * exp(-total) + B^2;
      k = 2; T = 5;
      E1: at (time >= 1): A = A + 1;
      E2: at (time >= T): A = A + 3;
    end
    """

    static let fullRows = Array(stride(from: 0, to: 61, by: 7))

    static func request(_ overrides: [(name: String, value: Double)] = [], sampled: Bool) -> SimulationRequest {
        var request = SimulationRequest(grid: TimeGrid(end: 6, count: 61), columns: ["A", "B", "total", "ratio", "shown"],
                                        overrides: overrides)
        if sampled { request.sampledRows = SampledRows(fullRows: fullRows, columns: ["shown", "A"]) }
        return request
    }

    /// Sampled against whole: the full rows are the whole run's rows at those indices, the
    /// samples its `shown` and `A` at every row, bit for bit, after the same steps; and a
    /// sampled run paused at E1 and resumed with T = 3 is the sampled run made in one go.
    @Test func sampledRunRecordsTheWholeRunsValues() throws {
        let simulator = Simulator(model: try TestModels.compile(Self.text))
        let whole = try simulator.run(Self.request(sampled: false))
        let sampled = try simulator.run(Self.request(sampled: true))
        #expect(whole.failure == nil && sampled.failure == nil && whole.eventsExecuted == 2)
        #expect(whole.samples == nil)
        #expect(sampled.statistics.steps == whole.statistics.steps)
        #expect(sampled.trajectory.columns == whole.trajectory.columns)
        #expect(sampled.trajectory.times == Self.fullRows.map { whole.trajectory.times[$0] })
        #expect(sampled.trajectory.values == Self.fullRows.flatMap { r in (0..<5).map { whole.trajectory.value(row: r, column: $0) } })
        let samples = try #require(sampled.samples)
        #expect(samples.columns == ["shown", "A"] && samples.times == whole.trajectory.times)
        #expect(samples.series("shown")!.map(\.bitPattern) == whole.trajectory.series("shown")!.map(\.bitPattern))
        #expect(samples.series("A")!.map(\.bitPattern) == whole.trajectory.series("A")!.map(\.bitPattern))
        // `shown` moves between the full rows (the partial update is not a stale copy of them).
        #expect(Set(samples.series("shown")!).count > 50)

        let checkpoint = try simulator.run(Self.request(sampled: true), pausingAt: 1)
        let resumed = try simulator.resume(checkpoint, overrides: [("T", 3)])
        let inOneGo = try simulator.run(Self.request([("T", 3)], sampled: true))
        #expect(resumed.trajectory.times == inOneGo.trajectory.times && resumed.trajectory.values == inOneGo.trajectory.values)
        #expect(resumed.samples?.values == inOneGo.samples?.values && resumed.samples?.times == inOneGo.samples?.times)
    }

    /// Full rows out of order or off the grid, and an unknown sampled column, are refused.
    @Test func badSamplingIsRefused() throws {
        let simulator = Simulator(model: try TestModels.compile(Self.text))
        for sampled in [SampledRows(fullRows: [3, 2], columns: ["A"]), SampledRows(fullRows: [61], columns: ["A"]),
                        SampledRows(fullRows: [0], columns: ["nothing"])] {
            var request = Self.request(sampled: false)
            request.sampledRows = sampled
            #expect(throws: SimulationRequestError.self) { try simulator.run(request) }
        }
    }
}
