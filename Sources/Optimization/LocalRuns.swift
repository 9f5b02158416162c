public import KinapseUtilities

/// The local runs of a global search (scatter search, CMA-ES): Levenberg–Marquardt from the
/// points the global phase picks, recorded as the fit's starts in the order they ran.
struct LocalRuns {
    let optimizer: LevenbergMarquardtOptions
    let startBounds: StartBounds?
    let cancellation: CancellationFlag?
    let progress: (@Sendable (MultiStartProgress) -> Void)?
    let trace: (@Sendable (Int, TrialStep) -> Void)?
    private(set) var runs: [StartResult] = []
    /// CPU seconds of the local runs, which the global phase's own CPU time leaves out.
    private(set) var cpuTime = 0.0

    init(optimizer: LevenbergMarquardtOptions, startBounds: StartBounds?, cancellation: CancellationFlag?,
         progress: (@Sendable (MultiStartProgress) -> Void)?, trace: (@Sendable (Int, TrialStep) -> Void)?) {
        self.optimizer = optimizer
        self.startBounds = startBounds
        self.cancellation = cancellation
        self.progress = progress
        self.trace = trace
    }

    var count: Int { runs.count }
    var isEmpty: Bool { runs.isEmpty }

    /// One local run from `start`, recorded and reported.
    mutating func run(_ problem: any LeastSquaresProblem, from start: [Double], lower: [Double], upper: [Double]) -> LeastSquaresResult {
        let index = runs.count
        var local = LevenbergMarquardt(options: optimizer, cancellation: cancellation)
        if let startBounds { local.options.bounds = startBounds.treatment(ofStart: index) }
        if let trace { local.trace = { trace(index, $0) } }
        let clock = ContinuousClock(), began = clock.now, cpuBegan = threadCPUSeconds()
        let run = local.minimize(problem, from: start, lower: lower, upper: upper)
        let cpu = threadCPUSeconds() - cpuBegan
        cpuTime += cpu
        runs.append(StartResult(index: index, start: start, redraws: 0, run: run, wallTime: clock.now - began, cpuTime: cpu))
        if let progress {
            let finished = runs.filter { !$0.status.isFailed }
            progress(MultiStartProgress(completed: runs.count, total: runs.count, failed: runs.count - finished.count,
                                        bestObjective: finished.map(\.objective).min() ?? .infinity))
        }
        return run
    }

    /// The best point the global phase evaluated, as a last row, when it beats every local
    /// run's end (or none ran): where the search stood when it ended, a point no local run
    /// started from.
    mutating func appendGlobalBest(_ best: (x: [Double], f: Double), cancelled: Bool) {
        guard best.f.isFinite else { return }
        let localBest = runs.filter { !$0.status.isFailed }.map(\.objective).min() ?? .infinity
        guard best.f < localBest else { return }
        let run = LeastSquaresResult(theta: best.x, objective: best.f, residuals: [], jacobian: nil, jacobianSource: nil, gradient: [],
                                     iterations: 0, evaluations: 0, jacobianEvaluations: 0, failedEvaluations: 0,
                                     status: cancelled ? .interrupted : .maxEvaluations)
        runs.append(StartResult(index: runs.count, start: best.x, redraws: 0, run: run, wallTime: .zero, cpuTime: 0))
    }
}

/// The global phase's objective evaluations, without gradient: counted, the best point kept,
/// and +∞ where the model cannot be evaluated (so such points rank last).
struct GlobalPhaseObjective {
    let problem: any LeastSquaresProblem
    private(set) var evaluations = 0
    private(set) var failedEvaluations = 0
    /// The best point evaluated so far, or improved by a local run (`record`).
    private(set) var best: (x: [Double], f: Double) = ([], .infinity)

    init(_ problem: any LeastSquaresProblem) { self.problem = problem }

    /// ½‖r‖² (plus the problem's offset) at x.
    mutating func callAsFunction(_ x: [Double]) -> Double {
        evaluations += 1
        guard let e = try? problem.evaluate(at: x, jacobian: false), e.residuals.allSatisfy(\.isFinite), e.objective.isFinite else {
            failedEvaluations += 1
            return .infinity
        }
        record(x, e.objective)
        return e.objective
    }

    /// A point found otherwise (a local run's end).
    mutating func record(_ x: [Double], _ f: Double) {
        if f < best.f { best = (x, f) }
    }
}

/// What a global search's report counts of its global phase (`ScatterSearchReport`, `CMAESReport`).
protocol GlobalPhaseReport {
    var evaluations: Int { get set }
    var failedEvaluations: Int { get set }
    var cpuTime: Double { get set }
    var bestObjective: Double { get set }
}

extension GlobalPhaseReport {
    /// The end of a global search begun at `began` (thread CPU seconds): the best point it
    /// evaluated kept as a last row when no local run beat it, and the phase's counts and CPU
    /// (the local runs' own CPU left out) written into the report.
    mutating func finish(began: Double, objective: GlobalPhaseObjective, local: inout LocalRuns, cancelled: Bool) {
        local.appendGlobalBest(objective.best, cancelled: cancelled)
        cpuTime = threadCPUSeconds() - began - local.cpuTime
        bestObjective = objective.best.f
        evaluations = objective.evaluations
        failedEvaluations = objective.failedEvaluations
    }
}
