public import Optimization
public import KinapseUtilities
import Foundation
import Synchronization

/// How `kinapse fit` runs a problem (command-line settings over the problem's options).
public struct FitSettings: Sendable {
    public var starts: Int
    public var seed: UInt64
    public var jobs: Int
    public var gradient: GradientMethod
    public var profiles: Bool
    public var maximumIterations: Int

    public init(problem: FitProblem, starts: Int? = nil, seed: UInt64? = nil, jobs: Int = MultiStartOptions.availableCores,
                gradient: GradientMethod = .sensitivities, profiles: Bool? = nil) {
        self.starts = starts ?? problem.options.starts
        self.seed = seed ?? problem.options.seed
        self.jobs = jobs
        self.gradient = gradient
        self.profiles = profiles ?? problem.options.profiles
        self.maximumIterations = problem.options.maximumIterations
    }
}

/// What a fit found.
public struct FitOutcome: Sendable {
    public var problem: FitProblem
    public var settings: FitSettings
    public var multiStart: MultiStartResult
    /// The residuals and predictions at the best start's end point.
    public var bestEvaluation: FitObjective.Evaluation?
    /// NLL = ½‖r‖² + `likelihoodOffset` (the same constant at every θ).
    public var likelihoodOffset: Double
    /// Profile likelihoods and Wald intervals at the best start (when asked for and possible).
    public var uncertainty: UncertaintyReport?
    /// Why the uncertainty analysis could not run, if it could not.
    public var uncertaintyFailure: String?
    public var simulations: Int
    public var wallTime: Duration
    /// The fitted time courses at the best point (dense where the model allows).
    public var curves: [FitObjective.FittedCurve] = []
    /// Why forward sensitivities were asked for but finite differences were used.
    public var gradientFallback: String?
    /// Why the fit is incomplete when a `CancellationFlag` (Ctrl-C) cut it short: its best
    /// is then the best so far, and every file says so. Nil for a fit that ran to the end.
    public var interruption: String?

    public var best: StartResult? { multiStart.best }
    /// Model values at the best point.
    public var bestValues: [Double]? { best.map { zip(problem.parameters, $0.theta).map { $0.unscaled($1) } } }
}

/// Counts simulations across worker threads.
final class SimulationCounter: Sendable {
    private let count = Atomic<Int>(0)
    func add(_ n: Int) { count.add(n, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

/// The fit's objective as the optimiser sees it. One per worker.
final class FitLeastSquaresProblem: LeastSquaresProblem {
    let objective: FitObjective
    let counter: SimulationCounter
    var parameterCount: Int { objective.parameterCount }

    init(_ objective: FitObjective, counter: SimulationCounter) {
        self.objective = objective
        self.counter = counter
    }

    func evaluate(at theta: [Double], jacobian: Bool) throws -> LeastSquaresEvaluation {
        let before = objective.simulations
        defer { counter.add(objective.simulations - before) }
        let e = try objective.evaluate(at: theta, jacobian: jacobian)
        return LeastSquaresEvaluation(residuals: e.residuals, jacobian: e.jacobian.map { Matrix(rowMajor: $0) },
                                      jacobianSource: jacobian ? (objective.gradient == .sensitivities ? .sensitivities : .finiteDifferences) : nil)
    }
}

public enum FitRunner {
    /// The problem's parameter space for the optimiser.
    public static func space(_ problem: FitProblem) throws -> ParameterSpace {
        try ParameterSpace(problem.parameters.map {
            EstimatedParameter(name: $0.name, lower: $0.lower, upper: $0.upper, scale: $0.scale)
        })
    }

    /// Multi-start least squares: `settings.starts` starts (one of them at the problem's
    /// `start` values when it gives any), in parallel, reproducible for a given seed.
    ///
    /// With `settings.profiles`, the profile likelihood of every parameter follows
    /// (`profileProgress` is told of each finished profile).
    ///
    /// When `cancellation` is raised, the fit ends early with what it has: the starts that
    /// ran (running ones stop at their best point so far) and no profiles unless all finished;
    /// `FitOutcome.interruption` says what was cut.
    public static func run(_ problem: FitProblem, settings: FitSettings, cancellation: CancellationFlag? = nil,
                           progress: (@Sendable (MultiStartProgress) -> Void)? = nil,
                           profileProgress: (@Sendable (_ finished: Int, _ total: Int) -> Void)? = nil) throws -> FitOutcome {
        let clock = ContinuousClock()
        let began = clock.now
        let space = try space(problem)
        var options = MultiStartOptions()
        options.seed = settings.seed
        options.jobs = settings.jobs
        options.optimizer.maxIterations = settings.maximumIterations
        if problem.parameters.contains(where: { $0.start != nil }) {
            options.additionalStarts = [problem.parameters.map { p in
                p.start.map(p.scaled) ?? (p.scaledBounds.lower + p.scaledBounds.upper) / 2
            }]
        }
        options.starts = max(0, settings.starts - options.additionalStarts.count)
        let counter = SimulationCounter()
        // Compiled once, before the workers start, and shared by all of them; also tells
        // whether the model supports sensitivities, so every worker makes the same choice.
        let experiments = try problem.experimentRunner(gradient: settings.gradient)
        let formulas = try CompiledFormulas(expressions: problem.observables.map(\.expression))
        let objective = FitObjective(problem: problem, experiments: experiments, formulas: formulas)
        let makeProblem: @Sendable () -> any LeastSquaresProblem = {
            let worker = FitObjective(problem: problem, experiments: experiments, formulas: formulas)
            worker.cancellation = cancellation
            return FitLeastSquaresProblem(worker, counter: counter)
        }
        let result = try MultiStart.run(space: space, options: options, cancellation: cancellation, makeProblem: makeProblem, progress: progress)
        var bestEvaluation: FitObjective.Evaluation?
        var offset = 0.0
        if let best = result.best, let e = try? objective.evaluate(at: best.theta, jacobian: false) {
            bestEvaluation = e
            offset = e.negativeLogLikelihood - 0.5 * e.residuals.reduce(0) { $0 + $1 * $1 }
        }
        let curves = result.best.map { objective.fittedCurves(at: $0.theta) } ?? []
        counter.add(objective.simulations)
        var uncertainty: UncertaintyReport?
        var uncertaintyFailure: String?
        var interruption: String?
        if result.isInterrupted {
            let finished = result.starts.filter { $0.status != .interrupted }.count
            let stopped = result.starts.count - finished
            interruption = "interrupted: \(finished) of \(result.plannedStarts) starts finished"
                + (stopped > 0 ? ", \(stopped) stopped early at \(stopped == 1 ? "its" : "their") best point so far" : "")
                + "; the best is the best so far"
            if settings.profiles { uncertaintyFailure = "the fit was interrupted before the profile likelihoods" }
        } else if settings.profiles, let best = result.best {
            var options = ProfileOptions()
            options.jobs = settings.jobs
            options.optimizer.maxIterations = settings.maximumIterations
            do {
                uncertainty = try ProfileLikelihood.analyse(space: space, optimum: best.run, options: options,
                                                            cancellation: cancellation, makeProblem: makeProblem, progress: profileProgress)
            } catch let error as ProfileInterrupted {
                uncertaintyFailure = "profile likelihoods \(error)"
                interruption = "interrupted during the profile likelihoods (\(error.finished) of \(error.total) finished): no confidence intervals"
            } catch {
                uncertaintyFailure = "\(error)"
            }
        }
        return FitOutcome(problem: problem, settings: settings, multiStart: result, bestEvaluation: bestEvaluation,
                          likelihoodOffset: offset, uncertainty: uncertainty, uncertaintyFailure: uncertaintyFailure,
                          simulations: counter.value, wallTime: clock.now - began, curves: curves,
                          gradientFallback: objective.gradientFallback, interruption: interruption)
    }
}
