public import SourceDiagnostics
public import CVODEIntegration
import PathwayModel
import ModelCompiler
import Simulation
import Fitting
import NativeCode

/// Solver settings of every simulation of a PEtab problem.
public struct PEtabSettings: Sendable {
    public var relativeTolerance = 1e-8
    public var absoluteTolerance = 1e-12
    /// CVODE's steps between two outputs.
    public var maximumSteps = 100_000
    /// CVODE's steps between two outputs inside a fit (`kinapse fit`, `kinapse petab fit`,
    /// unless --max-steps says otherwise): AMICI's default `maxsteps`. At the published
    /// parameters every benchmark problem simulates with a tenth of it (1 000), while a
    /// point that cannot be simulated costs 2–17× less CPU than at 100 000 (Fujita: 0.11–0.36 s
    /// against 0.85–2.75 s, Benchmarks/RESULTS.md), so a fit's failed trial points stop eating
    /// its budget.
    public static let fitMaximumSteps = 10_000
    public var linearSolver = LinearSolverChoice.automatic
    /// Compile forward sensitivities for gradients.
    public var gradient = true
    /// A pre-equilibration (or an `inf` time) has reached steady state when the weighted
    /// root-mean-square of dx/dt, with weights 1/(absolute + relative·|x|), is below 1: the
    /// criterion AMICI applies by default, whose steady-state tolerances default to the
    /// integration tolerances (`nil` here).
    public var steadyStateRelativeTolerance: Double?
    public var steadyStateAbsoluteTolerance: Double?
    /// Run the model and its sensitivity programs as machine code (`NativeCode`): the same
    /// values, a gradient a few per cent cheaper (most of its time is in CVODES, docs/petab.md),
    /// and a C compilation at load unless the library is cached.
    public var nativeCode = false
    /// Each state's absolute tolerance scaled to its size in every simulation of a condition
    /// (`SimulationRequest.scalesAbsoluteTolerance`): rtol × its peak where that is below
    /// `absoluteTolerance`. Hierarchical scaling factors let a fit move into regions where
    /// the observed states are orders of magnitude below `absoluteTolerance`, which then
    /// leaves them without a correct digit (Benchmarks/RESULTS.md, Fujita).
    public var scaledAbsoluteTolerance = false
    public init() {}

    var integratorOptions: IntegratorOptions {
        var o = IntegratorOptions(relativeTolerance: relativeTolerance, absoluteTolerance: absoluteTolerance, maximumSteps: maximumSteps)
        o.linearSolver = linearSolver
        return o
    }
}

/// A PEtab problem compiled once: the model (and its sensitivity programs per distinct
/// list of differentiated entities), the observable and noise formulas, each condition's
/// overrides, and the simulations the measurements need. Immutable and `Sendable`: one
/// serves every worker of a fit (each evaluation makes its own model instances).
public final class PEtabModel: Sendable {
    public let problem: PEtabProblem
    public let settings: PEtabSettings
    let simulator: Simulator
    let formulas: CompiledFormulas
    /// Where each formula input (`formulas.inputs` order) comes from.
    let inputs: [Input]
    /// The model quantities the formulas read, then every state: the columns of every run.
    let columns: [String]
    let formulaColumnCount: Int
    let stateNames: [String]
    let conditions: [ConditionPlan]
    let simulations: [SimulationPlan]
    /// Per measurement: its simulation and its row in that simulation's times (nil: `inf`).
    let measurementRows: [(simulation: Int, row: Int?)]
    /// Position of each parameter among the estimated ones (the optimiser's coordinates).
    let estimatedPosition: [Int?]
    /// Why gradients are not available (nil when they are, or were not asked for).
    public let gradientUnavailable: String?

    enum Input: Sendable {
        case column(Int)
        case observablePlaceholder(observable: Int, index: Int)
        case noisePlaceholder(observable: Int, index: Int)
        case parameter(Int)
    }

    /// One condition applied to the model: every override (the parameter table's model
    /// parameters, then the condition's own settings), the states it sets, and the
    /// differentiated entities with the parameter each stands for.
    struct ConditionPlan: Sendable {
        var overrides: [(name: String, value: PEtabProblem.Value)]
        var setStates: Set<String>
        var sensitivityNames: [String]
        /// Per sensitivity name: the estimated position it is the derivative for.
        var sensitivityPositions: [Int]
        var differentiated: Simulator?
    }

    struct SimulationPlan: Sendable {
        var condition: Int
        var preequilibration: Int?
        /// Finite output times, ascending, starting at 0.
        var times: [Double]
        var needsSteadyState: Bool
    }

    public init(_ problem: PEtabProblem, settings: PEtabSettings = PEtabSettings()) throws(DiagnosticsError) {
        self.problem = problem
        self.settings = settings
        let model = try ModelCompiler.compile(problem.pathway)
        simulator = try Self.simulator(model, nativeCode: settings.nativeCode)
        formulas = try CompiledFormulas(expressions: problem.observables.flatMap { [$0.formula, $0.noise] })
        var estimatedPosition = [Int?](repeating: nil, count: problem.parameters.count)
        for (k, i) in problem.estimated.enumerated() { estimatedPosition[i] = k }
        self.estimatedPosition = estimatedPosition

        // Formula inputs: a placeholder, a model quantity, or a parameter of the table.
        var formulaColumns: [String] = []
        var inputs: [Input] = []
        for name in formulas.inputs {
            if let p = Self.placeholder(name, problem.observables) {
                inputs.append(p)
            } else if model.symbols[name] != nil {
                inputs.append(.column(formulaColumns.count))
                formulaColumns.append(name)
            } else if let i = problem.parameterIndex(name) {
                inputs.append(.parameter(i))
            } else {
                throw DiagnosticsError(.error("formula name '\(name)' is neither a model quantity nor a parameter"))
            }
        }
        self.inputs = inputs
        stateNames = model.states.map(\.name)
        columns = formulaColumns + stateNames
        formulaColumnCount = formulaColumns.count

        // Conditions: parameter-table values first, the condition's settings win.
        let species = Set(problem.pathway.species.map(\.id))
        var plans: [ConditionPlan] = []
        for condition in problem.conditions {
            var overrides: [(name: String, value: PEtabProblem.Value)] = []
            for (i, p) in problem.parameters.enumerated() where model.symbols[p.id] != nil {
                overrides.append((p.id, .parameter(i)))
            }
            var setStates = Set<String>()
            for (target, value) in condition.settings {
                overrides.removeAll { $0.name == target }
                guard let value else { continue }
                overrides.append((target, value))
                if stateNames.contains(target) { setStates.insert(target) }
            }
            var names: [String] = [], positions: [Int] = []
            for (name, value) in overrides {
                guard case .parameter(let i) = value, let k = estimatedPosition[i] else { continue }
                names.append(species.contains(name) ? "init(\(name))" : name)
                positions.append(k)
            }
            plans.append(ConditionPlan(overrides: overrides, setStates: setStates, sensitivityNames: names, sensitivityPositions: positions))
        }

        // Simulations: one per (pre-equilibration, condition) pair, in first-use order.
        var simulations: [SimulationPlan] = []
        var rows: [(simulation: Int, row: Int?)] = []
        var index: [[Int?]: Int] = [:]
        var times: [Set<Double>] = []
        for m in problem.measurements {
            let key = [m.preequilibration, m.condition]
            let s = index[key] ?? {
                simulations.append(SimulationPlan(condition: m.condition, preequilibration: m.preequilibration, times: [], needsSteadyState: false))
                times.append([0])
                index[key] = simulations.count - 1
                return simulations.count - 1
            }()
            if m.time.isFinite { times[s].insert(m.time) } else { simulations[s].needsSteadyState = true }
        }
        for s in simulations.indices { simulations[s].times = times[s].sorted() }
        for m in problem.measurements {
            let s = index[[m.preequilibration, m.condition]]!
            rows.append((s, m.time.isFinite ? simulations[s].times.firstIndex(of: m.time) : nil))
        }
        self.simulations = simulations
        measurementRows = rows

        // Sensitivities: the model differentiated once per distinct list of entities.
        var unavailable: String?
        if settings.gradient, !problem.estimated.isEmpty {
            var cache: [[String]: Simulator] = [:]
            for c in plans.indices where !plans[c].sensitivityNames.isEmpty && unavailable == nil {
                let names = plans[c].sensitivityNames
                if let done = cache[names] {
                    plans[c].differentiated = done
                    continue
                }
                let differentiated: CompiledModel
                do { differentiated = try model.differentiated(with: names) } catch {
                    unavailable = error.message
                    continue
                }
                let s = try Self.simulator(differentiated, nativeCode: settings.nativeCode)
                cache[names] = s
                plans[c].differentiated = s
            }
            // A pre-equilibration's sensitivities are carried into the main run through that
            // run's own differentiated entities, so they must cover the pre-equilibration's.
            for s in simulations {
                guard let p = s.preequilibration, unavailable == nil else { continue }
                let missing = Set(plans[p].sensitivityPositions).subtracting(plans[s.condition].sensitivityPositions)
                if let k = missing.first {
                    let id = problem.parameters[problem.estimated[k]].id
                    unavailable = "parameter '\(id)' acts in pre-equilibration condition '\(problem.conditions[p].id)' but not in condition '\(problem.conditions[s.condition].id)'; its gradient cannot be carried over"
                }
            }
        }
        if unavailable != nil { for c in plans.indices { plans[c].differentiated = nil } }
        conditions = plans
        gradientUnavailable = unavailable
    }

    /// A simulator of `model`, running machine code when asked.
    static func simulator(_ model: CompiledModel, nativeCode: Bool) throws(DiagnosticsError) -> Simulator {
        guard nativeCode else { return Simulator(model: model) }
        do { return Simulator(model: try NativeCode.compile(model).model) } catch {
            throw DiagnosticsError(Diagnostic(.error, error.message, hints: [error.hint]))
        }
    }

    /// `observableParameter<k>_<id>` or `noiseParameter<k>_<id>` of an observable.
    static func placeholder(_ name: String, _ observables: [PEtabProblem.Observable]) -> Input? {
        for (o, observable) in observables.enumerated() where name.hasSuffix("_" + observable.id) {
            for (prefix, noise) in [("observableParameter", false), ("noiseParameter", true)] where name.hasPrefix(prefix) {
                let digits = name.dropFirst(prefix.count).dropLast(observable.id.count + 1)
                guard let k = Int(digits), k >= 1 else { continue }
                return noise ? .noisePlaceholder(observable: o, index: k - 1) : .observablePlaceholder(observable: o, index: k - 1)
            }
        }
        return nil
    }

    /// Whether gradients can be computed.
    public var providesGradient: Bool { settings.gradient && gradientUnavailable == nil }

    /// The number of distinct simulations one evaluation runs (pre-equilibrations not counted).
    public var simulationCount: Int { simulations.count }
}
