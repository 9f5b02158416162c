import Testing
import Foundation
import SourceDiagnostics
import PathwayModel
import SBMLImport
import ModelCompiler
import Simulation
import KineticsCore
import CVODEIntegration

/// Fast reactions held at equilibrium: the DAE `A ⇌ B` (fast, kf·A − kr·B = 0), `B → C`
/// (slow, k·B) has a closed form. With K = kf/kr the fast pair keeps B = K·A, so the
/// total T = A + B decays as T′ = −k·B = −k·K/(1+K)·T; starting from A = 1, B = 0 the
/// start moves to the equilibrium A = 1/(1+K), B = K/(1+K) at once, and then
/// A(t) = e^(−λt)/(1+K), B(t) = K·A(t), C(t) = 1 − e^(−λt) with λ = k·K/(1+K).
@Suite struct FastReactionTests {
    static let kf = 3.0, kr = 1.0, k = 0.5
    static let model = SBMLLoaderTests.document("""
        <listOfCompartments><compartment id="c" size="2" spatialDimensions="3" constant="true"/></listOfCompartments>
        <listOfSpecies>
          <species id="A" compartment="c" initialAmount="2" hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/>
          <species id="B" compartment="c" initialAmount="0" hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/>
          <species id="C" compartment="c" initialAmount="0" hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/>
        </listOfSpecies>
        <listOfParameters>
          <parameter id="kf" value="\(kf)" constant="true"/><parameter id="kr" value="\(kr)" constant="true"/>
          <parameter id="k" value="\(k)" constant="true"/>
        </listOfParameters>
        <listOfReactions>
          <reaction id="fast" reversible="true" fast="true">
            <listOfReactants><speciesReference species="A" stoichiometry="1" constant="true"/></listOfReactants>
            <listOfProducts><speciesReference species="B" stoichiometry="1" constant="true"/></listOfProducts>
            <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
              <apply><times/><ci>c</ci><apply><minus/><apply><times/><ci>kf</ci><ci>A</ci></apply><apply><times/><ci>kr</ci><ci>B</ci></apply></apply></apply>
            </math></kineticLaw>
          </reaction>
          <reaction id="slow" reversible="false">
            <listOfReactants><speciesReference species="B" stoichiometry="1" constant="true"/></listOfReactants>
            <listOfProducts><speciesReference species="C" stoichiometry="1" constant="true"/></listOfProducts>
            <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML"><apply><times/><ci>c</ci><ci>k</ci><ci>B</ci></apply></math></kineticLaw>
          </reaction>
        </listOfReactions>
        """, level: 3, version: 1)

    @Test func equilibriumIsKeptAndMatchesTheClosedForm() throws {
        let pathway = try SBMLLoader.load(source: SourceFile(path: "fast.xml", text: Self.model))
        let model = try ModelCompiler.compile(pathway)
        let request = SimulationRequest(grid: TimeGrid(end: 4, count: 41), columns: ["A", "B", "C"],
                                        options: IntegratorOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-14))
        let r = try Simulator(model: model).run(request)
        #expect(r.failure == nil)
        let K = Self.kf / Self.kr, lambda = Self.k * K / (1 + K)
        // Concentrations of order 1, rtol 1e-10: the solver's global error stays near 1e-9;
        // 1e-7 allows for it, and a start left off the equilibrium (A(0) = 1, not 0.25)
        // or a flux that lets the pair drift fails by orders of magnitude.
        for i in 0..<r.trajectory.rowCount {
            let t = r.trajectory.times[i]
            let a = exp(-lambda * t) / (1 + K)
            #expect(abs(r.trajectory.value(row: i, column: 0) - a) < 1e-7, "A at t = \(t)")
            #expect(abs(r.trajectory.value(row: i, column: 1) - K * a) < 1e-7, "B at t = \(t)")
            #expect(abs(r.trajectory.value(row: i, column: 2) - (1 - exp(-lambda * t))) < 1e-7, "C at t = \(t)")
        }
    }

    @Test func fastReactionsSharingASpeciesAreRefused() throws {
        let shared = Self.model.replacingOccurrences(of: #"<reaction id="slow" reversible="false">"#,
                                                     with: #"<reaction id="slow" reversible="false" fast="true">"#)
        #expect(throws: DiagnosticsError.self) { _ = try SBMLLoader.load(source: SourceFile(path: "fast.xml", text: shared)) }
        do { _ = try SBMLLoader.load(source: SourceFile(path: "fast.xml", text: shared)) } catch {
            let d = error.diagnostics.first
            #expect(d?.message.hasPrefix("unsupported: fast reactions 'fast' and 'slow' that share species 'B'") == true, "\(d?.message ?? "")")
            // At the second reaction's element.
            let lines = shared.split(separator: "\n", omittingEmptySubsequences: false)
            let line = try #require(lines.firstIndex { $0.contains(#"<reaction id="slow""#) })
            let column = lines[line].distance(from: lines[line].startIndex, to: lines[line].range(of: "<reaction")!.lowerBound) + 1
            #expect(d?.range?.startLocation == SourceLocation(line: line + 1, column: column), "\(d.map { String(describing: $0) } ?? "")")
        }
    }
}
