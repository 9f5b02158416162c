import Testing
import Foundation
import PathwayTestSupport

/// `kinapse fit` as a user runs it.
@Suite(.serialized) struct FitCommandTests {
    static let blowup = TestModels.repositoryRoot.appendingPathComponent("Fixtures/fit/blowup/problem.toml").path

    /// LAPACK (and OpenBLAS behind it) is loaded when a fit first needs it, not linked: linked,
    /// OpenBLAS started a busy-waiting worker thread in every process (kinapse_lapack.h). The
    /// dynamic loader lists what the executable needs without running it; the fits in this
    /// suite show that LAPACK still loads when used.
    @Test func lapackIsNotLoadedAtStartUp() throws {
        let r = try CLI.run(["--version"], environment: ["LD_TRACE_LOADED_OBJECTS": "1"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("libsundials_cvodes"), "the loader's list: \(r.stdout)")
        for library in ["liblapack", "libblas", "libopenblas"] {
            #expect(!r.stdout.contains(library), "\(library) is loaded at start-up:\n\(r.stdout)")
        }
    }

    /// The same seed gives the same files byte for byte, on one worker or two.
    @Test func sameSeedSameFilesWhateverTheJobs() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var files: [[String: Data]] = []
        for jobs in ["1", "2"] {
            let out = dir.appendingPathComponent("jobs\(jobs)")
            let r = try CLI.run(["fit", Self.blowup, "--starts", "6", "--seed", "11", "--jobs", jobs, "--out-dir", out.path, "--quiet"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.isEmpty, "--quiet: \(r.stderr)")
            let names = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
            #expect(names == ["best_parameters.toml", "curve_decay.csv", "fit_decay.csv", "intervals.csv", "manifest.txt", "profiles.csv", "starts.csv"])
            files.append(Dictionary(uniqueKeysWithValues: try names.map { ($0, try Data(contentsOf: out.appendingPathComponent($0))) }))
        }
        #expect(files[0] == files[1])
    }

    /// The best parameters feed `simulate --params`; a name the model lacks is an error there.
    @Test func bestParametersFeedSimulate() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["fit", Self.blowup, "--starts", "4", "--out-dir", dir.path, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("convergence:") && r.stdout.contains("best: negative log-likelihood"))
        let params = dir.appendingPathComponent("best_parameters.toml").path
        let model = TestModels.repositoryRoot.appendingPathComponent("Fixtures/fit/blowup/blowup.ant").path
        let s = try CLI.run(["simulate", model, "--t-end", "1", "--points", "2", "--params", params, "--select", "k,d"])
        #expect(s.status == 0, "\(s.stderr)")
        let last = s.stdout.split(separator: "\n").last.map { $0.split(separator: ",").map { Double($0)! } } ?? []
        #expect(last.count == 3 && abs(last[1] / 0.2 - 1) < 1e-4 && abs(last[2] - 1) < 1e-4, "\(s.stdout)")

        try "[parameters]\nkk = 1\n".write(toFile: params, atomically: true, encoding: .utf8)
        let bad = try CLI.run(["simulate", model, "--t-end", "1", "--params", params])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("best_parameters.toml:2:1: error: the model has no parameter 'kk'"), "\(bad.stderr)")
        #expect(bad.stderr.contains("did you mean 'k'?"))
    }

    /// Starts a long fit (many starts, no profiles) with standard output into a file, waits
    /// for its first progress line (at least one start has finished) and sends SIGINT.
    /// `ignoringInterrupts` starts it the way `nohup` or a background job does: with SIGINT
    /// already ignored, which must stay so.
    func interruptedFit(in dir: URL, ignoringInterrupts: Bool) throws -> (process: Process, stdout: String, stderr: String) {
        let out = dir.appendingPathComponent("out")
        let report = dir.appendingPathComponent("report.txt")
        #expect(FileManager.default.createFile(atPath: report.path, contents: nil))
        // The blow-up fixture with k kept below d, so that every start succeeds and the first
        // one to finish is already a best so far.
        let fixture = Self.blowup.replacingOccurrences(of: "/problem.toml", with: "")
        let problem = dir.appendingPathComponent("problem.toml")
        try String(contentsOfFile: Self.blowup, encoding: .utf8)
            .replacingOccurrences(of: "upper = 100", with: "upper = 0.45")
            .replacingOccurrences(of: "model = \"blowup.ant\"", with: "model = \"\(fixture)/blowup.ant\"")
            .replacingOccurrences(of: "data = \"data.csv\"", with: "data = \"\(fixture)/data.csv\"")
            .write(to: problem, atomically: true, encoding: .utf8)
        // The long fit also has a wall-clock limit, so a SIGINT that goes unheard fails the test
        // instead of running 100,000 starts.
        let starts = ignoringInterrupts ? ["40"] : ["100000", "--max-time", "300"]
        let arguments = ["fit", problem.path, "--starts"] + starts + ["--seed", "3", "--jobs", "2", "--no-profiles", "--out-dir", out.path]
        let process = Process()
        if ignoringInterrupts {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "trap '' INT; exec \"$0\" \"$@\"", CLI.executable.path] + arguments
        } else {
            CLI.inheritDefaultInterrupt()
            process.executableURL = CLI.executable
            process.arguments = arguments
        }
        process.currentDirectoryURL = TestModels.repositoryRoot
        let err = Pipe()
        process.standardError = err
        process.standardOutput = try FileHandle(forWritingTo: report)
        try process.run()
        var seen = ""
        while !seen.contains("fit [") {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        #expect(seen.contains("fit ["), "a progress line before the interrupt: \(seen)")
        kill(process.processIdentifier, SIGINT)
        seen += String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process, try String(contentsOf: report, encoding: .utf8), seen)
    }

    /// Ctrl-C during a fit: the files are written with the best result so far, marked
    /// partial, and the process still ends by SIGINT (so a shell script stops too).
    @Test func interruptedFitWritesTheBestSoFar() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (process, stdout, stderr) = try interruptedFit(in: dir, ignoringInterrupts: false)
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGINT, "\(stderr)")
        #expect(stderr.contains("kinapse fit: interrupted; writing the best result so far"), "\(stderr)")
        #expect(stdout.contains("of 100000 starts finished") && stdout.contains("the best is the best so far"), "\(stdout)")
        #expect(stdout.contains("best: negative log-likelihood"), "\(stdout)")

        let out = dir.appendingPathComponent("out")
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(names == ["best_parameters.toml", "curve_decay.csv", "fit_decay.csv", "manifest.txt", "starts.csv"], "no temporary file or lock left: \(names)")
        let best = try String(contentsOf: out.appendingPathComponent("best_parameters.toml"), encoding: .utf8)
        #expect(best.contains("# partial: interrupted: "), "\(best)")
        let starts = try String(contentsOf: out.appendingPathComponent("starts.csv"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: true)
        #expect(starts.last?.hasPrefix("# partial: interrupted: ") == true)
        let rows = starts.count - 2  // header and marker
        #expect(rows >= 1 && rows < 100000, "\(rows) starts written")
        // The report's count of finished starts is the file's rows not cut short (status is column 5).
        let finished = starts.dropFirst().dropLast().filter { $0.split(separator: ",")[4] != "interrupted" }.count
        #expect(stdout.contains("interrupted: \(finished) of 100000 starts finished"), "\(finished) finished rows; \(stdout.prefix(400))")

        // The partial best still feeds `simulate --params`, and fits the data (k ≈ 0.2, d ≈ 1).
        let model = TestModels.repositoryRoot.appendingPathComponent("Fixtures/fit/blowup/blowup.ant").path
        let s = try CLI.run(["simulate", model, "--t-end", "1", "--points", "2", "--params", out.appendingPathComponent("best_parameters.toml").path,
                             "--select", "k,d"])
        #expect(s.status == 0, "\(s.stderr)")
    }

    /// Started with SIGINT ignored, the fit ignores it and runs to the end.
    @Test func fitStartedWithInterruptsIgnoredKeepsIgnoringThem() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (process, stdout, stderr) = try interruptedFit(in: dir, ignoringInterrupts: true)
        #expect(process.terminationReason == .exit && process.terminationStatus == 0, "\(stderr)")
        #expect(!stdout.contains("interrupted") && stdout.contains("40 starts (seed 3)"), "\(stdout)")
        let starts = try String(contentsOf: dir.appendingPathComponent("out/starts.csv"), encoding: .utf8)
        #expect(!starts.contains("# partial"))
        #expect(starts.split(separator: "\n").count == 41)
    }

    @Test func problemErrorsAreDiagnostics() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let problem = try String(contentsOfFile: Self.blowup, encoding: .utf8).replacingOccurrences(of: "[parameters.d]", with: "[parameters.dd]")
        let copy = TestModels.repositoryRoot.appendingPathComponent("Fixtures/fit/blowup/.test-problem-\(UUID().uuidString).toml")
        try problem.write(to: copy, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: copy) }
        let r = try CLI.run(["fit", copy.path, "--out-dir", dir.path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("error: 'dd' is not a parameter of the model"), "\(r.stderr)")
        #expect(r.stderr.contains("did you mean 'd'?"))
    }
}
