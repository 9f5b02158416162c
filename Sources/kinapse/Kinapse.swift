import ArgumentParser
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
          kinapse stdp Pathways/synapses/entorhinal_stellate.toml \\
              --dt -100:100:5
          kinapse fit Fixtures/fit/hippocampal_bdnf/problem.toml --plot fit.svg
          kinapse plot run.csv --out run.svg
          kinapse export Pathways/no_cgmp_pkg.ant --sbml no_cgmp_pkg.xml
          kinapse synapses; kinapse protocols; kinapse pathways

        A tutorial: README.md.

        Shell completions: kinapse --generate-completion-script bash
        Exit status: 0 success, 1 simulation failure, 2 bad input or usage.
        """,
        version: "0.1.0",
        subcommands: [Simulate.self, STDP.self, Fit.self, Check.self, ODEs.self, ListPathways.self, ListSynapses.self, ListProtocols.self, SBMLSuite.self, SBMLCase.self, PlotCommand.self, Export.self, Readouts.self]
    )

    /// Exit codes promised in the documentation: usage errors are 2, not
    /// ArgumentParser's default EX_USAGE (64).
    static func main() {
        Interruption.install()
        if let message = unknownCommand(Array(CommandLine.arguments.dropFirst())) {
            FileHandle.standardError.write(Data((message + "\n").utf8))
            Foundation.exit(2)
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                Foundation.exit(0)
            }
            if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            Foundation.exit(code == .failure ? 1 : 2)
        }
    }
}

extension Kinapse {
    /// A first word that names no subcommand (`kinapse simualte x.ant`, `kinapse help nosuch`):
    /// said as such, with the nearest name. ArgumentParser would go on to complain about
    /// the next option instead, which misleads.
    static func unknownCommand(_ arguments: [String]) -> String? {
        let names = configuration.subcommands.map { $0._commandName }
        var words = arguments
        var asked = "command"
        if words.first == "help" { words.removeFirst(); asked = "help topic" }
        guard let first = words.first, !first.hasPrefix("-"), !names.contains(first) else { return nil }
        let hint = Suggestions.didYouMean(first, among: names) ?? "commands: \(names.joined(separator: ", "))"
        return "error: unknown \(asked) '\(DiagnosticRenderer.escaped(first))'\nhint: \(hint)\nSee 'kinapse --help'."
    }
}

/// Exit statuses.
enum Status {
    static let simulationFailed = ExitCode(1)
    static let badInput = ExitCode(2)
}
