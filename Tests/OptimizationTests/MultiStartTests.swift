import Testing
import Foundation
import Optimization
import KinapseUtilities
#if canImport(Glibc)
import Glibc
#endif

/// Latin hypercube sampling and the parallel multi-start driver.
@Suite struct MultiStartTests {
    @Test func latinHypercubeFillsEveryStratumOnce() {
        let lower = [-3.0, 0, 10], upper = [3.0, 1, 20]
        let points = LatinHypercube.sample(count: 16, lower: lower, upper: upper, seed: 5)
        #expect(points.count == 16)
        for d in 0..<3 {
            let strata = points.map { Int((($0[d] - lower[d]) / (upper[d] - lower[d])) * 16) }
            #expect(Set(strata) == Set(0..<16))
        }
        #expect(LatinHypercube.sample(count: 16, lower: lower, upper: upper, seed: 5) == points)
        #expect(LatinHypercube.sample(count: 16, lower: lower, upper: upper, seed: 6) != points)
    }

    /// Two decaying exponentials, θ = log10 of (A₁, k₁, A₂, k₂): a problem with several
    /// local minima (and a label-switching symmetry), so starts end in different places.
    static func twoExponentials() -> (space: ParameterSpace, make: @Sendable () -> any LeastSquaresProblem) {
        let times = (0..<30).map { Double($0) * 0.2 }
        let noise = syntheticNoise(count: times.count, seed: 3)
        let data = zip(times, noise).map { 1.5 * exp(-0.3 * $0) + 1.0 * exp(-3 * $0) + 0.01 * $1 }
        let space = try! ParameterSpace(["A1", "k1", "A2", "k2"].map {
            EstimatedParameter(name: $0, lower: 1e-2, upper: 1e2, scale: .log10)
        })
        let make: @Sendable () -> any LeastSquaresProblem = {
            ClosureProblem(parameterCount: 4, residuals: { t in
                let p = t.map { pow(10, $0) }
                return zip(times, data).map { p[0] * exp(-p[1] * $0) + p[2] * exp(-p[3] * $0) - $1 }
            }, jacobian: { t in
                let p = t.map { pow(10, $0) }
                var j = Matrix(rows: times.count, columns: 4)
                for (i, time) in times.enumerated() {
                    let e1 = exp(-p[1] * time), e2 = exp(-p[3] * time)
                    j[i, 0] = p[0] * e1 * M_LN10
                    j[i, 1] = -p[0] * time * p[1] * e1 * M_LN10
                    j[i, 2] = p[2] * e2 * M_LN10
                    j[i, 3] = -p[2] * time * p[3] * e2 * M_LN10
                }
                return j
            })
        }
        return (space, make)
    }

    /// `starts` starts of seed 2024 on one worker.
    static func serialOptions(starts: Int) -> MultiStartOptions {
        var options = MultiStartOptions()
        options.starts = starts
        options.seed = 2024
        options.jobs = 1
        return options
    }

    @Test func resultsAreBitIdenticalForAnyNumberOfJobs() throws {
        let (space, make) = Self.twoExponentials()
        var options = Self.serialOptions(starts: 12)
        let serial = try MultiStart.run(space: space, options: options, makeProblem: make)
        options.jobs = 2
        let parallel = try MultiStart.run(space: space, options: options, makeProblem: make)
        options.jobs = 5
        let oversubscribed = try MultiStart.run(space: space, options: options, makeProblem: make)
        for other in [parallel, oversubscribed] {
            #expect(other.starts.map(\.index) == Array(0..<12))
            for (a, b) in zip(serial.starts, other.starts) {
                #expect(a.start.map(\.bitPattern) == b.start.map(\.bitPattern))
                #expect(a.theta.map(\.bitPattern) == b.theta.map(\.bitPattern))
                #expect(a.objective.bitPattern == b.objective.bitPattern)
                #expect(a.run.iterations == b.run.iterations && a.run.evaluations == b.run.evaluations)
                #expect(a.status == b.status)
            }
        }
        // The fit itself works: the best start fits the data to the noise level
        // (30 points, σ = 0.01: ½‖r‖² ≈ ½·30·1e-4 = 1.5e-3, give or take a factor 2).
        let best = try #require(serial.best)
        #expect(best.objective < 3e-3)
        let ks = [pow(10, best.theta[1]), pow(10, best.theta[3])].sorted()
        #expect(abs(ks[0] - 0.3) < 0.05 && abs(ks[1] - 3) < 0.5)
        // Hass et al. (2019)'s criterion, as a regression check on this easy problem
        // (both labelings of the two exponentials count: they have the same objective).
        #expect(serial.fractionReachingBest() >= 0.8)
        print("two exponentials, 12 starts: \(serial.fractionReachingBest()) reach the best within 0.1%; evaluations per start \(serial.starts.map(\.run.evaluations))")
    }

    /// The alternating portfolio runs each start exactly as the fit with that start's rule
    /// alone would: even indices as the active set's, odd ones as the reflective rule's, bit
    /// for bit (the two rules end differently on this problem, so a swap would show).
    @Test func alternatingBoundsRunEachStartByItsRule() throws {
        let (space, make) = Self.twoExponentials()
        var options = Self.serialOptions(starts: 4)
        func fit(_ bounds: StartBounds) throws -> [StartResult] {
            options.startBounds = bounds
            return try MultiStart.run(space: space, options: options, makeProblem: make).starts
        }
        let alternating = try fit(.alternating), activeSet = try fit(.activeSet), reflective = try fit(.reflective)
        for (k, start) in alternating.enumerated() {
            let alone = k % 2 == 0 ? activeSet[k] : reflective[k]
            #expect(start.theta.map(\.bitPattern) == alone.theta.map(\.bitPattern), "start \(k)")
            #expect(start.run.evaluations == alone.run.evaluations, "start \(k)")
        }
        #expect(zip(activeSet, reflective).contains { $0.run.evaluations != $1.run.evaluations })
    }

    @Test func progressIsReportedForEveryStart() throws {
        final class Log: @unchecked Sendable { var reports: [MultiStartProgress] = [] }  // written under the driver's lock
        let log = Log()
        let (space, make) = Self.twoExponentials()
        var options = MultiStartOptions()
        options.starts = 6
        options.jobs = 2
        let result = try MultiStart.run(space: space, options: options, makeProblem: make) { log.reports.append($0) }
        #expect(log.reports.map(\.completed) == Array(1...6))
        #expect(log.reports.allSatisfy { $0.total == 6 })
        #expect(log.reports.last?.bestObjective == result.best?.objective)
    }

    @Test func failingRegionEndsThoseStartsButNotTheFit() throws {
        // The model "cannot be simulated" for θ₀ > 1: starts placed there fail at once,
        // with the reason; the rest still find the minimum at (0, 0).
        struct SolverFailure: Error, CustomStringConvertible { var description: String { "too much work at t = 3" } }
        let space = try ParameterSpace([EstimatedParameter(name: "a", lower: -2, upper: 2, scale: .linear),
                                        EstimatedParameter(name: "b", lower: -2, upper: 2, scale: .linear)])
        let make: @Sendable () -> any LeastSquaresProblem = {
            ClosureProblem(parameterCount: 2, residuals: { t in
                if t[0] > 1 { throw SolverFailure() }
                return [t[0], 2 * t[1], t[0] * t[1]]
            })
        }
        var options = MultiStartOptions()
        options.starts = 20
        options.jobs = 2
        let result = try MultiStart.run(space: space, options: options, makeProblem: make)
        let startedInside = Set(result.starts.filter { $0.start[0] > 1 }.map(\.index))
        #expect(!startedInside.isEmpty)
        #expect(Set(result.failedStarts.map(\.index)) == startedInside)
        for failed in result.failedStarts {
            #expect(failed.status == .failed(reason: "cannot evaluate the start point: too much work at t = 3"))
        }
        let best = try #require(result.best)
        #expect(abs(best.theta[0]) < 1e-7 && abs(best.theta[1]) < 1e-7)
        // Failed starts come last in the waterfall.
        #expect(result.waterfall.suffix(startedInside.count).allSatisfy { $0.status.isFailed })
        #expect(result.fractionReachingBest(absoluteTolerance: 1e-12) == Double(20 - startedInside.count) / 20)
    }

    /// Ctrl-C during a fit: the flag is raised from inside the 3rd evaluation of start 0
    /// (one worker, so the order is fixed). That start ends `.interrupted` at its best point
    /// so far; no other start begins; the result says it was cut short.
    @Test func cancellationStopsAtTheBestPointSoFar() throws {
        let (space, make) = Self.twoExponentials()
        let flag = CancellationFlag()
        final class Count: @unchecked Sendable { var n = 0 }  // one worker: no concurrent access
        let count = Count()
        let counting: @Sendable () -> any LeastSquaresProblem = {
            let base = make()
            return ClosureProblem(parameterCount: 4, residuals: { t in
                count.n += 1
                if count.n == 3 { flag.cancel() }
                return try base.evaluate(at: t, jacobian: false).residuals
            }, jacobian: { t in try base.evaluate(at: t, jacobian: true).jacobian! })
        }
        var options = MultiStartOptions()
        options.starts = 8
        options.jobs = 1
        let result = try MultiStart.run(space: space, options: options, cancellation: flag, makeProblem: counting)
        #expect(result.isInterrupted)
        #expect(result.plannedStarts == 8 && result.starts.map(\.index) == [0])
        let only = try #require(result.starts.first)
        #expect(only.status == .interrupted)
        #expect(count.n == 3, "no evaluation after the flag was raised")
        // Its point is the last accepted one: evaluating it gives the objective it reports,
        // which is no worse than the start's.
        let check = try make().evaluate(at: only.theta, jacobian: false)
        #expect(check.objective == only.objective)
        let atStart = try make().evaluate(at: only.start, jacobian: false)
        #expect(only.objective <= atStart.objective)
        #expect(result.best?.index == 0)

        // Raised before anything runs: no start at all, and still a result.
        let early = try MultiStart.run(space: space, options: options, cancellation: flag, makeProblem: make)
        #expect(early.starts.isEmpty && early.isInterrupted && early.best == nil)
        // Never raised: not interrupted.
        let full = try MultiStart.run(space: space, options: options, cancellation: CancellationFlag(), makeProblem: make)
        #expect(!full.isInterrupted && full.starts.count == 8)
    }

    @Test func badBoundsAreRejected() {
        #expect(throws: ParameterSpaceError.self) {
            _ = try ParameterSpace([EstimatedParameter(name: "k", lower: 0, upper: 1, scale: .log10)])
        }
        #expect(throws: ParameterSpaceError.self) {
            _ = try ParameterSpace([EstimatedParameter(name: "k", lower: 2, upper: 1, scale: .linear)])
        }
        #expect(throws: ParameterSpaceError.self) {
            _ = try ParameterSpace([EstimatedParameter(name: "k", lower: 0, upper: .infinity, scale: .linear)])
        }
    }

    @Test func scaledCoordinatesRoundTrip() throws {
        let space = try ParameterSpace([EstimatedParameter(name: "k", lower: 1e-3, upper: 1e3, scale: .log10),
                                        EstimatedParameter(name: "x", lower: -1, upper: 1, scale: .linear)])
        #expect(space.scaledLower == [-3, -1])
        #expect(space.scaledUpper == [3, 1])
        let theta = space.scaled([0.01, 0.5])
        #expect(abs(theta[0] + 2) < 1e-15 && theta[1] == 0.5)
        let back = space.unscaled(theta)
        #expect(abs(back[0] / 0.01 - 1) < 1e-15 && back[1] == 0.5)
    }
    /// r = θ − 0.5 on [0, 1]², which cannot be evaluated where θ₀ > 0.7: 3 of 10
    /// Latin-hypercube points (strata 8–10) start there. With redraws every start gets a
    /// point that can be evaluated and converges; without, those 3 fail.
    @Test func startsThatCannotBeEvaluatedAreRedrawn() throws {
        struct Unsimulable: Error {}
        let space = try ParameterSpace(["a", "b"].map { EstimatedParameter(name: $0, lower: 0, upper: 1, scale: .linear) })
        let make: @Sendable () -> any LeastSquaresProblem = {
            ClosureProblem(parameterCount: 2, residuals: { t in
                guard t[0] <= 0.7 else { throw Unsimulable() }
                return t.map { $0 - 0.5 }
            }, jacobian: { _ in Matrix(rows: 2, columns: 2, columnMajor: [1, 0, 0, 1]) })
        }
        var options = MultiStartOptions()
        options.starts = 10
        options.seed = 11
        options.jobs = 1
        let plain = try MultiStart.run(space: space, options: options, makeProblem: make)
        #expect(plain.failedStarts.count == 3 && plain.redrawnPoints == 0)
        #expect(plain.failedStarts.allSatisfy { $0.run.failedAtStart })

        options.redraws = 50
        let redrawn = try MultiStart.run(space: space, options: options, makeProblem: make)
        #expect(redrawn.failedStarts.isEmpty)
        #expect(redrawn.redrawnPoints >= 3, "\(redrawn.redrawnPoints) redraws")
        for s in redrawn.starts {
            #expect(s.start[0] <= 0.7 && s.status.isConverged && abs(s.theta[0] - 0.5) < 1e-12)
        }
        // The starts that could be evaluated are untouched; the replacements do not depend on the worker.
        for (a, b) in zip(plain.starts, redrawn.starts) where !a.status.isFailed { #expect(a.run == b.run && b.redraws == 0) }
        options.jobs = 3
        let parallel = try MultiStart.run(space: space, options: options, makeProblem: make)
        #expect(parallel.starts.map(\.run) == redrawn.starts.map(\.run) && parallel.starts.map(\.start) == redrawn.starts.map(\.start))
    }

    /// Each start's CPU time is its own worker thread's: with every evaluation burning 2 ms of
    /// thread CPU, a start costs at least 2 ms per evaluation (plus the optimiser's few
    /// microseconds of linear algebra per step, 20 ms allowed), and the starts of two workers
    /// together cost no more than the process used.
    @Test func eachStartCountsTheCPUItsWorkerSpent() throws {
        let space = try ParameterSpace(["a", "b"].map { EstimatedParameter(name: $0, lower: -1, upper: 1, scale: .linear) })
        let make: @Sendable () -> any LeastSquaresProblem = {
            ClosureProblem(parameterCount: 2, residuals: { t in
                let began = threadCPUSeconds()
                var x = 0.0
                while threadCPUSeconds() - began < 0.002 { x = sin(x + 1) }
                return [t[0] - 0.3, 2 * (t[1] + 0.2), t[0] * t[1] + 0 * x]
            }, jacobian: { t in Matrix(rows: 3, columns: 2, columnMajor: [1, 0, t[1], 0, 2, t[0]]) })
        }
        var options = MultiStartOptions()
        options.starts = 6
        options.jobs = 2
        let before = processCPUSeconds()
        let result = try MultiStart.run(space: space, options: options, makeProblem: make)
        let used = processCPUSeconds() - before
        for s in result.starts {
            let burnt = 0.002 * Double(s.run.evaluations)
            #expect(s.cpuTime >= burnt && s.cpuTime < burnt + 0.02, "start \(s.index): \(s.cpuTime) s for \(s.run.evaluations) evaluations")
        }
        #expect(result.starts.reduce(0) { $0 + $1.cpuTime } <= used)
    }

    /// The CPU budget counts every thread: busy work on this one raises the flag once the
    /// process has used the budget, and not long after (the watcher's last sleep is at most
    /// the remaining budget over the cores, so it overshoots by a poll of 10 ms per core
    /// plus scheduling; 0.15 s allowed).
    @Test func cpuBudgetRaisesTheFlag() {
        let flag = CancellationFlag()
        let began = processCPUSeconds()
        flag.cancel(afterCPUSeconds: 0.2)
        var x = 0.0
        let clock = ContinuousClock(), wallStart = clock.now
        while !flag.isCancelled && clock.now - wallStart < .seconds(60) { x = sin(x + 1) }
        let used = processCPUSeconds() - began
        #expect(flag.isCancelled && used >= 0.2 && used < 0.35, "CPU used \(used) s (\(x))")
    }

    /// A start's result travels between MPI ranks as a binary property list: its Jacobian
    /// (entries packed as bit patterns) must come back exactly, signed zero, infinities and a
    /// NaN's payload included.
    @Test func aJacobianTravelsBitForBit() throws {
        let odd: [Double] = [-0.0, .infinity, -.infinity, Double(nan: 0x1234, signaling: false), .leastNonzeroMagnitude,
                             .greatestFiniteMagnitude, 1.0 / 3.0, -2.5e-300, 7, 0.1]
        let jacobian = Matrix(rows: 5, columns: 2, columnMajor: odd)
        let encoder = PropertyListEncoder()
        encoder.outputFormat = .binary
        let back = try PropertyListDecoder().decode([Matrix].self, from: encoder.encode([jacobian]))[0]
        #expect(back.rows == 5 && back.columns == 2)
        #expect(back.elements.map(\.bitPattern) == odd.map(\.bitPattern))
    }

    @Test func aCorruptMatrixIsRefused() throws {
        let short = Data(#"{"rows": 2, "columns": 2, "elements": "AAAAAAAAAAA="}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Matrix.self, from: short) }
    }
}
