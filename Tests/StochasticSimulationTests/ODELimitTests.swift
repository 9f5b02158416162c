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
        let x = volumes.map { log($0) }, y = errors.map { log($0) }
        let mx = x.reduce(0, +) / 4, my = y.reduce(0, +) / 4
        let slope = zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        #expect(abs(slope + 0.5) < 0.15, "errors \(errors), slope \(slope)")
        #expect(errors.last! < 0.05, "at the largest volume the mean is within 5% of the ODE")
    }
}
