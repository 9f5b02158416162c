import Testing
import Foundation
import PathwayTestSupport

/// The help texts are part of the interface: snapshots of `kinapse --help` and of every
/// subcommand's `--help` (at 80 columns), in `Tests/KinapseCLITests/Snapshots/help-*.txt`.
/// After changing an option or an example, rewrite them with `KINAPSE_UPDATE_SNAPSHOTS=1`
/// and read the difference.
@Suite struct HelpTextTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")
    /// ArgumentParser wraps to the terminal; a fixed width makes the text reproducible.
    static let width = ["COLUMNS": "80", "LINES": "24"]

    static func help(_ arguments: [String]) throws -> String {
        let r = try CLI.run(arguments + ["--help"], environment: width)
        #expect(r.status == 0, "\(arguments): \(r.stderr)")
        return r.stdout
    }

    /// The subcommands the top-level help lists (the first word of each entry).
    static func subcommands(in help: String) -> [String] {
        guard let section = help.range(of: "SUBCOMMANDS:\n") else { return [] }
        return help[section.upperBound...].split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let word = line.split(separator: " ").first,
                  !line.contains("See 'kinapse help") else { return nil }
            return String(word)
        }
    }

    @Test func topLevelHelp() throws {
        let text = try Self.help([])
        #expect(text.contains("Examples:"))
        if let problem = try Snapshot.mismatch(text, name: "help-kinapse.txt", in: Self.directory) { Issue.record(Comment(rawValue: problem)) }
    }

    @Test func everySubcommandHasExamplesAndASnapshot() throws {
        let names = Self.subcommands(in: try Self.help([]))
        #expect(names.count >= 10, "subcommands found: \(names)")
        for name in names {
            let text = try Self.help([name])
            #expect(text.hasPrefix("OVERVIEW: "), "\(name)")
            if !["pathways", "synapses", "protocols"].contains(name) {
                #expect(text.contains("Example"), "'kinapse \(name) --help' shows no example")
            }
            if let problem = try Snapshot.mismatch(text, name: "help-\(name).txt", in: Self.directory) {
                Issue.record(Comment(rawValue: problem))
            }
        }
    }
}

/// Shell completions come from ArgumentParser; each shell's script must name the subcommands.
@Suite struct CompletionTests {
    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScriptNamesTheSubcommands(_ shell: String) throws {
        let r = try CLI.run(["--generate-completion-script", shell])
        #expect(r.status == 0, "\(r.stderr)")
        for name in ["simulate", "stdp", "fit", "plot", "export", "synapses"] {
            #expect(r.stdout.contains(name), "\(shell) completion lacks \(name)")
        }
    }
}
