import Testing
import Foundation
import Optimization
import KinapseUtilities
import Synchronization

/// The restarted CMA-ES with local runs (`CMAES`).
@Suite struct CMAESTests {
    @Test func hansensDefaultPopulation() {
        // 4 + ⌊3 ln n⌋: n = 16 → 4 + ⌊8.32⌋ = 12; n = 22 → 4 + ⌊9.27⌋ = 13; n = 1 → 4.
        #expect(CMAESOptions.defaultPopulationSize(parameters: 16) == 12)
        #expect(CMAESOptions.defaultPopulationSize(parameters: 22) == 13)
        #expect(CMAESOptions.defaultPopulationSize(parameters: 1) == 4)
    }

    /// A rotated ellipsoid with condition number 10⁶ in 6 dimensions, r = D Q (x − x*): an
    /// isotropic search (no covariance learning) makes progress at the pace of the smallest
    /// axis, ~10³ times slower than a learnt metric, so within the generation limit
    /// (100 + 50·81/√10 ≈ 1 380) only the adapted covariance reaches 10⁻⁸ of the objective
    /// before the local run. The global phase is asked to stop there (TolFun 10⁻¹⁰).
    @Test func theGlobalPhaseLearnsAnIllConditionedRotatedEllipsoid() throws {
        let n = 6
        let target = (0..<n).map { 0.1 * Double($0) - 0.2 }
        // An orthogonal Q from the Householder reflection I − 2vvᵀ/‖v‖², v = (1, 2, …, n).
        let v = (1...n).map(Double.init), vv = v.reduce(0) { $0 + $1 * $1 }
        let q = (0..<n).map { i in (0..<n).map { j in (i == j ? 1 : 0) - 2 * v[i] * v[j] / vv } }
        let d = (0..<n).map { pow(1e3, Double($0) / Double(n - 1)) }   // axes 1 … 10³: condition 10⁶ of the objective
        let space = try ParameterSpace((0..<n).map { EstimatedParameter(name: "x\($0)", lower: -1, upper: 1, scale: .linear) })
        let make: @Sendable () -> any LeastSquaresProblem = {
            ClosureProblem(parameterCount: n, residuals: { x in
                (0..<n).map { i in d[i] * (0..<n).reduce(0) { $0 + q[i][$1] * (x[$1] - target[$1]) } }
            })
        }
        var options = CMAESOptions()
        options.localSearches = 1
        options.functionTolerance = 1e-10
        options.stepTolerance = 1e-12
        let (result, report) = try CMAES.run(space: space, options: options, makeProblem: make)
        let run = try #require(report.runs.first)
        #expect(run.bestObjective < 1e-8, "the global phase ended at \(run.bestObjective) (\(run.stop.rawValue), \(run.generations) generations)")
        #expect(run.stop == .functionTolerance || run.stop == .stepTolerance)
        #expect(try #require(result.best).objective < 1e-12)
    }

    /// On 4-D Rastrigin a local run ends at the integer point nearest its start (a 10⁻⁴ chance
    /// per Latin-hypercube start to be in the origin's basin, below 0.9: `ScatterSearchTests`).
    /// CMA-ES with a large population follows the function's global bowl (Hansen & Kern 2004,
    /// PPSN VIII: Rastrigin needs populations of a few hundred in 10 D), so the IPOP restarts,
    /// doubling the population from 8, reach it within six runs (populations 8 … 256), where
    /// the small populations end in a neighbouring basin (objective ≈ 1, 2, 3).
    @Test(arguments: [1, 2, 3] as [UInt64])
    func restartsReachRastriginsGlobalBasin(seed: UInt64) throws {
        let (space, make) = ScatterSearchTests.rastrigin(dimensions: 4)
        var options = CMAESOptions()
        options.seed = seed
        options.localSearches = 6
        let (result, report) = try CMAES.run(space: space, options: options, makeProblem: make)
        let best = try #require(result.best)
        #expect(best.objective < 0.9, "best \(best.objective) at \(best.theta); runs \(report.runs)")
        #expect(report.runs.map(\.populationSize) == [8, 16, 32, 64, 128, 256].prefix(report.runs.count).map { $0 })
        #expect(best.objective == report.bestObjective)
    }

    /// Every evaluated point lies in the box, whatever the samples do: the reflection at the bounds.
    @Test func samplesOutsideTheBoxAreEvaluatedAtTheirMirrorImage() throws {
        let outside = Counter()
        // The optimum (3, −3) lies outside the box [0, 1]²: the search presses against the corner (1, 0).
        let space = try ParameterSpace([EstimatedParameter(name: "a", lower: 0, upper: 1, scale: .linear),
                                        EstimatedParameter(name: "b", lower: 0, upper: 1, scale: .linear)])
        let make: @Sendable () -> any LeastSquaresProblem = {
            ClosureProblem(parameterCount: 2, residuals: { x in
                if x.contains(where: { $0 < 0 || $0 > 1 }) { _ = outside.increment() }
                return [x[0] - 3, x[1] + 3]
            }, jacobian: { _ in Matrix.identity(2) })
        }
        var options = CMAESOptions()
        options.localSearches = 1
        let (result, report) = try CMAES.run(space: space, options: options, makeProblem: make)
        #expect(outside.value == 0)
        #expect(report.evaluations > 100)
        let best = try #require(result.best)
        #expect(abs(best.theta[0] - 1) < 1e-6 && abs(best.theta[1]) < 1e-6, "\(best.theta)")
    }

    @Test func theSameSeedGivesTheSameSearchBitForBit() throws {
        let (space, make) = ScatterSearchTests.rastrigin(dimensions: 3)
        var options = CMAESOptions()
        options.seed = 11
        options.localSearches = 2
        let a = try CMAES.run(space: space, options: options, makeProblem: make)
        let b = try CMAES.run(space: space, options: options, makeProblem: make)
        #expect(a.result.starts.map(\.run) == b.result.starts.map(\.run))
        #expect(a.report.runs == b.report.runs && a.report.evaluations == b.report.evaluations)
        options.seed = 12
        let c = try CMAES.run(space: space, options: options, makeProblem: make)
        #expect(c.result.starts.map(\.start) != a.result.starts.map(\.start))
    }

    /// Points that cannot be evaluated rank last; the search carries on around them.
    @Test func pointsThatCannotBeEvaluatedRankLast() throws {
        let space = try ParameterSpace((0..<3).map { EstimatedParameter(name: "x\($0)", lower: -1, upper: 1, scale: .linear) })
        struct Failure: Error {}
        // Undefined on a third of the box (x₀ > 1/3); the minimum (−0.5, 0.2, 0) lies in the defined part.
        let make: @Sendable () -> any LeastSquaresProblem = {
            ClosureProblem(parameterCount: 3, residuals: { x in
                if x[0] > 1.0 / 3 { throw Failure() }
                return [x[0] + 0.5, x[1] - 0.2, x[2]]
            })
        }
        var options = CMAESOptions()
        options.localSearches = 1
        let (result, report) = try CMAES.run(space: space, options: options, makeProblem: make)
        #expect(report.failedEvaluations > 0 && report.failedEvaluations < report.evaluations)
        #expect(try #require(result.best).objective < 1e-10)
    }

    @Test func aCancelledSearchReportsTheBestPointItHad() throws {
        let (space, make) = ScatterSearchTests.rastrigin(dimensions: 3)
        let flag = CancellationFlag()
        let counter = Counter()
        // Cancelled at the 30th evaluation, within the first run (λ = 7): no local run.
        let cancelling: @Sendable () -> any LeastSquaresProblem = {
            let inner = make()
            return ClosureProblem(parameterCount: 3, residuals: { x in
                if counter.increment() >= 30 { flag.cancel() }
                return try inner.evaluate(at: x, jacobian: false).residuals
            })
        }
        let (result, report) = try CMAES.run(space: space, options: CMAESOptions(), cancellation: flag, makeProblem: cancelling)
        #expect(report.runs.count == 1 && report.runs[0].stop == .cancelled)
        let only = try #require(result.starts.first)
        #expect(result.starts.count == 1 && only.status == .interrupted && only.run.iterations == 0)
        #expect(only.objective == report.bestObjective && only.objective.isFinite)
    }
}

/// Evaluations counted across the closure calls of one test.
private final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() -> Int { count.withLock { $0 += 1; return $0 } }
    var value: Int { count.withLock { $0 } }
}
