import KineticsCore
import ModelCompiler
import Simulation
import Optimization
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
        request.scalesAbsoluteTolerance = settings.scaledAbsoluteTolerance
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

    /// The steady state of condition `c` reached from `initial` (the condition's own initial
    /// state when nil) at `start`, with its derivatives when asked: the states are integrated
    /// there, the derivatives come from one linear solve at the steady state
    /// (`steadyStateDerivatives`), or are integrated along when that solve is not possible.
    func steadyState(condition c: Int, x: [Double], from initial: CarriedStates?, start: Double,
                     derivatives: Bool) throws(PEtabSimulationFailure) -> (states: CarriedStates, row: RunRows, time: Double) {
        var plain = try integrateToSteadyState(condition: c, x: x, from: initial, start: start, derivatives: false)
        guard derivatives else { return plain }
        guard let d = steadyStateDerivatives(condition: c, x: x, states: plain.states.values, time: plain.time, of: columns) else {
            return try integrateToSteadyState(condition: c, x: x, from: initial, start: start, derivatives: true)
        }
        plain.row.derivatives = [d]
        plain.states.derivatives = states(d)
        return plain
    }

    /// Integrates condition `c` from `start` until dx/dt is negligible (see
    /// `PEtabSettings.steadyStateRelativeTolerance`), in runs of growing length (10, 100, …
    /// time units), each continuing from the last; at most 10¹² time units.
    func integrateToSteadyState(condition c: Int, x: [Double], from initial: CarriedStates?, start: Double,
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

    /// Condition `c`'s settings at `x` with `states` on top, by slot of `model`.
    private func slotOverrides(condition c: Int, x: [Double], states: [String: Double], in model: CompiledModel) -> [Int: Double] {
        var overrides: [Int: Double] = [:]
        for (name, value) in conditions[c].overrides {
            guard let slot = model.symbols[name] else { continue }
            switch value {
            case .number(let v): overrides[slot] = v
            case .parameter(let i): overrides[slot] = x[i]
            }
        }
        for (name, value) in states { if let slot = model.symbols[name] { overrides[slot] = value } }
        return overrides
    }

    /// Whether dx/dt at `states` under condition `c` passes the steady-state test.
    func isSteady(condition c: Int, x: [Double], states: [String: Double], time: Double) -> Bool {
        let model = simulator.model
        let instance = ModelInstance(model)
        let overrides = slotOverrides(condition: c, x: x, states: states, in: model)
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

    /// The derivatives of `names` (model quantities) at the steady state `states` of
    /// condition `c` with respect to the estimated parameters, from one linear solve
    /// instead of integrating the sensitivities there: at a steady state f(y, p) = 0, so
    /// J·∂y/∂p = −∂f/∂p (the implicit function theorem; Fiedler et al. 2016, BMC Syst Biol
    /// 10:80, steady-state sensitivities; AMICI's Newton sensitivity mode). The states
    /// themselves still come from integration, so no Newton iterate can land on an
    /// unphysical root. Nil when J is
    /// singular to working accuracy (conservation laws: the steady state then depends on the
    /// initial state, and only integration gives its derivatives), when the model has events,
    /// or when the condition has no differentiated model.
    func steadyStateDerivatives(condition c: Int, x: [Double], states: [String: Double], time: Double,
                                of names: [String]) -> [[Double]]? {
        guard let model = conditions[c].differentiated?.model, model.events.isEmpty else { return nil }
        let instance = ModelInstance(model)
        let overrides = slotOverrides(condition: c, x: x, states: states, in: model)
        let y = instance.initialState(time: time, overrides: overrides)
        // Sets σ (each parameter's own value); the state part it returns is not needed.
        _ = instance.initialSensitivities(overridden: Set(overrides.keys), supplied: [:])
        let n = y.count, np = instance.parameterCount
        guard n > 0 else { return nil }

        // ∂f/∂p_k is the sensitivity right-hand side at s_k = 0.
        let zero = UnsafeMutablePointer<Double>.allocate(capacity: n)
        zero.initialize(repeating: 0, count: n)
        defer { zero.deallocate() }
        let columns = (0..<np).map { _ in UnsafeMutablePointer<Double>.allocate(capacity: n) }
        defer { for p in columns { p.deallocate() } }
        let zeros = [UnsafeMutablePointer<Double>](repeating: zero, count: np)
        var jacobian = [Double](repeating: 0, count: n * n)
        y.withUnsafeBufferPointer { yp in
            zeros.withUnsafeBufferPointer { sp in
                columns.withUnsafeBufferPointer { dp in
                    instance.evaluateSensitivityRHS(time: time, state: yp.baseAddress!, sensitivities: sp.baseAddress!, derivatives: dp.baseAddress!)
                }
            }
            jacobian.withUnsafeMutableBufferPointer { instance.evaluateJacobian(time: time, state: yp.baseAddress!, jacobian: $0.baseAddress!) }
        }
        var minusDfDp = [Double](repeating: 0, count: n * np)
        for k in 0..<np { for i in 0..<n { minusDfDp[k * n + i] = -columns[k][i] } }
        guard let rhs = Self.solve(jacobian: jacobian, n: n, columns: minusDfDp, count: np), rhs.allSatisfy(\.isFinite) else { return nil }

        // ∂y/∂p (solver states) → the requested quantities, through the assigned values' partials.
        y.withUnsafeBufferPointer { instance.update(time: time, state: $0.baseAddress!) }
        instance.refreshPartials()
        let positions = conditions[c].sensitivityPositions
        var out: [[Double]] = []
        for name in names {
            var d = [Double](repeating: 0, count: problem.estimated.count)
            if let slot = model.symbols[name] {
                let t = instance.tangent(ofSlot: slot, stateSensitivities: rhs)
                for (k, position) in positions.enumerated() { d[position] += t[k] }
            }
            out.append(d)
        }
        return out
    }

    /// Solves J·X = B (J dense column-major n×n, B's `count` columns of n) by LAPACK's
    /// Householder QR (`QRFactorization`); nil when a diagonal entry of R is below 1e-10 of
    /// J's largest entry, i.e. J is singular to working accuracy and X would be noise.
    static func solve(jacobian a: [Double], n: Int, columns b: [Double], count: Int) -> [Double]? {
        let scale = a.reduce(0) { max($0, abs($1)) }
        guard scale > 0, scale.isFinite, let qr = try? QRFactorization(of: Matrix(rows: n, columns: n, columnMajor: a)) else { return nil }
        let r = qr.r
        guard (0..<n).allSatisfy({ abs(r[$0, $0]) > 1e-10 * scale }) else { return nil }
        var x = [Double]()
        x.reserveCapacity(n * count)
        for k in 0..<count {
            guard let column = try? qr.solveLeastSquares(Array(b[k * n..<(k + 1) * n])) else { return nil }
            x += column
        }
        return x
    }
}
