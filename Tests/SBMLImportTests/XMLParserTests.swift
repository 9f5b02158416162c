import Testing
import SourceDiagnostics
@testable import SBMLImport

@Suite struct XMLParserTests {
    func parse(_ text: String) throws -> XMLElement {
        try XMLParser.parse(SourceFile(path: "t.xml", text: text))
    }

    func errorMessage(_ text: String, limits: XMLParser.Limits = XMLParser.Limits()) -> String? {
        do {
            _ = try XMLParser.parse(SourceFile(path: "t.xml", text: text), limits: limits)
            return nil
        } catch {
            return error.diagnostics.first.map { "\($0.range!.startLocation): \($0.message)" }
        }
    }

    @Test func elementsAttributesTextAndNamespaces() throws {
        let root = try parse("""
        <?xml version="1.0"?>
        <!-- comment -->
        <a xmlns="urn:a" xmlns:p="urn:p" x='1' p:y="2">
          <b>t &lt;&amp;&gt; &#65;&#x42;<![CDATA[<raw>]]></b>
          <p:c/>
          <cn>1<sep/>3</cn>
        </a>
        """)
        #expect(root.name == "a" && root.namespace == "urn:a")
        #expect(root.attribute("x") == "1")
        #expect(root.attribute("y", namespace: "urn:p") == "2")
        #expect(root.attribute("y") == nil)
        #expect(root.children.map(\.name) == ["b", "c", "cn"])
        #expect(root.children[0].text == "t <&> AB<raw>")
        #expect(root.children[1].namespace == "urn:p")
        #expect(root.children[2].textParts == ["1", "3"])
        #expect(root.range.startLocation == SourceLocation(line: 3, column: 1))
    }

    @Test func hostileInputIsRefusedWithLocations() {
        // Entities declared in a DTD are never expanded (no billion laughs, no external files).
        let lol = """
        <!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd"><!ENTITY y "&x;&x;">]>
        <a>&y;</a>
        """
        #expect(errorMessage(lol)?.hasPrefix("2:4: XML: unknown entity '&y;'") == true)
        #expect(errorMessage("<a><b></a>") == "1:7: XML: closing tag '</a>' does not match '<b>'")
        #expect(errorMessage("<a>") == "1:1: XML: element '<a>' is never closed")
        #expect(errorMessage("<a x=1/>") == "1:6: XML: expected a quoted attribute value")
        #expect(errorMessage("<a/><b/>") == "1:5: XML: a second root element")
        #expect(errorMessage("<q:a/>") == "1:1: XML: undeclared namespace prefix 'q'")
        var limits = XMLParser.Limits()
        limits.maximumDepth = 50
        let deep = String(repeating: "<a>", count: 51) + String(repeating: "</a>", count: 51)
        #expect(errorMessage(deep, limits: limits) == "1:151: XML: elements nest deeper than 50 levels")
        limits.maximumBytes = 10
        #expect(errorMessage("<a>0123456789</a>", limits: limits)?.contains("larger than the limit") == true)
    }

    @Test func veryDeepNestingDoesNotOverflowTheStack() {
        let deep = String(repeating: "<a>", count: 100_000) + String(repeating: "</a>", count: 100_000)
        #expect(errorMessage(deep)?.contains("nest deeper than 1000") == true)
    }
}
