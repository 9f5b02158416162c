import Testing
import Foundation
import PathwayTestSupport
import Synchronization

/// A scratch copy of the inputs a run reads, and a check that none of them changed.
struct InputFiles {
    let dir: URL
    private(set) var snapshot: [String: Data] = [:]

    init() throws {
        dir = try CLI.temporaryDirectory()
    }

    /// Writes `text` to `name` (directories created) and remembers its bytes.
    @discardableResult
    mutating func add(_ name: String, _ text: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        snapshot[name] = Data(text.utf8)
        return url.path
    }

    /// Copies a file of the repository into the scratch directory as `name`.
    @discardableResult
    mutating func copy(_ repositoryPath: String, as name: String) throws -> String {
        let text = try String(contentsOf: TestModels.repositoryRoot.appendingPathComponent(repositoryPath), encoding: .utf8)
        return try add(name, text)
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// Names of inputs whose bytes differ from what was written (or that are gone).
    func changed() -> [String] {
        snapshot.compactMap { name, data in
            (try? Data(contentsOf: dir.appendingPathComponent(name))) == data ? nil : name
        }.sorted()
    }

    func remove() { try? FileManager.default.removeItem(at: dir) }
}

/// Every command, with an output path equal to each of its inputs (named on the command
/// line or read through another file): refused with exit status 2 before anything is
/// written, every input byte-identical afterwards.
@Suite(.serialized) struct OutputEqualsInputTests {
    static let decay = "A = 10; B = 0; k = 0.5\nJ1: A -> B; k*A\n"

    /// A synapse beside its pathways and its cell, which imports the terminal and the components; its protocol in ../protocols.
    static func synapseInputs() throws -> InputFiles {
        var files = try InputFiles()
        try files.copy("Pathways/synapses/golgi_granule.toml", as: "lib/synapses/golgi_granule.toml")
        try files.copy("Pathways/synapses/golgi_granule.ant", as: "lib/synapses/golgi_granule.ant")
        try files.copy("Pathways/no_cgmp_pkg.ant", as: "lib/no_cgmp_pkg.ant")
        try files.copy("Pathways/presynaptic_nmda.ant", as: "lib/presynaptic_nmda.ant")
        for cell in ["cerebellar_granule", "gabaergic_terminal", "components"] {
            try files.copy("Pathways/cells/\(cell).ant", as: "lib/cells/\(cell).ant")
        }
        try files.copy("Pathways/protocols/tbs.toml", as: "lib/protocols/tbs.toml")
        try files.copy("Pathways/protocols/pairing.toml", as: "lib/protocols/pairing.toml")
        try files.add("params.toml", "[parameters]\nk_pot = 0.05\n")
        return files
    }

    func expectRefused(_ arguments: [String], _ files: InputFiles, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try CLI.run(arguments, in: files.dir)
        #expect(r.status == 2, "\(arguments): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains("refusing to overwrite an input"), "\(arguments): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(files.changed().isEmpty, "\(arguments) changed \(files.changed())", sourceLocation: sourceLocation)
    }

    @Test func simulateAPathway() throws {
        var files = try InputFiles()
        defer { files.remove() }
        try files.add("model.ant", "import \"parts/rates.ant\"\n" + Self.decay)
        try files.add("parts/rates.ant", "// nothing but a comment\n")
        try files.add("params.toml", "[parameters]\nk = 0.7\n")
        for input in ["model.ant", "parts/rates.ant", "params.toml", "./parts/../params.toml"] {
            for option in ["--out", "--plot"] {
                try expectRefused(["simulate", "model.ant", "--t-end", "1", "--params", "params.toml", option, input], files)
            }
        }
    }

    @Test func simulateASynapse() throws {
        let files = try Self.synapseInputs()
        defer { files.remove() }
        // The issue's case: an output naming a pathway the synapse's own pathway imports.
        let inputs = ["lib/synapses/golgi_granule.toml", "lib/synapses/golgi_granule.ant", "lib/no_cgmp_pkg.ant",
                      "lib/presynaptic_nmda.ant", "lib/cells/components.ant", "lib/protocols/tbs.toml", "params.toml"]
        for input in inputs {
            for option in ["--out", "--readouts", "--summary", "--plot"] {
                try expectRefused(["simulate", "lib/synapses/golgi_granule.toml", "--protocol", "tbs", "--params", "params.toml", option, input], files)
            }
        }
        try expectRefused(["simulate", "lib/synapses/golgi_granule.toml", "--protocol", "tbs", "--trials", "2",
                           "--trials-out", "lib/no_cgmp_pkg.ant"], files)
        try expectRefused(["simulate", "lib/synapses/golgi_granule.toml", "--protocol", "tbs", "--sensitivities", "all",
                           "--sensitivities-out", "lib/presynaptic_nmda.ant"], files)
    }

    @Test func stdp() throws {
        let files = try Self.synapseInputs()
        defer { files.remove() }
        for input in ["lib/synapses/golgi_granule.toml", "lib/synapses/golgi_granule.ant", "lib/no_cgmp_pkg.ant", "lib/protocols/pairing.toml"] {
            for option in ["--out", "--plot"] {
                try expectRefused(["stdp", "lib/synapses/golgi_granule.toml", "--dt", "0:10:10", option, input], files)
            }
        }
    }

    static func fitInputs() throws -> InputFiles {
        var files = try InputFiles()
        try files.add("model.ant", decay)
        try files.add("data/eact.csv", "time,A\n0,10\n1,6.07\n2,3.68\n")
        try files.add("fit.toml", """
            model = "model.ant"
            [parameters.k]
            lower = 0.1
            upper = 2
            [observables.A]
            expression = "A"
            sd = 0.1
            [[experiments]]
            name = "decay"
            data = "data/eact.csv"

            """)
        return files
    }

    @Test func fit() throws {
        var files = try Self.fitInputs()
        defer { files.remove() }
        // The issue's cases: --plot on the data, the problem or the model.
        for input in ["data/eact.csv", "fit.toml", "model.ant"] {
            try expectRefused(["fit", "fit.toml", "--starts", "2", "--out-dir", "out", "--plot", input], files)
        }
        // A data file that happens to be named like a result, inside --out-dir.
        try files.add("data/starts.csv", "time,A\n0,10\n1,6.07\n2,3.68\n")
        try files.add("fit2.toml", try String(contentsOfFile: files.path("fit.toml"), encoding: .utf8).replacingOccurrences(of: "data/eact.csv", with: "data/starts.csv"))
        try expectRefused(["fit", "fit2.toml", "--starts", "2", "--out-dir", "data"], files)
        try files.add("data/fit_decay.csv", "time,A\n0,10\n1,6.07\n2,3.68\n")
        try files.add("fit3.toml", try String(contentsOfFile: files.path("fit.toml"), encoding: .utf8).replacingOccurrences(of: "data/eact.csv", with: "data/fit_decay.csv"))
        try expectRefused(["fit", "fit3.toml", "--starts", "2", "--out-dir", "data"], files)
    }

    @Test func plotExportAndSBMLSuite() throws {
        var files = try InputFiles()
        defer { files.remove() }
        try files.add("run.csv", "time,A\n0,1\n1,2\n")
        try files.add("model.ant", Self.decay)
        try files.add("passing.txt", "00001\n")
        try expectRefused(["plot", "run.csv", "--out", "run.csv"], files)
        try expectRefused(["plot", "run.csv", "--out", "./run.csv"], files)
        try expectRefused(["export", "model.ant", "--sbml", "model.ant"], files)
        try expectRefused(["sbml-suite", ".", "--expect-passing", "passing.txt", "--passing-list", "passing.txt"], files)
    }

    @Test func aSymbolicLinkToAnInputCounts() throws {
        var files = try InputFiles()
        defer { files.remove() }
        try files.add("model.ant", Self.decay)
        try FileManager.default.createSymbolicLink(atPath: files.path("alias.csv"), withDestinationPath: "model.ant")
        try expectRefused(["simulate", "model.ant", "--t-end", "1", "--out", "alias.csv"], files)
    }
}

/// What the writer does with a target that is not a plain writable file.
@Suite(.serialized) struct SpecialTargetTests {
    let decay = OutputEqualsInputTests.decay

    @Test func aFIFOIsWrittenThroughToItsReader() throws {
        var files = try InputFiles()
        defer { files.remove() }
        try files.add("model.ant", decay)
        let fifo = files.path("pipe")
        #expect(mkfifo(fifo, 0o600) == 0)
        let received = Mutex<Data?>(nil)
        let reader = Thread {
            // Opening for reading waits for the writer, as a shell's `cat pipe` would.
            let data = FileHandle(forReadingAtPath: fifo)?.readDataToEndOfFile()
            received.withLock { $0 = data }
        }
        reader.start()
        let r = try CLI.run(["simulate", "model.ant", "--t-end", "1", "--points", "3", "--out", "pipe"], in: files.dir)
        #expect(r.status == 0, "\(r.stderr)")
        let deadline = Date().addingTimeInterval(10)
        while received.withLock({ $0 == nil }), Date() < deadline { usleep(10_000) }
        let text = received.withLock { $0.map { String(decoding: $0, as: UTF8.self) } }
        #expect(text?.hasPrefix("time,A,B\n0,10,0\n") == true, "the reader got: \(text ?? "nothing")")
        var info = stat()
        #expect(lstat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO, "still a FIFO")
        #expect(files.changed().isEmpty)
    }

    @Test func aCharacterDeviceIsNeverReplaced() throws {
        var files = try InputFiles()
        defer { files.remove() }
        try files.add("model.ant", decay)
        let full = try CLI.run(["simulate", "model.ant", "--t-end", "1", "--out", "/dev/full"], in: files.dir)
        #expect(full.status == 2 && full.stderr.contains("cannot write '/dev/full': No space left on device"), "\(full.stderr)")
        var info = stat()
        #expect(stat("/dev/full", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR, "/dev/full is still a device")
        let null = try CLI.run(["simulate", "model.ant", "--t-end", "1", "--out", "/dev/null"], in: files.dir)
        #expect(null.status == 0, "\(null.stderr)")
        #expect(stat("/dev/null", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR)
        #expect(files.changed().isEmpty)
    }

    @Test func aSymbolicLinksTargetIsWrittenAndTheLinkKept() throws {
        var files = try InputFiles()
        defer { files.remove() }
        try files.add("model.ant", decay)
        try FileManager.default.createDirectory(atPath: files.path("results"), withIntermediateDirectories: true)
        try "old\n".write(toFile: files.path("results/run.csv"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: files.path("latest.csv"), withDestinationPath: "results/run.csv")
        // A dangling link: its target is created.
        try FileManager.default.createSymbolicLink(atPath: files.path("next.csv"), withDestinationPath: "results/next.csv")
        for link in ["latest.csv", "next.csv"] {
            let r = try CLI.run(["simulate", "model.ant", "--t-end", "1", "--points", "3", "--out", link], in: files.dir)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: files.path(link)).hasPrefix("results/"), "\(link) is still a link")
        }
        #expect(try String(contentsOfFile: files.path("results/run.csv"), encoding: .utf8).hasPrefix("time,A,B\n"))
        #expect(try String(contentsOfFile: files.path("results/next.csv"), encoding: .utf8).hasPrefix("time,A,B\n"))
        #expect(files.changed().isEmpty)
    }

    @Test func aReadOnlyFileIsRefusedUnlessForced() throws {
        var files = try InputFiles()
        defer { files.remove() }
        try files.add("model.ant", decay)
        let kept = files.path("kept.csv")
        try "keep me\n".write(toFile: kept, atomically: true, encoding: .utf8)
        #expect(chmod(kept, 0o444) == 0)
        for arguments in [["simulate", "model.ant", "--t-end", "1", "--out", "kept.csv"],
                          ["simulate", "model.ant", "--t-end", "1", "--plot", "kept.csv"]] {
            let r = try CLI.run(arguments, in: files.dir)
            #expect(r.status == 2 && r.stderr.contains("cannot write 'kept.csv': the file is read-only"), "\(r.stderr)")
            #expect(r.stderr.contains("--force"), "the hint names --force: \(r.stderr)")
            #expect(try String(contentsOfFile: kept, encoding: .utf8) == "keep me\n")
        }
        let forced = try CLI.run(["simulate", "model.ant", "--t-end", "1", "--points", "3", "--out", "kept.csv", "--force"], in: files.dir)
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try String(contentsOfFile: kept, encoding: .utf8).hasPrefix("time,A,B\n"))
        var info = stat()
        #expect(stat(kept, &info) == 0 && info.st_mode & 0o777 == 0o444, "the replaced file keeps its mode")
        #expect(files.changed().isEmpty)
    }

    @Test func aDirectoryIsRefused() throws {
        var files = try InputFiles()
        defer { files.remove() }
        try files.add("model.ant", decay)
        try FileManager.default.createDirectory(atPath: files.path("out"), withIntermediateDirectories: true)
        let r = try CLI.run(["simulate", "model.ant", "--t-end", "1", "--out", "out"], in: files.dir)
        #expect(r.status == 2 && r.stderr.contains("cannot write 'out': it is a directory"), "\(r.stderr)")
    }
}
