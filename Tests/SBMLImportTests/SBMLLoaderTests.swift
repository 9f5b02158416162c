import Testing
import Foundation
import SourceDiagnostics
import PathwayModel
import SBMLImport
import ModelCompiler
import Simulation
import KineticsCore
import CVODEIntegration

@Suite struct SBMLLoaderTests {
    static func document(_ body: String, level: Int = 3, version: Int = 2) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <sbml xmlns="http://www.sbml.org/sbml/level\(level)/version\(version)/core" level="\(level)" version="\(version)">
          <model id="m">
        \(body)
          </model>
        </sbml>
        """
    }

    static func load(_ body: String, level: Int = 3, version: Int = 2) throws(DiagnosticsError) -> Pathway {
        try SBMLLoader.load(source: SourceFile(path: "m.xml", text: document(body, level: level, version: version)))
    }

    static func message(_ body: String) -> String? {
        do { _ = try load(body); return nil } catch { return error.diagnostics.first?.description }
    }

    static let decay = """
        <listOfCompartments><compartment id="c" size="2" spatialDimensions="3" constant="true"/></listOfCompartments>
        <listOfSpecies>
          <species id="A" compartment="c" initialAmount="4" hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/>
          <species id="B" compartment="c" initialConcentration="0" hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/>
        </listOfSpecies>
        <listOfParameters><parameter id="k" value="99" constant="true"/></listOfParameters>
        <listOfReactions>
          <reaction id="J" reversible="false">
            <listOfReactants><speciesReference id="sA" species="A" stoichiometry="1" constant="true"/></listOfReactants>
            <listOfProducts><speciesReference species="B" stoichiometry="2" constant="true"/></listOfProducts>
            <kineticLaw>
              <math xmlns="http://www.w3.org/1998/Math/MathML">
                <apply><times/><ci> c </ci><ci> k </ci><ci> A </ci></apply>
              </math>
              <listOfLocalParameters><localParameter id="k" value="0.5"/></listOfLocalParameters>
            </kineticLaw>
          </reaction>
        </listOfReactions>
    """

    @Test func localParametersAreRenamedAndNamedReferencesBecomeParameters() throws {
        let p = try Self.load(Self.decay)
        #expect(p.parameters.map(\.id) == ["k", "J_k", "sA"])
        #expect(p.reactions[0].rate.description == "c*J_k*A")
        #expect(p.reactions[0].reactants[0].stoichiometryExpression?.description == "sA")
        #expect(p.species[0].initialIsAmount && !p.species[1].initialIsAmount)
    }

    @Test func simulatesTheAnalyticSolution() throws {
        let model = try ModelCompiler.compile(try Self.load(Self.decay))
        let request = SimulationRequest(grid: TimeGrid(end: 2, count: 3), columns: ["A", "B"],
                                        options: IntegratorOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-14))
        let r = try Simulator(model: model).run(request)
        for (i, t) in [0.0, 1, 2].enumerated() {
            let a = 2 * exp(-0.5 * t)  // concentration: 4 / 2 at t = 0
            #expect(abs(r.trajectory.value(row: i, column: 0) - a) < 1e-8)
            #expect(abs(r.trajectory.value(row: i, column: 1) - 2 * (2 - a)) < 1e-8)
        }
    }

    @Test func unsupportedFeaturesAreRefusedWithTheirLocation() throws {
        let square = """
        <listOfCompartments><compartment id="c" size="1" spatialDimensions="3" constant="true"/></listOfCompartments>
        <listOfSpecies><species id="x" compartment="c" initialAmount="1" hasOnlySubstanceUnits="true" boundaryCondition="true" constant="false"/></listOfSpecies>
        <listOfRules><algebraicRule><math xmlns="http://www.w3.org/1998/Math/MathML">
          <apply><minus/><apply><power/><ci>x</ci><cn>2</cn></apply><cn>4</cn></apply>
        </math></algebraicRule></listOfRules>
        """
        #expect(Self.message(square) == "m.xml:6:14: error: unsupported: an algebraic rule that is not linear in species 'x' (at 6:14)")
    }

    /// An unknown identifier in MathML is reported where its name is written, not at the
    /// `<ci` before it.
    @Test func unknownIdentifierPointsAtItsName() throws {
        let body = Self.decay.replacingOccurrences(of: "<ci> A </ci></apply>", with: "<ci> Qx </ci></apply>")
        let lines = Self.document(body).split(separator: "\n", omittingEmptySubsequences: false)
        let line = try #require(lines.firstIndex { $0.contains("<ci> Qx </ci>") })
        let column = lines[line].distance(from: lines[line].startIndex, to: lines[line].range(of: "Qx")!.lowerBound) + 1
        let pathway = try Self.load(body)
        do {
            _ = try ModelCompiler.compile(pathway)
            Issue.record("an unknown symbol compiled")
        } catch {
            let d = try #require(error.diagnostics.first)
            #expect(d.message.contains("unknown symbol 'Qx'"), "\(d)")
            #expect(d.description.hasPrefix("m.xml:\(line + 1):\(column): "), "\(d)")
        }
    }

    @Test func linearAlgebraicRulesBecomeAssignmentRules() throws {
        let body = """
        <listOfParameters>
          <parameter id="x" value="1" constant="false"/><parameter id="T" value="10" constant="true"/>
          <parameter id="y" value="3" constant="false"/>
        </listOfParameters>
        <listOfRules>
          <rateRule variable="y"><math xmlns="http://www.w3.org/1998/Math/MathML"><cn>1</cn></math></rateRule>
          <algebraicRule><math xmlns="http://www.w3.org/1998/Math/MathML">
            <apply><minus/><apply><times/><cn>2</cn><ci>x</ci></apply><apply><minus/><ci>T</ci><ci>y</ci></apply></apply>
          </math></algebraicRule>
        </listOfRules>
        """
        let p = try Self.load(body)
        #expect(p.assignmentRules.map(\.variable) == ["x"])
        #expect(p.assignmentRules[0].expression.description == "-(2*0 - (T - y))/(2*1 - 0)")
    }

    @Test func mathMLOperatorsBecomeEngineExpressions() throws {
        func rate(_ mathml: String) throws -> String {
            let body = """
            <listOfParameters><parameter id="x" value="2" constant="true"/></listOfParameters>
            <listOfRules><assignmentRule variable="y"><math xmlns="http://www.w3.org/1998/Math/MathML">\(mathml)</math></assignmentRule></listOfRules>
            """
            return try Self.load(body).assignmentRules[0].expression.description
        }
        #expect(try rate("<apply><root/><degree><cn>3</cn></degree><ci>x</ci></apply>") == "x^(1/3)")
        #expect(try rate("<apply><log/><logbase><cn>2</cn></logbase><ci>x</ci></apply>") == "ln(x)/ln(2)")
        #expect(try rate("<apply><lt/><cn>1</cn><ci>x</ci><cn>3</cn></apply>") == "and(1 < x, x < 3)")
        #expect(try rate("<apply><sech/><ci>x</ci></apply>") == "1/cosh(x)")
        #expect(try rate("<cn type=\"e-notation\">1.5<sep/>-3</cn>") == "0.0015")
        #expect(try rate("<cn type=\"rational\">1<sep/>4</cn>") == "0.25")
        #expect(try rate("<piecewise><piece><cn>1</cn><apply><gt/><ci>x</ci><cn>0</cn></apply></piece><otherwise><cn>0</cn></otherwise></piecewise>")
                == "piecewise(1, x > 0, 0)")
        #expect(try rate("<apply><csymbol definitionURL=\"http://www.sbml.org/sbml/symbols/time\">t</csymbol></apply>".replacingOccurrences(of: "<apply>", with: "").replacingOccurrences(of: "</apply>", with: "")) == "time")
    }
}
