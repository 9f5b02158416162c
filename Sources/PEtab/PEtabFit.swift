public import Optimization
public import KinapseUtilities
import SourceDiagnostics
import Foundation
import Synchronization

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
        /// Whether `evaluation` comes from a simulation with sensitivities because the plain
        /// one failed at the end point (`EndPointScore.scoring`).
        public var scoredWithSensitivities = false
        /// Points drawn for this start before `start` that could not be simulated, or were flat.
        public var redraws: Int
        /// Of `redraws`, the points from which the local method took no step (a plateau).
        public var flatRedraws = 0
        public var iterations: Int
        /// Simulations the start ran: its start point, every trial point (accepted or rejected,
        /// doubled steps included), and, when trial points are simulated without sensitivities
        /// (the default), one with them at each accepted point, or a plain one where the trial
        /// point needed them (`LevenbergMarquardtOptions.plainTrialErrorFraction`).
        public var evaluations: Int
        /// Of which could not be simulated (each shrank the trust region without a step).
        public var failedEvaluations: Int
        public var wallTime: Double
        /// CPU seconds the start cost (its worker thread, redrawn points included).
        public var cpuTime: Double
        public var objective: Double { evaluation?.objective ?? .infinity }
    }

    public var problem: PEtabProblem
    /// Best first; failed starts last.
    public var starts: [Start]
    public var plannedStarts: Int
    /// The parameters solved in closed form inside each evaluation (`--hierarchical`), or nil.
    public var profiled: PEtabHierarchy?
    /// Whether the fit was asked to profile parameters (it may have found none it can).
    public var hierarchicalRequested = false
    /// Every trial point of every start, by start and in order, when the fit recorded them.
    public var trace: [(start: Int, step: TrialStep)] = []
    /// The global phase of a scatter search (`--global ess`); nil for a multi-start.
    public var scatterSearch: ScatterSearchReport?
    /// The global phase of a CMA-ES search (`--global cmaes`); nil otherwise.
    public var cmaES: CMAESReport?
    /// Multiple shooting's intervals per condition and node parameters (`PEtabMultipleShooting`); nil for single shooting.
    public var multipleShooting: (intervals: Int, nodes: Int)?

    public var best: Start? { starts.first { $0.evaluation != nil } }

    /// Start points replaced because the model could not be simulated there, or was flat.
    public var redrawnPoints: Int { starts.reduce(0) { $0 + $1.redraws } }
    /// Of `redrawnPoints`, those from which the local method took no step.
    public var flatRedraws: Int { starts.reduce(0) { $0 + $1.flatRedraws } }

    /// The fraction of starts that ran whose objective is within `tolerance` of the best.
    public func fractionReachingBest(within tolerance: Double = 0.1) -> Double {
        guard let best, !starts.isEmpty else { return 0 }
        return Double(starts.filter { $0.objective <= best.objective + tolerance }.count) / Double(starts.count)
    }

    /// One row per start, best first: index, objective, llh, status, iterations, evaluations,
    /// failed evaluations, wall and CPU seconds, θ.
    public var startsTable: String {
        let ids = problem.estimated.map { problem.parameters[$0].id }
        var lines = [(["start", "objective", "llh", "status", "iterations", "evaluations", "failed_evaluations", "seconds", "cpu_seconds"]
                      + ids).joined(separator: "\t")]
        for s in starts {
            let numbers = [s.evaluation.map { "\($0.objective)" } ?? "nan", s.evaluation.map { "\($0.logLikelihood)" } ?? "nan"]
            let effort = [String(s.iterations), String(s.evaluations), String(s.failedEvaluations),
                          String(format: "%.3f", s.wallTime), String(format: "%.3f", s.cpuTime)]
            lines.append(([String(s.index + 1)] + numbers + [s.status] + effort + s.theta.map { "\($0)" }).joined(separator: "\t"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The trajectory of every start: one row per trial point, by start. `objective` is
    /// ½‖r‖² at the current point (PEtab's objective up to the error model's constant);
    /// `sensitivities` says whether the trial point was simulated with them.
    public var traceTable: String {
        var lines = [["start", "iteration", "objective", "optimality", "radius", "model", "step", "scaled_step_norm", "step_norm",
                      "predicted", "actual", "ratio", "near_bounds", "acceleration", "sensitivities"].joined(separator: "\t")]
        for (start, t) in trace {
            let numbers = [t.objective, t.optimality, t.radius].map { "\($0)" }
            let step = [t.scaledStepNorm, t.stepNorm, t.predictedReduction, t.actualReduction, t.ratio].map { "\($0)" }
            lines.append(([String(start + 1), String(t.iteration)] + numbers + [t.usesSecant ? "secant" : "gauss-newton", t.kind.rawValue]
                          + step + [String(t.nearBounds), "\(t.accelerationRatio)", t.withJacobian ? "yes" : "no"]).joined(separator: "\t"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Where the CPU went, by how the starts ended ("CPU by outcome: converged 41.2 s in 30
    /// starts, iteration limit 120.3 s in 3, …"), and the evaluations that could not be
    /// simulated: what a budget bought, and what it spent on starts that crawled or failed.
    public var effortByOutcome: String? {
        guard !starts.isEmpty else { return nil }
        // The outcome without its detail: "converged (objective change)" and "failed: …" each count as one.
        func kind(_ status: String) -> String { String(status.prefix { $0 != "(" && $0 != ":" }).trimmingCharacters(in: .whitespaces) }
        var order: [String] = [], cpu: [String: Double] = [:], count: [String: Int] = [:]
        for s in starts {
            let k = kind(s.status)
            if cpu[k] == nil { order.append(k) }
            cpu[k, default: 0] += s.cpuTime
            count[k, default: 0] += 1
        }
        let parts = order.sorted { cpu[$0]! > cpu[$1]! }.map { "\($0) " + String(format: "%.1f s in %d", cpu[$0]!, count[$0]!) }
        let evaluations = starts.reduce(0) { $0 + $1.evaluations }, failed = starts.reduce(0) { $0 + $1.failedEvaluations }
        return "CPU by outcome: " + parts.joined(separator: ", ") + " starts; \(failed) of \(evaluations) evaluations could not be simulated"
    }

    /// What a fit prints: the best objective, how many starts reached it, the wall and CPU time.
    public func summary(wallTime: Double, cpuTime: Double) -> String {
        var lines = ["problem \(problem.name): \(starts.count) of \(plannedStarts) starts run, \(starts.filter { $0.evaluation == nil }.count) failed",
                     "start points redrawn (the model could not be simulated there): \(redrawnPoints - flatRedraws)"]
        if flatRedraws > 0 { lines.append("start points redrawn (flat: the local method took no step from them): \(flatRedraws)") }
        if let s = scatterSearch {
            lines.append("scatter search: reference set of \(s.referenceSetSize) from \(s.diverseSetSize) diverse points, \(s.generations) generations, "
                         + "\(s.evaluations) objective evaluations (\(s.failedEvaluations) could not be simulated), \(s.replacedMembers) members replaced, "
                         + String(format: "%.1f s of CPU outside the local runs (the starts)", s.cpuTime))
        }
        if let c = cmaES {
            let stops = Dictionary(grouping: c.runs, by: \.stop).sorted { $0.value.count > $1.value.count }
                .map { "\($0.value.count) by \($0.key.rawValue)" }.joined(separator: ", ")
            lines.append("CMA-ES: \(c.runs.count) runs (populations \(c.runs.map { String($0.populationSize) }.joined(separator: ", ")); ended \(stops)), "
                         + "\(c.runs.reduce(0) { $0 + $1.generations }) generations, \(c.evaluations) objective evaluations (\(c.failedEvaluations) could not be simulated), "
                         + String(format: "%.1f s of CPU outside the local runs (the starts)", c.cpuTime))
        }
        if let (intervals, nodes) = multipleShooting {
            lines.append("multiple shooting: \(intervals) intervals per condition, \(nodes) node states estimated with the parameters, "
                         + "continuity penalised in \(PEtabMultipleShooting.penaltyStages.count) stages, then a single-shooting fit of the problem")
        }
        let rescued = starts.filter(\.scoredWithSensitivities).count
        if rescued > 0 { lines.append("end points scored by a simulation with sensitivities (the plain one failed there): \(rescued)") }
        if let profiled {
            let names = { (groups: [PEtabHierarchy.Group]) in groups.map { problem.parameters[$0.parameter].id }.joined(separator: ", ") }
            lines.append("profiled in closed form: \(profiled.scalings.count) scaling factors (\(names(profiled.scalings))), "
                         + "\(profiled.noises.count) noise parameters (\(names(profiled.noises))); the optimiser searched \(profiled.outer.count) of \(problem.estimated.count) parameters")
        } else if hierarchicalRequested {
            lines.append("no parameter can be profiled in closed form: an ordinary fit of all \(problem.estimated.count) parameters")
        }
        if let best, let e = best.evaluation {
            lines.append(String(format: "best objective %.6f (llh %.6f, chi2 %.4f, log prior %.6f) from start %d", e.objective, e.logLikelihood,
                                e.chiSquare, e.logPrior, best.index + 1))
            lines.append(String(format: "starts within 0.1 of the best: %.1f %%", 100 * fractionReachingBest()))
        }
        if let effort = effortByOutcome { lines.append(effort) }
        lines.append(String(format: "wall time %.1f s", wallTime))
        lines.append(String(format: "CPU time %.1f s", cpuTime))
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Settings of a PEtab multi-start fit. The optimiser's defaults differ from
/// `LevenbergMarquardtOptions` where real benchmark landscapes need it.
public struct PEtabFitOptions: Sendable {
    public var starts = 20
    public var seed: UInt64 = 1
    public var jobs = MultiStartOptions.availableCores
    /// Replacements of a start point that cannot be simulated (26–39 % of Latin-hypercube
    /// points on Crauste and Borghans) before the start counts as failed.
    public var redraws = 100
    /// Accepted steps per start: fides' default (Fröhlich & Sorger, PLoS Comput Biol
    /// 18:e1010322, 2022), as real problems need hundreds of steps.
    public var maxIterations = 1000
    public var maxEvaluations = 5000
    /// A start has converged when an accepted step changes the objective by less than this,
    /// in likelihood units: five orders below the 0.1 by which starts are compared, and
    /// independent of the error-model constants in ½‖r‖².
    public var objectiveChange = 1e-6
    /// ‖projected gradient‖∞ in likelihood units per scaled unit (fides' default `gatol`).
    public var gradientTolerance = 1e-6
    /// A start ends once the steps it has left could not lower its objective by 0.1 at the
    /// pace of its last 25 (`StagnationTest`): 0.1 is the resolution at which starts are
    /// compared (a start "reaches" the best within 0.1). 25 steps: replayed on the recorded
    /// trajectories of 455 starts (Boehm, Weber, Sneyd, Fujita), windows of 10–30 stopped no
    /// start that ended within 0.1 of its fit's best, starts stopped more than 0.1 above where
    /// the iteration limit left them fell from 9 (10 steps) to 2 (20 steps and more), and 25
    /// saved 40–52 % of the crawling fits' trial points. Not after a step at a trust radius
    /// that ρ ≥ ¼ keeps, nor while the reductions rise: Sneyd's best start crosses a plateau
    /// for 150 steps at a fixed radius before it falls by 45, and was stopped there before
    /// (Benchmarks/RESULTS.md). nil: starts run to convergence or a limit.
    public var stagnation: StagnationTest? = StagnationTest(window: 25, resolution: 0.1)
    /// Gauss–Newton (Levenberg–Marquardt), or the secant hybrid for landscapes where large
    /// residuals slow it down.
    public var localModel = LocalModel.gaussNewton
    /// How steps respect the bounds: the active set, Coleman & Li's reflective trust region
    /// (the default), or the two alternating from start to start (`StartBounds.alternating`).
    /// With hierarchical optimisation and the stagnation test, reflective starts reached the
    /// best known value on 7 of the 10 benchmark problems in 180 s, the alternating
    /// portfolio on 6 (it loses Raia, whose reaching start is a late reflective one); neither
    /// reached Weber, Fujita or Borghans (Benchmarks/RESULTS.md).
    public var bounds = StartBounds.reflective
    /// Geodesic acceleration of the Gauss–Newton steps, or none. On by default: with plain
    /// trial points and internal doubling, 180-s fits reached Weber's best known value with it
    /// (seed 1; with seed 2 neither setting did) and kept the 7 other problems reached; the
    /// Jacobians a narrow valley needs fell from 298 to 63 (Benchmarks/RESULTS.md).
    public var acceleration = StepAcceleration.geodesic
    /// Whether trial points are simulated with sensitivities (`LevenbergMarquardtOptions.jacobianAtTrialPoints`).
    /// Off: a plain simulation costs 1/10–1/20 of one with sensitivities here (Weber at random
    /// points: 3–4 ms against 32–67 ms of CPU), so a rejected step costs that much less and an
    /// accepted one a plain simulation more (Benchmarks/RESULTS.md).
    public var jacobianAtTrialPoints = false
    /// Internal doubling of the trust radius within an iteration (`LevenbergMarquardtOptions.internalDoubling`):
    /// on Weber a start cut its radius ×4⁶ after a step into a narrow valley's wall and took a
    /// dozen accepted steps, each with a gradient, to grow it back (Benchmarks/RESULTS.md).
    public var internalDoubling = true
    /// Points (scaled coordinates) to start from before the Latin-hypercube starts, e.g. an
    /// earlier fit's best parameters.
    public var additionalStarts: [[Double]] = []
    /// Redraw a Latin-hypercube start from which the local method took no step and declared
    /// convergence (`MultiStartOptions.redrawsFlatStarts`), as pyPESTO redraws start points
    /// whose objective is not finite. 26 % of Boehm's and 40 % of Sneyd's points sit on such
    /// plateaus; with the redraw their 180-s fits reach the same best from 9.5 % and 18.5 % of
    /// the starts (6.1 % and 7.7 % without), and the other reached problems have no flat start
    /// in their budget (Benchmarks/RESULTS.md).
    public var redrawFlatStarts = true
    /// A multi-start, or a global search whose local runs are the starts (`ScatterSearch`,
    /// `CMAES`; `starts` bounds their number).
    public var global = GlobalSearch.multiStart
    /// Keep every trial point of every start (`PEtabFitOutcome.trace`).
    public var recordTrace = false
    /// Solve scaling and noise parameters in closed form inside each evaluation
    /// (`PEtabHierarchy`) and search only the others, where the tables allow it and the model
    /// has sensitivities; otherwise, or when false, every parameter is searched. On by
    /// default: of the benchmark problems with such parameters, 180-s fits reached the same
    /// or a lower best with it on Boehm, Sneyd, Schwen, Weber and Fujita, nearly the same on
    /// Zheng, and a worse one only on Borghans, where both stay more than 20 above the best
    /// known value (Benchmarks/RESULTS.md).
    public var hierarchical = true
    /// Multiple shooting with this many intervals per condition (`PEtabMultipleShooting`)
    /// before each start's single-shooting fit; nil: single shooting only.
    public var multipleShooting: Int?

    public init() {}

    var multiStart: MultiStartOptions {
        var o = MultiStartOptions()
        o.starts = starts
        o.seed = seed
        o.jobs = jobs
        o.redraws = redraws
        o.redrawsFlatStarts = redrawFlatStarts
        o.optimizer.maxIterations = maxIterations
        o.optimizer.maxEvaluations = maxEvaluations
        o.optimizer.objectiveAbsoluteTolerance = objectiveChange
        o.optimizer.gradientTolerance = gradientTolerance
        o.optimizer.localModel = localModel
        o.optimizer.stagnation = stagnation
        o.startBounds = bounds
        o.optimizer.acceleration = acceleration
        o.optimizer.jacobianAtTrialPoints = jacobianAtTrialPoints
        o.optimizer.internalDoubling = internalDoubling
        o.additionalStarts = additionalStarts
        return o
    }

    /// The scatter search's settings: MEIGO's defaults, with the local method, seed, redraws and
    /// given starts of `m` (the multi-start these options make, its given starts in the searched
    /// coordinates).
    static func scatterSearch(from m: MultiStartOptions) -> ScatterSearchOptions {
        var o = ScatterSearchOptions()
        o.localSearches = m.starts + m.additionalStarts.count
        o.seed = m.seed
        o.redraws = m.redraws
        o.optimizer = m.optimizer
        o.startBounds = m.startBounds
        o.additionalStarts = m.additionalStarts
        return o
    }

    /// CMA-ES's settings: Hansen's defaults, with the local method, seed and given starts of `m`.
    static func cmaES(from m: MultiStartOptions) -> CMAESOptions {
        var o = CMAESOptions()
        o.localSearches = m.starts + m.additionalStarts.count
        o.seed = m.seed
        o.optimizer = m.optimizer
        o.startBounds = m.startBounds
        o.additionalStarts = m.additionalStarts
        return o
    }
}

public enum PEtabFitRun {
    /// Multi-start Levenberg–Marquardt (`MultiStart`) on the least-squares form of the
    /// problem, in the estimated parameters' scaled coordinates within their bounds.
    public static func run(_ model: PEtabModel, options: PEtabFitOptions, cancellation: CancellationFlag?,
                           progress: (@Sendable () -> Void)? = nil) throws -> PEtabFitOutcome {
        if let intervals = options.multipleShooting {
            guard options.global == .multiStart else {
                throw DiagnosticsError(.error("multiple shooting runs its own starts; it does not combine with a global search (scatter search, CMA-ES)"))
            }
            return try PEtabMultipleShooting.run(model, intervals: intervals, options: options, cancellation: cancellation, progress: progress)
        }
        let problem = model.problem
        let profiled = options.profiledHierarchy(of: model)
        let searched = profiled?.outer ?? Array(problem.estimated.indices)
        var multiStart = options.multiStart
        if let profiled { multiStart.additionalStarts = multiStart.additionalStarts.map(profiled.outerCoordinates) }
        let space = try ParameterSpace(searched.map { k in
            let p = problem.parameters[problem.estimated[k]]
            // The optimiser's coordinates are PEtab's scaled ones already.
            return EstimatedParameter(name: p.id, lower: p.scaledBounds.lower, upper: p.scaledBounds.upper, scale: .linear)
        })
        var report: (@Sendable (MultiStartProgress) -> Void)?
        if let progress { report = { _ in progress() } }
        let recorded = TraceRecorder()
        var trace: (@Sendable (Int, TrialStep) -> Void)?
        if options.recordTrace { trace = { start, step in recorded.steps.withLock { $0.append((start, step)) } } }
        let makeProblem = { @Sendable () throws -> any LeastSquaresProblem in
            if let profiled { return try PEtabHierarchicalLeastSquares(model, hierarchy: profiled) }
            return try PEtabLeastSquares(model)
        }
        let result: MultiStartResult
        var scatterReport: ScatterSearchReport?
        var cmaReport: CMAESReport?
        switch options.global {
        case .multiStart:
            result = try MultiStart.run(space: space, options: multiStart, cancellation: cancellation, makeProblem: makeProblem,
                                        progress: report, trace: trace)
        case .scatterSearch:
            (result, scatterReport) = try ScatterSearch.run(space: space, options: PEtabFitOptions.scatterSearch(from: multiStart),
                                                            cancellation: cancellation,
                                                            makeProblem: makeProblem, progress: report, trace: trace)
        case .cmaES:
            (result, cmaReport) = try CMAES.run(space: space, options: PEtabFitOptions.cmaES(from: multiStart), cancellation: cancellation,
                                                makeProblem: makeProblem, progress: report, trace: trace)
        }
        // Every end point scored again for the tables (llh, χ², simulated values): a batch of
        // its own, so MPI ranks and threads share it, where each rank used to score them all
        // serially after the starts (0.6 s of a 27-s 2-rank fit of Schwen's 32 starts).
        // A hierarchical start ends at outer coordinates: the profiled parameters' optima there complete the point.
        let scores = ParallelTasks.run(count: result.starts.count, jobs: multiStart.jobs,
                                       makeState: { profiled.flatMap { try? PEtabHierarchicalLeastSquares(model, hierarchy: $0) } }) { inner, i in
            let end = result.starts[i].theta
            guard let profiled else { return EndPointScore.scoring(model, at: end) }
            guard let full = try? inner?.fullCoordinates(end) else { return EndPointScore(theta: profiled.expanded(end), evaluation: nil) }
            return EndPointScore.scoring(model, at: full)
        }
        let starts = zip(result.starts, scores).map { s, score in
            PEtabFitOutcome.Start(index: s.index, start: profiled?.expanded(s.start) ?? s.start, theta: score.theta, evaluation: score.evaluation,
                                  status: s.status.description, scoredWithSensitivities: score.withSensitivities,
                                  redraws: s.redraws, flatRedraws: s.flatRedraws, iterations: s.run.iterations,
                                  evaluations: s.run.evaluations, failedEvaluations: s.run.failedEvaluations,
                                  wallTime: s.wallTime.seconds, cpuTime: s.cpuTime)
        }
        var outcome = PEtabFitOutcome(problem: problem, starts: starts, plannedStarts: result.plannedStarts,
                                      profiled: profiled, options: options, trace: recorded)
        outcome.scatterSearch = scatterReport
        outcome.cmaES = cmaReport
        return outcome
    }
}

extension PEtabFitOptions {
    /// The parameters to solve in closed form inside each evaluation, or nil: none asked for,
    /// no sensitivities, none found, or every one (then nothing is left to search, so all are
    /// fitted instead).
    func profiledHierarchy(of model: PEtabModel) -> PEtabHierarchy? {
        guard hierarchical && model.providesGradient else { return nil }
        let hierarchy = PEtabHierarchy(model)
        return hierarchy.isEmpty || hierarchy.outer.isEmpty ? nil : hierarchy
    }
}

extension PEtabFitOutcome {
    /// A fit's outcome from its starts (in any order; kept best first) and the trial points its
    /// workers recorded.
    init(problem: PEtabProblem, starts: [Start], plannedStarts: Int, profiled: PEtabHierarchy?, options: PEtabFitOptions,
         trace recorded: TraceRecorder) {
        self.init(problem: problem, starts: starts.sorted { ($0.objective, $0.index) < ($1.objective, $1.index) },
                  plannedStarts: plannedStarts)
        self.profiled = profiled
        hierarchicalRequested = options.hierarchical
        // Stable sort: each start's points stay in order, whatever the interleaving of workers.
        trace = recorded.steps.withLock { $0 }.enumerated().sorted { ($0.element.start, $0.offset) < ($1.element.start, $1.offset) }.map(\.element)
    }
}

/// A start's end point scored again; it travels between MPI ranks as a binary property
/// list, which keeps every Double's bits, so each rank's tables are those of one process.
private struct EndPointScore: Codable, PortableResult {
    /// Every estimated parameter's coordinate (a hierarchical fit's profiled ones included).
    var theta: [Double]
    var evaluation: PEtabEvaluation?
    var withSensitivities = false

    static func scoring(_ model: PEtabModel, at theta: [Double]) -> EndPointScore {
        let scored = model.evaluateEndPoint(theta: theta)
        return EndPointScore(theta: theta, evaluation: scored?.evaluation, withSensitivities: scored?.withSensitivities ?? false)
    }
}

extension PEtabModel {
    /// The objective at the point where a start of a fit ended: by a plain simulation, or,
    /// where that fails, by one with sensitivities (nil when both fail). The optimiser
    /// accepted the point from a simulation with sensitivities, whose error test also
    /// controls the sensitivities and so takes other steps; the plain one can fail where it
    /// did not (13 of Crauste's 104 end points in a 180-s fit, CV_TOO_MUCH_WORK in an
    /// early-effector burst), and such a start has not failed.
    public func evaluateEndPoint(theta: [Double]) -> (evaluation: PEtabEvaluation, withSensitivities: Bool)? {
        if let plain = try? evaluate(theta: theta, gradient: false) { return (plain, false) }
        guard providesGradient, let sensitive = try? evaluate(theta: theta, gradient: true) else { return nil }
        return (sensitive, true)
    }
}

/// The trial points that the workers of a fit report, in arrival order.
final class TraceRecorder: Sendable {
    let steps = Mutex<[(start: Int, step: TrialStep)]>([])
}

extension Duration {
    /// The duration in seconds.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
