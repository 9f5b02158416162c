import Fitting
import Foundation

/// The PEtab objective at one point: the data's log-likelihood and χ², the priors'
/// log-density, every measurement's simulated value and noise level, and (when asked) the
/// gradient of the objective with respect to the estimated parameters' scaled coordinates.
public struct PEtabEvaluation: Sendable {
    /// Σ over measurements of the log density of the noise model (PEtab's `llh`).
    public var logLikelihood: Double
    /// Σ ((t(m) − t(y))/σ)², t the observable's transformation.
    public var chiSquare: Double
    /// Σ over objective priors of their log density at the point.
    public var logPrior: Double
    /// Per measurement (table order): the simulated observable y and its σ.
    public var simulated: [Double]
    public var sigmas: [Double]
    /// ∂objective/∂θ (estimated parameters, scaled coordinates), when asked.
    public var gradient: [Double]?

    /// What a fit minimises: −(llh + log prior), the negative log-posterior up to a constant.
    public var objective: Double { -(logLikelihood + logPrior) }
}

extension PEtabModel {
    /// Evaluates the problem at scaled coordinates `theta` of the estimated parameters.
    ///
    /// Per measurement with data m, simulation y, noise σ and transformation t (identity,
    /// ln, log10), with d = t(m) − t(y):
    /// - normal: log p = −½ ln(2πσ²) − ½ (d/σ)²;
    /// - Laplace: log p = −ln(2σ) − |d|/σ;
    /// - minus the change of variables ln|dt/dm|: ln m for `log`, ln(m ln 10) for `log10`.
    public func evaluate(theta: [Double], gradient wantGradient: Bool) throws(PEtabSimulationFailure) -> PEtabEvaluation {
        precondition(theta.count == problem.estimated.count, "one coordinate per estimated parameter")
        let derivatives = wantGradient && providesGradient
        let x = problem.values(theta: theta)
        let np = theta.count
        let evaluator = ObservableFormulas(formulas)
        var result = PEtabEvaluation(logLikelihood: 0, chiSquare: 0, logPrior: 0, simulated: [], sigmas: [],
                                     gradient: wantGradient ? [Double](repeating: 0, count: np) : nil)
        result.simulated.reserveCapacity(problem.measurements.count)
        // ∂(−llh)/∂x in linear units, per estimated position.
        var dx = [Double](repeating: 0, count: np)
        var runs: [SimulatedRows?] = Array(repeating: nil, count: simulations.count)
        for (m, measurement) in problem.measurements.enumerated() {
            let (s, row) = measurementRows[m]
            if runs[s] == nil { runs[s] = try simulate(s, x: x, derivatives: derivatives) }
            let rows = runs[s]!
            let r = row ?? rows.values.count - 1
            let o = measurement.observable
            let observable = problem.observables[o]
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
            let y = evaluator.value(2 * o), sigma = evaluator.value(2 * o + 1)
            result.simulated.append(y)
            result.sigmas.append(sigma)
            let term = Self.density(measurement.value, y, sigma, observable.transformation, observable.distribution)
            result.logLikelihood += term.logDensity
            result.chiSquare += term.chiSquare
            guard wantGradient else { continue }
            // Chain rule: ∂(−log p)/∂y · dy/dx + ∂(−log p)/∂σ · dσ/dx over the formulas' inputs.
            for (j, input) in inputs.enumerated() {
                let dy = evaluator.partial(2 * o, input: j), ds = evaluator.partial(2 * o + 1, input: j)
                let weight = -(term.dY * dy + term.dSigma * ds)
                guard weight != 0 else { continue }
                switch input {
                case .column(let c):
                    if let d = rows.derivatives?[r][c] { for k in 0..<np { dx[k] += weight * d[k] } }
                case .parameter(let i):
                    if let k = estimatedPosition[i] { dx[k] += weight }
                case .observablePlaceholder(let q, let p):
                    if q == o, case .parameter(let i) = measurement.observableParameters[p], let k = estimatedPosition[i] { dx[k] += weight }
                case .noisePlaceholder(let q, let p):
                    if q == o, case .parameter(let i) = measurement.noiseParameters[p], let k = estimatedPosition[i] { dx[k] += weight }
                }
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
        let tm: Double, ty: Double, dty: Double, jacobian: Double
        switch t {
        case .lin: (tm, ty, dty, jacobian) = (m, y, 1, 0)
        case .log: (tm, ty, dty, jacobian) = (log(m), log(y), 1 / y, log(m))
        case .log10: (tm, ty, dty, jacobian) = (log10(m), log10(y), 1 / (y * M_LN10), log(m * M_LN10))
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
