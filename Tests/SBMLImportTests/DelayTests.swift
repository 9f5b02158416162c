import Testing
import Foundation
import SourceDiagnostics
import PathwayModel
import SBMLImport
import ModelCompiler
import Simulation
import KineticsCore
import CVODEIntegration

/// Delay differential equations: `delay(x, τ)` from SBML's delay csymbol.
@Suite struct DelayTests {
    static func model(rate: String, parameters: String = "") -> String {
        SBMLLoaderTests.document("""
            <listOfParameters>
              <parameter id="x" value="1" constant="false"/>
              <parameter id="tau" value="1" constant="true"/>
              \(parameters)
            </listOfParameters>
            <listOfRules><rateRule variable="x"><math xmlns="http://www.w3.org/1998/Math/MathML">\(rate)</math></rateRule></listOfRules>
            """)
    }

    static func delay(_ x: String, _ tau: String) -> String {
        "<apply><csymbol encoding=\"text\" definitionURL=\"http://www.sbml.org/sbml/symbols/delay\">delay</csymbol>\(x)\(tau)</apply>"
    }

    /// x' = −x(t − 1), x = 1 for t ≤ 0, by the method of steps:
    /// [0,1]: 1 − t; [1,2]: t²/2 − 2t + 3/2; [2,3]: −1/2 − u³/6 + u² − 3u/2 + 2/3 with u = t − 1.
    static func exact(_ t: Double) -> Double {
        if t <= 1 { return 1 - t }
        if t <= 2 { return t * t / 2 - 2 * t + 1.5 }
        let u = t - 1
        return -0.5 - u * u * u / 6 + u * u - 1.5 * u + 2.0 / 3
    }

    @Test func exactSolutionsAtTheBreakpoints() {
        #expect(Self.exact(1) == 0)
        #expect(abs(Self.exact(2) + 0.5) < 1e-15)
        #expect(abs(Self.exact(3) + 1.0 / 6) < 1e-15)
    }

    @Test func negativeFeedbackMatchesTheMethodOfSteps() throws {
        let text = Self.model(rate: "<apply><minus/>\(Self.delay("<ci>x</ci>", "<ci>tau</ci>"))</apply>")
        let pathway = try SBMLLoader.load(source: SourceFile(path: "dde.xml", text: text))
        let model = try ModelCompiler.compile(pathway)
        #expect(model.delays.count == 1)
        let request = SimulationRequest(grid: TimeGrid(end: 3, count: 61), columns: ["x"],
                                        options: IntegratorOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-12))
        let r = try Simulator(model: model).run(request)
        #expect(r.failure == nil)
        #expect(r.trajectory.rowCount == 61)
        // Tolerance: the solution is a polynomial of degree ≤ 3 on each unit interval and the
        // history splits at t = 1, 2 (where the start's kink arrives), so interpolating it
        // is exact; what is left is the solver's global error, about rtol·(steps) ≈ 1e-10 ·
        // a few hundred ≈ 1e-8 at worst (1.4e-10 measured), and 1e-8 still fails for
        // any interpolation across a kink (its error is ~1e-4 at a 1/32 spacing).
        var worst = 0.0
        for i in 0..<r.trajectory.rowCount {
            let t = r.trajectory.times[i]
            worst = max(worst, abs(r.trajectory.value(row: i, column: 0) - Self.exact(t)))
        }
        #expect(worst < 1e-8, "largest error \(worst)")
    }

    @Test func aDelayIntervalThatChangesIsRefused() throws {
        let text = Self.model(rate: "<apply><minus/>\(Self.delay("<ci>x</ci>", "<ci>x</ci>"))</apply>")
        let pathway = try SBMLLoader.load(source: SourceFile(path: "dde.xml", text: text))
        #expect(throws: DiagnosticsError.self) { _ = try ModelCompiler.compile(pathway) }
        do { _ = try ModelCompiler.compile(pathway) } catch {
            #expect(error.diagnostics.first?.message.hasPrefix("unsupported: a delay interval that changes during the run") == true)
        }
    }
}
