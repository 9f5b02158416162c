import SourceDiagnostics
import PathwayModel
import ModelCompiler
import NativeCode
import KineticsCore
import CVODEIntegration
import Simulation
import SynapseSimulation
import SynapseModel
import Foundation

/// Runs a problem's experiments and returns, for each data point, the value of its
/// observable's formula (before scale and offset) and, when asked, its derivatives with
/// respect to the model parameters from forward sensitivities. Models are compiled once
/// (a prepared synapse run per experiment) and reused for every evaluation.
/// Not thread-safe: one per worker.
final class ExperimentSimulator {
    let problem: FitProblem
    let formulas: ObservableFormulas
    let options: IntegratorOptions
    /// Pathway problems: the model compiled once, with every quantity a formula reads.
    private let pathwaySimulator: Simulator?
    /// Synapse problems: each experiment's protocol and blockers compiled once, with and
    /// without sensitivities (created when first needed).
    private var prepared: [Int: PreparedSynapseRun] = [:]
    private var preparedWithSensitivities: [Int: PreparedSynapseRun] = [:]
    /// Indices (into `problem.parameters`) of the parameters applied to the model.
    let modelParameters: [Int]
    /// Simulations run so far (for `simulations per second`).
    private(set) var simulations = 0

    /// Why an experiment could not be simulated at some parameter values.
    struct Failure: Error, CustomStringConvertible {
        let experiment: String
        let reason: String
        var description: String { "experiment '\(experiment)': \(reason)" }
    }

    /// Formula values at the data points, and ∂/∂(model value) per point and parameter
    /// (`problem.parameters` order; zero for observation parameters and for parameters the
    /// experiment fixes).
    struct Prediction {
        var values: [Double]
        var derivatives: [[Double]]?
    }

    init(problem: FitProblem) throws(DiagnosticsError) {
        self.problem = problem
        formulas = try ObservableFormulas(expressions: problem.observables.map(\.expression))
        options = problem.options.integratorOptions
        modelParameters = problem.parameters.indices.filter { problem.parameters[$0].role == .model }
        if case .pathway(_, let pathway) = problem.model {
            let simulator = Simulator(model: try ModelCompiler.compile(pathway))
            if problem.options.nativeCode {
                do { try simulator.useNativeCode(Toolchain.find()) } catch {
                    throw DiagnosticsError(Diagnostic(.error, error.message, hints: [error.hint]))
                }
            }
            pathwaySimulator = simulator
        } else {
            pathwaySimulator = nil
        }
    }

    /// The model parameters whose derivatives experiment `e` provides: all but those its own
    /// settings or blockers fix (their derivatives are zero there).
    func sensitivityParameters(_ e: Int) -> [Int] {
        let experiment = problem.experiments[e]
        var fixed = Set(experiment.settings.map(\.name))
        if case .synapse(let synapse) = problem.model {
            for b in experiment.blockers { fixed.formUnion(synapse.blockers[b]?.settings.map(\.target.value) ?? []) }
        }
        return modelParameters.filter { !fixed.contains(problem.parameters[$0].name) }
    }

    /// The name the sensitivity API knows a parameter by (`init(X)` for a species).
    func sensitivityName(_ i: Int) -> String {
        let name = problem.parameters[i].name
        return problem.species.contains(name) ? "init(\(name))" : name
    }

    func predict(experiment e: Int, values: [(name: String, value: Double)], derivatives: Bool) throws(Failure) -> Prediction {
        let experiment = problem.experiments[e]
        let run = try simulate(e, overrides: values + experiment.settings, derivatives: derivatives)
        var out = Prediction(values: [], derivatives: derivatives ? [] : nil)
        out.values.reserveCapacity(experiment.data.points.count)
        let n = problem.parameters.count
        var loadedTime = Double.nan
        for point in experiment.data.points {
            guard let row = run.inputs[point.time] else {
                throw Failure(experiment: experiment.name, reason: "no simulated value at t = \(point.time) s")
            }
            if point.time != loadedTime {
                formulas.load(time: point.time, inputs: row.values)
                loadedTime = point.time
            }
            let k = point.observable
            let v = formulas.value(k)
            guard v.isFinite else {
                throw Failure(experiment: experiment.name, reason: "observable '\(problem.observables[k].name)' is \(v) at t = \(point.time) s")
            }
            out.values.append(v)
            if derivatives, let inputDerivatives = row.derivatives {
                var gradient = [Double](repeating: 0, count: n)
                for (j, input) in inputDerivatives.enumerated() {
                    let partial = formulas.partial(k, input: j)
                    guard partial != 0 else { continue }
                    for (slot, parameter) in run.parameters.enumerated() { gradient[parameter] += partial * input[slot] }
                }
                out.derivatives!.append(gradient)
            }
        }
        return out
    }

    /// One run's formula inputs at each data time, with ∂input/∂parameter (parameters as listed).
    private struct SimulatedInputs {
        var inputs: [Double: (values: [Double], derivatives: [[Double]]?)]
        /// Indices into `problem.parameters` of the derivative columns.
        var parameters: [Int]
    }

    /// The formula values of every observable the experiment measures (its
    /// `data.observables`, in that order) between its first and last data time, for drawing
    /// and writing the fitted time course: pathways at `samples` evenly spaced times (and the
    /// data times), synapses at every test stimulus (where readouts exist).
    func curve(experiment e: Int, values: [(name: String, value: Double)], samples: Int) throws(Failure) -> (times: [Double], values: [[Double]]) {
        let experiment = problem.experiments[e]
        guard let first = experiment.data.times.first, let last = experiment.data.times.last else { return ([], []) }
        let n = max(samples, 2)
        let grid = Set((0..<n).map { first + (last - first) * Double($0) / Double(n - 1) } + experiment.data.times).sorted()
        let run = try simulate(e, overrides: values + experiment.settings, derivatives: false, curve: grid)
        let times = run.inputs.keys.filter { $0 >= first && $0 <= last }.sorted()
        var out = experiment.data.observables.map { _ in [Double]() }
        for t in times {
            formulas.load(time: t, inputs: run.inputs[t]!.values)
            for (i, k) in experiment.data.observables.enumerated() { out[i].append(formulas.value(k)) }
        }
        return (times, out)
    }

    /// Runs experiment `e`. Formula inputs are kept at the data times, or with `curve` at
    /// those times (pathways) or at every test stimulus within them (synapses).
    private func simulate(_ e: Int, overrides: [(name: String, value: Double)], derivatives: Bool,
                          curve: [Double]? = nil) throws(Failure) -> SimulatedInputs {
        let experiment = problem.experiments[e]
        simulations += 1
        let parameters = derivatives ? sensitivityParameters(e) : []
        switch problem.model {
        case .pathway:
            var times = curve ?? experiment.data.times
            if times.first != 0 { times.insert(0, at: 0) }
            var request = SimulationRequest(grid: TimeGrid(times: times), columns: formulas.inputs, overrides: overrides, options: options)
            request.sensitivityParameters = parameters.map(sensitivityName)
            let result: SimulationResult
            do { result = try pathwaySimulator!.run(request) } catch {
                throw Failure(experiment: experiment.name, reason: "\(error)")
            }
            if let failure = result.failure { throw Failure(experiment: experiment.name, reason: Self.brief(failure)) }
            var out = SimulatedInputs(inputs: [:], parameters: parameters)
            let n = formulas.inputs.count
            let trajectory = result.trajectory
            for r in 0..<trajectory.rowCount {
                let values = (0..<n).map { trajectory.value(row: r, column: $0) }
                let d = result.sensitivities.map { s in (0..<n).map { c in parameters.indices.map { s.value(row: r, column: c, parameter: $0) } } }
                out.inputs[trajectory.times[r]] = (values, d)
            }
            return out
        case .synapse(let synapse):
            let run = try preparedRun(e, synapse: synapse, parameters: parameters)
            let result: SynapseRunResult
            do { result = try run.run(overrides: overrides) } catch {
                throw Failure(experiment: experiment.name, reason: "\(error)")
            }
            if let failure = result.failure { throw Failure(experiment: experiment.name, reason: Self.brief(failure)) }
            let wanted = Set(experiment.data.times)
            let span = curve.flatMap { c in c.first.map { $0...(c.last ?? $0) } }
            var out = SimulatedInputs(inputs: [:], parameters: parameters)
            let trajectory = result.trajectory
            let release = synapse.release
            var row = 0
            for readout in result.readouts where span?.contains(readout.time) ?? wanted.contains(readout.time) {
                while row + 1 < trajectory.rowCount, abs(trajectory.times[row + 1] - readout.time) <= abs(trajectory.times[row] - readout.time) { row += 1 }
                let values = formulas.inputs.map { name -> Double in
                    switch name {
                    case "ipsc": readout.normalisedAmplitude
                    case "amplitude": readout.response.meanConductance
                    case "ppr": readout.response.pairedPulseRatio
                    case "cv": readout.response.cv
                    default: trajectory.columns.firstIndex(of: name).map { trajectory.value(row: row, column: $0) } ?? .nan
                    }
                }
                var d: [[Double]]?
                if derivatives {
                    guard let s = readout.sensitivities else {
                        throw Failure(experiment: experiment.name, reason: "the run returned no sensitivities at t = \(readout.time) s")
                    }
                    d = formulas.inputs.map { name -> [Double] in
                        switch name {
                        case "ipsc": return s.normalisedAmplitude
                        case "amplitude": return s.meanConductance
                        case "ppr": return s.pairedPulseRatio
                        case "cv":
                            // cv² = (1 − Pr + CVq²)/(n·Pr), so ∂cv/∂Pr = −(1 + CVq²)/(2·cv·n·Pr²).
                            let pr = readout.response.releaseProbability, cv = readout.response.cv
                            let dcv = -(1 + release.quantalCV * release.quantalCV) / (2 * cv * Double(release.sites) * pr * pr)
                            return s.releaseProbability.map { dcv * $0 }
                        default:
                            guard let column = trajectory.columns.firstIndex(of: name), let st = result.sensitivities else {
                                return [Double](repeating: .nan, count: parameters.count)
                            }
                            return parameters.indices.map { st.value(row: row, column: column, parameter: $0) }
                        }
                    }
                }
                out.inputs[readout.time] = (values, d)
            }
            return out
        }
    }

    private func preparedRun(_ e: Int, synapse: SynapseDefinition, parameters: [Int]) throws(Failure) -> PreparedSynapseRun {
        let withSensitivities = !parameters.isEmpty
        if let run = withSensitivities ? preparedWithSensitivities[e] : prepared[e] { return run }
        let experiment = problem.experiments[e]
        // Readouts fall on test stimuli; an output step of one test interval keeps them all.
        var request = SynapseRunRequest(synapse: synapse, protocolDefinition: experiment.protocolDefinition!,
                                        blockers: experiment.blockers, options: options,
                                        outputStep: experiment.protocolDefinition!.testInterval)
        request.sensitivityParameters = parameters.map(sensitivityName)
        request.nativeCode = problem.options.nativeCode
        let run: PreparedSynapseRun
        do { run = try PreparedSynapseRun(request) } catch {
            throw Failure(experiment: experiment.name, reason: "\(error)")
        }
        if withSensitivities { preparedWithSensitivities[e] = run } else { prepared[e] = run }
        return run
    }

    /// Why forward sensitivities cannot be computed for this problem's model (e.g. an event
    /// triggered by a state-dependent condition, whose timing terms are not implemented), or
    /// nil when they can. Compiles what the sensitivity runs need, which later runs reuse.
    func sensitivitiesUnavailable() -> String? {
        switch problem.model {
        case .pathway:
            let names = modelParameters.map(sensitivityName)
            guard !names.isEmpty else { return nil }
            do { _ = try pathwaySimulator!.sensitivities(for: names) } catch { return error.message }
            return nil
        case .synapse(let synapse):
            for e in problem.experiments.indices where !sensitivityParameters(e).isEmpty {
                do { _ = try preparedRun(e, synapse: synapse, parameters: sensitivityParameters(e)) } catch {
                    return error.reason
                }
            }
            return nil
        }
    }

    /// One line for a failed run (a fit may report dozens): where, the solver's flag, the culprit.
    static func brief(_ f: SimulationFailure) -> String {
        var details = [f.flagName, f.culprit.map { "offending variable \($0)" }].compactMap { $0 }
        if details.isEmpty { details = [String(f.reason.prefix(80))] }
        return "simulation failed at t = \(String(format: "%.6g", f.reachedTime)) (\(details.joined(separator: ", ")))"
    }
}
