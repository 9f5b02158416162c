import Testing
import Foundation
import PathwayTestSupport

/// `kinapse pathways --sources`: every numeric constant of the shipped library with the
/// source its comment names, the sourced fraction it must keep, and the docs table it writes.
@Suite struct ParameterSourcesTests {
    /// One CSV row of `--out FILE.csv`, by column name.
    struct Row {
        let fields: [String: String]
        subscript(_ column: String) -> String { fields[column] ?? "" }
        var place: String { "\(self["file"]):\(self["line"]) \(self["name"])" }
    }

    /// Runs the command with `arguments` and `--out` into a fresh directory; the rows written.
    static func rows(_ arguments: [String] = [], in directory: URL? = nil) throws -> (rows: [Row], stdout: String) {
        let dir = try directory ?? CLI.temporaryDirectory()
        defer { if directory == nil { try? FileManager.default.removeItem(at: dir) } }
        let out = dir.appendingPathComponent("sources.csv")
        let r = try CLI.run(["pathways", "--sources"] + arguments + ["--out", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = try parseCSV(String(contentsOf: out, encoding: .utf8))
        guard let header = lines.first else { return ([], r.stdout) }
        return (lines.dropFirst().map { Row(fields: Dictionary(uniqueKeysWithValues: zip(header, $0))) }, r.stdout)
    }

    /// RFC 4180 fields: quoted when they hold a comma, a quote or a line break.
    static func parseCSV(_ text: String) -> [[String]] {
        var records: [[String]] = [], record: [String] = [], field = "", quoted = false
        var characters = text.makeIterator()
        while let c = characters.next() {
            if quoted {
                if c == "\"" {
                    if let next = characters.next() {
                        if next == "\"" { field.append("\"") } else {
                            quoted = false
                            if next == "," { record.append(field); field = "" } else if next == "\n" { record.append(field); records.append(record); record = []; field = "" }
                        }
                    } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" { quoted = true
            } else if c == "," { record.append(field); field = ""
            } else if c == "\n" { record.append(field); records.append(record); record = []; field = ""
            } else { field.append(c) }
        }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
        return records
    }

    /// Sourced fraction = cited / (all constants − computed − overridden), where a constant is
    /// every number written as a value in the shipped .ant files, the synapse .toml files (of a
    /// blocker its concentration, not the full block its `set` stands for; solver settings
    /// aside) and the drug library (each drug's IC50 and Hill coefficient at its targets), `computed` marks values set to the model's resting
    /// steady state (derived, not chosen), `overridden` module defaults that every importer
    /// replaces (counted where the importer writes its value), `cited` an author–year reference
    /// or a key a comment of the same file defines by one. "fitted to …" does not count: a
    /// fitted value is not one a source reports.
    @Test func atLeastSeventyPercentOfTheLibrarysConstantsAreSourced() throws {
        let rows = try Self.rows().rows
        #expect(rows.count > 400, "the library lists only \(rows.count) constants")
        let drugConstants = rows.filter { $0["name"].hasPrefix("blockers.") }
        // A drug's potency is a constant of the drug library, listed once; a synapse lists the
        // concentration its paper used (and an ic50 of its own only for a target the library lacks).
        let library = rows.filter { $0["file"] == "drugs.toml" }
        #expect(library.filter { $0["name"] == "AM251.CB1.ic50" }.count == 1 && library.allSatisfy { $0["role"] == "drug constant" },
                "a graded drug's IC50 is a constant of the drug library, once: \(library.map(\.place).prefix(5))")
        #expect(drugConstants.contains { $0["file"].hasSuffix("ca1_pyramidal.toml") && $0["name"] == "blockers.AM251.concentration" })
        #expect(!drugConstants.contains { $0["name"].hasSuffix(".ic50") },
                "no shipped synapse repeats a drug's ic50: \(drugConstants.filter { $0["name"].hasSuffix(".ic50") }.map(\.place))")
        #expect(drugConstants.allSatisfy { ["concentration", "ic50", "hill"].contains($0["name"].split(separator: ".").last.map(String.init) ?? "") },
                "only a drug's own constants count, not its full block: \(drugConstants.map(\.place).prefix(5))")
        let counted = rows.filter { $0["source"] != "computed" && $0["source"] != "overridden" }
        let sourced = counted.filter { $0["source"] == "cited" }
        let fraction = Double(sourced.count) / Double(max(1, counted.count))
        // The library is not there yet; once it is, this known issue stops occurring and the
        // test fails until the wrapper is removed, so the bar cannot slip back unnoticed.
        withKnownIssue("the shipped library is below 70 % sourced") {
            #expect(fraction >= 0.70, "sourced \(sourced.count) of \(counted.count) = \(Int((100 * fraction).rounded())) %")
        }
    }

    @Test func everyConstantOfTheLibraryNamesItsSource() throws {
        let missing = try Self.rows().rows.filter { $0["source"] == "missing" }
        #expect(missing.count == 0, "constants name no source (cited, fitted, assumption or computed): \(missing.prefix(20).map(\.place))")
    }

    /// docs/parameter-sources.md is what the command writes (KINAPSE_UPDATE_SNAPSHOTS=1 rewrites it).
    @Test func theDocsTableIsCurrent() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("parameter-sources.md")
        let r = try CLI.run(["pathways", "--sources", "--out", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        let text = try String(contentsOf: out, encoding: .utf8)
        let docs = TestModels.repositoryRoot.appendingPathComponent("docs")
        if let problem = try Snapshot.mismatch(text, name: "parameter-sources.md", in: docs) { Issue.record(Comment(rawValue: problem)) }
    }

    /// One constant per way of naming a source, in one file: what each row must say.
    @Test func eachCommentIsClassifiedByItsFirstMarker() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("m.ant")
        try """
            // Sources:
            //   [AB99]  Able & Baker 1999, J Physiol 500:1, Table 2.
            //   [XY01]  a review without authors.
            //   [PD05]  Prescott & De Koninck 2005, J Neurosci 25:1; ModelDB 53569.
            model *m()
              k1 = 2;           // [AB99 Table 2] 1/s
              k2 = 3;           // 1/(uM*s); assumption: diffusion-limited association
              k3 = 0.5;         // fitted to the IPSC decay of Fig. 3
              k4 = 7;           // [XY01] uM
              k5 = 1; k6 = 2;   // uM, 1/s [AB99]
              k9 = 6;           // doi:10.1000/xyz123, Table 1
              k7 = 4;           // Carver et al. 2003 J Neurosci 23:1, eq. 4; assumption: rounded
              k8 = 5
              k10 = 8;          // [PD05] mS/cm^2
              k11 = 9;          // van der Walt & Smith 2015, matplotlib
              // ---- initial values: resting steady state ----
              S = 0.25;
              J: S -> ; k1*S;
            end
            """.write(to: model, atomically: true, encoding: .utf8)
        let rows = try Self.rows([model.path], in: dir).rows
        let expected: [(name: String, source: String, unit: String)] = [
            ("k1", "cited", "1/s"), ("k2", "assumption", "1/(uM*s)"), ("k3", "fitted", ""), ("k4", "missing", "uM"),
            ("k5", "cited", "uM"), ("k6", "cited", "1/s"), ("k9", "cited", ""), ("k7", "cited", ""), ("k8", "missing", ""),
            ("k10", "cited", "mS/cm^2"), ("k11", "cited", ""), ("S", "computed", ""),
        ]
        #expect(rows.map(\.["name"]) == expected.map(\.name))
        for (row, e) in zip(rows, expected) {
            #expect(row["source"] == e.source, "\(e.name): \(row["comment"])")
            #expect(row["unit"] == e.unit, "\(e.name)")
        }
        #expect(rows.last?["role"] == "initial value")
        #expect(rows.first?["line"] == "6")
    }

    /// A module's default is `overridden` when every model instantiating the module replaces
    /// it (by setting it, by binding it to a name of its own that has a value, or by a number
    /// passed as an argument), and keeps the class its comment gives when one importer keeps
    /// it. With the module read alone nothing imports it, so nothing is overridden. A synapse
    /// file's [solver] tolerances are not listed, and the numbers of one inline table take the
    /// units its comment lists in order.
    @Test func aDefaultIsOverriddenOnlyWhenEveryImporterReplacesIt() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func write(_ name: String, _ text: String) throws -> String {
            let url = dir.appendingPathComponent(name)
            try text.write(to: url, atomically: true, encoding: .utf8)
            return url.path
        }
        let module = try write("module.ant", """
            model *Module(input, bound)
              input = 0.1;     // assumption: resting input; both importers bind it to a value
              bound = 0.2;     // assumption: both bind it, but the first to a name without a value
              byAll = 1;       // assumption: both importers set it
              bySome = 2;      // assumption: only the first sets it
              kept = 3;        // Able & Baker 1999, Table 2; no importer sets it
            end
            """)
        let first = try write("first.ant", """
            import "module.ant"
            model *first()
              m: Module(u, v);
              u = 5;           // assumption: set after the binding, so it replaces the default
              m.byAll = 10;    // assumption: the first importer's value
              m.bySome = 20;   // assumption: the first importer's value
            end
            """)
        let second = try write("second.ant", """
            import "module.ant"
            model *second()
              m: Module(0.5, v);   // assumption: a number for the input
              v = 7;           // assumption: the second importer's value
              m.byAll = 11;    // assumption: the second importer's value
            end
            """)
        let synapse = try write("first.toml", """
            model = "first.ant"
            [release]
            sites = 6          # assumption: a few release sites
            [stimuli.pulse]
            step = { target = "Glu", amplitude = 1, width = 0.001 }   # mM, s; assumption: a transmitter pulse
            [solver]
            rtol = 1e-6        # a setting of the numerical method
            atol = 1e-9
            """)
        let all = try Self.rows([module, first, second, synapse], in: dir)
        let source = Dictionary(all.rows.filter { $0["file"] == module }.map { ($0["name"], $0["source"]) }, uniquingKeysWith: { a, _ in a })
        #expect(source == ["input": "overridden", "bound": "assumption", "byAll": "overridden", "bySome": "assumption", "kept": "cited"])
        // The solver's tolerances are not listed; two numbers on one line take their units in order.
        let synapseRows = all.rows.filter { $0["file"] == synapse }
        #expect(synapseRows.map(\.["name"]) == ["release.sites", "stimuli.pulse.step.amplitude", "stimuli.pulse.step.width"])
        #expect(synapseRows.map(\.["unit"]) == ["", "mM", "s"])
        // 14 constants (5 + 3 + 3 + 3): 2 overridden, so 1 cited of the 12 counted.
        #expect(all.stdout.contains("14 constants:") && all.stdout.contains("2 overridden"), "\(all.stdout)")
        #expect(all.stdout.contains("sourced (cited) 1 of 12 ="), "\(all.stdout)")
        let alone = try Self.rows([module], in: dir).rows
        #expect(alone.map(\.["source"]) == ["assumption", "assumption", "assumption", "assumption", "cited"])
    }

    @Test func aFileThatDoesNotParseIsAnErrorAtItsLine() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("bad.ant")
        try "model *m()\n  k1 = 2 *;\nend\n".write(to: model, atomically: true, encoding: .utf8)
        let r = try CLI.run(["pathways", "--sources", model.path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("bad.ant:2:"), "\(r.stderr)")
    }

    @Test func filesWithoutSourcesAndAnOutputOverAnInputAreRefused() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("m.ant")
        let text = "k = 2   // assumption: any\n"
        try text.write(to: model, atomically: true, encoding: .utf8)
        let withoutFlag = try CLI.run(["pathways", model.path])
        #expect(withoutFlag.status == 2)
        #expect(withoutFlag.stderr.contains("--sources"), "\(withoutFlag.stderr)")
        let overInput = try CLI.run(["pathways", "--sources", model.path, "--out", model.path])
        #expect(overInput.status == 2, "\(overInput.stderr)")
        #expect(try String(contentsOf: model, encoding: .utf8) == text)
    }
}
