import Testing
import Foundation
import PathwayTestSupport

/// What a new user tripped over first, one test per defect: the exit status, the message,
/// and every input file byte-identical afterwards.
@Suite(.serialized) struct NewUserDefectTests {
    static let decay = OutputEqualsInputTests.decay

    // MARK: - Finished work is never thrown away

    @Test func aFitWhoseOutputsCannotBeWrittenPrintsItsBestResult() throws {
        let files = try OutputEqualsInputTests.fitInputs()
        defer { files.remove() }
        // An --out-dir that cannot exist is refused before any fitting.
        let early = try CLI.run(["fit", "fit.toml", "--starts", "2", "--out-dir", "fit.toml/out", "--quiet"], in: files.dir)
        #expect(early.status == 2 && early.stderr.contains("cannot create the output directory 'fit.toml/out': 'fit.toml' is a file"), "\(early.stderr)")
        #expect(!early.stdout.contains("best:"), "refused before fitting: \(early.stdout)")
        // A write that fails after the fit (the figure, on a full device): the result is printed.
        let late = try CLI.run(["fit", "fit.toml", "--starts", "2", "--no-profiles", "--out-dir", "out", "--plot", "/dev/full", "--quiet"], in: files.dir)
        #expect(late.status == 2, "\(late.stderr)")
        #expect(late.stderr.contains("No space left on device") && late.stderr.contains("the best result is printed above"), "\(late.stderr)")
        #expect(late.stdout.contains("best: negative log-likelihood") && late.stdout.contains("[parameters]"), "\(late.stdout)")
        #expect(files.changed().isEmpty)
    }

    @Test func aSecondFitReplacesTheWholeSetAndNeverMixes() throws {
        var files = try OutputEqualsInputTests.fitInputs()
        defer { files.remove() }
        try files.add("out/notes.txt", "mine\n")
        let first = try CLI.run(["fit", "fit.toml", "--starts", "2", "--out-dir", "out", "--quiet"], in: files.dir)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(FileManager.default.fileExists(atPath: files.path("out/profiles.csv")))
        let second = try CLI.run(["fit", "fit.toml", "--starts", "2", "--no-profiles", "--out-dir", "out", "--quiet"], in: files.dir)
        #expect(second.status == 0, "\(second.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: files.path("out")).sorted()
        #expect(names == ["best_parameters.toml", "curve_decay.csv", "fit_decay.csv", "manifest.txt", "notes.txt", "starts.csv"],
                "the first fit's profiles are gone, the user's file stays: \(names)")
        let manifest = try String(contentsOfFile: files.path("out/manifest.txt"), encoding: .utf8)
        #expect(!manifest.contains("profiles.csv") && manifest.contains("starts.csv"), "\(manifest)")
        #expect(files.changed().isEmpty)
    }

    /// A manifest.txt that no fit wrote is the user's: the fit is refused before it runs and
    /// removes nothing that file lists. A file an earlier fit listed that this fit reads (its
    /// curve given as the new fit's data) stays.
    @Test func aFitNeverRemovesWhatItReadsOrWhatAForeignManifestLists() throws {
        var files = try OutputEqualsInputTests.fitInputs()
        defer { files.remove() }
        try files.add("out/manifest.txt", "eact.csv\nnotes.txt\n")
        try files.add("out/notes.txt", "mine\n")
        try files.add("out/eact.csv", "time,A\n0,10\n1,6.07\n2,3.68\n")
        let refused = try CLI.run(["fit", "fit.toml", "--starts", "2", "--no-profiles", "--out-dir", "out", "--quiet"], in: files.dir)
        #expect(refused.status == 2 && refused.stderr.contains("'out/manifest.txt' was not written by kinapse fit"), "\(refused.stderr)")
        #expect(!refused.stdout.contains("best:"), "refused before fitting: \(refused.stdout)")
        #expect(files.changed().isEmpty)

        var again = try OutputEqualsInputTests.fitInputs()
        defer { again.remove() }
        let first = try CLI.run(["fit", "fit.toml", "--starts", "2", "--no-profiles", "--out-dir", "out", "--quiet"], in: again.dir)
        #expect(first.status == 0, "\(first.stderr)")
        let curve = try String(contentsOfFile: again.path("out/curve_decay.csv"), encoding: .utf8)
        try again.add("refit.toml", try String(contentsOfFile: again.path("fit.toml"), encoding: .utf8)
            .replacingOccurrences(of: "data/eact.csv", with: "out/curve_decay.csv").replacingOccurrences(of: "\"decay\"", with: "\"refit\""))
        let second = try CLI.run(["fit", "refit.toml", "--starts", "2", "--no-profiles", "--out-dir", "out", "--quiet"], in: again.dir)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try String(contentsOfFile: again.path("out/curve_decay.csv"), encoding: .utf8) == curve, "the data this fit read is kept")
        #expect(!FileManager.default.fileExists(atPath: again.path("out/fit_decay.csv")), "the earlier fit's other files are gone")
        #expect(again.changed().isEmpty)
    }

    /// NSString's deletingLastPathComponent traps on a one-character name (swift-corelibs-foundation).
    @Test func aOneCharacterOutputNameIsWritten() throws {
        var files = try InputFiles()
        defer { files.remove() }
        try files.add("model.ant", Self.decay)
        let run = try CLI.run(["simulate", "model.ant", "--t-end", "1", "--out", "x"], in: files.dir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try String(contentsOfFile: files.path("x"), encoding: .utf8).hasPrefix("time"))
    }

    /// The suite's case files are read by the run, so the passing list may not land among them.
    @Test func theSBMLSuitesPassingListMayNotOverwriteACaseFile() throws {
        var files = try InputFiles()
        defer { files.remove() }
        try files.add("suite/cases/00001/00001-settings.txt", "start: 0\nduration: 1\nsteps: 1\nvariables: A\nabsolute: 1e-6\nrelative: 1e-6\n")
        let run = try CLI.run(["sbml-suite", "suite", "--cases", "1", "--passing-list", "suite/cases/00001/00001-settings.txt", "--quiet"], in: files.dir)
        #expect(run.status == 2 && run.stderr.contains("lies inside the test suite 'suite'"), "\(run.stderr)")
        #expect(files.changed().isEmpty)
    }

    @Test func aLockedOutputDirectoryIsRefusedAndAStaleLockExplained() throws {
        var files = try OutputEqualsInputTests.fitInputs()
        defer { files.remove() }
        // A live owner: this test process.
        try files.add("out/.kinapse-fit.lock", "\(getpid())\n")
        let busy = try CLI.run(["fit", "fit.toml", "--starts", "2", "--out-dir", "out", "--quiet"], in: files.dir)
        #expect(busy.status == 2 && busy.stderr.contains("another kinapse run (process \(getpid())) is writing to 'out'"), "\(busy.stderr)")
        #expect(!FileManager.default.fileExists(atPath: files.path("out/starts.csv")))
        // A dead owner: a process that has ended.
        let ended = Process()
        ended.executableURL = URL(fileURLWithPath: "/bin/true")
        try ended.run()
        ended.waitUntilExit()
        try files.add("out/.kinapse-fit.lock", "\(ended.processIdentifier)\n")
        let stale = try CLI.run(["fit", "fit.toml", "--starts", "2", "--out-dir", "out", "--quiet"], in: files.dir)
        #expect(stale.status == 2 && stale.stderr.contains("stale lock from process \(ended.processIdentifier)"), "\(stale.stderr)")
        #expect(stale.stderr.contains("remove 'out/.kinapse-fit.lock' and run again"), "\(stale.stderr)")
        #expect(files.changed().isEmpty)
    }

    @Test func twoFitsAtOnceIntoOneDirectory() throws {
        let files = try OutputEqualsInputTests.fitInputs()
        defer { files.remove() }
        CLI.inheritDefaultInterrupt()
        let first = Process()
        first.executableURL = CLI.executable
        // A wall-clock limit, so a SIGINT that goes unheard fails the test instead of running on.
        first.arguments = ["fit", "fit.toml", "--starts", "100000", "--max-time", "300", "--out-dir", "out", "--quiet"]
        first.currentDirectoryURL = files.dir
        first.standardOutput = FileHandle.nullDevice
        first.standardError = FileHandle.nullDevice
        try first.run()
        let lock = files.path("out/.kinapse-fit.lock")
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: lock), Date() < deadline { usleep(20_000) }
        let second = try CLI.run(["fit", "fit.toml", "--starts", "2", "--out-dir", "out", "--quiet"], in: files.dir)
        #expect(second.status == 2 && second.stderr.contains("another kinapse run (process \(first.processIdentifier)) is writing to 'out'"), "\(second.stderr)")
        kill(first.processIdentifier, SIGINT)
        first.waitUntilExit()
        #expect(first.terminationReason == .uncaughtSignal && first.terminationStatus == SIGINT)
        #expect(!FileManager.default.fileExists(atPath: lock), "the interrupted fit removed its lock")
        let manifest = try String(contentsOfFile: files.path("out/manifest.txt"), encoding: .utf8)
        #expect(manifest.contains("starts.csv"), "the interrupted fit's partial set is listed: \(manifest)")
        #expect(files.changed().isEmpty)
    }

    @Test func interruptedSTDPWritesTheIntervalsDone() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("window.csv")
        CLI.inheritDefaultInterrupt()
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = ["stdp", LumpedFixture.entorhinalStellate, "--dt", "-100:100:1", "--jobs", "1", "--quiet", "--out", out.path]
        process.currentDirectoryURL = TestModels.repositoryRoot
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // About 0.2 s per interval: after 3 s some are done and most of the 201 are not.
        Thread.sleep(forTimeInterval: 3)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGINT)
        let lines = try String(contentsOf: out, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("delta_t_ms,") == true)
        let rows = lines.dropFirst().filter { !$0.hasPrefix("#") }
        #expect(!rows.isEmpty && rows.count < 201, "\(rows.count) intervals written")
        #expect(lines.last == "# partial: interrupted after \(rows.count) of 201 intervals", "\(lines.last ?? "")")
        // The intervals done are the first ones, in order.
        #expect(rows.first?.hasPrefix("-100,") == true)
    }

    // MARK: - Size limits

    @Test(arguments: [
        (["simulate", "model.ant", "--t-end", "10", "--points", "1000000000000"], "--points 1000000000000 is more than the limit of 10000000 rows"),
        (["simulate", "model.ant", "--t-end", "1e12", "--dt", "1e-3"], "more than the limit of 10000000"),
        (["stdp", LumpedFixture.entorhinalStellate, "--dt", "-100:100:0.001"], "more than the limit of 10000"),
        (["fit", "fit.toml", "--starts", "1000000"], "--starts 1000000 is more than the limit of 100000"),
        (["simulate", "Pathways/synapses/vta_no.toml", "--protocol", "hfs", "--native-code", "--trials", "1000000", "--trials-out", "t.csv"], "--trials 1000000 is more than the limit of 100000"),
    ])
    func sizeOptionsHaveLimitsAndSayWhy(arguments: [String], message: String) throws {
        let files = try OutputEqualsInputTests.fitInputs()
        defer { files.remove() }
        let absolute = arguments.map { $0.hasPrefix("Pathways/") ? TestModels.repositoryRoot.appendingPathComponent($0).path : $0 }
        let clock = ContinuousClock()
        let start = clock.now
        let r = try CLI.run(absolute, in: files.dir)
        #expect(r.status == 2 && r.stderr.contains(message), "\(r.stderr)")
        #expect(clock.now - start < .seconds(10), "refused at once, not after growing memory")
        #expect(files.changed().isEmpty)
    }

    /// A step that does not reach the window's end would drop that interval without a word.
    @Test func anSTDPStepThatMissesTheEndIsRefused() throws {
        let r = try CLI.run(["stdp", LumpedFixture.entorhinalStellate, "--dt", "-10:10:7", "--quiet"])
        #expect(r.status == 2 && r.stderr.contains("steps of 7 ms from -10 end at 4 ms, not at 10"), "\(r.stderr)")
    }

    // MARK: - Names the listings print work from any directory

    @Test func shippedNamesWorkFromAnyDirectory() throws {
        let elsewhere = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        let synapses = try CLI.run(["synapses"], in: elsewhere)
        #expect(synapses.status == 0 && synapses.stdout.contains("golgi_granule"), "\(synapses.stderr)")
        for listing in ["protocols", "pathways"] {
            let r = try CLI.run([listing], in: elsewhere)
            #expect(r.status == 0 && !r.stdout.isEmpty, "\(listing): \(r.stderr)")
        }
        // A bare synapse name from a library on KINAPSE_PATH (the lumped fixtures, which run in
        // milliseconds), its protocol by name from the library beside the executable.
        let run = try CLI.run(["simulate", "cortical_camkii", "--protocol", "depolarisation"], in: elsewhere,
                              environment: ["KINAPSE_PATH": LumpedFixture.library])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("site of expression"), "\(run.stdout)")
        let pathway = try CLI.run(["simulate", "no_cgmp_pkg", "--t-end", "1", "--points", "2"], in: elsewhere)
        #expect(pathway.status == 0 && pathway.stdout.hasPrefix("time,"), "\(pathway.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path).isEmpty, "nothing written where it ran")
    }

    @Test func aCopiedSynapseFileFindsItsPathwayAndProtocol() throws {
        var files = try InputFiles()
        defer { files.remove() }
        try files.copy("Pathways/synapses/vta_no.toml", as: "mine.toml")
        let r = try CLI.run(["simulate", "mine.toml", "--protocol", "hfs", "--native-code"], in: files.dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(files.changed().isEmpty)
    }

    @Test func notFoundListsEveryPlaceTried() throws {
        let elsewhere = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        let extra = elsewhere.appendingPathComponent("extra")
        let r = try CLI.run(["simulate", "golgi_granul", "--protocol", "tbs"], in: elsewhere, environment: ["KINAPSE_PATH": extra.path])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("cannot find 'golgi_granul'; looked for:"), "\(r.stderr)")
        #expect(r.stderr.contains(extra.appendingPathComponent("synapses/golgi_granul.toml").path), "KINAPSE_PATH is searched: \(r.stderr)")
        #expect(r.stderr.contains(TestModels.repositoryRoot.appendingPathComponent("Pathways/golgi_granul.ant").path), "\(r.stderr)")
        #expect(r.stderr.contains("did you mean 'golgi_granule'?"), "\(r.stderr)")
        let proto = try CLI.run(["simulate", "golgi_granule", "--protocol", "tbz"], in: elsewhere)
        #expect(proto.status == 2 && proto.stderr.contains("no protocol 'tbz'; looked for:") && proto.stderr.contains("protocols/tbz.toml"), "\(proto.stderr)")
        #expect(proto.stderr.contains("did you mean 'tbs'?"), "\(proto.stderr)")
    }

    @Test func kinapsePathAddsALibrary() throws {
        var files = try InputFiles()
        defer { files.remove() }
        try files.add("mylib/Pathways/decay.ant", Self.decay)
        let elsewhere = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        let r = try CLI.run(["simulate", "decay", "--t-end", "1", "--points", "2"], in: elsewhere, environment: ["KINAPSE_PATH": files.path("mylib")])
        #expect(r.status == 0 && r.stdout.hasPrefix("time,A,B\n"), "\(r.stderr)")
        #expect(files.changed().isEmpty)
    }

    // MARK: - Conditions compared

    @Test func plotOverlaysRunsWithALegend() throws {
        var files = try InputFiles()
        defer { files.remove() }
        try files.add("ctrl.csv", "time,A,B\n0,10,0\n1,6,4\n2,3.6,6.4\n")
        try files.add("drug.csv", "time,A,B\n0,10,0\n1,8,2\n2,6.4,3.6\n")
        let r = try CLI.run(["plot", "ctrl.csv", "drug.csv", "--label", "control", "--label", "AM251", "--title", "decay",
                             "--ylabel", "amount", "--out", "cmp.svg"], in: files.dir)
        #expect(r.status == 0, "\(r.stderr)")
        let svg = try String(contentsOfFile: files.path("cmp.svg"), encoding: .utf8)
        // Both columns share a panel (same magnitude); each run is named once per column in the legend.
        #expect(svg.contains(">control: A</text>") && svg.contains(">AM251: B</text>"), "legend names the runs")
        #expect(svg.contains(">decay</text>") && svg.contains(">amount</text>"), "title and y label")
        // Runs are told apart by colour: the first two palette colours both appear.
        #expect(svg.contains("#0072b2") && svg.contains("#d55e00"))
        let unlabelled = try CLI.run(["plot", "ctrl.csv", "drug.csv", "--out", "default.svg"], in: files.dir)
        #expect(unlabelled.status == 0, "\(unlabelled.stderr)")
        let named = try String(contentsOfFile: files.path("default.svg"), encoding: .utf8)
        #expect(named.contains(">ctrl: A</text>"), "labels default to the file names")
        let labels = try CLI.run(["plot", "ctrl.csv", "drug.csv", "--label", "control"], in: files.dir)
        #expect(labels.status == 2 && labels.stderr.contains("give one --label per CSV (2 CSVs, 1 labels)"), "\(labels.stderr)")
        try files.add("window.csv", "delta_t_ms,amplitude_change_percent\n-10,-5\n10,20\n")
        let mixed = try CLI.run(["plot", "ctrl.csv", "window.csv"], in: files.dir)
        #expect(mixed.status == 2 && mixed.stderr.contains("window.csv:1:1: error: a STDP window, but 'ctrl.csv' is a time course"), "\(mixed.stderr)")
        try files.add("fewer.csv", "time,A\n0,10\n1,8\n")
        let fewer = try CLI.run(["plot", "ctrl.csv", "fewer.csv"], in: files.dir)
        #expect(fewer.status == 2 && fewer.stderr.contains("no column 'B' in 'fewer.csv', which 'ctrl.csv' has"), "\(fewer.stderr)")
        #expect(files.changed().isEmpty)
    }

    // MARK: - Units and figures

    @Test func figuresNameUnitsTheAnalysisWindowAndTheDescription() throws {
        var files = try InputFiles()
        defer { files.remove() }
        // A slow decay: the rate is a thousand times smaller than A, so each gets a panel of its own.
        try files.add("model.ant", "A = 10; B = 0; k = 0.001\nJ1: A -> B; k*A\n")
        let pathway = try CLI.run(["simulate", "model.ant", "--t-end", "1", "--select", "A,J1", "--plot", "run.svg", "--out", "run.csv"], in: files.dir)
        #expect(pathway.status == 0, "\(pathway.stderr)")
        let run = try String(contentsOfFile: files.path("run.svg"), encoding: .utf8)
        #expect(run.contains(">concentration (µM)</text>") && run.contains(">rate (µM/s)</text>"), "species and rates get their own axes")
        let synapse = try CLI.run(["simulate", TestModels.repositoryRoot.appendingPathComponent("Pathways/synapses/vta_no.toml").path,
                                   "--protocol", "hfs", "--native-code", "--block", "L-NAME", "--plot", "syn.svg"], in: files.dir)
        #expect(synapse.status == 0, "\(synapse.stderr)")
        let svg = try String(contentsOfFile: files.path("syn.svg"), encoding: .utf8)
        #expect(svg.contains(">analysis window</text>"), "the window the summary averages over is shaded")
        #expect(svg.contains("— hfs, blocked: L-NAME</text>") && !svg.contains(">vta_no: hfs</text>"), "titled by the description, not the file stem")
        #expect(svg.contains(">IPSC amplitude (% of baseline)</text>"))
        #expect(files.changed().isEmpty)
    }

    // MARK: - Errors that say what is wrong

    @Test(arguments: [
        (["simualte", "x.ant", "--t-end", "10"], "error: unknown command 'simualte'\nhint: did you mean 'simulate'?"),
        (["help", "nosuch"], "error: unknown help topic 'nosuch'"),
        (["simulate", "model.ant", "--t-end", "-5"], "--t-end must be positive (got -5.0)"),
        (["simulate", "model.ant", "--t-end", "10", "--points", "-3"], "--points must be positive"),
        (["fit", "fit.toml", "--starts", "-1"], "--starts must be positive (got -1)"),
        (["simulate", "model.ant", "--t-end", "10", "--dt", "3"], "--dt 3 does not divide --t-end 10"),
    ])
    func argumentErrorsSayWhatIsWrong(arguments: [String], message: String) throws {
        let files = try OutputEqualsInputTests.fitInputs()
        defer { files.remove() }
        let r = try CLI.run(arguments, in: files.dir)
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(!r.stderr.contains("Missing value") && !r.stderr.contains("Unknown option"), "\(r.stderr)")
        #expect(files.changed().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: files.dir.path).sorted() == ["data", "fit.toml", "model.ant"])
    }

    @Test func aStepThatDoesNotDivideTheSpanSuggestsOnesThatDo() throws {
        let files = try OutputEqualsInputTests.fitInputs()
        defer { files.remove() }
        let r = try CLI.run(["simulate", "model.ant", "--t-end", "10", "--dt", "3"], in: files.dir)
        #expect(r.stderr.contains("hint: use --dt 2.5, or --t-end 12, or --points N"), "\(r.stderr)")
        let exact = try CLI.run(["simulate", "model.ant", "--t-end", "10", "--dt", "2.5"], in: files.dir)
        #expect(exact.status == 0)
        #expect(exact.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",")[0] } == ["0", "2.5", "5", "7.5", "10"])
    }

    @Test func checkReadsEveryFileKindByItsContent() throws {
        var files = try OutputEqualsInputTests.fitInputs()
        defer { files.remove() }
        let root = TestModels.repositoryRoot
        let cases: [(String, String)] = [
            (root.appendingPathComponent("Pathways/synapses/golgi_granule.toml").path, "synapse golgi_granule: OK"),
            (root.appendingPathComponent("Pathways/protocols/tbs.toml").path, "protocol tbs: OK"),
            ("fit.toml", "fit problem fit.toml: OK"),
            ("data/eact.csv", "table data/eact.csv: OK (2 columns, 3 rows"),
            ("model.ant", "model"),
        ]
        for (file, expected) in cases {
            let r = try CLI.run(["check", file], in: files.dir)
            #expect(r.status == 0 && r.stdout.contains(expected), "\(file): \(r.stdout)\(r.stderr)")
        }
        // A TOML file with a lying extension is still read as TOML.
        try files.copy("Pathways/protocols/tbs.toml", as: "tbs.ant")
        let lying = try CLI.run(["check", "tbs.ant"], in: files.dir)
        #expect(lying.status == 0 && lying.stdout.contains("protocol tbs: OK"), "\(lying.stdout)\(lying.stderr)")
        // A broken synapse reports its own error, not fifty Antimony ones.
        try files.add("broken.toml", "model = \"nowhere.ant\"\n[release]\nsites = \"five\"\n")
        let broken = try CLI.run(["check", "broken.toml"], in: files.dir)
        #expect(broken.status == 2 && broken.stderr.contains("broken.toml:3:9: error: 'sites' must be a whole number, not a string"), "\(broken.stderr)")
        #expect(!broken.stderr.contains("expected"), "read as a synapse, not parsed as Antimony: \(broken.stderr)")
        #expect(files.changed().isEmpty)
    }

    @Test func fileKindsAreRecognisedWhereTheExtensionLies() throws {
        var files = try InputFiles()
        defer { files.remove() }
        try files.add("model.ant", Self.decay)
        let sbml = try CLI.run(["export", "model.ant", "--sbml", "model.xml"], in: files.dir)
        #expect(sbml.status == 0, "\(sbml.stderr)")
        try files.add("sbml.ant", try String(contentsOfFile: files.path("model.xml"), encoding: .utf8))
        let named = try CLI.run(["simulate", "sbml.ant", "--t-end", "1", "--points", "2"], in: files.dir)
        #expect(named.status == 0 && named.stdout.hasPrefix("time,A,B"), "an SBML file named .ant: \(named.stderr)")
        let stdp = try CLI.run(["stdp", "model.ant"], in: files.dir)
        #expect(stdp.status == 2 && stdp.stderr.contains("'model.ant' is a pathway (Antimony), not a synapse definition"), "\(stdp.stderr)")
        try files.copy("Pathways/protocols/tbs.toml", as: "tbs.toml")
        let proto = try CLI.run(["simulate", "tbs.toml", "--t-end", "1"], in: files.dir)
        #expect(proto.status == 2 && proto.stderr.contains("is an induction protocol, not a pathway or synapse"), "\(proto.stderr)")
        // A library file that opens with a module of several arguments (commas on its first
        // line, no comment before) is Antimony, not a CSV table.
        try files.add("module.ant", "module leak(V, E)\n  I := g*(V - E)\n  g = 1\nend\nmodel *cell()\n  L: leak(V, E)\n  E = -70\n  V' = -L.I\n  V = -60\nend\n")
        let module = try CLI.run(["simulate", "module.ant", "--t-end", "1", "--points", "2"], in: files.dir)
        #expect(module.status == 0 && module.stdout.hasPrefix("time,V"), "\(module.stderr)")
        #expect(files.changed().isEmpty)
    }

    @Test func aByteOrderMarkIsAcceptedAndControlBytesAreShownEscaped() throws {
        var files = try InputFiles()
        defer { files.remove() }
        try files.add("bom.ant", "\u{FEFF}" + Self.decay)
        let bom = try CLI.run(["simulate", "bom.ant", "--t-end", "1", "--points", "2"], in: files.dir)
        #expect(bom.status == 0 && bom.stdout.hasPrefix("time,A,B"), "\(bom.stderr)")
        try files.add("binary.ant", "A = 1\u{1B}[2J\u{07}\u{01}; B = 2\n")
        let binary = try CLI.run(["check", "binary.ant"], in: files.dir)
        #expect(binary.status == 2, "\(binary.stderr)")
        let raw = binary.stderr.unicodeScalars.filter { $0.value < 0x20 && $0 != "\n" }
        #expect(raw.isEmpty, "control characters reach the terminal: \(raw.map(\.value))")
        #expect(binary.stderr.contains("\\u{1B}") || binary.stderr.contains("\u{241B}"), "\(binary.stderr)")
        #expect(files.changed().isEmpty)
    }

    @Test func aModelWithoutStateWarnsAndRateRuleParametersAreOutput() throws {
        var files = try InputFiles()
        defer { files.remove() }
        try files.add("empty.ant", "k = 1\n")
        let empty = try CLI.run(["simulate", "empty.ant", "--t-end", "1", "--points", "2"], in: files.dir)
        #expect(empty.status == 0 && empty.stderr.contains("warning: 'empty.ant' has no state variables"), "\(empty.stderr)")
        try files.add("rates.ant", "x = 1\nx' = -x\n")
        let rates = try CLI.run(["simulate", "rates.ant", "--t-end", "1", "--points", "2"], in: files.dir)
        #expect(rates.status == 0 && rates.stdout.hasPrefix("time,x\n0,1\n"), "\(rates.stdout)\(rates.stderr)")
        #expect(!rates.stderr.contains("warning"), "\(rates.stderr)")
        #expect(files.changed().isEmpty)
    }

    @Test func aMisspelledPlotSpeciesIsCaughtBeforeTheRun() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("run.csv"), figure = dir.appendingPathComponent("run.svg")
        let r = try CLI.run(["simulate", "Pathways/synapses/vta_no.toml", "--protocol", "hfs", "--native-code", "--out", out.path,
                             "--plot", figure.path, "--plot-species", "NOS_cGMQ"])
        #expect(r.status == 2 && r.stderr.contains("no column 'NOS_cGMQ'") && r.stderr.contains("did you mean 'NOS_cGMP'?"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "nothing half written")
    }

    /// Values no physical model can take are refused where they enter, instead of a run
    /// that fails later (a zero compartment) or a steady state nobody can have (Ca²⁺ below zero).
    @Test func negativeConcentrationsAndEmptyCompartmentsAreRefused() throws {
        var files = try InputFiles()
        defer { files.remove() }
        try files.add("zero.ant", "compartment cell = 0\nspecies A in cell = 1\nJ: A -> ; k*A\nk = 0.1\n")
        let zero = try CLI.run(["check", "zero.ant"], in: files.dir)
        #expect(zero.status == 2 && zero.stderr.contains("zero.ant:1:18: error: compartment 'cell' has size 0"), "\(zero.stderr)")
        try files.add("decay.ant", "compartment cell = 1\nspecies A in cell = 1\nJ: A -> ; k*A\nk = 0.1\n")
        for (option, message) in [("cell=0", "cannot set compartment 'cell' to 0"), ("A=-1", "cannot set species 'A' to -1")] {
            let r = try CLI.run(["simulate", "decay.ant", "--t-end", "1", "--set", option], in: files.dir)
            #expect(r.status == 2 && r.stderr.contains(message) && r.stdout.isEmpty, "\(option): \(r.stderr)")
        }
        // A source that sets the level below zero: no rest state; the scan marks the point failed.
        try files.add("source.ant", "compartment cell = 1\nspecies A in cell = 1\nJ0: -> A; s\nJ1: A -> ; k*A\ns = 0.1\nk = 0.1\n")
        let steady = try CLI.run(["steady-state", "source.ant", "--set", "s=-0.1"], in: files.dir)
        #expect(steady.status != 0 && steady.stderr.contains("species 'A' at -1") && steady.stderr.contains("cannot be negative"), "\(steady.stderr)")
        let scan = try CLI.run(["scan", "source.ant", "--vary", "s=-0.1:0.1:2"], in: files.dir)
        #expect(scan.status == 1 && scan.stdout.contains("# partial: 1 of 2 points failed; first at s = -0.1"), "\(scan.stdout)\(scan.stderr)")
        #expect(files.changed().isEmpty)
    }

    /// An output option given twice is refused before anything runs: argument-parser would
    /// keep the last silently and write one file where the user expects two.
    @Test func anOutputOptionGivenTwiceIsRefused() throws {
        var files = try InputFiles()
        defer { files.remove() }
        try files.add("decay.ant", "A = 1\nk = 0.1\nJ: A -> ; k*A\n")
        for twice in [["--out", "a.csv", "--out", "b.csv"], ["--out=a.csv", "--out", "b.csv"], ["--plot", "a.svg", "--plot=b.svg"]] {
            let r = try CLI.run(["simulate", "decay.ant", "--t-end", "1"] + twice, in: files.dir)
            #expect(r.status == 2 && r.stderr.contains("is given twice ('a.") && r.stdout.isEmpty, "\(twice): \(r.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: files.dir.path) == ["decay.ant"])
        #expect(files.changed().isEmpty)
    }

    /// `stdp`'s default pairing needs a postsynaptic spike most rigs lack: the error names
    /// the pairing protocols the synapse can run, or says it has none.
    @Test func stdpOnASynapseWithoutTheDefaultPairingNamesWhatRuns() throws {
        let none = try CLI.run(["stdp", "golgi_granule", "--dt", "-10:10:10"])
        #expect(none.status == 2 && none.stderr.contains("uses stimulus 'postsynaptic_spike'") && none.stderr.contains("has no pairing protocol to run"),
                "\(none.stderr)")
    }

    /// A value computed by a rule cannot be set; the hint shows what it is computed from.
    @Test func settingAComputedValueNamesWhatItIsComputedFrom() throws {
        var files = try InputFiles()
        defer { files.remove() }
        try files.add("rule.ant", "A = 1\nbase = 0.5\nk := 2*base\nJ: A -> ; k*A\n")
        let r = try CLI.run(["simulate", "rule.ant", "--t-end", "1", "--set", "k=1"], in: files.dir)
        #expect(r.status == 2 && r.stderr.contains("cannot set 'k'") && r.stderr.contains("hint: k = 2*base"), "\(r.stderr)")
        #expect(files.changed().isEmpty)
    }

    /// `check` calls a synapse OK only when it would run: its pathway found and its
    /// receptors symbol defined.
    @Test func checkOfASynapseLoadsItsPathwayBeforeSayingOK() throws {
        var files = try InputFiles()
        defer { files.remove() }
        let shipped = try String(contentsOf: TestModels.repositoryRoot.appendingPathComponent("Pathways/synapses/vta_no.toml"), encoding: .utf8)
        try files.add("missing.toml", shipped.replacingOccurrences(of: "model = \"vta_no.ant\"", with: "model = \"nothere.ant\""))
        let missing = try CLI.run(["check", "missing.toml"], in: files.dir)
        #expect(missing.status == 2 && missing.stderr.contains("cannot find the model 'nothere.ant'") && !missing.stdout.contains("OK"),
                "\(missing.stdout)\(missing.stderr)")
        let ant = TestModels.repositoryRoot.appendingPathComponent("Pathways/synapses/vta_no.ant").path
        let receptorsLine = try #require(shipped.split(separator: "\n").first { $0.hasPrefix("receptors = ") })
        try files.add("unknown.toml", shipped.replacingOccurrences(of: "model = \"vta_no.ant\"", with: "model = \"\(ant)\"")
            .replacingOccurrences(of: String(receptorsLine), with: "receptors = \"nonesuch\""))
        let unknown = try CLI.run(["check", "unknown.toml"], in: files.dir)
        #expect(unknown.status == 2 && unknown.stderr.contains("defines no 'nonesuch'") && !unknown.stdout.contains("OK"),
                "\(unknown.stdout)\(unknown.stderr)")
        // A blocker that sets a value the model computes by a rule would fail only when applied.
        try files.add("ruled.toml", shipped.replacingOccurrences(of: "model = \"vta_no.ant\"", with: "model = \"\(ant)\"")
            + "\n[blockers.zeroed]\nset = { B_free = 0 }\n")
        let ruled = try CLI.run(["check", "ruled.toml"], in: files.dir)
        #expect(ruled.status == 2 && ruled.stderr.contains("cannot set 'B_free'") && !ruled.stdout.contains("OK"),
                "\(ruled.stdout)\(ruled.stderr)")
        #expect(files.changed().isEmpty)
    }

    @Test func theSBMLSuiteHelpDoesNotDependOnTheMachine() throws {
        let snapshot = try String(contentsOf: TestModels.repositoryRoot.appendingPathComponent("Tests/KinapseCLITests/Snapshots/help-sbml-suite.txt"), encoding: .utf8)
        #expect(snapshot.contains("(default: all cores)"))
        let cores = ProcessInfo.processInfo.activeProcessorCount
        #expect(!snapshot.contains("(default: \(cores))"))
        for name in try FileManager.default.contentsOfDirectory(atPath: TestModels.repositoryRoot.appendingPathComponent("Tests/KinapseCLITests/Snapshots").path) {
            let text = try String(contentsOf: TestModels.repositoryRoot.appendingPathComponent("Tests/KinapseCLITests/Snapshots/\(name)"), encoding: .utf8)
            #expect(!text.contains("activeProcessorCount") && !text.contains("--jobs <jobs>           Cases run at the same time (default: the number"), "\(name)")
        }
    }
}
