import KineticsCore
import ModelCompiler
import Simulation
import Foundation

/// Why a PEtab simulation could not be run at some parameter values.
public struct PEtabSimulationFailure: Error, Sendable, CustomStringConvertible {
    public let condition: String
    public let reason: String
    public var description: String { "condition '\(condition)': \(reason)" }
}

/// The model quantities one simulation provides: `columns` at each output row, and their
/// derivatives with respect to the estimated parameters (linear units) when asked.
struct SimulatedRows {
    /// [row][column]
    var values: [[Double]]
    /// [row][column][estimated position]
    var derivatives: [[[Double]]]?
    /// The end time of each row's run (the steady state's time for the `inf` row).
    var times: [Double]
}

/// States carried from one run into the next, with their derivatives (estimated positions).
struct CarriedStates {
    var values: [String: Double]
    var derivatives: [String: [Double]]?
}

extension PEtabModel {
    /// Runs simulation `s` at parameter values `x` (every parameter, linear units):
    /// pre-equilibration to steady state when asked, the run through the measured times,
    /// and a final run to steady state for `inf` times (its row is last).
    /// A pre-equilibration shared by several simulations runs once per evaluation:
    /// `steadyStates` keeps each condition's.
    func simulate(_ s: Int, x: [Double], derivatives: Bool,
                  steadyStates: inout [Int: CarriedStates]) throws(PEtabSimulationFailure) -> SimulatedRows {
        let plan = simulations[s]
        var carried: CarriedStates?
        if let p = plan.preequilibration {
            if steadyStates[p] == nil { steadyStates[p] = try steadyState(condition: p, x: x, from: nil, start: 0, derivatives: derivatives).states }
            carried = steadyStates[p]
        }
        let main = try run(condition: plan.condition, x: x, carried: carried, reinitialise: true, times: plan.times, derivatives: derivatives)
        var rows = SimulatedRows(values: main.values, derivatives: main.derivatives, times: plan.times)
        if plan.needsSteadyState {
            let last = main.values.count - 1
            let end = CarriedStates(values: states(main.values[last]), derivatives: main.derivatives.map { states($0[last]) })
            let steady = try steadyState(condition: plan.condition, x: x, from: end, start: plan.times[last], derivatives: derivatives)
            rows.values.append(steady.row.values[0])
            rows.derivatives?.append(steady.row.derivatives![0])
            rows.times.append(steady.time)
        }
        return rows
    }

    /// The state part of a row, by state name.
    private func states<T>(_ row: [T]) -> [String: T] {
        var out: [String: T] = [:]
        for (k, name) in stateNames.enumerated() { out[name] = row[formulaColumnCount + k] }
        return out
    }

    struct RunRows {
        var values: [[Double]]
        var derivatives: [[[Double]]]?
    }

    /// One run of condition `c` over `times`: its overrides at `x`, with `carried` states
    /// (kept, unless `reinitialise` and the condition sets them) and their derivatives.
    func run(condition c: Int, x: [Double], carried: CarriedStates?, reinitialise: Bool, times: [Double],
             derivatives: Bool) throws(PEtabSimulationFailure) -> RunRows {
        let plan = conditions[c]
        let conditionId = problem.conditions[c].id
        var overrides: [(name: String, value: Double)] = plan.overrides.map { entry in
            switch entry.value {
            case .number(let v): (entry.name, v)
            case .parameter(let i): (entry.name, x[i])
            }
        }
        var request = SimulationRequest(grid: TimeGrid(times: times), columns: columns, overrides: [], options: settings.integratorOptions)
        let differentiated = derivatives ? plan.differentiated : nil
        if let carried {
            for (name, value) in carried.values where !(reinitialise && plan.setStates.contains(name)) {
                overrides.removeAll { $0.name == name }
                overrides.append((name, value))
                if differentiated != nil, let d = carried.derivatives?[name] {
                    request.initialSensitivities[name] = plan.sensitivityPositions.map { d[$0] }
                }
            }
        }
        request.overrides = overrides
        var simulator = self.simulator
        if let differentiated {
            simulator = differentiated
            request.sensitivityParameters = plan.sensitivityNames
        }
        let result: SimulationResult
        do { result = try simulator.run(request) } catch {
            throw PEtabSimulationFailure(condition: conditionId, reason: error.description)
        }
        if let f = result.failure { throw PEtabSimulationFailure(condition: conditionId, reason: f.summary) }
        let trajectory = result.trajectory
        guard trajectory.rowCount == times.count else {
            throw PEtabSimulationFailure(condition: conditionId, reason: "the run returned \(trajectory.rowCount) of \(times.count) output times")
        }
        let n = columns.count
        var out = RunRows(values: (0..<trajectory.rowCount).map { r in (0..<n).map { trajectory.value(row: r, column: $0) } }, derivatives: nil)
        if derivatives {
            let np = problem.estimated.count
            let sens = result.sensitivities
            out.derivatives = (0..<trajectory.rowCount).map { r in
                (0..<n).map { col in
                    var d = [Double](repeating: 0, count: np)
                    if let sens {
                        for (k, position) in plan.sensitivityPositions.enumerated() { d[position] += sens.value(row: r, column: col, parameter: k) }
                    }
                    return d
                }
            }
        }
        return out
    }

    /// Integrates condition `c` from `start` until dx/dt is negligible (see
    /// `PEtabSettings.steadyStateRelativeTolerance`), in runs of growing length (10, 100, …
    /// time units), each continuing from the last; at most 10¹² time units.
    func steadyState(condition c: Int, x: [Double], from initial: CarriedStates?, start: Double,
                     derivatives: Bool) throws(PEtabSimulationFailure) -> (states: CarriedStates, row: RunRows, time: Double) {
        var carried = initial
        var t = start, length = 10.0
        var reinitialise = initial == nil
        while length <= 1e12 {
            let rows = try run(condition: c, x: x, carried: carried, reinitialise: reinitialise, times: [t, t + length], derivatives: derivatives)
            reinitialise = false
            t += length
            let end = CarriedStates(values: states(rows.values[1]), derivatives: rows.derivatives.map { states($0[1]) })
            carried = end
            if isSteady(condition: c, x: x, states: end.values, time: t) {
                return (end, RunRows(values: [rows.values[1]], derivatives: rows.derivatives.map { [$0[1]] }), t)
            }
            length *= 10
        }
        throw PEtabSimulationFailure(condition: problem.conditions[c].id, reason: "no steady state reached by t = \(t) (weighted RMS of dx/dt stays above 1)")
    }

    /// Whether dx/dt at `states` under condition `c` passes the steady-state test.
    func isSteady(condition c: Int, x: [Double], states: [String: Double], time: Double) -> Bool {
        let model = simulator.model
        let instance = ModelInstance(model)
        var overrides: [Int: Double] = [:]
        for (name, value) in conditions[c].overrides {
            guard let slot = model.symbols[name] else { continue }
            switch value {
            case .number(let v): overrides[slot] = v
            case .parameter(let i): overrides[slot] = x[i]
            }
        }
        for (name, value) in states { if let slot = model.symbols[name] { overrides[slot] = value } }
        let y = instance.initialState(time: time, overrides: overrides)
        var dy = [Double](repeating: 0, count: y.count)
        y.withUnsafeBufferPointer { yp in
            dy.withUnsafeMutableBufferPointer { dp in instance.evaluateRHS(time: time, state: yp.baseAddress!, derivative: dp.baseAddress!) }
        }
        guard !y.isEmpty else { return true }
        let rtol = settings.steadyStateRelativeTolerance ?? settings.relativeTolerance
        let atol = settings.steadyStateAbsoluteTolerance ?? settings.absoluteTolerance
        var sum = 0.0
        for i in y.indices {
            let w = dy[i] / (atol + rtol * abs(y[i]))
            sum += w * w
        }
        let wrms = (sum / Double(y.count)).squareRoot()
        return wrms < 1
    }
}
