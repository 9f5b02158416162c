import Testing
import Foundation
@testable import Fitting
import PathwayTestSupport

/// The shipped fitting fixtures read, and the synthetic one fits its own truth.
@Suite struct FixtureTests {
    static var synthetic: String {
        TestModels.repositoryRoot.appendingPathComponent("Fixtures/fit/hippocampal_bdnf/problem.toml").path
    }

    @Test func syntheticProblemReads() throws {
        let p = try FitProblemReader.read(path: Self.synthetic)
        #expect(p.parameters.count == 7)
        #expect(p.experiments.map(\.name) == ["control", "BAPTA", "CGP55845"])
        #expect(p.experiments.allSatisfy { $0.data.points.count == 2 * 91 }, "15 baseline and 76 follow-up test stimuli, ipsc and ppr each")
    }

    /// At the true parameters the residuals are the generator's noise divided by its sd:
    /// standard normal, so ½Σr² over 546 points is 273 ± 3·√(546/2) ≈ 273 ± 50 (chi-square with 546 degrees of freedom, halved).
    @Test func trueParametersExplainTheData() throws {
        let p = try FitProblemReader.read(path: Self.synthetic)
        let truth = try ParameterFile.read(path: TestModels.repositoryRoot.appendingPathComponent("Fixtures/fit/hippocampal_bdnf/true_parameters.toml").path,
                                           knownNames: p.parameters.map(\.name))
        let objective = try FitObjective(problem: p)
        let theta = p.parameters.map { parameter in parameter.scaled(truth.first { $0.name == parameter.name }!.value) }
        let e = try objective.evaluate(at: theta, jacobian: false)
        let half = 0.5 * e.residuals.reduce(0) { $0 + $1 * $1 }
        #expect(abs(half - 273) < 50, "½Σr² = \(half)")
    }
}
