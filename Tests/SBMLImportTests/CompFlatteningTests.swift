import Testing
import SourceDiagnostics
import PathwayModel
import SBMLImport

@Suite struct CompFlatteningTests {
    static let text = """
        <?xml version="1.0" encoding="UTF-8"?>
        <sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" xmlns:comp="http://www.sbml.org/sbml/level3/version1/comp/version1"
              level="3" version="2" comp:required="true">
          <model id="top">
            <listOfParameters>
              <parameter id="k" value="3" constant="true">
                <comp:listOfReplacedElements><comp:replacedElement comp:submodelRef="A" comp:idRef="k"/></comp:listOfReplacedElements>
              </parameter>
            </listOfParameters>
            <comp:listOfSubmodels>
              <comp:submodel comp:id="A" comp:modelRef="inner">
                <comp:listOfDeletions><comp:deletion comp:portRef="gone_port"/></comp:listOfDeletions>
              </comp:submodel>
            </comp:listOfSubmodels>
          </model>
          <comp:listOfModelDefinitions>
            <comp:modelDefinition id="inner">
              <listOfParameters>
                <parameter id="k" value="1" constant="true"/>
                <parameter id="x" value="0" constant="false"/>
                <parameter id="gone" value="5" constant="true"/>
              </listOfParameters>
              <listOfRules>
                <assignmentRule variable="x"><math xmlns="http://www.w3.org/1998/Math/MathML"><apply><times/><cn>2</cn><ci>k</ci></apply></math></assignmentRule>
              </listOfRules>
              <comp:listOfPorts><comp:port comp:id="gone_port" comp:idRef="gone"/></comp:listOfPorts>
            </comp:modelDefinition>
          </comp:listOfModelDefinitions>
        </sbml>
        """

    @Test func submodelsAreFlattenedWithReplacementsAndDeletions() throws {
        let p = try SBMLLoader.load(source: SourceFile(path: "comp.xml", text: Self.text))
        #expect(p.parameters.map(\.id) == ["A__x", "k"])
        #expect(p.assignmentRules.map(\.variable) == ["A__x"])
        #expect(p.assignmentRules[0].expression.description == "2*k")
    }
}
