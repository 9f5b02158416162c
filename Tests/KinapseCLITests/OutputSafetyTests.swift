import Testing
import Foundation
import PathwayTestSupport

/// Nothing lost: an interrupted or killed run leaves the old output or the complete new
/// one, never a truncated file; SIGINT and SIGTERM leave no temporary file behind; an
/// output that is an input (by any spelling or link) is refused.
@Suite(.serialized) struct OutputSafetyTests {
    let decay = "A = 10; B = 0; k = 0.5\nJ1: A -> B; k*A\n"
    let oldContent = "time,A,B\nthis is the previous run's file\n"

    struct Setup {
        let dir: URL, model: URL, out: URL
        func leftovers() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".tmp") }
        }
    }

    func setUp() throws -> Setup {
        let dir = try CLI.temporaryDirectory()
        let model = dir.appendingPathComponent("model.ant"), out = dir.appendingPathComponent("run.csv")
        try decay.write(to: model, atomically: true, encoding: .utf8)
        try oldContent.write(to: out, atomically: true, encoding: .utf8)
        return Setup(dir: dir, model: model, out: out)
    }

    /// The complete output of an uninterrupted run, for comparison.
    func completeOutput(_ arguments: [String]) throws -> String {
        let r = try CLI.run(arguments)
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout
    }

    /// Starts `kinapse`, waits until it says it is paused between writing its temporary
    /// file and renaming it (debug-only `KINAPSE_PAUSE_BEFORE_RENAME`), and sends `signal`.
    func interruptMidWrite(_ arguments: [String], signal: Int32, pause: Double) throws -> Process {
        CLI.inheritDefaultInterrupt()
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = arguments
        process.currentDirectoryURL = TestModels.repositoryRoot
        process.environment = ProcessInfo.processInfo.environment.merging(["KINAPSE_PAUSE_BEFORE_RENAME": "\(pause)"]) { $1 }
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var seen = ""
        while !seen.contains("paused before rename") {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }  // end of file: the process ended without pausing
            seen += String(decoding: chunk, as: UTF8.self)
        }
        #expect(seen.contains("paused before rename"), "\(seen)")
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        return process
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func interruptedWriteLeavesOldOrCompleteFileAndNoLitter(signal: Int32) throws {
        let s = try setUp()
        defer { try? FileManager.default.removeItem(at: s.dir) }
        let arguments = ["simulate", s.model.path, "--t-end", "10", "--points", "101"]
        let complete = try completeOutput(arguments)
        let process = try interruptMidWrite(arguments + ["--out", s.out.path], signal: signal, pause: 1)
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == signal,
                "ended by the signal it got (status \(process.terminationStatus))")
        let now = try String(contentsOf: s.out, encoding: .utf8)
        #expect(now == oldContent || now == complete, "truncated or mixed output: \(now.prefix(200))")
        let leftovers = try s.leftovers()
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }

    @Test func killedWriteLeavesTheOldFile() throws {
        let s = try setUp()
        defer { try? FileManager.default.removeItem(at: s.dir) }
        let process = try interruptMidWrite(["simulate", s.model.path, "--t-end", "10", "--out", s.out.path], signal: SIGKILL, pause: 30)
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL)
        // Killed before the rename: the old file is untouched; SIGKILL cannot be caught,
        // so the complete temporary file stays beside it (documented).
        #expect(try String(contentsOf: s.out, encoding: .utf8) == oldContent)
        #expect(try s.leftovers().count == 1)
    }

    /// Without the pause: a large output, killed the moment its temporary file appears
    /// (wherever the write has got to), many times over.
    @Test(arguments: [SIGINT, SIGKILL])
    func killedDuringARealWrite(signal: Int32) throws {
        let s = try setUp()
        defer { try? FileManager.default.removeItem(at: s.dir) }
        let arguments = ["simulate", s.model.path, "--t-end", "100", "--dt", "0.001"]
        let complete = try completeOutput(arguments)
        var caughtMidWrite = 0
        for _ in 0..<5 {
            try oldContent.write(to: s.out, atomically: true, encoding: .utf8)
            for name in try s.leftovers() { try FileManager.default.removeItem(at: s.dir.appendingPathComponent(name)) }
            let process = Process()
            process.executableURL = CLI.executable
            process.arguments = arguments + ["--out", s.out.path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(60)
            while process.isRunning, Date() < deadline {
                if try !s.leftovers().isEmpty {
                    kill(process.processIdentifier, signal)
                    caughtMidWrite += 1
                    break
                }
                usleep(200)
            }
            process.waitUntilExit()
            let now = try String(contentsOf: s.out, encoding: .utf8)
            #expect(now == oldContent || now == complete, "truncated output of \(now.utf8.count) bytes (complete: \(complete.utf8.count))")
            if signal != SIGKILL { #expect(try s.leftovers().isEmpty) }
        }
        // Not asserted (it depends on scheduling), but reported when a test fails.
        print("killed during the write in \(caughtMidWrite) of 5 runs")
    }

    @Test func outputsThatAreInputsOrEachOtherAreRefused() throws {
        let s = try setUp()
        defer { try? FileManager.default.removeItem(at: s.dir) }
        let link = s.dir.appendingPathComponent("link.ant")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: s.model)
        let spelled = s.dir.appendingPathComponent("sub/../model.ant")
        try FileManager.default.createDirectory(at: s.dir.appendingPathComponent("sub"), withIntermediateDirectories: true)
        for out in [link.path, spelled.path, s.model.path] {
            let r = try CLI.run(["simulate", s.model.path, "--t-end", "1", "--out", out])
            #expect(r.status == 2 && r.stderr.contains("refusing to overwrite an input"), "\(out): \(r.stderr)")
            let plot = try CLI.run(["simulate", s.model.path, "--t-end", "1", "--plot", out])
            #expect(plot.status == 2, "\(out): \(plot.stderr)")
        }
        #expect(try String(contentsOf: s.model, encoding: .utf8) == decay)
        let twice = try CLI.run(["simulate", s.model.path, "--t-end", "1", "--out", s.out.path, "--plot", s.out.path])
        #expect(twice.status == 2 && twice.stderr.contains("both name"), "\(twice.stderr)")
        // A synapse's own pathway file and its protocol are inputs too.
        let synapseModel = try CLI.run(["simulate", "Pathways/synapses/vta_no.toml", "--protocol", "hfs", "--native-code",
                                        "--readouts", "Pathways/synapses/vta_no.ant"])
        #expect(synapseModel.status == 2 && synapseModel.stderr.contains("refusing to overwrite an input"), "\(synapseModel.stderr)")
        let proto = try CLI.run(["simulate", "Pathways/synapses/vta_no.toml", "--protocol", "hfs", "--native-code",
                                 "--summary", "Pathways/protocols/hfs.toml"])
        #expect(proto.status == 2 && proto.stderr.contains("refusing to overwrite an input"), "\(proto.stderr)")
    }
}

/// The same inputs and seed give byte-identical outputs, whatever the number of worker threads.
@Suite struct DeterminismTests {
    @Test func stdpWindowIsIdenticalWithOneAndTwoJobs() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var outputs: [Data] = []
        for jobs in ["1", "2", "2"] {
            let out = dir.appendingPathComponent("window-\(outputs.count).csv")
            let r = try CLI.run(["stdp", LumpedFixture.entorhinalStellate, "--dt", "-20:20:10", "--jobs", jobs,
                                 "--out", out.path, "--quiet"])
            #expect(r.status == 0, "\(r.stderr)")
            outputs.append(try Data(contentsOf: out))
        }
        #expect(outputs[0].count > 100)
        #expect(outputs[0] == outputs[1], "--jobs 1 and --jobs 2 differ")
        #expect(outputs[1] == outputs[2], "two --jobs 2 runs differ")
    }

    @Test func synapseRunIsIdenticalEveryTimeAndTheSeedMatters() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func run(seed: String, _ tag: String) throws -> [Data] {
            let files = ["out", "readouts", "summary", "trials"].map { dir.appendingPathComponent("\(tag)-\($0).csv") }
            let r = try CLI.run(["simulate", "Pathways/synapses/vta_no.toml", "--protocol", "hfs", "--native-code", "--seed", seed,
                                 "--out", files[0].path, "--readouts", files[1].path, "--summary", files[2].path,
                                 "--trials", "2", "--trials-out", files[3].path])
            #expect(r.status == 0, "\(r.stderr)")
            return try files.map { try Data(contentsOf: $0) }
        }
        let a = try run(seed: "7", "a"), b = try run(seed: "7", "b"), c = try run(seed: "8", "c")
        #expect(a == b, "same seed, different bytes")
        #expect(a[0] == c[0] && a[3] != c[3], "the seed changes the trials, and only them")
    }
}
