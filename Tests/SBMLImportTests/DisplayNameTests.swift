import Testing
import Foundation
import SourceDiagnostics
import SBMLImport
import AntimonyFrontEnd
import PathwayTestSupport

/// SBML `name` attributes come back as display names, so exporting an imported model
/// writes the same file again.
@Suite struct DisplayNameTests {
    @Test func secondExportIsIdenticalToTheFirst() throws {
        let pathway = try AntimonyLoader.load(path: TestModels.repositoryRoot.appendingPathComponent("Pathways/no_cgmp_pkg.ant").path)
        #expect(pathway.displayNames["Ca"] == "free postsynaptic Ca2+")
        let first = SBMLWriter.write(pathway)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-names-\(UUID().uuidString).xml")
        defer { try? FileManager.default.removeItem(at: file) }
        try first.write(to: file, atomically: true, encoding: .utf8)
        let reimported = try SBMLLoader.load(path: file.path)
        #expect(reimported.displayNames == pathway.displayNames)
        #expect(SBMLWriter.write(reimported) == first)
    }
}
