import ArgumentParser
import Foundation
import PathwayModel
import ModelCompiler
import SBMLImport
import Reporting

/// `kinapse export MODEL --sbml OUT.xml`: writes the pathway as SBML Level 3 Version 2.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a pathway as SBML Level 3 Version 2.",
        discussion: """
        The model is checked (loaded and compiled) first; nothing is written if it has
        errors. The output is written atomically and must not be the model file itself.

        Example:
          kinapse export Pathways/no_cgmp_pkg.ant --sbml no_cgmp_pkg.xml
        """
    )

    @Argument(help: "Pathway file (.ant, or SBML .xml); a shipped one also by name.")
    var model: String

    @Option(help: ArgumentHelp("Where to write the SBML.", valueName: "OUT.xml"))
    var sbml: String

    @Flag(help: "Replace a read-only output file.")
    var force = false

    func validate() throws {
        guard LibraryLookup.resolve(model) != nil else { throw LibraryLookup.notFound(model) }
        try OutputCheck.refuseConflicts([("--sbml", sbml)], inputs: [path], force: force)
    }

    /// The file read: `model` itself, or a shipped pathway by name.
    var path: String { LibraryLookup.resolve(model) ?? model }

    func run() throws {
        let pathway = try ModelLoading.loadPathway(path)
        _ = try ModelCompiler.compile(pathway)
        try OutputCheck.write(SBMLWriter.write(pathway), to: sbml, option: "--sbml", force: force)
    }
}
