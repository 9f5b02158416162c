import Testing
import Foundation
import SourceDiagnostics
import SynapseModel
import PathwayTestSupport

/// The drug library (`Pathways/drugs.toml`): its reader's errors, each at its place, and how a
/// synapse's `[blockers.*]` table takes its drug's ic50 and hill from it.
@Suite struct DrugLibraryTests {
    static let library = """
        [APV]
        also_called = ["D-AP5"]
        description = "NMDA-receptor antagonist"
        [APV.GluN2B]
        ic50 = 0.46       # uM
        hill = 1
        mechanism = "competitive with glutamate"
        [APV.GluN2D]
        ic50 = 3.71
        hill = 1
        [AM251.CB1]
        ic50 = 0.00749
        hill = 1
        [BAPTA.calcium]
        mechanism = "chelator"
        """

    /// Writes `drugs.toml` and a synapse with one `[blockers.D]` table into a fresh directory
    /// and reads the synapse (which finds the library beside it).
    static func read(blocker: String, name: String = "D", library: String = library) throws -> SynapseDefinition {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-drugs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try library.write(to: dir.appendingPathComponent("drugs.toml"), atomically: true, encoding: .utf8)
        let synapse = dir.appendingPathComponent("s.toml")
        try "model = \"x.ant\"\n[release]\nsites = 1\nquantal_size = 1\nreference_receptors = 1\ntau_recovery = 0\n[blockers.\(name)]\n\(blocker)\nset = { g = 0 }\n"
            .write(to: synapse, atomically: true, encoding: .utf8)
        return try SynapseReader.read(path: synapse.path)
    }

    static func readLibrary(_ text: String) throws -> DrugLibrary {
        try DrugLibrary.read(SourceFile(path: "drugs.toml", text: text))
    }

    // MARK: - The library's own errors

    /// Each error names its place: (library text, message, line:column of the place).
    @Test(arguments: [
        ("[D-AP5.GluN2B]\nmechanism = \"x\"\n[DAP5.GluN2B]\nmechanism = \"y\"\n", "drug 'DAP5' is defined twice", "3:2"),
        ("[APV]\nalso_called = [\"MK801\"]\n[APV.a]\nmechanism = \"x\"\n[MK-801.b]\nmechanism = \"y\"\n", "drug 'MK-801' is defined twice", "5:2"),
        ("[APV]\ndescription = \"no target\"\n", "drug 'APV' has no target", "1:2"),
        ("[APV.GluN2B]\nic50 = 0.46\n", "has an ic50 but no hill", "2:1"),
        ("[APV.GluN2B]\nhill = 1\n", "has a hill but no ic50", "2:1"),
        ("[APV.GluN2B]\nic50 = -1\nhill = 1\n", "'ic50' must be greater than 0", "2:8"),
        ("[APV.GluN2B]\nic5O = 1\n", "unknown key 'ic5O'", "2:1"),
        ("ic50 = 1\n", "must be a drug table", "1:1"),
    ])
    func libraryErrorsPointAtTheirPlace(text: String, message: String, place: String) {
        #expect { try Self.readLibrary(text) } throws: { error in
            let shown = "\(error)"
            return shown.contains(message) && shown.contains("drugs.toml:\(place)")
        }
    }

    @Test func drugsAreFoundByAnyOfTheirNames() throws {
        let library = try Self.readLibrary(Self.library)
        #expect(library.drug(named: "D-AP5")?.name == "APV" && library.drug(named: "APV")?.targets.map(\.name) == ["GluN2B", "GluN2D"])
        #expect(library.drug(named: "AM251")?.target(named: "CB1")?.ic50?.value == 0.00749)
        #expect(library.drug(named: "BAPTA")?.targets.first?.ic50 == nil && library.drug(named: "dap5") == nil)
    }

    // MARK: - A synapse's blockers against the library

    @Test func aBlockerTakesItsDrugsPotencyAtItsTarget() throws {
        let apv = try #require(try Self.read(blocker: "concentration = 50\ntarget = \"GluN2D\"", name: "APV").blockers["APV"])
        #expect(apv.drugs == ["APV"] && apv.target == "GluN2D" && apv.ic50 == 3.71 && apv.hill == 1 && apv.concentration == 50)
        #expect(apv.description == "NMDA-receptor antagonist", "a blocker without a description takes its drug's")
        #expect(apv.ic50Range?.file.path.hasSuffix("drugs.toml") == true)
        // Another name, a table named otherwise, and a drug with one target needing no target.
        let byAlias = try #require(try Self.read(blocker: "drug = \"D-AP5\"\nconcentration = 5\ntarget = \"GluN2B\"").blockers["D"])
        #expect(byAlias.drugs == ["APV"] && byAlias.ic50 == 0.46)
        let am251 = try #require(try Self.read(blocker: "concentration = 2", name: "AM251").blockers["AM251"])
        #expect(am251.target == "CB1" && am251.ic50 == 0.00749 && abs(am251.fraction(at: 0.00749) - 0.5) < 1e-15)
    }

    /// A blocker whose name is not a library drug, and that names none, is a manipulation of the
    /// synapse's own: its values are its own, graded or all or none.
    @Test func aBlockerWithoutALibraryEntryKeepsItsOwnValues() throws {
        let own = try #require(try Self.read(blocker: "concentration = 5\nic50 = 0.2\nhill = 2", name: "knockdown").blockers["knockdown"])
        #expect(own.drugs.isEmpty && own.target == nil && own.ic50 == 0.2 && own.hill == 2)
        let full = try #require(try Self.read(blocker: "description = \"all or none\"", name: "knockout").blockers["knockout"])
        #expect(full.drugs.isEmpty && full.ic50 == nil && full.fraction(at: 1) == 1)
    }

    /// Overrides: a target the library does not list carries the synapse's own values; a
    /// mixture and an explicit all_or_none are applied in full.
    @Test func aSynapseMayGiveItsOwnValuesOnlyWhereItsTargetDiffers() throws {
        let own = try #require(try Self.read(blocker: "concentration = 50\ntarget = \"GluN3A\"\nic50 = 2\nhill = 1.5", name: "APV").blockers["APV"])
        #expect(own.drugs == ["APV"] && own.target == "GluN3A" && own.ic50 == 2 && own.hill == 1.5)
        let mixture = try #require(try Self.read(blocker: "drug = [\"APV\", \"AM251\"]\nconcentration = 50").blockers["D"])
        #expect(mixture.drugs == ["APV", "AM251"] && mixture.ic50 == nil)
        let complete = try #require(try Self.read(blocker: "all_or_none = true", name: "AM251").blockers["AM251"])
        #expect(complete.drugs == ["AM251"] && complete.ic50 == nil && complete.concentration == nil)
    }

    @Test(arguments: [
        ("drug = \"AM-251\"\nconcentration = 1", "D", "no drug 'AM-251' in the drug library", "did you mean 'AM251'?"),
        ("concentration = 1\ntarget = \"GluN2B\"\nic50 = 0.46", "APV", "'ic50' repeats the drug library's value for 'APV' at 'GluN2B' (drugs.toml:5:1)", "remove it"),
        ("concentration = 1\ntarget = \"GluN2B\"\nic50 = 0.3", "APV", "'ic50' = 0.3 contradicts the drug library, which gives 'APV' at 'GluN2B' 0.46 µM (drugs.toml:5:1)", "name it with target"),
        ("concentration = 1\nhill = 2", "AM251", "'hill' = 2 contradicts the drug library", "correct it there"),
        ("concentration = 1", "APV", "drug 'APV' has several targets in the drug library (GluN2B, GluN2D)", "target = \"GluN2B\""),
        ("target = \"GluN2B\"", "APV", "has an ic50 (from the drug library) but no concentration", "all_or_none = true"),
        ("drug = [\"APV\", \"CNQX\"]", "D", "no drug 'CNQX' in the drug library", "add [CNQX]"),
        ("drug = [\"APV\", \"AM251\"]\nconcentration = 1\nic50 = 3", "D", "a mixture has no one ic50 and hill", ""),
        ("all_or_none = true\nic50 = 3\nconcentration = 1", "own", "is all_or_none but gives an ic50", ""),
    ])
    func blockerErrorsPointAtTheirPlace(blocker: String, name: String, message: String, hint: String) {
        #expect { try Self.read(blocker: blocker, name: name) } throws: { error in
            let shown = "\(error)"
            return shown.contains(message) && (hint.isEmpty || shown.contains(hint)) && shown.contains("s.toml:")
        }
    }

    // MARK: - The shipped library

    /// Every blocker of a shipped synapse applies drugs of the shipped library (none keeps
    /// pharmacology of its own) or is a manipulation that is no drug (a genetic loss: all or none,
    /// with no concentration or ic50), and every drug of the library is applied by some synapse.
    @Test func theShippedSynapsesApplyTheShippedLibrary() throws {
        let root = TestModels.repositoryRoot.appendingPathComponent("Pathways")
        let library = try DrugLibrary.read(path: root.appendingPathComponent("drugs.toml").path)
        let directory = root.appendingPathComponent("synapses")
        var used = Set<String>()
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where name.hasSuffix(".toml") {
            let synapse = try SynapseReader.read(path: directory.appendingPathComponent(name).path)
            for blocker in synapse.blockers.values {
                if blocker.drugs.isEmpty {
                    #expect(blocker.ic50 == nil && blocker.concentration == nil,
                            "\(name): blocker '\(blocker.name)' applies no drug of the library but has pharmacology of its own")
                }
                if blocker.ic50 != nil { #expect(blocker.ic50Range?.file.path.hasSuffix("drugs.toml") == true, "\(name): '\(blocker.name)' grades by its own ic50") }
                used.formUnion(blocker.drugs)
            }
        }
        #expect(Set(library.drugs.map(\.name)).subtracting(used).isEmpty, "drugs no synapse applies: \(Set(library.drugs.map(\.name)).subtracting(used).sorted())")
    }
}
