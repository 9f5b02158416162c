import SourceDiagnostics
import PathwayModel
import ModelCompiler
import NativeCode
import CVODEIntegration
import KineticsCore
import Simulation
import SynapseModel
import SynapseSimulation
import Foundation

/// How a fit runs its experiments on one kind of model (a pathway, a synapse): the seam
/// between the fit and the model's own simulation. Made once per fit, with the models
/// compiled then, and shared by every worker (compiled models are immutable; every run
/// makes its own model instance).
protocol FitExperiments: Sendable {
    /// The gradient asked for (sensitivities are compiled only for `.sensitivities`).
    var gradient: GradientMethod { get }
    /// Why the model cannot provide sensitivities (nil when it can, or when not asked).
    var sensitivitiesUnavailable: String? { get }

    /// Runs experiment `e` with `overrides` and returns the formula `inputs` at the data
    /// times, or with `curve` at those times (pathways) or at every test stimulus within
    /// them (synapses); with their derivatives when asked.
    func simulate(_ e: Int, overrides: [(name: String, value: Double)], inputs: [String], derivatives: Bool,
                  curve: [Double]?) throws(ExperimentFailure) -> SimulatedInputs
}

/// Why an experiment could not be simulated at some parameter values.
struct ExperimentFailure: Error, CustomStringConvertible {
    let experiment: String
    let reason: String
    var description: String { "experiment '\(experiment)': \(reason)" }

    /// One line for a failed run (a fit may report dozens): where, the solver's flag, the culprit.
    static func brief(_ f: SimulationFailure) -> String {
        var details = [f.flagName, f.culprit.map { "offending variable \($0)" }].compactMap { $0 }
        if details.isEmpty { details = [String(f.reason.prefix(80))] }
        return "simulation failed at t = \(String(format: "%.6g", f.reachedTime)) (\(details.joined(separator: ", ")))"
    }
}

/// One run's formula inputs at each time kept, with ∂input/∂parameter (parameters as listed).
struct SimulatedInputs {
    var inputs: [Double: (values: [Double], derivatives: [[Double]]?)]
    /// Indices into `problem.parameters` of the derivative columns.
    var parameters: [Int]
}

extension FitProblem {
    /// The experiments of this problem on its model, compiled for `gradient`.
    func experimentRunner(gradient: GradientMethod) throws(DiagnosticsError) -> any FitExperiments {
        switch model {
        case .pathway(_, let pathway): try PathwayExperiments(self, pathway: pathway, gradient: gradient)
        case .synapse(let synapse, let pathway): SynapseExperiments(self, synapse: synapse, pathway: pathway, gradient: gradient)
        }
    }

    /// The solver settings of every run of the fit.
    var integratorOptions: IntegratorOptions { options.integratorOptions }

    /// Indices (into `parameters`) of the parameters applied to the model.
    var modelParameters: [Int] { parameters.indices.filter { parameters[$0].role == .model } }

    /// The model parameters whose derivatives an experiment provides: all but those it
    /// fixes (`fixed`: its settings, and for a synapse its blockers' settings), whose
    /// derivatives are zero there.
    func sensitivityParameters(fixing fixed: Set<String>) -> [Int] {
        modelParameters.filter { !fixed.contains(parameters[$0].name) }
    }

    /// The name the sensitivity API knows a parameter by (`init(X)` for a species).
    func sensitivityName(_ i: Int) -> String {
        let name = parameters[i].name
        return species.contains(name) ? "init(\(name))" : name
    }
}

/// A pathway's experiments: the pathway compiled once, and differentiated once per distinct
/// list of sensitivity parameters.
struct PathwayExperiments: FitExperiments {
    let problem: FitProblem
    let gradient: GradientMethod
    let sensitivitiesUnavailable: String?
    let simulator: Simulator
    /// By experiment: the model parameters it differentiates with respect to.
    let sensitivityParameters: [[Int]]
    /// The model differentiated for each list of sensitivity names an experiment uses.
    let differentiated: [[String]: Result<Simulator, ExperimentFailure>]

    init(_ problem: FitProblem, pathway: Pathway, gradient: GradientMethod) throws(DiagnosticsError) {
        self.problem = problem
        self.gradient = gradient
        sensitivityParameters = problem.experiments.map { problem.sensitivityParameters(fixing: Set($0.settings.map(\.name))) }
        let native = problem.options.nativeCode
        func finish(_ model: CompiledModel) throws(NativeCodeError) -> Simulator {
            Simulator(model: native ? try NativeCode.compile(model).model : model)
        }
        let model = try ModelCompiler.compile(pathway)
        do { simulator = try finish(model) } catch {
            throw DiagnosticsError(Diagnostic(.error, error.message, hints: [error.hint]))
        }
        // Differentiated for every model parameter first: whether the model supports
        // sensitivities at all (and usually the list every experiment uses).
        var unavailable: String?
        var differentiated: [[String]: Result<Simulator, ExperimentFailure>] = [:]
        let all = problem.modelParameters.map(problem.sensitivityName)
        var differentiatedForAll: CompiledModel?
        if gradient == .sensitivities, !all.isEmpty {
            do { differentiatedForAll = try model.differentiated(with: all) } catch { unavailable = error.message }
        }
        if gradient == .sensitivities, unavailable == nil {
            for (e, parameters) in sensitivityParameters.enumerated() {
                let names = parameters.map(problem.sensitivityName)
                guard !names.isEmpty, differentiated[names] == nil else { continue }
                do {
                    let compiled = names == all ? differentiatedForAll! : try model.differentiated(with: names)
                    differentiated[names] = .success(try finish(compiled))
                } catch {
                    differentiated[names] = .failure(ExperimentFailure(experiment: problem.experiments[e].name, reason: "\(error)"))
                }
            }
        }
        self.differentiated = differentiated
        sensitivitiesUnavailable = unavailable
    }

    func simulate(_ e: Int, overrides: [(name: String, value: Double)], inputs: [String], derivatives: Bool,
                  curve: [Double]?) throws(ExperimentFailure) -> SimulatedInputs {
        let experiment = problem.experiments[e]
        let parameters = derivatives ? sensitivityParameters[e] : []
        var times = curve ?? experiment.data.times
        if times.first != 0 { times.insert(0, at: 0) }
        var request = SimulationRequest(grid: TimeGrid(times: times), columns: inputs, overrides: overrides,
                                        options: problem.integratorOptions)
        request.sensitivityParameters = parameters.map(problem.sensitivityName)
        var simulator = self.simulator
        if !parameters.isEmpty {
            guard let model = differentiated[request.sensitivityParameters] else {
                preconditionFailure("the pathway is differentiated for every experiment's parameters")
            }
            simulator = try model.get()
        }
        let result: SimulationResult
        do { result = try simulator.run(request) } catch {
            throw ExperimentFailure(experiment: experiment.name, reason: "\(error)")
        }
        if let failure = result.failure { throw ExperimentFailure(experiment: experiment.name, reason: ExperimentFailure.brief(failure)) }
        var out = SimulatedInputs(inputs: [:], parameters: parameters)
        let n = inputs.count
        let trajectory = result.trajectory
        for r in 0..<trajectory.rowCount {
            let values = (0..<n).map { trajectory.value(row: r, column: $0) }
            let d = result.sensitivities.map { s in (0..<n).map { c in parameters.indices.map { s.value(row: r, column: c, parameter: $0) } } }
            out.inputs[trajectory.times[r]] = (values, d)
        }
        return out
    }
}

/// A synapse's experiments: each experiment's protocol and blockers prepared once, and
/// differentiated once for its sensitivity parameters. An experiment that cannot be
/// prepared fails when it is run.
struct SynapseExperiments: FitExperiments {
    let problem: FitProblem
    let release: ReleaseModel
    let gradient: GradientMethod
    let sensitivitiesUnavailable: String?
    /// By experiment: the model parameters it differentiates with respect to.
    let sensitivityParameters: [[Int]]
    let runs: [Result<PreparedSynapseRun, ExperimentFailure>]
    let differentiatedRuns: [Int: Result<PreparedSynapseRun, ExperimentFailure>]

    init(_ problem: FitProblem, synapse: SynapseDefinition, pathway: Pathway, gradient: GradientMethod) {
        self.problem = problem
        self.gradient = gradient
        release = synapse.release
        sensitivityParameters = problem.experiments.map { experiment in
            var fixed = Set(experiment.settings.map(\.name))
            for b in experiment.blockers { fixed.formUnion(synapse.blockers[b]?.settings.map(\.target.value) ?? []) }
            return problem.sensitivityParameters(fixing: fixed)
        }
        var unavailable: String?
        var runs: [Result<PreparedSynapseRun, ExperimentFailure>] = []
        var differentiated: [Int: Result<PreparedSynapseRun, ExperimentFailure>] = [:]
        for (e, experiment) in problem.experiments.enumerated() {
            // Readouts fall on test stimuli; an output step of one test interval keeps them all.
            var request = SynapseRunRequest(synapse: synapse, model: pathway, protocolDefinition: experiment.protocolDefinition!,
                                            blockers: experiment.blockers, options: problem.integratorOptions,
                                            outputStep: experiment.protocolDefinition!.testInterval)
            request.nativeCode = problem.options.nativeCode
            let prepared: PreparedSynapseRun
            do { prepared = try PreparedSynapseRun(request) } catch {
                runs.append(.failure(ExperimentFailure(experiment: experiment.name, reason: "\(error)")))
                continue
            }
            runs.append(.success(prepared))
            let names = sensitivityParameters[e].map(problem.sensitivityName)
            guard gradient == .sensitivities, unavailable == nil, !names.isEmpty else { continue }
            do { differentiated[e] = .success(try prepared.differentiated(with: names)) } catch {
                unavailable = "\(error)"
            }
        }
        self.runs = runs
        differentiatedRuns = unavailable == nil ? differentiated : [:]
        sensitivitiesUnavailable = unavailable
    }

    func simulate(_ e: Int, overrides: [(name: String, value: Double)], inputs: [String], derivatives: Bool,
                  curve: [Double]?) throws(ExperimentFailure) -> SimulatedInputs {
        let experiment = problem.experiments[e]
        let parameters = derivatives ? sensitivityParameters[e] : []
        let prepared: PreparedSynapseRun
        if parameters.isEmpty {
            prepared = try runs[e].get()
        } else {
            guard let run = differentiatedRuns[e] else { preconditionFailure("every experiment with sensitivities is differentiated") }
            prepared = try run.get()
        }
        let result: SynapseRunResult
        do { result = try prepared.run(overrides: overrides) } catch {
            throw ExperimentFailure(experiment: experiment.name, reason: "\(error)")
        }
        if let failure = result.failure { throw ExperimentFailure(experiment: experiment.name, reason: ExperimentFailure.brief(failure)) }
        let wanted = Set(experiment.data.times)
        let span = curve.flatMap { c in c.first.map { $0...(c.last ?? $0) } }
        var out = SimulatedInputs(inputs: [:], parameters: parameters)
        let trajectory = result.trajectory
        let quantities = inputs.map(ReadoutQuantity.init(rawValue:))
        let columns = inputs.map { trajectory.columns.firstIndex(of: $0) }
        var row = 0
        for readout in result.readouts where span?.contains(readout.time) ?? wanted.contains(readout.time) {
            while row + 1 < trajectory.rowCount, abs(trajectory.times[row + 1] - readout.time) <= abs(trajectory.times[row] - readout.time) { row += 1 }
            let values = inputs.indices.map { i -> Double in
                if let q = quantities[i] { return q.value(in: readout) }
                return columns[i].map { trajectory.value(row: row, column: $0) } ?? .nan
            }
            var d: [[Double]]?
            if derivatives {
                guard let s = readout.sensitivities else {
                    throw ExperimentFailure(experiment: experiment.name, reason: "the run returned no sensitivities at t = \(readout.time) s")
                }
                d = inputs.indices.map { i -> [Double] in
                    if let q = quantities[i] { return q.derivatives(s, in: readout, release: release) }
                    guard let column = columns[i], let st = result.sensitivities else {
                        return [Double](repeating: .nan, count: parameters.count)
                    }
                    return parameters.indices.map { st.value(row: row, column: column, parameter: $0) }
                }
            }
            out.inputs[readout.time] = (values, d)
        }
        return out
    }
}
