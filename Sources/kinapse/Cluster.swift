import ArgumentParser
import ClusterRuns
import Foundation
import KinapseUtilities
import SourceDiagnostics

/// Runs across processes: MPI ranks under `mpirun`.
enum Cluster {
    /// Starts MPI when mpirun launched this process with two or more ranks and shares out
    /// the batches of tasks; the other ranks' standard output and error go to /dev/null,
    /// since rank 0 says everything once (a rank's death is reported by mpirun, with its rank).
    static func start() -> MPIJob? {
        JobTimeline.mark("started")
        let launched = MPIJob.launch { failure in
            Console.error("error: \(failure)\nhint: run kinapse without mpirun, or install OpenMPI (libopenmpi3)")
            Foundation.exit(ExitStatus.badInput.rawValue)
        }
        guard let job = launched else { return nil }
        if job.rank != 0 {
            JobTimeline.keepStandardError()
            let null = open("/dev/null", O_WRONLY)
            if null >= 0 {
                dup2(null, 1)
                dup2(null, 2)
                close(null)
            }
        }
        TaskDistribution.install(MPITaskDistributor(job: job))
        return job
    }
}

/// `--shard K/N --shard-out FILE`: run one share of the command's tasks, for job arrays on
/// clusters without MPI; `kinapse merge` joins the shares.
struct ShardOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Run only share K of N of the tasks (every N-th, from the K-th) and write them to --shard-out; 'kinapse merge' joins the N shards into this command's outputs. (Under mpirun the ranks share the tasks without shards.)", valueName: "K/N"))
    var shard: String?

    @Option(name: .customLong("shard-out"), help: ArgumentHelp("Where --shard writes its share (atomically).", valueName: "FILE"))
    var shardOut: String?

    func validate() throws {
        guard let shard else {
            if shardOut != nil { throw ValidationError("--shard-out needs --shard K/N") }
            return
        }
        guard Shard.parse(shard) != nil else { throw ValidationError("--shard expects K/N with 1 ≤ K ≤ N, e.g. --shard 2/4 (got '\(shard)')") }
        guard shardOut != nil else { throw ValidationError("--shard needs --shard-out FILE: where the share is written") }
        if JobRank.launched != nil {
            throw ValidationError("--shard under mpirun: the ranks already share the tasks; use one or the other")
        }
    }

    /// The output this option names, for the command's output checks.
    var output: (option: String, path: String?) { ("--shard-out", shardOut) }

    /// From here on the command's first batch of tasks is this share, written to
    /// --shard-out, after which `cleanup` runs (what a `defer` of the command would have
    /// undone, such as a directory lock) and the process ends; call once the inputs are read.
    func install(force: Bool, cleanup: @escaping @Sendable () -> Void = {}) {
        guard let shard, let (index, count) = Shard.parse(shard), let path = shardOut else { return }
        TaskDistribution.install(ShardTaskDistributor(index: index, count: count, arguments: Self.commandWithoutShard()) { shard in
            let status = Self.write(shard, to: path, force: force)
            cleanup()
            Foundation.exit(status)
        })
    }

    /// Writes a finished shard; the exit status.
    private static func write(_ shard: Shard, to path: String, force: Bool) -> Int32 {
        let undone = shard.outcomes.values.filter { $0 == .notRun }.count
        if undone > 0 {
            Console.error("error: interrupted with \(undone) of this shard's \(shard.outcomes.count) tasks not run; no shard written")
            return ExitStatus.simulationFailed.rawValue
        }
        do {
            try OutputCheck.write(shard.text, to: path, option: "--shard-out", force: force)
        } catch {
            return Kinapse.runFailure(error)
        }
        return ExitStatus.success.rawValue
    }

    /// This process's arguments without the program name and the shard options.
    static func commandWithoutShard(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> [String] {
        var kept: [String] = []
        var skipNext = false
        for argument in arguments {
            if skipNext { skipNext = false; continue }
            if argument == "--shard" || argument == "--shard-out" { skipNext = true; continue }
            if argument.hasPrefix("--shard=") || argument.hasPrefix("--shard-out=") { continue }
            kept.append(argument)
        }
        return kept
    }
}

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join the shards of a run made with --shard K/N into that run's outputs.",
        discussion: """
        Each shard holds its share of the tasks and the command that made it. merge
        checks that the shards are all N shares of one command, then runs that command
        with the tasks taken from them, so it writes exactly what the command writes
        when run whole (what follows the tasks, such as a fit's profile likelihoods,
        runs here). Run it in the directory the shards were made in: the command's paths
        are as given.

        Example (a job array of 4):
          kinapse stdp entorhinal_stellate_rig --protocol haas_pairing \\
              --dt -100:100:5 --out window.csv --shard 1/4 --shard-out s1.shard
          … --shard 4/4 --shard-out s4.shard
          kinapse merge s1.shard s2.shard s3.shard s4.shard
        """)

    @Argument(help: ArgumentHelp("The shard files (--shard-out), all N of them, in any order.", valueName: "SHARD"))
    var shards: [String]

    static let commands = ["fit", "stdp", "scan"]

    func run() throws {
        var read: [(path: String, shard: Shard)] = []
        for path in shards {
            let file = try SourceFile.read(path: path)
            do {
                read.append((path, try Shard(text: file.text)))
            } catch {
                throw DiagnosticsError(.error(error.message, at: Self.line(error.line, of: file),
                                              hint: "a shard is written by 'kinapse fit|stdp|scan … --shard K/N --shard-out FILE'"))
            }
        }
        let joined: (arguments: [String], outcomes: [TaskOutcome])
        do { joined = try Shard.join(read) } catch { throw DiagnosticsError(.error(error.message, at: nil, hint: error.hint)) }
        guard let name = joined.arguments.first, Self.commands.contains(name) else {
            throw DiagnosticsError(.error("the shards hold the command 'kinapse \(joined.arguments.joined(separator: " "))', which merge does not run",
                                          at: nil, hint: "merge joins shards of: \(Self.commands.joined(separator: ", "))"))
        }
        TaskDistribution.install(MergedTaskDistributor(outcomes: joined.outcomes) { expected, found in
            Console.error("error: the shards hold \(expected) tasks, but 'kinapse \(name)' now makes \(found)\nhint: its inputs changed since the shards were made; make them again")
            Foundation.exit(ExitStatus.badInput.rawValue)
        })
        var command = try Kinapse.parseAsRoot(joined.arguments)
        try command.run()
    }

    /// The whole of 1-based `line`, for a caret under it.
    static func line(_ line: Int, of file: SourceFile) -> SourceRange {
        let start = file.utf8.indices.reduce(into: (line: 1, offset: 0)) { state, i in
            if state.line < line, file.utf8[i] == UInt8(ascii: "\n") { state = (state.line + 1, i + 1) }
        }.offset
        let end = file.utf8[start...].firstIndex(of: UInt8(ascii: "\n")) ?? file.utf8.count
        return SourceRange(file: file, start: start, end: max(start, end))
    }
}
