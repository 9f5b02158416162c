public import Optimization
public import SourceDiagnostics
import Foundation

/// A PEtab problem with normal noise as least squares for Levenberg–Marquardt, in the
/// estimated parameters' scaled coordinates θ: ½‖r(θ)‖² with
///
/// - a data residual (t(m) − t(y))/σ per measurement,
/// - for every measurement whose σ changes with θ (estimated noise parameters, noise that
///   depends on the state), an error-model residual √(2 ln σ + C) (Raue et al., PLoS ONE
///   8:e74335, 2013, as Data2Dynamics does), so that ½‖r‖² holds Σ ln σ up to the constant
///   C/2; C = 1 − 2 ln σ_min keeps the root's argument ≥ 1 down to σ_min (the noise
///   parameter's lower bound when σ is one parameter, else 1e-10),
/// - a residual (v − μ)/s per normal prior (v = θ for `parameterScaleNormal`, else the value).
///
/// ½‖r‖² then equals PEtab's objective −(llh + log prior) up to a constant; fits report
/// the objective itself (`PEtabModel.evaluate`). Laplace noise and non-Gaussian priors have
/// no least-squares form and are refused.
public struct PEtabLeastSquares: LeastSquaresProblem {
    public let model: PEtabModel
    /// Per measurement: C of its error-model residual, nil when its σ is fixed.
    let errorModelConstant: [Double?]
    /// Estimated positions with a normal prior.
    let priors: [(position: Int, prior: PEtabProblem.Prior)]

    public var parameterCount: Int { model.problem.estimated.count }

    /// The smallest σ an error-model residual allows when σ is not a single parameter.
    static let defaultNoiseFloor = 1e-10

    public init(_ model: PEtabModel) throws(DiagnosticsError) {
        self.model = model
        let problem = model.problem
        var d = DiagnosticCollector()
        for o in problem.observables where o.distribution == .laplace {
            d.error("observable '\(o.id)' has Laplace noise, which has no least-squares form for the fit", at: o.range,
                    hint: "'kinapse petab llh' evaluates Laplace noise; fitting it needs normal noise")
        }
        var priors: [(position: Int, prior: PEtabProblem.Prior)] = []
        for (k, i) in problem.estimated.enumerated() {
            guard let prior = problem.parameters[i].prior else { continue }
            switch prior.kind {
            case .normal, .parameterScaleNormal: priors.append((k, prior))
            case .uniform, .parameterScaleUniform: break
            default:
                d.error("parameter '\(problem.parameters[i].id)' has a \(prior.kind.rawValue) prior, which has no least-squares form for the fit",
                        at: problem.parameters[i].range, hint: "fits take normal and uniform priors")
            }
        }
        try d.throwIfErrors()
        self.priors = priors
        errorModelConstant = problem.measurements.indices.map { m in
            model.noiseVaries(measurement: m).map { floor in 1 - 2 * log(floor.flatMap { $0 > 0 ? $0 : nil } ?? Self.defaultNoiseFloor) }
        }
    }

    public func evaluate(at theta: [Double], jacobian wantJacobian: Bool) throws -> LeastSquaresEvaluation {
        guard wantJacobian, model.providesGradient else {
            let r = try residuals(theta, derivatives: false).residuals
            guard wantJacobian else { return LeastSquaresEvaluation(residuals: r) }
            return try evaluateJacobian(at: theta, residuals: r)
        }
        let (r, rows) = try residuals(theta, derivatives: true)
        return LeastSquaresEvaluation(residuals: r, jacobian: Matrix(rowMajor: rows!), jacobianSource: .analytic)
    }

    /// Without sensitivities: central differences in θ, one-sided at a bound.
    public func evaluateJacobian(at theta: [Double], residuals r: [Double]) throws -> LeastSquaresEvaluation {
        guard !model.providesGradient else { return try evaluate(at: theta, jacobian: true) }
        let bounds = model.problem.estimated.map { model.problem.parameters[$0].scaledBounds }
        // Step 1e-4 in scaled units: truncation ~h², solver error ~rtol/h, both ≪ 1e-3 at rtol 1e-8.
        let jacobian = try FiniteDifferences.jacobian(at: theta, residuals: r, scheme: .central, lower: bounds.map(\.lower),
                                                      upper: bounds.map(\.upper), relativeStep: 1e-4) { t in
            try residuals(t, derivatives: false).residuals
        }
        return LeastSquaresEvaluation(residuals: r, jacobian: jacobian, jacobianSource: .finiteDifferences)
    }

    /// Residuals, and with `derivatives` their rows of ∂r/∂θ.
    func residuals(_ theta: [Double], derivatives: Bool) throws -> (residuals: [Double], rows: [[Double]]?) {
        let x = model.problem.values(theta: theta)
        let predictions = try model.predictions(x: x, derivatives: derivatives)
        return try residuals(theta, x: x, predictions: predictions, errorModelConstant: errorModelConstant, derivatives: derivatives)
    }

    /// Residuals (and rows of ∂r/∂θ) from the measurements' predictions at the parameter
    /// values `x` (coordinates `theta`), with an error-model residual for each measurement
    /// whose entry of `errorModelConstant` is set.
    func residuals(_ theta: [Double], x: [Double], predictions: [PEtabModel.Prediction], errorModelConstant: [Double?],
                   derivatives: Bool) throws -> (residuals: [Double], rows: [[Double]]?) {
        let problem = model.problem
        let np = theta.count
        let chain = problem.estimated.map { problem.parameters[$0].scale.chainFactor(x[$0]) }
        var residuals: [Double] = [], rows: [[Double]] = []
        var errorResiduals: [Double] = [], errorRows: [[Double]] = []
        for (m, (measurement, p)) in zip(problem.measurements, predictions).enumerated() {
            let (tm, ty, dty) = PEtabModel.transformed(measurement.value, p.y, problem.observables[measurement.observable].transformation)
            let r = (tm - ty) / p.sigma
            guard r.isFinite, p.sigma > 0 else {
                throw PEtabSimulationFailure(condition: problem.conditions[measurement.condition].id,
                                             reason: "measurement \(m + 1): simulated \(p.y), σ = \(p.sigma)")
            }
            residuals.append(r)
            if let dy = p.dy, let ds = p.dSigma {
                rows.append((0..<np).map { k in (-dty * dy[k] / p.sigma - r / p.sigma * ds[k]) * chain[k] })
            }
            guard let c = errorModelConstant[m] else { continue }
            let argument = 2 * log(p.sigma) + c
            guard argument > 0 else {
                throw PEtabSimulationFailure(condition: problem.conditions[measurement.condition].id,
                                             reason: "measurement \(m + 1): σ = \(p.sigma) is below the error model's floor")
            }
            let e = argument.squareRoot()
            errorResiduals.append(e)
            if let ds = p.dSigma { errorRows.append((0..<np).map { k in ds[k] / (p.sigma * e) * chain[k] }) }
        }
        residuals += errorResiduals
        rows += errorRows
        for (k, prior) in priors {
            let onScale = prior.kind == .parameterScaleNormal
            let v = onScale ? theta[k] : x[problem.estimated[k]]
            residuals.append((v - prior.first) / prior.second)
            var row = [Double](repeating: 0, count: np)
            row[k] = (onScale ? 1 : chain[k]) / prior.second
            rows.append(row)
        }
        return (residuals, derivatives ? rows : nil)
    }
}

extension PEtabModel {
    /// Whether measurement `m`'s σ can change with the estimated parameters: nil when it
    /// cannot; else its floor (the lower bound when σ is one estimated parameter, else nil).
    func noiseVaries(measurement m: Int) -> Double?? {
        let measurement = problem.measurements[m]
        let o = measurement.observable
        let noise = problem.observables[o].noise
        let names = noise.symbols
        var varies = false
        for (j, name) in formulas.inputs.enumerated() where names.contains(name) {
            switch inputs[j] {
            case .column: varies = true
            case .parameter(let i): varies = varies || problem.parameters[i].estimated
            case .noisePlaceholder(let q, let k):
                if q == o, case .parameter(let i) = measurement.noiseParameters[k] { varies = varies || problem.parameters[i].estimated }
            case .observablePlaceholder(let q, let k):
                if q == o, case .parameter(let i) = measurement.observableParameters[k] { varies = varies || problem.parameters[i].estimated }
            }
        }
        guard varies else { return .none }
        // σ written as one name that is (or stands for) an estimated parameter: its lower bound.
        if case .symbol(let name, _) = noise, let j = formulas.inputs.firstIndex(of: name) {
            switch inputs[j] {
            case .parameter(let i): return .some(problem.parameters[i].lower)
            case .noisePlaceholder(let q, let k) where q == o:
                if case .parameter(let i) = measurement.noiseParameters[k] { return .some(problem.parameters[i].lower) }
            default: break
            }
        }
        return .some(nil)
    }

    /// t(m), t(y) and dt(y)/dy for an observable transformation.
    static func transformed(_ m: Double, _ y: Double, _ t: PEtabProblem.Observable.Transformation) -> (Double, Double, Double) {
        switch t {
        case .lin: (m, y, 1)
        case .log: (log(m), log(y), 1 / y)
        case .log10: (log10(m), log10(y), 1 / (y * M_LN10))
        }
    }
}
