public import KinapseUtilities
#if canImport(Glibc)
import Glibc
#endif

/// Settings of a restarted CMA-ES with a local run after each of its runs.
public struct CMAESOptions: Sendable, Hashable {
    /// Offspring per generation of the first run; nil: 4 + ⌊3 ln n⌋ (Hansen 2016, Table 1).
    public var populationSize: Int?
    /// Each restart multiplies the population by this (IPOP-CMA-ES: 2, Auger & Hansen 2005).
    public var populationGrowth = 2
    /// Initial step size as a fraction of each parameter's box width: Hansen's tutorial
    /// suggests σ₀ = 0.3 (b − a) when the optimum may lie anywhere in [a, b] (Hansen 2016, Appendix B).
    public var initialStepFraction = 0.3
    /// A run ends when its best values of the last 10 + ⌈30n/λ⌉ generations and the values of
    /// its last generation all lie within this (objective units; Hansen's TolFun). Hansen's
    /// default of 10⁻¹² serves CMA-ES alone; here a local run polishes each run's best point,
    /// so the global phase stops once it no longer moves by a hundredth of a likelihood unit.
    public var functionTolerance = 1e-2
    /// A run ends when σ times every coordinate's standard deviation, and σ times the evolution
    /// path, fall below this fraction of the box (Hansen's TolX: 10⁻¹² σ₀ there; far looser
    /// here for the same reason as `functionTolerance`).
    public var stepTolerance = 1e-6
    /// The search ends after this many local runs (or when cancelled).
    public var localSearches = 20
    /// Seed of the samples; the same seed gives the same search until a budget cuts it.
    public var seed: UInt64 = 1
    /// The local method, as in a multi-start.
    public var optimizer = LevenbergMarquardtOptions()
    /// How each local run respects the bounds (by its index); nil: as `optimizer.bounds` says.
    public var startBounds: StartBounds?
    /// Initial means of the first runs (scaled coordinates), before random ones.
    public var additionalStarts: [[Double]] = []

    public init() {}

    /// Hansen's default population for n parameters, 4 + ⌊3 ln n⌋.
    public static func defaultPopulationSize(parameters n: Int) -> Int { 4 + Int((3 * log(Double(max(n, 1)))).rounded(.down)) }
}

/// Why one CMA-ES run ended (Hansen 2016, Appendix B.3, and the search's own limits).
public enum CMAESStop: String, Sendable, Hashable, Codable {
    case functionTolerance = "function tolerance"
    case stepTolerance = "step tolerance"
    /// The covariance matrix's condition number exceeded 10¹⁴.
    case conditioning
    /// A step of 0.1 σ along a principal axis, or of 0.2 σ in a coordinate, no longer changes the mean.
    case noEffect = "no effect"
    /// The median of the last 20 % of the best values is no better than the median of the first 20 %.
    case stagnation
    case maxGenerations = "generation limit"
    /// No sample of a whole generation could be evaluated.
    case noFiniteValue = "no finite value"
    case cancelled
}

/// What the global phase of a CMA-ES search did, beside its local runs.
public struct CMAESReport: Sendable, Hashable, Codable, GlobalPhaseReport {
    public struct Run: Sendable, Hashable, Codable {
        public var populationSize: Int
        public var generations = 0
        public var evaluations = 0
        /// The lowest objective the run evaluated (before its local run).
        public var bestObjective = Double.infinity
        public var stop = CMAESStop.cancelled
    }
    public var runs: [Run] = []
    /// Objective evaluations without gradient, over all runs.
    public var evaluations = 0
    /// Of which could not be evaluated (the model failed there): those points rank last.
    public var failedEvaluations = 0
    /// CPU seconds of the global phase alone (the local runs carry their own).
    public var cpuTime = 0.0
    /// The lowest objective the search evaluated (CMA-ES runs and local runs).
    public var bestObjective = Double.infinity
}

/// The covariance matrix adaptation evolution strategy (CMA-ES: Hansen & Ostermeier 2001,
/// Evol Comput 9:159; the (μ/μ_w, λ) form with rank-one and rank-μ updates and cumulative
/// step-size adaptation of Hansen 2016, "The CMA evolution strategy: a tutorial",
/// arXiv:1604.00772, Table 1 and Algorithm), restarted with a doubled population each time a
/// run stops (IPOP-CMA-ES, Auger & Hansen 2005, IEEE CEC 2005), with a Levenberg–Marquardt
/// run from each run's best point. CMA-ES is among the global methods benchmarked on the PEtab
/// problems by Grein et al., where it reached Borghans' and Fujita's best values only after
/// hours of CPU (Benchmarks/RESULTS.md).
///
/// The search works in the box scaled to the unit cube, so one σ serves parameters of any width;
/// a sample outside the box is evaluated at its mirror image inside it (reflection at the
/// bounds, a periodic map, so the distribution itself needs no repair). Each run starts from a
/// uniform random mean with σ₀ = 0.3. Evaluations are plain simulations without gradient; a point
/// that cannot be evaluated ranks last.
///
/// One thread, one problem instance: the same seed gives the same search until a budget cuts
/// it. The local runs are the result's starts, in the order they ran.
public enum CMAES {
    public static func run(space: ParameterSpace, options: CMAESOptions = CMAESOptions(), cancellation: CancellationFlag? = nil,
                           makeProblem: @escaping @Sendable () throws -> any LeastSquaresProblem,
                           progress: (@Sendable (MultiStartProgress) -> Void)? = nil, trace: (@Sendable (_ start: Int, TrialStep) -> Void)? = nil)
        throws -> (result: MultiStartResult, report: CMAESReport) {
        MultiStart.checkAdditionalStarts(options.additionalStarts, space: space)
        loadLAPACKBeforeStartingThreads()
        var search = RestartedSearch(space: space, options: options, problem: try makeProblem(), cancellation: cancellation,
                                     progress: progress, trace: trace)
        search.run()
        return (MultiStartResult(space: space, starts: search.local.runs, plannedStarts: search.local.count), search.report)
    }
}

/// The restarts and local runs of one CMA-ES search.
private struct RestartedSearch {
    let lower: [Double], upper: [Double]
    let options: CMAESOptions
    let cancellation: CancellationFlag?
    var rng: SeededGenerator
    var report = CMAESReport()
    var objective: GlobalPhaseObjective
    var local: LocalRuns

    init(space: ParameterSpace, options: CMAESOptions, problem: any LeastSquaresProblem, cancellation: CancellationFlag?,
         progress: (@Sendable (MultiStartProgress) -> Void)?, trace: (@Sendable (Int, TrialStep) -> Void)?) {
        lower = space.scaledLower
        upper = space.scaledUpper
        self.options = options
        objective = GlobalPhaseObjective(problem)
        self.cancellation = cancellation
        local = LocalRuns(optimizer: options.optimizer, startBounds: options.startBounds, cancellation: cancellation, progress: progress, trace: trace)
        rng = SeededGenerator(seed: options.seed ^ 0xC3A3_5E5E_0DD5_0002)
    }

    var isCancelled: Bool { cancellation?.isCancelled ?? false }

    /// The point of the box a unit-cube coordinate stands for, mirrored into [0, 1] first.
    func point(_ u: [Double]) -> [Double] {
        u.indices.map { k in
            var v = u[k].truncatingRemainder(dividingBy: 2)
            if v < 0 { v += 2 }
            if v > 1 { v = 2 - v }
            return lower[k] + v * (upper[k] - lower[k])
        }
    }

    mutating func run() {
        let began = threadCPUSeconds()
        defer { report.finish(began: began, objective: objective, local: &local, cancelled: isCancelled) }
        let n = lower.count
        var lambda = max(2, options.populationSize ?? CMAESOptions.defaultPopulationSize(parameters: n))
        while !isCancelled && local.count < options.localSearches {
            let k = report.runs.count
            let mean: [Double]
            if k < options.additionalStarts.count {
                mean = options.additionalStarts[k].indices.map { i in
                    (min(max(options.additionalStarts[k][i], lower[i]), upper[i]) - lower[i]) / (upper[i] - lower[i])
                }
            } else {
                mean = (0..<n).map { _ in rng.nextUniform() }
            }
            var strategy = Strategy(dimension: n, populationSize: lambda, mean: mean, sigma: options.initialStepFraction)
            var summary = CMAESReport.Run(populationSize: lambda)
            let runBest = evolve(&strategy, summary: &summary)
            report.runs.append(summary)
            guard runBest.f.isFinite, !isCancelled else { break }
            let run = local.run(objective.problem, from: runBest.x, lower: lower, upper: upper)
            if !run.status.isFailed { objective.record(run.theta, run.objective) }
            lambda *= max(1, options.populationGrowth)
        }
    }

    /// Generations of one run until a stopping rule holds; its best point.
    mutating func evolve(_ s: inout Strategy, summary: inout CMAESReport.Run) -> (x: [Double], f: Double) {
        let n = s.n, lambda = s.lambda
        let historyLength = 10 + Int((30 * Double(n) / Double(lambda)).rounded(.up))
        // Assumption: a cap that grows as pycma's iteration limit does, (n + 3)²/√λ, with a
        // constant that leaves a 180-s budget room for the local runs.
        let maxGenerations = 100 + Int(50 * Double((n + 3) * (n + 3)) / Double(lambda).squareRoot())
        var bestOfRun: (x: [Double], f: Double) = ([], .infinity)
        var recentBest: [Double] = []
        var bestHistory: [Double] = [], medianHistory: [Double] = []
        while true {
            if isCancelled { summary.stop = .cancelled; break }
            if summary.generations >= maxGenerations { summary.stop = .maxGenerations; break }
            s.updateEigensystemIfDue()
            var samples: [(y: [Double], f: Double)] = []
            samples.reserveCapacity(lambda)
            for _ in 0..<lambda {
                if isCancelled { break }
                let z = (0..<n).map { _ in rng.nextNormal() }
                let y = s.transform(z)
                let x = point((0..<n).map { s.mean[$0] + s.sigma * y[$0] })
                let f = objective(x)
                summary.evaluations += 1
                if f < bestOfRun.f { bestOfRun = (x, f) }
                samples.append((y, f))
            }
            if samples.count < lambda { summary.stop = .cancelled; break }
            samples.sort { $0.f < $1.f }
            summary.generations += 1
            guard samples[0].f.isFinite else { summary.stop = .noFiniteValue; break }
            s.update(sortedSteps: samples.map(\.y))
            recentBest.append(samples[0].f)
            if recentBest.count > historyLength { recentBest.removeFirst() }
            bestHistory.append(samples[0].f)
            medianHistory.append(median(samples.map(\.f)))
            if bestHistory.count > 20_000 { bestHistory.removeFirst(); medianHistory.removeFirst() }
            if let stop = stopCondition(s, recent: recentBest, generation: samples.map(\.f), best: bestHistory, median: medianHistory,
                                        historyLength: historyLength) {
                summary.stop = stop
                break
            }
        }
        summary.bestObjective = bestOfRun.f
        return bestOfRun
    }

    /// Hansen 2016, Appendix B.3: TolFun, TolX, ConditionCov, NoEffectAxis/NoEffectCoord, Stagnation.
    func stopCondition(_ s: Strategy, recent: [Double], generation: [Double], best: [Double], median medians: [Double],
                       historyLength: Int) -> CMAESStop? {
        if recent.count >= historyLength, let lo = (recent + generation).min(), let hi = (recent + generation).max(),
           hi.isFinite, hi - lo < options.functionTolerance {
            return .functionTolerance
        }
        let n = s.n
        if (0..<n).allSatisfy({ s.sigma * s.c[$0, $0].squareRoot() < options.stepTolerance && s.sigma * abs(s.pc[$0]) < options.stepTolerance }) {
            return .stepTolerance
        }
        if let lo = s.eigenvalues.first, let hi = s.eigenvalues.last, lo <= 0 || hi / lo > 1e14 { return .conditioning }
        let axis = s.generation % n
        let along = s.eigenvectors.column(axis).map { 0.1 * s.sigma * s.eigenvalues[axis].squareRoot() * $0 }
        if (0..<n).allSatisfy({ s.mean[$0] + along[$0] == s.mean[$0] }) { return .noEffect }
        if (0..<n).contains(where: { s.mean[$0] + 0.2 * s.sigma * s.c[$0, $0].squareRoot() == s.mean[$0] }) { return .noEffect }
        // Stagnation: over the last 20 % of the generations (at least 120 + 30n/λ, at most
        // 20 000), the median of the most recent 30 % of the best and of the median values
        // is no better than the median of the first 30 %.
        let minimum = 120 + Int((30 * Double(n) / Double(s.lambda)).rounded(.up))
        let window = min(max(s.generation / 5, minimum), 20_000)
        if best.count >= window {
            let third = max(1, Int(0.3 * Double(window)))
            let stalled = [best, medians].allSatisfy { history in
                let last = history.suffix(window)
                return median(Array(last.suffix(third))) >= median(Array(last.prefix(third)))
            }
            if stalled { return .stagnation }
        }
        return nil
    }

    func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

/// The state of one (μ/μ_w, λ)-CMA-ES run in unit-cube coordinates, with Hansen 2016's default
/// constants (Table 1; positive recombination weights only).
private struct Strategy {
    let n: Int, lambda: Int, mu: Int
    let weights: [Double]
    let muEff: Double, cSigma: Double, dSigma: Double, cc: Double, c1: Double, cMu: Double
    /// E‖N(0, I)‖ ≈ √n (1 − 1/(4n) + 1/(21n²)).
    let chiN: Double
    var mean: [Double]
    var sigma: Double
    var c: Matrix
    var pc: [Double]
    var pSigma: [Double]
    /// C = B diag(eigenvalues) Bᵀ, recomputed every few generations (Hansen's lazy update).
    var eigenvectors: Matrix
    var eigenvalues: [Double]
    var generation = 0
    var eigenGeneration = 0

    init(dimension n: Int, populationSize lambda: Int, mean: [Double], sigma: Double) {
        self.n = n
        self.lambda = lambda
        mu = lambda / 2
        let raw = (1...mu).map { log(Double(lambda + 1) / 2) - log(Double($0)) }
        let total = raw.reduce(0, +)
        weights = raw.map { $0 / total }
        muEff = 1 / weights.reduce(0) { $0 + $1 * $1 }
        let dn = Double(n)
        cSigma = (muEff + 2) / (dn + muEff + 5)
        dSigma = 1 + 2 * max(0, ((muEff - 1) / (dn + 1)).squareRoot() - 1) + cSigma
        cc = (4 + muEff / dn) / (dn + 4 + 2 * muEff / dn)
        c1 = 2 / ((dn + 1.3) * (dn + 1.3) + muEff)
        cMu = min(1 - c1, 2 * (muEff - 2 + 1 / muEff) / ((dn + 2) * (dn + 2) + muEff))
        chiN = dn.squareRoot() * (1 - 1 / (4 * dn) + 1 / (21 * dn * dn))
        self.mean = mean
        self.sigma = sigma
        c = Matrix.identity(n)
        pc = Array(repeating: 0, count: n)
        pSigma = Array(repeating: 0, count: n)
        eigenvectors = Matrix.identity(n)
        eigenvalues = Array(repeating: 1, count: n)
    }

    /// B D z: a sample of N(0, C) from a standard normal z.
    func transform(_ z: [Double]) -> [Double] {
        let scaled = z.indices.map { z[$0] * max(eigenvalues[$0], 0).squareRoot() }
        return eigenvectors.multiplied(by: scaled)
    }

    /// C^(−1/2) y = B D⁻¹ Bᵀ y.
    func whiten(_ y: [Double]) -> [Double] {
        let projected = eigenvectors.transposeMultiplied(by: y)
        return eigenvectors.multiplied(by: projected.indices.map { projected[$0] / max(eigenvalues[$0], 1e-300).squareRoot() })
    }

    /// Eigendecomposition when more than 1/(10 n (c₁ + c_μ)) generations have passed since the
    /// last (λ/(10 n (c₁ + c_μ)) evaluations, as Hansen's reference code does it): C changes
    /// little in fewer, and the decomposition costs O(n³).
    mutating func updateEigensystemIfDue() {
        guard Double(generation - eigenGeneration) > 1 / ((c1 + cMu) * Double(n) * 10) || generation == 0 else { return }
        eigenGeneration = generation
        var symmetric = c
        for i in 0..<n { for j in 0..<i { symmetric[j, i] = symmetric[i, j] } }
        guard let e = try? SymmetricEigendecomposition(of: symmetric) else { return }
        eigenvectors = e.vectors
        eigenvalues = e.eigenvalues
    }

    /// Mean, evolution paths, covariance and step size from the generation's steps y (sorted best first).
    mutating func update(sortedSteps y: [[Double]]) {
        generation += 1
        var yw = Array(repeating: 0.0, count: n)
        for i in 0..<mu { for k in 0..<n { yw[k] += weights[i] * y[i][k] } }
        for k in 0..<n { mean[k] += sigma * yw[k] }
        let white = whiten(yw)
        let sigmaGain = (cSigma * (2 - cSigma) * muEff).squareRoot()
        for k in 0..<n { pSigma[k] = (1 - cSigma) * pSigma[k] + sigmaGain * white[k] }
        let pSigmaNorm = pSigma.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let hSigma = pSigmaNorm / (1 - pow(1 - cSigma, Double(2 * generation))).squareRoot() < (1.4 + 2 / Double(n + 1)) * chiN
        let cGain = (cc * (2 - cc) * muEff).squareRoot()
        for k in 0..<n { pc[k] = (1 - cc) * pc[k] + (hSigma ? cGain * yw[k] : 0) }
        let decay = 1 - c1 - cMu + (hSigma ? 0 : c1 * cc * (2 - cc))
        for i in 0..<n {
            for j in 0...i {
                var rankMu = 0.0
                for s in 0..<mu { rankMu += weights[s] * y[s][i] * y[s][j] }
                let value = decay * c[i, j] + c1 * pc[i] * pc[j] + cMu * rankMu
                c[i, j] = value
                c[j, i] = value
            }
        }
        sigma *= exp((cSigma / dSigma) * (pSigmaNorm / chiN - 1))
    }
}
