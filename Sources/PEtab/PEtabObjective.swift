import Fitting
import Foundation

/// The PEtab objective at one point: the data's log-likelihood and χ², the priors'
/// log-density, every measurement's simulated value and noise level, and (when asked) the
/// gradient of the objective with respect to the estimated parameters' scaled coordinates.
public struct PEtabEvaluation: Sendable, Codable {
    /// Σ over measurements of the log density of the noise model (PEtab's `llh`).
    public var logLikelihood: Double
    /// Σ ((t(m) − t(y))/σ)², t the observable's transformation.
    public var chiSquare: Double
    /// Σ over objective priors of their log density at the point.
    public var logPrior: Double
    /// Per measurement (table order): the simulated observable y and its σ.
    public var simulated: [Double]
    public var sigmas: [Double]
    /// ∂objective/∂θ (estimated parameters, scaled coordinates), when asked and the model
    /// provides sensitivities (`PEtabModel.providesGradient`).
    public var gradient: [Double]?

    /// What a fit minimises: −(llh + log prior), the negative log-posterior up to a constant.
    public var objective: Double { -(logLikelihood + logPrior) }
}

extension PEtabModel {
    /// One measurement's simulated observable y and noise σ, with their derivatives with
    /// respect to the estimated parameters' linear values when asked.
    struct Prediction {
        var y: Double
        var sigma: Double
        var dy: [Double]?
        var dSigma: [Double]?
    }

    /// Simulates every condition at parameter values `x` and computes each measurement's
    /// y and σ from the formulas (chain rule through their inputs: model quantities by
    /// forward sensitivities, placeholders and table parameters directly). Derivatives need
    /// `providesGradient`.
    func predictions(x: [Double], derivatives: Bool) throws(PEtabSimulationFailure) -> [Prediction] {
        precondition(!derivatives || providesGradient, "derivatives need the model's sensitivities")
        let np = problem.estimated.count
        let evaluator = ObservableFormulas(formulas)
        var out: [Prediction] = []
        out.reserveCapacity(problem.measurements.count)
        var runs: [SimulatedRows?] = Array(repeating: nil, count: simulations.count)
        var steadyStates: [Int: CarriedStates] = [:]
        for (m, measurement) in problem.measurements.enumerated() {
            let (s, row) = measurementRows[m]
            if runs[s] == nil { runs[s] = try simulate(s, x: x, derivatives: derivatives, steadyStates: &steadyStates) }
            let rows = runs[s]!
            let r = row ?? rows.values.count - 1
            let o = measurement.observable
            func placeholderValue(_ v: PEtabProblem.Value) -> Double {
                switch v {
                case .number(let n): n
                case .parameter(let i): x[i]
                }
            }
            let inputValues = inputs.map { input -> Double in
                switch input {
                case .column(let c): rows.values[r][c]
                case .parameter(let i): x[i]
                case .observablePlaceholder(let k, let j): k == o ? placeholderValue(measurement.observableParameters[j]) : 0
                case .noisePlaceholder(let k, let j): k == o ? placeholderValue(measurement.noiseParameters[j]) : 0
                }
            }
            evaluator.load(time: rows.times[r], inputs: inputValues)
            var p = Prediction(y: evaluator.value(2 * o), sigma: evaluator.value(2 * o + 1))
            if derivatives {
                var dy = [Double](repeating: 0, count: np), dSigma = dy
                for (j, input) in inputs.enumerated() {
                    let py = evaluator.partial(2 * o, input: j), ps = evaluator.partial(2 * o + 1, input: j)
                    guard py != 0 || ps != 0 else { continue }
                    func add(_ k: Int?) {
                        guard let k else { return }
                        dy[k] += py
                        dSigma[k] += ps
                    }
                    switch input {
                    case .column(let c):
                        if let d = rows.derivatives?[r][c] {
                            for k in 0..<np where d[k] != 0 {
                                dy[k] += py * d[k]
                                dSigma[k] += ps * d[k]
                            }
                        }
                    case .parameter(let i): add(estimatedPosition[i])
                    case .observablePlaceholder(let q, let v):
                        if q == o, case .parameter(let i) = measurement.observableParameters[v] { add(estimatedPosition[i]) }
                    case .noisePlaceholder(let q, let v):
                        if q == o, case .parameter(let i) = measurement.noiseParameters[v] { add(estimatedPosition[i]) }
                    }
                }
                p.dy = dy
                p.dSigma = dSigma
            }
            out.append(p)
        }
        return out
    }

    /// Evaluates the problem at scaled coordinates `theta` of the estimated parameters.
    ///
    /// Per measurement with data m, simulation y, noise σ and transformation t (identity,
    /// ln, log10), with d = t(m) − t(y):
    /// - normal: log p = −½ ln(2πσ²) − ½ (d/σ)²;
    /// - Laplace: log p = −ln(2σ) − |d|/σ;
    /// - minus the change of variables ln|dt/dm|: ln m for `log`, ln(m ln 10) for `log10`.
    public func evaluate(theta: [Double], gradient wantGradient: Bool) throws(PEtabSimulationFailure) -> PEtabEvaluation {
        let x = problem.values(theta: theta)
        let np = theta.count
        let derivatives = wantGradient && providesGradient
        let predictions = try predictions(x: x, derivatives: derivatives)
        var result = PEtabEvaluation(logLikelihood: 0, chiSquare: 0, logPrior: 0, simulated: predictions.map(\.y),
                                     sigmas: predictions.map(\.sigma), gradient: derivatives ? [Double](repeating: 0, count: np) : nil)
        // ∂(−llh)/∂x in linear units, per estimated position.
        var dx = [Double](repeating: 0, count: np)
        for (measurement, p) in zip(problem.measurements, predictions) {
            let observable = problem.observables[measurement.observable]
            let term = Self.density(measurement.value, p.y, p.sigma, observable.transformation, observable.distribution)
            result.logLikelihood += term.logDensity
            result.chiSquare += term.chiSquare
            if let dy = p.dy, let ds = p.dSigma {
                for k in 0..<np { dx[k] -= term.dY * dy[k] + term.dSigma * ds[k] }
            }
        }
        for (k, i) in problem.estimated.enumerated() {
            let parameter = problem.parameters[i]
            result.gradient?[k] = dx[k] * parameter.scale.chainFactor(x[i])
            guard let prior = parameter.prior else { continue }
            let (logDensity, slope) = Self.prior(prior, theta: theta[k], x: x[i], scale: parameter.scale)
            result.logPrior += logDensity
            result.gradient?[k] -= slope
        }
        return result
    }

    /// One measurement's log density and χ² term, with ∂(log density)/∂y and ∂/∂σ.
    static func density(_ m: Double, _ y: Double, _ sigma: Double, _ t: PEtabProblem.Observable.Transformation,
                        _ distribution: PEtabProblem.Observable.Distribution)
        -> (logDensity: Double, chiSquare: Double, dY: Double, dSigma: Double) {
        let (tm, ty, dty) = transformed(m, y, t)
        let jacobian = switch t {
        case .lin: 0.0
        case .log: log(m)
        case .log10: log(m * M_LN10)
        }
        let d = tm - ty
        let z = d / sigma
        switch distribution {
        case .normal:
            let logDensity = -0.5 * log(2 * Double.pi * sigma * sigma) - 0.5 * z * z - jacobian
            return (logDensity, z * z, z / sigma * dty, (z * z - 1) / sigma)
        case .laplace:
            let logDensity = -log(2 * sigma) - abs(z) - jacobian
            let sign: Double = d > 0 ? 1 : (d < 0 ? -1 : 0)
            return (logDensity, z * z, sign / sigma * dty, (abs(z) - 1) / sigma)
        }
    }

    /// A prior's log density at a parameter and its derivative with respect to the scaled
    /// coordinate θ (`parameterScale…` priors are densities of θ, the others of the value x).
    static func prior(_ p: PEtabProblem.Prior, theta: Double, x: Double, scale: PEtabProblem.Scale) -> (Double, Double) {
        let chain = scale.chainFactor(x)
        func normal(_ v: Double) -> (Double, Double) {
            let z = (v - p.first) / p.second
            return (-0.5 * log(2 * Double.pi * p.second * p.second) - 0.5 * z * z, -z / p.second)
        }
        func laplace(_ v: Double) -> (Double, Double) {
            let d = v - p.first
            return (-log(2 * p.second) - abs(d) / p.second, (d > 0 ? -1 : (d < 0 ? 1 : 0)) / p.second)
        }
        switch p.kind {
        case .parameterScaleNormal: return normal(theta)
        case .parameterScaleLaplace: return laplace(theta)
        case .parameterScaleUniform: return (-log(p.second - p.first), 0)
        case .uniform: return (-log(p.second - p.first), 0)
        case .normal:
            let (l, s) = normal(x)
            return (l, s * chain)
        case .laplace:
            let (l, s) = laplace(x)
            return (l, s * chain)
        case .logNormal:
            // Density of x whose logarithm is normal: ln p = ln N(ln x) − ln x.
            let (l, s) = normal(log(x))
            return (l - log(x), (s - 1) / x * chain)
        case .logLaplace:
            let (l, s) = laplace(log(x))
            return (l - log(x), (s - 1) / x * chain)
        }
    }
}
