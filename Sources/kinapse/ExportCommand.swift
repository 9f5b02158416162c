import ArgumentParser
import Foundation
import PathwayModel
import SBMLImport
import Reporting

/// `kinapse export MODEL --sbml OUT.xml`: writes the pathway as SBML Level 3 Version 2.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a pathway as SBML Level 3 Version 2.",
        discussion: """
        The model is checked (loaded and compiled) first; nothing is written if it has errors.
        The output is written atomically and must not be the model file itself.

        Example:
          kinapse export Pathways/no_cgmp_pkg.ant --sbml no_cgmp_pkg.xml
        """
    )

    @Argument(help: "Pathway file (.ant, or SBML .xml).")
    var model: String

    @Option(help: ArgumentHelp("Where to write the SBML.", valueName: "OUT.xml"))
    var sbml: String

    func validate() throws {
        if Self.samePath(model, sbml) {
            throw ValidationError("--sbml '\(sbml)' is the model file itself; choose another output path")
        }
    }

    static func samePath(_ a: String, _ b: String) -> Bool {
        let ua = URL(fileURLWithPath: a).standardizedFileURL.resolvingSymlinksInPath()
        let ub = URL(fileURLWithPath: b).standardizedFileURL.resolvingSymlinksInPath()
        if ua.path == ub.path { return true }
        // Hard links or differently spelled paths to one file.
        let fm = FileManager.default
        if let ia = try? fm.attributesOfItem(atPath: ua.path), let ib = try? fm.attributesOfItem(atPath: ub.path),
           let na = ia[.systemFileNumber] as? NSNumber, let nb = ib[.systemFileNumber] as? NSNumber,
           let da = ia[.systemNumber] as? NSNumber, let db = ib[.systemNumber] as? NSNumber {
            return na == nb && da == db
        }
        return false
    }

    func run() throws {
        let pathway = try ModelLoading.loadPathway(model)
        _ = try ModelLoading.compile(pathway)
        let text = SBMLWriter.write(pathway)
        do { try AtomicFile.write(text, to: sbml) } catch {
            Console.error("error: \(error)")
            throw Status.badInput
        }
    }
}
