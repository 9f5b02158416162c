import Testing
import SourceDiagnostics
import SBMLImport
import FluxBalance

@Suite struct FluxBalanceAnalysisTests {
    /// X → A (at most 10), A → B, A → C, 2 B → Y, C → Y; maximise R4 + R5.
    /// A is split between R2 and R3 with R2 + R3 = R1 ≤ 10, and the objective is
    /// R2/2 + R3, so the unique optimum sends everything through C: R1 = R3 = R5 = 10,
    /// R2 = R4 = 0, objective 10.
    static func model(version: Int, bounds: String, reactionBounds: (String) -> String = { _ in "" },
                      parameters: String = "", extra: String = "") -> String {
        func reaction(_ id: String, _ from: String, _ to: String, _ s: String = "1") -> String {
            """
                <reaction id="\(id)" reversible="false" fast="false"\(reactionBounds(id))>
                  <listOfReactants><speciesReference species="\(from)" stoichiometry="\(s)" constant="true"/></listOfReactants>
                  <listOfProducts><speciesReference species="\(to)" stoichiometry="1" constant="true"/></listOfProducts>
                </reaction>
            """
        }
        let species = ["X", "A", "B", "C", "Y"].map { s in
            "<species id=\"\(s)\" compartment=\"c\" initialConcentration=\"0\" hasOnlySubstanceUnits=\"false\" boundaryCondition=\"\(s == "X" || s == "Y")\" constant=\"false\"/>"
        }.joined(separator: "\n")
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" xmlns:fbc="http://www.sbml.org/sbml/level3/version1/fbc/version\(version)"
                  level="3" version="1" fbc:required="false">
              <model id="branch"\(version == 2 ? " fbc:strict=\"true\"" : "")>
                <listOfCompartments><compartment id="c" size="1" constant="true"/></listOfCompartments>
                <listOfSpecies>
            \(species)
                </listOfSpecies>
            \(parameters)
            \(extra)
                <listOfReactions>
            \(reaction("R1", "X", "A"))
            \(reaction("R2", "A", "B"))
            \(reaction("R3", "A", "C"))
            \(reaction("R4", "B", "Y", "2"))
            \(reaction("R5", "C", "Y"))
                </listOfReactions>
            \(bounds)
                <fbc:listOfObjectives fbc:activeObjective="obj">
                  <fbc:objective fbc:id="obj" fbc:type="maximize">
                    <fbc:listOfFluxObjectives>
                      <fbc:fluxObjective fbc:reaction="R4" fbc:coefficient="1"/>
                      <fbc:fluxObjective fbc:reaction="R5" fbc:coefficient="1"/>
                    </fbc:listOfFluxObjectives>
                  </fbc:objective>
                </fbc:listOfObjectives>
              </model>
            </sbml>
            """
    }

    /// fbc v1: bounds as <fluxBound> elements.
    static let version1 = model(version: 1, bounds: """
            <fbc:listOfFluxBounds>
              <fbc:fluxBound fbc:reaction="R1" fbc:operation="lessEqual" fbc:value="10"/>
              \((1...5).map { "<fbc:fluxBound fbc:reaction=\"R\($0)\" fbc:operation=\"greaterEqual\" fbc:value=\"0\"/>" }.joined(separator: "\n"))
            </fbc:listOfFluxBounds>
        """)

    /// fbc v2: bounds as parameters named on each reaction; the supply's limit is set by an
    /// initial assignment (5 + 5), so the value used must be the one at the start.
    static let version2 = model(
        version: 2, bounds: "",
        reactionBounds: { id in " fbc:lowerFluxBound=\"zero\" fbc:upperFluxBound=\"\(id == "R1" ? "supply" : "big")\"" },
        parameters: """
            <listOfParameters>
              <parameter id="zero" value="0" constant="true"/>
              <parameter id="supply" value="99" constant="true"/>
              <parameter id="big" value="1000" constant="true"/>
            </listOfParameters>
        """,
        extra: """
            <listOfInitialAssignments>
              <initialAssignment symbol="supply">
                <math xmlns="http://www.w3.org/1998/Math/MathML"><apply><plus/><cn>5</cn><cn>5</cn></apply></math>
              </initialAssignment>
            </listOfInitialAssignments>
        """)

    static func solve(_ text: String) throws -> FluxBalanceResult {
        try FluxBalanceAnalysis.solve(SBMLLoader.loadModel(source: SourceFile(path: "m.xml", text: text)))
    }

    @Test(arguments: [version1, version2])
    func theBranchModelSendsEverySupplyThroughTheCheaperBranch(_ text: String) throws {
        let r = try Self.solve(text)
        // A vertex of a small LP with integer data: exact up to rounding.
        #expect(r.status == .optimal)
        for (id, expected) in [("R1", 10.0), ("R2", 0), ("R3", 10), ("R4", 0), ("R5", 10), ("obj", 10)] {
            #expect(abs((r.value(of: id) ?? .nan) - expected) < 1e-9, "\(id)")
        }
    }

    @Test func crossedBoundsGiveNaNFluxesAndObjective() throws {
        let text = Self.version1.replacingOccurrences(
            of: "<fbc:listOfFluxBounds>",
            with: "<fbc:listOfFluxBounds>\n<fbc:fluxBound fbc:reaction=\"R5\" fbc:operation=\"lessEqual\" fbc:value=\"-1\"/>")
        let r = try Self.solve(text)
        #expect(r.status == .infeasible)
        #expect(r.value(of: "obj")!.isNaN && r.fluxes.allSatisfy(\.isNaN))
    }

    @Test func aBoundOnAnUnknownReactionIsReportedWhereItIs() throws {
        let text = Self.version1.replacingOccurrences(of: "fbc:reaction=\"R1\" fbc:operation=\"lessEqual\"",
                                                      with: "fbc:reaction=\"R9\" fbc:operation=\"lessEqual\"")
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("\"R9\"") }! + 1
        #expect(throws: DiagnosticsError.self) { try Self.solve(text) }
        do { _ = try Self.solve(text) } catch let error as DiagnosticsError {
            let d = try #require(error.diagnostics.first)
            #expect(d.description.hasPrefix("m.xml:\(line):"))
            #expect(d.description.contains("flux bound on an unknown reaction 'R9'"))
        }
    }

    @Test func simulatingAFluxBalanceModelSaysWhatToRunInstead() {
        do {
            _ = try SBMLLoader.load(source: SourceFile(path: "m.xml", text: Self.version2))
            Issue.record("a model without kinetic laws was loaded for simulation")
        } catch {
            let text = error.diagnostics.map(\.description).joined(separator: "\n")
            #expect(text.contains("is a flux-balance model (objective 'obj')"))
            #expect(error.diagnostics.flatMap(\.hints).contains { $0.contains("kinapse fba m.xml") })
        }
    }
}
