import Testing
import Foundation
import PathwayTestSupport

/// The documented exit statuses (README "Exit status", docs/robustness.md): 0 success,
/// 1 a failed run whose partial output was written, 2 bad input or usage, which includes an
/// output that cannot be written. `/dev/full` accepts an open and fails every write with
/// ENOSPC, so it stands for a full disk in every command.
@Suite(.serialized) struct ExitStatusTests {
    static let decay = "A = 10; B = 0; k = 0.5\nJ1: A -> B; k*A\n"

    /// A working directory with a pathway, a fit problem, a results CSV and (when the suite
    /// is next to the repository) SBML Test Suite case 00001 under `suite/cases`.
    static func inputs() throws -> InputFiles {
        var files = try OutputEqualsInputTests.fitInputs()
        try files.add("run.csv", "time,A\n0,1\n1,2\n")
        let suiteCase = TestModels.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/sbml-test-suite/cases/00001")
        if FileManager.default.fileExists(atPath: suiteCase.path) {
            let target = files.dir.appendingPathComponent("suite/cases/00001")
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: suiteCase, to: target)
        }
        return files
    }

    static var hasSuite: Bool {
        FileManager.default.fileExists(atPath: TestModels.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/sbml-test-suite/cases/00001").path)
    }

    /// Runs `kinapse` with its standard output on `stdout` (a path) and its error output captured.
    static func run(_ arguments: [String], in directory: URL, stdout: String) throws -> CommandResult {
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardOutput = FileHandle(forWritingAtPath: stdout)
        let err = Pipe()
        process.standardError = err
        try process.run()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus, stdout: "", stderr: String(decoding: e, as: UTF8.self))
    }

    /// One row per command and output: the arguments, with `/dev/full` as the output.
    static let fileOutputs: [[String]] = [
        ["simulate", "model.ant", "--t-end", "1", "--out", "/dev/full"],
        ["simulate", "model.ant", "--t-end", "1", "--out", "run2.csv", "--plot", "/dev/full"],
        ["simulate", LumpedFixture.corticalCaMKII, "--protocol", "depolarisation", "--readouts", "/dev/full"],
        ["stdp", LumpedFixture.entorhinalStellate, "--dt", "0:0:1", "--pairs", "2", "--out", "/dev/full", "--quiet"],
        ["fit", "fit.toml", "--starts", "1", "--no-profiles", "--out-dir", "out", "--plot", "/dev/full", "--quiet"],
        ["plot", "run.csv", "--out", "/dev/full"],
        ["export", "model.ant", "--sbml", "/dev/full"],
    ]

    @Test(arguments: fileOutputs)
    func aFullDiskIsBadInputWhateverTheCommand(_ arguments: [String]) throws {
        let files = try Self.inputs()
        defer { files.remove() }
        let r = try CLI.run(arguments, in: files.dir)
        #expect(r.status == 2, "\(arguments): \(r.stderr)")
        #expect(r.stderr.contains("cannot write '/dev/full': No space left on device"), "\(arguments): \(r.stderr)")
        #expect(r.stderr.components(separatedBy: "error:").count == 2, "one error, rendered once: \(r.stderr)")
    }

    /// The two commands that run SBML Test Suite cases, when the suite is present.
    @Test func aFullDiskIsBadInputForTheSBMLCommands() throws {
        guard Self.hasSuite else { return }
        let files = try Self.inputs()
        defer { files.remove() }
        let settings = ["simulate", "suite/cases/00001/00001-sbml-l3v2.xml", "--settings", "suite/cases/00001/00001-settings.txt", "--out", "/dev/full"]
        let suite = ["sbml-suite", "suite", "--cases", "1", "--passing-list", "/dev/full", "--quiet"]
        for arguments in [settings, suite] {
            let r = try CLI.run(arguments, in: files.dir)
            #expect(r.status == 2, "\(arguments): \(r.stderr)")
            #expect(r.stderr.contains("cannot write '/dev/full': No space left on device"), "\(arguments): \(r.stderr)")
        }
    }

    /// Every command whose result goes to standard output, with standard output on a full disk.
    static let standardOutputs: [[String]] = [
        ["simulate", "model.ant", "--t-end", "1"],
        ["simulate", LumpedFixture.corticalCaMKII, "--protocol", "depolarisation"],
        ["stdp", LumpedFixture.entorhinalStellate, "--dt", "0:0:1", "--pairs", "2", "--quiet"],
        ["fit", "fit.toml", "--starts", "1", "--no-profiles", "--out-dir", "out", "--quiet"],
        ["plot", "run.csv"],
        ["check", "model.ant"],
        ["odes", "model.ant"],
        ["pathways"], ["synapses"], ["protocols"],
        ["--help"], ["simulate", "--help"], ["--version"],
    ]

    @Test(arguments: standardOutputs)
    func aFullStandardOutputIsBadInput(_ arguments: [String]) throws {
        let files = try Self.inputs()
        defer { files.remove() }
        let r = try Self.run(arguments, in: files.dir, stdout: "/dev/full")
        #expect(r.status == 2, "\(arguments): \(r.stderr)")
        #expect(r.stderr.contains("No space left on device"), "\(arguments): \(r.stderr)")
    }

    @Test func aFullStandardOutputIsBadInputForTheSBMLCommands() throws {
        guard Self.hasSuite else { return }
        let files = try Self.inputs()
        defer { files.remove() }
        for arguments in [["simulate", "suite/cases/00001/00001-sbml-l3v2.xml", "--settings", "suite/cases/00001/00001-settings.txt"],
                          ["sbml-suite", "suite", "--cases", "1", "--quiet"], ["sbml-case", "suite/cases/00001"]] {
            let r = try Self.run(arguments, in: files.dir, stdout: "/dev/full")
            #expect(r.status == 2, "\(arguments): \(r.stderr)")
            #expect(r.stderr.contains("cannot write to standard output: No space left on device"), "\(arguments): \(r.stderr)")
        }
    }

    @Test func successIsZeroAndWritesNothingToStandardError() throws {
        let files = try Self.inputs()
        defer { files.remove() }
        let r = try CLI.run(["simulate", "model.ant", "--t-end", "1", "--out", "ok.csv"], in: files.dir)
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: files.path("ok.csv")))
    }

    /// A run the solver cannot finish (one step allowed per output interval) keeps what it
    /// computed and exits 1, for a pathway and for every synapse command.
    @Test func aSolverFailureIsOneWithItsPartialOutput() throws {
        let files = try Self.inputs()
        defer { files.remove() }
        let pathway = try CLI.run(["simulate", "model.ant", "--t-end", "10", "--max-steps", "1", "--out", "partial.csv"], in: files.dir)
        #expect(pathway.status == 1, "\(pathway.stderr)")
        #expect(pathway.stderr.hasPrefix("error: simulation failed at t = ") && pathway.stderr.contains("\nnote: the "), "\(pathway.stderr)")
        let partial = try String(contentsOfFile: files.path("partial.csv"), encoding: .utf8)
        #expect(partial.hasPrefix("time,A,B\n0,") && partial.contains("# partial: simulation failed at t = "), "\(partial)")

        let synapse = try CLI.run(["simulate", LumpedFixture.corticalCaMKII, "--protocol", "depolarisation", "--max-steps", "1", "--out", "synapse.csv"], in: files.dir)
        #expect(synapse.status == 1, "\(synapse.stderr)")
        #expect(try String(contentsOfFile: files.path("synapse.csv"), encoding: .utf8).contains("# partial: "))

        let stdp = try CLI.run(["stdp", LumpedFixture.entorhinalStellate, "--dt", "0:0:1", "--pairs", "2", "--max-steps", "1", "--out", "window.csv", "--quiet"], in: files.dir)
        #expect(stdp.status == 1, "\(stdp.stderr)")
        #expect(stdp.stderr.hasPrefix("error: pairing at 0 ms failed: "), "\(stdp.stderr)")
        #expect(try String(contentsOfFile: files.path("window.csv"), encoding: .utf8).hasPrefix("delta_t_ms,"))
    }

    @Test func badInputIsTwo() throws {
        var files = try Self.inputs()
        defer { files.remove() }
        try files.add("bad.ant", "A = 1\nJ1: A -> ; kk*A\n")
        let r = try CLI.run(["simulate", "bad.ant", "--t-end", "1"], in: files.dir)
        #expect(r.status == 2 && r.stderr.hasPrefix("bad.ant:2:"), "\(r.stderr)")
    }
}

/// `stdp` and `fit` take the same solver options as `simulate`, from one option group.
@Suite(.serialized) struct SolverOptionTests {
    static let commands: [[String]] = [
        ["simulate", "model.ant", "--t-end", "1", "--out", "out.csv"],
        ["simulate", LumpedFixture.corticalCaMKII, "--protocol", "depolarisation", "--out", "out.csv"],
        ["stdp", LumpedFixture.entorhinalStellate, "--dt", "0:0:1", "--pairs", "2", "--out", "out.csv", "--quiet"],
        ["fit", "fit.toml", "--starts", "1", "--no-profiles", "--out-dir", "out", "--quiet"],
    ]

    @Test(arguments: commands)
    func everyIntegratingCommandTakesTheSolverOptions(_ command: [String]) throws {
        let files = try ExitStatusTests.inputs()
        defer { files.remove() }
        let help = try CLI.run([command[0], "--help"], in: files.dir)
        for option in ["--rtol <rtol>", "--atol <atol>", "--max-steps <max-steps>", "--linear-solver <auto|dense|klu>", "--native-code"] {
            #expect(help.stdout.contains(option), "\(command[0]) --help lacks \(option)")
        }
        // Accepted, and taken into account: tight tolerances on dense algebra succeed ...
        let ok = try CLI.run(command + ["--rtol", "1e-7", "--atol", "1e-13", "--max-steps", "200000", "--linear-solver", "dense"], in: files.dir)
        #expect(ok.status == 0, "\(command): \(ok.stderr)")
        // ... one solver step per output interval fails the run (exit 1) ...
        let starved = try CLI.run(command + ["--max-steps", "1"], in: files.dir)
        #expect(starved.status == 1, "\(command) --max-steps 1: \(starved.stderr)")
        // ... and values outside the closed set or range are usage errors that name the choices.
        let choice = try CLI.run(command + ["--linear-solver", "lu"], in: files.dir)
        #expect(choice.status == 2 && choice.stderr.contains("auto") && choice.stderr.contains("klu"), "\(choice.stderr)")
        let rtol = try CLI.run(command + ["--rtol", "2"], in: files.dir)
        #expect(rtol.status == 2 && rtol.stderr.contains("--rtol must be between 0 and 1"), "\(rtol.stderr)")
    }
}

/// `simulate` runs a pathway or a synapse; each kind's options are refused for the other,
/// never silently ignored.
@Suite struct SimulateDispatchTests {
    @Test(arguments: [["--t-end", "5"], ["--settings", "s.txt"], ["--points", "11"], ["--select", "A"], ["--allow-negative"], ["--repeat", "2"]])
    func pathwayOptionsAreRefusedForASynapse(_ option: [String]) throws {
        let r = try CLI.run(["simulate", LumpedFixture.corticalCaMKII, "--protocol", "depolarisation"] + option)
        #expect(r.status == 2 && r.stderr.contains("\(option[0]) applies to pathways, not to a synapse"), "\(r.stderr)")
    }

    @Test(arguments: [["--protocol", "tbs"], ["--block", "L-NAME"], ["--readouts", "r.csv"], ["--trials", "3"], ["--sensitivities", "all"]])
    func synapseOptionsAreRefusedForAPathway(_ option: [String]) throws {
        let r = try CLI.run(["simulate", "Pathways/no_cgmp_pkg.ant", "--t-end", "1"] + option)
        #expect(r.status == 2 && r.stderr.contains("apply to synapse definitions (.toml)"), "\(r.stderr)")
    }
}
