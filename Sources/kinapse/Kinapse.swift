import ArgumentParser
import Foundation
import Reporting

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

/// Exit statuses.
enum Status {
    static let simulationFailed = ExitCode(1)
    static let badInput = ExitCode(2)
}
