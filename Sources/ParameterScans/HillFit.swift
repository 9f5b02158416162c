import Foundation
import Optimization

/// The Hill equation fitted to a dose–response curve:
/// y = bottom + (top − bottom) / (1 + (x/IC₅₀)^h), for inhibition (h > 0, y falls with x)
/// and activation alike (then h < 0 and the midpoint is an EC₅₀).
public struct HillFit: Sendable, Equatable {
    /// Concentration at the midpoint between `bottom` and `top` (IC₅₀ or EC₅₀).
    public var midpoint: Double
    /// The Hill coefficient, signed: positive when the response falls with dose.
    public var hill: Double
    /// The response without drug (x → 0) and at saturation (x → ∞).
    public var top: Double
    public var bottom: Double
    /// Root-mean-square residual of the fit, in the response's units.
    public var rmsResidual: Double

    public func response(at x: Double) -> Double { bottom + (top - bottom) / (1 + Foundation.pow(x / midpoint, hill)) }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Least squares (Levenberg–Marquardt) in log₁₀(midpoint), h, top and bottom, started
    /// from the curve's own ends and the dose nearest its half-way point. Needs positive
    /// doses, at least five points and a response that changes.
    public static func fit(doses: [Double], responses: [Double]) throws(Failure) -> HillFit {
        let points = zip(doses, responses).filter { $0.0 > 0 && $0.0.isFinite && $0.1.isFinite }
        guard points.count >= 5 else {
            throw Failure(description: "a Hill fit needs at least five positive doses with finite responses (got \(points.count))")
        }
        let sorted = points.sorted { $0.0 < $1.0 }
        let first = sorted.first!.1, last = sorted.last!.1
        let span = (sorted.map(\.1).max()! - sorted.map(\.1).min()!)
        guard span > 0 else { throw Failure(description: "the response does not change over the doses scanned; nothing to fit") }
        let half = (first + last) / 2
        let middle = sorted.min { abs($0.1 - half) < abs($1.1 - half) }!.0
        let start = [log10(middle), first > last ? 1 : -1, first, last]
        let problem = ClosureProblem(parameterCount: 4) { theta in
            let curve = HillFit(midpoint: Foundation.pow(10, theta[0]), hill: theta[1], top: theta[2], bottom: theta[3], rmsResidual: 0)
            return sorted.map { (curve.response(at: $0.0) - $0.1) / span }
        }
        var options = LevenbergMarquardtOptions()
        options.maxIterations = 500
        options.gradientTolerance = 1e-14
        options.stepTolerance = 1e-14
        options.objectiveTolerance = 1e-16
        let infinite = Double.infinity
        let result = LevenbergMarquardt(options: options).minimize(problem, from: start, lower: [-infinite, -20, -infinite, -infinite],
                                                                    upper: [infinite, 20, infinite, infinite])
        guard !result.status.isFailed, result.theta.allSatisfy(\.isFinite) else {
            throw Failure(description: "the Hill fit did not converge (\(result.status))")
        }
        let rms = (result.residuals.map { $0 * $0 * span * span }.reduce(0, +) / Double(sorted.count)).squareRoot()
        return HillFit(midpoint: Foundation.pow(10, result.theta[0]), hill: result.theta[1], top: result.theta[2], bottom: result.theta[3],
                       rmsResidual: rms)
    }
}
