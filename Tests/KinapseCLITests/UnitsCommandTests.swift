import Testing
import Foundation
import PathwayTestSupport

/// `kinapse check --units`: an inconsistent rate law is a warning at its line and column
/// with a hint, and the exit status says the input is bad (2); a pathway without units
/// checks clean and lists what it does not declare.
@Suite struct UnitsCommandTests {
    static let model = """
        <?xml version="1.0" encoding="UTF-8"?>
        <sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
          <model id="m" timeUnits="second" substanceUnits="mole" extentUnits="mole" volumeUnits="litre">
            <listOfUnitDefinitions>
              <unitDefinition id="per_ms"><listOfUnits><unit kind="second" exponent="-1" scale="-3" multiplier="1"/></listOfUnits></unitDefinition>
            </listOfUnitDefinitions>
            <listOfCompartments><compartment id="V" size="1" spatialDimensions="3" constant="true"/></listOfCompartments>
            <listOfSpecies>
              <species id="S" compartment="V" initialConcentration="1" hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/>
            </listOfSpecies>
            <listOfParameters><parameter id="k" value="1" units="per_ms" constant="true"/></listOfParameters>
            <listOfReactions>
              <reaction id="J" reversible="false">
                <listOfReactants><speciesReference species="S" stoichiometry="1" constant="true"/></listOfReactants>
                <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML"><apply><times/><ci>k</ci><ci>S</ci><ci>V</ci></apply></math></kineticLaw>
              </reaction>
            </listOfReactions>
          </model>
        </sbml>
        """

    @Test func inconsistentRateLawIsReportedAtItsElement() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("units.xml")
        try Self.model.write(to: file, atomically: true, encoding: .utf8)
        let r = try CLI.run(["check", file.path, "--units"])
        #expect(r.status == 2)
        // The <kineticLaw> element is on line 15, column 9.
        #expect(r.stderr.contains("units.xml:15:9: warning: units: the rate law of reaction 'J' has units kmol/s, but a reaction rate (extent per time) is in mol/s"), "\(r.stderr)")
        #expect(r.stderr.contains("hint: 'k' has units 1/ms but is used as 1/s"), "\(r.stderr)")
    }

    @Test func pathwayWithoutUnitsChecksClean() throws {
        let r = try CLI.run(["check", TestModels.repositoryRoot.appendingPathComponent("Pathways/no_cgmp_pkg.ant").path, "--units"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("units not declared: the model's time units"))
        #expect(r.stdout.contains("units:             consistent where declared"))
    }
}
