import Testing
import Foundation
import Optimization
import KinapseUtilities
import Synchronization

/// The enhanced scatter search and the redraw of starts that cannot move.
@Suite struct ScatterSearchTests {
    /// Rastrigin's function in n dimensions as least squares: residuals √2·x_k and
    /// 2√A·sin(πx_k) give ½‖r‖² = Σ x_k² + 2A sin²(πx_k) = Σ x_k² + A(1 − cos 2πx_k), A = 10,
    /// on [−5.12, 5.12]ⁿ: a local minimum near every integer point, the global one (0) at the origin.
    static func rastrigin(dimensions n: Int) -> (space: ParameterSpace, make: @Sendable () -> any LeastSquaresProblem) {
        let a = 10.0
        let space = try! ParameterSpace((0..<n).map { EstimatedParameter(name: "x\($0)", lower: -5.12, upper: 5.12, scale: .linear) })
        let make: @Sendable () -> any LeastSquaresProblem = {
            ClosureProblem(parameterCount: n, residuals: { x in
                x.map { 2.0.squareRoot() * $0 } + x.map { 2 * a.squareRoot() * sin(Double.pi * $0) }
            }, jacobian: { x in
                var j = Matrix(rows: 2 * n, columns: n)
                for k in 0..<n {
                    j[k, k] = 2.0.squareRoot()
                    j[n + k, k] = 2 * a.squareRoot() * Double.pi * cos(Double.pi * x[k])
                }
                return j
            })
        }
        return (space, make)
    }

    @Test func theReferenceSetSizeIsMEIGOsAutomaticOne() {
        // The smallest even b with b² − b ≥ 10n: n = 19 gives b² − b ≥ 190, 14·13 = 182 < 190 ≤ 15·14, so 15, made even 16.
        #expect(ScatterSearchOptions.automaticReferenceSetSize(parameters: 19) == 16)
        // n = 18: 14·13 = 182 ≥ 180, and 14 is even.
        #expect(ScatterSearchOptions.automaticReferenceSetSize(parameters: 18) == 14)
        // n = 5: 8·7 = 56 ≥ 50 > 7·6.
        #expect(ScatterSearchOptions.automaticReferenceSetSize(parameters: 5) == 8)
        // n = 1: 4·3 ≥ 10, and never below 4.
        #expect(ScatterSearchOptions.automaticReferenceSetSize(parameters: 1) == 4)
    }

    /// On 4-D Rastrigin a local run ends at the integer point nearest its start, so it reaches
    /// the origin only from a start within about ½ of it in every coordinate: (1/10.24)⁴ ≈ 10⁻⁴
    /// of the box. Below 0.9 lies only the origin's basin (the next minima, one coordinate near
    /// ±1, are at 0.995). The scatter search's generations follow the function's bowl towards
    /// it; 40 Latin-hypercube starts do not get there (40 · 10⁻⁴: a 0.4 % chance per seed).
    @Test(arguments: [1, 2, 3] as [UInt64])
    func theScatterSearchReachesRastriginsGlobalBasinWhereAMultiStartDoesNot(seed: UInt64) throws {
        let (space, make) = Self.rastrigin(dimensions: 4)
        var options = ScatterSearchOptions()
        options.seed = seed
        options.localSearches = 20
        let (result, report) = try ScatterSearch.run(space: space, options: options, makeProblem: make)
        let best = try #require(result.best)
        #expect(best.objective < 0.9, "best \(best.objective) at \(best.theta)")
        #expect(best.objective == report.bestObjective)
        #expect(report.referenceSetSize == 8 && report.diverseSetSize == 40 && report.generations == 1 + 19 * 10)

        var multi = MultiStartOptions()
        multi.starts = 40
        multi.seed = seed
        multi.jobs = 1
        let plain = try MultiStart.run(space: space, options: multi, makeProblem: make)
        #expect(try #require(plain.best).objective > 0.9, "a Latin-hypercube start landed in the origin's basin")
    }

    @Test func theSameSeedGivesTheSameSearchBitForBit() throws {
        let (space, make) = Self.rastrigin(dimensions: 3)
        var options = ScatterSearchOptions()
        options.seed = 11
        options.localSearches = 3
        let a = try ScatterSearch.run(space: space, options: options, makeProblem: make)
        let b = try ScatterSearch.run(space: space, options: options, makeProblem: make)
        #expect(a.result.starts.map(\.run) == b.result.starts.map(\.run))
        #expect(a.result.starts.map(\.start) == b.result.starts.map(\.start))
        #expect(a.report.evaluations == b.report.evaluations && a.report.generations == b.report.generations)
        options.seed = 12
        let c = try ScatterSearch.run(space: space, options: options, makeProblem: make)
        #expect(c.result.starts.map(\.start) != a.result.starts.map(\.start))
    }

    /// With one local run the search stops after the generation that precedes it, so the count
    /// of objective evaluations is known from below: the 10n diverse points and the b(b − 1)
    /// children of that generation (go-beyond and replacements add to it).
    @Test func theFirstLocalRunFollowsTheFirstGeneration() throws {
        let (space, make) = Self.rastrigin(dimensions: 5)
        var options = ScatterSearchOptions()
        options.localSearches = 1
        let (result, report) = try ScatterSearch.run(space: space, options: options, makeProblem: make)
        #expect(report.generations == 1)
        #expect(report.evaluations >= 50 + 8 * 7, "\(report.evaluations) evaluations")
        #expect(report.failedEvaluations == 0)
        #expect(result.starts.count == 1 && result.starts[0].run.iterations > 0)
        // The local run starts from the reference set's best and goes downhill from it: its end is the best point evaluated.
        #expect(result.starts[0].objective == report.bestObjective)
    }

    @Test func aCancelledSearchReportsTheBestMemberItHad() throws {
        let (space, make) = Self.rastrigin(dimensions: 3)
        let flag = CancellationFlag()
        // n = 3: 30 diverse points, b = 6 and 30 children a generation; cancelled at the 45th
        // evaluation, halfway through the first generation: no local run.
        let counter = Counter()
        let cancelling: @Sendable () -> any LeastSquaresProblem = {
            let inner = make()
            return ClosureProblem(parameterCount: 3, residuals: { x in
                if counter.increment() >= 45 { flag.cancel() }
                return try inner.evaluate(at: x, jacobian: false).residuals
            })
        }
        let (result, report) = try ScatterSearch.run(space: space, options: ScatterSearchOptions(), cancellation: flag, makeProblem: cancelling)
        #expect(report.generations == 0)
        let only = try #require(result.starts.first)
        #expect(result.starts.count == 1 && only.status == .interrupted && only.run.iterations == 0)
        #expect(only.objective == report.bestObjective && only.objective.isFinite)
    }

    /// r(θ) = θ + 1 for θ < 0 and 1 on the plateau θ ≥ 0 (zero gradient there): on [−2, 2]
    /// half of the starts sit on the plateau, from which the local method takes no step.
    static func plateau() -> (space: ParameterSpace, make: @Sendable () -> any LeastSquaresProblem) {
        let space = try! ParameterSpace([EstimatedParameter(name: "t", lower: -2, upper: 2, scale: .linear)])
        let make: @Sendable () -> any LeastSquaresProblem = {
            ClosureProblem(parameterCount: 1, residuals: { t in [t[0] < 0 ? t[0] + 1 : 1] },
                           jacobian: { t in Matrix(rowMajor: [[t[0] < 0 ? 1 : 0]]) })
        }
        return (space, make)
    }

    @Test func sampledStartsOnAPlateauAreRedrawnAndCounted() throws {
        let (space, make) = Self.plateau()
        var options = MultiStartOptions()
        options.starts = 10
        options.jobs = 1
        options.redraws = 50
        // A given start on the plateau stays: it may be an optimum of a problem the fit cannot tell from a plateau.
        options.additionalStarts = [[1.0]]
        let plain = try MultiStart.run(space: space, options: options, makeProblem: make)
        let flatEnds = plain.starts.filter { $0.run.tookNoStep && $0.objective == 0.5 }
        // A Latin hypercube of 10 on [−2, 2] puts one point in each stratum of 0.4, five on [0, 2]; and the given start.
        #expect(flatEnds.count == 6)

        options.redrawsFlatStarts = true
        let redrawn = try MultiStart.run(space: space, options: options, makeProblem: make)
        #expect(redrawn.starts[0].objective == 0.5 && redrawn.starts[0].redraws == 0)
        for s in redrawn.starts.dropFirst() {
            #expect(s.objective < 1e-12 && s.start[0] < 0, "start \(s.index) at \(s.start) ends at \(s.objective)")
        }
        let flat = redrawn.starts.reduce(0) { $0 + $1.flatRedraws }
        #expect(flat >= 5 && flat == redrawn.redrawnPoints)
        // Starts that moved are the same runs as without the redraw.
        for (a, b) in zip(plain.starts, redrawn.starts) where !a.run.tookNoStep { #expect(a.run == b.run && b.redraws == 0) }
    }
}

/// Evaluations counted across the closure calls of one test.
private final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() -> Int { count.withLock { $0 += 1; return $0 } }
}
