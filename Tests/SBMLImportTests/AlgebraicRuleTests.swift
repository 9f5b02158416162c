import Testing
import Foundation
import SourceDiagnostics
import PathwayModel
import SBMLImport
import ModelCompiler
import Simulation
import KineticsCore
import CVODEIntegration

/// Non-linear algebraic rules reduced to ODEs: `x′ = −k·x` with `0 = y² − x` is the
/// index-1 DAE whose solution from x(0) = 4 is x = 4·e^(−kt), y = 2·e^(−kt/2) (the root
/// Newton's method reaches from the declared y = 1; the other root, −2, is not it).
@Suite struct AlgebraicRuleTests {
    static let k = 0.7
    static let model = SBMLLoaderTests.document("""
        <listOfParameters>
          <parameter id="x" value="4" constant="false"/>
          <parameter id="y" value="1" constant="false"/>
          <parameter id="k" value="\(k)" constant="true"/>
        </listOfParameters>
        <listOfRules>
          <rateRule variable="x"><math xmlns="http://www.w3.org/1998/Math/MathML">
            <apply><times/><cn>-1</cn><ci>k</ci><ci>x</ci></apply>
          </math></rateRule>
          <algebraicRule><math xmlns="http://www.w3.org/1998/Math/MathML">
            <apply><minus/><apply><power/><ci>y</ci><cn>2</cn></apply><ci>x</ci></apply>
          </math></algebraicRule>
        </listOfRules>
        """)

    @Test func squareRootFollowsTheClosedForm() throws {
        let pathway = try SBMLLoader.load(source: SourceFile(path: "dae.xml", text: Self.model))
        let model = try ModelCompiler.compile(pathway)
        let request = SimulationRequest(grid: TimeGrid(end: 3, count: 31), columns: ["x", "y"],
                                        options: IntegratorOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-14))
        let r = try Simulator(model: model).run(request)
        #expect(r.failure == nil)
        // Values of order 1 at rtol 1e-10: global error near 1e-9; 1e-7 leaves room, and a
        // start off the constraint (y(0) = 1) or a drifting y fails by far more.
        for i in 0..<r.trajectory.rowCount {
            let t = r.trajectory.times[i]
            #expect(abs(r.trajectory.value(row: i, column: 0) - 4 * exp(-Self.k * t)) < 1e-7, "x at t = \(t)")
            #expect(abs(r.trajectory.value(row: i, column: 1) - 2 * exp(-Self.k * t / 2)) < 1e-7, "y at t = \(t)")
        }
    }

    @Test func aRuleWithNoRealRootIsRefusedAtTheStart() throws {
        // y² + x = 0 with x = 4 has no real root: Newton wanders, the start is NaN.
        let text = Self.model.replacingOccurrences(of: "<apply><minus/><apply><power/><ci>y</ci><cn>2</cn></apply><ci>x</ci></apply>",
                                                   with: "<apply><plus/><apply><power/><ci>y</ci><cn>2</cn></apply><ci>x</ci></apply>")
        let model = try ModelCompiler.compile(try SBMLLoader.load(source: SourceFile(path: "dae.xml", text: text)))
        let r = try Simulator(model: model).run(SimulationRequest(grid: TimeGrid(end: 1, count: 2), columns: ["y"]))
        #expect(r.failure?.reason.contains("not a finite number") == true, "\(r.failure.map { String(describing: $0) } ?? "no failure")")
    }
}
