import Testing
import Foundation
import PathwayTestSupport

/// What a black-box audit of the commands found, one test per defect: an option that was
/// silently replaced, combined or rounded, an error that came late or under the wrong usage,
/// and a figure or message that did not say what it was.
@Suite(.serialized) struct RunConditionTests {
    static let decay = "A = 10; B = 0; k = 0.5; z = 0\nJ1: A -> B; k*A + z\n"
    static let camkii = LumpedFixture.corticalCaMKII

    /// The lumped CaMKII synapse with a graded L-type blocker of its own (an ic50), so that
    /// --drug can dose it; the values are the test's, not a drug's.
    static func gradedCaMKII() throws -> InputFiles {
        var files = try InputFiles()
        // The fixture's own pathway, by its absolute path, so that its imports resolve.
        let pathway = camkii.replacingOccurrences(of: ".toml", with: ".ant")
        let synapse = try String(contentsOfFile: camkii, encoding: .utf8)
            .replacingOccurrences(of: "model = \"cortical_camkii.ant\"", with: "model = \"\(pathway)\"")
        #expect(synapse.contains(pathway))
        try files.add("cortical_camkii.toml", synapse + """

            [blockers.graded]
            description = "a graded L-type block for the test"
            concentration = 10
            ic50 = 1
            hill = 1
            set = { Ca_depol = 0.05 }
            """)
        return files
    }

    // MARK: - stdp runs the protocol's own pairing

    @Test func stdpKeepsTheProtocolsPairsUnlessOverridden() throws {
        var files = try InputFiles()
        defer { files.remove() }
        let pairing = try String(contentsOf: TestModels.repositoryRoot.appendingPathComponent("Pathways/protocols/pairing.toml"), encoding: .utf8)
        let five = pairing.replacingOccurrences(of: "\npairs = 60", with: "\npairs = 5")
        #expect(five != pairing)
        try files.add("pair5.toml", five)
        try files.add("pair60.toml", pairing)
        func window(_ extra: [String]) throws -> String {
            let r = try CLI.run(["stdp", LumpedFixture.entorhinalStellate, "--dt", "10:10:1", "--quiet"] + extra, in: files.dir)
            #expect(r.status == 0, "\(extra): \(r.stderr)")
            return r.stdout
        }
        let sixty = try window(["--protocol", "pair60.toml"])
        // 5 pairings are not 60: the protocol's own count must reach the run.
        #expect(try window(["--protocol", "pair5.toml"]) != sixty)
        // With --pairs the protocols are the same run, to the digit.
        #expect(try window(["--protocol", "pair5.toml", "--pairs", "60"]) == sixty)
        #expect(files.changed().isEmpty)
    }

    // MARK: - A drug is applied once, and a run says which

    @Test func aDrugBothBlockedAndDosedOrDosedTwiceIsRefused() throws {
        let both = try CLI.run(["simulate", Self.camkii, "--protocol", "depolarisation", "--block", "nifedipine", "--drug", "nifedipine=1"])
        #expect(both.status == 2 && both.stderr.contains("--block nifedipine and --drug nifedipine=1 apply one drug twice"), "\(both.stderr)")
        let twice = try CLI.run(["simulate", Self.camkii, "--protocol", "depolarisation", "--drug", "nifedipine=1", "--drug", "nifedipine=3"])
        #expect(twice.status == 2 && twice.stderr.contains("--drug nifedipine is given twice (1 and 3 µM)"), "\(twice.stderr)")
        let scan = try CLI.run(["scan", Self.camkii, "--protocol", "depolarisation", "--vary", "drug:nifedipine=0.1:10:3", "--drug", "nifedipine=1"])
        #expect(scan.status == 2 && scan.stderr.contains("--vary drug:nifedipine sets the concentration of nifedipine at every point"), "\(scan.stderr)")
    }

    @Test func aDrugRunNamesItsDrugsInTheHeaderAndTheSummary() throws {
        let files = try Self.gradedCaMKII()
        defer { files.remove() }
        let r = try CLI.run(["simulate", "cortical_camkii.toml", "--protocol", "depolarisation", "--block", "KN-62", "--drug", "graded=0.5",
                             "--summary", "summary.csv"], in: files.dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("synapse cortical_camkii, protocol depolarisation, blocked: KN-62; drugs: graded 0.5 µM\n"), "\(r.stdout)")
        let summary = try String(contentsOfFile: files.path("summary.csv"), encoding: .utf8)
        #expect(summary.hasSuffix("\ncondition,blocked: KN-62; drugs: graded 0.5 µM,,\n"), "\(summary)")
        // A control run's file keeps its shape.
        let control = try CLI.run(["simulate", "cortical_camkii.toml", "--protocol", "depolarisation", "--summary", "control.csv"], in: files.dir)
        #expect(control.status == 0, "\(control.stderr)")
        #expect(try !String(contentsOfFile: files.path("control.csv"), encoding: .utf8).contains("condition"))
        #expect(files.changed().isEmpty)
    }

    // MARK: - A synapse's --dt is honoured or refused

    @Test func aSynapseStepThatMissesTheTestStimuliIsRefused() throws {
        // depolarisation.toml tests every 10 s: 3 s would have been rounded to 2.5 s, 20 s to 10 s.
        let three = try CLI.run(["simulate", Self.camkii, "--protocol", "depolarisation", "--dt", "3"])
        #expect(three.status == 2 && three.stderr.contains("--dt 3 does not divide the test interval of protocol 'depolarisation' (10 s)"), "\(three.stderr)")
        #expect(three.stderr.contains("hint: use --dt 5 or --dt 2.5"), "\(three.stderr)")
        #expect(three.stdout.isEmpty, "refused before the run")
        let twenty = try CLI.run(["simulate", Self.camkii, "--protocol", "depolarisation", "--dt", "20"])
        #expect(twenty.status == 2 && twenty.stderr.contains("is longer than the test interval") && twenty.stderr.contains("hint: use --dt 10"), "\(twenty.stderr)")
        let files = try InputFiles()
        defer { files.remove() }
        let exact = try CLI.run(["simulate", Self.camkii, "--protocol", "depolarisation", "--dt", "2.5", "--out", "run.csv"], in: files.dir)
        #expect(exact.status == 0, "\(exact.stderr)")
        let times = try String(contentsOfFile: files.path("run.csv"), encoding: .utf8).split(separator: "\n").dropFirst().prefix(3)
            .map { $0.split(separator: ",")[0] }
        #expect(times == ["0", "2.5", "5"], "rows every --dt: \(times)")
    }

    // MARK: - Errors come early, under the command's own name

    @Test func aHillFitWithTooFewPointsIsRefusedBeforeTheScan() throws {
        var files = try InputFiles()
        defer { files.remove() }
        try files.add("model.ant", Self.decay)
        let r = try CLI.run(["scan", "model.ant", "--vary", "k=0.1:1:3", "--t-end", "1", "--hill", "A"], in: files.dir)
        #expect(r.status == 2 && r.stderr.contains("--hill A needs at least 5 positive values of k to fit, and --vary k=0.1:1:3 gives 3"), "\(r.stderr)")
        #expect(r.stdout.isEmpty, "no scan ran: \(r.stdout)")
        // Zero is no dose: 0:1:5 has only four positive values.
        let zero = try CLI.run(["scan", "model.ant", "--vary", "k=0:1:5", "--t-end", "1", "--hill", "A"], in: files.dir)
        #expect(zero.status == 2 && zero.stderr.contains("gives 4"), "\(zero.stderr)")
    }

    @Test func anErrorFoundWhileRunningPrintsNoTopLevelUsage() throws {
        var files = try InputFiles()
        defer { files.remove() }
        try files.add("model.ant", Self.decay)
        let morris = try CLI.run(["sensitivity", "model.ant", "--method", "morris", "--parameters", "z", "--t-end", "1"], in: files.dir)
        #expect(morris.status == 2 && morris.stderr.contains("error: cannot give 'z' (value 0) a range by --spread"), "\(morris.stderr)")
        let scan = try CLI.run(["scan", "model.ant", "--vary", "k=0.1:1:5", "--t-end", "1", "--select", "B", "--hill", "A"], in: files.dir)
        #expect(scan.status == 2 && scan.stderr.contains("error: --hill A must be one of the output columns (B)"), "\(scan.stderr)")
        for r in [morris, scan] {
            #expect(!r.stderr.contains("Usage: kinapse <subcommand>") && !r.stderr.contains("See 'kinapse --help'"), "\(r.stderr)")
        }
    }

    // MARK: - Figures: what plot can draw, and SVG only

    @Test func aFigureNamedForAnotherFormatIsRefused() throws {
        var files = try InputFiles()
        defer { files.remove() }
        try files.add("model.ant", Self.decay)
        let r = try CLI.run(["simulate", "model.ant", "--t-end", "1", "--plot", "fig.png"], in: files.dir)
        #expect(r.status == 2 && r.stderr.contains("--plot fig.png: Kinapse draws figures as SVG only, not .png"), "\(r.stderr)")
        #expect(r.stderr.contains("--plot fig.svg"), "the hint names the SVG file: \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: files.path("fig.png")))
        try files.add("run.csv", "time,A\n0,1\n1,2\n")
        let plot = try CLI.run(["plot", "run.csv", "--out", "fig.pdf"], in: files.dir)
        #expect(plot.status == 2 && plot.stderr.contains("not .pdf"), "\(plot.stderr)")
        #expect(files.changed().isEmpty)
    }

    @Test func plotDrawsTheScansAndRankingsKinapseWrites() throws {
        var files = try InputFiles()
        defer { files.remove() }
        try files.add("model.ant", Self.decay)
        let morris = try CLI.run(["sensitivity", "model.ant", "--method", "morris", "--parameters", "k", "--t-end", "1", "--trajectories", "4",
                                  "--out", "morris.csv"], in: files.dir)
        #expect(morris.status == 0, "\(morris.stderr)")
        let bars = try CLI.run(["plot", "morris.csv", "--select", "B"], in: files.dir)
        #expect(bars.status == 0 && bars.stdout.contains("<svg") && bars.stdout.contains("μ* of B"), "\(bars.stderr)")
        let scan = try CLI.run(["scan", Self.camkii, "--protocol", "depolarisation", "--vary", "Ca_depol=0.1:1:3", "--quiet", "--out", "scan.csv"],
                               in: files.dir)
        #expect(scan.status == 0, "\(scan.stderr)")
        let curves = try CLI.run(["plot", "scan.csv"], in: files.dir)
        #expect(curves.status == 0 && curves.stdout.contains("delta_ipsc_percent") && curves.stdout.contains("Ca_depol"), "\(curves.stderr)")
        let grid = try CLI.run(["scan", Self.camkii, "--protocol", "depolarisation", "--vary", "Ca_depol=0.1:1:2", "--vary", "Ca_bath=0.1:1:2",
                                "--quiet", "--out", "grid.csv"], in: files.dir)
        #expect(grid.status == 0, "\(grid.stderr)")
        let map = try CLI.run(["plot", "grid.csv", "--select", "delta_receptors_percent"], in: files.dir)
        #expect(map.status == 0 && map.stdout.contains("delta_receptors_percent"), "\(map.stderr)")
        // A pathway's scan is any CSV by its header: the error says which command draws it.
        let pathway = try CLI.run(["scan", "model.ant", "--vary", "k=0.1:1:3", "--t-end", "1", "--out", "pathway.csv"], in: files.dir)
        #expect(pathway.status == 0, "\(pathway.stderr)")
        let refused = try CLI.run(["plot", "pathway.csv"], in: files.dir)
        #expect(refused.status == 2 && refused.stderr.contains("draw it with scan's --plot FIG.svg"), "\(refused.stderr)")
    }

    // MARK: - Messages say what was given

    @Test func aFractionWhereAWholeNumberBelongsIsQuoted() throws {
        var files = try InputFiles()
        defer { files.remove() }
        try files.add("broken.toml", "model = \"nowhere.ant\"\n[release]\nsites = 2.5\n")
        let r = try CLI.run(["check", "broken.toml"], in: files.dir)
        #expect(r.status == 2 && r.stderr.contains("'sites' must be a whole number, not 2.5"), "\(r.stderr)")
    }
}
