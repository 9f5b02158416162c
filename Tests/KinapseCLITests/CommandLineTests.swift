import Testing
import Foundation
import PathwayTestSupport

/// Runs the built `kinapse` executable as a user would.
struct CommandResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

enum CLI {
    static var executable: URL { TestModels.kinapseExecutable }

    /// `launcher`: a program that starts kinapse itself (mpirun), given the arguments.
    static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:],
                    launcher: URL? = nil) throws -> CommandResult {
        let process = Process()
        process.executableURL = launcher ?? executable
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.currentDirectoryURL = directory ?? TestModels.repositoryRoot
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting so a full pipe cannot deadlock the child.
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                             stderr: String(decoding: e, as: UTF8.self))
    }

    /// Lets the kinapse processes started next inherit SIGINT's default action. A test runner
    /// started as a background job of a script has SIGINT ignored, and exec passes that on, so a
    /// test that interrupts kinapse calls this first.
    static func inheritDefaultInterrupt() {
        signal(SIGINT, SIG_DFL)
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kinapse-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// The lumped synapse models kept as engine-test fixtures (Fixtures/lumped/synapses): they run in
/// milliseconds, so the tests of command-line mechanics use them. Absolute paths, so that a run
/// in any directory finds them.
enum LumpedFixture {
    static let library = TestModels.repositoryRoot.appendingPathComponent("Fixtures/lumped").path
    static let corticalCaMKII = path("cortical_camkii")
    static let entorhinalStellate = path("entorhinal_stellate")
    static func path(_ name: String) -> String { "\(library)/synapses/\(name).toml" }
}

@Suite(.serialized) struct CommandLineTests {
    let decay = "A = 10; B = 0; k = 0.5\nJ1: A -> B; k*A\n"

    func writeModel(_ text: String, name: String = "model.ant") throws -> (URL, URL) {
        let dir = try CLI.temporaryDirectory()
        let file = dir.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return (dir, file)
    }

    @Test func simulateWritesCSVWithHeaderAndGrid() throws {
        let (dir, model) = try writeModel(decay)
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["simulate", model.path, "--t-end", "10", "--points", "11"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.first == "time,A,B")
        #expect(lines.count == 12)
        #expect(lines[1] == "0,10,0")
        #expect(lines.last?.hasPrefix("10,") == true)
        let a10 = Double(lines.last!.split(separator: ",")[1])!
        #expect(abs(a10 - 10 * exp(-5)) < 1e-5)
    }

    @Test func outFileSelectSetAndStats() throws {
        let (dir, model) = try writeModel(decay)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("run.csv")
        let r = try CLI.run(["simulate", model.path, "--t-end", "4", "--dt", "2", "--set", "k=0", "--select", "B,k,J1",
                             "--out", out.path, "--stats"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        let csv = try String(contentsOf: out, encoding: .utf8)
        #expect(csv == "time,B,k,J1\n0,0,0,0\n2,0,0,0\n4,0,0,0\n")
        for key in ["steps:", "rhs evaluations:", "jacobian evaluations:", "error-test failures:",
                    "nonlinear convergence failures:", "compile time:", "integration time:"] {
            #expect(r.stderr.contains(key), "missing \(key) in \(r.stderr)")
        }
    }

    @Test func badModelExitsWithStatusTwoAndALocatedMessage() throws {
        let (dir, model) = try writeModel("A = 1\nJ1: A -> ; k*A\n")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["simulate", model.path, "--t-end", "1"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("model.ant:2:12: error: parameter 'k' has no value"), "\(r.stderr)")
        #expect(r.stderr.contains("^"))
    }

    @Test func unknownColumnAndUnknownOverrideExitTwo() throws {
        let (dir, model) = try writeModel(decay)
        defer { try? FileManager.default.removeItem(at: dir) }
        let r1 = try CLI.run(["simulate", model.path, "--t-end", "1", "--select", "Aa"])
        #expect(r1.status == 2)
        #expect(r1.stderr.contains("unknown output column 'Aa'"))
        let r2 = try CLI.run(["simulate", model.path, "--t-end", "1", "--set", "kk=2"])
        #expect(r2.status == 2)
        #expect(r2.stderr.contains("did you mean 'k'?"), "\(r2.stderr)")
    }

    @Test func usageErrorsExitTwo() throws {
        let (dir, model) = try writeModel(decay)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try CLI.run(["simulate", model.path]).status == 2)  // no --t-end
        #expect(try CLI.run(["simulate", model.path, "--t-end", "1", "--points", "5", "--dt", "0.1"]).status == 2)
        #expect(try CLI.run(["simulate", model.path, "--t-end", "-1"]).status == 2)
        #expect(try CLI.run(["simulate", model.path, "--t-end", "1", "--set", "k"]).status == 2)
        #expect(try CLI.run(["simulate", "/nonexistent/model.ant", "--t-end", "1"]).status == 2)
        let typo = try CLI.run(["simulate", "Pathways/no_cgmp_pk.ant", "--t-end", "1"])
        #expect(typo.status == 2)
        #expect(typo.stderr == "error: cannot find 'Pathways/no_cgmp_pk.ant'\nhint: did you mean 'Pathways/no_cgmp_pkg.ant'?\n", "\(typo.stderr)")
        let sameFile = try CLI.run(["simulate", model.path, "--t-end", "1", "--out", model.path])
        #expect(sameFile.status == 2)
        #expect(try String(contentsOf: model, encoding: .utf8) == decay, "the model file must be untouched")
    }

    @Test func solverFailureExitsOneAndKeepsThePartialTrajectory() throws {
        // Finite-time blow-up: x' = x² from x0 = 1 reaches infinity at t = 1.
        let (dir, model) = try writeModel("x = 1\nx' = x^2\n")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("run.csv")
        let r = try CLI.run(["simulate", model.path, "--t-end", "2", "--points", "21", "--out", out.path])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("simulation failed at t = 0.99") || r.stderr.contains("simulation failed at t = 1"), "\(r.stderr)")
        #expect(r.stderr.contains("offending variable: x"), "\(r.stderr)")
        var rows = try String(contentsOf: out, encoding: .utf8).split(separator: "\n")
        #expect(rows.last?.hasPrefix("# partial: simulation failed at t = ") == true, "\(rows.last ?? "")")
        rows.removeLast()
        #expect(rows.count == 11, "rows up to t = 0.9 plus the header")  // 0, 0.1, …, 0.9
        #expect(!rows.joined().contains("nan") && !rows.joined().contains("inf"))
    }

    @Test func checkSummarises() throws {
        let (dir, model) = try writeModel(decay)
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["check", model.path])
        #expect(r.status == 0)
        #expect(r.stdout.contains("reactions:         1"))
        #expect(r.stdout.contains("state size:        2"))
    }

    @Test func odesPrintsReadableMaths() throws {
        let (dir, model) = try writeModel("compartment cell = 2\nspecies A in cell, B in cell\nA = 1; B = 0; k = 0.5\nJ1: A -> B; k*A\n")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["odes", model.path])
        #expect(r.status == 0)
        #expect(r.stdout.contains("J1 = k*A"), "\(r.stdout)")
        #expect(r.stdout.contains("d[A]/dt = -J1/cell"), "\(r.stdout)")
        #expect(r.stdout.contains("d[B]/dt = J1/cell"), "\(r.stdout)")
    }

    @Test func defaultPathwayRuns() throws {
        let r = try CLI.run(["simulate", "Pathways/no_cgmp_pkg.ant", "--t-end", "60", "--points", "61"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.split(separator: "\n").count == 62)
    }
}

/// The README's worked example must keep working exactly as printed.
@Suite struct ReadmeExampleTests {
    func readmeExample() throws -> String {
        let readme = try String(contentsOf: TestModels.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        guard let start = readme.range(of: "// example.ant"),
              let end = readme.range(of: "\nEOF\n", range: start.upperBound..<readme.endIndex) else {
            Issue.record("README has no example.ant block")
            return ""
        }
        return String(readme[start.lowerBound..<end.lowerBound]) + "\n"
    }

    @Test func exampleSimulates() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try readmeExample().write(to: dir.appendingPathComponent("example.ant"), atomically: true, encoding: .utf8)
        #expect(try CLI.run(["check", "example.ant"], in: dir).status == 0)
        #expect(try CLI.run(["odes", "example.ant"], in: dir).status == 0)
        let r = try CLI.run(["simulate", "example.ant", "--t-end", "10", "--points", "11", "--stats"], in: dir)
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("time,Ca,E,Eact\n"))
    }

    @Test func printedErrorMatchesTheTool() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let typo = try readmeExample().replacingOccurrences(of: "- koff*Eact", with: "- kofff*Eact")
        try typo.write(to: dir.appendingPathComponent("example.ant"), atomically: true, encoding: .utf8)
        let r = try CLI.run(["simulate", "example.ant", "--t-end", "1"], in: dir)
        #expect(r.status == 2)
        let readme = try String(contentsOf: TestModels.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains(r.stderr.trimmingCharacters(in: .newlines)), "README shows a different error than:\n\(r.stderr)")
    }
}

/// The README's synapse section shows real output.
@Suite struct ReadmeSynapseTests {
    @Test func printedSummaryMatchesTheTool() throws {
        let r = try CLI.run(["simulate", "Pathways/synapses/golgi_granule.toml", "--protocol", "tbs"])
        #expect(r.status == 0, "\(r.stderr)")
        let readme = try String(contentsOf: TestModels.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains(r.stdout.trimmingCharacters(in: .newlines)), "README shows a different summary than:\n\(r.stdout)")
    }

    @Test func listingsName() throws {
        let synapses = try CLI.run(["synapses"])
        #expect(synapses.status == 0)
        for name in ["golgi_granule", "vta_no", "ca1_pyramidal", "purkinje_rp", "entorhinal_stellate_rig", "prefrontal_sst", "visual_cortex_l4"] {
            #expect(synapses.stdout.contains(name), "\(name) missing from:\n\(synapses.stdout)")
        }
        let protocols = try CLI.run(["protocols"])
        for name in ["hfs", "tbs", "lfs", "pairing", "depolarisation", "chemical_iltp"] { #expect(protocols.stdout.contains(name)) }
        let pathways = try CLI.run(["pathways"])
        #expect(pathways.stdout.contains("no_cgmp_pkg"))
    }

    @Test func unknownProtocolAndBlockerExitTwoWithHints() throws {
        let p = try CLI.run(["simulate", "Pathways/synapses/golgi_granule.toml", "--protocol", "tsb"])
        #expect(p.status == 2)
        #expect(p.stderr.contains("did you mean 'tbs'?"), "\(p.stderr)")
        let b = try CLI.run(["simulate", "Pathways/synapses/golgi_granule.toml", "--protocol", "tbs", "--block", "L-NAM"])
        #expect(b.status == 2)
        #expect(b.stderr.contains("did you mean 'L-NAME'?"), "\(b.stderr)")
    }
}

@Suite struct MonteCarloCLITests {
    @Test func trialsAreReproducibleForASeed() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = dir.appendingPathComponent("a.csv"), b = dir.appendingPathComponent("b.csv")
        for out in [a, b] {
            let r = try CLI.run(["simulate", "Pathways/synapses/vta_no.toml", "--protocol", "hfs", "--native-code", "--trials", "4",
                                 "--trials-out", out.path, "--seed", "11"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let text = try String(contentsOf: a, encoding: .utf8)
        #expect(text == (try String(contentsOf: b, encoding: .utf8)))
        let rows = text.split(separator: "\n")
        #expect(rows.first == "time,trial,amplitude_pA")   // vta_no is a rig synapse: trials of the recorded IPSC
        // 4 trials per test stimulus: 60 baseline and 241 follow-up stimuli.
        #expect(rows.count == 1 + 4 * 301)
        #expect(try CLI.run(["simulate", "Pathways/synapses/vta_no.toml", "--protocol", "hfs", "--native-code", "--trials", "4"]).status == 2)
    }
}

@Suite struct PlotOptionTests {
    @Test func simulateAndStdpDrawFigures() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let synapseFigure = dir.appendingPathComponent("run.svg")
        let r = try CLI.run(["simulate", "Pathways/synapses/vta_no.toml", "--protocol", "hfs", "--native-code", "--plot", synapseFigure.path])
        #expect(r.status == 0, "\(r.stderr)")
        let svg = try String(contentsOf: synapseFigure, encoding: .utf8)
        #expect(svg.hasPrefix("<svg") || svg.hasPrefix("<?xml"))
        #expect(svg.contains("— hfs</text>"), "the title is the synapse's description and the protocol")
        let withSpecies = try CLI.run(["simulate", "Pathways/synapses/vta_no.toml", "--protocol", "hfs", "--native-code", "--plot", synapseFigure.path,
                                       "--plot-species", "NOS_cGMP,pot_RelP"])
        #expect(withSpecies.status == 0, "\(withSpecies.stderr)")
        let drawn = try String(contentsOf: synapseFigure, encoding: .utf8)
        #expect(drawn.contains(">Pathway</text>") && drawn.contains(">NOS_cGMP</text>") && drawn.contains(">pot_RelP</text>"))
        let typo = try CLI.run(["simulate", "Pathways/synapses/vta_no.toml", "--protocol", "hfs", "--native-code", "--plot", synapseFigure.path,
                                "--plot-species", "pot_RelQ"])
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("no column 'pot_RelQ'") && typo.stderr.contains("hint: did you mean 'pot_RelP'?"), "\(typo.stderr)")
        #expect(try CLI.run(["simulate", "Pathways/synapses/vta_no.toml", "--protocol", "hfs", "--native-code", "--plot-species", "pot_RelP"]).status == 2)
        let windowFigure = dir.appendingPathComponent("window.svg")
        let w = try CLI.run(["stdp", LumpedFixture.entorhinalStellate, "--dt", "-20:20:10", "--plot", windowFigure.path])
        #expect(w.status == 0, "\(w.stderr)")
        #expect(FileManager.default.fileExists(atPath: windowFigure.path))
        #expect(!(try String(contentsOf: windowFigure, encoding: .utf8)).contains("NaN"))
    }
}

@Suite struct ProgressTests {
    /// Standard error is a pipe here, not a terminal: progress comes as plain lines, and
    /// `--quiet` silences it.
    @Test func plainLinesWithoutATerminalAndSilenceWhenQuiet() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("w.csv").path
        let loud = try CLI.run(["stdp", LumpedFixture.entorhinalStellate, "--dt", "-20:20:10", "--out", out])
        #expect(loud.status == 0)
        #expect(loud.stderr.contains("stdp [########################] 5/5"), "\(loud.stderr)")
        #expect(loud.stderr.contains("done in"))
        #expect(!loud.stderr.contains("\r"), "lines, not a redrawn bar")
        #expect(!loud.stderr.contains("\u{1B}["), "no terminal control codes in a log")
        let quiet = try CLI.run(["stdp", LumpedFixture.entorhinalStellate, "--dt", "-20:20:10", "--out", out, "--quiet"])
        #expect(quiet.status == 0)
        #expect(quiet.stderr.isEmpty, "\(quiet.stderr)")
    }

    /// A request every point rejects (an unknown blocker) shows the error alone, not a
    /// progress line reaching "done" before it.
    @Test func noProgressBeforeARequestError() throws {
        let r = try CLI.run(["stdp", LumpedFixture.entorhinalStellate, "--dt", "-20:20:10", "--block", "nonexistent"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("has no blocker 'nonexistent'"), "\(r.stderr)")
        #expect(!r.stderr.contains("stdp ["), "\(r.stderr)")
    }

    /// Under a pseudo-terminal (util-linux `script`), progress is one redrawn bar.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs util-linux script"))
    func redrawnBarOnATerminal() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("w.csv").path
        let command = "\(CLI.executable.path) stdp \(LumpedFixture.entorhinalStellate) --dt -20:20:10 --out \(out)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", command, "/dev/null"]
        process.currentDirectoryURL = TestModels.repositoryRoot
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("\r"), "the bar is redrawn in place")
        #expect(text.contains("\u{1B}[K"))
        #expect(text.contains("5/5"))
        // One redraw per finished interval, each with its count and rate, the last with the time taken.
        #expect(text.components(separatedBy: "\rstdp [").count - 1 == 5, "\(text.debugDescription)")
        #expect(text.contains("/s  ") && text.contains("done in"))
    }
}

@Suite struct ExportCLITests {
    @Test func exportWritesSBMLThatSimulatesLikeTheOriginal() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let xml = dir.appendingPathComponent("no.xml").path
        let e = try CLI.run(["export", "Pathways/no_cgmp_pkg.ant", "--sbml", xml])
        #expect(e.status == 0, "\(e.stderr)")
        let a = try CLI.run(["simulate", "Pathways/no_cgmp_pkg.ant", "--t-end", "10", "--points", "11"])
        let b = try CLI.run(["simulate", xml, "--t-end", "10", "--points", "11"])
        #expect(a.status == 0 && b.status == 0)
        #expect(a.stdout == b.stdout)
        let same = try CLI.run(["export", "Pathways/no_cgmp_pkg.ant", "--sbml", "Pathways/no_cgmp_pkg.ant"])
        #expect(same.status == 2)
    }
}
