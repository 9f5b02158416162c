import Testing
import Foundation
import SourceDiagnostics
import PathwayModel
import SBMLImport
import AntimonyFrontEnd
import ModelCompiler

/// Hostile sizes end in a clear error, never a stack overflow or exhausted memory.
@Suite struct ResourceLimitTests {
    func sbmlErrors(_ math: String) -> [String] {
        let body = """
            <listOfCompartments><compartment id="c" size="1" constant="true"/></listOfCompartments>
            <listOfParameters><parameter id="k" value="1" constant="false"/></listOfParameters>
            <listOfRules><rateRule variable="k"><math xmlns="http://www.w3.org/1998/Math/MathML">\(math)</math></rateRule></listOfRules>
            """
        do { _ = try SBMLLoaderTests.load(body); return [] } catch { return error.diagnostics.map(\.message) }
    }

    @Test func deeplyNestedMathMLIsRefusedBeforeItOverflowsTheStack() {
        // 900 levels: within the XML parser's 1000, far beyond what the recursive MathML
        // conversion survives on a debug build's 8 MB stack (it crashed at about 490).
        var math = "<ci>k</ci>"
        for _ in 0..<900 { math = "<apply><plus/>\(math)<cn>1</cn></apply>" }
        #expect(sbmlErrors(math) == ["MathML nested deeper than 200 levels"])
        var fine = "<ci>k</ci>"
        for _ in 0..<150 { fine = "<apply><plus/>\(fine)<cn>1</cn></apply>" }
        #expect(sbmlErrors(fine) == [])
    }

    @Test func hugeNAryMathMLIsRefused() {
        // An n-ary <plus/> becomes a chain as deep as its operand count.
        let math = "<apply><plus/>" + String(repeating: "<cn>1</cn>", count: 3000) + "</apply>"
        #expect(sbmlErrors(math) == ["MathML expression with more than 2000 elements"])
    }

    @Test func aMillionOpeningParenthesesEndInOneError() {
        let source = SourceFile(path: "p.ant", text: "x = " + String(repeating: "(", count: 1_000_000) + "1\n")
        do {
            _ = try AntimonyLoader.load(source: source)
            Issue.record("loaded")
        } catch {
            #expect(error.diagnostics.first?.message == "expression is nested too deeply (more than 200 levels)")
            #expect(DiagnosticRenderer().render(error.diagnostics).count < 2000, "the excerpt of the 1 MB line is clipped")
        }
    }

    @Test func stateCountIsBounded() throws {
        let n = ModelCompiler.maximumStateCount + 1
        let text = "compartment c = 1\n" + (0..<n).map { "species S\($0) in c; S\($0) = 1" }.joined(separator: "\n") + "\n"
        let pathway = try AntimonyLoader.load(source: SourceFile(path: "wide.ant", text: text))
        do {
            _ = try ModelCompiler.compile(pathway)
            Issue.record("compiled \(n) states")
        } catch {
            #expect(error.diagnostics.first?.message == "the model has \(n) state variables; the solver's limit is \(ModelCompiler.maximumStateCount)")
        }
    }

    @Test func oversizedFilesAreRefusedBeforeReading() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-huge-\(UUID().uuidString).ant")
        defer { try? FileManager.default.removeItem(at: url) }
        // A sparse file: 65 MiB long without writing 65 MiB.
        #expect(FileManager.default.createFile(atPath: url.path, contents: nil))
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: UInt64(SourceFile.maximumFileSize + 1024 * 1024))
        try handle.close()
        do {
            _ = try AntimonyLoader.load(path: url.path)
            Issue.record("read a 65 MiB file")
        } catch {
            #expect(error.diagnostics.first?.message == "'\(url.path)' is 65 MiB; input files are limited to 64 MiB")
        }
    }
}
