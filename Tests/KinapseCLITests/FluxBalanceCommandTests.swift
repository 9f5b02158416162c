import Testing
import Foundation

/// `kinapse fba`, and `simulate` pointing to it for a model without kinetic laws.
@Suite(.serialized) struct FluxBalanceCommandTests {
    /// X → A (at most 4) → Y, maximise the outflow: the optimum is 4 through both reactions.
    static let model = """
        <?xml version="1.0" encoding="UTF-8"?>
        <sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" xmlns:fbc="http://www.sbml.org/sbml/level3/version1/fbc/version1"
              level="3" version="1" fbc:required="false">
          <model id="chain">
            <listOfCompartments><compartment id="c" size="1" constant="true"/></listOfCompartments>
            <listOfSpecies>
              <species id="X" compartment="c" initialConcentration="0" hasOnlySubstanceUnits="false" boundaryCondition="true" constant="false"/>
              <species id="A" compartment="c" initialConcentration="0" hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/>
              <species id="Y" compartment="c" initialConcentration="0" hasOnlySubstanceUnits="false" boundaryCondition="true" constant="false"/>
            </listOfSpecies>
            <listOfReactions>
              <reaction id="supply" reversible="false" fast="false">
                <listOfReactants><speciesReference species="X" stoichiometry="1" constant="true"/></listOfReactants>
                <listOfProducts><speciesReference species="A" stoichiometry="1" constant="true"/></listOfProducts>
              </reaction>
              <reaction id="outflow" reversible="false" fast="false">
                <listOfReactants><speciesReference species="A" stoichiometry="1" constant="true"/></listOfReactants>
                <listOfProducts><speciesReference species="Y" stoichiometry="1" constant="true"/></listOfProducts>
              </reaction>
            </listOfReactions>
            <fbc:listOfFluxBounds>
              <fbc:fluxBound fbc:reaction="supply" fbc:operation="lessEqual" fbc:value="4"/>
              <fbc:fluxBound fbc:reaction="supply" fbc:operation="greaterEqual" fbc:value="0"/>
            </fbc:listOfFluxBounds>
            <fbc:listOfObjectives fbc:activeObjective="growth">
              <fbc:objective fbc:id="growth" fbc:type="maximize">
                <fbc:listOfFluxObjectives><fbc:fluxObjective fbc:reaction="outflow" fbc:coefficient="1"/></fbc:listOfFluxObjectives>
              </fbc:objective>
            </fbc:listOfObjectives>
          </model>
        </sbml>
        """

    func write() throws -> (URL, URL) {
        let dir = try CLI.temporaryDirectory()
        let file = dir.appendingPathComponent("chain.xml")
        try Self.model.write(to: file, atomically: true, encoding: .utf8)
        return (dir, file)
    }

    @Test func fbaWritesTheObjectiveThenEveryFlux() throws {
        let (dir, file) = try write()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("fluxes.csv")
        let r = try CLI.run(["fba", file.path, "--out", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try String(contentsOf: out, encoding: .utf8) == "name,value\ngrowth,4.0\nsupply,4.0\noutflow,4.0\n")
    }

    @Test func simulateRefusesAModelWithoutKineticLawsAndNamesFba() throws {
        let (dir, file) = try write()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["simulate", file.path, "--t-end", "1"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("is a flux-balance model (objective 'growth')"))
        #expect(r.stderr.contains("hint: 'kinapse fba \(file.path)'"))
        #expect(r.stdout.isEmpty)
    }
}
