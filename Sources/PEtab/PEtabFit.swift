import Optimization
public import KinapseUtilities
import Foundation

/// A multi-start fit of a PEtab problem and its starts, each scored by PEtab's objective
/// −(llh + log prior) at the point where its local optimisation ended.
public struct PEtabFitOutcome: Sendable {
    public struct Start: Sendable {
        public var index: Int
        public var start: [Double]
        public var theta: [Double]
        /// nil when the end point cannot be simulated (a failed start).
        public var evaluation: PEtabEvaluation?
        public var status: String
        public var iterations: Int
        public var wallTime: Double
        public var objective: Double { evaluation?.objective ?? .infinity }
    }

    public var problem: PEtabProblem
    /// Best first; failed starts last.
    public var starts: [Start]
    public var plannedStarts: Int

    public var best: Start? { starts.first { $0.evaluation != nil } }

    /// The fraction of starts that ran whose objective is within `tolerance` of the best.
    public func fractionReachingBest(within tolerance: Double = 0.1) -> Double {
        guard let best, !starts.isEmpty else { return 0 }
        return Double(starts.filter { $0.objective <= best.objective + tolerance }.count) / Double(starts.count)
    }

    /// One row per start, best first: index, objective, llh, status, iterations, seconds, θ.
    public var startsTable: String {
        let ids = problem.estimated.map { problem.parameters[$0].id }
        var lines = [(["start", "objective", "llh", "status", "iterations", "seconds"] + ids).joined(separator: "\t")]
        for s in starts {
            let numbers = [s.evaluation.map { "\($0.objective)" } ?? "nan", s.evaluation.map { "\($0.logLikelihood)" } ?? "nan"]
            lines.append(([String(s.index + 1)] + numbers + [s.status, String(s.iterations), String(format: "%.3f", s.wallTime)]
                          + s.theta.map { "\($0)" }).joined(separator: "\t"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The parameter table with `theta`'s values as nominal values (fixed ones unchanged).
    public func parameterTable(_ theta: [Double]) -> String {
        let x = problem.values(theta: theta)
        let withPriors = problem.parameters.contains { $0.prior != nil }
        var lines = [(["parameterId", "parameterScale", "lowerBound", "upperBound", "nominalValue", "estimate"]
                      + (withPriors ? ["objectivePriorType", "objectivePriorParameters"] : [])).joined(separator: "\t")]
        for (i, p) in problem.parameters.enumerated() {
            var cells = [p.id, p.scale.rawValue, p.estimated ? "\(p.lower)" : "", p.estimated ? "\(p.upper)" : "", "\(x[i])", p.estimated ? "1" : "0"]
            if withPriors { cells += p.prior.map { [$0.kind.rawValue, "\($0.first);\($0.second)"] } ?? ["", ""] }
            lines.append(cells.joined(separator: "\t"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// What a fit prints: the best objective, how many starts reached it, the wall time.
    public func summary(wallTime: Double) -> String {
        var lines = ["problem \(problem.name): \(starts.count) of \(plannedStarts) starts run, \(starts.filter { $0.evaluation == nil }.count) failed"]
        if let best, let e = best.evaluation {
            lines.append(String(format: "best objective %.6f (llh %.6f, chi2 %.4f, log prior %.6f) from start %d", e.objective, e.logLikelihood,
                                e.chiSquare, e.logPrior, best.index + 1))
            lines.append(String(format: "starts within 0.1 of the best: %.1f %%", 100 * fractionReachingBest()))
        }
        lines.append(String(format: "wall time %.1f s", wallTime))
        return lines.joined(separator: "\n") + "\n"
    }
}

public enum PEtabFitRun {
    /// Multi-start Levenberg–Marquardt (`MultiStart`) on the least-squares form of the
    /// problem, in the estimated parameters' scaled coordinates within their bounds.
    public static func run(_ model: PEtabModel, starts: Int, seed: UInt64, jobs: Int, cancellation: CancellationFlag?,
                           progress: (@Sendable () -> Void)? = nil) throws -> PEtabFitOutcome {
        let problem = model.problem
        let space = try ParameterSpace(problem.estimated.map { i in
            let p = problem.parameters[i]
            // The optimiser's coordinates are PEtab's scaled ones already.
            return EstimatedParameter(name: p.id, lower: p.scaledBounds.lower, upper: p.scaledBounds.upper, scale: .linear)
        })
        var options = MultiStartOptions()
        options.starts = starts
        options.seed = seed
        options.jobs = jobs
        var report: (@Sendable (MultiStartProgress) -> Void)?
        if let progress { report = { _ in progress() } }
        let result = try MultiStart.run(space: space, options: options, cancellation: cancellation,
                                        makeProblem: { () throws -> any LeastSquaresProblem in try PEtabLeastSquares(model) },
                                        progress: report)
        var out = result.starts.map { s in
            PEtabFitOutcome.Start(index: s.index, start: s.start, theta: s.theta, evaluation: try? model.evaluate(theta: s.theta, gradient: false),
                                  status: s.status.description, iterations: s.run.iterations, wallTime: s.wallTime.seconds)
        }
        out.sort { ($0.objective, $0.index) < ($1.objective, $1.index) }
        return PEtabFitOutcome(problem: problem, starts: out, plannedStarts: result.plannedStarts)
    }
}

extension Duration {
    /// The duration in seconds.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
