public import ModelCompiler
public import CVODEIntegration
import KineticsCore
import Simulation
import Optimization
import KinapseUtilities
import SourceDiagnostics

/// How hard to look for a steady state and when to accept one.
public struct SteadyStateOptions: Sendable {
    /// Accept when every derivative is below `tolerance · max(|x_i|, scale)` per unit time…
    public var relativeTolerance = 1e-12
    /// …with `scale` this fraction of the largest state, so states near zero need not be
    /// resolved to absurd relative precision.
    public var absoluteScale = 1e-9
    public var maximumNewtonIterations = 100
    /// Times (from the start) to which the model is integrated when Newton's method does
    /// not converge from where it stands; Newton is tried again from each.
    public var presimulationTimes: [Double] = [1, 10, 100, 1e3, 1e4, 1e5, 1e6]
    /// Integration tolerances of the presimulation.
    public var integrator = IntegratorOptions(relativeTolerance: 1e-8, absoluteTolerance: 1e-14, maximumSteps: 1_000_000)
    /// Refuse a steady state in which a species is negative beyond `absoluteScale` of the
    /// largest state: a root of the equations, but no physical rest state (as a simulation
    /// stops when a species goes negative).
    public var rejectsNegativeSpecies = false

    public init() {}
}

/// A steady state: f(x) = 0 with every conservation law at its initial value.
public struct SteadyState: Sendable {
    public enum Method: Sendable, Equatable {
        /// Newton's method from the initial state.
        case newton
        /// Pseudo-transient continuation from the initial state, then Newton's method.
        case pseudoTransient
        /// Integration to `time`, then Newton's method.
        case presimulation(time: Double)
    }
    /// The state vector (amounts for amount-based species, as `CompiledModel.states`).
    public var state: [Double]
    /// The state variables' names, in the order of `state`.
    public var names: [String]
    /// Each state as an output column shows it (concentrations for species whose state is
    /// an amount), in the order of `names`.
    public var values: [Double]
    /// The largest |dx_i/dt| / max(|x_i|, scale) at `state`, per unit time.
    public var residual: Double
    public var newtonIterations: Int
    public var method: Method
    /// Conservation laws found (one row per law, over `names`), fixed at their initial totals.
    public var conservationLaws: [[Double]]
    /// For each law, the state whose equation it replaced in the reduced system.
    var replacedStates: [Int] = []
}

public struct SteadyStateError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public let hint: String?
    /// The request was at fault (an unknown or computed name), not the search.
    public var isBadRequest = false
    public var description: String { hint.map { "\(message)\nhint: \($0)" } ?? message }
}

public enum SteadyStateSolver {
    /// Finds the steady state reached from the model's initial state with `named`
    /// overrides (initial values and parameters, as `SimulationRequest.overrides`). Events are
    /// not applied: this is the rest point of the continuous dynamics with every parameter at
    /// its value.
    public static func solve(_ model: CompiledModel, overrides named: [(name: String, value: Double)] = [],
                             options: SteadyStateOptions = SteadyStateOptions()) throws(SteadyStateError) -> SteadyState {
        let overrides = try overrideSlots(named, in: model)
        let instance = ModelInstance(model)
        let x0 = instance.initialState(overrides: overrides)
        let n = x0.count
        if n == 0 {
            return SteadyState(state: [], names: [], values: [], residual: 0, newtonIterations: 0, method: .newton, conservationLaws: [])
        }
        let laws: ConservationLaws
        do { laws = try ConservationLaws(jacobians: sampledJacobians(instance, around: x0), stateCount: n) } catch {
            throw SteadyStateError(message: "cannot find the conservation laws of '\(model.name)': \(error)", hint: nil)
        }
        var system = ReducedSystem(instance: instance, laws: laws, initial: x0, options: options)
        let found = try search(model, from: x0, overrides: overrides, named: named, instance: instance, laws: laws,
                               system: &system, options: options)
        if options.rejectsNegativeSpecies { try refuseNegativeSpecies(in: found, of: model, overrides: named, options: options) }
        return found
    }

    /// Newton's method, then pseudo-transient continuation, then presimulation (see `solve`).
    private static func search(_ model: CompiledModel, from x0: [Double], overrides: [Int: Double],
                               named: [(name: String, value: Double)], instance: ModelInstance, laws: ConservationLaws,
                               system: inout ReducedSystem, options: SteadyStateOptions) throws(SteadyStateError) -> SteadyState {
        let names = model.states.map(\.name)
        if let (x, iterations) = system.newton(from: x0) {
            return SteadyState(state: x, names: names, values: columnValues(instance, x), residual: system.residual(x),
                               newtonIterations: iterations, method: .newton, conservationLaws: laws.laws, replacedStates: laws.replacedStates)
        }
        // Pseudo-transient continuation: implicit Euler steps whose size grows as the
        // residual falls, following the dynamics' own path to rest far more cheaply than
        // an integrator with error control (Kelley & Keyes 1998, SIAM J Numer Anal 35:508).
        if let (x, iterations) = system.pseudoTransient(from: x0) {
            return SteadyState(state: x, names: names, values: columnValues(instance, x), residual: system.residual(x),
                               newtonIterations: iterations, method: .pseudoTransient, conservationLaws: laws.laws, replacedStates: laws.replacedStates)
        }
        // Presimulation: integrate, then restart Newton from where the model has got to.
        // The final row holds each state variable under its name (concentrations for
        // amount-based species, as overrides take them).
        let simulator = Simulator(model: model)
        var lastReached = 0.0
        for time in options.presimulationTimes {
            let request = SimulationRequest(grid: TimeGrid(end: time, count: 2), columns: names, overrides: named,
                                            options: options.integrator)
            guard let result = try? simulator.run(request), result.failure == nil, result.trajectory.rowCount == 2 else { break }
            lastReached = time
            var reached = overrides
            for (c, name) in names.enumerated() {
                if let slot = model.symbols[name] { reached[slot] = result.trajectory.value(row: 1, column: c) }
            }
            let x = instance.initialState(overrides: reached)
            guard x.allSatisfy(\.isFinite) else { break }
            if let (y, iterations) = system.newton(from: x) {
                return SteadyState(state: y, names: names, values: columnValues(instance, y), residual: system.residual(y),
                                   newtonIterations: iterations, method: .presimulation(time: time), conservationLaws: laws.laws, replacedStates: laws.replacedStates)
            }
        }
        throw SteadyStateError(
            message: "no steady state found for '\(model.name)': Newton's method did not converge from the initial state or after integrating to t = \(lastReached)",
            hint: "the model may oscillate, grow without bound, or settle slower than t = \(options.presimulationTimes.last ?? 0); simulate it to see")
    }

    /// Throws when a species (not a raw rate-rule value) is negative at `steady` beyond
    /// `options.absoluteScale` of the largest state, naming it and the overrides in force.
    static func refuseNegativeSpecies(in steady: SteadyState, of model: CompiledModel, overrides named: [(name: String, value: Double)],
                                      options: SteadyStateOptions) throws(SteadyStateError) {
        let allowance = options.absoluteScale * max(steady.state.map(abs).max() ?? 0, 1)
        guard let i = model.states.indices.first(where: { model.states[$0].kind != .raw && steady.state[$0] < -allowance }) else { return }
        let set = named.map { "\($0.name) = \($0.value)" }.joined(separator: ", ")
        throw SteadyStateError(
            message: "the steady state of '\(model.name)' has species '\(steady.names[i])' at \(steady.values[i]): a concentration cannot be negative",
            hint: "no physical rest state at these values" + (set.isEmpty ? "" : " (set: \(set))") + "; check the parameters that feed '\(steady.names[i])'")
    }

    /// Any named quantities (rules, reaction rates, parameters, states) at a steady state
    /// found with the same `overrides`.
    public static func values(of columns: [String], in model: CompiledModel, at steady: SteadyState,
                              overrides named: [(name: String, value: Double)] = []) throws(SteadyStateError) -> [Double] {
        let overrides = try overrideSlots(named, in: model)
        let slots = try columnSlots(columns, in: model)
        let instance = ModelInstance(model)
        _ = instance.initialState(overrides: overrides)
        return read(slots, instance, at: steady.state)
    }

    /// The states as output columns show them (concentrations for amount-based species).
    static func columnValues(_ instance: ModelInstance, _ x: [Double]) -> [Double] {
        read(instance.model.states.map { instance.model.symbols[$0.name] ?? $0.slot }, instance, at: x)
    }

    /// The values in `slots` once the state `x` is loaded and the assigned values computed.
    private static func read(_ slots: [Int], _ instance: ModelInstance, at x: [Double]) -> [Double] {
        x.withUnsafeBufferPointer { instance.update(time: 0, state: $0.baseAddress!) }
        return slots.map { instance.value(ofSlot: $0) }
    }

    /// The memory slots of named output columns; an unknown name is the request's fault.
    static func columnSlots(_ columns: [String], in model: CompiledModel) throws(SteadyStateError) -> [Int] {
        var slots: [Int] = []
        for name in columns {
            guard let slot = model.symbols[name] else {
                throw SteadyStateError(message: "unknown output column '\(name)'", hint: Suggestions.didYouMean(name, among: model.symbols.keys),
                                       isBadRequest: true)
            }
            slots.append(slot)
        }
        return slots
    }

    /// Overrides by name as slots; a bad name is the request's fault.
    static func overrideSlots(_ named: [(name: String, value: Double)], in model: CompiledModel) throws(SteadyStateError) -> [Int: Double] {
        do { return try model.overrideSlots(named) } catch {
            throw SteadyStateError(message: error.message, hint: error.hint, isBadRequest: true)
        }
    }

    /// Jacobians at the initial state and at three states scattered around it (each
    /// component scaled by a factor in [0.5, 2]; zeros moved off zero), for the common left
    /// null space. Seeded, so the laws found are reproducible.
    static func sampledJacobians(_ instance: ModelInstance, around x0: [Double]) -> [[Double]] {
        let n = x0.count
        let typical = max(x0.map(abs).max() ?? 1, 1e-12)
        var generator = SeededGenerator(seed: 0x5eed)
        var states = [x0]
        for _ in 0..<3 {
            states.append(x0.map { x in
                let factor = 0.5 + 1.5 * generator.nextUniform()
                return x == 0 ? 0.1 * typical * generator.nextUniform() : x * factor
            })
        }
        return states.compactMap { x in
            var j = [Double](repeating: 0, count: n * n)
            x.withUnsafeBufferPointer { xs in j.withUnsafeMutableBufferPointer { instance.evaluateJacobian(time: 0, state: xs.baseAddress!, jacobian: $0.baseAddress!) } }
            return j.allSatisfy(\.isFinite) ? j : nil
        }
    }
}

/// f(x) with the equation of each law's replaced state swapped for l·(x − x₀) = 0: a square
/// system whose Jacobian is non-singular at an isolated steady state.
struct ReducedSystem {
    let instance: ModelInstance
    let laws: ConservationLaws
    let totals: [Double]
    let options: SteadyStateOptions
    let n: Int
    /// States that started non-negative (concentrations, amounts) must stay so.
    let nonNegative: [Bool]
    var scale: Double

    init(instance: ModelInstance, laws: ConservationLaws, initial x0: [Double], options: SteadyStateOptions) {
        self.instance = instance; self.laws = laws; self.options = options
        n = x0.count
        totals = laws.laws.map { l in zip(l, x0).reduce(0) { $0 + $1.0 * $1.1 } }
        nonNegative = x0.map { $0 >= 0 }
        scale = max(x0.map(abs).max() ?? 0, 1e-300) * options.absoluteScale
    }

    func derivative(_ x: [Double]) -> [Double] {
        var f = [Double](repeating: 0, count: n)
        x.withUnsafeBufferPointer { xs in f.withUnsafeMutableBufferPointer { instance.evaluateRHS(time: 0, state: xs.baseAddress!, derivative: $0.baseAddress!) } }
        return f
    }

    /// The largest derivative relative to its state (per unit time).
    func residual(_ x: [Double]) -> Double {
        let f = derivative(x)
        return (0..<n).reduce(0) { max($0, abs(f[$1]) / max(abs(x[$1]), scale)) }
    }

    private func reducedValue(_ x: [Double]) -> [Double] {
        var g = derivative(x)
        for (k, row) in laws.replacedStates.enumerated() {
            g[row] = zip(laws.laws[k], x).reduce(0) { $0 + $1.0 * $1.1 } - totals[k]
        }
        return g
    }

    func reducedJacobian(_ x: [Double]) -> Matrix {
        var j = [Double](repeating: 0, count: n * n)
        x.withUnsafeBufferPointer { xs in j.withUnsafeMutableBufferPointer { instance.evaluateJacobian(time: 0, state: xs.baseAddress!, jacobian: $0.baseAddress!) } }
        for (k, row) in laws.replacedStates.enumerated() {
            for c in 0..<n { j[row + c * n] = laws.laws[k][c] }
        }
        return Matrix(rows: n, columns: n, columnMajor: j)
    }

    /// Weighted size of the reduced residual: derivatives relative to their states, law
    /// residuals relative to the state scale.
    private func merit(_ g: [Double], at x: [Double]) -> Double {
        var worst = 0.0
        for i in 0..<n { worst = max(worst, abs(g[i]) / max(abs(x[i]), scale)) }
        return worst
    }

    /// Damped Newton iteration; nil when it stalls, leaves the non-negative orthant or
    /// runs out of iterations.
    mutating func newton(from start: [Double], iterations limit: Int? = nil) -> (state: [Double], iterations: Int)? {
        let limit = limit ?? options.maximumNewtonIterations
        var x = start
        var g = reducedValue(x)
        var size = merit(g, at: x)
        for iteration in 0...limit {
            if size.isFinite, residual(x) <= options.relativeTolerance, lawsHold(x) { return (x, iteration) }
            guard iteration < limit,
                  let qr = try? QRFactorization(of: reducedJacobian(x)),
                  let step = try? qr.solveLeastSquares(g.map { -$0 }), step.allSatisfy(\.isFinite) else { return nil }
            // Converged when the Newton step no longer moves the state: quadratic convergence
            // leaves an error far below the step, where the residual itself may sit at the
            // rounding level of fast, cancelling fluxes.
            let stepSize = (0..<n).reduce(0) { max($0, abs(step[$1]) / max(abs(x[$1]), scale)) }
            if stepSize <= 1e-13 {
                let y = (0..<n).map { x[$0] + step[$0] }
                if lawsHold(y), residual(y) <= 1e-6 { return (y, iteration + 1) }
                return nil
            }
            // Fraction to the boundary: a full step that would make a concentration negative
            // is shortened to stop 1 % short of zero.
            var lambda = 1.0
            for i in 0..<n where nonNegative[i] && step[i] < 0 && x[i] + step[i] < 0 {
                lambda = min(lambda, 0.99 * x[i] / -step[i])
            }
            var accepted = false
            for _ in 0..<40 {
                let trial = (0..<n).map { x[$0] + lambda * step[$0] }
                let gt = reducedValue(trial)
                let st = merit(gt, at: trial)
                if st.isFinite, st < size || st <= options.relativeTolerance {
                    x = trial; g = gt; size = st; accepted = true
                    break
                }
                lambda /= 2
            }
            if !accepted { return nil }
        }
        return nil
    }

    /// Switched evolution relaxation: solve (D/h − J_G)·δ = G(x) (D: identity on the
    /// dynamic rows, zero on the laws' rows), step, and scale h by the residual's fall, until
    /// Newton's method can finish. Nil when the steps stall or blow up.
    mutating func pseudoTransient(from start: [Double], steps: Int = 400) -> (state: [Double], iterations: Int)? {
        var x = start
        var g = reducedValue(x)
        var size = merit(g, at: x)
        guard size.isFinite else { return nil }
        // The first step resolves the fastest relaxation: h·max|J_ii| = 0.1.
        let j0 = reducedJacobian(x)
        var fastest = 0.0
        for i in 0..<n where !laws.replacedStates.contains(i) { fastest = max(fastest, abs(j0.elements[i + i * n])) }
        var h = fastest > 0 ? 0.1 / fastest : 1
        let replaced = Set(laws.replacedStates)
        // Newton is tried once the residual is small, and again only after it has fallen
        // a hundredfold more: near rest it converges in a few iterations or not at all.
        var tryNewtonBelow = 1e-6
        for k in 0..<steps {
            if size <= tryNewtonBelow {
                if let (y, iterations) = newton(from: x, iterations: 8) { return (y, k + iterations) }
                tryNewtonBelow = size / 100
            }
            var m = reducedJacobian(x)
            for i in 0..<n {
                for c in 0..<n { m.elements[i + c * n] = -m.elements[i + c * n] }
                if !replaced.contains(i) { m.elements[i + i * n] += 1 / h }
            }
            guard let qr = try? QRFactorization(of: m), let delta = try? qr.solveLeastSquares(g), delta.allSatisfy(\.isFinite) else {
                h /= 10
                continue
            }
            // A concentration the step would make negative falls to a tenth instead, each
            // on its own: shortening the whole step for one state heading to zero would
            // stall every other (the laws' rows put the totals right again next step).
            let trial = (0..<n).map { i in nonNegative[i] ? max(x[i] + delta[i], 0.1 * x[i]) : x[i] + delta[i] }
            let gt = reducedValue(trial)
            let st = merit(gt, at: trial)
            guard st.isFinite else {
                h /= 10
                continue
            }
            h *= min(10, max(0.1, size / max(st, 1e-300)))
            x = trial; g = gt; size = st
        }
        return nil
    }

    private func lawsHold(_ x: [Double]) -> Bool {
        for (k, l) in laws.laws.enumerated() {
            let total = zip(l, x).reduce(0) { $0 + $1.0 * $1.1 }
            let magnitude = zip(l, x).reduce(0) { $0 + abs($1.0 * $1.1) }
            if abs(total - totals[k]) > 1e-10 * max(magnitude, scale) { return false }
        }
        return true
    }
}
