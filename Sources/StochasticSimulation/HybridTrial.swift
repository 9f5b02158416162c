import Simulation
import KineticsCore
import KinapseUtilities
import SourceDiagnostics

/// One worker's hybrid trials: the derived model through the simulator, its jumps fired
/// by a `JumpAction` seeded for the trial.
final class HybridTrial {
    let model: HybridModel
    var firings = 0

    init(_ model: HybridModel) { self.model = model }

    /// Runs one trial from the pathway's initial state, discrete species started at a
    /// whole count (⌊x⌋ + 1 with probability x − ⌊x⌋, as the exact method does), and writes
    /// the values of `columns` at `times` into `row`, row-major.
    func run(seed: UInt64, times: [Double], columns: [String], into row: inout [Double]) throws(StochasticRunError) {
        var generator = SeededGenerator(seed: seed)
        firings = 0
        var overrides = model.overrides
        for (i, x) in zip(model.discreteSpecies, model.initialCounts) {
            let whole = x.rounded(.down)
            let count = whole + (generator.nextUniform() < x - whole ? 1 : 0)
            overrides.append((model.stochastic.species[i].name, count / model.stochastic.species[i].moleculesPerValue))
        }
        overrides.append(JumpSet.Bound.threshold(&generator))
        let action = JumpAction(model.jumps, generator: generator)
        var request = SimulationRequest(grid: TimeGrid(times: times), columns: columns, overrides: overrides, options: model.settings.integrator)
        // The continuous part is an ODE run: a species driven below zero beyond its tolerance
        // is a wrong trajectory there too, and the trial must not go on from it.
        request.stopOnNegativeConcentration = true
        let result: SimulationResult
        do {
            result = try model.simulator.run(request, eventAction: action)
        } catch {
            throw StochasticRunError(.error(error.message, hint: error.hint))
        }
        firings = action.firings
        if let failure = action.failure { throw failure }
        if let f = result.failure { throw StochasticRunError(.error("the hybrid trial stopped: \(f.description)")) }
        let trajectory = result.trajectory
        row = []
        row.reserveCapacity(times.count * columns.count)
        for r in 0..<trajectory.rowCount {
            for c in columns.indices { row.append(trajectory.value(row: r, column: c)) }
        }
    }
}
