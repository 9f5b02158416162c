import SourceDiagnostics
import ModelCompiler
import CVODEIntegration
import NativeCode
import Simulation
import SynapseSimulation

/// A fit problem's compiled models, made once before the workers start and shared by all
/// of them (compiled models are immutable; every run makes its own model instance).
///
/// Pathway problems compile the pathway once and differentiate it once per distinct list
/// of sensitivity parameters; synapse problems prepare each experiment's protocol once and
/// differentiate that. Sensitivities are only compiled for the sensitivity gradient.
struct FitModels: Sendable {
    /// Pathway problems: the model, and the model differentiated for each list of
    /// sensitivity names an experiment uses.
    let pathway: Simulator?
    let differentiatedPathways: [[String]: Result<Simulator, ExperimentSimulator.Failure>]
    /// Synapse problems: each experiment's prepared run, plain and with sensitivities
    /// (an experiment that cannot be prepared fails when it is run, as it did before
    /// preparation moved up front).
    let synapseRuns: [Int: Result<PreparedSynapseRun, ExperimentSimulator.Failure>]
    let differentiatedSynapseRuns: [Int: Result<PreparedSynapseRun, ExperimentSimulator.Failure>]
    /// Why the model cannot provide sensitivities (nil when it can, or when not asked).
    let sensitivitiesUnavailable: String?
    /// The gradient asked for (sensitivities are compiled only for `.sensitivities`).
    let gradient: GradientMethod

    init(problem: FitProblem, gradient: GradientMethod) throws(DiagnosticsError) {
        self.gradient = gradient
        let wantsSensitivities = gradient == .sensitivities
        var unavailable: String?
        switch problem.model {
        case .pathway(_, let pathwayDefinition):
            let native = problem.options.nativeCode
            func finish(_ model: CompiledModel) throws(NativeCodeError) -> Simulator {
                Simulator(model: native ? try NativeCode.compile(model).model : model)
            }
            let model = try ModelCompiler.compile(pathwayDefinition)
            do { pathway = try finish(model) } catch {
                throw DiagnosticsError(Diagnostic(.error, error.message, hints: [error.hint]))
            }
            var differentiated: [[String]: Result<Simulator, ExperimentSimulator.Failure>] = [:]
            // Differentiated for every model parameter first: whether the model supports
            // sensitivities at all (and usually the list every experiment uses).
            let all = problem.modelParameters.map(problem.sensitivityName)
            var differentiatedForAll: CompiledModel?
            if wantsSensitivities, !all.isEmpty {
                do { differentiatedForAll = try model.differentiated(with: all) } catch { unavailable = error.message }
            }
            if wantsSensitivities, unavailable == nil {
                for e in problem.experiments.indices {
                    let names = problem.sensitivityParameters(e).map(problem.sensitivityName)
                    guard !names.isEmpty, differentiated[names] == nil else { continue }
                    do {
                        let compiled = names == all ? differentiatedForAll! : try model.differentiated(with: names)
                        differentiated[names] = .success(try finish(compiled))
                    } catch {
                        differentiated[names] = .failure(ExperimentSimulator.Failure(
                            experiment: problem.experiments[e].name, reason: "\(error)"))
                    }
                }
            }
            differentiatedPathways = differentiated
            synapseRuns = [:]
            differentiatedSynapseRuns = [:]
        case .synapse(let synapse):
            pathway = nil
            differentiatedPathways = [:]
            var runs: [Int: Result<PreparedSynapseRun, ExperimentSimulator.Failure>] = [:]
            var differentiated: [Int: Result<PreparedSynapseRun, ExperimentSimulator.Failure>] = [:]
            for (e, experiment) in problem.experiments.enumerated() {
                // Readouts fall on test stimuli; an output step of one test interval keeps them all.
                var request = SynapseRunRequest(synapse: synapse, protocolDefinition: experiment.protocolDefinition!,
                                                blockers: experiment.blockers, options: problem.integratorOptions,
                                                outputStep: experiment.protocolDefinition!.testInterval)
                request.nativeCode = problem.options.nativeCode
                let prepared: PreparedSynapseRun
                do { prepared = try PreparedSynapseRun(request) } catch {
                    runs[e] = .failure(ExperimentSimulator.Failure(experiment: experiment.name, reason: "\(error)"))
                    continue
                }
                runs[e] = .success(prepared)
                let names = problem.sensitivityParameters(e).map(problem.sensitivityName)
                guard wantsSensitivities, unavailable == nil, !names.isEmpty else { continue }
                do { differentiated[e] = .success(try prepared.differentiated(with: names)) } catch {
                    let failure = ExperimentSimulator.Failure(experiment: experiment.name, reason: "\(error)")
                    differentiated[e] = .failure(failure)
                    unavailable = failure.reason
                }
            }
            synapseRuns = runs
            differentiatedSynapseRuns = wantsSensitivities && unavailable == nil ? differentiated : [:]
        }
        sensitivitiesUnavailable = unavailable
    }
}

extension FitProblem {
    /// The solver settings of every run of the fit.
    var integratorOptions: IntegratorOptions {
        var o = IntegratorOptions(relativeTolerance: options.relativeTolerance, absoluteTolerance: options.absoluteTolerance)
        o.maximumStepSize = 0
        return o
    }

    /// Indices (into `parameters`) of the parameters applied to the model.
    var modelParameters: [Int] { parameters.indices.filter { parameters[$0].role == .model } }

    /// The model parameters whose derivatives experiment `e` provides: all but those its own
    /// settings or blockers fix (their derivatives are zero there).
    func sensitivityParameters(_ e: Int) -> [Int] {
        let experiment = experiments[e]
        var fixed = Set(experiment.settings.map(\.name))
        if case .synapse(let synapse) = model {
            for b in experiment.blockers { fixed.formUnion(synapse.blockers[b]?.settings.map(\.target.value) ?? []) }
        }
        return modelParameters.filter { !fixed.contains(parameters[$0].name) }
    }

    /// The name the sensitivity API knows a parameter by (`init(X)` for a species).
    func sensitivityName(_ i: Int) -> String {
        let name = parameters[i].name
        return species.contains(name) ? "init(\(name))" : name
    }
}
