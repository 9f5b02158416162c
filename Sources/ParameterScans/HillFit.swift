import Foundation
import Optimization

/// The Hill equation fitted to a dose–response curve:
/// y = bottom + (top − bottom) / (1 + (x/x₅₀)^h), h > 0, for inhibition and activation alike.
public struct HillFit: Sendable, Equatable {
    /// Concentration at the midpoint between `bottom` and `top`: an IC₅₀ when the response's
    /// magnitude falls with dose (`isInhibition`), else an EC₅₀.
    public var midpoint: Double
    /// The Hill coefficient, positive (the fit's equivalent (−h, bottom, top) is turned round).
    public var hill: Double
    /// The response without drug (x → 0) and at saturation (x → ∞).
    public var top: Double
    public var bottom: Double
    /// Root-mean-square residual of the fit, in the response's units.
    public var rmsResidual: Double

    public func response(at x: Double) -> Double { bottom + (top - bottom) / (1 + Foundation.pow(x / midpoint, hill)) }

    /// The dose takes the response toward zero (|top| > |bottom|): a blocker abolishing an
    /// LTD (−20 % → 0 %) as much as one lowering a rate.
    public var isInhibition: Bool { abs(top) > abs(bottom) }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Fewest doses a fit takes: four unknowns and one more point, so the residual says
    /// something of the fit.
    public static let minimumPoints = 5

    /// Least squares (Levenberg–Marquardt) in log₁₀(midpoint), h, top and bottom, started
    /// from the curve's own ends and the dose nearest its half-way point. Needs positive
    /// doses, at least five points and a response that changes.
    public static func fit(doses: [Double], responses: [Double]) throws(Failure) -> HillFit {
        let points = zip(doses, responses).filter { $0.0 > 0 && $0.0.isFinite && $0.1.isFinite }
        guard points.count >= minimumPoints else {
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
        // (h, top, bottom) and (−h, bottom, top) draw the same curve; report the one with h > 0,
        // whose top is the response without drug.
        let (h, top, bottom) = result.theta[1] >= 0 ? (result.theta[1], result.theta[2], result.theta[3])
            : (-result.theta[1], result.theta[3], result.theta[2])
        return HillFit(midpoint: Foundation.pow(10, result.theta[0]), hill: h, top: top, bottom: bottom, rmsResidual: rms)
    }
}
