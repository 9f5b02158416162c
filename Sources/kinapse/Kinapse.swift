import ArgumentParser
import ClusterRuns
import Foundation
import Reporting
import SourceDiagnostics

@main
struct Kinapse: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kinapse",
        abstract: "Kinetic models of inhibitory synaptic plasticity: pathway files in, time courses out.",
        discussion: """
        Pathways: a subset of Antimony (docs/antimony-subset.md).
        Synapses and protocols: TOML (docs/file-formats.md).

        Examples:
          kinapse simulate Pathways/synapses/golgi_granule.toml \\
              --protocol tbs --plot run.svg
          kinapse simulate Pathways/no_cgmp_pkg.ant --t-end 60 --out run.csv
          kinapse stdp Pathways/synapses/entorhinal_stellate_rig.toml \\
              --protocol haas_pairing --dt -30:30:1
          kinapse fit fit.toml --plot fit.svg          (fit.toml: the README's tutorial)
          kinapse plot run.csv --out run.svg
          kinapse export Pathways/no_cgmp_pkg.ant --sbml no_cgmp_pkg.xml
          kinapse synapses; kinapse protocols; kinapse pathways

        A tutorial: README.md.

        Shell completions: kinapse --generate-completion-script bash
        Exit status: 0 success, 1 simulation failure, 2 bad input or usage.
        """,
        version: "0.1.0",
        subcommands: [Simulate.self, STDP.self, Fit.self, Check.self, ODEs.self, ListPathways.self, ListSynapses.self, ListProtocols.self, SteadyStateCommand.self, FluxBalanceCommand.self, ScanCommand.self, SensitivityCommand.self, SBMLSuite.self, SBMLCase.self, Merge.self, PlotCommand.self, Export.self, Readouts.self, PEtabCommand.self]
    )

    /// The one place where errors are rendered and the exit status chosen (`ExitStatus`):
    /// commands and libraries throw, and never print an error themselves.
    static func main() {
        Interruption.install()
        let job = Cluster.start()
        if let message = unknownCommand(Array(CommandLine.arguments.dropFirst())) ?? repeatedOutput(Array(CommandLine.arguments.dropFirst())) {
            Console.error(message)
            Foundation.exit(ExitStatus.badInput.rawValue)
        }
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            Foundation.exit(parseFailure(error))
        }
        do {
            try command.run()
        } catch {
            Foundation.exit(runFailure(error))
        }
        // Output printed to standard output is buffered: a full disk or a closed file shows
        // only now, and must not pass for success.
        if let failure = StandardOutput.flush() { Foundation.exit(runFailure(failure)) }
        JobTimeline.mark("command done")
        job?.finish()
        Foundation.exit(ExitStatus.success.rawValue)
    }

    /// Parsing and `validate()`: ArgumentParser's messages (with the usage line), under the
    /// documented statuses rather than its EX_USAGE (64).
    static func parseFailure(_ error: any Error) -> Int32 {
        let code = exitCode(for: error)
        let message = fullMessage(for: error)
        if code == .success {
            if !message.isEmpty { print(message) }
            guard let failure = StandardOutput.flush() else { return ExitStatus.success.rawValue }
            Console.report(failure.diagnostics)
            return failure.exitStatus.rawValue
        }
        if !message.isEmpty { Console.error(message) }
        return ExitStatus.badInput.rawValue
    }

    /// A command's error, rendered once. An error that no type claims is still bad input:
    /// status 1 promises partial output, which only a failed run writes.
    static func runFailure(_ error: any Error) -> Int32 {
        if let exit = error as? ExitCode { return exit.rawValue }
        // Thrown while running, it is about this run's inputs, not the command line's shape:
        // ArgumentParser would add the top-level usage, which names no subcommand.
        if let invalid = error as? ValidationError {
            _ = StandardOutput.flush()
            Console.report([.error(invalid.message)])
            return ExitStatus.badInput.rawValue
        }
        // ArgumentParser's own (help, validation, a clean exit) are its to render; it calls
        // every other error a failure.
        if !(error is any UserFacingError), exitCode(for: error) != .failure { return parseFailure(error) }
        _ = StandardOutput.flush()
        Console.report(Console.diagnostics(of: error))
        return ((error as? any UserFacingError)?.exitStatus ?? .badInput).rawValue
    }
}

extension Kinapse {
    /// Options naming one output file each: given twice, argument-parser keeps the last
    /// silently, and the user who expected two files finds one.
    static let outputOptions: Set<String> = ["--out", "--out-dir", "--plot", "--readouts", "--summary", "--trials-out",
                                             "--sensitivities-out", "--eigenvalues", "--sbml", "--simulations", "--shard-out",
                                             "--passing-list"]

    /// An output option given more than once, said as an error before anything runs.
    static func repeatedOutput(_ arguments: [String]) -> String? {
        var seen: [String: String] = [:]
        var i = 0
        while i < arguments.count, arguments[i] != "--" {
            let word = arguments[i]
            let (name, inline) = word.firstIndex(of: "=").map { (String(word[..<$0]), Optional(String(word[word.index(after: $0)...]))) } ?? (word, nil)
            i += 1
            guard outputOptions.contains(name) else { continue }
            let value = inline ?? (i < arguments.count ? arguments[i] : "")
            if inline == nil { i += 1 }
            if let first = seen[name] {
                return "error: \(name) is given twice ('\(DiagnosticRenderer.escaped(first))' and '\(DiagnosticRenderer.escaped(value))'); it names one file\nSee 'kinapse --help'."
            }
            seen[name] = value
        }
        return nil
    }

    /// A first word that names no subcommand (`kinapse simualte x.ant`, `kinapse help nosuch`):
    /// said as such, with the nearest name. ArgumentParser would go on to complain about
    /// the next option instead, which misleads.
    static func unknownCommand(_ arguments: [String]) -> String? {
        let names = configuration.subcommands.map { $0._commandName }
        var words = arguments
        var asked = "command"
        if words.first == "help" { words.removeFirst(); asked = "help topic" }
        guard let first = words.first, !first.hasPrefix("-"), !names.contains(first) else { return nil }
        // Internal commands (sbml-case) are never suggested; a prefix of one command names it.
        let shown = configuration.subcommands.filter { $0.configuration.shouldDisplay }.map { $0._commandName }
        let extending = shown.filter { $0.hasPrefix(first) }
        let hint = Suggestions.didYouMean(first, among: shown)
            ?? (extending.count == 1 ? "did you mean '\(extending[0])'?" : "commands: \(shown.joined(separator: ", "))")
        return "error: unknown \(asked) '\(DiagnosticRenderer.escaped(first))'\nhint: \(hint)\nSee 'kinapse --help'."
    }
}
