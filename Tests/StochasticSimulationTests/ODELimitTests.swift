import Testing
import Foundation
import PathwayTestSupport
import ModelCompiler
import KineticsCore
@testable import StochasticSimulation

@Suite struct ODELimitTests {
    /// The shipped NO–cGMP–PKG pathway after a Ca²⁺ step to 0.3 µM (assumption: a moderate
    /// postsynaptic rise, kept small so Ca⁴ binding fires few enough molecules to test quickly).
    static func stepText() throws -> String {
        let url = TestModels.repositoryRoot.appendingPathComponent("Pathways/no_cgmp_pkg.ant")
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.contains("\n  Ca = 0.05;"))
        return text.replacingOccurrences(of: "\n  Ca = 0.05;", with: "\n  Ca = 0.3;")
    }

    /// By the linear-noise approximation (van Kampen; Elf & Ehrenberg 2003, Genome Res
    /// 13:2475) concentrations fluctuate about the ODE solution with SD ∝ 1/√Ω and the mean
    /// is off by O(1/Ω), so the trial mean's error over a fixed number of trials, dominated
    /// by its sampling error SD/√trials, falls like 1/√volume: the fitted log–log slope is
    /// −½. The error is the RMS over output times and the observed species of
    /// (mean − ODE)/ODE; the ±0.15 accepted around −½ is several standard errors of a slope
    /// fitted to four errors that each scatter by about 1/√(degrees of freedom) ≈ 20%.
    @Test func trialMeanConvergesToODE() throws {
        let text = try Self.stepText()
        let observed = ["Ca", "Ca4CaM", "PKG_cGMP"]
        let times = (0...10).map { Double($0) * 0.025 }
        let reference = try TestModels.simulate(text, tEnd: 0.25, points: times.count, rtol: 1e-10, atol: 1e-14, columns: observed).trajectory
        let pathway = try TestModels.pathway(text)
        let compiled = try ModelCompiler.compile(pathway)
        let volumes = [2.0, 8, 32, 128]  // fL: Ca4CaM peaks near 100 to 6,000 molecules
        var errors: [Double] = []
        for v in volumes {
            let model = try StochasticModel(pathway: pathway, compiled: compiled, scale: MoleculeScale(femtolitres: v))
            let result = try StochasticEnsemble(model: model, method: .ssa).run(trials: 64, seed: 7, times: times, columns: observed, jobs: 2)
            let mean = result.summary()
            var squares = 0.0, n = 0.0
            for r in 1..<times.count {
                for c in observed.indices {
                    let ode = reference.value(row: r, column: c)
                    squares += pow((mean.value(row: r, column: 2 * c) - ode) / ode, 2)
                    n += 1
                }
            }
            errors.append((squares / n).squareRoot())
        }
        let slope = Self.logLogSlope(volumes, errors)
        #expect(abs(slope + 0.5) < 0.15, "errors \(errors), slope \(slope)")
        #expect(errors.last! < 0.05, "at the largest volume the mean is within 5% of the ODE")
    }

    /// The least-squares slope of log(y) against log(x).
    static func logLogSlope(_ x: [Double], _ y: [Double]) -> Double {
        let x = x.map { log($0) }, y = y.map { log($0) }
        let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
        return zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
    }

    /// The hybrid on a nonlinear model: a fast A ⇌ B (deterministic at every volume here)
    /// feeds the birth of X, which annihilates in pairs (2X → ∅, a combinatorial
    /// propensity), both slow and few-copy (jumps). X's trial mean departs from the ODE by a
    /// bias of order 1/Ω (the pair propensity x(x−1) against x²) plus a sampling error of
    /// order 1/√(Ω·trials), so its relative error falls with a log–log slope between −1 and
    /// −½; the band [−1.15, −0.35] adds the ±0.15 scatter of `trialMeanConvergesToODE`.
    /// At steady state X is near 0.02 µM: 6 molecules at 0.5 fL, 96 at 8 fL.
    @Test func hybridTrialMeanConvergesToODE() throws {
        let text = """
            model hybrid_pairs()
              compartment c = 1;
              species A in c = 0.6; species B in c = 0.4; species X in c = 0;
              iso: A -> B; k1*A - k2*B;
              birth: -> X; kb*A;
              pairs: 2X -> ; kd*X^2;
              k1 = 2; k2 = 2; kb = 0.16; kd = 100;
            end
            """
        let times = [0, 0.25, 0.5]
        let reference = try TestModels.simulate(text, tEnd: 0.5, points: times.count, rtol: 1e-10, atol: 1e-14, columns: ["X"]).trajectory
        let pathway = try TestModels.pathway(text)
        let compiled = try ModelCompiler.compile(pathway)
        let volumes = [0.5, 1, 2, 4, 8]  // fL
        var errors: [Double] = []
        for v in volumes {
            let model = try StochasticModel(pathway: pathway, compiled: compiled, scale: MoleculeScale(femtolitres: v), continuousChange: true)
            let hybrid = try HybridModel(pathway: pathway, stochastic: model, outputInterval: 0.25)
            #expect(hybrid.continuousReactions == [0], "A ⇌ B deterministic at \(v) fL")
            let mean = try StochasticEnsemble(hybrid: hybrid).run(trials: 64, seed: 5, times: times, columns: ["X"], jobs: 2).summary()
            let squares = (1..<times.count).reduce(0.0) { $0 + pow((mean.value(row: $1, column: 0) - reference.value(row: $1, column: 0)) / reference.value(row: $1, column: 0), 2) }
            errors.append((squares / Double(times.count - 1)).squareRoot())
        }
        let slope = Self.logLogSlope(volumes, errors)
        #expect(slope > -1.15 && slope < -0.35, "errors \(errors), slope \(slope)")
        #expect(errors.last! < 0.1, "at 8 fL the mean is within 10% of the ODE")
    }
}
