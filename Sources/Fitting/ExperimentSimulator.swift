import SourceDiagnostics
import Foundation

/// Runs a problem's experiments and returns, for each data point, the value of its
/// observable's formula (before scale and offset) and, when asked, its derivatives with
/// respect to the model parameters from forward sensitivities. The experiments run on
/// models compiled once for the whole fit and shared (`FitExperiments`); this holds one
/// worker's formulas and counters, so it is one per worker.
final class ExperimentSimulator {
    let problem: FitProblem
    let formulas: ObservableFormulas
    let experiments: any FitExperiments
    /// Simulations run so far (for `simulations per second`).
    private(set) var simulations = 0

    typealias Failure = ExperimentFailure

    /// Formula values at the data points, and ∂/∂(model value) per point and parameter
    /// (`problem.parameters` order; zero for observation parameters and for parameters the
    /// experiment fixes).
    struct Prediction {
        var values: [Double]
        var derivatives: [[Double]]?
    }

    init(problem: FitProblem, experiments: any FitExperiments, formulas: CompiledFormulas) {
        self.problem = problem
        self.experiments = experiments
        self.formulas = ObservableFormulas(formulas)
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

    /// Runs experiment `e` (see `FitExperiments.simulate`).
    private func simulate(_ e: Int, overrides: [(name: String, value: Double)], derivatives: Bool,
                          curve: [Double]? = nil) throws(Failure) -> SimulatedInputs {
        simulations += 1
        return try experiments.simulate(e, overrides: overrides, inputs: formulas.inputs, derivatives: derivatives, curve: curve)
    }
}
