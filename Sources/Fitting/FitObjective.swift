import SourceDiagnostics
import Optimization
public import KinapseUtilities
#if canImport(Glibc)
import Glibc
#endif

/// How the derivatives of the model's predictions are obtained.
public enum GradientMethod: String, Sendable, CaseIterable {
    /// CVODES forward sensitivities.
    case sensitivities
    /// Central finite differences in the scaled coordinates (2 runs per model parameter).
    case finiteDifferences = "fd"
}

/// The fit's objective as a least-squares problem in scaled coordinates θ (log10 or linear
/// per parameter): ½‖r(θ)‖² with
///
/// - a data residual (s·f + o − y)/σ per measurement (f the observable's formula, s and o
///   its scale and offset, σ its noise level), and
/// - for every measurement whose σ is estimated, an error-model residual √(2 ln σ + C)
///   (Raue et al. 2013, Data2Dynamics), so that ½‖r‖² = ½Σ((s·f + o − y)/σ)² + Σ ln σ + const
///   stays a sum of squares. C = 1 − 2 ln(σ's lower bound) keeps the root's argument ≥ 1.
///
/// The Gaussian negative log-likelihood is ½‖r‖² minus those constants plus Σ ln σ over the
/// fixed σ and (N/2) ln 2π (`negativeLogLikelihood`).
///
/// Not thread-safe (it counts its simulations): one per worker; the experiments and their
/// compiled models are shared (`FitExperiments`).
public final class FitObjective {
    public let problem: FitProblem
    /// The method in use: the one asked for, unless sensitivities were asked for and the
    /// model cannot provide them (`gradientFallback` says why), when it is finite differences.
    public let gradient: GradientMethod
    public let gradientFallback: String?
    let simulator: ExperimentSimulator
    /// Constant C of each error-model residual, by parameter index.
    let errorModelConstant: [Int: Double]
    public var parameterCount: Int { problem.parameters.count }
    public var simulations: Int { simulator.simulations }
    /// Raised by Ctrl-C or a time budget: a finite-difference gradient, 2 simulations per
    /// parameter, stops between its simulations (the optimiser then ends the start at its
    /// best point) instead of finishing first.
    public var cancellation: CancellationFlag?

    public convenience init(problem: FitProblem, gradient: GradientMethod = .finiteDifferences) throws(DiagnosticsError) {
        try self.init(problem: problem, experiments: problem.experimentRunner(gradient: gradient),
                      formulas: CompiledFormulas(expressions: problem.observables.map(\.expression)))
    }

    /// An objective over models and formulas compiled once for the whole fit (shared by
    /// every worker).
    init(problem: FitProblem, experiments: any FitExperiments, formulas: CompiledFormulas) {
        self.problem = problem
        simulator = ExperimentSimulator(problem: problem, experiments: experiments, formulas: formulas)
        // Finite differences are the fallback: a model whose events fire on state-dependent
        // conditions still fits, only with more simulations per gradient.
        let unavailable = experiments.sensitivitiesUnavailable
        self.gradient = unavailable == nil ? experiments.gradient : .finiteDifferences
        gradientFallback = unavailable
        var constants: [Int: Double] = [:]
        for o in problem.observables {
            if case .term(.parameter(let i)) = o.noise { constants[i] = 1 - 2 * log(problem.parameters[i].lower) }
        }
        errorModelConstant = constants
    }

    /// Residuals and (optionally) their Jacobian ∂r/∂θ, rows = residuals, in scaled coordinates.
    public struct Evaluation: Sendable {
        public var residuals: [Double]
        public var jacobian: [[Double]]?
        /// Data residuals only, per experiment (for reports).
        public var experimentResiduals: [[Double]]
        /// Formula values at every data point, per experiment (before scale and offset).
        public var formulaValues: [[Double]]
        public var negativeLogLikelihood: Double
    }

    public struct EvaluationFailure: Error, Sendable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    /// Model values of scaled coordinates θ.
    public func values(_ theta: [Double]) -> [Double] {
        zip(problem.parameters, theta).map { $0.unscaled($1) }
    }

    public func evaluate(at theta: [Double], jacobian wantJacobian: Bool) throws(EvaluationFailure) -> Evaluation {
        let x = values(theta)
        if wantJacobian && gradient == .sensitivities {
            let (formulas, derivatives) = try predictionsWithSensitivities(x)
            var eval = assemble(x, formulas: formulas)
            eval.jacobian = jacobian(x, formulas: formulas, derivatives: derivatives)
            return eval
        }
        let formulas = try formulaValues(x)
        var eval = assemble(x, formulas: formulas)
        if wantJacobian {
            let derivatives = try formulaDerivatives(theta, base: formulas)
            eval.jacobian = jacobian(x, formulas: formulas, derivatives: derivatives)
        }
        return eval
    }

    /// The fitted time course of one observable in one experiment: scale·f + offset at
    /// model times (seconds).
    public struct FittedCurve: Sendable {
        public var experiment: Int
        public var observable: Int
        public var times: [Double]
        public var values: [Double]
    }

    /// Every measured observable's fitted curve at θ, between each experiment's first and
    /// last data time (see `ExperimentSimulator.curve`). An experiment whose run fails at θ
    /// has no curves.
    public func fittedCurves(at theta: [Double], samples: Int = 200) -> [FittedCurve] {
        let x = values(theta)
        var curves: [FittedCurve] = []
        for (e, experiment) in problem.experiments.enumerated() {
            guard let run = try? simulator.curve(experiment: e, values: overrides(x), samples: samples) else { continue }
            for (i, k) in experiment.data.observables.enumerated() {
                let o = problem.observables[k]
                let scale = term(o.scale, x), offset = term(o.offset, x)
                curves.append(FittedCurve(experiment: e, observable: k, times: run.times, values: run.values[i].map { scale * $0 + offset }))
            }
        }
        return curves
    }

    // MARK: - Model runs

    var modelParameters: [Int] { problem.modelParameters }

    func overrides(_ x: [Double]) -> [(name: String, value: Double)] {
        modelParameters.map { (name: problem.parameters[$0].name, value: x[$0]) }
    }

    func formulaValues(_ x: [Double]) throws(EvaluationFailure) -> [[Double]] {
        var out: [[Double]] = []
        for e in problem.experiments.indices {
            do { out.append(try simulator.predict(experiment: e, values: overrides(x), derivatives: false).values) } catch {
                throw EvaluationFailure(reason: error.description)
            }
        }
        return out
    }

    /// Formula values and their derivatives in scaled coordinates, from forward sensitivities.
    func predictionsWithSensitivities(_ x: [Double]) throws(EvaluationFailure) -> ([[Double]], [[[Double]]]) {
        let chain = zip(problem.parameters, x).map { $0.chainFactor($1) }
        var values: [[Double]] = [], derivatives: [[[Double]]] = []
        for e in problem.experiments.indices {
            let p: ExperimentSimulator.Prediction
            do { p = try simulator.predict(experiment: e, values: overrides(x), derivatives: true) } catch {
                throw EvaluationFailure(reason: error.description)
            }
            values.append(p.values)
            derivatives.append((p.derivatives ?? []).map { row in row.indices.map { row[$0] * chain[$0] } })
        }
        return (values, derivatives)
    }

    /// ∂f/∂θ_j (scaled coordinates) for every data point and model parameter j (columns of
    /// other parameters are 0): [experiment][point][parameter]. Central differences in the
    /// model parameters' scaled coordinates, one-sided at a bound or where the model fails
    /// on one side.
    func formulaDerivatives(_ theta: [Double], base: [[Double]]) throws(EvaluationFailure) -> [[[Double]]] {
        let free = modelParameters
        let lower = free.map { problem.parameters[$0].scaledBounds.lower }
        let upper = free.map { problem.parameters[$0].scaledBounds.upper }
        let jacobian: Matrix
        do {
            // Step: 1e-4 in scaled units (a relative 2.3e-4 on log10 scales), which with the
            // default rtol = 1e-8 leaves a truncation error ~h² and a solver error ~rtol/h.
            jacobian = try FiniteDifferences.jacobian(at: free.map { theta[$0] }, residuals: base.flatMap { $0 }, scheme: .central,
                                                      lower: lower, upper: upper, relativeStep: 1e-4) { shifted in
                if cancellation?.isCancelled == true { throw EvaluationFailure(reason: "interrupted") }
                var t = theta
                for (k, j) in free.enumerated() { t[j] = shifted[k] }
                return try formulaValues(values(t)).flatMap { $0 }
            }
        } catch let failure as EvaluationFailure {
            throw failure
        } catch {
            throw EvaluationFailure(reason: "\(error)")
        }
        let n = parameterCount
        var row = 0
        return base.map { experiment in
            experiment.map { _ in
                var d = [Double](repeating: 0, count: n)
                for (k, j) in free.enumerated() { d[j] = jacobian[row, k] }
                row += 1
                return d
            }
        }
    }

    // MARK: - Residuals

    func term(_ t: Observable.Term, _ x: [Double]) -> Double {
        switch t {
        case .constant(let c): c
        case .parameter(let i): x[i]
        }
    }

    func sigma(_ o: Observable, _ point: DataTable.Point, _ x: [Double]) -> Double {
        switch o.noise {
        case .column: point.sd ?? 1
        case .term(let t): term(t, x)
        }
    }

    func assemble(_ x: [Double], formulas: [[Double]]) -> Evaluation {
        var residuals: [Double] = []
        var errorModel: [Double] = []
        var perExperiment: [[Double]] = []
        var fixedLogSigma = 0.0, constants = 0.0, count = 0
        for (e, experiment) in problem.experiments.enumerated() {
            var rs: [Double] = []
            for (p, point) in experiment.data.points.enumerated() {
                let o = problem.observables[point.observable]
                let s = sigma(o, point, x)
                let r = (term(o.scale, x) * formulas[e][p] + term(o.offset, x) - point.value) / s
                rs.append(r)
                count += 1
                if case .term(.parameter(let i)) = o.noise {
                    let c = errorModelConstant[i]!
                    errorModel.append((2 * log(s) + c).squareRoot())
                    constants += c / 2
                } else {
                    fixedLogSigma += log(s)
                }
            }
            residuals += rs
            perExperiment.append(rs)
        }
        residuals += errorModel
        let half = 0.5 * residuals.reduce(0) { $0 + $1 * $1 }
        let nll = half - constants + fixedLogSigma + 0.5 * Double(count) * log(2 * Double.pi)
        return Evaluation(residuals: residuals, jacobian: nil, experimentResiduals: perExperiment, formulaValues: formulas,
                          negativeLogLikelihood: nll)
    }

    func jacobian(_ x: [Double], formulas: [[Double]], derivatives: [[[Double]]]) -> [[Double]] {
        let n = parameterCount
        // `derivatives` are with respect to the scaled coordinates already; the observation
        // parameters' analytic derivatives get the chain factor d(value)/dθ here.
        let chain = zip(problem.parameters, x).map { $0.chainFactor($1) }
        var rows: [[Double]] = []
        var errorRows: [[Double]] = []
        func add(_ t: Observable.Term, _ amount: Double, to row: inout [Double]) {
            if case .parameter(let i) = t { row[i] += amount * chain[i] }
        }
        for (e, experiment) in problem.experiments.enumerated() {
            for (p, point) in experiment.data.points.enumerated() {
                let o = problem.observables[point.observable]
                let s = sigma(o, point, x)
                let scale = term(o.scale, x)
                let f = formulas[e][p]
                let r = (scale * f + term(o.offset, x) - point.value) / s
                var row = derivatives[e][p].map { scale * $0 / s }
                add(o.scale, f / s, to: &row)
                add(o.offset, 1 / s, to: &row)
                if case .term(.parameter(let i)) = o.noise {
                    row[i] += -r / s * chain[i]
                    var errorRow = [Double](repeating: 0, count: n)
                    let root = (2 * log(s) + errorModelConstant[i]!).squareRoot()
                    errorRow[i] = chain[i] / (s * root)
                    errorRows.append(errorRow)
                }
                rows.append(row)
            }
        }
        return rows + errorRows
    }
}
