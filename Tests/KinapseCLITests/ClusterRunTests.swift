import Testing
import Foundation
import PathwayTestSupport

/// OpenMPI's launcher, run the way CI runs it (as root in a container, more ranks than cores).
enum MPIRun {
    static let path = "/usr/bin/mpirun"
    static var available: Bool { FileManager.default.isExecutableFile(atPath: path) }
    static let options = ["--oversubscribe", "--allow-run-as-root"]
    /// Containers forbid the cross-memory attach OpenMPI's shared-memory transport tries first.
    static let environment = ["OMPI_MCA_btl_vader_single_copy_mechanism": "none"]

    static func run(ranks: Int, _ arguments: [String], environment extra: [String: String] = [:]) throws -> CommandResult {
        try CLI.run(["-n", String(ranks)] + options + [CLI.executable.path] + arguments,
                    environment: environment.merging(extra) { $1 }, launcher: URL(fileURLWithPath: path))
    }
}

/// `mpirun -n 2 kinapse fit|stdp|scan`, `--shard K/N` and `kinapse merge`: the outputs are
/// the bytes one process writes.
@Suite(.serialized) struct ClusterRunTests {
    /// A ligand L binding a receptor: RL at rest = Rtot·L/(L + Kd), Kd = koff/kon.
    static let receptor = "L = 1; R = 1; RL = 0; kon = 1; koff = 0.5\nJ: R -> RL; kon*L*R - koff*RL\n"

    static func files(in directory: URL) throws -> [String: Data] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        return Dictionary(uniqueKeysWithValues: try names.map { ($0, try Data(contentsOf: directory.appendingPathComponent($0))) })
    }

    /// Runs `arguments` once alone and once on two ranks, each writing into its own directory
    /// (`OUT` in the arguments is replaced by it), and returns both sets of files and the
    /// two ranks' standard error, with their timelines. Rank 0 only hands out tasks
    /// (KINAPSE_MPI_LEAD_COMPUTES=0), so every result crossed from rank 1, as the statistics
    /// line shows; with rank 0 computing too, quick tasks may all be done there before rank 1 asks.
    func alongsideTwoRanks(_ arguments: [String]) throws -> (alone: [String: Data], ranks: [String: Data], stderr: String) {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let alone = dir.appendingPathComponent("alone"), ranks = dir.appendingPathComponent("ranks")
        for d in [alone, ranks] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
        let single = try CLI.run(arguments.map { $0.replacingOccurrences(of: "OUT", with: alone.path) })
        #expect(single.status == 0, "\(single.stderr)")
        let shared = try MPIRun.run(ranks: 2, arguments.map { $0.replacingOccurrences(of: "OUT", with: ranks.path) },
                                    environment: ["KINAPSE_MPI_STATISTICS": "1", "KINAPSE_MPI_LEAD_COMPUTES": "0", "KINAPSE_MPI_TIMELINE": "1"])
        #expect(shared.status == 0, "\(shared.stderr)")
        let ranOnRankOne = shared.stderr.split(separator: "\n").contains { $0.contains("kinapse mpi: batch 1:") && $0.contains("(rank 0: 0, rank 1: ") }
        #expect(ranOnRankOne, "rank 1 did not run the first batch: \(shared.stderr)")
        return (try Self.files(in: alone), try Self.files(in: ranks), shared.stderr)
    }

    /// The events of `rank`'s timeline lines (`kinapse timeline: rank R SECONDS EVENT`), in order.
    static func timeline(of rank: Int, in stderr: String) -> [String] {
        let prefix = "kinapse timeline: rank \(rank) "
        return stderr.split(separator: "\n").filter { $0.hasPrefix(prefix) }.map { line in
            String(line.dropFirst(prefix.count).split(separator: " ", maxSplits: 1).last ?? "")
        }
    }

    /// The wall seconds between `task`'s begin and end marks on `rank`, and the CPU seconds
    /// its end mark gives; nil unless both marks are there once.
    static func taskTimes(of rank: Int, task: Int, in stderr: String) -> (wall: Double, cpu: Double)? {
        let prefix = "kinapse timeline: rank \(rank) "
        var begun: [Double] = [], ended: [(Double, Double)] = []
        for line in stderr.split(separator: "\n") where line.hasPrefix(prefix) {
            let parts = line.dropFirst(prefix.count).split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let seconds = Double(parts[0]) else { continue }
            if parts[1] == "task \(task) begun" { begun.append(seconds) }
            let endMark = "task \(task) ended, CPU "
            if parts[1].hasPrefix(endMark), let cpu = Double(parts[1].dropFirst(endMark.count).dropLast(2)) { ended.append((seconds, cpu)) }
        }
        guard begun.count == 1, ended.count == 1 else { return nil }
        return (ended[0].0 - begun[0], ended[0].1)
    }

    /// OpenMPI is loaded only under mpirun (kinapse_mpi.h): a plain run neither loads it nor needs it.
    @Test func openMPIIsNotLoadedAtStartUp() throws {
        let r = try CLI.run(["--version"], environment: ["LD_TRACE_LOADED_OBJECTS": "1"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("libsundials_cvodes"), "the loader's list: \(r.stdout)")
        #expect(!r.stdout.contains("libmpi"), "OpenMPI is loaded at start-up:\n\(r.stdout)")
    }

    @Test(.enabled(if: MPIRun.available, "mpirun is not installed (Debian: openmpi-bin)"))
    func scanOnTwoRanksWritesTheBytesOfOne() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("receptor.ant")
        try Self.receptor.write(to: model, atomically: true, encoding: .utf8)
        let (alone, ranks, _) = try alongsideTwoRanks(["scan", model.path, "--vary", "L=0.01:100:9", "--log", "--select", "RL", "--out", "OUT/scan.csv"])
        #expect(alone.keys.sorted() == ["scan.csv"])
        #expect(alone == ranks)
    }

    /// Two ranks write one process's bytes, and their timelines show the whole run: each rank
    /// started MPI, rank 1 (its standard error sent to /dev/null) still stamped its lines, and
    /// each of the 5 intervals ran once, there. One rank writes the same bytes without MPI.
    @Test(.enabled(if: MPIRun.available, "mpirun is not installed (Debian: openmpi-bin)"))
    func stdpOnTwoRanksWritesTheBytesOfOne() throws {
        let stdp = ["stdp", LumpedFixture.entorhinalStellate, "--dt", "-20:20:10", "--pairs", "5", "--quiet", "--out", "OUT/window.csv"]
        let (alone, ranks, stderr) = try alongsideTwoRanks(stdp)
        #expect(alone.keys.sorted() == ["window.csv"])
        #expect(alone == ranks)
        let (lead, other) = (Self.timeline(of: 0, in: stderr), Self.timeline(of: 1, in: stderr))
        for events in [lead, other] {
            #expect(events.first == "started" && events.contains("MPI_Init done") && events.contains("batch 1 begun: 5 tasks")
                    && events.contains("batch 1 gathered") && events.last == "MPI_Finalize done", "\(stderr)")
        }
        for task in 0..<5 {
            #expect(other.filter { $0 == "task \(task) begun" }.count == 1 && other.filter { $0.hasPrefix("task \(task) ended, CPU ") }.count == 1, "\(stderr)")
            // The CPU a task's thread spent lies within the wall time between its marks (stamped
            // to the microsecond; the CPU printed to the millisecond, so up to 0.5 ms more; and the
            // thread's CPU clock is read a few microseconds apart from the wall stamps, which
            // once put a 2.5-ms task's CPU 6 µs above its wall time: 50 µs allowed for that).
            let (wall, cpu) = try #require(Self.taskTimes(of: 1, task: task, in: stderr), "\(stderr)")
            #expect(cpu >= 0 && cpu <= wall + 0.000_5 + 5e-5, "task \(task): CPU \(cpu) s in \(wall) s of wall time")
        }
        #expect(!lead.contains { $0.hasPrefix("task ") }, "rank 0 ran a task though told only to hand them out: \(stderr)")

        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let single = try MPIRun.run(ranks: 1, stdp.map { $0.replacingOccurrences(of: "OUT", with: dir.path) }, environment: ["KINAPSE_MPI_TIMELINE": "1"])
        #expect(single.status == 0, "\(single.stderr)")
        #expect(try Self.files(in: dir) == alone)
        let events = Self.timeline(of: 0, in: single.stderr)
        #expect(events.filter { $0 == "interval done" }.count == 5 && !events.contains { $0.hasPrefix("MPI_") }, "one rank started MPI: \(single.stderr)")
    }

    /// Starts (including those whose first simulation fails) and profiles.
    @Test(.enabled(if: MPIRun.available, "mpirun is not installed (Debian: openmpi-bin)"))
    func fitOnTwoRanksWritesTheBytesOfOne() throws {
        let (alone, ranks, _) = try alongsideTwoRanks(["fit", FitCommandTests.blowup, "--starts", "6", "--seed", "11", "--jobs", "1", "--quiet", "--out-dir", "OUT"])
        #expect(alone.keys.sorted() == ["best_parameters.toml", "curve_decay.csv", "fit_decay.csv", "intervals.csv", "manifest.txt", "profiles.csv", "starts.csv"])
        #expect(alone == ranks)
    }

    /// A PEtab fit: its starts and then the rescoring of their end points are two batches,
    /// both spread over the ranks (their results, Jacobians included, cross as bytes).
    @Test(.enabled(if: MPIRun.available && FileManager.default.fileExists(atPath: Self.petabCase), "mpirun or ../shared/petab is absent"))
    func petabFitOnTwoRanksWritesTheBytesOfOne() throws {
        let (alone, ranks, stderr) = try alongsideTwoRanks(["fit", Self.petabCase, "--starts", "4", "--seed", "3", "--jobs", "1", "--quiet", "--out-dir", "OUT"])
        #expect(alone.keys.sorted() == ["best_parameters.tsv", "manifest.txt", "simulations.tsv", "starts.tsv"])
        #expect(alone["best_parameters.tsv"] == ranks["best_parameters.tsv"] && alone["simulations.tsv"] == ranks["simulations.tsv"])
        #expect(alone["manifest.txt"] == ranks["manifest.txt"])
        // starts.tsv: equal but for each start's wall and CPU time (its `seconds` and `cpu_seconds` columns).
        func withoutSeconds(_ data: Data?) -> [[Substring]] {
            let rows = String(decoding: data ?? Data(), as: UTF8.self).split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
            let timings = Set(["seconds", "cpu_seconds"].compactMap { rows.first?.firstIndex(of: Substring($0)) })
            return rows.map { row in row.enumerated().filter { !timings.contains($0.offset) }.map(\.element) }
        }
        #expect(withoutSeconds(alone["starts.tsv"]) == withoutSeconds(ranks["starts.tsv"]))
        #expect(stderr.contains("kinapse mpi: batch 2: 4 tasks"), "the end points were not scored as a batch of their own: \(stderr)")
    }

    static let petabCase = TestModels.repositoryRoot.appendingPathComponent("../shared/petab/test-suite/cases/0001/_0001.yaml").standardizedFileURL.path

    /// Rank 1 killed mid-sweep: mpirun ends the job, says which rank died, and exits nonzero.
    /// The 801-point sweep takes ~6 s on two ranks of the optimised build, so rank 1 is still
    /// at work when it is killed 2 s in (the job ends then, so the test costs only those seconds).
    @Test(.enabled(if: MPIRun.available, "mpirun is not installed (Debian: openmpi-bin)"))
    func aRankThatDiesFailsTheRun() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: MPIRun.path)
        process.arguments = ["-n", "2"] + MPIRun.options + [CLI.executable.path, "stdp", LumpedFixture.entorhinalStellate, "--dt", "-100:100:0.25", "--quiet",
                                                            "--out", dir.appendingPathComponent("window.csv").path]
        process.environment = ProcessInfo.processInfo.environment.merging(MPIRun.environment) { $1 }
        process.currentDirectoryURL = TestModels.repositoryRoot
        let errors = dir.appendingPathComponent("stderr.txt")
        #expect(FileManager.default.createFile(atPath: errors.path, contents: nil))
        process.standardError = try FileHandle(forWritingTo: errors)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Rank 1 is found by its environment; it is killed once it has been running a while.
        var victim: Int32?
        for _ in 0..<300 where victim == nil {
            Thread.sleep(forTimeInterval: 0.05)
            victim = Self.process(withRank: 1, launchedBy: process.processIdentifier)
        }
        try #require(victim != nil, "no rank 1 appeared")
        Thread.sleep(forTimeInterval: 2)
        #expect(kill(victim!, SIGKILL) == 0)
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        let hung = process.isRunning
        if hung { process.terminate() }
        process.waitUntilExit()
        #expect(!hung, "the run still waited 60 s after rank 1 died")
        #expect(process.terminationStatus != 0)
        let said = try String(contentsOf: errors, encoding: .utf8)
        #expect(said.contains("rank 1") && said.contains("signal 9"), "\(said)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("window.csv").path))
    }

    /// A child of `parent` (or of its children) whose environment names it MPI rank `rank`.
    static func process(withRank rank: Int, launchedBy parent: Int32) -> Int32? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        for entry in entries {
            guard let pid = Int32(entry), pid != parent,
                  let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ"),
                  environ.split(separator: 0).contains(where: { String(decoding: $0, as: UTF8.self) == "OMPI_COMM_WORLD_RANK=\(rank)" }),
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // Field 4 of /proc/PID/stat, after the parenthesised command name, is the parent's id.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, Int32(fields[1]) == parent { return pid }
        }
        return nil
    }

    /// A fit in two shards: the shards leave no lock in the results directory, and merge
    /// (which runs the profiles) writes the whole fit's files.
    @Test func fitShardsMergedAreTheWholeFit() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fit = ["fit", FitCommandTests.blowup, "--starts", "4", "--seed", "11", "--jobs", "1", "--quiet"]
        let whole = try CLI.run(fit + ["--out-dir", "whole"], in: dir)
        #expect(whole.status == 0, "\(whole.stderr)")
        for k in 1...2 {
            let r = try CLI.run(fit + ["--out-dir", "merged", "--shard", "\(k)/2", "--shard-out", "fit\(k).shard"], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let merged = try CLI.run(["merge", "fit1.shard", "fit2.shard"], in: dir)
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(try Self.files(in: dir.appendingPathComponent("merged")) == Self.files(in: dir.appendingPathComponent("whole")))
    }

    /// Two shards joined by merge give the whole run's file, byte for byte.
    @Test func shardsMergedAreTheWholeRun() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("receptor.ant")
        try Self.receptor.write(to: model, atomically: true, encoding: .utf8)
        let scan = ["scan", model.path, "--vary", "L=0.01:100:9", "--log", "--select", "RL"]
        let whole = try CLI.run(scan + ["--out", dir.appendingPathComponent("whole.csv").path])
        #expect(whole.status == 0, "\(whole.stderr)")
        for k in 1...2 {
            let r = try CLI.run(scan + ["--out", "merged.csv", "--shard", "\(k)/2", "--shard-out", "part\(k).shard"], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("merged.csv").path), "a shard wrote the output")
        }
        let merged = try CLI.run(["merge", "part2.shard", "part1.shard"], in: dir)
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(try Data(contentsOf: dir.appendingPathComponent("merged.csv")) == Data(contentsOf: dir.appendingPathComponent("whole.csv")))

        let missing = try CLI.run(["merge", "part1.shard"], in: dir)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("shard 2/2 missing"), "\(missing.stderr)")
        let twice = try CLI.run(["merge", "part1.shard", "part1.shard"], in: dir)
        #expect(twice.status == 2)
        #expect(twice.stderr.contains("are both shard 1/2"), "\(twice.stderr)")

        // A shard of another command (other points) is refused, naming both commands.
        let other = try CLI.run(scan.map { $0 == "L=0.01:100:9" ? "L=0.01:100:7" : $0 } + ["--out", "merged.csv", "--shard", "2/2", "--shard-out", "other.shard"], in: dir)
        #expect(other.status == 0, "\(other.stderr)")
        let mismatched = try CLI.run(["merge", "part1.shard", "other.shard"], in: dir)
        #expect(mismatched.status == 2)
        #expect(mismatched.stderr.contains("'other.shard' comes from another command than 'part1.shard'"), "\(mismatched.stderr)")

        // A damaged shard: the line, a caret under it, what to do.
        let text = try String(contentsOf: dir.appendingPathComponent("part2.shard"), encoding: .utf8)
        try text.replacingOccurrences(of: "shard 2/2", with: "shard 3/2").write(to: dir.appendingPathComponent("bad.shard"), atomically: true, encoding: .utf8)
        let bad = try CLI.run(["merge", "part1.shard", "bad.shard"], in: dir)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("bad.shard:2:1: error: expected 'shard K/N'") && bad.stderr.contains("^"), "\(bad.stderr)")
    }
}
