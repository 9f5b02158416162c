import Synchronization
public import KinapseUtilities
#if canImport(Glibc)
import Glibc
#endif

/// Settings of a multi-start fit.
public struct MultiStartOptions: Sendable, Hashable {
    /// Number of Latin hypercube starts.
    public var starts = 50
    /// Seed of the Latin hypercube; the same seed gives the same starts and results.
    public var seed: UInt64 = 1
    /// Parallel workers (each with its own problem instance). Does not change any result.
    public var jobs = MultiStartOptions.availableCores
    /// Starts placed before the sampled ones (scaled coordinates), e.g. the model's
    /// nominal values; they get indices 0, 1, … and are moved into the box.
    public var additionalStarts: [[Double]] = []
    /// How often a start point whose model cannot be evaluated is replaced by a new uniform
    /// draw from the box before the start counts as failed (0: never).
    public var redraws = 0
    /// Also redraw (within `redraws`) a sampled start from which the local method took no step
    /// and declared convergence: a plateau where the model's outputs do not respond to the
    /// parameters, whose gradient is below the optimiser's tolerance (`LeastSquaresResult.tookNoStep`).
    /// Given starts (`additionalStarts`) are never redrawn: one may be an optimum.
    public var redrawsFlatStarts = false
    public var optimizer = LevenbergMarquardtOptions()
    /// How each start respects the bounds; nil: as `optimizer.bounds` says.
    public var startBounds: StartBounds?

    public init() {}

    /// The start points in the box [lower, upper] (scaled coordinates): the given starts,
    /// moved into the box, then the Latin hypercube's.
    public func startPoints(lower: [Double], upper: [Double]) -> [[Double]] {
        additionalStarts.map { zip($0, zip(lower, upper)).map { min(max($0, $1.0), $1.1) } }
            + LatinHypercube.sample(count: starts, lower: lower, upper: upper, seed: seed)
    }

    /// The stream of replacement points of start `index`: each start has its own, so a redraw
    /// never depends on which worker runs the start.
    public func replacements(forStart index: Int) -> SeededGenerator {
        SeededGenerator(seed: seed ^ (0xD1B5_4A32_D192_ED03 &* UInt64(index + 1)))
    }

    /// Online processors.
    public static var availableCores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}

/// How the starts of a multi-start respect the bounds: all alike, or a portfolio.
public enum StartBounds: String, Sendable, Hashable, CaseIterable, Codable {
    case activeSet = "active-set"
    case reflective
    /// Starts with an even index (the first, a given start point) by the active set, odd ones
    /// by Coleman & Li's reflective rule. Neither wins everywhere on the PEtab benchmark
    /// problems (Benchmarks/RESULTS.md): the active set reaches Boehm's optimum where the
    /// reflective rule sent 7 of 10 starts to a local one, the reflective rule reaches
    /// Raia's from 3 of 15 starts where 14 active-set starts did not. Alternating costs a
    /// problem that one rule suits half its starts of that rule, and never all of them.
    case alternating

    /// The rule of the start with this index.
    public func treatment(ofStart index: Int) -> BoundTreatment {
        switch self {
        case .activeSet: .activeSet
        case .reflective: .reflective
        case .alternating: index % 2 == 0 ? .activeSet : .reflective
        }
    }
}

/// One start of a multi-start fit.
/// Portable, so that the starts of a fit can run on several MPI ranks (`ParallelTasks`).
public struct StartResult: Sendable, Codable, PortableResult {
    /// Position in the list of starts (additional starts first, then the sample).
    public var index: Int
    /// Start point, scaled coordinates: the last one drawn when earlier ones were redrawn.
    public var start: [Double]
    /// Points drawn for this start before `start` that could not be evaluated, or were flat.
    public var redraws: Int
    /// Of `redraws`, the points from which the local method took no step (`MultiStartOptions.redrawsFlatStarts`).
    public var flatRedraws = 0
    /// The optimiser's outcome: final point, objective, iterations, evaluations, status.
    public var run: LeastSquaresResult
    /// Wall time of this start. With `cpuTime`, the only fields that differ between otherwise identical fits.
    public var wallTime: Duration
    /// CPU seconds of the worker thread that ran this start, redrawn points included: its
    /// share of a CPU budget (`--time-budget`), whatever else the machine runs.
    public var cpuTime: Double

    public var theta: [Double] { run.theta }
    public var objective: Double { run.objective }
    public var status: RunStatus { run.status }
}

/// Reported after each finished start (from a worker thread, one report at a time).
public struct MultiStartProgress: Sendable {
    public var completed: Int
    public var total: Int
    public var failed: Int
    /// Lowest objective so far (+∞ while every finished start failed).
    public var bestObjective: Double
}

/// All starts of a multi-start fit, ordered by start index.
public struct MultiStartResult: Sendable {
    public var space: ParameterSpace
    /// The starts that ran (all of them unless the fit was interrupted), by index.
    public var starts: [StartResult]
    /// Starts asked for; more than `starts.count` when the fit was interrupted.
    public var plannedStarts: Int

    public init(space: ParameterSpace, starts: [StartResult], plannedStarts: Int? = nil) {
        self.space = space
        self.starts = starts
        self.plannedStarts = plannedStarts ?? starts.count
    }

    /// Whether a `CancellationFlag` cut the fit short: starts never begun, or begun and
    /// stopped early (status `.interrupted`, at their best point so far).
    public var isInterrupted: Bool {
        starts.count < plannedStarts || starts.contains { $0.status == .interrupted }
    }

    /// The start with the lowest objective among those that did not fail (ties: lowest index).
    public var best: StartResult? {
        var best: StartResult?
        for s in starts where !s.status.isFailed && s.objective.isFinite {
            if best == nil || s.objective < best!.objective { best = s }
        }
        return best
    }

    /// Starts by increasing final objective (ties by index), failed starts last: the order
    /// of a waterfall plot.
    public var waterfall: [StartResult] {
        starts.sorted { a, b in
            let fa = a.status.isFailed ? Double.infinity : a.objective
            let fb = b.status.isFailed ? Double.infinity : b.objective
            return fa != fb ? fa < fb : a.index < b.index
        }
    }

    public var failedStarts: [StartResult] { starts.filter { $0.status.isFailed } }

    /// Start points replaced because the model could not be evaluated there, or was flat.
    public var redrawnPoints: Int { starts.reduce(0) { $0 + $1.redraws } }

    /// Fraction of all starts (failed ones included) whose objective is within
    /// `relativeTolerance · |best| + absoluteTolerance` of the best (Hass et al. 2019 judge
    /// a fit by how often the best value is reached).
    public func fractionReachingBest(relativeTolerance: Double = 1e-3, absoluteTolerance: Double = 0) -> Double {
        guard let best, !starts.isEmpty else { return 0 }
        let limit = best.objective + relativeTolerance * abs(best.objective) + absoluteTolerance
        let hits = starts.filter { !$0.status.isFailed && $0.objective <= limit }.count
        return Double(hits) / Double(starts.count)
    }
}

/// Multi-start bounded Levenberg–Marquardt from a seeded Latin hypercube over the scaled box.
///
/// Starts run in parallel on `jobs` workers. Reproducibility does not depend on `jobs`:
/// start k always begins at the same point and runs the same deterministic computation on
/// a fresh-or-reused problem instance whose `evaluate` is a pure function of θ; results are
/// stored by index, with no reduction whose order depends on scheduling.
public enum MultiStart {
    /// Runs the fit. `makeProblem` is called once per worker (problem instances are not
    /// shared between threads); an error from it ends the fit.
    ///
    /// When `cancellation` is raised, no further start begins and running starts end at
    /// their best point so far; the result holds the starts that ran. `trace` receives every
    /// trial point of every start with the start's index (from the worker threads).
    public static func run(
        space: ParameterSpace,
        options: MultiStartOptions = MultiStartOptions(),
        cancellation: CancellationFlag? = nil,
        makeProblem: @escaping @Sendable () throws -> any LeastSquaresProblem,
        progress: (@Sendable (MultiStartProgress) -> Void)? = nil,
        trace: (@Sendable (_ start: Int, TrialStep) -> Void)? = nil
    ) throws -> MultiStartResult {
        let lower = space.scaledLower, upper = space.scaledUpper
        checkAdditionalStarts(options.additionalStarts, space: space)
        let points = options.startPoints(lower: lower, upper: upper)
        let optimizer = LevenbergMarquardt(options: options.optimizer, cancellation: cancellation)
        let results = try ParallelWork.mapUntilCancelled(count: points.count, jobs: options.jobs, cancellation: cancellation,
                                                         makeWorker: makeProblem,
                                                         onDone: progressReporter(total: points.count, progress)) { problem, k in
            let clock = ContinuousClock()
            let began = clock.now, cpuBegan = threadCPUSeconds()
            var point = points[k], redraws = 0
            var optimizer = optimizer
            if let startBounds = options.startBounds { optimizer.options.bounds = startBounds.treatment(ofStart: k) }
            if let trace { optimizer.trace = { trace(k, $0) } }
            var run = optimizer.minimize(problem, from: point, lower: lower, upper: upper)
            var replacements = options.replacements(forStart: k)
            let sampled = k >= options.additionalStarts.count
            var flatRedraws = 0
            while redraws < options.redraws && !(cancellation?.isCancelled ?? false) {
                let flat = options.redrawsFlatStarts && sampled && run.tookNoStep
                guard run.failedAtStart || flat else { break }
                if flat { flatRedraws += 1 }
                point = replacements.nextUniformPoint(lower: lower, upper: upper)
                redraws += 1
                run = optimizer.minimize(problem, from: point, lower: lower, upper: upper)
            }
            var result = StartResult(index: k, start: point, redraws: redraws, run: run, wallTime: clock.now - began,
                                     cpuTime: threadCPUSeconds() - cpuBegan)
            result.flatRedraws = flatRedraws
            return result
        }
        return MultiStartResult(space: space, starts: results.compactMap { $0 }, plannedStarts: points.count)
    }

    static func checkAdditionalStarts(_ starts: [[Double]], space: ParameterSpace) {
        for extra in starts {
            precondition(extra.count == space.count, "an additional start has \(extra.count) values, expected \(space.count)")
        }
    }

    private static func progressReporter(total: Int, _ progress: (@Sendable (MultiStartProgress) -> Void)?)
        -> (@Sendable (StartResult, inout ProgressTally) -> Void)? {
        guard let progress else { return nil }
        return { start, tally in
            tally.completed += 1
            if start.status.isFailed { tally.failed += 1 } else { tally.best = min(tally.best, start.objective) }
            progress(MultiStartProgress(completed: tally.completed, total: total, failed: tally.failed,
                                        bestObjective: tally.best))
        }
    }
}

extension LeastSquaresResult {
    /// Whether the run declared convergence at its start point without an accepted step: from
    /// a sampled point, a plateau (gradient below tolerance, or no step that gains), not an optimum.
    public var tookNoStep: Bool { status.isConverged && iterations == 0 }
}

struct ProgressTally: Sendable {
    var completed = 0
    var failed = 0
    var best = Double.infinity
}

/// The optimiser's use of `ParallelTasks`: LAPACK loaded before the workers start,
/// cancellation by flag, and a progress tally that `onDone` updates as results arrive.
enum ParallelWork {
    /// Once `cancellation` is raised no further task begins: their places stay nil.
    static func mapUntilCancelled<Context, Output: Sendable>(
        count: Int, jobs: Int, cancellation: CancellationFlag?,
        makeWorker: @Sendable () throws -> Context,
        onDone: (@Sendable (Output, inout ProgressTally) -> Void)?,
        _ task: @Sendable (Context, Int) -> Output
    ) throws -> [Output?] {
        loadLAPACKBeforeStartingThreads()
        let tally = Tally()
        var isCancelled: (@Sendable () -> Bool)?
        if let cancellation { isCancelled = { cancellation.isCancelled } }
        var arrived: (@Sendable (Output) -> Void)?
        if let onDone { arrived = { output in tally.state.withLock { onDone(output, &$0) } } }
        return try ParallelTasks.run(count: count, jobs: jobs, isCancelled: isCancelled, makeState: makeWorker,
                                     onDone: arrived) { (context: inout Context, k: Int) -> Output in task(context, k) }
    }

    private final class Tally: Sendable {
        let state = Mutex(ProgressTally())
    }
}
