import Testing
import Foundation
import SourceDiagnostics
import PathwayModel
@testable import AntimonyFrontEnd

/// Imports read real files from a fresh temporary directory, removed afterwards.
struct ImportTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Writes files (relative path → text), loads `main`, removes the directory.
    func loadFiles(_ files: [String: String], main: String = "main.ant") -> Result<Pathway, DiagnosticsError> {
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, text) in files {
            let url = directory.appendingPathComponent(name)
            try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? text.write(to: url, atomically: true, encoding: .utf8)
        }
        do {
            return .success(try AntimonyLoader.load(path: directory.appendingPathComponent(main).path))
        } catch {
            return .failure(error)
        }
    }

    func firstError(_ result: Result<Pathway, DiagnosticsError>) -> String {
        guard case .failure(let error) = result, let first = error.diagnostics.first else { return "(loaded)" }
        let file = first.range.map { URL(fileURLWithPath: $0.file.path).lastPathComponent } ?? "-"
        return "\(file):\(first.range.map { "\($0.startLocation)" } ?? "-"): \(first.message)"
    }

    @Test func importedModelsCanBeInstantiated() throws {
        let result = loadFiles([
            "lib/receptor.ant": "model receptor(L)\n  J0: L + R -> LR; kon*L*R\n  R = 1; kon = 2\nend\n",
            "main.ant": "import \"lib/receptor.ant\"\nmodel *main()\n  A: receptor(Glu)\n  Glu = 5\nend\n",
        ])
        let pathway = try result.get()
        #expect(pathway.name == "main")
        #expect(pathway.reaction("A_J0")?.reactants.map(\.species) == ["Glu", "A_R"])
        #expect(pathway.species("Glu")?.initialValue == .number(5))
        #expect(pathway.parameter("A_kon")?.value == .number(2))
    }

    @Test func nestedImportsResolveAgainstTheImportingFile() throws {
        let result = loadFiles([
            "a/inner.ant": "model inner()\n  x = 1\nend\n",
            "a/outer.ant": "import \"inner.ant\"\nmodel outer()\n  I: inner()\nend\n",
            "main.ant": "import \"a/outer.ant\"\nmodel *top()\n  O: outer()\nend\n",
        ])
        #expect(try result.get().parameter("O_I_x")?.value == .number(1))
    }

    /// Two libraries that share a base file (a diamond): the base is read once, so its model
    /// is defined once and both libraries can use it.
    @Test func aFileImportedByTwoLibrariesIsReadOnce() throws {
        let result = loadFiles([
            "base.ant": "model leak()\n  g = 2\nend\n",
            "cellA.ant": "import \"base.ant\"\nmodel cellA()\n  L: leak()\nend\n",
            "cellB.ant": "import \"base.ant\"\nmodel cellB()\n  L: leak()\nend\n",
            "main.ant": "import \"cellA.ant\"\nimport \"cellB.ant\"\nimport \"./base.ant\"\nmodel *pair()\n  A: cellA()\n  B: cellB()\nend\n",
        ])
        let pathway = try result.get()
        #expect(pathway.parameter("A_L_g")?.value == .number(2))
        #expect(pathway.parameter("B_L_g")?.value == .number(2))
    }

    @Test func missingFileIsReportedAtTheImport() {
        let result = loadFiles(["main.ant": "// models\nimport \"nowhere.ant\"\n"])
        #expect(firstError(result).hasPrefix("main.ant:2:8: cannot find imported file 'nowhere.ant'"))
    }

    @Test func importCycleIsReportedAtTheClosingImport() {
        let result = loadFiles([
            "a.ant": "import \"b.ant\"\nmodel a()\nend\n",
            "b.ant": "model b()\nend\nimport \"a.ant\"\n",
            "main.ant": "import \"a.ant\"\n",
        ])
        #expect(firstError(result).hasPrefix("b.ant:3:8: import cycle:"))
    }

    @Test func errorsInImportedFilesNameThatFile() {
        let result = loadFiles([
            "lib.ant": "model lib()\n  k = * 2\nend\n",
            "main.ant": "import \"lib.ant\"\nmodel *m()\n  L: lib()\nend\n",
        ])
        #expect(firstError(result) == "lib.ant:2:7: unexpected '*' at start of expression")
    }

    @Test func topLevelStatementsInImportedFilesAreRejected() {
        let result = loadFiles(["lib.ant": "k = 1\n", "main.ant": "import \"lib.ant\"\nx = 2\n"])
        #expect(firstError(result).hasPrefix("lib.ant:1:1: unsupported: statements outside a model in an imported file"))
    }

    @Test func missingMainFileIsAnError() {
        let result = loadFiles([:], main: "absent.ant")
        #expect(firstError(result).contains("cannot find") && firstError(result).contains("absent.ant"))
    }
}
