public import KinapseUtilities
/// Settings of the profile-likelihood analysis.
public struct ProfileOptions: Sendable, Hashable {
    /// Rise of the objective (an NLL) above the optimum that bounds the confidence region:
    /// χ²₁(0.95)/2 = 1.9207 for pointwise 95 % intervals (Raue et al. 2009).
    public var threshold = chiSquaredOneDegree95 / 2
    /// Most profile points per side (refinement points not counted).
    public var maxStepsPerSide = 60
    /// Step bounds as fractions of the parameter's scaled box width.
    public var minStepFraction = 1e-4
    public var maxStepFraction = 0.1
    /// Profile points aimed at between the optimum and the threshold on each side. Steps
    /// are chosen so that the signed root z = √(2·rise) grows by √(2·threshold)/this per
    /// step, with the slope dz/dθᵢ taken from the last two points (from the Wald σ at the
    /// start); a step at most doubles the previous one.
    public var pointsToThreshold = 6.0
    /// Regula-falsi refinements of each threshold crossing (each one re-optimisation).
    public var maxRefinements = 5
    /// A crossing is accepted when |rise − threshold| ≤ this (NLL units); 1e-4 places it
    /// within ~5e-5 σ of the exact crossing.
    public var crossingTolerance = 1e-4
    /// Singular-value tolerance of the Fisher analysis (see `FisherInformation`).
    public var singularValueTolerance = 1e-6
    /// Parallel workers (profiles of different parameters run in parallel); results do not
    /// depend on it.
    public var jobs = MultiStartOptions.availableCores
    /// The optimiser re-fitting the other parameters at each profile point. Its objective
    /// tolerance is 1e-8 relative (the fit's default is 1e-10): for an NLL of order 10²–10³
    /// that leaves errors ≲ 1e-5 in a profile value, far below the 1.92 threshold, and
    /// saves the last iterations of every point.
    public var optimizer: LevenbergMarquardtOptions = {
        var o = LevenbergMarquardtOptions()
        o.objectiveTolerance = 1e-8
        return o
    }()

    public init() {}
}

/// One point of a profile: parameter i held at `value`, the others re-optimised.
public struct ProfilePoint: Sendable, Hashable, Codable {
    /// The profiled parameter's scaled value.
    public var value: Double
    /// Optimised objective with the parameter held there.
    public var objective: Double
    /// The full scaled parameter vector.
    public var theta: [Double]
    public var status: RunStatus
}

/// How one side of a profile ended.
public enum ProfileSideEnd: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The objective rose past the threshold; `at` is the interpolated crossing (scaled).
    case crossed(at: Double)
    /// The parameter reached its bound with the objective still below the threshold.
    case reachedBound
    /// `maxStepsPerSide` points without crossing.
    case stepLimit
    /// Re-optimisation failed even at the smallest step.
    case failed(reason: String)

    public var crossing: Double? { if case let .crossed(at) = self { at } else { nil } }

    public var description: String {
        switch self {
        case let .crossed(at): return "crosses the threshold at \(at)"
        case .reachedBound: return "reaches the bound below the threshold"
        case .stepLimit: return "step limit reached below the threshold"
        case let .failed(reason): return "failed: \(reason)"
        }
    }
}

/// Identifiability verdict for one parameter.
public enum Identifiability: String, Sendable, Hashable {
    case identifiable
    /// A side of the profile never crosses the threshold (Raue et al. 2009): the data bound
    /// the parameter at most on one side.
    case practicallyNonIdentifiable = "practically non-identifiable"
    /// J is singular along the parameter at the optimum: only a combination with other
    /// parameters is determined.
    case structurallyNonIdentifiable = "structurally non-identifiable"
}

/// The profile likelihood of one parameter.
/// Portable, so that the profiles of a fit can run on several MPI ranks (`ParallelTasks`).
public struct ParameterProfile: Sendable, Hashable, Codable, PortableResult {
    public var parameter: Int
    /// Points by increasing value, the optimum among them.
    public var points: [ProfilePoint]
    public var lowerEnd: ProfileSideEnd
    public var upperEnd: ProfileSideEnd
    /// The lowest objective met on the profile; below the optimum's when the fit had not
    /// found the best point (then the intervals refer to a wrong optimum: refit).
    public var lowestObjective: Double
    /// Re-optimisations run (points, refinements and rejected steps).
    public var optimisations: Int
}

/// The uncertainty of one estimated parameter.
public struct ParameterUncertainty: Sendable, Hashable {
    public var name: String
    /// Estimate, scaled coordinates and model units.
    public var estimate: Double
    public var estimateValue: Double
    /// Fisher standard error (scaled coordinates), +∞ when structurally non-identifiable.
    public var standardError: Double
    /// Wald 95 % interval, scaled coordinates (not clipped to the bounds).
    public var waldInterval: ClosedRange<Double>
    /// The same in model units.
    public var waldIntervalValues: ClosedRange<Double>
    /// Profile-likelihood 95 % bounds, scaled; nil on a side that never crosses.
    public var profileLower: Double?
    public var profileUpper: Double?
    /// The same in model units.
    public var profileLowerValue: Double?
    public var profileUpperValue: Double?
    public var identifiability: Identifiability
    public var profile: ParameterProfile
}

/// Fisher (Wald) and profile-likelihood uncertainty at an optimum.
public struct UncertaintyReport: Sendable {
    public var space: ParameterSpace
    /// Objective at the optimum.
    public var optimumObjective: Double
    public var fisher: FisherInformation
    public var parameters: [ParameterUncertainty]
}

/// Profile likelihoods (Raue et al. 2009) and Wald intervals.
///
/// For each parameter i, θᵢ is held on a grid stepping outwards from the optimum on both
/// sides; at each point the other parameters are re-optimised by bounded LM, warm-started
/// from the previous point. A side ends when the objective has risen by more than the
/// threshold (χ²₁(0.95)/2 for an NLL) or θᵢ reaches its bound. The crossing is found by
/// interpolating the signed root √(2·rise), which is linear in θᵢ for a linear model (so
/// profile and Wald intervals coincide there), and refined by secant steps, each a
/// re-optimisation. Profiles of different parameters run in parallel and deterministically.
public enum ProfileLikelihood {
    /// - Parameters:
    ///   - optimum: the best run of the fit (its Jacobian is used for the Fisher analysis).
    ///   - makeProblem: one problem per worker.
    ///   - progress: called with (profiles finished, total) after each parameter.
    public static func analyse(
        space: ParameterSpace,
        optimum: LeastSquaresResult,
        options: ProfileOptions = ProfileOptions(),
        cancellation: CancellationFlag? = nil,
        makeProblem: @escaping @Sendable () throws -> any LeastSquaresProblem,
        progress: (@Sendable (_ finished: Int, _ total: Int) -> Void)? = nil
    ) throws -> UncertaintyReport {
        guard let jacobian = optimum.jacobian else {
            throw EvaluationError.missingJacobian
        }
        let fisher = try FisherInformation(jacobian: jacobian, relativeTolerance: options.singularValueTolerance)
        let n = space.count
        var onDone: (@Sendable (ParameterProfile, inout ProgressTally) -> Void)?
        if let progress {
            onDone = { (_: ParameterProfile, tally: inout ProgressTally) in
                tally.completed += 1
                progress(tally.completed, n)
            }
        }
        let started = try ParallelWork.mapUntilCancelled(count: n, jobs: options.jobs, cancellation: cancellation,
                                                         makeWorker: makeProblem, onDone: onDone) {
            (problem: any LeastSquaresProblem, i: Int) -> ParameterProfile in
            var profiler = Profiler(problem: problem, space: space, optimum: optimum, parameter: i, options: options,
                                    standardError: fisher.standardErrors[i], cancellation: cancellation)
            return profiler.run()
        }
        // A profile cut short has no trustworthy crossing: report none rather than a wrong interval.
        if cancellation?.isCancelled ?? false { throw ProfileInterrupted(finished: started.compactMap { $0 }.count, total: n) }
        let profiles = started.map { $0! }
        let parameters = (0..<n).map { i -> ParameterUncertainty in
            let p = space.parameters[i]
            let estimate = optimum.theta[i]
            let wald = fisher.waldInterval(parameter: i, estimate: estimate)
            let profile = profiles[i]
            let lower = profile.lowerEnd.crossing, upper = profile.upperEnd.crossing
            let identifiability: Identifiability = fisher.structurallyNonIdentifiable[i] ? .structurallyNonIdentifiable
                : (lower == nil || upper == nil) ? .practicallyNonIdentifiable : .identifiable
            return ParameterUncertainty(
                name: p.name, estimate: estimate, estimateValue: p.unscaled(estimate),
                standardError: fisher.standardErrors[i], waldInterval: wald,
                waldIntervalValues: p.unscaled(wald.lowerBound)...p.unscaled(wald.upperBound),
                profileLower: lower, profileUpper: upper,
                profileLowerValue: lower.map(p.unscaled), profileUpperValue: upper.map(p.unscaled),
                identifiability: identifiability, profile: profile)
        }
        return UncertaintyReport(space: space, optimumObjective: optimum.objective, fisher: fisher, parameters: parameters)
    }
}

/// Profiles were stopped by a `CancellationFlag` before all of them finished.
public struct ProfileInterrupted: Error, CustomStringConvertible {
    public var finished: Int
    public var total: Int
    public var description: String { "interrupted with \(finished) of \(total) profiles finished" }
}

/// The problem with parameter `index` held at `value`: the remaining n − 1 are free.
private struct HeldParameterProblem: LeastSquaresProblem {
    let base: any LeastSquaresProblem
    let index: Int
    var value: Double

    var parameterCount: Int { base.parameterCount - 1 }

    func full(_ reduced: [Double]) -> [Double] {
        var t = reduced
        t.insert(value, at: index)
        return t
    }

    func evaluate(at theta: [Double], jacobian: Bool) throws -> LeastSquaresEvaluation {
        dropColumn(try base.evaluate(at: full(theta), jacobian: jacobian))
    }

    func evaluateJacobian(at theta: [Double], residuals: [Double]) throws -> LeastSquaresEvaluation {
        dropColumn(try base.evaluateJacobian(at: full(theta), residuals: residuals))
    }

    private func dropColumn(_ evaluation: LeastSquaresEvaluation) -> LeastSquaresEvaluation {
        var e = evaluation
        if let j = e.jacobian {
            e.jacobian = j.selectingColumns((0..<base.parameterCount).filter { $0 != index })
        }
        return e
    }
}

/// Walks one parameter's profile.
private struct Profiler {
    let problem: any LeastSquaresProblem
    let space: ParameterSpace
    let optimum: LeastSquaresResult
    let parameter: Int
    let options: ProfileOptions
    let standardError: Double
    let cancellation: CancellationFlag?
    var optimisations = 0
    var lowest: Double

    init(problem: any LeastSquaresProblem, space: ParameterSpace, optimum: LeastSquaresResult, parameter: Int,
         options: ProfileOptions, standardError: Double, cancellation: CancellationFlag?) {
        self.cancellation = cancellation
        self.problem = problem
        self.space = space
        self.optimum = optimum
        self.parameter = parameter
        self.options = options
        self.standardError = standardError
        lowest = optimum.objective
    }

    /// Re-optimises the others with θᵢ = value, from the full vector `warm`.
    mutating func point(at value: Double, warm: [Double]) -> ProfilePoint {
        optimisations += 1
        let i = parameter
        var reducedLower = space.scaledLower, reducedUpper = space.scaledUpper, start = warm
        reducedLower.remove(at: i); reducedUpper.remove(at: i); start.remove(at: i)
        let held = HeldParameterProblem(base: problem, index: i, value: value)
        var theta: [Double]
        let objective: Double, status: RunStatus
        if start.isEmpty {
            // One parameter: nothing to re-optimise.
            theta = [value]
            do {
                objective = try problem.evaluate(at: theta, jacobian: false).objective
                status = .converged(.gradient)
            } catch {
                return ProfilePoint(value: value, objective: .infinity, theta: theta, status: .failed(reason: "\(error)"))
            }
        } else {
            let run = LevenbergMarquardt(options: options.optimizer, cancellation: cancellation)
                .minimize(held, from: start, lower: reducedLower, upper: reducedUpper)
            theta = held.full(run.theta)
            objective = run.objective
            status = run.status
        }
        if !status.isFailed { lowest = min(lowest, objective) }
        return ProfilePoint(value: value, objective: objective, theta: theta, status: status)
    }

    mutating func run() -> ParameterProfile {
        let start = ProfilePoint(value: optimum.theta[parameter], objective: optimum.objective,
                                 theta: optimum.theta, status: optimum.status)
        let (below, lowerEnd) = side(from: start, direction: -1)
        let (above, upperEnd) = side(from: start, direction: 1)
        return ParameterProfile(parameter: parameter, points: below.reversed() + [start] + above,
                                lowerEnd: lowerEnd, upperEnd: upperEnd, lowestObjective: lowest,
                                optimisations: optimisations)
    }

    /// Points of one side, in walking order, and how the side ended.
    mutating func side(from start: ProfilePoint, direction: Double) -> ([ProfilePoint], ProfileSideEnd) {
        let lo = space.scaledLower[parameter], hi = space.scaledUpper[parameter]
        let bound = direction > 0 ? hi : lo
        let width = hi - lo
        let minStep = options.minStepFraction * width, maxStep = options.maxStepFraction * width
        func z(_ p: ProfilePoint) -> Double { (2 * max(p.objective - start.objective, 0)).squareRoot() }
        let zStep = (2 * options.threshold).squareRoot() / options.pointsToThreshold
        // z ≈ |θᵢ − θ̂ᵢ|/σ near the optimum.
        var slope = standardError.isFinite && standardError > 0 ? 1 / standardError : 0
        var step = minStep
        var points: [ProfilePoint] = []
        var previous = start
        var steps = 0
        var failures = 0
        while steps < options.maxStepsPerSide {
            // Interrupted: the caller discards this profile, so stop walking at once.
            if cancellation?.isCancelled ?? false { return (points, .stepLimit) }
            if previous.value == bound { return (points, .reachedBound) }
            let wanted = slope > 0 ? zStep / slope : .infinity
            step = min(max(wanted, minStep), maxStep, steps == 0 && failures == 0 ? maxStep : 2 * step)
            var value = previous.value + direction * step
            if (direction > 0 && value >= bound) || (direction < 0 && value <= bound) { value = bound }
            let p = point(at: value, warm: previous.theta)
            if p.status.isFailed {
                failures += 1
                if step > minStep {
                    // Retry closer to the last good point.
                    slope = max(slope, 4 * zStep / step)
                    continue
                }
                points.append(p)
                if case let .failed(reason) = p.status { return (points, .failed(reason: reason)) }
            }
            steps += 1
            points.append(p)
            if p.objective - start.objective > options.threshold {
                let (crossing, refined) = refineCrossing(inside: previous, outside: p, optimum: start)
                points.append(contentsOf: refined)
                points.sort { direction > 0 ? $0.value < $1.value : $0.value > $1.value }
                return (points, .crossed(at: crossing))
            }
            let dz = z(p) - z(previous)
            slope = dz > 0 ? dz / abs(p.value - previous.value) : 0
            previous = p
        }
        return (points, .stepLimit)
    }

    /// Locates rise = threshold between `inside` (below) and `outside` (above). The signed
    /// root z = √(2·rise) is linear in θᵢ for a linear model and nearly so near an optimum,
    /// so the crossing is interpolated in z and refined by regula falsi on z.
    mutating func refineCrossing(inside: ProfilePoint, outside: ProfilePoint, optimum: ProfilePoint)
        -> (crossing: Double, refined: [ProfilePoint]) {
        func z(_ p: ProfilePoint) -> Double { (2 * max(p.objective - optimum.objective, 0)).squareRoot() }
        let zTarget = (2 * options.threshold).squareRoot()
        var a = inside, b = outside
        var refined: [ProfilePoint] = []
        var estimate = a.value
        for _ in 0...options.maxRefinements {
            let za = z(a), zb = z(b)
            estimate = zb > za ? a.value + (zTarget - za) / (zb - za) * (b.value - a.value) : 0.5 * (a.value + b.value)
            if refined.count == options.maxRefinements { break }
            let p = point(at: estimate, warm: a.theta)
            if p.status.isFailed { break }
            refined.append(p)
            let rise = p.objective - optimum.objective
            if abs(rise - options.threshold) <= options.crossingTolerance { return (estimate, refined) }
            if rise < options.threshold { a = p } else { b = p }
        }
        return (estimate, refined)
    }
}
