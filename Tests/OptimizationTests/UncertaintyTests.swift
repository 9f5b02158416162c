import Testing
import Optimization
#if canImport(Glibc)
import Glibc
#endif

/// Fisher (Wald) intervals, profile likelihoods and identifiability flags on models whose
/// answers are known in closed form.
@Suite struct UncertaintyTests {
    /// y = a + b x + N(0, σ²), σ = 0.5 known: residuals (y − a − b x)/σ, objective = NLL − const.
    struct Line {
        let x = (0..<20).map { Double($0) * 0.5 }
        let sigma = 0.5
        let y: [Double]
        init() {
            let noise = syntheticNoise(count: 20, seed: 99)
            y = zip(x, noise).map { 1.3 + 0.8 * $0 + 0.5 * $1 }
        }
        var space: ParameterSpace {
            try! ParameterSpace([EstimatedParameter(name: "a", lower: -100, upper: 100, scale: .linear),
                                 EstimatedParameter(name: "b", lower: -100, upper: 100, scale: .linear)])
        }
        var factory: @Sendable () -> any LeastSquaresProblem {
            let x = x, y = y, sigma = sigma
            return {
                ClosureProblem(parameterCount: 2, residuals: { t in zip(x, y).map { ($1 - t[0] - t[1] * $0) / sigma } },
                               jacobian: { _ in Matrix(rowMajor: x.map { [-1 / sigma, -$0 / sigma] }) })
            }
        }
    }

    @Test func linearModelProfileAndWaldIntervalsAreTheAnalyticOnes() throws {
        let line = Line()
        // Closed form: b̂ = Sxy/Sxx, â = ȳ − b̂x̄; Var b̂ = σ²/Sxx, Var â = σ²(1/n + x̄²/Sxx).
        // With σ known the exact 95 % interval is θ̂ ± z₀.₉₇₅·sd (the χ²₁ likelihood-ratio
        // interval of a Gaussian linear model is exactly this).
        let n = Double(line.x.count)
        let xbar = line.x.reduce(0, +) / n, ybar = line.y.reduce(0, +) / n
        let sxx = line.x.reduce(0) { $0 + ($1 - xbar) * ($1 - xbar) }
        let sxy = zip(line.x, line.y).reduce(0) { $0 + ($1.0 - xbar) * ($1.1 - ybar) }
        let bHat = sxy / sxx, aHat = ybar - bHat * xbar
        let sdA = line.sigma * (1 / n + xbar * xbar / sxx).squareRoot(), sdB = line.sigma / sxx.squareRoot()
        let z = 1.959963984540054

        let problem = line.factory()
        let fit = LevenbergMarquardt().minimize(problem, from: [0, 0], lower: line.space.scaledLower, upper: line.space.scaledUpper)
        #expect(fit.status.isConverged)
        #expect(abs(fit.theta[0] - aHat) < 1e-9 && abs(fit.theta[1] - bHat) < 1e-9)

        let report = try ProfileLikelihood.analyse(space: line.space, optimum: fit, makeProblem: line.factory)
        for (p, (estimate, sd)) in zip(report.parameters, [(aHat, sdA), (bHat, sdB)]) {
            #expect(p.identifiability == .identifiable)
            #expect(abs(p.standardError - sd) < 1e-9)
            // Tolerance 1e-6: for a linear model z = √(2·rise) = |θ − θ̂|/sd exactly, so the
            // crossing interpolated in z is exact up to the inner fits (objective converged
            // to ~1e-10 relative, i.e. |Δθ| ≲ 1e-9 here). A crossing located only to the
            // refinement tolerance (rise ± 1e-4, |Δθ| ≈ 1e-4·sd/1.96 ≈ 1e-5) would fail.
            let lower = try #require(p.profileLower), upper = try #require(p.profileUpper)
            #expect(abs(lower - (estimate - z * sd)) < 1e-6)
            #expect(abs(upper - (estimate + z * sd)) < 1e-6)
            #expect(abs(p.waldInterval.lowerBound - (estimate - z * sd)) < 1e-6)
            #expect(abs(p.waldInterval.upperBound - (estimate + z * sd)) < 1e-6)
            #expect(abs(lower - p.waldInterval.lowerBound) < 1e-6 && abs(upper - p.waldInterval.upperBound) < 1e-6)
            // The profile is the parabola ½((θ − θ̂)/sd)² at every point.
            for point in p.profile.points {
                #expect(abs(point.objective - report.optimumObjective - 0.5 * pow((point.value - estimate) / sd, 2)) < 1e-7)
            }
            print("line, \(p.name): profile CI [\(lower), \(upper)], \(p.profile.points.count) points, \(p.profile.optimisations) re-optimisations")
        }
    }

    @Test func profilesAreIdenticalForAnyNumberOfJobs() throws {
        let line = Line()
        let fit = LevenbergMarquardt().minimize(line.factory(), from: [0, 0], lower: line.space.scaledLower, upper: line.space.scaledUpper)
        var options = ProfileOptions()
        options.jobs = 1
        let serial = try ProfileLikelihood.analyse(space: line.space, optimum: fit, options: options, makeProblem: line.factory)
        options.jobs = 2
        let parallel = try ProfileLikelihood.analyse(space: line.space, optimum: fit, options: options, makeProblem: line.factory)
        #expect(serial.parameters == parallel.parameters)
        for (a, b) in zip(serial.parameters, parallel.parameters) {
            #expect(a.profile.points.flatMap(\.theta).map(\.bitPattern) == b.profile.points.flatMap(\.theta).map(\.bitPattern))
        }
    }

    @Test func productOfParametersIsStructurallyNonIdentifiable() throws {
        // y = a·b·x + c: only a·b is determined (the Jacobian columns of log10 a and log10 b
        // are equal), c is identifiable.
        let x = (1...10).map(Double.init)
        let noise = syntheticNoise(count: x.count, seed: 4)
        let y = zip(x, noise).map { 2 * $0 + 0.5 + 0.1 * $1 }
        let space = try ParameterSpace([EstimatedParameter(name: "a", lower: 1e-2, upper: 1e2, scale: .log10),
                                        EstimatedParameter(name: "b", lower: 1e-2, upper: 1e2, scale: .log10),
                                        EstimatedParameter(name: "c", lower: -10, upper: 10, scale: .linear)])
        let make: @Sendable () -> any LeastSquaresProblem = {
            ClosureProblem(parameterCount: 3, residuals: { t in
                let ab = pow(10, t[0] + t[1])
                return zip(x, y).map { (ab * $0 + t[2] - $1) / 0.1 }
            }, jacobian: { t in
                let ab = pow(10, t[0] + t[1])
                return Matrix(rowMajor: x.map { [ab * $0 * M_LN10 / 0.1, ab * $0 * M_LN10 / 0.1, 1 / 0.1] })
            })
        }
        let fit = LevenbergMarquardt().minimize(make(), from: [0.5, -0.1, 0], lower: space.scaledLower, upper: space.scaledUpper)
        #expect(fit.status.isConverged)
        let report = try ProfileLikelihood.analyse(space: space, optimum: fit, makeProblem: make)
        #expect(report.fisher.nullSpace.count == 1)
        let v = report.fisher.nullSpace[0]
        #expect(abs(abs(v[0]) - 0.5.squareRoot()) < 1e-8 && abs(v[0] + v[1]) < 1e-8 && abs(v[2]) < 1e-8)
        #expect(report.parameters.map(\.identifiability) == [.structurallyNonIdentifiable, .structurallyNonIdentifiable, .identifiable])
        #expect(report.parameters[0].standardError == .infinity)
        #expect(report.parameters[2].standardError.isFinite)
        #expect(report.parameters[2].profileLower != nil && report.parameters[2].profileUpper != nil)
        // Along a's profile b compensates (a·b fixed), so the objective stays at the optimum
        // until b meets its bound.
        let flat = report.parameters[0].profile.points.filter { abs($0.value - fit.theta[0]) < 0.5 }
        #expect(flat.count > 1)
        #expect(flat.allSatisfy { abs($0.objective - fit.objective) < 1e-6 })
    }

    @Test func decayTooFastForTheDataIsPracticallyNonIdentifiable() throws {
        // y = A e^{−k t} seen at t = 0, 1, 2, 3 with σ = 0.01 and y = (1, 1e-4, 0, 0): A ≈ 1,
        // k̂ = ln 10⁴ ≈ 9.2, and any larger k fits as well (rise ≤ ½(1e-4/0.01)² = 5e-5), so
        // k's profile reaches its upper bound below the threshold. Lower k is excluded
        // (k = 3 leaves a residual of 5σ at t = 1). J is not singular at the optimum:
        // this is practical, not structural, non-identifiability.
        let times = [0.0, 1, 2, 3], data = [1.0, 1e-4, 0, 0]
        let space = try ParameterSpace([EstimatedParameter(name: "A", lower: 1e-2, upper: 1e2, scale: .log10),
                                        EstimatedParameter(name: "k", lower: 1e-2, upper: 1e3, scale: .log10)])
        let make: @Sendable () -> any LeastSquaresProblem = {
            ClosureProblem(parameterCount: 2, residuals: { t in
                let a = pow(10, t[0]), k = pow(10, t[1])
                return zip(times, data).map { (a * exp(-k * $0) - $1) / 0.01 }
            })
        }
        let fit = LevenbergMarquardt().minimize(make(), from: [0.2, 0.5], lower: space.scaledLower, upper: space.scaledUpper)
        #expect(fit.status.isConverged)
        #expect(abs(pow(10, fit.theta[1]) - log(1e4)) < 0.05)
        let report = try ProfileLikelihood.analyse(space: space, optimum: fit, makeProblem: make)
        let a = report.parameters[0], k = report.parameters[1]
        #expect(a.identifiability == .identifiable)
        #expect(k.identifiability == .practicallyNonIdentifiable)
        #expect(k.profile.upperEnd == .reachedBound)
        #expect(k.profileUpper == nil)
        let kLower = try #require(k.profileLowerValue)
        #expect(kLower > 3 && kLower < log(1e4))
        #expect(k.profile.points.last?.value == 3)   // walked up to log10 of the bound 1e3
    }
}
