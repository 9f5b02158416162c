public import KinapseUtilities

/// How a fit looks for the global optimum: independent local runs from a Latin hypercube,
/// or a global phase (scatter search, CMA-ES) that spends cheap objective evaluations before each local run.
public enum GlobalSearch: String, Sendable, Hashable, CaseIterable, Codable {
    /// `MultiStart`: a local run from each Latin-hypercube point in turn.
    case multiStart = "multi-start"
    /// `ScatterSearch`: enhanced scatter search with local runs (eSS).
    case scatterSearch = "ess"
    /// `CMAES`: IPOP-CMA-ES with a local run after each of its runs.
    case cmaES = "cmaes"
}

/// Settings of an enhanced scatter search. The defaults are MEIGO's (`essR`, Egea et al.).
public struct ScatterSearchOptions: Sendable, Hashable {
    /// Members of the reference set; nil: the smallest even b with b² − b ≥ 10 n (MEIGO's
    /// `dim_refset = "auto"`: b(b − 1) children per generation, about 10 per parameter).
    public var referenceSetSize: Int?
    /// Points of the initial Latin hypercube; nil: 10 n (MEIGO's `ndiverse = "auto"`, Egea,
    /// Martí & Banga 2010, Comput Oper Res 37:315, §2.1).
    public var diverseSetSize: Int?
    /// Generations before the first local run (MEIGO's `local.n1` = 1).
    public var firstLocalSearch = 1
    /// Generations between two local runs after the first (MEIGO's `local.n2` = 10).
    public var localSearchInterval = 10
    /// Weight of diversity against quality when a generation's child is picked as the next
    /// local start (MEIGO's `local.balance` = 0.5: equal weights of the two ranks).
    public var balance = 0.5
    /// Generations without improvement after which a member is replaced by a random point
    /// (`nstuck`, 20 in Egea, Martí & Banga 2010).
    public var stuckGenerations = 20
    /// Two members closer than this in every coordinate, as a fraction of the box's width,
    /// are duplicates: the worse is replaced by a random point (MEIGO's 10⁻³, there relative
    /// to the values, here to the box: scaled coordinates are logarithms, whose size says nothing).
    public var duplicateTolerance = 1e-3
    /// The search ends after this many local runs (or when cancelled).
    public var localSearches = 20
    /// Seed of the random points; the same seed gives the same search until a budget cuts it.
    public var seed: UInt64 = 1
    /// Draws of a random point that cannot be evaluated before the search gives up on it.
    public var redraws = 100
    /// The local method, as in a multi-start.
    public var optimizer = LevenbergMarquardtOptions()
    /// How each local run respects the bounds (by its index among the local runs); nil: as `optimizer.bounds` says.
    public var startBounds: StartBounds?
    /// Points placed in the initial set before the Latin hypercube's (scaled coordinates).
    public var additionalStarts: [[Double]] = []

    public init() {}

    /// MEIGO's automatic reference set size for n parameters: the positive root of
    /// b² − b − 10n rounded up, and up again to an even number (at least 4, so that the
    /// combination's rank spread (j − i − 1)/(b − 2) is defined).
    public static func automaticReferenceSetSize(parameters n: Int) -> Int {
        var b = Int(((1 + (1 + 40 * Double(n)).squareRoot()) / 2).rounded(.up))
        if b % 2 == 1 { b += 1 }
        return max(4, b)
    }
}

/// What the global phase of a scatter search did, beside its local runs.
public struct ScatterSearchReport: Sendable, Hashable, Codable, GlobalPhaseReport {
    public var referenceSetSize: Int
    public var diverseSetSize: Int
    /// Completed generations (combination of every pair of members, go-beyond, updates).
    public var generations = 0
    /// Objective evaluations without gradient (diverse set, children, go-beyond, random replacements).
    public var evaluations = 0
    /// Of which could not be evaluated (the model failed there): those points count as +∞.
    public var failedEvaluations = 0
    /// Members replaced by random points: stuck for `stuckGenerations`, or duplicates.
    public var replacedMembers = 0
    /// CPU seconds of the global phase alone (the local runs carry their own).
    public var cpuTime = 0.0
    /// The lowest objective the search evaluated (global phase and local runs).
    public var bestObjective = Double.infinity
}

/// Enhanced scatter search with a local solver (eSS: Egea, Martí & Banga 2010, Comput Oper
/// Res 37:315; Egea, Balsa-Canto, García & Banga 2009, Ind Eng Chem Res 48:4388), the
/// global method that Villaverde et al. (2019, Bioinformatics 35:830) found most effective
/// on large kinetic benchmarks when combined with a gradient-based local method.
///
/// A reference set of b points, half the best of a 10n-point Latin hypercube and half drawn
/// at random from the rest, evolves by generations: each pair of members (sorted by
/// objective, i better than j, d = x_j − x_i) gives two children drawn uniformly in the
/// hyper-rectangles [x_i − f, x_j − f] and [x_j − f, x_j + d − f], f = d·(1 + ¾(j − i − 1)/(b − 2))/1.5,
/// i.e. biased towards the better parent the further apart the two are in rank (MEIGO's
/// combination 1); a member whose best child beats it is replaced by that child after the
/// go-beyond search (children drawn beyond the child, away from the parent, in a box that
/// doubles after two improvements in a row, until one fails to improve). Members stuck for 20
/// generations, and duplicates, are replaced by random points. Children cost one objective
/// evaluation each, without gradient. After the first generation a local run starts from
/// the best member, then every 10 generations from the generation's child that ranks best
/// by objective and by distance to earlier local starts and solutions (equal weights); a
/// local solution better than the child's parent replaces the parent.
///
/// One thread, one problem instance: the same seed gives the same search until a budget
/// cuts it. The local runs are the result's starts, in the order they ran.
public enum ScatterSearch {
    /// Runs the search as `MultiStart.run` runs starts (the same callbacks; `progress` after each
    /// local run), until `options.localSearches` local runs or `cancellation`.
    public static func run(space: ParameterSpace, options: ScatterSearchOptions = ScatterSearchOptions(), cancellation: CancellationFlag? = nil,
                           makeProblem: @escaping @Sendable () throws -> any LeastSquaresProblem,
                           progress: (@Sendable (MultiStartProgress) -> Void)? = nil, trace: (@Sendable (_ start: Int, TrialStep) -> Void)? = nil)
        throws -> (result: MultiStartResult, report: ScatterSearchReport) {
        MultiStart.checkAdditionalStarts(options.additionalStarts, space: space)
        loadLAPACKBeforeStartingThreads()
        var search = Search(space: space, options: options, problem: try makeProblem(), cancellation: cancellation,
                            progress: progress, trace: trace)
        search.run()
        return (MultiStartResult(space: space, starts: search.local.runs, plannedStarts: search.local.count), search.report)
    }
}

/// The state of one scatter search.
private struct Search {
    let lower: [Double], upper: [Double]
    let options: ScatterSearchOptions
    /// Every evaluation of the global phase, and the best point so far (MEIGO's `xbest`): a
    /// member can leave the reference set (stuck, or a duplicate), so the set's best alone may lose it.
    var objective: GlobalPhaseObjective
    let cancellation: CancellationFlag?
    var rng: SeededGenerator
    var report: ScatterSearchReport
    let b: Int
    var members: [[Double]] = []
    var values: [Double] = []
    /// Generations since each member last improved.
    var stuck: [Int] = []
    var local: LocalRuns
    /// Local starts and solutions so far: the points a new local start should keep away from.
    var visited: [[Double]] = []
    /// The distinct local solutions so far (MEIGO's `local_solutions`).
    var localSolutions: [[Double]] = []

    init(space: ParameterSpace, options: ScatterSearchOptions, problem: any LeastSquaresProblem, cancellation: CancellationFlag?,
         progress: (@Sendable (MultiStartProgress) -> Void)?, trace: (@Sendable (Int, TrialStep) -> Void)?) {
        lower = space.scaledLower
        upper = space.scaledUpper
        self.options = options
        objective = GlobalPhaseObjective(problem)
        self.cancellation = cancellation
        local = LocalRuns(optimizer: options.optimizer, startBounds: options.startBounds, cancellation: cancellation, progress: progress, trace: trace)
        rng = SeededGenerator(seed: options.seed ^ 0x5CA7_7E25_EA2C_0001)
        b = max(4, options.referenceSetSize ?? ScatterSearchOptions.automaticReferenceSetSize(parameters: space.count))
        let diverse = max(b, options.diverseSetSize ?? 10 * space.count)
        report = ScatterSearchReport(referenceSetSize: b, diverseSetSize: diverse)
    }

    var isCancelled: Bool { cancellation?.isCancelled ?? false }


    mutating func uniformPoint() -> [Double] {
        rng.nextUniformPoint(lower: lower, upper: upper)
    }

    /// A uniform point in the box between a and b (per coordinate, either order), cut to the bounds.
    mutating func uniform(between a: [Double], and c: [Double]) -> [Double] {
        let lo = a.indices.map { min(max(min(a[$0], c[$0]), lower[$0]), upper[$0]) }
        let hi = a.indices.map { min(max(max(a[$0], c[$0]), lower[$0]), upper[$0]) }
        return rng.nextUniformPoint(lower: lo, upper: hi)
    }

    /// A random point where the model can be evaluated (the last draw, at +∞, if none of `redraws` + 1 could).
    mutating func randomMember() -> (x: [Double], f: Double) {
        var x = uniformPoint(), f = objective(x), draws = 0
        while !f.isFinite && draws < options.redraws && !isCancelled {
            x = uniformPoint()
            f = objective(x)
            draws += 1
        }
        return (x, f)
    }

    mutating func run() {
        let began = threadCPUSeconds()
        defer { report.finish(began: began, objective: objective, local: &local, cancelled: isCancelled) }
        guard initialize() else { return }
        var generationsSinceLocal = 0, nextLocalAfter = options.firstLocalSearch
        while !isCancelled && local.count < options.localSearches {
            sortMembers()
            replaceDuplicates()
            guard let children = combine() else { return }
            report.generations += 1
            generationsSinceLocal += 1
            replaceStuckMembers()
            if generationsSinceLocal >= nextLocalAfter && !isCancelled {
                localSearch(children: children)
                generationsSinceLocal = 0
                nextLocalAfter = options.localSearchInterval
            }
        }
    }

    /// The reference set from the diverse set: the best half, the rest drawn at random from
    /// the other points that could be evaluated (MEIGO); false when cut short.
    mutating func initialize() -> Bool {
        let n = lower.count
        let sample = options.additionalStarts.map { x in x.indices.map { min(max(x[$0], lower[$0]), upper[$0]) } }
            + LatinHypercube.sample(count: report.diverseSetSize, lower: lower, upper: upper, seed: options.seed)
        var evaluated: [(x: [Double], f: Double)] = []
        for x in sample {
            if isCancelled { return false }
            let f = objective(x)
            if f.isFinite { evaluated.append((x, f)) }
        }
        evaluated.sort { $0.f < $1.f }
        let best = min((b + 1) / 2, evaluated.count)
        var chosen = Array(evaluated.prefix(best))
        var rest = Array(evaluated.dropFirst(best))
        while chosen.count < b && !rest.isEmpty {
            chosen.append(rest.remove(at: Int(rng.next() % UInt64(rest.count))))
        }
        while chosen.count < b {
            if isCancelled { return false }
            chosen.append(randomMember())
        }
        members = chosen.map(\.x)
        values = chosen.map(\.f)
        stuck = Array(repeating: 0, count: b)
        precondition(members.allSatisfy { $0.count == n })
        return true
    }

    mutating func sortMembers() {
        let order = values.indices.sorted { (values[$0], $0) < (values[$1], $1) }
        members = order.map { members[$0] }
        values = order.map { values[$0] }
        stuck = order.map { stuck[$0] }
    }

    /// Replaces the worse of two members that coincide to `duplicateTolerance` of the box in every coordinate.
    mutating func replaceDuplicates() {
        for j in 1..<b {
            for i in 0..<j where isDuplicate(members[i], members[j]) {
                if isCancelled { return }
                (members[j], values[j]) = randomMember()
                stuck[j] = 0
                report.replacedMembers += 1
                break
            }
        }
    }

    func isDuplicate(_ x: [Double], _ y: [Double]) -> Bool {
        x.indices.allSatisfy { abs(x[$0] - y[$0]) <= options.duplicateTolerance * (upper[$0] - lower[$0]) }
    }

    /// One generation: the children of every pair, the best child of each member improved by
    /// the go-beyond search and put in its place. Returns the children with their parents,
    /// or nil when cut short (the members stay as they were).
    mutating func combine() -> [(x: [Double], f: Double, parent: Int)]? {
        var children: [(x: [Double], f: Double, parent: Int)] = []
        var bestChild = [Int?](repeating: nil, count: b)
        for i in 0..<b {
            for j in (i + 1)..<b {
                let spread = 1 + 0.75 * Double(j - i - 1) / Double(b - 2)
                let f = members[i].indices.map { spread * (members[j][$0] - members[i][$0]) / 1.5 }
                let v1 = members[i].indices.map { members[i][$0] - f[$0] }
                let v2 = members[j].indices.map { members[j][$0] - f[$0] }
                let v3 = members[j].indices.map { 2 * members[j][$0] - members[i][$0] - f[$0] }
                for (x, parent) in [(uniform(between: v1, and: v2), i), (uniform(between: v2, and: v3), j)] {
                    if isCancelled { return nil }
                    let value = objective(x)
                    children.append((x, value, parent))
                    if value < values[parent] && value < (bestChild[parent].map { children[$0].f } ?? .infinity) {
                        bestChild[parent] = children.count - 1
                    }
                }
            }
        }
        for m in 0..<b {
            guard let c = bestChild[m] else { stuck[m] += 1; continue }
            let improved = goBeyond(from: members[m], child: children[c].x, value: children[c].f)
            members[m] = improved.x
            values[m] = improved.f
            stuck[m] = 0
        }
        return children
    }

    /// Egea et al. 2009, Algorithm 1: while a child improves on its parent, draw the next in
    /// the box between the child and child + (child − parent)/Λ; Λ halves after two improvements in a row.
    mutating func goBeyond(from parent: [Double], child: [Double], value: Double) -> (x: [Double], f: Double) {
        var parent = parent, best = (x: child, f: value)
        var lambda = 1.0, inARow = 0
        while !isCancelled {
            let beyond = best.x.indices.map { best.x[$0] + (best.x[$0] - parent[$0]) / lambda }
            let x = uniform(between: best.x, and: beyond)
            let f = objective(x)
            guard f < best.f else { break }
            parent = best.x
            best = (x, f)
            inARow += 1
            if inARow == 2 { lambda /= 2; inARow = 0 }
        }
        return best
    }

    mutating func replaceStuckMembers() {
        for m in 0..<b where stuck[m] >= options.stuckGenerations {
            if isCancelled { return }
            (members[m], values[m]) = randomMember()
            stuck[m] = 0
            report.replacedMembers += 1
        }
    }

    /// A local run: the first from the best member, later ones from the child that ranks best
    /// by objective and by distance to earlier local starts and solutions (MEIGO's filter:
    /// ranks summed with weights 1 − balance and balance).
    mutating func localSearch(children: [(x: [Double], f: Double, parent: Int)]) {
        var start = members[values.indices.min { values[$0] < values[$1] }!]
        var parent = values.indices.min { values[$0] < values[$1] }!
        let candidates = children.filter(\.f.isFinite)
        if !local.isEmpty && !candidates.isEmpty {
            let distance = candidates.map { c in visited.map { normalizedDistance(c.x, $0) }.min() ?? .infinity }
            var score = [Double](repeating: 0, count: candidates.count)
            for (rank, k) in candidates.indices.sorted(by: { (distance[$0], $0) > (distance[$1], $1) }).enumerated() {
                score[k] += options.balance * Double(rank + 1)
            }
            for (rank, k) in candidates.indices.sorted(by: { (candidates[$0].f, $0) < (candidates[$1].f, $1) }).enumerated() {
                score[k] += (1 - options.balance) * Double(rank + 1)
            }
            let chosen = score.indices.min { (score[$0], $0) < (score[$1], $1) }!
            start = candidates[chosen].x
            parent = candidates[chosen].parent
        }
        let run = local.run(objective.problem, from: start, lower: lower, upper: upper)
        if !run.status.isFailed { objective.record(run.theta, run.objective) }
        visited.append(start)
        if !run.status.isFailed && run.objective.isFinite {
            // MEIGO's test of a new local solution: farther than 10⁻² from every earlier one.
            let isNew = !localSolutions.contains { normalizedDistance($0, run.theta) < 1e-2 }
            visited.append(run.theta)
            if isNew { localSolutions.append(run.theta) }
            if isNew && run.objective < values[parent] {
                members[parent] = run.theta
                values[parent] = run.objective
                stuck[parent] = 0
            }
        }
    }

    /// Euclidean distance with each coordinate divided by its box width.
    func normalizedDistance(_ x: [Double], _ y: [Double]) -> Double {
        var s = 0.0
        for k in x.indices {
            let d = (x[k] - y[k]) / (upper[k] - lower[k])
            s += d * d
        }
        return s.squareRoot()
    }
}
