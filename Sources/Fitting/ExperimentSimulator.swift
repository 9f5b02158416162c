import SourceDiagnostics
import PathwayModel
import ModelCompiler
import KineticsCore
import CVODEIntegration
import Simulation
import SynapseSimulation
import Foundation

/// Runs a problem's experiments and returns, for each data point, the value of its
/// observable's formula (before scale and offset). Not thread-safe: one per worker.
final class ExperimentSimulator {
    let problem: FitProblem
    let formulas: ObservableFormulas
    let options: IntegratorOptions
    /// Pathway problems: the model compiled once, with every quantity a formula reads.
    private let pathwayModel: CompiledModel?
    /// Simulations run so far (for `simulations per second`).
    private(set) var simulations = 0

    /// Why an experiment could not be simulated at some parameter values.
    struct Failure: Error, CustomStringConvertible {
        let experiment: String
        let reason: String
        var description: String { "experiment '\(experiment)': \(reason)" }
    }

    init(problem: FitProblem) throws(DiagnosticsError) {
        self.problem = problem
        formulas = try ObservableFormulas(expressions: problem.observables.map(\.expression))
        var options = IntegratorOptions(relativeTolerance: problem.options.relativeTolerance,
                                        absoluteTolerance: problem.options.absoluteTolerance)
        options.maximumStepSize = 0
        self.options = options
        if case .pathway(_, let pathway) = problem.model {
            pathwayModel = try ModelCompiler.compile(pathway)
        } else {
            pathwayModel = nil
        }
    }

    /// Formula values at every data point of experiment `e`, with the model's values set
    /// by `values` (name, value) before the experiment's own settings.
    func formulaValues(experiment e: Int, values: [(name: String, value: Double)]) throws(Failure) -> [Double] {
        let experiment = problem.experiments[e]
        let inputs = try simulateInputs(experiment, overrides: values + experiment.settings)
        var out: [Double] = []
        out.reserveCapacity(experiment.data.points.count)
        var loadedTime = Double.nan
        for point in experiment.data.points {
            if point.time != loadedTime {
                guard let row = inputs[point.time] else {
                    throw Failure(experiment: experiment.name, reason: "no simulated value at t = \(point.time) s")
                }
                formulas.load(time: point.time, inputs: row)
                loadedTime = point.time
            }
            let v = formulas.value(point.observable)
            guard v.isFinite else {
                throw Failure(experiment: experiment.name, reason: "observable '\(problem.observables[point.observable].name)' is \(v) at t = \(point.time) s")
            }
            out.append(v)
        }
        return out
    }

    /// One line for a failed run (a fit may report dozens): where, the solver's flag, the culprit.
    static func brief(_ f: SimulationFailure) -> String {
        var details = [f.flagName, f.culprit.map { "offending variable \($0)" }].compactMap { $0 }
        if details.isEmpty { details = [String(f.reason.prefix(80))] }
        return "simulation failed at t = \(String(format: "%.6g", f.reachedTime)) (\(details.joined(separator: ", ")))"
    }

    /// The formulas' inputs at each data time.
    private func simulateInputs(_ experiment: Experiment, overrides: [(name: String, value: Double)]) throws(Failure) -> [Double: [Double]] {
        simulations += 1
        switch problem.model {
        case .pathway:
            let model = pathwayModel!
            var times = experiment.data.times
            if times.first != 0 { times.insert(0, at: 0) }
            let request = SimulationRequest(grid: TimeGrid(times: times), columns: formulas.inputs, overrides: overrides, options: options)
            let result: SimulationResult
            do { result = try Simulator(model: model).run(request) } catch {
                throw Failure(experiment: experiment.name, reason: error.description)
            }
            if let failure = result.failure { throw Failure(experiment: experiment.name, reason: Self.brief(failure)) }
            var out: [Double: [Double]] = [:]
            let n = formulas.inputs.count
            for r in 0..<result.trajectory.rowCount {
                out[result.trajectory.times[r]] = (0..<n).map { result.trajectory.value(row: r, column: $0) }
            }
            return out
        case .synapse(let synapse):
            let request = SynapseRunRequest(synapse: synapse, protocolDefinition: experiment.protocolDefinition!,
                                            blockers: experiment.blockers, overrides: overrides, options: options)
            let result: SynapseRunResult
            do { result = try SynapseRunner.run(request) } catch {
                throw Failure(experiment: experiment.name, reason: error.description)
            }
            if let failure = result.failure { throw Failure(experiment: experiment.name, reason: Self.brief(failure)) }
            let wanted = Set(experiment.data.times)
            var out: [Double: [Double]] = [:]
            let trajectory = result.trajectory
            var row = 0
            for readout in result.readouts where wanted.contains(readout.time) {
                while row + 1 < trajectory.rowCount, abs(trajectory.times[row + 1] - readout.time) <= abs(trajectory.times[row] - readout.time) { row += 1 }
                out[readout.time] = formulas.inputs.map { name in
                    switch name {
                    case "ipsc": readout.normalisedAmplitude
                    case "amplitude": readout.response.meanConductance
                    case "ppr": readout.response.pairedPulseRatio
                    case "cv": readout.response.cv
                    default: trajectory.columns.firstIndex(of: name).map { trajectory.value(row: row, column: $0) } ?? .nan
                    }
                }
            }
            return out
        }
    }
}
